/* skiff: the embedded DNS responder's view of the database.
 *
 * skiff-dns reads DATA_ROOT/skiff.db read-only (a WAL reader never blocks
 * the engine's writers) and keeps the user-defined networks and their
 * endpoints in memory (sk_dns_table), loaded again only when another
 * connection has committed since (PRAGMA data_version, a look at the WAL's
 * index in shared memory): so every answer is current without any signal
 * from the engine, and a query costs no SQL.
 */
#ifndef SKIFF_NETWORK_DNS_DB_H
#define SKIFF_NETWORK_DNS_DB_H

#include "network/dns.h"
#include "util/error.h"

typedef struct sk_dns_db sk_dns_db;

/* The database at path, read-only; an error when it is missing or not a
 * skiff database with networks. */
int sk_dns_db_open (const char *path, sk_dns_db **out, sk_err **err);
void sk_dns_db_close (sk_dns_db *d);

/* The current table (owned by d, valid until the next call). When the
 * database cannot be read (busy past the timeout), the last table read
 * stays, and the error is returned with it. */
int sk_dns_db_table (sk_dns_db *d, sk_dns_table **out, sk_err **err);

/* How many times the table was loaded (for tests and measurements). */
unsigned long sk_dns_db_loads (const sk_dns_db *d);

#endif
