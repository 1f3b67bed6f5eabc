/* skiff: volumes and container mounts in the database (see volumes.h). */
#include "volume/volumes.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/json.h"
#include "util/strbuf.h"

#define VOL_COLUMNS "name, driver, labels, options, anonymous, copy_up, created"
#define MNT_COLUMNS "type, name, source, destination, mode, propagation, options, rw"

static char *
text (sqlite3_stmt *st, int col)
{
  const unsigned char *s = sqlite3_column_text (st, col);
  return strdup (s ? (const char *) s : "");
}

void
sk_volume_free (sk_volume *v)
{
  if (v == NULL)
    return;
  free (v->name);
  free (v->driver);
  free (v->labels);
  free (v->options);
  free (v);
}

void
sk_volume_list_free (sk_volume **list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    sk_volume_free (list[i]);
  free (list);
}

bool
sk_volume_name_valid (const char *name)
{
  if (!isalnum ((unsigned char) name[0]) || name[1] == '\0')
    return false;
  for (const char *p = name + 1; *p; p++)
    if (!isalnum ((unsigned char) *p) && !strchr ("_.-", *p))
      return false;
  return true;
}

int
sk_volume_options_check (const char *options_json, sk_err **err)
{
  _cleanup_json_ sk_json *o = NULL;
  if (sk_json_parse (options_json, strlen (options_json), "volume options", &o, err) < 0)
    return -1;
  bool type = false, other = false;
  json_object_object_foreach (o, key, val)
  {
    (void) val;
    if (strcmp (key, "type") && strcmp (key, "device") && strcmp (key, "o"))
      return sk_err_kind (err, EINVAL, "invalid option key: \"%s\"", key);
    if (strcmp (key, "type") == 0)
      type = true;
    else
      other = true;
  }
  if (other && !type)
    return sk_err_kind (err, EINVAL, "missing required option: \"type\"");
  return 0;
}

static sk_volume *
volume_row (sqlite3_stmt *st)
{
  sk_volume *v = calloc (1, sizeof *v);
  if (v == NULL)
    return NULL;
  v->name = text (st, 0);
  v->driver = text (st, 1);
  v->labels = text (st, 2);
  v->options = text (st, 3);
  v->anonymous = sqlite3_column_int (st, 4) != 0;
  v->copy_up = sqlite3_column_int (st, 5) != 0;
  v->created = sqlite3_column_int64 (st, 6);
  if (!v->name || !v->driver || !v->labels || !v->options) {
    sk_volume_free (v);
    return NULL;
  }
  return v;
}

int
sk_volumes_get (sk_db *db, const char *name, sk_volume **out, sk_err **err)
{
  *out = NULL;
  _cleanup_stmt_ sqlite3_stmt *st =
      sk_db_prepare (db, "SELECT " VOL_COLUMNS " FROM volumes WHERE name = ?", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, name, -1, SQLITE_STATIC);
  int rc = sqlite3_step (st);
  if (rc == SQLITE_DONE)
    return 0;
  if (rc != SQLITE_ROW)
    return sk_db_error (db, "volume", err);
  *out = volume_row (st);
  return *out ? 0 : sk_err_set (err, ENOMEM, "volume");
}

int
sk_volumes_list (sk_db *db, sk_volume ***out, size_t *n, sk_err **err)
{
  *out = NULL;
  *n = 0;
  _cleanup_stmt_ sqlite3_stmt *st =
      sk_db_prepare (db, "SELECT " VOL_COLUMNS " FROM volumes ORDER BY name", err);
  if (st == NULL)
    return -1;
  size_t cap = 0;
  int rc;
  while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
    if (*n == cap) {
      cap = cap ? cap * 2 : 16;
      sk_volume **grown = realloc (*out, cap * sizeof **out);
      if (grown == NULL)
        break;
      *out = grown;
    }
    if (((*out)[*n] = volume_row (st)) == NULL)
      break;
    (*n)++;
  }
  if (rc != SQLITE_DONE) {
    sk_volume_list_free (*out, *n);
    *out = NULL;
    *n = 0;
    return rc == SQLITE_ROW ? sk_err_set (err, ENOMEM, "volumes") : sk_db_error (db, "volumes", err);
  }
  return 0;
}

int
sk_volumes_insert (sk_db *db, const sk_volume *v, sk_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
      db, "INSERT INTO volumes (" VOL_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?)", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, v->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 2, v->driver ? v->driver : "local", -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 3, v->labels ? v->labels : "{}", -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 4, v->options ? v->options : "{}", -1, SQLITE_STATIC);
  sqlite3_bind_int (st, 5, v->anonymous);
  sqlite3_bind_int (st, 6, v->copy_up);
  sqlite3_bind_int64 (st, 7, v->created);
  int rc = sqlite3_step (st);
  if (rc == SQLITE_CONSTRAINT)
    return sk_err_kind (err, EEXIST, "volume %s exists already", v->name);
  return rc == SQLITE_DONE ? 0 : sk_db_error (db, "add volume", err);
}

int
sk_volumes_users (sk_db *db, const char *name, char ***ids, sk_err **err)
{
  *ids = NULL;
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
      db, "SELECT DISTINCT container FROM mounts WHERE name = ? AND type = 'volume' ORDER BY 1",
      err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, name, -1, SQLITE_STATIC);
  size_t n = 0;
  char **list = calloc (1, sizeof *list);
  int rc;
  while (list && (rc = sqlite3_step (st)) == SQLITE_ROW) {
    char **grown = realloc (list, (n + 2) * sizeof *list);
    if (grown == NULL)
      break;
    list = grown;
    list[n++] = text (st, 0);
    list[n] = NULL;
  }
  if (list == NULL || rc != SQLITE_DONE) {
    for (size_t i = 0; list && i < n; i++)
      free (list[i]);
    free (list);
    return list ? sk_db_error (db, "volume users", err) : sk_err_set (err, ENOMEM, "volume users");
  }
  *ids = list;
  return 0;
}

int
sk_volumes_delete (sk_db *db, const char *name, sk_err **err)
{
  char **users = NULL;
  if (sk_volumes_users (db, name, &users, err) < 0)
    return -1;
  if (users[0]) {
    sk_strbuf b = SK_STRBUF_INIT;
    for (char **u = users; *u; u++)
      sk_strbuf_printf (&b, "%s%s", u == users ? "" : " ", *u);
    sk_err_kind (err, EBUSY, "remove %s: volume is in use - [%s]", name, b.buf ? b.buf : "");
    sk_strbuf_release (&b);
    for (char **u = users; *u; u++)
      free (*u);
    free (users);
    return -1;
  }
  free (users);
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (db, "DELETE FROM volumes WHERE name = ?", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, name, -1, SQLITE_STATIC);
  int rc = sqlite3_step (st);
  if (rc == SQLITE_CONSTRAINT)
    return sk_err_kind (err, EBUSY, "remove %s: volume is in use", name);
  return rc == SQLITE_DONE ? 0 : sk_db_error (db, "remove volume", err);
}

int
sk_volumes_copied (sk_db *db, const char *name, sk_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st =
      sk_db_prepare (db, "UPDATE volumes SET copy_up = 0 WHERE name = ?", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, name, -1, SQLITE_STATIC);
  return sqlite3_step (st) == SQLITE_DONE ? 0 : sk_db_error (db, "volume", err);
}

/* ---- mounts ---- */

void
sk_mount_points_free (sk_mount_point *m, size_t n)
{
  for (size_t i = 0; m && i < n; i++) {
    free (m[i].type);
    free (m[i].name);
    free (m[i].source);
    free (m[i].destination);
    free (m[i].mode);
    free (m[i].propagation);
    free (m[i].options);
  }
  free (m);
}

char *
sk_volume_data_path (const char *data_root, const char *name)
{
  char *p = NULL;
  return asprintf (&p, "%s/volumes/%s/_data", data_root, name) < 0 ? NULL : p;
}

static size_t
depth (const char *path)
{
  size_t d = 0;
  for (const char *p = path; *p; p++)
    d += *p == '/' && p[1] != '\0';
  return d;
}

/* Shallower destinations first, keeping the given order among equals (a
 * stable insertion sort: a container has a handful of mounts). */
static void
sort_by_depth (sk_mount_point *m, size_t n)
{
  for (size_t i = 1; i < n; i++) {
    sk_mount_point cur = m[i];
    size_t d = depth (cur.destination), j = i;
    for (; j > 0 && depth (m[j - 1].destination) > d; j--)
      m[j] = m[j - 1];
    m[j] = cur;
  }
}

/* A volume whose driver options name a filesystem has no directory on the
 * host: it is mounted into the container itself. */
static bool
volume_has_type (sk_db *db, const char *name)
{
  sk_volume *v = NULL;
  sk_err *ignored = NULL;
  bool typed = false;
  if (sk_volumes_get (db, name, &v, &ignored) == 0 && v)
    typed = strstr (v->options, "\"type\"") != NULL;
  sk_err_free (&ignored);
  sk_volume_free (v);
  return typed;
}

int
sk_mounts_of (sk_db *db, const char *data_root, const char *container, sk_mount_point **out,
              size_t *n, sk_err **err)
{
  *out = NULL;
  *n = 0;
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
      db, "SELECT " MNT_COLUMNS " FROM mounts WHERE container = ? ORDER BY position", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, container, -1, SQLITE_STATIC);
  sk_mount_point *list = NULL;
  size_t len = 0;
  int rc;
  while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
    sk_mount_point *grown = realloc (list, (len + 1) * sizeof *list);
    if (grown == NULL)
      break;
    list = grown;
    sk_mount_point *m = &list[len++];
    memset (m, 0, sizeof *m);
    m->type = text (st, 0);
    m->name = sqlite3_column_type (st, 1) == SQLITE_NULL ? NULL : text (st, 1);
    m->source = sqlite3_column_type (st, 2) == SQLITE_NULL ? NULL : text (st, 2);
    m->destination = text (st, 3);
    m->mode = text (st, 4);
    m->propagation = text (st, 5);
    m->options = text (st, 6);
    m->rw = sqlite3_column_int (st, 7) != 0;
    if (!m->type || !m->destination || !m->mode || !m->propagation || !m->options) {
      rc = SQLITE_NOMEM;
      break;
    }
  }
  if (rc != SQLITE_DONE) {
    sk_mount_points_free (list, len);
    return rc == SQLITE_ROW || rc == SQLITE_NOMEM ? sk_err_set (err, ENOMEM, "mounts")
                                                  : sk_db_error (db, "mounts", err);
  }
  for (size_t i = 0; i < len; i++)
    if (list[i].name && strcmp (list[i].type, "volume") == 0 && list[i].source == NULL &&
        !volume_has_type (db, list[i].name) &&
        (list[i].source = sk_volume_data_path (data_root, list[i].name)) == NULL) {
      sk_mount_points_free (list, len);
      return sk_err_set (err, ENOMEM, "mounts");
    }
  sort_by_depth (list, len);
  *out = list;
  *n = len;
  return 0;
}

int
sk_mounts_insert (sk_db *db, const char *container, const sk_mount_point *m, size_t n,
                  sk_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
      db,
      "INSERT INTO mounts (container, position, " MNT_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      err);
  if (st == NULL)
    return -1;
  for (size_t i = 0; i < n; i++) {
    sqlite3_reset (st);
    sqlite3_bind_text (st, 1, container, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 2, (sqlite3_int64) i);
    sqlite3_bind_text (st, 3, m[i].type, -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 4, m[i].name, -1, SQLITE_STATIC);
    bool volume = strcmp (m[i].type, "volume") == 0;
    sqlite3_bind_text (st, 5, volume ? NULL : m[i].source, -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 6, m[i].destination, -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 7, m[i].mode ? m[i].mode : "", -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 8, m[i].propagation ? m[i].propagation : "", -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 9, m[i].options ? m[i].options : "{}", -1, SQLITE_STATIC);
    sqlite3_bind_int (st, 10, m[i].rw);
    int rc = sqlite3_step (st);
    if (rc == SQLITE_CONSTRAINT)
      return sk_err_kind (err, EEXIST, "Duplicate mount point: %s", m[i].destination);
    if (rc != SQLITE_DONE)
      return sk_db_error (db, "add mount", err);
  }
  return 0;
}
