/* skiff: docker's --detach-keys; see detach-keys.h. */
#include "detach-keys.h"

#include <string.h>
#include <strings.h>

/* One key of docker's --detach-keys: a character, or ctrl-<a-z@[\]^_>. */
static int
detach_key (const char *k, size_t len, unsigned char *out)
{
  if (len == 1) {
    *out = (unsigned char) k[0];
    return 0;
  }
  if (len == 6 && strncasecmp (k, "ctrl-", 5) == 0) {
    char c = k[5];
    if (c >= 'a' && c <= 'z')
      c = (char) (c - 'a' + 'A');
    if (c >= '@' && c <= '_' && (c <= 'Z' || strchr ("@[\\]^_", c))) {
      *out = (unsigned char) (c - '@');
      return 0;
    }
  }
  return -1;
}

int
sk_cli_detach_keys (const char *spec, unsigned char *keys, size_t *n, sk_err **err)
{
  *n = 0;
  if (spec == NULL)
    spec = SK_DEFAULT_DETACH_KEYS;
  for (const char *p = spec;;) {
    size_t len = strcspn (p, ",");
    if (*n == SK_DETACH_KEYS_MAX || detach_key (p, len, &keys[*n]) < 0)
      return sk_err_set (err, 0, "Invalid detach keys (%s) provided", spec);
    (*n)++;
    if (p[len] == '\0')
      return 0;
    p += len + 1;
  }
}

size_t
sk_detach_filter (sk_detach *d, const unsigned char *in, size_t n, unsigned char *out,
                  bool *detached)
{
  size_t o = 0;
  *detached = false;
  for (size_t i = 0; i < n && !*detached; i++) {
    if (d->matched && in[i] != d->keys[d->matched]) {
      memcpy (out + o, d->keys, d->matched);
      o += d->matched;
      d->matched = 0;
    }
    if (in[i] == d->keys[d->matched])
      *detached = ++d->matched == d->n;
    else
      out[o++] = in[i];
  }
  return o;
}
