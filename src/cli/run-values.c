/* skiff: the value syntaxes of `run`/`create` flags (see run-values.h). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run-values.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

char *
sk_rv_quote (const char *s)
{
  sk_strbuf b = SK_STRBUF_INIT;
  sk_strbuf_putc (&b, '"');
  for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
    if (*p == '"' || *p == '\\')
      sk_strbuf_printf (&b, "\\%c", *p);
    else if (*p == '\n')
      sk_strbuf_puts (&b, "\\n");
    else if (*p == '\t')
      sk_strbuf_puts (&b, "\\t");
    else if (*p < 0x20 || *p == 0x7f)
      sk_strbuf_printf (&b, "\\x%02x", *p);
    else
      sk_strbuf_putc (&b, (char) *p);
  }
  sk_strbuf_putc (&b, '"');
  return sk_strbuf_detach (&b);
}

static int
num_error (const char *fn, const char *s, bool range, sk_err **err)
{
  _cleanup_free_ char *q = sk_rv_quote (s);
  return sk_err_set (err, 0, "strconv.%s: parsing %s: %s", fn, q,
                     range ? "value out of range" : "invalid syntax");
}

/* Digits in base (0: from the prefix, as Go does); underscores only after a
 * prefix. Returns 0, -1 on syntax, -2 on overflow. */
static int
parse_digits (const char *s, int base, uint64_t *out)
{
  bool prefixed = false;
  if (base == 0) {
    base = 10;
    if (s[0] == '0' && s[1]) {
      char c = (char) tolower ((unsigned char) s[1]);
      base = c == 'x' ? 16 : c == 'o' ? 8 : c == 'b' ? 2 : 8;
      s += c == 'x' || c == 'o' || c == 'b' ? 2 : 1;
      prefixed = true;
    }
  }
  if (*s == '\0' && !(prefixed && base == 8))
    return -1;
  uint64_t v = 0;
  bool overflow = false;
  for (; *s; s++) {
    if (*s == '_' && prefixed)
      continue;
    int d = isdigit ((unsigned char) *s)   ? *s - '0'
            : isalpha ((unsigned char) *s) ? tolower ((unsigned char) *s) - 'a' + 10
                                           : 99;
    if (d >= base)
      return -1;
    if (v > (UINT64_MAX - (uint64_t) d) / (uint64_t) base)
      overflow = true;
    else
      v = v * (uint64_t) base + (uint64_t) d;
  }
  *out = v;
  return overflow ? -2 : 0;
}

int
sk_rv_uint (const char *s, int bits, int base, uint64_t *out, sk_err **err)
{
  uint64_t v = 0;
  int r = *s == '+' || *s == '-' ? -1 : parse_digits (s, base, &v);
  if (r == 0 && bits < 64 && v >> bits)
    r = -2;
  if (r < 0)
    return num_error ("ParseUint", s, r == -2, err);
  *out = v;
  return 0;
}

int
sk_rv_int (const char *s, int bits, int64_t *out, sk_err **err)
{
  bool neg = *s == '-';
  const char *p = *s == '-' || *s == '+' ? s + 1 : s;
  uint64_t v = 0;
  int r = parse_digits (p, 0, &v);
  uint64_t limit = (uint64_t) 1 << (bits - 1);
  if (r == 0 && (neg ? v > limit : v >= limit))
    r = -2;
  if (r < 0)
    return num_error ("ParseInt", s, r == -2, err);
  *out = neg ? (int64_t) (0 - v) : (int64_t) v;
  return 0;
}

int
sk_rv_bool (const char *s, bool *out, sk_err **err)
{
  static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
  static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
  for (size_t i = 0; i < SK_N_ELEMENTS (yes); i++) {
    if (strcmp (s, yes[i]) == 0)
      return *out = true, 0;
    if (strcmp (s, no[i]) == 0)
      return *out = false, 0;
  }
  return num_error ("ParseBool", s, false, err);
}

/* Go's ParseFloat for the decimal forms a size takes. */
static int
parse_float (const char *s, double *out, sk_err **err)
{
  char *end = NULL;
  bool ok = *s && !isspace ((unsigned char) *s) && strpbrk (s, "xXnNpP") == NULL;
  errno = 0;
  double v = ok ? strtod (s, &end) : 0;
  if (!ok || *end || errno == ERANGE)
    return num_error ("ParseFloat", s, ok && errno == ERANGE, err);
  *out = v;
  return 0;
}

int
sk_rv_ram (const char *s, int64_t *out, sk_err **err)
{
  const char *sep = NULL;
  for (const char *p = s; *p; p++)
    if (strchr ("0123456789. ", *p))
      sep = p;
  if (sep == NULL)
    return sk_err_set (err, 0, "invalid size: '%s'", s);
  _cleanup_free_ char *num = strndup (s, (size_t) (sep - s) + (*sep == ' ' ? 0 : 1));
  const char *sfx = sep + 1;
  double size = 0;
  if (parse_float (num, &size, err) < 0)
    return -1;
  if (size < 0)
    return sk_err_set (err, 0, "invalid size: '%s'", s);
  size_t n = strlen (sfx);
  if (n == 0) {
    *out = (int64_t) size;
    return 0;
  }
  char low[4] = "";
  if (n > 3)
    return sk_err_set (err, 0, "invalid suffix: '%s'", sfx);
  for (size_t i = 0; i < n; i++)
    low[i] = (char) tolower ((unsigned char) sfx[i]);
  low[n] = '\0';
  const char *units = "kmgtp", *u = low[0] == 'b' ? NULL : strchr (units, low[0]);
  if (low[0] == 'b' && n == 1) {
    *out = (int64_t) size;
    return 0;
  }
  if (u == NULL || low[0] == '\0' || (n == 2 && low[1] != 'b') ||
      (n == 3 && strcmp (low + 1, "ib") != 0))
    return sk_err_set (err, 0, "invalid suffix: '%s'", low);
  for (const char *p = units; p <= u; p++)
    size *= 1024.0;
  *out = size >= 9223372036854775807.0 ? INT64_MIN : (int64_t) size;
  return 0;
}

static int
duration_unit (const char *u, size_t n, uint64_t *mult)
{
  static const struct {
    const char *name;
    uint64_t ns;
  } units[] = {{"ns", 1},          {"us", 1000},           {"\xc2\xb5s", 1000},
               {"\xce\xbcs", 1000}, {"ms", 1000000},        {"s", 1000000000},
               {"m", 60000000000ULL}, {"h", 3600000000000ULL}};
  for (size_t i = 0; i < SK_N_ELEMENTS (units); i++)
    if (strlen (units[i].name) == n && strncmp (units[i].name, u, n) == 0)
      return *mult = units[i].ns, 0;
  return -1;
}

static int
duration_error (const char *orig, const char *unit, size_t n, int kind, sk_err **err)
{
  _cleanup_free_ char *q = sk_rv_quote (orig);
  if (kind == 1)
    return sk_err_set (err, 0, "time: missing unit in duration %s", q);
  if (kind == 2) {
    _cleanup_free_ char *u = strndup (unit, n);
    _cleanup_free_ char *uq = sk_rv_quote (u);
    return sk_err_set (err, 0, "time: unknown unit %s in duration %s", uq, q);
  }
  return sk_err_set (err, 0, "time: invalid duration %s", q);
}

int
sk_rv_duration (const char *orig, int64_t *out, sk_err **err)
{
  const char *s = orig;
  bool neg = *s == '-';
  if (*s == '-' || *s == '+')
    s++;
  if (strcmp (s, "0") == 0)
    return *out = 0, 0;
  if (*s == '\0')
    return duration_error (orig, NULL, 0, 0, err);
  const uint64_t max = (uint64_t) 1 << 63;
  uint64_t total = 0;
  while (*s) {
    if (*s != '.' && !isdigit ((unsigned char) *s))
      return duration_error (orig, NULL, 0, 0, err);
    uint64_t v = 0, frac = 0;
    double scale = 1;
    const char *start = s;
    for (; isdigit ((unsigned char) *s); s++) {
      if (v > (max - 9) / 10)
        return duration_error (orig, NULL, 0, 0, err);
      v = v * 10 + (uint64_t) (*s - '0');
    }
    bool pre = s != start, post = false;
    if (*s == '.') {
      for (start = ++s; isdigit ((unsigned char) *s); s++)
        if (frac < max / 10) {
          frac = frac * 10 + (uint64_t) (*s - '0');
          scale *= 10;
        }
      post = s != start;
    }
    if (!pre && !post)
      return duration_error (orig, NULL, 0, 0, err);
    const char *unit = s;
    while (*s && *s != '.' && !isdigit ((unsigned char) *s))
      s++;
    uint64_t mult;
    if (s == unit)
      return duration_error (orig, NULL, 0, 1, err);
    if (duration_unit (unit, (size_t) (s - unit), &mult) < 0)
      return duration_error (orig, unit, (size_t) (s - unit), 2, err);
    if (v > max / mult)
      return duration_error (orig, NULL, 0, 0, err);
    v = v * mult + (uint64_t) ((double) frac * ((double) mult / scale));
    total += v;
    if (v > max || total > max)
      return duration_error (orig, NULL, 0, 0, err);
  }
  if (!neg && total == max)
    return duration_error (orig, NULL, 0, 0, err);
  *out = neg ? (int64_t) (0 - total) : (int64_t) total;
  return 0;
}

/* Integer and fraction digits of a decimal ("1.5", "-.25") in nano units. */
static int
decimal_nano (const char *s, int64_t *out)
{
  bool neg = *s == '-';
  if (*s == '-' || *s == '+')
    s++;
  if (*s == '\0' || strcmp (s, ".") == 0)
    return -1;
  int64_t v = 0;
  for (; isdigit ((unsigned char) *s); s++) {
    if (v > (INT64_MAX / 1000000000 - 9) / 10)
      return -1;
    v = v * 10 + (*s - '0');
  }
  v *= 1000000000;
  if (*s == '.') {
    int64_t place = 100000000;
    for (s++; isdigit ((unsigned char) *s); s++, place /= 10) {
      if (place == 0 && *s != '0')
        return -2;
      v += (*s - '0') * place;
    }
  }
  if (*s)
    return -1;
  *out = neg ? -v : v;
  return 0;
}

int
sk_rv_nano_cpus (const char *s, int64_t *out, sk_err **err)
{
  const char *slash = strchr (s, '/');
  int64_t v = 0;
  int r;
  if (slash) {
    _cleanup_free_ char *num = strndup (s, (size_t) (slash - s));
    int64_t a, b;
    sk_err *ignored = NULL;
    if (sk_rv_int (num, 64, &a, &ignored) < 0 || sk_rv_int (slash + 1, 64, &b, &ignored) < 0 ||
        b <= 0 || a > INT64_MAX / 1000000000 || a < INT64_MIN / 1000000000) {
      sk_err_free (&ignored);
      r = -1;
    } else {
      r = (a * 1000000000) % b ? -2 : 0;
      v = (a * 1000000000) / b;
    }
  } else
    r = decimal_nano (s, &v);
  if (r == -1)
    return sk_err_set (err, 0, "failed to parse %s as a rational number", s);
  if (r == -2)
    return sk_err_set (err, 0, "value is too precise");
  *out = v;
  return 0;
}

char *
sk_rv_ip_canon (const char *s)
{
  while (isspace ((unsigned char) *s))
    s++;
  _cleanup_free_ char *t = strdup (s);
  for (size_t n = strlen (t); n && isspace ((unsigned char) t[n - 1]); n--)
    t[n - 1] = '\0';
  unsigned char buf[16];
  char out[INET6_ADDRSTRLEN];
  int af = strchr (t, ':') ? AF_INET6 : AF_INET;
  if (inet_pton (af, t, buf) != 1 || inet_ntop (af, buf, out, sizeof out) == NULL)
    return NULL;
  return strdup (out);
}

bool
sk_rv_is_ip (const char *s, bool *v6)
{
  unsigned char buf[16];
  if (inet_pton (AF_INET, s, buf) == 1)
    return *v6 = false, true;
  if (inet_pton (AF_INET6, s, buf) == 1)
    return *v6 = true, true;
  return false;
}

int
sk_rv_json_compact (const char *data, char **out, sk_err **err)
{
  _cleanup_json_ sk_json *doc = NULL;
  if (sk_json_parse (data, strlen (data), "seccomp profile", &doc, err) < 0)
    return -1;
  sk_strbuf b = SK_STRBUF_INIT;
  bool in_str = false, esc = false;
  for (const char *p = data; *p; p++) {
    if (in_str) {
      in_str = esc || *p != '"';
      esc = !esc && *p == '\\';
    } else if (*p == '"')
      in_str = true;
    else if (strchr (" \t\r\n", *p))
      continue;
    sk_strbuf_putc (&b, *p);
  }
  *out = sk_strbuf_detach (&b);
  return 0;
}
