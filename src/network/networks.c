/* skiff: networks and endpoints in the database, and IPAM (see
 * networks.h). */
#include "network/networks.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include "util/cleanup.h"
#include "util/proc.h"
#include "util/json.h"

#define NET_COLUMNS                                                                                \
  "id, name, driver, bridge, subnet, gateway, ip_range, subnet6, gateway6, internal, ipv6, "      \
  "labels, options, created"
#define EP_COLUMNS "network, container, id, ip, ip6, mac, aliases, ifname, position"

static char *
text (sqlite3_stmt *st, int col)
{
  const unsigned char *s = sqlite3_column_text (st, col);
  return strdup (s ? (const char *) s : "");
}

void
sk_network_free (sk_network *n)
{
  if (n == NULL)
    return;
  free (n->id);
  free (n->name);
  free (n->driver);
  free (n->bridge);
  free (n->subnet);
  free (n->gateway);
  free (n->ip_range);
  free (n->subnet6);
  free (n->gateway6);
  free (n->labels);
  free (n->options);
  free (n);
}

void
sk_network_list_free (sk_network **list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    sk_network_free (list[i]);
  free (list);
}

static sk_network *
network_row (sqlite3_stmt *st)
{
  sk_network *n = calloc (1, sizeof *n);
  if (n == NULL)
    return NULL;
  char **cols[] = {&n->id,     &n->name,     &n->driver,  &n->bridge, &n->subnet,
                   &n->gateway, &n->ip_range, &n->subnet6, &n->gateway6};
  for (int i = 0; i < (int) (sizeof cols / sizeof cols[0]); i++)
    if ((*cols[i] = text (st, i)) == NULL) {
      sk_network_free (n);
      return NULL;
    }
  n->internal = sqlite3_column_int (st, 9) != 0;
  n->ipv6 = sqlite3_column_int (st, 10) != 0;
  n->labels = text (st, 11);
  n->options = text (st, 12);
  n->created = sqlite3_column_int64 (st, 13);
  if (!n->labels || !n->options) {
    sk_network_free (n);
    return NULL;
  }
  return n;
}

/* Runs a query of NET_COLUMNS with up to two text parameters. */
static int
query_networks (sk_db *db, const char *sql, const char *a, const char *b, sk_network ***out,
                size_t *n, sk_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (db, sql, err);
  if (st == NULL)
    return -1;
  if (a)
    sqlite3_bind_text (st, 1, a, -1, SQLITE_STATIC);
  if (b)
    sqlite3_bind_text (st, 2, b, -1, SQLITE_STATIC);
  sk_network **list = NULL;
  size_t len = 0;
  int r;
  while ((r = sqlite3_step (st)) == SQLITE_ROW) {
    sk_network **more = realloc (list, (len + 1) * sizeof *list);
    sk_network *row = more ? network_row (st) : NULL;
    if (more)
      list = more;
    if (row == NULL) {
      sk_network_list_free (list, len);
      return sk_err_set (err, ENOMEM, "list networks");
    }
    list[len++] = row;
  }
  if (r != SQLITE_DONE) {
    sk_network_list_free (list, len);
    return sk_db_error (db, "list networks", err);
  }
  *out = list;
  *n = len;
  return 0;
}

int
sk_network_list (sk_db *db, sk_network ***out, size_t *n, sk_err **err)
{
  return query_networks (db, "SELECT " NET_COLUMNS " FROM networks ORDER BY name", NULL, NULL,
                         out, n, err);
}

int
sk_network_find (sk_db *db, const char *what, sk_network **out, sk_err **err)
{
  /* a name first, then a full id, then an id prefix that names one */
  sk_network **list = NULL;
  size_t n = 0;
  if (query_networks (db,
                      "SELECT " NET_COLUMNS " FROM networks WHERE name = ?1 OR id = ?1 UNION ALL "
                      "SELECT " NET_COLUMNS " FROM networks WHERE substr(id, 1, length(?1)) = ?1 "
                      "AND id != ?1 AND name != ?1",
                      what, NULL, &list, &n, err) < 0)
    return -1;
  if (n == 0 || (n > 1 && strcmp (list[0]->name, what) != 0 && strcmp (list[0]->id, what) != 0)) {
    sk_network_list_free (list, n);
    if (n > 1)
      return sk_err_kind (err, EINVAL, "network %s is ambiguous (%zu matches found based on ID prefix)", what, n);
    return sk_err_kind (err, ENOENT, "network %s not found", what);
  }
  *out = list[0];
  list[0] = NULL;
  sk_network_list_free (list, n);
  return 0;
}

bool
sk_network_predefined (const sk_network *net)
{
  return strcmp (net->name, "bridge") == 0 || strcmp (net->name, "host") == 0 ||
         strcmp (net->name, "none") == 0;
}

static int
make_id (char out[65], sk_err **err)
{
  unsigned char raw[32];
  if (getrandom (raw, sizeof raw, 0) != (ssize_t) sizeof raw)
    return sk_err_set (err, errno, "make an id");
  for (size_t i = 0; i < sizeof raw; i++)
    snprintf (out + 2 * i, 3, "%02x", raw[i]);
  return 0;
}

static int
insert_network (sk_db *db, const sk_network *n, sk_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
      db,
      "INSERT INTO networks (" NET_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      err);
  if (st == NULL)
    return -1;
  const char *cols[] = {n->id,      n->name,     n->driver,  n->bridge, n->subnet,
                        n->gateway, n->ip_range, n->subnet6, n->gateway6};
  for (int i = 0; i < (int) (sizeof cols / sizeof cols[0]); i++)
    sqlite3_bind_text (st, i + 1, cols[i], -1, SQLITE_STATIC);
  sqlite3_bind_int (st, 10, n->internal);
  sqlite3_bind_int (st, 11, n->ipv6);
  sqlite3_bind_text (st, 12, n->labels, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 13, n->options, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (st, 14, n->created);
  if (sqlite3_step (st) == SQLITE_DONE)
    return 0;
  if (sqlite3_extended_errcode (sk_db_handle (db)) == SQLITE_CONSTRAINT_UNIQUE)
    return sk_err_kind (err, EEXIST, "network with name %s already exists", n->name);
  return sk_db_error (db, "add the network", err);
}

/* ---- the predefined networks ---- */

/* The default bridge network as the settings have it: id kept from rec
 * (or new), its row replaced. */
static int
put_default_bridge (sk_db *db, const sk_net_settings *s, const sk_network *rec, sk_err **err)
{
  const char *bip = s->bip ? s->bip : "172.17.0.1/16";
  sk_cidr gw, subnet;
  if (sk_cidr_parse (bip, false, "bip", &gw, err) < 0)
    return -1;
  if (gw.family != AF_INET)
    return sk_err_set (err, EINVAL, "invalid bip: `%s` is not an IPv4 address", bip);
  subnet = gw;
  for (unsigned i = 0; i < 4; i++) {
    unsigned keep = gw.prefix >= (i + 1) * 8 ? 8 : gw.prefix > i * 8 ? gw.prefix - i * 8 : 0;
    subnet.addr[i] &= (unsigned char) (keep ? 0xff << (8 - keep) : 0);
  }
  char subnet_text[SK_ADDR_TEXT], gw_text[SK_ADDR_TEXT], id[65];
  sk_cidr_format (&subnet, true, subnet_text);
  sk_cidr_format (&gw, false, gw_text);
  const char *bridge = s->bridge ? s->bridge : "skiff0";
  if (rec && strcmp (rec->bridge, bridge) == 0 && strcmp (rec->subnet, subnet_text) == 0 &&
      strcmp (rec->gateway, gw_text) == 0)
    return 0;
  if (rec == NULL && make_id (id, err) < 0)
    return -1;
  sk_network n = {.id = rec ? rec->id : id,
                  .name = (char *) "bridge",
                  .driver = (char *) "bridge",
                  .bridge = (char *) bridge,
                  .subnet = subnet_text,
                  .gateway = gw_text,
                  .ip_range = (char *) "",
                  .subnet6 = (char *) "",
                  .gateway6 = (char *) "",
                  .labels = (char *) "{}",
                  .options = (char *) "{}",
                  .created = rec ? rec->created : sk_now_ns ()};
  if (rec) {
    /* new settings: taken while no container is on it */
    _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
        db, "DELETE FROM networks WHERE id = ? AND NOT EXISTS (SELECT 1 FROM endpoints WHERE network = ?)",
        err);
    if (st == NULL)
      return -1;
    sqlite3_bind_text (st, 1, rec->id, -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 2, rec->id, -1, SQLITE_STATIC);
    if (sqlite3_step (st) != SQLITE_DONE)
      return sk_db_error (db, "update the bridge network", err);
    if (sqlite3_changes (sk_db_handle (db)) == 0)
      return 0;
  }
  return insert_network (db, &n, err);
}

static int
put_plain (sk_db *db, const char *name, const char *driver, sk_err **err)
{
  char id[65];
  if (make_id (id, err) < 0)
    return -1;
  sk_network n = {.id = id,
                  .name = (char *) name,
                  .driver = (char *) driver,
                  .bridge = (char *) "",
                  .subnet = (char *) "",
                  .gateway = (char *) "",
                  .ip_range = (char *) "",
                  .subnet6 = (char *) "",
                  .gateway6 = (char *) "",
                  .labels = (char *) "{}",
                  .options = (char *) "{}",
                  .created = sk_now_ns ()};
  return insert_network (db, &n, err);
}

int
sk_networks_init (sk_db *db, const sk_net_settings *s, sk_err **err)
{
  sk_network **list = NULL;
  size_t n = 0;
  if (query_networks (db,
                      "SELECT " NET_COLUMNS
                      " FROM networks WHERE name IN ('bridge', 'host', 'none') ORDER BY name",
                      NULL, NULL, &list, &n, err) < 0)
    return -1;
  const sk_network *bridge = NULL;
  bool host = false, none = false;
  for (size_t i = 0; i < n; i++) {
    if (strcmp (list[i]->name, "bridge") == 0)
      bridge = list[i];
    host |= strcmp (list[i]->name, "host") == 0;
    none |= strcmp (list[i]->name, "none") == 0;
  }
  /* most often all is in place: nothing written */
  int ret = 0;
  bool settled = bridge && host && none;
  if (settled) {
    ret = put_default_bridge (db, s, bridge, err);
    sk_network_list_free (list, n);
    return ret;
  }
  if (sk_db_begin (db, err) < 0) {
    sk_network_list_free (list, n);
    return -1;
  }
  ret = put_default_bridge (db, s, bridge, err);
  if (ret == 0 && !host)
    ret = put_plain (db, "host", "host", err);
  if (ret == 0 && !none)
    ret = put_plain (db, "none", "null", err);
  sk_network_list_free (list, n);
  if (ret == 0 && sk_db_commit (db, err) == 0)
    return 0;
  sk_db_rollback (db);
  /* another command made them meanwhile */
  if (*err && (*err)->errnum == EEXIST) {
    sk_err_free (err);
    return 0;
  }
  return -1;
}

/* ---- network create ---- */

static bool
bridge_name_ok (const char *name)
{
  size_t n = strlen (name);
  if (n == 0 || n > 15 || strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.'))
      return false;
  }
  return true;
}

/* Every subnet of the other networks, and the host's IPv4 routes (other
 * than the default one), which a subnet from the pools must not meet. */
static int
taken_subnets (sk_db *db, sk_cidr **out, size_t *n, sk_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
      db, "SELECT subnet FROM networks WHERE subnet != '' UNION ALL "
          "SELECT subnet6 FROM networks WHERE subnet6 != ''",
      err);
  if (st == NULL)
    return -1;
  sk_cidr *list = NULL;
  size_t len = 0;
  while (sqlite3_step (st) == SQLITE_ROW) {
    sk_cidr c;
    sk_err *ignored = NULL;
    if (sk_cidr_parse ((const char *) sqlite3_column_text (st, 0), false, "subnet", &c,
                       &ignored) < 0) {
      sk_err_free (&ignored);
      continue;
    }
    sk_cidr *more = realloc (list, (len + 1) * sizeof *list);
    if (more == NULL) {
      free (list);
      return sk_err_set (err, ENOMEM, "network create");
    }
    list = more;
    list[len++] = c;
  }
  /* /proc/net/route: Iface Destination Gateway Flags ... Mask, hex in
   * host order of the kernel's network-order words */
  FILE *f = fopen ("/proc/net/route", "re");
  char line[512];
  while (f && fgets (line, sizeof line, f)) {
    char iface[64];
    unsigned dst, gw, flags, mask, refcnt, use, metric;
    if (sscanf (line, "%63s %x %x %x %u %u %u %x", iface, &dst, &gw, &flags, &refcnt, &use,
                &metric, &mask) != 8 ||
        mask == 0)
      continue;
    sk_cidr c = {.family = AF_INET, .prefix = (unsigned) __builtin_popcount (mask)};
    memcpy (c.addr, &dst, 4);
    sk_cidr *more = realloc (list, (len + 1) * sizeof *list);
    if (more == NULL) {
      fclose (f);
      free (list);
      return sk_err_set (err, ENOMEM, "network create");
    }
    list = more;
    list[len++] = c;
  }
  if (f)
    fclose (f);
  *out = list;
  *n = len;
  return 0;
}

/* Docker's default pools: 172.17-31.0.0/16, then 192.168.0.0/16 in /20s */
static const struct {
  const char *base;
  unsigned size;
} docker_pools[] = {{"172.17.0.0/16", 16}, {"172.18.0.0/16", 16}, {"172.19.0.0/16", 16},
                    {"172.20.0.0/14", 16}, {"172.24.0.0/14", 16}, {"172.28.0.0/14", 16},
                    {"192.168.0.0/16", 20}};

/* The first subnet of the pools that meets none of taken. */
static int
subnet_from_pools (const sk_net_settings *s, const sk_cidr *taken, size_t n_taken, sk_cidr *out,
                   sk_err **err)
{
  size_t n_pools = s->n_pools ? s->n_pools : sizeof docker_pools / sizeof docker_pools[0];
  for (size_t p = 0; p < n_pools; p++) {
    sk_net_pool pool;
    if (s->n_pools)
      pool = s->pools[p];
    else {
      sk_cidr_parse (docker_pools[p].base, true, "pool", &pool.base, NULL);
      pool.size = docker_pools[p].size;
    }
    if (pool.size < pool.base.prefix || pool.size > 30)
      continue;
    uint64_t count = (uint64_t) 1 << (pool.size - pool.base.prefix);
    for (uint64_t i = 0; i < count; i++) {
      sk_cidr c;
      if (!sk_cidr_nth (&pool.base, i << (32 - pool.size), &c))
        break;
      c.prefix = pool.size;
      bool free_one = true;
      for (size_t t = 0; t < n_taken && free_one; t++)
        free_one = !sk_cidr_overlap (&c, &taken[t]);
      if (free_one) {
        *out = c;
        return 0;
      }
    }
  }
  return sk_err_kind (err, ENOSPC,
                      "could not find an available, non-overlapping IPv4 address pool among the "
                      "defaults to assign to the network");
}

/* One family's subnet, gateway and range of a new network, checked. */
typedef struct family_conf {
  bool set;
  sk_cidr subnet, gateway, range;
  bool has_range;
} family_conf;

static int
pick (const char *const *list, size_t n, int family, const char *what, sk_cidr *out, bool network,
      bool *found, sk_err **err)
{
  *found = false;
  for (size_t i = 0; i < n; i++) {
    sk_cidr c;
    int r = network || strchr (list[i], '/') ? sk_cidr_parse (list[i], network, what, &c, err)
                                               : sk_addr_parse (list[i], what, &c, err);
    if (r < 0)
      return -1;
    if (c.family != family)
      continue;
    if (*found)
      return sk_err_kind (err, EINVAL, "more than one IPv%d %s", family == AF_INET ? 4 : 6, what);
    *out = c;
    *found = true;
  }
  return 0;
}

static int
family_config (const sk_network_spec *spec, int family, family_conf *fc, sk_err **err)
{
  bool has_gw;
  memset (fc, 0, sizeof *fc);
  if (pick (spec->subnets, spec->n_subnets, family, "subnet", &fc->subnet, true, &fc->set, err) < 0 ||
      pick (spec->gateways, spec->n_gateways, family, "gateway", &fc->gateway, false, &has_gw, err) < 0 ||
      pick (spec->ip_ranges, spec->n_ip_ranges, family, "ip-range", &fc->range, true,
            &fc->has_range, err) < 0)
    return -1;
  char sub[SK_ADDR_TEXT];
  sk_cidr_format (&fc->subnet, true, sub);
  if ((has_gw || fc->has_range) && !fc->set)
    return sk_err_kind (err, EINVAL, "a gateway or ip-range needs a subnet of the same family");
  if (!fc->set)
    return 0;
  unsigned bits = family == AF_INET ? 32 : 128;
  if (fc->subnet.prefix > bits - 2)
    return sk_err_kind (err, EINVAL, "invalid subnet %s: too small for a gateway and a container", sub);
  if (has_gw && !sk_cidr_contains (&fc->subnet, &fc->gateway)) {
    char gw[SK_ADDR_TEXT];
    sk_cidr_format (&fc->gateway, false, gw);
    return sk_err_kind (err, EINVAL, "no matching subnet for gateway %s", gw);
  }
  if (fc->has_range && (fc->range.prefix < fc->subnet.prefix ||
                        !sk_cidr_contains (&fc->subnet, &fc->range))) {
    char r[SK_ADDR_TEXT];
    sk_cidr_format (&fc->range, true, r);
    return sk_err_kind (err, EINVAL, "no matching subnet for range %s", r);
  }
  if (!has_gw)
    sk_cidr_nth (&fc->subnet, 1, &fc->gateway);
  fc->gateway.prefix = bits;
  uint64_t off = sk_cidr_offset (&fc->subnet, &fc->gateway);
  if (off == 0 || (family == AF_INET && off == sk_cidr_size (&fc->subnet) - 1))
    return sk_err_kind (err, EINVAL, "invalid gateway: it is the subnet's network or broadcast address");
  return 0;
}

int
sk_network_create (sk_db *db, const sk_net_settings *s, const sk_network_spec *spec,
                   sk_network **out, sk_err **err)
{
  const char *driver = spec->driver && *spec->driver ? spec->driver : "bridge";
  if (strcmp (driver, "bridge") != 0)
    return sk_err_kind (err, EINVAL, "plugin \"%s\" not found", driver);
  if (spec->name == NULL || !*spec->name)
    return sk_err_kind (err, EINVAL, "a network needs a name");
  if (strcmp (spec->name, "bridge") == 0 || strcmp (spec->name, "host") == 0 ||
      strcmp (spec->name, "none") == 0)
    return sk_err_kind (err, EPERM, "operation is not permitted on predefined %s network",
                        spec->name);
  for (const char *p = spec->name; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          ((*p == '_' || *p == '.' || *p == '-') && p != spec->name)))
      return sk_err_kind (err, EINVAL, "invalid network name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", spec->name);
  if (spec->bridge && !bridge_name_ok (spec->bridge))
    return sk_err_kind (err, EINVAL, "invalid bridge name \"%s\"", spec->bridge);
  family_conf v4, v6;
  if (family_config (spec, AF_INET, &v4, err) < 0 || family_config (spec, AF_INET6, &v6, err) < 0)
    return -1;
  if (v6.set && !spec->ipv6)
    return sk_err_kind (err, EINVAL, "an IPv6 subnet needs --ipv6");
  if (spec->ipv6 && !v6.set)
    return sk_err_kind (err, EINVAL, "--ipv6 needs an IPv6 --subnet");
  char id[65];
  if (make_id (id, err) < 0 || sk_db_begin (db, err) < 0)
    return -1;
  sk_cidr *taken = NULL;
  size_t n_taken = 0;
  int ret = taken_subnets (db, &taken, &n_taken, err);
  if (ret == 0 && !v4.set) {
    ret = subnet_from_pools (s, taken, n_taken, &v4.subnet, err);
    if (ret == 0) {
      v4.set = true;
      sk_cidr_nth (&v4.subnet, 1, &v4.gateway);
    }
  } else if (ret == 0) {
    /* the subnets asked for: only against skiff's own networks, as
     * docker does for explicit subnets */
    _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
        db, "SELECT subnet FROM networks WHERE subnet != '' UNION ALL SELECT subnet6 FROM networks WHERE subnet6 != ''",
        err);
    if (st == NULL)
      ret = -1;
    while (ret == 0 && sqlite3_step (st) == SQLITE_ROW) {
      sk_cidr c;
      if (sk_cidr_parse ((const char *) sqlite3_column_text (st, 0), false, "subnet", &c, NULL) == 0 &&
          ((v4.set && sk_cidr_overlap (&v4.subnet, &c)) || (v6.set && sk_cidr_overlap (&v6.subnet, &c))))
        ret = sk_err_kind (err, EEXIST,
                           "invalid pool request: Pool overlaps with other one on this address space");
    }
  }
  free (taken);
  if (ret == 0 && v6.set) {
    _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (db, "SELECT subnet6 FROM networks WHERE subnet6 != ''", err);
    while (st && ret == 0 && sqlite3_step (st) == SQLITE_ROW) {
      sk_cidr c;
      if (sk_cidr_parse ((const char *) sqlite3_column_text (st, 0), false, "subnet", &c, NULL) == 0 &&
          sk_cidr_overlap (&v6.subnet, &c))
        ret = sk_err_kind (err, EEXIST,
                           "invalid pool request: Pool overlaps with other one on this address space");
    }
    if (st == NULL)
      ret = -1;
  }
  char bridge[16], subnet[SK_ADDR_TEXT] = "", gateway[SK_ADDR_TEXT] = "", range[SK_ADDR_TEXT] = "",
                   subnet6[SK_ADDR_TEXT] = "", gateway6[SK_ADDR_TEXT] = "";
  snprintf (bridge, sizeof bridge, "%s", spec->bridge ? spec->bridge : "");
  if (!spec->bridge)
    snprintf (bridge, sizeof bridge, "sk-%.12s", id);
  if (ret == 0) {
    _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (db, "SELECT name FROM networks WHERE bridge = ?", err);
    if (st == NULL)
      ret = -1;
    else {
      sqlite3_bind_text (st, 1, bridge, -1, SQLITE_STATIC);
      if (sqlite3_step (st) == SQLITE_ROW)
        ret = sk_err_kind (err, EEXIST, "bridge name %s is in use by network %s", bridge,
                           (const char *) sqlite3_column_text (st, 0));
    }
  }
  if (ret == 0) {
    sk_cidr_format (&v4.subnet, true, subnet);
    sk_cidr_format (&v4.gateway, false, gateway);
    if (v4.has_range)
      sk_cidr_format (&v4.range, true, range);
    if (v6.set) {
      sk_cidr_format (&v6.subnet, true, subnet6);
      sk_cidr_format (&v6.gateway, false, gateway6);
    }
    sk_network n = {.id = id,
                    .name = (char *) spec->name,
                    .driver = (char *) driver,
                    .bridge = bridge,
                    .subnet = subnet,
                    .gateway = gateway,
                    .ip_range = range,
                    .subnet6 = subnet6,
                    .gateway6 = gateway6,
                    .internal = spec->internal,
                    .ipv6 = spec->ipv6,
                    .labels = (char *) (spec->labels ? spec->labels : "{}"),
                    .options = (char *) (spec->options ? spec->options : "{}"),
                    .created = sk_now_ns ()};
    ret = insert_network (db, &n, err);
  }
  if (ret < 0 || sk_db_commit (db, err) < 0) {
    sk_db_rollback (db);
    return -1;
  }
  return out ? sk_network_find (db, id, out, err) : 0;
}

int
sk_network_delete (sk_db *db, const sk_network *net, sk_err **err)
{
  if (sk_network_predefined (net))
    return sk_err_kind (err, EPERM, "%s is a pre-defined network and cannot be removed", net->name);
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
      db,
      "DELETE FROM networks WHERE id = ? AND NOT EXISTS (SELECT 1 FROM endpoints WHERE network = ?)",
      err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, net->id, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 2, net->id, -1, SQLITE_STATIC);
  if (sqlite3_step (st) != SQLITE_DONE)
    return sk_db_error (db, "remove the network", err);
  if (sqlite3_changes (sk_db_handle (db)) == 0)
    return sk_err_kind (err, EBUSY, "error while removing network: network %s id %s has active endpoints",
                        net->name, net->id);
  return 0;
}

/* ---- endpoints ---- */

void
sk_endpoint_free (sk_endpoint *ep)
{
  if (ep == NULL)
    return;
  free (ep->network);
  free (ep->container);
  free (ep->id);
  free (ep->ip);
  free (ep->ip6);
  free (ep->mac);
  free (ep->aliases);
  free (ep->ifname);
  free (ep);
}

void
sk_endpoint_list_free (sk_endpoint **list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    sk_endpoint_free (list[i]);
  free (list);
}

static sk_endpoint *
endpoint_row (sqlite3_stmt *st)
{
  sk_endpoint *ep = calloc (1, sizeof *ep);
  if (ep == NULL)
    return NULL;
  char **cols[] = {&ep->network, &ep->container, &ep->id,      &ep->ip,
                   &ep->ip6,     &ep->mac,       &ep->aliases, &ep->ifname};
  for (int i = 0; i < (int) (sizeof cols / sizeof cols[0]); i++)
    if ((*cols[i] = text (st, i)) == NULL) {
      sk_endpoint_free (ep);
      return NULL;
    }
  ep->position = sqlite3_column_int (st, 8);
  return ep;
}

static int
query_endpoints (sk_db *db, const char *sql, const char *arg, sk_endpoint ***out, size_t *n,
                 sk_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (db, sql, err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, arg, -1, SQLITE_STATIC);
  sk_endpoint **list = NULL;
  size_t len = 0;
  int r;
  while ((r = sqlite3_step (st)) == SQLITE_ROW) {
    sk_endpoint **more = realloc (list, (len + 1) * sizeof *list);
    sk_endpoint *row = more ? endpoint_row (st) : NULL;
    if (more)
      list = more;
    if (row == NULL) {
      sk_endpoint_list_free (list, len);
      return sk_err_set (err, ENOMEM, "list endpoints");
    }
    list[len++] = row;
  }
  if (r != SQLITE_DONE) {
    sk_endpoint_list_free (list, len);
    return sk_db_error (db, "list endpoints", err);
  }
  *out = list;
  *n = len;
  return 0;
}

int
sk_endpoints_of (sk_db *db, const char *container, sk_endpoint ***out, size_t *n, sk_err **err)
{
  return query_endpoints (db,
                          "SELECT " EP_COLUMNS " FROM endpoints WHERE container = ? ORDER BY position",
                          container, out, n, err);
}

int
sk_endpoints_on (sk_db *db, const char *network, sk_endpoint ***out, size_t *n, sk_err **err)
{
  return query_endpoints (db,
                          "SELECT " EP_COLUMNS " FROM endpoints WHERE network = ? ORDER BY position",
                          network, out, n, err);
}

int
sk_endpoint_remove (sk_db *db, const char *network, const char *container, sk_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
      db, "DELETE FROM endpoints WHERE network = ? AND container = ?", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, network, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 2, container, -1, SQLITE_STATIC);
  if (sqlite3_step (st) != SQLITE_DONE)
    return sk_db_error (db, "disconnect", err);
  if (sqlite3_changes (sk_db_handle (db)) == 0)
    return sk_err_kind (err, ENOENT, "container %s is not connected to network %s", container,
                        network);
  return 0;
}

static int
cmp_u64 (const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
  return x < y ? -1 : x > y;
}

/* The first free address of the network's family (subnet, gateway,
 * range), given the column of the taken ones. */
static int
allocate (sk_db *db, const sk_network *net, bool v6, char *out, sk_err **err)
{
  sk_cidr subnet, gateway, range;
  if (sk_cidr_parse (v6 ? net->subnet6 : net->subnet, true, "subnet", &subnet, err) < 0 ||
      sk_addr_parse (v6 ? net->gateway6 : net->gateway, "gateway", &gateway, err) < 0)
    return -1;
  range = subnet;
  if (!v6 && *net->ip_range && sk_cidr_parse (net->ip_range, true, "ip-range", &range, err) < 0)
    return -1;
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
      db, v6 ? "SELECT ip6 FROM endpoints WHERE network = ? AND ip6 != ''"
             : "SELECT ip FROM endpoints WHERE network = ? AND ip != ''",
      err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, net->id, -1, SQLITE_STATIC);
  uint64_t *used = NULL;
  size_t n = 0;
  while (sqlite3_step (st) == SQLITE_ROW) {
    sk_cidr a;
    if (sk_addr_parse ((const char *) sqlite3_column_text (st, 0), "address", &a, NULL) < 0 ||
        !sk_cidr_contains (&range, &a))
      continue;
    uint64_t *more = realloc (used, (n + 1) * sizeof *used);
    if (more == NULL) {
      free (used);
      return sk_err_set (err, ENOMEM, "allocate an address");
    }
    used = more;
    used[n++] = sk_cidr_offset (&range, &a);
  }
  if (n)
    qsort (used, n, sizeof *used, cmp_u64);
  uint64_t size = sk_cidr_size (&range);
  uint64_t sub_size = sk_cidr_size (&subnet);
  size_t u = 0;
  for (uint64_t off = 0; off < size; off++) {
    while (u < n && used[u] < off)
      u++;
    if (u < n && used[u] == off)
      continue;
    sk_cidr a;
    sk_cidr_nth (&range, off, &a);
    uint64_t in_subnet = sk_cidr_offset (&subnet, &a);
    if (in_subnet == 0 || (!v6 && in_subnet == sub_size - 1) ||
        memcmp (a.addr, gateway.addr, sizeof a.addr) == 0)
      continue;
    free (used);
    sk_cidr_format (&a, false, out);
    return 0;
  }
  free (used);
  return sk_err_kind (err, ENOSPC, "no available IPv%d addresses on network %s", v6 ? 6 : 4,
                      net->name);
}

/* An address asked for (--ip, --ip6): in the subnet, not its network,
 * broadcast or gateway address; out: its canonical form. */
static int
check_asked (const sk_network *net, const char *ip, bool v6, char *out, sk_err **err)
{
  sk_cidr a, subnet, gw;
  if (sk_addr_parse (ip, v6 ? "IPv6 address" : "IPv4 address", &a, err) < 0)
    return -1;
  if ((a.family == AF_INET6) != v6)
    return sk_err_kind (err, EINVAL, "invalid IPv%d address: %s", v6 ? 6 : 4, ip);
  const char *sub = v6 ? net->subnet6 : net->subnet;
  if (!*sub)
    return sk_err_kind (err, EINVAL, "network %s has no IPv%d subnet for address %s", net->name,
                        v6 ? 6 : 4, ip);
  if (sk_cidr_parse (sub, true, "subnet", &subnet, err) < 0 ||
      sk_addr_parse (v6 ? net->gateway6 : net->gateway, "gateway", &gw, err) < 0)
    return -1;
  uint64_t off = sk_cidr_offset (&subnet, &a);
  if (!sk_cidr_contains (&subnet, &a) || off == 0 ||
      (!v6 && off == sk_cidr_size (&subnet) - 1) || memcmp (a.addr, gw.addr, sizeof a.addr) == 0)
    return sk_err_kind (err, EINVAL, "no configured subnet or ip-range contain the IP address %s", ip);
  sk_cidr_format (&a, false, out);
  return 0;
}

static bool
mac_ok (const char *mac)
{
  unsigned b[6];
  char end;
  return strlen (mac) == 17 &&
         sscanf (mac, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &end) == 6;
}

static int
insert_endpoint (sk_db *db, const sk_endpoint *ep, sk_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
      db, "INSERT INTO endpoints (" EP_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", err);
  if (st == NULL)
    return -1;
  const char *cols[] = {ep->network, ep->container, ep->id,      ep->ip,
                        ep->ip6,     ep->mac,       ep->aliases, ep->ifname};
  for (int i = 0; i < (int) (sizeof cols / sizeof cols[0]); i++)
    sqlite3_bind_text (st, i + 1, cols[i], -1, SQLITE_STATIC);
  sqlite3_bind_int (st, 9, ep->position);
  if (sqlite3_step (st) == SQLITE_DONE)
    return 0;
  if (sqlite3_extended_errcode (sk_db_handle (db)) == SQLITE_CONSTRAINT_PRIMARYKEY)
    return sk_err_kind (err, EEXIST, "endpoint with name %s already exists in network %s",
                        ep->container, ep->network);
  if (sqlite3_extended_errcode (sk_db_handle (db)) == SQLITE_CONSTRAINT_UNIQUE)
    return sk_err_kind (err, EADDRINUSE, "Address already in use");
  return sk_db_error (db, "add the endpoint", err);
}

static int
add_endpoint (sk_db *db, const sk_network *net, const char *container, const char *ip,
              const char *ip6, const char *mac, const char *aliases, sk_endpoint *ep, sk_err **err)
{
  char ip_text[SK_ADDR_TEXT] = "", ip6_text[SK_ADDR_TEXT] = "", mac_text[18], id[65], ifname[16];
  if (ip && check_asked (net, ip, false, ip_text, err) < 0)
    return -1;
  if (ip6 && check_asked (net, ip6, true, ip6_text, err) < 0)
    return -1;
  if (!ip && *net->subnet && allocate (db, net, false, ip_text, err) < 0)
    return -1;
  if (!ip6 && net->ipv6 && *net->subnet6 && allocate (db, net, true, ip6_text, err) < 0)
    return -1;
  if (mac)
    snprintf (mac_text, sizeof mac_text, "%s", mac);
  else {
    unsigned char a[4] = {0};
    if (*ip_text)
      inet_pton (AF_INET, ip_text, a);
    else if (getrandom (a, sizeof a, 0) != (ssize_t) sizeof a)
      return sk_err_set (err, errno, "make a MAC address");
    snprintf (mac_text, sizeof mac_text, "02:42:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3]);
  }
  if (make_id (id, err) < 0)
    return -1;
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
      db, "SELECT coalesce(max(position) + 1, 0) FROM endpoints WHERE container = ?", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, container, -1, SQLITE_STATIC);
  int position = sqlite3_step (st) == SQLITE_ROW ? sqlite3_column_int (st, 0) : 0;
  /* the interface: the lowest ethN no other endpoint of it has */
  int n_if = 0;
  for (;; n_if++) {
    _cleanup_stmt_ sqlite3_stmt *q = sk_db_prepare (
        db, "SELECT 1 FROM endpoints WHERE container = ? AND ifname = ?", err);
    if (q == NULL)
      return -1;
    snprintf (ifname, sizeof ifname, "eth%d", n_if);
    sqlite3_bind_text (q, 1, container, -1, SQLITE_STATIC);
    sqlite3_bind_text (q, 2, ifname, -1, SQLITE_STATIC);
    if (sqlite3_step (q) != SQLITE_ROW)
      break;
  }
  sk_endpoint rec = {.network = net->id,
                     .container = (char *) container,
                     .id = id,
                     .ip = ip_text,
                     .ip6 = ip6_text,
                     .mac = mac_text,
                     .aliases = (char *) (aliases ? aliases : "[]"),
                     .ifname = ifname,
                     .position = position};
  if (insert_endpoint (db, &rec, err) < 0)
    return -1;
  ep->id = strdup (id);
  ep->ip = strdup (ip_text);
  ep->ip6 = strdup (ip6_text);
  ep->mac = strdup (mac_text);
  ep->ifname = strdup (ifname);
  ep->position = position;
  return 0;
}

int
sk_endpoint_add (sk_db *db, const sk_network *net, const char *container, const char *ip,
                 const char *ip6, const char *mac, const char *aliases, sk_endpoint **out,
                 sk_err **err)
{
  if (strcmp (net->driver, "bridge") != 0)
    return sk_err_kind (err, EINVAL, "container cannot be connected to the %s network", net->name);
  if (mac && !mac_ok (mac))
    return sk_err_kind (err, EINVAL, "%s is not a valid mac address", mac);
  sk_endpoint *ep = calloc (1, sizeof *ep);
  if (ep == NULL)
    return sk_err_set (err, ENOMEM, "connect");
  ep->network = strdup (net->id);
  ep->container = strdup (container);
  ep->aliases = strdup (aliases ? aliases : "[]");
  if (sk_db_begin (db, err) < 0) {
    sk_endpoint_free (ep);
    return -1;
  }
  if (add_endpoint (db, net, container, ip, ip6, mac, aliases, ep, err) < 0 ||
      sk_db_commit (db, err) < 0) {
    sk_db_rollback (db);
    sk_endpoint_free (ep);
    return -1;
  }
  if (!ep->network || !ep->container || !ep->aliases || !ep->id || !ep->ip || !ep->ip6 ||
      !ep->mac || !ep->ifname) {
    sk_endpoint_free (ep);
    return sk_err_set (err, ENOMEM, "connect");
  }
  if (out)
    *out = ep;
  else
    sk_endpoint_free (ep);
  return 0;
}
