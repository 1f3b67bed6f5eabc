/* skiff: the parts of a container's log that are not json-file's: skiff's
 * compact record format (the local driver), the gzip compression of rotated
 * files, and reading any file of a log, compressed or not.
 *
 * A local record, little-endian, no padding:
 *   u32 n        the length of the payload
 *   u8  stream   1 stdout, 2 stderr
 *   u8  flags    0 (reserved)
 *   u16 zero     0 (reserved)
 *   i64 time     nanoseconds since the epoch, UTC
 *   n bytes      the payload: the line as written, its \n included
 *   u32 n        the length again, to walk the file backwards
 * A reader trusts a record only if both lengths agree and it is whole.
 */
#ifndef SKIFF_ENGINE_LOGFILE_H
#define SKIFF_ENGINE_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/error.h"

#define SK_LOCALLOG_HEAD     16
#define SK_LOCALLOG_TAIL     4
#define SK_LOCALLOG_OVERHEAD (SK_LOCALLOG_HEAD + SK_LOCALLOG_TAIL)

enum { SK_LOG_STDOUT = 1, SK_LOG_STDERR = 2 };

/* Writes one local record to out (room for len + SK_LOCALLOG_OVERHEAD
 * bytes); its size. */
size_t sk_locallog_encode (char *out, int stream, int64_t time_ns, const char *data, size_t len);

typedef struct sk_log_record {
  int stream;      /* SK_LOG_STDOUT or SK_LOG_STDERR */
  int64_t time_ns; /* 0: unknown */
  char *data;      /* the payload, in the reader's buffer */
  size_t len;
} sk_log_record;

/* Reads the next local record of f into *buf (grown as needed).
 * 1: a record; 0: none whole yet, or -1: the file is damaged from here
 * (either way f is left where the record starts, to try again when more
 * is written). */
int sk_locallog_next (FILE *f, char **buf, size_t *alloc, sk_log_record *rec);

/* Walks a local log file backwards from its end by the trailing lengths:
 * the offset where its last n records start (0 when it holds n or fewer:
 * *found says how many), or -1 if a record on the way is not whole. */
long sk_locallog_tail (FILE *f, size_t n, size_t *found);

/* Time as written in json-file's records (RFC 3339, nanoseconds, UTC) to
 * and from nanoseconds since the epoch; parse returns -1 if s is not
 * exactly of that form. */
void sk_log_format_time (int64_t ns, char *buf);
int sk_log_parse_time (const char *s, int64_t *ns);

/* Compresses path to path.gz in a child process (the caller's memory is
 * not touched) and removes path when done; *done_fd: a descriptor that
 * reads end-of-file once the child is gone (for sk_log_compress_wait).
 * What cannot be compressed (a full disk) stays as it was. */
int sk_log_compress (const char *path, int *done_fd, sk_err **err);
/* Waits until the compression behind *done_fd ended; -1 to it. */
void sk_log_compress_wait (int *done_fd);

/* Opens one file of a log for reading: path itself or, if it is not
 * there, path.gz (decompressed as it is read, and seekable). NULL if
 * neither is. */
FILE *sk_log_open_any (const char *path);

/* The directory of the log at path, opened to be flocked (jsonlog.h);
 * -1 if it cannot be. */
int sk_log_dir_open (const char *path);

/* Every file of the log at path as it was at one moment (opened under the
 * shared flock of its directory, which rotation takes exclusively): the
 * rotated ones oldest first, then the current one, files[n - 1], which is
 * NULL if there is none. */
typedef struct sk_log_set {
  FILE **files;
  size_t n;
} sk_log_set;
int sk_log_open_set (const char *path, sk_log_set *set, sk_err **err);
/* Closes the files of the set still open (those not set to NULL). */
void sk_log_set_close (sk_log_set *set);

#endif
