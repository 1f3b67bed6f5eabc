/* skiff: pulling an image from a registry (see sk_image_pull). Nothing is
 * trusted before its digest is checked: the manifest against the digest it
 * was asked by (or recorded under), blobs by the store as they are
 * committed, layers against the config's diff_ids as they are unpacked. A
 * pull killed at any point leaves partial blobs that the next one resumes,
 * and no half-made layer or image. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/reference.h"
#include "service.h"
#include "util/cleanup.h"

typedef struct {
  const sk_pull_opts *o;
  const sk_image_doc *doc;
  size_t n_layers;
  size_t *map;     /* request index -> layer index (n_layers: the config) */
  sk_install *in; /* told of each layer stored */
} pull_progress;

static void
on_blob (size_t i, uint64_t done, uint64_t total, void *data)
{
  pull_progress *p = data;
  if (p->in && done == total && total)
    sk_install_blob_ready (p->in, p->map[i]);
  if (p->o->progress == NULL)
    return;
  size_t layer = p->map[i];
  sk_pull_event e = {.kind = done == total && total ? SK_PULL_LAYER_DONE : SK_PULL_PROGRESS,
                     .index = layer, .n = p->n_layers, .done = done, .total = total,
                     .layer_digest = layer < p->n_layers ? p->doc->layers[layer].digest : NULL};
  p->o->progress (&e, p->o->data);
}

static void
emit (const sk_pull_opts *o, sk_pull_event_kind kind, size_t index, size_t n, const char *text,
      const char *layer)
{
  if (o->progress) {
    sk_pull_event e = {.kind = kind, .index = index, .n = n, .text = text, .layer_digest = layer};
    o->progress (&e, o->data);
  }
}

/* GETs a manifest or index, parses it and keeps it in the store. */
static int
fetch_doc (sk_image_service *s, sk_registry *reg, const char *repo, const char *ref,
           const char *full, sk_image_doc **doc, char **digest, sk_err **err)
{
  _cleanup_free_ char *body = NULL, *mtype = NULL;
  size_t len = 0;
  sk_digest d;
  if (sk_registry_get_manifest (reg, repo, ref, NULL, &body, &len, &mtype, digest, err) < 0)
    return -1;
  if (sk_image_doc_parse (body, len, mtype, doc, err) < 0 || sk_digest_parse (*digest, &d, err) < 0 ||
      sk_store_put (s->store, body, len, &d, err) < 0)
    return sk_err_wrap (err, "%s", full);
  return 0;
}

/* The manifest to pull: the reference's, or for an index, the one of the
 * platform, fetched by its digest. */
static int
resolve_manifest (sk_image_service *s, sk_registry *reg, const sk_image_ref *ref,
                  const char *full, const char *platform, sk_image_doc **doc, char **top,
                  char **manifest, sk_err **err)
{
  if (fetch_doc (s, reg, ref->path, ref->digest ? ref->digest : ref->tag, full, doc, top, err) < 0)
    return -1;
  if ((*doc)->kind == SK_DOC_MANIFEST) {
    *manifest = strdup (*top);
    return *manifest ? 0 : sk_err_set (err, ENOMEM, "pull");
  }
  size_t which;
  if (sk_image_doc_select (*doc, platform, &which, err) < 0)
    return sk_err_wrap (err, "%s", full);
  _cleanup_free_ char *d = strdup ((*doc)->manifests[which].digest);
  sk_image_doc_free (*doc);
  *doc = NULL;
  if (d == NULL)
    return sk_err_set (err, ENOMEM, "pull");
  if (fetch_doc (s, reg, ref->path, d, full, doc, manifest, err) < 0)
    return -1;
  if ((*doc)->kind != SK_DOC_MANIFEST)
    return sk_err_set (err, 0, "%s: the index for %s names another index", full, platform);
  return 0;
}

static int pull_locked (sk_image_service *s, const char *reference, const sk_pull_opts *o,
                        char **id, char **digest, bool *fresh, sk_err **err);

int
sk_image_pull (sk_image_service *s, const char *reference, const sk_pull_opts *o, char **id,
               char **digest, bool *fresh, sk_err **err)
{
  if (sk_image_lock_shared (s, err) < 0)
    return -1;
  int r = pull_locked (s, reference, o, id, digest, fresh, err);
  sk_image_unlock (s);
  return r;
}

static int
pull_locked (sk_image_service *s, const char *reference, const sk_pull_opts *o, char **id,
             char **digest, bool *fresh, sk_err **err)
{
  sk_image_ref *ref = NULL;
  if (sk_image_ref_parse (reference, &ref, err) < 0)
    return -1;
  _cleanup_free_ char *full = sk_image_ref_string (ref);
  _cleanup_free_ char *name = sk_image_ref_name (ref);
  _cleanup_free_ char *tagged = NULL;
  if (ref->tag && asprintf (&tagged, "%s:%s", name, ref->tag) < 0)
    tagged = NULL;
  sk_registry *reg = NULL;
  int ret = sk_registry_open (ref->domain, &o->registry, &reg, err);
  /* mdigest: what the reference names (perhaps an index); pdigest: the
   * manifest of the image pulled */
  _cleanup_free_ char *mdigest = NULL, *pdigest = NULL;
  sk_image_doc *doc = NULL;
  if (ret == 0)
    ret = resolve_manifest (s, reg, ref, full, o->platform ? o->platform : sk_host_platform (),
                            &doc, &mdigest, &pdigest, err);
  size_t n = doc && ret == 0 ? doc->n_layers : 0;
  if (ret == 0)
    emit (o, SK_PULL_RESOLVED, 0, n, mdigest, NULL);
  /* what to download: the config and the layers whose blobs are not stored */
  sk_blob_req *reqs = calloc (n + 2, sizeof *reqs);
  size_t *map = calloc (n + 2, sizeof *map);
  sk_layer_src *layers = calloc (n + 1, sizeof *layers);
  size_t n_reqs = 0;
  if (ret == 0 && (!reqs || !map || !layers))
    ret = sk_err_set (err, ENOMEM, "pull");
  sk_digest config;
  if (ret == 0 && sk_digest_parse (doc->config.digest, &config, err) < 0)
    ret = -1;
  if (ret == 0 && !sk_store_has (s->store, &config)) {
    reqs[n_reqs] = (sk_blob_req){doc->config.digest, doc->config.size};
    map[n_reqs++] = n;
  }
  for (size_t i = 0; ret == 0 && i < n; i++) {
    if (sk_digest_parse (doc->layers[i].digest, &layers[i].blob, err) < 0) {
      ret = -1;
      break;
    }
    layers[i].size = doc->layers[i].size;
    layers[i].media_type = doc->layers[i].media_type;
    if (sk_store_has (s->store, &layers[i].blob)) {
      emit (o, SK_PULL_LAYER_HAVE, i, n, NULL, doc->layers[i].digest);
    } else {
      reqs[n_reqs] = (sk_blob_req){doc->layers[i].digest, doc->layers[i].size};
      map[n_reqs++] = i;
    }
  }
  /* the config first: the layers unpack as they arrive, on its diff_ids */
  int parallel = o->parallel ? o->parallel : 3;
  pull_progress pp = {.o = o, .doc = doc, .n_layers = n, .map = map};
  size_t first = n_reqs && map[0] == n ? 1 : 0;
  if (ret == 0 && first &&
      sk_registry_fetch_blobs (reg, ref->path, s->store, reqs, 1, 1, on_blob, &pp, err) < 0)
    ret = sk_err_wrap (err, "%s", full);
  sk_install *in = NULL;
  if (ret == 0 && sk_install_start (s, &config, layers, n, &in, err) < 0)
    ret = sk_err_wrap (err, "%s", full);
  pp.in = in;
  pp.map = map + first;
  if (ret == 0 && n_reqs > first &&
      sk_registry_fetch_blobs (reg, ref->path, s->store, reqs + first, n_reqs - first, parallel,
                               on_blob, &pp, err) < 0)
    ret = sk_err_wrap (err, "%s", full);
  /* the name it had before: to tell a new image from an up-to-date one */
  _cleanup_free_ char *before = NULL;
  if (ret == 0 && tagged && sk_images_resolve (s->db, tagged, NULL, &before, err) < 0)
    ret = -1;
  _cleanup_free_ char *repo_digest = NULL;
  if (ret == 0 && asprintf (&repo_digest, "%s@%s", name, mdigest) < 0)
    ret = sk_err_set (err, ENOMEM, "pull");
  const char *names[] = {tagged, NULL};
  if (ret == 0) {
    sk_digest man;
    sk_digest_parse (pdigest, &man, err);
    ret = sk_install_finish (steal_ptr (in), &man, names, repo_digest, id, err);
    if (ret < 0)
      sk_err_wrap (err, "%s", full);
  }
  sk_install_cancel (in);
  if (ret == 0) {
    for (size_t i = 0; i < n; i++)
      emit (o, SK_PULL_LAYER_EXTRACTED, i, n, NULL, doc->layers[i].digest);
    *digest = strdup (mdigest);
    *fresh = before == NULL || strcmp (before, *id) != 0;
  }
  free (reqs);
  free (map);
  free (layers);
  sk_image_doc_free (doc);
  sk_registry_free (reg);
  sk_image_ref_free (ref);
  return ret;
}
