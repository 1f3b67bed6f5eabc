/* skiff: the metadata database (see db.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"

struct sk_db {
  sqlite3 *h;
  char *path;
};

/* Each entry moves the schema one version up; never edit one that shipped,
 * add another. */
static const char *const migrations[] = {
    /* 1: images, their layers, tags and the blobs they keep */
    "CREATE TABLE layers ("
    "  chain_id TEXT PRIMARY KEY,"            /* sha256:..., of the stack up to this layer */
    "  diff_id TEXT NOT NULL,"                /* digest of the uncompressed tar */
    "  parent TEXT REFERENCES layers (chain_id),"
    "  size INTEGER NOT NULL DEFAULT 0"       /* bytes of the unpacked content */
    ");"
    "CREATE INDEX layers_parent ON layers (parent);"
    "CREATE TABLE layer_blobs ("              /* the compressed blobs a layer came from */
    "  chain_id TEXT NOT NULL REFERENCES layers (chain_id) ON DELETE CASCADE,"
    "  digest TEXT NOT NULL,"
    "  media_type TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  PRIMARY KEY (chain_id, digest)"
    ");"
    "CREATE TABLE images ("
    "  id TEXT PRIMARY KEY,"                  /* the config's digest */
    "  top_layer TEXT REFERENCES layers (chain_id)," /* NULL: no layers */
    "  created INTEGER NOT NULL,"             /* the config's, seconds since the epoch */
    "  size INTEGER NOT NULL,"
    "  added INTEGER NOT NULL"
    ");"
    "CREATE TABLE image_blobs ("              /* what an image keeps in the content store */
    "  image TEXT NOT NULL REFERENCES images (id) ON DELETE CASCADE,"
    "  digest TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('config', 'manifest', 'index')),"
    "  PRIMARY KEY (image, digest)"
    ");"
    "CREATE TABLE tags ("
    "  name TEXT PRIMARY KEY,"                /* docker.io/library/busybox:latest */
    "  image TEXT NOT NULL REFERENCES images (id) ON DELETE CASCADE"
    ");"
    "CREATE INDEX tags_image ON tags (image);"
    "CREATE TABLE repo_digests ("
    "  name TEXT PRIMARY KEY,"                /* docker.io/library/busybox@sha256:... */
    "  image TEXT NOT NULL REFERENCES images (id) ON DELETE CASCADE"
    ");",
    /* 2: containers; an image a container uses cannot be deleted */
    "CREATE TABLE containers ("
    "  id TEXT PRIMARY KEY,"                  /* 64 hex */
    "  name TEXT NOT NULL UNIQUE,"            /* without docker's leading / */
    "  image TEXT NOT NULL REFERENCES images (id),"
    "  config TEXT NOT NULL,"                 /* the create body, the image's defaults merged */
    "  created INTEGER NOT NULL,"             /* nanoseconds since the epoch */
    "  state TEXT NOT NULL DEFAULT 'created' CHECK (state IN ('created', 'running', 'paused',"
    "    'restarting', 'exited', 'dead', 'removing')),"
    "  pid INTEGER NOT NULL DEFAULT 0,"
    "  shim_pid INTEGER NOT NULL DEFAULT 0,"
    "  exit_code INTEGER NOT NULL DEFAULT 0,"
    "  oom_killed INTEGER NOT NULL DEFAULT 0,"
    "  started_at INTEGER NOT NULL DEFAULT 0,"
    "  finished_at INTEGER NOT NULL DEFAULT 0,"
    "  restart_count INTEGER NOT NULL DEFAULT 0,"
    "  error TEXT NOT NULL DEFAULT ''"
    ");"
    "CREATE INDEX containers_image ON containers (image);",
    /* 3: what ps shows of a container's config, out of it */
    "ALTER TABLE containers ADD COLUMN image_name TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE containers ADD COLUMN command TEXT NOT NULL DEFAULT '';"
    "UPDATE containers SET image_name = coalesce(json_extract(config, '$.Image'), ''),"
    "  command = coalesce((SELECT group_concat(value, ' ') FROM (SELECT 0 AS w, key AS k, value"
    "  FROM json_each(config, '$.Entrypoint') UNION ALL SELECT 1, key, value"
    "  FROM json_each(config, '$.Cmd') ORDER BY w, k)), '');",
    /* 4: networks and the containers' places on them (their leases) */
    "CREATE TABLE networks ("
    "  id TEXT PRIMARY KEY,"                  /* 64 hex */
    "  name TEXT NOT NULL UNIQUE,"
    "  driver TEXT NOT NULL,"                 /* bridge, host, null */
    "  bridge TEXT NOT NULL DEFAULT '',"      /* the bridge's interface name */
    "  subnet TEXT NOT NULL DEFAULT '',"
    "  gateway TEXT NOT NULL DEFAULT '',"
    "  ip_range TEXT NOT NULL DEFAULT '',"
    "  subnet6 TEXT NOT NULL DEFAULT '',"
    "  gateway6 TEXT NOT NULL DEFAULT '',"
    "  internal INTEGER NOT NULL DEFAULT 0,"
    "  ipv6 INTEGER NOT NULL DEFAULT 0,"
    "  labels TEXT NOT NULL DEFAULT '{}',"
    "  options TEXT NOT NULL DEFAULT '{}',"
    "  created INTEGER NOT NULL"
    ");"
    "CREATE TABLE endpoints ("
    "  network TEXT NOT NULL REFERENCES networks (id),"
    "  container TEXT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,"
    "  id TEXT NOT NULL,"
    "  ip TEXT NOT NULL DEFAULT '',"
    "  ip6 TEXT NOT NULL DEFAULT '',"
    "  mac TEXT NOT NULL DEFAULT '',"
    "  aliases TEXT NOT NULL DEFAULT '[]',"   /* a JSON array */
    "  ifname TEXT NOT NULL,"                 /* eth0, eth1, ... in the container */
    "  position INTEGER NOT NULL,"            /* the order they were added in */
    "  PRIMARY KEY (network, container)"
    ");"
    "CREATE UNIQUE INDEX endpoints_ip ON endpoints (network, ip) WHERE ip != '';"
    "CREATE UNIQUE INDEX endpoints_ip6 ON endpoints (network, ip6) WHERE ip6 != '';"
    "CREATE INDEX endpoints_container ON endpoints (container);",
    /* 5: the host ports of running containers (given at each start) */
    "CREATE TABLE ports ("
    "  container TEXT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,"
    "  proto TEXT NOT NULL,"                  /* tcp, udp */
    "  container_port INTEGER NOT NULL,"
    "  host_ip TEXT NOT NULL,"                /* '' every address of the host */
    "  host_port INTEGER NOT NULL,"
    "  PRIMARY KEY (container, proto, container_port, host_ip, host_port)"
    ");"
    "CREATE INDEX ports_host ON ports (proto, host_port);",
    /* 6: volumes, and what each container mounts */
    "CREATE TABLE volumes ("
    "  name TEXT PRIMARY KEY,"
    "  driver TEXT NOT NULL DEFAULT 'local',"
    "  labels TEXT NOT NULL DEFAULT '{}',"
    "  options TEXT NOT NULL DEFAULT '{}',"   /* the local driver's type, device, o */
    "  anonymous INTEGER NOT NULL DEFAULT 0,"
    "  copy_up INTEGER NOT NULL DEFAULT 1,"   /* still to be filled from an image */
    "  created INTEGER NOT NULL"              /* nanoseconds since the epoch */
    ");"
    "CREATE TABLE mounts ("
    "  container TEXT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,"
    "  position INTEGER NOT NULL,"
    "  type TEXT NOT NULL CHECK (type IN ('bind', 'volume', 'tmpfs')),"
    "  name TEXT REFERENCES volumes (name),"  /* a volume's; NULL otherwise */
    "  source TEXT,"                          /* a bind's host path */
    "  destination TEXT NOT NULL,"
    "  mode TEXT NOT NULL DEFAULT '',"
    "  propagation TEXT NOT NULL DEFAULT '',"
    "  options TEXT NOT NULL DEFAULT '{}',"
    "  rw INTEGER NOT NULL DEFAULT 1,"
    "  PRIMARY KEY (container, destination)"
    ");"
    "CREATE INDEX mounts_name ON mounts (name);",
};

#define N_MIGRATIONS ((int) (sizeof migrations / sizeof migrations[0]))

int
sk_db_schema_version (void)
{
  return N_MIGRATIONS;
}

sqlite3 *
sk_db_handle (sk_db *db)
{
  return db->h;
}

int
sk_db_error (sk_db *db, const char *what, sk_err **err)
{
  int code = sqlite3_extended_errcode (db->h);
  int errnum = (code & 0xff) == SQLITE_FULL ? ENOSPC : (code & 0xff) == SQLITE_BUSY ? EBUSY : 0;
  return sk_err_set (err, 0, "%s: %s (database `%s`)%s", what, sqlite3_errmsg (db->h), db->path,
                     errnum == EBUSY ? " (another skiff holds it)" : "");
}

int
sk_db_exec (sk_db *db, const char *sql, sk_err **err)
{
  if (sqlite3_exec (db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
    return sk_db_error (db, "database", err);
  return 0;
}

int
sk_db_begin (sk_db *db, sk_err **err)
{
  return sk_db_exec (db, "BEGIN IMMEDIATE", err);
}

int
sk_db_commit (sk_db *db, sk_err **err)
{
  if (sk_db_exec (db, "COMMIT", err) < 0) {
    sk_db_rollback (db);
    return -1;
  }
  return 0;
}

void
sk_db_rollback (sk_db *db)
{
  if (!sqlite3_get_autocommit (db->h))
    sqlite3_exec (db->h, "ROLLBACK", NULL, NULL, NULL);
}

sqlite3_stmt *
sk_db_prepare (sk_db *db, const char *sql, sk_err **err)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2 (db->h, sql, -1, &st, NULL) != SQLITE_OK) {
    sk_db_error (db, "database", err);
    return NULL;
  }
  return st;
}

static int
user_version (sk_db *db, int *out, sk_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (db, "PRAGMA user_version", err);
  if (st == NULL)
    return -1;
  if (sqlite3_step (st) != SQLITE_ROW)
    return sk_db_error (db, "database: schema version", err);
  *out = sqlite3_column_int (st, 0);
  return 0;
}

static int
migrate (sk_db *db, sk_err **err)
{
  if (sk_db_begin (db, err) < 0)
    return -1;
  int version = 0;
  if (user_version (db, &version, err) < 0) {
    sk_db_rollback (db);
    return -1;
  }
  if (version > N_MIGRATIONS) {
    sk_db_rollback (db);
    return sk_err_set (err, 0,
                       "database `%s` has schema version %d, newer than this skiff's %d: "
                       "use a newer skiff",
                       db->path, version, N_MIGRATIONS);
  }
  for (int v = version; v < N_MIGRATIONS; v++) {
    char pragma[64];
    snprintf (pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
    if (sk_db_exec (db, migrations[v], err) < 0 || sk_db_exec (db, pragma, err) < 0) {
      sk_db_rollback (db);
      return sk_err_wrap (err, "database: schema version %d", v + 1);
    }
  }
  return sk_db_commit (db, err);
}

/* Switching to WAL takes the database's exclusive lock, and SQLite gives up
 * at once (no busy handler) when another connection is opening it at the
 * same moment: two skiff commands started together on a new data root. */
static int
set_wal (sk_db *db, sk_err **err)
{
  for (int tries = 0;; tries++) {
    int r = sqlite3_exec (db->h, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
    if (r == SQLITE_OK)
      return 0;
    if ((r & 0xff) != SQLITE_BUSY || tries >= 3000)
      return sk_db_error (db, "database", err);
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep (&ts, NULL);
  }
}

/* The WAL's pages after which a commit folds it into the database and
 * empties it. Each skiff command is a new connection, and the first one to
 * open the database rebuilds the WAL's index by reading all of it: a WAL
 * left to grow (SQLite's checkpoints never shrink it, and after such a
 * rebuild they copy every page again) made every command slower, 20 MB and
 * ~10 ms after a thousand `create`s. */
#define WAL_MAX_PAGES 128

static int
wal_hook (void *data, sqlite3 *h, const char *name, int pages)
{
  (void) data;
  if (pages < WAL_MAX_PAGES)
    return SQLITE_OK;
  /* without waiting: while another command reads, the next commit tries */
  sqlite3_busy_timeout (h, 0);
  sqlite3_wal_checkpoint_v2 (h, name, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
  sqlite3_busy_timeout (h, 30000);
  return SQLITE_OK;
}

int
sk_db_open (const char *path, sk_db **out, sk_err **err)
{
  sk_db *db = calloc (1, sizeof *db);
  if (db == NULL || (db->path = strdup (path)) == NULL) {
    free (db);
    return sk_err_set (err, ENOMEM, "database");
  }
  int r = sqlite3_open_v2 (path, &db->h,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (r != SQLITE_OK) {
    if (db->h)
      sk_db_error (db, "open", err);
    else
      sk_err_set (err, ENOMEM, "open database `%s`", path);
    sk_db_close (db);
    return -1;
  }
  sqlite3_busy_timeout (db->h, 30000);
  /* Each skiff command is a short connection. SQLite's last connection to
   * close checkpoints the WAL into the database and deletes it: two or three
   * fdatasyncs, 5 ms and more of every command. The WAL is kept instead and
   * checkpointed and emptied when it reaches WAL_MAX_PAGES (wal_hook, in
   * place of SQLite's automatic checkpoints), which changes nothing of what
   * a crash can leave. */
  int keep = 1;
  sqlite3_db_config (db->h, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
  sqlite3_file_control (db->h, "main", SQLITE_FCNTL_PERSIST_WAL, &keep);
  sqlite3_wal_hook (db->h, wal_hook, NULL);
  /* WAL: readers do not wait for a writer; NORMAL is durable in WAL mode
   * but for the last transactions before a power loss, never corrupt */
  if (set_wal (db, err) < 0 ||
      sk_db_exec (db, "PRAGMA synchronous = NORMAL", err) < 0 ||
      sk_db_exec (db, "PRAGMA foreign_keys = ON", err) < 0 || migrate (db, err) < 0) {
    sk_db_close (db);
    return -1;
  }
  *out = db;
  return 0;
}

void
sk_db_close (sk_db *db)
{
  if (db == NULL)
    return;
  sqlite3_close_v2 (db->h);
  free (db->path);
  free (db);
}
