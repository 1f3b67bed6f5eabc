/* skiff: the one log handler.
 *
 * Messages go to stderr by default, or to a file (runc's --log), as text or as
 * JSON lines ({"level":..,"msg":..,"time":..}), which is what containerd and
 * podman read back. A process may install its own sink (the container's child
 * forwards its messages to the parent over the sync socket).
 */
#ifndef SKIFF_UTIL_LOG_H
#define SKIFF_UTIL_LOG_H

#include <stdbool.h>

#include "error.h"

typedef enum sk_log_level {
  SK_LOG_ERROR = 0,
  SK_LOG_WARNING = 1,
  SK_LOG_INFO = 2,
  SK_LOG_DEBUG = 3,
} sk_log_level;

typedef void (*sk_log_sink) (sk_log_level level, const char *msg, void *data);

/* path NULL: stderr. Returns <0 when the file cannot be opened. */
int sk_log_open (const char *path, bool json, sk_log_level max_level, sk_err **err);
void sk_log_set_sink (sk_log_sink sink, void *data);
void sk_log_set_level (sk_log_level max_level);
sk_log_level sk_log_get_level (void);
/* true when messages go somewhere other than stderr */
bool sk_log_is_redirected (void);
const char *sk_log_level_name (sk_log_level level);

void sk_log (sk_log_level level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* Writes the message to the sink (whatever the level filter); used for the
 * error that ends a command. */
void sk_log_write (sk_log_level level, const char *msg);

#define sk_error(...)   sk_log (SK_LOG_ERROR, __VA_ARGS__)
#define sk_warning(...) sk_log (SK_LOG_WARNING, __VA_ARGS__)
#define sk_info(...)    sk_log (SK_LOG_INFO, __VA_ARGS__)
#define sk_debug(...)                                                                              \
  do {                                                                                             \
    if (sk_log_get_level () >= SK_LOG_DEBUG)                                                       \
      sk_log (SK_LOG_DEBUG, __VA_ARGS__);                                                          \
  } while (0)

/* With --debug: "<what> at <µs since the runtime started>", for finding where time goes. */
void sk_log_phase (const char *what);
#define sk_debug_phase(what)                                                                       \
  do {                                                                                             \
    if (sk_log_get_level () >= SK_LOG_DEBUG)                                                       \
      sk_log_phase (what);                                                                         \
  } while (0)

#endif
