/* skiff: the embedded DNS responder's answers (see docs, "DNS").
 *
 * Containers on user-defined networks ask the gateway of their network for
 * names; skiff-dns answers there. This part knows no sockets and no
 * database: it reads a query, finds who asks and what they ask for in a
 * table of networks and endpoints (dns-db.c fills it from the database),
 * and writes the answer, or says that the query is to go upstream. Every
 * query comes from a container, so every byte of it is checked.
 */
#ifndef SKIFF_NETWORK_DNS_H
#define SKIFF_NETWORK_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SK_DNS_HEADER   12
#define SK_DNS_UDP_MAX  512 /* a reply over UDP, without EDNS */
#define SK_DNS_TCP_MAX  65535
#define SK_DNS_TTL      600 /* Docker's, for its containers' names */
#define SK_DNS_NAME_MAX 255 /* a name on the wire, length octets included */

enum {
  SK_DNS_NOERROR = 0,
  SK_DNS_FORMERR = 1,
  SK_DNS_SERVFAIL = 2,
  SK_DNS_NXDOMAIN = 3,
  SK_DNS_NOTIMP = 4,
  SK_DNS_REFUSED = 5
};
enum { SK_DNS_T_A = 1, SK_DNS_T_PTR = 12, SK_DNS_T_AAAA = 28 };
enum { SK_DNS_C_IN = 1 };

/* An IPv4 or IPv6 address (family AF_INET or AF_INET6; 0: none). */
typedef struct sk_dns_addr {
  int family;
  uint8_t a[16];
} sk_dns_addr;

bool sk_dns_addr_eq (const sk_dns_addr *x, const sk_dns_addr *y);
/* From text; false when it is no address. */
bool sk_dns_addr_parse (const char *s, sk_dns_addr *out);

/* The question of a query. */
typedef struct sk_dns_query {
  uint16_t id, flags, qtype, qclass;
  /* the name as it came (decompressed), for the reply's question */
  uint8_t wire[SK_DNS_NAME_MAX];
  size_t wire_len;
  /* dotted, lower case, no trailing dot ("" for the root); text is false
   * when a label holds a dot, a NUL or a byte no name of ours has */
  char name[SK_DNS_NAME_MAX + 1];
  bool text;
} sk_dns_query;

/* Reads the header and the question. Returns 0; or an rcode to answer
 * with (FORMERR, NOTIMP); or -1 when the message deserves no answer at all
 * (shorter than a header, or a response). */
int sk_dns_parse (const uint8_t *msg, size_t len, sk_dns_query *q);

/* A reply with no answer and rcode; the question is repeated when q has
 * one (wire_len > 0). Returns its length, 0 when cap is too small. */
size_t sk_dns_reply_empty (const sk_dns_query *q, int rcode, uint8_t *out, size_t cap);

/* What the responder knows: the user-defined networks and the endpoints
 * on them. */
typedef struct sk_dns_net {
  char *id, *name;
  sk_dns_addr gw, gw6;
  bool internal;
} sk_dns_net;

typedef struct sk_dns_ep {
  size_t net;       /* index in nets */
  size_t container; /* the same number for the endpoints of one container */
  char *id;         /* the container's, 64 hex */
  char *cname, *hostname;
  char **aliases; /* this network's */
  size_t n_aliases;
  sk_dns_addr ip, ip6;
  bool running; /* running, paused or restarting */
} sk_dns_ep;

typedef struct sk_dns_table {
  sk_dns_net *nets;
  size_t n_nets;
  sk_dns_ep *eps;
  size_t n_eps;
  bool *scratch; /* n_nets: the asker's networks, per query */
} sk_dns_table;

void sk_dns_table_free (sk_dns_table *t);

/* How many running containers are on the networks whose gateway is one
 * of addrs. */
size_t sk_dns_table_running_on (const sk_dns_table *t, const sk_dns_addr *addrs, size_t n);

typedef enum sk_dns_action {
  SK_DNS_DROP,    /* no answer */
  SK_DNS_REPLY,   /* send out[0..*out_len) */
  SK_DNS_FORWARD, /* send the query as it is to the upstream servers */
} sk_dns_action;

/* The answer to msg, which came from peer to local (the gateway it was
 * sent to). Names of the running containers that share a network with the
 * asker are answered here; anything else is forwarded when forwarding is
 * allowed (upstream servers known, and not an internal network), and
 * NXDOMAIN otherwise. A source that is no endpoint on local's network is
 * REFUSED. cap: SK_DNS_UDP_MAX or SK_DNS_TCP_MAX (a reply that does not
 * fit is truncated, TC set). */
sk_dns_action sk_dns_respond (sk_dns_table *t, const sk_dns_addr *local, const sk_dns_addr *peer,
                              const uint8_t *msg, size_t len, bool have_upstream, uint8_t *out,
                              size_t cap, size_t *out_len);

/* Whether reply (from upstream) answers query: a response, the same id and
 * the same question. */
bool sk_dns_reply_matches (const uint8_t *query, size_t qlen, const uint8_t *reply, size_t rlen);

#endif
