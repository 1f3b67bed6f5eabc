/* skiff: rtnetlink requests for container networks (see netlink.h). Each
 * request is one message, sent and acknowledged in turn. */
#include "network/netlink.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/neighbour.h>
#include <linux/veth.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct sk_nl {
  struct mnl_socket *sock;
  unsigned portid, seq;
  char buf[8192];
};

int
sk_nl_open (sk_nl **out, sk_err **err)
{
  sk_nl *nl = calloc (1, sizeof *nl);
  if (nl == NULL)
    return sk_err_set (err, ENOMEM, "netlink");
  nl->sock = mnl_socket_open2 (NETLINK_ROUTE, SOCK_CLOEXEC);
  if (nl->sock == NULL || mnl_socket_bind (nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
    int saved = errno;
    sk_nl_close (nl);
    return sk_err_set (err, saved, "open a netlink socket");
  }
  nl->portid = mnl_socket_get_portid (nl->sock);
  nl->seq = (unsigned) time (NULL);
  *out = nl;
  return 0;
}

void
sk_nl_close (sk_nl *nl)
{
  if (nl == NULL)
    return;
  if (nl->sock)
    mnl_socket_close (nl->sock);
  free (nl);
}

static struct nlmsghdr *
start (sk_nl *nl, uint16_t type, uint16_t flags)
{
  struct nlmsghdr *h = mnl_nlmsg_put_header (nl->buf);
  h->nlmsg_type = type;
  h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  h->nlmsg_seq = ++nl->seq;
  return h;
}

/* Sends the request and reads its acknowledgement: 0, or -1 with errno
 * the kernel's answer. */
static int
talk (sk_nl *nl, struct nlmsghdr *h)
{
  if (mnl_socket_sendto (nl->sock, h, h->nlmsg_len) < 0)
    return -1;
  char reply[16384];
  for (;;) {
    ssize_t n = mnl_socket_recvfrom (nl->sock, reply, sizeof reply);
    if (n < 0)
      return -1;
    int r = mnl_cb_run (reply, (size_t) n, h->nlmsg_seq, nl->portid, NULL, NULL);
    if (r <= MNL_CB_STOP)
      return r < 0 ? -1 : 0;
  }
}

static struct ifinfomsg *
put_ifinfo (struct nlmsghdr *h, unsigned index)
{
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header (h, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = (int) index;
  return ifi;
}

static int
index_of (const char *link, unsigned *index, sk_err **err)
{
  *index = if_nametoindex (link);
  if (*index == 0)
    return sk_err_set (err, errno, "no network link `%s`", link);
  return 0;
}

int
sk_nl_bridge_add (sk_nl *nl, const char *name, sk_err **err)
{
  struct nlmsghdr *h = start (nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  put_ifinfo (h, 0);
  mnl_attr_put_strz (h, IFLA_IFNAME, name);
  /* an address of its own: a bridge without one takes its lowest port's,
   * and changes it when that port goes (a container stopping), which
   * leaves the other containers' neighbour entries for the gateway
   * pointing nowhere until they expire */
  unsigned char mac[6];
  if (getrandom (mac, sizeof mac, 0) == (ssize_t) sizeof mac) {
    mac[0] = (unsigned char) ((mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
    mnl_attr_put (h, IFLA_ADDRESS, sizeof mac, mac);
  }
  struct nlattr *info = mnl_attr_nest_start (h, IFLA_LINKINFO);
  mnl_attr_put_strz (h, IFLA_INFO_KIND, "bridge");
  mnl_attr_nest_end (h, info);
  if (talk (nl, h) == 0)
    return 0;
  if (errno == EEXIST)
    return 1;
  return sk_err_set (err, errno, "create the bridge `%s`", name);
}

int
sk_nl_link_del (sk_nl *nl, const char *name, sk_err **err)
{
  struct nlmsghdr *h = start (nl, RTM_DELLINK, 0);
  put_ifinfo (h, 0);
  mnl_attr_put_strz (h, IFLA_IFNAME, name);
  if (talk (nl, h) == 0 || errno == ENODEV)
    return 0;
  return sk_err_set (err, errno, "delete the network link `%s`", name);
}

int
sk_nl_link_up (sk_nl *nl, const char *name, sk_err **err)
{
  unsigned index;
  if (index_of (name, &index, err) < 0)
    return -1;
  struct nlmsghdr *h = start (nl, RTM_NEWLINK, 0);
  struct ifinfomsg *ifi = put_ifinfo (h, index);
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  if (talk (nl, h) < 0)
    return sk_err_set (err, errno, "set the network link `%s` up", name);
  return 0;
}

bool
sk_nl_link_exists (const char *name)
{
  return if_nametoindex (name) != 0;
}

int
sk_nl_addr_add (sk_nl *nl, const char *link, int family, const void *addr, unsigned prefix,
                sk_err **err)
{
  unsigned index;
  if (index_of (link, &index, err) < 0)
    return -1;
  size_t len = family == AF_INET ? 4 : 16;
  struct nlmsghdr *h = start (nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header (h, sizeof *ifa);
  ifa->ifa_family = (unsigned char) family;
  ifa->ifa_prefixlen = (unsigned char) prefix;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = index;
  if (family == AF_INET6)
    ifa->ifa_flags = IFA_F_NODAD;
  mnl_attr_put (h, IFA_LOCAL, len, addr);
  mnl_attr_put (h, IFA_ADDRESS, len, addr);
  if (family == AF_INET && prefix < 31) {
    uint32_t a;
    memcpy (&a, addr, 4);
    uint32_t bcast = a | htonl (prefix == 0 ? ~0U : (1U << (32 - prefix)) - 1);
    mnl_attr_put (h, IFA_BROADCAST, 4, &bcast);
  }
  if (talk (nl, h) == 0 || errno == EEXIST)
    return 0;
  return sk_err_set (err, errno, "add an address to `%s`", link);
}

int
sk_nl_veth_add (sk_nl *nl, const char *host, const char *bridge, int netns_fd,
                const char *peer_name, const unsigned char *mac, sk_err **err)
{
  unsigned master = 0;
  if (bridge && index_of (bridge, &master, err) < 0)
    return -1;
  struct nlmsghdr *h = start (nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  put_ifinfo (h, 0);
  mnl_attr_put_strz (h, IFLA_IFNAME, host);
  if (master)
    mnl_attr_put_u32 (h, IFLA_MASTER, master);
  struct nlattr *info = mnl_attr_nest_start (h, IFLA_LINKINFO);
  mnl_attr_put_strz (h, IFLA_INFO_KIND, "veth");
  struct nlattr *data = mnl_attr_nest_start (h, IFLA_INFO_DATA);
  struct nlattr *peer = mnl_attr_nest_start (h, VETH_INFO_PEER);
  put_ifinfo (h, 0); /* the peer's own link message, inside the attribute */
  mnl_attr_put_strz (h, IFLA_IFNAME, peer_name);
  mnl_attr_put_u32 (h, IFLA_NET_NS_FD, (uint32_t) netns_fd);
  if (mac)
    mnl_attr_put (h, IFLA_ADDRESS, 6, mac);
  mnl_attr_nest_end (h, peer);
  mnl_attr_nest_end (h, data);
  mnl_attr_nest_end (h, info);
  if (talk (nl, h) < 0)
    return sk_err_set (err, errno, "create the veth pair `%s`", host);
  return 0;
}

int
sk_nl_route_default (sk_nl *nl, const char *link, int family, const void *gw, sk_err **err)
{
  unsigned index;
  if (index_of (link, &index, err) < 0)
    return -1;
  struct nlmsghdr *h = start (nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  struct rtmsg *rt = mnl_nlmsg_put_extra_header (h, sizeof *rt);
  rt->rtm_family = (unsigned char) family;
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = RTPROT_BOOT;
  rt->rtm_scope = RT_SCOPE_UNIVERSE;
  rt->rtm_type = RTN_UNICAST;
  mnl_attr_put (h, RTA_GATEWAY, family == AF_INET ? 4 : 16, gw);
  mnl_attr_put_u32 (h, RTA_OIF, index);
  if (talk (nl, h) == 0 || errno == EEXIST)
    return 0;
  return sk_err_set (err, errno, "add the default route through `%s`", link);
}

void
sk_nl_neigh_forget (sk_nl *nl, const char *link, const void *addr)
{
  unsigned index = if_nametoindex (link);
  if (index == 0)
    return;
  struct nlmsghdr *h = start (nl, RTM_DELNEIGH, 0);
  struct ndmsg *nd = mnl_nlmsg_put_extra_header (h, sizeof *nd);
  nd->ndm_family = AF_INET;
  nd->ndm_ifindex = (int) index;
  mnl_attr_put (h, NDA_DST, 4, addr);
  talk (nl, h); /* none there: ENOENT, fine */
}

static int
count_rule (const struct nlmsghdr *h, void *data)
{
  if ((h->nlmsg_type & 0xff) == NFT_MSG_NEWRULE)
    (*(long *) data)++;
  return MNL_CB_OK;
}

long
sk_nl_nft_rule_count (const char *table)
{
  struct mnl_socket *sock = mnl_socket_open2 (NETLINK_NETFILTER, SOCK_CLOEXEC);
  if (sock == NULL)
    return -1;
  long count = -1;
  char buf[16384];
  if (mnl_socket_bind (sock, 0, MNL_SOCKET_AUTOPID) == 0) {
    struct nlmsghdr *h = mnl_nlmsg_put_header (buf);
    h->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETRULE;
    h->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    h->nlmsg_seq = (unsigned) time (NULL);
    struct nfgenmsg *g = mnl_nlmsg_put_extra_header (h, sizeof *g);
    g->nfgen_family = 1; /* NFPROTO_INET (linux/netfilter.h clashes with netinet/in.h) */
    g->version = NFNETLINK_V0;
    mnl_attr_put_strz (h, NFTA_RULE_TABLE, table);
    unsigned seq = h->nlmsg_seq, portid = mnl_socket_get_portid (sock);
    if (mnl_socket_sendto (sock, h, h->nlmsg_len) >= 0) {
      long n = 0;
      int r;
      do {
        ssize_t len = mnl_socket_recvfrom (sock, buf, sizeof buf);
        r = len < 0 ? -1 : mnl_cb_run (buf, (size_t) len, seq, portid, count_rule, &n);
      } while (r > MNL_CB_STOP);
      if (r == MNL_CB_STOP)
        count = n;
    }
  }
  mnl_socket_close (sock);
  return count;
}
