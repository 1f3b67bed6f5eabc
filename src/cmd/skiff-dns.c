/* skiff-dns: the embedded DNS responder of user-defined networks, one for
 * the host (see src/network/dns-server.h). This file only reads the
 * command line. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network/dns-server.h"
#include "skiff-config.h"
#include "util/cleanup.h"

#define MAX_LISTEN 256

static void
usage (FILE *out)
{
  fprintf (out,
           "Usage: skiff-dns --data-root DIR --listen ADDR [--listen ADDR]...\n"
           "                 [--upstream FILE] [--pid-file FILE]\n"
           "\n"
           "Answers the names of the containers on skiff's user-defined networks, on\n"
           "UDP and TCP port 53 of each ADDR (their gateways), and forwards other\n"
           "queries to the nameservers of FILE (resolv.conf's format). Exits by itself\n"
           "when no container runs on those networks any more.\n"
           "\n"
           "  --data-root DIR    skiff's data root (its skiff.db is read)\n"
           "  --listen ADDR      an IPv4 or IPv6 address to answer on\n"
           "  --upstream FILE    the servers to forward to (none: unknown names are NXDOMAIN)\n"
           "  --pid-file FILE    where to write this process's pid\n"
           "  --port N           the port instead of 53 (for tests)\n"
           "  --check-interval MS  how often to look for containers left (default 2000)\n");
}

static int
parse_uint (const char *s, const char *what, unsigned long max, unsigned *out)
{
  char *end;
  errno = 0;
  unsigned long v = strtoul (s, &end, 10);
  if (errno || end == s || *end || *s == '-' || v == 0 || v > max) {
    fprintf (stderr, "skiff-dns: --%s `%s` is not a valid number\n", what, s);
    return -1;
  }
  *out = (unsigned) v;
  return 0;
}

enum { O_DATA_ROOT = 1000, O_LISTEN, O_UPSTREAM, O_PID_FILE, O_PORT, O_CHECK, O_VERSION };

int
main (int argc, char **argv)
{
  static const struct option opts[] = {
      {"data-root", required_argument, NULL, O_DATA_ROOT},
      {"listen", required_argument, NULL, O_LISTEN},
      {"upstream", required_argument, NULL, O_UPSTREAM},
      {"pid-file", required_argument, NULL, O_PID_FILE},
      {"port", required_argument, NULL, O_PORT},
      {"check-interval", required_argument, NULL, O_CHECK},
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, O_VERSION},
      {NULL, 0, NULL, 0},
  };
  static sk_dns_addr listen[MAX_LISTEN];
  sk_dns_server_opts o = {.listen = listen};
  const char *data_root = NULL;
  int c;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+:h", opts, NULL)) != -1) {
    switch (c) {
    case O_DATA_ROOT: data_root = optarg; break;
    case O_LISTEN:
      if (o.n_listen == MAX_LISTEN) {
        fprintf (stderr, "skiff-dns: more than %d --listen addresses\n", MAX_LISTEN);
        return 2;
      }
      if (!sk_dns_addr_parse (optarg, &listen[o.n_listen])) {
        fprintf (stderr, "skiff-dns: --listen `%s` is not an IP address\n", optarg);
        return 2;
      }
      for (size_t i = 0; i < o.n_listen; i++)
        if (sk_dns_addr_eq (&listen[i], &listen[o.n_listen])) {
          fprintf (stderr, "skiff-dns: --listen `%s` is given twice\n", optarg);
          return 2;
        }
      o.n_listen++;
      break;
    case O_UPSTREAM: o.upstream_file = optarg; break;
    case O_PID_FILE: o.pid_file = optarg; break;
    case O_PORT:
      if (parse_uint (optarg, "port", 65535, &o.port) < 0)
        return 2;
      break;
    case O_CHECK:
      if (parse_uint (optarg, "check-interval", 3600 * 1000, &o.check_ms) < 0)
        return 2;
      break;
    case 'h': usage (stdout); return 0;
    case O_VERSION: printf ("skiff-dns version %s\n", SKIFF_VERSION); return 0;
    case ':':
      fprintf (stderr, "skiff-dns: option `%s` needs a value\n", argv[optind - 1]);
      return 2;
    default:
      fprintf (stderr, "skiff-dns: unknown option `%s` (see --help)\n", argv[optind - 1]);
      return 2;
    }
  }
  if (optind < argc) {
    fprintf (stderr, "skiff-dns: unexpected argument `%s` (see --help)\n", argv[optind]);
    return 2;
  }
  if (data_root == NULL || *data_root == '\0') {
    fprintf (stderr, "skiff-dns: --data-root is required\n");
    return 2;
  }
  if (o.n_listen == 0) {
    fprintf (stderr, "skiff-dns: at least one --listen address is required\n");
    return 2;
  }
  _cleanup_free_ char *db = NULL;
  if (asprintf (&db, "%s/skiff.db", data_root) < 0) {
    fprintf (stderr, "skiff-dns: out of memory\n");
    return 1;
  }
  o.db_path = db;
  sk_err *err = NULL;
  if (sk_dns_server_run (&o, &err) < 0) {
    fprintf (stderr, "skiff-dns: %s\n", err->msg);
    sk_err_free (&err);
    return 1;
  }
  return 0;
}
