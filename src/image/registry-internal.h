/* skiff: what registry.c and registry-fetch.c share, and nothing else uses:
 * the registry itself, the answer's headers, the handle setup, the
 * authentication and the one-line messages of a failure. */
#ifndef SKIFF_IMAGE_REGISTRY_INTERNAL_H
#define SKIFF_IMAGE_REGISTRY_INTERNAL_H

#include "curl-lazy.h"
#include <stdbool.h>
#include <stddef.h>

#include "registry.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

/* retries of connection errors, 5xx and 429: the delays before each */
extern const unsigned sk_reg_retry_delay_ms[3];
#define MAX_RETRIES ((int) SK_N_ELEMENTS (sk_reg_retry_delay_ms))

/* how much of an error body is kept: enough for the registry's JSON */
#define ERROR_BODY_MAX (64u << 10)

typedef struct token {
  char *origin; /* "http://127.0.0.1:5000": the server it is for */
  char *scope;  /* "repository:x:pull" (several separated by spaces) */
  char *value;
  double expires; /* monotonic seconds */
} token;

struct sk_registry {
  char *domain;    /* as the user wrote it: "127.0.0.1:5000", "docker.io" */
  char *base;      /* "https://127.0.0.1:5000": where it is spoken to */
  char *origin;    /* base, with its port spelled out: what tokens and Basic are for */
  char **mirrors;  /* base URLs tried before base for pulls (docker.io only) */
  char *certs_dir; /* for messages */
  char *ca_pem;    /* the CAs of certs.d, added to the system's; NULL: none */
  size_t ca_len;
  char *client_cert, *client_key;
  char *auth_file; /* for messages */
  char *basic;     /* base64 of user:pass, or NULL: anonymous */
  bool send_basic; /* the registry asked for Basic: sent with every request */
  char *user_agent;
  token *tokens;
  size_t n_tokens;
};

/* The headers of an answer that are kept, and its status. */
typedef struct resp {
  long status;
  char *content_type, *digest, *location, *www_auth, *content_range;
} resp;

void sk_reg_resp_clear (resp *rs);

/* monotonic seconds */
double sk_reg_now (void);

/* Sets what every request of a registry has: limits, TLS, the headers
 * collected into rs, errors into errbuf (CURL_ERROR_SIZE). */
int sk_reg_setup_handle (sk_registry *r, CURL *h, const char *url, resp *rs, char *errbuf);

/* Whether a connection error is worth another try. */
bool sk_reg_retriable (CURLcode c);

/* A failed connection to url as one line. */
int sk_reg_transport_error (sk_registry *r, const char *url, CURLcode c, const char *errbuf,
                            sk_err **err);

/* A refusal (status, and the registry's JSON in body) as one line. */
int sk_reg_status_error (sk_registry *r, const char *repo, const char *what, bool push, long status,
                         const sk_strbuf *body, sk_err **err);

/* The Authorization header for a request to url in scope, or NULL. */
char *sk_reg_auth_header (sk_registry *r, const char *url, const char *scope);

/* Wipes and frees a header that may hold a secret. */
void sk_reg_free_header (char **h);
#define _cleanup_secret_ __attribute__ ((cleanup (sk_reg_free_header)))

/* What a 401's challenge asks for (sent: the Authorization header that was
 * sent). 1: the request may be sent again; 0: there is nothing to send. */
int sk_reg_challenge (sk_registry *r, const char *url, const char *challenge, const char *scope,
                      const char *sent, sk_err **err);

/* A repository name as the distribution spec has it. */
int sk_reg_check_repo (const char *repo, sk_err **err);

/* The base URLs a pull tries, in order (at most max): the mirrors, then the
 * registry. */
size_t sk_reg_pull_bases (sk_registry *r, const char **bases, size_t max);

#endif
