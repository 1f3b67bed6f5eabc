/* skiff: address arithmetic for IPAM: subnets in CIDR form, IPv4 and
 * IPv6, what they hold, whether two overlap, and the n-th address of one.
 * Which addresses are taken is the network store's (networks.h). */
#ifndef SKIFF_NETWORK_IPAM_H
#define SKIFF_NETWORK_IPAM_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

typedef struct sk_cidr {
  int family;              /* AF_INET or AF_INET6 */
  unsigned char addr[16];  /* network order; 4 bytes for IPv4 */
  unsigned prefix;
} sk_cidr;

#define SK_ADDR_TEXT 64 /* room for an address with its /prefix */

/* "ADDR/PREFIX" (what: the flag or setting, for the message). network:
 * host bits must be zero (a subnet), else any address with a prefix. */
int sk_cidr_parse (const char *text, bool network, const char *what, sk_cidr *out, sk_err **err);
/* One address, no prefix (its prefix set to the full length). */
int sk_addr_parse (const char *text, const char *what, sk_cidr *out, sk_err **err);
/* The address as text, with "/prefix" when with_prefix. */
void sk_cidr_format (const sk_cidr *c, bool with_prefix, char *buf);

/* Whether the subnet holds the address (of the same family). */
bool sk_cidr_contains (const sk_cidr *subnet, const sk_cidr *addr);
/* Whether two subnets share an address. */
bool sk_cidr_overlap (const sk_cidr *a, const sk_cidr *b);
/* The subnet's address n (0: the network address itself); false past its
 * end. */
bool sk_cidr_nth (const sk_cidr *subnet, uint64_t n, sk_cidr *out);
/* The offset of addr in subnet (which holds it). */
uint64_t sk_cidr_offset (const sk_cidr *subnet, const sk_cidr *addr);
/* How many addresses the subnet has (capped at 2^63). */
uint64_t sk_cidr_size (const sk_cidr *subnet);

#endif
