/* skiff: container records in the database (see containers.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "containers.h"
#include "util/cleanup.h"

#define COLUMNS                                                                                    \
  "id, name, image, config, created, state, pid, shim_pid, exit_code, oom_killed, started_at, "    \
  "finished_at, restart_count, error, image_name, command"

void
sk_ctr_free (sk_ctr *c)
{
  if (c == NULL)
    return;
  free (c->id);
  free (c->name);
  free (c->image);
  free (c->config);
  free (c->state);
  free (c->error);
  free (c->image_name);
  free (c->command);
  free (c);
}

void
sk_ctr_list_free (sk_ctr **list)
{
  for (sk_ctr **p = list; p && *p; p++)
    sk_ctr_free (*p);
  free (list);
}

bool
sk_ctr_name_valid (const char *name)
{
  if (name[0] == '/')
    name++;
  size_t n = strlen (name);
  if (n < 2 || n > 255)
    return false;
  for (size_t i = 0; i < n; i++) {
    char ch = name[i];
    bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    if (!alnum && (i == 0 || (ch != '_' && ch != '.' && ch != '-')))
      return false;
  }
  return true;
}

static char *
text (sqlite3_stmt *st, int col)
{
  const unsigned char *s = sqlite3_column_text (st, col);
  return strdup (s ? (const char *) s : "");
}

static sk_ctr *
row (sqlite3_stmt *st)
{
  sk_ctr *c = calloc (1, sizeof *c);
  if (c == NULL)
    return NULL;
  c->id = text (st, 0);
  c->name = text (st, 1);
  c->image = text (st, 2);
  c->config = text (st, 3);
  c->created = sqlite3_column_int64 (st, 4);
  c->state = text (st, 5);
  c->pid = (pid_t) sqlite3_column_int64 (st, 6);
  c->shim_pid = (pid_t) sqlite3_column_int64 (st, 7);
  c->exit_code = sqlite3_column_int (st, 8);
  c->oom_killed = sqlite3_column_int (st, 9) != 0;
  c->started_at = sqlite3_column_int64 (st, 10);
  c->finished_at = sqlite3_column_int64 (st, 11);
  c->restart_count = sqlite3_column_int (st, 12);
  c->error = text (st, 13);
  c->image_name = text (st, 14);
  c->command = text (st, 15);
  if (!c->id || !c->name || !c->image || !c->config || !c->state || !c->error || !c->image_name ||
      !c->command) {
    sk_ctr_free (c);
    return NULL;
  }
  return c;
}

/* The id of the container that has a name, or NULL. */
static char *
name_owner (sk_db *db, const char *name)
{
  sk_err *ignored = NULL;
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (db, "SELECT id FROM containers WHERE name = ?",
                                                   &ignored);
  sk_err_free (&ignored);
  if (st == NULL)
    return NULL;
  sqlite3_bind_text (st, 1, name, -1, SQLITE_STATIC);
  return sqlite3_step (st) == SQLITE_ROW ? text (st, 0) : NULL;
}

int
sk_ctrs_insert (sk_db *db, const sk_ctr *c, sk_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
      db,
      "INSERT INTO containers (id, name, image, config, created, image_name, command) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)",
      err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, c->id, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 2, c->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 3, c->image, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 4, c->config, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (st, 5, c->created);
  sqlite3_bind_text (st, 6, c->image_name ? c->image_name : "", -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 7, c->command ? c->command : "", -1, SQLITE_STATIC);
  if (sqlite3_step (st) == SQLITE_DONE)
    return 0;
  if (sqlite3_extended_errcode (sk_db_handle (db)) == SQLITE_CONSTRAINT_UNIQUE) {
    _cleanup_free_ char *owner = name_owner (db, c->name);
    if (owner)
      return sk_err_kind (err, EEXIST,
                         "Conflict. The container name \"/%s\" is already in use by container "
                         "\"%s\". You have to remove (or rename) that container to be able to "
                         "reuse that name.",
                         c->name, owner);
  }
  return sk_db_error (db, "add the container", err);
}

/* Runs a query of COLUMNS with one text parameter (NULL: none); the rows. */
static int
query (sk_db *db, const char *sql, const char *arg, sk_ctr ***out, size_t *n, sk_err **err)
{
  *out = NULL;
  *n = 0;
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (db, sql, err);
  if (st == NULL)
    return -1;
  if (arg)
    sqlite3_bind_text (st, 1, arg, -1, SQLITE_STATIC);
  size_t alloc = 0;
  int r;
  while ((r = sqlite3_step (st)) == SQLITE_ROW) {
    if (*n + 2 > alloc) {
      size_t want = alloc ? alloc * 2 : 16;
      sk_ctr **grown = realloc (*out, want * sizeof **out);
      if (grown == NULL)
        break;
      *out = grown;
      alloc = want;
    }
    if (((*out)[*n] = row (st)) == NULL)
      break;
    (*out)[++*n] = NULL;
  }
  if (r != SQLITE_ROW && r != SQLITE_DONE) {
    sk_ctr_list_free (*out);
    *out = NULL;
    return sk_db_error (db, "read the containers", err);
  }
  if (r == SQLITE_ROW || (*out == NULL && (*out = calloc (1, sizeof **out)) == NULL)) {
    sk_ctr_list_free (*out);
    *out = NULL;
    return sk_err_set (err, ENOMEM, "read the containers");
  }
  return 0;
}

int
sk_ctrs_get (sk_db *db, const char *id, sk_ctr **out, sk_err **err)
{
  *out = NULL;
  sk_ctr **list = NULL;
  size_t n;
  if (query (db, "SELECT " COLUMNS " FROM containers WHERE id = ?", id, &list, &n, err) < 0)
    return -1;
  if (n)
    *out = steal_ptr (list[0]);
  sk_ctr_list_free (list);
  return 0;
}

int
sk_ctrs_list (sk_db *db, sk_ctr ***out, sk_err **err)
{
  size_t n;
  return query (db, "SELECT " COLUMNS " FROM containers ORDER BY created DESC, id", NULL, out, &n,
                err);
}

static bool
is_hex (const char *s)
{
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
      return false;
  return true;
}

int
sk_ctrs_resolve (sk_db *db, const char *what, char **id, sk_err **err)
{
  *id = NULL;
  const char *name = what[0] == '/' ? what + 1 : what;
  if (*name == '\0')
    return sk_err_kind (err, ENOENT, "No such container: %s", what);
  /* a full id, then a name, then an id prefix (docker's order) */
  if (strlen (what) == 64 && is_hex (what)) {
    _cleanup_ctr_ sk_ctr *c = NULL;
    if (sk_ctrs_get (db, what, &c, err) < 0)
      return -1;
    if (c)
      return (*id = strdup (c->id)) ? 0 : sk_err_set (err, ENOMEM, "resolve");
  }
  if ((*id = name_owner (db, name)) != NULL)
    return 0;
  if (is_hex (what)) {
    _cleanup_free_ char *pattern = NULL;
    if (asprintf (&pattern, "%s*", what) < 0)
      return sk_err_set (err, ENOMEM, "resolve");
    sk_ctr **list = NULL;
    size_t n;
    if (query (db, "SELECT " COLUMNS " FROM containers WHERE id GLOB ? LIMIT 2", pattern, &list, &n,
               err) < 0)
      return -1;
    if (n == 1)
      *id = steal_ptr (list[0]->id);
    sk_ctr_list_free (list);
    if (n > 1)
      return sk_err_set (err, 0, "multiple IDs found with provided prefix: %s", what);
    if (*id)
      return 0;
  }
  return sk_err_kind (err, ENOENT, "No such container: %s", what);
}

int
sk_ctrs_update (sk_db *db, const sk_ctr *c, sk_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
      db,
      /* a record being removed stays so: a reader that found it running
       * before does not make it exited again under the removal */
      "UPDATE containers SET state = ?1, pid = ?2, shim_pid = ?3, exit_code = ?4, oom_killed = ?5, "
      "started_at = ?6, finished_at = ?7, restart_count = ?8, error = ?9 WHERE id = ?10 "
      "AND (state != 'removing' OR ?1 = 'removing')",
      err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, c->state, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (st, 2, c->pid);
  sqlite3_bind_int64 (st, 3, c->shim_pid);
  sqlite3_bind_int (st, 4, c->exit_code);
  sqlite3_bind_int (st, 5, c->oom_killed);
  sqlite3_bind_int64 (st, 6, c->started_at);
  sqlite3_bind_int64 (st, 7, c->finished_at);
  sqlite3_bind_int (st, 8, c->restart_count);
  sqlite3_bind_text (st, 9, c->error ? c->error : "", -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 10, c->id, -1, SQLITE_STATIC);
  if (sqlite3_step (st) != SQLITE_DONE)
    return sk_db_error (db, "update the container", err);
  return 0;
}

int
sk_ctrs_claim_removal (sk_db *db, const char *id, bool *claimed, sk_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
      db, "UPDATE containers SET state = 'removing' WHERE id = ? AND state != 'removing'", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, id, -1, SQLITE_STATIC);
  if (sqlite3_step (st) != SQLITE_DONE)
    return sk_db_error (db, "mark the container for removal", err);
  *claimed = sqlite3_changes (sk_db_handle (db)) == 1;
  return 0;
}

/* One statement on a container id, with an optional second text argument. */
static int
on_id (sk_db *db, const char *sql, const char *id, const char *arg, const char *what, sk_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (db, sql, err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, arg ? arg : id, -1, SQLITE_STATIC);
  if (arg)
    sqlite3_bind_text (st, 2, id, -1, SQLITE_STATIC);
  if (sqlite3_step (st) != SQLITE_DONE)
    return sk_db_error (db, what, err);
  return 0;
}

int
sk_ctrs_rename (sk_db *db, const char *id, const char *name, sk_err **err)
{
  if (on_id (db, "UPDATE containers SET name = ? WHERE id = ?", id, name, "rename", err) == 0)
    return 0;
  if (sqlite3_extended_errcode (sk_db_handle (db)) == SQLITE_CONSTRAINT_UNIQUE) {
    sk_err_free (err);
    _cleanup_free_ char *owner = name_owner (db, name);
    return sk_err_kind (err, EEXIST,
                       "Conflict. The container name \"/%s\" is already in use by container \"%s\". "
                       "You have to remove (or rename) that container to be able to reuse that name.",
                       name, owner ? owner : "?");
  }
  return -1;
}

int
sk_ctrs_set_config (sk_db *db, const char *id, const char *config, sk_err **err)
{
  return on_id (db, "UPDATE containers SET config = ? WHERE id = ?", id, config,
                "update the container's configuration", err);
}

int
sk_ctrs_delete (sk_db *db, const char *id, sk_err **err)
{
  return on_id (db, "DELETE FROM containers WHERE id = ?", id, NULL, "remove the container", err);
}

int
sk_ctrs_using_image (sk_db *db, const char *image, char ***ids, bool *running, sk_err **err)
{
  *ids = NULL;
  *running = false;
  sk_ctr **list = NULL;
  size_t n;
  if (query (db, "SELECT " COLUMNS " FROM containers WHERE image = ? ORDER BY state IN "
             "('running', 'paused', 'restarting') DESC, created", image, &list,
             &n, err) < 0)
    return -1;
  char **out = calloc (n + 1, sizeof *out);
  for (size_t i = 0; out && i < n; i++) {
    out[i] = steal_ptr (list[i]->id);
    *running |= strcmp (list[i]->state, "running") == 0 || strcmp (list[i]->state, "paused") == 0 ||
                strcmp (list[i]->state, "restarting") == 0;
  }
  sk_ctr_list_free (list);
  if (out == NULL)
    return sk_err_set (err, ENOMEM, "containers of an image");
  *ids = out;
  return 0;
}
