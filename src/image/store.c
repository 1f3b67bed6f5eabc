/* skiff: the content store (see store.h). All paths are handled relative
 * to the directory fds of blobs/sha256 and ingest, opened once. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "util/cleanup.h"
#include "util/fs.h"

struct sk_store {
  char *root;
  int blobs_fd;  /* ROOT/blobs/sha256 */
  int ingest_fd; /* ROOT/ingest */
};

struct sk_blob_writer {
  sk_store *store;
  int fd;
  char name[SK_DIGEST_HEX_LEN + 32]; /* in ingest */
  bool known;                        /* expected digest given */
  sk_digest expected;
  int64_t expected_size;
  uint64_t written;
  sk_hasher *hasher;
};

static int
open_dir (const char *path, sk_err **err)
{
  if (sk_mkdir_p (path, 0700, err) < 0)
    return -1;
  int fd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return sk_err_set (err, errno, "open `%s`", path);
  return fd;
}

int
sk_store_open (const char *root, sk_store **out, sk_err **err)
{
  sk_store *s = calloc (1, sizeof *s);
  if (s == NULL)
    return sk_err_set (err, ENOMEM, "calloc");
  s->blobs_fd = s->ingest_fd = -1;
  _cleanup_free_ char *blobs = sk_path_join (root, "blobs/sha256");
  _cleanup_free_ char *ingest = sk_path_join (root, "ingest");
  s->root = strdup (root);
  if (!blobs || !ingest || !s->root) {
    sk_store_free (s);
    return sk_err_set (err, ENOMEM, "store");
  }
  if ((s->blobs_fd = open_dir (blobs, err)) < 0 || (s->ingest_fd = open_dir (ingest, err)) < 0) {
    sk_store_free (s);
    return sk_err_wrap (err, "content store `%s`", root);
  }
  *out = s;
  return 0;
}

void
sk_store_free (sk_store *s)
{
  if (s == NULL)
    return;
  if (s->blobs_fd >= 0)
    close (s->blobs_fd);
  if (s->ingest_fd >= 0)
    close (s->ingest_fd);
  free (s->root);
  free (s);
}

bool
sk_store_has (sk_store *s, const sk_digest *d)
{
  char hex[SK_DIGEST_HEX_LEN + 1];
  return faccessat (s->blobs_fd, sk_digest_hex (d, hex), F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

char *
sk_store_blob_path (sk_store *s, const sk_digest *d)
{
  char hex[SK_DIGEST_HEX_LEN + 1], *path = NULL;
  if (asprintf (&path, "%s/blobs/sha256/%s", s->root, sk_digest_hex (d, hex)) < 0)
    return NULL;
  return path;
}

int
sk_store_open_blob (sk_store *s, const sk_digest *d, sk_err **err)
{
  char hex[SK_DIGEST_HEX_LEN + 1], ds[SK_DIGEST_STR_SIZE];
  int fd = openat (s->blobs_fd, sk_digest_hex (d, hex), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return sk_err_set (err, errno, "blob %s", sk_digest_format (d, ds));
  return fd;
}

/* Hashes fd from its start; *size receives its length. */
static int
hash_fd (int fd, sk_hasher *h, uint64_t *size, sk_err **err)
{
  char buf[65536];
  uint64_t total = 0;
  for (;;) {
    ssize_t n = pread (fd, buf, sizeof buf, (off_t) total);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return sk_err_set (err, errno, "read");
    if (n == 0)
      break;
    sk_hasher_update (h, buf, n);
    total += n;
  }
  *size = total;
  return 0;
}

int
sk_store_verify_blob (sk_store *s, const sk_digest *d, sk_err **err)
{
  _cleanup_close_ int fd = sk_store_open_blob (s, d, err);
  if (fd < 0)
    return -1;
  _cleanup_hasher_ sk_hasher *h = sk_hasher_new ();
  if (h == NULL)
    return sk_err_set (err, ENOMEM, "sha256");
  uint64_t size;
  sk_digest got;
  char ds[SK_DIGEST_STR_SIZE];
  if (hash_fd (fd, h, &size, err) < 0)
    return sk_err_wrap (err, "blob %s", sk_digest_format (d, ds));
  sk_hasher_final (h, &got);
  if (!sk_digest_equal (&got, d))
    return sk_err_set (err, 0, "blob %s: its content no longer matches its digest",
                       sk_digest_format (d, ds));
  return 0;
}

int
sk_store_read_blob (sk_store *s, const sk_digest *d, size_t max, char **data, size_t *len,
                    sk_err **err)
{
  char ds[SK_DIGEST_STR_SIZE];
  _cleanup_close_ int fd = sk_store_open_blob (s, d, err);
  if (fd < 0)
    return -1;
  struct stat st;
  if (fstat (fd, &st) < 0)
    return sk_err_set (err, errno, "blob %s", sk_digest_format (d, ds));
  if ((uint64_t) st.st_size > max)
    return sk_err_set (err, 0, "blob %s: %lld bytes, more than the %zu allowed here",
                       sk_digest_format (d, ds), (long long) st.st_size, max);
  _cleanup_free_ char *buf = malloc (st.st_size + 1);
  if (buf == NULL)
    return sk_err_set (err, ENOMEM, "malloc");
  size_t got = 0;
  while (got < (size_t) st.st_size) {
    ssize_t n = pread (fd, buf + got, st.st_size - got, got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return sk_err_set (err, n < 0 ? errno : EIO, "read blob %s", sk_digest_format (d, ds));
    got += n;
  }
  buf[got] = '\0';
  sk_digest actual;
  sk_digest_of (buf, got, &actual);
  if (!sk_digest_equal (&actual, d))
    return sk_err_set (err, 0, "blob %s: its content no longer matches its digest",
                       sk_digest_format (d, ds));
  *data = steal_ptr (buf);
  *len = got;
  return 0;
}

int
sk_store_delete_blob (sk_store *s, const sk_digest *d, sk_err **err)
{
  char hex[SK_DIGEST_HEX_LEN + 1], ds[SK_DIGEST_STR_SIZE];
  if (unlinkat (s->blobs_fd, sk_digest_hex (d, hex), 0) < 0 && errno != ENOENT)
    return sk_err_set (err, errno, "remove blob %s", sk_digest_format (d, ds));
  return 0;
}

int
sk_store_walk (sk_store *s, int (*fn) (const sk_digest *d, void *data), void *data,
               sk_err **err)
{
  int fd = openat (s->blobs_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return sk_err_set (err, errno, "open the blobs directory");
  DIR *dir = fdopendir (fd);
  if (dir == NULL) {
    close (fd);
    return sk_err_set (err, errno, "open the blobs directory");
  }
  int ret = 0;
  struct dirent *e;
  while (ret >= 0 && (e = readdir (dir))) {
    char name[SK_DIGEST_STR_SIZE];
    sk_digest d;
    if (snprintf (name, sizeof name, "sha256:%s", e->d_name) >= (int) sizeof name)
      continue;
    sk_err *ignored = NULL;
    if (sk_digest_parse (name, &d, &ignored) < 0) {
      sk_err_free (&ignored); /* ".", "..", anything not a blob */
      continue;
    }
    ret = fn (&d, data);
  }
  closedir (dir);
  return ret;
}

/* ---- writing ---- */

static void
writer_free (sk_blob_writer *w)
{
  if (w == NULL)
    return;
  if (w->fd >= 0)
    close (w->fd); /* drops the lock */
  sk_hasher_free (w->hasher);
  free (w);
}

int
sk_blob_writer_begin (sk_store *s, const sk_digest *expected, int64_t expected_size,
                      sk_blob_writer **out, sk_err **err)
{
  *out = NULL;
  sk_blob_writer *w = calloc (1, sizeof *w);
  if (w == NULL)
    return sk_err_set (err, ENOMEM, "calloc");
  w->store = s;
  w->fd = -1;
  w->expected_size = expected_size;
  w->hasher = sk_hasher_new ();
  if (w->hasher == NULL) {
    writer_free (w);
    return sk_err_set (err, ENOMEM, "sha256");
  }
  if (expected == NULL) {
    snprintf (w->name, sizeof w->name, "new-XXXXXX");
    w->fd = sk_create_unique_at (s->ingest_fd, w->name, false, err);
    if (w->fd < 0) {
      writer_free (w);
      return sk_err_wrap (err, "the ingest directory");
    }
    *out = w;
    return 0;
  }

  char hex[SK_DIGEST_HEX_LEN + 1], ds[SK_DIGEST_STR_SIZE];
  w->known = true;
  w->expected = *expected;
  snprintf (w->name, sizeof w->name, "%s.partial", sk_digest_hex (expected, hex));
  if (sk_store_has (s, expected)) {
    writer_free (w);
    return 1;
  }
  w->fd = openat (s->ingest_fd, w->name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (w->fd < 0) {
    writer_free (w);
    return sk_err_set (err, errno, "blob %s: open its ingest file", sk_digest_format (expected, ds));
  }
  /* one writer per blob: a second one waits here, then finds it stored */
  while (flock (w->fd, LOCK_EX) < 0) {
    if (errno != EINTR) {
      int saved = errno;
      writer_free (w);
      return sk_err_set (err, saved, "blob %s: lock its ingest file", sk_digest_format (expected, ds));
    }
  }
  if (sk_store_has (s, expected)) {
    writer_free (w);
    return 1;
  }
  /* what an earlier writer left: hashed again, then continued */
  if (hash_fd (w->fd, w->hasher, &w->written, err) < 0) {
    writer_free (w);
    return sk_err_wrap (err, "blob %s", sk_digest_format (expected, ds));
  }
  if (expected_size >= 0 && w->written > (uint64_t) expected_size) {
    /* longer than the blob: nothing of it can be right */
    if (ftruncate (w->fd, 0) < 0) {
      int saved = errno;
      writer_free (w);
      return sk_err_set (err, saved, "blob %s: truncate", sk_digest_format (expected, ds));
    }
    sk_hasher_free (w->hasher);
    w->hasher = sk_hasher_new ();
    w->written = 0;
    if (w->hasher == NULL) {
      writer_free (w);
      return sk_err_set (err, ENOMEM, "sha256");
    }
  }
  *out = w;
  return 0;
}

uint64_t
sk_blob_writer_offset (const sk_blob_writer *w)
{
  return w->written;
}

int
sk_blob_write (sk_blob_writer *w, const void *data, size_t len, sk_err **err)
{
  if (w->expected_size >= 0 && w->written + len > (uint64_t) w->expected_size)
    return sk_err_set (err, 0, "blob is longer than the %lld bytes expected",
                       (long long) w->expected_size);
  const char *p = data;
  size_t done = 0;
  while (done < len) {
    ssize_t n = pwrite (w->fd, p + done, len - done, (off_t) (w->written + done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return sk_err_set (err, errno, "write blob");
    done += n;
  }
  sk_hasher_update (w->hasher, data, len);
  w->written += len;
  return 0;
}

void
sk_blob_writer_abort (sk_blob_writer *w, bool keep_partial)
{
  if (w == NULL)
    return;
  if (!keep_partial || !w->known)
    unlinkat (w->store->ingest_fd, w->name, 0);
  writer_free (w);
}

int
sk_blob_writer_commit (sk_blob_writer *w, sk_digest *out, sk_err **err)
{
  char ds[SK_DIGEST_STR_SIZE], es[SK_DIGEST_STR_SIZE], hex[SK_DIGEST_HEX_LEN + 1];
  sk_digest got;
  sk_hasher_final (w->hasher, &got);
  int ret = 0;
  if (w->expected_size >= 0 && w->written != (uint64_t) w->expected_size)
    ret = sk_err_set (err, 0, "blob %s: %llu bytes, %lld expected",
                      sk_digest_format (w->known ? &w->expected : &got, ds),
                      (unsigned long long) w->written, (long long) w->expected_size);
  else if (w->known && !sk_digest_equal (&got, &w->expected))
    ret = sk_err_set (err, 0, "blob %s: the content's digest is %s",
                      sk_digest_format (&w->expected, es), sk_digest_format (&got, ds));
  else if (fsync (w->fd) < 0)
    ret = sk_err_set (err, errno, "blob %s: fsync", sk_digest_format (&got, ds));
  else if (fchmodat (w->store->ingest_fd, w->name, 0444, 0) < 0)
    ret = sk_err_set (err, errno, "blob %s: chmod", sk_digest_format (&got, ds));
  else if (renameat (w->store->ingest_fd, w->name, w->store->blobs_fd, sk_digest_hex (&got, hex)) <
           0)
    ret = sk_err_set (err, errno, "blob %s: move it into the store", sk_digest_format (&got, ds));
  else {
    /* the rename itself durable */
    _cleanup_close_ int dfd = openat (w->store->blobs_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0)
      fsync (dfd);
    if (out)
      *out = got;
    writer_free (w);
    return 0;
  }
  /* wrong content, or no way to store it: nothing of it is kept */
  unlinkat (w->store->ingest_fd, w->name, 0);
  writer_free (w);
  return ret;
}

int
sk_store_put (sk_store *s, const void *data, size_t len, sk_digest *out, sk_err **err)
{
  sk_digest d;
  sk_digest_of (data, len, &d);
  sk_blob_writer *w = NULL;
  int r = sk_blob_writer_begin (s, &d, (int64_t) len, &w, err);
  if (r < 0)
    return -1;
  if (r == 0) {
    /* a partial file of the same blob may be there: start it over */
    if (sk_blob_writer_offset (w) > 0) {
      sk_blob_writer_abort (w, false);
      if (sk_blob_writer_begin (s, &d, (int64_t) len, &w, err) < 0)
        return -1;
    }
    if (w && (sk_blob_write (w, data, len, err) < 0)) {
      sk_blob_writer_abort (w, false);
      return -1;
    }
    if (w && sk_blob_writer_commit (w, NULL, err) < 0)
      return -1;
  }
  if (out)
    *out = d;
  return 0;
}
