/* skiff: a container's networks, from create to removal.
 *
 * create finds the network its NetworkMode names and takes an endpoint on
 * it (its addresses, from the network store); start makes the container's
 * network namespace (EXEC_ROOT/netns/<id>), a veth pair for each endpoint
 * with one end on the network's bridge and the other, ethN, in the
 * namespace, with its addresses and the default route; the shim removes
 * the namespace when the container has stopped for good, and rm
 * whatever is left. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "network/ipam.h"
#include "network/netlink.h"
#include "network/firewall.h"
#include "network/netns.h"
#include "network/ports.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strbuf.h"

int
sk_engine_net_hold (sk_engine *e)
{
  _cleanup_free_ char *dir = sk_path_join (e->exec_root, "netns");
  sk_err *ignored = NULL;
  if (dir == NULL || sk_mkdir_p (dir, 0700, &ignored) < 0) {
    sk_err_free (&ignored);
    return -1;
  }
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0)
    while (flock (fd, LOCK_SH) < 0 && errno == EINTR)
      ;
  return fd;
}

/* What a start killed midway left (kill -9 of skiff between making a
 * container's network namespace and its shim taking it over): the
 * namespaces of containers that do not run are removed, and their veths
 * with them. Starts hold EXEC_ROOT/netns shared while they make theirs
 * (sk_engine_net_hold): none is under way when it can be taken
 * exclusively, else this waits for another time. */
static void
net_gc (sk_engine *e)
{
  _cleanup_free_ char *dir = sk_path_join (e->exec_root, "netns");
  DIR *d = dir ? opendir (dir) : NULL;
  if (d == NULL)
    return;
  if (flock (dirfd (d), LOCK_EX | LOCK_NB) < 0) {
    closedir (d);
    return;
  }
  struct dirent *de;
  while ((de = readdir (d))) {
    if (de->d_name[0] == '.')
      continue;
    _cleanup_ctr_ sk_ctr *c = NULL;
    sk_err *ignored = NULL;
    if (sk_engine_get (e, de->d_name, &c, &ignored) == 0 &&
        (strcmp (c->state, "running") == 0 || strcmp (c->state, "paused") == 0 ||
         strcmp (c->state, "restarting") == 0))
      continue;
    sk_err_free (&ignored);
    _cleanup_free_ char *path = sk_path_join (dir, de->d_name);
    if (path)
      sk_netns_remove (path);
  }
  closedir (d);
}

static int
net_init (sk_engine *e, sk_err **err)
{
  if (e->net_ready)
    return 0;
  if (sk_networks_init (e->db, &e->net, err) < 0)
    return -1;
  e->net_ready = true;
  net_gc (e);
  return 0;
}

char *
sk_engine_netns_path (sk_engine *e, const char *id)
{
  char *p = NULL;
  if (asprintf (&p, "%s/netns/%s", e->exec_root, id) < 0)
    return NULL;
  return p;
}

/* ---- create ---- */

static const char *
hc_string (const sk_json *config, const char *key)
{
  sk_json *hc = NULL, *v = NULL;
  if (json_object_object_get_ex (config, "HostConfig", &hc) && hc &&
      json_object_object_get_ex (hc, key, &v) && v && json_object_is_type (v, json_type_string))
    return json_object_get_string (v);
  return "";
}

void
sk_engine_net_plan_clear (sk_net_plan *p)
{
  sk_network_free (p->net);
  free (p->aliases);
  memset (p, 0, sizeof *p);
}

int
sk_engine_net_plan (sk_engine *e, const sk_json *config, sk_net_plan *p, sk_err **err)
{
  memset (p, 0, sizeof *p);
  const char *mode = hc_string (config, "NetworkMode");
  const char *as_named = *mode ? mode : "default";
  if (strcmp (mode, "host") == 0 || strcmp (mode, "none") == 0 ||
      strncmp (mode, "container:", 10) == 0)
    return 0;
  if (!*mode || strcmp (mode, "default") == 0)
    mode = "bridge";
  if (net_init (e, err) < 0 || sk_engine_network_find (e, mode, &p->net, err) < 0)
    return -1;
  if (strcmp (p->net->driver, "bridge") != 0) {
    /* `--network <id of host or none>` */
    sk_engine_net_plan_clear (p);
    return 0;
  }
  sk_json *nc = NULL, *eps = NULL, *ep = NULL, *ipam = NULL, *v = NULL;
  if (json_object_object_get_ex (config, "NetworkingConfig", &nc) && nc &&
      json_object_object_get_ex (nc, "EndpointsConfig", &eps) && eps &&
      (json_object_object_get_ex (eps, as_named, &ep) ||
       json_object_object_get_ex (eps, p->net->name, &ep)) &&
      ep) {
    if (json_object_object_get_ex (ep, "IPAMConfig", &ipam) && ipam) {
      if (json_object_object_get_ex (ipam, "IPv4Address", &v) && v && *json_object_get_string (v))
        p->ip = json_object_get_string (v);
      if (json_object_object_get_ex (ipam, "IPv6Address", &v) && v && *json_object_get_string (v))
        p->ip6 = json_object_get_string (v);
    }
    if (json_object_object_get_ex (ep, "MacAddress", &v) && v && *json_object_get_string (v))
      p->mac = json_object_get_string (v);
    if (json_object_object_get_ex (ep, "Aliases", &v) && v &&
        json_object_is_type (v, json_type_array) && json_object_array_length (v))
      p->aliases = strdup (json_object_to_json_string_ext (v, JSON_C_TO_STRING_PLAIN));
  }
  bool predefined = sk_network_predefined (p->net);
  if (predefined && (p->ip || p->ip6)) {
    sk_engine_net_plan_clear (p);
    return sk_err_kind (err, EINVAL, "user specified IP address is supported on user defined networks only");
  }
  if (predefined && p->aliases) {
    sk_engine_net_plan_clear (p);
    return sk_err_kind (err, EINVAL, "network-scoped alias is supported only for containers in user defined networks");
  }
  return 0;
}

int
sk_engine_net_attach (sk_engine *e, const char *id, const sk_net_plan *p, sk_err **err)
{
  if (p->net == NULL)
    return 0;
  return sk_endpoint_add (e->db, p->net, id, p->ip, p->ip6, p->mac, p->aliases, NULL, err);
}

/* ---- start ---- */

static int
write_sysctl (const char *path, const char *value, sk_err **err)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return sk_err_set (err, errno, "open `%s`", path);
  ssize_t n = write (fd, value, strlen (value));
  int saved = errno;
  close (fd);
  if (n != (ssize_t) strlen (value))
    return sk_err_set (err, n < 0 ? saved : EIO, "write `%s`", path);
  return 0;
}

static int
link_sysctl (const char *family, const char *link, const char *key, const char *value,
             sk_err **err)
{
  char path[256];
  snprintf (path, sizeof path, "/proc/sys/net/%s/conf/%s/%s", family, link, key);
  return write_sysctl (path, value, err);
}

/* The network's bridge, made when missing: its gateway addresses, up,
 * with loopback traffic routable to it (published ports on 127.0.0.1)
 * and no router advertisements taken from containers. */
static int
ensure_bridge (sk_nl *nl, const sk_network *net, sk_err **err)
{
  int made = sk_nl_bridge_add (nl, net->bridge, err);
  if (made < 0)
    return -1;
  if (made == 0 &&
      (link_sysctl ("ipv6", net->bridge, "accept_ra", "0", err) < 0 ||
       link_sysctl ("ipv6", net->bridge, "disable_ipv6", net->ipv6 ? "0" : "1", err) < 0 ||
       link_sysctl ("ipv4", net->bridge, "route_localnet", "1", err) < 0))
    return -1;
  sk_cidr subnet, gw;
  if (*net->subnet &&
      (sk_cidr_parse (net->subnet, true, "subnet", &subnet, err) < 0 ||
       sk_addr_parse (net->gateway, "gateway", &gw, err) < 0 ||
       sk_nl_addr_add (nl, net->bridge, AF_INET, gw.addr, subnet.prefix, err) < 0))
    return -1;
  if (net->ipv6 && *net->subnet6 &&
      (sk_cidr_parse (net->subnet6, true, "subnet", &subnet, err) < 0 ||
       sk_addr_parse (net->gateway6, "gateway", &gw, err) < 0 ||
       sk_nl_addr_add (nl, net->bridge, AF_INET6, gw.addr, subnet.prefix, err) < 0))
    return -1;
  return sk_nl_link_up (nl, net->bridge, err);
}

/* The containers' traffic out is forwarded by the host. When skiff is the
 * one to turn forwarding on, EXEC_ROOT/forwarding says so: the firewall
 * then forwards nothing but its networks' traffic, as Docker's FORWARD
 * policy does. */
static int
enable_forwarding (sk_engine *e, sk_err **err)
{
  _cleanup_free_ char *buf = NULL;
  size_t len = 0;
  sk_err *ignored = NULL;
  if (sk_read_file ("/proc/sys/net/ipv4/ip_forward", &buf, &len, &ignored) == 0 && buf[0] == '1') {
    return 0;
  }
  sk_err_free (&ignored);
  _cleanup_free_ char *mark = sk_path_join (e->exec_root, "forwarding");
  if (mark && sk_write_file_replace (mark, "1\n", 2, 0644, &ignored) < 0)
    sk_err_free (&ignored);
  return write_sysctl ("/proc/sys/net/ipv4/ip_forward", "1", err);
}

typedef struct net_link {
  sk_endpoint *ep;
  sk_network *net;
} net_link;

static void
host_veth_name (const sk_endpoint *ep, char out[16])
{
  snprintf (out, 16, "sk%.13s", ep->id);
}

/* Inside the namespace: lo, then each endpoint's addresses, up, and the
 * default routes through the first network that leads out. */
static int
configure_inside (net_link *links, size_t n, sk_err **err)
{
  sk_nl *nl = NULL;
  if (sk_nl_open (&nl, err) < 0)
    return -1;
  int ret = sk_nl_link_up (nl, "lo", err);
  bool route4 = false, route6 = false;
  for (size_t i = 0; i < n && ret == 0; i++) {
    sk_endpoint *ep = links[i].ep;
    sk_network *net = links[i].net;
    sk_cidr subnet, a, gw;
    if (*ep->ip &&
        (sk_cidr_parse (net->subnet, true, "subnet", &subnet, err) < 0 ||
         sk_addr_parse (ep->ip, "address", &a, err) < 0 ||
         sk_nl_addr_add (nl, ep->ifname, AF_INET, a.addr, subnet.prefix, err) < 0))
      ret = -1;
    if (ret == 0 && *ep->ip6 &&
        (sk_cidr_parse (net->subnet6, true, "subnet", &subnet, err) < 0 ||
         sk_addr_parse (ep->ip6, "address", &a, err) < 0 ||
         sk_nl_addr_add (nl, ep->ifname, AF_INET6, a.addr, subnet.prefix, err) < 0))
      ret = -1;
    /* the address announced as the link comes up (a gratuitous ARP from
     * the kernel), so that an address given anew, maybe with another MAC,
     * answers at once; not from a packet socket of ours, whose close
     * waits for an RCU grace period, 15 ms of every start here */
    if (ret == 0 && *ep->ip)
      ret = link_sysctl ("ipv4", ep->ifname, "arp_notify", "1", err);
    if (ret == 0)
      ret = sk_nl_link_up (nl, ep->ifname, err);
    if (ret < 0 || net->internal)
      continue;
    if (!route4 && *net->gateway && *ep->ip) {
      route4 = true;
      ret = sk_addr_parse (net->gateway, "gateway", &gw, err) < 0 ||
                    sk_nl_route_default (nl, ep->ifname, AF_INET, gw.addr, err) < 0
                ? -1
                : 0;
    }
    if (ret == 0 && !route6 && *net->gateway6 && *ep->ip6) {
      route6 = true;
      ret = sk_addr_parse (net->gateway6, "gateway", &gw, err) < 0 ||
                    sk_nl_route_default (nl, ep->ifname, AF_INET6, gw.addr, err) < 0
                ? -1
                : 0;
    }
  }
  sk_nl_close (nl);
  return ret;
}

/* The veths, made from the host's side, their peers in the namespace. */
static int
plug (sk_engine *e, net_link *links, size_t n, const char *netns, sk_err **err)
{
  sk_nl *nl = NULL;
  if (sk_nl_open (&nl, err) < 0)
    return -1;
  int nsfd = open (netns, O_RDONLY | O_CLOEXEC);
  int ret = nsfd < 0 ? sk_err_set (err, errno, "open `%s`", netns) : 0;
  bool forwarding = false;
  for (size_t i = 0; i < n && ret == 0; i++) {
    char host[16], path[128];
    unsigned char mac[6];
    host_veth_name (links[i].ep, host);
    bool mac_ok = sscanf (links[i].ep->mac, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1],
                          &mac[2], &mac[3], &mac[4], &mac[5]) == 6;
    if (!links[i].net->internal && !forwarding) {
      forwarding = true;
      ret = enable_forwarding (e, err);
    }
    /* the host's entry for an address given before (perhaps with
     * another MAC) forgotten */
    sk_cidr a;
    if (ret == 0 && *links[i].ep->ip && sk_addr_parse (links[i].ep->ip, "address", &a, NULL) == 0)
      sk_nl_neigh_forget (nl, links[i].net->bridge, a.addr);
    if (ret < 0 || ensure_bridge (nl, links[i].net, err) < 0 ||
        sk_nl_veth_add (nl, host, links[i].net->bridge, nsfd, links[i].ep->ifname,
                        mac_ok ? mac : NULL, err) < 0 ||
        sk_nl_link_up (nl, host, err) < 0) {
      ret = -1;
      break;
    }
    /* a container may reach itself through a published port */
    snprintf (path, sizeof path, "/sys/class/net/%s/brport/hairpin_mode", host);
    ret = write_sysctl (path, "1", err);
  }
  if (nsfd >= 0)
    close (nsfd);
  sk_nl_close (nl);
  return ret;
}

static void
links_free (net_link *links, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    sk_endpoint_free (links[i].ep);
    sk_network_free (links[i].net);
  }
  free (links);
}

int
sk_engine_net_setup (sk_engine *e, const sk_ctr *c, sk_net_info *info, sk_err **err)
{
  char **netns = &info->netns, **addrs = &info->addrs;
  memset (info, 0, sizeof *info);
  sk_endpoint **eps = NULL;
  size_t n = 0;
  if (sk_endpoints_of (e->db, c->id, &eps, &n, err) < 0)
    return -1;
  if (n == 0) {
    free (eps);
    return 0;
  }
  net_link *links = calloc (n, sizeof *links);
  if (links == NULL) {
    sk_endpoint_list_free (eps, n);
    return sk_err_set (err, ENOMEM, "start");
  }
  int ret = 0;
  bool any_v6 = false;
  for (size_t i = 0; i < n; i++) {
    links[i].ep = eps[i];
    eps[i] = NULL;
    if (ret == 0 && sk_network_find (e->db, links[i].ep->network, &links[i].net, err) < 0)
      ret = -1;
    if (ret == 0 && *links[i].ep->ip6)
      any_v6 = true;
  }
  free (eps);
  _cleanup_free_ char *path = sk_engine_netns_path (e, c->id);
  _cleanup_free_ char *dir = sk_path_join (e->exec_root, "netns");
  if (ret == 0 && (!path || !dir))
    ret = sk_err_set (err, ENOMEM, "start");
  if (ret == 0 && sk_mkdir_p (dir, 0700, err) < 0)
    ret = -1;
  if (ret == 0 && sk_netns_create (path, err) < 0)
    ret = -1;
  else if (ret == 0) {
    int saved;
    sk_err *ignored = NULL;
    /* IPv6 is turned off inside before the veths are made, so that no
     * link-local address is ever given on a network without IPv6 */
    if (!any_v6) {
      if (sk_netns_enter (path, &saved, err) < 0)
        ret = -1;
      else {
        if (write_sysctl ("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1", err) < 0 ||
            write_sysctl ("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1", err) < 0)
          ret = -1;
        if (sk_netns_leave (saved, ret < 0 ? &ignored : err) < 0)
          ret = -1;
      }
    }
    if (ret == 0)
      ret = plug (e, links, n, path, err);
    if (ret == 0 && sk_netns_enter (path, &saved, err) < 0)
      ret = -1;
    else if (ret == 0) {
      ret = configure_inside (links, n, err);
      if (sk_netns_leave (saved, ret < 0 ? &ignored : err) < 0)
        ret = -1;
    }
    sk_err_free (&ignored);
    if (ret < 0)
      sk_netns_remove (path);
  }
  if (ret == 0) {
    sk_strbuf b = SK_STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
      if (*links[i].ep->ip)
        sk_strbuf_printf (&b, "%s%s", b.len ? " " : "", links[i].ep->ip);
      if (*links[i].ep->ip6)
        sk_strbuf_printf (&b, "%s%s", b.len ? " " : "", links[i].ep->ip6);
    }
    *addrs = b.buf ? sk_strbuf_detach (&b) : strdup ("");
    *netns = strdup (path);
    /* host-gateway: the first network's gateway; the resolver: the
     * gateway of its first user-defined network, where skiff-dns answers */
    info->gateway = strdup (links[0].net->gateway);
    for (size_t i = 0; i < n && !info->resolver; i++)
      if (!sk_network_predefined (links[i].net) && *links[i].net->gateway)
        info->resolver = strdup (links[i].net->gateway);
    if (!*addrs || !*netns || !info->gateway) {
      sk_engine_net_info_clear (info);
      sk_netns_remove (path);
      ret = sk_err_set (err, ENOMEM, "start");
    } else if (info->resolver && sk_engine_dns_ensure (e, err) < 0) {
      sk_engine_net_info_clear (info);
      sk_netns_remove (path);
      ret = -1;
    }
  }
  links_free (links, n);
  return ret;
}

void
sk_engine_net_info_clear (sk_net_info *info)
{
  free (info->netns);
  free (info->addrs);
  free (info->resolver);
  free (info->gateway);
  memset (info, 0, sizeof *info);
}

void
sk_engine_net_teardown (sk_engine *e, const char *id)
{
  _cleanup_free_ char *path = sk_engine_netns_path (e, id);
  if (path)
    sk_netns_remove (path);
}

/* ---- networks ---- */

int
sk_engine_network_find (sk_engine *e, const char *what, sk_network **out, sk_err **err)
{
  if (net_init (e, err) < 0)
    return -1;
  return sk_network_find (e->db, what, out, err);
}

int
sk_engine_network_list (sk_engine *e, sk_network ***out, size_t *n, sk_err **err)
{
  if (net_init (e, err) < 0)
    return -1;
  return sk_network_list (e->db, out, n, err);
}

int
sk_engine_network_create (sk_engine *e, const sk_network_spec *spec, sk_network **out,
                          sk_err **err)
{
  sk_network *net = NULL;
  if (net_init (e, err) < 0 || sk_network_create (e->db, &e->net, spec, &net, err) < 0)
    return -1;
  /* the bridge now, as docker makes it: a name taken by another link is
   * found here, and the record goes again */
  sk_nl *nl = NULL;
  int ret = sk_nl_open (&nl, err);
  if (ret == 0 && sk_nl_link_exists (net->bridge))
    ret = sk_err_kind (err, EEXIST, "a network link named %s exists already", net->bridge);
  if (ret == 0 && ensure_bridge (nl, net, err) < 0) {
    sk_err *ignored = NULL;
    sk_nl_link_del (nl, net->bridge, &ignored);
    sk_err_free (&ignored);
    ret = -1;
  }
  sk_nl_close (nl);
  if (ret == 0)
    ret = sk_engine_fw_sync (e, false, err);
  if (ret < 0) {
    sk_err *ignored = NULL;
    sk_network_delete (e->db, net, &ignored);
    sk_err_free (&ignored);
    if ((nl = NULL, sk_nl_open (&nl, &ignored) == 0))
      sk_nl_link_del (nl, net->bridge, &ignored);
    sk_nl_close (nl);
    sk_err_free (&ignored);
    sk_network_free (net);
    return -1;
  }
  if (out)
    *out = net;
  else
    sk_network_free (net);
  return 0;
}

int
sk_engine_network_remove (sk_engine *e, const sk_network *net, sk_err **err)
{
  if (sk_network_delete (e->db, net, err) < 0)
    return -1;
  sk_nl *nl = NULL;
  if (sk_nl_open (&nl, err) < 0)
    return -1;
  int ret = sk_nl_link_del (nl, net->bridge, err);
  sk_nl_close (nl);
  if (ret == 0)
    ret = sk_engine_fw_sync (e, false, err);
  return ret;
}

int
sk_engine_container_endpoints (sk_engine *e, const char *id, sk_endpoint ***out, size_t *n,
                               sk_err **err)
{
  return sk_endpoints_of (e->db, id, out, n, err);
}

int
sk_engine_network_endpoints (sk_engine *e, const char *network, sk_endpoint ***out, size_t *n,
                             sk_err **err)
{
  return sk_endpoints_on (e->db, network, out, n, err);
}

/* ---- published ports and the firewall ---- */

int
sk_engine_publish (sk_engine *e, const sk_ctr *c, const sk_json *config, sk_err **err)
{
  sk_json *hc = NULL, *bindings = NULL, *all = NULL, *exposed = NULL;
  if (!json_object_object_get_ex (config, "HostConfig", &hc) || hc == NULL ||
      !json_object_object_get_ex (hc, "PortBindings", &bindings))
    bindings = NULL;
  /* -P: every port the image or --expose exposes, not bound already, to
   * an ephemeral port */
  _cleanup_json_ sk_json *merged = NULL;
  if (hc && json_object_object_get_ex (hc, "PublishAllPorts", &all) && all &&
      json_object_get_boolean (all) && json_object_object_get_ex (config, "ExposedPorts", &exposed) &&
      exposed && json_object_is_type (exposed, json_type_object)) {
    merged = json_object_new_object ();
    if (bindings && json_object_is_type (bindings, json_type_object)) {
      json_object_object_foreach (bindings, key, val)
        json_object_object_add (merged, key, json_object_get (val));
    }
    json_object_object_foreach (exposed, port, val)
    {
      (void) val;
      sk_json *had = NULL;
      if (json_object_object_get_ex (merged, port, &had) && had &&
          json_object_array_length (had))
        continue;
      sk_json *list = json_object_new_array (), *b = json_object_new_object ();
      json_object_object_add (b, "HostIp", json_object_new_string (""));
      json_object_object_add (b, "HostPort", json_object_new_string (""));
      json_object_array_add (list, b);
      json_object_object_add (merged, port, list);
    }
    bindings = merged;
  }
  sk_endpoint **eps = NULL;
  size_t n = 0;
  if (sk_endpoints_of (e->db, c->id, &eps, &n, err) < 0)
    return -1;
  sk_endpoint_list_free (eps, n);
  /* a container without a network of its own publishes nothing (host,
   * none, container:NAME), as docker ignores -p there */
  return sk_ports_assign (e->db, c->id, n ? bindings : NULL, err);
}

/* The firewall's description: every bridge network, and the ports of the
 * running containers, each through its first network that leads out. */
typedef struct fw_desc {
  sk_fw fw;
  sk_fw_network *nets;
  sk_fw_port *ports;
  sk_network **list;
  size_t n_list;
  char **strings; /* what the ports point into */
  size_t n_strings;
} fw_desc;

static void
fw_desc_clear (fw_desc *d)
{
  free (d->nets);
  free (d->ports);
  sk_network_list_free (d->list, d->n_list);
  for (size_t i = 0; i < d->n_strings; i++)
    free (d->strings[i]);
  free (d->strings);
}

static const char *
keep (fw_desc *d, const char *s)
{
  char **more = realloc (d->strings, (d->n_strings + 1) * sizeof *more);
  char *copy = strdup (s);
  if (more == NULL || copy == NULL) {
    free (copy);
    if (more)
      d->strings = more;
    return NULL;
  }
  d->strings = more;
  d->strings[d->n_strings++] = copy;
  return copy;
}

static int
fw_describe (sk_engine *e, fw_desc *d, sk_err **err)
{
  memset (d, 0, sizeof *d);
  if (sk_network_list (e->db, &d->list, &d->n_list, err) < 0)
    return -1;
  d->nets = calloc (d->n_list + 1, sizeof *d->nets);
  if (d->nets == NULL)
    return sk_err_set (err, ENOMEM, "firewall");
  size_t nn = 0;
  for (size_t i = 0; i < d->n_list; i++) {
    sk_network *n = d->list[i];
    if (strcmp (n->driver, "bridge") != 0)
      continue;
    d->nets[nn++] = (sk_fw_network){.bridge = n->bridge,
                                    .subnet4 = *n->subnet ? n->subnet : NULL,
                                    .subnet6 = *n->subnet6 ? n->subnet6 : NULL,
                                    .internal = n->internal};
  }
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
      e->db,
      "SELECT p.proto, p.container_port, p.host_ip, p.host_port, ep.ip, ep.ip6, n.bridge "
      "FROM ports p JOIN containers c ON c.id = p.container "
      "JOIN endpoints ep ON ep.container = p.container JOIN networks n ON n.id = ep.network "
      "WHERE c.state IN ('running', 'paused', 'restarting') AND n.internal = 0 "
      "AND ep.position = (SELECT min(e2.position) FROM endpoints e2 JOIN networks n2 "
      "  ON n2.id = e2.network WHERE e2.container = p.container AND n2.internal = 0) "
      "ORDER BY p.proto, p.host_port, p.host_ip",
      err);
  if (st == NULL)
    return -1;
  size_t np = 0, alloc = 0;
  while (sqlite3_step (st) == SQLITE_ROW) {
    if (np == alloc) {
      alloc = alloc ? 2 * alloc : 16;
      sk_fw_port *more = realloc (d->ports, alloc * sizeof *more);
      if (more == NULL)
        return sk_err_set (err, ENOMEM, "firewall");
      d->ports = more;
    }
    const char *ip = (const char *) sqlite3_column_text (st, 4);
    const char *ip6 = (const char *) sqlite3_column_text (st, 5);
    const char *host_ip = keep (d, (const char *) sqlite3_column_text (st, 2));
    const char *ctr_ip = *ip ? keep (d, ip) : NULL, *ctr_ip6 = *ip6 ? keep (d, ip6) : NULL;
    const char *bridge = keep (d, (const char *) sqlite3_column_text (st, 6));
    if (!host_ip || !bridge || (*ip && !ctr_ip) || (*ip6 && !ctr_ip6))
      return sk_err_set (err, ENOMEM, "firewall");
    d->ports[np++] = (sk_fw_port){
        .proto = strcmp ((const char *) sqlite3_column_text (st, 0), "udp") == 0 ? IPPROTO_UDP
                                                                                : IPPROTO_TCP,
        .host_ip = host_ip,
        .host_port = (unsigned) sqlite3_column_int (st, 3),
        .ctr_ip = ctr_ip,
        .ctr_ip6 = ctr_ip6,
        .ctr_port = (unsigned) sqlite3_column_int (st, 1),
        .bridge = bridge};
  }
  _cleanup_free_ char *mark = sk_path_join (e->exec_root, "forwarding");
  d->fw = (sk_fw){.table = e->net.firewall_table ? e->net.firewall_table : "skiff",
                  .nets = d->nets,
                  .n_nets = nn,
                  .ports = d->ports,
                  .n_ports = np,
                  .drop_other_forwarding = mark && access (mark, F_OK) == 0};
  return 0;
}

/* A short digest of the script, to tell whether the table must change. */
static unsigned long long
fnv1a (const char *s)
{
  unsigned long long h = 1469598103934665603ULL;
  for (; *s; s++)
    h = (h ^ (unsigned char) *s) * 1099511628211ULL;
  return h;
}

int
sk_engine_fw_sync (sk_engine *e, bool force, sk_err **err)
{
  if (net_init (e, err) < 0)
    return -1;
  fw_desc d;
  _cleanup_free_ char *script = NULL;
  int ret = fw_describe (e, &d, err);
  if (ret == 0)
    ret = sk_fw_render (&d.fw, &script, err);
  /* EXEC_ROOT/firewall: the digest of the script last applied and the
   * table's rule count then; the same script on an intact table is not
   * applied again (an apply is a kernel transaction of ~20 ms) */
  _cleanup_free_ char *path = sk_path_join (e->exec_root, "firewall");
  char want[64] = "";
  if (ret == 0 && path) {
    _cleanup_free_ char *had = NULL;
    size_t len = 0;
    sk_err *ignored = NULL;
    unsigned long long digest = fnv1a (script), old_digest = 0;
    long old_count = -2;
    if (sk_read_file (path, &had, &len, &ignored) < 0)
      sk_err_free (&ignored);
    else if (sscanf (had, "%llx %ld", &old_digest, &old_count) != 2)
      old_count = -2;
    if (!force && old_digest == digest && old_count >= 0 &&
        sk_nl_nft_rule_count (d.fw.table) == old_count) {
      fw_desc_clear (&d);
      return 0;
    }
    ret = sk_fw_apply (&d.fw, err);
    if (ret == 0) {
      snprintf (want, sizeof want, "%llx %ld\n", digest, sk_nl_nft_rule_count (d.fw.table));
      if (sk_mkdir_p (e->exec_root, 0700, &ignored) < 0 ||
          sk_write_file_replace (path, want, strlen (want), 0644, &ignored) < 0)
        sk_err_free (&ignored);
    }
  }
  fw_desc_clear (&d);
  return ret;
}

int
sk_engine_container_ports (sk_engine *e, const char *id, sk_port **out, size_t *n, sk_err **err)
{
  return sk_ports_of (e->db, id, out, n, err);
}

/* ---- the resolver and the container's /etc files ---- */

static bool
is_loopback (const char *addr)
{
  return strncmp (addr, "127.", 4) == 0 || strcmp (addr, "::1") == 0;
}

static const sk_json *
hc_member (const sk_json *config, const char *key)
{
  sk_json *hc = NULL, *v = NULL;
  if (json_object_object_get_ex (config, "HostConfig", &hc) && hc &&
      json_object_object_get_ex (hc, key, &v) && v && json_object_is_type (v, json_type_array) &&
      json_object_array_length (v))
    return v;
  return NULL;
}

char *
sk_engine_resolv_conf (const sk_json *config, const char *resolver)
{
  sk_strbuf servers = SK_STRBUF_INIT, search = SK_STRBUF_INIT, options = SK_STRBUF_INIT;
  _cleanup_free_ char *host = NULL;
  size_t len = 0;
  sk_err *ignored = NULL;
  if (sk_read_file ("/etc/resolv.conf", &host, &len, &ignored) < 0)
    sk_err_free (&ignored);
  char *save = NULL;
  for (char *line = host ? strtok_r (host, "\n", &save) : NULL; line;
       line = strtok_r (NULL, "\n", &save)) {
    char word[16], rest[1024];
    if (sscanf (line, "%15s %1023[^\n]", word, rest) != 2)
      continue;
    /* the host's loopback servers are out of a container's reach */
    if (strcmp (word, "nameserver") == 0 && !is_loopback (rest))
      sk_strbuf_printf (&servers, "nameserver %s\n", rest);
    else if (strcmp (word, "search") == 0 || strcmp (word, "domain") == 0)
      sk_strbuf_printf (&search, "search %s\n", rest);
    else if (strcmp (word, "options") == 0)
      sk_strbuf_printf (&options, "options %s\n", rest);
  }
  const sk_json *dns = hc_member (config, "Dns"), *dsearch = hc_member (config, "DnsSearch"),
                *dopts = hc_member (config, "DnsOptions");
  if (dns || resolver) {
    sk_strbuf_release (&servers);
    servers = (sk_strbuf) SK_STRBUF_INIT;
    if (dns)
      for (size_t i = 0; i < json_object_array_length (dns); i++)
        sk_strbuf_printf (&servers, "nameserver %s\n",
                          json_object_get_string (json_object_array_get_idx (dns, i)));
    else
      sk_strbuf_printf (&servers, "nameserver %s\n", resolver);
  }
  if (servers.len == 0) /* docker's fallback when the host has none to give */
    sk_strbuf_puts (&servers, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
  struct {
    const sk_json *list;
    sk_strbuf *b;
    const char *word;
  } over[] = {{dsearch, &search, "search"}, {dopts, &options, "options"}};
  for (size_t k = 0; k < 2; k++) {
    if (!over[k].list)
      continue;
    sk_strbuf_release (over[k].b);
    *over[k].b = (sk_strbuf) SK_STRBUF_INIT;
    sk_strbuf_puts (over[k].b, over[k].word);
    for (size_t i = 0; i < json_object_array_length (over[k].list); i++)
      sk_strbuf_printf (over[k].b, " %s", json_object_get_string (json_object_array_get_idx (over[k].list, i)));
    sk_strbuf_putc (over[k].b, '\n');
  }
  sk_strbuf out = SK_STRBUF_INIT;
  sk_strbuf_printf (&out, "%s%s%s", search.buf ? search.buf : "", servers.buf ? servers.buf : "",
                    options.buf ? options.buf : "");
  sk_strbuf_release (&servers);
  sk_strbuf_release (&search);
  sk_strbuf_release (&options);
  return out.buf ? sk_strbuf_detach (&out) : strdup ("");
}

char *
sk_engine_extra_hosts (const sk_json *config, const char *gateway)
{
  const sk_json *list = hc_member (config, "ExtraHosts");
  sk_strbuf b = SK_STRBUF_INIT;
  for (size_t i = 0; list && i < json_object_array_length (list); i++) {
    const char *entry = json_object_get_string (json_object_array_get_idx (list, i));
    const char *sep = entry ? strchr (entry, ':') : NULL;
    if (sep == NULL)
      continue;
    const char *ip = sep + 1;
    if (strcmp (ip, "host-gateway") == 0) {
      if (gateway == NULL || !*gateway)
        continue;
      ip = gateway;
    }
    sk_strbuf_printf (&b, "%s\t%.*s\n", ip, (int) (sep - entry), entry);
  }
  return b.buf ? sk_strbuf_detach (&b) : strdup ("");
}

/* The pid of the resolver EXEC_ROOT/dns.pid names, if it still runs. */
static pid_t
dns_pid (const char *pid_path)
{
  _cleanup_free_ char *text = NULL, *comm = NULL;
  size_t len = 0;
  sk_err *ignored = NULL;
  if (sk_read_file (pid_path, &text, &len, &ignored) < 0) {
    sk_err_free (&ignored);
    return 0;
  }
  pid_t pid = (pid_t) atoi (text);
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/comm", (int) pid);
  if (pid <= 0 || sk_read_file (path, &comm, &len, &ignored) < 0) {
    sk_err_free (&ignored);
    return 0;
  }
  return strncmp (comm, "skiff-dns", 9) == 0 ? pid : 0;
}

int
sk_engine_dns_ensure (sk_engine *e, sk_err **err)
{
  /* the gateways of every user-defined network it serves */
  sk_network **list = NULL;
  size_t n = 0;
  if (sk_network_list (e->db, &list, &n, err) < 0)
    return -1;
  sk_strbuf addrs = SK_STRBUF_INIT;
  size_t n_addrs = 0;
  for (size_t i = 0; i < n; i++) {
    if (strcmp (list[i]->driver, "bridge") != 0 || sk_network_predefined (list[i]))
      continue;
    if (*list[i]->gateway)
      sk_strbuf_printf (&addrs, "%s\n", list[i]->gateway), n_addrs++;
    if (*list[i]->gateway6)
      sk_strbuf_printf (&addrs, "%s\n", list[i]->gateway6), n_addrs++;
  }
  sk_network_list_free (list, n);
  _cleanup_free_ char *pid_path = sk_path_join (e->exec_root, "dns.pid");
  _cleanup_free_ char *addrs_path = sk_path_join (e->exec_root, "dns.addrs");
  _cleanup_free_ char *lock_path = sk_path_join (e->exec_root, "dns.lock");
  /* one start of it at a time: concurrent runs find the one the first
   * started, instead of each starting one that cannot bind */
  _cleanup_close_ int lock = lock_path ? open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1;
  if (lock >= 0)
    while (flock (lock, LOCK_EX) < 0 && errno == EINTR)
      ;
  _cleanup_free_ char *had = NULL, *copy = NULL, *upstream = NULL;
  const char **argv = NULL;
  size_t len = 0;
  sk_err *ignored = NULL;
  int ret = 0;
  if (!pid_path || !addrs_path) {
    ret = sk_err_set (err, ENOMEM, "dns");
    goto out;
  }
  if (sk_read_file (addrs_path, &had, &len, &ignored) < 0)
    sk_err_free (&ignored);
  pid_t running = dns_pid (pid_path);
  if (running && had && addrs.buf && strcmp (had, addrs.buf) == 0)
    goto out;
  if (running) {
    /* another set of networks: it lets go of its sockets, a new one binds */
    kill (running, SIGTERM);
    for (int i = 0; i < 200 && kill (running, 0) == 0 && dns_pid (pid_path) == running; i++)
      usleep (5000);
  }
  if (n_addrs == 0)
    goto out;
  argv = calloc (2 * n_addrs + 10, sizeof *argv);
  copy = strdup (addrs.buf);
  if (argv == NULL || copy == NULL) {
    ret = sk_err_set (err, ENOMEM, "dns");
    goto out;
  }
  size_t k = 0;
  argv[k++] = e->dns;
  argv[k++] = "--data-root";
  argv[k++] = e->data_root;
  /* upstream: daemon.json's dns servers, else the host's */
  upstream = sk_path_join (e->exec_root, "dns.upstream");
  sk_strbuf up = SK_STRBUF_INIT;
  for (size_t i = 0; i < e->net.n_dns; i++)
    sk_strbuf_printf (&up, "nameserver %s\n", e->net.dns[i]);
  bool own = up.len > 0;
  if (own && (upstream == NULL || sk_write_file_replace (upstream, up.buf, up.len, 0644, err) < 0)) {
    sk_strbuf_release (&up);
    ret = upstream ? -1 : sk_err_set (err, ENOMEM, "dns");
    goto out;
  }
  sk_strbuf_release (&up);
  argv[k++] = "--upstream";
  argv[k++] = own ? upstream : "/etc/resolv.conf";
  argv[k++] = "--pid-file";
  argv[k++] = pid_path;
  char *save = NULL;
  for (char *a = strtok_r (copy, "\n", &save); a; a = strtok_r (NULL, "\n", &save)) {
    argv[k++] = "--listen";
    argv[k++] = a;
  }
  unlink (pid_path);
  if (sk_write_file_replace (addrs_path, addrs.buf, addrs.len, 0644, err) < 0) {
    ret = -1;
    goto out;
  }
  pid_t pid = fork ();
  if (pid == 0) {
    /* detached: its own session, no terminal, none of the caller's files */
    setsid ();
    if (fork () != 0)
      _exit (0);
    int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
      dup2 (null, 0);
      dup2 (null, 1);
      dup2 (null, 2);
    }
    close_range (3, ~0U, 0);
    execv (e->dns, (char *const *) argv);
    _exit (127);
  }
  if (pid < 0) {
    ret = sk_err_set (err, errno, "start skiff-dns");
    goto out;
  }
  waitpid (pid, NULL, 0);
  /* it writes its pid once every address is bound */
  for (int i = 0; i < 400 && dns_pid (pid_path) == 0; i++)
    usleep (5000);
  if (dns_pid (pid_path) == 0)
    ret = sk_err_set (err, EIO, "skiff-dns (`%s`) did not start: it could not serve %s", e->dns,
                      "the networks' gateways");
out:
  free (argv);
  sk_strbuf_release (&addrs);
  return ret;
}

/* ---- network connect and disconnect ---- */

int
sk_engine_network_connect (sk_engine *e, const sk_network *net, const char *id, const char *ip,
                           const char *ip6, const char *aliases, sk_err **err)
{
  sk_endpoint *ep = NULL;
  if (net_init (e, err) < 0 ||
      sk_endpoint_add (e->db, net, id, ip, ip6, NULL, aliases, &ep, err) < 0)
    return -1;
  /* a running container: its new link now, else at its next start */
  _cleanup_free_ char *path = sk_engine_netns_path (e, id);
  int ret = 0;
  if (path && access (path, F_OK) == 0) {
    net_link link = {.ep = ep, .net = NULL};
    ret = sk_network_find (e->db, net->id, &link.net, err);
    int saved;
    sk_err *ignored = NULL;
    if (ret == 0)
      ret = plug (e, &link, 1, path, err);
    if (ret == 0 && sk_netns_enter (path, &saved, err) < 0)
      ret = -1;
    else if (ret == 0) {
      ret = configure_inside (&link, 1, err);
      if (sk_netns_leave (saved, ret < 0 ? &ignored : err) < 0)
        ret = -1;
    }
    sk_err_free (&ignored);
    if (ret < 0) {
      /* the link goes again with its host end */
      char host[16];
      sk_nl *nl = NULL;
      host_veth_name (ep, host);
      if (sk_nl_open (&nl, &ignored) == 0)
        sk_nl_link_del (nl, host, &ignored);
      sk_nl_close (nl);
      sk_err_free (&ignored);
    }
    if (ret == 0 && !sk_network_predefined (link.net))
      ret = sk_engine_dns_ensure (e, err);
    sk_network_free (link.net);
  }
  if (ret < 0) {
    sk_err *ignored = NULL;
    sk_endpoint_remove (e->db, net->id, id, &ignored);
    sk_err_free (&ignored);
  }
  sk_endpoint_free (ep);
  if (ret == 0)
    ret = sk_engine_fw_sync (e, false, err);
  return ret;
}

int
sk_engine_network_disconnect (sk_engine *e, const sk_network *net, const char *id, sk_err **err)
{
  sk_endpoint **eps = NULL;
  size_t n = 0;
  if (sk_endpoints_of (e->db, id, &eps, &n, err) < 0)
    return -1;
  char host[16] = "";
  for (size_t i = 0; i < n; i++)
    if (strcmp (eps[i]->network, net->id) == 0)
      host_veth_name (eps[i], host);
  sk_endpoint_list_free (eps, n);
  if (!*host)
    return sk_err_kind (err, ENOENT, "container %s is not connected to network %s", id, net->name);
  sk_nl *nl = NULL;
  if (sk_nl_open (&nl, err) < 0)
    return -1;
  /* the pair goes with its host end; a container that does not run has none */
  int ret = sk_nl_link_del (nl, host, err);
  sk_nl_close (nl);
  if (ret == 0)
    ret = sk_endpoint_remove (e->db, net->id, id, err);
  if (ret == 0)
    ret = sk_engine_fw_sync (e, false, err);
  return ret;
}
