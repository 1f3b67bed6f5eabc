/* skiff: operations on an existing container: state, list, kill, delete,
 * pause, resume, update, ps and stats. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/proc.h"

int
sk_container_state (const sk_runtime *rt, const char *id, sk_container_info **out, sk_err **err)
{
  return sk_state_read (rt, id, out, err);
}

int
sk_container_load_spec (const sk_runtime *rt, const char *id, sk_spec **out, sk_err **err)
{
  _cleanup_free_ char *dir = sk_state_dir (rt, id);
  _cleanup_free_ char *path = sk_path_join (dir, "config.json");
  return sk_spec_load (path, out, err);
}

static int
compare_ids (const void *a, const void *b)
{
  return strcmp ((*(sk_container_info *const *) a)->id, (*(sk_container_info *const *) b)->id);
}

int
sk_container_list (const sk_runtime *rt, sk_container_info ***out, size_t *n, sk_err **err)
{
  *out = NULL;
  *n = 0;
  _cleanup_closedir_ DIR *d = opendir (rt->root);
  if (d == NULL)
    return errno == ENOENT ? 0 : sk_err_set (err, errno, "open `%s`", rt->root);
  size_t alloc = 0;
  struct dirent *de;
  while ((de = readdir (d))) {
    if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
      continue;
    sk_container_info *info = NULL;
    _cleanup_err_ sk_err *e = NULL;
    if (sk_state_read (rt, de->d_name, &info, &e) < 0)
      continue; /* not a container of ours, or being deleted */
    if (*n == alloc) {
      alloc = alloc ? alloc * 2 : 16;
      sk_container_info **p = realloc (*out, alloc * sizeof *p);
      if (p == NULL) {
        sk_container_info_free (info);
        return sk_err_set (err, ENOMEM, "list");
      }
      *out = p;
    }
    (*out)[(*n)++] = info;
  }
  if (*n)
    qsort (*out, *n, sizeof **out, compare_ids);
  return 0;
}

/* Reads the state and opens the cgroup; fails for a stopped container when `alive`. */
static int
open_container (const sk_runtime *rt, const char *id, bool alive, sk_container_info **info,
                sk_cgroup **cg, sk_err **err)
{
  if (sk_state_read (rt, id, info, err) < 0)
    return -1;
  if (alive && ((*info)->status == SK_STATUS_STOPPED || (*info)->status == SK_STATUS_CREATING)) {
    int r = sk_err_set (err, 0, "container `%s` is %s", id, sk_status_name ((*info)->status));
    sk_container_info_free (*info);
    *info = NULL;
    return r;
  }
  if (cg && !((*info)->cgroup_path && *(*info)->cgroup_path)) {
    int r = sk_err_set (err, 0,
                        "container `%s` has no cgroup (its runtime was unprivileged and had none "
                        "delegated)",
                        id);
    sk_container_info_free (*info);
    *info = NULL;
    return r;
  }
  if (cg && sk_cgroup_open ((*info)->cgroup_path, cg, err) < 0) {
    sk_container_info_free (*info);
    *info = NULL;
    return -1;
  }
  return 0;
}

int
sk_container_kill (const sk_runtime *rt, const char *id, int sig, bool all, sk_err **err)
{
  sk_container_info *info = NULL;
  sk_cgroup *cg = NULL;
  if (open_container (rt, id, true, &info, NULL, err) < 0)
    return -1;
  /* --all reaches every process through the cgroup; without one, the init
   * (whose end ends its pid namespace) is all there is to reach. A frozen
   * process dies of SIGKILL only once thawed (cgroup v1): as runc's, killing
   * a paused container thaws it */
  bool has_cgroup = info->cgroup_path && *info->cgroup_path;
  bool thaw = has_cgroup && sig == SIGKILL && info->status == SK_STATUS_PAUSED;
  int ret = 0;
  if (((all && has_cgroup) || thaw) && sk_cgroup_open (info->cgroup_path, &cg, err) < 0) {
    ret = -1;
  } else if (all && cg) {
    ret = sk_cgroup_kill_all (cg, sig, err);
  } else {
    _cleanup_close_ int pidfd = sk_pidfd_open_checked (info->pid, info->pid_start_time, err);
    if (pidfd < 0)
      ret = -1;
    else if (sk_pidfd_send_signal (pidfd, sig) < 0)
      ret = sk_err_set (err, errno, "signal container `%s`", id);
    else if (thaw)
      ret = sk_cgroup_freeze (cg, false, err);
  }
  sk_cgroup_free (cg);
  sk_container_info_free (info);
  return ret;
}

/* Kills the init (and so its pid namespace) and waits until it is gone. */
static int
kill_and_wait (const sk_container_info *info, sk_err **err)
{
  _cleanup_err_ sk_err *e = NULL;
  _cleanup_close_ int pidfd = sk_pidfd_open_checked (info->pid, info->pid_start_time, &e);
  if (pidfd < 0)
    return 0; /* already gone */
  if (sk_pidfd_send_signal (pidfd, SIGKILL) < 0 && errno != ESRCH)
    return sk_err_set (err, errno, "kill container `%s`", info->id);
  struct pollfd p = {.fd = pidfd, .events = POLLIN};
  if (poll (&p, 1, 10000) == 0)
    return sk_err_set (err, ETIMEDOUT, "wait for container `%s` to die", info->id);
  return 0;
}

static void
run_poststop (const sk_runtime *rt, const sk_container_info *info)
{
  _cleanup_spec_ sk_spec *spec = NULL;
  _cleanup_err_ sk_err *e = NULL;
  if (sk_container_load_spec (rt, info->id, &spec, &e) == 0)
    sk_hooks_run_or_warn (spec, SK_HOOK_POSTSTOP, info, SK_STATUS_STOPPED);
}

/* Kills what runs, removes the cgroup, runs the poststop hooks. */
static int
take_down (const sk_runtime *rt, const sk_container_info *info, sk_err **err)
{
  sk_cgroup *cg = NULL;
  _cleanup_err_ sk_err *gone = NULL;
  if (info->cgroup_path && *info->cgroup_path && sk_cgroup_open (info->cgroup_path, &cg, &gone) < 0)
    cg = NULL; /* already gone */
  if (info->status == SK_STATUS_PAUSED && cg && sk_cgroup_freeze (cg, false, err) < 0)
    sk_err_free (err);
  int ret = 0;
  if (info->status != SK_STATUS_STOPPED && info->status != SK_STATUS_CREATING)
    ret = kill_and_wait (info, err);
  sk_debug_phase ("delete: killed");
  if (ret == 0 && cg)
    ret = sk_cgroup_destroy (cg, err);
  sk_cgroup_free (cg);
  sk_debug_phase ("delete: cgroup removed");
  if (ret == 0 && info->status != SK_STATUS_CREATING)
    run_poststop (rt, info);
  return ret;
}

int
sk_container_delete (const sk_runtime *rt, const char *id, bool force, sk_err **err)
{
  _cleanup_info_ sk_container_info *info = NULL;
  _cleanup_err_ sk_err *e = NULL;
  _cleanup_close_ int lock = sk_state_lock_and_read (rt, id, &info, &e);
  if (lock < 0) {
    /* as runc and crun: forcing the delete of what is not there succeeds
     * (podman runs it after a failed create, containerd's shim after every task) */
    if (force && e->errnum == ENOENT)
      return 0;
    if (err && *err == NULL)
      *err = steal_ptr (e);
    return -1;
  }
  if (!force && (info->status == SK_STATUS_RUNNING || info->status == SK_STATUS_PAUSED))
    return sk_err_set (err, 0, "cannot delete container `%s` that is not stopped: %s", id,
                       sk_status_name (info->status));
  if (take_down (rt, info, err) < 0)
    return -1;
  _cleanup_free_ char *dir = sk_state_dir (rt, id);
  return sk_remove_tree_at (AT_FDCWD, dir, err);
}

static int
set_frozen (const sk_runtime *rt, const char *id, bool frozen, sk_err **err)
{
  _cleanup_close_ int lock = sk_state_lock (rt, id, err);
  if (lock < 0)
    return -1;
  /* the status is read again below, with the cgroup */
  sk_container_info *info = NULL;
  sk_cgroup *cg = NULL;
  if (open_container (rt, id, true, &info, &cg, err) < 0)
    return -1;
  int ret;
  sk_status want = frozen ? SK_STATUS_RUNNING : SK_STATUS_PAUSED;
  if (info->status != want)
    ret = sk_err_set (err, 0, "container `%s` is %s, not %s", id, sk_status_name (info->status),
                      sk_status_name (want));
  else
    ret = sk_cgroup_freeze (cg, frozen, err);
  sk_cgroup_free (cg);
  sk_container_info_free (info);
  return ret;
}

int
sk_container_pause (const sk_runtime *rt, const char *id, sk_err **err)
{
  return set_frozen (rt, id, true, err);
}

int
sk_container_resume (const sk_runtime *rt, const char *id, sk_err **err)
{
  return set_frozen (rt, id, false, err);
}

int
sk_container_update (const sk_runtime *rt, const char *id, const sk_spec_resources *res,
                     sk_err **err)
{
  sk_container_info *info = NULL;
  sk_cgroup *cg = NULL;
  if (open_container (rt, id, true, &info, &cg, err) < 0)
    return -1;
  int ret = sk_cgroup_update (cg, res, err);
  sk_cgroup_free (cg);
  sk_container_info_free (info);
  return ret;
}

int
sk_container_pids (const sk_runtime *rt, const char *id, pid_t **pids, size_t *n, sk_err **err)
{
  sk_container_info *info = NULL;
  sk_cgroup *cg = NULL;
  if (open_container (rt, id, true, &info, &cg, err) < 0)
    return -1;
  int ret = sk_cgroup_pids (cg, pids, n, err);
  sk_cgroup_free (cg);
  sk_container_info_free (info);
  return ret;
}

int
sk_container_stats (const sk_runtime *rt, const char *id, sk_json **out, sk_err **err)
{
  sk_container_info *info = NULL;
  sk_cgroup *cg = NULL;
  if (open_container (rt, id, true, &info, &cg, err) < 0)
    return -1;
  int ret = sk_cgroup_stats (cg, out, err);
  sk_cgroup_free (cg);
  sk_container_info_free (info);
  return ret;
}

int
sk_container_oom_kills (const sk_runtime *rt, const char *id, uint64_t *count, sk_err **err)
{
  sk_container_info *info = NULL;
  sk_cgroup *cg = NULL;
  if (open_container (rt, id, false, &info, &cg, err) < 0)
    return -1;
  int ret = sk_cgroup_oom_kills (cg, count, err);
  sk_cgroup_free (cg);
  sk_container_info_free (info);
  return ret;
}
