/* skiff: published ports. A running container's host ports are rows of
 * `ports`, given at each start from its HostConfig.PortBindings: a fixed
 * port, the first free one of a range ("8080-8090"), or (HostPort empty)
 * one of the kernel's ephemeral range. A port is free when no other
 * running container holds it on an overlapping address and the host
 * itself can bind it (no process of the host listens there). */
#ifndef SKIFF_NETWORK_PORTS_H
#define SKIFF_NETWORK_PORTS_H

#include <stddef.h>

#include "db/db.h"
#include "util/error.h"
#include "util/json.h"

typedef struct sk_port {
  char proto[4];       /* tcp or udp */
  unsigned ctr_port;
  char host_ip[64];    /* '' every address */
  unsigned host_port;
} sk_port;

/* The container's ports for this start, from its PortBindings: the rows
 * replaced in one write transaction. EADDRINUSE: Docker's message. */
int sk_ports_assign (sk_db *db, const char *container, const sk_json *bindings, sk_err **err);
/* The container's ports as assigned (whether it runs or not). */
int sk_ports_of (sk_db *db, const char *container, sk_port **out, size_t *n, sk_err **err);

#endif
