/* fw: drives skiff's firewall (src/network/firewall.h) for the integration
 * tests, one call per run.
 *
 *   fw [--repeat N] apply TABLE [drop-other] ITEM...
 *   fw render TABLE [drop-other] ITEM...     prints the nft script
 *   fw remove TABLE
 *
 * ITEM is one of
 *   net BRIDGE SUBNET4 SUBNET6 normal|internal
 *   port PROTO HOST_IP HOST_PORT CTR_IP CTR_IP6 CTR_PORT BRIDGE
 * where "-" stands for no value (NULL) and PROTO is tcp, udp or a protocol
 * number. --repeat applies N times and prints the mean time of one apply in
 * milliseconds. An error is one line on stderr and exit status 1; a usage
 * error exits 2.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "network/firewall.h"
#include "util/cleanup.h"

static void
usage (const char *why)
{
  fprintf (stderr, "fw: %s (see the head of fw.c)\n", why);
  exit (2);
}

static const char *
value (const char *s)
{
  return strcmp (s, "-") == 0 ? NULL : s;
}

static unsigned
number (const char *s)
{
  char *end;
  unsigned long n = strtoul (s, &end, 10);
  if (*s == '\0' || *end || *s == '-' || n > 1000000)
    usage ("a port is not a number");
  return (unsigned) n;
}

static int
proto (const char *s)
{
  if (strcmp (s, "tcp") == 0)
    return IPPROTO_TCP;
  if (strcmp (s, "udp") == 0)
    return IPPROTO_UDP;
  char *end;
  long n = strtol (s, &end, 10);
  if (*s == '\0' || *end)
    usage ("a protocol is not tcp, udp or a number");
  return (int) n;
}

/* argv[i...] into fw; the arrays have room for every word */
static void
parse (int argc, char **argv, int i, sk_fw *fw, sk_fw_network *nets, sk_fw_port *ports)
{
  if (i >= argc)
    usage ("no table name");
  fw->table = argv[i++];
  fw->nets = nets;
  fw->ports = ports;
  if (i < argc && strcmp (argv[i], "drop-other") == 0) {
    fw->drop_other_forwarding = true;
    i++;
  }
  while (i < argc) {
    if (strcmp (argv[i], "net") == 0 && i + 4 < argc) {
      sk_fw_network *n = &nets[fw->n_nets++];
      n->bridge = value (argv[i + 1]);
      n->subnet4 = value (argv[i + 2]);
      n->subnet6 = value (argv[i + 3]);
      n->internal = strcmp (argv[i + 4], "internal") == 0;
      i += 5;
    } else if (strcmp (argv[i], "port") == 0 && i + 7 < argc) {
      sk_fw_port *p = &ports[fw->n_ports++];
      p->proto = proto (argv[i + 1]);
      p->host_ip = value (argv[i + 2]);
      p->host_port = number (argv[i + 3]);
      p->ctr_ip = value (argv[i + 4]);
      p->ctr_ip6 = value (argv[i + 5]);
      p->ctr_port = number (argv[i + 6]);
      p->bridge = value (argv[i + 7]);
      i += 8;
    } else {
      usage ("expected net (4 values) or port (7 values)");
    }
  }
}

static double
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int
main (int argc, char **argv)
{
  _cleanup_err_ sk_err *err = NULL;
  int i = 1, repeat = 1;
  if (i + 1 < argc && strcmp (argv[i], "--repeat") == 0) {
    repeat = (int) number (argv[i + 1]);
    i += 2;
  }
  if (i >= argc)
    usage ("no command");
  const char *cmd = argv[i++];
  size_t room = argc > 0 ? (size_t) argc : 1;
  _cleanup_free_ sk_fw_network *nets = calloc (room, sizeof *nets);
  _cleanup_free_ sk_fw_port *ports = calloc (room, sizeof *ports);
  sk_fw fw = {0};
  int ret;

  if (strcmp (cmd, "remove") == 0) {
    if (i + 1 != argc)
      usage ("remove takes a table name");
    ret = sk_fw_remove (argv[i], &err);
  } else if (strcmp (cmd, "render") == 0) {
    _cleanup_free_ char *text = NULL;
    parse (argc, argv, i, &fw, nets, ports);
    ret = sk_fw_render (&fw, &text, &err);
    if (ret >= 0)
      fputs (text, stdout);
  } else if (strcmp (cmd, "apply") == 0) {
    parse (argc, argv, i, &fw, nets, ports);
    double start = now_ms ();
    ret = 0;
    for (int k = 0; k < repeat && ret >= 0; k++)
      ret = sk_fw_apply (&fw, &err);
    if (ret >= 0 && repeat > 1)
      printf ("%.2f ms per apply\n", (now_ms () - start) / repeat);
  } else {
    usage ("unknown command");
  }
  if (ret < 0) {
    fprintf (stderr, "fw: %s\n", err->msg);
    return 1;
  }
  return 0;
}
