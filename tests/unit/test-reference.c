/* Unit tests: image references (src/oci/reference.c), normalised as docker
 * pull would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oci/reference.h"
#include "util/cleanup.h"

#define D64 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void
test_normalised (void **state)
{
  static const struct {
    const char *in, *full, *familiar;
  } cases[] = {
      {"busybox", "docker.io/library/busybox:latest", "busybox:latest"},
      {"busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"},
      {"library/busybox", "docker.io/library/busybox:latest", "busybox:latest"},
      {"docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest"},
      {"index.docker.io/library/busybox", "docker.io/library/busybox:latest", "busybox:latest"},
      {"user/app:v1.0_rc-2", "docker.io/user/app:v1.0_rc-2", "user/app:v1.0_rc-2"},
      {"localhost/app", "localhost/app:latest", "localhost/app:latest"},
      {"localhost:5000/app", "localhost:5000/app:latest", "localhost:5000/app:latest"},
      {"127.0.0.1:5000/ns/sub/app:t", "127.0.0.1:5000/ns/sub/app:t", "127.0.0.1:5000/ns/sub/app:t"},
      {"[::1]:5000/app", "[::1]:5000/app:latest", "[::1]:5000/app:latest"},
      {"quay.io/a-b/c__d.e:x", "quay.io/a-b/c__d.e:x", "quay.io/a-b/c__d.e:x"},
      {"Registry.Example.COM/app", "Registry.Example.COM/app:latest", "Registry.Example.COM/app:latest"},
      {"busybox@" D64, "docker.io/library/busybox@" D64, "busybox@" D64},
      {"reg.io/app:1@" D64, "reg.io/app:1@" D64, "reg.io/app:1@" D64},
      {"a---b/c", "docker.io/a---b/c:latest", "a---b/c:latest"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    _cleanup_image_ref_ sk_image_ref *r = NULL;
    sk_err *err = NULL;
    if (sk_image_ref_parse (cases[i].in, &r, &err) < 0)
      fail_msg ("`%s`: %s", cases[i].in, err->msg);
    _cleanup_free_ char *full = sk_image_ref_string (r);
    _cleanup_free_ char *familiar = sk_image_ref_familiar (r);
    if (strcmp (full, cases[i].full) != 0 || strcmp (familiar, cases[i].familiar) != 0)
      fail_msg ("`%s`: got `%s` and `%s`", cases[i].in, full, familiar);
  }
}

static void
test_parts (void **state)
{
  _cleanup_image_ref_ sk_image_ref *r = NULL;
  sk_err *err = NULL;
  assert_int_equal (sk_image_ref_parse ("localhost:5000/ns/app@" D64, &r, &err), 0);
  assert_string_equal (r->domain, "localhost:5000");
  assert_string_equal (r->path, "ns/app");
  assert_null (r->tag); /* a digest and no tag: no default tag */
  assert_string_equal (r->digest, D64);
  _cleanup_free_ char *name = sk_image_ref_name (r);
  assert_string_equal (name, "localhost:5000/ns/app");
}

static void
test_malformed (void **state)
{
  static const struct {
    const char *in, *says;
  } cases[] = {
      {"", "it is empty"},
      {"Busybox", "must be lowercase"},
      {"user/App", "must be lowercase"},
      {"busybox:", "a tag is"},
      {"busybox:.x", "a tag is"},
      {"busybox:-x", "a tag is"},
      {"busybox:a/b", "the registry"},
      {"busybox:has space", "a tag is"},
      {"-busybox", "each part"},
      {"busy_-box", "each part"},
      {"busybox.", "each part"},
      {"a//b", "each part"},
      {"a/", "each part"},
      {"/a", "each part"},
      {"ns/a@sha256:abc", "64 lowercase hex"},
      {"ns/a@md5:d41d8cd98f00b204e9800998ecf8427e", "unsupported digest algorithm `md5`"},
      {"ns/a@" D64 "x", "64 lowercase hex"},
      {"ns/a@", "bad digest"},
      {"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "image id"},
      {"reg-.io/app", "the registry"},
      {"reg.io:/app", "the registry"},
      {"reg.io:123456/app", "the registry"},
      {"reg.io:50a/app", "the registry"},
      {"[::1/app", "the registry"},
      {":tag", "no repository name"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sk_image_ref *r = NULL;
    sk_err *err = NULL;
    if (sk_image_ref_parse (cases[i].in, &r, &err) == 0)
      fail_msg ("`%s` was accepted", cases[i].in);
    assert_null (r);
    if (strstr (err->msg, cases[i].says) == NULL || strchr (err->msg, '\n'))
      fail_msg ("`%s`: `%s` does not say `%s`", cases[i].in, err->msg, cases[i].says);
    sk_err_free (&err);
  }
}

static void
test_lengths (void **state)
{
  char name[300];
  memset (name, 'a', sizeof name - 1);
  name[sizeof name - 1] = '\0';
  sk_image_ref *r = NULL;
  sk_err *err = NULL;
  assert_int_equal (sk_image_ref_parse (name, &r, &err), -1);
  assert_non_null (strstr (err->msg, "longer than 255 characters"));
  sk_err_free (&err);

  char tag[200] = "app:";
  memset (tag + 4, 't', 129);
  tag[133] = '\0';
  assert_int_equal (sk_image_ref_parse (tag, &r, &err), -1);
  assert_non_null (strstr (err->msg, "up to 128"));
  sk_err_free (&err);
  tag[132] = '\0'; /* 128 characters */
  assert_int_equal (sk_image_ref_parse (tag, &r, &err), 0);
  sk_image_ref_free (r);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_normalised),
      cmocka_unit_test (test_parts),
      cmocka_unit_test (test_malformed),
      cmocka_unit_test (test_lengths),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
