/* Unit tests: the cgroup module against the real kernel (runs as root).
 *
 * Everything is created below /skiff-test-<pid> in every hierarchy; the
 * group teardown removes that tree (and kills the children the test forked)
 * even when a test fails. The test reads /proc/self/mountinfo itself, so the
 * files it checks do not depend on the module's own detection.
 */
/* The helpers (mount table, file checks, forked children, setup and
 * teardown) are in test-cgroup-util.c; meson builds one executable per
 * test-<name>.c, so it is included rather than linked. */
#include "test-cgroup-util.c"

/* ---------------------------------------------------------------- tests */

static void
test_detect (void **state)
{
  sk_cgroup_mode mode;
  sk_err *err = NULL;
  CHECK_OK (sk_cgroup_detect (&mode, &err), err);
  assert_int_equal (mode, expect_mode);
  assert_string_equal (sk_cgroup_mode_name (SK_CGROUP_V1), "v1");
  assert_string_equal (sk_cgroup_mode_name (SK_CGROUP_HYBRID), "hybrid");
  assert_string_equal (sk_cgroup_mode_name (SK_CGROUP_V2), "v2");
  /* cached: a second call agrees */
  CHECK_OK (sk_cgroup_detect (&mode, &err), err);
  assert_int_equal (mode, expect_mode);
}

static void
test_paths (void **state)
{
  char *p = sk_cgroup_default_path (NULL, "abc");
  assert_string_equal (p, "/skiff/abc");
  free (p);
  p = sk_cgroup_default_path ("", "abc");
  assert_string_equal (p, "/skiff/abc");
  free (p);
  p = sk_cgroup_default_path ("//a//b/./c/", "abc");
  assert_string_equal (p, "/a/b/c");
  free (p);
  char self[1024], want[1200];
  self_cgroup (self, sizeof self);
  fmt (want, sizeof want, "%s/rel/x", strcmp (self, "/") == 0 ? "" : self);
  p = sk_cgroup_default_path ("rel/x", "abc");
  assert_non_null (p);
  assert_string_equal (p, want);
  free (p);
  p = sk_cgroup_default_path ("system.slice:skiff:abc", "abc");
  assert_string_equal (p, "system.slice:skiff:abc");

  sk_err *err = NULL;
  sk_cgroup *cg = NULL;
  assert_true (sk_cgroup_create (p, NULL, &cg, &err) < 0);
  assert_err (err, "cgroupsPath `system.slice:skiff:abc`: the systemd cgroup driver");
  if (access ("/run/systemd/system", F_OK) < 0)
    assert_err (err, "needs systemd, which is not running");
  free (p);
  sk_err_free (&err);
  const char *bad[] = {"relative/path", "/", "/a/../b", "/a/./b", ""};
  for (size_t i = 0; i < SK_N_ELEMENTS (bad); i++) {
    assert_true (sk_cgroup_create (bad[i], NULL, &cg, &err) < 0);
    assert_non_null (err);
    sk_err_free (&err);
    assert_true (sk_cgroup_open (bad[i], &cg, &err) < 0);
    sk_err_free (&err);
  }
  char nx[128];
  fmt (nx, sizeof nx, "%s/does-not-exist", base);
  assert_true (sk_cgroup_open (nx, &cg, &err) < 0);
  assert_int_equal (err->errnum, ENOENT);
  sk_err_free (&err);
}

static char *unified_keys[4], *unified_values[4];
static sk_spec_hugepage hugepages[4];

static void
full_resources (sk_spec_resources *r, sk_spec_device_rule *rules, size_t *n_rules)
{
  memset (r, 0, sizeof *r);
  r->memory.limit = (sk_opt_i64){true, 64 << 20};
  r->memory.reservation = (sk_opt_i64){true, 32 << 20};
  r->memory.swappiness = (sk_opt_u64){true, 30};  /* v1 only; ignored on v2 */
  r->memory.kernel = (sk_opt_i64){true, 1 << 30}; /* ignored */
  if (host.swap)
    r->memory.swap = (sk_opt_i64){true, 128 << 20};
  r->cpu.shares = (sk_opt_u64){true, 512};
  r->cpu.quota = (sk_opt_i64){true, 50000};
  r->cpu.period = (sk_opt_u64){true, 100000};
  if (host.burst)
    r->cpu.burst = (sk_opt_u64){true, 1000};
  if (host.idle)
    r->cpu.idle = (sk_opt_i64){true, 0};
  r->cpu.cpus = (char *) "0";
  r->cpu.mems = (char *) "0";
  r->pids.limit = (sk_opt_i64){true, 42};
  if (*host.weight) {
    r->block_io.weight_set = true;
    r->block_io.weight = 500;
  }
  rules[0] = rule (false, 'a', -1, -1, "rwm");
  rules[1] = rule (true, 'c', 1, 3, "rwm");
  rules[2] = rule (true, 'c', 1, 5, "r");
  rules[3] = rule (true, 'c', -1, -1, "m");
  *n_rules = 4;
  r->devices = rules;
  r->n_devices = *n_rules;
  if (mount_for ("hugetlb")) {
    for (size_t i = 0; i < n_hp; i++)
      hugepages[i] = (sk_spec_hugepage){hp_sizes[i], 2 * page_bytes (hp_sizes[i])};
    r->hugepages = hugepages;
    r->n_hugepages = n_hp;
  }
  size_t k = 0;
  if (expect_mode != SK_CGROUP_V1) {
    unified_keys[k] = (char *) "cgroup.max.descendants";
    unified_values[k++] = (char *) "10";
  }
  if (is_v2 ()) {
    unified_keys[k] = (char *) "memory.high";
    unified_values[k++] = (char *) "100663296";
  }
  unified_keys[k] = unified_values[k] = NULL;
  r->unified_keys = k ? unified_keys : NULL;
  r->unified_values = k ? unified_values : NULL;
}

static void
check_v1_files (const char *path)
{
  assert_cg ("memory", path, "memory.limit_in_bytes", "67108864");
  assert_cg ("memory", path, "memory.soft_limit_in_bytes", "33554432");
  assert_cg ("memory", path, "memory.swappiness", "30");
  if (host.swap)
    assert_cg ("memory", path, "memory.memsw.limit_in_bytes", "134217728");
  assert_cg ("cpu", path, "cpu.shares", "512");
  assert_cg ("cpu", path, "cpu.cfs_quota_us", "50000");
  assert_cg ("cpu", path, "cpu.cfs_period_us", "100000");
  if (host.burst)
    assert_cg ("cpu", path, "cpu.cfs_burst_us", "1000");
  if (host.idle)
    assert_cg ("cpu", path, "cpu.idle", "0");
  if (*host.weight)
    assert_cg ("blkio", path, host.weight, "500");
  if (mount_for ("devices"))
    assert_cg ("devices", path, "devices.list", "c 1:3 rwm\nc 1:5 r\nc *:* m");
  /* the parent this module made got cpus and mems from the root */
  char root_cpus[256];
  read_cg ("cpuset", "", "cpuset.cpus", root_cpus, sizeof root_cpus);
  assert_cg ("cpuset", parent_of (path), "cpuset.cpus", root_cpus);
}

static void
check_v2_files (const char *path)
{
  char buf[512];
  assert_cg ("memory", path, "memory.max", "67108864");
  assert_cg ("memory", path, "memory.low", "33554432");
  if (host.swap)
    assert_cg ("memory", path, "memory.swap.max", "67108864");
  assert_cg ("memory", path, "memory.high", "100663296");
  /* 1 + ((512 - 2) * 9999) / 262142 */
  assert_cg ("cpu", path, "cpu.weight", "20");
  assert_cg ("cpu", path, "cpu.max", "50000 100000");
  if (host.burst)
    assert_cg ("cpu", path, "cpu.max.burst", "1000");
  if (host.idle)
    assert_cg ("cpu", path, "cpu.idle", "0");
  if (strcmp (host.weight, "io.weight") == 0)
    assert_cg ("blkio", path, "io.weight", "default 4950"); /* 1 + (500 - 10) * 9999 / 990 */
  else if (*host.weight)
    assert_cg ("blkio", path, "io.bfq.weight", "default 500");
  assert_int_equal (attached_filters (path), 1);
  read_cg ("memory", parent_of (path), "cgroup.subtree_control", buf, sizeof buf);
  assert_non_null (strstr (buf, "memory"));
  assert_non_null (strstr (buf, "pids"));
  assert_non_null (strstr (buf, "cpu"));
}

static void
check_common_files (const char *path)
{
  assert_cg ("cpuset", path, "cpuset.cpus", "0");
  assert_cg ("cpuset", path, "cpuset.mems", "0");
  assert_cg ("pids", path, "pids.max", "42");
  for (size_t i = 0; mount_for ("hugetlb") && i < n_hp; i++) {
    char file[64], want[32];
    bool v2 = mount_for ("hugetlb")->v2;
    fmt (file, sizeof file, "hugetlb.%s.%s", hp_sizes[i], v2 ? "max" : "limit_in_bytes");
    fmt (want, sizeof want, "%" PRIu64, 2 * page_bytes (hp_sizes[i]));
    assert_cg ("hugetlb", path, file, want);
  }
  if (mount_for ("hugetlb") == NULL)
    print_message ("# no hugetlb controller: huge page limits not tested\n");
  if (expect_mode != SK_CGROUP_V1) {
    char p[512], buf[64];
    cg_file (v2_mount (), path, "cgroup.max.descendants", p, sizeof p);
    assert_true (read_str (p, buf, sizeof buf));
    assert_string_equal (buf, "10");
  }
  if (expect_mode == SK_CGROUP_HYBRID && mount_for ("hugetlb") && mount_for ("hugetlb")->v2) {
    char p[512], buf[256];
    cg_file (v2_mount (), parent_of (path), "cgroup.subtree_control", p, sizeof p);
    assert_true (read_str (p, buf, sizeof buf));
    assert_non_null (strstr (buf, "hugetlb"));
  }
}

static void
test_create_resources (void **state)
{
  sk_spec_resources r;
  sk_spec_device_rule rules[8];
  size_t n_rules;
  sk_err *err = NULL;
  sk_cgroup *cg = NULL;
  char path[128];
  /* under a new parent: cpuset values and subtree_control go down to it */
  fmt (path, sizeof path, "%s/fresh/c1", base);
  full_resources (&r, rules, &n_rules);
  CHECK_OK (sk_cgroup_create (path, &r, &cg, &err), err);
  assert_string_equal (sk_cgroup_path (cg), path);
  assert_dirs (path, true);

  const sk_cgroup_hierarchy *h;
  size_t n = sk_cgroup_hierarchies (cg, &h);
  assert_int_equal (n, n_mounts);
  for (size_t i = 0; i < n; i++) {
    char want[512];
    fmt (want, sizeof want, "%s%s", h[i].mountpoint, path);
    assert_string_equal (h[i].dir, want);
    assert_non_null (h[i].controllers);
  }
  /* a cgroup2 directory exists on pure v2 and in the hybrid layout */
  bool any_v2 = false;
  for (size_t i = 0; i < n; i++)
    any_v2 = any_v2 || h[i].v2;
  if (any_v2)
    assert_true (sk_cgroup_v2_dirfd (cg) >= 0);
  else
    assert_int_equal (sk_cgroup_v2_dirfd (cg), -1);

  if (is_v2 ())
    check_v2_files (path);
  else
    check_v1_files (path);
  check_common_files (path);

  /* open finds the same directories */
  sk_cgroup *again = NULL;
  CHECK_OK (sk_cgroup_open (path, &again, &err), err);
  assert_int_equal (sk_cgroup_hierarchies (again, &h), n_mounts);
  sk_cgroup_free (again);

  CHECK_OK (sk_cgroup_destroy (cg, &err), err);
  sk_cgroup_free (cg);
  assert_dirs (path, false);
  assert_dirs (base, true); /* parents stay: other containers share them */
}

static void
check_update (const sk_cgroup *cg, const char *path)
{
  sk_spec_resources r;
  sk_err *err = NULL;
  memset (&r, 0, sizeof r);
  r.memory.limit = (sk_opt_i64){true, 96 << 20};
  r.memory.check_before_update = true;
  r.pids.limit = (sk_opt_i64){true, -1};
  r.cpu.period = (sk_opt_u64){true, 200000};
  CHECK_OK (sk_cgroup_update (cg, &r, &err), err);
  assert_cg ("memory", path, is_v2 () ? "memory.max" : "memory.limit_in_bytes", "100663296");
  assert_cg ("pids", path, "pids.max", "max");
  if (is_v2 ())
    assert_cg ("cpu", path, "cpu.max", "max 200000"); /* the quota is kept */
  else
    assert_cg ("cpu", path, "cpu.cfs_period_us", "200000");
  /* checkBeforeUpdate refuses a limit below the usage */
  r.memory.limit = (sk_opt_i64){true, 4096};
  assert_true (sk_cgroup_update (cg, &r, &err) < 0);
  assert_err (err, "is below the current usage");
  sk_err_free (&err);
}

static void
check_stats (const sk_cgroup *cg)
{
  sk_json *stats = NULL;
  sk_err *err = NULL;
  CHECK_OK (sk_cgroup_stats (cg, &stats, &err), err);
  char *dump = sk_json_dump (stats, false);
  print_message ("# stats: %.300s...\n", dump);
  free (dump);
  assert_int_equal (json_u64 (stats, "pids", "current", NULL), 1);
  assert_true (json_u64 (stats, "memory", "usage", "usage") > 0);
  assert_int_equal (json_u64 (stats, "memory", "usage", "limit"), 64 << 20);
  assert_true (json_u64 (stats, "cpu", "usage", "total") > 0);
  json_object_put (stats);
}

static void
test_processes (void **state)
{
  sk_spec_resources r;
  sk_err *err = NULL;
  sk_cgroup *cg = NULL;
  char path[128];
  fmt (path, sizeof path, "%s/c2", base);
  memset (&r, 0, sizeof r);
  r.memory.limit = (sk_opt_i64){true, 64 << 20};
  r.pids.limit = (sk_opt_i64){true, 10};
  CHECK_OK (sk_cgroup_create (path, &r, &cg, &err), err);
  pid_t pid = start_sleeper ();
  CHECK_OK (sk_cgroup_enter (cg, pid, &err), err);
  release_sleeper ();
  assert_proc_cgroup (pid, path);

  pid_t *pids = NULL;
  size_t n = 0;
  CHECK_OK (sk_cgroup_pids (cg, &pids, &n, &err), err);
  assert_int_equal (n, 1);
  assert_int_equal (pids[0], pid);
  free (pids);

  bool frozen = true;
  CHECK_OK (sk_cgroup_is_frozen (cg, &frozen, &err), err);
  assert_false (frozen);
  CHECK_OK (sk_cgroup_freeze (cg, true, &err), err);
  CHECK_OK (sk_cgroup_is_frozen (cg, &frozen, &err), err);
  assert_true (frozen);
  assert_frozen_file (path, true);
  CHECK_OK (sk_cgroup_freeze (cg, false, &err), err);
  CHECK_OK (sk_cgroup_is_frozen (cg, &frozen, &err), err);
  assert_false (frozen);
  assert_frozen_file (path, false);

  check_stats (cg);
  check_update (cg, path);

  CHECK_OK (sk_cgroup_kill_all (cg, SIGKILL, &err), err);
  int st = wait_child (pid);
  assert_true (WIFSIGNALED (st));
  assert_int_equal (WTERMSIG (st), SIGKILL);
  CHECK_OK (sk_cgroup_pids (cg, &pids, &n, &err), err);
  assert_int_equal (n, 0);
  free (pids);
  CHECK_OK (sk_cgroup_destroy (cg, &err), err);
  sk_cgroup_free (cg);
  assert_dirs (path, false);
}

/* kill_all on a paused container keeps it paused (except for SIGKILL), and
 * destroy kills what is still running. */
static void
test_kill_and_destroy (void **state)
{
  sk_err *err = NULL;
  sk_cgroup *cg = NULL;
  char path[128], sub[160];
  fmt (path, sizeof path, "%s/c3", base);
  CHECK_OK (sk_cgroup_create (path, NULL, &cg, &err), err);
  pid_t pid = start_sleeper ();
  CHECK_OK (sk_cgroup_enter (cg, pid, &err), err);
  release_sleeper ();
  CHECK_OK (sk_cgroup_freeze (cg, true, &err), err);
  CHECK_OK (sk_cgroup_kill_all (cg, SIGTERM, &err), err);
  /* still asked to be frozen (on cgroup2 a fatal signal gets through anyway) */
  char buf[64];
  if (mount_for ("freezer")) {
    read_cg ("freezer", path, "freezer.state", buf, sizeof buf);
    assert_string_equal (buf, "FROZEN");
  } else {
    char p[512];
    cg_file (v2_mount (), path, "cgroup.freeze", p, sizeof p);
    assert_true (read_str (p, buf, sizeof buf));
    assert_string_equal (buf, "1");
  }
  CHECK_OK (sk_cgroup_freeze (cg, false, &err), err);
  int st = wait_child (pid);
  assert_true (WIFSIGNALED (st));
  assert_int_equal (WTERMSIG (st), SIGTERM);

  /* a process in a child cgroup the container made: destroy removes both */
  pid = start_sleeper ();
  CHECK_OK (sk_cgroup_enter (cg, pid, &err), err);
  release_sleeper ();
  for (size_t i = 0; i < n_mounts; i++) {
    cg_file (&mounts[i], path, "sub", sub, sizeof sub);
    assert_int_equal (mkdir (sub, 0755), 0);
  }
  CHECK_OK (sk_cgroup_destroy (cg, &err), err);
  st = wait_child (pid);
  assert_true (WIFSIGNALED (st));
  assert_int_equal (WTERMSIG (st), SIGKILL);
  sk_cgroup_free (cg);
  assert_dirs (path, false);
}

static int
eat_memory (const void *arg)
{
  size_t size = 256u << 20;
  volatile char *p = malloc (size); /* volatile: the writes must happen */
  if (p == NULL)
    return 3;
  for (size_t i = 0; i < size; i += 4096)
    p[i] = 1;
  return 0;
}

static void
test_oom (void **state)
{
  sk_spec_resources r;
  sk_err *err = NULL;
  sk_cgroup *cg = NULL;
  char path[128];
  uint64_t kills = 99;
  fmt (path, sizeof path, "%s/oom", base);
  memset (&r, 0, sizeof r);
  r.memory.limit = (sk_opt_i64){true, 32 << 20};
  if (host.swap)
    r.memory.swap = (sk_opt_i64){true, 32 << 20}; /* no swap at all */
  CHECK_OK (sk_cgroup_create (path, &r, &cg, &err), err);
  CHECK_OK (sk_cgroup_oom_kills (cg, &kills, &err), err);
  assert_int_equal (kills, 0);
  int st = run_in (cg, eat_memory, NULL);
  if (!WIFSIGNALED (st))
    fail_msg ("the child was not killed: exit status %d", WEXITSTATUS (st));
  assert_int_equal (WTERMSIG (st), SIGKILL);
  CHECK_OK (sk_cgroup_oom_kills (cg, &kills, &err), err);
  assert_true (kills >= 1);
  CHECK_OK (sk_cgroup_destroy (cg, &err), err);
  sk_cgroup_free (cg);
}

static void
test_devices (void **state)
{
  sk_spec_resources r;
  sk_err *err = NULL;
  sk_cgroup *cg = NULL;
  char path[128];
  fmt (path, sizeof path, "%s/dev", base);
  /* deny all, then /dev/null read-only */
  sk_spec_device_rule a[] = {rule (false, 'a', -1, -1, "rwm"), rule (true, 'c', 1, 3, "r")};
  set_rules (&r, a, 2);
  CHECK_OK (sk_cgroup_create (path, &r, &cg, &err), err);
  assert_int_equal (open_in (cg, "/dev/null", O_WRONLY), 1);
  assert_int_equal (open_in (cg, "/dev/null", O_RDONLY), 0);
  assert_int_equal (open_in (cg, "/dev/null", O_RDWR), 1);
  assert_int_equal (open_in (cg, "/dev/zero", O_RDONLY), 1);

  /* update: read and write; the old filter is replaced, not added to */
  sk_spec_device_rule b[] = {rule (false, 'a', -1, -1, "rwm"), rule (true, 'c', 1, 3, "r"),
                             rule (true, 'c', 1, 3, "w")};
  set_rules (&r, b, 3);
  CHECK_OK (sk_cgroup_update (cg, &r, &err), err);
  if (is_v2 ())
    assert_int_equal (attached_filters (path), 1);
  assert_int_equal (open_in (cg, "/dev/null", O_WRONLY), 0);
  assert_int_equal (open_in (cg, "/dev/null", O_RDWR), 0);
  assert_int_equal (open_in (cg, "/dev/zero", O_RDONLY), 1);

  /* the last matching rule wins */
  sk_spec_device_rule c[] = {rule (false, 'a', -1, -1, "rwm"), rule (true, 'c', 1, 3, "rwm"),
                             rule (true, 'c', 1, 5, "rwm"), rule (false, 'c', 1, 3, "w")};
  set_rules (&r, c, 4);
  CHECK_OK (sk_cgroup_update (cg, &r, &err), err);
  assert_int_equal (open_in (cg, "/dev/null", O_WRONLY), 1);
  assert_int_equal (open_in (cg, "/dev/null", O_RDONLY), 0);
  assert_int_equal (open_in (cg, "/dev/zero", O_RDWR), 0);

  /* allow all */
  sk_spec_device_rule d[] = {rule (true, 'a', -1, -1, "rwm")};
  set_rules (&r, d, 1);
  CHECK_OK (sk_cgroup_update (cg, &r, &err), err);
  assert_int_equal (open_in (cg, "/dev/null", O_RDWR), 0);
  if (is_v2 ())
    assert_int_equal (attached_filters (path), 1);
  CHECK_OK (sk_cgroup_destroy (cg, &err), err);
  sk_cgroup_free (cg);
}

static void
test_errors (void **state)
{
  sk_spec_resources r;
  sk_err *err = NULL;
  sk_cgroup *cg = NULL, *cg2 = NULL;
  char path[128], want[256], parent[128];

  /* an existing leaf: an error, and the existing one is left alone */
  fmt (path, sizeof path, "%s/exists", base);
  CHECK_OK (sk_cgroup_create (path, NULL, &cg, &err), err);
  assert_true (sk_cgroup_create (path, NULL, &cg2, &err) < 0);
  fmt (want, sizeof want, "cgroup `%s` already exists", path);
  assert_err (err, want);
  assert_int_equal (err->errnum, EEXIST);
  sk_err_free (&err);
  assert_dirs (path, true);
  CHECK_OK (sk_cgroup_destroy (cg, &err), err);
  sk_cgroup_free (cg);

  /* a bad unified key; the new parent made for it is removed too */
  fmt (parent, sizeof parent, "%s/newparent", base);
  fmt (path, sizeof path, "%s/leaf", parent);
  char *keys[] = {(char *) "../escape", NULL}, *values[] = {(char *) "1", NULL};
  memset (&r, 0, sizeof r);
  r.pids.limit = (sk_opt_i64){true, 5};
  r.unified_keys = keys;
  r.unified_values = values;
  create_fails (path, &r, expect_mode == SK_CGROUP_V1 ? "no cgroup2 hierarchy" : "`../escape`");
  assert_dirs (parent, false);
  keys[0] = (char *) "memory/x";
  create_fails (path, &r, expect_mode == SK_CGROUP_V1 ? "no cgroup2 hierarchy" : "`memory/x`");
  keys[0] = (char *) "no.such.file";
  create_fails (path, &r, expect_mode == SK_CGROUP_V1 ? "no cgroup2 hierarchy" : "does not exist");

  /* an unknown huge page size */
  memset (&r, 0, sizeof r);
  sk_spec_hugepage hp = {(char *) "3MB", 1 << 22};
  r.hugepages = &hp;
  r.n_hugepages = 1;
  create_fails (path, &r, mount_for ("hugetlb") ? "hugetlb.3MB." : "the hugetlb cgroup controller");
  hp.page_size = (char *) "../2MB";
  create_fails (path, &r, mount_for ("hugetlb") ? "is not a page size" : "hugetlb");

  /* network classes: v1 only, and only when net_cls is mounted */
  memset (&r, 0, sizeof r);
  r.network.class_id_set = true;
  r.network.class_id = 0x100001;
  if (!mount_for ("net_cls"))
    create_fails (path, &r,
                  is_v2 () ? "network.classID: not supported on cgroup v2" : "network.classID");
  /* a file this kernel does not have (CFQ's leaf weight left in 5.0) */
  memset (&r, 0, sizeof r);
  r.block_io.leaf_weight_set = true;
  r.block_io.leaf_weight = 100;
  if (is_v2 ())
    create_fails (path, &r, "linux.resources.blockIO.leafWeight: not supported on cgroup v2");
  else if (mount_for ("blkio") && !host.leaf_weight)
    create_fails (path, &r,
                  "linux.resources.blockIO.leafWeight: blkio.leaf_weight is not available "
                  "(not supported by this kernel)");
  /* the realtime scheduler has no cgroup2 files */
  memset (&r, 0, sizeof r);
  r.cpu.realtime_runtime = (sk_opt_i64){true, 1000};
  if (is_v2 ())
    create_fails (path, &r, "cpu.realtimeRuntime: not supported on cgroup v2");
  /* a cpuset the kernel refuses */
  memset (&r, 0, sizeof r);
  r.cpu.cpus = (char *) "100000";
  create_fails (path, &r, "linux.resources.cpu.cpus: write `100000`");
  assert_dirs (parent, false);
}

/* disableOOMKiller: memory.oom_control on v1, an error on cgroup2 */
static void
test_disable_oom_killer (void **state)
{
  sk_spec_resources r;
  sk_err *err = NULL;
  sk_cgroup *cg = NULL;
  char path[128], buf[256];
  fmt (path, sizeof path, "%s/nooom", base);
  memset (&r, 0, sizeof r);
  r.memory.disable_oom_killer_set = r.memory.disable_oom_killer = true;
  if (is_v2 ()) {
    create_fails (path, &r, "linux.resources.memory.disableOOMKiller: not supported on cgroup v2");
    return;
  }
  CHECK_OK (sk_cgroup_create (path, &r, &cg, &err), err);
  read_cg ("memory", path, "memory.oom_control", buf, sizeof buf);
  assert_non_null (strstr (buf, "oom_kill_disable 1"));
  r.memory.disable_oom_killer = false;
  CHECK_OK (sk_cgroup_update (cg, &r, &err), err);
  read_cg ("memory", path, "memory.oom_control", buf, sizeof buf);
  assert_non_null (strstr (buf, "oom_kill_disable 0"));
  CHECK_OK (sk_cgroup_destroy (cg, &err), err);
  sk_cgroup_free (cg);
}

static void
test_swap (void **state)
{
  sk_spec_resources r;
  char path[128];
  fmt (path, sizeof path, "%s/swap", base);
  memset (&r, 0, sizeof r);
  r.memory.limit = (sk_opt_i64){true, 64 << 20};
  r.memory.swap = (sk_opt_i64){true, 128 << 20};
  if (!host.swap) {
    create_fails (path, &r,
                  is_v2 () ? "linux.resources.memory.swap: memory.swap.max is not available "
                             "(swap accounting is off)"
                           : "linux.resources.memory.swap: memory.memsw.limit_in_bytes is not "
                             "available (swap accounting is off)");
    return;
  }
  /* swap (memory + swap) below the memory limit */
  r.memory.swap = (sk_opt_i64){true, 32 << 20};
  create_fails (path, &r, "linux.resources.memory.swap: 33554432 is below memory.limit 67108864");
  if (is_v2 ()) {
    /* without a limit there is nothing to subtract */
    r.memory.limit = (sk_opt_i64){false, 0};
    create_fails (path, &r, "needs memory.limit");
  }
  /* raising both on a running container: the writes go in the order the kernel needs */
  sk_err *err = NULL;
  sk_cgroup *cg = NULL;
  r.memory.limit = (sk_opt_i64){true, 64 << 20};
  r.memory.swap = (sk_opt_i64){true, 64 << 20};
  CHECK_OK (sk_cgroup_create (path, &r, &cg, &err), err);
  r.memory.limit = (sk_opt_i64){true, 256 << 20};
  r.memory.swap = (sk_opt_i64){true, 512 << 20};
  CHECK_OK (sk_cgroup_update (cg, &r, &err), err);
  assert_cg ("memory", path, is_v2 () ? "memory.swap.max" : "memory.memsw.limit_in_bytes",
             is_v2 () ? "268435456" : "536870912");
  r.memory.limit = (sk_opt_i64){true, 16 << 20};
  r.memory.swap = (sk_opt_i64){true, 32 << 20};
  CHECK_OK (sk_cgroup_update (cg, &r, &err), err);
  assert_cg ("memory", path, is_v2 () ? "memory.max" : "memory.limit_in_bytes", "16777216");
  r.memory.limit = (sk_opt_i64){true, -1};
  r.memory.swap = (sk_opt_i64){true, -1};
  CHECK_OK (sk_cgroup_update (cg, &r, &err), err);
  if (is_v2 ())
    assert_cg ("memory", path, "memory.swap.max", "max");
  CHECK_OK (sk_cgroup_destroy (cg, &err), err);
  sk_cgroup_free (cg);
}

static void
test_blkio_throttle (void **state)
{
  unsigned major, minor;
  if (!mount_for ("blkio")) {
    print_message ("# no blkio/io controller\n");
    skip ();
  }
  if (!block_device (&major, &minor)) {
    print_message ("# no block device in /sys/block to throttle\n");
    skip ();
  }
  sk_spec_resources r;
  sk_spec_throttle rbps = {major, minor, 1 << 20}, wiops = {major, minor, 2000};
  sk_err *err = NULL;
  sk_cgroup *cg = NULL;
  char path[128], want[128];
  fmt (path, sizeof path, "%s/blkio", base);
  memset (&r, 0, sizeof r);
  r.block_io.throttle[SK_THROTTLE_READ_BPS] = &rbps;
  r.block_io.n_throttle[SK_THROTTLE_READ_BPS] = 1;
  r.block_io.throttle[SK_THROTTLE_WRITE_IOPS] = &wiops;
  r.block_io.n_throttle[SK_THROTTLE_WRITE_IOPS] = 1;
  CHECK_OK (sk_cgroup_create (path, &r, &cg, &err), err);
  if (is_v2 ()) {
    fmt (want, sizeof want, "%u:%u rbps=1048576 wbps=max riops=max wiops=2000", major, minor);
    assert_cg ("blkio", path, "io.max", want);
  } else {
    fmt (want, sizeof want, "%u:%u 1048576", major, minor);
    assert_cg ("blkio", path, "blkio.throttle.read_bps_device", want);
    fmt (want, sizeof want, "%u:%u 2000", major, minor);
    assert_cg ("blkio", path, "blkio.throttle.write_iops_device", want);
  }
  /* a rate of 0 lifts the limit */
  rbps.rate = 0;
  r.block_io.n_throttle[SK_THROTTLE_WRITE_IOPS] = 0;
  CHECK_OK (sk_cgroup_update (cg, &r, &err), err);
  if (is_v2 ()) {
    fmt (want, sizeof want, "%u:%u rbps=max wbps=max riops=max wiops=2000", major, minor);
    assert_cg ("blkio", path, "io.max", want);
  } else {
    assert_cg ("blkio", path, "blkio.throttle.read_bps_device", "");
  }
  CHECK_OK (sk_cgroup_destroy (cg, &err), err);
  sk_cgroup_free (cg);
}

/* Not a pass/fail test: how long create, enter and destroy take. */
static void
test_timing (void **state)
{
  enum { N = 20 };
  sk_spec_resources r;
  sk_spec_device_rule rules[8];
  size_t n_rules;
  sk_err *err = NULL;
  double t_create = 0, t_enter = 0, t_destroy = 0;
  full_resources (&r, rules, &n_rules);
  r.unified_keys = r.unified_values = NULL;
  pid_t pid = start_sleeper ();
  release_sleeper ();
  for (int i = 0; i < N; i++) {
    char path[128];
    sk_cgroup *cg = NULL;
    struct timespec t;
    fmt (path, sizeof path, "%s/t%d", base, i);
    clock_gettime (CLOCK_MONOTONIC, &t);
    CHECK_OK (sk_cgroup_create (path, &r, &cg, &err), err);
    t_create += elapsed_us (&t);
    clock_gettime (CLOCK_MONOTONIC, &t);
    CHECK_OK (sk_cgroup_enter (cg, pid, &err), err);
    t_enter += elapsed_us (&t);
    clock_gettime (CLOCK_MONOTONIC, &t);
    CHECK_OK (sk_cgroup_destroy (cg, &err), err); /* kills the sleeper the first time */
    t_destroy += elapsed_us (&t);
    sk_cgroup_free (cg);
    if (i == 0) {
      wait_child (pid);
      pid = start_sleeper ();
      release_sleeper ();
      t_create = t_enter = t_destroy = 0;
    }
  }
  kill (pid, SIGKILL);
  wait_child (pid);
  print_message ("# timing (%s, %zu hierarchies): create %.0f us, enter %.0f us, "
                 "destroy %.0f us (mean of %d)\n",
                 sk_cgroup_mode_name (expect_mode), n_mounts, t_create / (N - 1), t_enter / (N - 1),
                 t_destroy / (N - 1), N - 1);
}

static void
test_systemd_paths (void **state)
{
  static const char *const cases[][2] = {
      {"machine.slice:libpod:abc", "/machine.slice/libpod-abc.scope"},
      {"system.slice:docker:x1", "/system.slice/docker-x1.scope"},
      {"user-1000.slice:podman:c", "/user.slice/user-1000.slice/podman-c.scope"},
      {":skiff:c2", "/system.slice/skiff-c2.scope"},
      {"a-b-c.slice::n", "/a.slice/a-b.slice/a-b-c.slice/n.scope"},
      {"machine.slice:ignored:sub.slice", "/machine.slice/sub.slice"},
      {"-.slice:p:n", "/p-n.scope"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *p = sk_cgroup_systemd_path (cases[i][0]);
    assert_non_null (p);
    assert_string_equal (p, cases[i][1]);
    free (p);
  }
  assert_null (sk_cgroup_systemd_path ("notaslice:p:n"));
  assert_null (sk_cgroup_systemd_path ("machine.slice:p:"));
  assert_null (sk_cgroup_systemd_path ("a/b.slice:p:n"));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_detect),
      cmocka_unit_test (test_paths),
      cmocka_unit_test (test_create_resources),
      cmocka_unit_test (test_processes),
      cmocka_unit_test (test_kill_and_destroy),
      cmocka_unit_test (test_oom),
      cmocka_unit_test (test_devices),
      cmocka_unit_test (test_errors),
      cmocka_unit_test (test_disable_oom_killer),
      cmocka_unit_test (test_swap),
      cmocka_unit_test (test_blkio_throttle),
      cmocka_unit_test (test_timing),
      cmocka_unit_test (test_systemd_paths),
  };
  return cmocka_run_group_tests (tests, group_setup, group_teardown);
}
