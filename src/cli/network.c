/* skiff: `network create, ls, inspect, rm, prune` with docker's flags and
 * output. The networks and their bridges are the engine's (engine/net.c). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

static void
time_text (int64_t ns, char *buf, size_t size)
{
  time_t s = (time_t) (ns / 1000000000);
  struct tm tm;
  gmtime_r (&s, &tm);
  size_t n = strftime (buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf + n, size - n, ".%09lldZ", (long long) (ns % 1000000000));
}

static sk_json *
parse_object (const char *text)
{
  sk_json *o = NULL;
  sk_err *ignored = NULL;
  if (sk_json_parse (text, strlen (text), "labels", &o, &ignored) < 0 ||
      !json_object_is_type (o, json_type_object)) {
    sk_err_free (&ignored);
    json_object_put (o);
    return json_object_new_object ();
  }
  return o;
}

/* The network as docker's inspect shows it. */
static sk_json *
network_json (sk_engine *e, const sk_network *n)
{
  sk_json *o = json_object_new_object (), *ipam = json_object_new_object ();
  char t[48];
  time_text (n->created, t, sizeof t);
  json_object_object_add (o, "Name", json_object_new_string (n->name));
  json_object_object_add (o, "Id", json_object_new_string (n->id));
  json_object_object_add (o, "Created", json_object_new_string (t));
  json_object_object_add (o, "Scope", json_object_new_string ("local"));
  json_object_object_add (o, "Driver", json_object_new_string (n->driver));
  json_object_object_add (o, "EnableIPv6", json_object_new_boolean (n->ipv6));
  json_object_object_add (ipam, "Driver", json_object_new_string ("default"));
  json_object_object_add (ipam, "Options", json_object_new_object ());
  sk_json *configs = json_object_new_array ();
  struct {
    const char *subnet, *gateway, *range;
  } fam[] = {{n->subnet, n->gateway, n->ip_range}, {n->subnet6, n->gateway6, ""}};
  for (size_t i = 0; i < 2; i++) {
    if (!*fam[i].subnet)
      continue;
    sk_json *c = json_object_new_object ();
    json_object_object_add (c, "Subnet", json_object_new_string (fam[i].subnet));
    if (*fam[i].range)
      json_object_object_add (c, "IPRange", json_object_new_string (fam[i].range));
    json_object_object_add (c, "Gateway", json_object_new_string (fam[i].gateway));
    json_object_array_add (configs, c);
  }
  json_object_object_add (ipam, "Config", configs);
  json_object_object_add (o, "IPAM", ipam);
  json_object_object_add (o, "Internal", json_object_new_boolean (n->internal));
  json_object_object_add (o, "Attachable", json_object_new_boolean (false));
  json_object_object_add (o, "Ingress", json_object_new_boolean (false));
  sk_json *from = json_object_new_object ();
  json_object_object_add (from, "Network", json_object_new_string (""));
  json_object_object_add (o, "ConfigFrom", from);
  json_object_object_add (o, "ConfigOnly", json_object_new_boolean (false));
  sk_json *ctrs = json_object_new_object ();
  sk_endpoint **eps = NULL;
  size_t ne = 0;
  sk_err *ignored = NULL;
  if (sk_engine_network_endpoints (e, n->id, &eps, &ne, &ignored) < 0)
    sk_err_free (&ignored);
  for (size_t i = 0; i < ne; i++) {
    _cleanup_ctr_ sk_ctr *c = NULL;
    if (sk_engine_get (e, eps[i]->container, &c, &ignored) < 0) {
      sk_err_free (&ignored);
      continue;
    }
    /* docker's: the containers connected now, those that run */
    if (strcmp (c->state, "running") != 0 && strcmp (c->state, "paused") != 0 &&
        strcmp (c->state, "restarting") != 0)
      continue;
    sk_json *ep = json_object_new_object ();
    char a4[80] = "", a6[80] = "";
    const char *slash4 = strchr (n->subnet, '/'), *slash6 = strchr (n->subnet6, '/');
    if (*eps[i]->ip)
      snprintf (a4, sizeof a4, "%s%s", eps[i]->ip, slash4 ? slash4 : "");
    if (*eps[i]->ip6)
      snprintf (a6, sizeof a6, "%s%s", eps[i]->ip6, slash6 ? slash6 : "");
    json_object_object_add (ep, "Name", json_object_new_string (c->name));
    json_object_object_add (ep, "EndpointID", json_object_new_string (eps[i]->id));
    json_object_object_add (ep, "MacAddress", json_object_new_string (eps[i]->mac));
    json_object_object_add (ep, "IPv4Address", json_object_new_string (a4));
    json_object_object_add (ep, "IPv6Address", json_object_new_string (a6));
    json_object_object_add (ctrs, c->id, ep);
  }
  sk_endpoint_list_free (eps, ne);
  json_object_object_add (o, "Containers", ctrs);
  sk_json *opts = parse_object (n->options);
  if (*n->bridge) {
    json_object_object_add (opts, "com.docker.network.bridge.name", json_object_new_string (n->bridge));
    if (strcmp (n->name, "bridge") == 0)
      json_object_object_add (opts, "com.docker.network.bridge.default_bridge",
                              json_object_new_string ("true"));
  }
  json_object_object_add (o, "Options", opts);
  json_object_object_add (o, "Labels", parse_object (n->labels));
  return o;
}

/* ---- create ---- */

static const char create_help[] =
    "Usage:  skiff network create [OPTIONS] NETWORK\n\n"
    "Create a network\n\n"
    "Options:\n"
    "  -d, --driver string        Driver to manage the Network (default \"bridge\")\n"
    "      --gateway strings      IPv4 or IPv6 Gateway for the master subnet\n"
    "      --internal             Restrict external access to the network\n"
    "      --ip-range strings     Allocate container ip from a sub-range\n"
    "      --ipv6                 Enable IPv6 networking\n"
    "      --label list           Set metadata on a network\n"
    "  -o, --opt map              Set driver specific options (default map[])\n"
    "      --subnet strings       Subnet in CIDR format that represents a network segment\n";

static int
key_value (sk_json *o, const char *kv, const char *what, sk_err **err)
{
  const char *eq = strchr (kv, '=');
  _cleanup_free_ char *key = eq ? strndup (kv, (size_t) (eq - kv)) : strdup (kv);
  if (key == NULL || !*key)
    return sk_err_set (err, EINVAL, "invalid %s: `%s`", what, kv);
  json_object_object_add (o, key, json_object_new_string (eq ? eq + 1 : ""));
  return 0;
}

static int
network_create (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, create_help))
    return 0;
  enum { O_GATEWAY = 1000, O_INTERNAL, O_RANGE, O_IPV6, O_LABEL, O_SUBNET, O_ATTACHABLE };
  static const struct option opts[] = {{"driver", required_argument, NULL, 'd'},
                                       {"gateway", required_argument, NULL, O_GATEWAY},
                                       {"internal", no_argument, NULL, O_INTERNAL},
                                       {"ip-range", required_argument, NULL, O_RANGE},
                                       {"ipv6", no_argument, NULL, O_IPV6},
                                       {"label", required_argument, NULL, O_LABEL},
                                       {"opt", required_argument, NULL, 'o'},
                                       {"subnet", required_argument, NULL, O_SUBNET},
                                       {"attachable", no_argument, NULL, O_ATTACHABLE},
                                       {0}};
  _cleanup_free_ const char **subnets = calloc ((size_t) argc, sizeof (char *));
  _cleanup_free_ const char **gateways = calloc ((size_t) argc, sizeof (char *));
  _cleanup_free_ const char **ranges = calloc ((size_t) argc, sizeof (char *));
  _cleanup_json_ sk_json *labels = json_object_new_object ();
  _cleanup_json_ sk_json *options = json_object_new_object ();
  sk_network_spec spec = {.subnets = subnets, .gateways = gateways, .ip_ranges = ranges};
  sk_err *err = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "d:o:", opts, NULL)) != -1) {
    switch (c) {
    case 'd': spec.driver = optarg; break;
    case O_GATEWAY: gateways[spec.n_gateways++] = optarg; break;
    case O_INTERNAL: spec.internal = true; break;
    case O_RANGE: ranges[spec.n_ip_ranges++] = optarg; break;
    case O_IPV6: spec.ipv6 = true; break;
    case O_SUBNET: subnets[spec.n_subnets++] = optarg; break;
    case O_ATTACHABLE: break;
    case O_LABEL:
      if (key_value (labels, optarg, "label", &err) < 0)
        return sk_cli_fail (err);
      break;
    case 'o':
      if (key_value (options, optarg, "option", &err) < 0)
        return sk_cli_fail (err);
      break;
    default: return sk_cli_usage ("network create", "bad option");
    }
  }
  if (argc - optind != 1)
    return sk_cli_usage ("network create", "\"network create\" requires exactly 1 argument.");
  spec.name = argv[optind];
  json_object_object_foreach (options, key, val)
  {
    if (strcmp (key, "com.docker.network.bridge.name") == 0)
      spec.bridge = json_object_get_string (val);
    else if (strcmp (key, "com.docker.network.driver.mtu") != 0 &&
             strcmp (key, "com.docker.network.bridge.enable_icc") != 0)
    {
      sk_err_set (&err, EINVAL, "unknown bridge network option `%s`", key);
      return sk_cli_fail (err);
    }
  }
  spec.labels = json_object_to_json_string_ext (labels, JSON_C_TO_STRING_PLAIN);
  spec.options = json_object_to_json_string_ext (options, JSON_C_TO_STRING_PLAIN);
  sk_engine *e = NULL;
  sk_network *net = NULL;
  if (sk_cli_engine (cli, &e, &err) < 0 || sk_engine_network_create (e, &spec, &net, &err) < 0) {
    fprintf (stderr, "Error response from daemon: %s\n", err->msg);
    sk_err_free (&err);
    return 1;
  }
  printf ("%s\n", net->id);
  sk_network_free (net);
  return 0;
}

/* ---- ls ---- */

static const char ls_help[] = "Usage:  skiff network ls [OPTIONS]\n\n"
                              "List networks\n\n"
                              "Aliases:\n  ls, list\n\n"
                              "Options:\n"
                              "  -f, --filter filter   Provide filter values (e.g. \"driver=bridge\")\n"
                              "      --format string   Format output using a custom template\n"
                              "      --no-trunc        Do not truncate the output\n"
                              "  -q, --quiet           Only display network IDs\n";

static const sk_cli_column ls_columns[] = {{"ID", "NETWORK ID"}, {"Name", "NAME"},
                                           {"Driver", "DRIVER"}, {"Scope", "SCOPE"},
                                           {"IPv6", "IPV6"},     {"Internal", "INTERNAL"},
                                           {"CreatedAt", "CREATED"}, {NULL, NULL}};

/* docker's network ls filters: driver, id, label, name, scope, type */
static bool
matches (const sk_network *n, char **filters, size_t nf)
{
  for (size_t i = 0; i < nf; i++) {
    const char *f = filters[i], *eq = strchr (f, '=');
    size_t klen = eq ? (size_t) (eq - f) : strlen (f);
    const char *v = eq ? eq + 1 : "";
    bool ok;
    if (klen == 6 && strncmp (f, "driver", 6) == 0)
      ok = strcmp (n->driver, v) == 0;
    else if (klen == 2 && strncmp (f, "id", 2) == 0)
      ok = strncmp (n->id, v, strlen (v)) == 0;
    else if (klen == 4 && strncmp (f, "name", 4) == 0)
      ok = strstr (n->name, v) != NULL;
    else if (klen == 5 && strncmp (f, "scope", 5) == 0)
      ok = strcmp (v, "local") == 0;
    else if (klen == 4 && strncmp (f, "type", 4) == 0)
      ok = strcmp (v, sk_network_predefined (n) ? "builtin" : "custom") == 0;
    else if (klen == 5 && strncmp (f, "label", 5) == 0) {
      _cleanup_json_ sk_json *wrap = json_object_new_object ();
      json_object_object_add (wrap, "Labels", parse_object (n->labels));
      ok = sk_cli_label_matches (wrap, v);
    } else
      ok = false;
    if (!ok)
      return false;
  }
  return true;
}

static int
check_filter (const char *f, sk_err **err)
{
  static const char *const keys[] = {"driver", "id", "label", "name", "scope", "type"};
  const char *eq = strchr (f, '=');
  if (eq == NULL)
    return sk_err_set (err, EINVAL, "bad format of filter (expected name=value)");
  for (size_t i = 0; i < SK_N_ELEMENTS (keys); i++)
    if (strlen (keys[i]) == (size_t) (eq - f) && strncmp (f, keys[i], (size_t) (eq - f)) == 0) {
      if (i == 5 && strcmp (eq + 1, "custom") != 0 && strcmp (eq + 1, "builtin") != 0)
        return sk_err_set (err, EINVAL, "invalid filter: 'type'='%s'", eq + 1);
      return 0;
    }
  return sk_err_set (err, EINVAL, "invalid filter '%.*s'", (int) (eq - f), f);
}

static int
network_ls (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, ls_help))
    return 0;
  enum { O_FORMAT = 1000, O_NO_TRUNC };
  static const struct option opts[] = {{"filter", required_argument, NULL, 'f'},
                                       {"format", required_argument, NULL, O_FORMAT},
                                       {"no-trunc", no_argument, NULL, O_NO_TRUNC},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {0}};
  _cleanup_free_ char **filters = calloc ((size_t) argc, sizeof (char *));
  size_t nf = 0;
  const char *format = NULL;
  bool quiet = false, no_trunc = false;
  sk_err *err = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "f:q", opts, NULL)) != -1) {
    switch (c) {
    case 'f':
      if (check_filter (optarg, &err) < 0)
        return sk_cli_fail (err);
      filters[nf++] = optarg;
      break;
    case O_FORMAT: format = optarg; break;
    case O_NO_TRUNC: no_trunc = true; break;
    case 'q': quiet = true; break;
    default: return sk_cli_usage ("network ls", "bad option");
    }
  }
  if (optind != argc)
    return sk_cli_usage ("network ls", "\"network ls\" accepts no arguments.");
  sk_engine *e = NULL;
  sk_network **list = NULL;
  size_t n = 0;
  if (sk_cli_engine (cli, &e, &err) < 0 || sk_engine_network_list (e, &list, &n, &err) < 0)
    return sk_cli_fail (err);
  sk_json **rows = calloc (n + 1, sizeof *rows);
  size_t nr = 0;
  for (size_t i = 0; rows && i < n; i++) {
    if (!matches (list[i], filters, nf))
      continue;
    sk_json *r = json_object_new_object ();
    char id[13], t[48];
    sk_cli_short_id (list[i]->id, id);
    time_text (list[i]->created, t, sizeof t);
    json_object_object_add (r, "ID", json_object_new_string (no_trunc ? list[i]->id : id));
    json_object_object_add (r, "Name", json_object_new_string (list[i]->name));
    json_object_object_add (r, "Driver", json_object_new_string (list[i]->driver));
    json_object_object_add (r, "Scope", json_object_new_string ("local"));
    json_object_object_add (r, "IPv6", json_object_new_string (list[i]->ipv6 ? "true" : "false"));
    json_object_object_add (r, "Internal", json_object_new_string (list[i]->internal ? "true" : "false"));
    json_object_object_add (r, "CreatedAt", json_object_new_string (t));
    json_object_object_add (r, "Labels", json_object_new_string (""));
    rows[nr++] = r;
  }
  int ret = 0;
  if (quiet)
    for (size_t i = 0; i < nr; i++) {
      sk_json *v = NULL;
      json_object_object_get_ex (rows[i], "ID", &v);
      printf ("%s\n", json_object_get_string (v));
    }
  else if (sk_cli_render (format ? format
                                 : "table {{.ID}}\\t{{.Name}}\\t{{.Driver}}\\t{{.Scope}}",
                          rows, nr, ls_columns, stdout, &err) < 0)
    ret = sk_cli_fail (err);
  for (size_t i = 0; i < nr; i++)
    json_object_put (rows[i]);
  free (rows);
  sk_network_list_free (list, n);
  return ret;
}

/* ---- inspect ---- */

static const char inspect_help[] =
    "Usage:  skiff network inspect [OPTIONS] NETWORK [NETWORK...]\n\n"
    "Display detailed information on one or more networks\n\n"
    "Options:\n"
    "  -f, --format string   Format output using a custom template\n";

static int
network_doc (sk_cli *cli, const char *name, sk_json **doc, sk_err **err)
{
  sk_engine *e = NULL;
  sk_network *n = NULL;
  if (sk_cli_engine (cli, &e, err) < 0 || sk_engine_network_find (e, name, &n, err) < 0)
    return -1;
  *doc = network_json (e, n);
  sk_network_free (n);
  return 0;
}

static int
network_inspect (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, inspect_help))
    return 0;
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                       {"verbose", no_argument, NULL, 'v'},
                                       {0}};
  const char *format = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "f:v", opts, NULL)) != -1) {
    switch (c) {
    case 'f': format = optarg; break;
    case 'v': break;
    default: return sk_cli_usage ("network inspect", "bad option");
    }
  }
  if (optind >= argc)
    return sk_cli_usage ("network inspect", "\"network inspect\" requires at least 1 argument.");
  return sk_cli_inspect_names (cli, argc - optind, argv + optind, format, network_doc);
}

/* ---- rm, prune ---- */

static const char rm_help[] = "Usage:  skiff network rm NETWORK [NETWORK...]\n\n"
                              "Remove one or more networks\n\n"
                              "Aliases:\n  rm, remove\n\n"
                              "Options:\n"
                              "  -f, --force   Do not error if the network does not exist\n";

static int
network_rm (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, rm_help))
    return 0;
  static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, {0}};
  bool force = false;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "f", opts, NULL)) != -1) {
    switch (c) {
    case 'f': force = true; break;
    default: return sk_cli_usage ("network rm", "bad option");
    }
  }
  if (optind >= argc)
    return sk_cli_usage ("network rm", "\"network rm\" requires at least 1 argument.");
  sk_err *err = NULL;
  sk_engine *e = NULL;
  if (sk_cli_engine (cli, &e, &err) < 0)
    return sk_cli_fail (err);
  int ret = 0;
  for (int i = optind; i < argc; i++) {
    sk_network *n = NULL;
    if (sk_engine_network_find (e, argv[i], &n, &err) < 0 ||
        sk_engine_network_remove (e, n, &err) < 0) {
      if (!(force && err->errnum == ENOENT)) {
        fprintf (stderr, "Error response from daemon: %s\n", err->msg);
        ret = 1;
      }
      sk_err_free (&err);
    } else
      printf ("%s\n", argv[i]);
    sk_network_free (n);
  }
  return ret;
}

static const char prune_help[] = "Usage:  skiff network prune [OPTIONS]\n\n"
                                 "Remove all unused networks\n\n"
                                 "Options:\n"
                                 "  -f, --force   Do not prompt for confirmation\n";

static int
network_prune (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, prune_help))
    return 0;
  static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
                                       {"filter", required_argument, NULL, 'F'},
                                       {0}};
  _cleanup_free_ char **filters = calloc ((size_t) argc, sizeof (char *));
  size_t nf = 0;
  bool force = false;
  sk_err *err = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "f", opts, NULL)) != -1) {
    switch (c) {
    case 'f': force = true; break;
    case 'F':
      if (strncmp (optarg, "label=", 6) != 0 && strncmp (optarg, "label!=", 7) != 0)
      {
        sk_err_set (&err, EINVAL, "invalid filter '%s'", optarg);
        return sk_cli_fail (err);
      }
      filters[nf++] = optarg;
      break;
    default: return sk_cli_usage ("network prune", "bad option");
    }
  }
  if (!force && !sk_cli_confirm ("custom networks not used by at least one container"))
    return 0;
  sk_engine *e = NULL;
  sk_network **list = NULL;
  size_t n = 0;
  if (sk_cli_engine (cli, &e, &err) < 0 || sk_engine_network_list (e, &list, &n, &err) < 0)
    return sk_cli_fail (err);
  bool header = false;
  int ret = 0;
  for (size_t i = 0; i < n; i++) {
    if (sk_network_predefined (list[i]))
      continue;
    bool keep = false;
    for (size_t f = 0; f < nf && !keep; f++) {
      _cleanup_json_ sk_json *wrap = json_object_new_object ();
      json_object_object_add (wrap, "Labels", parse_object (list[i]->labels));
      bool neg = strncmp (filters[f], "label!=", 7) == 0;
      bool m = sk_cli_label_matches (wrap, filters[f] + (neg ? 7 : 6));
      keep = neg ? m : !m;
    }
    if (keep)
      continue;
    if (sk_engine_network_remove (e, list[i], &err) < 0) {
      if (err->errnum != EBUSY) {
        fprintf (stderr, "Error response from daemon: %s\n", err->msg);
        ret = 1;
      }
      sk_err_free (&err);
      continue;
    }
    if (!header)
      printf ("Deleted Networks:\n");
    header = true;
    printf ("%s\n", list[i]->name);
  }
  sk_network_list_free (list, n);
  return ret;
}

/* ---- connect, disconnect ---- */

static const char connect_help[] =
    "Usage:  skiff network connect [OPTIONS] NETWORK CONTAINER\n\n"
    "Connect a container to a network\n\n"
    "Options:\n"
    "      --alias strings   Add network-scoped alias for the container\n"
    "      --ip string       IPv4 address (e.g., \"172.30.100.104\")\n"
    "      --ip6 string      IPv6 address (e.g., \"2001:db8::33\")\n";

/* The network and the container named, the container's own network
 * namespace checked (docker refuses host, none and container:NAME). */
static int
find_pair (sk_engine *e, const char *network, const char *container, sk_network **net, char **id,
           sk_err **err)
{
  if (sk_engine_network_find (e, network, net, err) < 0)
    return -1;
  _cleanup_ctr_ sk_ctr *c = NULL;
  _cleanup_json_ sk_json *config = NULL;
  if (sk_engine_resolve (e, container, id, err) < 0 || sk_engine_get (e, *id, &c, err) < 0 ||
      sk_json_parse (c->config, strlen (c->config), "config", &config, err) < 0)
    return -1;
  sk_json *hc = NULL, *mode = NULL;
  const char *m = json_object_object_get_ex (config, "HostConfig", &hc) && hc &&
                          json_object_object_get_ex (hc, "NetworkMode", &mode) && mode
                      ? json_object_get_string (mode)
                      : "";
  if (strcmp (m, "host") == 0 || strcmp (m, "none") == 0 || strncmp (m, "container:", 10) == 0)
    return sk_err_set (err, EINVAL,
                       "container sharing network namespace with another container or host "
                       "cannot be connected to any other network");
  return 0;
}

/* What connect or disconnect could not do, in docker's words (the names
 * as typed); 1. found: the container was. */
static int
pair_fail (sk_err *err, const char *container, const sk_network *net, bool found)
{
  if (net && found && err->errnum == EEXIST)
    fprintf (stderr, "Error response from daemon: endpoint with name %s already exists in network %s\n",
             container, net->name);
  else if (net && found && err->errnum == ENOENT)
    fprintf (stderr, "Error response from daemon: container %s is not connected to network %s\n",
             container, net->name);
  else
    fprintf (stderr, "Error response from daemon: %s\n", err->msg);
  sk_err_free (&err);
  return 1;
}

static int
network_connect (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, connect_help))
    return 0;
  enum { O_ALIAS = 1000, O_IP, O_IP6, O_LINK };
  static const struct option opts[] = {{"alias", required_argument, NULL, O_ALIAS},
                                       {"ip", required_argument, NULL, O_IP},
                                       {"ip6", required_argument, NULL, O_IP6},
                                       {0}};
  _cleanup_json_ sk_json *aliases = json_object_new_array ();
  const char *ip = NULL, *ip6 = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
    case O_ALIAS: json_object_array_add (aliases, json_object_new_string (optarg)); break;
    case O_IP: ip = optarg; break;
    case O_IP6: ip6 = optarg; break;
    default: return sk_cli_usage ("network connect", "bad option");
    }
  }
  if (argc - optind != 2)
    return sk_cli_usage ("network connect", "\"network connect\" requires exactly 2 arguments.");
  sk_err *err = NULL;
  sk_engine *e = NULL;
  sk_network *net = NULL;
  _cleanup_free_ char *id = NULL;
  int ret = 0;
  if (sk_cli_engine (cli, &e, &err) < 0 ||
      find_pair (e, argv[optind], argv[optind + 1], &net, &id, &err) < 0 ||
      sk_engine_network_connect (e, net, id, ip, ip6,
                                 json_object_array_length (aliases)
                                     ? json_object_to_json_string_ext (aliases, JSON_C_TO_STRING_PLAIN)
                                     : NULL,
                                 &err) < 0)
    ret = pair_fail (err, argv[optind + 1], net, id != NULL);
  sk_network_free (net);
  return ret;
}

static const char disconnect_help[] =
    "Usage:  skiff network disconnect [OPTIONS] NETWORK CONTAINER\n\n"
    "Disconnect a container from a network\n\n"
    "Options:\n"
    "  -f, --force   Force the container to disconnect from a network\n";

static int
network_disconnect (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, disconnect_help))
    return 0;
  static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, {0}};
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "f", opts, NULL)) != -1) {
    switch (c) {
    case 'f': break;
    default: return sk_cli_usage ("network disconnect", "bad option");
    }
  }
  if (argc - optind != 2)
    return sk_cli_usage ("network disconnect", "\"network disconnect\" requires exactly 2 arguments.");
  sk_err *err = NULL;
  sk_engine *e = NULL;
  sk_network *net = NULL;
  _cleanup_free_ char *id = NULL;
  int ret = 0;
  if (sk_cli_engine (cli, &e, &err) < 0 ||
      find_pair (e, argv[optind], argv[optind + 1], &net, &id, &err) < 0 ||
      sk_engine_network_disconnect (e, net, id, &err) < 0)
    ret = pair_fail (err, argv[optind + 1], net, id != NULL);
  sk_network_free (net);
  return ret;
}

/* ---- reload ---- */

static const char reload_help[] = "Usage:  skiff network reload\n\n"
                                  "Make skiff's firewall rules whole again (after its nftables "
                                  "table was flushed or removed)\n";

static int
network_reload (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, reload_help))
    return 0;
  if (argc != 1)
    return sk_cli_usage ("network reload", "\"network reload\" accepts no arguments.");
  sk_err *err = NULL;
  sk_engine *e = NULL;
  if (sk_cli_engine (cli, &e, &err) < 0 || sk_engine_fw_sync (e, true, &err) < 0)
    return sk_cli_fail (err);
  return 0;
}

int
cmd_network (sk_cli *cli, int argc, char **argv)
{
  static const struct {
    const char *name;
    sk_cli_fn fn;
  } subs[] = {{"create", network_create}, {"ls", network_ls},         {"list", network_ls},
              {"inspect", network_inspect}, {"rm", network_rm},       {"remove", network_rm},
              {"prune", network_prune}, {"reload", network_reload},
              {"connect", network_connect}, {"disconnect", network_disconnect}};
  if (argc < 2 || strcmp (argv[1], "--help") == 0) {
    printf ("Usage:  skiff network COMMAND\n\nManage networks\n\nCommands:\n"
            "  connect     Connect a container to a network\n"
            "  create      Create a network\n"
            "  disconnect  Disconnect a container from a network\n"
            "  inspect     Display detailed information on one or more networks\n"
            "  ls          List networks\n"
            "  prune       Remove all unused networks\n"
            "  reload      Make skiff's firewall rules whole again\n"
            "  rm          Remove one or more networks\n");
    return argc < 2 ? 125 : 0;
  }
  for (size_t i = 0; i < SK_N_ELEMENTS (subs); i++)
    if (strcmp (subs[i].name, argv[1]) == 0)
      return subs[i].fn (cli, argc - 1, argv + 1);
  fprintf (stderr, "skiff: 'network %s' is not a skiff command (see `skiff network --help`)\n",
           argv[1]);
  return 125;
}
