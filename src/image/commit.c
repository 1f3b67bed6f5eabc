/* skiff: an image made of a container (docker commit, see service.h): its
 * image's layers, one more packed from its writable layer, and a config
 * that is the container's. The new layer goes through the same install as
 * a pulled or loaded one, which unpacks it on its parent and checks its
 * diff_id, then records the image in one transaction. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "image/pack.h"
#include "internal.h"
#include "oci/reference.h"
#include "service.h"
#include "util/cleanup.h"
#include "util/json.h"

/* What of a container's Config an image keeps (docker's container.Config
 * less what only a container has). */
static const char *const config_keys[] = {
    "Hostname",     "Domainname",  "User",       "AttachStdin", "AttachStdout", "AttachStderr",
    "ExposedPorts", "Tty",         "OpenStdin",  "StdinOnce",   "Env",          "Cmd",
    "Healthcheck",  "ArgsEscaped", "Image",      "Volumes",     "WorkingDir",   "Entrypoint",
    "OnBuild",      "Labels",      "StopSignal", "StopTimeout", "Shell",        NULL};

static sk_json *
container_config (const sk_json *ctr)
{
  sk_json *cfg = json_object_new_object ();
  for (const char *const *k = config_keys; *k; k++) {
    sk_json *v = NULL;
    if (json_object_object_get_ex (ctr, *k, &v) && v != NULL) {
      sk_json *copy = NULL;
      if (json_object_deep_copy (v, &copy, NULL) == 0)
        json_object_object_add (cfg, *k, copy);
    }
  }
  return cfg;
}

/* The parent's config document made the new image's, all but the new
 * layer's diff_id. */
static int
new_config (sk_json *root, const sk_commit_opts *o, const struct timespec *now, sk_err **err)
{
  char ts[48];
  sk_image_time_rfc3339 (now, ts);
  sk_json *cfg = container_config (o->config);
  json_object_object_add (root, "config", cfg);
  if (sk_image_apply_changes (cfg, o->changes, "commit", err) < 0)
    return -1;
  sk_json *cc = NULL;
  if (json_object_deep_copy ((sk_json *) o->config, &cc, NULL) == 0)
    json_object_object_add (root, "container_config", container_config (cc));
  json_object_put (cc);
  json_object_object_add (root, "container", json_object_new_string (o->container));
  json_object_object_add (root, "created", json_object_new_string (ts));
  if (o->author && *o->author)
    json_object_object_add (root, "author", json_object_new_string (o->author));
  else
    json_object_object_del (root, "author");
  sk_json *hist = NULL;
  if (!json_object_object_get_ex (root, "history", &hist) ||
      !json_object_is_type (hist, json_type_array)) {
    hist = json_object_new_array ();
    json_object_object_add (root, "history", hist);
  }
  sk_json *h = json_object_new_object ();
  json_object_object_add (h, "created", json_object_new_string (ts));
  if (o->author && *o->author)
    json_object_object_add (h, "author", json_object_new_string (o->author));
  json_object_object_add (h, "created_by",
                          json_object_new_string (o->created_by ? o->created_by : ""));
  if (o->message && *o->message)
    json_object_object_add (h, "comment", json_object_new_string (o->message));
  json_object_array_add (hist, h);
  return 0;
}

/* The parent's layers, base first, as install takes them (the media type
 * strings are kept in types). */
static int
parent_layers (sk_image_service *s, const char *image, sk_layer_src **out, char ***types, size_t *n,
               sk_err **err)
{
  sk_image_info *info = NULL;
  if (sk_images_get (s->db, image, &info, err) < 0)
    return -1;
  char **stack = NULL;
  int ret = info->top_layer ? sk_images_layer_stack (s->db, info->top_layer, &stack, err) : 0;
  sk_image_info_free (info);
  if (ret < 0)
    return -1;
  size_t k = 0;
  while (stack && stack[k])
    k++;
  /* one more for the new layer */
  *out = calloc (k + 1, sizeof **out);
  *types = calloc (k + 2, sizeof **types);
  *n = k;
  if (*out == NULL || *types == NULL)
    ret = sk_err_set (err, ENOMEM, "commit");
  for (size_t i = 0; ret == 0 && i < k; i++) {
    _cleanup_free_ char *blob = NULL;
    int64_t size = 0;
    const char *chain = stack[k - 1 - i];
    int r = sk_images_layer_blob (s->db, chain, &blob, &(*types)[i], &size, err);
    if (r != 0)
      ret = r < 0 ? -1 : sk_err_set (err, 0, "layer %s: its blob is not stored", chain);
    else if (sk_digest_parse (blob, &(*out)[i].blob, err) < 0)
      ret = -1;
    (*out)[i].size = size;
    (*out)[i].media_type = (*types)[i];
  }
  for (size_t i = 0; i < k; i++)
    free (stack[i]);
  free (stack);
  return ret;
}

static void
free_types (char **types)
{
  for (size_t i = 0; types && types[i]; i++)
    free (types[i]);
  free (types);
}

static int commit_locked (sk_image_service *s, const sk_commit_opts *o, char **id, sk_err **err);

int
sk_image_commit (sk_image_service *s, const sk_commit_opts *o, char **id, sk_err **err)
{
  if (sk_image_lock_shared (s, err) < 0)
    return -1;
  int r = commit_locked (s, o, id, err);
  sk_image_unlock (s);
  return r;
}

static int
commit_locked (sk_image_service *s, const sk_commit_opts *o, char **id, sk_err **err)
{
  /* the name and the changes first: a bad one must cost nothing */
  _cleanup_free_ char *name = NULL;
  if (o->reference && sk_image_tag_name (o->reference, "a committed image", &name, err) < 0)
    return -1;
  struct timespec now;
  clock_gettime (CLOCK_REALTIME, &now);
  _cleanup_free_ char *raw = NULL;
  sk_image_config *parsed = NULL;
  if (sk_image_read_config (s, o->image, &parsed, &raw, err) < 0)
    return -1;
  sk_image_config_free (parsed);
  _cleanup_json_ sk_json *root = NULL;
  if (sk_json_parse (raw, strlen (raw), "image config", &root, err) < 0 ||
      new_config (root, o, &now, err) < 0)
    return -1;
  sk_layer_src *layers = NULL;
  char **types = NULL;
  size_t n = 0;
  if (parent_layers (s, o->image, &layers, &types, &n, err) < 0) {
    free (layers);
    free_types (types);
    return -1;
  }

  sk_pack_result res;
  if (sk_layer_pack_upper (s->store, o->upper, o->skip, &res, err) < 0) {
    free (layers);
    free_types (types);
    return -1;
  }
  layers[n] =
      (sk_layer_src){.blob = res.blob, .size = res.blob_size, .media_type = SK_MT_OCI_LAYER_GZIP};
  sk_json *rootfs = NULL, *ids = NULL;
  if (!json_object_object_get_ex (root, "rootfs", &rootfs) ||
      !json_object_is_type (rootfs, json_type_object)) {
    rootfs = json_object_new_object ();
    json_object_object_add (rootfs, "type", json_object_new_string ("layers"));
    json_object_object_add (root, "rootfs", rootfs);
  }
  if (!json_object_object_get_ex (rootfs, "diff_ids", &ids) ||
      !json_object_is_type (ids, json_type_array)) {
    ids = json_object_new_array ();
    json_object_object_add (rootfs, "diff_ids", ids);
  }
  char ds[SK_DIGEST_STR_SIZE];
  json_object_array_add (ids, json_object_new_string (sk_digest_format (&res.diff_id, ds)));

  _cleanup_free_ char *text = sk_json_dump (root, false);
  sk_digest config = {{0}};
  bool have_config = false;
  int ret = text ? sk_store_put (s->store, text, strlen (text), &config, err)
                 : sk_err_set (err, ENOMEM, "image config");
  have_config = ret == 0;
  sk_install *in = NULL;
  const char *names[] = {name, NULL};
  if (ret == 0)
    ret = sk_install_start_devices (s, &config, layers, n + 1, true, &in, err);
  if (ret == 0)
    ret = sk_install_finish (in, NULL, names, NULL, id, err);
  free (layers);
  free_types (types);
  if (ret < 0) {
    sk_image_drop_blob (s, &res.blob);
    if (have_config)
      sk_image_drop_blob (s, &config);
    return -1;
  }
  return 0;
}
