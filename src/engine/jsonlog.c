/* skiff: Docker's json-file log writer (see jsonlog.h). */
#include "engine/jsonlog.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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
sk_jsonlog_time (char *buf)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  long long days = ts.tv_sec / 86400, secs = ts.tv_sec % 86400;
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
  o = put_digits (o, (unsigned long) ts.tv_nsec, 9, 'Z');
  *o = '\0';
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
                 sk_err **err)
{
  l->path = path;
  l->max_size = max_size;
  l->max_file = max_file ? max_file : 1;
  l->len = 0;
  return open_log (l, err);
}

static int
write_all (sk_jsonlog *l, const char *p, size_t n, sk_err **err)
{
  while (n > 0) {
    ssize_t w = write (l->fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return sk_err_set (err, errno, "write log `%s`", l->path);
    p += w;
    n -= (size_t) w;
  }
  return 0;
}

/* PATH.(i-1) -> PATH.i down to PATH -> PATH.1, or PATH emptied when one file is kept */
static int
rotate (sk_jsonlog *l, sk_err **err)
{
  if (l->max_file <= 1) {
    if (ftruncate (l->fd, 0) < 0)
      return sk_err_set (err, errno, "truncate log `%s`", l->path);
    l->size = 0;
    return 0;
  }
  char from[PATH_MAX], to[PATH_MAX];
  for (unsigned i = l->max_file - 1; i >= 1; i--) {
    if (i == 1)
      snprintf (from, sizeof from, "%s", l->path);
    else
      snprintf (from, sizeof from, "%s.%u", l->path, i - 1);
    snprintf (to, sizeof to, "%s.%u", l->path, i);
    if (rename (from, to) < 0 && errno != ENOENT)
      return sk_err_set (err, errno, "rotate log `%s`", from);
  }
  close (l->fd);
  return open_log (l, err);
}

int
sk_jsonlog_flush (sk_jsonlog *l, sk_err **err)
{
  int r = write_all (l, l->buf, l->len, err);
  l->len = 0; /* what could not be written is dropped: the reader must go on */
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
  o = put_str (o, "{\"log\":\"");
  o += sk_jsonlog_escape (data, len, o);
  o = put_str (o, "\",\"stream\":\"");
  o = put_str (o, stream);
  o = put_str (o, "\",\"time\":\"");
  o = put_str (o, time);
  o = put_str (o, "\"}\n");
  size_t rec = (size_t) (o - start);
  if (l->max_size && l->size > 0 && l->size + rec > l->max_size) {
    /* what came before goes to the current file, this record to the next */
    int r = write_all (l, l->buf, l->len, err);
    if (r == 0)
      r = rotate (l, err);
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
  if (l->fd >= 0)
    close (l->fd);
  l->fd = -1;
  return r;
}
