/* skiff: CIDR arithmetic (see ipam.h). */
#include "network/ipam.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static unsigned
addr_len (int family)
{
  return family == AF_INET ? 4 : 16;
}

static bool
parse_addr (const char *text, sk_cidr *out)
{
  memset (out, 0, sizeof *out);
  if (inet_pton (AF_INET, text, out->addr) == 1)
    out->family = AF_INET;
  else if (inet_pton (AF_INET6, text, out->addr) == 1)
    out->family = AF_INET6;
  else
    return false;
  out->prefix = addr_len (out->family) * 8;
  return true;
}

int
sk_addr_parse (const char *text, const char *what, sk_cidr *out, sk_err **err)
{
  if (!parse_addr (text, out))
    return sk_err_set (err, EINVAL, "invalid %s: `%s` is not an IP address", what, text);
  return 0;
}

/* Whether the bits of c past its prefix are all zero. */
static bool
host_bits_zero (const sk_cidr *c)
{
  unsigned len = addr_len (c->family);
  for (unsigned i = 0; i < len; i++) {
    unsigned keep = c->prefix >= (i + 1) * 8 ? 8 : c->prefix > i * 8 ? c->prefix - i * 8 : 0;
    unsigned char mask = (unsigned char) (keep ? 0xff << (8 - keep) : 0);
    if (c->addr[i] & ~mask)
      return false;
  }
  return true;
}

int
sk_cidr_parse (const char *text, bool network, const char *what, sk_cidr *out, sk_err **err)
{
  char buf[SK_ADDR_TEXT];
  const char *slash = strchr (text, '/');
  size_t n = slash ? (size_t) (slash - text) : 0;
  if (slash == NULL || n >= sizeof buf)
    return sk_err_set (err, EINVAL, "invalid %s: `%s` is not in CIDR form (ADDRESS/PREFIX)", what,
                       text);
  memcpy (buf, text, n);
  buf[n] = '\0';
  char *end;
  errno = 0;
  long prefix = strtol (slash + 1, &end, 10);
  if (!parse_addr (buf, out) || slash[1] < '0' || slash[1] > '9' || *end || errno ||
      prefix < 0 || prefix > (long) addr_len (out->family) * 8)
    return sk_err_set (err, EINVAL, "invalid %s: `%s` is not in CIDR form (ADDRESS/PREFIX)", what,
                       text);
  out->prefix = (unsigned) prefix;
  if (network && !host_bits_zero (out)) {
    sk_cidr net = *out;
    for (unsigned i = 0; i < addr_len (net.family); i++) {
      unsigned keep = net.prefix >= (i + 1) * 8 ? 8 : net.prefix > i * 8 ? net.prefix - i * 8 : 0;
      net.addr[i] &= (unsigned char) (keep ? 0xff << (8 - keep) : 0);
    }
    char want[SK_ADDR_TEXT];
    sk_cidr_format (&net, true, want);
    return sk_err_set (err, EINVAL, "invalid %s: `%s` has host bits set (the subnet is %s)", what,
                       text, want);
  }
  return 0;
}

void
sk_cidr_format (const sk_cidr *c, bool with_prefix, char *buf)
{
  inet_ntop (c->family, c->addr, buf, INET6_ADDRSTRLEN);
  if (with_prefix)
    snprintf (buf + strlen (buf), 8, "/%u", c->prefix);
}

/* Whether a and b agree on their first bits bits. */
static bool
same_prefix (const unsigned char *a, const unsigned char *b, unsigned bits)
{
  unsigned whole = bits / 8, rest = bits % 8;
  if (memcmp (a, b, whole) != 0)
    return false;
  if (rest == 0)
    return true;
  unsigned char mask = (unsigned char) (0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

bool
sk_cidr_contains (const sk_cidr *subnet, const sk_cidr *addr)
{
  return subnet->family == addr->family && same_prefix (subnet->addr, addr->addr, subnet->prefix);
}

bool
sk_cidr_overlap (const sk_cidr *a, const sk_cidr *b)
{
  return a->family == b->family &&
         same_prefix (a->addr, b->addr, a->prefix < b->prefix ? a->prefix : b->prefix);
}

uint64_t
sk_cidr_size (const sk_cidr *subnet)
{
  unsigned host = addr_len (subnet->family) * 8 - subnet->prefix;
  return host >= 63 ? (uint64_t) 1 << 63 : (uint64_t) 1 << host;
}

bool
sk_cidr_nth (const sk_cidr *subnet, uint64_t n, sk_cidr *out)
{
  if (n >= sk_cidr_size (subnet))
    return false;
  *out = *subnet;
  out->prefix = addr_len (subnet->family) * 8;
  /* add n to the address, from its last byte up */
  unsigned carry = 0;
  for (int i = (int) addr_len (subnet->family) - 1; i >= 0 && (n || carry); i--) {
    unsigned sum = out->addr[i] + (unsigned) (n & 0xff) + carry;
    out->addr[i] = (unsigned char) sum;
    carry = sum >> 8;
    n >>= 8;
  }
  return true;
}

uint64_t
sk_cidr_offset (const sk_cidr *subnet, const sk_cidr *addr)
{
  /* the low 64 bits of the difference: a subnet is never larger here */
  unsigned len = addr_len (subnet->family);
  uint64_t a = 0, b = 0;
  for (unsigned i = len > 8 ? len - 8 : 0; i < len; i++) {
    a = (a << 8) | addr->addr[i];
    b = (b << 8) | subnet->addr[i];
  }
  return a - b;
}
