/* skiff: a thin wrapper over json-c.
 *
 * Parsing reports the position of a syntax error; the typed readers report the
 * dotted path of a value of the wrong type ("process.args[2]: expected a
 * string, got a number"), so a broken config.json names what is wrong.
 */
#ifndef SKIFF_UTIL_JSON_H
#define SKIFF_UTIL_JSON_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct json_object sk_json;

/* What sk_json_parse accepts, so that a document cannot take the stack or the
 * memory: json-c recurses once per level of nesting, and its values cost up
 * to a few hundred bytes per byte of input (an array of empty objects). A
 * config.json is some tens of kilobytes. */
#define SK_JSON_MAX_DEPTH 32
#define SK_JSON_MAX_SIZE  (4u << 20)

/* `what` names the document in messages (a file name, "--resources"). */
int sk_json_parse (const char *data, size_t len, const char *what, sk_json **out, sk_err **err);
int sk_json_parse_file (const char *path, const char *what, sk_json **out, sk_err **err);
/* Serialises (compact, slashes unescaped); the result is owned by the caller. */
char *sk_json_dump (sk_json *obj, bool pretty);

static inline void
sk_json_putp (sk_json **p)
{
  if (*p)
    json_object_put (*p);
}
#define _cleanup_json_ __attribute__ ((cleanup (sk_json_putp)))

/* The reader: a cursor that knows its path. */
typedef struct sk_jr {
  const struct sk_jr *parent;
  const char *key; /* member name, or NULL for an array element */
  size_t index;
  sk_json *obj;
} sk_jr;

/* Writes the dotted path of r into buf ("linux.resources.memory.limit"). */
const char *sk_jr_path (const sk_jr *r, char *buf, size_t size);
const char *sk_json_type_name (sk_json *obj);
/* "<path>: <message>", returns -1. */
int sk_jr_fail (const sk_jr *r, sk_err **err, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* A child cursor for a member (obj NULL when the member is absent or null). */
sk_jr sk_jr_member (const sk_jr *r, const char *key);
sk_jr sk_jr_element (const sk_jr *r, size_t index);

/* Each returns 0 when absent (leaving *out unchanged), 1 when set, <0 on a type error. */
int sk_jr_string (const sk_jr *r, char **out, sk_err **err);
int sk_jr_bool (const sk_jr *r, bool *out, sk_err **err);
int sk_jr_int64 (const sk_jr *r, int64_t *out, sk_err **err);
int sk_jr_uint64 (const sk_jr *r, uint64_t *out, sk_err **err);
int sk_jr_uint32 (const sk_jr *r, uint32_t *out, sk_err **err);
int sk_jr_int32 (const sk_jr *r, int32_t *out, sk_err **err);
/* A NULL-terminated array of strings. */
int sk_jr_strv (const sk_jr *r, char ***out, sk_err **err);
/* Checks the kind; returns 0 when absent, 1 when of that kind. */
int sk_jr_object (const sk_jr *r, sk_err **err);
int sk_jr_array (const sk_jr *r, size_t *len, sk_err **err);
/* An object whose values are all strings, as parallel NULL-terminated arrays. */
int sk_jr_string_map (const sk_jr *r, char ***keys, char ***values, sk_err **err);

#endif
