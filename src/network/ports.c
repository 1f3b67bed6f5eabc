/* skiff: host ports of published container ports (see ports.h). */
#include "network/ports.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"

/* Whether two host addresses of a binding meet: '' is every address,
 * 0.0.0.0 every IPv4 one, :: every IPv6 one. */
static bool
addresses_meet (const char *a, const char *b)
{
  bool a6 = strchr (a, ':') != NULL, b6 = strchr (b, ':') != NULL;
  if (!*a || !*b || strcmp (a, b) == 0)
    return true;
  if (a6 != b6)
    return false;
  return strcmp (a, a6 ? "::" : "0.0.0.0") == 0 || strcmp (b, b6 ? "::" : "0.0.0.0") == 0;
}

/* Whether the host itself can bind proto port on ip: nothing of the
 * host's listens there (a DNAT rule would hide it). */
static bool
host_can_bind (const char *proto, const char *ip, unsigned port)
{
  bool v6 = strchr (ip, ':') != NULL;
  int fd = socket (v6 ? AF_INET6 : AF_INET,
                   (strcmp (proto, "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return true;
  int r;
  if (v6) {
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons ((uint16_t) port)};
    inet_pton (AF_INET6, ip, &sa.sin6_addr);
    r = bind (fd, (struct sockaddr *) &sa, sizeof sa);
  } else {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons ((uint16_t) port)};
    if (*ip)
      inet_pton (AF_INET, ip, &sa.sin_addr);
    r = bind (fd, (struct sockaddr *) &sa, sizeof sa);
  }
  int e = errno;
  close (fd);
  return r == 0 || e != EADDRINUSE;
}

/* Whether a running container holds the port, or this one for another of
 * its bindings (given in this transaction). */
static int
held (sk_db *db, const char *container, const char *proto, const char *ip, unsigned port,
      bool *taken, sk_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
      db,
      "SELECT p.host_ip FROM ports p JOIN containers c ON c.id = p.container "
      "WHERE p.proto = ? AND p.host_port = ? "
      "AND (c.state IN ('running', 'paused', 'restarting') OR p.container = ?)",
      err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, proto, -1, SQLITE_STATIC);
  sqlite3_bind_int (st, 2, (int) port);
  sqlite3_bind_text (st, 3, container, -1, SQLITE_STATIC);
  *taken = false;
  while (!*taken && sqlite3_step (st) == SQLITE_ROW)
    *taken = addresses_meet ((const char *) sqlite3_column_text (st, 0), ip);
  return 0;
}

static void
ephemeral_range (unsigned *lo, unsigned *hi)
{
  *lo = 32768;
  *hi = 60999;
  FILE *f = fopen ("/proc/sys/net/ipv4/ip_local_port_range", "re");
  if (f) {
    unsigned a, b;
    if (fscanf (f, "%u %u", &a, &b) == 2 && a > 0 && a <= b && b <= 65535)
      *lo = a, *hi = b;
    fclose (f);
  }
}

/* "8080" or "8080-8090" (or "" for the ephemeral range) to lo..hi. */
static int
host_range (const char *text, unsigned *lo, unsigned *hi, sk_err **err)
{
  if (!*text) {
    ephemeral_range (lo, hi);
    return 0;
  }
  char *end;
  unsigned long a = strtoul (text, &end, 10), b = a;
  if (*end == '-')
    b = strtoul (end + 1, &end, 10);
  if (*end || a == 0 || a > 65535 || b < a || b > 65535)
    return sk_err_kind (err, EINVAL, "invalid host port `%s`", text);
  *lo = (unsigned) a;
  *hi = (unsigned) b;
  return 0;
}

static int
insert (sk_db *db, const char *container, const sk_port *p, sk_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
      db,
      "INSERT OR IGNORE INTO ports (container, proto, container_port, host_ip, host_port) "
      "VALUES (?, ?, ?, ?, ?)",
      err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, container, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 2, p->proto, -1, SQLITE_STATIC);
  sqlite3_bind_int (st, 3, (int) p->ctr_port);
  sqlite3_bind_text (st, 4, p->host_ip, -1, SQLITE_STATIC);
  sqlite3_bind_int (st, 5, (int) p->host_port);
  if (sqlite3_step (st) != SQLITE_DONE)
    return sk_db_error (db, "publish a port", err);
  return 0;
}

/* One binding of "PORT/PROTO": a free host port of its range. */
static int
assign_one (sk_db *db, const char *container, const char *key, sk_json *binding, sk_err **err)
{
  sk_port p = {0};
  char proto[8] = "";
  if (sscanf (key, "%u/%7s", &p.ctr_port, proto) < 1 || p.ctr_port == 0 || p.ctr_port > 65535)
    return sk_err_kind (err, EINVAL, "invalid port `%s`", key);
  if (!*proto)
    strcpy (proto, "tcp");
  if (strcmp (proto, "tcp") != 0 && strcmp (proto, "udp") != 0)
    return sk_err_kind (err, EINVAL, "publishing %s ports is not supported", proto);
  strcpy (p.proto, proto);
  sk_json *v = NULL;
  const char *ip = json_object_object_get_ex (binding, "HostIp", &v) && v ? json_object_get_string (v) : "";
  const char *hp = json_object_object_get_ex (binding, "HostPort", &v) && v ? json_object_get_string (v) : "";
  if (strlen (ip) >= sizeof p.host_ip)
    return sk_err_kind (err, EINVAL, "invalid host address `%s`", ip);
  snprintf (p.host_ip, sizeof p.host_ip, "%s", ip);
  unsigned lo = 0, hi = 0;
  if (host_range (hp, &lo, &hi, err) < 0)
    return -1;
  for (unsigned port = lo; port <= hi; port++) {
    bool taken;
    if (held (db, container, p.proto, p.host_ip, port, &taken, err) < 0)
      return -1;
    if (taken || !host_can_bind (p.proto, p.host_ip, port))
      continue;
    p.host_port = port;
    return insert (db, container, &p, err);
  }
  const char *shown = *ip ? ip : "0.0.0.0";
  if (lo == hi)
    return sk_err_kind (err, EADDRINUSE, "Bind for %s:%u failed: port is already allocated", shown, lo);
  return sk_err_kind (err, EADDRINUSE, "Bind for %s:%u-%u failed: no port of the range is free",
                      shown, lo, hi);
}

int
sk_ports_assign (sk_db *db, const char *container, const sk_json *bindings, sk_err **err)
{
  if (sk_db_begin (db, err) < 0)
    return -1;
  _cleanup_stmt_ sqlite3_stmt *del = sk_db_prepare (db, "DELETE FROM ports WHERE container = ?", err);
  int ret = del ? 0 : -1;
  if (ret == 0) {
    sqlite3_bind_text (del, 1, container, -1, SQLITE_STATIC);
    if (sqlite3_step (del) != SQLITE_DONE)
      ret = sk_db_error (db, "publish ports", err);
  }
  if (ret == 0 && bindings && json_object_is_type (bindings, json_type_object)) {
    json_object_object_foreach ((sk_json *) bindings, key, list)
    {
      if (ret < 0)
        break;
      size_t n = list && json_object_is_type (list, json_type_array) ? json_object_array_length (list) : 0;
      for (size_t i = 0; i < n && ret == 0; i++)
        ret = assign_one (db, container, key, json_object_array_get_idx (list, i), err);
    }
  }
  if (ret < 0 || sk_db_commit (db, err) < 0) {
    sk_db_rollback (db);
    return -1;
  }
  return 0;
}

int
sk_ports_of (sk_db *db, const char *container, sk_port **out, size_t *n, sk_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
      db,
      "SELECT proto, container_port, host_ip, host_port FROM ports WHERE container = ? "
      "ORDER BY proto, container_port, host_ip, host_port",
      err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, container, -1, SQLITE_STATIC);
  sk_port *list = NULL;
  size_t len = 0;
  while (sqlite3_step (st) == SQLITE_ROW) {
    sk_port *more = realloc (list, (len + 1) * sizeof *list);
    if (more == NULL) {
      free (list);
      return sk_err_set (err, ENOMEM, "ports");
    }
    list = more;
    sk_port *p = &list[len++];
    memset (p, 0, sizeof *p);
    snprintf (p->proto, sizeof p->proto, "%s", (const char *) sqlite3_column_text (st, 0));
    p->ctr_port = (unsigned) sqlite3_column_int (st, 1);
    snprintf (p->host_ip, sizeof p->host_ip, "%s", (const char *) sqlite3_column_text (st, 2));
    p->host_port = (unsigned) sqlite3_column_int (st, 3);
  }
  *out = list;
  *n = len;
  return 0;
}
