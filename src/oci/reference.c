/* skiff: image references (see reference.h for the grammar). */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"
#include "util/cleanup.h"

#define NAME_MAX_LEN 255
#define TAG_MAX_LEN 128
#define TEXT_MAX_LEN 4096

static bool
is_lower_alnum (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool
is_lower_hex (const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  return true;
}

/* One path component: lowercase alphanumerics, joined by ".", "_", "__"
 * or any number of "-". */
static bool
valid_component (const char *s, size_t n)
{
  size_t i = 0;
  if (n == 0 || !is_lower_alnum (s[0]))
    return false;
  while (i < n) {
    while (i < n && is_lower_alnum (s[i]))
      i++;
    if (i == n)
      return true;
    size_t sep = i;
    if (s[i] == '.')
      i++;
    else if (s[i] == '_')
      i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
    else if (s[i] == '-')
      while (i < n && s[i] == '-')
        i++;
    else
      return false;
    if (i == sep || i == n || !is_lower_alnum (s[i]))
      return false;
  }
  return true;
}

/* A domain: host names joined by ".", or an IPv6 address in brackets, and
 * an optional port. */
static bool
valid_domain (const char *s, size_t n)
{
  size_t host_end = n;
  const char *colon = NULL;
  if (n > 0 && s[0] == '[') {
    const char *close = memchr (s, ']', n);
    if (close == NULL || close == s + 1)
      return false;
    for (const char *p = s + 1; p < close; p++)
      if (!isxdigit ((unsigned char) *p) && *p != ':')
        return false;
    host_end = close + 1 - s;
    if (host_end < n && s[host_end] != ':')
      return false;
    colon = host_end < n ? s + host_end : NULL;
  } else {
    colon = memchr (s, ':', n);
    if (colon)
      host_end = colon - s;
    size_t start = 0;
    for (size_t i = 0; i <= host_end; i++) {
      if (i < host_end && s[i] != '.')
        continue;
      /* a label: alphanumerics, inner hyphens */
      size_t len = i - start;
      if (len == 0 || !isalnum ((unsigned char) s[start]) || !isalnum ((unsigned char) s[i - 1]))
        return false;
      for (size_t k = start; k < i; k++)
        if (!isalnum ((unsigned char) s[k]) && s[k] != '-')
          return false;
      start = i + 1;
    }
  }
  if (colon) {
    size_t digits = n - (colon + 1 - s);
    if (digits == 0 || digits > 5)
      return false;
    for (const char *p = colon + 1; p < s + n; p++)
      if (!isdigit ((unsigned char) *p))
        return false;
  }
  return true;
}

static bool
valid_tag (const char *s)
{
  size_t n = strlen (s);
  if (n == 0 || n > TAG_MAX_LEN || !(isalnum ((unsigned char) s[0]) || s[0] == '_'))
    return false;
  for (size_t i = 1; i < n; i++)
    if (!(isalnum ((unsigned char) s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '-'))
      return false;
  return true;
}

static int
check_digest (const char *text, const char *d, sk_err **err)
{
  const char *colon = strchr (d, ':');
  if (colon == NULL || colon == d)
    return sk_err_set (err, 0, "invalid image reference `%s`: bad digest `%s`", text, d);
  if ((size_t) (colon - d) != 6 || strncmp (d, "sha256", 6) != 0)
    return sk_err_set (err, 0,
                       "invalid image reference `%s`: unsupported digest algorithm `%.*s` "
                       "(only sha256)",
                       text, (int) (colon - d), d);
  const char *hex = colon + 1;
  if (strlen (hex) != 64 || !is_lower_hex (hex, 64))
    return sk_err_set (err, 0,
                       "invalid image reference `%s`: a sha256 digest is 64 lowercase hex digits",
                       text);
  return 0;
}

static int
bad (sk_err **err, const char *text, const char *why)
{
  return sk_err_set (err, 0, "invalid image reference `%s`: %s", text, why);
}

/* Docker's rule: the first component is a registry when it has a "." or a
 * ":", is "localhost", or has an uppercase letter (no repository does). */
static bool
looks_like_domain (const char *s, size_t n)
{
  if (n == 9 && strncmp (s, "localhost", 9) == 0)
    return true;
  for (size_t i = 0; i < n; i++)
    if (s[i] == '.' || s[i] == ':' || s[i] == '[' || isupper ((unsigned char) s[i]))
      return true;
  return false;
}

int
sk_image_ref_parse (const char *text, sk_image_ref **out, sk_err **err)
{
  *out = NULL;
  if (*text == '\0')
    return sk_err_set (err, 0, "invalid image reference: it is empty");
  if (strlen (text) > TEXT_MAX_LEN)
    return sk_err_set (err, 0, "invalid image reference: longer than %d characters",
                       TEXT_MAX_LEN);
  if (strlen (text) == 64 && is_lower_hex (text, 64))
    return bad (err, text, "a 64-digit hexadecimal string is an image id, not a name");
  _cleanup_free_ char *copy = strdup (text);
  if (copy == NULL)
    return sk_err_set (err, ENOMEM, "strdup");

  char *digest = strchr (copy, '@');
  if (digest) {
    *digest++ = '\0';
    if (check_digest (text, digest, err) < 0)
      return -1;
  }
  char *tag = NULL;
  char *last_colon = strrchr (copy, ':'), *last_slash = strrchr (copy, '/');
  if (last_colon && (last_slash == NULL || last_colon > last_slash)) {
    *last_colon = '\0';
    tag = last_colon + 1;
    if (!valid_tag (tag))
      return bad (err, text,
                  "a tag is up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` "
                  "or `-`");
  }
  char *name = copy;
  if (*name == '\0')
    return bad (err, text, "no repository name");

  const char *domain = SK_DEFAULT_DOMAIN;
  char *path = name;
  char *slash = strchr (name, '/');
  if (slash && looks_like_domain (name, slash - name)) {
    *slash = '\0';
    domain = name;
    path = slash + 1;
    if (!valid_domain (domain, strlen (domain)))
      return bad (err, text, "the registry is not a host name or address with an optional port");
    if (strcmp (domain, "index.docker.io") == 0)
      domain = SK_DEFAULT_DOMAIN;
  }
  for (const char *p = path; *p; p++)
    if (isupper ((unsigned char) *p))
      return bad (err, text, "repository name must be lowercase");
  for (char *c = path;;) {
    char *end = strchr (c, '/');
    size_t len = end ? (size_t) (end - c) : strlen (c);
    if (!valid_component (c, len))
      return bad (err, text,
                  "each part of a repository name is lowercase letters and digits, joined by "
                  "`.`, `_`, `__` or `-`");
    if (end == NULL)
      break;
    c = end + 1;
  }

  sk_image_ref *r = calloc (1, sizeof *r);
  if (r == NULL)
    return sk_err_set (err, ENOMEM, "calloc");
  bool library = strcmp (domain, SK_DEFAULT_DOMAIN) == 0 && strchr (path, '/') == NULL;
  r->domain = strdup (domain);
  if (asprintf (&r->path, "%s%s", library ? "library/" : "", path) < 0)
    r->path = NULL;
  r->tag = tag ? strdup (tag) : digest ? NULL : strdup (SK_DEFAULT_TAG);
  r->digest = digest ? strdup (digest) : NULL;
  if (!r->domain || !r->path || (!r->tag && !digest) || (digest && !r->digest)) {
    sk_image_ref_free (r);
    return sk_err_set (err, ENOMEM, "image reference");
  }
  if (strlen (r->domain) + 1 + strlen (r->path) > NAME_MAX_LEN) {
    sk_image_ref_free (r);
    return sk_err_set (err, 0,
                       "invalid image reference `%s`: the repository name is longer than %d "
                       "characters",
                       text, NAME_MAX_LEN);
  }
  *out = r;
  return 0;
}

void
sk_image_ref_free (sk_image_ref *r)
{
  if (r == NULL)
    return;
  free (r->domain);
  free (r->path);
  free (r->tag);
  free (r->digest);
  free (r);
}

void
sk_image_ref_freep (sk_image_ref **r)
{
  sk_image_ref_free (*r);
  *r = NULL;
}

char *
sk_image_ref_name (const sk_image_ref *r)
{
  char *s = NULL;
  return asprintf (&s, "%s/%s", r->domain, r->path) < 0 ? NULL : s;
}

static char *
format (const sk_image_ref *r, bool familiar)
{
  const char *domain = r->domain, *path = r->path;
  bool short_form = familiar && strcmp (domain, SK_DEFAULT_DOMAIN) == 0;
  if (short_form && strncmp (path, "library/", 8) == 0 && strchr (path + 8, '/') == NULL)
    path += 8;
  char *s = NULL;
  if (asprintf (&s, "%s%s%s%s%s%s%s", short_form ? "" : domain, short_form ? "" : "/", path,
                r->tag ? ":" : "", r->tag ? r->tag : "", r->digest ? "@" : "",
                r->digest ? r->digest : "") < 0)
    return NULL;
  return s;
}

char *
sk_image_ref_string (const sk_image_ref *r)
{
  return format (r, false);
}

char *
sk_image_ref_familiar (const sk_image_ref *r)
{
  return format (r, true);
}

char *
sk_image_name_familiar (const char *name)
{
  sk_image_ref *r = NULL;
  sk_err *e = NULL;
  if (sk_image_ref_parse (name, &r, &e) < 0) {
    sk_err_free (&e);
    return strdup (name);
  }
  char *f = sk_image_ref_familiar (r);
  sk_image_ref_free (r);
  return f;
}
