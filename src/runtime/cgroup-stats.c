/* skiff: a container's cgroup statistics and OOM kills, in runc's shapes. */
#include <errno.h>
#include <stdint.h>

#include "cgroup-internal.h"
#include "util/cleanup.h"

static const sk_cg_dir *
dir_for (const sk_cgroup *cg, sk_cg_ctrl c)
{
  return cg->by_ctrl[c] >= 0 ? &cg->dirs[cg->by_ctrl[c]] : NULL;
}

static void
stats_pids (const sk_cg_dir *d, sk_json *out)
{
  _cleanup_err_ sk_err *err = NULL;
  uint64_t cur, max;
  if (sk_cg_read_u64 (d, "pids.current", &cur, &err) < 0)
    return;
  sk_json *o = json_object_new_object ();
  sk_cg_json_u64 (o, "current", cur);
  if (sk_cg_read_u64 (d, "pids.max", &max, &err) == 0)
    sk_cg_json_u64 (o, "limit", max == UINT64_MAX ? 0 : max); /* 0: no limit, as runc */
  json_object_object_add (out, "pids", o);
}

int
sk_cgroup_stats (const sk_cgroup *cg, sk_json **out, sk_err **err)
{
  sk_json *o = json_object_new_object ();
  if (o == NULL)
    return sk_err_set (err, ENOMEM, "stats of `%s`", cg->path);
  const sk_cg_dir *cpu = dir_for (cg, SK_CG_CPU), *acct = dir_for (cg, SK_CG_CPUACCT), *d;
  if ((cpu && cpu->v2) || (acct && acct->v2))
    sk_cg_v2_stats_cpu (cpu && cpu->v2 ? cpu : acct, o);
  else if (cpu || acct)
    sk_cg_v1_stats_cpu (cpu, acct, o);
  if ((d = dir_for (cg, SK_CG_MEMORY)))
    (d->v2 ? sk_cg_v2_stats_memory : sk_cg_v1_stats_memory) (d, o);
  if ((d = dir_for (cg, SK_CG_PIDS)))
    stats_pids (d, o);
  if ((d = dir_for (cg, SK_CG_BLKIO)))
    (d->v2 ? sk_cg_v2_stats_io : sk_cg_v1_stats_blkio) (d, o);
  if ((d = dir_for (cg, SK_CG_HUGETLB)))
    (d->v2 ? sk_cg_v2_stats_hugetlb : sk_cg_v1_stats_hugetlb) (d, sk_cg_hugepage_sizes (), o);
  *out = o;
  return 0;
}

int
sk_cgroup_oom_kills (const sk_cgroup *cg, uint64_t *count, sk_err **err)
{
  const sk_cg_dir *d = dir_for (cg, SK_CG_MEMORY);
  if (d == NULL)
    return sk_cg_error (err, ENOTSUP, "cgroup `%s`: no memory controller is available", cg->path);
  return d->v2 ? sk_cg_v2_oom_kills (d, count, err) : sk_cg_v1_oom_kills (d, count, err);
}
