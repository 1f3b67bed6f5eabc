/* skiff: a growable string buffer. */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
grow (sk_strbuf *b, size_t extra)
{
  if (b->len + extra + 1 <= b->alloc)
    return;
  size_t want = b->alloc ? b->alloc * 2 : 64;
  while (want < b->len + extra + 1)
    want *= 2;
  char *p = realloc (b->buf, want);
  if (p == NULL)
    abort ();
  b->buf = p;
  b->alloc = want;
}

void
sk_strbuf_add (sk_strbuf *b, const char *data, size_t len)
{
  grow (b, len);
  memcpy (b->buf + b->len, data, len);
  b->len += len;
  b->buf[b->len] = '\0';
}

void
sk_strbuf_puts (sk_strbuf *b, const char *s)
{
  sk_strbuf_add (b, s, strlen (s));
}

void
sk_strbuf_putc (sk_strbuf *b, char c)
{
  sk_strbuf_add (b, &c, 1);
}

void
sk_strbuf_printf (sk_strbuf *b, const char *fmt, ...)
{
  char small[256];
  va_list ap;
  va_start (ap, fmt);
  int n = vsnprintf (small, sizeof small, fmt, ap);
  va_end (ap);
  if (n < 0)
    return;
  if ((size_t) n < sizeof small) {
    sk_strbuf_add (b, small, (size_t) n);
    return;
  }
  grow (b, (size_t) n);
  va_start (ap, fmt);
  vsnprintf (b->buf + b->len, (size_t) n + 1, fmt, ap);
  va_end (ap);
  b->len += (size_t) n;
}

void
sk_strbuf_json_string (sk_strbuf *b, const char *s)
{
  sk_strbuf_putc (b, '"');
  for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
    switch (*p) {
    case '"': sk_strbuf_puts (b, "\\\""); break;
    case '\\': sk_strbuf_puts (b, "\\\\"); break;
    case '\n': sk_strbuf_puts (b, "\\n"); break;
    case '\r': sk_strbuf_puts (b, "\\r"); break;
    case '\t': sk_strbuf_puts (b, "\\t"); break;
    default:
      if (*p < 0x20)
        sk_strbuf_printf (b, "\\u%04x", *p);
      else
        sk_strbuf_putc (b, (char) *p);
    }
  }
  sk_strbuf_putc (b, '"');
}

char *
sk_strbuf_detach (sk_strbuf *b)
{
  char *r = b->buf ? b->buf : strdup ("");
  b->buf = NULL;
  b->len = b->alloc = 0;
  return r;
}

void
sk_strbuf_release (sk_strbuf *b)
{
  free (b->buf);
  b->buf = NULL;
  b->len = b->alloc = 0;
}
