/* Unit tests: applying a layer (src/image/unpack.c).
 *
 * Every layer is made here with libarchive's writer. The target directory
 * "layer" has a sibling "outside" holding "host-file": after each attack the
 * test checks that "outside" still holds that file alone, unchanged. Run as
 * root (owners, devices, trusted.* xattrs).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/unpack.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define HOST_TEXT "host\n"

typedef struct fixture {
  char tmp[64];
  char outside[128];
  int layer; /* the target directory */
} fixture;

static int
setup (void **state)
{
  fixture *f = calloc (1, sizeof *f);
  assert_non_null (f);
  strcpy (f->tmp, "/tmp/skiff-unpack-XXXXXX");
  assert_non_null (mkdtemp (f->tmp));
  snprintf (f->outside, sizeof f->outside, "%s/outside", f->tmp);
  char path[192];
  snprintf (path, sizeof path, "%s/layer", f->tmp);
  assert_int_equal (mkdir (path, 0755), 0);
  assert_int_equal (mkdir (f->outside, 0755), 0);
  f->layer = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  assert_true (f->layer >= 0);
  snprintf (path, sizeof path, "%s/host-file", f->outside);
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  assert_true (fd >= 0);
  assert_int_equal (write (fd, HOST_TEXT, strlen (HOST_TEXT)), (ssize_t) strlen (HOST_TEXT));
  close (fd);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  fixture *f = *state;
  sk_err *err = NULL;
  close (f->layer);
  if (sk_remove_tree_at (AT_FDCWD, f->tmp, &err) < 0) {
    fprintf (stderr, "cleanup: %s\n", err->msg);
    sk_err_free (&err);
  }
  free (f);
  return 0;
}

/* "outside" holds host-file alone, as setup made it. */
static void
assert_outside_untouched (fixture *f)
{
  _cleanup_closedir_ DIR *d = opendir (f->outside);
  assert_non_null (d);
  struct dirent *de;
  int n = 0;
  while ((de = readdir (d)))
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0) {
      assert_string_equal (de->d_name, "host-file");
      n++;
    }
  assert_int_equal (n, 1);
  char path[192];
  snprintf (path, sizeof path, "%s/host-file", f->outside);
  struct stat st;
  assert_int_equal (lstat (path, &st), 0);
  assert_true (S_ISREG (st.st_mode));
  assert_int_equal (st.st_mode & 07777, 0644);
  assert_int_equal (st.st_uid, 0);
  assert_int_equal (st.st_nlink, 1);
  _cleanup_free_ char *text = NULL;
  sk_err *err = NULL;
  assert_int_equal (sk_read_file (path, &text, NULL, &err), 0);
  assert_string_equal (text, HOST_TEXT);
  assert_int_equal (stat (f->outside, &st), 0);
  assert_int_equal (st.st_mode & 07777, 0755);
  assert_int_equal (st.st_uid, 0);
}

/* ---- making layers ---- */

#define TAR_CAP (16 << 20)

typedef struct tarw {
  struct archive *a;
  char *buf;
  size_t used;
} tarw;

static void
tar_begin (tarw *t)
{
  t->buf = malloc (TAR_CAP);
  assert_non_null (t->buf);
  t->used = 0;
  t->a = archive_write_new ();
  assert_int_equal (archive_write_set_format_pax (t->a), ARCHIVE_OK);
  assert_int_equal (archive_write_add_filter_none (t->a), ARCHIVE_OK);
  assert_int_equal (archive_write_open_memory (t->a, t->buf, TAR_CAP, &t->used), ARCHIVE_OK);
}

static void
tar_end (tarw *t)
{
  assert_int_equal (archive_write_close (t->a), ARCHIVE_OK);
  archive_write_free (t->a);
  t->a = NULL;
}

static struct archive_entry *
entry_new (const char *path, mode_t type, mode_t perm)
{
  struct archive_entry *e = archive_entry_new ();
  archive_entry_set_pathname (e, path);
  archive_entry_set_filetype (e, type);
  archive_entry_set_perm (e, perm);
  archive_entry_set_mtime (e, 1000000, 0);
  return e;
}

static void
tar_put (tarw *t, struct archive_entry *e, const char *data)
{
  if (data)
    archive_entry_set_size (e, (la_int64_t) strlen (data));
  assert_int_equal (archive_write_header (t->a, e), ARCHIVE_OK);
  if (data && *data)
    assert_int_equal (archive_write_data (t->a, data, strlen (data)), (la_ssize_t) strlen (data));
  archive_entry_free (e);
}

static void
add_file (tarw *t, const char *path, const char *data)
{
  tar_put (t, entry_new (path, AE_IFREG, 0644), data);
}

static void
add_dir (tarw *t, const char *path)
{
  tar_put (t, entry_new (path, AE_IFDIR, 0755), NULL);
}

static void
add_symlink (tarw *t, const char *path, const char *target)
{
  struct archive_entry *e = entry_new (path, AE_IFLNK, 0777);
  archive_entry_set_symlink (e, target);
  tar_put (t, e, NULL);
}

static void
add_hardlink (tarw *t, const char *path, const char *target)
{
  struct archive_entry *e = entry_new (path, AE_IFREG, 0644);
  archive_entry_set_hardlink (e, target);
  archive_entry_set_size (e, 0);
  tar_put (t, e, NULL);
}

/* The tar compressed with a libarchive filter (ARCHIVE_FILTER_GZIP...). */
static void
compress (const tarw *t, int filter, char **out, size_t *len)
{
  *out = malloc (TAR_CAP);
  assert_non_null (*out);
  struct archive *a = archive_write_new ();
  assert_int_equal (archive_write_set_format_raw (a), ARCHIVE_OK);
  assert_int_equal (archive_write_add_filter (a, filter), ARCHIVE_OK);
  assert_int_equal (archive_write_open_memory (a, *out, TAR_CAP, len), ARCHIVE_OK);
  struct archive_entry *e = entry_new ("data", AE_IFREG, 0644);
  archive_entry_set_size (e, (la_int64_t) t->used);
  assert_int_equal (archive_write_header (a, e), ARCHIVE_OK);
  assert_int_equal (archive_write_data (a, t->buf, t->used), (la_ssize_t) t->used);
  archive_entry_free (e);
  assert_int_equal (archive_write_close (a), ARCHIVE_OK);
  archive_write_free (a);
}

static int
unpack_bytes (fixture *f, const char *data, size_t len, const sk_unpack_opts *opts,
              sk_unpack_result *res, sk_err **err)
{
  _cleanup_close_ int fd = memfd_create ("layer", MFD_CLOEXEC);
  assert_true (fd >= 0);
  assert_int_equal (write (fd, data, len), (ssize_t) len);
  assert_int_equal (lseek (fd, 0, SEEK_SET), 0);
  return sk_layer_unpack (f->layer, fd, opts, res, err);
}

/* Unpacks t (freed); returns what sk_layer_unpack did, the error in *err. */
static int
unpack (fixture *f, tarw *t, const sk_unpack_opts *opts, sk_unpack_result *res, sk_err **err)
{
  if (t->a)
    tar_end (t);
  int r = unpack_bytes (f, t->buf, t->used, opts, res, err);
  free (t->buf);
  t->buf = NULL;
  return r;
}

/* Unpacking fails with a message holding every one of the NULL-ended words. */
static void
assert_refused (fixture *f, tarw *t, const sk_unpack_opts *opts, ...)
{
  sk_err *err = NULL;
  assert_int_equal (unpack (f, t, opts, NULL, &err), -1);
  assert_non_null (err);
  assert_null (strchr (err->msg, '\n'));
  va_list ap;
  va_start (ap, opts);
  for (const char *w; (w = va_arg (ap, const char *));) {
    if (strstr (err->msg, w) == NULL)
      fail_msg ("`%s` is not in the error `%s`", w, err->msg);
  }
  va_end (ap);
  sk_err_free (&err);
}

static void
assert_content (fixture *f, const char *path, const char *text)
{
  _cleanup_free_ char *data = NULL;
  sk_err *err = NULL;
  if (sk_read_file_at (f->layer, path, &data, NULL, &err) < 0)
    fail_msg ("%s", err->msg);
  assert_string_equal (data, text);
}

static bool
exists (fixture *f, const char *path)
{
  struct stat st;
  return fstatat (f->layer, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void
assert_xattr (fixture *f, const char *path, const char *key, const void *value, size_t len)
{
  char proc[256], got[256];
  snprintf (proc, sizeof proc, "/proc/self/fd/%d/%s", f->layer, path);
  ssize_t n = lgetxattr (proc, key, got, sizeof got);
  if (n < 0)
    fail_msg ("%s: xattr %s: %s", path, key, strerror (errno));
  assert_int_equal (n, (ssize_t) len);
  assert_memory_equal (got, value, len);
}

static bool
has_xattr (fixture *f, const char *path, const char *key)
{
  char proc[256];
  snprintf (proc, sizeof proc, "/proc/self/fd/%d/%s", f->layer, path);
  return lgetxattr (proc, key, NULL, 0) >= 0;
}

/* ---- content ---- */

static void
test_content (void **state)
{
  fixture *f = *state;
  tarw t;
  tar_begin (&t);

  struct archive_entry *e = entry_new ("./", AE_IFDIR, 0751);
  archive_entry_set_mtime (e, 1111, 0);
  tar_put (&t, e, NULL);

  e = entry_new ("./bin/", AE_IFDIR, 0755);
  archive_entry_set_mtime (e, 2000, 500);
  tar_put (&t, e, NULL);

  /* setuid, with a file capability (cap_net_bind_service, effective) */
  uint32_t cap[5] = {htole32 (VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE),
                     htole32 (1u << CAP_NET_BIND_SERVICE), 0, 0, 0};
  e = entry_new ("bin/tool", AE_IFREG, 04755);
  archive_entry_set_uid (e, 0);
  archive_entry_set_gid (e, 0);
  archive_entry_set_mtime (e, 3000, 0);
  archive_entry_xattr_add_entry (e, "security.capability", cap, sizeof cap);
  archive_entry_xattr_add_entry (e, "user.note", "hi", 2);
  archive_entry_xattr_add_entry (e, "trusted.skiff", "t", 1);
  archive_entry_xattr_add_entry (e, "trusted.overlay.redirect", "/etc", 4);
  tar_put (&t, e, "#!/bin/sh\necho hello\n");

  add_hardlink (&t, "bin/tool-link", "bin/tool");

  e = entry_new ("bin/sym", AE_IFLNK, 0777);
  archive_entry_set_symlink (e, "tool");
  archive_entry_set_uid (e, 7);
  archive_entry_set_gid (e, 8);
  archive_entry_set_mtime (e, 6000, 0);
  tar_put (&t, e, NULL);

  e = entry_new ("home/u/", AE_IFDIR, 0700);
  archive_entry_set_uid (e, 1000);
  archive_entry_set_gid (e, 1000);
  archive_entry_set_mtime (e, 4000, 0);
  archive_entry_xattr_add_entry (e, "user.dir", "d", 1);
  tar_put (&t, e, NULL);

  e = entry_new ("home/u/notes", AE_IFREG, 0640);
  archive_entry_set_uid (e, 1000);
  archive_entry_set_gid (e, 100);
  archive_entry_set_mtime (e, 5000, 0);
  tar_put (&t, e, "notes\n");

  e = entry_new ("usr/sgid", AE_IFREG, 02711);
  archive_entry_set_gid (e, 50);
  tar_put (&t, e, "");

  tar_put (&t, entry_new ("run/fifo", AE_IFIFO, 0620), NULL);

  tar_end (&t);
  sk_digest want;
  sk_digest_of (t.buf, t.used, &want);
  size_t tar_len = t.used;

  sk_unpack_result res;
  sk_err *err = NULL;
  if (unpack (f, &t, NULL, &res, &err) < 0)
    fail_msg ("%s", err->msg);
  assert_true (sk_digest_equal (&res.diff_id, &want));
  assert_int_equal (res.size, tar_len);
  assert_int_equal (res.entries, 9);

  struct stat st, st2;
  assert_int_equal (fstat (f->layer, &st), 0);
  assert_int_equal (st.st_mode & 07777, 0751);
  assert_int_equal (st.st_mtim.tv_sec, 1111);

  assert_content (f, "bin/tool", "#!/bin/sh\necho hello\n");
  assert_int_equal (fstatat (f->layer, "bin/tool", &st, AT_SYMLINK_NOFOLLOW), 0);
  assert_int_equal (st.st_mode & 07777, 04755);
  assert_int_equal (st.st_mtim.tv_sec, 3000);
  assert_int_equal (st.st_nlink, 2);
  assert_xattr (f, "bin/tool", "security.capability", cap, sizeof cap);
  assert_xattr (f, "bin/tool", "user.note", "hi", 2);
  assert_xattr (f, "bin/tool", "trusted.skiff", "t", 1);
  assert_false (has_xattr (f, "bin/tool", "trusted.overlay.redirect"));

  assert_int_equal (fstatat (f->layer, "bin/tool-link", &st2, AT_SYMLINK_NOFOLLOW), 0);
  assert_int_equal (st2.st_ino, st.st_ino);

  char target[64];
  ssize_t n = readlinkat (f->layer, "bin/sym", target, sizeof target);
  assert_int_equal (n, 4);
  assert_memory_equal (target, "tool", 4);
  assert_int_equal (fstatat (f->layer, "bin/sym", &st, AT_SYMLINK_NOFOLLOW), 0);
  assert_int_equal (st.st_uid, 7);
  assert_int_equal (st.st_gid, 8);
  assert_int_equal (st.st_mtim.tv_sec, 6000);

  /* the directories' times are those of the tar, after their contents */
  assert_int_equal (fstatat (f->layer, "bin", &st, AT_SYMLINK_NOFOLLOW), 0);
  assert_int_equal (st.st_mtim.tv_sec, 2000);
  assert_int_equal (st.st_mtim.tv_nsec, 500);
  assert_int_equal (fstatat (f->layer, "home/u", &st, AT_SYMLINK_NOFOLLOW), 0);
  assert_int_equal (st.st_mode & 07777, 0700);
  assert_int_equal (st.st_uid, 1000);
  assert_int_equal (st.st_mtim.tv_sec, 4000);
  assert_xattr (f, "home/u", "user.dir", "d", 1);
  /* a parent the tar did not list is made */
  assert_int_equal (fstatat (f->layer, "home", &st, AT_SYMLINK_NOFOLLOW), 0);
  assert_true (S_ISDIR (st.st_mode));

  assert_int_equal (fstatat (f->layer, "home/u/notes", &st, AT_SYMLINK_NOFOLLOW), 0);
  assert_int_equal (st.st_uid, 1000);
  assert_int_equal (st.st_gid, 100);
  assert_int_equal (st.st_mode & 07777, 0640);
  assert_int_equal (st.st_mtim.tv_sec, 5000);

  assert_int_equal (fstatat (f->layer, "usr/sgid", &st, AT_SYMLINK_NOFOLLOW), 0);
  assert_int_equal (st.st_mode & 07777, 02711);
  assert_int_equal (st.st_gid, 50);

  assert_int_equal (fstatat (f->layer, "run/fifo", &st, AT_SYMLINK_NOFOLLOW), 0);
  assert_true (S_ISFIFO (st.st_mode));
  assert_int_equal (st.st_mode & 07777, 0620);
  assert_outside_untouched (f);
}

static void
test_uid_shift (void **state)
{
  fixture *f = *state;
  tarw t;
  tar_begin (&t);
  struct archive_entry *e = entry_new ("f", AE_IFREG, 0644);
  archive_entry_set_uid (e, 1000);
  archive_entry_set_gid (e, 10);
  tar_put (&t, e, "x");
  e = entry_new ("l", AE_IFLNK, 0777);
  archive_entry_set_symlink (e, "f");
  tar_put (&t, e, NULL);
  sk_unpack_opts opts = {.uid_shift = 100000, .gid_shift = 200000};
  sk_err *err = NULL;
  if (unpack (f, &t, &opts, NULL, &err) < 0)
    fail_msg ("%s", err->msg);
  struct stat st;
  assert_int_equal (fstatat (f->layer, "f", &st, AT_SYMLINK_NOFOLLOW), 0);
  assert_int_equal (st.st_uid, 101000);
  assert_int_equal (st.st_gid, 200010);
  assert_int_equal (fstatat (f->layer, "l", &st, AT_SYMLINK_NOFOLLOW), 0);
  assert_int_equal (st.st_uid, 100000);
}

/* A file listed twice: the second wins; a directory listed twice keeps its contents. */
static void
test_listed_twice (void **state)
{
  fixture *f = *state;
  tarw t;
  tar_begin (&t);
  add_dir (&t, "d");
  add_file (&t, "d/f", "one");
  add_file (&t, "d/f", "two");
  add_dir (&t, "d");
  sk_err *err = NULL;
  if (unpack (f, &t, NULL, NULL, &err) < 0)
    fail_msg ("%s", err->msg);
  assert_content (f, "d/f", "two");
}

/* The parent directory is kept from one entry to the next in the same
 * directory: an entry of that directory that replaces a directory on the
 * way of its path (here p leads back up through q/sub) must not leave the
 * next entries written where the path no longer leads. */
static void
test_parent_kept_only_while_valid (void **state)
{
  fixture *f = *state;
  tarw t;
  tar_begin (&t);
  add_dir (&t, "q");
  add_dir (&t, "q/sub");
  add_dir (&t, "q/sub/x");
  add_symlink (&t, "p", "q/sub/x/../..");
  add_file (&t, "p/f1", "one");
  add_file (&t, "p/f2", "two");
  add_file (&t, "p/sub", "a file now");
  add_file (&t, "p/f3", "three");
  assert_refused (f, &t, NULL, "p/f3", NULL);
  assert_content (f, "q/f1", "one");
  assert_content (f, "q/f2", "two");
  assert_content (f, "q/sub", "a file now");
  assert_false (exists (f, "q/f3"));
}

/* Sparse files: the holes stay holes, one at the end included. */
static void
test_sparse (void **state)
{
  fixture *f = *state;
  const size_t size = 1 << 20, chunk = 1 << 16;
  char *data = calloc (1, size);
  assert_non_null (data);
  memset (data + chunk, 'm', chunk);
  tarw t;
  tar_begin (&t);
  const char *names[] = {"end-hole", "middle-hole"};
  for (int i = 0; i < 2; i++) {
    struct archive_entry *e = entry_new (names[i], AE_IFREG, 0644);
    archive_entry_set_size (e, (la_int64_t) size);
    archive_entry_sparse_add_entry (e, (la_int64_t) chunk, (la_int64_t) chunk);
    if (i == 1) {
      memset (data + size - chunk, 'e', chunk);
      archive_entry_sparse_add_entry (e, (la_int64_t) (size - chunk), (la_int64_t) chunk);
    }
    assert_int_equal (archive_write_header (t.a, e), ARCHIVE_OK);
    assert_int_equal (archive_write_data (t.a, data, size), (la_ssize_t) size);
    archive_entry_free (e);
    memset (data + size - chunk, 0, chunk);
  }
  sk_err *err = NULL;
  if (unpack (f, &t, NULL, NULL, &err) < 0)
    fail_msg ("%s", err->msg);
  for (int i = 0; i < 2; i++) {
    if (i == 1)
      memset (data + size - chunk, 'e', chunk);
    _cleanup_free_ char *got = NULL;
    size_t len = 0;
    if (sk_read_file_at (f->layer, names[i], &got, &len, &err) < 0)
      fail_msg ("%s", err->msg);
    assert_int_equal (len, size);
    assert_memory_equal (got, data, size);
    struct stat st;
    assert_int_equal (fstatat (f->layer, names[i], &st, AT_SYMLINK_NOFOLLOW), 0);
    assert_true ((size_t) st.st_blocks * 512 < size);
  }
  free (data);
}

/* ---- compression and the diff_id ---- */

/* `packed`, the compressed form of the tar t (freed), unpacks to t's file. */
static void
assert_unpacks_to (fixture *f, tarw *t, const char *packed, size_t len)
{
  sk_digest want;
  sk_digest_of (t->buf, t->used, &want);
  sk_unpack_result res;
  sk_err *err = NULL;
  if (unpack_bytes (f, packed, len, NULL, &res, &err) < 0)
    fail_msg ("%s", err->msg);
  assert_content (f, "etc/hostname", "skiff\n");
  assert_true (sk_digest_equal (&res.diff_id, &want));
  assert_int_equal (res.size, t->used);
  free (t->buf);
}

static void
check_compressed (fixture *f, int filter)
{
  tarw t;
  tar_begin (&t);
  add_dir (&t, "etc");
  add_file (&t, "etc/hostname", "skiff\n");
  tar_end (&t);
  _cleanup_free_ char *packed = NULL;
  size_t len = 0;
  compress (&t, filter, &packed, &len);
  assert_true (len < t.used); /* it is compressed */
  assert_unpacks_to (f, &t, packed, len);
}

static void
test_gzip (void **state)
{
  check_compressed (*state, ARCHIVE_FILTER_GZIP);
}

static void
test_zstd (void **state)
{
  check_compressed (*state, ARCHIVE_FILTER_ZSTD);
}

/* A tar with one file, and its gzip form: the whole tar as one member, or
 * cut at `cut` into two members (0: one member). */
static void
gzip_layer (tarw *t, size_t cut, char **out, size_t *len)
{
  tar_begin (t);
  add_dir (t, "etc");
  add_file (t, "etc/hostname", "skiff\n");
  tar_end (t);
  tarw first = {.buf = t->buf, .used = cut ? cut : t->used};
  compress (&first, ARCHIVE_FILTER_GZIP, out, len);
  if (cut) {
    tarw rest = {.buf = t->buf + cut, .used = t->used - cut};
    _cleanup_free_ char *more = NULL;
    size_t more_len = 0;
    compress (&rest, ARCHIVE_FILTER_GZIP, &more, &more_len);
    assert_true (*len + more_len + 1024 <= TAR_CAP);
    memcpy (*out + *len, more, more_len);
    *len += more_len;
  }
}

/* Several gzip members make one stream (gzip -c a >x; gzip -c b >>x), and
 * zeros after the last one are ignored, as gzip(1) ignores them; a stream cut
 * short, or whose CRC-32 is wrong, is an error. */
static void
test_gzip_streams (void **state)
{
  fixture *f = *state;
  tarw t;
  _cleanup_free_ char *packed = NULL, *single = NULL;
  size_t len = 0, single_len = 0;
  gzip_layer (&t, 700, &packed, &len);
  memset (packed + len, 0, 1024);
  assert_unpacks_to (f, &t, packed, len + 1024);

  gzip_layer (&t, 0, &single, &single_len);
  free (t.buf);
  sk_err *err = NULL;
  assert_int_equal (unpack_bytes (f, single, single_len - 20, NULL, NULL, &err), -1);
  assert_non_null (err);
  assert_non_null (strstr (err->msg, "ends in the middle"));
  sk_err_free (&err);
  single[single_len - 8] ^= 0x55; /* the trailer's CRC-32 */
  assert_int_equal (unpack_bytes (f, single, single_len, NULL, NULL, &err), -1);
  assert_non_null (err);
  assert_non_null (strstr (err->msg, "checksum"));
  sk_err_free (&err);
}

/* The diff_id covers the whole stream, the zero blocks after the end included. */
static void
test_diff_id_covers_padding (void **state)
{
  fixture *f = *state;
  tarw t;
  tar_begin (&t);
  add_file (&t, "a", "a");
  tar_end (&t);
  memset (t.buf + t.used, 0, 20 * 512);
  t.used += 20 * 512;
  sk_digest want;
  sk_digest_of (t.buf, t.used, &want);
  sk_unpack_result res;
  sk_err *err = NULL;
  if (unpack (f, &t, NULL, &res, &err) < 0)
    fail_msg ("%s", err->msg);
  assert_true (sk_digest_equal (&res.diff_id, &want));
}

static void
test_not_a_tar (void **state)
{
  fixture *f = *state;
  char junk[4096];
  memset (junk, 'x', sizeof junk);
  sk_err *err = NULL;
  assert_int_equal (unpack_bytes (f, junk, sizeof junk, NULL, NULL, &err), -1);
  assert_non_null (err);
  sk_err_free (&err);
}

/* ---- whiteouts ---- */

static void
test_whiteouts_overlay (void **state)
{
  fixture *f = *state;
  tarw t;
  tar_begin (&t);
  add_dir (&t, "a");
  add_file (&t, "a/.wh.b", "");
  add_dir (&t, "c");
  add_file (&t, "c/.wh..wh..opq", "");
  add_file (&t, "c/d", "d");
  add_file (&t, ".wh.top", "");
  sk_err *err = NULL;
  if (unpack (f, &t, NULL, NULL, &err) < 0)
    fail_msg ("%s", err->msg);
  struct stat st;
  assert_int_equal (fstatat (f->layer, "a/b", &st, AT_SYMLINK_NOFOLLOW), 0);
  assert_true (S_ISCHR (st.st_mode));
  assert_int_equal (st.st_rdev, makedev (0, 0));
  assert_int_equal (fstatat (f->layer, "top", &st, AT_SYMLINK_NOFOLLOW), 0);
  assert_true (S_ISCHR (st.st_mode));
  assert_xattr (f, "c", "trusted.overlay.opaque", "y", 1);
  assert_false (has_xattr (f, "a", "trusted.overlay.opaque"));
  assert_content (f, "c/d", "d");
  assert_false (exists (f, "a/.wh.b"));
  assert_false (exists (f, "c/.wh..wh..opq"));
}

static void
test_whiteouts_flat (void **state)
{
  fixture *f = *state;
  tarw t;
  tar_begin (&t);
  add_file (&t, "a/b", "b");
  add_file (&t, "a/keep", "keep");
  add_file (&t, "c/old", "old");
  add_file (&t, "c/sub/deep", "deep");
  add_file (&t, "e/old", "old");
  sk_unpack_opts flat = {.flat = true};
  sk_err *err = NULL;
  if (unpack (f, &t, &flat, NULL, &err) < 0)
    fail_msg ("%s", err->msg);

  /* the next layer, in the same directory; the marker of c comes after
   * what this layer put in c, that of e before */
  tar_begin (&t);
  add_file (&t, "a/.wh.b", "");
  add_dir (&t, "c");
  add_file (&t, "c/new", "new");
  add_file (&t, "c/sub/new2", "new2");
  add_file (&t, "c/.wh..wh..opq", "");
  add_dir (&t, "e");
  add_file (&t, "e/.wh..wh..opq", "");
  add_file (&t, "e/new", "new");
  if (unpack (f, &t, &flat, NULL, &err) < 0)
    fail_msg ("%s", err->msg);

  assert_false (exists (f, "a/b"));
  assert_content (f, "a/keep", "keep");
  assert_false (exists (f, "c/old"));
  assert_false (exists (f, "c/sub/deep"));
  assert_content (f, "c/new", "new");
  assert_content (f, "c/sub/new2", "new2");
  assert_false (exists (f, "e/old"));
  assert_content (f, "e/new", "new");
  assert_false (exists (f, "a/.wh.b"));
  assert_false (has_xattr (f, "c", "trusted.overlay.opaque"));
}

static void
test_whiteout_of_dotdot (void **state)
{
  fixture *f = *state;
  tarw t;
  tar_begin (&t);
  add_file (&t, "a/.wh..", "");
  assert_refused (f, &t, NULL, "`a/.wh..`", NULL);
  assert_outside_untouched (f);
}

/* ---- attacks ---- */

static void
test_dotdot_refused (void **state)
{
  fixture *f = *state;
  tarw t;
  tar_begin (&t);
  add_file (&t, "../outside/x", "pwned");
  assert_refused (f, &t, NULL, "`../outside/x`", "..", NULL);
  tar_begin (&t);
  add_file (&t, "a/../../outside/host-file", "pwned");
  assert_refused (f, &t, NULL, "`a/../../outside/host-file`", NULL);
  assert_outside_untouched (f);
}

static void
test_absolute_refused (void **state)
{
  fixture *f = *state;
  char path[192];
  snprintf (path, sizeof path, "%s/host-file", f->outside);
  tarw t;
  tar_begin (&t);
  add_file (&t, path, "pwned");
  assert_refused (f, &t, NULL, path, "absolute", NULL);
  assert_outside_untouched (f);
}

/* A symlink out, absolute or relative, then entries through it: they land
 * inside, where the link leads when the directory is the root. */
static void
test_symlink_out_then_through (void **state)
{
  fixture *f = *state;
  char up[256] = "";
  for (int i = 0; i < 8; i++)
    strcat (up, "../");
  strcat (up, f->outside + 1);
  tarw t;
  tar_begin (&t);
  add_symlink (&t, "abs", f->outside);
  add_file (&t, "abs/x", "pwned");
  add_file (&t, "abs/host-file", "pwned");
  add_symlink (&t, "rel", up);
  add_file (&t, "rel/y", "pwned");
  add_dir (&t, "rel/sub");
  add_symlink (&t, "file-link", "/etc/../etc/passwd");
  add_file (&t, "file-link", "replaced");
  sk_err *err = NULL;
  if (unpack (f, &t, NULL, NULL, &err) < 0)
    fail_msg ("%s", err->msg);
  assert_outside_untouched (f);
  char inside[192];
  snprintf (inside, sizeof inside, "%s/x", f->outside + 1);
  assert_content (f, inside, "pwned");
  snprintf (inside, sizeof inside, "%s/y", f->outside + 1);
  assert_content (f, inside, "pwned");
  /* a file over the symlink replaces the link, and writes nothing through it */
  struct stat st;
  assert_int_equal (fstatat (f->layer, "file-link", &st, AT_SYMLINK_NOFOLLOW), 0);
  assert_true (S_ISREG (st.st_mode));
  assert_content (f, "file-link", "replaced");
}

static void
test_dir_replaced_by_symlink (void **state)
{
  fixture *f = *state;
  tarw t;
  tar_begin (&t);
  add_dir (&t, "d");
  add_file (&t, "d/a", "a");
  add_symlink (&t, "d", f->outside);
  add_file (&t, "d/z", "pwned");
  add_dir (&t, "d/zz");
  sk_err *err = NULL;
  if (unpack (f, &t, NULL, NULL, &err) < 0)
    fail_msg ("%s", err->msg);
  assert_outside_untouched (f);
  struct stat st;
  assert_int_equal (fstatat (f->layer, "d", &st, AT_SYMLINK_NOFOLLOW), 0);
  assert_true (S_ISLNK (st.st_mode));
}

/* Owner, mode, times and xattrs of an entry named like an existing symlink
 * go to the entry, never to what the link points at. */
static void
test_metadata_never_through_symlink (void **state)
{
  fixture *f = *state;
  char host[192];
  snprintf (host, sizeof host, "%s/host-file", f->outside);
  tarw t;
  tar_begin (&t);
  struct archive_entry *e = entry_new ("m", AE_IFLNK, 0777);
  archive_entry_set_symlink (e, host);
  archive_entry_set_uid (e, 1234);
  archive_entry_set_mtime (e, 1, 0);
  tar_put (&t, e, NULL);
  add_symlink (&t, "out", f->outside);
  e = entry_new ("out", AE_IFDIR, 0777);
  archive_entry_set_uid (e, 1234);
  archive_entry_set_mtime (e, 1, 0);
  archive_entry_xattr_add_entry (e, "user.pwned", "y", 1);
  tar_put (&t, e, NULL);
  struct stat before;
  assert_int_equal (stat (f->outside, &before), 0);
  sk_err *err = NULL;
  if (unpack (f, &t, NULL, NULL, &err) < 0)
    fail_msg ("%s", err->msg);
  assert_outside_untouched (f);
  struct stat st;
  assert_int_equal (stat (f->outside, &st), 0);
  assert_int_equal (st.st_mtim.tv_sec, before.st_mtim.tv_sec);
  assert_true (getxattr (f->outside, "user.pwned", NULL, 0) < 0);
  assert_int_equal (fstatat (f->layer, "m", &st, AT_SYMLINK_NOFOLLOW), 0);
  assert_true (S_ISLNK (st.st_mode));
  assert_int_equal (st.st_uid, 1234);
  assert_int_equal (fstatat (f->layer, "out", &st, AT_SYMLINK_NOFOLLOW), 0);
  assert_true (S_ISDIR (st.st_mode));
  assert_int_equal (st.st_uid, 1234);
}

static void
test_hardlink_out_refused (void **state)
{
  fixture *f = *state;
  struct stat passwd;
  assert_int_equal (stat ("/etc/passwd", &passwd), 0);
  char host[192];
  snprintf (host, sizeof host, "%s/host-file", f->outside);

  tarw t;
  tar_begin (&t);
  add_hardlink (&t, "h", "../outside/host-file");
  assert_refused (f, &t, NULL, "`h`", "..", NULL);

  tar_begin (&t);
  add_hardlink (&t, "p", "/etc/passwd");
  assert_refused (f, &t, NULL, "`p`", "absolute", NULL);

  tar_begin (&t);
  add_hardlink (&t, "q", host);
  assert_refused (f, &t, NULL, "`q`", NULL);

  /* through a symlink that leads out, and one that stays in */
  tar_begin (&t);
  add_symlink (&t, "s", f->outside);
  add_hardlink (&t, "h2", "s/host-file");
  assert_refused (f, &t, NULL, "`h2`", "symlink", NULL);

  tar_begin (&t);
  add_file (&t, "real/f", "f");
  add_symlink (&t, "alias", "real");
  add_hardlink (&t, "h3", "alias/f");
  assert_refused (f, &t, NULL, "`h3`", "symlink", NULL);

  /* to a symlink itself: a second name of the link, nothing followed */
  tar_begin (&t);
  add_symlink (&t, "s2", "/etc/passwd");
  add_hardlink (&t, "h4", "s2");
  sk_err *err = NULL;
  if (unpack (f, &t, NULL, NULL, &err) < 0)
    fail_msg ("%s", err->msg);
  struct stat st;
  assert_int_equal (fstatat (f->layer, "h4", &st, AT_SYMLINK_NOFOLLOW), 0);
  assert_true (S_ISLNK (st.st_mode));

  assert_outside_untouched (f);
  struct stat after;
  assert_int_equal (stat ("/etc/passwd", &after), 0);
  assert_int_equal (after.st_nlink, passwd.st_nlink);
}

static void
test_device_refused (void **state)
{
  fixture *f = *state;
  tarw t;
  tar_begin (&t);
  struct archive_entry *e = entry_new ("dev/null", AE_IFCHR, 0666);
  archive_entry_set_rdev (e, makedev (1, 3));
  tar_put (&t, e, NULL);
  assert_refused (f, &t, NULL, "`dev/null`", "device", NULL);
  assert_false (exists (f, "dev/null"));

  tar_begin (&t);
  e = entry_new ("dev/sda", AE_IFBLK, 0660);
  archive_entry_set_rdev (e, makedev (8, 0));
  tar_put (&t, e, NULL);
  assert_refused (f, &t, NULL, "`dev/sda`", "device", NULL);
  assert_false (exists (f, "dev/sda"));

  /* a trusted layer may have them */
  tar_begin (&t);
  e = entry_new ("dev/null", AE_IFCHR, 0666);
  archive_entry_set_rdev (e, makedev (1, 3));
  tar_put (&t, e, NULL);
  sk_unpack_opts opts = {.allow_devices = true};
  sk_err *err = NULL;
  if (unpack (f, &t, &opts, NULL, &err) < 0)
    fail_msg ("%s", err->msg);
  struct stat st;
  assert_int_equal (fstatat (f->layer, "dev/null", &st, AT_SYMLINK_NOFOLLOW), 0);
  assert_true (S_ISCHR (st.st_mode));
  assert_int_equal (st.st_rdev, makedev (1, 3));
  assert_int_equal (st.st_mode & 07777, 0666);
}

static void
test_size_bomb (void **state)
{
  fixture *f = *state;
  size_t big = 8 << 20;
  char *zeros = calloc (1, big + 1);
  assert_non_null (zeros);
  memset (zeros, 'z', big);
  tarw t;
  tar_begin (&t);
  add_file (&t, "bomb", zeros);
  tar_end (&t);
  free (zeros);
  _cleanup_free_ char *packed = NULL;
  size_t len = 0;
  compress (&t, ARCHIVE_FILTER_GZIP, &packed, &len);
  assert_true (len < 64 * 1024);

  sk_unpack_opts opts = {.max_bytes = 1 << 20};
  sk_err *err = NULL;
  assert_int_equal (unpack_bytes (f, packed, len, &opts, NULL, &err), -1);
  assert_non_null (err);
  if (strstr (err->msg, "layer exceeds 1048576 bytes") == NULL)
    fail_msg ("unexpected error `%s`", err->msg);
  sk_err_free (&err);
  struct stat st;
  if (fstatat (f->layer, "bomb", &st, AT_SYMLINK_NOFOLLOW) == 0)
    assert_true (st.st_size <= (off_t) (1 << 20));

  /* the same layer within a larger limit */
  opts.max_bytes = 16 << 20;
  assert_int_equal (sk_remove_tree_at (f->layer, "bomb", &err), 0);
  if (unpack_bytes (f, packed, len, &opts, NULL, &err) < 0)
    fail_msg ("%s", err->msg);
  assert_int_equal (fstatat (f->layer, "bomb", &st, AT_SYMLINK_NOFOLLOW), 0);
  assert_int_equal (st.st_size, (off_t) big);
  free (t.buf);
  assert_outside_untouched (f);
}

int
main (void)
{
  if (geteuid () != 0) {
    fprintf (stderr, "test-unpack: needs root (owners, devices, trusted xattrs)\n");
    return 77;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown (test_content, setup, teardown),
      cmocka_unit_test_setup_teardown (test_uid_shift, setup, teardown),
      cmocka_unit_test_setup_teardown (test_listed_twice, setup, teardown),
      cmocka_unit_test_setup_teardown (test_parent_kept_only_while_valid, setup, teardown),
      cmocka_unit_test_setup_teardown (test_sparse, setup, teardown),
      cmocka_unit_test_setup_teardown (test_gzip, setup, teardown),
      cmocka_unit_test_setup_teardown (test_zstd, setup, teardown),
      cmocka_unit_test_setup_teardown (test_gzip_streams, setup, teardown),
      cmocka_unit_test_setup_teardown (test_diff_id_covers_padding, setup, teardown),
      cmocka_unit_test_setup_teardown (test_not_a_tar, setup, teardown),
      cmocka_unit_test_setup_teardown (test_whiteouts_overlay, setup, teardown),
      cmocka_unit_test_setup_teardown (test_whiteouts_flat, setup, teardown),
      cmocka_unit_test_setup_teardown (test_whiteout_of_dotdot, setup, teardown),
      cmocka_unit_test_setup_teardown (test_dotdot_refused, setup, teardown),
      cmocka_unit_test_setup_teardown (test_absolute_refused, setup, teardown),
      cmocka_unit_test_setup_teardown (test_symlink_out_then_through, setup, teardown),
      cmocka_unit_test_setup_teardown (test_dir_replaced_by_symlink, setup, teardown),
      cmocka_unit_test_setup_teardown (test_metadata_never_through_symlink, setup, teardown),
      cmocka_unit_test_setup_teardown (test_hardlink_out_refused, setup, teardown),
      cmocka_unit_test_setup_teardown (test_device_refused, setup, teardown),
      cmocka_unit_test_setup_teardown (test_size_bomb, setup, teardown),
  };
  int failed = cmocka_run_group_tests_name ("openat2", tests, NULL, NULL);
  /* again with the resolver kernels without openat2 get */
  sk_fs_force_fallback (true);
  failed += cmocka_run_group_tests_name ("fallback resolver", tests, NULL, NULL);
  return failed;
}
