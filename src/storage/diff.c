/* skiff: what a container changed, as `docker diff` lists it (see
 * sk_storage_rootfs_changes in storage.h).
 *
 * The writable layer is walked through directory fds, never following a
 * symlink. A path in it is a change: D for a whiteout, C when the layers
 * below have it, A when they do not. A directory the layers below have,
 * with the same mode and mtime (overlayfs copied it up only to hold what
 * changed in it) is not listed for itself, but is C when something was
 * added to it or deleted from it, as docker does. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "storage.h"
#include "util/cleanup.h"
#include "util/fs.h"

typedef struct change {
  char kind;
  char *path;
} change;

typedef struct walker {
  int *lower; /* the layers' diff directories, top first */
  size_t n_lower;
  change *changes;
  size_t n, cap;
  const char *const *skip;
} walker;

static bool
is_whiteout (const struct stat *st)
{
  return S_ISCHR (st->st_mode) && st->st_rdev == makedev (0, 0);
}

static bool
is_opaque (int fd)
{
  char v[2];
  return fgetxattr (fd, "trusted.overlay.opaque", v, sizeof v) == 1 && v[0] == 'y';
}

/* Whether the layers below show path ("/a/b"): the first layer that has
 * it, or a whiteout of it or of a directory above it, or an opaque
 * directory above it, decides. */
static bool
lower_stat (walker *w, const char *path, struct stat *out)
{
  for (size_t l = 0; l < w->n_lower; l++) {
    int dir = dup (w->lower[l]);
    bool stop = false;
    const char *p = path + 1;
    while (dir >= 0) {
      size_t len = strcspn (p, "/");
      char name[NAME_MAX + 1];
      if (len > NAME_MAX)
        break;
      memcpy (name, p, len);
      name[len] = '\0';
      struct stat st;
      if (fstatat (dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        break;
      if (is_whiteout (&st) || (p[len] == '/' && !S_ISDIR (st.st_mode))) {
        stop = true; /* deleted, or hidden under a file, here */
        break;
      }
      if (p[len] == '\0') {
        close (dir);
        *out = st;
        return true;
      }
      int sub = openat (dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      close (dir);
      dir = sub;
      if (sub >= 0 && is_opaque (sub))
        stop = true; /* nothing below shows through, whatever this layer says */
      p += len + 1;
    }
    if (dir >= 0)
      close (dir);
    if (stop)
      return false;
  }
  return false;
}

static int
add (walker *w, char kind, const char *path, sk_err **err)
{
  if (w->n == w->cap) {
    change *nc = realloc (w->changes, (w->cap = w->cap ? w->cap * 2 : 64) * sizeof *nc);
    if (nc == NULL)
      return sk_err_set (err, ENOMEM, "diff");
    w->changes = nc;
  }
  if ((w->changes[w->n].path = strdup (path)) == NULL)
    return sk_err_set (err, ENOMEM, "diff");
  w->changes[w->n++].kind = kind;
  return 0;
}

static bool
same_time (const struct timespec *a, const struct timespec *b)
{
  /* docker's rule: a time without its nanoseconds matches to the second */
  return a->tv_sec == b->tv_sec && (a->tv_nsec == b->tv_nsec || a->tv_nsec == 0 || b->tv_nsec == 0);
}

/* Walks the directory dirfd of the writable layer, path its path ("" for
 * the root); *touched: something was added to or deleted from it. */
static int
walk (walker *w, int dirfd, const char *path, bool opaque, bool *touched, bool *skipped, int depth,
      sk_err **err)
{
  char **names = NULL;
  size_t n = 0;
  if (depth > 512)
    return sk_err_set (err, ELOOP, "`%s`: too deep", path);
  if (sk_dir_names_sorted (dirfd, &names, &n, err) < 0)
    return sk_err_wrap (err, "`%s/`", path);
  int ret = 0;
  for (size_t i = 0; i < n; i++) {
    _cleanup_free_ char *p = NULL;
    struct stat st, lst = {0};
    if (ret < 0 || asprintf (&p, "%s/%s", path, names[i]) < 0 ||
        fstatat (dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
      free (names[i]);
      continue;
    }
    free (names[i]);
    bool skip = false;
    for (const char *const *k = w->skip; k && *k && S_ISREG (st.st_mode) && st.st_size == 0; k++)
      skip |= strcmp (*k, p) == 0;
    if (skip) {
      *skipped = true;
      continue;
    }
    if (is_whiteout (&st)) {
      *touched = true;
      ret = add (w, 'D', p, err);
      continue;
    }
    bool below = !opaque && lower_stat (w, p, &lst);
    if (!below)
      *touched = true;
    if (!S_ISDIR (st.st_mode)) {
      ret = add (w, below ? 'C' : 'A', p, err);
      continue;
    }
    int fd = openat (dirfd, p + strlen (path) + 1, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      ret = sk_err_set (err, errno, "open `%s`", p);
      continue;
    }
    bool sub_opaque = is_opaque (fd);
    bool same = below && S_ISDIR (lst.st_mode) && lst.st_mode == st.st_mode && !sub_opaque;
    bool same_mtime = same_time (&lst.st_mtim, &st.st_mtim);
    size_t at = w->n;
    bool sub_touched = false, sub_skipped = false;
    ret = add (w, below ? 'C' : 'A', p, err);
    if (ret == 0)
      ret = walk (w, fd, p, opaque || sub_opaque, &sub_touched, &sub_skipped, depth + 1, err);
    close (fd);
    /* a directory whose mtime moved only because the engine made a mount
     * point in it (docker keeps those in a layer below) is not a change
     * either, unless something else in it is */
    if (ret == 0 && same && !sub_touched && (same_mtime || (sub_skipped && w->n == at + 1))) {
      /* only copied up: not a change of its own */
      free (w->changes[at].path);
      memmove (&w->changes[at], &w->changes[at + 1], (w->n - at - 1) * sizeof *w->changes);
      w->n--;
    }
  }
  free (names);
  return ret;
}

int
sk_storage_rootfs_changes (sk_storage *s, const char *cid, const char *const *layers, size_t n,
                           const char *const *skip,
                           void (*fn) (char kind, const char *path, void *data), void *data,
                           sk_err **err)
{
  if (!sk_storage_wants_overlay_whiteouts (s))
    return sk_err_set (err, ENOTSUP,
                       "the %s storage driver keeps no list of changes: diff needs overlay",
                       sk_storage_driver (s));
  _cleanup_free_ char *upper = sk_storage_rootfs_upper (s, cid);
  _cleanup_close_ int ufd =
      upper ? open (upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
  if (ufd < 0)
    return sk_err_set (err, upper ? errno : ENOMEM, "the writable layer of %s", cid);
  walker w = {.lower = calloc (n + 1, sizeof (int)), .skip = skip};
  if (w.lower == NULL)
    return sk_err_set (err, ENOMEM, "diff");
  int ret = 0;
  for (size_t i = 0; ret == 0 && i < n; i++) {
    _cleanup_free_ char *p = sk_storage_layer_path (s, layers[i]);
    int fd = p ? open (p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
    if (fd < 0)
      ret = sk_err_set (err, p ? errno : ENOMEM, "layer %s", layers[i]);
    else
      w.lower[w.n_lower++] = fd;
  }
  bool touched = false, skipped = false;
  if (ret == 0)
    ret = walk (&w, ufd, "", false, &touched, &skipped, 0, err);
  for (size_t i = 0; i < w.n; i++) {
    if (ret == 0)
      fn (w.changes[i].kind, w.changes[i].path, data);
    free (w.changes[i].path);
  }
  free (w.changes);
  for (size_t i = 0; i < w.n_lower; i++)
    close (w.lower[i]);
  free (w.lower);
  return ret;
}
