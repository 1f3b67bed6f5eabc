/* skiff: the local log format, compression of rotated logs, reading them
 * (see logfile.h). */
#include "engine/logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/types.h>
#include <unistd.h>
#include <zlib.h>

#include "engine/jsonlog.h"

static void
put_le (unsigned char *p, uint64_t v, int bytes)
{
  for (int i = 0; i < bytes; i++, v >>= 8)
    p[i] = (unsigned char) (v & 0xff);
}

static uint64_t
get_le (const unsigned char *p, int bytes)
{
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

size_t
sk_locallog_encode (char *out, int stream, int64_t time_ns, const char *data, size_t len)
{
  unsigned char *o = (unsigned char *) out;
  put_le (o, len, 4);
  o[4] = (unsigned char) stream;
  o[5] = o[6] = o[7] = 0;
  put_le (o + 8, (uint64_t) time_ns, 8);
  memcpy (o + SK_LOCALLOG_HEAD, data, len);
  put_le (o + SK_LOCALLOG_HEAD + len, len, 4);
  return len + SK_LOCALLOG_OVERHEAD;
}

int
sk_locallog_next (FILE *f, char **buf, size_t *alloc, sk_log_record *rec)
{
  long at = ftell (f);
  unsigned char head[SK_LOCALLOG_HEAD];
  size_t got = fread (head, 1, sizeof head, f);
  if (got < sizeof head) {
    clearerr (f);
    fseek (f, at, SEEK_SET);
    return 0;
  }
  uint64_t n = get_le (head, 4);
  if (n > SK_JSONLOG_LINE_MAX || (head[4] != SK_LOG_STDOUT && head[4] != SK_LOG_STDERR) ||
      head[5] || head[6] || head[7]) {
    fseek (f, at, SEEK_SET);
    return -1;
  }
  if (*alloc < n + SK_LOCALLOG_TAIL) {
    char *b = realloc (*buf, n + SK_LOCALLOG_TAIL);
    if (b == NULL) {
      fseek (f, at, SEEK_SET);
      return -1;
    }
    *buf = b;
    *alloc = n + SK_LOCALLOG_TAIL;
  }
  got = fread (*buf, 1, n + SK_LOCALLOG_TAIL, f);
  if (got < n + SK_LOCALLOG_TAIL) {
    clearerr (f);
    fseek (f, at, SEEK_SET);
    return 0;
  }
  if (get_le ((unsigned char *) *buf + n, 4) != n) {
    fseek (f, at, SEEK_SET);
    return -1;
  }
  rec->stream = head[4];
  rec->time_ns = (int64_t) get_le (head + 8, 8);
  rec->data = *buf;
  rec->len = n;
  return 1;
}

long
sk_locallog_tail (FILE *f, size_t n, size_t *found)
{
  *found = 0;
  if (fseek (f, 0, SEEK_END) < 0)
    return -1;
  long pos = ftell (f);
  while (*found < n && pos > 0) {
    unsigned char len[SK_LOCALLOG_TAIL], head[SK_LOCALLOG_HEAD];
    if (pos < SK_LOCALLOG_OVERHEAD || fseek (f, pos - SK_LOCALLOG_TAIL, SEEK_SET) < 0 ||
        fread (len, 1, sizeof len, f) != sizeof len)
      return -1;
    uint64_t size = get_le (len, 4);
    if (size > SK_JSONLOG_LINE_MAX || (uint64_t) pos < size + SK_LOCALLOG_OVERHEAD)
      return -1;
    long start = pos - (long) size - SK_LOCALLOG_OVERHEAD;
    /* the head must say the same */
    if (fseek (f, start, SEEK_SET) < 0 || fread (head, 1, sizeof head, f) != sizeof head ||
        get_le (head, 4) != size)
      return -1;
    pos = start;
    (*found)++;
  }
  clearerr (f);
  return pos;
}

/* ---- time ---- */

static char *
put_digits (char *o, unsigned long v, int width, char after)
{
  for (int i = width - 1; i >= 0; i--, v /= 10)
    o[i] = (char) ('0' + v % 10);
  o += width;
  if (after)
    *o++ = after;
  return o;
}

void
sk_log_format_time (int64_t ns, char *buf)
{
  long long sec = ns / 1000000000, nsec = ns % 1000000000;
  if (nsec < 0)
    sec--, nsec += 1000000000;
  long long days = sec / 86400, secs = sec % 86400;
  if (secs < 0)
    days--, secs += 86400;
  /* the proleptic Gregorian date of a day count since 1970-01-01, by
   * 400-year eras starting on March 1st (leap days last) */
  long long z = days + 719468;
  long long era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned long doe = (unsigned long) (z - era * 146097);
  unsigned long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned long mp = (5 * doy + 2) / 153;
  unsigned long day = doy - (153 * mp + 2) / 5 + 1;
  unsigned long month = mp < 10 ? mp + 3 : mp - 9;
  long long year = (long long) yoe + era * 400 + (month <= 2);
  char *o = buf;
  o = put_digits (o, (unsigned long) year, 4, '-');
  o = put_digits (o, month, 2, '-');
  o = put_digits (o, day, 2, 'T');
  o = put_digits (o, (unsigned long) secs / 3600, 2, ':');
  o = put_digits (o, (unsigned long) secs / 60 % 60, 2, ':');
  o = put_digits (o, (unsigned long) secs % 60, 2, '.');
  o = put_digits (o, (unsigned long) nsec, 9, 'Z');
  *o = '\0';
}

static int
digits (const char *s, int n, long long *v)
{
  *v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    *v = *v * 10 + (s[i] - '0');
  }
  return 0;
}

int
sk_log_parse_time (const char *s, int64_t *ns)
{
  long long y, m, d, hh, mm, ss, frac;
  if (strlen (s) != 30 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':' || s[19] != '.' || s[29] != 'Z' || digits (s, 4, &y) < 0 ||
      digits (s + 5, 2, &m) < 0 || digits (s + 8, 2, &d) < 0 || digits (s + 11, 2, &hh) < 0 ||
      digits (s + 14, 2, &mm) < 0 || digits (s + 17, 2, &ss) < 0 || digits (s + 20, 9, &frac) < 0 ||
      m < 1 || m > 12 || d < 1 || d > 31)
    return -1;
  /* the day count of a date (the inverse of sk_log_format_time's) */
  y -= m <= 2;
  long long era = (y >= 0 ? y : y - 399) / 400;
  long long yoe = y - era * 400;
  long long doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  long long days = era * 146097 + doe - 719468;
  *ns = ((days * 86400 + hh * 3600 + mm * 60 + ss) * 1000000000LL) + frac;
  return 0;
}

/* ---- compression ---- */

/* path to path.gz, by way of a temporary file; 0 or -1 */
static int
gzip_file (const char *path)
{
  char gz[PATH_MAX], tmp[PATH_MAX];
  if (snprintf (gz, sizeof gz, "%s.gz", path) >= (int) sizeof gz ||
      snprintf (tmp, sizeof tmp, "%s.gz.tmp", path) >= (int) sizeof tmp)
    return -1;
  int in = open (path, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return -1;
  int out = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  gzFile z = out >= 0 ? gzdopen (out, "wb") : NULL;
  if (z == NULL) {
    if (out >= 0) {
      close (out);
      unlink (tmp);
    }
    close (in);
    return -1;
  }
  static char buf[65536];
  int ok = 1;
  for (;;) {
    ssize_t n = read (in, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      ok = n == 0;
      break;
    }
    if (gzwrite (z, buf, (unsigned) n) != (int) n) {
      ok = 0;
      break;
    }
  }
  close (in);
  if (gzclose (z) != Z_OK)
    ok = 0;
  if (!ok || rename (tmp, gz) < 0) {
    unlink (tmp);
    return -1;
  }
  unlink (path);
  return 0;
}

int
sk_log_compress (const char *path, int *done_fd, sk_err **err)
{
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return sk_err_set (err, errno, "pipe");
  pid_t pid = fork ();
  if (pid < 0) {
    int saved = errno;
    close (p[0]);
    close (p[1]);
    return sk_err_set (err, saved, "fork");
  }
  if (pid == 0) {
    /* the write end stays open until this process is gone; nothing else
     * of the shim's (the container's pipes, the attach socket) is held */
    if (p[1] > 3)
      close_range (3, (unsigned) p[1] - 1, 0);
    close_range ((unsigned) p[1] + 1, ~0U, 0);
    _exit (gzip_file (path) < 0 ? 1 : 0);
  }
  close (p[1]);
  *done_fd = p[0];
  return 0;
}

void
sk_log_compress_wait (int *done_fd)
{
  if (*done_fd < 0)
    return;
  char c;
  while (read (*done_fd, &c, 1) < 0 && errno == EINTR)
    ;
  close (*done_fd);
  *done_fd = -1;
}

/* ---- reading ---- */

static ssize_t
gz_read (void *cookie, char *buf, size_t size)
{
  unsigned n = size > INT_MAX ? INT_MAX : (unsigned) size;
  int r = gzread ((gzFile) cookie, buf, n);
  return r < 0 ? -1 : r;
}

/* rewinding (SEEK_SET) is done by zlib decompressing from the start */
static int
gz_seek (void *cookie, off64_t *offset, int whence)
{
  if (whence == SEEK_END) {
    errno = EINVAL;
    return -1;
  }
  z_off_t at = gzseek ((gzFile) cookie, (z_off_t) *offset, whence);
  if (at < 0)
    return -1;
  *offset = at;
  return 0;
}

static int
gz_close (void *cookie)
{
  return gzclose ((gzFile) cookie) == Z_OK ? 0 : -1;
}

FILE *
sk_log_open_any (const char *path)
{
  FILE *f = fopen (path, "re");
  if (f || errno != ENOENT)
    return f;
  char gz[PATH_MAX];
  if (snprintf (gz, sizeof gz, "%s.gz", path) >= (int) sizeof gz)
    return NULL;
  gzFile z = gzopen (gz, "rbe");
  if (z == NULL)
    return NULL;
  cookie_io_functions_t io = {.read = gz_read, .seek = gz_seek, .close = gz_close};
  f = fopencookie (z, "r", io);
  if (f == NULL)
    gzclose (z);
  return f;
}

int
sk_log_dir_open (const char *path)
{
  char dir[PATH_MAX];
  const char *slash = strrchr (path, '/');
  if (slash == NULL)
    return open (".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  size_t len = slash == path ? 1 : (size_t) (slash - path);
  if (len >= sizeof dir)
    return -1;
  memcpy (dir, path, len);
  dir[len] = '\0';
  return open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

void
sk_log_set_close (sk_log_set *set)
{
  for (size_t i = 0; i < set->n; i++)
    if (set->files[i])
      fclose (set->files[i]);
  free (set->files);
  set->files = NULL;
  set->n = 0;
}

/* Opens PATH.1, PATH.2, ... (plain or gzipped) until one is missing, then
 * PATH, into set, newest first. */
static int
open_files (const char *path, sk_log_set *set, sk_err **err)
{
  size_t alloc = 0;
  for (unsigned i = 1;; i++) {
    char name[PATH_MAX];
    if (snprintf (name, sizeof name, "%s.%u", path, i) >= (int) sizeof name)
      return sk_err_set (err, ENAMETOOLONG, "log `%s`", path);
    FILE *f = sk_log_open_any (name);
    if (f == NULL)
      break;
    if (set->n + 2 > alloc) {
      alloc = alloc ? 2 * alloc : 8;
      FILE **more = realloc (set->files, alloc * sizeof *more);
      if (more == NULL) {
        fclose (f);
        return sk_err_set (err, ENOMEM, "log `%s`", path);
      }
      set->files = more;
    }
    set->files[set->n++] = f;
  }
  if (set->files == NULL && (set->files = malloc (sizeof *set->files)) == NULL)
    return sk_err_set (err, ENOMEM, "log `%s`", path);
  set->files[set->n++] = fopen (path, "re");
  return 0;
}

int
sk_log_open_set (const char *path, sk_log_set *set, sk_err **err)
{
  set->files = NULL;
  set->n = 0;
  int dirfd = sk_log_dir_open (path);
  if (dirfd >= 0)
    while (flock (dirfd, LOCK_SH) < 0 && errno == EINTR)
      ;
  int r = open_files (path, set, err);
  if (dirfd >= 0)
    close (dirfd); /* and with it the flock */
  if (r < 0) {
    sk_log_set_close (set);
    return -1;
  }
  /* oldest first: the rotated ones reversed, the current one stays last */
  if (set->n > 2)
    for (size_t i = 0, j = set->n - 2; i < j; i++, j--) {
      FILE *t = set->files[i];
      set->files[i] = set->files[j];
      set->files[j] = t;
    }
  return 0;
}
