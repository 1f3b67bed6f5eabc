/* skiff: --format, as docker reads it: a Go template of {{.Field}},
 * {{.A.B}} and {{json .X}} actions over each row, "\t" and "\n" taken as
 * tab and newline, and a "table" prefix for aligned columns under a header
 * (docker's tabwriter: columns at least 10 wide, 3 spaces between). Only
 * these actions exist here; anything else is a clear error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/strbuf.h"

/* A value as Go's text/template prints it. */
static void
print_value (sk_strbuf *b, sk_json *v)
{
  if (v == NULL) {
    sk_strbuf_puts (b, "<no value>");
    return;
  }
  switch (json_object_get_type (v)) {
  case json_type_string:
    sk_strbuf_puts (b, json_object_get_string (v));
    break;
  case json_type_array:
    sk_strbuf_putc (b, '[');
    for (size_t i = 0; i < json_object_array_length (v); i++) {
      if (i)
        sk_strbuf_putc (b, ' ');
      print_value (b, json_object_array_get_idx (v, i));
    }
    sk_strbuf_putc (b, ']');
    break;
  case json_type_object: {
    sk_strbuf_puts (b, "map[");
    bool first = true;
    json_object_object_foreach (v, k, val)
    {
      if (!first)
        sk_strbuf_putc (b, ' ');
      first = false;
      sk_strbuf_printf (b, "%s:", k);
      print_value (b, val);
    }
    sk_strbuf_putc (b, ']');
    break;
  }
  case json_type_null:
    sk_strbuf_puts (b, "<nil>");
    break;
  default:
    sk_strbuf_puts (b, json_object_to_json_string_ext (v, JSON_C_TO_STRING_PLAIN));
  }
}

/* ".A.B" in obj; "." is obj itself. */
static int
lookup (sk_json *obj, const char *path, sk_json **out, sk_err **err)
{
  if (path[0] != '.')
    return sk_err_set (err, 0, "template: `%s` is not a field (like .ID)", path);
  sk_json *cur = obj;
  const char *p = path + 1;
  while (*p) {
    size_t n = strcspn (p, ".");
    char key[128];
    if (n == 0 || n >= sizeof key)
      return sk_err_set (err, 0, "template: bad field `%s`", path);
    memcpy (key, p, n);
    key[n] = '\0';
    if (cur == NULL || !json_object_is_type (cur, json_type_object))
      return sk_err_set (err, 0, "template: can't evaluate field %s", key);
    sk_json *next = NULL;
    if (!json_object_object_get_ex (cur, key, &next)) {
      if (cur == obj)
        return sk_err_set (err, 0, "template: can't evaluate field %s", key);
      next = NULL; /* a missing key of a map: <no value> */
    }
    cur = next;
    p += n;
    if (*p == '.')
      p++;
  }
  *out = cur;
  return 0;
}

static int
render (const char *tmpl, sk_json *row, const sk_cli_column *headers, sk_strbuf *b, sk_err **err)
{
  const char *p = tmpl;
  while (*p) {
    const char *open = strstr (p, "{{");
    if (open == NULL) {
      sk_strbuf_puts (b, p);
      break;
    }
    sk_strbuf_add (b, p, open - p);
    const char *close = strstr (open + 2, "}}");
    if (close == NULL)
      return sk_err_set (err, 0, "template: unclosed action");
    char action[256];
    size_t n = close - open - 2;
    if (n >= sizeof action)
      return sk_err_set (err, 0, "template: action too long");
    memcpy (action, open + 2, n);
    action[n] = '\0';
    char *a = action;
    while (*a == ' ')
      a++;
    for (char *e = a + strlen (a); e > a && e[-1] == ' ';)
      *--e = '\0';
    bool as_json = strncmp (a, "json ", 5) == 0;
    if (as_json)
      for (a += 5; *a == ' '; a++)
        ;
    if (headers) {
      /* the header row: the column's name instead of its value */
      const char *name = NULL;
      for (const sk_cli_column *h = headers; h->field; h++)
        if (a[0] == '.' && strcmp (a + 1, h->field) == 0)
          name = h->header;
      if (name)
        sk_strbuf_puts (b, name);
      else
        for (const char *c = a[0] == '.' ? a + 1 : a; *c; c++)
          sk_strbuf_putc (b, (char) (*c >= 'a' && *c <= 'z' ? *c - 32 : *c));
    } else {
      sk_json *v = NULL;
      if (lookup (row, a, &v, err) < 0)
        return -1;
      if (as_json)
        sk_strbuf_puts (b, v ? json_object_to_json_string_ext (v, JSON_C_TO_STRING_PLAIN |
                                                                     JSON_C_TO_STRING_NOSLASHESCAPE)
                             : "null");
      else
        print_value (b, v);
    }
    p = close + 2;
  }
  return 0;
}

static size_t
utf8_width (const char *s, size_t n)
{
  size_t w = 0;
  for (size_t i = 0; i < n; i++)
    if (((unsigned char) s[i] & 0xc0) != 0x80)
      w++;
  return w;
}

/* Aligns the tab-separated cells of lines as docker's tabwriter does. */
static void
print_table (char **lines, size_t n, FILE *out)
{
  size_t widths[32] = {0};
  for (size_t i = 0; i < n; i++) {
    const char *c = lines[i];
    for (size_t col = 0; col < 32; col++) {
      size_t len = strcspn (c, "\t");
      if (c[len] == '\0')
        break; /* the last cell of a line is not padded */
      size_t w = utf8_width (c, len);
      if (w > widths[col])
        widths[col] = w;
      c += len + 1;
    }
  }
  for (size_t i = 0; i < n; i++) {
    const char *c = lines[i];
    for (size_t col = 0;; col++) {
      size_t len = strcspn (c, "\t");
      fwrite (c, 1, len, out);
      if (c[len] == '\0' || col >= 31)
        break;
      size_t w = widths[col] + 3 < 10 ? 10 : widths[col] + 3;
      for (size_t k = utf8_width (c, len); k < w; k++)
        fputc (' ', out);
      c += len + 1;
    }
    fputc ('\n', out);
  }
}

int
sk_cli_render (const char *format, sk_json *const *rows, size_t n, const sk_cli_column *headers,
               FILE *out, sk_err **err)
{
  bool table = strncmp (format, "table", 5) == 0 && (format[5] == '\0' || format[5] == ' ');
  _cleanup_strbuf_ sk_strbuf fmt = SK_STRBUF_INIT;
  const char *f = table ? format + 5 : format;
  while (*f == ' ')
    f++;
  for (; *f; f++) {
    if (f[0] == '\\' && (f[1] == 't' || f[1] == 'n')) {
      sk_strbuf_putc (&fmt, f[1] == 't' ? '\t' : '\n');
      f++;
    } else {
      sk_strbuf_putc (&fmt, *f);
    }
  }
  const char *tmpl = fmt.buf ? fmt.buf : "";
  char **lines = calloc (n + 1, sizeof *lines);
  if (lines == NULL)
    return sk_err_set (err, ENOMEM, "format");
  size_t k = 0;
  int ret = 0;
  if (table) {
    _cleanup_strbuf_ sk_strbuf h = SK_STRBUF_INIT;
    if (render (tmpl, NULL, headers, &h, err) < 0)
      ret = -1;
    else
      lines[k++] = sk_strbuf_detach (&h);
  }
  for (size_t i = 0; ret == 0 && i < n; i++) {
    _cleanup_strbuf_ sk_strbuf b = SK_STRBUF_INIT;
    if (render (tmpl, rows[i], NULL, &b, err) < 0)
      ret = -1;
    else
      lines[k++] = sk_strbuf_detach (&b);
  }
  if (ret == 0) {
    if (table)
      print_table (lines, k, out);
    else
      for (size_t i = 0; i < k; i++)
        fprintf (out, "%s\n", lines[i]);
  }
  for (size_t i = 0; i < k; i++)
    free (lines[i]);
  free (lines);
  return ret;
}

int
sk_cli_print_docs (const char *format, sk_json *all)
{
  size_t n = json_object_array_length (all);
  if (format == NULL) {
    _cleanup_free_ char *text = sk_json_dump (all, true);
    printf ("%s\n", text ? text : "[]");
    return 0;
  }
  _cleanup_free_ sk_json **rows = calloc (n + 1, sizeof *rows);
  if (rows == NULL)
    return sk_cli_fail (NULL);
  for (size_t i = 0; i < n; i++)
    rows[i] = json_object_array_get_idx (all, i);
  sk_err *err = NULL;
  if (sk_cli_render (format, rows, n, NULL, stdout, &err) < 0)
    return sk_cli_fail (err);
  return 0;
}
