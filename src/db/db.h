/* skiff: the metadata database, DATA_ROOT/skiff.db (SQLite in WAL mode).
 *
 * One file holds what the engine knows (images, tags, layers; later
 * containers, volumes, networks), so that the CLI and the daemon can work on
 * the same host at once: SQLite's locking serialises writers, WAL lets
 * readers go on meanwhile. Every change of state is one transaction, so that
 * a kill -9 at any point leaves the last committed state.
 *
 * The schema is a list of migrations (db.c); PRAGMA user_version says how
 * many have been applied. A database newer than this build is refused.
 */
#ifndef SKIFF_DB_DB_H
#define SKIFF_DB_DB_H

#include <sqlite3.h>

#include "util/error.h"

typedef struct sk_db sk_db;

int sk_db_open (const char *path, sk_db **out, sk_err **err);
void sk_db_close (sk_db *db);
sqlite3 *sk_db_handle (sk_db *db);
/* The schema version of this build. */
int sk_db_schema_version (void);

/* Runs SQL with no result rows. */
int sk_db_exec (sk_db *db, const char *sql, sk_err **err);
/* BEGIN IMMEDIATE (the write lock at once, waiting for another writer up
 * to the busy timeout), COMMIT, ROLLBACK. */
int sk_db_begin (sk_db *db, sk_err **err);
int sk_db_commit (sk_db *db, sk_err **err);
void sk_db_rollback (sk_db *db);

/* A prepared statement, or an error naming the database's message. */
sqlite3_stmt *sk_db_prepare (sk_db *db, const char *sql, sk_err **err);
/* An error from the last failed call on db. */
int sk_db_error (sk_db *db, const char *what, sk_err **err);

static inline void
sk_db_finalizep (sqlite3_stmt **st)
{
  sqlite3_finalize (*st);
}
#define _cleanup_stmt_ __attribute__ ((cleanup (sk_db_finalizep)))

#endif
