/* skiff: error values.
 *
 * The convention, used by every fallible function in libskiff:
 *   - it takes `sk_err **err` as its last parameter;
 *   - on failure it returns a negative value and sets *err (only if *err was NULL);
 *   - on success it returns >= 0 and leaves *err untouched.
 * `return sk_err_set (err, errno, "open `%s`", path);` creates and returns in one
 * statement. Callers add context with sk_err_wrap. Only main() turns an error into
 * a message and an exit status; nothing in the library calls exit().
 */
#ifndef SKIFF_UTIL_ERROR_H
#define SKIFF_UTIL_ERROR_H

#include <stdarg.h>

typedef struct sk_err {
  int errnum; /* errno value, or 0 when the cause is not a system error */
  char *msg;  /* the whole one-line message, cause included */
} sk_err;

/* Sets *err to "<fmt>: <strerror(errnum)>" (or just "<fmt>" when errnum is 0).
 * Returns -1, so that `return sk_err_set (...)` is one statement. */
int sk_err_set (sk_err **err, int errnum, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
int sk_err_vset (sk_err **err, int errnum, const char *fmt, va_list ap)
    __attribute__ ((format (printf, 3, 0)));

/* Sets *err to "<fmt>" alone, with errnum as its kind (for callers to
 * test; docker's own messages carry no strerror). Returns -1. */
int sk_err_kind (sk_err **err, int errnum, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

/* Prepends "<fmt>: " to the message of *err. Returns -1. */
int sk_err_wrap (sk_err **err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Frees an error and sets the pointer to NULL. */
void sk_err_free (sk_err **err);

#define _cleanup_err_ __attribute__ ((cleanup (sk_err_free)))

#endif
