/* skiff: the links, addresses and routes of container networks, set up
 * over rtnetlink (libmnl) in the caller's network namespace: bridges, veth
 * pairs with one end made directly in a container's namespace, addresses
 * and default routes. Links are named (an index is looked up when a
 * message needs one), so the caller runs these inside the namespace it
 * means (sk_netns_enter). */
#ifndef SKIFF_NETWORK_NETLINK_H
#define SKIFF_NETWORK_NETLINK_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

typedef struct sk_nl sk_nl;

/* A route netlink socket in the caller's current network namespace. */
int sk_nl_open (sk_nl **out, sk_err **err);
void sk_nl_close (sk_nl *nl);

/* A bridge named name: 0 made, 1 there already. */
int sk_nl_bridge_add (sk_nl *nl, const char *name, sk_err **err);
/* The link gone; 0 also when there was none. */
int sk_nl_link_del (sk_nl *nl, const char *name, sk_err **err);
int sk_nl_link_up (sk_nl *nl, const char *name, sk_err **err);
/* Whether a link of that name is there. */
bool sk_nl_link_exists (const char *name);

/* An address (family AF_INET or AF_INET6, addr in network order) with its
 * prefix length on the link; there already is fine. IPv6 addresses are
 * usable at once (no duplicate address detection: the addresses are
 * handed out by skiff's IPAM). */
int sk_nl_addr_add (sk_nl *nl, const char *link, int family, const void *addr, unsigned prefix,
                    sk_err **err);

/* A veth pair: host on this side, attached to bridge (unless NULL), and
 * peer made in the network namespace netns_fd under the name peer_name,
 * with the MAC address mac (6 bytes; NULL: the kernel's). */
int sk_nl_veth_add (sk_nl *nl, const char *host, const char *bridge, int netns_fd,
                    const char *peer_name, const unsigned char *mac, sk_err **err);

/* The default route of family through gw (network order) on link. */
int sk_nl_route_default (sk_nl *nl, const char *link, int family, const void *gw, sk_err **err);

/* The neighbour entry of addr (IPv4, network order) on link forgotten:
 * an address given anew, perhaps with another MAC. None is fine. */
void sk_nl_neigh_forget (sk_nl *nl, const char *link, const void *addr);

/* How many rules the nftables table of family inet has; -1 when there is
 * no such table (or it cannot be read). */
long sk_nl_nft_rule_count (const char *table);

#endif
