/* skiff: published ports and skiff's nftables table: the host ports a
 * start takes, and the table made to match the networks and the ports of
 * the running containers (see sk_engine_fw_sync in engine.h). */
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
  if (sk_engine_net_init (e, err) < 0)
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
