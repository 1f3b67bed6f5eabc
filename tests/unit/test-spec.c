/* Unit tests: config.json parsing and validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <cmocka.h>

#include "oci/oci.h"
#include "util/cleanup.h"

#define MINIMAL_LINUX "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"pid\"}]}"

static sk_spec *
parse_ok (const char *doc)
{
  sk_spec *s = NULL;
  _cleanup_err_ sk_err *err = NULL;
  if (sk_spec_parse (doc, strlen (doc), "config.json", &s, &err) < 0)
    fail_msg ("unexpected error: %s", err->msg);
  return s;
}

static void
expect_error (const char *doc, const char *msg)
{
  sk_spec *s = NULL;
  _cleanup_err_ sk_err *err = NULL;
  assert_int_equal (sk_spec_parse (doc, strlen (doc), "config.json", &s, &err), -1);
  assert_null (s);
  if (strcmp (err->msg, msg) != 0)
    fail_msg ("got `%s`, want `%s`", err->msg, msg);
}

static void
test_full_document (void **state)
{
  const char *doc =
      "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"rootfs\", \"readonly\": true},"
      " \"hostname\": \"box\","
      " \"process\": {\"terminal\": true, \"consoleSize\": {\"height\": 40, \"width\": 100},"
      "   \"user\": {\"uid\": 1000, \"gid\": 100, \"umask\": 18, \"additionalGids\": [5, 6]},"
      "   \"args\": [\"sh\", \"-c\", \"true\"], \"env\": [\"PATH=/bin\"], \"cwd\": \"/\","
      "   \"capabilities\": {\"bounding\": [\"CAP_KILL\", \"CAP_CHOWN\"], \"ambient\": [\"CAP_KILL\"]},"
      "   \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1024, \"hard\": 2048}],"
      "   \"noNewPrivileges\": true, \"oomScoreAdj\": 100},"
      " \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
      "   {\"destination\": \"/data\", \"source\": \"/tmp\", \"options\": [\"rbind\", \"ro\", \"nosuid\", \"rslave\", \"mode=755\"]}],"
      " \"hooks\": {\"poststop\": [{\"path\": \"/bin/true\", \"args\": [\"true\"], \"timeout\": 5}]},"
      " \"annotations\": {\"k\": \"v\"},"
      " \"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"network\", \"path\": \"/run/netns/x\"}, {\"type\": \"uts\"}],"
      "   \"cgroupsPath\": \"/skiff/t\","
      "   \"resources\": {\"memory\": {\"limit\": 67108864, \"swappiness\": 10},"
      "     \"cpu\": {\"shares\": 512, \"quota\": 50000, \"period\": 100000, \"cpus\": \"0\"},"
      "     \"pids\": {\"limit\": 64},"
      "     \"blockIO\": {\"weight\": 300, \"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 1048576}]},"
      "     \"devices\": [{\"allow\": false, \"access\": \"rwm\"}, {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"rw\"}],"
      "     \"unified\": {\"memory.high\": \"1000000\"}},"
      "   \"rootfsPropagation\": \"rslave\","
      "   \"maskedPaths\": [\"/proc/kcore\"], \"readonlyPaths\": [\"/proc/sys\"],"
      "   \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"},"
      "   \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1,"
      "     \"architectures\": [\"SCMP_ARCH_X86_64\"],"
      "     \"syscalls\": [{\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38,"
      "        \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}}}";
  _cleanup_spec_ sk_spec *s = parse_ok (doc);
  assert_true (s->root_readonly);
  assert_string_equal (s->hostname, "box");
  assert_true (s->process->terminal);
  assert_int_equal (s->process->console_width, 100);
  assert_int_equal (s->process->user.uid, 1000);
  assert_int_equal (s->process->user.n_additional_gids, 2);
  assert_true (s->process->user.umask_set);
  assert_true (s->process->caps.bounding == ((1ULL << 5) | (1ULL << 0)));
  assert_true (s->process->caps.ambient == (1ULL << 5));
  assert_int_equal (s->process->rlimits[0].resource, RLIMIT_NOFILE);
  assert_int_equal (s->process->oom_score_adj, 100);
  assert_int_equal (s->n_mounts, 2);
  assert_true (s->mounts[1].bind);
  assert_true (s->mounts[1].flags & MS_RDONLY);
  assert_true (s->mounts[1].flags & MS_REC);
  assert_int_equal (s->mounts[1].propagation, MS_SLAVE | MS_REC);
  assert_string_equal (s->mounts[1].data, "mode=755");
  assert_int_equal (s->hooks.n[SK_HOOK_POSTSTOP], 1);
  assert_int_equal (s->hooks.list[SK_HOOK_POSTSTOP][0].timeout, 5);
  assert_true (s->linux_.namespaces[SK_NS_NETWORK].present);
  assert_string_equal (s->linux_.namespaces[SK_NS_NETWORK].path, "/run/netns/x");
  assert_false (s->linux_.namespaces[SK_NS_PID].present);
  assert_true (s->linux_.resources.memory.limit.set);
  assert_true (s->linux_.resources.memory.limit.v == 67108864);
  assert_false (s->linux_.resources.memory.reservation.set);
  assert_true (s->linux_.resources.cpu.quota.v == 50000);
  assert_string_equal (s->linux_.resources.cpu.cpus, "0");
  assert_true (s->linux_.resources.pids.limit.v == 64);
  assert_int_equal (s->linux_.resources.block_io.weight, 300);
  assert_int_equal (s->linux_.resources.block_io.n_throttle[SK_THROTTLE_READ_BPS], 1);
  assert_int_equal (s->linux_.resources.n_devices, 2);
  assert_int_equal (s->linux_.resources.devices[0].type, 'a');
  assert_true (s->linux_.resources.devices[0].major == -1);
  assert_string_equal (s->linux_.resources.unified_keys[0], "memory.high");
  assert_int_equal (s->linux_.rootfs_propagation, MS_SLAVE | MS_REC);
  assert_int_equal (s->linux_.seccomp->default_action, SK_SCMP_ACT_ERRNO);
  assert_int_equal (s->linux_.seccomp->syscalls[0].errno_ret, 38);
  assert_int_equal (s->linux_.seccomp->syscalls[0].args[0].op, SK_SCMP_EQ);
  assert_string_equal (s->linux_.sysctl_keys[0], "net.ipv4.ip_forward");
  assert_non_null (s->raw);
}

static void
test_bad_documents (void **state)
{
  expect_error ("[]", "config.json: expected an object, got an array");
  expect_error ("{\"root\": {\"path\": \"r\"}, " MINIMAL_LINUX "}", "config.json: ociVersion: missing");
  expect_error ("{\"ociVersion\": \"1.0.2\", " MINIMAL_LINUX "}", "config.json: root: missing");
  expect_error ("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": 5}, " MINIMAL_LINUX "}",
                "config.json: root.path: expected a string, got an integer");
  expect_error ("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"r\"}, \"process\": {\"args\": [\"sh\"]}, " MINIMAL_LINUX "}",
                "config.json: process.cwd: missing");
  expect_error ("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"r\"}, \"process\": {\"args\": [], \"cwd\": \"/\"}, " MINIMAL_LINUX "}",
                "config.json: process.args: must name the program to run");
  expect_error ("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"r\"}, \"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"bogus\"}]}}",
                "config.json: linux.namespaces[1].type: unknown namespace type `bogus`");
  expect_error ("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"r\"}, \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", "
                "\"capabilities\": {\"bounding\": [\"CAP_KILL\", \"CAP_FLY\"]}}, " MINIMAL_LINUX "}",
                "config.json: process.capabilities.bounding[1]: unknown capability `CAP_FLY`");
  expect_error ("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"r\"}, \"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"user\"}]}}",
                "config.json: linux.uidMappings: a new user namespace needs uidMappings and gidMappings");
  expect_error ("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"r\"}, \"hostname\": \"h\", " MINIMAL_LINUX "}",
                "config.json: hostname: setting the hostname needs a uts namespace");
  expect_error ("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"r\"}, \"linux\": {\"namespaces\": [{\"type\": \"mount\"}],"
                " \"resources\": {\"memory\": {\"limit\": \"lots\"}}}}",
                "config.json: linux.resources.memory.limit: expected an integer, got a string");
  expect_error ("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"r\"}, \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", "
                "\"rlimits\": [{\"type\": \"RLIMIT_FOO\", \"soft\": 1, \"hard\": 1}]}, " MINIMAL_LINUX "}",
                "config.json: process.rlimits[0].type: unknown rlimit `RLIMIT_FOO`");
  expect_error ("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"r\"}, \"linux\": {\"namespaces\": [{\"type\": \"pid\"}]}}",
                "config.json: linux.namespaces: a mount namespace is required");
}

static void
test_resources_alone (void **state)
{
  const char *doc = "{\"memory\": {\"limit\": 1048576}, \"pids\": {\"limit\": 10}}";
  sk_spec_resources r = {0};
  _cleanup_err_ sk_err *err = NULL;
  assert_int_equal (sk_spec_resources_parse (doc, strlen (doc), "-", &r, &err), 0);
  assert_true (r.memory.limit.v == 1048576);
  assert_true (r.pids.limit.v == 10);
  sk_spec_resources_clear (&r);
  const char *bad = "{\"cpu\": {\"shares\": -1}}";
  assert_int_equal (sk_spec_resources_parse (bad, strlen (bad), "-", &r, &err), -1);
  assert_string_equal (err->msg, "-: cpu.shares: expected a non-negative integer");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_full_document),
      cmocka_unit_test (test_bad_documents),
      cmocka_unit_test (test_resources_alone),
  };
  return cmocka_run_group_tests_name ("spec", tests, NULL, NULL);
}
