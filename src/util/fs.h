/* skiff: file helpers and path resolution that never leaves a root. */
#ifndef SKIFF_UTIL_FS_H
#define SKIFF_UTIL_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Reads a whole file; *data is NUL-terminated. */
int sk_read_file (const char *path, char **data, size_t *len, sk_err **err);
int sk_read_file_at (int dirfd, const char *path, char **data, size_t *len, sk_err **err);
/* Writes to an existing file (cgroup and proc files): one write(2) of the whole value. */
int sk_write_file_at (int dirfd, const char *path, const char *data, size_t len, sk_err **err);
/* Writes a file atomically: temporary file in the same directory, fsync, rename. */
int sk_write_file_atomic (const char *path, const char *data, size_t len, mode_t mode,
                          sk_err **err);
/* The same without fsync: readers see the old or the new file, never a part,
 * but a power loss may lose it. For state under /run, which a reboot clears. */
int sk_write_file_replace (const char *path, const char *data, size_t len, mode_t mode,
                           sk_err **err);
/* mkdir -p; mode applies to the directories it creates. */
int sk_mkdir_p (const char *path, mode_t mode, sk_err **err);
/* rm -rf of a directory tree below dirfd/name; never follows symlinks. */
int sk_remove_tree_at (int dirfd, const char *name, sk_err **err);
/* Copies what the directory src_dirfd holds into dst_dirfd, recursively, with
 * owners, modes and times (cp -a); never follows symlinks. */
int sk_copy_tree_at (int src_dirfd, int dst_dirfd, sk_err **err);

/* Creates, in dirfd, a new file (O_RDWR, mode 0600) or directory (0700)
 * whose name is `name` with its trailing "XXXXXX" replaced by random
 * characters (name is rewritten). Returns the file's fd, or 0 for a
 * directory. mkstemp and mkdtemp for a directory fd, without /proc. */
int sk_create_unique_at (int dirfd, char *name, bool directory, sk_err **err);

/* Resolves `path` inside the directory rootfd as if rootfd were "/": "..",
 * absolute symlinks and magic links cannot leave it (openat2 RESOLVE_IN_ROOT,
 * with a component-by-component fallback for kernels without openat2).
 * Returns an fd opened with `flags` (O_CLOEXEC is added). */
int sk_open_in_root (int rootfd, const char *path, int flags, mode_t mode, sk_err **err);
/* Like sk_open_in_root with O_PATH|O_DIRECTORY, creating missing directories. */
int sk_mkdir_in_root (int rootfd, const char *path, mode_t mode, sk_err **err);
/* Forces the fallback resolver (for its tests). */
void sk_fs_force_fallback (bool on);

/* "/proc/self/fd/N" into buf. */
const char *sk_fd_path (int fd, char *buf, size_t size);

/* Simple path helpers. */
char *sk_path_join (const char *a, const char *b);
/* true when the name is safe as one path component: not empty, no '/', not "." or "..". */
bool sk_is_safe_component (const char *name);

/* The names in a directory but . and .., sorted by strcmp (as docker walks
 * a layer); *out and each name freed by the caller. */
int sk_dir_names_sorted (int dirfd, char ***out, size_t *n, sk_err **err);

#endif
