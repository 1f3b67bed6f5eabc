/* skiff: what the database knows of images: their layers (by chain id),
 * the blobs they keep in the content store, their tags and repo digests.
 *
 * Digests and ids are full strings ("sha256:<hex>"); names are normalised
 * references (docker.io/library/busybox:latest). The caller groups changes
 * in a transaction (sk_db_begin/commit) where several go together, so that an
 * image appears whole or not at all.
 */
#ifndef SKIFF_IMAGE_IMAGES_H
#define SKIFF_IMAGE_IMAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "util/error.h"

typedef struct sk_image_info {
  char *id;        /* the config's digest */
  char *top_layer; /* chain id, or NULL */
  int64_t created; /* seconds since the epoch, from the config */
  int64_t size;    /* bytes of the unpacked layers */
  int64_t added;
  char **tags;         /* NULL-terminated, sorted */
  char **repo_digests; /* NULL-terminated, sorted */
} sk_image_info;

void sk_image_info_free (sk_image_info *i);
void sk_image_info_list_free (sk_image_info **list);

/* A layer (nothing happens if it is known). parent NULL: a base layer. */
int sk_images_add_layer (sk_db *db, const char *chain_id, const char *diff_id, const char *parent,
                         int64_t size, sk_err **err);
int sk_images_add_layer_blob (sk_db *db, const char *chain_id, const char *digest,
                              const char *media_type, int64_t size, sk_err **err);
bool sk_images_has_layer (sk_db *db, const char *chain_id);
/* The chain ids of the stack ending at top, top first (NULL-terminated). */
int sk_images_layer_stack (sk_db *db, const char *top, char ***out, sk_err **err);

/* An image (its row replaced when it exists: a new pull of the same config
 * keeps tags). blobs/kinds: the config, manifests and indexes it keeps. */
int sk_images_put (sk_db *db, const char *id, const char *top_layer, int64_t created, int64_t size,
                   const char *const *blobs, const char *const *kinds, size_t n_blobs,
                   sk_err **err);
/* Points name at the image (moving it from another one). */
int sk_images_tag (sk_db *db, const char *name, const char *id, sk_err **err);
int sk_images_untag (sk_db *db, const char *name, sk_err **err);
int sk_images_add_repo_digest (sk_db *db, const char *name, const char *id, sk_err **err);

/* The image a user means: a normalised tag or repo digest, a full id, or an
 * unambiguous prefix of an id's hex (with or without "sha256:"). 0 and *id
 * set when found; 1 when nothing matches; -1 on error (an ambiguous prefix
 * too). */
int sk_images_resolve (sk_db *db, const char *normalised_name, const char *as_typed, char **id,
                       sk_err **err);
int sk_images_get (sk_db *db, const char *id, sk_image_info **out, sk_err **err);
/* All images, newest first (NULL-terminated). */
int sk_images_list (sk_db *db, sk_image_info ***out, sk_err **err);
/* Removes the image row, its tags, repo digests and blob references. */
int sk_images_remove (sk_db *db, const char *id, sk_err **err);

/* For garbage collection: the layers no image stacks (top first within a
 * stack does not matter: children come before their parents), and whether
 * an image or a stored layer still keeps a blob. */
int sk_images_unused_layers (sk_db *db, char ***out, sk_err **err);
int sk_images_remove_layer (sk_db *db, const char *chain_id, sk_err **err);
/* A compressed blob the layer came from: its digest, media type and size
 * (1 when the layer has none). */
int sk_images_layer_blob (sk_db *db, const char *chain_id, char **digest, char **media_type,
                          int64_t *size, sk_err **err);
/* The digest of a blob of the image of this kind ("manifest", "config"); 1
 * when it has none. */
int sk_images_image_blob (sk_db *db, const char *id, const char *kind, char **digest,
                          sk_err **err);
/* A layer's unpacked size (0 when unknown). */
int64_t sk_images_layer_size (sk_db *db, const char *chain_id);
bool sk_images_blob_in_use (sk_db *db, const char *digest);

#endif
