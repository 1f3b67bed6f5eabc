/* skiff: a thin wrapper over json-c; see json.h. */
#include "json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fs.h"
#include "strbuf.h"

static void
offset_to_line_col (const char *data, size_t off, int *line, int *col)
{
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < off && data[i]; i++) {
    if (data[i] == '\n') {
      (*line)++;
      *col = 1;
    } else {
      (*col)++;
    }
  }
}

int
sk_json_parse (const char *data, size_t len, const char *what, sk_json **out, sk_err **err)
{
  if (len > SK_JSON_MAX_SIZE)
    return sk_err_set (err, 0, "%s: document too large (%zu bytes, at most %u)", what, len,
                       SK_JSON_MAX_SIZE);
  json_tokener *tok = json_tokener_new_ex (SK_JSON_MAX_DEPTH);
  if (tok == NULL)
    return sk_err_set (err, ENOMEM, "%s", what);
  sk_json *obj = json_tokener_parse_ex (tok, data, (int) len);
  enum json_tokener_error jerr = json_tokener_get_error (tok);
  size_t off = json_tokener_get_parse_end (tok);
  json_tokener_free (tok);
  if (jerr == json_tokener_continue && obj == NULL)
    return sk_err_set (err, 0, "%s: invalid JSON: unexpected end of input", what);
  if (obj == NULL || jerr != json_tokener_success) {
    int line, col;
    offset_to_line_col (data, off, &line, &col);
    if (obj)
      json_object_put (obj);
    return sk_err_set (err, 0, "%s: invalid JSON at line %d column %d: %s", what, line, col,
                       json_tokener_error_desc (jerr));
  }
  /* Anything but white space after the value is an error too. */
  for (size_t i = off; i < len; i++) {
    if (data[i] != ' ' && data[i] != '\n' && data[i] != '\t' && data[i] != '\r') {
      int line, col;
      offset_to_line_col (data, i, &line, &col);
      json_object_put (obj);
      return sk_err_set (err, 0, "%s: invalid JSON at line %d column %d: trailing data", what, line,
                         col);
    }
  }
  *out = obj;
  return 0;
}

int
sk_json_parse_file (const char *path, const char *what, sk_json **out, sk_err **err)
{
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  if (sk_read_file (path, &data, &len, err) < 0)
    return -1;
  return sk_json_parse (data, len, what ? what : path, out, err);
}

char *
sk_json_dump (sk_json *obj, bool pretty)
{
  int flags = JSON_C_TO_STRING_NOSLASHESCAPE | (pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN);
  const char *s = json_object_to_json_string_ext (obj, flags);
  return strdup (s ? s : "null");
}

const char *
sk_json_type_name (sk_json *obj)
{
  switch (json_object_get_type (obj)) {
  case json_type_null: return "null";
  case json_type_boolean: return "a boolean";
  case json_type_double: return "a number";
  case json_type_int: return "an integer";
  case json_type_object: return "an object";
  case json_type_array: return "an array";
  case json_type_string: return "a string";
  }
  return "something else";
}

static void
path_append (const sk_jr *r, sk_strbuf *b)
{
  if (r == NULL)
    return;
  path_append (r->parent, b);
  if (r->key) {
    if (b->len)
      sk_strbuf_putc (b, '.');
    sk_strbuf_puts (b, r->key);
  } else if (r->parent) {
    sk_strbuf_printf (b, "[%zu]", r->index);
  }
}

const char *
sk_jr_path (const sk_jr *r, char *buf, size_t size)
{
  sk_strbuf b = SK_STRBUF_INIT;
  path_append (r, &b);
  snprintf (buf, size, "%s", b.buf ? b.buf : "(document)");
  sk_strbuf_release (&b);
  return buf;
}

int
sk_jr_fail (const sk_jr *r, sk_err **err, const char *fmt, ...)
{
  char path[512];
  _cleanup_free_ char *msg = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  if (r->parent == NULL)
    return sk_err_set (err, 0, "%s", msg ? msg : "");
  return sk_err_set (err, 0, "%s: %s", sk_jr_path (r, path, sizeof path), msg ? msg : "");
}

sk_jr
sk_jr_member (const sk_jr *r, const char *key)
{
  sk_jr c = {.parent = r, .key = key, .obj = NULL};
  sk_json *v = NULL;
  if (r->obj && json_object_is_type (r->obj, json_type_object) &&
      json_object_object_get_ex (r->obj, key, &v))
    c.obj = v;
  return c;
}

sk_jr
sk_jr_element (const sk_jr *r, size_t index)
{
  sk_jr c = {.parent = r, .key = NULL, .index = index, .obj = NULL};
  if (r->obj && json_object_is_type (r->obj, json_type_array))
    c.obj = json_object_array_get_idx (r->obj, index);
  return c;
}

static int
expect (const sk_jr *r, json_type type, const char *name, sk_err **err)
{
  if (r->obj == NULL)
    return 0;
  if (!json_object_is_type (r->obj, type))
    return sk_jr_fail (r, err, "expected %s, got %s", name, sk_json_type_name (r->obj));
  return 1;
}

/* A copy of the string r->obj; JSON allows a NUL in a string (\u0000), a C
 * string would end there, so such a string is refused. */
static char *
dup_string (const sk_jr *r, sk_err **err)
{
  const char *s = json_object_get_string (r->obj);
  if (strlen (s) != (size_t) json_object_get_string_len (r->obj)) {
    sk_jr_fail (r, err, "contains a NUL character");
    return NULL;
  }
  char *copy = strdup (s);
  if (copy == NULL)
    sk_err_set (err, ENOMEM, "strdup");
  return copy;
}

int
sk_jr_string (const sk_jr *r, char **out, sk_err **err)
{
  int ret = expect (r, json_type_string, "a string", err);
  if (ret <= 0)
    return ret;
  char *s = dup_string (r, err);
  if (s == NULL)
    return -1;
  free (*out);
  *out = s;
  return 1;
}

int
sk_jr_bool (const sk_jr *r, bool *out, sk_err **err)
{
  int ret = expect (r, json_type_boolean, "a boolean", err);
  if (ret <= 0)
    return ret;
  *out = json_object_get_boolean (r->obj);
  return 1;
}

/* Integers: json-c keeps int64 and uint64 apart; a double with a fraction is refused. */
static int
read_integer (const sk_jr *r, bool *negative, uint64_t *mag, sk_err **err)
{
  if (r->obj == NULL)
    return 0;
  if (json_object_is_type (r->obj, json_type_int)) {
    errno = 0;
    int64_t v = json_object_get_int64 (r->obj);
    if (v >= 0) {
      *negative = false;
      *mag = (v == INT64_MAX) ? json_object_get_uint64 (r->obj) : (uint64_t) v;
    } else {
      *negative = true;
      *mag = (uint64_t) (-(v + 1)) + 1;
    }
    return 1;
  }
  if (json_object_is_type (r->obj, json_type_double)) {
    double d = json_object_get_double (r->obj);
    /* converting a value the integer cannot hold is undefined: NaN, the
     * infinities and whatever lies beyond 2^64 are refused first */
    if (d != d)
      return sk_jr_fail (r, err, "expected an integer, got %g", d);
    if (d <= -0x1p64 || d >= 0x1p64)
      return sk_jr_fail (r, err, "integer out of range");
    double m = d < 0 ? -d : d;
    if (m != (double) (uint64_t) m)
      return sk_jr_fail (r, err, "expected an integer, got %g", d);
    *negative = d < 0;
    *mag = (uint64_t) m;
    return 1;
  }
  return sk_jr_fail (r, err, "expected an integer, got %s", sk_json_type_name (r->obj));
}

int
sk_jr_int64 (const sk_jr *r, int64_t *out, sk_err **err)
{
  bool neg = false;
  uint64_t mag = 0;
  int ret = read_integer (r, &neg, &mag, err);
  if (ret <= 0)
    return ret;
  if ((!neg && mag > INT64_MAX) || (neg && mag > (uint64_t) INT64_MAX + 1))
    return sk_jr_fail (r, err, "integer out of range");
  *out = neg ? (int64_t) (0 - mag) : (int64_t) mag;
  return 1;
}

int
sk_jr_uint64 (const sk_jr *r, uint64_t *out, sk_err **err)
{
  bool neg = false;
  uint64_t mag = 0;
  int ret = read_integer (r, &neg, &mag, err);
  if (ret <= 0)
    return ret;
  if (neg)
    return sk_jr_fail (r, err, "expected a non-negative integer");
  *out = mag;
  return 1;
}

int
sk_jr_uint32 (const sk_jr *r, uint32_t *out, sk_err **err)
{
  uint64_t v;
  int ret = sk_jr_uint64 (r, &v, err);
  if (ret <= 0)
    return ret;
  if (v > UINT32_MAX)
    return sk_jr_fail (r, err, "integer out of range");
  *out = (uint32_t) v;
  return 1;
}

int
sk_jr_int32 (const sk_jr *r, int32_t *out, sk_err **err)
{
  int64_t v;
  int ret = sk_jr_int64 (r, &v, err);
  if (ret <= 0)
    return ret;
  if (v > INT32_MAX || v < INT32_MIN)
    return sk_jr_fail (r, err, "integer out of range");
  *out = (int32_t) v;
  return 1;
}

int
sk_jr_object (const sk_jr *r, sk_err **err)
{
  return expect (r, json_type_object, "an object", err);
}

int
sk_jr_array (const sk_jr *r, size_t *len, sk_err **err)
{
  int ret = expect (r, json_type_array, "an array", err);
  if (ret > 0)
    *len = json_object_array_length (r->obj);
  return ret;
}

int
sk_jr_strv (const sk_jr *r, char ***out, sk_err **err)
{
  size_t n = 0;
  int ret = sk_jr_array (r, &n, err);
  if (ret <= 0)
    return ret;
  _cleanup_strv_ char **v = calloc (n + 1, sizeof *v);
  if (v == NULL)
    return sk_err_set (err, ENOMEM, "calloc");
  for (size_t i = 0; i < n; i++) {
    sk_jr e = sk_jr_element (r, i);
    if (e.obj == NULL || !json_object_is_type (e.obj, json_type_string))
      return sk_jr_fail (&e, err, "expected a string, got %s", sk_json_type_name (e.obj));
    v[i] = dup_string (&e, err);
    if (v[i] == NULL)
      return -1;
  }
  sk_strv_free (*out);
  *out = steal_ptr (v);
  return 1;
}

int
sk_jr_string_map (const sk_jr *r, char ***keys, char ***values, sk_err **err)
{
  int ret = sk_jr_object (r, err);
  if (ret <= 0)
    return ret;
  size_t n = (size_t) json_object_object_length (r->obj);
  _cleanup_strv_ char **k = calloc (n + 1, sizeof *k);
  _cleanup_strv_ char **v = calloc (n + 1, sizeof *v);
  if (k == NULL || v == NULL)
    return sk_err_set (err, ENOMEM, "calloc");
  size_t i = 0;
  json_object_object_foreach (r->obj, key, val)
  {
    sk_jr e = {.parent = r, .key = key, .obj = val};
    if (val == NULL || !json_object_is_type (val, json_type_string))
      return sk_jr_fail (&e, err, "expected a string, got %s", sk_json_type_name (val));
    v[i] = dup_string (&e, err);
    if (v[i] == NULL)
      return -1;
    k[i] = strdup (key);
    if (k[i] == NULL)
      return sk_err_set (err, ENOMEM, "strdup");
    i++;
  }
  sk_strv_free (*keys);
  sk_strv_free (*values);
  *keys = steal_ptr (k);
  *values = steal_ptr (v);
  return 1;
}
