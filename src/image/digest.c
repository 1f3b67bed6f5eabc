/* skiff: sha256 digests with nettle: the same speed as OpenSSL's (both use
 * the CPU's SHA instructions) without OpenSSL 3's initialization, which
 * costs every command that reads a blob 0.4 to 6 ms (its configuration file
 * and providers loaded on the first digest). */
#include <nettle/base64.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"

struct sk_hasher {
  struct sha256_ctx ctx;
};

sk_hasher *
sk_hasher_new (void)
{
  sk_hasher *h = malloc (sizeof *h);
  if (h)
    sha256_init (&h->ctx);
  return h;
}

void
sk_hasher_update (sk_hasher *h, const void *data, size_t len)
{
  if (len > 0)
    sha256_update (&h->ctx, len, data);
}

void
sk_hasher_final (sk_hasher *h, sk_digest *out)
{
  sha256_digest (&h->ctx, sizeof out->bytes, out->bytes);
}

void
sk_hasher_free (sk_hasher *h)
{
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
  struct sha256_ctx ctx;
  sha256_init (&ctx);
  sha256_update (&ctx, len, data);
  sha256_digest (&ctx, sizeof out->bytes, out->bytes);
}

char *
sk_base64_encode (const void *data, size_t len)
{
  char *out = malloc (BASE64_ENCODE_RAW_LENGTH (len) + 1);
  if (out == NULL)
    return NULL;
  base64_encode_raw (out, len, data);
  out[BASE64_ENCODE_RAW_LENGTH (len)] = '\0';
  return out;
}

int
sk_base64_decode (const char *text, unsigned char **out, size_t *len)
{
  size_t n = strlen (text);
  struct base64_decode_ctx ctx;
  unsigned char *buf = malloc (BASE64_DECODE_LENGTH (n) + 1);
  if (buf == NULL)
    return -1;
  base64_decode_init (&ctx);
  size_t got = BASE64_DECODE_LENGTH (n);
  if (n % 4 != 0 || !base64_decode_update (&ctx, &got, buf, n, text) || !base64_decode_final (&ctx)) {
    free (buf);
    return -1;
  }
  buf[got] = '\0';
  *out = buf;
  *len = got;
  return 0;
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
