/* skiff: the image service (see service.h): opening a data root, import,
 * looking images up. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "image/unpack.h"
#include "internal.h"
#include "oci/reference.h"
#include "service.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

/* A config or manifest is small; more is a broken or hostile blob. */
#define SMALL_BLOB_MAX (4u << 20)

int
sk_image_service_open (const char *root, const char *driver, sk_image_service **out, sk_err **err)
{
  sk_image_service *s = calloc (1, sizeof *s);
  if (s == NULL || (s->root = strdup (root)) == NULL) {
    free (s);
    return sk_err_set (err, ENOMEM, "image service");
  }
  s->gc_lock = -1;
  _cleanup_free_ char *dbpath = sk_path_join (root, "skiff.db");
  if (dbpath == NULL) {
    sk_image_service_free (s);
    return sk_err_set (err, ENOMEM, "image service");
  }
  _cleanup_free_ char *lockpath = sk_path_join (root, "gc.lock");
  if (lockpath == NULL || sk_mkdir_p (root, 0700, err) < 0 ||
      sk_storage_open (root, driver, &s->storage, err) < 0 ||
      sk_store_open (root, &s->store, err) < 0 || sk_db_open (dbpath, &s->db, err) < 0 ||
      (s->gc_lock = open (lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
    if (s->gc_lock < 0 && err && *err == NULL)
      sk_err_set (err, errno, "open `%s`", lockpath ? lockpath : "gc.lock");
    sk_image_service_free (s);
    return sk_err_wrap (err, "data root `%s`", root);
  }
  *out = s;
  return 0;
}

void
sk_image_service_free (sk_image_service *s)
{
  if (s == NULL)
    return;
  if (s->gc_lock >= 0)
    close (s->gc_lock);
  sk_db_close (s->db);
  sk_storage_free (s->storage);
  sk_store_free (s->store);
  free (s->root);
  free (s);
}

/* ---- --change: Dockerfile instructions applied to the config ---- */

/* CMD ["a", "b"] (exec form) or CMD a b (shell form, run by /bin/sh -c) */
static int
command_form (const char *instr, const char *arg, sk_json **out, sk_err **err)
{
  while (*arg == ' ' || *arg == '\t')
    arg++;
  if (*arg == '[') {
    sk_json *a = NULL;
    if (sk_json_parse (arg, strlen (arg), instr, &a, err) < 0)
      return -1;
    bool ok = json_object_is_type (a, json_type_array);
    for (size_t i = 0; ok && i < json_object_array_length (a); i++)
      ok = json_object_is_type (json_object_array_get_idx (a, i), json_type_string);
    if (!ok) {
      json_object_put (a);
      return sk_err_set (err, 0, "--change %s: the exec form is a JSON array of strings", instr);
    }
    *out = a;
    return 0;
  }
  sk_json *a = json_object_new_array ();
  json_object_array_add (a, json_object_new_string ("/bin/sh"));
  json_object_array_add (a, json_object_new_string ("-c"));
  json_object_array_add (a, json_object_new_string (arg));
  *out = a;
  return 0;
}

static sk_json *
member_object (sk_json *obj, const char *key)
{
  sk_json *m = NULL;
  if (!json_object_object_get_ex (obj, key, &m) || !json_object_is_type (m, json_type_object)) {
    m = json_object_new_object ();
    json_object_object_add (obj, key, m);
  }
  return m;
}

static sk_json *
member_array (sk_json *obj, const char *key)
{
  sk_json *m = NULL;
  if (!json_object_object_get_ex (obj, key, &m) || !json_object_is_type (m, json_type_array)) {
    m = json_object_new_array ();
    json_object_object_add (obj, key, m);
  }
  return m;
}

/* words of arg, split at blanks */
static int
for_each_word (const char *arg, int (*fn) (const char *w, size_t n, void *d), void *d)
{
  for (const char *p = arg; *p;) {
    while (*p == ' ' || *p == '\t')
      p++;
    size_t n = strcspn (p, " \t");
    if (n && fn (p, n, d) < 0)
      return -1;
    p += n;
  }
  return 0;
}

typedef struct {
  sk_json *cfg;
  const char *instr;
  sk_err **err;
} change_ctx;

static int
add_env (const char *w, size_t n, void *d)
{
  change_ctx *c = d;
  const char *eq = memchr (w, '=', n);
  if (eq == NULL || eq == w)
    return sk_err_set (c->err, 0, "--change ENV: `%.*s` is not NAME=VALUE", (int) n, w);
  sk_json *env = member_array (c->cfg, "Env");
  size_t klen = eq - w + 1;
  /* a variable set again replaces the old value */
  for (size_t i = 0; i < json_object_array_length (env); i++) {
    const char *e = json_object_get_string (json_object_array_get_idx (env, i));
    if (e && strncmp (e, w, klen) == 0) {
      json_object_array_put_idx (env, i, json_object_new_string_len (w, (int) n));
      return 0;
    }
  }
  json_object_array_add (env, json_object_new_string_len (w, (int) n));
  return 0;
}

static int
add_port (const char *w, size_t n, void *d)
{
  change_ctx *c = d;
  char port[32];
  if (n >= sizeof port - 4)
    return sk_err_set (c->err, 0, "--change EXPOSE: `%.*s` is not a port", (int) n, w);
  memcpy (port, w, n);
  port[n] = '\0';
  char *slash = strchr (port, '/');
  char *end = NULL;
  long num = strtol (port, &end, 10);
  if (end == port || num < 1 || num > 65535 || (*end && *end != '/') ||
      (slash && strcmp (slash, "/tcp") != 0 && strcmp (slash, "/udp") != 0 &&
       strcmp (slash, "/sctp") != 0))
    return sk_err_set (c->err, 0, "--change EXPOSE: `%s` is not PORT[/tcp|udp|sctp]", port);
  if (slash == NULL)
    strcat (port, "/tcp");
  json_object_object_add (member_object (c->cfg, "ExposedPorts"), port, json_object_new_object ());
  return 0;
}

static int
apply_change (sk_json *cfg, const char *change, const char *who, sk_err **err)
{
  while (*change == ' ')
    change++;
  size_t n = strcspn (change, " \t");
  char instr[16];
  if (n == 0 || n >= sizeof instr)
    return sk_err_set (err, 0, "--change `%.60s`: not a Dockerfile instruction", change);
  for (size_t i = 0; i < n; i++)
    instr[i] = (char) (change[i] >= 'a' && change[i] <= 'z' ? change[i] - 32 : change[i]);
  instr[n] = '\0';
  const char *arg = change + n;
  while (*arg == ' ' || *arg == '\t')
    arg++;
  if (*arg == '\0')
    return sk_err_set (err, 0, "--change %s: it needs an argument", instr);
  change_ctx c = {cfg, instr, err};
  if (strcmp (instr, "CMD") == 0 || strcmp (instr, "ENTRYPOINT") == 0) {
    sk_json *a = NULL;
    if (command_form (instr, arg, &a, err) < 0)
      return -1;
    json_object_object_add (cfg, strcmp (instr, "CMD") == 0 ? "Cmd" : "Entrypoint", a);
    return 0;
  }
  if (strcmp (instr, "ENV") == 0) {
    /* the old form "ENV NAME value with blanks" */
    size_t k = strcspn (arg, " \t=");
    if (arg[k] == ' ' || arg[k] == '\t') {
      _cleanup_free_ char *kv = NULL;
      const char *v = arg + k;
      while (*v == ' ' || *v == '\t')
        v++;
      if (asprintf (&kv, "%.*s=%s", (int) k, arg, v) < 0)
        return sk_err_set (err, ENOMEM, "--change");
      return add_env (kv, strlen (kv), &c);
    }
    return for_each_word (arg, add_env, &c);
  }
  if (strcmp (instr, "EXPOSE") == 0)
    return for_each_word (arg, add_port, &c);
  if (strcmp (instr, "WORKDIR") == 0) {
    if (*arg != '/')
      return sk_err_set (err, 0, "--change WORKDIR: `%s` is not an absolute path", arg);
    json_object_object_add (cfg, "WorkingDir", json_object_new_string (arg));
    return 0;
  }
  if (strcmp (instr, "USER") == 0) {
    json_object_object_add (cfg, "User", json_object_new_string (arg));
    return 0;
  }
  if (strcmp (instr, "VOLUME") == 0) {
    if (*arg != '/')
      return sk_err_set (err, 0, "--change VOLUME: `%s` is not an absolute path", arg);
    json_object_object_add (member_object (cfg, "Volumes"), arg, json_object_new_object ());
    return 0;
  }
  if (strcmp (instr, "LABEL") == 0) {
    const char *eq = strchr (arg, '=');
    if (eq == NULL || eq == arg)
      return sk_err_set (err, 0, "--change LABEL: `%s` is not KEY=VALUE", arg);
    _cleanup_free_ char *key = strndup (arg, eq - arg);
    json_object_object_add (member_object (cfg, "Labels"), key, json_object_new_string (eq + 1));
    return 0;
  }
  if (strcmp (instr, "STOPSIGNAL") == 0) {
    json_object_object_add (cfg, "StopSignal", json_object_new_string (arg));
    return 0;
  }
  if (strcmp (instr, "ONBUILD") == 0) {
    json_object_array_add (member_array (cfg, "OnBuild"), json_object_new_string (arg));
    return 0;
  }
  return sk_err_set (err, 0,
                     "--change %s: not an instruction %s takes (CMD, ENTRYPOINT, ENV, "
                     "EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)",
                     instr, who);
}

int
sk_image_apply_changes (sk_json *cfg, const char *const *changes, const char *who, sk_err **err)
{
  for (const char *const *c = changes; c && *c; c++)
    if (apply_change (cfg, *c, who, err) < 0)
      return -1;
  return 0;
}

/* ---- import ---- */

/* RFC 3339 with nanoseconds, as Go writes it: two imports of one tarball
 * are two images, as with docker */
const char *
sk_image_time_rfc3339 (const struct timespec *t, char buf[48])
{
  struct tm tm;
  char sec[32];
  gmtime_r (&t->tv_sec, &tm);
  strftime (sec, sizeof sec, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf, 48, "%s.%09ldZ", sec, t->tv_nsec);
  return buf;
}

/* Copies fd into the store; *compression from the first bytes. */
static int
ingest_stream (sk_store *store, int fd, sk_digest *d, int64_t *size, const char **media_type,
               sk_err **err)
{
  sk_blob_writer *w = NULL;
  if (sk_blob_writer_begin (store, NULL, -1, &w, err) < 0)
    return -1;
  char buf[65536];
  int64_t total = 0;
  unsigned char head[4] = {0};
  for (;;) {
    ssize_t n = read (fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      sk_blob_writer_abort (w, false);
      return sk_err_set (err, errno, "read the tarball");
    }
    if (n == 0)
      break;
    if (total < 4)
      memcpy (head + total, buf, (size_t) (4 - total < n ? 4 - total : n));
    if (sk_blob_write (w, buf, (size_t) n, err) < 0) {
      sk_blob_writer_abort (w, false);
      return -1;
    }
    total += n;
  }
  if (total == 0) {
    sk_blob_writer_abort (w, false);
    return sk_err_set (err, 0, "the tarball is empty");
  }
  if (head[0] == 0x1f && head[1] == 0x8b)
    *media_type = SK_MT_OCI_LAYER_GZIP;
  else if (head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd)
    *media_type = SK_MT_OCI_LAYER_ZSTD;
  else
    *media_type = SK_MT_OCI_LAYER;
  *size = total;
  return sk_blob_writer_commit (w, d, err);
}

/* Unpacks the stored blob as a base layer; *chain receives its id. */
static int
unpack_base_layer (sk_image_service *s, const sk_digest *blob, sk_digest *diff_id, uint64_t *size,
                   sk_err **err)
{
  _cleanup_close_ int fd = sk_store_open_blob (s->store, blob, err);
  if (fd < 0)
    return -1;
  char provisional[40];
  snprintf (provisional, sizeof provisional, "import%ld%ld", (long) getpid (), (long) time (NULL));
  sk_layer_writer *w = NULL;
  if (sk_storage_layer_begin (s->storage, provisional, NULL, &w, err) < 0)
    return -1;
  sk_unpack_opts opts = {.flat = !sk_storage_wants_overlay_whiteouts (s->storage),
                         .max_bytes = sk_image_unpack_limit (s)};
  sk_unpack_result res;
  if (sk_layer_unpack (sk_layer_writer_dirfd (w), fd, &opts, &res, err) < 0) {
    sk_layer_writer_abort (w);
    return sk_err_wrap (err, "the tarball");
  }
  *diff_id = res.diff_id;
  *size = res.size;
  char hex[SK_DIGEST_HEX_LEN + 1];
  sk_digest_hex (diff_id, hex);
  if (sk_storage_layer_exists (s->storage, hex)) {
    sk_layer_writer_abort (w); /* the same content is stored already */
    return 0;
  }
  if (sk_layer_writer_set_id (w, hex, err) < 0) {
    sk_layer_writer_abort (w);
    return -1;
  }
  return sk_layer_writer_commit (w, err);
}

static char *
import_config (const sk_import_opts *o, const sk_digest *diff_id, const struct timespec *now,
               sk_err **err)
{
  _cleanup_json_ sk_json *root = json_object_new_object ();
  const char *platform = sk_host_platform ();
  char ts[48], ds[SK_DIGEST_STR_SIZE];
  json_object_object_add (root, "architecture", json_object_new_string (strchr (platform, '/') + 1));
  json_object_object_add (root, "os", json_object_new_string ("linux"));
  json_object_object_add (root, "created", json_object_new_string (sk_image_time_rfc3339 (now, ts)));
  sk_json *cfg = json_object_new_object ();
  json_object_object_add (root, "config", cfg);
  if (sk_image_apply_changes (cfg, o->changes, "import", err) < 0)
    return NULL;
  sk_json *rootfs = json_object_new_object ();
  json_object_object_add (rootfs, "type", json_object_new_string ("layers"));
  sk_json *ids = json_object_new_array ();
  json_object_array_add (ids, json_object_new_string (sk_digest_format (diff_id, ds)));
  json_object_object_add (rootfs, "diff_ids", ids);
  json_object_object_add (root, "rootfs", rootfs);
  sk_json *hist = json_object_new_array (), *h = json_object_new_object ();
  _cleanup_free_ char *comment = NULL;
  if (o->message == NULL && asprintf (&comment, "Imported from %s", o->source ? o->source : "-") < 0)
    return NULL;
  json_object_object_add (h, "created", json_object_new_string (ts));
  json_object_object_add (h, "created_by", json_object_new_string ("skiff import"));
  json_object_object_add (h, "comment", json_object_new_string (o->message ? o->message : comment));
  json_object_array_add (hist, h);
  json_object_object_add (root, "history", hist);
  char *out = sk_json_dump (root, false);
  if (out == NULL)
    sk_err_set (err, ENOMEM, "image config");
  return out;
}

/* Removes a blob this operation stored, unless something else keeps it. */
void
sk_image_drop_blob (sk_image_service *s, const sk_digest *d)
{
  char ds[SK_DIGEST_STR_SIZE];
  if (sk_images_blob_in_use (s->db, sk_digest_format (d, ds)))
    return;
  sk_err *ignored = NULL;
  sk_store_delete_blob (s->store, d, &ignored);
  sk_err_free (&ignored);
}

int
sk_image_tag_name (const char *reference, const char *what, char **name, sk_err **err)
{
  sk_image_ref *ref = NULL;
  if (sk_image_ref_parse (reference, &ref, err) < 0)
    return -1;
  if (ref->digest) {
    sk_image_ref_free (ref);
    return sk_err_set (err, 0, "`%s`: %s is named by a tag, not a digest", reference, what);
  }
  *name = sk_image_ref_string (ref);
  sk_image_ref_free (ref);
  return *name ? 0 : sk_err_set (err, ENOMEM, "image name");
}

static int import_locked (sk_image_service *s, int fd, const sk_import_opts *o, char **id,
                          sk_err **err);

int
sk_image_import (sk_image_service *s, int fd, const sk_import_opts *o, char **id, sk_err **err)
{
  if (sk_image_lock_shared (s, err) < 0)
    return -1;
  int r = import_locked (s, fd, o, id, err);
  sk_image_unlock (s);
  return r;
}

static int
import_locked (sk_image_service *s, int fd, const sk_import_opts *o, char **id, sk_err **err)
{
  /* the name first: a bad one must not cost an import */
  _cleanup_free_ char *name = NULL;
  if (o->reference && sk_image_tag_name (o->reference, "an imported image", &name, err) < 0)
    return -1;
  struct timespec now;
  clock_gettime (CLOCK_REALTIME, &now);
  if (o->created)
    now = (struct timespec){.tv_sec = (time_t) o->created};
  /* the changes are checked before the tarball is read */
  sk_digest zero = {{0}};
  _cleanup_free_ char *probe = import_config (o, &zero, &now, err);
  if (probe == NULL)
    return -1;

  sk_digest blob, diff_id, config = {{0}}, manifest = {{0}}, chain;
  int64_t blob_size = 0;
  uint64_t size = 0;
  const char *layer_type = SK_MT_OCI_LAYER;
  if (ingest_stream (s->store, fd, &blob, &blob_size, &layer_type, err) < 0)
    return sk_err_wrap (err, "import");
  if (unpack_base_layer (s, &blob, &diff_id, &size, err) < 0) {
    sk_image_drop_blob (s, &blob);
    return sk_err_wrap (err, "import");
  }
  chain = diff_id;
  _cleanup_free_ char *cfg = import_config (o, &diff_id, &now, err);
  _cleanup_free_ char *man = NULL;
  int ret = cfg ? sk_store_put (s->store, cfg, strlen (cfg), &config, err) : -1;
  if (ret == 0) {
    sk_layer_src layer = {.blob = blob, .size = blob_size, .media_type = layer_type};
    const char *types[] = {layer_type};
    man = sk_image_oci_manifest (&config, strlen (cfg), &layer, types, 1);
    ret = man ? sk_store_put (s->store, man, strlen (man), &manifest, err)
              : sk_err_set (err, ENOMEM, "manifest");
  }
  char cs[SK_DIGEST_STR_SIZE], ds[SK_DIGEST_STR_SIZE], bs[SK_DIGEST_STR_SIZE],
      ms[SK_DIGEST_STR_SIZE], is[SK_DIGEST_STR_SIZE];
  sk_digest_format (&chain, cs);
  sk_digest_format (&diff_id, ds);
  sk_digest_format (&blob, bs);
  sk_digest_format (&manifest, ms);
  sk_digest_format (&config, is);
  if (ret == 0 && sk_db_begin (s->db, err) == 0) {
    const char *blobs[] = {is, ms}, *kinds[] = {"config", "manifest"};
    if (sk_images_add_layer (s->db, cs, ds, NULL, (int64_t) size, err) < 0 ||
        sk_images_add_layer_blob (s->db, cs, bs, layer_type, blob_size, err) < 0 ||
        sk_images_put (s->db, is, cs, (int64_t) now.tv_sec, (int64_t) size, blobs, kinds, 2, err) < 0 ||
        (name && sk_images_tag (s->db, name, is, err) < 0) || sk_db_commit (s->db, err) < 0) {
      sk_db_rollback (s->db);
      ret = -1;
    }
  } else {
    ret = -1;
  }
  if (ret < 0) {
    /* what only this import made goes again */
    char hex[SK_DIGEST_HEX_LEN + 1];
    if (!sk_images_has_layer (s->db, cs)) {
      sk_err *ignored = NULL;
      sk_storage_layer_remove (s->storage, sk_digest_hex (&chain, hex), &ignored);
      sk_err_free (&ignored);
    }
    sk_image_drop_blob (s, &blob);
    if (cfg)
      sk_image_drop_blob (s, &config);
    if (man)
      sk_image_drop_blob (s, &manifest);
    return sk_err_wrap (err, "import");
  }
  *id = strdup (is);
  return *id ? 0 : sk_err_set (err, ENOMEM, "import");
}

/* ---- removal and garbage collection ---- */

static int
lock_as (sk_image_service *s, int how, sk_err **err)
{
  while (flock (s->gc_lock, how) < 0)
    if (errno != EINTR)
      return sk_err_set (err, errno, "lock `%s/gc.lock`", s->root);
  return 0;
}

int
sk_image_lock_shared (sk_image_service *s, sk_err **err)
{
  return lock_as (s, LOCK_SH, err);
}

void
sk_image_unlock (sk_image_service *s)
{
  flock (s->gc_lock, LOCK_UN);
}

typedef struct {
  sk_image_service *s;
  int64_t reclaimed;
  int failed;
} blob_gc;

static int
collect_blob (const sk_digest *d, void *data)
{
  blob_gc *g = data;
  char ds[SK_DIGEST_STR_SIZE];
  if (sk_images_blob_in_use (g->s->db, sk_digest_format (d, ds)))
    return 0;
  _cleanup_free_ char *path = sk_store_blob_path (g->s->store, d);
  struct stat st;
  if (path && stat (path, &st) == 0)
    g->reclaimed += st.st_size;
  sk_err *e = NULL;
  if (sk_store_delete_blob (g->s->store, d, &e) < 0) {
    g->failed++;
    sk_err_free (&e);
  }
  return 0;
}

static int gc_locked (sk_image_service *s, void (*deleted) (const char *what, void *data),
                      void *data, int64_t *reclaimed, sk_err **err);

int
sk_image_gc (sk_image_service *s, void (*deleted) (const char *what, void *data), void *data,
             int64_t *reclaimed, sk_err **err)
{
  if (lock_as (s, LOCK_EX, err) < 0)
    return -1;
  int r = gc_locked (s, deleted, data, reclaimed, err);
  sk_image_unlock (s);
  return r;
}

static int
gc_locked (sk_image_service *s, void (*deleted) (const char *what, void *data), void *data,
           int64_t *reclaimed, sk_err **err)
{
  char **unused = NULL;
  if (sk_images_unused_layers (s->db, &unused, err) < 0)
    return -1;
  int ret = 0;
  for (char **p = unused; *p; p++) {
    sk_digest d;
    char hex[SK_DIGEST_HEX_LEN + 1];
    int64_t size = sk_images_layer_size (s->db, *p);
    if (ret == 0 && sk_digest_parse (*p, &d, err) == 0) {
      /* the files first: a record without files is repaired by a new pull,
       * files without a record are what nothing could find again */
      if (sk_storage_layer_remove (s->storage, sk_digest_hex (&d, hex), err) < 0 ||
          sk_images_remove_layer (s->db, *p, err) < 0)
        ret = -1;
      else {
        if (reclaimed)
          *reclaimed += size;
        if (deleted)
          deleted (*p, data);
      }
    }
    free (*p);
  }
  free (unused);
  if (ret < 0)
    return -1;
  blob_gc g = {.s = s};
  if (sk_store_walk (s->store, collect_blob, &g, err) < 0)
    return -1;
  if (reclaimed)
    *reclaimed += g.reclaimed;
  return 0;
}

int
sk_image_remove (sk_image_service *s, const char *id,
                 void (*deleted) (const char *what, void *data), void *data, int64_t *reclaimed,
                 sk_err **err)
{
  sk_image_info *info = NULL;
  if (sk_images_get (s->db, id, &info, err) < 0)
    return -1;
  sk_image_info_free (info);
  if (sk_images_remove (s->db, id, err) < 0)
    return -1;
  if (deleted)
    deleted (id, data);
  return sk_image_gc (s, deleted, data, reclaimed, err);
}

uint64_t
sk_image_unpack_limit (sk_image_service *s)
{
  struct statvfs st;
  _cleanup_free_ char *dir = sk_path_join (s->root, sk_storage_driver (s->storage));
  if (dir == NULL || statvfs (dir, &st) < 0)
    return 0; /* unknown: no limit */
  uint64_t avail = (uint64_t) st.f_bavail * st.f_frsize;
  uint64_t margin = avail / 20 > (64u << 20) ? avail / 20 : (64u << 20);
  /* 0 means no limit to the unpacker: keep at least one byte */
  return avail > margin ? avail - margin : 1;
}

/* ---- lookups ---- */

int
sk_image_lookup (sk_image_service *s, const char *what, char **id, sk_err **err)
{
  _cleanup_free_ char *name = NULL;
  sk_image_ref *ref = NULL;
  sk_err *parse_err = NULL;
  if (sk_image_ref_parse (what, &ref, &parse_err) == 0) {
    name = sk_image_ref_string (ref);
    sk_image_ref_free (ref);
  }
  int r = sk_images_resolve (s->db, name, what, id, err);
  if (r == 1 && parse_err && err && *err == NULL) {
    /* neither a name nor an id: why it is not a name */
    *err = steal_ptr (parse_err);
    return -1;
  }
  sk_err_free (&parse_err);
  if (r == 1)
    return sk_err_set (err, 0, "No such image: %s", what);
  return r;
}

int
sk_image_read_config (sk_image_service *s, const char *id, sk_image_config **out, char **raw,
                      sk_err **err)
{
  sk_digest d;
  if (sk_digest_parse (id, &d, err) < 0)
    return -1;
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  if (sk_store_read_blob (s->store, &d, SMALL_BLOB_MAX, &data, &len, err) < 0 ||
      sk_image_config_parse (data, len, out, err) < 0)
    return sk_err_wrap (err, "image %s", id);
  if (raw)
    *raw = steal_ptr (data);
  return 0;
}
