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

/* The first component of p into name; its length, or -1 when too long. */
static ssize_t
component (const char *p, char name[NAME_MAX + 1])
{
  size_t len = strcspn (p, "/");
  if (len > NAME_MAX)
    return -1;
  memcpy (name, p, len);
  name[len] = '\0';
  return (ssize_t) len;
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
      char name[NAME_MAX + 1];
      ssize_t slen = component (p, name);
      if (slen < 0)
        break;
      size_t len = (size_t) slen;
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

/* Takes back the change at index at (a directory found unchanged). */
static void
drop_change (walker *w, size_t at)
{
  free (w->changes[at].path);
  memmove (&w->changes[at], &w->changes[at + 1], (w->n - at - 1) * sizeof *w->changes);
  w->n--;
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
      drop_change (w, at); /* only copied up: not a change of its own */
    }
  }
  free (names);
  return ret;
}

/* ---- vfs: the container's copy against its image's top layer ----
 *
 * Both are whole trees: a name only in the copy is A (and all below it), a
 * name only in the layer is D, a name in both is C when its type, mode,
 * owner, size, device, mtime or link target differs. A directory is C for
 * the same reasons but its mtime, or when something was added to or
 * deleted from it, as the overlay walk decides. */

static bool
same_entry (int cdir, int ldir, const char *name, const struct stat *c, const struct stat *l)
{
  if ((c->st_mode & S_IFMT) != (l->st_mode & S_IFMT) || c->st_mode != l->st_mode ||
      c->st_uid != l->st_uid || c->st_gid != l->st_gid)
    return false;
  if (S_ISDIR (c->st_mode))
    return true;
  if (c->st_size != l->st_size || c->st_rdev != l->st_rdev || !same_time (&c->st_mtim, &l->st_mtim))
    return false;
  if (S_ISLNK (c->st_mode)) {
    char a[PATH_MAX], b[PATH_MAX];
    ssize_t na = readlinkat (cdir, name, a, sizeof a), nb = readlinkat (ldir, name, b, sizeof b);
    return na == nb && na >= 0 && memcmp (a, b, (size_t) na) == 0;
  }
  return true;
}

static int
vfs_walk (walker *w, int cdir, int ldir, const char *path, bool *touched, int depth, sk_err **err)
{
  char **cn = NULL, **ln = NULL;
  size_t nc = 0, nl = 0;
  if (depth > 512)
    return sk_err_set (err, ELOOP, "`%s`: too deep", path);
  if (sk_dir_names_sorted (cdir, &cn, &nc, err) < 0)
    return sk_err_wrap (err, "`%s/`", path);
  if (ldir >= 0 && sk_dir_names_sorted (ldir, &ln, &nl, err) < 0) {
    for (size_t i = 0; i < nc; i++)
      free (cn[i]);
    free (cn);
    return sk_err_wrap (err, "`%s/` in the image", path);
  }
  int ret = 0;
  size_t i = 0, j = 0;
  while (i < nc || j < nl) {
    int cmp = i == nc ? 1 : j == nl ? -1 : strcmp (cn[i], ln[j]);
    const char *name = cmp <= 0 ? cn[i] : ln[j];
    _cleanup_free_ char *p = NULL;
    if (ret < 0 || asprintf (&p, "%s/%s", path, name) < 0) {
      ret = ret < 0 ? ret : sk_err_set (err, ENOMEM, "diff");
    } else if (cmp > 0) {
      *touched = true;
      ret = add (w, 'D', p, err);
    } else {
      struct stat cst, lst;
      bool in_layer = cmp == 0 && fstatat (ldir, name, &lst, AT_SYMLINK_NOFOLLOW) == 0;
      if (fstatat (cdir, name, &cst, AT_SYMLINK_NOFOLLOW) < 0) {
        /* gone meanwhile */
      } else {
        bool skip = false;
        for (const char *const *k = w->skip; k && *k && !in_layer && S_ISREG (cst.st_mode) &&
                                              cst.st_size == 0;
             k++)
          skip |= strcmp (*k, p) == 0;
        bool same = in_layer && same_entry (cdir, ldir, name, &cst, &lst);
        if (skip) {
          /* a mount point the engine made */
        } else if (!S_ISDIR (cst.st_mode)) {
          if (!in_layer)
            *touched = true;
          if (!same)
            ret = add (w, in_layer ? 'C' : 'A', p, err);
        } else {
          if (!in_layer)
            *touched = true;
          bool both_dirs = in_layer && S_ISDIR (lst.st_mode);
          int sub = openat (cdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          int lsub = both_dirs ? openat (ldir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                               : -1;
          size_t at = w->n;
          bool sub_touched = false;
          if (sub < 0)
            ret = sk_err_set (err, errno, "open `%s`", p);
          else
            ret = add (w, in_layer ? 'C' : 'A', p, err);
          if (ret == 0)
            ret = vfs_walk (w, sub, lsub, p, &sub_touched, depth + 1, err);
          if (sub >= 0)
            close (sub);
          if (lsub >= 0)
            close (lsub);
          if (ret == 0 && same && both_dirs && !sub_touched)
            drop_change (w, at);
        }
      }
    }
    if (cmp <= 0)
      free (cn[i++]);
    if (cmp >= 0)
      free (ln[j++]);
  }
  free (cn);
  free (ln);
  return ret;
}

/* The changes of a vfs container into w. */
static int
vfs_changes (sk_storage *s, const char *cid, const char *top, walker *w, sk_err **err)
{
  _cleanup_free_ char *copy = sk_storage_rootfs_upper (s, cid), *layer = sk_storage_layer_path (s, top);
  _cleanup_close_ int cfd = copy ? open (copy, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
  if (cfd < 0)
    return sk_err_set (err, copy ? errno : ENOMEM, "the root filesystem of %s", cid);
  _cleanup_close_ int lfd = layer ? open (layer, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
  if (lfd < 0)
    return sk_err_set (err, layer ? errno : ENOMEM, "layer %s", top);
  bool touched = false;
  return vfs_walk (w, cfd, lfd, "", &touched, 0, err);
}

static void
changes_free (walker *w)
{
  for (size_t i = 0; i < w->n; i++)
    free (w->changes[i].path);
  free (w->changes);
  w->changes = NULL;
  w->n = w->cap = 0;
}

/* The directories holding path (its parent) in src and in dst, made in
 * dst along the way with the owners, modes and times src has (as an
 * overlay upper holds copied-up directories): *sp and the returned fd. */
static int
parent_in (int src, int dst, const char *path, const char **leaf, int *sp, sk_err **err)
{
  int s = dup (src), d = dup (dst);
  const char *p = path + 1;
  while (s >= 0 && d >= 0) {
    char name[NAME_MAX + 1];
    ssize_t slen = component (p, name);
    if (slen < 0)
      break;
    size_t len = (size_t) slen;
    if (p[len] == '\0') {
      *sp = s;
      *leaf = p;
      return d;
    }
    struct stat st;
    if (fstatat (s, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR (st.st_mode))
      break;
    if (mkdirat (d, name, 0700) == 0) {
      struct timespec t[2] = {st.st_atim, st.st_mtim};
      if (fchownat (d, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
          fchmodat (d, name, st.st_mode & 07777, AT_SYMLINK_NOFOLLOW) < 0 ||
          utimensat (d, name, t, AT_SYMLINK_NOFOLLOW) < 0)
        break;
    } else if (errno != EEXIST) {
      break;
    }
    int ns = openat (s, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int nd = openat (d, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close (s);
    close (d);
    s = ns;
    d = nd;
    p += len + 1;
  }
  int e = errno;
  if (s >= 0)
    close (s);
  if (d >= 0)
    close (d);
  return sk_err_set (err, e ? e : EINVAL, "`%s`", path);
}

/* One change of the copy src made in dst as an overlay upper would hold
 * it: a file, link or device hard-linked (its inode: content, owner and
 * times), a directory made with the copy's owner, mode and times, a
 * deletion a whiteout. Nothing is followed: the copy is the container's. */
static int
put_change (int src, int dst, char kind, const char *path, sk_err **err)
{
  const char *leaf = NULL;
  int sp = -1;
  _cleanup_close_ int d = parent_in (src, dst, path, &leaf, &sp, err);
  if (d < 0)
    return -1;
  _cleanup_close_ int sdir = sp;
  if (kind == 'D') {
    if (mknodat (d, leaf, S_IFCHR | 0000, makedev (0, 0)) < 0)
      return sk_err_set (err, errno, "whiteout `%s`", path);
    return 0;
  }
  struct stat st;
  if (fstatat (sdir, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return 0; /* gone meanwhile */
  if (!S_ISDIR (st.st_mode)) {
    if (linkat (sdir, leaf, d, leaf, 0) < 0 && errno != EEXIST)
      return sk_err_set (err, errno, "link `%s`", path);
    return 0;
  }
  struct timespec t[2] = {st.st_atim, st.st_mtim};
  if ((mkdirat (d, leaf, 0700) < 0 && errno != EEXIST) ||
      fchownat (d, leaf, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
      fchmodat (d, leaf, st.st_mode & 07777, AT_SYMLINK_NOFOLLOW) < 0 ||
      utimensat (d, leaf, t, AT_SYMLINK_NOFOLLOW) < 0)
    return sk_err_set (err, errno, "directory `%s`", path);
  return 0;
}

int
sk_storage_changes_open (sk_storage *s, const char *cid, const char *const *layers, size_t n,
                         const char *const *skip, sk_changes_dir *out, sk_err **err)
{
  out->fd = out->lockfd = -1;
  out->tmp[0] = '\0';
  out->s = s;
  if (sk_storage_wants_overlay_whiteouts (s)) {
    _cleanup_free_ char *upper = sk_storage_rootfs_upper (s, cid);
    out->fd = upper ? open (upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
    if (out->fd < 0)
      return sk_err_set (err, upper ? errno : ENOMEM, "the writable layer of %s", cid);
    return 0;
  }
  if (n == 0)
    return sk_err_set (err, EINVAL, "container %s has no layers", cid);
  walker w = {.skip = skip};
  if (vfs_changes (s, cid, layers[0], &w, err) < 0) {
    changes_free (&w);
    return -1;
  }
  _cleanup_free_ char *copy = sk_storage_rootfs_upper (s, cid);
  _cleanup_close_ int cfd = copy ? open (copy, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
  int ret = cfd < 0 ? sk_err_set (err, copy ? errno : ENOMEM, "the root filesystem of %s", cid)
                    : sk_storage_scratch (s, out->tmp, sizeof out->tmp, &out->lockfd, err);
  if (ret == 0 && (mkdirat (out->lockfd, "diff", 0755) < 0 ||
                   (out->fd = openat (out->lockfd, "diff", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                                              O_CLOEXEC)) < 0))
    ret = sk_err_set (err, errno, "a scratch directory for the changes of %s", cid);
  for (size_t i = 0; ret == 0 && i < w.n; i++)
    ret = put_change (cfd, out->fd, w.changes[i].kind, w.changes[i].path, err);
  changes_free (&w);
  if (ret < 0)
    sk_storage_changes_close (out);
  return ret;
}

void
sk_storage_changes_close (sk_changes_dir *c)
{
  if (c->fd >= 0)
    close (c->fd);
  c->fd = -1;
  if (c->tmp[0]) {
    sk_err *ignored = NULL;
    sk_storage_scratch_remove (c->s, c->tmp, &ignored);
    sk_err_free (&ignored);
    c->tmp[0] = '\0';
  }
  if (c->lockfd >= 0)
    close (c->lockfd);
  c->lockfd = -1;
}

int
sk_storage_rootfs_changes (sk_storage *s, const char *cid, const char *const *layers, size_t n,
                           const char *const *skip,
                           void (*fn) (char kind, const char *path, void *data), void *data,
                           sk_err **err)
{
  if (!sk_storage_wants_overlay_whiteouts (s)) {
    if (n == 0)
      return sk_err_set (err, EINVAL, "container %s has no layers", cid);
    walker w = {.skip = skip};
    int ret = vfs_changes (s, cid, layers[0], &w, err);
    for (size_t i = 0; ret == 0 && i < w.n; i++)
      fn (w.changes[i].kind, w.changes[i].path, data);
    changes_free (&w);
    return ret;
  }
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
