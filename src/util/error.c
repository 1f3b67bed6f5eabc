/* skiff: error values; see error.h for the convention. */
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *format_message (int errnum, const char *fmt, va_list ap)
    __attribute__ ((format (printf, 2, 0)));

static char *
format_message (int errnum, const char *fmt, va_list ap)
{
  char *base = NULL, *msg = NULL;
  if (vasprintf (&base, fmt, ap) < 0)
    return NULL;
  if (errnum == 0)
    return base;
  if (asprintf (&msg, "%s: %s", base, strerror (errnum)) < 0)
    msg = NULL;
  free (base);
  return msg;
}

int
sk_err_vset (sk_err **err, int errnum, const char *fmt, va_list ap)
{
  if (err == NULL || *err != NULL)
    return -1;
  sk_err *e = calloc (1, sizeof *e);
  if (e == NULL)
    return -1;
  e->errnum = errnum;
  e->msg = format_message (errnum, fmt, ap);
  if (e->msg == NULL)
    e->msg = strdup ("out of memory");
  *err = e;
  return -1;
}

int
sk_err_set (sk_err **err, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  sk_err_vset (err, errnum, fmt, ap);
  va_end (ap);
  return -1;
}

int
sk_err_kind (sk_err **err, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  sk_err_vset (err, 0, fmt, ap);
  va_end (ap);
  if (err && *err)
    (*err)->errnum = errnum;
  return -1;
}

int
sk_err_wrap (sk_err **err, const char *fmt, ...)
{
  if (err == NULL || *err == NULL)
    return -1;
  char *prefix = NULL, *msg = NULL;
  va_list ap;
  va_start (ap, fmt);
  int r = vasprintf (&prefix, fmt, ap);
  va_end (ap);
  if (r < 0)
    return -1;
  if (asprintf (&msg, "%s: %s", prefix, (*err)->msg ? (*err)->msg : "") >= 0) {
    free ((*err)->msg);
    (*err)->msg = msg;
  }
  free (prefix);
  return -1;
}

void
sk_err_free (sk_err **err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}
