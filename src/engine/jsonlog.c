/* skiff: Docker's json-file log writer (see jsonlog.h). */
#include "engine/jsonlog.h"
#include "engine/logfile.h"
#include "util/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

/* The length of the valid UTF-8 sequence at s (of n bytes), 0 if invalid. */
static size_t
utf8_len (const unsigned char *s, size_t n)
{
  unsigned char c = s[0], lo = 0x80, hi = 0xbf;
  size_t len;
  if (c >= 0xc2 && c <= 0xdf)
    len = 2;
  else if (c >= 0xe0 && c <= 0xef)
    len = 3;
  else if (c >= 0xf0 && c <= 0xf4)
    len = 4;
  else
    return 0;
  /* no overlong forms, no surrogates, nothing above U+10FFFF */
  if (c == 0xe0)
    lo = 0xa0;
  else if (c == 0xed)
    hi = 0x9f;
  else if (c == 0xf0)
    lo = 0x90;
  else if (c == 0xf4)
    hi = 0x8f;
  if (n < len || s[1] < lo || s[1] > hi)
    return 0;
  for (size_t i = 2; i < len; i++)
    if (s[i] < 0x80 || s[i] > 0xbf)
      return 0;
  return len;
}

static const char hex[] = "0123456789abcdef";

static char *
put_u (char *o, unsigned code)
{
  *o++ = '\\';
  *o++ = 'u';
  *o++ = hex[(code >> 12) & 0xf];
  *o++ = hex[(code >> 8) & 0xf];
  *o++ = hex[(code >> 4) & 0xf];
  *o++ = hex[code & 0xf];
  return o;
}

static char *
put_ascii (char *o, unsigned char c)
{
  switch (c) {
  case '"': *o++ = '\\'; *o++ = '"'; return o;
  case '\\': *o++ = '\\'; *o++ = '\\'; return o;
  case '\n': *o++ = '\\'; *o++ = 'n'; return o;
  case '\r': *o++ = '\\'; *o++ = 'r'; return o;
  case '\t': *o++ = '\\'; *o++ = 't'; return o;
  case '<': case '>': case '&': return put_u (o, c);
  default:
    if (c < 0x20)
      return put_u (o, c);
    *o++ = (char) c;
    return o;
  }
}

size_t
sk_jsonlog_escape (const char *data, size_t len, char *out)
{
  const unsigned char *s = (const unsigned char *) data;
  char *o = out;
  size_t i = 0;
  while (i < len) {
    if (s[i] < 0x80) {
      o = put_ascii (o, s[i++]);
      continue;
    }
    size_t n = utf8_len (s + i, len - i);
    if (n == 0) {
      o = put_u (o, 0xfffd);
      i++;
    } else if (n == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 && (s[i + 2] & 0xfe) == 0xa8) {
      /* U+2028 and U+2029 end lines in JavaScript */
      o = put_u (o, s[i + 2] == 0xa8 ? 0x2028 : 0x2029);
      i += 3;
    } else {
      memcpy (o, s + i, n);
      o += n;
      i += n;
    }
  }
  return (size_t) (o - out);
}

void
sk_jsonlog_time (char *buf)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  sk_log_format_time ((int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec, buf);
}

static int
open_log (sk_jsonlog *l, sk_err **err)
{
  l->fd = open (l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (l->fd < 0)
    return sk_err_set (err, errno, "open log `%s`", l->path);
  struct stat st;
  if (fstat (l->fd, &st) < 0)
    return sk_err_set (err, errno, "stat log `%s`", l->path);
  l->size = (uint64_t) st.st_size;
  return 0;
}

int
sk_jsonlog_open (sk_jsonlog *l, const char *path, uint64_t max_size, unsigned max_file,
                 bool local, bool compress, sk_err **err)
{
  l->path = path;
  l->local = local;
  l->compress = compress && max_file > 1;
  l->compressing = -1;
  l->max_size = max_size;
  l->max_file = max_file ? max_file : 1;
  l->len = 0;
  l->dirfd = l->max_size && l->max_file > 1 ? sk_log_dir_open (path) : -1;
  return open_log (l, err);
}

/* Whether n more bytes leave the log's filesystem the room a log never
 * takes: 1/16 of it, at most 1 MiB. A log that filled the disk to its last
 * byte would leave skiff's database unopenable (SQLite sizes its shared
 * memory file anew at each first open) and every command failing until
 * someone makes room. */
static bool
room_for (int fd, size_t n)
{
  struct statvfs st;
  if (fstatvfs (fd, &st) < 0 || st.f_blocks == 0)
    return true;
  uint64_t total = (uint64_t) st.f_blocks * st.f_frsize;
  uint64_t avail = (uint64_t) st.f_bavail * st.f_frsize;
  uint64_t reserve = total / 16 < (1u << 20) ? total / 16 : (1u << 20);
  return avail >= n + reserve;
}

/* Writes n bytes that end the file (l->size counts them); if not all of
 * them can be written, cuts the file back to where they started, so that
 * no record is torn, and takes them out of l->size. */
static int
write_all (sk_jsonlog *l, const char *p, size_t n, sk_err **err)
{
  uint64_t start = l->size - n;
  if (n > 0 && !room_for (l->fd, n)) {
    l->size = start;
    return sk_err_set (err, ENOSPC, "write log `%s`: the disk is (nearly) full", l->path);
  }
  while (n > 0) {
    ssize_t w = write (l->fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      int saved = w < 0 ? errno : ENOSPC;
      if (ftruncate (l->fd, (off_t) start) < 0) {
        /* cannot be cut back: the next writes start a new file */
      }
      l->size = start;
      return sk_err_set (err, saved, "write log `%s`", l->path);
    }
    p += w;
    n -= (size_t) w;
  }
  return 0;
}

/* from -> to, or from.gz -> to.gz, whichever there is (a rotated file is
 * compressed or not); the other form of to goes */
static int
shift_file (const char *from, const char *to, sk_err **err)
{
  char fromgz[PATH_MAX + 3], togz[PATH_MAX + 3];
  snprintf (fromgz, sizeof fromgz, "%s.gz", from);
  snprintf (togz, sizeof togz, "%s.gz", to);
  if (rename (fromgz, togz) == 0) {
    unlink (to);
    return 0;
  }
  if (errno != ENOENT)
    return sk_err_set (err, errno, "rotate log `%s`", fromgz);
  if (rename (from, to) == 0) {
    unlink (togz);
    return 0;
  }
  if (errno != ENOENT)
    return sk_err_set (err, errno, "rotate log `%s`", from);
  return 0;
}

/* PATH.(i-1) -> PATH.i down to PATH -> PATH.1, and a new PATH */
static int
rotate_files (sk_jsonlog *l, sk_err **err)
{
  char from[PATH_MAX], to[PATH_MAX];
  for (unsigned i = l->max_file - 1; i >= 1; i--) {
    if (i == 1)
      snprintf (from, sizeof from, "%s", l->path);
    else
      snprintf (from, sizeof from, "%s.%u", l->path, i - 1);
    snprintf (to, sizeof to, "%s.%u", l->path, i);
    if (shift_file (from, to, err) < 0)
      return -1;
  }
  close (l->fd);
  return open_log (l, err);
}

/* The files rotated (PATH.1 then compressed if asked), or PATH emptied
 * when one file is kept; before a record of rec bytes. */
static int
rotate (sk_jsonlog *l, size_t rec, sk_err **err)
{
  if (l->max_file <= 1) {
    if (ftruncate (l->fd, 0) < 0)
      return sk_err_set (err, errno, "truncate log `%s`", l->path);
    l->size = 0;
    return 0;
  }
  /* the last rotation's file must be done before it moves */
  sk_log_compress_wait (&l->compressing);
  /* a reader opening the files: later, unless the file is twice too big */
  bool locked = l->dirfd >= 0 && flock (l->dirfd, LOCK_EX | LOCK_NB) == 0;
  if (!locked && l->dirfd >= 0 && l->size + rec <= 2 * l->max_size)
    return 0;
  int r = rotate_files (l, err);
  if (locked)
    flock (l->dirfd, LOCK_UN);
  if (r == 0 && l->compress) {
    _cleanup_err_ sk_err *e = NULL;
    char rotated[PATH_MAX];
    snprintf (rotated, sizeof rotated, "%s.1", l->path);
    sk_log_compress (rotated, &l->compressing, &e); /* if not, it stays uncompressed */
  }
  return r;
}

int
sk_jsonlog_flush (sk_jsonlog *l, sk_err **err)
{
  int r = write_all (l, l->buf, l->len, err);
  l->len = 0; /* what could not be written is dropped: the container must go on */
  return r;
}

static char *
put_str (char *o, const char *s)
{
  size_t n = strlen (s);
  memcpy (o, s, n);
  return o + n;
}

int
sk_jsonlog_add (sk_jsonlog *l, const char *stream, const char *data, size_t len,
                const char *time, sk_err **err)
{
  if (len > SK_JSONLOG_LINE_MAX)
    len = SK_JSONLOG_LINE_MAX;
  if (sizeof l->buf - l->len < SK_JSONLOG_RECORD_MAX && sk_jsonlog_flush (l, err) < 0)
    return -1;
  char *start = l->buf + l->len, *o = start;
  if (l->local) {
    int64_t ns = 0;
    sk_log_parse_time (time, &ns);
    o += sk_locallog_encode (o, strcmp (stream, "stderr") == 0 ? SK_LOG_STDERR : SK_LOG_STDOUT, ns,
                             data, len);
  } else {
    o = put_str (o, "{\"log\":\"");
    o += sk_jsonlog_escape (data, len, o);
    o = put_str (o, "\",\"stream\":\"");
    o = put_str (o, stream);
    o = put_str (o, "\",\"time\":\"");
    o = put_str (o, time);
    o = put_str (o, "\"}\n");
  }
  size_t rec = (size_t) (o - start);
  if (l->max_size && l->size > 0 && l->size + rec > l->max_size) {
    /* what came before goes to the current file, this record to the next */
    int r = write_all (l, l->buf, l->len, err);
    if (r == 0)
      r = rotate (l, rec, err);
    memmove (l->buf, start, rec);
    l->len = 0;
    if (r < 0)
      return -1;
  }
  l->len += rec;
  l->size += rec;
  return 0;
}

int
sk_jsonlog_close (sk_jsonlog *l, sk_err **err)
{
  int r = sk_jsonlog_flush (l, err);
  sk_log_compress_wait (&l->compressing);
  if (l->fd >= 0)
    close (l->fd);
  l->fd = -1;
  if (l->dirfd >= 0)
    close (l->dirfd);
  l->dirfd = -1;
  return r;
}
