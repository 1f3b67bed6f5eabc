/* skiff: a container's writable layer packed as an image layer (commit).
 *
 * The directory is the container's: anything in it may be hostile. It is
 * read only through directory fds, each name opened or stat'ed relative to
 * its parent without following symlinks, so that a symlink the container
 * made (/escape -> /) is packed as a symlink and nothing outside the
 * directory is ever read.
 */
#ifndef SKIFF_IMAGE_PACK_H
#define SKIFF_IMAGE_PACK_H

#include <stdint.h>

#include "image/digest.h"
#include "image/store.h"
#include "util/error.h"

typedef struct sk_pack_result {
  sk_digest blob;    /* the gzip-compressed tar, as stored */
  int64_t blob_size; /* its bytes */
  sk_digest diff_id; /* sha256 of the uncompressed tar */
  uint64_t size;     /* bytes of the uncompressed tar */
} sk_pack_result;

/* Packs the overlay upper directory dirfd into a gzip-compressed tar in the
 * store, OCI's layer format: a whiteout (a 0/0 character device) becomes an
 * empty ".wh.NAME" file, an opaque directory gets a ".wh..wh..opq" entry;
 * owners, modes, times, device numbers, hard links within the directory and
 * xattrs (but overlayfs' own) are kept; sockets are left out, as docker
 * does. Entries are written in name order, parents first. skip: absolute
 * paths ("/etc/hosts") left out when they are empty regular files, the
 * mount points the engine made (NULL-terminated, or NULL). */
int sk_layer_pack_upper (sk_store *store, int dirfd, const char *const *skip, sk_pack_result *res,
                         sk_err **err);

#endif
