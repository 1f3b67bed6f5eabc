/* skiff: the cgroup v1 files of each controller: resources, freezer, stats. */
#include "runtime/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

/* ---------------------------------------------------------------- memory */

static void
fmt_i64 (char *buf, size_t size, int64_t v)
{
  snprintf (buf, size, "%" PRId64, v < 0 ? (int64_t) -1 : v);
}

/* memory.limit_in_bytes and memory.memsw.limit_in_bytes: the kernel keeps
 * memsw >= limit, so the order of the writes depends on the direction; the
 * limit goes first, and when that is refused the swap limit goes first. */
static int
memory_limits (const sk_cg_dir *d, const sk_spec_resources *r, sk_err **err)
{
  bool has_l = r->memory.limit.set && r->memory.limit.v != 0;
  bool has_s = r->memory.swap.set && r->memory.swap.v != 0;
  char l[32], s[32];
  fmt_i64 (l, sizeof l, r->memory.limit.v);
  fmt_i64 (s, sizeof s, r->memory.swap.v);
  if (!has_s)
    return has_l ? sk_cg_set (d, "memory.limit", "memory.limit_in_bytes", l, err) : 0;
  if (!has_l)
    return sk_cg_set (d, "memory.swap", "memory.memsw.limit_in_bytes", s, err);
  if (r->memory.swap.v > 0 && r->memory.limit.v > 0 && r->memory.swap.v < r->memory.limit.v)
    return sk_cg_error (err, EINVAL,
                        "linux.resources.memory.swap: %" PRId64 " is below memory.limit %" PRId64,
                        r->memory.swap.v, r->memory.limit.v);
  int ret = sk_cg_write_raw (d, "memory.limit_in_bytes", l);
  if (ret == 0)
    return sk_cg_set (d, "memory.swap", "memory.memsw.limit_in_bytes", s, err);
  if (ret != -EINVAL)
    return sk_cg_fail (d, "memory.limit", "memory.limit_in_bytes", l, ret, err);
  if (sk_cg_set (d, "memory.swap", "memory.memsw.limit_in_bytes", s, err) < 0)
    return -1;
  return sk_cg_set (d, "memory.limit", "memory.limit_in_bytes", l, err);
}

int
sk_cg_v1_memory (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err)
{
  /* memory.kmem.* (kernel, kernelTCP) are ignored: newer kernels dropped them */
  if (update && r->memory.check_before_update &&
      sk_cg_check_usage (d, "memory.usage_in_bytes", r, err) < 0)
    return -1;
  if (memory_limits (d, r, err) < 0)
    return -1;
  if (r->memory.reservation.set && r->memory.reservation.v != 0 &&
      sk_cg_set_i64 (d, "memory.reservation", "memory.soft_limit_in_bytes",
                     r->memory.reservation.v < 0 ? -1 : r->memory.reservation.v, err) < 0)
    return -1;
  if (r->memory.swappiness.set && sk_cg_set_i64 (d, "memory.swappiness", "memory.swappiness",
                                                 (int64_t) r->memory.swappiness.v, err) < 0)
    return -1;
  if (r->memory.disable_oom_killer_set &&
      sk_cg_set (d, "memory.disableOOMKiller", "memory.oom_control",
                 r->memory.disable_oom_killer ? "1" : "0", err) < 0)
    return -1;
  if (r->memory.use_hierarchy_set && sk_cg_set (d, "memory.useHierarchy", "memory.use_hierarchy",
                                                r->memory.use_hierarchy ? "1" : "0", err) < 0)
    return -1;
  return 0;
}

/* ---------------------------------------------------------------- cpu */

/* Writes a period and a runtime/quota whose valid order depends on the
 * current values: period first, and on EINVAL the other one first. */
static int
period_pair (const sk_cg_dir *d, const char *pfield, const char *pfile, bool has_p, int64_t p,
             const char *qfield, const char *qfile, bool has_q, int64_t q, sk_err **err)
{
  char pv[32], qv[32];
  fmt_i64 (pv, sizeof pv, p);
  fmt_i64 (qv, sizeof qv, q);
  if (has_p) {
    int ret = sk_cg_write_raw (d, pfile, pv);
    if (ret == -EINVAL && has_q) {
      if (sk_cg_set (d, qfield, qfile, qv, err) < 0)
        return -1;
      return sk_cg_set (d, pfield, pfile, pv, err);
    }
    if (ret < 0)
      return sk_cg_fail (d, pfield, pfile, pv, ret, err);
  }
  return has_q ? sk_cg_set (d, qfield, qfile, qv, err) : 0;
}

int
sk_cg_v1_cpu (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err)
{
  if (r->cpu.shares.set && r->cpu.shares.v != 0 &&
      sk_cg_set_i64 (d, "cpu.shares", "cpu.shares", (int64_t) r->cpu.shares.v, err) < 0)
    return -1;
  if (period_pair (d, "cpu.period", "cpu.cfs_period_us", r->cpu.period.set && r->cpu.period.v != 0,
                   (int64_t) r->cpu.period.v, "cpu.quota", "cpu.cfs_quota_us",
                   r->cpu.quota.set && r->cpu.quota.v != 0, r->cpu.quota.v, err) < 0)
    return -1;
  if (r->cpu.burst.set &&
      sk_cg_set_i64 (d, "cpu.burst", "cpu.cfs_burst_us", (int64_t) r->cpu.burst.v, err) < 0)
    return -1;
  if (period_pair (d, "cpu.realtimePeriod", "cpu.rt_period_us",
                   r->cpu.realtime_period.set && r->cpu.realtime_period.v != 0,
                   (int64_t) r->cpu.realtime_period.v, "cpu.realtimeRuntime", "cpu.rt_runtime_us",
                   r->cpu.realtime_runtime.set && r->cpu.realtime_runtime.v != 0,
                   r->cpu.realtime_runtime.v, err) < 0)
    return -1;
  if (r->cpu.idle.set && sk_cg_set_i64 (d, "cpu.idle", "cpu.idle", r->cpu.idle.v, err) < 0)
    return -1;
  return 0;
}

/* ---------------------------------------------------------------- cpuset */

/* Copies cpus and mems into a new directory; the leaf's own values come
 * later with the resources. Intermediate directories get clone_children, so
 * that the kernel fills the next containers' directories by itself. */
static int
cpuset_copy (const char *dir, bool is_leaf, const char *cpus, const char *mems,
             const sk_spec_resources *r, sk_err **err)
{
  sk_cg_dir d = {.fd = -1, .path = dir, .v2 = false};
  bool own_cpus = is_leaf && r && r->cpu.cpus && *r->cpu.cpus;
  bool own_mems = is_leaf && r && r->cpu.mems && *r->cpu.mems;
  if (!own_cpus && sk_cg_write (&d, "cpuset.cpus", cpus, err) < 0)
    return -1;
  if (!own_mems && sk_cg_write (&d, "cpuset.mems", mems, err) < 0)
    return -1;
  if (!is_leaf && sk_cg_write (&d, "cgroup.clone_children", "1", err) < 0)
    return -1;
  return 0;
}

/* true when the leaf needs nothing: its values come from r, or the kernel
 * copied them because the parent has clone_children. */
static bool
cpuset_ready (const char *leaf, int first_new, size_t depth, const sk_spec_resources *r)
{
  _cleanup_err_ sk_err *err = NULL;
  char buf[64];
  sk_cg_dir d = {.fd = -1, .path = leaf, .v2 = false};
  if ((size_t) first_new != depth)
    return false; /* new parents need their values too */
  if (r && r->cpu.cpus && *r->cpu.cpus && r->cpu.mems && *r->cpu.mems)
    return true;
  return sk_cg_read (&d, "cpuset.mems", buf, sizeof buf, &err) == 0 && buf[0] != '\0';
}

int
sk_cg_v1_cpuset_fill (const char *leaf, size_t root_len, int first_new, const sk_spec_resources *r,
                      sk_err **err)
{
  char dir[PATH_MAX], cpus[4096], mems[1024];
  size_t len = strlen (leaf), depth = 0;
  for (const char *p = leaf + root_len; *p; p++)
    depth += *p == '/';
  if (len >= sizeof dir)
    return sk_err_set (err, ENAMETOOLONG, "cpuset `%s`", leaf);
  if (cpuset_ready (leaf, first_new, depth, r))
    return 0;
  /* the last directory that existed: the root plus first_new - 1 components */
  size_t at = root_len;
  for (int k = 1; k < first_new && at < len; k++)
    at += strcspn (leaf + at + 1, "/") + 1;
  snprintf (dir, sizeof dir, "%.*s", (int) at, leaf);
  sk_cg_dir parent = {.fd = -1, .path = dir, .v2 = false};
  if (sk_cg_read (&parent, "cpuset.cpus", cpus, sizeof cpus, err) < 0 ||
      sk_cg_read (&parent, "cpuset.mems", mems, sizeof mems, err) < 0)
    return -1;
  while (at < len) {
    at += strcspn (leaf + at + 1, "/") + 1;
    snprintf (dir, sizeof dir, "%.*s", (int) at, leaf);
    if (cpuset_copy (dir, at == len, cpus, mems, r, err) < 0)
      return -1;
  }
  return 0;
}

/* ---------------------------------------------------------------- blkio */

/* blkio.weight (CFQ) or, on kernels with BFQ only, blkio.bfq.weight. */
static int
weight_file (const sk_cg_dir *d, const char *field, const char *file, const char *bfq_file,
             const char *value, sk_err **err)
{
  int ret = sk_cg_write_raw (d, file, value);
  if (ret == -ENOENT)
    ret = sk_cg_write_raw (d, bfq_file, value);
  return ret < 0 ? sk_cg_fail (d, field, ret == -ENOENT ? file : bfq_file, value, ret, err) : 0;
}

static int
blkio_throttles (const sk_cg_dir *d, const sk_spec_resources *r, sk_err **err)
{
  static const char *const files[4] = {
      "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
      "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"};
  static const char *const fields[4] = {
      "blockIO.throttleReadBpsDevice", "blockIO.throttleWriteBpsDevice",
      "blockIO.throttleReadIOPSDevice", "blockIO.throttleWriteIOPSDevice"};
  for (int k = 0; k < 4; k++) {
    for (size_t i = 0; i < r->block_io.n_throttle[k]; i++) {
      const sk_spec_throttle *t = &r->block_io.throttle[k][i];
      char v[64];
      snprintf (v, sizeof v, "%" PRId64 ":%" PRId64 " %" PRIu64, t->major, t->minor, t->rate);
      if (sk_cg_set (d, fields[k], files[k], v, err) < 0)
        return -1;
    }
  }
  return 0;
}

int
sk_cg_v1_blkio (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err)
{
  char v[64];
  if (r->block_io.weight_set && r->block_io.weight != 0) {
    snprintf (v, sizeof v, "%u", r->block_io.weight);
    if (weight_file (d, "blockIO.weight", "blkio.weight", "blkio.bfq.weight", v, err) < 0)
      return -1;
  }
  if (r->block_io.leaf_weight_set && r->block_io.leaf_weight != 0) {
    snprintf (v, sizeof v, "%u", r->block_io.leaf_weight);
    if (sk_cg_set (d, "blockIO.leafWeight", "blkio.leaf_weight", v, err) < 0)
      return -1;
  }
  for (size_t i = 0; i < r->block_io.n_weight_device; i++) {
    const sk_spec_weight_device *w = &r->block_io.weight_device[i];
    if (w->weight_set) {
      snprintf (v, sizeof v, "%" PRId64 ":%" PRId64 " %u", w->major, w->minor, w->weight);
      if (weight_file (d, "blockIO.weightDevice", "blkio.weight_device", "blkio.bfq.weight_device",
                       v, err) < 0)
        return -1;
    }
    if (w->leaf_weight_set) {
      snprintf (v, sizeof v, "%" PRId64 ":%" PRId64 " %u", w->major, w->minor, w->leaf_weight);
      if (sk_cg_set (d, "blockIO.weightDevice", "blkio.leaf_weight_device", v, err) < 0)
        return -1;
    }
  }
  return blkio_throttles (d, r, err);
}

/* ---------------------------------------------------------------- hugetlb, net */

int
sk_cg_v1_hugetlb (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err)
{
  return sk_cg_hugetlb (d, r, "limit_in_bytes", err);
}

int
sk_cg_v1_net_cls (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err)
{
  return sk_cg_set_i64 (d, "network.classID", "net_cls.classid", r->network.class_id, err);
}

int
sk_cg_v1_net_prio (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err)
{
  for (size_t i = 0; i < r->network.n_prio; i++) {
    char v[128];
    snprintf (v, sizeof v, "%s %u", r->network.prio_names[i], r->network.prio_values[i]);
    if (sk_cg_set (d, "network.priorities", "net_prio.ifpriomap", v, err) < 0)
      return -1;
  }
  return 0;
}

/* ---------------------------------------------------------------- devices */

static void
fmt_devnum (char *buf, size_t size, int64_t n)
{
  if (n < 0)
    snprintf (buf, size, "*");
  else
    snprintf (buf, size, "%" PRId64, n);
}

int
sk_cg_v1_devices (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err)
{
  /* the kernel treats any "a" entry as all-or-nothing: it resets the list.
   * Each rule is one write; the two files stay open across the rules. */
  int fds[2] = {-1, -1}; /* deny, allow */
  static const char *const files[2] = {"devices.deny", "devices.allow"};
  int ret = 0;
  for (size_t i = 0; i < r->n_devices && ret == 0; i++) {
    const sk_spec_device_rule *x = &r->devices[i];
    char v[80], ma[24], mi[24];
    if (x->type == 'a') {
      snprintf (v, sizeof v, "a");
    } else {
      fmt_devnum (ma, sizeof ma, x->major);
      fmt_devnum (mi, sizeof mi, x->minor);
      snprintf (v, sizeof v, "%c %s:%s %s", x->type, ma, mi, x->access);
    }
    int k = x->allow ? 1 : 0;
    if (fds[k] < 0 && (fds[k] = sk_cg_open_file (d, files[k], O_WRONLY)) < 0) {
      ret = sk_cg_fail (d, "devices", files[k], v, -errno, err);
      break;
    }
    ssize_t n;
    do
      n = write (fds[k], v, strlen (v));
    while (n < 0 && errno == EINTR);
    if (n < 0)
      ret = sk_cg_fail (d, "devices", files[k], v, -errno, err);
  }
  for (int k = 0; k < 2; k++)
    if (fds[k] >= 0)
      close (fds[k]);
  return ret;
}

/* ---------------------------------------------------------------- freezer */

int
sk_cg_v1_is_frozen (const sk_cg_dir *d, bool *frozen, sk_err **err)
{
  char st[32];
  if (sk_cg_read (d, "freezer.state", st, sizeof st, err) < 0)
    return -1;
  *frozen = strcmp (st, "FROZEN") == 0;
  return 0;
}

int
sk_cg_v1_freeze (const sk_cg_dir *d, bool frozen, sk_err **err)
{
  const char *want = frozen ? "FROZEN" : "THAWED";
  long wait = 50, waited = 0;
  for (int i = 0; waited < 5000000; i++) {
    char st[32];
    /* a task that forks while the cgroup freezes can keep it FREEZING: ask again */
    if (i % 16 == 0 && sk_cg_write (d, "freezer.state", want, err) < 0)
      return -1;
    if (sk_cg_read (d, "freezer.state", st, sizeof st, err) < 0)
      return -1;
    if (strcmp (st, want) == 0)
      return 0;
    sk_cg_sleep_us (wait);
    waited += wait;
    wait = wait < 10000 ? wait * 2 : wait;
  }
  if (frozen)
    sk_cg_write_raw (d, "freezer.state", "THAWED");
  return sk_cg_error (err, ETIMEDOUT, "%s `%s`: timed out", frozen ? "freeze" : "thaw", d->path);
}

int
sk_cg_v1_oom_kills (const sk_cg_dir *d, uint64_t *count, sk_err **err)
{
  char buf[256];
  if (sk_cg_read (d, "memory.oom_control", buf, sizeof buf, err) < 0)
    return -1;
  if (!sk_cg_kv_u64 (buf, "oom_kill", count))
    return sk_cg_error (err, ENOTSUP, "`%s/memory.oom_control` has no oom_kill count", d->path);
  return 0;
}

/* ---------------------------------------------------------------- stats */

static bool
read_u64 (const sk_cg_dir *d, const char *file, uint64_t *v)
{
  _cleanup_err_ sk_err *err = NULL;
  return d && sk_cg_read_u64 (d, file, v, &err) == 0;
}

static void
add_u64_file (sk_json *o, const char *key, const sk_cg_dir *d, const char *file)
{
  uint64_t v;
  if (read_u64 (d, file, &v))
    sk_cg_json_u64 (o, key, v);
}

static char *
read_text (const sk_cg_dir *d, const char *file)
{
  _cleanup_err_ sk_err *err = NULL;
  char *text = NULL;
  if (d == NULL || sk_cg_read_all (d, file, &text, &err) < 0)
    return NULL;
  return text;
}

static sk_json *
percpu_array (const char *text)
{
  sk_json *a = json_object_new_array ();
  for (const char *p = text; *p;) {
    char *end;
    unsigned long long v = strtoull (p, &end, 10);
    if (end == p)
      break;
    json_object_array_add (a, json_object_new_uint64 (v));
    p = end;
  }
  return a;
}

void
sk_cg_v1_stats_cpu (const sk_cg_dir *cpu, const sk_cg_dir *cpuacct, sk_json *out)
{
  sk_json *o = json_object_new_object (), *usage = json_object_new_object ();
  add_u64_file (usage, "total", cpuacct, "cpuacct.usage");
  _cleanup_free_ char *percpu = read_text (cpuacct, "cpuacct.usage_percpu");
  if (percpu)
    json_object_object_add (usage, "percpu", percpu_array (percpu));
  _cleanup_free_ char *stat = read_text (cpuacct, "cpuacct.stat");
  uint64_t v;
  long hz = sysconf (_SC_CLK_TCK);
  if (hz <= 0)
    hz = 100;
  if (stat && sk_cg_kv_u64 (stat, "system", &v))
    sk_cg_json_u64 (usage, "kernel", v * (1000000000u / (uint64_t) hz));
  if (stat && sk_cg_kv_u64 (stat, "user", &v))
    sk_cg_json_u64 (usage, "user", v * (1000000000u / (uint64_t) hz));
  json_object_object_add (o, "usage", usage);
  _cleanup_free_ char *cstat = read_text (cpu, "cpu.stat");
  if (cstat) {
    sk_json *t = json_object_new_object ();
    if (sk_cg_kv_u64 (cstat, "nr_periods", &v))
      sk_cg_json_u64 (t, "periods", v);
    if (sk_cg_kv_u64 (cstat, "nr_throttled", &v))
      sk_cg_json_u64 (t, "throttledPeriods", v);
    if (sk_cg_kv_u64 (cstat, "throttled_time", &v))
      sk_cg_json_u64 (t, "throttledTime", v);
    json_object_object_add (o, "throttling", t);
  }
  json_object_object_add (out, "cpu", o);
}

/* {"usage","max","limit","failcnt"} from <prefix>.usage_in_bytes etc. */
static sk_json *
memory_entry (const sk_cg_dir *d, const char *prefix)
{
  static const char *const keys[4][2] = {{"usage", "usage_in_bytes"},
                                         {"max", "max_usage_in_bytes"},
                                         {"limit", "limit_in_bytes"},
                                         {"failcnt", "failcnt"}};
  sk_json *o = NULL;
  for (int k = 0; k < 4; k++) {
    char file[96];
    uint64_t v;
    snprintf (file, sizeof file, "%s.%s", prefix, keys[k][1]);
    if (!read_u64 (d, file, &v))
      continue;
    if (o == NULL)
      o = json_object_new_object ();
    sk_cg_json_u64 (o, keys[k][0], v);
  }
  return o;
}

void
sk_cg_v1_stats_memory (const sk_cg_dir *d, sk_json *out)
{
  sk_json *o = json_object_new_object (), *e;
  if ((e = memory_entry (d, "memory")))
    json_object_object_add (o, "usage", e);
  if ((e = memory_entry (d, "memory.memsw")))
    json_object_object_add (o, "swap", e);
  _cleanup_free_ char *stat = read_text (d, "memory.stat");
  if (stat) {
    uint64_t v;
    sk_json *raw = json_object_new_object ();
    if (sk_cg_kv_u64 (stat, "cache", &v))
      sk_cg_json_u64 (o, "cache", v);
    sk_cg_json_flat (raw, stat);
    json_object_object_add (o, "raw", raw);
  }
  json_object_object_add (out, "memory", o);
}

/* "8:0 Read 4096" lines into [{"major","minor","op","value"}]. */
static sk_json *
blkio_entries (const char *text)
{
  sk_json *a = json_object_new_array ();
  for (const char *p = text; p && *p;) {
    unsigned maj, min;
    char op[16];
    unsigned long long v;
    if (sscanf (p, "%u:%u %15s %llu", &maj, &min, op, &v) == 4) {
      sk_json *e = json_object_new_object ();
      sk_cg_json_u64 (e, "major", maj);
      sk_cg_json_u64 (e, "minor", min);
      json_object_object_add (e, "op", json_object_new_string (op));
      sk_cg_json_u64 (e, "value", v);
      json_object_array_add (a, e);
    }
    p = strchr (p, '\n');
    p = p ? p + 1 : NULL;
  }
  return a;
}

void
sk_cg_v1_stats_blkio (const sk_cg_dir *d, sk_json *out)
{
  sk_json *o = json_object_new_object ();
  _cleanup_free_ char *bytes = read_text (d, "blkio.throttle.io_service_bytes_recursive");
  _cleanup_free_ char *ios = read_text (d, "blkio.throttle.io_serviced_recursive");
  if (bytes)
    json_object_object_add (o, "ioServiceBytesRecursive", blkio_entries (bytes));
  if (ios)
    json_object_object_add (o, "ioServicedRecursive", blkio_entries (ios));
  json_object_object_add (out, "blkio", o);
}

void
sk_cg_v1_stats_hugetlb (const sk_cg_dir *d, char **sizes, sk_json *out)
{
  sk_json *o = json_object_new_object (), *e;
  for (size_t i = 0; sizes && sizes[i]; i++) {
    char prefix[64];
    snprintf (prefix, sizeof prefix, "hugetlb.%s", sizes[i]);
    if ((e = memory_entry (d, prefix)))
      json_object_object_add (o, sizes[i], e);
  }
  json_object_object_add (out, "hugetlb", o);
}
