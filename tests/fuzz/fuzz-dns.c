/* Fuzz target: the embedded DNS responder's reading of a query and its
 * answer (src/network/dns.c), what a container can send to skiff-dns. The
 * input is the query; it is asked from a known container, so that every
 * path of the answer is reached, over UDP's size and TCP's. */
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "network/dns.h"

static char *aliases[] = {"www", "a.b"};
static sk_dns_net nets[] = {
    {.id = "n1", .name = "n1"},
    {.id = "n2", .name = "inner", .internal = true},
};
static sk_dns_ep eps[] = {
    {.net = 0,
     .container = 0,
     .id = "0123456789abcdef",
     .cname = "web",
     .hostname = "host",
     .aliases = aliases,
     .n_aliases = 2,
     .running = true},
    {.net = 1,
     .container = 0,
     .id = "0123456789abcdef",
     .cname = "web",
     .hostname = "host",
     .running = true},
    {.net = 0,
     .container = 1,
     .id = "fedcba9876543210",
     .cname = "db",
     .hostname = "",
     .running = true},
};
static bool scratch[2];
static sk_dns_table table = {nets, 2, eps, 3, scratch};

static void
init (void)
{
  static bool done;
  if (done)
    return;
  sk_dns_addr_parse ("10.1.0.1", &nets[0].gw);
  sk_dns_addr_parse ("fd00::1", &nets[0].gw6);
  sk_dns_addr_parse ("10.2.0.1", &nets[1].gw);
  sk_dns_addr_parse ("10.1.0.2", &eps[0].ip);
  sk_dns_addr_parse ("fd00::2", &eps[0].ip6);
  sk_dns_addr_parse ("10.2.0.2", &eps[1].ip);
  sk_dns_addr_parse ("10.1.0.3", &eps[2].ip);
  done = true;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  init ();
  static uint8_t out[SK_DNS_TCP_MAX];
  sk_dns_query q;
  int r = sk_dns_parse (data, size, &q);
  sk_fuzz_assert (r >= -1 && r <= SK_DNS_REFUSED);
  if (r == 0) {
    sk_fuzz_assert (q.wire_len >= 1 && q.wire_len <= SK_DNS_NAME_MAX);
    sk_fuzz_assert (strlen (q.name) <= SK_DNS_NAME_MAX);
  }
  sk_dns_addr local, peer;
  const char *askers[][2] = {{"10.1.0.1", "10.1.0.3"},
                             {"10.2.0.1", "10.2.0.2"},
                             {"fd00::1", "fd00::2"},
                             {"10.1.0.1", "10.9.9.9"}};
  for (size_t i = 0; i < sizeof askers / sizeof askers[0]; i++) {
    sk_dns_addr_parse (askers[i][0], &local);
    sk_dns_addr_parse (askers[i][1], &peer);
    size_t caps[] = {SK_DNS_UDP_MAX, SK_DNS_TCP_MAX, 40};
    for (size_t k = 0; k < 3; k++) {
      size_t len = 0;
      sk_dns_action a =
          sk_dns_respond (&table, &local, &peer, data, size, k == 1, out, caps[k], &len);
      if (a == SK_DNS_REPLY) {
        sk_fuzz_assert (len >= SK_DNS_HEADER && len <= caps[k]);
        /* what we send is itself a well-formed reply to the query */
        sk_fuzz_assert ((out[2] & 0x80) && out[0] == data[0] && out[1] == data[1]);
      }
      if (a != SK_DNS_REPLY)
        sk_fuzz_assert (r != -1 || a == SK_DNS_DROP);
    }
  }
  /* the input as an upstream reply to itself, and to a fixed query */
  static const uint8_t query[] = {0, 1, 1,   0,   0,   1, 0, 0, 0, 0, 0,
                                  0, 3, 'w', 'e', 'b', 0, 0, 1, 0, 1};
  sk_dns_reply_matches (query, sizeof query, data, size);
  sk_dns_reply_matches (data, size, data, size);
  return 0;
}
