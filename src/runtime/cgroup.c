/* skiff: cgroups over v1, hybrid and v2; see cgroup.h and cgroup-internal.h.
 *
 * This file detects the layout (once per process), validates and resolves
 * paths, creates/opens/destroys the directories, dispatches each resource to
 * the hierarchy whose controller provides it, and implements what is the same
 * on both versions (enter, pids, kill, pids.max, cpuset).
 */
#include "runtime/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strbuf.h"

/* ---------------------------------------------------------------- helpers */

static uint64_t
now_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

/* ---------------------------------------------------------------- the object */

static sk_cgroup *
cg_new (const sk_cg_layout *l, const char *path)
{
  sk_cgroup *cg = calloc (1, sizeof *cg);
  if (cg == NULL)
    return NULL;
  cg->layout = l;
  cg->path = sk_cg_normalize (path);
  cg->pub = calloc (l->n, sizeof *cg->pub);
  cg->dirs = calloc (l->n, sizeof *cg->dirs);
  cg->mounts = calloc (l->n, sizeof *cg->mounts);
  cg->v2 = -1;
  if (cg->path == NULL || cg->pub == NULL || cg->dirs == NULL || cg->mounts == NULL) {
    sk_cgroup_free (cg);
    return NULL;
  }
  return cg;
}

/* Appends the directory of mount m (fd may be -1 for now); takes `dir`. */
static void
cg_add (sk_cgroup *cg, const sk_cg_mount *m, char *dir, int fd)
{
  size_t i = cg->n++;
  cg->mounts[i] = m;
  cg->dirs[i] = (sk_cg_dir){.fd = fd, .path = dir, .v2 = m->v2};
  cg->pub[i] = (sk_cgroup_hierarchy){
      .mountpoint = m->mountpoint, .controllers = m->controllers, .v2 = m->v2, .dir = dir};
  if (m->v2)
    cg->v2 = (int) i;
}

/* Which directory serves each controller: a v1 hierarchy that has it, else
 * the cgroup2 one when it has it (devices and the freezer are always there on
 * cgroup2, and so is cpu.stat). */
static void
cg_route (sk_cgroup *cg)
{
  for (int c = 0; c < SK_CG_N_CTRL; c++) {
    cg->by_ctrl[c] = -1;
    for (size_t i = 0; i < cg->n && cg->by_ctrl[c] < 0; i++)
      if (!cg->dirs[i].v2 && (cg->mounts[i]->mask & SK_CG_BIT (c)))
        cg->by_ctrl[c] = (int) i;
    if (cg->by_ctrl[c] >= 0 || cg->v2 < 0)
      continue;
    bool core = c == SK_CG_DEVICES || c == SK_CG_FREEZER || c == SK_CG_CPUACCT;
    if (core || (cg->mounts[cg->v2]->mask & SK_CG_BIT (c)))
      cg->by_ctrl[c] = cg->v2;
  }
}

void
sk_cgroup_free (sk_cgroup *cg)
{
  if (cg == NULL)
    return;
  for (size_t i = 0; i < cg->n; i++) {
    if (cg->dirs[i].fd >= 0)
      close (cg->dirs[i].fd);
    free ((char *) cg->dirs[i].path);
  }
  free (cg->pub);
  free (cg->dirs);
  free (cg->mounts);
  free (cg->first_new);
  free (cg->path);
  free (cg);
}

const char *
sk_cgroup_path (const sk_cgroup *cg)
{
  return cg ? cg->path : "";
}

size_t
sk_cgroup_hierarchies (const sk_cgroup *cg, const sk_cgroup_hierarchy **out)
{
  *out = cg ? cg->pub : NULL;
  return cg ? cg->n : 0;
}

int
sk_cgroup_v2_dirfd (const sk_cgroup *cg)
{
  if (cg == NULL || cg->v2 < 0)
    return -1;
  return cg->dirs[cg->v2].fd;
}

static int
open_dir (const char *path)
{
  return open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int
sk_cgroup_open (const char *path, sk_cgroup **out, sk_err **err)
{
  if (sk_cg_check_path (path, err) < 0)
    return -1;
  const sk_cg_layout *l = sk_cg_layout_get (err);
  if (l == NULL)
    return -1;
  sk_cgroup *cg = cg_new (l, path);
  if (cg == NULL)
    return sk_err_set (err, ENOMEM, "open cgroup `%s`", path);
  for (size_t i = 0; i < l->n; i++) {
    char *dir = sk_path_join (l->mounts[i].mountpoint, cg->path);
    int fd = dir ? open_dir (dir) : -1;
    if (fd < 0 && dir && errno == ENOENT) {
      free (dir);
      continue;
    }
    if (fd < 0) {
      sk_err_set (err, dir ? errno : ENOMEM, "open `%s`", dir ? dir : path);
      free (dir);
      sk_cgroup_free (cg);
      return -1;
    }
    if (!l->mounts[i].v2) {
      close (fd); /* v1 files are opened by path */
      fd = -1;
    }
    cg_add (cg, &l->mounts[i], dir, fd);
  }
  if (cg->n == 0) {
    sk_cgroup_free (cg);
    return sk_err_set (err, ENOENT, "cgroup `%s`", path);
  }
  cg_route (cg);
  *out = cg;
  return 0;
}

/* ---------------------------------------------------------------- resources */


static const char *
memory_requested (const sk_spec_resources *r)
{
  /* 0 leaves a limit as it is (runc does the same); kernel memory is ignored */
  if (r->memory.limit.set && r->memory.limit.v != 0)
    return "memory.limit";
  if (r->memory.reservation.set && r->memory.reservation.v != 0)
    return "memory.reservation";
  if (r->memory.swap.set && r->memory.swap.v != 0)
    return "memory.swap";
  if (r->memory.swappiness.set)
    return "memory.swappiness";
  if (r->memory.disable_oom_killer_set)
    return "memory.disableOOMKiller";
  if (r->memory.use_hierarchy_set)
    return "memory.useHierarchy";
  return NULL;
}

static const char *
cpu_requested (const sk_spec_resources *r)
{
  if (r->cpu.shares.set && r->cpu.shares.v != 0)
    return "cpu.shares";
  if (r->cpu.quota.set && r->cpu.quota.v != 0)
    return "cpu.quota";
  if (r->cpu.period.set && r->cpu.period.v != 0)
    return "cpu.period";
  if (r->cpu.burst.set)
    return "cpu.burst";
  if (r->cpu.realtime_runtime.set && r->cpu.realtime_runtime.v != 0)
    return "cpu.realtimeRuntime";
  if (r->cpu.realtime_period.set && r->cpu.realtime_period.v != 0)
    return "cpu.realtimePeriod";
  if (r->cpu.idle.set)
    return "cpu.idle";
  return NULL;
}

static const char *
cpuset_requested (const sk_spec_resources *r)
{
  if (r->cpu.cpus && *r->cpu.cpus)
    return "cpu.cpus";
  if (r->cpu.mems && *r->cpu.mems)
    return "cpu.mems";
  return NULL;
}

static const char *
pids_requested (const sk_spec_resources *r)
{
  return r->pids.limit.set ? "pids.limit" : NULL;
}

static const char *
blkio_requested (const sk_spec_resources *r)
{
  static const char *const throttles[4] = {
      "blockIO.throttleReadBpsDevice", "blockIO.throttleWriteBpsDevice",
      "blockIO.throttleReadIOPSDevice", "blockIO.throttleWriteIOPSDevice"};
  if (r->block_io.weight_set && r->block_io.weight != 0)
    return "blockIO.weight";
  if (r->block_io.leaf_weight_set && r->block_io.leaf_weight != 0)
    return "blockIO.leafWeight";
  if (r->block_io.n_weight_device)
    return "blockIO.weightDevice";
  for (int k = 0; k < 4; k++)
    if (r->block_io.n_throttle[k])
      return throttles[k];
  return NULL;
}

static const char *
hugetlb_requested (const sk_spec_resources *r)
{
  return r->n_hugepages ? "hugepageLimits" : NULL;
}

static const char *
devices_requested (const sk_spec_resources *r)
{
  return r->n_devices ? "devices" : NULL;
}

static const char *
net_cls_requested (const sk_spec_resources *r)
{
  return r->network.class_id_set ? "network.classID" : NULL;
}

static const char *
net_prio_requested (const sk_spec_resources *r)
{
  return r->network.n_prio ? "network.priorities" : NULL;
}

/* pids.max and cpuset.{cpus,mems} have the same names on both versions. */
static int
pids_apply (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err)
{
  if (r->pids.limit.v <= 0)
    return sk_cg_set (d, "pids.limit", "pids.max", "max", err);
  return sk_cg_set_i64 (d, "pids.limit", "pids.max", r->pids.limit.v, err);
}

static int
cpuset_apply (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err)
{
  if (r->cpu.cpus && *r->cpu.cpus && sk_cg_set (d, "cpu.cpus", "cpuset.cpus", r->cpu.cpus, err) < 0)
    return -1;
  if (r->cpu.mems && *r->cpu.mems && sk_cg_set (d, "cpu.mems", "cpuset.mems", r->cpu.mems, err) < 0)
    return -1;
  return 0;
}

typedef int (*apply_fn) (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err);

typedef struct handler {
  sk_cg_ctrl ctrl;
  const char *(*requested) (const sk_spec_resources *r); /* the first field set, or NULL */
  apply_fn v1, v2;                                       /* v2 NULL: not on cgroup2 */
} handler;

static const handler handlers[] = {
    {SK_CG_CPUSET, cpuset_requested, cpuset_apply, cpuset_apply},
    {SK_CG_MEMORY, memory_requested, sk_cg_v1_memory, sk_cg_v2_memory},
    {SK_CG_CPU, cpu_requested, sk_cg_v1_cpu, sk_cg_v2_cpu},
    {SK_CG_PIDS, pids_requested, pids_apply, pids_apply},
    {SK_CG_BLKIO, blkio_requested, sk_cg_v1_blkio, sk_cg_v2_io},
    {SK_CG_HUGETLB, hugetlb_requested, sk_cg_v1_hugetlb, sk_cg_v2_hugetlb},
    {SK_CG_DEVICES, devices_requested, sk_cg_v1_devices, sk_cg_v2_devices},
    {SK_CG_NET_CLS, net_cls_requested, sk_cg_v1_net_cls, NULL},
    {SK_CG_NET_PRIO, net_prio_requested, sk_cg_v1_net_prio, NULL},
};

static int
apply (const sk_cgroup *cg, const sk_spec_resources *r, bool update, sk_err **err)
{
  if (r == NULL)
    return 0;
  for (size_t k = 0; k < SK_N_ELEMENTS (handlers); k++) {
    const handler *h = &handlers[k];
    const char *field = h->requested (r);
    if (field == NULL)
      continue;
    int i = cg->by_ctrl[h->ctrl];
    if (i < 0 && h->v2 == NULL && cg->layout->mode == SK_CGROUP_V2)
      return sk_cg_unsupported_v2 (field, err);
    if (i < 0) {
      sk_err_set (err, 0, "linux.resources.%s: the %s cgroup controller is not available", field,
                  sk_cg_ctrl_name (h->ctrl));
      return sk_cg_set_errnum (err, ENOTSUP);
    }
    const sk_cg_dir *d = &cg->dirs[i];
    if (d->v2 && h->v2 == NULL)
      return sk_cg_unsupported_v2 (field, err);
    if ((d->v2 ? h->v2 : h->v1) (d, r, update, err) < 0)
      return -1;
  }
  if (r->unified_keys && r->unified_keys[0]) {
    if (cg->v2 < 0) {
      sk_err_set (err, 0, "linux.resources.unified: no cgroup2 hierarchy is mounted");
      return sk_cg_set_errnum (err, ENOTSUP);
    }
    return sk_cg_v2_unified (&cg->dirs[cg->v2], r, update, err);
  }
  return 0;
}

int
sk_cgroup_update (const sk_cgroup *cg, const sk_spec_resources *res, sk_err **err)
{
  return apply (cg, res, true, err);
}

/* ---------------------------------------------------------------- create */

static int
depth_of (const char *rel)
{
  int n = 0;
  for (const char *p = rel; *p; p++)
    n += *p == '/';
  return n;
}

static int
exists_error (const char *cgpath, sk_err **err)
{
  sk_err_set (err, 0, "cgroup `%s` already exists", cgpath);
  return sk_cg_set_errnum (err, EEXIST);
}

/* mkdir -p of `full`, whose first root_len bytes are the hierarchy's root;
 * the leaf must be new. *first_new is the depth of the first directory made
 * (1 = the first component below the root), 0 when none was. */
static int
make_dirs (char *full, size_t root_len, const char *cgpath, int *first_new, sk_err **err)
{
  *first_new = 0;
  if (mkdir (full, 0755) == 0) {
    *first_new = depth_of (full + root_len);
    return 0;
  }
  if (errno == EEXIST)
    return exists_error (cgpath, err);
  if (errno != ENOENT)
    return sk_err_set (err, errno, "mkdir `%s`", full);
  int depth = 0;
  for (char *p = full + root_len + 1;; p++) {
    if (*p != '/' && *p != '\0')
      continue;
    char saved = *p;
    depth++;
    *p = '\0';
    if (mkdir (full, 0755) == 0) {
      if (*first_new == 0)
        *first_new = depth;
    } else if (errno != EEXIST) {
      sk_err_set (err, errno, "mkdir `%s`", full);
      *p = saved;
      return -1;
    } else if (saved == '\0') {
      return exists_error (cgpath, err);
    }
    *p = saved;
    if (saved == '\0')
      return 0;
  }
}

/* Removes the directories make_dirs made, leaf first. Failures are ignored:
 * a parent may be in use by another container by now. */
static void
remove_new_dirs (const char *full, size_t root_len, int first_new)
{
  if (first_new <= 0)
    return;
  _cleanup_free_ char *p = strdup (full);
  if (p == NULL)
    return;
  for (int depth = depth_of (p + root_len); depth >= first_new; depth--) {
    rmdir (p);
    char *slash = strrchr (p, '/');
    if (slash == NULL)
      break;
    *slash = '\0';
  }
}

static int
prepare_dir (sk_cgroup *cg, size_t i, int first_new, const sk_spec_resources *res, sk_err **err)
{
  const sk_cg_mount *m = cg->mounts[i];
  sk_cg_dir *d = &cg->dirs[i];
  size_t root_len = strlen (m->mountpoint);
  if (!m->v2 && (m->mask & SK_CG_BIT (SK_CG_CPUSET)) && first_new > 0 &&
      sk_cg_v1_cpuset_fill (d->path, root_len, first_new, res, err) < 0)
    return -1;
  if (!m->v2)
    return 0;
  d->fd = open_dir (d->path);
  if (d->fd < 0)
    return sk_err_set (err, errno, "open `%s`", d->path);
  return sk_cg_v2_enable_controllers (m, d, cg->path, first_new, res, err);
}

/* Removes what this process made (directories it created), nothing else. */
static void
remove_made (sk_cgroup *cg)
{
  for (size_t i = 0; i < cg->n; i++) {
    if (cg->dirs[i].fd >= 0)
      close (cg->dirs[i].fd);
    cg->dirs[i].fd = -1;
    if (cg->first_new)
      remove_new_dirs (cg->dirs[i].path, strlen (cg->mounts[i]->mountpoint), cg->first_new[i]);
  }
}

int
sk_cgroup_create_begin (const char *path, const sk_spec_resources *res, sk_cgroup **out,
                        sk_err **err)
{
  if (sk_cg_check_path (path, err) < 0)
    return -1;
  const sk_cg_layout *l = sk_cg_layout_get (err);
  if (l == NULL)
    return -1;
  sk_cgroup *cg = cg_new (l, path);
  if (cg)
    cg->first_new = calloc (l->n, sizeof (int));
  if (cg == NULL || cg->first_new == NULL) {
    sk_cgroup_free (cg);
    return sk_err_set (err, ENOMEM, "create cgroup `%s`", path);
  }
  for (size_t i = 0; i < l->n; i++) {
    char *dir = sk_path_join (l->mounts[i].mountpoint, cg->path);
    if (dir == NULL) {
      sk_cgroup_free (cg);
      return sk_err_set (err, ENOMEM, "create cgroup `%s`", path);
    }
    cg_add (cg, &l->mounts[i], dir, -1);
  }
  /* the cgroup2 directory first: clone3 needs it */
  int v2 = cg->v2;
  if (v2 >= 0 &&
      (make_dirs ((char *) cg->dirs[v2].path, strlen (cg->mounts[v2]->mountpoint), cg->path,
                  &cg->first_new[v2], err) < 0 ||
       prepare_dir (cg, (size_t) v2, cg->first_new[v2], res, err) < 0)) {
    remove_made (cg);
    sk_cgroup_free (cg);
    return -1;
  }
  *out = cg;
  return 0;
}

int
sk_cgroup_create_finish (sk_cgroup *cg, const sk_spec_resources *res, sk_err **err)
{
  if (cg == NULL)
    return 0;
  for (size_t i = 0; i < cg->n; i++) {
    if ((int) i == cg->v2)
      continue;
    if (make_dirs ((char *) cg->dirs[i].path, strlen (cg->mounts[i]->mountpoint), cg->path,
                   &cg->first_new[i], err) < 0 ||
        prepare_dir (cg, i, cg->first_new[i], res, err) < 0)
      return -1;
  }
  cg_route (cg);
  return apply (cg, res, false, err);
}

int
sk_cgroup_create (const char *path, const sk_spec_resources *res, sk_cgroup **out, sk_err **err)
{
  sk_cgroup *cg = NULL;
  if (sk_cgroup_create_begin (path, res, &cg, err) < 0)
    return -1;
  if (sk_cgroup_create_finish (cg, res, err) < 0) {
    remove_made (cg);
    sk_cgroup_free (cg);
    return -1;
  }
  *out = cg;
  return 0;
}

void
sk_cgroup_undo (sk_cgroup *cg)
{
  if (cg == NULL)
    return;
  _cleanup_err_ sk_err *ignored = NULL;
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  if (sk_cgroup_pids (cg, &pids, &n, &ignored) == 0 && n > 0)
    sk_cgroup_kill_all (cg, SIGKILL, &ignored);
  remove_made (cg);
}

/* ---------------------------------------------------------------- processes */

int
sk_cgroup_enter (const sk_cgroup *cg, pid_t pid, sk_err **err)
{
  if (cg == NULL)
    return 0;
  char buf[24];
  snprintf (buf, sizeof buf, "%d", (int) pid);
  for (size_t i = 0; i < cg->n; i++)
    if (sk_cg_write (&cg->dirs[i], "cgroup.procs", buf, err) < 0)
      return -1;
  return 0;
}

int
sk_cgroup_enter_self (const sk_cgroup *cg, bool v2_done, sk_err **err)
{
  if (cg == NULL)
    return 0;
  for (size_t i = 0; i < cg->n; i++) {
    const sk_cg_dir *d = &cg->dirs[i];
    if (d->v2 && v2_done)
      continue;
    if (sk_cg_write (d, d->v2 ? "cgroup.procs" : "tasks", "0", err) < 0)
      return -1;
  }
  return 0;
}

/* The directory whose cgroup.procs lists the container's processes. */
static const sk_cg_dir *
primary_dir (const sk_cgroup *cg)
{
  if (cg->layout->mode == SK_CGROUP_V2 && cg->v2 >= 0)
    return &cg->dirs[cg->v2];
  int f = cg->by_ctrl[SK_CG_FREEZER];
  if (f >= 0 && !cg->dirs[f].v2)
    return &cg->dirs[f];
  for (size_t i = 0; i < cg->n; i++)
    if (!cg->dirs[i].v2 && cg->mounts[i]->mask)
      return &cg->dirs[i];
  return &cg->dirs[0];
}

typedef struct pidvec {
  pid_t *v;
  size_t n, alloc;
} pidvec;

static int
pidvec_parse (pidvec *pv, const char *text)
{
  for (const char *p = text; *p;) {
    char *end;
    long pid = strtol (p, &end, 10);
    if (end == p)
      break;
    if (pv->n == pv->alloc) {
      size_t na = pv->alloc ? pv->alloc * 2 : 16;
      pid_t *v = realloc (pv->v, na * sizeof *v);
      if (v == NULL)
        return -1;
      pv->v = v;
      pv->alloc = na;
    }
    pv->v[pv->n++] = (pid_t) pid;
    p = end;
    while (*p == '\n')
      p++;
  }
  return 0;
}

static int
collect_pids (int dirfd, const char *path, pidvec *pv, int depth, sk_err **err)
{
  _cleanup_free_ char *text = NULL;
  if (sk_read_file_at (dirfd, "cgroup.procs", &text, NULL, err) < 0)
    return sk_err_wrap (err, "`%s`", path);
  if (pidvec_parse (pv, text) < 0)
    return sk_err_set (err, ENOMEM, "pids of `%s`", path);
  int fd = openat (dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  _cleanup_closedir_ DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
  if (d == NULL) {
    if (fd >= 0)
      close (fd);
    return sk_err_set (err, errno, "open `%s`", path);
  }
  struct dirent *de;
  while ((de = readdir (d))) {
    if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
      continue;
    _cleanup_free_ char *sub = sk_path_join (path, de->d_name);
    _cleanup_close_ int subfd = openat (dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (subfd < 0 && errno == ENOENT)
      continue; /* removed meanwhile */
    if (sub == NULL || subfd < 0)
      return sk_err_set (err, sub ? errno : ENOMEM, "open `%s/%s`", path, de->d_name);
    if (depth > 64)
      return sk_err_set (err, ELOOP, "`%s`: too deep", sub);
    if (collect_pids (subfd, sub, pv, depth + 1, err) < 0)
      return -1;
  }
  return 0;
}

int
sk_cgroup_pids (const sk_cgroup *cg, pid_t **pids, size_t *n, sk_err **err)
{
  const sk_cg_dir *d = primary_dir (cg);
  pidvec pv = {NULL, 0, 0};
  _cleanup_close_ int fd = d->fd >= 0 ? dup (d->fd) : open_dir (d->path);
  if (fd < 0)
    return sk_err_set (err, errno, "open `%s`", d->path);
  if (collect_pids (fd, d->path, &pv, 0, err) < 0) {
    free (pv.v);
    return -1;
  }
  *pids = pv.v;
  *n = pv.n;
  return 0;
}

int
sk_cgroup_freeze (const sk_cgroup *cg, bool frozen, sk_err **err)
{
  int i = cg->by_ctrl[SK_CG_FREEZER];
  if (i < 0)
    return sk_cg_error (err, ENOTSUP, "freeze cgroup `%s`: no freezer is available", cg->path);
  return cg->dirs[i].v2 ? sk_cg_v2_freeze (&cg->dirs[i], frozen, err)
                        : sk_cg_v1_freeze (&cg->dirs[i], frozen, err);
}

int
sk_cgroup_is_frozen (const sk_cgroup *cg, bool *frozen, sk_err **err)
{
  int i = cg->by_ctrl[SK_CG_FREEZER];
  if (i < 0)
    return sk_cg_error (err, ENOTSUP, "cgroup `%s`: no freezer is available", cg->path);
  return cg->dirs[i].v2 ? sk_cg_v2_is_frozen (&cg->dirs[i], frozen, err)
                        : sk_cg_v1_is_frozen (&cg->dirs[i], frozen, err);
}

static int
signal_each (const sk_cgroup *cg, int sig, sk_err **err)
{
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  if (sk_cgroup_pids (cg, &pids, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (kill (pids[i], sig) < 0 && errno != ESRCH)
      return sk_err_set (err, errno, "kill %d", (int) pids[i]);
  return 0;
}

int
sk_cgroup_kill_all (const sk_cgroup *cg, int sig, sk_err **err)
{
  if (sig == SIGKILL && cg->layout->mode == SK_CGROUP_V2 && cg->v2 >= 0) {
    int r = sk_cg_v2_kill (&cg->dirs[cg->v2], err);
    if (r <= 0)
      return r; /* done, or failed; 1: no cgroup.kill */
  }
  _cleanup_err_ sk_err *ignored = NULL;
  bool was_frozen = false, froze = false;
  if (cg->by_ctrl[SK_CG_FREEZER] >= 0 && sk_cgroup_is_frozen (cg, &was_frozen, &ignored) == 0 &&
      !was_frozen)
    froze = sk_cgroup_freeze (cg, true, &ignored) == 0;
  sk_err_free (&ignored);
  int ret = signal_each (cg, sig, err);
  /* thaw even when signalling failed; report the first error */
  if ((froze || (was_frozen && sig == SIGKILL)) && sk_cgroup_freeze (cg, false, &ignored) < 0 &&
      ret == 0) {
    if (err && *err == NULL)
      *err = steal_ptr (ignored);
    ret = -1;
  }
  return ret;
}

/* rmdir of a cgroup directory, its descendants first; 0 or -errno. The
 * directory is only read when the kernel refuses the rmdir. */
static int
rmdir_tree (const char *path, int depth)
{
  if (rmdir (path) == 0 || errno == ENOENT)
    return 0;
  int busy = -errno;
  if (busy != -EBUSY && busy != -ENOTEMPTY)
    return busy;
  DIR *d = opendir (path);
  if (d == NULL)
    return errno == ENOENT ? 0 : -errno;
  struct dirent *de;
  bool children = false;
  int r = 0;
  while (r == 0 && (de = readdir (d))) {
    if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
      continue;
    _cleanup_free_ char *sub = sk_path_join (path, de->d_name);
    children = true;
    r = sub == NULL ? -ENOMEM : depth > 64 ? -ELOOP : rmdir_tree (sub, depth + 1);
  }
  closedir (d);
  if (r < 0 || !children)
    return r < 0 ? r : busy; /* no children: processes are still leaving */
  if (rmdir (path) < 0 && errno != ENOENT)
    return -errno;
  return 0;
}

static int
remove_dir (const sk_cgroup *cg, const char *path, uint64_t deadline, sk_err **err)
{
  long wait = 100;
  for (int tries = 1;; tries++) {
    int r = rmdir_tree (path, 0);
    if (r == 0)
      return 0;
    if ((r != -EBUSY && r != -ENOTEMPTY) || now_us () > deadline)
      return sk_err_set (err, -r, "remove cgroup `%s`", path);
    if (tries % 8 == 0) {
      _cleanup_err_ sk_err *ignored = NULL;
      sk_cgroup_kill_all (cg, SIGKILL, &ignored);
    }
    sk_cg_sleep_us (wait);
    wait = wait < 16000 ? wait * 2 : wait;
  }
}

int
sk_cgroup_destroy (sk_cgroup *cg, sk_err **err)
{
  if (cg == NULL)
    return 0;
  _cleanup_err_ sk_err *ignored = NULL;
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  if (sk_cgroup_pids (cg, &pids, &n, &ignored) == 0 && n > 0)
    sk_cgroup_kill_all (cg, SIGKILL, &ignored);
  uint64_t deadline = now_us () + 1000000;
  int ret = 0;
  for (size_t i = 0; i < cg->n; i++)
    if (remove_dir (cg, cg->dirs[i].path, deadline, err) < 0)
      ret = -1;
  return ret;
}
