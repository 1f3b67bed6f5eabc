/* skiff: installing an image whose blobs are in the content store: its
 * layers unpacked under their chain ids, checked against the config's
 * diff_ids, and the image recorded (see sk_image_install in service.h). */
#include <errno.h>
#include <pthread.h>
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

/* ---- the layers of one install, unpacked side by side ----
 *
 * Each layer to unpack is a job. Workers (threads, as many as the CPUs, at
 * most MAX_WORKERS) take the first job whose blob is in the store: a pull
 * starts the install before its downloads end and tells it of each blob as
 * it arrives (sk_install_blob_ready), so the layers unpack while the others
 * still download. With overlay the layers are independent directories,
 * written side by side and published in order (parent first) after one
 * sync of the filesystem. vfs copies each layer's parent into it, so there
 * the jobs run one after the other, each published as it ends. */

#define MAX_WORKERS 3

typedef struct layer_job {
  sk_digest chain, diff;
  const char *type;
  uint64_t size;
  bool need;  /* to unpack: not stored yet */
  bool ready; /* its blob is in the store */
  bool taken;
  bool made;         /* published by this install */
  sk_layer_writer *w; /* unpacked, to publish (overlay) */
  sk_err *err;
} layer_job;

struct sk_install {
  sk_image_service *s;
  sk_digest config;
  char *raw; /* the config blob */
  size_t raw_len;
  sk_image_config *cfg;
  const sk_layer_src *layers;
  size_t n;
  layer_job *jobs;
  sk_unpack_opts opts;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  bool stop; /* a job failed, or the install is cancelled: take no more */
  pthread_t threads[MAX_WORKERS];
  size_t n_threads;
};

/* Unpacks job i's layer on its parent and checks its diff_id. */
static int
unpack_job (sk_install *in, size_t i, sk_err **err)
{
  layer_job *j = &in->jobs[i];
  char hex[SK_DIGEST_HEX_LEN + 1], phex[SK_DIGEST_HEX_LEN + 1];
  sk_layer_writer *w = NULL;
  int r = sk_storage_layer_begin (in->s->storage, sk_digest_hex (&j->chain, hex),
                                  i ? sk_digest_hex (&in->jobs[i - 1].chain, phex) : NULL, &w, err);
  if (r != 0)
    return r < 0 ? -1 : 0; /* 1: stored already (another image has it) */
  _cleanup_close_ int fd = sk_store_open_blob (in->s->store, &in->layers[i].blob, err);
  sk_unpack_result res;
  if (fd < 0 || sk_layer_unpack (sk_layer_writer_dirfd (w), fd, &in->opts, &res, err) < 0) {
    sk_layer_writer_abort (w);
    return -1;
  }
  if (!sk_digest_equal (&res.diff_id, &j->diff)) {
    char got[SK_DIGEST_STR_SIZE], want[SK_DIGEST_STR_SIZE];
    sk_layer_writer_abort (w);
    return sk_err_set (err, 0, "its content's digest is %s, the image config says %s",
                       sk_digest_format (&res.diff_id, got), sk_digest_format (&j->diff, want));
  }
  j->size = res.size;
  if (!in->opts.flat) {
    j->w = w; /* published by sk_install_finish */
    return 0;
  }
  if (sk_layer_writer_commit (w, err) < 0)
    return -1;
  j->made = true;
  return 0;
}

/* The next job a worker may take (under the lock), or SIZE_MAX; *wait: one
 * may come when a blob arrives. vfs takes the jobs strictly in order. */
static size_t
next_job (sk_install *in, bool *wait)
{
  *wait = false;
  for (size_t i = 0; i < in->n && !in->stop; i++) {
    layer_job *j = &in->jobs[i];
    if (!j->need || j->taken)
      continue;
    if (j->ready)
      return i;
    *wait = true;
    if (in->opts.flat)
      break;
  }
  return SIZE_MAX;
}

static void *
worker (void *data)
{
  sk_install *in = data;
  pthread_mutex_lock (&in->lock);
  for (;;) {
    bool wait;
    size_t i = next_job (in, &wait);
    if (i == SIZE_MAX && !wait)
      break;
    if (i == SIZE_MAX) {
      pthread_cond_wait (&in->cond, &in->lock);
      continue;
    }
    in->jobs[i].taken = true;
    pthread_mutex_unlock (&in->lock);
    sk_err *e = NULL;
    int r = unpack_job (in, i, &e);
    pthread_mutex_lock (&in->lock);
    if (r < 0) {
      in->jobs[i].err = e;
      in->stop = true;
    }
    pthread_cond_broadcast (&in->cond);
  }
  pthread_mutex_unlock (&in->lock);
  return NULL;
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

static void
install_free (sk_install *in)
{
  for (size_t i = 0; in->jobs && i < in->n; i++) {
    sk_layer_writer_abort (in->jobs[i].w);
    sk_err_free (&in->jobs[i].err);
  }
  free (in->jobs);
  free (in->raw);
  sk_image_config_free (in->cfg);
  pthread_mutex_destroy (&in->lock);
  pthread_cond_destroy (&in->cond);
  free (in);
}

/* The jobs: each layer's chain id and diff_id, and whether it is stored. */
static int
plan_jobs (sk_install *in, sk_err **err)
{
  sk_image_service *s = in->s;
  for (size_t i = 0; i < in->n; i++) {
    layer_job *j = &in->jobs[i];
    if (sk_digest_parse (in->cfg->diff_ids[i], &j->diff, err) < 0)
      return -1;
    sk_chain_id (i ? &in->jobs[i - 1].chain : NULL, &j->diff, &j->chain);
    j->type = in->layers[i].media_type;
    if (j->type == NULL)
      j->type = sniff_media_type (s->store, &in->layers[i].blob);
    char cs[SK_DIGEST_STR_SIZE], hex[SK_DIGEST_HEX_LEN + 1];
    if (sk_images_has_layer (s->db, sk_digest_format (&j->chain, cs)) &&
        sk_storage_layer_exists (s->storage, sk_digest_hex (&j->chain, hex)))
      j->size = (uint64_t) sk_images_layer_size (s->db, cs);
    else
      j->need = true;
    j->ready = sk_store_has (s->store, &in->layers[i].blob);
  }
  return 0;
}

static size_t
worker_count (const sk_install *in)
{
  size_t need = 0;
  for (size_t i = 0; i < in->n; i++)
    need += in->jobs[i].need;
  long cpus = sysconf (_SC_NPROCESSORS_ONLN);
  size_t w = in->opts.flat ? 1 : cpus > 0 ? (size_t) cpus : 1;
  if (w > MAX_WORKERS)
    w = MAX_WORKERS;
  return need < w ? need : w;
}

int
sk_install_start (sk_image_service *s, const sk_digest *config, const sk_layer_src *layers,
                  size_t n_layers, sk_install **out, sk_err **err)
{
  return sk_install_start_devices (s, config, layers, n_layers, false, out, err);
}

int
sk_install_start_devices (sk_image_service *s, const sk_digest *config, const sk_layer_src *layers,
                          size_t n_layers, bool devices, sk_install **out, sk_err **err)
{
  *out = NULL;
  char is[SK_DIGEST_STR_SIZE];
  sk_digest_format (config, is);
  sk_install *in = calloc (1, sizeof *in);
  if (in == NULL)
    return sk_err_set (err, ENOMEM, "install");
  pthread_mutex_init (&in->lock, NULL);
  pthread_cond_init (&in->cond, NULL);
  in->s = s;
  in->config = *config;
  in->layers = layers;
  in->n = n_layers;
  in->opts = (sk_unpack_opts){.flat = !sk_storage_wants_overlay_whiteouts (s->storage),
                              .allow_devices = devices,
                              .max_bytes = sk_image_unpack_limit (s)};
  int ret = 0;
  if (sk_store_read_blob (s->store, config, CONFIG_MAX, &in->raw, &in->raw_len, err) < 0 ||
      sk_image_config_parse (in->raw, in->raw_len, &in->cfg, err) < 0)
    ret = sk_err_wrap (err, "image %s", is);
  else if (in->cfg->n_diff_ids != n_layers)
    ret = sk_err_set (err, 0, "image %s: the manifest has %zu layers, its config %zu diff_ids", is,
                      n_layers, in->cfg->n_diff_ids);
  else if ((in->jobs = calloc (n_layers + 1, sizeof *in->jobs)) == NULL)
    ret = sk_err_set (err, ENOMEM, "install");
  else if (plan_jobs (in, err) < 0)
    ret = sk_err_wrap (err, "image %s", is);
  for (size_t want = ret == 0 ? worker_count (in) : 0; in->n_threads < want; in->n_threads++) {
    int e = pthread_create (&in->threads[in->n_threads], NULL, worker, in);
    if (e != 0) {
      ret = in->n_threads ? 0 : sk_err_set (err, e, "install: start a thread");
      break;
    }
  }
  if (ret < 0) {
    install_free (in);
    return -1;
  }
  *out = in;
  return 0;
}

void
sk_install_blob_ready (sk_install *in, size_t i)
{
  pthread_mutex_lock (&in->lock);
  if (i < in->n)
    in->jobs[i].ready = true;
  pthread_cond_broadcast (&in->cond);
  pthread_mutex_unlock (&in->lock);
}

/* Waits for the workers: 0 once every layer is unpacked, else -1 with the
 * first failing layer's error (stop: take no more jobs first). */
static int
join_workers (sk_install *in, bool stop, sk_err **err)
{
  pthread_mutex_lock (&in->lock);
  for (size_t i = 0; i < in->n; i++)
    in->jobs[i].ready = true;
  in->stop |= stop;
  pthread_cond_broadcast (&in->cond);
  pthread_mutex_unlock (&in->lock);
  for (size_t i = 0; i < in->n_threads; i++)
    pthread_join (in->threads[i], NULL);
  in->n_threads = 0;
  for (size_t i = 0; i < in->n; i++) {
    layer_job *j = &in->jobs[i];
    if (j->err) {
      *err = j->err;
      j->err = NULL;
      return sk_err_wrap (err, "layer %zu", i + 1);
    }
    if (j->need && !j->taken) /* not reached: a worker stopped early */
      return stop ? -1 : sk_err_set (err, 0, "layer %zu: not unpacked", i + 1);
  }
  return 0;
}

/* One sync for every layer unpacked, then each published, parent first. */
static int
publish_layers (sk_install *in, sk_err **err)
{
  bool any = false;
  for (size_t i = 0; i < in->n; i++)
    any |= in->jobs[i].w != NULL;
  if (any && sk_storage_sync (in->s->storage, err) < 0)
    return -1;
  for (size_t i = 0; i < in->n; i++) {
    layer_job *j = &in->jobs[i];
    if (j->w == NULL)
      continue;
    sk_layer_writer *w = j->w;
    j->w = NULL;
    if (sk_layer_writer_publish (w, err) < 0)
      return sk_err_wrap (err, "layer %zu", i + 1);
    j->made = true;
  }
  return 0;
}

/* The layers, the image and its names, in one transaction. */
static int
record_image (sk_install *in, const sk_digest *manifest, const char *const *names,
              const char *repo_digest, sk_err **err)
{
  sk_image_service *s = in->s;
  char is[SK_DIGEST_STR_SIZE], ms[SK_DIGEST_STR_SIZE], top[SK_DIGEST_STR_SIZE];
  sk_digest_format (&in->config, is);
  sk_digest_format (manifest, ms);
  int64_t total = 0;
  if (sk_db_begin (s->db, err) < 0)
    return -1;
  int ret = 0;
  for (size_t i = 0; ret == 0 && i < in->n; i++) {
    layer_job *j = &in->jobs[i];
    char cs[SK_DIGEST_STR_SIZE], ps[SK_DIGEST_STR_SIZE], ds[SK_DIGEST_STR_SIZE],
        bs[SK_DIGEST_STR_SIZE];
    total += (int64_t) j->size;
    if (sk_images_add_layer (s->db, sk_digest_format (&j->chain, cs), sk_digest_format (&j->diff, ds),
                             i ? sk_digest_format (&in->jobs[i - 1].chain, ps) : NULL,
                             (int64_t) j->size, err) < 0 ||
        sk_images_add_layer_blob (s->db, cs, sk_digest_format (&in->layers[i].blob, bs), j->type,
                                  in->layers[i].size, err) < 0)
      ret = -1;
  }
  if (in->n)
    sk_digest_format (&in->jobs[in->n - 1].chain, top);
  const char *blobs[] = {is, ms}, *kinds[] = {"config", "manifest"};
  if (ret == 0 &&
      sk_images_put (s->db, is, in->n ? top : NULL, in->cfg->created, total, blobs, kinds, 2, err) < 0)
    ret = -1;
  for (const char *const *n = names; ret == 0 && n && *n; n++)
    if (sk_images_tag (s->db, *n, is, err) < 0)
      ret = -1;
  if (ret == 0 && repo_digest && sk_images_add_repo_digest (s->db, repo_digest, is, err) < 0)
    ret = -1;
  if (ret == 0)
    return sk_db_commit (s->db, err);
  sk_db_rollback (s->db);
  return -1;
}

/* The layers this install published and no image records, newest first (a
 * parent outlives its child). */
static void
remove_made (sk_install *in)
{
  for (size_t i = in->n; i-- > 0;) {
    char cs[SK_DIGEST_STR_SIZE], hex[SK_DIGEST_HEX_LEN + 1];
    layer_job *j = &in->jobs[i];
    if (j->made && !sk_images_has_layer (in->s->db, sk_digest_format (&j->chain, cs))) {
      sk_err *ignored = NULL;
      sk_storage_layer_remove (in->s->storage, sk_digest_hex (&j->chain, hex), &ignored);
      sk_err_free (&ignored);
    }
  }
}

void
sk_install_cancel (sk_install *in)
{
  if (in == NULL)
    return;
  sk_err *ignored = NULL;
  join_workers (in, true, &ignored);
  sk_err_free (&ignored);
  remove_made (in);
  install_free (in);
}

int
sk_install_finish (sk_install *in, const sk_digest *manifest, const char *const *names,
                   const char *repo_digest, char **id, sk_err **err)
{
  int ret = join_workers (in, false, err);
  if (ret == 0)
    ret = publish_layers (in, err);
  _cleanup_free_ char *man = NULL;
  sk_digest man_digest;
  if (ret == 0 && manifest) {
    man_digest = *manifest;
  } else if (ret == 0) {
    const char **types = calloc (in->n + 1, sizeof *types);
    for (size_t i = 0; types && i < in->n; i++)
      types[i] = in->jobs[i].type;
    man = types ? sk_image_oci_manifest (&in->config, in->raw_len, in->layers, types, in->n) : NULL;
    free (types);
    ret = man ? sk_store_put (in->s->store, man, strlen (man), &man_digest, err)
              : sk_err_set (err, ENOMEM, "manifest");
  }
  if (ret == 0)
    ret = record_image (in, &man_digest, names, repo_digest, err);
  char is[SK_DIGEST_STR_SIZE];
  sk_digest_format (&in->config, is);
  if (ret < 0)
    remove_made (in);
  install_free (in);
  if (ret < 0)
    return -1;
  *id = strdup (is);
  return *id ? 0 : sk_err_set (err, ENOMEM, "install");
}

int
sk_image_install (sk_image_service *s, const sk_digest *config, const sk_layer_src *layers,
                  size_t n_layers, const sk_digest *manifest, const char *const *names,
                  const char *repo_digest, char **id, sk_err **err)
{
  sk_install *in = NULL;
  if (sk_install_start (s, config, layers, n_layers, &in, err) < 0)
    return -1;
  return sk_install_finish (in, manifest, names, repo_digest, id, err);
}
