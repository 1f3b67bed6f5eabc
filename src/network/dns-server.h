/* skiff: the embedded DNS responder's loop (skiff-dns).
 *
 * One process for the host: UDP and TCP on port 53 of each address it is
 * given (the gateways of user-defined networks, on their bridges), one
 * socket per address, so that the address a query came to is the socket's.
 * Answers come from dns.c over the table of dns-db.c; the rest goes to the
 * upstream servers of a resolv.conf, from the host's namespace.
 */
#ifndef SKIFF_NETWORK_DNS_SERVER_H
#define SKIFF_NETWORK_DNS_SERVER_H

#include "network/dns.h"
#include "util/error.h"

typedef struct sk_dns_server_opts {
  const char *db_path;       /* DATA_ROOT/skiff.db */
  const sk_dns_addr *listen; /* the gateways to answer on */
  size_t n_listen;
  const char *upstream_file; /* resolv.conf's format; NULL: forward nothing */
  const char *pid_file;      /* NULL: none */
  unsigned port;             /* 0: 53 */
  unsigned check_ms;         /* how often to look for containers left; 0: 2000 */
} sk_dns_server_opts;

/* Opens the database and binds every address, then serves until SIGTERM
 * or SIGINT, or until no container runs on the networks of the listen
 * addresses at two checks in a row. Fails (before serving) when an
 * address cannot be bound or the database or upstream file read. */
int sk_dns_server_run (const sk_dns_server_opts *o, sk_err **err);

#endif
