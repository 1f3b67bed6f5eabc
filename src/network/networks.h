/* skiff: networks and their endpoints in the database.
 *
 * A network is a row of `networks`: Docker's three predefined ones
 * (bridge, host, none) and those made by `network create`. An endpoint is
 * a container's place on a network (`endpoints`): its addresses, MAC,
 * aliases and interface name, given out here (IPAM) inside one write
 * transaction, so that concurrent runs never get the same address. An
 * endpoint lives from the container's create until its removal (the
 * foreign key removes it with the container) or a disconnect: a container
 * keeps its addresses across restarts.
 */
#ifndef SKIFF_NETWORK_NETWORKS_H
#define SKIFF_NETWORK_NETWORKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "network/ipam.h"
#include "util/error.h"

typedef struct sk_network {
  char *id, *name;
  char *driver;                    /* bridge, host or null */
  char *bridge;                    /* the bridge's interface name ('' unless bridge) */
  char *subnet, *gateway, *ip_range; /* '' when none; gateway without prefix */
  char *subnet6, *gateway6;
  bool internal, ipv6;
  char *labels, *options; /* JSON objects, as text */
  int64_t created;        /* nanoseconds since the epoch */
} sk_network;

/* What network create asks for (NULL or false: the default). */
typedef struct sk_network_spec {
  const char *name;
  const char *driver;               /* NULL: bridge */
  const char *const *subnets;       /* IPv4 and/or IPv6, one of each at most */
  const char *const *gateways;      /* matched to the subnets by family */
  const char *const *ip_ranges;
  size_t n_subnets, n_gateways, n_ip_ranges;
  const char *bridge;               /* -o com.docker.network.bridge.name */
  bool internal, ipv6;
  const char *labels, *options;     /* JSON objects as text; NULL: {} */
} sk_network_spec;

/* The engine's settings for networks (daemon.json). */
typedef struct sk_net_pool {
  sk_cidr base;
  unsigned size; /* the prefix length of the subnets cut from base */
} sk_net_pool;
typedef struct sk_net_settings {
  const char *bridge;       /* the default network's bridge; NULL: skiff0 */
  const char *bip;          /* its gateway/prefix; NULL: 172.17.0.1/16 */
  const sk_net_pool *pools; /* where subnets come from when none is given; */
  size_t n_pools;           /*   none: Docker's default pools */
  const char *firewall_table; /* skiff's nftables table (inet); NULL: skiff */
  const char *const *dns;     /* daemon.json's dns: the servers skiff-dns asks */
  size_t n_dns;               /*   (none: the host's /etc/resolv.conf) */
} sk_net_settings;

/* The predefined networks, made or brought in line with the settings. */
int sk_networks_init (sk_db *db, const sk_net_settings *s, sk_err **err);

/* A new network; its subnet from the pools when none is asked for. The
 * bridge itself is the caller's to make. */
int sk_network_create (sk_db *db, const sk_net_settings *s, const sk_network_spec *spec,
                       sk_network **out, sk_err **err);
/* By name, full id or id prefix; ENOENT: "network X not found". */
int sk_network_find (sk_db *db, const char *what, sk_network **out, sk_err **err);
/* Every network, by name. */
int sk_network_list (sk_db *db, sk_network ***out, size_t *n, sk_err **err);
/* The record gone; EBUSY when containers are on it, EPERM for the
 * predefined ones. */
int sk_network_delete (sk_db *db, const sk_network *net, sk_err **err);
bool sk_network_predefined (const sk_network *net);
void sk_network_free (sk_network *net);
void sk_network_list_free (sk_network **list, size_t n);

typedef struct sk_endpoint {
  char *network, *container, *id;
  char *ip, *ip6; /* without prefix; '' when none */
  char *mac;
  char *aliases; /* a JSON array, as text */
  char *ifname;  /* eth0, eth1, ... in the container */
  int position;  /* the order they were added in */
} sk_endpoint;

/* The container on the network: ip and ip6 as asked (NULL: the first free
 * ones), mac as asked (NULL: 02:42 and the IPv4 address), aliases a JSON
 * array (NULL: none). EEXIST when the container is on it already. */
int sk_endpoint_add (sk_db *db, const sk_network *net, const char *container, const char *ip,
                     const char *ip6, const char *mac, const char *aliases, sk_endpoint **out,
                     sk_err **err);
/* A container's endpoints, in the order they were added. */
int sk_endpoints_of (sk_db *db, const char *container, sk_endpoint ***out, size_t *n,
                     sk_err **err);
/* The endpoints on a network. */
int sk_endpoints_on (sk_db *db, const char *network, sk_endpoint ***out, size_t *n, sk_err **err);
/* ENOENT when the container is not on the network. */
int sk_endpoint_remove (sk_db *db, const char *network, const char *container, sk_err **err);
void sk_endpoint_free (sk_endpoint *ep);
void sk_endpoint_list_free (sk_endpoint **list, size_t n);

#endif
