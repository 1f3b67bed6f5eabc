/* skiff: the smaller operations on a container: pause, unpause, rename,
 * restart, its processes (see engine.h). */
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "util/cleanup.h"

static int
set_state (sk_engine *e, sk_ctr *c, const char *state, sk_err **err)
{
  char *s = strdup (state);
  if (s == NULL)
    return sk_err_set (err, ENOMEM, "container");
  free (c->state);
  c->state = s;
  return sk_ctrs_update (e->db, c, err);
}

int
sk_engine_pause (sk_engine *e, const char *id, sk_err **err)
{
  _cleanup_ctr_ sk_ctr *c = NULL;
  if (sk_engine_get (e, id, &c, err) < 0)
    return -1;
  if (strcmp (c->state, "paused") == 0)
    return sk_err_kind (err, EBUSY, "container %s is already paused", id);
  if (strcmp (c->state, "running") != 0)
    return sk_err_kind (err, EINVAL, "container %s is not running", id);
  if (sk_container_pause (&e->rt, id, err) < 0 || set_state (e, c, "paused", err) < 0)
    return -1;
  sk_engine_emit (e, c, "pause", NULL, 0);
  return 0;
}

int
sk_engine_unpause (sk_engine *e, const char *id, sk_err **err)
{
  _cleanup_ctr_ sk_ctr *c = NULL;
  if (sk_engine_get (e, id, &c, err) < 0)
    return -1;
  if (strcmp (c->state, "paused") != 0)
    return sk_err_kind (err, EINVAL, "container %s is not paused", id);
  if (sk_container_resume (&e->rt, id, err) < 0 || set_state (e, c, "running", err) < 0)
    return -1;
  sk_engine_emit (e, c, "unpause", NULL, 0);
  return 0;
}

int
sk_engine_rename (sk_engine *e, const char *id, const char *name, sk_err **err)
{
  if (name[0] == '/')
    name++;
  if (!sk_ctr_name_valid (name))
    return sk_err_kind (err, EINVAL,
                        "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                        name);
  _cleanup_ctr_ sk_ctr *c = NULL;
  if (sk_engine_get (e, id, &c, err) < 0)
    return -1;
  if (strcmp (c->name, name) == 0)
    return sk_err_kind (err, EINVAL, "Renaming a container with the same name as its current name");
  if (sk_ctrs_rename (e->db, id, name, err) < 0)
    return -1;
  _cleanup_free_ char *old_name = c->name;
  sk_event_attr old = {"oldName", old_name};
  c->name = strdup (name);
  if (c->name)
    sk_engine_emit (e, c, "rename", &old, 1);
  return 0;
}

int
sk_engine_restart (sk_engine *e, const char *id, int timeout, sk_err **err)
{
  int code;
  if (sk_engine_stop (e, id, timeout, err) < 0)
    return -1;
  if (sk_engine_start (e, id, &code, err) < 0)
    return sk_err_wrap (err, "Cannot restart container %s", id);
  _cleanup_ctr_ sk_ctr *c = NULL;
  if (sk_ctrs_get (e->db, id, &c, err) < 0 || c == NULL)
    return -1;
  c->restart_count++;
  if (sk_ctrs_update (e->db, c, err) < 0)
    return -1;
  sk_engine_emit (e, c, "restart", NULL, 0);
  return 0;
}

int
sk_engine_pids (sk_engine *e, const char *id, pid_t **pids, size_t *n, sk_err **err)
{
  _cleanup_ctr_ sk_ctr *c = NULL;
  if (sk_engine_get (e, id, &c, err) < 0)
    return -1;
  if (strcmp (c->state, "running") != 0 && strcmp (c->state, "paused") != 0)
    return sk_err_kind (err, EINVAL, "container %s is not running", id);
  return sk_container_pids (&e->rt, id, pids, n, err);
}

static __thread int64_t walk_total;

static int
add_size (const char *path, const struct stat *st, int type, struct FTW *ftw)
{
  (void) path, (void) ftw;
  if (type == FTW_F && S_ISREG (st->st_mode))
    walk_total += st->st_size;
  return 0;
}

int64_t
sk_engine_rw_size (sk_engine *e, const char *id)
{
  _cleanup_free_ char *upper = sk_storage_rootfs_upper (e->storage, id);
  walk_total = 0;
  if (upper)
    nftw (upper, add_size, 16, FTW_PHYS | FTW_MOUNT);
  return walk_total;
}

int
sk_engine_stats (sk_engine *e, const char *id, sk_json **out, sk_err **err)
{
  _cleanup_ctr_ sk_ctr *c = NULL;
  if (sk_engine_get (e, id, &c, err) < 0)
    return -1;
  if (strcmp (c->state, "running") != 0 && strcmp (c->state, "paused") != 0)
    return sk_err_kind (err, EINVAL, "container %s is not running", id);
  return sk_container_stats (&e->rt, id, out, err);
}
