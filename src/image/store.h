/* skiff: the content store. Blobs (layers, configs, manifests) are kept by
 * their sha256 under ROOT/blobs/sha256/<hex>.
 *
 * A blob enters the store only through a writer: its bytes go to a file in
 * ROOT/ingest, are hashed as they come, and at commit the size and digest are
 * checked, the file fsynced and renamed into place (and the directory
 * fsynced). A blob that fails its digest is never visible under blobs/. The
 * ingest file of a blob whose digest is known is named after it and locked
 * while written: a second writer of the same blob waits, then finds it
 * stored; a writer that died leaves a partial file the next one resumes.
 */
#ifndef SKIFF_IMAGE_STORE_H
#define SKIFF_IMAGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "image/digest.h"
#include "util/error.h"

typedef struct sk_store sk_store;
typedef struct sk_blob_writer sk_blob_writer;

/* Opens the store at root, creating its directories (mode 0700 for root). */
int sk_store_open (const char *root, sk_store **out, sk_err **err);
void sk_store_free (sk_store *s);

bool sk_store_has (sk_store *s, const sk_digest *d);
/* The path of a stored blob (for an overlay lower, a log line); NULL on ENOMEM. */
char *sk_store_blob_path (sk_store *s, const sk_digest *d);
/* Opens a stored blob for reading. */
int sk_store_open_blob (sk_store *s, const sk_digest *d, sk_err **err);
/* Reads a whole stored blob of at most max bytes (manifests, configs) and
 * checks it against its digest again: a file changed on disk is an error. */
int sk_store_read_blob (sk_store *s, const sk_digest *d, size_t max, char **data, size_t *len,
                        sk_err **err);
/* Rehashes a stored blob; an error when it no longer matches. */
int sk_store_verify_blob (sk_store *s, const sk_digest *d, sk_err **err);
int sk_store_delete_blob (sk_store *s, const sk_digest *d, sk_err **err);
/* Calls fn for each stored blob, in no order; a negative return stops. */
int sk_store_walk (sk_store *s, int (*fn) (const sk_digest *d, void *data), void *data,
                   sk_err **err);

/* Starts writing a blob. With a digest (and a size, or -1 when unknown), the
 * writer resumes a partial file left by an earlier writer; returns 1 with
 * *out NULL when the blob is already stored (perhaps by the writer it waited
 * for). Without a digest, the digest is what commit computes. */
int sk_blob_writer_begin (sk_store *s, const sk_digest *expected, int64_t expected_size,
                          sk_blob_writer **out, sk_err **err);
/* How many bytes the writer already has (a resumed partial file). */
uint64_t sk_blob_writer_offset (const sk_blob_writer *w);
int sk_blob_write (sk_blob_writer *w, const void *data, size_t len, sk_err **err);
/* Checks size and digest, makes the blob durable and visible; *out (may be
 * NULL) receives the digest. The writer is freed, also on failure (then the
 * partial file is removed: its content was wrong). */
int sk_blob_writer_commit (sk_blob_writer *w, sk_digest *out, sk_err **err);
/* Gives up; keep_partial leaves what was written for a later resume. */
void sk_blob_writer_abort (sk_blob_writer *w, bool keep_partial);

/* Writes a whole blob from memory (a manifest, a config). */
int sk_store_put (sk_store *s, const void *data, size_t len, sk_digest *out, sk_err **err);

#endif
