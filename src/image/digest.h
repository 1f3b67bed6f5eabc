/* skiff: content digests ("sha256:<64 lowercase hex>"), as the OCI image
 * spec and the distribution API name blobs.
 *
 * Only sha256 is accepted: it is what every registry and image uses, and a
 * digest skiff cannot verify is never trusted.
 */
#ifndef SKIFF_IMAGE_DIGEST_H
#define SKIFF_IMAGE_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define SK_DIGEST_HEX_LEN 64
/* "sha256:" and the hex digits, with the NUL */
#define SK_DIGEST_STR_SIZE (7 + SK_DIGEST_HEX_LEN + 1)

typedef struct sk_digest {
  uint8_t bytes[32];
} sk_digest;

/* A running sha256. */
typedef struct sk_hasher sk_hasher;

sk_hasher *sk_hasher_new (void);
void sk_hasher_update (sk_hasher *h, const void *data, size_t len);
/* Finishes: the digest of everything given. The hasher can be freed only. */
void sk_hasher_final (sk_hasher *h, sk_digest *out);
void sk_hasher_free (sk_hasher *h);

void sk_digest_of (const void *data, size_t len, sk_digest *out);
/* "sha256:<hex>" into buf (SK_DIGEST_STR_SIZE bytes); returns buf. */
char *sk_digest_format (const sk_digest *d, char buf[SK_DIGEST_STR_SIZE]);
/* The 64 hex digits alone. */
char *sk_digest_hex (const sk_digest *d, char buf[SK_DIGEST_HEX_LEN + 1]);
/* Parses "sha256:<64 lowercase hex>"; any other algorithm, length or
 * character is an error that quotes the text. */
int sk_digest_parse (const char *s, sk_digest *out, sk_err **err);
bool sk_digest_equal (const sk_digest *a, const sk_digest *b);
/* The OCI chain id of a layer: its diff_id for a base layer (parent NULL),
 * else sha256("<parent chain id> <diff_id>"). */
void sk_chain_id (const sk_digest *parent, const sk_digest *diff_id, sk_digest *out);

/* Base64 (the standard alphabet, padded), as registry credentials use it.
 * encode: a new string, NULL without memory; decode: a new buffer of *len
 * bytes (a NUL after them), -1 when text is not padded base64. */
char *sk_base64_encode (const void *data, size_t len);
int sk_base64_decode (const char *text, unsigned char **out, size_t *len);

#define _cleanup_hasher_ __attribute__ ((cleanup (sk_hasher_freep)))
void sk_hasher_freep (sk_hasher **h);

#endif
