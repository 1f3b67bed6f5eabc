/* skiff: a registry client (the OCI distribution spec, which is Docker's
 * Registry HTTP API v2), on libcurl.
 *
 * One sk_registry speaks to one registry domain ("docker.io",
 * "127.0.0.1:5000", "[::1]:5000"). It knows how to reach it (HTTPS, or plain
 * HTTP for an insecure registry), which CAs and client certificate to use,
 * the credentials of the auth file, and it keeps the tokens it was given.
 *
 * Authentication follows the registry's lead: a request is sent with what
 * is known for its scope; on a 401 the WWW-Authenticate challenge says what
 * to do. "Bearer realm=...,service=..." gets a token from the realm for the
 * scope of the request (repository:REPO:pull, or pull,push when pushing),
 * with the auth file's credentials when there are some and anonymously
 * otherwise; the token is kept per scope until it expires. "Basic" gets the
 * credentials. Credentials and tokens are never logged nor put in a message,
 * and never sent to another host than the one they are for: a redirect to
 * blob storage elsewhere gets no Authorization header.
 *
 * Every error is one line naming the registry (and the repository or blob)
 * and the cause, as the registry said it ("manifest unknown", "pull access
 * denied ... unauthorized") or as the connection failed ("TLS: certificate
 * verify failed for HOST (... add its CA as CERTS/HOST/ca.crt)").
 */
#ifndef SKIFF_IMAGE_REGISTRY_H
#define SKIFF_IMAGE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/store.h"
#include "util/error.h"

#define SK_REGISTRY_CERTS_DIR "/etc/skiff/certs.d"
/* The most a manifest may weigh: the distribution project's own limit. */
#define SK_REGISTRY_MANIFEST_MAX (4u << 20)

typedef struct sk_registry_opts {
  /* Docker's certs.d convention: CERTS_DIR/<host[:port]>/ holds *.crt, CAs
   * added to the system's, and a client certificate NAME.cert with its key
   * NAME.key. NULL: SK_REGISTRY_CERTS_DIR. */
  const char *certs_dir;
  /* NULL-terminated: registries ("host:port", "host", or a CIDR such as
   * 10.0.0.0/8) that may be spoken to over plain HTTP. 127.0.0.0/8, ::1 and
   * localhost always may, as Docker has it. Such a registry is tried with
   * HTTPS first and falls back to HTTP when it does not speak TLS; one that
   * does has its certificate verified all the same (Docker skips the check
   * for insecure registries; skiff asks for the CA in certs.d instead). */
  const char *const *insecure;
  /* NULL-terminated: for docker.io only, base URLs ("https://mirror:5000")
   * that pulls try first, in order, before the registry itself. Mirrors are
   * spoken to anonymously: the auth file's credentials are docker.io's. */
  const char *const *mirrors;
  /* A Docker config.json: "auths": {"HOST": {"auth": base64(user:pass)}}
   * (or "username" and "password"). NULL: no credentials. */
  const char *auth_file;
  /* NULL: "skiff/VERSION" */
  const char *user_agent;
} sk_registry_opts;

typedef struct sk_registry sk_registry;

/* Reads the certificates and credentials for domain; an insecure registry is
 * asked GET /v2/ once to learn whether it speaks TLS. */
int sk_registry_open (const char *domain, const sk_registry_opts *o, sk_registry **out,
                      sk_err **err);
void sk_registry_free (sk_registry *r);

/* GETs a manifest by tag or digest, accept being the media types asked for
 * (NULL-terminated; NULL: OCI and Docker manifests and indexes). *body is
 * NUL-terminated (and *len long); *media_type is the Content-Type as sent,
 * schema 1 types included (the caller decides what to do with them); *digest
 * is "sha256:..." of the body. Fetched by digest, a body of another digest is
 * an error; a Docker-Content-Digest header that disagrees with the body is
 * one too. Any of body, media_type and digest may be NULL. */
int sk_registry_get_manifest (sk_registry *r, const char *repo, const char *ref,
                              const char *const *accept, char **body, size_t *len,
                              char **media_type, char **digest, sk_err **err);

typedef struct sk_blob_req {
  const char *digest; /* "sha256:..." */
  int64_t size;       /* from the manifest; -1 when unknown */
} sk_blob_req;

/* Called as a blob's bytes arrive (done < total), and once with done == total
 * when it is stored (or was already). total is 0 when the size is unknown. */
typedef void (*sk_blob_progress) (size_t i, uint64_t done, uint64_t total, void *data);

/* Downloads blobs into the store, at most `parallel` at a time. A blob the
 * store has is skipped; one it has part of is continued with a Range
 * request. Redirects (to blob storage) are followed. Connection errors, 5xx
 * and 429 answers are retried 3 times, after 0.5, 1 and 2 s, each retry
 * continuing from what was received. The store checks size and digest: a
 * wrong blob is never stored, and is an error that names it. On an error,
 * the transfers under way stop; what they received stays in the store's
 * ingest directory for the next attempt. */
int sk_registry_fetch_blobs (sk_registry *r, const char *repo, sk_store *store,
                             const sk_blob_req *reqs, size_t n, int parallel,
                             sk_blob_progress progress, void *data, sk_err **err);

/* Pushing. HEAD of a blob: whether the repository has it. */
int sk_registry_blob_exists (sk_registry *r, const char *repo, const char *digest, bool *exists,
                             sk_err **err);
/* Asks the registry to link a blob of from_repo into repo without uploading
 * it: *mounted is false when it would not (the upload it started instead is
 * cancelled); then push the blob. */
int sk_registry_mount_blob (sk_registry *r, const char *repo, const char *from_repo,
                            const char *digest, bool *mounted, sk_err **err);
/* Called as an upload's bytes are sent: done of total (from 0 again when the
 * upload is retried). */
typedef void (*sk_upload_progress) (uint64_t done, uint64_t total, void *data);
/* Uploads size bytes of fd (read from offset 0 with pread) as a blob of that
 * digest: POST, then one PUT ?digest= (a monolithic upload). progress, when
 * not NULL, is told how much of it was sent. */
int sk_registry_push_blob (sk_registry *r, const char *repo, int fd, const char *digest,
                           int64_t size, sk_upload_progress progress, void *data, sk_err **err);
/* PUTs a manifest under ref (a tag, or its digest); *digest (may be NULL)
 * receives the digest of body. */
int sk_registry_put_manifest (sk_registry *r, const char *repo, const char *ref,
                              const char *media_type, const char *body, size_t len,
                              char **digest, sk_err **err);

/* `docker login`: checks user and password with the registry (GET /v2/,
 * answering its challenge with them); nothing is stored here. */
int sk_registry_login (const char *domain, const sk_registry_opts *o, const char *user,
                       const char *password, sk_err **err);

#define _cleanup_registry_ __attribute__ ((cleanup (sk_registry_freep)))
void sk_registry_freep (sk_registry **r);

#endif
