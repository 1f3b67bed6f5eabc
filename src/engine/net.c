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

int
sk_engine_net_init (sk_engine *e, sk_err **err)
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
  if (sk_engine_net_init (e, err) < 0 || sk_engine_network_find (e, mode, &p->net, err) < 0)
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
  if (sk_engine_net_init (e, err) < 0)
    return -1;
  return sk_network_find (e->db, what, out, err);
}

int
sk_engine_network_list (sk_engine *e, sk_network ***out, size_t *n, sk_err **err)
{
  if (sk_engine_net_init (e, err) < 0)
    return -1;
  return sk_network_list (e->db, out, n, err);
}

int
sk_engine_network_create (sk_engine *e, const sk_network_spec *spec, sk_network **out,
                          sk_err **err)
{
  sk_network *net = NULL;
  if (sk_engine_net_init (e, err) < 0 || sk_network_create (e->db, &e->net, spec, &net, err) < 0)
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

/* ---- network connect and disconnect ---- */

int
sk_engine_network_connect (sk_engine *e, const sk_network *net, const char *id, const char *ip,
                           const char *ip6, const char *aliases, sk_err **err)
{
  sk_endpoint *ep = NULL;
  if (sk_engine_net_init (e, err) < 0 ||
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
