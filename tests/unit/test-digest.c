/* Unit tests: sha256 digests (src/image/digest.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "image/digest.h"

static void
test_known_values (void **state)
{
  char buf[SK_DIGEST_STR_SIZE];
  sk_digest d;
  sk_digest_of ("", 0, &d);
  assert_string_equal (sk_digest_format (&d, buf),
                       "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  sk_digest_of ("abc", 3, &d);
  assert_string_equal (sk_digest_format (&d, buf),
                       "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void
test_streaming_equals_one_shot (void **state)
{
  char data[10000];
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (char) (i * 7);
  sk_digest whole, parts;
  sk_digest_of (data, sizeof data, &whole);
  _cleanup_hasher_ sk_hasher *h = sk_hasher_new ();
  assert_non_null (h);
  for (size_t off = 0; off < sizeof data; off += 333)
    sk_hasher_update (h, data + off, off + 333 > sizeof data ? sizeof data - off : 333);
  sk_hasher_final (h, &parts);
  assert_true (sk_digest_equal (&whole, &parts));
}

static void
test_parse (void **state)
{
  const char *good = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  sk_digest d, abc;
  sk_err *err = NULL;
  assert_int_equal (sk_digest_parse (good, &d, &err), 0);
  sk_digest_of ("abc", 3, &abc);
  assert_true (sk_digest_equal (&d, &abc));

  static const struct {
    const char *text, *says;
  } bad[] = {
      {"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "no algorithm"},
      {"sha512:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "only sha256"},
      {"sha256:ba7816bf", "64 hex digits"},
      {"sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", "lowercase hex"},
      {"sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a/", "lowercase hex"},
      {"sha256:", "64 hex digits"},
      {"", "no algorithm"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    sk_err *e = NULL;
    assert_int_equal (sk_digest_parse (bad[i].text, &d, &e), -1);
    if (strstr (e->msg, bad[i].says) == NULL)
      fail_msg ("`%s`: `%s` does not say `%s`", bad[i].text, e->msg, bad[i].says);
    sk_err_free (&e);
  }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_known_values),
      cmocka_unit_test (test_streaming_equals_one_shot),
      cmocka_unit_test (test_parse),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
