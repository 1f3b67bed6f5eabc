/* skiff: image references, parsed and normalised as Docker does.
 *
 *   busybox                      -> docker.io/library/busybox:latest
 *   user/app:1.0                 -> docker.io/user/app:1.0
 *   localhost:5000/app           -> localhost:5000/app:latest
 *   reg.example/ns/app@sha256:.. -> reg.example/ns/app@sha256:.. (no tag)
 *
 * The grammar is the distribution project's: a name of lowercase
 * path components separated by "/", optionally after a registry domain
 * (which has a "." or a ":" port, or is "localhost", or is an IPv6 address
 * in brackets), then an optional ":tag" and an optional "@digest". Only
 * sha256 digests are accepted: skiff never trusts what it cannot verify.
 */
#ifndef SKIFF_OCI_REFERENCE_H
#define SKIFF_OCI_REFERENCE_H

#include "util/error.h"

#define SK_DEFAULT_DOMAIN "docker.io"
#define SK_DEFAULT_TAG "latest"

typedef struct sk_image_ref {
  char *domain; /* "docker.io", "localhost:5000", "[::1]:5000" */
  char *path;   /* "library/busybox" */
  char *tag;    /* "latest"; NULL when the reference has a digest and no tag */
  char *digest; /* "sha256:<64 hex>" or NULL */
} sk_image_ref;

/* Parses and normalises; a malformed reference is a one-line error that
 * quotes it and says what is wrong. */
int sk_image_ref_parse (const char *text, sk_image_ref **out, sk_err **err);
void sk_image_ref_free (sk_image_ref *r);
/* domain/path */
char *sk_image_ref_name (const sk_image_ref *r);
/* domain/path[:tag][@digest] */
char *sk_image_ref_string (const sk_image_ref *r);
/* As docker shows it: without "docker.io/" and "library/". */
char *sk_image_ref_familiar (const sk_image_ref *r);
/* The same from a name in full ("docker.io/library/busybox:latest" ->
 * "busybox:latest"); a text that is no reference comes back as it is. */
char *sk_image_name_familiar (const char *name);

#define _cleanup_image_ref_ __attribute__ ((cleanup (sk_image_ref_freep)))
void sk_image_ref_freep (sk_image_ref **r);

#endif
