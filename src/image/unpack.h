/* skiff: applying an image layer (a tar, plain or compressed) to a directory.
 *
 * The layer is untrusted input. Whatever its entries say, nothing is created,
 * changed or linked outside the target directory: every path is resolved
 * inside it as if it were "/", names with ".." or a leading "/" are refused,
 * hard links may only point at something the directory holds (never through a
 * symlink), and no owner, mode, time or xattr is ever set through a symlink.
 */
#ifndef SKIFF_IMAGE_UNPACK_H
#define SKIFF_IMAGE_UNPACK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "digest.h"
#include "util/error.h"

typedef struct sk_unpack_opts {
  /* Whiteouts delete instead of being kept as overlay whiteouts: for a copy
   * driver that applies each layer on top of the previous ones in one
   * directory. ".wh.NAME" removes NAME; ".wh..wh..opq" removes what the
   * directory held before this layer. */
  bool flat;
  /* Character and block devices are created; otherwise such an entry is an
   * error. Only for layers from a trusted source. */
  bool allow_devices;
  /* The uncompressed layer may hold at most this many bytes (0: no limit), a
   * bound on what a decompression bomb can make us write. */
  uint64_t max_bytes;
  /* Added to every owner of the layer (a user namespace's shift). */
  uid_t uid_shift;
  gid_t gid_shift;
} sk_unpack_opts;

typedef struct sk_unpack_result {
  /* sha256 of the uncompressed tar stream: the layer's diff_id, which the
   * caller compares with the image config's rootfs.diff_ids. */
  sk_digest diff_id;
  /* bytes of the uncompressed stream, and the entries applied */
  uint64_t size;
  uint64_t entries;
} sk_unpack_result;

/* Reads the layer from `fd` (tar, tar+gzip or tar+zstd, found by its
 * content) and writes it into the directory `dirfd`. Without the flat
 * option, whiteouts become overlayfs ones: a 0/0 character device, and the
 * xattr trusted.overlay.opaque="y" on an opaque directory.
 *
 * On failure it returns -1 with a message naming the entry; the directory is
 * then half written and the caller removes it (sk_remove_tree_at). `opts`
 * may be NULL for the defaults. `res` may be NULL. */
int sk_layer_unpack (int dirfd, int fd, const sk_unpack_opts *opts, sk_unpack_result *res,
                     sk_err **err);

#endif
