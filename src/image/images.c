/* skiff: image metadata in the database (see images.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "images.h"
#include "util/cleanup.h"

void
sk_image_info_free (sk_image_info *i)
{
  if (i == NULL)
    return;
  free (i->id);
  free (i->top_layer);
  for (char **p = i->tags; p && *p; p++)
    free (*p);
  free (i->tags);
  for (char **p = i->repo_digests; p && *p; p++)
    free (*p);
  free (i->repo_digests);
  free (i);
}

void
sk_image_info_list_free (sk_image_info **list)
{
  for (sk_image_info **p = list; p && *p; p++)
    sk_image_info_free (*p);
  free (list);
}

static char *
column_dup (sqlite3_stmt *st, int col)
{
  const unsigned char *s = sqlite3_column_text (st, col);
  return s ? strdup ((const char *) s) : NULL;
}

/* Binds the text arguments (NULL binds SQL NULL) and steps to the end. */
static int
run (sk_db *db, const char *sql, int n, const char *const *args, const char *what, sk_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (db, sql, err);
  if (st == NULL)
    return -1;
  for (int i = 0; i < n; i++)
    sqlite3_bind_text (st, i + 1, args[i], -1, SQLITE_STATIC);
  int r;
  while ((r = sqlite3_step (st)) == SQLITE_ROW)
    ;
  if (r != SQLITE_DONE)
    return sk_db_error (db, what, err);
  return 0;
}

/* The first column of every row, as a NULL-terminated array. */
static int
column_list (sk_db *db, sqlite3_stmt *st, char ***out, const char *what, sk_err **err)
{
  size_t n = 0, alloc = 8;
  char **v = calloc (alloc, sizeof *v);
  if (v == NULL)
    return sk_err_set (err, ENOMEM, "%s", what);
  int r;
  while ((r = sqlite3_step (st)) == SQLITE_ROW) {
    if (n + 1 >= alloc) {
      char **nv = realloc (v, (alloc *= 2) * sizeof *v);
      if (nv == NULL)
        break;
      v = nv;
    }
    if ((v[n] = column_dup (st, 0)) == NULL)
      break;
    v[++n] = NULL;
  }
  if (r != SQLITE_DONE) {
    for (size_t i = 0; i < n; i++)
      free (v[i]);
    free (v);
    return r == SQLITE_ROW ? sk_err_set (err, ENOMEM, "%s", what) : sk_db_error (db, what, err);
  }
  *out = v;
  return 0;
}

int
sk_images_add_layer (sk_db *db, const char *chain_id, const char *diff_id, const char *parent,
                     int64_t size, sk_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
      db, "INSERT OR IGNORE INTO layers (chain_id, diff_id, parent, size) VALUES (?, ?, ?, ?)",
      err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, chain_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 2, diff_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 3, parent, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (st, 4, size);
  if (sqlite3_step (st) != SQLITE_DONE)
    return sk_db_error (db, "add a layer", err);
  return 0;
}

int
sk_images_add_layer_blob (sk_db *db, const char *chain_id, const char *digest,
                          const char *media_type, int64_t size, sk_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
      db,
      "INSERT OR IGNORE INTO layer_blobs (chain_id, digest, media_type, size) VALUES (?, ?, ?, ?)",
      err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, chain_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 2, digest, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 3, media_type, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (st, 4, size);
  if (sqlite3_step (st) != SQLITE_DONE)
    return sk_db_error (db, "add a layer's blob", err);
  return 0;
}

bool
sk_images_has_layer (sk_db *db, const char *chain_id)
{
  _cleanup_err_ sk_err *e = NULL;
  _cleanup_stmt_ sqlite3_stmt *st =
      sk_db_prepare (db, "SELECT 1 FROM layers WHERE chain_id = ?", &e);
  if (st == NULL)
    return false;
  sqlite3_bind_text (st, 1, chain_id, -1, SQLITE_STATIC);
  return sqlite3_step (st) == SQLITE_ROW;
}

int
sk_images_layer_stack (sk_db *db, const char *top, char ***out, sk_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st =
      sk_db_prepare (db,
                     "WITH RECURSIVE stack (id, depth) AS ("
                     "  SELECT chain_id, 0 FROM layers WHERE chain_id = ?"
                     "  UNION ALL SELECT l.parent, s.depth + 1 FROM layers l JOIN stack s"
                     "    ON l.chain_id = s.id WHERE l.parent IS NOT NULL)"
                     "SELECT id FROM stack ORDER BY depth",
                     err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, top, -1, SQLITE_STATIC);
  if (column_list (db, st, out, "layer stack", err) < 0)
    return -1;
  if ((*out)[0] == NULL) {
    free (*out);
    *out = NULL;
    return sk_err_set (err, 0, "layer %s is not known", top);
  }
  return 0;
}

int
sk_images_put (sk_db *db, const char *id, const char *top_layer, int64_t created, int64_t size,
               const char *const *blobs, const char *const *kinds, size_t n_blobs, sk_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
      db,
      "INSERT INTO images (id, top_layer, created, size, added) VALUES (?1, ?2, ?3, ?4, ?5)"
      " ON CONFLICT (id) DO UPDATE SET top_layer = ?2, created = ?3, size = ?4",
      err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 2, top_layer, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (st, 3, created);
  sqlite3_bind_int64 (st, 4, size);
  sqlite3_bind_int64 (st, 5, (int64_t) time (NULL));
  if (sqlite3_step (st) != SQLITE_DONE)
    return sk_db_error (db, "add an image", err);
  for (size_t i = 0; i < n_blobs; i++) {
    const char *args[] = {id, blobs[i], kinds[i]};
    if (run (db, "INSERT OR IGNORE INTO image_blobs (image, digest, kind) VALUES (?, ?, ?)", 3,
             args, "add an image's blob", err) < 0)
      return -1;
  }
  return 0;
}

int
sk_images_tag (sk_db *db, const char *name, const char *id, sk_err **err)
{
  const char *args[] = {name, id};
  return run (db,
              "INSERT INTO tags (name, image) VALUES (?1, ?2)"
              " ON CONFLICT (name) DO UPDATE SET image = ?2",
              2, args, "tag", err);
}

int
sk_images_untag (sk_db *db, const char *name, sk_err **err)
{
  const char *args[] = {name};
  if (strchr (name, '@'))
    return run (db, "DELETE FROM repo_digests WHERE name = ?", 1, args, "untag", err);
  return run (db, "DELETE FROM tags WHERE name = ?", 1, args, "untag", err);
}

int
sk_images_add_repo_digest (sk_db *db, const char *name, const char *id, sk_err **err)
{
  const char *args[] = {name, id};
  return run (db,
              "INSERT INTO repo_digests (name, image) VALUES (?1, ?2)"
              " ON CONFLICT (name) DO UPDATE SET image = ?2",
              2, args, "repo digest", err);
}

static bool
hex_prefix (const char *s)
{
  if (strncmp (s, "sha256:", 7) == 0)
    s += 7;
  size_t n = strlen (s);
  if (n == 0 || n > 64)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  return true;
}

int
sk_images_resolve (sk_db *db, const char *normalised_name, const char *as_typed, char **id,
                   sk_err **err)
{
  *id = NULL;
  if (normalised_name) {
    _cleanup_stmt_ sqlite3_stmt *st =
        sk_db_prepare (db,
                       "SELECT image FROM tags WHERE name = ?1"
                       " UNION ALL SELECT image FROM repo_digests WHERE name = ?1",
                       err);
    if (st == NULL)
      return -1;
    sqlite3_bind_text (st, 1, normalised_name, -1, SQLITE_STATIC);
    int r = sqlite3_step (st);
    if (r == SQLITE_ROW) {
      *id = column_dup (st, 0);
      return *id ? 0 : sk_err_set (err, ENOMEM, "resolve");
    }
    if (r != SQLITE_DONE)
      return sk_db_error (db, "resolve an image", err);
  }
  if (as_typed == NULL || !hex_prefix (as_typed))
    return 1;
  char pattern[80];
  snprintf (pattern, sizeof pattern, "sha256:%s%%",
            strncmp (as_typed, "sha256:", 7) == 0 ? as_typed + 7 : as_typed);
  _cleanup_stmt_ sqlite3_stmt *st =
      sk_db_prepare (db, "SELECT id FROM images WHERE id LIKE ? LIMIT 2", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, pattern, -1, SQLITE_STATIC);
  int r = sqlite3_step (st);
  if (r == SQLITE_DONE)
    return 1;
  if (r != SQLITE_ROW)
    return sk_db_error (db, "resolve an image", err);
  _cleanup_free_ char *first = column_dup (st, 0);
  r = sqlite3_step (st);
  if (r == SQLITE_ROW)
    return sk_err_set (err, 0, "`%s` is the start of the ids of several images: give more of it",
                       as_typed);
  if (r != SQLITE_DONE)
    return sk_db_error (db, "resolve an image", err);
  if (first == NULL)
    return sk_err_set (err, ENOMEM, "resolve");
  *id = steal_ptr (first);
  return 0;
}

static int
names_of (sk_db *db, const char *table, const char *id, char ***out, sk_err **err)
{
  char sql[96];
  snprintf (sql, sizeof sql, "SELECT name FROM %s WHERE image = ? ORDER BY name", table);
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (db, sql, err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, id, -1, SQLITE_STATIC);
  return column_list (db, st, out, "image names", err);
}

static int
info_from_row (sk_db *db, sqlite3_stmt *st, sk_image_info **out, sk_err **err)
{
  sk_image_info *i = calloc (1, sizeof *i);
  if (i == NULL || (i->id = column_dup (st, 0)) == NULL) {
    free (i);
    return sk_err_set (err, ENOMEM, "image");
  }
  i->top_layer = column_dup (st, 1);
  i->created = sqlite3_column_int64 (st, 2);
  i->size = sqlite3_column_int64 (st, 3);
  i->added = sqlite3_column_int64 (st, 4);
  if (names_of (db, "tags", i->id, &i->tags, err) < 0 ||
      names_of (db, "repo_digests", i->id, &i->repo_digests, err) < 0) {
    sk_image_info_free (i);
    return -1;
  }
  *out = i;
  return 0;
}

int
sk_images_get (sk_db *db, const char *id, sk_image_info **out, sk_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
      db, "SELECT id, top_layer, created, size, added FROM images WHERE id = ?", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, id, -1, SQLITE_STATIC);
  int r = sqlite3_step (st);
  if (r == SQLITE_DONE)
    return sk_err_set (err, ENOENT, "no such image: %s", id);
  if (r != SQLITE_ROW)
    return sk_db_error (db, "image", err);
  return info_from_row (db, st, out, err);
}

int
sk_images_list (sk_db *db, sk_image_info ***out, sk_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
      db, "SELECT id, top_layer, created, size, added FROM images ORDER BY created DESC, id",
      err);
  if (st == NULL)
    return -1;
  size_t n = 0, alloc = 8;
  sk_image_info **v = calloc (alloc, sizeof *v);
  if (v == NULL)
    return sk_err_set (err, ENOMEM, "images");
  int r;
  while ((r = sqlite3_step (st)) == SQLITE_ROW) {
    if (n + 1 >= alloc) {
      sk_image_info **nv = realloc (v, (alloc *= 2) * sizeof *v);
      if (nv == NULL) {
        sk_image_info_list_free (v);
        return sk_err_set (err, ENOMEM, "images");
      }
      v = nv;
    }
    if (info_from_row (db, st, &v[n], err) < 0) {
      sk_image_info_list_free (v);
      return -1;
    }
    v[++n] = NULL;
  }
  if (r != SQLITE_DONE) {
    sk_image_info_list_free (v);
    return sk_db_error (db, "images", err);
  }
  *out = v;
  return 0;
}

int
sk_images_remove (sk_db *db, const char *id, sk_err **err)
{
  const char *args[] = {id};
  return run (db, "DELETE FROM images WHERE id = ?", 1, args, "remove an image", err);
}

int
sk_images_unused_layers (sk_db *db, char ***out, sk_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
      db,
      "WITH RECURSIVE used (id) AS ("
      "  SELECT top_layer FROM images WHERE top_layer IS NOT NULL"
      "  UNION SELECT l.parent FROM layers l JOIN used u ON l.chain_id = u.id"
      "    WHERE l.parent IS NOT NULL),"
      " depth (id, d) AS ("
      "  SELECT chain_id, 0 FROM layers WHERE parent IS NULL"
      "  UNION ALL SELECT l.chain_id, p.d + 1 FROM layers l JOIN depth p ON l.parent = p.id)"
      "SELECT id FROM depth WHERE id NOT IN (SELECT id FROM used) ORDER BY d DESC, id",
      err);
  if (st == NULL)
    return -1;
  return column_list (db, st, out, "unused layers", err);
}

int
sk_images_remove_layer (sk_db *db, const char *chain_id, sk_err **err)
{
  const char *args[] = {chain_id};
  return run (db, "DELETE FROM layers WHERE chain_id = ?", 1, args, "remove a layer", err);
}

bool
sk_images_blob_in_use (sk_db *db, const char *digest)
{
  _cleanup_err_ sk_err *e = NULL;
  _cleanup_stmt_ sqlite3_stmt *st =
      sk_db_prepare (db,
                     "SELECT 1 FROM image_blobs WHERE digest = ?1"
                     " UNION ALL SELECT 1 FROM layer_blobs WHERE digest = ?1 LIMIT 1",
                     &e);
  if (st == NULL)
    return true; /* when in doubt, keep it */
  sqlite3_bind_text (st, 1, digest, -1, SQLITE_STATIC);
  return sqlite3_step (st) != SQLITE_DONE;
}

int64_t
sk_images_layer_size (sk_db *db, const char *chain_id)
{
  _cleanup_err_ sk_err *e = NULL;
  _cleanup_stmt_ sqlite3_stmt *st =
      sk_db_prepare (db, "SELECT size FROM layers WHERE chain_id = ?", &e);
  if (st == NULL)
    return 0;
  sqlite3_bind_text (st, 1, chain_id, -1, SQLITE_STATIC);
  return sqlite3_step (st) == SQLITE_ROW ? sqlite3_column_int64 (st, 0) : 0;
}

int
sk_images_layer_blob (sk_db *db, const char *chain_id, char **digest, char **media_type,
                      int64_t *size, sk_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
      db, "SELECT digest, media_type, size FROM layer_blobs WHERE chain_id = ? LIMIT 1", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, chain_id, -1, SQLITE_STATIC);
  int r = sqlite3_step (st);
  if (r == SQLITE_DONE)
    return 1;
  if (r != SQLITE_ROW)
    return sk_db_error (db, "layer blob", err);
  *digest = column_dup (st, 0);
  *media_type = column_dup (st, 1);
  *size = sqlite3_column_int64 (st, 2);
  if (*digest == NULL || *media_type == NULL) {
    free (*digest);
    free (*media_type);
    return sk_err_set (err, ENOMEM, "layer blob");
  }
  return 0;
}

int
sk_images_image_blob (sk_db *db, const char *id, const char *kind, char **digest, sk_err **err)
{
  _cleanup_stmt_ sqlite3_stmt *st = sk_db_prepare (
      db, "SELECT digest FROM image_blobs WHERE image = ? AND kind = ? LIMIT 1", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text (st, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (st, 2, kind, -1, SQLITE_STATIC);
  int r = sqlite3_step (st);
  if (r == SQLITE_DONE)
    return 1;
  if (r != SQLITE_ROW)
    return sk_db_error (db, "image blob", err);
  *digest = column_dup (st, 0);
  return *digest ? 0 : sk_err_set (err, ENOMEM, "image blob");
}
