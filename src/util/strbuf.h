/* skiff: a growable string buffer (git's strbuf, in spirit). */
#ifndef SKIFF_UTIL_STRBUF_H
#define SKIFF_UTIL_STRBUF_H

#include <stddef.h>

typedef struct sk_strbuf {
  char *buf; /* NUL-terminated once anything was added; NULL before */
  size_t len;
  size_t alloc;
} sk_strbuf;

#define SK_STRBUF_INIT {NULL, 0, 0}

void sk_strbuf_add (sk_strbuf *b, const char *data, size_t len);
void sk_strbuf_puts (sk_strbuf *b, const char *s);
void sk_strbuf_putc (sk_strbuf *b, char c);
void sk_strbuf_printf (sk_strbuf *b, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* Appends s as a quoted, escaped JSON string. */
void sk_strbuf_json_string (sk_strbuf *b, const char *s);
/* Returns the buffer (never NULL) and resets b. */
char *sk_strbuf_detach (sk_strbuf *b);
void sk_strbuf_release (sk_strbuf *b);

static inline void
sk_strbuf_releasep (sk_strbuf *b)
{
  sk_strbuf_release (b);
}
#define _cleanup_strbuf_ __attribute__ ((cleanup (sk_strbuf_releasep)))

#endif
