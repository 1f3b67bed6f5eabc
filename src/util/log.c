/* skiff: the one log handler; see log.h. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "strbuf.h"

static struct {
  int fd;
  bool json;
  sk_log_level max_level;
  sk_log_sink sink;
  void *sink_data;
} logger = {.fd = STDERR_FILENO, .max_level = SK_LOG_WARNING};

static const char *const level_names[] = {"error", "warning", "info", "debug"};

const char *
sk_log_level_name (sk_log_level level)
{
  return level <= SK_LOG_DEBUG ? level_names[level] : "unknown";
}

int
sk_log_open (const char *path, bool json, sk_log_level max_level, sk_err **err)
{
  logger.json = json;
  logger.max_level = max_level;
  if (max_level >= SK_LOG_DEBUG)
    sk_log_phase ("start");
  if (path == NULL || *path == '\0')
    return 0;
  int fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return sk_err_set (err, errno, "open log file `%s`", path);
  if (logger.fd != STDERR_FILENO)
    close (logger.fd);
  logger.fd = fd;
  return 0;
}

static struct timespec started;

void
sk_log_phase (const char *what)
{
  struct timespec now;
  clock_gettime (CLOCK_MONOTONIC, &now);
  if (started.tv_sec == 0)
    started = now;
  long us = (now.tv_sec - started.tv_sec) * 1000000L + (now.tv_nsec - started.tv_nsec) / 1000;
  sk_log (SK_LOG_DEBUG, "%s at %ld us (pid %d)", what, us, getpid ());
}

void
sk_log_set_sink (sk_log_sink sink, void *data)
{
  logger.sink = sink;
  logger.sink_data = data;
}

void
sk_log_set_level (sk_log_level max_level)
{
  logger.max_level = max_level;
}

sk_log_level
sk_log_get_level (void)
{
  return logger.max_level;
}

bool
sk_log_is_redirected (void)
{
  return logger.fd != STDERR_FILENO || logger.sink != NULL;
}

static void
write_all (int fd, const char *buf, size_t len)
{
  while (len > 0) {
    ssize_t n = write (fd, buf, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    buf += n;
    len -= (size_t) n;
  }
}

void
sk_log_write (sk_log_level level, const char *msg)
{
  if (logger.sink) {
    logger.sink (level, msg, logger.sink_data);
    return;
  }
  sk_strbuf b = SK_STRBUF_INIT;
  if (logger.json) {
    struct timespec ts;
    struct tm tm;
    char stamp[64];
    clock_gettime (CLOCK_REALTIME, &ts);
    gmtime_r (&ts.tv_sec, &tm);
    strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    sk_strbuf_printf (&b, "{\"level\":\"%s\",\"msg\":", sk_log_level_name (level));
    sk_strbuf_json_string (&b, msg);
    sk_strbuf_printf (&b, ",\"time\":\"%s.%09ldZ\"}\n", stamp, ts.tv_nsec);
  } else {
    sk_strbuf_printf (&b, "%s: %s\n", sk_log_level_name (level), msg);
  }
  if (b.buf)
    write_all (logger.fd, b.buf, b.len);
  sk_strbuf_release (&b);
}

void
sk_log (sk_log_level level, const char *fmt, ...)
{
  if (level > logger.max_level)
    return;
  int saved = errno;
  char *msg = NULL;
  va_list ap;
  va_start (ap, fmt);
  int r = vasprintf (&msg, fmt, ap);
  va_end (ap);
  if (r >= 0) {
    sk_log_write (level, msg);
    free (msg);
  }
  errno = saved;
}
