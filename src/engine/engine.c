/* skiff: the engine: opening it, creating containers, and their records made
 * true to what their shims said (see engine.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "image/images.h"
#include "internal.h"
#include "spec.h"
#include "util/cleanup.h"
#include "util/proc.h"
#include "util/socket.h"
#include "util/strbuf.h"
#include "util/fs.h"
#include "util/log.h"

#define EXIT_MAX (64 * 1024)

int64_t
sk_engine_now (void)
{
  return sk_now_ns ();
}

static char *
sub_path (const char *root, const char *id, const char *sub)
{
  char *p = NULL;
  if (asprintf (&p, "%s/containers/%s%s%s", root, id, sub ? "/" : "", sub ? sub : "") < 0)
    return NULL;
  return p;
}

char *
sk_engine_bundle_path (sk_engine *e, const char *id, const char *sub)
{
  return sub_path (e->data_root, id, sub);
}

char *
sk_engine_state_path (sk_engine *e, const char *id, const char *sub)
{
  return sub_path (e->exec_root, id, sub);
}

char *
sk_engine_log_path (sk_engine *e, const char *id)
{
  char name[80];
  snprintf (name, sizeof name, "%s-json.log", id);
  return sk_engine_bundle_path (e, id, name);
}

char *
sk_engine_local_log_path (sk_engine *e, const char *id)
{
  char name[80];
  snprintf (name, sizeof name, "%s-local.log", id);
  return sk_engine_bundle_path (e, id, name);
}

char *
sk_engine_events_path (sk_engine *e)
{
  return sk_path_join (e->data_root, SK_EVENTS_FILE);
}

char *
sk_ctr_image_name (const sk_ctr *c)
{
  sk_json *doc = NULL, *v = NULL;
  sk_err *ignored = NULL;
  if (sk_json_parse (c->config, strlen (c->config), "config", &doc, &ignored) < 0)
    sk_err_free (&ignored);
  char *name = strdup (doc && json_object_object_get_ex (doc, "Image", &v) && v &&
                               json_object_get_string_len (v) > 0
                           ? json_object_get_string (v)
                           : c->image);
  json_object_put (doc);
  return name;
}

void
sk_engine_emit (sk_engine *e, const sk_ctr *c, const char *action, const sk_event_attr *extra,
                size_t n)
{
  _cleanup_free_ char *path = sk_engine_events_path (e);
  _cleanup_free_ char *image = sk_ctr_image_name (c);
  sk_event_attr attrs[SK_EVENT_ATTRS_MAX] = {{"image", image}, {"name", c->name}};
  size_t k = 2;
  for (size_t i = 0; i < n && k < SK_EVENT_ATTRS_MAX; i++)
    attrs[k++] = extra[i];
  sk_err *err = NULL;
  if (path == NULL)
    sk_err_set (&err, ENOMEM, "event log");
  else
    sk_event_append (path, "container", action, c->id, attrs, k, &err);
  if (err)
    sk_warning ("%s event of %s not logged: %s", action, c->id, err->msg);
  sk_err_free (&err);
}

int
sk_engine_attach_connect (sk_engine *e, const char *id, sk_err **err)
{
  _cleanup_free_ char *state = sk_engine_state_path (e, id, NULL);
  if (state == NULL)
    return sk_err_set (err, ENOMEM, "attach");
  /* through the directory: its path may be too long for a socket address */
  _cleanup_close_ int dir = open (state, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return sk_err_set (err, errno, "open `%s`", state);
  char path[64];
  snprintf (path, sizeof path, "/proc/self/fd/%d/attach.sock", dir);
  return sk_unix_connect (path, "the container's attach socket", err);
}

/* The skiff-shim next to this program. */
/* A program installed next to this one. */
static char *
beside_self (const char *name)
{
  char self[PATH_MAX];
  ssize_t n = readlink ("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0)
    return strdup (name);
  self[n] = '\0';
  char *slash = strrchr (self, '/');
  char *p = NULL;
  return asprintf (&p, "%.*s/%s", (int) (slash ? slash - self : 0), self, name) < 0 ? NULL : p;
}

void
sk_engine_free (sk_engine *e)
{
  if (e == NULL)
    return;
  free (e->data_root);
  free (e->exec_root);
  free (e->runtime_root);
  free (e->shim);
  free (e->dns);
  sk_strv_free (e->self_argv);
  free (e->cgroup_parent);
  free (e);
}

int
sk_engine_open (sk_image_service *images, const sk_engine_opts *o, sk_engine **out, sk_err **err)
{
  *out = NULL;
  sk_engine *e = calloc (1, sizeof *e);
  if (e == NULL)
    return sk_err_set (err, ENOMEM, "engine");
  e->images = images;
  e->db = images->db;
  e->storage = images->storage;
  e->data_root = strdup (images->root);
  e->exec_root = strdup (o && o->exec_root ? o->exec_root : SK_DEFAULT_EXEC_ROOT);
  e->shim = o && o->shim ? strdup (o->shim) : beside_self ("skiff-shim");
  e->dns = o && o->dns ? strdup (o->dns) : beside_self ("skiff-dns");
  size_t n_self = 0;
  while (o && o->self_argv && o->self_argv[n_self])
    n_self++;
  if (n_self && (e->self_argv = calloc (n_self + 1, sizeof (char *))) != NULL)
    for (size_t i = 0; i < n_self; i++)
      if ((e->self_argv[i] = strdup (o->self_argv[i])) == NULL) {
        sk_strv_free (e->self_argv);
        e->self_argv = NULL;
        break;
      }
  e->cgroup_parent = strdup (o && o->cgroup_parent ? o->cgroup_parent : "skiff");
  e->runtime_root = e->exec_root ? sk_path_join (e->exec_root, "runtime") : NULL;
  if (!e->data_root || !e->exec_root || !e->shim || !e->dns || !e->cgroup_parent ||
      !e->runtime_root) {
    sk_engine_free (e);
    return sk_err_set (err, ENOMEM, "engine");
  }
  e->rt.root = e->runtime_root;
  if (o)
    e->net = o->net;
  /* the directories are made when a container needs them: a `ps` or an
   * `inspect` leaves nothing on the host */
  *out = e;
  return 0;
}

int
sk_engine_make_dirs (sk_engine *e, sk_err **err)
{
  _cleanup_free_ char *states = sk_path_join (e->exec_root, "containers");
  _cleanup_free_ char *bundles = sk_path_join (e->data_root, "containers");
  if (states == NULL || bundles == NULL)
    return sk_err_set (err, ENOMEM, "engine");
  if (sk_mkdir_p (states, 0700, err) < 0 || sk_mkdir_p (e->runtime_root, 0700, err) < 0 ||
      sk_mkdir_p (bundles, 0700, err) < 0)
    return sk_err_wrap (err, "engine");
  return 0;
}

int
sk_engine_image_layers (sk_engine *e, const char *image, char ***layers, size_t *n, sk_err **err)
{
  *layers = NULL;
  *n = 0;
  sk_image_info *info = NULL;
  if (sk_images_get (e->db, image, &info, err) < 0)
    return -1;
  if (info == NULL)
    return sk_err_kind (err, ENOENT, "No such image: %s", image);
  int ret = 0;
  if (info->top_layer == NULL)
    ret = sk_err_set (err, 0, "image %s has no layers: nothing to run", image);
  else if (sk_images_layer_stack (e->db, info->top_layer, layers, err) < 0)
    ret = -1;
  sk_image_info_free (info);
  if (ret < 0)
    return -1;
  for (char **l = *layers; *l; l++, (*n)++) {
    char *colon = strchr (*l, ':');
    if (colon)
      memmove (*l, colon + 1, strlen (colon + 1) + 1);
  }
  return 0;
}

int
sk_engine_resolve (sk_engine *e, const char *what, char **id, sk_err **err)
{
  return sk_ctrs_resolve (e->db, what, id, err);
}

const char *
sk_engine_driver (sk_engine *e)
{
  return sk_storage_driver (e->storage);
}

bool
sk_ctr_auto_remove (const sk_ctr *c)
{
  sk_json *doc = NULL, *hc = NULL, *v = NULL;
  sk_err *ignored = NULL;
  if (sk_json_parse (c->config, strlen (c->config), "config", &doc, &ignored) < 0) {
    sk_err_free (&ignored);
    return false;
  }
  bool yes = json_object_object_get_ex (doc, "HostConfig", &hc) &&
             json_object_object_get_ex (hc, "AutoRemove", &v) && json_object_get_boolean (v);
  json_object_put (doc);
  return yes;
}

/* ---- names ---- */

static const char *const adjectives[] = {
    "amber",  "bold",   "brisk",  "calm",   "clever", "crisp",  "daring", "eager",  "fair",
    "fleet",  "gentle", "glad",   "hardy",  "keen",   "lively", "lucid",  "merry",  "nimble",
    "noble",  "patient", "quiet", "rapid",  "serene", "sharp",  "steady", "sturdy", "swift",
    "tidy",   "trusty", "vivid",  "wary",   "wise",
};
static const char *const nouns[] = {
    "anchor", "beacon", "bow",    "breeze", "buoy",   "cove",    "current", "dinghy", "dock",
    "estuary", "ferry", "fjord",  "gale",   "harbor", "helm",    "inlet",   "jetty",  "keel",
    "lagoon", "mast",   "oar",    "pier",   "reef",   "rudder",  "sail",    "shoal",  "sloop",
    "stern",  "tide",   "wake",   "wharf",  "yawl",
};

static void
make_name (char *buf, size_t size, unsigned extra)
{
  unsigned r[2] = {0, 0};
  if (getrandom (r, sizeof r, 0) != (ssize_t) sizeof r)
    r[0] = (unsigned) getpid (), r[1] = (unsigned) time (NULL);
  const char *a = adjectives[r[0] % (sizeof adjectives / sizeof adjectives[0])];
  const char *n = nouns[r[1] % (sizeof nouns / sizeof nouns[0])];
  if (extra)
    snprintf (buf, size, "%s_%s%u", a, n, extra);
  else
    snprintf (buf, size, "%s_%s", a, n);
}

static int
make_id (char out[65], sk_err **err)
{
  unsigned char raw[32];
  if (getrandom (raw, sizeof raw, 0) != (ssize_t) sizeof raw)
    return sk_err_set (err, errno, "make a container id");
  for (size_t i = 0; i < sizeof raw; i++)
    snprintf (out + 2 * i, 3, "%02x", raw[i]);
  return 0;
}

/* ---- create ---- */

static sk_json *
strv_json (char **v)
{
  sk_json *a = json_object_new_array ();
  for (; a && v && *v; v++)
    json_object_array_add (a, json_object_new_string (*v));
  return a;
}

/* Whether the body says nothing of key (absent, null, or an empty string). */
static bool
unset (sk_json *c, const char *key)
{
  sk_json *v = NULL;
  if (!json_object_object_get_ex (c, key, &v) || v == NULL)
    return true;
  return json_object_is_type (v, json_type_string) && json_object_get_string_len (v) == 0;
}

static void
default_string (sk_json *c, const char *key, const char *value)
{
  if (value && *value && unset (c, key))
    json_object_object_add (c, key, json_object_new_string (value));
}

/* Env: the image's, each overridden by the body's value of the same name. */
static void
merge_env (sk_json *c, char **image_env)
{
  sk_json *mine = NULL, *env = json_object_new_array ();
  json_object_object_get_ex (c, "Env", &mine);
  size_t n = mine && json_object_is_type (mine, json_type_array) ? json_object_array_length (mine) : 0;
  for (char **p = image_env; p && *p; p++) {
    size_t klen = strcspn (*p, "=");
    bool overridden = false;
    for (size_t i = 0; i < n && !overridden; i++) {
      const char *s = json_object_get_string (json_object_array_get_idx (mine, i));
      overridden = s && strncmp (s, *p, klen) == 0 && (s[klen] == '=' || s[klen] == '\0');
    }
    if (!overridden)
      json_object_array_add (env, json_object_new_string (*p));
  }
  for (size_t i = 0; i < n; i++)
    json_object_array_add (env, json_object_get (json_object_array_get_idx (mine, i)));
  json_object_object_add (c, "Env", env);
}

/* An object of the image's keys (values from vals, or {}) under the body's. */
static void
merge_map (sk_json *c, const char *key, char **keys, char **vals)
{
  sk_json *mine = NULL, *out = json_object_new_object ();
  for (size_t i = 0; keys && keys[i]; i++)
    json_object_object_add (out, keys[i],
                            vals ? json_object_new_string (vals[i]) : json_object_new_object ());
  if (json_object_object_get_ex (c, key, &mine) && json_object_is_type (mine, json_type_object)) {
    json_object_object_foreach (mine, k, v)
      json_object_object_add (out, k, json_object_get (v));
  }
  if (json_object_object_length (out) == 0 && !json_object_object_get_ex (c, key, NULL))
    json_object_put (out);
  else
    json_object_object_add (c, key, out);
}

/* Healthcheck: the image's, or each field the body leaves empty taken from
 * the image's (docker's merge). raw: the image's config document. */
static void
merge_health (sk_json *c, const char *raw)
{
  _cleanup_json_ sk_json *doc = NULL;
  sk_json *cfg = NULL, *img = NULL, *mine = NULL, *v = NULL;
  sk_err *ignored = NULL;
  if (raw == NULL || sk_json_parse (raw, strlen (raw), "image config", &doc, &ignored) < 0) {
    sk_err_free (&ignored);
    return;
  }
  if (!json_object_object_get_ex (doc, "config", &cfg) || cfg == NULL ||
      !json_object_object_get_ex (cfg, "Healthcheck", &img) || !json_object_is_type (img, json_type_object))
    return;
  if (!json_object_object_get_ex (c, "Healthcheck", &mine) || mine == NULL) {
    json_object_object_add (c, "Healthcheck", json_object_get (img));
    return;
  }
  static const char *const keys[] = {"Test", "Interval", "Timeout", "StartPeriod", "StartInterval",
                                     "Retries"};
  for (size_t i = 0; i < SK_N_ELEMENTS (keys); i++) {
    sk_json *have = NULL;
    bool empty = !json_object_object_get_ex (mine, keys[i], &have) || have == NULL ||
                 (json_object_is_type (have, json_type_array) ? json_object_array_length (have) == 0
                                                              : json_object_get_int64 (have) == 0);
    if (empty && json_object_object_get_ex (img, keys[i], &v) && v)
      json_object_object_add (mine, keys[i], json_object_get (v));
  }
}

/* The daemon's checks of a Healthcheck: durations of at least 1 ms (Go's
 * containertypes.MinimumDuration), retries not negative. */
static int
check_health (const sk_json *body, sk_err **err)
{
  sk_json *h = NULL, *v = NULL;
  if (!json_object_object_get_ex ((sk_json *) body, "Healthcheck", &h) || h == NULL)
    return 0;
  static const char *const keys[] = {"Interval", "Timeout", "StartPeriod", "StartInterval"};
  for (size_t i = 0; i < SK_N_ELEMENTS (keys); i++) {
    int64_t ns = json_object_object_get_ex (h, keys[i], &v) && v ? json_object_get_int64 (v) : 0;
    if (ns != 0 && ns < 1000000)
      return sk_err_set (err, 0, "%s in Healthcheck cannot be less than 1ms", keys[i]);
  }
  if (json_object_object_get_ex (h, "Retries", &v) && v && json_object_get_int64 (v) < 0)
    return sk_err_set (err, 0, "Retries in Healthcheck cannot be negative");
  return 0;
}

/* The body with the image's defaults, as docker's create does. */
static sk_json *
merge_image (const sk_json *body, const sk_image_config *img, const char *id)
{
  sk_json *c = NULL;
  if (json_object_deep_copy ((sk_json *) body, &c, NULL) != 0 || c == NULL)
    return NULL;
  bool own_entrypoint = !unset (c, "Entrypoint");
  if (!own_entrypoint && img->entrypoint)
    json_object_object_add (c, "Entrypoint", strv_json (img->entrypoint));
  sk_json *cmd = NULL;
  bool no_cmd = !json_object_object_get_ex (c, "Cmd", &cmd) || cmd == NULL ||
                (json_object_is_type (cmd, json_type_array) && json_object_array_length (cmd) == 0);
  if (no_cmd && !own_entrypoint && img->cmd)
    json_object_object_add (c, "Cmd", strv_json (img->cmd));
  merge_env (c, img->env);
  default_string (c, "WorkingDir", img->working_dir);
  default_string (c, "User", img->user);
  default_string (c, "StopSignal", img->stop_signal);
  /* a UTS namespace not its own has the host's or the other container's name */
  sk_json *hc = NULL, *uts = NULL;
  const char *uts_mode = json_object_object_get_ex (c, "HostConfig", &hc) && hc &&
                                 json_object_object_get_ex (hc, "UTSMode", &uts) && uts
                             ? json_object_get_string (uts)
                             : "";
  if (unset (c, "Hostname") && strcmp (uts_mode, "host") != 0 &&
      strncmp (uts_mode, "container:", 10) != 0)
    json_object_object_add (c, "Hostname", json_object_new_string_len (id, 12));
  merge_map (c, "Labels", img->label_keys, img->label_values);
  merge_map (c, "ExposedPorts", img->exposed_ports, NULL);
  merge_map (c, "Volumes", img->volumes, NULL);
  return c;
}

/* Below this much free space in the data root, no container is made: its
 * row, its writable layer, its bundle files and the first of its log would
 * not all fit, and a half-made container on a full disk may not even be
 * removable (a delete needs room in the database's journal). */
#define SK_CREATE_MIN_FREE (1024 * 1024)

static int
room_to_create (sk_engine *e, sk_err **err)
{
  struct statvfs st;
  if (statvfs (e->data_root, &st) < 0)
    return 0; /* unknown: the writes will tell */
  if ((uint64_t) st.f_bavail * st.f_frsize < SK_CREATE_MIN_FREE)
    return sk_err_set (err, ENOSPC, "less than 1 MiB free in `%s`",
                       e->data_root);
  return 0;
}

/* Makes the record: a free name (made up, or given), the writable layer,
 * then the row; the layer removed again when the row cannot be added. */
static int
add_container (sk_engine *e, sk_ctr *c, const char *name, char **layers, size_t n, sk_err **err)
{
  char made[64];
  if (room_to_create (e, err) < 0 || sk_storage_rootfs_create (e->storage, c->id, (const char *const *) layers, n, err) < 0)
    return -1;
  int ret = -1;
  for (unsigned attempt = 0; attempt < 10; attempt++) {
    if (name == NULL)
      make_name (made, sizeof made, attempt > 3 ? attempt : 0);
    c->name = (char *) (name ? name : made);
    sk_err_free (err);
    ret = sk_ctrs_insert (e->db, c, err);
    if (ret == 0 || name || (*err)->errnum != EEXIST)
      break;
  }
  c->name = NULL;
  if (ret < 0) {
    sk_err *ignored = NULL;
    sk_storage_rootfs_remove (e->storage, c->id, &ignored);
    sk_err_free (&ignored);
  }
  return ret;
}

/* Entrypoint and Cmd of a merged configuration joined by spaces, as ps
 * shows the command. */
static char *
command_text (const sk_json *merged)
{
  sk_strbuf b = SK_STRBUF_INIT;
  const char *keys[] = {"Entrypoint", "Cmd"};
  sk_json *v = NULL;
  for (size_t k = 0; k < 2; k++)
    if (json_object_object_get_ex (merged, keys[k], &v) && json_object_is_type (v, json_type_array))
      for (size_t i = 0; i < json_object_array_length (v); i++)
        sk_strbuf_printf (&b, "%s%s", b.len ? " " : "",
                          json_object_get_string (json_object_array_get_idx (v, i)));
  return b.buf ? sk_strbuf_detach (&b) : strdup ("");
}

/* The configuration read as start will read it, before anything is made: a
 * bad value or one this host cannot give is an error of create, not a
 * container left that cannot start. Only the user's names, which need the
 * root filesystem, wait for start. */
static bool
joins_container (const sk_json *merged, const char *mode)
{
  sk_json *hc = NULL, *v = NULL;
  return json_object_object_get_ex (merged, "HostConfig", &hc) &&
         json_object_object_get_ex (hc, mode, &v) && json_object_is_type (v, json_type_string) &&
         strncmp (json_object_get_string (v), "container:", 10) == 0;
}

static int
check_config (const sk_engine *e, const sk_json *merged, const char *cid, sk_err **err)
{
  sk_spec_env env = {.id = cid, .rootfs = "/", .rootfd = -1, .cgroup_parent = e->cgroup_parent};
  /* the other container is found when this one starts: stand-ins here */
  if (joins_container (merged, "PidMode"))
    env.pid_ns = "/proc/self/ns/pid";
  if (joins_container (merged, "IpcMode")) {
    env.ipc_ns = "/proc/self/ns/ipc";
    env.shm_path = "/dev/shm";
  }
  if (joins_container (merged, "UTSMode"))
    env.uts_ns = "/proc/self/ns/uts";
  if (joins_container (merged, "NetworkMode"))
    env.net_ns = "/proc/self/ns/net";
  _cleanup_free_ char *json = NULL;
  return sk_engine_spec (merged, &env, &json, err);
}

int
sk_engine_create (sk_engine *e, const char *image_id, const sk_json *body, const char *name,
                  char **id, sk_err **err)
{
  *id = NULL;
  if (name && *name == '/')
    name++;
  if (name && !sk_ctr_name_valid (name))
    return sk_err_set (err, 0, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                       name);
  char cid[65];
  if (check_health (body, err) < 0 || make_id (cid, err) < 0)
    return -1;
  sk_image_config *img = NULL;
  _cleanup_free_ char *raw = NULL;
  if (sk_image_read_config (e->images, image_id, &img, &raw, err) < 0)
    return -1;
  _cleanup_json_ sk_json *merged = merge_image (body, img, cid);
  if (merged)
    merge_health (merged, raw);
  sk_image_config_free (img);
  _cleanup_free_ char *config = merged ? sk_json_dump (merged, false) : NULL;
  if (config == NULL)
    return sk_err_set (err, ENOMEM, "create");
  if (check_config (e, merged, cid, err) < 0)
    return -1;
  sk_mount_plan mounts;
  if (sk_engine_mounts_plan (e, merged, &mounts, err) < 0)
    return -1;
  sk_net_plan plan;
  if (sk_engine_net_plan (e, merged, &plan, err) < 0) {
    sk_engine_mounts_plan_clear (&mounts);
    return -1;
  }
  char **layers = NULL;
  size_t n = 0;
  if (sk_engine_image_layers (e, image_id, &layers, &n, err) < 0) {
    sk_engine_net_plan_clear (&plan);
    sk_engine_mounts_plan_clear (&mounts);
    return -1;
  }
  _cleanup_free_ char *bundle = sk_engine_bundle_path (e, cid, NULL);
  sk_json *given = NULL;
  json_object_object_get_ex (merged, "Image", &given);
  _cleanup_free_ char *command = command_text (merged);
  sk_ctr c = {.id = cid, .image = (char *) image_id, .config = config, .created = sk_engine_now (),
              .image_name = (char *) (given ? json_object_get_string (given) : ""),
              .command = command};
  int ret = bundle ? sk_engine_make_dirs (e, err) : sk_err_set (err, ENOMEM, "create");
  if (ret == 0 && mkdir (bundle, 0700) < 0)
    ret = sk_err_set (err, errno, "create `%s`", bundle);
  if (ret == 0 && add_container (e, &c, name, layers, n, err) < 0) {
    rmdir (bundle);
    ret = -1;
  }
  for (char **l = layers; l && *l; l++)
    free (*l);
  free (layers);
  if (ret == 0 && (sk_engine_net_attach (e, cid, &plan, err) < 0 ||
                   sk_engine_mounts_attach (e, cid, &mounts, err) < 0)) {
    /* no address for it (taken meanwhile), a volume removed meanwhile: none
     * of it stays */
    sk_err *ignored = NULL;
    sk_ctrs_delete (e->db, cid, &ignored);
    sk_err_free (&ignored);
    sk_storage_rootfs_remove (e->storage, cid, &ignored);
    sk_err_free (&ignored);
    rmdir (bundle);
    ret = -1;
  }
  sk_engine_net_plan_clear (&plan);
  sk_engine_mounts_plan_clear (&mounts);
  if (ret < 0)
    return -1;
  _cleanup_ctr_ sk_ctr *made = NULL;
  sk_err *ignored = NULL;
  if (sk_ctrs_get (e->db, cid, &made, &ignored) == 0)
    sk_engine_emit (e, made, "create", NULL, 0);
  sk_err_free (&ignored);
  *id = strdup (cid);
  return *id ? 0 : sk_err_set (err, ENOMEM, "create");
}

/* ---- the record made true ---- */

/* "2026-11-29T07:10:00.123456789Z" in nanoseconds; 0 when malformed. */
static int64_t
parse_time (const char *s)
{
  struct tm tm = {0};
  char frac[16] = "";
  if (s == NULL || sscanf (s, "%4d-%2d-%2dT%2d:%2d:%2d.%9[0-9]Z", &tm.tm_year, &tm.tm_mon,
                           &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, frac) < 6)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  int64_t ns = 0;
  for (size_t i = 0; i < 9; i++)
    ns = ns * 10 + (frac[i] && i < strlen (frac) ? frac[i] - '0' : 0);
  return (int64_t) timegm (&tm) * 1000000000 + ns;
}

int
sk_engine_read_exit (sk_engine *e, sk_ctr *c)
{
  _cleanup_free_ char *path = sk_engine_state_path (e, c->id, "exit.json");
  sk_json *doc = NULL;
  sk_err *ignored = NULL;
  if (path == NULL || access (path, F_OK) < 0 ||
      sk_json_parse_file (path, "exit.json", &doc, &ignored) < 0) {
    sk_err_free (&ignored);
    return 1;
  }
  sk_json *v;
  c->exit_code = json_object_object_get_ex (doc, "exit_code", &v) ? json_object_get_int (v) : 255;
  c->oom_killed = json_object_object_get_ex (doc, "oom_killed", &v) && json_object_get_boolean (v);
  c->finished_at = json_object_object_get_ex (doc, "finished_at", &v)
                       ? parse_time (json_object_get_string (v))
                       : sk_engine_now ();
  json_object_put (doc);
  free (c->state);
  c->state = strdup ("exited");
  c->pid = 0;
  return 0;
}

int
sk_engine_oom_report (sk_engine *e, const char *id, sk_json **out, sk_err **err)
{
  *out = NULL;
  _cleanup_free_ char *path = sk_engine_state_path (e, id, "oom.json");
  if (path == NULL)
    return sk_err_set (err, ENOMEM, "oom.json");
  if (access (path, F_OK) < 0)
    return 0;
  /* written atomically by the shim: a file that does not parse is not its */
  sk_json *doc = NULL;
  sk_err *ignored = NULL;
  if (sk_json_parse_file (path, "oom.json", &doc, &ignored) < 0 ||
      !json_object_is_type (doc, json_type_object)) {
    sk_err_free (&ignored);
    json_object_put (doc);
    return 0;
  }
  *out = doc;
  return 0;
}

/* Whether the shim of the record still runs (its pid is a skiff-shim). */
bool
sk_engine_shim_alive (pid_t pid)
{
  if (pid <= 0)
    return false;
  char path[64], comm[32] = "";
  snprintf (path, sizeof path, "/proc/%d/comm", (int) pid);
  FILE *f = fopen (path, "re");
  if (f == NULL)
    return false;
  bool ok = fgets (comm, sizeof comm, f) != NULL;
  fclose (f);
  if (!ok)
    return false;
  comm[strcspn (comm, "\n")] = '\0';
  char stat_path[64], state = 0;
  snprintf (stat_path, sizeof stat_path, "/proc/%d/stat", (int) pid);
  FILE *s = fopen (stat_path, "re");
  if (s) {
    if (fscanf (s, "%*d (%*[^)]) %c", &state) != 1)
      state = 0;
    fclose (s);
  }
  return strcmp (comm, "skiff-shim") == 0 && state != 'Z';
}

/* Whether this reader tells of the end of a dead shim's container: the
 * one whose exit.json (exit code 255) is new, so that of readers at once
 * only one writes the die event; or any when there is no state directory
 * (after a reboot). */
static bool
claim_exit (sk_engine *e, const sk_ctr *c)
{
  _cleanup_free_ char *path = sk_engine_state_path (e, c->id, "exit.json");
  if (path == NULL)
    return false;
  _cleanup_close_ int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    return errno != EEXIST;
  static const char doc[] = "{\"exit_code\":255}\n";
  /* the file claims it even if empty: its content is for readers at once */
  ssize_t w = write (fd, doc, sizeof doc - 1);
  (void) w;
  return true;
}

/* What the shim's restart.json says of its restarts (shim-int.h): the
 * count only (count_only, the container has exited), or also whether it
 * waits to restart or runs again. True when the record changed. */
static bool
read_restart (sk_engine *e, sk_ctr *c, bool count_only)
{
  _cleanup_free_ char *path = sk_engine_state_path (e, c->id, "restart.json");
  sk_json *doc = NULL, *v = NULL;
  sk_err *ignored = NULL;
  if (path == NULL || access (path, F_OK) < 0 ||
      sk_json_parse_file (path, "restart.json", &doc, &ignored) < 0) {
    sk_err_free (&ignored);
    return false;
  }
  int count = json_object_object_get_ex (doc, "restart_count", &v) ? json_object_get_int (v) : 0;
  bool restarting = json_object_object_get_ex (doc, "restarting", &v) && json_object_get_boolean (v);
  bool changed = count != c->restart_count;
  c->restart_count = count;
  if (!count_only && (changed || restarting != (strcmp (c->state, "restarting") == 0))) {
    changed = true;
    char *state = strdup (restarting ? "restarting" : "running");
    if (state) {
      free (c->state);
      c->state = state;
    }
    c->pid = json_object_object_get_ex (doc, "pid", &v) ? json_object_get_int (v) : 0;
    c->exit_code = json_object_object_get_ex (doc, "exit_code", &v) ? json_object_get_int (v) : 0;
    c->oom_killed = json_object_object_get_ex (doc, "oom_killed", &v) && json_object_get_boolean (v);
    if (json_object_object_get_ex (doc, "finished_at", &v))
      c->finished_at = parse_time (json_object_get_string (v));
    if (!restarting && json_object_object_get_ex (doc, "started_at", &v))
      c->started_at = parse_time (json_object_get_string (v));
  }
  json_object_put (doc);
  return changed;
}

sk_json *
sk_engine_health (sk_engine *e, const char *id)
{
  _cleanup_free_ char *path = sk_engine_state_path (e, id, "health.json");
  sk_json *doc = NULL;
  sk_err *ignored = NULL;
  if (path == NULL || access (path, F_OK) < 0 ||
      sk_json_parse_file (path, "health.json", &doc, &ignored) < 0) {
    sk_err_free (&ignored);
    return NULL;
  }
  return doc;
}

/* A running record whose shim has written its exit, or is gone. */
static int
reconcile (sk_engine *e, sk_ctr *c, sk_err **err)
{
  bool live = strcmp (c->state, "running") == 0 || strcmp (c->state, "paused") == 0 ||
              strcmp (c->state, "restarting") == 0;
  if (!live)
    return 0;
  if (sk_engine_read_exit (e, c) == 0)
    read_restart (e, c, true);
  else {
    if (sk_engine_shim_alive (c->shim_pid))
      return read_restart (e, c, false) ? sk_ctrs_update (e->db, c, err) : 0;
    if (sk_engine_read_exit (e, c) != 0) { /* it may have written it meanwhile */
      free (c->state);
      free (c->error);
      c->state = strdup ("exited");
      c->exit_code = 255;
      c->finished_at = sk_engine_now ();
      c->pid = 0;
      if (asprintf (&c->error, "skiff-shim %d, the container's monitor, died", (int) c->shim_pid) < 0)
        c->error = NULL;
      /* the shim said nothing, so no one else tells of the end */
      if (claim_exit (e, c))
        sk_engine_emit (e, c, "die", &(sk_event_attr){"exitCode", "255"}, 1);
    }
  }
  if (c->state == NULL)
    return sk_err_set (err, ENOMEM, "container");
  return sk_ctrs_update (e->db, c, err);
}

int
sk_engine_get (sk_engine *e, const char *id, sk_ctr **out, sk_err **err)
{
  if (sk_ctrs_get (e->db, id, out, err) < 0)
    return -1;
  if (*out == NULL)
    return sk_err_kind (err, ENOENT, "No such container: %s", id);
  if (reconcile (e, *out, err) < 0) {
    sk_ctr_free (*out);
    *out = NULL;
    return -1;
  }
  return 0;
}

int
sk_engine_list (sk_engine *e, sk_ctr ***out, sk_err **err)
{
  if (sk_ctrs_list (e->db, out, err) < 0)
    return -1;
  for (sk_ctr **c = *out; *c; c++)
    if (reconcile (e, *c, err) < 0) {
      sk_ctr_list_free (*out);
      *out = NULL;
      return -1;
    }
  return 0;
}
