/* skiff: pushing an image to a registry (see sk_image_push). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/reference.h"
#include "service.h"
#include "util/cleanup.h"

#define MANIFEST_MAX (4u << 20)

/* The repositories of the same registry the image is known in (its repo
 * digests and tags): where a blob may be mounted from. */
static char **
sibling_repos (const sk_image_info *info, const char *domain, const char *path)
{
  char **out = calloc (8, sizeof *out);
  size_t n = 0;
  char **lists[] = {info->repo_digests, info->tags};
  for (size_t l = 0; out && l < 2; l++)
    for (char **p = lists[l]; p && *p && n < 7; p++) {
      sk_image_ref *r = NULL;
      sk_err *e = NULL;
      if (sk_image_ref_parse (*p, &r, &e) < 0) {
        sk_err_free (&e);
        continue;
      }
      bool seen = false;
      for (size_t k = 0; k < n; k++)
        seen = seen || strcmp (out[k], r->path) == 0;
      if (!seen && strcmp (r->domain, domain) == 0 && strcmp (r->path, path) != 0)
        out[n++] = strdup (r->path);
      sk_image_ref_free (r);
    }
  return out;
}

typedef struct push_ctx {
  sk_image_service *s;
  sk_registry *reg;
  const char *path;
  char **siblings;
  const sk_push_opts *o;
  const sk_image_doc *doc;
  sk_image_config *cfg; /* for the diff ids; NULL: the layers' digests */
  size_t index;         /* the blob under way (doc->n_layers: the config) */
} push_ctx;

static void
report (push_ctx *p, size_t i, sk_push_status kind, const char *from, uint64_t done,
        uint64_t total)
{
  size_t n = p->doc->n_layers;
  if (p->o->progress == NULL || i >= n)
    return;
  bool diff = p->cfg && p->cfg->n_diff_ids == n;
  sk_push_event e = {.kind = kind, .index = i, .n = n, .from = from, .done = done, .total = total,
                     .diff_id = diff ? p->cfg->diff_ids[i] : p->doc->layers[i].digest};
  p->o->progress (&e, p->o->data);
}

static void
on_upload (uint64_t done, uint64_t total, void *data)
{
  push_ctx *p = data;
  report (p, p->index, SK_PUSH_PROGRESS, NULL, done, total);
}

/* Blob i (a layer, or n_layers: the config): nothing when the repository
 * has it, else mounted from a sibling repository, else uploaded. */
static int
push_blob (push_ctx *p, size_t i, sk_err **err)
{
  const char *digest = i < p->doc->n_layers ? p->doc->layers[i].digest : p->doc->config.digest;
  bool exists = false;
  p->index = i;
  if (sk_registry_blob_exists (p->reg, p->path, digest, &exists, err) < 0)
    return -1;
  if (exists) {
    report (p, i, SK_PUSH_EXISTS, NULL, 0, 0);
    return 0;
  }
  for (char **from = p->siblings; from && *from; from++) {
    bool mounted = false;
    if (sk_registry_mount_blob (p->reg, p->path, *from, digest, &mounted, err) < 0)
      return -1;
    if (mounted) {
      report (p, i, SK_PUSH_MOUNTED, *from, 0, 0);
      return 0;
    }
  }
  sk_digest d;
  if (sk_digest_parse (digest, &d, err) < 0)
    return -1;
  _cleanup_close_ int fd = sk_store_open_blob (p->s->store, &d, err);
  struct stat st;
  if (fd < 0)
    return sk_err_wrap (err, "push");
  if (fstat (fd, &st) < 0)
    return sk_err_set (err, errno, "blob %s", digest);
  if (sk_registry_push_blob (p->reg, p->path, fd, digest, st.st_size, on_upload, p, err) < 0)
    return -1;
  report (p, i, SK_PUSH_PUSHED, NULL, 0, 0);
  return 0;
}

/* The image's config, for the diff ids docker shows; NULL when it cannot be
 * read (the layers are shown by their blobs then). */
static sk_image_config *
read_config (sk_image_service *s, const sk_image_doc *doc)
{
  sk_digest d;
  sk_err *e = NULL;
  _cleanup_free_ char *body = NULL;
  size_t len = 0;
  sk_image_config *cfg = NULL;
  if (sk_digest_parse (doc->config.digest, &d, &e) < 0 ||
      sk_store_read_blob (s->store, &d, MANIFEST_MAX, &body, &len, &e) < 0 ||
      sk_image_config_parse (body, len, &cfg, &e) < 0)
    cfg = NULL;
  sk_err_free (&e);
  return cfg;
}

/* The layers, top first as docker lists them, then the config. */
static int
push_blobs (push_ctx *p, sk_err **err)
{
  size_t n = p->doc->n_layers;
  p->cfg = read_config (p->s, p->doc);
  for (size_t i = n; i-- > 0;)
    report (p, i, SK_PUSH_PREPARING, NULL, 0, 0);
  for (size_t i = n - (n > 0); i-- > 0;)
    report (p, i, SK_PUSH_WAITING, NULL, 0, 0);
  int ret = 0;
  for (size_t i = n; ret == 0 && i-- > 0;)
    ret = push_blob (p, i, err);
  if (ret == 0)
    ret = push_blob (p, n, err);
  sk_image_config_free (p->cfg);
  p->cfg = NULL;
  return ret;
}

int
sk_image_push (sk_image_service *s, const char *reference, const sk_push_opts *o, char **digest,
               size_t *size, sk_err **err)
{
  sk_image_ref *ref = NULL;
  if (sk_image_ref_parse (reference, &ref, err) < 0)
    return -1;
  _cleanup_free_ char *name = sk_image_ref_name (ref);
  _cleanup_free_ char *full = sk_image_ref_string (ref);
  _cleanup_free_ char *id = NULL, *man = NULL, *body = NULL;
  int ret = 0;
  if (ref->digest)
    ret = sk_err_set (err, 0, "`%s`: push a tag, not a digest", reference);
  int r = ret == 0 ? sk_images_resolve (s->db, full, NULL, &id, err) : -1;
  if (r == 1)
    ret = sk_err_set (err, 0, "An image does not exist locally with the tag: %s", reference);
  else if (r < 0)
    ret = -1;
  sk_image_info *info = NULL;
  if (ret == 0 && sk_images_get (s->db, id, &info, err) < 0)
    ret = -1;
  if (ret == 0 && (r = sk_images_image_blob (s->db, id, "manifest", &man, err)) != 0)
    ret = r < 0 ? -1 : sk_err_set (err, 0, "image %s has no manifest to push", id);
  size_t len = 0;
  sk_image_doc *doc = NULL;
  sk_digest md;
  if (ret == 0 && (sk_digest_parse (man, &md, err) < 0 ||
                   sk_store_read_blob (s->store, &md, MANIFEST_MAX, &body, &len, err) < 0 ||
                   sk_image_doc_parse (body, len, NULL, &doc, err) < 0))
    ret = -1;
  sk_registry *reg = NULL;
  if (ret == 0 && sk_registry_open (ref->domain, &o->registry, &reg, err) < 0)
    ret = -1;
  char **siblings = ret == 0 ? sibling_repos (info, ref->domain, ref->path) : NULL;
  push_ctx ctx = {.s = s, .reg = reg, .path = ref->path, .siblings = siblings, .o = o, .doc = doc};
  if (ret == 0)
    ret = push_blobs (&ctx, err);
  _cleanup_free_ char *pushed = NULL;
  if (ret == 0 && sk_registry_put_manifest (reg, ref->path, ref->tag, doc->media_type ? doc->media_type : SK_MT_OCI_MANIFEST,
                                            body, len, &pushed, err) < 0)
    ret = -1;
  _cleanup_free_ char *repo_digest = NULL;
  if (ret == 0 && asprintf (&repo_digest, "%s@%s", name, pushed) >= 0)
    ret = sk_images_add_repo_digest (s->db, repo_digest, id, err);
  if (ret == 0) {
    *digest = steal_ptr (pushed);
    *size = len;
  }
  for (char **p = siblings; p && *p; p++)
    free (*p);
  free (siblings);
  sk_registry_free (reg);
  sk_image_doc_free (doc);
  sk_image_info_free (info);
  sk_image_ref_free (ref);
  return ret;
}
