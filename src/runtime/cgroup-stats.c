/* skiff: a container's cgroup statistics and OOM kills, in runc's shapes. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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

/* "some avg10=0.12 avg60=0.05 avg300=0.01 total=1234" (and "full ...") as
 * {"some":{"avg10","avg60","avg300","total"},"full":{..}}: runc's "psi". */
static sk_json *
psi_object (const char *text)
{
  sk_json *o = NULL;
  for (const char *p = text; p && *p;) {
    char kind[8];
    double a10, a60, a300;
    unsigned long long total;
    if (sscanf (p, "%7s avg10=%lf avg60=%lf avg300=%lf total=%llu", kind, &a10, &a60, &a300,
                &total) == 5 &&
        (strcmp (kind, "some") == 0 || strcmp (kind, "full") == 0)) {
      sk_json *e = json_object_new_object ();
      json_object_object_add (e, "avg10", json_object_new_double (a10));
      json_object_object_add (e, "avg60", json_object_new_double (a60));
      json_object_object_add (e, "avg300", json_object_new_double (a300));
      sk_cg_json_u64 (e, "total", total);
      if (o == NULL)
        o = json_object_new_object ();
      json_object_object_add (o, kind, e);
    }
    p = strchr (p, '\n');
    p = p ? p + 1 : NULL;
  }
  return o;
}

/* The pressure (PSI) the cgroup2 directory gives, as "psi" in the "cpu",
 * "memory" and "blkio" objects (made when the controller's own statistics
 * come from nowhere): on pure v2, and on the hybrid layout, whose cgroup2
 * directory has the pressure files without controllers. */
static void
stats_psi (const sk_cg_dir *d, sk_json *out)
{
  static const char *const files[][2] = {
      {"cpu.pressure", "cpu"}, {"memory.pressure", "memory"}, {"io.pressure", "blkio"}};
  for (size_t i = 0; i < SK_N_ELEMENTS (files); i++) {
    _cleanup_err_ sk_err *err = NULL;
    _cleanup_free_ char *text = NULL;
    sk_json *psi, *o;
    /* absent, or EOPNOTSUPP when the kernel runs with psi=0 */
    if (sk_cg_read_all (d, files[i][0], &text, &err) < 0 || (psi = psi_object (text)) == NULL)
      continue;
    if (!json_object_object_get_ex (out, files[i][1], &o)) {
      o = json_object_new_object ();
      json_object_object_add (out, files[i][1], o);
    }
    json_object_object_add (o, "psi", psi);
  }
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
  if (cg->v2 >= 0)
    stats_psi (&cg->dirs[cg->v2], o);
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
