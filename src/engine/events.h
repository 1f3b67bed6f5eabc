/* skiff: the event log, docker's events as one JSON object a line.
 *
 * DATA_ROOT/events.log is appended to by every skiff command and every
 * shim: each event is one write() of one whole line to a descriptor opened
 * with O_APPEND, so lines of concurrent writers never interleave. A line has
 * the shape of the Engine API's event message:
 *   {"status":"start","id":"<id>","from":"<image>","Type":"container",
 *    "Action":"start","Actor":{"ID":"<id>","Attributes":{"image":"busybox",
 *    "name":"foo"}},"scope":"local","time":<seconds>,"timeNano":<ns>}
 * (status, id and from, docker's older fields, for containers only; from is
 * the image attribute). Formatted and escaped by hand, with no allocation
 * but one buffer, so that the shim can write it too.
 */
#ifndef SKIFF_ENGINE_EVENTS_H
#define SKIFF_ENGINE_EVENTS_H

#include <stddef.h>

#include "util/error.h"

/* DATA_ROOT's file name of the log */
#define SK_EVENTS_FILE "events.log"
/* at most this many attributes an event */
#define SK_EVENT_ATTRS_MAX 32

typedef struct sk_event_attr {
  const char *key, *value;
} sk_event_attr;

/* Appends one event: type ("container"), action ("start", "die"...), the
 * actor's id and its attributes (any order: they are written sorted, as
 * docker does; a NULL value is left out). */
int sk_event_append (const char *path, const char *type, const char *action, const char *id,
                     const sk_event_attr *attrs, size_t n, sk_err **err);

#endif
