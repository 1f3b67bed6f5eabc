/* skiff: the firewall of skiff's networks (nftables, through libnftables).
 *
 * skiff's nftables rules: one table of family inet, rebuilt whole from a
 * description of every network and published port in one nftables
 * transaction (the table deleted if present and made anew), so the rules are
 * always exactly what the description says, with no duplicates, whatever
 * happened to the table before (flushed, deleted, edited by someone).
 *
 * Published ports are pure DNAT (no userland proxy): the client's source
 * address reaches the container unchanged, except from the host's loopback
 * and for hairpin traffic, which are masqueraded so that replies come back.
 * docs/architecture.md ("The firewall") describes the chains.
 *
 * What the rules expect of the rest of the engine: skiff's bridges have
 * net.ipv4.conf.<bridge>.route_localnet=1 (so that 127.0.0.1 can be DNATed
 * to a container) and accept_ra=0, their ports hairpin mode, and
 * net.ipv4.ip_forward=1.
 */
#ifndef SKIFF_NETWORK_FIREWALL_H
#define SKIFF_NETWORK_FIREWALL_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

typedef struct sk_fw_network {
  const char *bridge;  /* the bridge's interface name */
  const char *subnet4; /* "172.17.0.0/16", or NULL */
  const char *subnet6; /* "fd00:1::/64", or NULL */
  bool internal;       /* no way out of the network (nor in, except from its own members) */
} sk_fw_network;

typedef struct sk_fw_port {
  int proto; /* IPPROTO_TCP or IPPROTO_UDP */
  /* NULL or "": every address of the host (v4, and v6 if ctr_ip6);
   * "0.0.0.0": every IPv4 address, "::": every IPv6 address;
   * else one address, e.g. "127.0.0.1", "::1", or one of the host's addresses */
  const char *host_ip;
  unsigned host_port;  /* one port: the caller expands ranges */
  const char *ctr_ip;  /* the container's IPv4 address on bridge (or NULL) */
  const char *ctr_ip6; /* its IPv6 address (or NULL) */
  unsigned ctr_port;
  /* the bridge the container is reached on: one of the networks' bridges,
   * and not an internal one (an internal network publishes nothing) */
  const char *bridge;
} sk_fw_port;

typedef struct sk_fw {
  const char *table; /* the table's name: "skiff" in production; tests use their own */
  const sk_fw_network *nets;
  size_t n_nets;
  const sk_fw_port *ports;
  size_t n_ports;
  /* skiff turned ip_forward on: forwarded traffic that involves none of
   * skiff's bridges is dropped, as Docker's FORWARD policy does */
  bool drop_other_forwarding;
} sk_fw;

/* The table built as described (an empty description still makes the table,
 * with its base chains). Needs CAP_NET_ADMIN. */
int sk_fw_apply (const sk_fw *fw, sk_err **err);

/* The table gone (absent is fine). */
int sk_fw_remove (const char *table, sk_err **err);

/* The nft script apply runs, in *text (the caller frees it): for unit tests
 * and debugging. Every value is validated first; an invalid one is an error
 * that names it, and nothing is rendered. */
int sk_fw_render (const sk_fw *fw, char **text, sk_err **err);

#endif
