/* skiff: the registry client's blob downloads (see registry.h).
 *
 * Blobs are fetched side by side on a curl multi handle, straight into the
 * content store through its writer, each continued from what the store
 * already has (Range). A transfer is retried on connection errors, 5xx and
 * 429, sent again after a 401's challenge, and moved on to the next base
 * (the mirrors, then the registry) when one still fails after its retries
 * or lacks the blob.
 */
#include "curl-lazy.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry-internal.h"
#include "registry.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

typedef enum { X_WAITING, X_RUNNING, X_DONE } xfer_state;

typedef struct xfer {
  size_t i;
  char ds[SK_DIGEST_STR_SIZE];
  sk_digest d;
  int64_t size;
  sk_blob_writer *w;
  xfer_state state;
  double not_before; /* monotonic: a retry waits until then */
  int attempts;      /* retries spent on the current base */
  size_t base;       /* which of the bases it is fetched from */
  bool challenged;
  bool restarted; /* a partial file was thrown away once already */
  /* the transfer under way */
  CURL *h;
  struct curl_slist *hdrs;
  char *url;
  resp rs;
  sk_strbuf errbody;
  bool started;  /* the blob's bytes have begun */
  uint64_t skip; /* bytes of a whole answer to a Range request the writer has */
  bool bad_range;
  char *sent_auth;
  sk_err *werr; /* why the write callback stopped the transfer */
  char errbuf[CURL_ERROR_SIZE];
  sk_blob_progress progress;
  void *data;
} xfer;

typedef struct fetch {
  sk_registry *r;
  const char *repo;
  sk_store *store;
  const char *scope;
  const char *bases[16];
  size_t nbases;
  CURLM *m;
  xfer *xs;
  size_t n, left;
  int running;
} fetch;

static void
xfer_report (xfer *x, uint64_t done)
{
  if (x->progress)
    x->progress (x->i, done, x->size > 0 ? (uint64_t) x->size : 0, x->data);
}

/* Whether a Content-Range ("bytes K-E/T") starts at offset. */
static bool
range_starts_at (const char *content_range, uint64_t offset)
{
  unsigned long long start;
  return content_range && sscanf (content_range, "bytes %llu-", &start) == 1 && start == offset;
}

static size_t
xfer_write (char *p, size_t size, size_t n, void *data)
{
  xfer *x = data;
  size_t len = size * n;
  long status = 0;
  curl_easy_getinfo (x->h, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200 && status != 206) {
    /* an error page: kept for its message, never stored */
    if (x->errbody.len + len <= ERROR_BODY_MAX)
      sk_strbuf_add (&x->errbody, p, len);
    return len;
  }
  if (!x->started) {
    x->started = true;
    uint64_t have = sk_blob_writer_offset (x->w);
    if (status == 200) {
      /* the Range was ignored: the blob comes whole, what the writer has
       * is skipped (the digest at the end checks it was the same) */
      x->skip = have;
    } else if (!range_starts_at (x->rs.content_range, have)) {
      x->bad_range = true;
      return 0;
    }
  }
  size_t skip = x->skip < len ? (size_t) x->skip : len;
  x->skip -= skip;
  if (len > skip && sk_blob_write (x->w, p + skip, len - skip, &x->werr) < 0)
    return 0;
  uint64_t done = sk_blob_writer_offset (x->w);
  /* done == size is reported once the blob is stored */
  if (x->size < 0 || done < (uint64_t) x->size)
    xfer_report (x, done);
  return len;
}

/* Opens the writer of a blob; the blob may turn out stored (X_DONE). */
static int
xfer_open (fetch *f, xfer *x, sk_err **err)
{
  int ret = sk_blob_writer_begin (f->store, &x->d, x->size, &x->w, err);
  if (ret < 0)
    return sk_err_wrap (err, "%s/%s", f->r->domain, f->repo);
  if (ret == 0 && x->size >= 0 && sk_blob_writer_offset (x->w) == (uint64_t) x->size) {
    /* a complete file from an earlier attempt: a Range from its end would
     * be refused; either it is the blob, or it is thrown away */
    sk_err *e = NULL;
    ret = sk_blob_writer_commit (steal_ptr (x->w), NULL, &e) == 0 ? 1 : 0;
    sk_err_free (&e);
    if (ret == 0 && sk_blob_writer_begin (f->store, &x->d, x->size, &x->w, err) < 0)
      return sk_err_wrap (err, "%s/%s", f->r->domain, f->repo);
  }
  if (ret == 1) {
    x->state = X_DONE;
    f->left--;
    xfer_report (x, x->size > 0 ? (uint64_t) x->size : 0);
  }
  return 0;
}

static void
xfer_stop (fetch *f, xfer *x)
{
  if (x->h) {
    curl_multi_remove_handle (f->m, x->h);
    curl_easy_cleanup (x->h);
    x->h = NULL;
    f->running--;
  }
  curl_slist_free_all (x->hdrs);
  x->hdrs = NULL;
}

static int
xfer_start (fetch *f, xfer *x, sk_err **err)
{
  free (x->url);
  if (asprintf (&x->url, "%s/v2/%s/blobs/%s", f->bases[x->base], f->repo, x->ds) < 0) {
    x->url = NULL;
    return sk_err_set (err, ENOMEM, "blob");
  }
  sk_reg_resp_clear (&x->rs);
  sk_strbuf_release (&x->errbody);
  x->started = x->bad_range = false;
  x->skip = 0;
  x->h = curl_easy_init ();
  if (x->h == NULL)
    return sk_err_set (err, ENOMEM, "curl");
  f->running++;
  sk_reg_free_header (&x->sent_auth);
  x->sent_auth = sk_reg_auth_header (f->r, x->url, f->scope);
  if (x->sent_auth)
    x->hdrs = curl_slist_append (x->hdrs, x->sent_auth);
  char range[32];
  uint64_t have = sk_blob_writer_offset (x->w);
  snprintf (range, sizeof range, "%llu-", (unsigned long long) have);
  CURLcode c =
    sk_reg_setup_handle (f->r, x->h, x->url, &x->rs, x->errbuf) < 0 ? CURLE_FAILED_INIT : CURLE_OK;
  if (c == CURLE_OK)
    c = curl_easy_setopt (x->h, CURLOPT_HTTPHEADER, x->hdrs);
  if (c == CURLE_OK)
    c = curl_easy_setopt (x->h, CURLOPT_FOLLOWLOCATION, 1L);
  if (c == CURLE_OK)
    c = curl_easy_setopt (x->h, CURLOPT_WRITEFUNCTION, xfer_write);
  if (c == CURLE_OK)
    c = curl_easy_setopt (x->h, CURLOPT_WRITEDATA, x);
  if (c == CURLE_OK)
    c = curl_easy_setopt (x->h, CURLOPT_PRIVATE, x);
  if (c == CURLE_OK && have > 0)
    c = curl_easy_setopt (x->h, CURLOPT_RANGE, range);
  if (c != CURLE_OK) {
    curl_easy_cleanup (x->h);
    x->h = NULL;
    f->running--;
    return sk_err_set (err, 0, "curl: %s", curl_easy_strerror (c));
  }
  if (curl_multi_add_handle (f->m, x->h) != CURLM_OK) {
    curl_easy_cleanup (x->h);
    x->h = NULL;
    f->running--;
    return sk_err_set (err, ENOMEM, "curl");
  }
  x->state = X_RUNNING;
  return 0;
}

/* Waits before trying again: a retry of the same base, or the next base. */
static bool
xfer_retry (fetch *f, xfer *x)
{
  if (x->attempts < MAX_RETRIES) {
    x->not_before = sk_reg_now () + sk_reg_retry_delay_ms[x->attempts++] / 1000.0;
    return true;
  }
  if (x->base + 1 < f->nbases) {
    x->base++;
    x->attempts = 0;
    x->challenged = false;
    x->not_before = 0;
    return true;
  }
  return false;
}

/* Throws away what the writer has, to start the blob over once. */
static int
xfer_restart (fetch *f, xfer *x, sk_err **err)
{
  sk_blob_writer_abort (steal_ptr (x->w), false);
  x->restarted = true;
  return xfer_open (f, x, err);
}

/* A transfer ended with c: the blob is stored, or the transfer is to be
 * tried again (X_WAITING), or the whole fetch fails. */
static int
xfer_done (fetch *f, xfer *x, CURLcode c, sk_err **err)
{
  long status = 0;
  char *eff = NULL;
  curl_easy_getinfo (x->h, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo (x->h, CURLINFO_EFFECTIVE_URL, &eff);
  _cleanup_free_ char *url = strdup (eff ? eff : x->url);
  xfer_stop (f, x);
  x->state = X_WAITING;
  if (url == NULL)
    return sk_err_set (err, ENOMEM, "blob");
  if (x->werr) {
    /* the bytes did not fit the blob (or the disk refused them) */
    sk_blob_writer_abort (steal_ptr (x->w), false);
    if (*err == NULL)
      *err = steal_ptr (x->werr);
    return sk_err_wrap (err, "%s/%s: blob %s", f->r->domain, f->repo, x->ds);
  }
  if (x->bad_range || status == 416) {
    /* the registry did not continue where the partial file ends */
    if (!x->restarted)
      return xfer_restart (f, x, err);
    return sk_err_set (err, 0, "%s/%s: blob %s: the registry does not serve the range asked for",
                       f->r->domain, f->repo, x->ds);
  }
  if (c != CURLE_OK) {
    if (sk_reg_retriable (c) && xfer_retry (f, x))
      return 0;
    sk_reg_transport_error (f->r, url, c, x->errbuf, err);
    return sk_err_wrap (err, "blob %s", x->ds);
  }
  if (status == 200 || status == 206) {
    uint64_t got = sk_blob_writer_offset (x->w);
    if (sk_blob_writer_commit (steal_ptr (x->w), NULL, err) < 0)
      return sk_err_wrap (err, "%s/%s", f->r->domain, f->repo);
    x->state = X_DONE;
    f->left--;
    xfer_report (x, got);
    return 0;
  }
  if (status == 401 && !x->challenged) {
    x->challenged = true;
    int a = sk_reg_challenge (f->r, url, x->rs.www_auth, f->scope, x->sent_auth, err);
    if (a < 0)
      return -1;
    if (a > 0) {
      x->not_before = 0;
      return 0;
    }
  }
  if ((status >= 500 || status == 429) && xfer_retry (f, x))
    return 0;
  if (status != 401 && status != 403 && x->base + 1 < f->nbases) {
    /* a mirror without it: the next base */
    x->base++;
    x->attempts = 0;
    return 0;
  }
  _cleanup_free_ char *what = NULL;
  if (asprintf (&what, "%s/%s@%s", f->r->domain, f->repo, x->ds) < 0)
    return sk_err_set (err, ENOMEM, "blob");
  return sk_reg_status_error (f->r, f->repo, what, false, status, &x->errbody, err);
}

/* One turn: starts what may start, lets curl work, handles what ended. */
static int
fetch_turn (fetch *f, int parallel, sk_err **err)
{
  double now = sk_reg_now (), next = now + 1;
  for (size_t i = 0; i < f->n; i++) {
    xfer *x = &f->xs[i];
    if (x->state != X_WAITING)
      continue;
    if (x->not_before > now) {
      next = x->not_before < next ? x->not_before : next;
      continue;
    }
    if (f->running < parallel && xfer_start (f, x, err) < 0)
      return -1;
  }
  int still = 0;
  curl_multi_perform (f->m, &still);
  CURLMsg *msg;
  int queued;
  while ((msg = curl_multi_info_read (f->m, &queued))) {
    if (msg->msg != CURLMSG_DONE)
      continue;
    xfer *x = NULL;
    CURLcode c = msg->data.result;
    curl_easy_getinfo (msg->easy_handle, CURLINFO_PRIVATE, (char **) &x);
    /* msg is not valid once its handle is removed */
    if (xfer_done (f, x, c, err) < 0)
      return -1;
  }
  if (f->left == 0)
    return 0;
  int timeout = (int) ((next - sk_reg_now ()) * 1000);
  if (timeout < 0)
    timeout = 0;
  if (timeout > 1000)
    timeout = 1000;
  curl_multi_poll (f->m, NULL, 0, timeout, NULL);
  return 0;
}

int
sk_registry_fetch_blobs (sk_registry *r, const char *repo, sk_store *store,
                         const sk_blob_req *reqs, size_t n, int parallel,
                         sk_blob_progress progress, void *data, sk_err **err)
{
  if (sk_reg_check_repo (repo, err) < 0)
    return -1;
  if (n == 0)
    return 0;
  _cleanup_free_ char *scope = NULL;
  if (asprintf (&scope, "repository:%s:pull", repo) < 0)
    return sk_err_set (err, ENOMEM, "blob");
  fetch f = {.r = r, .repo = repo, .store = store, .scope = scope, .n = n, .left = n};
  f.nbases = sk_reg_pull_bases (r, f.bases, SK_N_ELEMENTS (f.bases));
  f.xs = calloc (n, sizeof *f.xs);
  f.m = curl_multi_init ();
  if (f.xs == NULL || f.m == NULL) {
    free (f.xs);
    if (f.m)
      curl_multi_cleanup (f.m);
    return sk_err_set (err, ENOMEM, "blob");
  }
  int ret = 0;
  for (size_t i = 0; i < n && ret == 0; i++) {
    xfer *x = &f.xs[i];
    x->i = i;
    x->size = reqs[i].size;
    x->progress = progress;
    x->data = data;
    x->state = X_WAITING;
    if (sk_digest_parse (reqs[i].digest, &x->d, err) < 0)
      ret = -1;
    else {
      sk_digest_format (&x->d, x->ds);
      ret = xfer_open (&f, x, err);
    }
  }
  while (ret == 0 && f.left > 0)
    ret = fetch_turn (&f, parallel < 1 ? 1 : parallel, err);
  for (size_t i = 0; i < n; i++) {
    xfer *x = &f.xs[i];
    xfer_stop (&f, x);
    /* what arrived stays for the next attempt: the store checks it then */
    sk_blob_writer_abort (x->w, x->w && sk_blob_writer_offset (x->w) > 0);
    free (x->url);
    sk_reg_free_header (&x->sent_auth);
    sk_reg_resp_clear (&x->rs);
    sk_strbuf_release (&x->errbody);
    sk_err_free (&x->werr);
  }
  curl_multi_cleanup (f.m);
  free (f.xs);
  return ret;
}
