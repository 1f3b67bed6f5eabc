/* skiff: the firewall of skiff's networks, as one nftables table.
 *
 * Every value a caller gives is parsed and checked first (interface names
 * against a narrow alphabet, addresses with inet_pton and written back with
 * inet_ntop, ports and prefixes as numbers), and only the checked forms go
 * into the script: no caller string reaches nft's parser as it was given, so
 * none can add syntax of its own.
 */
#include "firewall.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network/nft-lazy.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

/* an address or a prefix, in the form written into the script */
typedef struct fw_addr {
  int family; /* AF_INET or AF_INET6; 0 when not given */
  char text[INET6_ADDRSTRLEN + 8];
} fw_addr;

typedef struct fw_net {
  const char *bridge;
  fw_addr sub4, sub6;
  bool internal;
} fw_net;

/* where a port is published on the host */
typedef enum {
  FW_HOST_ALL,  /* every address, v4 and v6 */
  FW_HOST_ALL4, /* 0.0.0.0 */
  FW_HOST_ALL6, /* :: */
  FW_HOST_ONE,  /* host.family, host.text */
} fw_host_kind;

typedef struct fw_port {
  const char *proto;
  fw_host_kind kind;
  fw_addr host, ctr4, ctr6;
  bool host_loopback; /* one address, 127.0.0.0/8 or ::1 */
  unsigned host_port, ctr_port;
} fw_port;

typedef struct fw_model {
  const char *table;
  fw_net *nets;
  size_t n_nets;
  fw_port *ports;
  size_t n_ports;
  bool drop_other;
} fw_model;

static void
model_free (fw_model *m)
{
  free (m->nets);
  free (m->ports);
}

/* nft's identifiers: a letter or '_' first, then letters, digits, '_' and
 * '-'; short enough to read in `nft list tables` */
static int
check_table (const char *name, sk_err **err)
{
  if (name == NULL || *name == '\0')
    return sk_err_set (err, 0, "firewall table name is empty");
  size_t len = strlen (name);
  bool ok = len <= 64 && (isalpha ((unsigned char) name[0]) || name[0] == '_');
  for (size_t i = 1; ok && i < len; i++)
    ok = isalnum ((unsigned char) name[i]) || name[i] == '_' || name[i] == '-';
  if (!ok)
    return sk_err_set (err, 0, "firewall table name `%.80s` is invalid (letters, digits, '_', '-')",
                       name);
  return 0;
}

/* Interface names as skiff makes them: at most 15 bytes of letters, digits,
 * '_', '-' and '.'. The kernel allows more ('*' included, which nft reads as
 * a wildcard), but nothing skiff needs. */
static int
check_ifname (const char *what, const char *name, sk_err **err)
{
  if (name == NULL || *name == '\0')
    return sk_err_set (err, 0, "%s: no bridge name", what);
  size_t len = strlen (name);
  bool ok = len < IFNAMSIZ && strcmp (name, ".") != 0 && strcmp (name, "..") != 0;
  for (size_t i = 0; ok && i < len; i++)
    ok = isalnum ((unsigned char) name[i]) || name[i] == '_' || name[i] == '-' || name[i] == '.';
  if (!ok)
    return sk_err_set (err, 0,
                       "%s: interface name `%.80s` is invalid (at most 15 letters, digits, '_', "
                       "'-', '.')",
                       what, name);
  return 0;
}

/* One address of the given family (0: either), written back by inet_ntop. */
static int
parse_addr (const char *what, const char *s, int family, fw_addr *out, sk_err **err)
{
  unsigned char buf[sizeof (struct in6_addr)];
  int fam = strchr (s, ':') ? AF_INET6 : AF_INET;
  if ((family && fam != family) || inet_pton (fam, s, buf) != 1)
    return sk_err_set (err, 0, "%s: `%.80s` is not an %saddress", what, s,
                       family == AF_INET    ? "IPv4 "
                       : family == AF_INET6 ? "IPv6 "
                                            : "IP ");
  out->family = fam;
  inet_ntop (fam, buf, out->text, sizeof out->text);
  return 0;
}

/* "ADDR/LEN" of the given family, its host bits cleared. */
static int
parse_subnet (const char *what, const char *s, int family, fw_addr *out, sk_err **err)
{
  const char *kind = family == AF_INET ? "IPv4" : "IPv6";
  const char *slash = strchr (s, '/');
  char addr[INET6_ADDRSTRLEN];
  unsigned char buf[sizeof (struct in6_addr)];
  int max = family == AF_INET ? 32 : 128;
  char *end;
  if (slash == NULL || (size_t) (slash - s) >= sizeof addr)
    goto bad;
  memcpy (addr, s, slash - s);
  addr[slash - s] = '\0';
  if (inet_pton (family, addr, buf) != 1 || !isdigit ((unsigned char) slash[1]))
    goto bad;
  errno = 0;
  long len = strtol (slash + 1, &end, 10);
  if (errno || *end || len < 0 || len > max)
    goto bad;
  for (int bit = (int) len; bit < max; bit++)
    buf[bit / 8] &= ~(0x80 >> (bit % 8));
  out->family = family;
  inet_ntop (family, buf, out->text, sizeof out->text);
  snprintf (out->text + strlen (out->text), sizeof out->text - strlen (out->text), "/%ld", len);
  return 0;
bad:
  return sk_err_set (err, 0, "%s: `%.80s` is not an %s subnet (ADDRESS/LENGTH)", what, s, kind);
}

static int
check_port (const char *what, const char *which, unsigned port, sk_err **err)
{
  if (port < 1 || port > 65535)
    return sk_err_set (err, 0, "%s: %s %u is out of range (1-65535)", what, which, port);
  return 0;
}

static const fw_net *
find_net (const fw_model *m, const char *bridge)
{
  for (size_t i = 0; i < m->n_nets; i++)
    if (strcmp (m->nets[i].bridge, bridge) == 0)
      return &m->nets[i];
  return NULL;
}

static int
check_net (const sk_fw_network *n, size_t i, fw_net *out, sk_err **err)
{
  char what[64];
  snprintf (what, sizeof what, "network %zu", i + 1);
  if (check_ifname (what, n->bridge, err) < 0)
    return -1;
  snprintf (what, sizeof what, "network %s", n->bridge);
  out->bridge = n->bridge;
  out->internal = n->internal;
  if (n->subnet4 && parse_subnet (what, n->subnet4, AF_INET, &out->sub4, err) < 0)
    return -1;
  if (n->subnet6 && parse_subnet (what, n->subnet6, AF_INET6, &out->sub6, err) < 0)
    return -1;
  return 0;
}

static bool
is_loopback (const fw_addr *a)
{
  if (a->family == AF_INET)
    return strncmp (a->text, "127.", 4) == 0;
  return strcmp (a->text, "::1") == 0;
}

static int
check_port_entry (const fw_model *m, const sk_fw_port *p, size_t i, fw_port *out, sk_err **err)
{
  char what[64];
  snprintf (what, sizeof what, "published port %zu", i + 1);
  if (p->proto == IPPROTO_TCP)
    out->proto = "tcp";
  else if (p->proto == IPPROTO_UDP)
    out->proto = "udp";
  else
    return sk_err_set (err, 0, "%s: protocol %d is not tcp or udp", what, p->proto);
  if (check_port (what, "host port", p->host_port, err) < 0 ||
      check_port (what, "container port", p->ctr_port, err) < 0)
    return -1;
  snprintf (what, sizeof what, "published port %s/%u", out->proto, p->host_port);
  out->host_port = p->host_port;
  out->ctr_port = p->ctr_port;

  if (p->host_ip == NULL || *p->host_ip == '\0')
    out->kind = FW_HOST_ALL;
  else if (strcmp (p->host_ip, "0.0.0.0") == 0)
    out->kind = FW_HOST_ALL4;
  else if (strcmp (p->host_ip, "::") == 0)
    out->kind = FW_HOST_ALL6;
  else {
    out->kind = FW_HOST_ONE;
    if (parse_addr (what, p->host_ip, 0, &out->host, err) < 0)
      return -1;
    out->host_loopback = is_loopback (&out->host);
  }
  if (p->ctr_ip && parse_addr (what, p->ctr_ip, AF_INET, &out->ctr4, err) < 0)
    return -1;
  if (p->ctr_ip6 && parse_addr (what, p->ctr_ip6, AF_INET6, &out->ctr6, err) < 0)
    return -1;

  bool want4 =
      out->kind == FW_HOST_ALL4 || (out->kind == FW_HOST_ONE && out->host.family == AF_INET);
  bool want6 =
      out->kind == FW_HOST_ALL6 || (out->kind == FW_HOST_ONE && out->host.family == AF_INET6);
  if (want4 && !out->ctr4.family)
    return sk_err_set (err, 0, "%s: published on IPv4 but the container has no IPv4 address", what);
  if (want6 && !out->ctr6.family)
    return sk_err_set (err, 0, "%s: published on IPv6 but the container has no IPv6 address", what);
  if (!out->ctr4.family && !out->ctr6.family)
    return sk_err_set (err, 0, "%s: the container has no address", what);

  if (check_ifname (what, p->bridge, err) < 0)
    return -1;
  const fw_net *net = find_net (m, p->bridge);
  if (net == NULL)
    return sk_err_set (err, 0, "%s: bridge `%s` is not one of the networks", what, p->bridge);
  if (net->internal)
    return sk_err_set (err, 0, "%s: network %s is internal and publishes no port", what, p->bridge);
  return 0;
}

static bool
same_port (const fw_port *a, const fw_port *b)
{
  return strcmp (a->proto, b->proto) == 0 && a->host_port == b->host_port && a->kind == b->kind &&
         strcmp (a->host.text, b->host.text) == 0;
}

/* The description checked and put into the form the script is written from. */
static int
model_build (const sk_fw *fw, fw_model *m, sk_err **err)
{
  memset (m, 0, sizeof *m);
  if (fw == NULL)
    return sk_err_set (err, 0, "no firewall description");
  if (check_table (fw->table, err) < 0)
    return -1;
  m->table = fw->table;
  m->drop_other = fw->drop_other_forwarding;
  m->nets = calloc (fw->n_nets ? fw->n_nets : 1, sizeof *m->nets);
  m->ports = calloc (fw->n_ports ? fw->n_ports : 1, sizeof *m->ports);
  if (m->nets == NULL || m->ports == NULL)
    return sk_err_set (err, ENOMEM, "firewall description");
  for (size_t i = 0; i < fw->n_nets; i++) {
    if (check_net (&fw->nets[i], i, &m->nets[i], err) < 0)
      return -1;
    for (size_t j = 0; j < i; j++)
      if (strcmp (m->nets[j].bridge, m->nets[i].bridge) == 0)
        return sk_err_set (err, 0, "network %s: bridge given twice", m->nets[i].bridge);
    m->n_nets++;
  }
  for (size_t i = 0; i < fw->n_ports; i++) {
    if (check_port_entry (m, &fw->ports[i], i, &m->ports[i], err) < 0)
      return -1;
    for (size_t j = 0; j < i; j++)
      if (same_port (&m->ports[j], &m->ports[i]))
        return sk_err_set (err, 0, "published port %s/%u: published twice on the same address",
                           m->ports[i].proto, m->ports[i].host_port);
    m->n_ports++;
  }
  return 0;
}

/* The DNAT rules of one port and one family, in the prerouting chain (from
 * other hosts and from containers) or the output chain (from the host). */
static void
render_dnat (sk_strbuf *b, const fw_port *p, int family, bool output)
{
  const char *ip = family == AF_INET ? "ip" : "ip6";
  const fw_addr *ctr = family == AF_INET ? &p->ctr4 : &p->ctr6;
  const char *lo = family == AF_INET ? "127.0.0.0/8" : "::1";

  if (p->kind == FW_HOST_ONE && (p->host.family != family || (p->host_loopback && !output)))
    return; /* a loopback address is the host's alone */
  sk_strbuf_puts (b, "    ");
  if (p->kind == FW_HOST_ONE) {
    sk_strbuf_printf (b, "%s daddr %s ", ip, p->host.text);
  } else if (!output) {
    /* never for a loopback destination that came in from outside
     * (CVE-2020-8558): fib would call it local */
    sk_strbuf_printf (b, "%s daddr != %s fib daddr type local ", ip, lo);
  } else {
    sk_strbuf_printf (b, "meta nfproto %s fib daddr type local ",
                      family == AF_INET ? "ipv4" : "ipv6");
  }
  if (family == AF_INET)
    sk_strbuf_printf (b, "%s dport %u dnat ip to %s:%u\n", p->proto, p->host_port, ctr->text,
                      p->ctr_port);
  else
    sk_strbuf_printf (b, "%s dport %u dnat ip6 to [%s]:%u\n", p->proto, p->host_port, ctr->text,
                      p->ctr_port);
}

static void
render_dnat_chain (sk_strbuf *b, const fw_model *m, bool output)
{
  for (size_t i = 0; i < m->n_ports; i++) {
    const fw_port *p = &m->ports[i];
    if (p->ctr4.family && p->kind != FW_HOST_ALL6)
      render_dnat (b, p, AF_INET, output);
    if (p->ctr6.family && p->kind != FW_HOST_ALL4)
      render_dnat (b, p, AF_INET6, output);
  }
}

static void
render_postrouting (sk_strbuf *b, const fw_model *m)
{
  for (size_t i = 0; i < m->n_nets; i++) {
    const fw_net *n = &m->nets[i];
    /* DNATed from the host's loopback: the container cannot answer 127.0.0.1 */
    if (!n->internal)
      sk_strbuf_printf (b,
                        "    oifname \"%s\" ip saddr 127.0.0.0/8 masquerade\n"
                        "    oifname \"%s\" ip6 saddr ::1 masquerade\n",
                        n->bridge, n->bridge);
    /* hairpin: a member reaching a published port of its own network; the
     * server's reply would otherwise go straight back, past the DNAT */
    if (n->sub4.family && !n->internal)
      sk_strbuf_printf (b, "    oifname \"%s\" ct status dnat ip saddr %s masquerade\n", n->bridge,
                        n->sub4.text);
    if (n->sub6.family && !n->internal)
      sk_strbuf_printf (b, "    oifname \"%s\" ct status dnat ip6 saddr %s masquerade\n", n->bridge,
                        n->sub6.text);
    /* the way out */
    if (n->sub4.family && !n->internal)
      sk_strbuf_printf (b, "    oifname != \"%s\" ip saddr %s masquerade\n", n->bridge,
                        n->sub4.text);
    if (n->sub6.family && !n->internal)
      sk_strbuf_printf (b, "    oifname != \"%s\" ip6 saddr %s masquerade\n", n->bridge,
                        n->sub6.text);
  }
}

static void
render_forward (sk_strbuf *b, const fw_model *m)
{
  sk_strbuf_puts (b, "    ct state established,related accept\n");
  /* into a bridge: from itself, or for a published port; nothing else,
   * another skiff bridge included (all of these before any way out is
   * accepted, which would take traffic to another bridge too) */
  for (size_t i = 0; i < m->n_nets; i++) {
    const char *br = m->nets[i].bridge;
    sk_strbuf_printf (b, "    iifname \"%s\" oifname \"%s\" accept\n", br, br);
    if (!m->nets[i].internal)
      sk_strbuf_printf (b, "    oifname \"%s\" ct status dnat accept\n", br);
    sk_strbuf_printf (b, "    oifname \"%s\" drop\n", br);
  }
  /* out of a bridge: anywhere else but to another bridge, unless internal */
  for (size_t i = 0; i < m->n_nets; i++)
    sk_strbuf_printf (b, "    iifname \"%s\" %s\n", m->nets[i].bridge,
                      m->nets[i].internal ? "drop" : "accept");
  if (m->drop_other)
    sk_strbuf_puts (b, "    drop\n");
}

int
sk_fw_render (const sk_fw *fw, char **text, sk_err **err)
{
  fw_model m;
  _cleanup_strbuf_ sk_strbuf b = SK_STRBUF_INIT;
  if (model_build (fw, &m, err) < 0) {
    model_free (&m);
    return -1;
  }
  /* "add" then "delete": the table goes whether it was there or not, and
   * the whole script is one transaction */
  sk_strbuf_printf (&b, "add table inet %s\ndelete table inet %s\n", m.table, m.table);
  sk_strbuf_printf (&b, "table inet %s {\n", m.table);

  /* before conntrack and NAT: packets from outside must never carry the
   * host's loopback addresses; skiff's bridges have route_localnet on */
  sk_strbuf_puts (&b, "  chain guard {\n"
                      "    type filter hook prerouting priority raw; policy accept;\n"
                      "    iifname != \"lo\" ip saddr 127.0.0.0/8 drop\n"
                      "    iifname != \"lo\" ip daddr 127.0.0.0/8 drop\n"
                      "    iifname != \"lo\" ip6 saddr ::1 drop\n"
                      "    iifname != \"lo\" ip6 daddr ::1 drop\n"
                      "  }\n");

  sk_strbuf_puts (&b, "  chain prerouting {\n"
                      "    type nat hook prerouting priority dstnat; policy accept;\n");
  render_dnat_chain (&b, &m, false);
  sk_strbuf_puts (&b, "  }\n");

  sk_strbuf_puts (&b, "  chain output {\n"
                      "    type nat hook output priority -100; policy accept;\n");
  render_dnat_chain (&b, &m, true);
  sk_strbuf_puts (&b, "  }\n");

  sk_strbuf_puts (&b, "  chain postrouting {\n"
                      "    type nat hook postrouting priority srcnat; policy accept;\n");
  render_postrouting (&b, &m);
  sk_strbuf_puts (&b, "  }\n");

  sk_strbuf_puts (&b, "  chain forward {\n"
                      "    type filter hook forward priority filter; policy accept;\n");
  render_forward (&b, &m);
  sk_strbuf_puts (&b, "  }\n");

  /* the host takes no router advertisement from a container */
  sk_strbuf_puts (&b, "  chain input {\n"
                      "    type filter hook input priority filter; policy accept;\n");
  for (size_t i = 0; i < m.n_nets; i++)
    sk_strbuf_printf (&b, "    iifname \"%s\" icmpv6 type nd-router-advert drop\n",
                      m.nets[i].bridge);
  sk_strbuf_puts (&b, "  }\n}\n");

  model_free (&m);
  *text = sk_strbuf_detach (&b);
  return 0;
}

static void
nft_ctx_freep (struct nft_ctx **ctx)
{
  if (*ctx)
    nft_ctx_free (*ctx);
}

/* nft's error output (a message, the script's line, a caret line; maybe
 * several) as one line: its "Error:" lines, joined */
static char *
one_line (const char *out)
{
  _cleanup_strbuf_ sk_strbuf b = SK_STRBUF_INIT;
  const char *line = out;
  while (line && *line) {
    const char *nl = strchr (line, '\n');
    size_t len = nl ? (size_t) (nl - line) : strlen (line);
    if (len > 7 && strncmp (line, "Error: ", 7) == 0) {
      if (b.len)
        sk_strbuf_puts (&b, "; ");
      sk_strbuf_add (&b, line + 7, len - 7);
    }
    line = nl ? nl + 1 : NULL;
  }
  if (b.len == 0)
    for (const char *p = out; *p; p++)
      sk_strbuf_putc (&b, *p == '\n' ? ' ' : *p);
  while (b.len && b.buf[b.len - 1] == ' ')
    b.buf[--b.len] = '\0';
  return sk_strbuf_detach (&b);
}

static int
run_script (const char *table, const char *script, sk_err **err)
{
  __attribute__ ((cleanup (nft_ctx_freep))) struct nft_ctx *ctx = nft_ctx_new (NFT_CTX_DEFAULT);
  if (ctx == NULL)
    return sk_err_set (err, errno, "firewall table %s: %s", table,
                       sk_nft_load_error () ? sk_nft_load_error () : "no nftables context");
  if (nft_ctx_buffer_output (ctx) < 0 || nft_ctx_buffer_error (ctx) < 0)
    return sk_err_set (err, errno, "firewall table %s: nftables output buffers", table);
  if (nft_run_cmd_from_buffer (ctx, script) != 0) {
    const char *e = nft_ctx_get_error_buffer (ctx);
    _cleanup_free_ char *msg = one_line (e ? e : "");
    return sk_err_set (err, 0, "firewall table %s: nftables: %s", table,
                       *msg ? msg : "the transaction failed");
  }
  return 0;
}

int
sk_fw_apply (const sk_fw *fw, sk_err **err)
{
  _cleanup_free_ char *script = NULL;
  if (sk_fw_render (fw, &script, err) < 0)
    return -1;
  return run_script (fw->table, script, err);
}

int
sk_fw_remove (const char *table, sk_err **err)
{
  char script[256];
  if (check_table (table, err) < 0)
    return -1;
  snprintf (script, sizeof script, "add table inet %s\ndelete table inet %s\n", table, table);
  return run_script (table, script, err);
}
