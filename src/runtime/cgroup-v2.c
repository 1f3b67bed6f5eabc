/* skiff: the cgroup2 files: resources, subtree_control, freeze, kill, stats.
 *
 * On a hybrid host the same code serves the controllers that sit in the
 * cgroup2 mount (hugetlb on some hosts).
 */
#include "runtime/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

/* "max" for a negative value (unlimited), else the number. */
static void
fmt_max (char *buf, size_t size, int64_t v)
{
  if (v < 0)
    snprintf (buf, size, "max");
  else
    snprintf (buf, size, "%" PRId64, v);
}

/* ---------------------------------------------------------------- memory */

/* OCI's swap is memory plus swap; memory.swap.max is swap alone. */
static int
swap_value (const sk_cg_dir *d, const sk_spec_resources *r, char *buf, size_t size, sk_err **err)
{
  int64_t swap = r->memory.swap.v, limit;
  if (swap < 0) {
    snprintf (buf, size, "max");
    return 0;
  }
  if (r->memory.limit.set && r->memory.limit.v != 0) {
    limit = r->memory.limit.v;
  } else {
    uint64_t cur;
    if (sk_cg_read_u64 (d, "memory.max", &cur, err) < 0)
      return -1;
    limit = cur == UINT64_MAX ? -1 : (int64_t) cur;
  }
  if (limit < 0)
    return sk_cg_error (err, EINVAL,
                        "linux.resources.memory.swap: needs memory.limit on cgroup v2 "
                        "(swap is memory plus swap)");
  if (swap < limit)
    return sk_cg_error (err, EINVAL,
                        "linux.resources.memory.swap: %" PRId64 " is below memory.limit %" PRId64,
                        swap, limit);
  snprintf (buf, size, "%" PRId64, swap - limit);
  return 0;
}

int
sk_cg_v2_memory (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err)
{
  /* swappiness has no cgroup2 file and is ignored, as runc and crun do;
   * useHierarchy is always on; kernel memory limits are gone */
  char v[32];
  if (r->memory.disable_oom_killer_set && r->memory.disable_oom_killer)
    return sk_cg_unsupported_v2 ("memory.disableOOMKiller", err);
  if (update && r->memory.check_before_update &&
      sk_cg_check_usage (d, "memory.current", r, err) < 0)
    return -1;
  if (r->memory.limit.set && r->memory.limit.v != 0) {
    fmt_max (v, sizeof v, r->memory.limit.v);
    if (sk_cg_set (d, "memory.limit", "memory.max", v, err) < 0)
      return -1;
  }
  if (r->memory.swap.set && r->memory.swap.v != 0) {
    if (swap_value (d, r, v, sizeof v, err) < 0 ||
        sk_cg_set (d, "memory.swap", "memory.swap.max", v, err) < 0)
      return -1;
  }
  if (r->memory.reservation.set && r->memory.reservation.v != 0) {
    fmt_max (v, sizeof v, r->memory.reservation.v);
    if (sk_cg_set (d, "memory.reservation", "memory.low", v, err) < 0)
      return -1;
  }
  return 0;
}

/* ---------------------------------------------------------------- cpu */

static uint64_t
shares_to_weight (uint64_t shares)
{
  if (shares < 2)
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  uint64_t w = 1 + ((shares - 2) * 9999) / 262142;
  return w > 10000 ? 10000 : w;
}

/* cpu.max is "quota period"; a lone period keeps the current quota. */
static int
cpu_max (const sk_cg_dir *d, const sk_spec_resources *r, sk_err **err)
{
  bool has_q = r->cpu.quota.set && r->cpu.quota.v != 0;
  bool has_p = r->cpu.period.set && r->cpu.period.v != 0;
  char q[64], v[96];
  if (has_q) {
    fmt_max (q, sizeof q, r->cpu.quota.v);
  } else {
    if (sk_cg_read (d, "cpu.max", q, sizeof q, err) < 0)
      return -1;
    q[strcspn (q, " ")] = '\0';
  }
  if (has_p)
    snprintf (v, sizeof v, "%s %" PRIu64, q, r->cpu.period.v);
  else
    snprintf (v, sizeof v, "%s", q);
  return sk_cg_set (d, has_q ? "cpu.quota" : "cpu.period", "cpu.max", v, err);
}

int
sk_cg_v2_cpu (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err)
{
  char v[32];
  if (r->cpu.realtime_runtime.set && r->cpu.realtime_runtime.v != 0)
    return sk_cg_unsupported_v2 ("cpu.realtimeRuntime", err);
  if (r->cpu.realtime_period.set && r->cpu.realtime_period.v != 0)
    return sk_cg_unsupported_v2 ("cpu.realtimePeriod", err);
  if (r->cpu.shares.set && r->cpu.shares.v != 0) {
    snprintf (v, sizeof v, "%" PRIu64, shares_to_weight (r->cpu.shares.v));
    if (sk_cg_set (d, "cpu.shares", "cpu.weight", v, err) < 0)
      return -1;
  }
  if (((r->cpu.quota.set && r->cpu.quota.v != 0) || (r->cpu.period.set && r->cpu.period.v != 0)) &&
      cpu_max (d, r, err) < 0)
    return -1;
  if (r->cpu.burst.set &&
      sk_cg_set_i64 (d, "cpu.burst", "cpu.max.burst", (int64_t) r->cpu.burst.v, err) < 0)
    return -1;
  if (r->cpu.idle.set && sk_cg_set_i64 (d, "cpu.idle", "cpu.idle", r->cpu.idle.v, err) < 0)
    return -1;
  return 0;
}

/* ---------------------------------------------------------------- io */

static uint64_t
blkio_to_io_weight (uint64_t w)
{
  if (w < 10)
    w = 10;
  if (w > 1000)
    w = 1000;
  return 1 + (w - 10) * 9999 / 990;
}

/* io.weight (converted), or io.bfq.weight (BFQ's own 1..1000 scale) when the
 * kernel has only BFQ; `dev` is "maj:min " or "". */
static int
io_weight (const sk_cg_dir *d, const char *field, const char *dev, uint16_t w, sk_err **err)
{
  char v[64], bfq[64];
  snprintf (v, sizeof v, "%s%" PRIu64, dev, blkio_to_io_weight (w));
  snprintf (bfq, sizeof bfq, "%s%u", dev, w);
  int ret = sk_cg_write_raw (d, "io.weight", v);
  if (ret != -ENOENT)
    return ret < 0 ? sk_cg_fail (d, field, "io.weight", v, ret, err) : 0;
  ret = sk_cg_write_raw (d, "io.bfq.weight", bfq);
  if (ret < 0)
    return sk_cg_fail (d, field, ret == -ENOENT ? "io.weight" : "io.bfq.weight", bfq, ret, err);
  return 0;
}

static const sk_spec_throttle *
find_throttle (const sk_spec_resources *r, int k, int64_t major, int64_t minor)
{
  const sk_spec_throttle *found = NULL; /* the last one wins */
  for (size_t i = 0; i < r->block_io.n_throttle[k]; i++)
    if (r->block_io.throttle[k][i].major == major && r->block_io.throttle[k][i].minor == minor)
      found = &r->block_io.throttle[k][i];
  return found;
}

/* One io.max line per device: "maj:min rbps=N wbps=N riops=N wiops=N". */
static int
io_max (const sk_cg_dir *d, const sk_spec_resources *r, sk_err **err)
{
  static const char *const keys[4] = {"rbps", "wbps", "riops", "wiops"};
  for (int k = 0; k < 4; k++) {
    for (size_t i = 0; i < r->block_io.n_throttle[k]; i++) {
      const sk_spec_throttle *t = &r->block_io.throttle[k][i];
      bool seen = false;
      for (int j = 0; j < k && !seen; j++)
        seen = find_throttle (r, j, t->major, t->minor) != NULL;
      if (seen || find_throttle (r, k, t->major, t->minor) != t)
        continue;
      char v[256];
      int n = snprintf (v, sizeof v, "%" PRId64 ":%" PRId64, t->major, t->minor);
      for (int j = 0; j < 4; j++) {
        const sk_spec_throttle *x = find_throttle (r, j, t->major, t->minor);
        if (x && x->rate)
          n += snprintf (v + n, sizeof v - (size_t) n, " %s=%" PRIu64, keys[j], x->rate);
        else if (x)
          n += snprintf (v + n, sizeof v - (size_t) n, " %s=max", keys[j]);
      }
      if (sk_cg_set (d, "blockIO.throttle", "io.max", v, err) < 0)
        return -1;
    }
  }
  return 0;
}

int
sk_cg_v2_io (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err)
{
  if (r->block_io.leaf_weight_set && r->block_io.leaf_weight != 0)
    return sk_cg_unsupported_v2 ("blockIO.leafWeight", err);
  if (r->block_io.weight_set && r->block_io.weight != 0 &&
      io_weight (d, "blockIO.weight", "", r->block_io.weight, err) < 0)
    return -1;
  for (size_t i = 0; i < r->block_io.n_weight_device; i++) {
    const sk_spec_weight_device *w = &r->block_io.weight_device[i];
    char dev[48];
    if (w->leaf_weight_set)
      return sk_cg_unsupported_v2 ("blockIO.weightDevice.leafWeight", err);
    snprintf (dev, sizeof dev, "%" PRId64 ":%" PRId64 " ", w->major, w->minor);
    if (w->weight_set && io_weight (d, "blockIO.weightDevice", dev, w->weight, err) < 0)
      return -1;
  }
  return io_max (d, r, err);
}

/* ---------------------------------------------------------------- hugetlb, devices, unified */

int
sk_cg_v2_hugetlb (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err)
{
  return sk_cg_hugetlb (d, r, "max", err);
}

int
sk_cg_v2_devices (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err)
{
  return sk_cg_bpf_devices (d, r->devices, r->n_devices, err);
}

static bool
unified_key_ok (const char *key)
{
  return sk_is_safe_component (key) && strstr (key, "..") == NULL && strchr (key, '.') != NULL;
}

int
sk_cg_v2_unified (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err)
{
  for (size_t i = 0; r->unified_keys[i]; i++) {
    const char *key = r->unified_keys[i], *value = r->unified_values[i];
    if (!unified_key_ok (key))
      return sk_cg_error (err, EINVAL, "linux.resources.unified: `%s` is not a cgroup file name",
                          key);
    int ret = sk_cg_write_raw (d, key, value);
    if (ret == -ENOENT) {
      sk_err_set (err, 0, "linux.resources.unified: `%s` does not exist in `%s`", key, d->path);
      return sk_cg_set_errnum (err, ENOENT);
    }
    if (ret < 0)
      return sk_err_set (err, -ret, "linux.resources.unified: write `%s` to `%s/%s`", value,
                         d->path, key);
  }
  return 0;
}

/* ---------------------------------------------------------------- subtree_control */

static bool
has_word (const char *list, const char *word, size_t len)
{
  for (const char *p = list; *p;) {
    p += strspn (p, " ");
    size_t l = strcspn (p, " ");
    if (l == len && strncmp (p, word, len) == 0)
      return true;
    p += l;
  }
  return false;
}

/* The controllers of m a container may use: those whose files this module
 * writes or reads, and those named by linux.resources.unified keys. */
static void
wanted_controllers (const sk_cg_mount *m, const sk_spec_resources *r, char *buf, size_t size)
{
  static const char used[] = "cpu cpuset io memory pids hugetlb";
  size_t n = 0;
  buf[0] = '\0';
  for (size_t i = 0; m->v2_controllers && m->v2_controllers[i]; i++) {
    const char *c = m->v2_controllers[i];
    bool want = has_word (used, c, strlen (c));
    for (size_t k = 0; !want && r && r->unified_keys && r->unified_keys[k]; k++)
      want =
          strncmp (r->unified_keys[k], c, strlen (c)) == 0 && r->unified_keys[k][strlen (c)] == '.';
    if (want && n + strlen (c) + 2 < size)
      n += (size_t) snprintf (buf + n, size - n, "%s%s", n ? " " : "", c);
  }
}

/* Writes "+c" for each wanted controller `dir` does not have enabled yet. */
static int
enable_in (const char *dir, const char *want, bool fresh, sk_err **err)
{
  char cur[512] = "", add[512] = "";
  size_t n = 0;
  sk_cg_dir d = {.fd = -1, .path = dir, .v2 = true};
  if (!fresh && sk_cg_read (&d, "cgroup.subtree_control", cur, sizeof cur, err) < 0)
    return -1;
  for (const char *p = want; *p;) {
    size_t l = strcspn (p, " ");
    if (!has_word (cur, p, l) && n + l + 3 < sizeof add)
      n += (size_t) snprintf (add + n, sizeof add - n, "%s+%.*s", n ? " " : "", (int) l, p);
    p += l;
    p += strspn (p, " ");
  }
  if (n == 0)
    return 0;
  return sk_cg_write (&d, "cgroup.subtree_control", add, err);
}

/* true when every wanted controller is available in the leaf already, which
 * means each ancestor has it enabled: one read instead of one per ancestor */
static bool
leaf_has_all (const sk_cg_dir *leaf, const char *want)
{
  _cleanup_err_ sk_err *err = NULL;
  char cur[512];
  if (sk_cg_read (leaf, "cgroup.controllers", cur, sizeof cur, &err) < 0)
    return false;
  for (const char *p = want; *p;) {
    size_t l = strcspn (p, " ");
    if (!has_word (cur, p, l))
      return false;
    p += l;
    p += strspn (p, " ");
  }
  return true;
}

int
sk_cg_v2_enable_controllers (const sk_cg_mount *m, const sk_cg_dir *leaf, const char *path,
                             int first_new, const sk_spec_resources *r, sk_err **err)
{
  char want[512], dir[PATH_MAX];
  wanted_controllers (m, r, want, sizeof want);
  if (want[0] == '\0' || leaf_has_all (leaf, want))
    return 0;
  size_t at = strlen (m->mountpoint);
  if ((size_t) snprintf (dir, sizeof dir, "%s%s", m->mountpoint, path) >= sizeof dir)
    return sk_err_set (err, ENAMETOOLONG, "cgroup `%s`", path);
  size_t len = strlen (dir);
  /* every ancestor, the root (depth 0) first, down to the leaf's parent */
  for (int depth = 0; at < len; depth++) {
    char saved = dir[at];
    dir[at] = '\0';
    int ret = enable_in (dir, want, first_new > 0 && depth >= first_new, err);
    dir[at] = saved;
    if (ret < 0)
      return -1;
    at += strcspn (dir + at + 1, "/") + 1;
  }
  return 0;
}

/* ---------------------------------------------------------------- freezer, kill */

/* The "frozen" value of cgroup.events, or -1. */
static int
events_frozen (int fd)
{
  char buf[256];
  ssize_t n = pread (fd, buf, sizeof buf - 1, 0);
  uint64_t v;
  if (n < 0)
    return -1;
  buf[n] = '\0';
  return sk_cg_kv_u64 (buf, "frozen", &v) ? (int) v : -1;
}

int
sk_cg_v2_is_frozen (const sk_cg_dir *d, bool *frozen, sk_err **err)
{
  _cleanup_close_ int fd = sk_cg_open_file (d, "cgroup.events", O_RDONLY);
  int v = fd >= 0 ? events_frozen (fd) : -1;
  if (v < 0)
    return sk_err_set (err, fd < 0 ? errno : ENOTSUP, "`%s/cgroup.events`: no frozen state",
                       d->path);
  *frozen = v == 1;
  return 0;
}

int
sk_cg_v2_freeze (const sk_cg_dir *d, bool frozen, sk_err **err)
{
  _cleanup_close_ int fd = sk_cg_open_file (d, "cgroup.events", O_RDONLY);
  if (fd < 0)
    return sk_err_set (err, errno, "open `%s/cgroup.events`", d->path);
  if (sk_cg_write (d, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
    return -1;
  /* cgroup.events changes are signalled with POLLPRI; the timeout is a fallback */
  for (int waited = 0; waited < 5000; waited += 10) {
    int v = events_frozen (fd);
    if (v < 0)
      return sk_cg_error (err, ENOTSUP, "`%s/cgroup.events`: no frozen state", d->path);
    if (v == (frozen ? 1 : 0))
      return 0;
    struct pollfd p = {.fd = fd, .events = POLLPRI};
    poll (&p, 1, 10);
  }
  if (frozen)
    sk_cg_write_raw (d, "cgroup.freeze", "0");
  return sk_cg_error (err, ETIMEDOUT, "%s `%s`: timed out", frozen ? "freeze" : "thaw", d->path);
}

int
sk_cg_v2_kill (const sk_cg_dir *d, sk_err **err)
{
  int ret = sk_cg_write_raw (d, "cgroup.kill", "1");
  if (ret == -ENOENT)
    return 1;
  if (ret < 0)
    return sk_err_set (err, -ret, "write `1` to `%s/cgroup.kill`", d->path);
  return 0;
}

int
sk_cg_v2_oom_kills (const sk_cg_dir *d, uint64_t *count, sk_err **err)
{
  _cleanup_free_ char *text = NULL;
  if (sk_cg_read_all (d, "memory.events", &text, err) < 0)
    return -1;
  if (!sk_cg_kv_u64 (text, "oom_kill", count))
    return sk_cg_error (err, ENOTSUP, "`%s/memory.events` has no oom_kill count", d->path);
  return 0;
}

/* ---------------------------------------------------------------- stats */

static char *
read_text (const sk_cg_dir *d, const char *file)
{
  _cleanup_err_ sk_err *err = NULL;
  char *text = NULL;
  if (sk_cg_read_all (d, file, &text, &err) < 0)
    return NULL;
  return text;
}

static void
add_u64_file (sk_json *o, const char *key, const sk_cg_dir *d, const char *file)
{
  _cleanup_err_ sk_err *err = NULL;
  uint64_t v;
  if (sk_cg_read_u64 (d, file, &v, &err) == 0)
    sk_cg_json_u64 (o, key, v);
}

/* Adds text's `key` (times `scale`) to o as `name`. */
static void
add_kv (sk_json *o, const char *name, const char *text, const char *key, uint64_t scale)
{
  uint64_t v;
  if (text && sk_cg_kv_u64 (text, key, &v))
    sk_cg_json_u64 (o, name, v * scale);
}

void
sk_cg_v2_stats_cpu (const sk_cg_dir *d, sk_json *out)
{
  _cleanup_free_ char *stat = read_text (d, "cpu.stat");
  if (stat == NULL)
    return;
  sk_json *o = json_object_new_object (), *usage = json_object_new_object ();
  add_kv (usage, "total", stat, "usage_usec", 1000);
  add_kv (usage, "kernel", stat, "system_usec", 1000);
  add_kv (usage, "user", stat, "user_usec", 1000);
  json_object_object_add (o, "usage", usage);
  if (strstr (stat, "nr_periods")) {
    sk_json *t = json_object_new_object ();
    add_kv (t, "periods", stat, "nr_periods", 1);
    add_kv (t, "throttledPeriods", stat, "nr_throttled", 1);
    add_kv (t, "throttledTime", stat, "throttled_usec", 1000);
    json_object_object_add (o, "throttling", t);
  }
  json_object_object_add (out, "cpu", o);
}

void
sk_cg_v2_stats_memory (const sk_cg_dir *d, sk_json *out)
{
  sk_json *o = json_object_new_object (), *usage = json_object_new_object ();
  add_u64_file (usage, "usage", d, "memory.current");
  add_u64_file (usage, "limit", d, "memory.max");
  add_u64_file (usage, "max", d, "memory.peak");
  _cleanup_free_ char *events = read_text (d, "memory.events");
  add_kv (usage, "failcnt", events, "max", 1);
  json_object_object_add (o, "usage", usage);
  _cleanup_err_ sk_err *err = NULL;
  uint64_t v;
  if (sk_cg_read_u64 (d, "memory.swap.current", &v, &err) == 0) {
    sk_json *swap = json_object_new_object ();
    sk_cg_json_u64 (swap, "usage", v);
    add_u64_file (swap, "limit", d, "memory.swap.max");
    json_object_object_add (o, "swap", swap);
  }
  _cleanup_free_ char *stat = read_text (d, "memory.stat");
  if (stat) {
    sk_json *raw = json_object_new_object ();
    add_kv (o, "cache", stat, "file", 1);
    sk_cg_json_flat (raw, stat);
    json_object_object_add (o, "raw", raw);
  }
  json_object_object_add (out, "memory", o);
}

static void
io_entry (sk_json *a, unsigned maj, unsigned min, const char *op, uint64_t v)
{
  sk_json *e = json_object_new_object ();
  sk_cg_json_u64 (e, "major", maj);
  sk_cg_json_u64 (e, "minor", min);
  json_object_object_add (e, "op", json_object_new_string (op));
  sk_cg_json_u64 (e, "value", v);
  json_object_array_add (a, e);
}

/* io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" per device. */
void
sk_cg_v2_stats_io (const sk_cg_dir *d, sk_json *out)
{
  _cleanup_free_ char *stat = read_text (d, "io.stat");
  if (stat == NULL)
    return;
  sk_json *o = json_object_new_object ();
  sk_json *bytes = json_object_new_array (), *ios = json_object_new_array ();
  for (char *line = stat; line && *line;) {
    char *next = strchr (line, '\n');
    if (next)
      *next++ = '\0';
    unsigned maj, min;
    unsigned long long rb = 0, wb = 0, ri = 0, wi = 0;
    char *p;
    if (sscanf (line, "%u:%u", &maj, &min) == 2) {
      if ((p = strstr (line, "rbytes=")))
        rb = strtoull (p + 7, NULL, 10);
      if ((p = strstr (line, "wbytes=")))
        wb = strtoull (p + 7, NULL, 10);
      if ((p = strstr (line, "rios=")))
        ri = strtoull (p + 5, NULL, 10);
      if ((p = strstr (line, "wios=")))
        wi = strtoull (p + 5, NULL, 10);
      io_entry (bytes, maj, min, "Read", rb);
      io_entry (bytes, maj, min, "Write", wb);
      io_entry (ios, maj, min, "Read", ri);
      io_entry (ios, maj, min, "Write", wi);
    }
    line = next;
  }
  json_object_object_add (o, "ioServiceBytesRecursive", bytes);
  json_object_object_add (o, "ioServicedRecursive", ios);
  json_object_object_add (out, "blkio", o);
}

void
sk_cg_v2_stats_hugetlb (const sk_cg_dir *d, char **sizes, sk_json *out)
{
  sk_json *o = json_object_new_object ();
  for (size_t i = 0; sizes && sizes[i]; i++) {
    char file[96];
    sk_json *e = json_object_new_object ();
    snprintf (file, sizeof file, "hugetlb.%s.current", sizes[i]);
    add_u64_file (e, "usage", d, file);
    snprintf (file, sizeof file, "hugetlb.%s.max", sizes[i]);
    add_u64_file (e, "limit", d, file);
    snprintf (file, sizeof file, "hugetlb.%s.events", sizes[i]);
    _cleanup_free_ char *events = read_text (d, file);
    add_kv (e, "failcnt", events, "max", 1);
    json_object_object_add (o, sizes[i], e);
  }
  json_object_object_add (out, "hugetlb", o);
}
