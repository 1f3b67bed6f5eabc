/* skiff: packing a writable layer as a gzip-compressed tar (see pack.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <zlib.h>

#include "image/archive-lazy.h"
#include "image/pack.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* A directory deeper than this is refused (each level holds an fd). */
#define MAX_DEPTH 512

typedef struct hardlink {
  dev_t dev;
  ino_t ino;
  char *path;
} hardlink;

typedef struct packer {
  struct archive *a;
  sk_blob_writer *w;
  sk_hasher *h;
  z_stream z;
  uint64_t size;
  sk_err *err; /* the first failure of the output side */
  const char *const *skip;
  hardlink *links;
  size_t n_links;
  unsigned char out[65536];
} packer;

/* Deflates data (flush: Z_FINISH at the end) into the blob. */
static int
deflate_out (packer *p, const void *data, size_t len, int flush)
{
  p->z.next_in = (Bytef *) data;
  p->z.avail_in = (uInt) len;
  int r;
  do {
    p->z.next_out = p->out;
    p->z.avail_out = sizeof p->out;
    r = deflate (&p->z, flush);
    if (r == Z_STREAM_ERROR)
      return sk_err_set (&p->err, 0, "gzip: %s", p->z.msg ? p->z.msg : "stream error");
    size_t have = sizeof p->out - p->z.avail_out;
    if (have && sk_blob_write (p->w, p->out, have, &p->err) < 0)
      return -1;
  } while (p->z.avail_out == 0 || (flush == Z_FINISH && r != Z_STREAM_END));
  return 0;
}

/* libarchive's output: the uncompressed tar, hashed for the diff_id. */
static la_ssize_t
write_cb (struct archive *a, void *data, const void *buf, size_t len)
{
  (void) a;
  packer *p = data;
  if (p->err)
    return -1;
  sk_hasher_update (p->h, buf, len);
  p->size += len;
  if (deflate_out (p, buf, len, Z_NO_FLUSH) < 0)
    return -1;
  return (la_ssize_t) len;
}

static int
fail_archive (packer *p, const char *path, sk_err **err)
{
  if (p->err) {
    *err = steal_ptr (p->err);
    return sk_err_wrap (err, "`/%s`", path);
  }
  return sk_err_set (err, 0, "`/%s`: %s", path, archive_error_string (p->a));
}

/* The xattrs of an open file or directory but overlayfs' own. */
static int
add_xattrs (struct archive_entry *e, int fd, const char *path, sk_err **err)
{
  ssize_t n = flistxattr (fd, NULL, 0);
  if (n < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP))
    return 0;
  if (n <= 0)
    return n < 0 ? sk_err_set (err, errno, "list the xattrs of `/%s`", path) : 0;
  _cleanup_free_ char *names = malloc ((size_t) n);
  if (names == NULL)
    return sk_err_set (err, ENOMEM, "xattrs");
  n = flistxattr (fd, names, (size_t) n);
  if (n < 0)
    return sk_err_set (err, errno, "list the xattrs of `/%s`", path);
  for (char *k = names; k < names + n; k += strlen (k) + 1) {
    if (strncmp (k, "trusted.overlay.", 16) == 0)
      continue;
    ssize_t vn = fgetxattr (fd, k, NULL, 0);
    if (vn < 0)
      continue; /* gone meanwhile */
    _cleanup_free_ char *v = malloc ((size_t) vn + 1);
    if (v == NULL)
      return sk_err_set (err, ENOMEM, "xattrs");
    vn = fgetxattr (fd, k, v, (size_t) vn);
    if (vn >= 0)
      archive_entry_xattr_add_entry (e, k, v, (size_t) vn);
  }
  return 0;
}

static struct archive_entry *
entry_of (const char *path, const struct stat *st)
{
  struct archive_entry *e = archive_entry_new ();
  if (e == NULL)
    return NULL;
  archive_entry_set_pathname (e, path);
  archive_entry_set_filetype (e, st->st_mode & S_IFMT);
  archive_entry_set_perm (e, st->st_mode & 07777);
  archive_entry_set_uid (e, st->st_uid);
  archive_entry_set_gid (e, st->st_gid);
  archive_entry_set_mtime (e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
  archive_entry_set_size (e, 0);
  return e;
}

static int
put_entry (packer *p, struct archive_entry *e, const char *path, sk_err **err)
{
  int r = archive_write_header (p->a, e);
  archive_entry_free (e);
  if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
    return fail_archive (p, path, err);
  return 0;
}

/* An empty regular file that marks a deletion: NAME's whiteout, or the
 * opaque marker of a directory. */
static int
put_whiteout (packer *p, const char *path, const struct stat *st, sk_err **err)
{
  struct stat w = *st;
  w.st_mode = S_IFREG | 0;
  struct archive_entry *e = entry_of (path, &w);
  if (e == NULL)
    return sk_err_set (err, ENOMEM, "pack");
  return put_entry (p, e, path, err);
}

/* The file's content, exactly as many bytes as its header says. */
static int
put_content (packer *p, int fd, const char *path, off_t size, sk_err **err)
{
  char buf[65536];
  off_t done = 0;
  while (done < size) {
    size_t want = size - done < (off_t) sizeof buf ? (size_t) (size - done) : sizeof buf;
    ssize_t n = read (fd, buf, want);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return sk_err_set (err, errno, "read `/%s`", path);
    if (n == 0) /* shrunk meanwhile: zeros keep the tar whole */
      memset (buf, 0, (n = (ssize_t) want));
    if (archive_write_data (p->a, buf, (size_t) n) < 0)
      return fail_archive (p, path, err);
    done += n;
  }
  return 0;
}

/* The first path packed of a multiply linked inode; NULL: this is it (then
 * remembered). */
static const char *
hardlink_target (packer *p, const struct stat *st, const char *path)
{
  for (size_t i = 0; i < p->n_links; i++)
    if (p->links[i].dev == st->st_dev && p->links[i].ino == st->st_ino)
      return p->links[i].path;
  hardlink *nl = realloc (p->links, (p->n_links + 1) * sizeof *nl);
  if (nl == NULL)
    return NULL;
  p->links = nl;
  char *copy = strdup (path);
  if (copy)
    p->links[p->n_links++] = (hardlink){st->st_dev, st->st_ino, copy};
  return NULL;
}

static int pack_dir (packer *p, int dirfd, const char *prefix, int depth, sk_err **err);

static int
pack_one (packer *p, int dirfd, const char *name, const char *prefix, int depth, sk_err **err)
{
  _cleanup_free_ char *path = NULL;
  if (asprintf (&path, "%s%s", prefix, name) < 0)
    return sk_err_set (err, ENOMEM, "pack");
  struct stat st;
  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : sk_err_set (err, errno, "stat `/%s`", path);
  if (S_ISSOCK (st.st_mode))
    return 0;
  for (const char *const *k = p->skip; k && *k && S_ISREG (st.st_mode) && st.st_size == 0; k++)
    if (**k == '/' && strcmp (*k + 1, path) == 0)
      return 0;
  if (S_ISCHR (st.st_mode) && st.st_rdev == makedev (0, 0)) {
    _cleanup_free_ char *wh = NULL;
    if (asprintf (&wh, "%s.wh.%s", prefix, name) < 0)
      return sk_err_set (err, ENOMEM, "pack");
    return put_whiteout (p, wh, &st, err);
  }
  struct archive_entry *e = entry_of (path, &st);
  if (e == NULL)
    return sk_err_set (err, ENOMEM, "pack");
  if (S_ISLNK (st.st_mode)) {
    char target[PATH_MAX + 1];
    ssize_t n = readlinkat (dirfd, name, target, PATH_MAX);
    if (n < 0) {
      archive_entry_free (e);
      return sk_err_set (err, errno, "readlink `/%s`", path);
    }
    target[n] = '\0';
    archive_entry_set_symlink (e, target);
    return put_entry (p, e, path, err);
  }
  if (S_ISCHR (st.st_mode) || S_ISBLK (st.st_mode)) {
    archive_entry_set_rdev (e, st.st_rdev);
    return put_entry (p, e, path, err);
  }
  if (S_ISFIFO (st.st_mode))
    return put_entry (p, e, path, err);
  /* a directory or a regular file: opened without following a symlink
   * put in its place since the stat, and checked to be what was stat'ed */
  int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  _cleanup_close_ int fd = openat (dirfd, name, S_ISDIR (st.st_mode) ? flags | O_DIRECTORY : flags);
  struct stat now;
  if (fd < 0 || fstat (fd, &now) < 0 || now.st_ino != st.st_ino || now.st_dev != st.st_dev) {
    archive_entry_free (e);
    return sk_err_set (err, fd < 0 ? errno : EAGAIN, "open `/%s`", path);
  }
  if (add_xattrs (e, fd, path, err) < 0) {
    archive_entry_free (e);
    return -1;
  }
  if (S_ISREG (st.st_mode)) {
    const char *target = st.st_nlink > 1 ? hardlink_target (p, &st, path) : NULL;
    if (target) {
      archive_entry_set_hardlink (e, target);
      return put_entry (p, e, path, err);
    }
    archive_entry_set_size (e, st.st_size);
    if (put_entry (p, e, path, err) < 0)
      return -1;
    return put_content (p, fd, path, st.st_size, err);
  }
  if (!S_ISDIR (st.st_mode)) {
    archive_entry_free (e);
    return 0;
  }
  if (put_entry (p, e, path, err) < 0)
    return -1;
  _cleanup_free_ char *sub = NULL;
  if (asprintf (&sub, "%s/", path) < 0)
    return sk_err_set (err, ENOMEM, "pack");
  char opq[2];
  if (fgetxattr (fd, "trusted.overlay.opaque", opq, sizeof opq) == 1 && opq[0] == 'y') {
    _cleanup_free_ char *wh = NULL;
    if (asprintf (&wh, "%s.wh..wh..opq", sub) < 0 || put_whiteout (p, wh, &st, err) < 0)
      return err && *err ? -1 : sk_err_set (err, ENOMEM, "pack");
  }
  if (depth >= MAX_DEPTH)
    return sk_err_set (err, ELOOP, "`/%s`: more than %d directories deep", path, MAX_DEPTH);
  return pack_dir (p, fd, sub, depth + 1, err);
}

static int
pack_dir (packer *p, int dirfd, const char *prefix, int depth, sk_err **err)
{
  char **names = NULL;
  size_t n = 0;
  if (sk_dir_names_sorted (dirfd, &names, &n, err) < 0)
    return sk_err_wrap (err, "`/%s`", prefix);
  int ret = 0;
  for (size_t i = 0; i < n; i++) {
    if (ret == 0)
      ret = pack_one (p, dirfd, names[i], prefix, depth, err);
    free (names[i]);
  }
  free (names);
  return ret;
}

int
sk_layer_pack_upper (sk_store *store, int dirfd, const char *const *skip, sk_pack_result *res,
                     sk_err **err)
{
  packer *p = calloc (1, sizeof *p);
  if (p == NULL || (p->h = sk_hasher_new ()) == NULL) {
    free (p);
    return sk_err_set (err, ENOMEM, "pack");
  }
  p->skip = skip;
  int ret = 0;
  if (deflateInit2 (&p->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    sk_hasher_free (p->h);
    free (p);
    return sk_err_set (err, ENOMEM, "gzip");
  }
  if (sk_blob_writer_begin (store, NULL, -1, &p->w, err) < 0)
    ret = -1;
  else if ((p->a = archive_write_new ()) == NULL)
    ret = sk_archive_alloc_error (err, "pack");
  if (ret == 0) {
    archive_write_set_format_pax_restricted (p->a);
    archive_write_set_bytes_in_last_block (p->a, 1);
    if (archive_write_open (p->a, p, NULL, write_cb, NULL) != ARCHIVE_OK)
      ret = sk_err_set (err, 0, "pack: %s", archive_error_string (p->a));
  }
  if (ret == 0)
    ret = pack_dir (p, dirfd, "", 0, err);
  if (p->a) {
    if (archive_write_close (p->a) != ARCHIVE_OK && ret == 0)
      ret = fail_archive (p, "", err);
    archive_write_free (p->a);
  }
  if (ret == 0 && p->err == NULL)
    deflate_out (p, NULL, 0, Z_FINISH);
  if (ret == 0 && p->err) {
    *err = steal_ptr (p->err);
    ret = -1;
  }
  sk_err_free (&p->err);
  int64_t blob_size = (int64_t) p->z.total_out;
  deflateEnd (&p->z);
  if (ret == 0) {
    res->blob_size = blob_size;
    res->size = p->size;
    sk_hasher_final (p->h, &res->diff_id);
    ret = sk_blob_writer_commit (p->w, &res->blob, err);
  } else if (p->w) {
    sk_blob_writer_abort (p->w, false);
  }
  sk_hasher_free (p->h);
  for (size_t i = 0; i < p->n_links; i++)
    free (p->links[i].path);
  free (p->links);
  free (p);
  if (ret < 0)
    return sk_err_wrap (err, "the writable layer");
  return 0;
}
