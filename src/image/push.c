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

static int
push_blob (sk_image_service *s, sk_registry *reg, const char *path, char **siblings,
           const char *digest, const sk_push_opts *o, sk_err **err)
{
  bool exists = false;
  if (sk_registry_blob_exists (reg, path, digest, &exists, err) < 0)
    return -1;
  if (exists) {
    if (o->progress)
      o->progress (digest, SK_PUSH_EXISTS, NULL, o->data);
    return 0;
  }
  for (char **from = siblings; from && *from; from++) {
    bool mounted = false;
    if (sk_registry_mount_blob (reg, path, *from, digest, &mounted, err) < 0)
      return -1;
    if (mounted) {
      if (o->progress)
        o->progress (digest, SK_PUSH_MOUNTED, *from, o->data);
      return 0;
    }
  }
  sk_digest d;
  if (sk_digest_parse (digest, &d, err) < 0)
    return -1;
  _cleanup_close_ int fd = sk_store_open_blob (s->store, &d, err);
  struct stat st;
  if (fd < 0)
    return sk_err_wrap (err, "push");
  if (fstat (fd, &st) < 0)
    return sk_err_set (err, errno, "blob %s", digest);
  if (sk_registry_push_blob (reg, path, fd, digest, st.st_size, err) < 0)
    return -1;
  if (o->progress)
    o->progress (digest, SK_PUSH_PUSHED, NULL, o->data);
  return 0;
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
  for (size_t i = 0; ret == 0 && i < doc->n_layers; i++)
    ret = push_blob (s, reg, ref->path, siblings, doc->layers[i].digest, o, err);
  if (ret == 0)
    ret = push_blob (s, reg, ref->path, siblings, doc->config.digest, o, err);
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
