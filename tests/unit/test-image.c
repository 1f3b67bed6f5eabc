/* Unit tests: image manifests, indexes and configs (src/oci/image.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oci/image.h"

#define H(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
#define D(c) "\"sha256:" H (c) "\""

/* single quotes for readability, turned into double ones */
static char *
json (const char *s)
{
  char *j = strdup (s);
  for (char *p = j; *p; p++)
    if (*p == '\'')
      *p = '"';
  return j;
}

static sk_image_doc *
doc_ok (const char *text, const char *content_type)
{
  char *j = json (text);
  sk_image_doc *d = NULL;
  sk_err *err = NULL;
  if (sk_image_doc_parse (j, strlen (j), content_type, &d, &err) < 0)
    fail_msg ("%s", err->msg);
  free (j);
  return d;
}

static void
doc_bad (const char *text, const char *content_type, const char *says)
{
  char *j = json (text);
  sk_image_doc *d = NULL;
  sk_err *err = NULL;
  if (sk_image_doc_parse (j, strlen (j), content_type, &d, &err) == 0)
    fail_msg ("accepted: %s", text);
  if (strstr (err->msg, says) == NULL || strchr (err->msg, '\n'))
    fail_msg ("`%s` does not say `%s`", err->msg, says);
  sk_err_free (&err);
  free (j);
}

#define MANIFEST(mt, layer_mt)                                                                     \
  "{'schemaVersion': 2, " mt "'config': {'mediaType': '" SK_MT_OCI_CONFIG "', 'digest': " D ("a")   \
  ", 'size': 10}, 'layers': [{'mediaType': '" layer_mt "', 'digest': " D ("b") ", 'size': 20}, "  \
  "{'mediaType': '" layer_mt "', 'digest': " D ("c") ", 'size': 30}]}"

static void
test_manifests (void **state)
{
  sk_image_doc *d = doc_ok (MANIFEST ("'mediaType': '" SK_MT_OCI_MANIFEST "', ", SK_MT_OCI_LAYER_GZIP), NULL);
  assert_int_equal (d->kind, SK_DOC_MANIFEST);
  assert_string_equal (d->config.digest, "sha256:" H ("a"));
  assert_int_equal (d->n_layers, 2);
  assert_int_equal (d->layers[1].size, 30);
  assert_string_equal (sk_layer_compression (d->layers[0].media_type), "gzip");
  sk_image_doc_free (d);
  /* Docker's, and an OCI one without mediaType: from the Content-Type or the shape */
  d = doc_ok (MANIFEST ("", SK_MT_DOCKER_LAYER), SK_MT_DOCKER_MANIFEST "; charset=utf-8");
  assert_string_equal (d->media_type, SK_MT_DOCKER_MANIFEST);
  sk_image_doc_free (d);
  d = doc_ok (MANIFEST ("", SK_MT_OCI_LAYER_ZSTD), NULL);
  assert_int_equal (d->kind, SK_DOC_MANIFEST);
  assert_string_equal (sk_layer_compression (d->layers[0].media_type), "zstd");
  sk_image_doc_free (d);
}

#define ENTRY(c, os, arch, variant)                                                                \
  "{'mediaType': '" SK_MT_OCI_MANIFEST "', 'digest': " D (c) ", 'size': 5, 'platform': "          \
  "{'os': '" os "', 'architecture': '" arch "'" variant "}}"

static void
test_index (void **state)
{
  sk_image_doc *d = doc_ok ("{'schemaVersion': 2, 'mediaType': '" SK_MT_OCI_INDEX "', 'manifests': ["
                            ENTRY ("1", "linux", "arm", ", 'variant': 'v7'") ", "
                            ENTRY ("2", "linux", "arm64", "") ", "
                            ENTRY ("3", "linux", "amd64", "") "]}", NULL);
  assert_int_equal (d->kind, SK_DOC_INDEX);
  assert_int_equal (d->n_manifests, 3);
  size_t i = 99;
  sk_err *err = NULL;
  assert_int_equal (sk_image_doc_select (d, "linux/amd64", &i, &err), 0);
  assert_int_equal (i, 2);
  assert_int_equal (sk_image_doc_select (d, "linux/arm64/v8", &i, &err), 0);
  assert_int_equal (i, 1);
  assert_int_equal (sk_image_doc_select (d, "linux/arm/v7", &i, &err), 0);
  assert_int_equal (i, 0);
  assert_int_equal (sk_image_doc_select (d, "linux/s390x", &i, &err), -1);
  assert_string_equal (err->msg, "no image for the platform linux/s390x (the image has: "
                                 "linux/arm/v7, linux/arm64, linux/amd64)");
  sk_err_free (&err);
  assert_int_equal (sk_image_doc_select (d, "amd64", &i, &err), -1);
  assert_non_null (strstr (err->msg, "invalid platform `amd64`"));
  sk_err_free (&err);
  sk_image_doc_free (d);
  d = doc_ok ("{'schemaVersion': 2, 'manifests': [" ENTRY ("3", "linux", "amd64", "") "]}",
              SK_MT_DOCKER_LIST);
  assert_int_equal (d->kind, SK_DOC_INDEX);
  sk_image_doc_free (d);
}

static void
test_bad_documents (void **state)
{
  doc_bad ("{'schemaVersion': 1, 'name': 'x', 'fsLayers': []}", NULL, "schema 1 manifests are not supported");
  doc_bad ("{'schemaVersion': 2}", SK_MT_DOCKER_SCHEMA1_SIGNED, "schema 1 manifests are not supported");
  doc_bad ("{'schemaVersion': 3, 'layers': []}", NULL, "schemaVersion: expected 2, got 3");
  doc_bad ("{'schemaVersion': 2, 'mediaType': 'text/html', 'layers': []}", NULL,
           "mediaType: `text/html` is not a manifest or an index");
  doc_bad ("{'schemaVersion': 2}", NULL, "neither a manifest nor an index");
  doc_bad (MANIFEST ("", "application/x-foo"), NULL,
           "layers[0].mediaType: `application/x-foo` is not a layer type skiff can apply");
  doc_bad (MANIFEST ("", SK_MT_DOCKER_FOREIGN_LAYER), NULL, "is not a layer type skiff can apply");
  doc_bad ("{'schemaVersion': 2, 'config': {'digest': 'sha256:abc', 'size': 1}, 'layers': []}", NULL,
           "config.digest: `sha256:abc` is not a sha256 digest");
  doc_bad ("{'schemaVersion': 2, 'config': {'digest': " D ("a") "}, 'layers': []}", NULL,
           "config.size: missing");
  doc_bad ("{'schemaVersion': 2, 'config': {'digest': " D ("a") ", 'size': -1}, 'layers': []}", NULL,
           "config.size: negative");
  doc_bad ("{'schemaVersion': 2, 'layers': [], 'config': {'digest': " D ("a") ", 'size': 1, "
           "'mediaType': 5}}", NULL, "config.mediaType: expected a string");
  doc_bad ("[1, 2]", NULL, "manifest");
  doc_bad ("{not json", NULL, "manifest");
}

static void
test_config (void **state)
{
  char *j = json ("{'architecture': 'amd64', 'os': 'linux', 'created': '2023-05-19T20:19:27.123456789Z',"
                  " 'rootfs': {'type': 'layers', 'diff_ids': [" D ("1") ", " D ("2") "]},"
                  " 'config': {'Env': ['PATH=/bin', 'A=b'], 'Cmd': ['sh'], 'WorkingDir': '/w',"
                  "   'User': '1000:1000', 'ExposedPorts': {'80/tcp': {}}, 'Volumes': {'/data': {}},"
                  "   'Labels': {'k': 'v'}, 'StopSignal': 'SIGQUIT'},"
                  " 'history': [{'created': '2023-05-19T22:19:27+02:00', 'created_by': 'ADD rootfs'},"
                  "   {'created_by': 'CMD [\\\"sh\\\"]', 'empty_layer': true}]}");
  sk_image_config *c = NULL;
  sk_err *err = NULL;
  if (sk_image_config_parse (j, strlen (j), &c, &err) < 0)
    fail_msg ("%s", err->msg);
  assert_string_equal (c->architecture, "amd64");
  assert_int_equal (c->created, 1684527567);
  assert_int_equal (c->n_diff_ids, 2);
  assert_string_equal (c->diff_ids[1], "sha256:" H ("2"));
  assert_string_equal (c->env[1], "A=b");
  assert_string_equal (c->cmd[0], "sh");
  assert_null (c->entrypoint);
  assert_string_equal (c->working_dir, "/w");
  assert_string_equal (c->exposed_ports[0], "80/tcp");
  assert_string_equal (c->volumes[0], "/data");
  assert_string_equal (c->label_values[0], "v");
  assert_int_equal (c->n_history, 2);
  assert_int_equal (c->history[0].created, 1684527567);
  assert_true (c->history[1].empty_layer);
  sk_image_config_free (c);
  free (j);

  static const struct {
    const char *text, *says;
  } bad[] = {
      {"{'os': 'linux'}", "rootfs: missing"},
      {"{'rootfs': {'type': 'x', 'diff_ids': []}}", "rootfs.type: expected \"layers\""},
      {"{'rootfs': {'type': 'layers'}}", "rootfs.diff_ids: missing"},
      {"{'rootfs': {'type': 'layers', 'diff_ids': ['md5:x']}}", "rootfs.diff_ids[0]: `md5:x` is not a sha256"},
      {"{'created': 'yesterday', 'rootfs': {'type': 'layers', 'diff_ids': []}}", "created: `yesterday` is not an RFC 3339 time"},
      {"{'rootfs': {'type': 'layers', 'diff_ids': []}, 'config': {'Cmd': 'sh'}}", "config.Cmd: expected an array"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    j = json (bad[i].text);
    if (sk_image_config_parse (j, strlen (j), &c, &err) == 0)
      fail_msg ("accepted: %s", bad[i].text);
    if (strstr (err->msg, bad[i].says) == NULL)
      fail_msg ("`%s` does not say `%s`", err->msg, bad[i].says);
    sk_err_free (&err);
    free (j);
  }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_manifests),
      cmocka_unit_test (test_index),
      cmocka_unit_test (test_bad_documents),
      cmocka_unit_test (test_config),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
