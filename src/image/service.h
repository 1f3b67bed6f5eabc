/* skiff: the image service: the content store, the layer storage and the
 * database of one data root, and what is done with them (import; later
 * pull, push, load, save). The CLI and the daemon each open one.
 *
 *   DATA_ROOT/skiff.db               the database
 *   DATA_ROOT/blobs/sha256/<hex>     the content store (ingest/ beside it)
 *   DATA_ROOT/<driver>/<chain hex>/  layers; <driver>/containers/<id>/
 */
#ifndef SKIFF_IMAGE_SERVICE_H
#define SKIFF_IMAGE_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"
#include "image/registry.h"
#include "image/images.h"
#include "image/store.h"
#include "oci/image.h"
#include "storage/storage.h"
#include "util/error.h"
#include "util/json.h"

typedef struct sk_image_service {
  char *root;
  sk_store *store;
  sk_storage *storage;
  sk_db *db;
  int gc_lock; /* DATA_ROOT/gc.lock */
} sk_image_service;

/* Blobs and layers are stored before the transaction that records who uses
 * them: garbage collection must not see them in between. Pull, load and
 * import hold DATA_ROOT/gc.lock shared while they work; garbage collection
 * takes it exclusive (and so waits for them). */
int sk_image_lock_shared (sk_image_service *s, sk_err **err);
void sk_image_unlock (sk_image_service *s);

/* driver: "overlay", "vfs" or NULL (overlay when the kernel has it). */
int sk_image_service_open (const char *root, const char *driver, sk_image_service **out,
                           sk_err **err);
void sk_image_service_free (sk_image_service *s);

typedef struct sk_import_opts {
  const char *reference;      /* "name[:tag]" as typed; NULL: untagged */
  const char *const *changes; /* Dockerfile instructions: CMD, ENTRYPOINT, ENV, EXPOSE,
                                 LABEL, USER, VOLUME, WORKDIR; NULL-terminated or NULL */
  const char *message;        /* the history's comment; NULL: "Imported from SOURCE" */
  const char *source;         /* for that comment: a file name or "-" */
  int64_t created;            /* the image's creation time (seconds); 0: now */
} sk_import_opts;

/* `docker import`: a rootfs tarball (plain, gzip or zstd) read from fd
 * becomes a one-layer image; *id receives "sha256:<hex>". Nothing of it is
 * left when it fails. */
int sk_image_import (sk_image_service *s, int fd, const sk_import_opts *o, char **id, sk_err **err);

typedef struct sk_commit_opts {
  const char *image;           /* the container's image (an id) */
  int upper;                   /* its writable layer, an overlay upper directory */
  const char *const *skip;     /* mount points in it, not its changes (sk_layer_pack_upper) */
  const sk_json *config;       /* the container's Config (Docker's shape: Cmd, Env, ...) */
  const char *container;       /* its id */
  const char *created_by;      /* its command, for the history */
  const char *reference;       /* "name[:tag]"; NULL: untagged */
  const char *author, *message;
  const char *const *changes; /* Dockerfile instructions as import takes them */
} sk_commit_opts;

/* `docker commit`: a new image of the container's image's layers and one
 * more made of its writable layer (an empty one when nothing changed), its
 * config the container's with the changes applied and a history entry
 * added; *id receives "sha256:<hex>". Nothing of it is left when it fails. */
int sk_image_commit (sk_image_service *s, const sk_commit_opts *o, char **id, sk_err **err);

/* One layer of an image being installed: a blob already in the store. */
typedef struct sk_layer_src {
  sk_digest blob;
  int64_t size;
  const char *media_type; /* NULL: found from the blob's first bytes */
} sk_layer_src;

/* Installs an image whose config and layer blobs are in the store (pull,
 * load): each layer not stored yet is unpacked on its parent under its chain
 * id, and its content must have the diff_id the config gives; then, in one
 * transaction, the layers, the image (config and manifest blobs) and its
 * names are recorded. manifest NULL: an OCI manifest is made. names:
 * normalised tags, and repo_digest "name@sha256:..." (NULL: none). On
 * failure nothing of it is left but blobs garbage collection removes. */
int sk_image_install (sk_image_service *s, const sk_digest *config, const sk_layer_src *layers,
                      size_t n_layers, const sk_digest *manifest, const char *const *names,
                      const char *repo_digest, char **id, sk_err **err);

/* The same in steps, for a pull that unpacks layers while others download:
 * start once the config blob is stored (layers[] must live until finish or
 * cancel), tell each layer's blob as it is stored (index in layers[]), then
 * finish, or cancel to throw away what was unpacked. */
typedef struct sk_install sk_install;
int sk_install_start (sk_image_service *s, const sk_digest *config, const sk_layer_src *layers,
                      size_t n_layers, sk_install **out, sk_err **err);
void sk_install_blob_ready (sk_install *in, size_t layer);
int sk_install_finish (sk_install *in, const sk_digest *manifest, const char *const *names,
                       const char *repo_digest, char **id, sk_err **err);
void sk_install_cancel (sk_install *in);

/* `docker load`: a docker-archive (manifest.json) or OCI layout (index.json)
 * tarball from fd; loaded() is told each name ("busybox:latest") or, for an
 * image without one, its id. Every path and name in the archive is
 * untrusted: blobs are kept only under the digest of their content. */
int sk_image_load (sk_image_service *s, int fd, void (*loaded) (const char *name, bool is_id, void *data),
                   void *data, sk_err **err);

/* `docker save`: the images (ids, each with the names to give it; names
 * NULL-terminated, may be empty) as one tarball on fd: docker's format
 * (manifest.json, each layer an uncompressed tar) or, with oci, an OCI
 * layout (index.json, the blobs as stored). */
typedef struct sk_save_item {
  const char *id;
  const char *const *names; /* normalised */
} sk_save_item;
int sk_image_save (sk_image_service *s, const sk_save_item *items, size_t n, bool oci, int fd,
                   sk_err **err);

/* What a pull reports as it goes. */
typedef enum {
  SK_PULL_RESOLVED,   /* text: the manifest's digest; n: the layer count */
  SK_PULL_LAYER_HAVE, /* layer index: stored already */
  SK_PULL_PROGRESS,   /* layer index (n = layers: the config), done, total */
  SK_PULL_LAYER_DONE, /* layer index: downloaded and checked */
  SK_PULL_LAYER_EXTRACTED,
} sk_pull_event_kind;

typedef struct sk_pull_event {
  sk_pull_event_kind kind;
  size_t index, n;
  uint64_t done, total;
  const char *text;
  const char *layer_digest; /* the layer's blob */
} sk_pull_event;

typedef struct sk_pull_opts {
  const char *platform; /* NULL: this machine's */
  int parallel;         /* downloads at once; 0: 3 */
  sk_registry_opts registry;
  void (*progress) (const sk_pull_event *e, void *data);
  void *data;
} sk_pull_opts;

/* `docker pull`: the manifest (for an index, the platform's), then the
 * config and the layers not stored yet (in parallel, resumed), then the
 * image installed and named. *id: the image; *digest: the manifest's (the
 * index's when there was one); *fresh: whether the name moved to a new
 * image. */
int sk_image_pull (sk_image_service *s, const char *reference, const sk_pull_opts *o, char **id,
                   char **digest, bool *fresh, sk_err **err);

/* What a push reports of each layer (the config is pushed unreported, as
 * docker does). */
typedef enum {
  SK_PUSH_PREPARING, /* every layer, top first, before anything is sent */
  SK_PUSH_WAITING,   /* every layer but the first pushed: one goes at a time */
  SK_PUSH_PROGRESS,  /* done of total bytes sent */
  SK_PUSH_EXISTS,    /* the repository has it */
  SK_PUSH_MOUNTED,   /* from: the repository it was mounted from */
  SK_PUSH_PUSHED,
} sk_push_status;

typedef struct sk_push_event {
  sk_push_status kind;
  size_t index, n;     /* the layer (0: the base), of n */
  const char *diff_id; /* what docker names a layer by when pushing (its blob's
                        * digest when the config has no diff ids for it) */
  const char *from;
  uint64_t done, total;
} sk_push_event;

typedef struct sk_push_opts {
  sk_registry_opts registry;
  void (*progress) (const sk_push_event *e, void *data);
  void *data;
} sk_push_opts;

/* `docker push`: the image named by reference (a tag; "latest" when none)
 * to its registry: each blob the repository lacks is mounted from another
 * repository of the same registry the image came from, or uploaded (the top
 * layer first); then the manifest under the tag. *digest and *size: the
 * manifest's. */
int sk_image_push (sk_image_service *s, const char *reference, const sk_push_opts *o,
                   char **digest, size_t *size, sk_err **err);

/* Removes the image's record (its tags and repo digests with it), then
 * whatever is no longer used: layers no image stacks (storage and record),
 * then blobs nothing references. deleted() is told each removed layer's
 * chain id; *reclaimed counts the bytes of removed layers and blobs. */
int sk_image_remove (sk_image_service *s, const char *id,
                     void (*deleted) (const char *what, void *data), void *data,
                     int64_t *reclaimed, sk_err **err);
/* Only the garbage collection (after an untag, by prune). */
int sk_image_gc (sk_image_service *s, void (*deleted) (const char *what, void *data), void *data,
                 int64_t *reclaimed, sk_err **err);

/* The most a layer may unpack to here: what the filesystem of the layers
 * has free, less a margin, so that a decompression bomb fails with a clear
 * error instead of filling the disk. */
uint64_t sk_image_unpack_limit (sk_image_service *s);

/* The image a user means (a name as docker takes it, or an id or id
 * prefix); an error that names it when there is none. */
int sk_image_lookup (sk_image_service *s, const char *what, char **id, sk_err **err);
/* The image's config, read from the store (and checked against its digest). */
int sk_image_read_config (sk_image_service *s, const char *id, sk_image_config **out,
                          char **raw, sk_err **err);

#endif
