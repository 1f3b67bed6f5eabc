/* Helpers of test-cgroup.c (included by it): the mount table as the test
 * reads it, file checks, forked children, group setup and teardown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "runtime/cgroup.h"
#include "util/cleanup.h"

/* ---------------------------------------------------------------- what the test sees */

/* snprintf that fails the test instead of truncating */
static void __attribute__ ((format (printf, 3, 4))) fmt (char *buf, size_t size, const char *f, ...)
{
  va_list ap;
  va_start (ap, f);
  int n = vsnprintf (buf, size, f, ap);
  va_end (ap);
  if (n < 0 || (size_t) n >= size)
    fail_msg ("`%s`: too long", buf);
}

typedef struct tmount {
  char mp[256];
  char ctrls[512]; /* ",cpu,cpuacct," (v1 super options) or ",memory,pids," (v2 root) */
  bool v2;
} tmount;

static tmount mounts[32];
static size_t n_mounts;
static sk_cgroup_mode expect_mode;
static char base[64]; /* "/skiff-test-<pid>" */
static pid_t children[64];
static size_t n_children;
static char hp_sizes[4][16]; /* "2MB", "1GB" */
static size_t n_hp;

/* what the host offers, probed once in a scratch cgroup */
static struct {
  bool swap;       /* memory.memsw.* (v1) or memory.swap.max (v2) */
  char weight[32]; /* the blkio/io weight file, or "" */
  bool burst, idle, leaf_weight;
} host;

static void
read_mountinfo (void)
{
  FILE *f = fopen ("/proc/self/mountinfo", "r");
  char line[4096];
  bool root_v2 = false, any_v2 = false;
  assert_non_null (f);
  while (fgets (line, sizeof line, f) && n_mounts < 32) {
    char mp[256], fstype[32], opts[512];
    char *dash = strstr (line, " - ");
    if (dash == NULL || sscanf (line, "%*s %*s %*s %*s %255s", mp) != 1 ||
        sscanf (dash + 3, "%31s %*s %511s", fstype, opts) != 2)
      continue;
    tmount *m = &mounts[n_mounts];
    if (strcmp (fstype, "cgroup2") == 0) {
      char p[300], ctl[400] = "";
      fmt (p, sizeof p, "%s/cgroup.controllers", mp);
      FILE *c = fopen (p, "r");
      if (c && fgets (ctl, sizeof ctl, c))
        ctl[strcspn (ctl, "\n")] = '\0';
      if (c)
        fclose (c);
      for (char *s = ctl; *s; s++)
        *s = *s == ' ' ? ',' : *s;
      fmt (m->ctrls, sizeof m->ctrls, ",%s,", ctl);
      m->v2 = any_v2 = true;
      root_v2 = root_v2 || strcmp (mp, "/sys/fs/cgroup") == 0;
    } else if (strcmp (fstype, "cgroup") == 0) {
      fmt (m->ctrls, sizeof m->ctrls, ",%s,", opts);
      m->v2 = false;
    } else {
      continue;
    }
    fmt (m->mp, sizeof m->mp, "%s", mp);
    n_mounts++;
  }
  fclose (f);
  expect_mode = root_v2 ? SK_CGROUP_V2 : any_v2 ? SK_CGROUP_HYBRID : SK_CGROUP_V1;
}

static bool
is_v2 (void)
{
  return expect_mode == SK_CGROUP_V2;
}

/* The mount whose files carry `ctrl`: a v1 one, else the cgroup2 one. */
static const tmount *
mount_for (const char *ctrl)
{
  char want[64];
  fmt (want, sizeof want, ",%s,", strcmp (ctrl, "blkio") == 0 && is_v2 () ? "io" : ctrl);
  for (size_t i = 0; i < n_mounts; i++)
    if (!mounts[i].v2 && strstr (mounts[i].ctrls, want))
      return &mounts[i];
  for (size_t i = 0; i < n_mounts; i++)
    if (mounts[i].v2 && strstr (mounts[i].ctrls, want))
      return &mounts[i];
  return NULL;
}

static const tmount *
v2_mount (void)
{
  for (size_t i = 0; i < n_mounts; i++)
    if (mounts[i].v2)
      return &mounts[i];
  return NULL;
}

static void
cg_file (const tmount *m, const char *cgpath, const char *file, char *buf, size_t size)
{
  fmt (buf, size, "%s%s%s%s", m->mp, cgpath, file ? "/" : "", file ? file : "");
}

static bool
read_str (const char *path, char *buf, size_t size)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  ssize_t n = read (fd, buf, size - 1);
  close (fd);
  if (n < 0)
    return false;
  while (n > 0 && buf[n - 1] == '\n')
    n--;
  buf[n] = '\0';
  return true;
}

static bool
write_str (const char *path, const char *value)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  bool ok = write (fd, value, strlen (value)) == (ssize_t) strlen (value);
  close (fd);
  return ok;
}

/* Reads <mount for ctrl><cgpath>/<file>; fails the test when it cannot. */
static void
read_cg (const char *ctrl, const char *cgpath, const char *file, char *buf, size_t size)
{
  const tmount *m = mount_for (ctrl);
  char p[512];
  if (m == NULL)
    fail_msg ("no hierarchy has %s", ctrl);
  cg_file (m, cgpath, file, p, sizeof p);
  if (!read_str (p, buf, size))
    fail_msg ("read %s: %s", p, strerror (errno));
}

static void
assert_cg (const char *ctrl, const char *cgpath, const char *file, const char *want)
{
  char buf[4096];
  read_cg (ctrl, cgpath, file, buf, sizeof buf);
  if (strcmp (buf, want) != 0)
    fail_msg ("%s/%s: got `%s`, want `%s`", cgpath, file, buf, want);
}

static bool
cg_has_file (const char *ctrl, const char *cgpath, const char *file)
{
  const tmount *m = mount_for (ctrl);
  char p[512];
  if (m == NULL)
    return false;
  cg_file (m, cgpath, file, p, sizeof p);
  return access (p, F_OK) == 0;
}

/* true when the directory exists in none (`want` false) / all (true) hierarchies */
static void
assert_dirs (const char *cgpath, bool want)
{
  for (size_t i = 0; i < n_mounts; i++) {
    char p[512];
    struct stat st;
    cg_file (&mounts[i], cgpath, NULL, p, sizeof p);
    bool exists = stat (p, &st) == 0;
    if (exists != want)
      fail_msg ("%s: %s", p, want ? "missing" : "still exists");
  }
}

static void
assert_err (sk_err *err, const char *needle)
{
  if (err == NULL)
    fail_msg ("expected an error containing `%s`, got success", needle);
  if (strstr (err->msg, needle) == NULL)
    fail_msg ("error `%s` does not contain `%s`", err->msg, needle);
}

#define CHECK_OK(expr, err)                                                                        \
  do {                                                                                             \
    if ((expr) < 0)                                                                                \
      fail_msg ("%s: %s", #expr, (err) ? (err)->msg : "(no message)");                             \
  } while (0)

/* ---------------------------------------------------------------- children */

static void
track (pid_t pid)
{
  if (n_children < SK_N_ELEMENTS (children))
    children[n_children++] = pid;
}

static void
untrack (pid_t pid)
{
  for (size_t i = 0; i < n_children; i++)
    if (children[i] == pid)
      children[i] = children[--n_children];
}

/* A child that waits to be moved, touches 4 MiB (so that it is charged in
 * its new cgroup), reports, and sleeps; release_sleeper lets it go on. */
static int sleeper_go = -1, sleeper_ready = -1;

static pid_t
start_sleeper (void)
{
  int go[2], ready[2];
  char c = 0;
  assert_int_equal (pipe2 (go, O_CLOEXEC), 0);
  assert_int_equal (pipe2 (ready, O_CLOEXEC), 0);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0) {
    if (read (go[0], &c, 1) != 1)
      _exit (1);
    volatile char *mem = malloc (4 << 20);
    for (size_t i = 0; mem && i < (4 << 20); i += 4096)
      mem[i] = 1;
    if (write (ready[1], &c, 1) != 1)
      _exit (1);
    for (;;)
      pause ();
  }
  track (pid);
  close (go[0]);
  close (ready[1]);
  sleeper_go = go[1];
  sleeper_ready = ready[0];
  return pid;
}

static void
release_sleeper (void)
{
  char c = 0;
  assert_int_equal (write (sleeper_go, &c, 1), 1);
  assert_int_equal (read (sleeper_ready, &c, 1), 1);
  close (sleeper_go);
  close (sleeper_ready);
}

static int
wait_child (pid_t pid)
{
  int status = 0;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  untrack (pid);
  return status;
}

/* Forks a child that joins cg and exits with fn's result; returns the status. */
static int
run_in (const sk_cgroup *cg, int (*fn) (const void *), const void *arg)
{
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0) {
    sk_err *err = NULL;
    if (sk_cgroup_enter (cg, getpid (), &err) < 0)
      _exit (100);
    _exit (fn (arg));
  }
  track (pid);
  return wait_child (pid);
}

typedef struct open_req {
  const char *path;
  int flags;
} open_req;

/* 0: opened, 1: EPERM, 2: another error */
static int
try_open (const void *arg)
{
  const open_req *o = arg;
  int fd = open (o->path, o->flags | O_CLOEXEC);
  if (fd >= 0) {
    close (fd);
    return 0;
  }
  return errno == EPERM ? 1 : 2;
}

static int
open_in (const sk_cgroup *cg, const char *path, int flags)
{
  open_req o = {path, flags};
  int st = run_in (cg, try_open, &o);
  assert_true (WIFEXITED (st));
  assert_int_not_equal (WEXITSTATUS (st), 100);
  return WEXITSTATUS (st);
}

/* ---------------------------------------------------------------- setup */

static uint64_t
page_bytes (const char *size)
{
  char unit = 0;
  unsigned long n = 0;
  sscanf (size, "%lu%c", &n, &unit);
  return unit == 'G' ? (uint64_t) n << 30 : unit == 'M' ? (uint64_t) n << 20 : (uint64_t) n << 10;
}

static void
read_hugepage_sizes (void)
{
  DIR *d = opendir ("/sys/kernel/mm/hugepages");
  struct dirent *de;
  while (d && (de = readdir (d)) && n_hp < 4) {
    unsigned long kb;
    if (sscanf (de->d_name, "hugepages-%lukB", &kb) != 1)
      continue;
    if (kb >= 1024ul * 1024)
      fmt (hp_sizes[n_hp++], 16, "%luGB", kb >> 20);
    else if (kb >= 1024)
      fmt (hp_sizes[n_hp++], 16, "%luMB", kb >> 10);
    else
      fmt (hp_sizes[n_hp++], 16, "%luKB", kb);
  }
  if (d)
    closedir (d);
}

static void
probe_host (void)
{
  char path[128];
  sk_err *err = NULL;
  sk_cgroup *cg = NULL;
  fmt (path, sizeof path, "%s/probe", base);
  if (sk_cgroup_create (path, NULL, &cg, &err) < 0)
    fail_msg ("create %s: %s", path, err->msg);
  host.swap =
      cg_has_file ("memory", path, is_v2 () ? "memory.swap.max" : "memory.memsw.limit_in_bytes");
  const char *weights[2] = {is_v2 () ? "io.weight" : "blkio.weight",
                            is_v2 () ? "io.bfq.weight" : "blkio.bfq.weight"};
  for (int i = 1; i >= 0; i--)
    if (cg_has_file ("blkio", path, weights[i]))
      fmt (host.weight, sizeof host.weight, "%s", weights[i]);
  host.burst = cg_has_file ("cpu", path, is_v2 () ? "cpu.max.burst" : "cpu.cfs_burst_us");
  host.idle = cg_has_file ("cpu", path, "cpu.idle");
  host.leaf_weight = cg_has_file ("blkio", path, "blkio.leaf_weight");
  if (sk_cgroup_destroy (cg, &err) < 0)
    fail_msg ("destroy %s: %s", path, err->msg);
  sk_cgroup_free (cg);
  print_message ("# host: mode %s, swap accounting %s, weight file `%s`, burst %d, idle %d, "
                 "huge page sizes %zu\n",
                 sk_cgroup_mode_name (expect_mode), host.swap ? "on" : "off", host.weight,
                 host.burst, host.idle, n_hp);
}

static int
group_setup (void **state)
{
  if (geteuid () != 0) {
    fprintf (stderr, "test-cgroup needs root\n");
    return -1;
  }
  read_mountinfo ();
  read_hugepage_sizes ();
  fmt (base, sizeof base, "/skiff-test-%d", (int) getpid ());
  probe_host ();
  return 0;
}

static void
thaw_tree (const char *dir)
{
  char p[1024];
  fmt (p, sizeof p, "%s/freezer.state", dir);
  write_str (p, "THAWED");
  fmt (p, sizeof p, "%s/cgroup.freeze", dir);
  write_str (p, "0");
  DIR *d = opendir (dir);
  struct dirent *de;
  while (d && (de = readdir (d)))
    if (de->d_type == DT_DIR && de->d_name[0] != '.') {
      fmt (p, sizeof p, "%s/%s", dir, de->d_name);
      thaw_tree (p);
    }
  if (d)
    closedir (d);
}

static int
rm_tree (const char *dir)
{
  char p[1024];
  int ret = 0;
  DIR *d = opendir (dir);
  struct dirent *de;
  if (d == NULL)
    return errno == ENOENT ? 0 : -1;
  while ((de = readdir (d)))
    if (de->d_type == DT_DIR && de->d_name[0] != '.') {
      fmt (p, sizeof p, "%s/%s", dir, de->d_name);
      ret |= rm_tree (p);
    }
  closedir (d);
  if (rmdir (dir) < 0 && errno != ENOENT)
    ret = -1;
  return ret;
}

static int
group_teardown (void **state)
{
  char p[512];
  for (size_t i = 0; i < n_mounts; i++) {
    cg_file (&mounts[i], base, NULL, p, sizeof p);
    thaw_tree (p);
  }
  while (n_children) {
    pid_t pid = children[n_children - 1];
    kill (pid, SIGKILL);
    wait_child (pid);
  }
  for (size_t i = 0; i < n_mounts; i++) {
    cg_file (&mounts[i], base, NULL, p, sizeof p);
    for (int tries = 0; rm_tree (p) < 0 && tries < 100; tries++)
      usleep (10000);
    if (access (p, F_OK) == 0)
      fprintf (stderr, "test-cgroup: could not remove %s\n", p);
  }
  return 0;
}

/* The caller's cgroup as documented for relative paths. */
static void
self_cgroup (char *buf, size_t size)
{
  FILE *f = fopen ("/proc/self/cgroup", "r");
  char line[1024], first[1024] = "", systemd[1024] = "", v2[1024] = "";
  assert_non_null (f);
  while (fgets (line, sizeof line, f)) {
    line[strcspn (line, "\n")] = '\0';
    char *c1 = strchr (line, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
    if (c2 == NULL)
      continue;
    if (strncmp (line, "0::", 3) == 0)
      fmt (v2, sizeof v2, "%s", c2 + 1);
    else if (strstr (line, "name=systemd"))
      fmt (systemd, sizeof systemd, "%s", c2 + 1);
    else if (!*first && c2 > c1 + 1)
      fmt (first, sizeof first, "%s", c2 + 1);
  }
  fclose (f);
  fmt (buf, size, "%s", expect_mode != SK_CGROUP_V1 && *v2 ? v2 : *systemd ? systemd : first);
}

/* dirname, in a static buffer */
static const char *
parent_of (const char *path)
{
  static char buf[256];
  fmt (buf, sizeof buf, "%s", path);
  char *slash = strrchr (buf, '/');
  if (slash)
    *slash = '\0';
  return buf;
}

static sk_spec_device_rule
rule (bool allow, char type, int64_t major, int64_t minor, const char *access)
{
  sk_spec_device_rule r = {.allow = allow, .type = type, .major = major, .minor = minor};
  fmt (r.access, sizeof r.access, "%s", access);
  return r;
}

/* The number of device filters attached to the cgroup2 directory itself. */
static int
attached_filters (const char *cgpath)
{
  char p[512];
  uint32_t ids[16];
  union bpf_attr attr;
  cg_file (v2_mount (), cgpath, NULL, p, sizeof p);
  int fd = open (p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  assert_true (fd >= 0);
  memset (&attr, 0, sizeof attr);
  attr.query.target_fd = (uint32_t) fd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uint64_t) (uintptr_t) ids;
  attr.query.prog_cnt = 16;
  int r = (int) syscall (__NR_bpf, BPF_PROG_QUERY, &attr, sizeof attr);
  close (fd);
  assert_int_equal (r, 0);
  return (int) attr.query.prog_cnt;
}

/* Every line of /proc/PID/cgroup names `path`. */
static void
assert_proc_cgroup (pid_t pid, const char *path)
{
  char p[64], line[1024];
  fmt (p, sizeof p, "/proc/%d/cgroup", (int) pid);
  FILE *f = fopen (p, "r");
  assert_non_null (f);
  while (fgets (line, sizeof line, f)) {
    line[strcspn (line, "\n")] = '\0';
    char *c1 = strchr (line, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
    const char *in = c2 ? c2 + 1 : "";
    if (strcmp (in, path) != 0)
      fail_msg ("pid %d: `%s`, want %s", (int) pid, line, path);
  }
  fclose (f);
}

static void
assert_frozen_file (const char *path, bool frozen)
{
  char buf[256];
  if (mount_for ("freezer")) {
    read_cg ("freezer", path, "freezer.state", buf, sizeof buf);
    assert_string_equal (buf, frozen ? "FROZEN" : "THAWED");
  } else {
    char p[512];
    cg_file (v2_mount (), path, "cgroup.events", p, sizeof p);
    assert_true (read_str (p, buf, sizeof buf));
    assert_non_null (strstr (buf, frozen ? "frozen 1" : "frozen 0"));
  }
}

static uint64_t
json_u64 (sk_json *o, const char *a, const char *b, const char *c)
{
  sk_json *v = NULL;
  if (!json_object_object_get_ex (o, a, &v) || (b && !json_object_object_get_ex (v, b, &v)) ||
      (c && !json_object_object_get_ex (v, c, &v)))
    fail_msg ("stats have no %s.%s.%s", a, b ? b : "", c ? c : "");
  return json_object_get_uint64 (v);
}

static void
set_rules (sk_spec_resources *r, sk_spec_device_rule *rules, size_t n)
{
  memset (r, 0, sizeof *r);
  r->devices = rules;
  r->n_devices = n;
}

/* Creating with `r` fails with `needle`, and leaves nothing behind. */
static void
create_fails (const char *path, const sk_spec_resources *r, const char *needle)
{
  sk_err *err = NULL;
  sk_cgroup *cg = NULL;
  if (sk_cgroup_create (path, r, &cg, &err) == 0) {
    sk_cgroup_destroy (cg, &err);
    sk_cgroup_free (cg);
    fail_msg ("%s: created, expected an error with `%s`", path, needle);
  }
  print_message ("# expected error: %s\n", err->msg);
  assert_err (err, needle);
  sk_err_free (&err);
  assert_dirs (path, false);
}

/* The first block device in /sys/block, if any. */
static bool
block_device (unsigned *major, unsigned *minor)
{
  DIR *d = opendir ("/sys/block");
  struct dirent *de;
  bool found = false;
  while (d && !found && (de = readdir (d))) {
    char p[300], buf[32];
    fmt (p, sizeof p, "/sys/block/%s/dev", de->d_name);
    found = de->d_name[0] != '.' && read_str (p, buf, sizeof buf) &&
            sscanf (buf, "%u:%u", major, minor) == 2;
  }
  if (d)
    closedir (d);
  return found;
}

static double
elapsed_us (const struct timespec *a)
{
  struct timespec b;
  clock_gettime (CLOCK_MONOTONIC, &b);
  return (double) (b.tv_sec - a->tv_sec) * 1e6 + (double) (b.tv_nsec - a->tv_nsec) / 1e3;
}
