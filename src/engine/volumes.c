/* skiff: a container's volumes and other mounts (see engine.h and
 * internal.h; the records: volume/volumes.h).
 *
 * What a container mounts is decided once, at create, from Docker's four
 * ways of asking (HostConfig.Binds "SRC:DST[:MODE]", HostConfig.Mounts
 * objects, VolumesFrom, and Config.Volumes for anonymous volumes, the
 * image's VOLUMEs among them) and kept as rows of the mounts table, each
 * volume's row holding the volume. Start turns the rows into config.json
 * mounts; the runtime resolves each destination inside the rootfs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/proc.h"
#include "util/strbuf.h"

/* ---- planning at create ---- */

static const char *const propagations[] = {"private", "rprivate", "shared", "rshared",
                                           "slave",   "rslave"};

static bool
is_propagation (const char *s)
{
  for (size_t i = 0; i < SK_N_ELEMENTS (propagations); i++)
    if (strcmp (s, propagations[i]) == 0)
      return true;
  return false;
}

/* filepath.Clean of an absolute path: no "//", ".", "..", trailing "/". */
static char *
clean_path (const char *path)
{
  char *out = malloc (strlen (path) + 2);
  if (out == NULL)
    return NULL;
  size_t n = 0;
  const char *p = path;
  while (*p) {
    while (*p == '/')
      p++;
    const char *end = strchrnul (p, '/');
    size_t len = (size_t) (end - p);
    if (len == 0 || (len == 1 && p[0] == '.')) {
      /* nothing */
    } else if (len == 2 && p[0] == '.' && p[1] == '.') {
      while (n > 0 && out[--n] != '/')
        ;
    } else {
      out[n++] = '/';
      memcpy (out + n, p, len);
      n += len;
    }
    p = end;
  }
  if (n == 0)
    out[n++] = '/';
  out[n] = '\0';
  return out;
}

static void
point_clear (sk_mount_point *m)
{
  free (m->type);
  free (m->name);
  free (m->source);
  free (m->destination);
  free (m->mode);
  free (m->propagation);
  free (m->options);
  memset (m, 0, sizeof *m);
}

void
sk_engine_mounts_plan_clear (sk_mount_plan *p)
{
  sk_mount_points_free (p->m, p->n);
  p->m = NULL;
  p->n = 0;
}

static sk_mount_point *
find_dest (sk_mount_plan *p, const char *dest)
{
  for (size_t i = 0; i < p->n; i++)
    if (strcmp (p->m[i].destination, dest) == 0)
      return &p->m[i];
  return NULL;
}

/* Adds a mount point (its strings taken); a destination already there is
 * Docker's duplicate error unless replace (volumes-from and anonymous
 * volumes give way to what is asked for by name). */
static int
add_point (sk_mount_plan *p, sk_mount_point *m, bool keep_existing, sk_err **err)
{
  if (find_dest (p, m->destination)) {
    if (keep_existing) {
      point_clear (m);
      return 0;
    }
    sk_err_kind (err, EINVAL, "Duplicate mount point: %s", m->destination);
    point_clear (m);
    return -1;
  }
  sk_mount_point *grown = realloc (p->m, (p->n + 1) * sizeof *p->m);
  if (grown == NULL) {
    point_clear (m);
    return sk_err_set (err, ENOMEM, "mounts");
  }
  p->m = grown;
  p->m[p->n++] = *m;
  memset (m, 0, sizeof *m);
  return 0;
}

static int
check_target (const char *type, const char *target, const char *spec, sk_err **err)
{
  if (target[0] != '/') {
    if (spec)
      return sk_err_kind (err, EINVAL,
                         "invalid volume specification: '%s': invalid mount config for type "
                         "\"%s\": invalid mount path: '%s' mount path must be absolute",
                         spec, type, target);
    return sk_err_kind (err, EINVAL,
                       "invalid mount config for type \"%s\": invalid mount path: '%s' mount "
                       "path must be absolute",
                       type, target);
  }
  _cleanup_free_ char *clean = clean_path (target);
  if (clean && strcmp (clean, "/") == 0)
    return sk_err_kind (err, EINVAL, "invalid specification: destination can't be '/'");
  return 0;
}

static int
check_volume_name (const char *name, sk_err **err)
{
  if (!sk_volume_name_valid (name))
    return sk_err_kind (err, EINVAL,
                       "create %s: \"%s\" includes invalid characters for a local volume name, "
                       "only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass "
                       "a host directory, use absolute path",
                       name, name);
  return 0;
}

/* HostConfig.Binds: "SRC:DST[:MODE]", SRC a host path or a volume name,
 * MODE a comma-separated list of ro, rw, z, Z, nocopy and a propagation. */
static int
plan_bind (sk_mount_plan *p, const char *spec, sk_err **err)
{
  _cleanup_free_ char *copy = strdup (spec);
  if (copy == NULL)
    return sk_err_set (err, ENOMEM, "mounts");
  char *parts[4] = {0};
  size_t n = 0;
  for (char *s = copy, *save = NULL, *t; n < 4 && (t = strtok_r (s, ":", &save)); s = NULL)
    parts[n++] = t;
  if (n < 2 || n > 3)
    return sk_err_kind (err, EINVAL, "invalid volume specification: '%s'", spec);
  bool bind = parts[0][0] == '/';
  const char *type = bind ? "bind" : "volume";
  if (check_target (type, parts[1], spec, err) < 0)
    return -1;
  if (!bind && check_volume_name (parts[0], err) < 0)
    return -1;
  bool rw = true, nocopy = false;
  char propagation[16] = "";
  if (n == 3) {
    _cleanup_free_ char *modes = strdup (parts[2]);
    for (char *s = modes, *save = NULL, *m; modes && (m = strtok_r (s, ",", &save)); s = NULL) {
      if (strcmp (m, "ro") == 0 || strcmp (m, "rw") == 0)
        rw = m[1] == 'w';
      else if (strcmp (m, "z") == 0 || strcmp (m, "Z") == 0)
        ; /* SELinux relabelling: no SELinux here */
      else if (strcmp (m, "nocopy") == 0 && !bind)
        nocopy = true;
      else if (is_propagation (m) && bind)
        snprintf (propagation, sizeof propagation, "%s", m);
      else
        return sk_err_kind (err, EINVAL, "invalid mode: %s", parts[2]);
    }
  }
  sk_mount_point m = {.type = strdup (type),
                      .name = bind ? NULL : strdup (parts[0]),
                      .source = bind ? clean_path (parts[0]) : NULL,
                      .destination = clean_path (parts[1]),
                      .mode = strdup (n == 3 ? parts[2] : ""),
                      .propagation = strdup (*propagation ? propagation
                                                          : bind         ? "rprivate"
                                                                         : ""),
                      .options = strdup (nocopy ? "{\"nocopy\":true,\"create_source\":true}"
                                                : "{\"create_source\":true}"),
                      .rw = rw};
  if (!m.type || !m.destination || !m.mode || !m.propagation || !m.options ||
      (bind && !m.source) || (!bind && !m.name)) {
    point_clear (&m);
    return sk_err_set (err, ENOMEM, "mounts");
  }
  return add_point (p, &m, false, err);
}

static const char *
str_member (const sk_json *o, const char *key)
{
  sk_json *v = NULL;
  return json_object_object_get_ex (o, key, &v) && json_object_is_type (v, json_type_string)
             ? json_object_get_string (v)
             : NULL;
}

static bool
bool_member (const sk_json *o, const char *key)
{
  sk_json *v = NULL;
  return json_object_object_get_ex (o, key, &v) && json_object_get_boolean (v);
}

static sk_json *
obj_member (const sk_json *o, const char *key)
{
  sk_json *v = NULL;
  return json_object_object_get_ex (o, key, &v) && json_object_is_type (v, json_type_object) ? v
                                                                                             : NULL;
}

/* HostConfig.Mounts: Docker's Mount objects (Type, Source, Target,
 * ReadOnly, BindOptions, VolumeOptions, TmpfsOptions). */
static int
plan_mount (sk_mount_plan *p, const sk_json *o, sk_err **err)
{
  const char *type = str_member (o, "Type"), *src = str_member (o, "Source"),
             *target = str_member (o, "Target");
  if (type == NULL || (strcmp (type, "bind") && strcmp (type, "volume") && strcmp (type, "tmpfs")))
    return sk_err_kind (err, EINVAL, "invalid mount config: mount type unknown: \"%s\"",
                       type ? type : "");
  if (target == NULL || *target == '\0')
    return sk_err_kind (err, EINVAL, "invalid mount config for type \"%s\": field Target must not be empty",
                       type);
  if (check_target (type, target, NULL, err) < 0)
    return -1;
  if (src && *src == '\0')
    src = NULL;
  _cleanup_json_ sk_json *opts = json_object_new_object ();
  const char *propagation = "";
  if (strcmp (type, "bind") == 0) {
    if (src == NULL)
      return sk_err_kind (err, EINVAL,
                         "invalid mount config for type \"bind\": field Source must not be empty");
    if (src[0] != '/')
      return sk_err_kind (err, EINVAL,
                         "invalid mount config for type \"bind\": invalid mount path: '%s' mount "
                         "path must be absolute",
                         src);
    struct stat st;
    if (stat (src, &st) < 0)
      return sk_err_kind (err, EINVAL,
                         "invalid mount config for type \"bind\": bind source path does not "
                         "exist: %s",
                         src);
    sk_json *bo = obj_member (o, "BindOptions");
    propagation = bo && str_member (bo, "Propagation") ? str_member (bo, "Propagation") : "rprivate";
    if (!is_propagation (propagation))
      return sk_err_kind (err, EINVAL, "invalid propagation mode: %s", propagation);
    if (bo && bool_member (bo, "NonRecursive"))
      json_object_object_add (opts, "nonrecursive", json_object_new_boolean (1));
  } else if (strcmp (type, "volume") == 0) {
    if (src && check_volume_name (src, err) < 0)
      return -1;
    sk_json *vo = obj_member (o, "VolumeOptions"), *dc = vo ? obj_member (vo, "DriverConfig") : NULL;
    if (vo && str_member (vo, "Subpath"))
      return sk_err_kind (err, EINVAL, "invalid mount config for type \"volume\": volume-subpath is not supported");
    const char *driver = dc ? str_member (dc, "Name") : NULL;
    if (driver && *driver && strcmp (driver, "local") != 0)
      return sk_err_kind (err, EINVAL, "error looking up volume plugin %s: plugin \"%s\" not found",
                         driver, driver);
    if (vo && bool_member (vo, "NoCopy"))
      json_object_object_add (opts, "nocopy", json_object_new_boolean (1));
    sk_json *labels = vo ? obj_member (vo, "Labels") : NULL, *dopts = dc ? obj_member (dc, "Options") : NULL;
    if (labels)
      json_object_object_add (opts, "labels", json_object_get (labels));
    if (dopts) {
      _cleanup_free_ char *text = sk_json_dump (dopts, false);
      if (text && sk_volume_options_check (text, err) < 0)
        return -1;
      json_object_object_add (opts, "driver_options", json_object_get (dopts));
    }
  } else {
    if (src)
      return sk_err_kind (err, EINVAL,
                         "invalid mount config for type \"tmpfs\": field Source must not be specified");
    sk_json *to = obj_member (o, "TmpfsOptions"), *v = NULL;
    if (to && json_object_object_get_ex (to, "SizeBytes", &v) && json_object_get_int64 (v) > 0)
      json_object_object_add (opts, "size", json_object_new_int64 (json_object_get_int64 (v)));
    if (to && json_object_object_get_ex (to, "Mode", &v) && json_object_get_int64 (v) > 0)
      json_object_object_add (opts, "mode", json_object_new_int64 (json_object_get_int64 (v)));
  }
  bool volume = strcmp (type, "volume") == 0;
  sk_mount_point m = {.type = strdup (type),
                      .name = volume && src ? strdup (src) : NULL,
                      .source = strcmp (type, "bind") == 0 ? clean_path (src) : NULL,
                      .destination = clean_path (target),
                      .mode = strdup (""),
                      .propagation = strdup (propagation),
                      .options = sk_json_dump (opts, false),
                      .rw = !bool_member (o, "ReadOnly")};
  if (!m.type || !m.destination || !m.mode || !m.propagation || !m.options ||
      (volume && src && !m.name)) {
    point_clear (&m);
    return sk_err_set (err, ENOMEM, "mounts");
  }
  return add_point (p, &m, false, err);
}

static char *
dup_or_null (const char *s)
{
  return s ? strdup (s) : NULL;
}

/* VolumesFrom "NAME[:ro|rw]": the other container's binds and volumes. */
static int
plan_volumes_from (sk_engine *e, sk_mount_plan *p, const char *spec, sk_err **err)
{
  _cleanup_free_ char *copy = strdup (spec);
  if (copy == NULL)
    return sk_err_set (err, ENOMEM, "mounts");
  char *mode = strchr (copy, ':');
  if (mode)
    *mode++ = '\0';
  if (mode && strcmp (mode, "ro") && strcmp (mode, "rw"))
    return sk_err_kind (err, EINVAL, "invalid mode for volumes-from: %s", mode);
  _cleanup_free_ char *id = NULL;
  if (sk_engine_resolve (e, copy, &id, err) < 0)
    return -1;
  sk_mount_point *theirs = NULL;
  size_t n = 0;
  if (sk_mounts_of (e->db, e->data_root, id, &theirs, &n, err) < 0)
    return -1;
  int ret = 0;
  for (size_t i = 0; ret == 0 && i < n; i++) {
    if (strcmp (theirs[i].type, "tmpfs") == 0)
      continue;
    bool volume = strcmp (theirs[i].type, "volume") == 0;
    sk_mount_point m = {.type = strdup (theirs[i].type),
                        .name = dup_or_null (theirs[i].name),
                        .source = volume ? NULL : dup_or_null (theirs[i].source),
                        .destination = strdup (theirs[i].destination),
                        .mode = strdup (theirs[i].mode),
                        .propagation = strdup (theirs[i].propagation),
                        .options = strdup ("{\"nocopy\":true}"),
                        .rw = mode ? mode[1] == 'w' : theirs[i].rw};
    if (!m.type || !m.destination || !m.mode || !m.propagation || !m.options) {
      point_clear (&m);
      ret = sk_err_set (err, ENOMEM, "mounts");
    } else {
      ret = add_point (p, &m, true, err);
    }
  }
  sk_mount_points_free (theirs, n);
  return ret;
}

int
sk_engine_mounts_plan (sk_engine *e, const sk_json *config, sk_mount_plan *p, sk_err **err)
{
  p->m = NULL;
  p->n = 0;
  sk_json *hc = obj_member (config, "HostConfig"), *v = NULL;
  int ret = 0;
  if (hc && json_object_object_get_ex (hc, "Binds", &v) && json_object_is_type (v, json_type_array))
    for (size_t i = 0; ret == 0 && i < json_object_array_length (v); i++)
      ret = plan_bind (p, json_object_get_string (json_object_array_get_idx (v, i)), err);
  if (ret == 0 && hc && json_object_object_get_ex (hc, "Mounts", &v) &&
      json_object_is_type (v, json_type_array))
    for (size_t i = 0; ret == 0 && i < json_object_array_length (v); i++)
      ret = plan_mount (p, json_object_array_get_idx (v, i), err);
  if (ret == 0 && hc && json_object_object_get_ex (hc, "VolumesFrom", &v) &&
      json_object_is_type (v, json_type_array))
    for (size_t i = 0; ret == 0 && i < json_object_array_length (v); i++)
      ret = plan_volumes_from (e, p, json_object_get_string (json_object_array_get_idx (v, i)),
                               err);
  sk_json *vols = obj_member (config, "Volumes");
  if (ret == 0 && vols) {
    json_object_object_foreach (vols, dest, val)
    {
      (void) val;
      /* an image's path is taken inside the root, whatever its "..";
       * `-v PATH` was checked absolute by the client */
      _cleanup_free_ char *rooted = NULL;
      if (asprintf (&rooted, "/%s", dest) < 0) {
        ret = sk_err_set (err, ENOMEM, "mounts");
        break;
      }
      sk_mount_point m = {.type = strdup ("volume"),
                          .destination = clean_path (rooted),
                          .mode = strdup (""),
                          .propagation = strdup (""),
                          .options = strdup ("{}"),
                          .rw = true};
      if (!m.type || !m.destination || !m.mode || !m.propagation || !m.options) {
        point_clear (&m);
        ret = sk_err_set (err, ENOMEM, "mounts");
        break;
      }
      if (m.destination && strcmp (m.destination, "/") == 0) {
        point_clear (&m); /* VOLUME / would hide the whole root: Docker refuses it at build */
        continue;
      }
      if ((ret = add_point (p, &m, true, err)) < 0)
        break;
    }
  }
  if (ret < 0)
    sk_engine_mounts_plan_clear (p);
  return ret;
}

/* ---- volumes ---- */

static int
random_name (char out[65], sk_err **err)
{
  unsigned char bytes[32];
  if (getrandom (bytes, sizeof bytes, 0) != (ssize_t) sizeof bytes)
    return sk_err_set (err, errno, "getrandom");
  for (size_t i = 0; i < sizeof bytes; i++)
    sprintf (out + 2 * i, "%02x", bytes[i]);
  return 0;
}

/* DATA_ROOT/volumes/NAME/_data made (what a removal killed midway left
 * under that name is thrown away first when fresh). */
static int
make_volume_dir (sk_engine *e, const char *name, bool fresh, sk_err **err)
{
  _cleanup_free_ char *data = sk_volume_data_path (e->data_root, name);
  _cleanup_free_ char *top = NULL;
  if (data == NULL || asprintf (&top, "%s/volumes", e->data_root) < 0)
    return sk_err_set (err, ENOMEM, "volume");
  if (sk_mkdir_p (top, 0701, err) < 0)
    return -1;
  if (fresh) {
    _cleanup_close_ int dfd = open (top, O_PATH | O_DIRECTORY | O_CLOEXEC);
    sk_err *ignored = NULL;
    if (dfd >= 0 && faccessat (dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0 &&
        sk_remove_tree_at (dfd, name, &ignored) < 0)
      sk_err_free (&ignored);
  }
  return sk_mkdir_p (data, 0755, err);
}

static bool
has_type (const sk_volume *v)
{
  _cleanup_json_ sk_json *o = NULL;
  sk_err *ignored = NULL;
  bool typed = sk_json_parse (v->options, strlen (v->options), "options", &o, &ignored) == 0 &&
               str_member (o, "type") != NULL;
  sk_err_free (&ignored);
  return typed;
}

int
sk_engine_volume_get (sk_engine *e, const char *name, sk_volume **out, sk_err **err)
{
  if (sk_volumes_get (e->db, name, out, err) < 0)
    return -1;
  if (*out == NULL)
    return sk_err_kind (err, ENOENT, "get %s: no such volume", name);
  return 0;
}

int
sk_engine_volume_list (sk_engine *e, sk_volume ***out, size_t *n, sk_err **err)
{
  return sk_volumes_list (e->db, out, n, err);
}

int
sk_engine_volume_create (sk_engine *e, const char *name, const char *labels, const char *options,
                         sk_volume **out, sk_err **err)
{
  *out = NULL;
  char made[65];
  if (name == NULL) {
    if (random_name (made, err) < 0)
      return -1;
    name = made;
  } else if (check_volume_name (name, err) < 0) {
    return -1;
  }
  if (options && sk_volume_options_check (options, err) < 0)
    return sk_err_wrap (err, "create %s", name);
  sk_volume v = {.name = (char *) name,
                 .driver = (char *) "local",
                 .labels = (char *) (labels ? labels : "{}"),
                 .options = (char *) (options ? options : "{}"),
                 .copy_up = true,
                 .created = sk_now_ns ()};
  if (sk_volumes_insert (e->db, &v, err) < 0) {
    if ((*err)->errnum != EEXIST)
      return -1;
    sk_err_free (err);
    return sk_engine_volume_get (e, name, out, err);
  }
  if (!has_type (&v) && make_volume_dir (e, name, true, err) < 0) {
    sk_err *ignored = NULL;
    sk_volumes_delete (e->db, name, &ignored);
    sk_err_free (&ignored);
    return -1;
  }
  return sk_engine_volume_get (e, name, out, err);
}

int
sk_engine_volume_refs (sk_engine *e, const char *name)
{
  char **ids = NULL;
  sk_err *ignored = NULL;
  if (sk_volumes_users (e->db, name, &ids, &ignored) < 0) {
    sk_err_free (&ignored);
    return -1;
  }
  int n = 0;
  for (char **i = ids; *i; i++, n++)
    free (*i);
  free (ids);
  return n;
}

int
sk_engine_volume_remove (sk_engine *e, const char *name, sk_err **err)
{
  sk_volume *v = NULL;
  if (sk_engine_volume_get (e, name, &v, err) < 0)
    return -1;
  sk_volume_free (v);
  if (sk_volumes_delete (e->db, name, err) < 0)
    return -1;
  _cleanup_free_ char *top = NULL;
  if (asprintf (&top, "%s/volumes", e->data_root) < 0)
    return sk_err_set (err, ENOMEM, "volume");
  _cleanup_close_ int dfd = open (top, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0 && faccessat (dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0 &&
      sk_remove_tree_at (dfd, name, err) < 0)
    return sk_err_wrap (err, "remove %s", name);
  return 0;
}

char *
sk_engine_volume_mountpoint (sk_engine *e, const sk_volume *v)
{
  return sk_volume_data_path (e->data_root, v->name);
}

int64_t
sk_engine_volume_size (sk_engine *e, const sk_volume *v)
{
  if (has_type (v))
    return 0;
  _cleanup_free_ char *path = sk_volume_data_path (e->data_root, v->name);
  return sk_engine_path_size (path);
}

int
sk_engine_mounts_attach (sk_engine *e, const char *id, sk_mount_plan *p, sk_err **err)
{
  if (p->n == 0)
    return 0;
  char **made = calloc (p->n + 1, sizeof *made);
  if (made == NULL)
    return sk_err_set (err, ENOMEM, "mounts");
  size_t n_made = 0;
  int ret = sk_db_begin (e->db, err);
  for (size_t i = 0; ret == 0 && i < p->n; i++) {
    sk_mount_point *m = &p->m[i];
    if (strcmp (m->type, "volume") != 0)
      continue;
    bool anonymous = m->name == NULL;
    char fresh[65];
    if (anonymous && (ret = random_name (fresh, err)) == 0 && (m->name = strdup (fresh)) == NULL)
      ret = sk_err_set (err, ENOMEM, "mounts");
    sk_volume *have = NULL;
    if (ret < 0 || (ret = sk_volumes_get (e->db, m->name, &have, err)) < 0)
      break;
    if (have) {
      sk_volume_free (have);
      continue;
    }
    _cleanup_json_ sk_json *o = NULL;
    _cleanup_free_ char *labels = NULL, *dopts = NULL;
    if (sk_json_parse (m->options, strlen (m->options), "mount options", &o, err) < 0) {
      ret = -1;
      break;
    }
    sk_json *l = obj_member (o, "labels"), *d = obj_member (o, "driver_options");
    labels = l ? sk_json_dump (l, false) : NULL;
    dopts = d ? sk_json_dump (d, false) : NULL;
    sk_volume v = {.name = m->name,
                   .driver = (char *) "local",
                   .labels = labels ? labels : (char *) "{}",
                   .options = dopts ? dopts : (char *) "{}",
                   .anonymous = anonymous,
                   .copy_up = true,
                   .created = sk_now_ns ()};
    if ((ret = sk_volumes_insert (e->db, &v, err)) < 0)
      break;
    if (!has_type (&v) && (made[n_made] = strdup (m->name)) != NULL)
      n_made++;
  }
  if (ret == 0)
    ret = sk_mounts_insert (e->db, id, p->m, p->n, err);
  if (ret == 0)
    ret = sk_db_commit (e->db, err);
  else
    sk_db_rollback (e->db);
  for (size_t i = 0; i < n_made; i++) {
    if (ret == 0 && make_volume_dir (e, made[i], true, err) < 0)
      ret = -1; /* the container is removed by the caller; the row stays, as after a crash */
    free (made[i]);
  }
  free (made);
  return ret;
}

int
sk_engine_container_mounts (sk_engine *e, const char *id, sk_mount_point **out, size_t *n,
                            sk_err **err)
{
  return sk_mounts_of (e->db, e->data_root, id, out, n, err);
}

/* ---- at start ---- */

static bool
dir_empty (int dfd)
{
  int fd = openat (dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return false;
  DIR *d = fdopendir (fd);
  if (d == NULL) {
    close (fd);
    return false;
  }
  bool empty = true;
  for (struct dirent *de; empty && (de = readdir (d));)
    empty = strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0;
  closedir (d);
  return empty;
}

/* Docker's copy-up: a volume new and empty is filled with what the image
 * has at its destination, with owners and modes (its own directory's
 * too). The image's path is resolved inside the rootfs; nothing is
 * followed out of it. */
static int
copy_up (sk_engine *e, int rootfd, const sk_mount_point *m, sk_err **err)
{
  sk_volume *v = NULL;
  if (sk_volumes_get (e->db, m->name, &v, err) < 0)
    return -1;
  bool wanted = v && v->copy_up && !has_type (v) && strstr (m->options, "\"nocopy\"") == NULL;
  sk_volume_free (v);
  if (!wanted)
    return 0;
  sk_err *missing = NULL;
  _cleanup_close_ int src = sk_open_in_root (rootfd, m->destination, O_RDONLY | O_DIRECTORY, 0,
                                             &missing);
  _cleanup_close_ int dst = open (m->source, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  sk_err_free (&missing);
  if (dst < 0)
    return sk_err_set (err, errno, "volume %s: open `%s`", m->name, m->source);
  if (src >= 0 && dir_empty (dst)) {
    struct stat st;
    if (fstat (src, &st) < 0 || sk_copy_tree_at (src, dst, err) < 0 ||
        fchown (dst, st.st_uid, st.st_gid) < 0 || fchmod (dst, st.st_mode & 07777) < 0) {
      if (err && *err == NULL)
        sk_err_set (err, errno, "volume %s: copy the image's %s", m->name, m->destination);
      return sk_err_wrap (err, "volume %s", m->name);
    }
  }
  return sk_volumes_copied (e->db, m->name, err);
}

static void
add_opt (sk_json *a, const char *o)
{
  json_object_array_add (a, json_object_new_string (o));
}

static sk_json *
oci_mount (const char *dest, const char *type, const char *src, sk_json *options)
{
  sk_json *m = json_object_new_object ();
  json_object_object_add (m, "destination", json_object_new_string (dest));
  json_object_object_add (m, "type", json_object_new_string (type));
  json_object_object_add (m, "source", json_object_new_string (src));
  json_object_object_add (m, "options", options);
  return m;
}

/* "a,b,c" appended to the options. */
static void
add_opts (sk_json *a, const char *list)
{
  _cleanup_free_ char *copy = strdup (list ? list : "");
  for (char *s = copy, *save = NULL, *t; copy && (t = strtok_r (s, ",", &save)); s = NULL)
    add_opt (a, t);
}

/* A volume whose driver options name a filesystem (--opt type=tmpfs,
 * type=none with o=bind and a device, or a device's filesystem). */
static int
typed_volume (sk_engine *e, const sk_mount_point *m, sk_json **out, sk_err **err)
{
  sk_volume *v = NULL;
  if (sk_engine_volume_get (e, m->name, &v, err) < 0)
    return -1;
  _cleanup_json_ sk_json *o = NULL;
  int ret = sk_json_parse (v->options, strlen (v->options), "volume options", &o, err);
  sk_volume_free (v);
  if (ret < 0)
    return -1;
  const char *type = str_member (o, "type"), *device = str_member (o, "device"),
             *list = str_member (o, "o");
  sk_json *opts = json_object_new_array ();
  bool bind = list && (strstr (list, "bind") != NULL);
  if (bind && (device == NULL || device[0] != '/')) {
    json_object_put (opts);
    return sk_err_kind (err, EINVAL, "volume %s: a bind needs an absolute device path", m->name);
  }
  add_opts (opts, list);
  if (!m->rw)
    add_opt (opts, "ro");
  *out = oci_mount (m->destination, bind ? "bind" : type, device ? device : type, opts);
  return 0;
}

static int
start_one (sk_engine *e, int rootfd, const sk_mount_point *m, sk_json *oci, sk_err **err)
{
  sk_json *opts = json_object_new_array ();
  _cleanup_json_ sk_json *o = NULL;
  if (sk_json_parse (m->options, strlen (m->options), "mount options", &o, err) < 0) {
    json_object_put (opts);
    return -1;
  }
  if (strcmp (m->type, "tmpfs") == 0) {
    add_opt (opts, "nosuid");
    add_opt (opts, "nodev");
    add_opt (opts, "noexec");
    sk_json *v = NULL;
    char buf[64];
    if (json_object_object_get_ex (o, "size", &v)) {
      snprintf (buf, sizeof buf, "size=%" PRId64, json_object_get_int64 (v));
      add_opt (opts, buf);
    }
    if (json_object_object_get_ex (o, "mode", &v)) {
      snprintf (buf, sizeof buf, "mode=%" PRIo64, json_object_get_int64 (v));
      add_opt (opts, buf);
    }
    if (!m->rw)
      add_opt (opts, "ro");
    json_object_array_add (oci, oci_mount (m->destination, "tmpfs", "tmpfs", opts));
    return 0;
  }
  if (strcmp (m->type, "volume") == 0 && m->source == NULL) {
    json_object_put (opts);
    sk_json *typed = NULL;
    if (typed_volume (e, m, &typed, err) < 0)
      return -1;
    json_object_array_add (oci, typed);
    return 0;
  }
  struct stat st;
  if (strcmp (m->type, "volume") == 0) {
    if (make_volume_dir (e, m->name, false, err) < 0 || copy_up (e, rootfd, m, err) < 0) {
      json_object_put (opts);
      return -1;
    }
  } else if (stat (m->source, &st) < 0) {
    /* -v creates a missing host directory, as Docker does; --mount does not */
    if (errno != ENOENT || !bool_member (o, "create_source")) {
      json_object_put (opts);
      return sk_err_set (err, errno,
                         "invalid mount config for type \"bind\": bind source path does not "
                         "exist: %s",
                         m->source);
    }
    if (sk_mkdir_p (m->source, 0755, err) < 0) {
      json_object_put (opts);
      return -1;
    }
  }
  add_opt (opts, bool_member (o, "nonrecursive") ? "bind" : "rbind");
  if (*m->propagation)
    add_opt (opts, m->propagation);
  if (!m->rw)
    add_opt (opts, "ro");
  json_object_array_add (oci, oci_mount (m->destination, "bind", m->source, opts));
  return 0;
}

int
sk_engine_mounts_start (sk_engine *e, const sk_ctr *c, int rootfd, sk_json **oci, sk_err **err)
{
  *oci = NULL;
  sk_mount_point *m = NULL;
  size_t n = 0;
  if (sk_mounts_of (e->db, e->data_root, c->id, &m, &n, err) < 0)
    return -1;
  sk_json *list = json_object_new_array ();
  int ret = 0;
  for (size_t i = 0; ret == 0 && i < n; i++)
    ret = start_one (e, rootfd, &m[i], list, err);
  sk_mount_points_free (m, n);
  if (ret < 0) {
    json_object_put (list);
    return -1;
  }
  *oci = list;
  return 0;
}

/* ---- rm -v ---- */

int
sk_engine_remove_volumes (sk_engine *e, const char *id, bool force, bool volumes, sk_err **err)
{
  sk_mount_point *m = NULL;
  size_t n = 0;
  if (volumes && sk_mounts_of (e->db, e->data_root, id, &m, &n, err) < 0)
    return -1;
  int ret = sk_engine_remove (e, id, force, err);
  for (size_t i = 0; ret == 0 && i < n; i++) {
    sk_volume *v = NULL;
    sk_err *ignored = NULL;
    if (m[i].name && strcmp (m[i].type, "volume") == 0 &&
        sk_volumes_get (e->db, m[i].name, &v, &ignored) == 0 && v && v->anonymous &&
        sk_engine_volume_refs (e, v->name) == 0 && sk_engine_volume_remove (e, v->name, &ignored) < 0)
      sk_log (SK_LOG_WARNING, "remove volume %s: %s", v->name, ignored ? ignored->msg : "");
    sk_err_free (&ignored);
    sk_volume_free (v);
  }
  sk_mount_points_free (m, n);
  return ret;
}
