/* skiff: the smaller operations on a container: pause, unpause, rename,
 * restart, its processes, update (see engine.h). */
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/spec.h"
#include "internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

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
  return sk_engine_restart_signal (e, id, timeout, 0, err);
}

int
sk_engine_restart_signal (sk_engine *e, const char *id, int timeout, int signal, sk_err **err)
{
  int code;
  if (sk_engine_stop_signal (e, id, timeout, signal, err) < 0)
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
sk_engine_path_size (const char *path)
{
  walk_total = 0;
  if (path)
    nftw (path, add_size, 16, FTW_PHYS | FTW_MOUNT);
  return walk_total;
}

int64_t
sk_engine_rw_size (sk_engine *e, const char *id)
{
  _cleanup_free_ char *upper = sk_storage_rootfs_upper (e->storage, id);
  return sk_engine_path_size (upper);
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

/* ---- update ---- */

static int64_t
get_i64 (sk_json *o, const char *key, bool *present)
{
  sk_json *v = NULL;
  bool has = json_object_object_get_ex (o, key, &v) && v != NULL;
  if (present)
    *present = has;
  return has ? json_object_get_int64 (v) : 0;
}

static const char *
get_str (sk_json *o, const char *key)
{
  sk_json *v = NULL;
  return json_object_object_get_ex (o, key, &v) && v ? json_object_get_string (v) : "";
}

/* The memory.swap the container's configuration gives (Docker's default of
 * twice the memory included), 0 when none. */
static int
effective_swap (sk_json *config, int64_t *swap, sk_err **err)
{
  _cleanup_json_ sk_json *res = NULL;
  sk_json *m = NULL;
  if (sk_engine_spec_resources (config, &res, err) < 0)
    return -1;
  *swap = json_object_object_get_ex (res, "memory", &m) ? get_i64 (m, "swap", NULL) : 0;
  return 0;
}

/* Docker's checks of an update against the limits the container has. */
static int
update_conflicts (sk_json *hc, sk_json *ch, int64_t swap, sk_err **err)
{
  int64_t nano = get_i64 (ch, "NanoCpus", NULL), period = get_i64 (ch, "CpuPeriod", NULL),
          quota = get_i64 (ch, "CpuQuota", NULL), mem = get_i64 (ch, "Memory", NULL);
  const char *what = NULL;
  if (nano > 0 && get_i64 (hc, "CpuPeriod", NULL) > 0)
    what = "Nano CPUs cannot be updated as CPU Period has already been set";
  else if (nano > 0 && get_i64 (hc, "CpuQuota", NULL) > 0)
    what = "Nano CPUs cannot be updated as CPU Quota has already been set";
  else if (period > 0 && get_i64 (hc, "NanoCpus", NULL) > 0)
    what = "CPU Period cannot be updated as NanoCPUs has already been set";
  else if (quota > 0 && get_i64 (hc, "NanoCpus", NULL) > 0)
    what = "CPU Quota cannot be updated as NanoCPUs has already been set";
  if (what)
    return sk_err_kind (err, EINVAL, "Conflicting options: %s", what);
  if (mem > 0 && swap >= 0 && mem > swap && get_i64 (ch, "MemorySwap", NULL) == 0)
    return sk_err_kind (err, EINVAL,
                        "Memory limit should be smaller than already set memoryswap limit, "
                        "update the memoryswap at the same time");
  sk_json *rp = NULL;
  sk_json *ar = NULL;
  if (json_object_object_get_ex (ch, "RestartPolicy", &rp) && *get_str (rp, "Name") &&
      strcmp (get_str (rp, "Name"), "no") != 0 &&
      json_object_object_get_ex (hc, "AutoRemove", &ar) && json_object_get_boolean (ar))
    return sk_err_kind (err, EINVAL,
                        "Restart policy cannot be updated because AutoRemove is enabled for the "
                        "container");
  return 0;
}

/* Docker's messages for limits out of range (the daemon's, on the merged
 * configuration). */
static int
update_check (sk_json *hc, sk_err **err)
{
  int64_t mem = get_i64 (hc, "Memory", NULL), swap = get_i64 (hc, "MemorySwap", NULL),
          res = get_i64 (hc, "MemoryReservation", NULL), w = get_i64 (hc, "BlkioWeight", NULL),
          period = get_i64 (hc, "CpuPeriod", NULL), quota = get_i64 (hc, "CpuQuota", NULL),
          nano = get_i64 (hc, "NanoCpus", NULL);
  long ncpu = sysconf (_SC_NPROCESSORS_ONLN);
  const char *m = NULL;
  if (mem != 0 && mem < 6 * 1024 * 1024)
    m = "Minimum memory limit allowed is 6MB";
  else if (swap > 0 && mem == 0)
    m = "You should always set the Memory limit when using Memoryswap limit, see usage";
  else if (swap > 0 && swap < mem)
    m = "Minimum memoryswap limit should be larger than memory limit, see usage";
  else if (res != 0 && res < 6 * 1024 * 1024)
    m = "Minimum memory reservation allowed is 6MB";
  else if (mem > 0 && res > 0 && mem < res)
    m = "Minimum memory limit can not be less than memory reservation limit, see usage";
  else if (w != 0 && (w < 10 || w > 1000))
    m = "Range of blkio weight is from 10 to 1000";
  else if (period != 0 && (period < 1000 || period > 1000000))
    m = "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)";
  else if (quota > 0 && quota < 1000)
    m = "CPU cfs quota can not be less than 1ms (i.e. 1000)";
  if (m)
    return sk_err_kind (err, EINVAL, "%s", m);
  if (nano && ncpu > 0 && (nano < 10000000 || nano > ncpu * 1000000000LL))
    return sk_err_kind (
        err, EINVAL, "Range of CPUs is from 0.01 to %ld.00, as there are only %ld CPUs available",
        ncpu, ncpu);
  return 0;
}

/* The members of the update body over HostConfig, as docker merges them:
 * a zero or empty value leaves a setting as it is (PidsLimit and
 * RestartPolicy: any value given). */
static void
update_merge (sk_json *hc, sk_json *ch, int64_t old_swap)
{
  static const char *const ints[] = {"Memory",     "MemorySwap", "MemoryReservation",
                                     "MemoryHigh", "NanoCpus",   "CpuShares",
                                     "CpuPeriod",  "CpuQuota",   "BlkioWeight"};
  /* a new memory limit keeps the swap limit the container had */
  if (get_i64 (ch, "Memory", NULL) && !get_i64 (ch, "MemorySwap", NULL) &&
      !get_i64 (hc, "MemorySwap", NULL) && old_swap > 0)
    json_object_object_add (hc, "MemorySwap", json_object_new_int64 (old_swap));
  for (size_t i = 0; i < SK_N_ELEMENTS (ints); i++) {
    int64_t v = get_i64 (ch, ints[i], NULL);
    if (v)
      json_object_object_add (hc, ints[i], json_object_new_int64 (v));
  }
  static const char *const strs[] = {"CpusetCpus", "CpusetMems"};
  for (size_t i = 0; i < SK_N_ELEMENTS (strs); i++)
    if (*get_str (ch, strs[i]))
      json_object_object_add (hc, strs[i], json_object_new_string (get_str (ch, strs[i])));
  sk_json *v = NULL;
  if (json_object_object_get_ex (ch, "PidsLimit", &v) && v)
    json_object_object_add (hc, "PidsLimit", json_object_get (v));
  if (json_object_object_get_ex (ch, "RestartPolicy", &v) && v && *get_str (v, "Name"))
    json_object_object_add (hc, "RestartPolicy", json_object_get (v));
}

/* The cgroup's limits of a running container, from the new configuration:
 * what changed, and PidsLimit 0 or -1 as no limit. */
static int
update_cgroup (sk_engine *e, const char *id, sk_json *config, sk_json *ch, sk_err **err)
{
  _cleanup_json_ sk_json *res = NULL;
  bool pids = false;
  int64_t pids_limit = get_i64 (ch, "PidsLimit", &pids);
  if (sk_engine_spec_resources (config, &res, err) < 0)
    return -1;
  if (pids && pids_limit <= 0) {
    sk_json *p = json_object_new_object ();
    json_object_object_add (p, "limit", json_object_new_int64 (-1));
    json_object_object_add (res, "pids", p);
  }
  _cleanup_free_ char *text = sk_json_dump (res, false);
  sk_spec_resources r = {0};
  if (text == NULL)
    return sk_err_set (err, ENOMEM, "resources");
  int ret = sk_spec_resources_parse (text, strlen (text), "resources", &r, err);
  if (ret == 0)
    ret = sk_container_update (&e->rt, id, &r, err);
  sk_spec_resources_clear (&r);
  if (ret < 0 && (*err)->errnum == EBUSY && strstr ((*err)->msg, "memory")) {
    sk_err_free (err);
    return sk_err_kind (err, EBUSY,
                        "the memory limit %" PRId64 " is below what the container uses now, and "
                        "the kernel could not reclaim the difference (device or resource busy)",
                        get_i64 (ch, "Memory", NULL));
  }
  return ret;
}

/* The update in the transaction sk_engine_update holds (so that two at once
 * each see what the other stored); *out: the record, for the event. */
static int
update_locked (sk_engine *e, const char *id, const sk_json *changes, sk_ctr **out, sk_err **err)
{
  _cleanup_ctr_ sk_ctr *c = NULL;
  _cleanup_json_ sk_json *config = NULL;
  sk_json *ch = (sk_json *) changes, *hc = NULL;
  int64_t swap = 0;
  if (sk_engine_get (e, id, &c, err) < 0 ||
      sk_json_parse (c->config, strlen (c->config), "the container's configuration", &config, err) <
          0)
    return -1;
  if (strcmp (c->state, "removing") == 0 || strcmp (c->state, "dead") == 0)
    return sk_err_kind (err, EINVAL, "Cannot update container %s: the container is %s", id,
                        c->state);
  if (!json_object_object_get_ex (config, "HostConfig", &hc) || hc == NULL) {
    hc = json_object_new_object ();
    json_object_object_add (config, "HostConfig", hc);
  }
  if (effective_swap (config, &swap, err) < 0 || update_conflicts (hc, ch, swap, err) < 0)
    return sk_err_wrap (err, "Cannot update container %s", id);
  update_merge (hc, ch, swap);
  _cleanup_json_ sk_json *checked = NULL;
  if (update_check (hc, err) < 0 || sk_engine_spec_resources (config, &checked, err) < 0)
    return sk_err_wrap (err, "Cannot update container %s", id);
  bool live = strcmp (c->state, "running") == 0 || strcmp (c->state, "paused") == 0;
  if (live && update_cgroup (e, id, config, ch, err) < 0)
    return sk_err_wrap (err, "Cannot update container %s", id);
  _cleanup_free_ char *text = sk_json_dump (config, false);
  if (text == NULL)
    return sk_err_set (err, ENOMEM, "Cannot update container %s", id);
  if (sk_ctrs_set_config (e->db, id, text, err) < 0)
    return -1;
  *out = steal_ptr (c);
  return 0;
}

int
sk_engine_update (sk_engine *e, const char *id, const sk_json *changes, sk_err **err)
{
  _cleanup_ctr_ sk_ctr *c = NULL;
  if (sk_db_begin (e->db, err) < 0)
    return -1;
  if (update_locked (e, id, changes, &c, err) < 0) {
    sk_db_rollback (e->db);
    return -1;
  }
  if (sk_db_commit (e->db, err) < 0) {
    sk_db_rollback (e->db);
    return -1;
  }
  sk_engine_emit (e, c, "update", NULL, 0);
  /* a new restart policy for a running container: its shim reads it at the
   * next exit (shim-restart.c) */
  sk_json *rp = NULL, *name = NULL, *max = NULL;
  bool live = strcmp (c->state, "running") == 0 || strcmp (c->state, "paused") == 0 ||
              strcmp (c->state, "restarting") == 0;
  if (live && json_object_object_get_ex (changes, "RestartPolicy", &rp) && rp &&
      json_object_object_get_ex (rp, "Name", &name) && *json_object_get_string (name)) {
    json_object_object_get_ex (rp, "MaximumRetryCount", &max);
    char text[64];
    int n = snprintf (text, sizeof text, "%.32s:%d\n", json_object_get_string (name),
                      max ? json_object_get_int (max) : 0);
    _cleanup_free_ char *path = sk_engine_state_path (e, c->id, "restart-policy");
    if (path == NULL || sk_write_file_atomic (path, text, (size_t) n, 0644, err) < 0)
      return sk_err_wrap (err, "Cannot update container %s: the restart policy", id);
  }
  return 0;
}
