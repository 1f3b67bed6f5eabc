/* Unit tests: docker's --detach-keys, and the input with them taken out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cli/detach-keys.h"

static void
test_parse (void **state)
{
  (void) state;
  unsigned char k[SK_DETACH_KEYS_MAX];
  size_t n;
  sk_err *err = NULL;
  assert_int_equal (sk_cli_detach_keys (NULL, k, &n, &err), 0);
  assert_int_equal (n, 2);
  assert_int_equal (k[0], 16);
  assert_int_equal (k[1], 17);
  assert_int_equal (sk_cli_detach_keys ("ctrl-A,x,ctrl-@,ctrl-[,ctrl-_", k, &n, &err), 0);
  assert_int_equal (n, 5);
  assert_memory_equal (k, "\001x\000\033\037", 5);
  const char *bad[] = {"", "ctrl-1", "ab", "ctrl-p,", "ctrl-", "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal (sk_cli_detach_keys (bad[i], k, &n, &err), -1);
    assert_non_null (strstr (err->msg, "Invalid detach keys"));
    sk_err_free (&err);
  }
}

/* in, fed in pieces split at '|', gives want and detaches or not */
static void
check (const char *spec, const char *in, const char *want, bool detach)
{
  sk_detach d = {0};
  sk_err *err = NULL;
  assert_int_equal (sk_cli_detach_keys (spec, d.keys, &d.n, &err), 0);
  char got[256];
  size_t len = 0;
  bool detached = false;
  for (const char *p = in; *p && !detached;) {
    size_t piece = strcspn (p, "|");
    len += sk_detach_filter (&d, (const unsigned char *) p, piece, (unsigned char *) got + len,
                             &detached);
    p += piece + (p[piece] == '|');
  }
  got[len] = '\0';
  assert_string_equal (got, want);
  assert_int_equal (detached, detach);
}

static void
test_filter (void **state)
{
  (void) state;
  check (NULL, "ls\r", "ls\r", false);
  check (NULL, "ab\020\021cd", "ab", true);
  check (NULL, "ab\020|\021cd", "ab", true);
  /* a key that breaks the sequence: what was held back goes on */
  check (NULL, "a\020b", "a\020b", false);
  check (NULL, "\020\020\021", "\020", true);
  check ("x,y,z", "xyxyz", "xy", true);
  check ("q", "abq", "ab", true);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_parse),
      cmocka_unit_test (test_filter),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
