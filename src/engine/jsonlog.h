/* skiff: a container's output as Docker's json-file log.
 *
 * One JSON object per line, {"log":"...","stream":"stdout","time":"..."},
 * escaped by hand (no allocation per record): quotes, backslashes, control
 * characters, <, > and &, U+2028 and U+2029, and every byte of invalid UTF-8
 * as \ufffd. With a maximum size, the file is rotated before a record would
 * make it larger: PATH -> PATH.1 -> ... keeping max_file files in all (one:
 * the file is emptied instead). Records are buffered; sk_jsonlog_flush
 * writes them out. A write that fails (a full disk) is undone: the file is
 * cut back to its last whole record and what was buffered is dropped.
 *
 * Rotation holds the flock of the log's directory exclusively while it
 * renames the files; readers take it shared while they open them
 * (sk_log_open_set), so that what they open is the log of one moment and
 * none of its files is missed. A reader that holds it for long only
 * delays the rotation: the file grows on, to twice its maximum size, when
 * it is rotated all the same.
 *
 * The same writer keeps the local driver's log, in skiff's compact format
 * (logfile.h), and with compress, gzips each file it rotates out (PATH.1 ->
 * PATH.1.gz) in a child process.
 */
#ifndef SKIFF_ENGINE_JSONLOG_H
#define SKIFF_ENGINE_JSONLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Docker's longest record: a longer line is cut into records of this size */
#define SK_JSONLOG_LINE_MAX 16384
/* the largest record: every byte escaped as \uXXXX, plus the fields */
#define SK_JSONLOG_RECORD_MAX (6 * SK_JSONLOG_LINE_MAX + 128)

typedef struct sk_jsonlog {
  const char *path;
  int fd;
  int dirfd;         /* the log's directory, flocked while rotating, or -1 */
  uint64_t size;     /* of the current file, buffered records included */
  uint64_t max_size; /* 0: no rotation */
  unsigned max_file; /* files kept in all, the current one included */
  bool local;        /* skiff's compact format (logfile.h), not JSON */
  bool compress;     /* gzip the files rotated out */
  int compressing;   /* done_fd of the compression under way, or -1 */
  size_t len;        /* buffered bytes */
  char buf[SK_JSONLOG_RECORD_MAX + 32768];
} sk_jsonlog;

/* Opens (appends to) path; the struct is large: make it static. */
int sk_jsonlog_open (sk_jsonlog *l, const char *path, uint64_t max_size, unsigned max_file,
                     bool local, bool compress, sk_err **err);
/* Adds one record of len bytes (at most SK_JSONLOG_LINE_MAX, its \n
 * included if it has one); stream is "stdout" or "stderr", time RFC 3339. */
int sk_jsonlog_add (sk_jsonlog *l, const char *stream, const char *data, size_t len,
                    const char *time, sk_err **err);
int sk_jsonlog_flush (sk_jsonlog *l, sk_err **err);
/* Flushes and closes (after the compression under way). */
int sk_jsonlog_close (sk_jsonlog *l, sk_err **err);

/* The current time as RFC 3339 with nanoseconds, UTC, into buf (at least
 * SK_JSONLOG_TIME_SIZE bytes); no locale, time zone or stdio code, which the
 * log loop would otherwise keep resident. */
#define SK_JSONLOG_TIME_SIZE 32
void sk_jsonlog_time (char *buf);

/* Writes data as the inside of a JSON string (no quotes) to out, which has
 * room for 6 * len bytes; returns the length written. */
size_t sk_jsonlog_escape (const char *data, size_t len, char *out);

#endif
