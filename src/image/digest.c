/* skiff: sha256 digests with OpenSSL's EVP interface. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"

struct sk_hasher {
  EVP_MD_CTX *ctx;
};

sk_hasher *
sk_hasher_new (void)
{
  sk_hasher *h = calloc (1, sizeof *h);
  if (h == NULL)
    return NULL;
  h->ctx = EVP_MD_CTX_new ();
  if (h->ctx == NULL || EVP_DigestInit_ex (h->ctx, EVP_sha256 (), NULL) != 1) {
    sk_hasher_free (h);
    return NULL;
  }
  return h;
}

void
sk_hasher_update (sk_hasher *h, const void *data, size_t len)
{
  if (len > 0)
    EVP_DigestUpdate (h->ctx, data, len);
}

void
sk_hasher_final (sk_hasher *h, sk_digest *out)
{
  unsigned int n = sizeof out->bytes;
  EVP_DigestFinal_ex (h->ctx, out->bytes, &n);
}

void
sk_hasher_free (sk_hasher *h)
{
  if (h == NULL)
    return;
  EVP_MD_CTX_free (h->ctx);
  free (h);
}

void
sk_hasher_freep (sk_hasher **h)
{
  sk_hasher_free (*h);
  *h = NULL;
}

void
sk_digest_of (const void *data, size_t len, sk_digest *out)
{
  unsigned int n = sizeof out->bytes;
  EVP_Digest (data, len, out->bytes, &n, EVP_sha256 (), NULL);
}

char *
sk_digest_hex (const sk_digest *d, char buf[SK_DIGEST_HEX_LEN + 1])
{
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < sizeof d->bytes; i++) {
    buf[2 * i] = hex[d->bytes[i] >> 4];
    buf[2 * i + 1] = hex[d->bytes[i] & 15];
  }
  buf[SK_DIGEST_HEX_LEN] = '\0';
  return buf;
}

char *
sk_digest_format (const sk_digest *d, char buf[SK_DIGEST_STR_SIZE])
{
  memcpy (buf, "sha256:", 7);
  sk_digest_hex (d, buf + 7);
  return buf;
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

int
sk_digest_parse (const char *s, sk_digest *out, sk_err **err)
{
  const char *colon = strchr (s, ':');
  if (colon == NULL)
    return sk_err_set (err, 0, "invalid digest `%.80s`: no algorithm (sha256:<hex>)", s);
  if ((size_t) (colon - s) != 6 || strncmp (s, "sha256", 6) != 0)
    return sk_err_set (err, 0, "unsupported digest algorithm in `%.80s`: only sha256", s);
  const char *hex = colon + 1;
  if (strlen (hex) != SK_DIGEST_HEX_LEN)
    return sk_err_set (err, 0, "invalid digest `%.80s`: sha256 takes 64 hex digits", s);
  for (size_t i = 0; i < sizeof out->bytes; i++) {
    int hi = hex_value (hex[2 * i]), lo = hex_value (hex[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return sk_err_set (err, 0, "invalid digest `%.80s`: not lowercase hex", s);
    out->bytes[i] = (uint8_t) (hi << 4 | lo);
  }
  return 0;
}

bool
sk_digest_equal (const sk_digest *a, const sk_digest *b)
{
  return memcmp (a->bytes, b->bytes, sizeof a->bytes) == 0;
}

void
sk_chain_id (const sk_digest *parent, const sk_digest *diff_id, sk_digest *out)
{
  if (parent == NULL) {
    *out = *diff_id;
    return;
  }
  char text[2 * SK_DIGEST_STR_SIZE];
  char a[SK_DIGEST_STR_SIZE], b[SK_DIGEST_STR_SIZE];
  int n = snprintf (text, sizeof text, "%s %s", sk_digest_format (parent, a),
                    sk_digest_format (diff_id, b));
  sk_digest_of (text, (size_t) n, out);
}
