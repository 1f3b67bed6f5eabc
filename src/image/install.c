/* skiff: installing an image whose blobs are in the content store: its
 * layers unpacked under their chain ids, checked against the config's
 * diff_ids, and the image recorded (see sk_image_install in service.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/unpack.h"
#include "internal.h"
#include "service.h"
#include "util/cleanup.h"
#include "util/json.h"

#define CONFIG_MAX (4u << 20)

static const char *
sniff_media_type (sk_store *store, const sk_digest *blob)
{
  unsigned char head[4] = {0};
  sk_err *e = NULL;
  int fd = sk_store_open_blob (store, blob, &e);
  sk_err_free (&e);
  if (fd >= 0) {
    if (pread (fd, head, sizeof head, 0) < 0)
      head[0] = 0;
    close (fd);
  }
  if (head[0] == 0x1f && head[1] == 0x8b)
    return SK_MT_OCI_LAYER_GZIP;
  if (head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd)
    return SK_MT_OCI_LAYER_ZSTD;
  return SK_MT_OCI_LAYER;
}

/* Unpacks one layer on its parent; checks its diff_id. */
static int
unpack_layer (sk_image_service *s, size_t index, const sk_digest *blob, const sk_digest *chain,
              const sk_digest *parent, const sk_digest *want_diff, uint64_t *size, bool *made,
              sk_err **err)
{
  char hex[SK_DIGEST_HEX_LEN + 1], phex[SK_DIGEST_HEX_LEN + 1];
  sk_digest_hex (chain, hex);
  *made = false;
  sk_layer_writer *w = NULL;
  int r = sk_storage_layer_begin (s->storage, hex, parent ? sk_digest_hex (parent, phex) : NULL,
                                  &w, err);
  if (r < 0)
    return sk_err_wrap (err, "layer %zu", index + 1);
  if (r == 1)
    return 0; /* stored already (another image has it) */
  _cleanup_close_ int fd = sk_store_open_blob (s->store, blob, err);
  if (fd < 0) {
    sk_layer_writer_abort (w);
    return sk_err_wrap (err, "layer %zu", index + 1);
  }
  sk_unpack_opts opts = {.flat = !sk_storage_wants_overlay_whiteouts (s->storage),
                         .max_bytes = sk_image_unpack_limit (s)};
  sk_unpack_result res;
  if (sk_layer_unpack (sk_layer_writer_dirfd (w), fd, &opts, &res, err) < 0) {
    sk_layer_writer_abort (w);
    return sk_err_wrap (err, "layer %zu", index + 1);
  }
  if (!sk_digest_equal (&res.diff_id, want_diff)) {
    char got[SK_DIGEST_STR_SIZE], want[SK_DIGEST_STR_SIZE];
    sk_layer_writer_abort (w);
    return sk_err_set (err, 0,
                       "layer %zu: its content's digest is %s, the image config says %s",
                       index + 1, sk_digest_format (&res.diff_id, got),
                       sk_digest_format (want_diff, want));
  }
  *size = res.size;
  if (sk_layer_writer_commit (w, err) < 0)
    return sk_err_wrap (err, "layer %zu", index + 1);
  *made = true;
  return 0;
}

char *
sk_image_oci_manifest (const sk_digest *config, size_t config_size, const sk_layer_src *layers,
                       const char *const *types, size_t n)
{
  _cleanup_json_ sk_json *root = json_object_new_object ();
  char ds[SK_DIGEST_STR_SIZE];
  json_object_object_add (root, "schemaVersion", json_object_new_int (2));
  json_object_object_add (root, "mediaType", json_object_new_string (SK_MT_OCI_MANIFEST));
  sk_json *c = json_object_new_object ();
  json_object_object_add (c, "mediaType", json_object_new_string (SK_MT_OCI_CONFIG));
  json_object_object_add (c, "digest", json_object_new_string (sk_digest_format (config, ds)));
  json_object_object_add (c, "size", json_object_new_int64 ((int64_t) config_size));
  json_object_object_add (root, "config", c);
  sk_json *arr = json_object_new_array ();
  for (size_t i = 0; i < n; i++) {
    sk_json *l = json_object_new_object ();
    json_object_object_add (l, "mediaType", json_object_new_string (types[i]));
    json_object_object_add (l, "digest", json_object_new_string (sk_digest_format (&layers[i].blob, ds)));
    json_object_object_add (l, "size", json_object_new_int64 (layers[i].size));
    json_object_array_add (arr, l);
  }
  json_object_object_add (root, "layers", arr);
  return sk_json_dump (root, false);
}

int
sk_image_install (sk_image_service *s, const sk_digest *config, const sk_layer_src *layers,
                  size_t n_layers, const sk_digest *manifest, const char *const *names,
                  const char *repo_digest, char **id, sk_err **err)
{
  char is[SK_DIGEST_STR_SIZE];
  sk_digest_format (config, is);
  _cleanup_free_ char *raw = NULL;
  size_t raw_len = 0;
  sk_image_config *cfg = NULL;
  if (sk_store_read_blob (s->store, config, CONFIG_MAX, &raw, &raw_len, err) < 0 ||
      sk_image_config_parse (raw, raw_len, &cfg, err) < 0)
    return sk_err_wrap (err, "image %s", is);
  if (cfg->n_diff_ids != n_layers) {
    size_t have = cfg->n_diff_ids;
    sk_image_config_free (cfg);
    return sk_err_set (err, 0, "image %s: the manifest has %zu layers, its config %zu diff_ids",
                       is, n_layers, have);
  }
  sk_digest *chains = calloc (n_layers + 1, sizeof *chains);
  sk_digest *diffs = calloc (n_layers + 1, sizeof *diffs);
  uint64_t *sizes = calloc (n_layers + 1, sizeof *sizes);
  bool *made = calloc (n_layers + 1, sizeof *made);
  const char **types = calloc (n_layers + 1, sizeof *types);
  int ret = chains && diffs && sizes && made && types ? 0 : sk_err_set (err, ENOMEM, "install");
  for (size_t i = 0; ret == 0 && i < n_layers; i++) {
    if (sk_digest_parse (cfg->diff_ids[i], &diffs[i], err) < 0) {
      ret = -1;
      break;
    }
    sk_chain_id (i ? &chains[i - 1] : NULL, &diffs[i], &chains[i]);
    types[i] = layers[i].media_type ? layers[i].media_type : sniff_media_type (s->store, &layers[i].blob);
    char cs[SK_DIGEST_STR_SIZE];
    if (sk_images_has_layer (s->db, sk_digest_format (&chains[i], cs))) {
      char hex[SK_DIGEST_HEX_LEN + 1];
      if (sk_storage_layer_exists (s->storage, sk_digest_hex (&chains[i], hex))) {
        sizes[i] = (uint64_t) sk_images_layer_size (s->db, cs);
        continue;
      }
    }
    ret = unpack_layer (s, i, &layers[i].blob, &chains[i], i ? &chains[i - 1] : NULL, &diffs[i],
                        &sizes[i], &made[i], err);
  }
  _cleanup_free_ char *man = NULL;
  sk_digest man_digest;
  if (ret == 0 && manifest)
    man_digest = *manifest;
  else if (ret == 0) {
    man = sk_image_oci_manifest (config, raw_len, layers, types, n_layers);
    ret = man ? sk_store_put (s->store, man, strlen (man), &man_digest, err)
              : sk_err_set (err, ENOMEM, "manifest");
  }
  int64_t total = 0;
  for (size_t i = 0; i < n_layers; i++)
    total += (int64_t) sizes[i];
  if (ret == 0 && sk_db_begin (s->db, err) == 0) {
    char ms[SK_DIGEST_STR_SIZE];
    sk_digest_format (&man_digest, ms);
    const char *blobs[] = {is, ms}, *kinds[] = {"config", "manifest"};
    for (size_t i = 0; ret == 0 && i < n_layers; i++) {
      char cs[SK_DIGEST_STR_SIZE], ps[SK_DIGEST_STR_SIZE], ds[SK_DIGEST_STR_SIZE],
          bs[SK_DIGEST_STR_SIZE];
      if (sk_images_add_layer (s->db, sk_digest_format (&chains[i], cs),
                               sk_digest_format (&diffs[i], ds),
                               i ? sk_digest_format (&chains[i - 1], ps) : NULL,
                               (int64_t) sizes[i], err) < 0 ||
          sk_images_add_layer_blob (s->db, cs, sk_digest_format (&layers[i].blob, bs), types[i],
                                    layers[i].size, err) < 0)
        ret = -1;
    }
    char top[SK_DIGEST_STR_SIZE];
    if (n_layers)
      sk_digest_format (&chains[n_layers - 1], top);
    if (ret == 0 &&
        sk_images_put (s->db, is, n_layers ? top : NULL, cfg->created, total, blobs, kinds, 2, err) < 0)
      ret = -1;
    for (const char *const *n = names; ret == 0 && n && *n; n++)
      if (sk_images_tag (s->db, *n, is, err) < 0)
        ret = -1;
    if (ret == 0 && repo_digest && sk_images_add_repo_digest (s->db, repo_digest, is, err) < 0)
      ret = -1;
    if (ret == 0)
      ret = sk_db_commit (s->db, err);
    else
      sk_db_rollback (s->db);
  } else {
    ret = -1;
  }
  if (ret < 0) {
    /* the layers this call made, newest first (a parent outlives its child) */
    for (size_t i = n_layers; i-- > 0;) {
      char cs[SK_DIGEST_STR_SIZE], hex[SK_DIGEST_HEX_LEN + 1];
      if (made && made[i] && !sk_images_has_layer (s->db, sk_digest_format (&chains[i], cs))) {
        sk_err *ignored = NULL;
        sk_storage_layer_remove (s->storage, sk_digest_hex (&chains[i], hex), &ignored);
        sk_err_free (&ignored);
      }
    }
  }
  free (chains);
  free (diffs);
  free (sizes);
  free (made);
  free (types);
  sk_image_config_free (cfg);
  if (ret < 0)
    return ret;
  *id = strdup (is);
  return *id ? 0 : sk_err_set (err, ENOMEM, "install");
}
