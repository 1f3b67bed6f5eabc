/* Unit tests: ids, signals, mount options, and the documents `spec` and
 * `features` write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <cmocka.h>

#include "oci/oci.h"
#include "runtime/runtime.h"
#include "util/cleanup.h"
#include "util/proc.h"

static void
test_container_ids (void **state)
{
  static const char *const good[] = {"a", "abc-123", "A.b_c+d", "0123456789abcdef"};
  static const char *const bad[] = {"", "a/b", "..", "x..y", "-a", ".hidden", "a b", "é"};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    _cleanup_err_ sk_err *err = NULL;
    assert_int_equal (sk_container_id_check (good[i], &err), 0);
  }
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    _cleanup_err_ sk_err *err = NULL;
    assert_int_equal (sk_container_id_check (bad[i], &err), -1);
    assert_non_null (strstr (err->msg, "container id"));
  }
  char *long_id = malloc (1100);
  memset (long_id, 'a', 1099);
  long_id[1099] = '\0';
  _cleanup_err_ sk_err *err = NULL;
  assert_int_equal (sk_container_id_check (long_id, &err), -1);
  free (long_id);
}

static void
test_signals (void **state)
{
  assert_int_equal (sk_signal_parse ("KILL"), SIGKILL);
  assert_int_equal (sk_signal_parse ("SIGTERM"), SIGTERM);
  assert_int_equal (sk_signal_parse ("sigusr1"), SIGUSR1);
  assert_int_equal (sk_signal_parse ("9"), 9);
  assert_int_equal (sk_signal_parse ("SIGRTMIN+3"), SIGRTMIN + 3);
  assert_int_equal (sk_signal_parse ("RTMAX-1"), SIGRTMAX - 1);
  assert_int_equal (sk_signal_parse ("0"), -1);
  assert_int_equal (sk_signal_parse ("65"), -1);
  assert_int_equal (sk_signal_parse ("SIGNOPE"), -1);
  assert_int_equal (sk_signal_parse ("RTMIN+99"), -1);
  assert_int_equal (sk_signal_parse (""), -1);
  assert_string_equal (sk_signal_name (SIGINT), "INT");
  assert_int_equal (sk_exit_code (9), 137);     /* killed by SIGKILL */
  assert_int_equal (sk_exit_code (3 << 8), 3); /* exited with 3 */
}

static void
test_mount_options (void **state)
{
  char *opts[] = {"rbind", "ro", "nosuid", "rw", "noexec", "rslave", "mode=755", "size=1m", "rro", NULL};
  sk_spec_mount m = {.destination = "/x", .type = "bind", .options = opts};
  _cleanup_err_ sk_err *err = NULL;
  assert_int_equal (sk_mount_options_parse (&m, &err), 0);
  assert_true (m.bind);
  assert_true (m.flags & MS_REC);
  /* "rw" after "ro": not read-only, and the flag is marked as cleared */
  assert_false (m.flags & MS_RDONLY);
  assert_true (m.cleared & MS_RDONLY);
  assert_true (m.flags & MS_NOSUID);
  assert_int_equal (m.propagation, MS_SLAVE | MS_REC);
  assert_string_equal (m.data, "mode=755,size=1m");
  assert_true (m.attr_set != 0);
  free (m.data);
  char *idmap[] = {"idmap", NULL};
  sk_spec_mount m2 = {.destination = "/y", .type = "bind", .options = idmap};
  assert_int_equal (sk_mount_options_parse (&m2, &err), -1);
  assert_non_null (strstr (err->msg, "`idmap` is not supported"));
}

static void
test_default_spec_parses (void **state)
{
  for (int rootless = 0; rootless < 2; rootless++) {
    _cleanup_free_ char *doc = sk_runtime_default_spec (rootless);
    _cleanup_spec_ sk_spec *s = NULL;
    _cleanup_err_ sk_err *err = NULL;
    if (sk_spec_parse (doc, strlen (doc), "spec", &s, &err) < 0)
      fail_msg ("%s", err->msg);
    assert_int_equal (__builtin_popcountll (s->process->caps.bounding), 14);
    assert_true (s->root_readonly);
    assert_true (s->process->no_new_privileges);
    assert_int_equal (s->linux_.namespaces[SK_NS_USER].present, rootless);
  }
}

static void
test_features (void **state)
{
  _cleanup_json_ sk_json *f = sk_runtime_features ();
  sk_json *l = NULL, *ns = NULL, *sc = NULL, *acts = NULL;
  assert_true (json_object_object_get_ex (f, "linux", &l));
  assert_true (json_object_object_get_ex (l, "namespaces", &ns));
  assert_int_equal (json_object_array_length (ns), SK_NS_TYPES);
  assert_true (json_object_object_get_ex (l, "seccomp", &sc));
  assert_true (json_object_object_get_ex (sc, "actions", &acts));
  assert_true (json_object_array_length (acts) >= 8);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_container_ids),     cmocka_unit_test (test_signals),
      cmocka_unit_test (test_mount_options),     cmocka_unit_test (test_default_spec_parses),
      cmocka_unit_test (test_features),
  };
  return cmocka_run_group_tests_name ("names", tests, NULL, NULL);
}
