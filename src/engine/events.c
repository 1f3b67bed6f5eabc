/* skiff: appending to the event log (see events.h). */
#include "engine/events.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/jsonlog.h"
#include "util/cleanup.h"

/* "text" escaped, at o; the end. */
static char *
put_string (char *o, const char *s)
{
  *o++ = '"';
  o += sk_jsonlog_escape (s, strlen (s), o);
  *o++ = '"';
  return o;
}

/* the attributes with a value, sorted by key (docker prints maps so) */
static size_t
sorted_attrs (const sk_event_attr *attrs, size_t n, const sk_event_attr **out)
{
  size_t k = 0;
  for (size_t i = 0; i < n && k < SK_EVENT_ATTRS_MAX; i++) {
    if (attrs[i].key == NULL || attrs[i].value == NULL)
      continue;
    size_t j = k++;
    for (; j > 0 && strcmp (out[j - 1]->key, attrs[i].key) > 0; j--)
      out[j] = out[j - 1];
    out[j] = &attrs[i];
  }
  return k;
}

/* The line, into buf (large enough: see sk_event_append). */
static size_t
format_event (char *buf, const char *type, const char *action, const char *id,
              const sk_event_attr *const *attrs, size_t n)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  bool container = strcmp (type, "container") == 0;
  const char *from = NULL;
  for (size_t i = 0; i < n; i++)
    if (strcmp (attrs[i]->key, "image") == 0)
      from = attrs[i]->value;
  char *o = buf;
  *o++ = '{';
  if (container) {
    o = put_string (stpcpy (o, "\"status\":"), action);
    o = put_string (stpcpy (o, ",\"id\":"), id);
    if (from)
      o = put_string (stpcpy (o, ",\"from\":"), from);
    *o++ = ',';
  }
  o = put_string (stpcpy (o, "\"Type\":"), type);
  o = put_string (stpcpy (o, ",\"Action\":"), action);
  o = put_string (stpcpy (o, ",\"Actor\":{\"ID\":"), id);
  o = stpcpy (o, ",\"Attributes\":{");
  for (size_t i = 0; i < n; i++) {
    if (i)
      *o++ = ',';
    o = put_string (o, attrs[i]->key);
    *o++ = ':';
    o = put_string (o, attrs[i]->value);
  }
  o += sprintf (o, "}},\"scope\":\"local\",\"time\":%lld,\"timeNano\":%lld}\n",
                (long long) ts.tv_sec, (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec);
  return (size_t) (o - buf);
}

int
sk_event_append (const char *path, const char *type, const char *action, const char *id,
                 const sk_event_attr *attrs, size_t n, sk_err **err)
{
  const sk_event_attr *sorted[SK_EVENT_ATTRS_MAX];
  size_t k = sorted_attrs (attrs, n, sorted);
  /* each string at most 6 bytes a byte escaped, plus its quotes and comma */
  size_t size = 256 + 6 * (2 * strlen (action) + 2 * strlen (id) + strlen (type));
  for (size_t i = 0; i < k; i++)
    size += 6 * (strlen (sorted[i]->key) + 2 * strlen (sorted[i]->value)) + 8;
  _cleanup_free_ char *buf = malloc (size);
  if (buf == NULL)
    return sk_err_set (err, ENOMEM, "event");
  size_t len = format_event (buf, type, action, id, sorted, k);
  _cleanup_close_ int fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return sk_err_set (err, errno, "open `%s`", path);
  /* one write: appended whole, never interleaved with another writer's */
  ssize_t w = write (fd, buf, len);
  if (w < 0)
    return sk_err_set (err, errno, "write `%s`", path);
  if ((size_t) w != len)
    return sk_err_set (err, EIO, "write `%s`: short write", path);
  return 0;
}
