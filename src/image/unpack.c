/* skiff: applying a layer to a directory; see unpack.h.
 *
 * Two readers are chained. The first only decompresses: gzip with ISA-L
 * (gunzip.h), zstd with libarchive (format "raw"). Its output, the
 * uncompressed tar stream, is hashed for the diff_id and counted against
 * the size limit, then handed to the second, libarchive's tar reader.
 * Hashing only what the tar parser asks for would miss the padding after
 * the end-of-archive blocks, which the diff_id covers, so the rest of the
 * stream is read and hashed at the end.
 *
 * Each entry is created with *at calls on its parent directory, which is
 * resolved inside the root (RESOLVE_IN_ROOT, see sk_mkdir_in_root): a
 * symlink the layer made, or a directory it replaced by one, can only lead
 * somewhere else inside the root. A tar lists a directory's entries one
 * after the other, so the parent of an entry is kept for the next ones in
 * the same directory, as long as nothing could have changed what its path
 * resolves to (see parent_dir).
 */
#include "unpack.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "archive-lazy.h"
#include "gunzip.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define READ_CHUNK (128 * 1024)
#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"

static void
archive_freep (struct archive **a)
{
  if (*a)
    archive_read_free (*a);
}
#define _cleanup_archive_ __attribute__ ((cleanup (archive_freep)))

/* ---- the uncompressed stream ---- */

typedef struct stream {
  sk_gunzip *gz;       /* the decompressor for gzip, */
  struct archive *raw; /* or libarchive's, for zstd and plain tar */
  sk_hasher *hasher;
  uint64_t size; /* uncompressed bytes so far */
  uint64_t max;
  bool too_big;
  bool eof;
  const char *broken; /* why decompressing failed, or NULL */
  char buf[READ_CHUNK];
} stream;

/* libarchive's read callback for the tar parser: the next piece of the
 * decompressed stream, hashed and counted on its way. */
static la_ssize_t
stream_read (struct archive *tar, void *data, const void **out)
{
  stream *s = data;
  if (s->eof)
    return 0;
  la_ssize_t n;
  if (s->gz) {
    const char *why = NULL;
    n = sk_gunzip_read (s->gz, s->buf, sizeof s->buf, &why);
    if (n < 0) {
      s->broken = why;
      archive_set_error (tar, errno ? errno : EIO, "%s", why);
      return -1;
    }
  } else {
    n = archive_read_data (s->raw, s->buf, sizeof s->buf);
  }
  if (n < 0) {
    const char *why = archive_error_string (s->raw);
    archive_set_error (tar, archive_errno (s->raw) ? archive_errno (s->raw) : EIO, "%s",
                       why ? why : "cannot decompress the layer");
    return -1;
  }
  if (n == 0) {
    s->eof = true;
    return 0;
  }
  s->size += (uint64_t) n;
  if (s->max && s->size > s->max) {
    s->too_big = true;
    archive_set_error (tar, EFBIG, "layer exceeds %" PRIu64 " bytes", s->max);
    return -1;
  }
  sk_hasher_update (s->hasher, s->buf, (size_t) n);
  *out = s->buf;
  return n;
}

/* ---- the state of one unpacking ---- */

typedef struct dir_meta {
  char *path; /* clean, relative; "" for the root */
  mode_t mode;
  struct timespec times[2];
} dir_meta;

typedef struct unpacker {
  int root;
  const sk_unpack_opts *opts;
  struct archive *tar;
  stream *in;
  bool privileged; /* euid 0: trusted.* xattrs can be set */
  uint64_t entries;
  /* Directories get their mode and times after their contents: creating an
   * entry changes the directory's mtime, and a read-only mode would stop a
   * process without CAP_DAC_OVERRIDE from filling it. */
  dir_meta *dirs;
  size_t n_dirs, alloc_dirs;
  /* Flat mode: the paths this layer made, so that an opaque marker removes
   * only what earlier layers put in the directory. Sorted when looked up. */
  char **made;
  size_t n_made, alloc_made;
  bool made_sorted;
  /* The parent directory of the last entry (an O_PATH descriptor) and its
   * clean path, or -1 and NULL. */
  int parent_fd;
  char *parent_path;
} unpacker;

static void
forget_parent (unpacker *u)
{
  sk_closep (&u->parent_fd);
  free (u->parent_path);
  u->parent_path = NULL;
}

static void
unpacker_clear (unpacker *u)
{
  for (size_t i = 0; i < u->n_dirs; i++)
    free (u->dirs[i].path);
  free (u->dirs);
  for (size_t i = 0; i < u->n_made; i++)
    free (u->made[i]);
  free (u->made);
  forget_parent (u);
}

/* The error of the tar reader; the size limit is named as such. */
static int
archive_fail (unpacker *u, sk_err **err)
{
  if (u->in->too_big)
    return sk_err_set (err, 0, "layer exceeds %" PRIu64 " bytes", u->in->max);
  if (u->in->broken) /* the tar reader may have put its own words over it */
    return sk_err_set (err, 0, "%s", u->in->broken);
  const char *why = archive_error_string (u->tar);
  return sk_err_set (err, 0, "%s", why ? why : "cannot read the layer");
}

static int
grow (void **v, size_t *alloc, size_t n, size_t size)
{
  if (n < *alloc)
    return 0;
  size_t want = *alloc ? *alloc * 2 : 64;
  void *p = reallocarray (*v, want, size);
  if (p == NULL)
    return -1;
  *v = p;
  *alloc = want;
  return 0;
}

static int
remember_made (unpacker *u, const char *path, sk_err **err)
{
  if (!u->opts->flat)
    return 0;
  char *copy = strdup (path);
  if (copy == NULL || grow ((void **) &u->made, &u->alloc_made, u->n_made, sizeof (char *)) < 0) {
    free (copy);
    return sk_err_set (err, ENOMEM, "remember");
  }
  u->made[u->n_made++] = copy;
  u->made_sorted = false;
  return 0;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Did this layer make `path`, or anything below it? */
static bool
layer_made (unpacker *u, const char *path)
{
  if (!u->made_sorted) {
    qsort (u->made, u->n_made, sizeof (char *), cmp_str);
    u->made_sorted = true;
  }
  size_t lo = 0, hi = u->n_made, len = strlen (path);
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp (u->made[mid], path) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  /* "a/b-c" sorts between "a/b" and "a/b/c": look past such neighbours */
  for (size_t i = lo; i < u->n_made && strncmp (u->made[i], path, len) == 0; i++)
    if (u->made[i][len] == '\0' || u->made[i][len] == '/')
      return true;
  return false;
}

/* ---- paths ---- */

/* The entry's path made relative and canonical ("./a//b/" is "a/b", the root
 * is ""). A leading "/" or a ".." component is refused: no layer writer
 * makes them, and their only use is to reach outside the directory. */
static int
clean_path (const char *path, char **out, sk_err **err)
{
  if (path == NULL)
    return sk_err_set (err, 0, "an entry without a path");
  if (path[0] == '/')
    return sk_err_set (err, 0, "an absolute path is refused");
  size_t len = strlen (path);
  if (len >= PATH_MAX)
    return sk_err_set (err, ENAMETOOLONG, "path");
  _cleanup_free_ char *clean = malloc (len + 1);
  if (clean == NULL)
    return sk_err_set (err, ENOMEM, "path");
  size_t used = 0;
  for (const char *p = path; *p;) {
    size_t n = strcspn (p, "/");
    if (n == 2 && p[0] == '.' && p[1] == '.')
      return sk_err_set (err, 0, "a path with `..` is refused");
    if (n > 0 && !(n == 1 && p[0] == '.')) {
      if (used)
        clean[used++] = '/';
      memcpy (clean + used, p, n);
      used += n;
    }
    p += n;
    p += strspn (p, "/");
  }
  clean[used] = '\0';
  *out = steal_ptr (clean);
  return 0;
}

/* Splits a clean path in place: its parent ("" for the root) and its last
 * component ("." for the root itself). */
static void
split_path (char *clean, const char **parent, const char **base)
{
  char *slash = strrchr (clean, '/');
  if (slash) {
    *slash = '\0';
    *parent = clean;
    *base = slash + 1;
  } else {
    *parent = "";
    *base = *clean ? clean : ".";
  }
}

/* ---- metadata ---- */

static int
entry_owner (unpacker *u, struct archive_entry *e, uid_t *uid, gid_t *gid, sk_err **err)
{
  la_int64_t ou = archive_entry_uid (e), og = archive_entry_gid (e);
  /* (uid_t) -1 means "unchanged" to chown: it is no owner */
  uint64_t max = (uid_t) -1 - 1;
  if (ou < 0 || og < 0 || u->opts->uid_shift > max || u->opts->gid_shift > max ||
      (uint64_t) ou > max - u->opts->uid_shift ||
      (uint64_t) og > max - u->opts->gid_shift)
    return sk_err_set (err, 0, "owner %" PRId64 ":%" PRId64 " out of range", (int64_t) ou,
                       (int64_t) og);
  *uid = (uid_t) ou + u->opts->uid_shift;
  *gid = (gid_t) og + u->opts->gid_shift;
  return 0;
}

static void
entry_times (struct archive_entry *e, struct timespec times[2])
{
  times[1].tv_sec = archive_entry_mtime (e);
  times[1].tv_nsec = archive_entry_mtime_nsec (e);
  if (archive_entry_atime_is_set (e)) {
    times[0].tv_sec = archive_entry_atime (e);
    times[0].tv_nsec = archive_entry_atime_nsec (e);
  } else {
    times[0] = times[1];
  }
}

/* Which of the layer's xattrs are applied. trusted.overlay.* never: they
 * would steer the overlay mount this directory becomes part of (opaque,
 * redirect, metacopy) behind the whiteout rules. user.* exists on files and
 * directories only. Others (security.selinux...) belong to the host. */
static bool
xattr_wanted (unpacker *u, const char *key, mode_t type)
{
  if (strncmp (key, "user.", 5) == 0)
    return type == S_IFREG || type == S_IFDIR;
  if (strcmp (key, "security.capability") == 0)
    return type == S_IFREG;
  if (strncmp (key, "trusted.", 8) == 0)
    return u->privileged && strncmp (key, "trusted.overlay.", 16) != 0;
  return false;
}

/* Owner, mode, xattrs and times of a regular file just created, set on its
 * open descriptor: no path is looked up again. chown comes first because it
 * clears the setuid bits and security.capability. */
static int
set_meta_fd (unpacker *u, int fd, struct archive_entry *e, sk_err **err)
{
  uid_t uid = 0;
  gid_t gid = 0;
  if (entry_owner (u, e, &uid, &gid, err) < 0)
    return -1;
  if (fchown (fd, uid, gid) < 0)
    return sk_err_set (err, errno, "chown");
  if (fchmod (fd, archive_entry_perm (e) & 07777) < 0)
    return sk_err_set (err, errno, "chmod");
  if (archive_entry_xattr_reset (e) > 0) {
    const char *key;
    const void *value;
    size_t len;
    while (archive_entry_xattr_next (e, &key, &value, &len) == ARCHIVE_OK) {
      if (xattr_wanted (u, key, S_IFREG) && fsetxattr (fd, key, value, len, 0) < 0)
        return sk_err_set (err, errno, "set xattr `%s`", key);
    }
  }
  struct timespec times[2];
  entry_times (e, times);
  if (futimens (fd, times) < 0)
    return sk_err_set (err, errno, "set times");
  return 0;
}

/* The same for the other types, by parent/name. Nothing follows a symlink:
 * the *at calls take AT_SYMLINK_NOFOLLOW, and the xattrs go through
 * /proc/self/fd/<parent>/<name> with lsetxattr, which resolves only our own
 * parent fd and leaves the last component unfollowed. A directory's mode and
 * times wait for its contents (dir_meta). */
static int
set_meta (unpacker *u, int parent, const char *name, struct archive_entry *e, sk_err **err)
{
  mode_t type = archive_entry_filetype (e);
  uid_t uid = 0;
  gid_t gid = 0;
  if (entry_owner (u, e, &uid, &gid, err) < 0)
    return -1;
  if (fchownat (parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return sk_err_set (err, errno, "chown");
  if (type != S_IFLNK && type != S_IFDIR &&
      fchmodat (parent, name, archive_entry_perm (e) & 07777, AT_SYMLINK_NOFOLLOW) < 0)
    return sk_err_set (err, errno, "chmod");

  if (archive_entry_xattr_reset (e) > 0) {
    char path[64 + NAME_MAX];
    snprintf (path, sizeof path, "/proc/self/fd/%d/%s", parent, name);
    const char *key;
    const void *value;
    size_t len;
    while (archive_entry_xattr_next (e, &key, &value, &len) == ARCHIVE_OK) {
      if (xattr_wanted (u, key, type) && lsetxattr (path, key, value, len, 0) < 0)
        return sk_err_set (err, errno, "set xattr `%s`", key);
    }
  }

  struct timespec times[2];
  entry_times (e, times);
  if (type == S_IFDIR) {
    if (grow ((void **) &u->dirs, &u->alloc_dirs, u->n_dirs, sizeof (dir_meta)) < 0)
      return sk_err_set (err, ENOMEM, "remember");
    dir_meta *d = &u->dirs[u->n_dirs];
    d->path = NULL;
    if (clean_path (archive_entry_pathname (e), &d->path, err) < 0)
      return -1;
    d->mode = archive_entry_perm (e) & 07777;
    d->times[0] = times[0];
    d->times[1] = times[1];
    u->n_dirs++;
    return 0;
  }
  if (utimensat (parent, name, times, AT_SYMLINK_NOFOLLOW) < 0)
    return sk_err_set (err, errno, "set times");
  return 0;
}

/* The directories' modes and times, now that nothing more is written in
 * them. A directory that a later entry replaced or removed is skipped. */
static int
finish_dirs (unpacker *u, sk_err **err)
{
  for (size_t i = 0; i < u->n_dirs; i++) {
    dir_meta *d = &u->dirs[i];
    const char *parent_path, *name;
    split_path (d->path, &parent_path, &name);
    _cleanup_err_ sk_err *gone = NULL;
    _cleanup_close_ int parent = sk_open_in_root (u->root, *parent_path ? parent_path : ".",
                                                  O_PATH | O_DIRECTORY, 0, &gone);
    struct stat st;
    if (parent < 0 || fstatat (parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR (st.st_mode))
      continue;
    if (fchmodat (parent, name, d->mode, AT_SYMLINK_NOFOLLOW) < 0)
      return sk_err_set (err, errno, "layer entry `%s`: chmod", d->path);
    if (utimensat (parent, name, d->times, AT_SYMLINK_NOFOLLOW) < 0)
      return sk_err_set (err, errno, "layer entry `%s`: set times", d->path);
  }
  return 0;
}

/* ---- entries ---- */

/* Makes room for the entry `name`: what is there goes, unless both are
 * directories (a directory listed again keeps its contents). Returns 1 when
 * an existing directory stays. Called before a hard link is made, and after
 * any other entry found its name taken (EEXIST). */
static int
make_room (int parent, const char *name, bool want_dir, sk_err **err)
{
  struct stat st;
  if (fstatat (parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : sk_err_set (err, errno, "stat");
  if (want_dir && S_ISDIR (st.st_mode))
    return 1;
  return sk_remove_tree_at (parent, name, err);
}

static int
write_all_at (int fd, const char *buf, size_t len, off_t off)
{
  while (len > 0) {
    ssize_t n = pwrite (fd, buf, len, off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    buf += n;
    len -= (size_t) n;
    off += n;
  }
  return 0;
}

/* Creates the regular file parent/name, which must not exist (O_EXCL): the
 * descriptor, or -1 with errno. */
static int
create_file (int parent, const char *name)
{
  return openat (parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
}

/* The entry's data into `fd`, a file just created (empty). */
static int
write_file (unpacker *u, int fd, struct archive_entry *e, sk_err **err)
{
  off_t end = 0;
  for (;;) {
    const void *buf;
    size_t len;
    la_int64_t off;
    int r = archive_read_data_block (u->tar, &buf, &len, &off);
    if (r == ARCHIVE_EOF)
      break;
    if (r < ARCHIVE_WARN)
      return archive_fail (u, err);
    if (write_all_at (fd, buf, len, (off_t) off) < 0)
      return sk_err_set (err, errno, "write");
    if (len > 0 && (off_t) off + (off_t) len > end)
      end = (off_t) off + (off_t) len;
  }
  /* a sparse file may end in a hole */
  if (archive_entry_size_is_set (e) && archive_entry_size (e) > end &&
      ftruncate (fd, (off_t) archive_entry_size (e)) < 0)
    return sk_err_set (err, errno, "truncate");
  return 0;
}

/* The target of a hard link, opened O_PATH one component at a time with
 * O_NOFOLLOW: a link may only give a second name to something the directory
 * already holds, never reached through a symlink, never a directory. */
static int
open_link_target (unpacker *u, const char *target, sk_err **err)
{
  _cleanup_free_ char *clean = NULL;
  if (clean_path (target, &clean, err) < 0)
    return sk_err_wrap (err, "hard link to `%s`", target);
  if (*clean == '\0')
    return sk_err_set (err, 0, "hard link to `%s`: a directory", target);
  _cleanup_close_ int cur = -1;
  char *save = NULL;
  for (char *c = strtok_r (clean, "/", &save); c;) {
    char *next = strtok_r (NULL, "/", &save);
    int at = cur >= 0 ? cur : u->root;
    int fd = openat (at, c, O_PATH | O_NOFOLLOW | O_CLOEXEC | (next ? O_DIRECTORY : 0));
    struct stat st;
    if (fd < 0 && next && fstatat (at, c, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK (st.st_mode))
      return sk_err_set (err, 0, "hard link to `%s`: a path through a symlink is refused",
                         target);
    if (fd < 0)
      return sk_err_set (err, errno, "hard link to `%s`", target);
    sk_closep (&cur);
    cur = fd;
    c = next;
  }
  struct stat st;
  if (fstat (cur, &st) < 0)
    return sk_err_set (err, errno, "hard link to `%s`", target);
  if (S_ISDIR (st.st_mode))
    return sk_err_set (err, 0, "hard link to `%s`: a directory", target);
  return steal_fd (&cur);
}

static int
make_link (unpacker *u, int parent, const char *name, const char *target, sk_err **err)
{
  _cleanup_close_ int fd = open_link_target (u, target, err);
  if (fd < 0)
    return -1;
  /* through /proc rather than AT_EMPTY_PATH, which wants CAP_DAC_READ_SEARCH */
  char path[64];
  if (linkat (AT_FDCWD, sk_fd_path (fd, path, sizeof path), parent, name, AT_SYMLINK_FOLLOW) < 0)
    return sk_err_set (err, errno, "hard link to `%s`", target);
  return 0;
}

/* Flat mode's opaque directory: whatever earlier layers put in it goes,
 * what this layer made (before the marker) stays. */
static int
empty_opaque (unpacker *u, int dir, const char *path, sk_err **err)
{
  int fd = openat (dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return sk_err_set (err, errno, "open");
  _cleanup_closedir_ DIR *d = fdopendir (fd);
  if (d == NULL) {
    close (fd);
    return sk_err_set (err, errno, "open");
  }
  struct dirent *de;
  while ((de = readdir (d))) {
    if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
      continue;
    _cleanup_free_ char *child = *path ? sk_path_join (path, de->d_name) : strdup (de->d_name);
    if (child == NULL)
      return sk_err_set (err, ENOMEM, "opaque");
    if (!layer_made (u, child)) {
      if (sk_remove_tree_at (dirfd (d), de->d_name, err) < 0)
        return -1;
      continue;
    }
    /* made or filled by this layer: empty it of the rest, if a directory */
    _cleanup_close_ int sub =
        openat (dirfd (d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub >= 0 && empty_opaque (u, sub, child, err) < 0)
      return -1;
  }
  return 0;
}

/* ".wh.NAME" and ".wh..wh..opq" in the directory `parent` (clean path
 * `parent_path`). */
static int
apply_whiteout (unpacker *u, int parent, const char *parent_path, const char *base, sk_err **err)
{
  if (strcmp (base, WHITEOUT_OPAQUE) == 0) {
    _cleanup_close_ int dir = openat (parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
      return sk_err_set (err, errno, "open");
    if (u->opts->flat)
      return empty_opaque (u, dir, parent_path, err);
    if (fsetxattr (dir, "trusted.overlay.opaque", "y", 1, 0) < 0)
      return sk_err_set (err, errno, "set trusted.overlay.opaque");
    return 0;
  }
  const char *name = base + strlen (WHITEOUT_PREFIX);
  /* other ".wh..wh." names are aufs' bookkeeping, with no meaning here */
  if (strncmp (name, WHITEOUT_PREFIX, strlen (WHITEOUT_PREFIX)) == 0)
    return 0;
  if (!sk_is_safe_component (name))
    return sk_err_set (err, 0, "a whiteout of `%s` is refused", name);
  if (sk_remove_tree_at (parent, name, err) < 0)
    return -1;
  if (!u->opts->flat && mknodat (parent, name, S_IFCHR, makedev (0, 0)) < 0)
    return sk_err_set (err, errno, "make the whiteout");
  return 0;
}

/* The directory `path` (clean, "" for the root), made when missing and
 * resolved inside the root. The descriptor is borrowed: it stays with the
 * unpacker, and the next entry in the same directory gets it again without
 * a lookup. That is only right while its path still resolves to the same
 * directory, so after each entry the caller forgets it (forget_parent)
 * unless the entry only added a new name to it: a regular file, a fifo or
 * a device made where nothing was. Every other entry may have removed or
 * replaced something on the way of the path (a whiteout, an opaque
 * directory, a name already taken, which make_room clears), or is one
 * (a directory, a symlink, a hard link): the path is resolved again. An
 * entry whose path is the kept one or a prefix of it is of the second kind,
 * since the kept directory is its parent's own path or longer. Even a
 * stale descriptor names a directory inside the root. */
static int
parent_dir (unpacker *u, const char *path, sk_err **err)
{
  if (u->parent_fd >= 0 && strcmp (u->parent_path, path) == 0)
    return u->parent_fd;
  forget_parent (u);
  _cleanup_free_ char *copy = strdup (path);
  if (copy == NULL)
    return sk_err_set (err, ENOMEM, "path");
  int fd = sk_mkdir_in_root (u->root, *path ? path : ".", 0755, err);
  if (fd < 0)
    return -1;
  u->parent_fd = fd;
  u->parent_path = steal_ptr (copy);
  return fd;
}

/* Applies one entry. `keep` is set when the parent directory may be kept
 * for the next entry (see parent_dir). */
static int
apply_entry (unpacker *u, struct archive_entry *e, bool *keep, sk_err **err)
{
  _cleanup_free_ char *clean = NULL;
  if (clean_path (archive_entry_pathname (e), &clean, err) < 0)
    return -1;
  _cleanup_free_ char *made = strdup (clean);
  if (made == NULL)
    return sk_err_set (err, ENOMEM, "path");
  const char *parent_path, *base;
  split_path (clean, &parent_path, &base);

  mode_t type = archive_entry_filetype (e);
  const char *hardlink = archive_entry_hardlink (e);
  if (hardlink == NULL && (type == S_IFCHR || type == S_IFBLK) && !u->opts->allow_devices)
    return sk_err_set (err, 0, "a device node is refused in this layer");
  if (*made == '\0' && type != S_IFDIR)
    return sk_err_set (err, 0, "the root must be a directory");

  int parent = parent_dir (u, parent_path, err);
  if (parent < 0)
    return -1;

  if (strncmp (base, WHITEOUT_PREFIX, strlen (WHITEOUT_PREFIX)) == 0)
    return apply_whiteout (u, parent, parent_path, base, err);

  if (remember_made (u, made, err) < 0)
    return -1;
  if (*made == '\0') /* the root: it is there, its metadata is set below */
    return set_meta (u, parent, base, e, err);

  if (hardlink) {
    if (make_room (parent, base, false, err) < 0)
      return -1;
    return make_link (u, parent, base, hardlink, err);
  }

  /* Made directly; only when the name is taken, what is there goes (or an
   * existing directory stays for a directory) and it is made again. */
  _cleanup_close_ int fd = -1;
  bool again = false;
  for (;; again = true) {
    int r = 0;
    const char *what = NULL;
    switch (type) {
    case S_IFREG:
      r = fd = create_file (parent, base);
      what = "create";
      break;
    case S_IFDIR:
      r = mkdirat (parent, base, 0700);
      what = "mkdir";
      break;
    case S_IFLNK:
      r = symlinkat (archive_entry_symlink (e) ? archive_entry_symlink (e) : "", parent, base);
      what = "symlink";
      break;
    case S_IFIFO:
    case S_IFCHR:
    case S_IFBLK:
      r = mknodat (parent, base, type | 0600, archive_entry_rdev (e));
      what = "mknod";
      break;
    default:
      return sk_err_set (err, 0, "file type 0%o is not supported", (unsigned) type);
    }
    if (r >= 0)
      break;
    if (errno != EEXIST || again)
      return sk_err_set (err, errno, "%s", what);
    int kept = make_room (parent, base, type == S_IFDIR, err);
    if (kept < 0)
      return -1;
    if (kept)
      break;
  }
  int r = type == S_IFREG ? (write_file (u, fd, e, err) < 0 ? -1 : set_meta_fd (u, fd, e, err))
                          : set_meta (u, parent, base, e, err);
  /* a new name and nothing else: the parent's path resolves as before */
  *keep = r == 0 && !again && type != S_IFDIR && type != S_IFLNK;
  return r;
}

/* Reads the rest of the stream after the tar's end, for the diff_id. */
static int
drain (unpacker *u, sk_err **err)
{
  const void *buf;
  la_ssize_t n;
  while ((n = stream_read (u->tar, u->in, &buf)) > 0)
    ;
  return n < 0 ? archive_fail (u, err) : 0;
}

static int
unpack_entries (unpacker *u, sk_err **err)
{
  struct archive_entry *e;
  for (;;) {
    int r = archive_read_next_header (u->tar, &e);
    if (r == ARCHIVE_EOF)
      break;
    if (r < ARCHIVE_WARN)
      return archive_fail (u, err);
    bool keep = false;
    r = apply_entry (u, e, &keep, err);
    if (!keep)
      forget_parent (u);
    if (r < 0)
      return sk_err_wrap (err, "layer entry `%s`", archive_entry_pathname (e));
    u->entries++;
    if (u->opts->max_bytes && u->in->size > u->opts->max_bytes)
      return archive_fail (u, err);
  }
  if (drain (u, err) < 0)
    return -1;
  return finish_dirs (u, err);
}

int
sk_layer_unpack (int dirfd, int fd, const sk_unpack_opts *opts, sk_unpack_result *res,
                 sk_err **err)
{
  static const sk_unpack_opts defaults;
  if (opts == NULL)
    opts = &defaults;
  _cleanup_hasher_ sk_hasher *hasher = sk_hasher_new ();
  _cleanup_free_ stream *in = calloc (1, sizeof *in);
  _cleanup_archive_ struct archive *raw = archive_read_new ();
  _cleanup_archive_ struct archive *tar = archive_read_new ();
  if (raw == NULL || tar == NULL)
    return sk_archive_alloc_error (err, "unpack the layer");
  if (hasher == NULL || in == NULL)
    return sk_err_set (err, ENOMEM, "unpack the layer");

  /* gzip and zstd only (none is implied): the layer media types. Not
   * filter_all, some of whose filters run external programs. */
  struct archive_entry *e;
  if (sk_gunzip_detect (fd)) {
    if ((in->gz = sk_gunzip_new (fd)) == NULL)
      return sk_err_set (err, ENOMEM, "unpack the layer");
  } else if (archive_read_support_filter_gzip (raw) < ARCHIVE_WARN ||
      archive_read_support_filter_zstd (raw) < ARCHIVE_WARN ||
      archive_read_support_format_raw (raw) != ARCHIVE_OK ||
      archive_read_open_fd (raw, fd, READ_CHUNK) != ARCHIVE_OK ||
      archive_read_next_header (raw, &e) < ARCHIVE_WARN)
    return sk_err_set (err, 0, "read the layer: %s",
                       archive_error_string (raw) ? archive_error_string (raw) : "empty");
  in->raw = raw;
  in->hasher = hasher;
  in->max = opts->max_bytes;

  unpacker u = {
      .root = dirfd,
      .opts = opts,
      .tar = tar,
      .in = in,
      .privileged = geteuid () == 0,
      .parent_fd = -1,
  };
  int ret = -1;
  if (archive_read_support_format_tar (tar) != ARCHIVE_OK ||
      archive_read_open (tar, in, NULL, stream_read, NULL) != ARCHIVE_OK) {
    archive_fail (&u, err);
    sk_err_wrap (err, "read the layer");
  } else {
    ret = unpack_entries (&u, err);
  }
  unpacker_clear (&u);
  sk_gunzip_free (in->gz);
  if (ret < 0)
    return -1;
  if (res) {
    sk_hasher_final (hasher, &res->diff_id);
    res->size = in->size;
    res->entries = u.entries;
  }
  return 0;
}
