/* Unit tests: the JSON wrapper's parsing and path-aware typed reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "util/cleanup.h"
#include "util/json.h"

static void
test_syntax_error_has_position (void **state)
{
  const char *doc = "{\n  \"a\": 1,\n  \"b\": ]\n}";
  sk_json *obj = NULL;
  _cleanup_err_ sk_err *err = NULL;
  assert_int_equal (sk_json_parse (doc, strlen (doc), "x.json", &obj, &err), -1);
  assert_non_null (strstr (err->msg, "x.json: invalid JSON at line 3"));
}

static void
test_trailing_data_refused (void **state)
{
  const char *doc = "{} x";
  sk_json *obj = NULL;
  _cleanup_err_ sk_err *err = NULL;
  assert_int_equal (sk_json_parse (doc, strlen (doc), "d", &obj, &err), -1);
  assert_non_null (strstr (err->msg, "trailing data"));
}

static void
test_truncated_refused (void **state)
{
  const char *doc = "{\"a\": [1, 2";
  sk_json *obj = NULL;
  _cleanup_err_ sk_err *err = NULL;
  assert_int_equal (sk_json_parse (doc, strlen (doc), "d", &obj, &err), -1);
  assert_non_null (strstr (err->msg, "unexpected end"));
}

static void
test_typed_reads_name_the_path (void **state)
{
  const char *doc = "{\"process\": {\"args\": [\"sh\", 3], \"n\": -5, \"big\": 18446744073709551615}}";
  _cleanup_json_ sk_json *obj = NULL;
  _cleanup_err_ sk_err *err = NULL;
  assert_int_equal (sk_json_parse (doc, strlen (doc), "d", &obj, &err), 0);
  sk_jr root = {.obj = obj};
  sk_jr p = sk_jr_member (&root, "process");
  sk_jr a = sk_jr_member (&p, "args");
  char **v = NULL;
  assert_int_equal (sk_jr_strv (&a, &v, &err), -1);
  assert_string_equal (err->msg, "process.args[1]: expected a string, got an integer");
  sk_err_free (&err);

  sk_jr n = sk_jr_member (&p, "n");
  uint64_t u = 0;
  assert_int_equal (sk_jr_uint64 (&n, &u, &err), -1);
  assert_string_equal (err->msg, "process.n: expected a non-negative integer");
  sk_err_free (&err);
  int64_t i = 0;
  assert_int_equal (sk_jr_int64 (&n, &i, &err), 1);
  assert_int_equal (i, -5);

  sk_jr big = sk_jr_member (&p, "big");
  assert_int_equal (sk_jr_uint64 (&big, &u, &err), 1);
  assert_true (u == UINT64_MAX);
  assert_int_equal (sk_jr_int64 (&big, &i, &err), -1);
  sk_err_free (&err);

  sk_jr missing = sk_jr_member (&p, "nothing");
  char *s = NULL;
  assert_int_equal (sk_jr_string (&missing, &s, &err), 0);
  assert_null (s);
}

static void
test_string_map (void **state)
{
  const char *doc = "{\"a\": \"1\", \"b\": \"2\"}";
  _cleanup_json_ sk_json *obj = NULL;
  _cleanup_err_ sk_err *err = NULL;
  assert_int_equal (sk_json_parse (doc, strlen (doc), "d", &obj, &err), 0);
  sk_jr root = {.obj = obj};
  _cleanup_strv_ char **k = NULL;
  _cleanup_strv_ char **v = NULL;
  assert_int_equal (sk_jr_string_map (&root, &k, &v, &err), 1);
  assert_string_equal (k[0], "a");
  assert_string_equal (v[1], "2");
  assert_null (k[2]);
}

/* Numbers json-c keeps as doubles: NaN, the infinities and exponents beyond
 * the integers' range are refused, never converted. */
static void
test_doubles_out_of_range (void **state)
{
  const char *doc = "{\"nan\": NaN, \"inf\": Infinity, \"ninf\": -Infinity, \"huge\": 1e300,"
                    " \"big\": 9.3e18, \"nbig\": -1e19, \"frac\": -0.5, \"whole\": 2e3}";
  _cleanup_json_ sk_json *obj = NULL;
  _cleanup_err_ sk_err *err = NULL;
  assert_int_equal (sk_json_parse (doc, strlen (doc), "d", &obj, &err), 0);
  sk_jr root = {.obj = obj};
  static const struct {
    const char *key, *msg;
  } bad[] = {
      {"nan", "nan: expected an integer, got nan"}, {"inf", "inf: integer out of range"},
      {"ninf", "ninf: integer out of range"},       {"huge", "huge: integer out of range"},
      {"nbig", "nbig: integer out of range"},       {"frac", "frac: expected an integer, got -0.5"},
  };
  int64_t i = 0;
  uint64_t u = 0;
  for (size_t k = 0; k < SK_N_ELEMENTS (bad); k++) {
    sk_jr m = sk_jr_member (&root, bad[k].key);
    assert_int_equal (sk_jr_int64 (&m, &i, &err), -1);
    assert_string_equal (err->msg, bad[k].msg);
    sk_err_free (&err);
    assert_int_equal (sk_jr_uint64 (&m, &u, &err), -1);
    sk_err_free (&err);
  }
  sk_jr big = sk_jr_member (&root, "big");
  assert_int_equal (sk_jr_uint64 (&big, &u, &err), 1);
  assert_true (u == 9300000000000000000ULL);
  assert_int_equal (sk_jr_int64 (&big, &i, &err), -1);
  assert_string_equal (err->msg, "big: integer out of range");
  sk_err_free (&err);
  sk_jr whole = sk_jr_member (&root, "whole");
  assert_int_equal (sk_jr_int64 (&whole, &i, &err), 1);
  assert_int_equal (i, 2000);
}

/* A NUL inside a string (\u0000) would cut its C copy short: refused. */
static void
test_nul_in_string_refused (void **state)
{
  const char *doc = "{\"s\": \"0-3\\u0000junk\", \"v\": [\"ok\", \"a\\u0000\"],"
                    " \"m\": {\"memory.max\": \"1\\u00002\"}}";
  _cleanup_json_ sk_json *obj = NULL;
  _cleanup_err_ sk_err *err = NULL;
  assert_int_equal (sk_json_parse (doc, strlen (doc), "d", &obj, &err), 0);
  sk_jr root = {.obj = obj};
  sk_jr s = sk_jr_member (&root, "s"), v = sk_jr_member (&root, "v"), m = sk_jr_member (&root, "m");
  _cleanup_free_ char *str = NULL;
  assert_int_equal (sk_jr_string (&s, &str, &err), -1);
  assert_string_equal (err->msg, "s: contains a NUL character");
  assert_null (str);
  sk_err_free (&err);
  _cleanup_strv_ char **strv = NULL;
  assert_int_equal (sk_jr_strv (&v, &strv, &err), -1);
  assert_string_equal (err->msg, "v[1]: contains a NUL character");
  assert_null (strv);
  sk_err_free (&err);
  _cleanup_strv_ char **keys = NULL, **values = NULL;
  assert_int_equal (sk_jr_string_map (&m, &keys, &values, &err), -1);
  assert_string_equal (err->msg, "m.memory.max: contains a NUL character");
  assert_null (keys);
}

/* Parsing is bounded: nesting beyond SK_JSON_MAX_DEPTH and documents beyond
 * SK_JSON_MAX_SIZE are refused before json-c builds them. */
static void
test_limits (void **state)
{
  size_t n = 100000;
  _cleanup_free_ char *doc = malloc (SK_JSON_MAX_SIZE + 2);
  assert_non_null (doc);
  memset (doc, '[', n);
  memset (doc + n, ']', n);
  sk_json *obj = NULL;
  _cleanup_err_ sk_err *err = NULL;
  assert_int_equal (sk_json_parse (doc, 2 * n, "d", &obj, &err), -1);
  assert_string_equal (err->msg, "d: invalid JSON at line 1 column 33: nesting too deep");
  sk_err_free (&err);
  /* as deep as allowed */
  assert_int_equal (
      sk_json_parse (doc + n - SK_JSON_MAX_DEPTH, 2 * SK_JSON_MAX_DEPTH, "d", &obj, &err), 0);
  json_object_put (obj);

  memset (doc, ' ', SK_JSON_MAX_SIZE + 1);
  memcpy (doc, "{}", 2);
  assert_int_equal (sk_json_parse (doc, SK_JSON_MAX_SIZE + 1, "d", &obj, &err), -1);
  assert_string_equal (err->msg, "d: document too large (4194305 bytes, at most 4194304)");
  sk_err_free (&err);
  assert_int_equal (sk_json_parse (doc, SK_JSON_MAX_SIZE, "d", &obj, &err), 0);
  json_object_put (obj);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_syntax_error_has_position),
      cmocka_unit_test (test_trailing_data_refused),
      cmocka_unit_test (test_truncated_refused),
      cmocka_unit_test (test_typed_reads_name_the_path),
      cmocka_unit_test (test_string_map),
      cmocka_unit_test (test_doubles_out_of_range),
      cmocka_unit_test (test_nul_in_string_refused),
      cmocka_unit_test (test_limits),
  };
  return cmocka_run_group_tests_name ("json", tests, NULL, NULL);
}
