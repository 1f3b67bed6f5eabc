/* skiff: the embedded DNS responder's view of the database (see dns-db.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "db/db.h"
#include "network/dns-db.h"
#include "util/cleanup.h"

/* a DNS client gives up after a few seconds: a longer wait helps no one */
#define BUSY_TIMEOUT_MS 1000

/* the schema version that has networks (db.c's migration 4) */
#define SCHEMA_NETWORKS 4

struct sk_dns_db {
  sqlite3 *h;
  char *path;
  sqlite3_stmt *version, *load;
  long long data_version;
  sk_dns_table *table;
  unsigned long loads;
};

/* Every endpoint on a user-defined bridge network, its container's name,
 * state and hostname, and its aliases one a line; grouped by container.
 * JSON that is not valid (it never is, unless edited by hand) counts as
 * none rather than failing the whole load. */
static const char load_sql[] =
    "SELECT n.id, n.name, n.gateway, n.gateway6, n.internal, e.container, c.name,"
    "  c.state IN ('running', 'paused', 'restarting'),"
    "  CASE WHEN json_valid (c.config) THEN"
    "    coalesce (json_extract (c.config, '$.Hostname'), '') ELSE '' END,"
    "  e.ip, e.ip6,"
    "  CASE WHEN json_valid (e.aliases) THEN (SELECT group_concat (value, char (10))"
    "    FROM json_each (e.aliases) WHERE type = 'text') END"
    " FROM endpoints e JOIN networks n ON n.id = e.network JOIN containers c ON c.id = e.container"
    " WHERE n.driver = 'bridge' AND n.name != 'bridge'"
    " ORDER BY e.container, e.position";

static int
db_error (sk_dns_db *d, const char *what, sk_err **err)
{
  return sk_err_set (err, 0, "%s: %s (database `%s`)", what, sqlite3_errmsg (d->h), d->path);
}

static char *
col (sqlite3_stmt *st, int i)
{
  const unsigned char *s = sqlite3_column_text (st, i);
  return strdup (s ? (const char *) s : "");
}

static int
split_aliases (const char *lines, sk_dns_ep *e)
{
  if (lines == NULL || *lines == '\0')
    return 0;
  size_t n = 1;
  for (const char *p = lines; *p; p++)
    n += *p == '\n';
  e->aliases = calloc (n, sizeof *e->aliases);
  if (e->aliases == NULL)
    return -1;
  for (const char *p = lines;;) {
    const char *nl = strchr (p, '\n');
    size_t len = nl ? (size_t) (nl - p) : strlen (p);
    if ((e->aliases[e->n_aliases] = strndup (p, len)) == NULL)
      return -1;
    e->n_aliases++;
    if (!nl)
      break;
    p = nl + 1;
  }
  return 0;
}

/* The network of this row, added to t when new. */
static int
net_of (sk_dns_table *t, sqlite3_stmt *st, size_t *cap, size_t *index)
{
  const char *id = (const char *) sqlite3_column_text (st, 0);
  for (size_t i = 0; i < t->n_nets; i++)
    if (strcmp (t->nets[i].id, id ? id : "") == 0) {
      *index = i;
      return 0;
    }
  if (t->n_nets == *cap) {
    size_t ncap = *cap ? *cap * 2 : 8;
    sk_dns_net *nets = realloc (t->nets, ncap * sizeof *nets);
    if (nets == NULL)
      return -1;
    t->nets = nets;
    *cap = ncap;
  }
  sk_dns_net *n = &t->nets[t->n_nets];
  memset (n, 0, sizeof *n);
  n->id = col (st, 0);
  n->name = col (st, 1);
  sk_dns_addr_parse ((const char *) sqlite3_column_text (st, 2), &n->gw);
  sk_dns_addr_parse ((const char *) sqlite3_column_text (st, 3), &n->gw6);
  n->internal = sqlite3_column_int (st, 4) != 0;
  *index = t->n_nets++;
  return n->id && n->name ? 0 : -1;
}

static int
load_row (sk_dns_table *t, sqlite3_stmt *st, size_t *net_cap, size_t *ep_cap)
{
  size_t net;
  if (net_of (t, st, net_cap, &net) < 0)
    return -1;
  if (t->n_eps == *ep_cap) {
    size_t ncap = *ep_cap ? *ep_cap * 2 : 16;
    sk_dns_ep *eps = realloc (t->eps, ncap * sizeof *eps);
    if (eps == NULL)
      return -1;
    t->eps = eps;
    *ep_cap = ncap;
  }
  sk_dns_ep *e = &t->eps[t->n_eps++];
  memset (e, 0, sizeof *e);
  e->net = net;
  e->id = col (st, 5);
  e->cname = col (st, 6);
  e->running = sqlite3_column_int (st, 7) != 0;
  e->hostname = col (st, 8);
  sk_dns_addr_parse ((const char *) sqlite3_column_text (st, 9), &e->ip);
  sk_dns_addr_parse ((const char *) sqlite3_column_text (st, 10), &e->ip6);
  /* rows come grouped by container: a new id is a new container */
  e->container = t->n_eps > 1 ? t->eps[t->n_eps - 2].container : 0;
  if (t->n_eps > 1 && e->id && strcmp (e->id, t->eps[t->n_eps - 2].id) != 0)
    e->container++;
  if (!e->id || !e->cname || !e->hostname)
    return -1;
  return split_aliases ((const char *) sqlite3_column_text (st, 11), e);
}

static int
load (sk_dns_db *d, sk_dns_table **out, sk_err **err)
{
  sqlite3_stmt *st = d->load;
  sk_dns_table *t = calloc (1, sizeof *t);
  size_t net_cap = 0, ep_cap = 0;
  int r = t ? SQLITE_ROW : SQLITE_NOMEM;
  while (r == SQLITE_ROW && (r = sqlite3_step (st)) == SQLITE_ROW)
    if (load_row (t, st, &net_cap, &ep_cap) < 0)
      r = SQLITE_NOMEM;
  if (r == SQLITE_DONE && (t->scratch = calloc (t->n_nets + 1, sizeof *t->scratch)) == NULL)
    r = SQLITE_NOMEM;
  if (r != SQLITE_DONE) {
    int ret = r == SQLITE_NOMEM ? sk_err_set (err, ENOMEM, "dns: read the networks")
                                : db_error (d, "dns: read the networks", err);
    sqlite3_reset (st);
    sk_dns_table_free (t);
    return ret;
  }
  sqlite3_reset (st);
  *out = t;
  d->loads++;
  return 0;
}

void
sk_dns_db_close (sk_dns_db *d)
{
  if (d == NULL)
    return;
  sqlite3_finalize (d->version);
  sqlite3_finalize (d->load);
  sqlite3_close_v2 (d->h);
  sk_dns_table_free (d->table);
  free (d->path);
  free (d);
}

int
sk_dns_db_open (const char *path, sk_dns_db **out, sk_err **err)
{
  sk_dns_db *d = calloc (1, sizeof *d);
  if (d == NULL || (d->path = strdup (path)) == NULL) {
    free (d);
    return sk_err_set (err, ENOMEM, "dns: open the database");
  }
  d->data_version = -1;
  /* READONLY: this process never changes what the engine keeps; a WAL
   * database is still opened so, and readers never wait for writers */
  int r = sqlite3_open_v2 (path, &d->h, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
  if (r != SQLITE_OK) {
    if (d->h)
      db_error (d, "open", err);
    else
      sk_err_set (err, ENOMEM, "open database `%s`", path);
    sk_dns_db_close (d);
    return -1;
  }
  sqlite3_busy_timeout (d->h, BUSY_TIMEOUT_MS);
  sqlite3_stmt *st = NULL;
  int version = -1;
  if (sqlite3_prepare_v2 (d->h, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step (st) == SQLITE_ROW)
    version = sqlite3_column_int (st, 0);
  sqlite3_finalize (st);
  if (version < 0) {
    db_error (d, "open", err);
    sk_dns_db_close (d);
    return -1;
  }
  if (version < SCHEMA_NETWORKS) {
    sk_err_set (err, 0, "database `%s` has no networks (schema version %d): not a skiff data root",
                path, version);
    sk_dns_db_close (d);
    return -1;
  }
  if (sqlite3_prepare_v2 (d->h, "PRAGMA data_version", -1, &d->version, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (d->h, load_sql, -1, &d->load, NULL) != SQLITE_OK) {
    db_error (d, "open", err);
    sk_dns_db_close (d);
    return -1;
  }
  *out = d;
  return 0;
}

int
sk_dns_db_table (sk_dns_db *d, sk_dns_table **out, sk_err **err)
{
  long long v = -1;
  if (sqlite3_step (d->version) == SQLITE_ROW)
    v = sqlite3_column_int64 (d->version, 0);
  sqlite3_reset (d->version);
  int ret = 0;
  if (v < 0 || v != d->data_version || d->table == NULL) {
    sk_dns_table *t = NULL;
    ret = load (d, &t, err);
    if (ret == 0) {
      sk_dns_table_free (d->table);
      d->table = t;
      d->data_version = v;
    }
  }
  *out = d->table;
  return ret;
}

unsigned long
sk_dns_db_loads (const sk_dns_db *d)
{
  return d->loads;
}
