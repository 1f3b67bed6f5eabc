/* skiff: layer storage and container root filesystems.
 *
 * Layers are stored once, under ROOT/<driver>/<id>/diff, and shared by every
 * image and container that stacks them (id: the layer's chain id, in hex).
 * A layer is filled by the caller (the image code unpacks into it) in a
 * directory of its own, ROOT/<driver>/tmp-<id>-XXXXXX, locked while it is
 * written, and becomes visible at commit by a rename: a layer directory
 * under its id is always complete. What a killed writer left is removed by
 * the next sk_storage_open (unless a live writer still holds its lock).
 *
 * Drivers:
 *   overlay  a container's rootfs is an overlayfs mount of its image's layers
 *            (lowerdir, top first) with an upper and a work directory of its
 *            own, ROOT/overlay/containers/<cid>/{upper,work}. Each layer is
 *            added with "lowerdir+" (Linux 6.8), so that the length of the
 *            mount options never limits the number of layers; older kernels
 *            get one "lowerdir=" option, which must fit in a page.
 *   vfs      no overlayfs: each layer is a full copy of its parent with its
 *            own changes applied (whiteouts deleting), and a container's
 *            rootfs is a full copy of its top layer. Slow, works anywhere.
 */
#ifndef SKIFF_STORAGE_STORAGE_H
#define SKIFF_STORAGE_STORAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

typedef struct sk_storage sk_storage;
typedef struct sk_layer_writer sk_layer_writer;

/* driver: "overlay", "vfs", or NULL for overlay when the kernel has it. */
int sk_storage_open (const char *root, const char *driver, sk_storage **out, sk_err **err);
void sk_storage_free (sk_storage *s);
const char *sk_storage_driver (const sk_storage *s);
/* true when layers hold overlay whiteouts (0/0 character devices and the
 * opaque xattr); false when whiteouts must delete (vfs). */
bool sk_storage_wants_overlay_whiteouts (const sk_storage *s);

bool sk_storage_layer_exists (sk_storage *s, const char *id);
/* ROOT/<driver>/<id>/diff; NULL on ENOMEM. */
char *sk_storage_layer_path (sk_storage *s, const char *id);
/* Starts a layer on top of parent (NULL for a base layer). Returns 1 with
 * *out NULL when the layer exists already. With overlay the parent need only
 * be stored by the time the layer is published (layers of one image can be
 * written side by side); vfs copies it, so it must be stored now. */
int sk_storage_layer_begin (sk_storage *s, const char *id, const char *parent,
                            sk_layer_writer **out, sk_err **err);
/* The directory to fill (O_PATH|O_DIRECTORY; the writer keeps it). */
int sk_layer_writer_dirfd (const sk_layer_writer *w);
/* Gives the layer its id only now, for a layer whose id comes from its
 * content (an imported tarball's diff_id); begin it under a provisional id. */
int sk_layer_writer_set_id (sk_layer_writer *w, const char *id, sk_err **err);
/* Makes the layer visible under its id, its content made durable first
 * (frees w, also on failure). */
int sk_layer_writer_commit (sk_layer_writer *w, sk_err **err);
/* Several layers at once: one sk_storage_sync for all their content, then
 * each published (renamed, parent first), which is commit without the sync. */
int sk_storage_sync (sk_storage *s, sk_err **err);
int sk_layer_writer_publish (sk_layer_writer *w, sk_err **err);
/* Throws away what was written. */
void sk_layer_writer_abort (sk_layer_writer *w);
int sk_storage_layer_remove (sk_storage *s, const char *id, sk_err **err);

/* A container's rootfs over layers (top first, n >= 1): its own writable
 * directories (overlay) or copy (vfs). */
int sk_storage_rootfs_create (sk_storage *s, const char *cid, const char *const *layers, size_t n,
                              sk_err **err);
/* Mounts (overlay) or bind-mounts (vfs) the rootfs on target. */
int sk_storage_rootfs_mount (sk_storage *s, const char *cid, const char *const *layers, size_t n,
                             const char *target, sk_err **err);
/* The rootfs mounted nowhere: an fd of its root (a detached overlay mount,
 * or the vfs copy's directory) that no other process can see. The caller
 * makes sure no other mount of the same upper directory is made meanwhile. */
int sk_storage_rootfs_open (sk_storage *s, const char *cid, const char *const *layers, size_t n,
                            sk_err **err);
int sk_storage_rootfs_umount (const char *target, sk_err **err);
/* Removes the container's writable part (not mounted). */
int sk_storage_rootfs_remove (sk_storage *s, const char *cid, sk_err **err);
/* The container's own changes: ROOT/overlay/containers/<cid>/upper, or the
 * vfs copy. */
char *sk_storage_rootfs_upper (sk_storage *s, const char *cid);
/* `docker diff`: the container's changes over its layers (top first), fn
 * told each one, kind 'A' (added), 'C' (changed) or 'D' (deleted), with
 * its absolute path, in docker's order (by name, a directory before what
 * is in it). Overlay: its upper directory; vfs: its copy compared with its
 * image's top layer, a whole tree too (type, mode, owner, size, device,
 * mtime, link target). skip:
 * absolute paths not listed when they are empty regular files (mount
 * points), NULL-terminated or NULL. */
int sk_storage_rootfs_changes (sk_storage *s, const char *cid, const char *const *layers, size_t n,
                               const char *const *skip,
                               void (*fn) (char kind, const char *path, void *data), void *data,
                               sk_err **err);

/* The container's changes as an overlay upper directory holds them (for
 * commit): overlay's upper itself; with vfs, a scratch directory of the
 * store made of them (files hard-linked from the copy, directories made
 * alike, deletions as 0/0 whiteouts), locked while it is used and removed
 * by close (or, after a crash, by the next sk_storage_open). */
typedef struct sk_changes_dir {
  int fd; /* O_RDONLY|O_DIRECTORY */
  sk_storage *s;
  char tmp[64];
  int lockfd;
} sk_changes_dir;
int sk_storage_changes_open (sk_storage *s, const char *cid, const char *const *layers, size_t n,
                             const char *const *skip, sk_changes_dir *out, sk_err **err);
void sk_storage_changes_close (sk_changes_dir *c);

/* A new directory ROOT/<driver>/tmp-scratch-XXXXXX, flocked (lockfd, open
 * on it) so that sk_storage_open leaves it alone; name gets its name. */
int sk_storage_scratch (sk_storage *s, char *name, size_t size, int *lockfd, sk_err **err);
int sk_storage_scratch_remove (sk_storage *s, const char *name, sk_err **err);

#endif
