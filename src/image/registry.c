/* skiff: the registry client (see registry.h).
 *
 * Requests that wait for their answer (manifests, pushes) go through one
 * easy handle at a time, http_do; blob downloads run side by side on a
 * curl multi handle, in registry-fetch.c. Both share what
 * registry-internal.h declares: the handle setup (TLS, limits, headers),
 * the authentication (sk_reg_auth_header before a request,
 * sk_reg_challenge after a 401) and the way a failure becomes a one-line
 * message.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include "curl-lazy.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "registry-internal.h"
#include "registry.h"
#include "skiff-config.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strbuf.h"

/* what docker.io is, on the wire */
#define DOCKER_HUB_BASE "https://registry-1.docker.io"

/* retries of connection errors, 5xx and 429: the delays before each */
const unsigned sk_reg_retry_delay_ms[] = {500, 1000, 2000};

double
sk_reg_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
sleep_ms (unsigned ms)
{
  struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

/* ---- which registries are insecure ---- */

/* The host of a domain, without its port or brackets, into buf. */
static void
domain_host (const char *domain, char *buf, size_t size)
{
  const char *start = domain, *end;
  if (domain[0] == '[') {
    start = domain + 1;
    end = strchr (start, ']');
    if (end == NULL)
      end = start + strlen (start);
  } else {
    end = strchr (domain, ':');
    if (end == NULL)
      end = domain + strlen (domain);
  }
  snprintf (buf, size, "%.*s", (int) (end - start), start);
}

/* Whether the address text is in the network "addr/bits" (or is addr). */
static bool
in_cidr (const char *host, const char *cidr)
{
  char net[INET6_ADDRSTRLEN + 1];
  const char *slash = strchr (cidr, '/');
  size_t nlen = slash ? (size_t) (slash - cidr) : strlen (cidr);
  if (nlen >= sizeof net)
    return false;
  memcpy (net, cidr, nlen);
  net[nlen] = '\0';
  unsigned char a[16], b[16];
  int family = strchr (net, ':') ? AF_INET6 : AF_INET;
  size_t alen = family == AF_INET6 ? 16 : 4;
  if (inet_pton (family, net, b) != 1 || inet_pton (family, host, a) != 1)
    return false;
  char *end = NULL;
  long bits = slash ? strtol (slash + 1, &end, 10) : (long) alen * 8;
  if ((slash && (*end != '\0' || end == slash + 1)) || bits < 0 || bits > (long) alen * 8)
    return false;
  for (size_t i = 0; i < alen && bits > 0; i++, bits -= 8) {
    unsigned mask = bits >= 8 ? 0xff : (0xff00u >> bits) & 0xff;
    if ((a[i] & mask) != (b[i] & mask))
      return false;
  }
  return true;
}

static bool
is_insecure (const char *domain, const char *const *insecure)
{
  char host[256];
  domain_host (domain, host, sizeof host);
  if (strcmp (host, "localhost") == 0 || in_cidr (host, "127.0.0.0/8") || in_cidr (host, "::1"))
    return true;
  for (const char *const *p = insecure; p && *p; p++)
    if (strcmp (*p, domain) == 0 || strcmp (*p, host) == 0 || in_cidr (host, *p))
      return true;
  return false;
}

/* ---- certs.d ---- */

static bool
has_suffix (const char *s, const char *suffix)
{
  size_t n = strlen (s), m = strlen (suffix);
  return n >= m && strcmp (s + n - m, suffix) == 0;
}

/* Reads CERTS_DIR/DOMAIN: every *.crt a CA (concatenated, PEM), the first
 * NAME.cert that has a NAME.key the client certificate. No directory: none. */
static int
load_certs (sk_registry *r, sk_err **err)
{
  _cleanup_free_ char *dir = sk_path_join (r->certs_dir, r->domain);
  if (dir == NULL)
    return sk_err_set (err, ENOMEM, "certs");
  /* sorted, so that the choice of client certificate is predictable */
  struct dirent **names = NULL;
  int n = scandir (dir, &names, NULL, alphasort);
  if (n < 0)
    return errno == ENOENT || errno == ENOTDIR ? 0 : sk_err_set (err, errno, "read `%s`", dir);
  sk_strbuf ca = SK_STRBUF_INIT;
  int ret = 0;
  for (int i = 0; i < n; i++) {
    const char *name = names[i]->d_name;
    _cleanup_free_ char *path = sk_path_join (dir, name);
    if (path == NULL) {
      ret = sk_err_set (err, ENOMEM, "certs");
    } else if (has_suffix (name, ".crt")) {
      _cleanup_free_ char *data = NULL;
      size_t len;
      if (ret == 0 && sk_read_file (path, &data, &len, err) < 0)
        ret = -1;
      else if (ret == 0) {
        sk_strbuf_add (&ca, data, len);
        sk_strbuf_putc (&ca, '\n');
      }
    } else if (has_suffix (name, ".cert") && r->client_cert == NULL && ret == 0) {
      _cleanup_free_ char *key = NULL;
      if (asprintf (&key, "%.*s.key", (int) (strlen (path) - 5), path) < 0)
        ret = sk_err_set (err, ENOMEM, "certs");
      else if (access (key, R_OK) < 0)
        ret = sk_err_set (err, errno, "client certificate `%s`: its key `%s`", path, key);
      else {
        r->client_cert = steal_ptr (path);
        r->client_key = steal_ptr (key);
      }
    }
    free (names[i]);
  }
  free (names);
  if (ret < 0) {
    sk_strbuf_release (&ca);
    return -1;
  }
  r->ca_len = ca.len;
  r->ca_pem = ca.len ? sk_strbuf_detach (&ca) : NULL;
  sk_strbuf_release (&ca);
  return 0;
}

/* ---- the auth file ---- */

static bool
is_docker_hub (const char *domain)
{
  return strcmp (domain, "docker.io") == 0 || strcmp (domain, "index.docker.io") == 0
         || strcmp (domain, "registry-1.docker.io") == 0;
}

/* Whether a key of "auths" ("https://index.docker.io/v1/", "127.0.0.1:5000")
 * names domain. */
static bool
auth_key_matches (const char *key, const char *domain)
{
  if (strncmp (key, "https://", 8) == 0)
    key += 8;
  else if (strncmp (key, "http://", 7) == 0)
    key += 7;
  size_t n = strcspn (key, "/");
  char host[512];
  if (n >= sizeof host)
    return false;
  memcpy (host, key, n);
  host[n] = '\0';
  if (is_docker_hub (domain))
    return is_docker_hub (host);
  return strcmp (host, domain) == 0;
}

/* Sets r->basic from the entry of the auth file for the domain, if any. */
static int
load_auth (sk_registry *r, const char *path, sk_err **err)
{
  _cleanup_json_ sk_json *doc = NULL;
  if (sk_json_parse_file (path, NULL, &doc, err) < 0)
    return sk_err_wrap (err, "auth file");
  sk_json *auths = NULL;
  if (!json_object_object_get_ex (doc, "auths", &auths) || !json_object_is_type (auths, json_type_object))
    return 0;
  json_object_object_foreach (auths, key, entry)
  {
    if (!auth_key_matches (key, r->domain) || !json_object_is_type (entry, json_type_object))
      continue;
    sk_json *v = NULL, *user = NULL, *pass = NULL;
    if (json_object_object_get_ex (entry, "auth", &v) && json_object_is_type (v, json_type_string)
        && json_object_get_string_len (v) > 0) {
      /* checked, so that a broken entry is named here rather than refused
       * by the registry for a reason nobody can see */
      const char *b64 = json_object_get_string (v);
      _cleanup_free_ unsigned char *plain = NULL;
      size_t n = 0;
      if (sk_base64_decode (b64, &plain, &n) < 0 || memchr (plain, ':', n) == NULL)
        return sk_err_set (err, 0, "auth file `%s`: the \"auth\" of %s is not base64 of user:password",
                           path, key);
      r->basic = strdup (b64);
    } else if (json_object_object_get_ex (entry, "username", &user)
               && json_object_object_get_ex (entry, "password", &pass)
               && json_object_is_type (user, json_type_string)
               && json_object_is_type (pass, json_type_string)) {
      _cleanup_free_ char *up = NULL;
      if (asprintf (&up, "%s:%s", json_object_get_string (user), json_object_get_string (pass)) < 0)
        return sk_err_set (err, ENOMEM, "auth file");
      size_t len = strlen (up);
      r->basic = sk_base64_encode (up, len);
      explicit_bzero (up, len);
    } else {
      continue;
    }
    if (r->basic == NULL)
      return sk_err_set (err, ENOMEM, "auth file");
    return 0;
  }
  return 0;
}

/* ---- URLs ---- */

/* "scheme://host:port" of url, the port spelled out; NULL if not a URL. */
static char *
url_origin (const char *url)
{
  CURLU *u = curl_url ();
  if (u == NULL)
    return NULL;
  char *scheme = NULL, *host = NULL, *port = NULL, *out = NULL;
  if (curl_url_set (u, CURLUPART_URL, url, 0) == CURLUE_OK
      && curl_url_get (u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK
      && curl_url_get (u, CURLUPART_HOST, &host, 0) == CURLUE_OK
      && curl_url_get (u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
    if (asprintf (&out, "%s://%s:%s", scheme, host, port) < 0)
      out = NULL;
  }
  curl_free (scheme);
  curl_free (host);
  curl_free (port);
  curl_url_cleanup (u);
  return out;
}

/* location resolved against base (a Location header may be relative), with
 * "name=value" appended to its query when query is not NULL. */
static char *
url_resolve (const char *base, const char *location, const char *query)
{
  CURLU *u = curl_url ();
  char *out = NULL;
  if (u == NULL)
    return NULL;
  if (curl_url_set (u, CURLUPART_URL, base, 0) == CURLUE_OK
      && curl_url_set (u, CURLUPART_URL, location, 0) == CURLUE_OK
      && (query == NULL
          || curl_url_set (u, CURLUPART_QUERY, query, CURLU_APPENDQUERY | CURLU_URLENCODE) == CURLUE_OK)
      && curl_url_get (u, CURLUPART_URL, &out, 0) == CURLUE_OK) {
    char *copy = strdup (out);
    curl_free (out);
    out = copy;
  } else {
    out = NULL;
  }
  curl_url_cleanup (u);
  return out;
}

/* ---- opening ---- */

static void
registry_free_tokens (sk_registry *r)
{
  for (size_t i = 0; i < r->n_tokens; i++) {
    free (r->tokens[i].origin);
    free (r->tokens[i].scope);
    if (r->tokens[i].value)
      explicit_bzero (r->tokens[i].value, strlen (r->tokens[i].value));
    free (r->tokens[i].value);
  }
  free (r->tokens);
  r->tokens = NULL;
  r->n_tokens = 0;
}

void
sk_registry_free (sk_registry *r)
{
  if (r == NULL)
    return;
  free (r->domain);
  free (r->base);
  free (r->origin);
  sk_strv_free (r->mirrors);
  free (r->certs_dir);
  free (r->ca_pem);
  free (r->client_cert);
  free (r->client_key);
  free (r->auth_file);
  if (r->basic)
    explicit_bzero (r->basic, strlen (r->basic));
  free (r->basic);
  free (r->user_agent);
  registry_free_tokens (r);
  free (r);
}

void
sk_registry_freep (sk_registry **r)
{
  sk_registry_free (*r);
}

static int probe_scheme (sk_registry *r, sk_err **err);

int
sk_registry_open (const char *domain, const sk_registry_opts *o, sk_registry **out, sk_err **err)
{
  static const sk_registry_opts none;
  if (o == NULL)
    o = &none;
  /* thread-safe since curl 7.84; a no-op after the first call */
  if (sk_curl_load_error ())
    return sk_err_set (err, 0, "%s", sk_curl_load_error ());
  if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return sk_err_set (err, 0, "libcurl: initialisation failed");
  if (domain == NULL || domain[0] == '\0' || strpbrk (domain, "/?#@ ") != NULL)
    return sk_err_set (err, 0, "`%s`: not a registry domain", domain ? domain : "");
  _cleanup_registry_ sk_registry *r = calloc (1, sizeof *r);
  if (r == NULL)
    return sk_err_set (err, ENOMEM, "calloc");
  bool plain = is_insecure (domain, o->insecure);
  r->domain = strdup (domain);
  r->certs_dir = strdup (o->certs_dir ? o->certs_dir : SK_REGISTRY_CERTS_DIR);
  r->auth_file = o->auth_file ? strdup (o->auth_file) : NULL;
  if (o->user_agent)
    r->user_agent = strdup (o->user_agent);
  else if (asprintf (&r->user_agent, "skiff/%s", SKIFF_VERSION) < 0)
    r->user_agent = NULL;
  if (is_docker_hub (domain))
    r->base = strdup (DOCKER_HUB_BASE);
  else if (asprintf (&r->base, "https://%s", domain) < 0)
    r->base = NULL;
  if (!r->domain || !r->certs_dir || (o->auth_file && !r->auth_file) || !r->user_agent || !r->base)
    return sk_err_set (err, ENOMEM, "registry");
  if (is_docker_hub (domain) && o->mirrors) {
    size_t n = 0;
    while (o->mirrors[n])
      n++;
    r->mirrors = calloc (n + 1, sizeof *r->mirrors);
    if (r->mirrors == NULL)
      return sk_err_set (err, ENOMEM, "registry");
    for (size_t i = 0; i < n; i++) {
      size_t len = strlen (o->mirrors[i]);
      while (len > 0 && o->mirrors[i][len - 1] == '/')
        len--;
      if (strncmp (o->mirrors[i], "http://", 7) != 0 && strncmp (o->mirrors[i], "https://", 8) != 0)
        return sk_err_set (err, 0, "registry mirror `%s`: not an http:// or https:// URL", o->mirrors[i]);
      if ((r->mirrors[i] = strndup (o->mirrors[i], len)) == NULL)
        return sk_err_set (err, ENOMEM, "registry");
    }
  }
  if (load_certs (r, err) < 0)
    return sk_err_wrap (err, "registry %s", domain);
  if (r->auth_file && load_auth (r, r->auth_file, err) < 0)
    return -1;
  if (plain && probe_scheme (r, err) < 0)
    return -1;
  free (r->origin);
  if ((r->origin = url_origin (r->base)) == NULL)
    return sk_err_set (err, 0, "`%s`: not a registry domain", domain);
  *out = steal_ptr (r);
  return 0;
}

/* ---- one request and its answer ---- */

void
sk_reg_resp_clear (resp *rs)
{
  free (rs->content_type);
  free (rs->digest);
  free (rs->location);
  free (rs->www_auth);
  free (rs->content_range);
  memset (rs, 0, sizeof *rs);
}

static size_t
header_cb (char *buf, size_t size, size_t n, void *data)
{
  resp *rs = data;
  size_t len = size * n;
  if (len >= 5 && strncmp (buf, "HTTP/", 5) == 0) {
    /* a new answer (after a redirect): the last one's headers are not its */
    sk_reg_resp_clear (rs);
    return len;
  }
  struct {
    const char *name;
    char **slot;
  } wanted[] = {
    {"content-type", &rs->content_type},
    {"docker-content-digest", &rs->digest},
    {"location", &rs->location},
    {"www-authenticate", &rs->www_auth},
    {"content-range", &rs->content_range},
  };
  const char *colon = memchr (buf, ':', len);
  if (colon == NULL)
    return len;
  for (size_t i = 0; i < SK_N_ELEMENTS (wanted); i++) {
    size_t nlen = strlen (wanted[i].name);
    if ((size_t) (colon - buf) != nlen || strncasecmp (buf, wanted[i].name, nlen) != 0)
      continue;
    const char *v = colon + 1, *end = buf + len;
    while (v < end && (*v == ' ' || *v == '\t'))
      v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
      end--;
    free (*wanted[i].slot);
    *wanted[i].slot = strndup (v, end - v);
  }
  return len;
}

/* Sets what every request of a registry has: limits, TLS, the headers
 * collected into rs, errors into errbuf. Only http and https, also when
 * redirected. */
int
sk_reg_setup_handle (sk_registry *r, CURL *h, const char *url, resp *rs, char *errbuf)
{
  CURLcode c = CURLE_OK;
#define SET(opt, val)                                                                              \
  do {                                                                                             \
    if (c == CURLE_OK)                                                                             \
      c = curl_easy_setopt (h, opt, val);                                                          \
  } while (0)
  errbuf[0] = '\0';
  SET (CURLOPT_ERRORBUFFER, errbuf);
  SET (CURLOPT_URL, url);
  SET (CURLOPT_USERAGENT, r->user_agent);
  SET (CURLOPT_NOSIGNAL, 1L);
  SET (CURLOPT_PROTOCOLS_STR, "http,https");
  SET (CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  SET (CURLOPT_MAXREDIRS, 10L);
  /* a redirect to another host or port (blob storage) gets no
   * Authorization header: the token or credentials are the registry's */
  SET (CURLOPT_UNRESTRICTED_AUTH, 0L);
  SET (CURLOPT_CONNECTTIMEOUT, 30L);
  /* a stalled transfer (less than a byte a second for a minute) is a
   * connection error, so it is retried */
  SET (CURLOPT_LOW_SPEED_LIMIT, 1L);
  SET (CURLOPT_LOW_SPEED_TIME, 60L);
  SET (CURLOPT_HEADERFUNCTION, header_cb);
  SET (CURLOPT_HEADERDATA, rs);
  if (r->ca_pem) {
    /* added to the default bundle, which curl loads as well */
    struct curl_blob blob = {r->ca_pem, r->ca_len, CURL_BLOB_COPY};
    SET (CURLOPT_CAINFO_BLOB, &blob);
  }
  if (r->client_cert) {
    SET (CURLOPT_SSLCERT, r->client_cert);
    SET (CURLOPT_SSLKEY, r->client_key);
  }
#undef SET
  return c == CURLE_OK ? 0 : -1;
}

bool
sk_reg_retriable (CURLcode c)
{
  switch (c) {
  case CURLE_COULDNT_CONNECT:
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_PARTIAL_FILE:
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
    return true;
  default:
    return false;
  }
}

/* How a server is named in messages: the registry by its domain, another
 * (a mirror, blob storage, a token server) by host:port. */
static char *
server_name (sk_registry *r, const char *url)
{
  _cleanup_free_ char *origin = url_origin (url);
  if (origin == NULL || strcmp (origin, r->origin ? r->origin : "") == 0)
    return strdup (r->domain);
  const char *p = strstr (origin, "://");
  return strdup (p ? p + 3 : origin);
}

/* A failed connection as one line. */
int
sk_reg_transport_error (sk_registry *r, const char *url, CURLcode c, const char *errbuf, sk_err **err)
{
  _cleanup_free_ char *who = server_name (r, url);
  const char *detail = errbuf && errbuf[0] ? errbuf : curl_easy_strerror (c);
  if (who == NULL)
    return sk_err_set (err, ENOMEM, "registry");
  switch (c) {
  case CURLE_PEER_FAILED_VERIFICATION: {
    const char *p = strstr (detail, "certificate problem: ");
    if (p)
      detail = p + strlen ("certificate problem: ");
    return sk_err_set (err, 0, "TLS: certificate verify failed for %s (%s; add its CA as %s/%s/ca.crt)",
                       who, detail, r->certs_dir, who);
  }
  case CURLE_SSL_CONNECT_ERROR:
    return sk_err_set (err, 0, "TLS: the handshake with %s failed: %s", who, detail);
  case CURLE_COULDNT_CONNECT:
    return sk_err_set (err, 0, "%s: cannot connect: %s", who, curl_easy_strerror (c));
  default:
    return sk_err_set (err, 0, "%s: %s", who, detail);
  }
}

/* The registry's own words for a failure: the code of the first error of
 * its JSON, lowercased ("manifest unknown"), and its message when that adds
 * something and `detail`; else the HTTP status. */
static char *
registry_says (long status, const sk_strbuf *body, bool detail)
{
  char *out = NULL;
  json_object *doc = body->buf ? json_tokener_parse (body->buf) : NULL;
  json_object *errors = NULL, *e0, *code = NULL, *msg = NULL;
  if (doc && json_object_object_get_ex (doc, "errors", &errors)
      && json_object_is_type (errors, json_type_array) && json_object_array_length (errors) > 0
      && (e0 = json_object_array_get_idx (errors, 0)) != NULL
      && json_object_object_get_ex (e0, "code", &code) && json_object_is_type (code, json_type_string)) {
    char *c = strdup (json_object_get_string (code));
    for (char *p = c; p && *p; p++)
      *p = *p == '_' ? ' ' : (char) tolower ((unsigned char) *p);
    const char *m = NULL;
    if (detail && json_object_object_get_ex (e0, "message", &msg) && json_object_is_type (msg, json_type_string)
        && strcasecmp (json_object_get_string (msg), c ? c : "") != 0)
      m = json_object_get_string (msg);
    if (c && m) {
      /* one line, and not a page of it */
      if (asprintf (&out, "%s: %.200s", c, m) < 0)
        out = NULL;
      for (char *p = out; p && *p; p++)
        if (*p == '\n' || *p == '\r')
          *p = ' ';
      free (c);
    } else {
      out = c;
    }
  }
  if (doc)
    json_object_put (doc);
  if (out == NULL && asprintf (&out, "HTTP %ld", status) < 0)
    out = NULL;
  return out;
}

/* A refusal as one line. Refused access names the repository and says what
 * would help; anything else names `what` (the manifest, the blob). */
int
sk_reg_status_error (sk_registry *r, const char *repo, const char *what, bool push, long status,
                     const sk_strbuf *body, sk_err **err)
{
  bool access = status == 401 || status == 403;
  _cleanup_free_ char *says = registry_says (status, body, !access);
  if (access) {
    if (r->basic)
      return sk_err_set (err, 0, "%s access denied for %s/%s: %s (with the credentials of %s)",
                         push ? "push" : "pull", r->domain, repo, says ? says : "denied", r->auth_file);
    return sk_err_set (err, 0, "%s access denied for %s/%s: %s (the registry wants credentials: skiff login %s)",
                       push ? "push" : "pull", r->domain, repo, says ? says : "denied", r->domain);
  }
  return sk_err_set (err, 0, "%s: %s", what, says ? says : "failed");
}

/* ---- authentication ---- */

static token *
find_token (sk_registry *r, const char *origin, const char *scope)
{
  double now = sk_reg_now ();
  for (size_t i = 0; i < r->n_tokens; i++)
    if (strcmp (r->tokens[i].origin, origin) == 0 && strcmp (r->tokens[i].scope, scope) == 0
        && r->tokens[i].expires > now)
      return &r->tokens[i];
  return NULL;
}

/* The Authorization header for a request to url in scope, or NULL: a token
 * or the credentials, and only for the server they are for. */
char *
sk_reg_auth_header (sk_registry *r, const char *url, const char *scope)
{
  if (scope == NULL)
    return NULL;
  _cleanup_free_ char *origin = url_origin (url);
  if (origin == NULL)
    return NULL;
  char *h = NULL;
  token *t = find_token (r, origin, scope);
  if (t) {
    if (asprintf (&h, "Authorization: Bearer %s", t->value) < 0)
      h = NULL;
  } else if (r->send_basic && r->basic && strcmp (origin, r->origin) == 0) {
    if (asprintf (&h, "Authorization: Basic %s", r->basic) < 0)
      h = NULL;
  }
  return h;
}

void
sk_reg_free_header (char **h)
{
  if (*h)
    explicit_bzero (*h, strlen (*h));
  free (*h);
}

/* The value of a parameter of a challenge (`realm="...",service="..."`). */
static char *
challenge_param (const char *p, const char *name)
{
  size_t nlen = strlen (name);
  while (*p) {
    while (*p == ' ' || *p == ',' || *p == '\t')
      p++;
    const char *key = p;
    while (*p && *p != '=' && *p != ',')
      p++;
    if (*p != '=')
      continue;
    bool match = (size_t) (p - key) == nlen && strncasecmp (key, name, nlen) == 0;
    p++;
    sk_strbuf v = SK_STRBUF_INIT;
    if (*p == '"') {
      for (p++; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1])
          p++;
        sk_strbuf_putc (&v, *p);
      }
      if (*p == '"')
        p++;
    } else {
      const char *start = p;
      while (*p && *p != ',')
        p++;
      sk_strbuf_add (&v, start, p - start);
    }
    if (match)
      return sk_strbuf_detach (&v);
    sk_strbuf_release (&v);
  }
  return NULL;
}

typedef struct http_req {
  const char *method; /* "GET", "HEAD", "POST", "PUT", "DELETE" */
  const char *url;
  const char *scope;         /* the token scope; NULL: no authentication */
  const char *authorization; /* a whole Authorization header, instead */
  const char *accept;        /* an Accept header, or NULL */
  const char *content_type;
  const char *body; /* what a PUT sends: from memory, */
  int fd;           /* or from fd (>= 0) */
  uint64_t body_len;
  size_t max; /* the most of the answer's body kept */
  bool follow;
  bool retry_5xx;
  sk_upload_progress progress; /* told of a PUT's bytes as they are sent */
  void *progress_data;
  uint64_t reported;
  /* the answer */
  resp rs;
  sk_strbuf out;
  char *effective_url;
  char *sent_auth; /* the Authorization header sent, or NULL */
  CURLcode code;
  bool too_big;
  char errbuf[CURL_ERROR_SIZE];
} http_req;

static void
http_req_release (http_req *q)
{
  sk_reg_resp_clear (&q->rs);
  sk_strbuf_release (&q->out);
  free (q->effective_url);
  q->effective_url = NULL;
  sk_reg_free_header (&q->sent_auth);
  q->sent_auth = NULL;
}
#define _cleanup_http_req_ __attribute__ ((cleanup (http_req_release)))

static size_t
body_write (char *p, size_t size, size_t n, void *data)
{
  http_req *q = data;
  size_t len = size * n;
  if (q->out.len + len > q->max) {
    q->too_big = true;
    return 0;
  }
  sk_strbuf_add (&q->out, p, len);
  return len;
}

typedef struct upload {
  const char *mem;
  int fd;
  uint64_t off, size;
  int err;
} upload;

static size_t
upload_read (char *buf, size_t size, size_t n, void *data)
{
  upload *u = data;
  size_t want = size * n;
  if (want > u->size - u->off)
    want = u->size - u->off;
  if (want == 0)
    return 0;
  if (u->mem) {
    memcpy (buf, u->mem + u->off, want);
  } else {
    ssize_t got;
    do
      got = pread (u->fd, buf, want, (off_t) u->off);
    while (got < 0 && errno == EINTR);
    if (got <= 0) {
      u->err = got < 0 ? errno : EIO;
      return CURL_READFUNC_ABORT;
    }
    want = got;
  }
  u->off += want;
  return want;
}

/* libcurl's progress callback: an upload's bytes, told once each time
 * more were sent */
static int
upload_progress (void *data, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                 curl_off_t ulnow)
{
  http_req *q = data;
  (void) dltotal;
  (void) dlnow;
  (void) ultotal;
  if (ulnow > 0 && (uint64_t) ulnow != q->reported && (uint64_t) ulnow <= q->body_len) {
    q->reported = (uint64_t) ulnow;
    q->progress (q->reported, q->body_len, q->progress_data);
  }
  return 0;
}

/* A PUT's body, from q->body or q->fd, and its progress when asked for. */
static CURLcode
setup_put (CURL *h, http_req *q, upload *u)
{
  *u = (upload) {q->body, q->fd, 0, q->body_len, 0};
  q->reported = 0;
  CURLcode c = curl_easy_setopt (h, CURLOPT_UPLOAD, 1L);
  if (c == CURLE_OK)
    c = curl_easy_setopt (h, CURLOPT_READFUNCTION, upload_read);
  if (c == CURLE_OK)
    c = curl_easy_setopt (h, CURLOPT_READDATA, u);
  if (c == CURLE_OK)
    c = curl_easy_setopt (h, CURLOPT_INFILESIZE_LARGE, (curl_off_t) q->body_len);
  if (c == CURLE_OK && q->progress) {
    c = curl_easy_setopt (h, CURLOPT_XFERINFOFUNCTION, upload_progress);
    if (c == CURLE_OK)
      c = curl_easy_setopt (h, CURLOPT_XFERINFODATA, q);
    if (c == CURLE_OK)
      c = curl_easy_setopt (h, CURLOPT_NOPROGRESS, 0L);
  }
  return c;
}

/* One attempt of a request; the answer's status in q->rs.status. */
static int
http_once (sk_registry *r, http_req *q, upload *u)
{
  http_req_release (q);
  q->too_big = false;
  CURL *h = curl_easy_init ();
  if (h == NULL) {
    q->code = CURLE_OUT_OF_MEMORY;
    return -1;
  }
  struct curl_slist *hdrs = NULL;
  _cleanup_secret_ char *auth =
    q->authorization ? strdup (q->authorization) : sk_reg_auth_header (r, q->url, q->scope);
  _cleanup_free_ char *accept = NULL, *ctype = NULL;
  if (q->accept && asprintf (&accept, "Accept: %s", q->accept) > 0)
    hdrs = curl_slist_append (hdrs, accept);
  if (q->content_type && asprintf (&ctype, "Content-Type: %s", q->content_type) > 0)
    hdrs = curl_slist_append (hdrs, ctype);
  if (auth) {
    hdrs = curl_slist_append (hdrs, auth);
    q->sent_auth = strdup (auth);
  }
  /* no wait for a 100 Continue before an upload */
  hdrs = curl_slist_append (hdrs, "Expect:");
  CURLcode c = sk_reg_setup_handle (r, h, q->url, &q->rs, q->errbuf) < 0 ? CURLE_FAILED_INIT : CURLE_OK;
  if (c == CURLE_OK)
    c = curl_easy_setopt (h, CURLOPT_HTTPHEADER, hdrs);
  if (c == CURLE_OK)
    c = curl_easy_setopt (h, CURLOPT_FOLLOWLOCATION, q->follow ? 1L : 0L);
  if (c == CURLE_OK)
    c = curl_easy_setopt (h, CURLOPT_WRITEFUNCTION, body_write);
  if (c == CURLE_OK)
    c = curl_easy_setopt (h, CURLOPT_WRITEDATA, q);
  if (c == CURLE_OK && strcmp (q->method, "HEAD") == 0)
    c = curl_easy_setopt (h, CURLOPT_NOBODY, 1L);
  else if (c == CURLE_OK && strcmp (q->method, "POST") == 0) {
    c = curl_easy_setopt (h, CURLOPT_POSTFIELDSIZE, 0L);
    if (c == CURLE_OK)
      c = curl_easy_setopt (h, CURLOPT_POSTFIELDS, "");
  } else if (c == CURLE_OK && strcmp (q->method, "PUT") == 0) {
    c = setup_put (h, q, u);
  } else if (c == CURLE_OK && strcmp (q->method, "DELETE") == 0)
    c = curl_easy_setopt (h, CURLOPT_CUSTOMREQUEST, "DELETE");
  if (c == CURLE_OK)
    c = curl_easy_perform (h);
  q->code = c;
  long status = 0;
  char *eff = NULL;
  curl_easy_getinfo (h, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo (h, CURLINFO_EFFECTIVE_URL, &eff);
  q->effective_url = strdup (eff ? eff : q->url);
  q->rs.status = status;
  curl_slist_free_all (hdrs);
  curl_easy_cleanup (h);
  return c == CURLE_OK ? 0 : -1;
}

/* A request, retried on connection errors (and on 5xx and 429 when
 * q->retry_5xx), and sent again once with what a 401's challenge asked for.
 * Returns 0 with any status; -1 when no answer came. */
static int
http_do (sk_registry *r, http_req *q, sk_err **err)
{
  bool challenged = q->scope == NULL;
  int attempt = 0;
  for (;;) {
    upload u = {0};
    if (http_once (r, q, &u) < 0) {
      if (q->code == CURLE_WRITE_ERROR && q->too_big)
        return sk_err_set (err, 0, "%s: an answer of more than %zu bytes", r->domain, q->max);
      if (u.err)
        return sk_err_set (err, u.err, "read what is uploaded");
      if (sk_reg_retriable (q->code) && attempt < MAX_RETRIES) {
        sleep_ms (sk_reg_retry_delay_ms[attempt++]);
        continue;
      }
      return sk_reg_transport_error (r, q->effective_url ? q->effective_url : q->url, q->code,
                                     q->errbuf, err);
    }
    long status = q->rs.status;
    if (status == 401 && !challenged) {
      challenged = true;
      int a = sk_reg_challenge (r, q->effective_url, q->rs.www_auth, q->scope, q->sent_auth, err);
      if (a < 0)
        return -1;
      if (a > 0)
        continue;
      return 0;
    }
    if ((status >= 500 || status == 429) && q->retry_5xx && attempt < MAX_RETRIES) {
      sleep_ms (sk_reg_retry_delay_ms[attempt++]);
      continue;
    }
    return 0;
  }
}

static int
store_token (sk_registry *r, const char *origin, const char *scope, const char *value, int64_t expires_in)
{
  token *t = find_token (r, origin, scope);
  if (t == NULL) {
    token *grown = realloc (r->tokens, (r->n_tokens + 1) * sizeof *grown);
    if (grown == NULL)
      return -1;
    r->tokens = grown;
    t = &r->tokens[r->n_tokens];
    *t = (token) {strdup (origin), strdup (scope), NULL, 0};
    if (t->origin == NULL || t->scope == NULL) {
      free (t->origin);
      free (t->scope);
      return -1;
    }
    r->n_tokens++;
  } else {
    explicit_bzero (t->value, strlen (t->value));
    free (t->value);
  }
  t->value = strdup (value);
  /* the spec's default is 60 s; a tenth of the time is kept as a margin */
  if (expires_in <= 0)
    expires_in = 60;
  t->expires = sk_reg_now () + expires_in * 0.9;
  return t->value ? 0 : -1;
}

/* GETs a token for scope from the realm; 1: got it, 0: refused to an
 * anonymous client (the caller says access was denied). */
static int
fetch_token (sk_registry *r, const char *origin, const char *realm, const char *service,
             const char *scope, sk_err **err)
{
  /* credentials go only to the token server of the registry they are for,
   * and in clear only when the registry itself is spoken to in clear */
  const char *creds = strcmp (origin, r->origin) == 0 ? r->basic : NULL;
  if (creds && strncmp (realm, "https://", 8) != 0 && strncmp (r->base, "http://", 7) != 0)
    return sk_err_set (err, 0, "%s: its token server %s is not HTTPS: the credentials are not sent to it",
                       r->domain, realm);
  _cleanup_free_ char *url = strdup (realm);
  if (url && service) {
    _cleanup_free_ char *q = NULL;
    char *next = asprintf (&q, "service=%s", service) < 0 ? NULL : url_resolve (url, url, q);
    free (url);
    url = next;
  }
  _cleanup_free_ char *scopes = strdup (scope);
  char *save = NULL;
  for (char *s = scopes ? strtok_r (scopes, " ", &save) : NULL; s && url; s = strtok_r (NULL, " ", &save)) {
    _cleanup_free_ char *q = NULL;
    char *next = asprintf (&q, "scope=%s", s) < 0 ? NULL : url_resolve (url, url, q);
    free (url);
    url = next;
  }
  if (url == NULL || scopes == NULL)
    return sk_err_set (err, 0, "%s: the token realm `%s` is not a URL", r->domain, realm);
  _cleanup_secret_ char *auth = NULL;
  if (creds && asprintf (&auth, "Authorization: Basic %s", creds) < 0)
    return sk_err_set (err, ENOMEM, "token");
  _cleanup_http_req_ http_req q = {
    .method = "GET", .url = url, .authorization = auth, .fd = -1, .max = 1u << 20,
    .follow = true, .retry_5xx = true,
  };
  if (http_do (r, &q, err) < 0)
    return sk_err_wrap (err, "%s: get a token", r->domain);
  if ((q.rs.status == 401 || q.rs.status == 403) && creds == NULL)
    return 0;
  if (q.rs.status == 401 || q.rs.status == 403)
    return sk_err_set (err, 0, "%s: the token server refused the credentials of %s (HTTP %ld)",
                       r->domain, r->auth_file, q.rs.status);
  if (q.rs.status != 200)
    return sk_err_set (err, 0, "%s: the token server answered HTTP %ld", r->domain, q.rs.status);
  json_object *doc = q.out.buf ? json_tokener_parse (q.out.buf) : NULL, *v = NULL, *exp = NULL;
  if (doc == NULL
      || !((json_object_object_get_ex (doc, "token", &v) && json_object_is_type (v, json_type_string))
           || (json_object_object_get_ex (doc, "access_token", &v) && json_object_is_type (v, json_type_string)))) {
    if (doc)
      json_object_put (doc);
    return sk_err_set (err, 0, "%s: the token server's answer has no token", r->domain);
  }
  int64_t expires_in = 0;
  if (json_object_object_get_ex (doc, "expires_in", &exp) && json_object_is_type (exp, json_type_int))
    expires_in = json_object_get_int64 (exp);
  int ret = store_token (r, origin, scope, json_object_get_string (v), expires_in);
  json_object_put (doc);
  explicit_bzero (q.out.buf, q.out.len);
  if (ret < 0)
    return sk_err_set (err, ENOMEM, "token");
  return 1;
}

/* What a 401 asks for. 1: the request may be sent again with it; 0: there
 * is nothing to send (the caller reports the refusal). */
int
sk_reg_challenge (sk_registry *r, const char *url, const char *challenge, const char *scope,
                  const char *sent, sk_err **err)
{
  if (challenge == NULL || scope == NULL)
    return 0;
  _cleanup_free_ char *origin = url_origin (url);
  if (origin == NULL)
    return 0;
  /* transfers side by side are refused together: the first to get here
   * gets what the others then send */
  _cleanup_secret_ char *now = sk_reg_auth_header (r, url, scope);
  if (now && (sent == NULL || strcmp (now, sent) != 0))
    return 1;
  if (strncasecmp (challenge, "Basic", 5) == 0 && (challenge[5] == ' ' || challenge[5] == '\0')) {
    if (r->basic == NULL || r->send_basic || strcmp (origin, r->origin) != 0)
      return 0;
    r->send_basic = true;
    return 1;
  }
  if (strncasecmp (challenge, "Bearer ", 7) != 0)
    return 0;
  _cleanup_free_ char *realm = challenge_param (challenge + 7, "realm");
  _cleanup_free_ char *service = challenge_param (challenge + 7, "service");
  if (realm == NULL)
    return sk_err_set (err, 0, "%s: a Bearer challenge without a realm", r->domain);
  return fetch_token (r, origin, realm, service, scope, err);
}

/* Learns whether an insecure registry speaks TLS: one that answers the
 * handshake with anything but TLS is spoken to in clear. */
static int
probe_scheme (sk_registry *r, sk_err **err)
{
  _cleanup_free_ char *url = NULL;
  r->origin = url_origin (r->base);
  if (r->origin == NULL || asprintf (&url, "%s/v2/", r->base) < 0)
    return sk_err_set (err, ENOMEM, "registry");
  _cleanup_http_req_ http_req q = {.method = "GET", .url = url, .fd = -1, .max = ERROR_BODY_MAX};
  sk_err *e = NULL;
  if (http_do (r, &q, &e) == 0 || q.code == CURLE_PEER_FAILED_VERIFICATION) {
    /* a TLS server, trusted or not: its certificate is checked every time */
    sk_err_free (&e);
    return 0;
  }
  if (q.code != CURLE_SSL_CONNECT_ERROR) {
    if (*err == NULL)
      *err = e;
    else
      sk_err_free (&e);
    return -1;
  }
  sk_err_free (&e);
  free (r->base);
  free (r->origin);
  r->origin = NULL;
  if (asprintf (&r->base, "http://%s", r->domain) < 0) {
    r->base = NULL;
    return sk_err_set (err, ENOMEM, "registry");
  }
  return 0;
}

/* ---- manifests ---- */

/* A repository name as the distribution spec has it: lowercase components
 * separated by "/"; checked, since it goes into URLs. */
int
sk_reg_check_repo (const char *repo, sk_err **err)
{
  if (repo == NULL || repo[0] == '\0' || repo[0] == '/' || strstr (repo, "//") || strstr (repo, "..")
      || repo[strlen (repo) - 1] == '/' || strspn (repo, "abcdefghijklmnopqrstuvwxyz0123456789._-/") != strlen (repo))
    return sk_err_set (err, 0, "`%s`: not a repository name", repo ? repo : "");
  return 0;
}

/* A tag or a digest. */
static int
check_ref (const char *ref, bool *is_digest, sk_err **err)
{
  *is_digest = ref && strchr (ref, ':') != NULL;
  if (*is_digest) {
    sk_digest d;
    return sk_digest_parse (ref, &d, err);
  }
  if (ref == NULL || ref[0] == '\0' || strlen (ref) > 128
      || strspn (ref, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != strlen (ref)
      || ref[0] == '.' || ref[0] == '-')
    return sk_err_set (err, 0, "`%s`: not a tag or a digest", ref ? ref : "");
  return 0;
}

static const char *const default_accept[] = {
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  NULL,
};

/* The media type of a manifest: its Content-Type without parameters, or
 * the mediaType it names itself when the registry sent none. */
static char *
manifest_media_type (const resp *rs, const sk_strbuf *body)
{
  if (rs->content_type && rs->content_type[0]) {
    size_t n = strcspn (rs->content_type, "; \t");
    if (n > 0)
      return strndup (rs->content_type, n);
  }
  char *out = NULL;
  json_object *doc = body->buf ? json_tokener_parse (body->buf) : NULL, *mt = NULL;
  if (doc && json_object_object_get_ex (doc, "mediaType", &mt) && json_object_is_type (mt, json_type_string))
    out = strdup (json_object_get_string (mt));
  if (doc)
    json_object_put (doc);
  return out;
}

/* The base URLs a pull tries, in order: the mirrors, then the registry. */
size_t
sk_reg_pull_bases (sk_registry *r, const char **bases, size_t max)
{
  size_t n = 0;
  for (char **m = r->mirrors; m && *m && n + 1 < max; m++)
    bases[n++] = *m;
  bases[n++] = r->base;
  return n;
}

static int
get_manifest_from (sk_registry *r, const char *base, const char *repo, const char *ref,
                   bool by_digest, const char *accept, const char *what, http_req *q, sk_err **err)
{
  _cleanup_free_ char *url = NULL, *scope = NULL;
  if (asprintf (&url, "%s/v2/%s/manifests/%s", base, repo, ref) < 0
      || asprintf (&scope, "repository:%s:pull", repo) < 0)
    return sk_err_set (err, ENOMEM, "manifest");
  q->method = "GET";
  q->url = url;
  q->scope = scope;
  q->accept = accept;
  q->fd = -1;
  q->max = SK_REGISTRY_MANIFEST_MAX;
  q->follow = true;
  q->retry_5xx = true;
  /* a failed connection names the registry already */
  int ret = http_do (r, q, err);
  q->url = q->scope = NULL;
  if (ret < 0)
    return -1;
  if (q->rs.status != 200)
    return sk_reg_status_error (r, repo, what, false, q->rs.status, &q->out, err);
  sk_digest got;
  char gs[SK_DIGEST_STR_SIZE];
  sk_digest_of (q->out.buf ? q->out.buf : "", q->out.len, &got);
  sk_digest_format (&got, gs);
  if (by_digest && strcmp (gs, ref) != 0)
    return sk_err_set (err, 0, "%s: the registry sent a manifest whose digest is %s", what, gs);
  /* a digest of another algorithm cannot be checked: only sha256 is */
  if (q->rs.digest && strncmp (q->rs.digest, "sha256:", 7) == 0 && strcmp (q->rs.digest, gs) != 0)
    return sk_err_set (err, 0, "%s: the registry says its digest is %s, its content's is %s", what,
                       q->rs.digest, gs);
  return 0;
}

int
sk_registry_get_manifest (sk_registry *r, const char *repo, const char *ref,
                          const char *const *accept, char **body, size_t *len, char **media_type,
                          char **digest, sk_err **err)
{
  bool by_digest;
  if (sk_reg_check_repo (repo, err) < 0 || check_ref (ref, &by_digest, err) < 0)
    return -1;
  _cleanup_free_ char *what = NULL;
  if (asprintf (&what, "%s/%s%s%s", r->domain, repo, by_digest ? "@" : ":", ref) < 0)
    return sk_err_set (err, ENOMEM, "manifest");
  sk_strbuf acc = SK_STRBUF_INIT;
  for (const char *const *a = accept ? accept : default_accept; *a; a++) {
    if (acc.len)
      sk_strbuf_puts (&acc, ", ");
    sk_strbuf_puts (&acc, *a);
  }
  _cleanup_free_ char *accept_value = sk_strbuf_detach (&acc);
  const char *bases[16];
  size_t nbases = sk_reg_pull_bases (r, bases, SK_N_ELEMENTS (bases));
  _cleanup_http_req_ http_req q = {0};
  for (size_t i = 0; i < nbases; i++) {
    bool last = i + 1 == nbases;
    sk_err *e = NULL;
    http_req_release (&q);
    if (get_manifest_from (r, bases[i], repo, ref, by_digest, accept_value, what, &q, last ? err : &e) == 0)
      break;
    /* a mirror that fails is passed over: the registry has the last word */
    sk_err_free (&e);
    if (last)
      return -1;
  }
  _cleanup_free_ char *mt = manifest_media_type (&q.rs, &q.out);
  if (mt == NULL)
    return sk_err_set (err, 0, "%s: the registry sent no media type", what);
  if (digest) {
    sk_digest d;
    char ds[SK_DIGEST_STR_SIZE];
    sk_digest_of (q.out.buf ? q.out.buf : "", q.out.len, &d);
    if ((*digest = strdup (sk_digest_format (&d, ds))) == NULL)
      return sk_err_set (err, ENOMEM, "manifest");
  }
  if (len)
    *len = q.out.len;
  if (body)
    *body = sk_strbuf_detach (&q.out);
  if (media_type)
    *media_type = steal_ptr (mt);
  return 0;
}

/* ---- pushing ---- */

int
sk_registry_blob_exists (sk_registry *r, const char *repo, const char *digest, bool *exists,
                         sk_err **err)
{
  sk_digest d;
  if (sk_reg_check_repo (repo, err) < 0 || sk_digest_parse (digest, &d, err) < 0)
    return -1;
  _cleanup_free_ char *url = NULL, *scope = NULL, *what = NULL;
  if (asprintf (&url, "%s/v2/%s/blobs/%s", r->base, repo, digest) < 0
      || asprintf (&scope, "repository:%s:pull", repo) < 0
      || asprintf (&what, "%s/%s@%s", r->domain, repo, digest) < 0)
    return sk_err_set (err, ENOMEM, "blob");
  _cleanup_http_req_ http_req q = {
    .method = "HEAD", .url = url, .scope = scope, .fd = -1, .max = ERROR_BODY_MAX,
    .follow = true, .retry_5xx = true,
  };
  if (http_do (r, &q, err) < 0)
    return -1;
  if (q.rs.status == 200 || q.rs.status == 404) {
    *exists = q.rs.status == 200;
    return 0;
  }
  return sk_reg_status_error (r, repo, what, false, q.rs.status, &q.out, err);
}

/* Cancels an upload session the registry opened (best effort: it expires
 * anyway). */
static void
cancel_upload (sk_registry *r, const char *from_url, const char *location, const char *scope)
{
  _cleanup_free_ char *url = url_resolve (from_url, location, NULL);
  if (url == NULL)
    return;
  _cleanup_http_req_ http_req q = {
    .method = "DELETE", .url = url, .scope = scope, .fd = -1, .max = ERROR_BODY_MAX,
  };
  sk_err *ignored = NULL;
  http_do (r, &q, &ignored);
  sk_err_free (&ignored);
}

int
sk_registry_mount_blob (sk_registry *r, const char *repo, const char *from_repo,
                        const char *digest, bool *mounted, sk_err **err)
{
  sk_digest d;
  if (sk_reg_check_repo (repo, err) < 0 || sk_reg_check_repo (from_repo, err) < 0
      || sk_digest_parse (digest, &d, err) < 0)
    return -1;
  _cleanup_free_ char *url = NULL, *scope = NULL, *what = NULL;
  if (asprintf (&url, "%s/v2/%s/blobs/uploads/?mount=%s&from=%s", r->base, repo, digest, from_repo) < 0
      || asprintf (&scope, "repository:%s:pull,push repository:%s:pull", repo, from_repo) < 0
      || asprintf (&what, "%s/%s: mount %s from %s", r->domain, repo, digest, from_repo) < 0)
    return sk_err_set (err, ENOMEM, "blob");
  _cleanup_http_req_ http_req q = {
    .method = "POST", .url = url, .scope = scope, .fd = -1, .max = ERROR_BODY_MAX,
  };
  if (http_do (r, &q, err) < 0)
    return -1;
  if (q.rs.status == 201) {
    *mounted = true;
    return 0;
  }
  if (q.rs.status == 202) {
    /* the registry would not (it lacks the blob, or access to from_repo)
     * and opened an upload instead: the caller pushes with one of its own */
    if (q.rs.location)
      cancel_upload (r, q.effective_url, q.rs.location, scope);
    *mounted = false;
    return 0;
  }
  return sk_reg_status_error (r, repo, what, true, q.rs.status, &q.out, err);
}

int
sk_registry_push_blob (sk_registry *r, const char *repo, int fd, const char *digest, int64_t size,
                       sk_upload_progress progress, void *data, sk_err **err)
{
  sk_digest d;
  if (sk_reg_check_repo (repo, err) < 0 || sk_digest_parse (digest, &d, err) < 0)
    return -1;
  if (size < 0)
    return sk_err_set (err, 0, "blob %s: its size must be known to push it", digest);
  _cleanup_free_ char *url = NULL, *scope = NULL, *what = NULL;
  if (asprintf (&url, "%s/v2/%s/blobs/uploads/", r->base, repo) < 0
      || asprintf (&scope, "repository:%s:pull,push", repo) < 0
      || asprintf (&what, "%s/%s: push blob %s", r->domain, repo, digest) < 0)
    return sk_err_set (err, ENOMEM, "blob");
  _cleanup_http_req_ http_req q = {
    .method = "POST", .url = url, .scope = scope, .fd = -1, .max = ERROR_BODY_MAX,
  };
  if (http_do (r, &q, err) < 0)
    return -1;
  if (q.rs.status != 202)
    return sk_reg_status_error (r, repo, what, true, q.rs.status, &q.out, err);
  if (q.rs.location == NULL)
    return sk_err_set (err, 0, "%s: the registry sent no upload location", what);
  _cleanup_free_ char *put = NULL, *query = NULL;
  if (asprintf (&query, "digest=%s", digest) < 0
      || (put = url_resolve (q.effective_url, q.rs.location, query)) == NULL)
    return sk_err_set (err, 0, "%s: the upload location `%s` is not a URL", what, q.rs.location);
  _cleanup_http_req_ http_req p = {
    .method = "PUT", .url = put, .scope = scope, .fd = fd, .body_len = (uint64_t) size,
    .content_type = "application/octet-stream", .max = ERROR_BODY_MAX,
    .progress = progress, .progress_data = data,
  };
  if (http_do (r, &p, err) < 0)
    return sk_err_wrap (err, "%s", what);
  if (p.rs.status != 201) {
    cancel_upload (r, q.effective_url, q.rs.location, scope);
    return sk_reg_status_error (r, repo, what, true, p.rs.status, &p.out, err);
  }
  if (p.rs.digest && strncmp (p.rs.digest, "sha256:", 7) == 0 && strcmp (p.rs.digest, digest) != 0)
    return sk_err_set (err, 0, "%s: the registry stored it as %s", what, p.rs.digest);
  return 0;
}

int
sk_registry_put_manifest (sk_registry *r, const char *repo, const char *ref,
                          const char *media_type, const char *body, size_t len, char **digest,
                          sk_err **err)
{
  bool by_digest;
  if (sk_reg_check_repo (repo, err) < 0 || check_ref (ref, &by_digest, err) < 0)
    return -1;
  sk_digest d;
  char ds[SK_DIGEST_STR_SIZE];
  sk_digest_of (body, len, &d);
  sk_digest_format (&d, ds);
  _cleanup_free_ char *url = NULL, *scope = NULL, *what = NULL;
  if (asprintf (&what, "%s/%s%s%s", r->domain, repo, by_digest ? "@" : ":", ref) < 0)
    return sk_err_set (err, ENOMEM, "manifest");
  if (by_digest && strcmp (ref, ds) != 0)
    return sk_err_set (err, 0, "%s: the manifest's digest is %s", what, ds);
  if (asprintf (&url, "%s/v2/%s/manifests/%s", r->base, repo, ref) < 0
      || asprintf (&scope, "repository:%s:pull,push", repo) < 0)
    return sk_err_set (err, ENOMEM, "manifest");
  _cleanup_http_req_ http_req q = {
    .method = "PUT", .url = url, .scope = scope, .body = body, .body_len = len, .fd = -1,
    .content_type = media_type, .max = ERROR_BODY_MAX, .retry_5xx = true,
  };
  if (http_do (r, &q, err) < 0)
    return -1;
  if (q.rs.status != 201)
    return sk_reg_status_error (r, repo, what, true, q.rs.status, &q.out, err);
  if (q.rs.digest && strncmp (q.rs.digest, "sha256:", 7) == 0 && strcmp (q.rs.digest, ds) != 0)
    return sk_err_set (err, 0, "%s: the registry stored it as %s, its digest is %s", what, q.rs.digest, ds);
  if (digest && (*digest = strdup (ds)) == NULL)
    return sk_err_set (err, ENOMEM, "manifest");
  return 0;
}

/* ---- login ---- */

int
sk_registry_login (const char *domain, const sk_registry_opts *o, const char *user,
                   const char *password, sk_err **err)
{
  sk_registry_opts plain = *o;
  plain.auth_file = NULL;
  plain.mirrors = NULL;
  _cleanup_registry_ sk_registry *r = NULL;
  if (sk_registry_open (domain, &plain, &r, err) < 0)
    return -1;
  _cleanup_secret_ char *up = NULL;
  if (asprintf (&up, "%s:%s", user, password) < 0)
    return sk_err_set (err, ENOMEM, "login");
  r->basic = sk_base64_encode (up, strlen (up));
  r->auth_file = strdup ("the login");
  if (r->basic == NULL || r->auth_file == NULL)
    return sk_err_set (err, ENOMEM, "login");
  _cleanup_free_ char *url = NULL;
  if (asprintf (&url, "%s/v2/", r->base) < 0)
    return sk_err_set (err, ENOMEM, "login");
  /* an empty scope: a token (or Basic) that says who we are, for nothing */
  _cleanup_http_req_ http_req q = {.method = "GET", .url = url, .scope = "", .fd = -1,
                                   .max = ERROR_BODY_MAX, .retry_5xx = true};
  if (http_do (r, &q, err) < 0)
    return sk_err_wrap (err, "login to %s", domain);
  if (q.rs.status == 401 || q.rs.status == 403)
    return sk_err_set (err, 0, "login to %s: unauthorized: incorrect username or password", domain);
  if (q.rs.status != 200)
    return sk_err_set (err, 0, "login to %s: the registry answered HTTP %ld", domain, q.rs.status);
  return 0;
}
