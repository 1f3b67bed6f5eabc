/* Unit tests: the firewall's checks of what it is given, and the nft script
 * it writes (src/network/firewall.c). Applying it is firewall.bats' part. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "network/firewall.h"
#include "util/cleanup.h"

static const sk_fw_network base_nets[] = {
    {.bridge = "skbr0", .subnet4 = "10.1.0.0/24", .subnet6 = "fd00:1::/64"},
    {.bridge = "skbr1", .subnet4 = "10.2.0.0/24", .internal = true},
};

static sk_fw_port
base_port (void)
{
  return (sk_fw_port){.proto = IPPROTO_TCP,
                      .host_port = 8080,
                      .ctr_ip = "10.1.0.2",
                      .ctr_port = 80,
                      .bridge = "skbr0"};
}

/* renders nets and one port; returns the error message (or NULL) and the
 * script in *text */
static char *
render (const sk_fw_network *nets, size_t n_nets, const sk_fw_port *port, char **text)
{
  sk_fw fw = {.table = "skiff_test",
              .nets = nets,
              .n_nets = n_nets,
              .ports = port,
              .n_ports = port ? 1 : 0};
  sk_err *err = NULL;
  *text = NULL;
  if (sk_fw_render (&fw, text, &err) == 0)
    return NULL;
  assert_null (*text);
  char *msg = strdup (err->msg);
  sk_err_free (&err);
  /* one line */
  assert_null (strchr (msg, '\n'));
  return msg;
}

static void
expect_port_error (sk_fw_port p, const char *needle)
{
  _cleanup_free_ char *text = NULL;
  _cleanup_free_ char *msg = render (base_nets, 2, &p, &text);
  if (msg == NULL)
    fail_msg ("no error, expected one naming %s", needle);
  if (strstr (msg, needle) == NULL)
    fail_msg ("error `%s` does not name %s", msg, needle);
}

static void
expect_net_error (sk_fw_network n, const char *needle)
{
  _cleanup_free_ char *text = NULL;
  _cleanup_free_ char *msg = render (&n, 1, NULL, &text);
  if (msg == NULL)
    fail_msg ("no error, expected one naming %s", needle);
  if (strstr (msg, needle) == NULL)
    fail_msg ("error `%s` does not name %s", msg, needle);
}

static void
test_bad_names (void **state)
{
  expect_net_error ((sk_fw_network){.bridge = "br0;drop"}, "`br0;drop`");
  expect_net_error ((sk_fw_network){.bridge = "br\" accept"}, "interface name");
  expect_net_error ((sk_fw_network){.bridge = "br*"}, "`br*`");
  expect_net_error ((sk_fw_network){.bridge = "a234567890123456"}, "a234567890123456");
  expect_net_error ((sk_fw_network){.bridge = ""}, "no bridge name");
  expect_net_error ((sk_fw_network){.bridge = NULL}, "no bridge name");

  sk_fw_port p = base_port ();
  p.bridge = "skbr0 drop";
  expect_port_error (p, "`skbr0 drop`");
  p.bridge = "skbr9";
  expect_port_error (p, "`skbr9` is not one of the networks");
  p.bridge = "skbr1";
  expect_port_error (p, "internal");

  static const char *const bad_tables[] = {"", "1abc", "a b", "x;flush ruleset", "t{"};
  for (size_t i = 0; i < SK_N_ELEMENTS (bad_tables); i++) {
    sk_fw fw = {.table = bad_tables[i]};
    _cleanup_err_ sk_err *err = NULL;
    _cleanup_free_ char *text = NULL;
    assert_int_equal (sk_fw_render (&fw, &text, &err), -1);
    assert_non_null (strstr (err->msg, "table name"));
  }
  _cleanup_err_ sk_err *err = NULL;
  assert_int_equal (sk_fw_remove ("a;b", &err), -1);
  assert_non_null (strstr (err->msg, "`a;b`"));
}

static void
test_bad_addresses (void **state)
{
  expect_net_error ((sk_fw_network){.bridge = "b", .subnet4 = "10.0.0.0/33"}, "`10.0.0.0/33`");
  expect_net_error ((sk_fw_network){.bridge = "b", .subnet4 = "10.0.0.0"}, "not an IPv4 subnet");
  expect_net_error ((sk_fw_network){.bridge = "b", .subnet4 = "10.0.0.0/"}, "`10.0.0.0/`");
  expect_net_error ((sk_fw_network){.bridge = "b", .subnet4 = "10.0.0.0/-1"}, "not an IPv4");
  expect_net_error ((sk_fw_network){.bridge = "b", .subnet4 = "fd00::/64"}, "not an IPv4");
  expect_net_error ((sk_fw_network){.bridge = "b", .subnet6 = "fd00::/129"}, "not an IPv6");
  expect_net_error ((sk_fw_network){.bridge = "b", .subnet6 = "10.0.0.0/8"}, "not an IPv6");

  sk_fw_port p = base_port ();
  p.ctr_ip = "10.1.0.300";
  expect_port_error (p, "`10.1.0.300` is not an IPv4 address");
  p.ctr_ip = "10.1.0.2 drop";
  expect_port_error (p, "`10.1.0.2 drop`");
  p.ctr_ip = "fd00:1::2";
  expect_port_error (p, "not an IPv4 address");
  p = base_port ();
  p.ctr_ip6 = "10.1.0.3";
  expect_port_error (p, "not an IPv6 address");
  p = base_port ();
  p.host_ip = "localhost";
  expect_port_error (p, "`localhost` is not an IP address");
  p.host_ip = "::1";
  expect_port_error (p, "no IPv6 address");
  p.host_ip = NULL;
  p.ctr_ip = NULL;
  expect_port_error (p, "no address");
}

static void
test_bad_ports (void **state)
{
  sk_fw_port p = base_port ();
  p.host_port = 0;
  expect_port_error (p, "host port 0 is out of range");
  p.host_port = 70000;
  expect_port_error (p, "host port 70000 is out of range");
  p = base_port ();
  p.ctr_port = 65536;
  expect_port_error (p, "container port 65536");
  p = base_port ();
  p.proto = IPPROTO_ICMP;
  expect_port_error (p, "protocol 1 is not tcp or udp");
  p.proto = -1;
  expect_port_error (p, "protocol -1");

  /* the same port on the same address twice */
  sk_fw_port two[] = {base_port (), base_port ()};
  sk_fw fw = {.table = "t", .nets = base_nets, .n_nets = 2, .ports = two, .n_ports = 2};
  _cleanup_err_ sk_err *err = NULL;
  _cleanup_free_ char *text = NULL;
  assert_int_equal (sk_fw_render (&fw, &text, &err), -1);
  assert_non_null (strstr (err->msg, "tcp/8080: published twice"));
  /* on two addresses, or with two protocols, it is fine */
  two[1].proto = IPPROTO_UDP;
  assert_int_equal (sk_fw_render (&fw, &text, &err), 0);
}

static void
test_script (void **state)
{
  _cleanup_free_ char *text = NULL;
  /* an empty description: the table and its base chains */
  assert_null (render (NULL, 0, NULL, &text));
  assert_non_null (strstr (text, "add table inet skiff_test\ndelete table inet skiff_test\n"));
  static const char *const chains[] = {"guard",       "prerouting", "output",
                                       "postrouting", "forward",    "input"};
  for (size_t i = 0; i < SK_N_ELEMENTS (chains); i++) {
    char want[64];
    snprintf (want, sizeof want, "  chain %s {\n    type ", chains[i]);
    assert_non_null (strstr (text, want));
  }
  assert_non_null (strstr (text, "iifname != \"lo\" ip daddr 127.0.0.0/8 drop\n"));
  free (steal_ptr (text));

  /* a wildcard port: DNAT from outside (never for 127/8) and from the host */
  sk_fw_port p = base_port ();
  sk_fw_network n = {.bridge = "skbr0", .subnet4 = "10.1.0.77/24"};
  assert_null (render (&n, 1, &p, &text));
  assert_non_null (strstr (text, "ip daddr != 127.0.0.0/8 fib daddr type local tcp dport 8080 "
                                 "dnat ip to 10.1.0.2:80\n"));
  assert_non_null (strstr (text, "meta nfproto ipv4 fib daddr type local tcp dport 8080 dnat ip "
                                 "to 10.1.0.2:80\n"));
  /* the subnet's host bits cleared; no IPv6 rule without an IPv6 address */
  assert_non_null (strstr (text, "oifname != \"skbr0\" ip saddr 10.1.0.0/24 masquerade\n"));
  assert_null (strstr (text, "dnat ip6"));
  free (steal_ptr (text));

  /* on 127.0.0.1: from the host only, so no prerouting rule */
  p.host_ip = "127.0.0.1";
  p.proto = IPPROTO_UDP;
  assert_null (render (&n, 1, &p, &text));
  const char *pre = strstr (text, "chain prerouting");
  const char *out = strstr (text, "chain output");
  const char *rule = strstr (text, "ip daddr 127.0.0.1 udp dport 8080 dnat ip to 10.1.0.2:80\n");
  assert_non_null (rule);
  assert_true (pre < out && out < rule);
  assert_null (strstr (strchr (rule, '\n'), "dnat ip to")); /* the only one */
  assert_null (strstr (text, "\n    drop\n"));
  free (steal_ptr (text));

  /* IPv6, written back in its canonical form */
  p.host_ip = "FD00:0:0::5";
  p.ctr_ip6 = "fd00:1:0::2";
  assert_null (render (&n, 1, &p, &text));
  assert_non_null (strstr (text, "ip6 daddr fd00::5 udp dport 8080 dnat ip6 to [fd00:1::2]:80\n"));
  assert_null (strstr (text, "dnat ip to"));
  free (steal_ptr (text));

  /* every way into a bridge is decided before any way out is accepted,
   * which would let a member reach another network's bridge */
  assert_null (render (base_nets, 2, NULL, &text));
  const char *into1 = strstr (text, "oifname \"skbr1\" drop\n");
  const char *out0 = strstr (text, "iifname \"skbr0\" accept\n");
  assert_non_null (into1);
  assert_non_null (out0);
  assert_true (into1 < out0);
  free (steal_ptr (text));

  /* an internal network: no way out; Docker's forward policy */
  sk_fw_network internal = {.bridge = "skbr1", .subnet4 = "10.2.0.0/24", .internal = true};
  sk_fw fw = {.table = "t", .nets = &internal, .n_nets = 1, .drop_other_forwarding = true};
  _cleanup_err_ sk_err *err = NULL;
  assert_int_equal (sk_fw_render (&fw, &text, &err), 0);
  assert_non_null (strstr (text, "iifname \"skbr1\" drop\n"));
  assert_null (strstr (text, "masquerade"));
  assert_non_null (strstr (text, "\n    drop\n  }\n"));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_bad_names),
      cmocka_unit_test (test_bad_addresses),
      cmocka_unit_test (test_bad_ports),
      cmocka_unit_test (test_script),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
