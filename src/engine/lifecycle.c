/* skiff: starting, signalling, stopping, waiting for and removing
 * containers (see engine.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/spec.h"
#include "internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/strbuf.h"

#define READY_TIMEOUT_MS (120 * 1000)

static bool
is_live (const sk_ctr *c)
{
  return strcmp (c->state, "running") == 0 || strcmp (c->state, "paused") == 0 ||
         strcmp (c->state, "restarting") == 0;
}

static void
sleep_ms (long ms)
{
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  nanosleep (&ts, NULL);
}

static void
set_string (char **field, const char *value)
{
  char *copy = strdup (value ? value : "");
  if (copy) {
    free (*field);
    *field = copy;
  }
}

/* ---- start ---- */

/* /etc/hostname, /etc/hosts and /etc/resolv.conf of the container, in its
 * bundle (bind-mounted by the spec). */
static int
write_etc_files (sk_engine *e, const char *id, const char *hostname, sk_json *config,
                 const sk_net_info *net, sk_err **err)
{
  const char *addrs = net->addrs;
  _cleanup_free_ char *hn = sk_engine_bundle_path (e, id, "hostname");
  _cleanup_free_ char *hosts = sk_engine_bundle_path (e, id, "hosts");
  _cleanup_free_ char *resolv = sk_engine_bundle_path (e, id, "resolv.conf");
  if (!hn || !hosts || !resolv)
    return sk_err_set (err, ENOMEM, "start");
  _cleanup_free_ char *hn_text = NULL, *hosts_text = NULL;
  _cleanup_free_ char *resolv_text = sk_engine_resolv_conf (config, net->resolver);
  _cleanup_free_ char *extra = sk_engine_extra_hosts (config, net->gateway);
  /* the container's own name on each of its addresses (docker's), or
   * 127.0.1.1 without any */
  sk_strbuf own = SK_STRBUF_INIT;
  if (addrs && *addrs) {
    _cleanup_free_ char *copy = strdup (addrs);
    char *save = NULL;
    for (char *a = copy ? strtok_r (copy, " ", &save) : NULL; a; a = strtok_r (NULL, " ", &save))
      sk_strbuf_printf (&own, "%s\t%s\n", a, hostname);
  } else
    sk_strbuf_printf (&own, "127.0.1.1\t%s\n", hostname);
  _cleanup_free_ char *own_text = own.buf ? sk_strbuf_detach (&own) : NULL;
  if (own_text == NULL || asprintf (&hn_text, "%s\n", hostname) < 0 ||
      asprintf (&hosts_text,
                "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
                "ff02::2\tip6-allrouters\n%s%s",
                extra ? extra : "", own_text) < 0 ||
      resolv_text == NULL)
    return sk_err_set (err, ENOMEM, "start");
  if (sk_write_file_replace (hn, hn_text, strlen (hn_text), 0644, err) < 0 ||
      sk_write_file_replace (hosts, hosts_text, strlen (hosts_text), 0644, err) < 0 ||
      sk_write_file_replace (resolv, resolv_text, strlen (resolv_text), 0644, err) < 0)
    return -1;
  return 0;
}

/* The mounts of a started container in its bundle: the rootfs, and the
 * /dev/shm of a container with IpcMode shareable. */
static void
unmount_bundle (sk_engine *e, const char *id)
{
  static const char *const subs[] = {"rootfs", "shm"};
  for (size_t i = 0; i < SK_N_ELEMENTS (subs); i++) {
    _cleanup_free_ char *p = sk_engine_bundle_path (e, id, subs[i]);
    if (p)
      umount2 (p, MNT_DETACH | UMOUNT_NOFOLLOW);
  }
}

/* What the container:NAME modes join, found when it starts. */
typedef struct joins {
  char *ns[3];    /* ipc, pid, uts: /proc/PID/ns/... of the other container's init */
  char *shm;      /* the host directory bound on /dev/shm */
  char *hostname; /* the other container's, with UTSMode container: */
  char *net_ns;   /* NetworkMode container:NAME: the other's network namespace */
} joins;

static void
joins_clear (joins *j)
{
  for (size_t i = 0; i < 3; i++)
    free (j->ns[i]);
  free (j->shm);
  free (j->hostname);
  free (j->net_ns);
}

static const char *
hc_mode (sk_json *config, const char *key)
{
  sk_json *hc = NULL, *v = NULL;
  if (json_object_object_get_ex (config, "HostConfig", &hc) && hc &&
      json_object_object_get_ex (hc, key, &v) && v && json_object_is_type (v, json_type_string))
    return json_object_get_string (v);
  return "";
}

/* NetworkMode `container:NAME`: the other container's namespace file (kept
 * across its restarts), or its init's when it has none. */
static int
find_net_join (sk_engine *e, sk_json *config, joins *j, sk_err **err)
{
  const char *mode = hc_mode (config, "NetworkMode");
  if (strncmp (mode, "container:", 10) != 0)
    return 0;
  _cleanup_free_ char *id = NULL;
  _cleanup_ctr_ sk_ctr *other = NULL;
  if (sk_engine_resolve (e, mode + 10, &id, err) < 0 || sk_engine_get (e, id, &other, err) < 0)
    return sk_err_wrap (err, "cannot join network of container %s", mode + 10);
  if (strcmp (other->state, "running") != 0 && strcmp (other->state, "paused") != 0)
    return sk_err_kind (err, EINVAL, "cannot join network of a non running container: %s",
                        mode + 10);
  j->net_ns = sk_engine_netns_path (e, other->id);
  if (j->net_ns && access (j->net_ns, F_OK) == 0)
    return 0;
  free (j->net_ns);
  if (asprintf (&j->net_ns, "/proc/%d/ns/net", (int) other->pid) < 0)
    return sk_err_set (err, ENOMEM, "start");
  return 0;
}

/* IpcMode, PidMode and UTSMode `container:NAME`: the other container must
 * run (and for IPC, share its IPC, as docker asks). */
static int
find_joins (sk_engine *e, sk_json *config, joins *j, sk_err **err)
{
  static const struct {
    const char *key, *what, *ns;
  } modes[] = {{"IpcMode", "IPC", "ipc"}, {"PidMode", "PID", "pid"}, {"UTSMode", "UTS", "uts"}};
  for (size_t i = 0; i < SK_N_ELEMENTS (modes); i++) {
    const char *mode = hc_mode (config, modes[i].key);
    if (strncmp (mode, "container:", 10) != 0)
      continue;
    const char *name = mode + 10;
    _cleanup_free_ char *id = NULL;
    _cleanup_ctr_ sk_ctr *other = NULL;
    _cleanup_json_ sk_json *oconf = NULL;
    if (sk_engine_resolve (e, name, &id, err) < 0 || sk_engine_get (e, id, &other, err) < 0)
      return sk_err_wrap (err, "cannot join %s of container %s", modes[i].what, name);
    if (strcmp (other->state, "running") != 0 && strcmp (other->state, "paused") != 0)
      return sk_err_kind (err, EINVAL, "cannot join %s of a non running container: %s",
                          modes[i].what, name);
    if (sk_json_parse (other->config, strlen (other->config), "the container's config", &oconf,
                       err) < 0)
      return -1;
    if (i == 0) {
      if (strcmp (hc_mode (oconf, "IpcMode"), "shareable") != 0)
        return sk_err_kind (err, EINVAL,
                            "container %s: non-shareable IPC (hint: use IpcMode:shareable for the "
                            "donor container)",
                            name);
      j->shm = sk_engine_bundle_path (e, other->id, "shm");
    }
    if (i == 2) {
      sk_json *h = NULL;
      j->hostname = strdup (
          json_object_object_get_ex (oconf, "Hostname", &h) && h ? json_object_get_string (h) : "");
    }
    if (asprintf (&j->ns[i], "/proc/%d/ns/%s", (int) other->pid, modes[i].ns) < 0)
      return sk_err_set (err, ENOMEM, "start");
  }
  return find_net_join (e, config, j, err);
}

/* IpcMode shareable: /dev/shm is a tmpfs of the bundle, which containers
 * that join its IPC bind too. */
static int
mount_shm (sk_engine *e, const char *id, sk_json *config, char **path, sk_err **err)
{
  if (strcmp (hc_mode (config, "IpcMode"), "shareable") != 0)
    return 0;
  sk_json *hc = NULL, *v = NULL;
  int64_t size = json_object_object_get_ex (config, "HostConfig", &hc) && hc &&
                         json_object_object_get_ex (hc, "ShmSize", &v) && v
                     ? json_object_get_int64 (v)
                     : 0;
  char opts[64];
  snprintf (opts, sizeof opts, "mode=1777,size=%lld", size > 0 ? (long long) size : 64LL << 20);
  if ((*path = sk_engine_bundle_path (e, id, "shm")) == NULL)
    return sk_err_set (err, ENOMEM, "start");
  if (mkdir (*path, 0700) < 0 && errno != EEXIST)
    return sk_err_set (err, errno, "create `%s`", *path);
  umount2 (*path, MNT_DETACH | UMOUNT_NOFOLLOW); /* what a killed start left */
  if (mount ("shm", *path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
    return sk_err_set (err, errno, "mount the shareable /dev/shm on `%s`", *path);
  return 0;
}

/* The rootfs mounted, the shareable /dev/shm, config.json written. */
static int
prepare_mounted (sk_engine *e, sk_ctr *c, sk_json *config, const char *rootfs, const char *cfg_path,
                 const joins *j, const sk_net_info *net, sk_err **err)
{
  if (mkdir (rootfs, 0755) < 0 && errno != EEXIST)
    return sk_err_set (err, errno, "create `%s`", rootfs);
  umount2 (rootfs, MNT_DETACH); /* what a killed start left */
  char **layers = NULL;
  size_t n = 0;
  if (sk_engine_image_layers (e, c->image, &layers, &n, err) < 0)
    return -1;
  int ret = sk_storage_rootfs_mount (e->storage, c->id, (const char *const *) layers, n, rootfs, err);
  for (char **l = layers; l && *l; l++)
    free (*l);
  free (layers);
  if (ret < 0)
    return -1;
  sk_json *v = NULL;
  const char *hostname = json_object_object_get_ex (config, "Hostname", &v) ? json_object_get_string (v) : NULL;
  _cleanup_free_ char *hn = sk_engine_bundle_path (e, c->id, "hostname");
  _cleanup_free_ char *hosts = sk_engine_bundle_path (e, c->id, "hosts");
  _cleanup_free_ char *resolv = sk_engine_bundle_path (e, c->id, "resolv.conf");
  _cleanup_close_ int rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  _cleanup_free_ char *json = NULL, *own_shm = NULL;
  sk_spec_env env = {.id = c->id,
                     .rootfs = rootfs,
                     .rootfd = rootfd,
                     .hostname_path = hn,
                     .hosts_path = hosts,
                     .resolv_path = resolv,
                     .cgroup_parent = e->cgroup_parent,
                     .ipc_ns = j->ns[0],
                     .pid_ns = j->ns[1],
                     .uts_ns = j->ns[2],
                     .uts_hostname = j->hostname,
                     .net_ns = net->netns ? net->netns : j->net_ns,
                     .shm_path = j->shm};
  char host_name[256] = "";
  if (j->hostname)
    hostname = j->hostname;
  else if (strcmp (hc_mode (config, "UTSMode"), "host") == 0 &&
           gethostname (host_name, sizeof host_name - 1) == 0)
    hostname = host_name;
  if (!hn || !hosts || !resolv)
    ret = sk_err_set (err, ENOMEM, "start");
  else if (rootfd < 0)
    ret = sk_err_set (err, errno, "open `%s`", rootfs);
  else if (mount_shm (e, c->id, config, &own_shm, err) < 0)
    ret = -1;
  if (own_shm)
    env.shm_path = own_shm;
  _cleanup_json_ sk_json *mounts = NULL;
  if (ret == 0 && sk_engine_mounts_start (e, c, rootfd, &mounts, err) < 0)
    ret = -1;
  env.mounts = mounts;
  if (ret == 0 &&
      (write_etc_files (e, c->id, hostname && *hostname ? hostname : "localhost", config, net,
                        err) < 0 ||
       sk_engine_spec (config, &env, &json, err) < 0 ||
       sk_write_file_replace (cfg_path, json, strlen (json), 0600, err) < 0))
    ret = -1;
  if (ret < 0)
    unmount_bundle (e, c->id);
  return ret;
}

/* The rootfs mounted on BUNDLE/rootfs and config.json written for it. */
static int
prepare_bundle (sk_engine *e, sk_ctr *c, sk_json *config, sk_err **err)
{
  _cleanup_free_ char *rootfs = sk_engine_bundle_path (e, c->id, "rootfs");
  _cleanup_free_ char *cfg_path = sk_engine_bundle_path (e, c->id, "config.json");
  if (!rootfs || !cfg_path)
    return sk_err_set (err, ENOMEM, "start");
  joins j = {0};
  sk_net_info net = {0};
  int ret = find_joins (e, config, &j, err);
  if (ret == 0)
    ret = sk_engine_net_setup (e, c, &net, err);
  if (ret == 0)
    ret = prepare_mounted (e, c, config, rootfs, cfg_path, &j, &net, err);
  if (ret < 0 && net.netns)
    sk_engine_net_teardown (e, c->id);
  sk_engine_net_info_clear (&net);
  joins_clear (&j);
  return ret;
}

/* Bytes of a docker size ("10m"), or -1. */
static long long
size_value (const char *s)
{
  char *end;
  double v = strtod (s, &end);
  if (end == s || v < 0)
    return -1;
  switch (*end == '\0' ? 'b' : *end | 0x20) {
  case 'b': return (long long) v;
  case 'k': return (long long) (v * 1024);
  case 'm': return (long long) (v * 1024 * 1024);
  case 'g': return (long long) (v * 1024 * 1024 * 1024);
  default: return -1;
  }
}

/* The shim's log options from HostConfig.LogConfig: the driver as the
 * shim names it, sizes as decimal strings ("" for the shim's default),
 * whether to compress. The local driver's defaults are docker's: 20 MB
 * files, five of them, compressed. */
static int
log_args (sk_json *config, const char **driver, char *max_size, char *max_file, bool *compress,
          sk_err **err)
{
  sk_json *hc = NULL, *lc = NULL, *v = NULL, *opts = NULL;
  *driver = "json-file";
  *compress = false;
  max_size[0] = max_file[0] = '\0';
  if (!json_object_object_get_ex (config, "HostConfig", &hc) ||
      !json_object_object_get_ex (hc, "LogConfig", &lc) || lc == NULL)
    return 0;
  if (json_object_object_get_ex (lc, "Type", &v) && v && json_object_get_string_len (v) > 0) {
    const char *t = json_object_get_string (v);
    if (strcmp (t, "json-file") != 0 && strcmp (t, "local") != 0 && strcmp (t, "none") != 0)
      return sk_err_set (err, 0, "logger: no log driver named '%s' is registered", t);
    *driver = strcmp (t, "none") == 0 ? "none" : strcmp (t, "local") == 0 ? "local" : "json-file";
  }
  if (strcmp (*driver, "local") == 0) {
    snprintf (max_size, 32, "%d", 20 * 1000 * 1000);
    snprintf (max_file, 32, "%d", 5);
    *compress = true;
  }
  if (json_object_object_get_ex (lc, "Config", &opts) && opts) {
    if (json_object_object_get_ex (opts, "max-size", &v) && v) {
      long long n = size_value (json_object_get_string (v));
      if (n <= 0)
        return sk_err_set (err, 0, "log-opt max-size: `%s` is not a size", json_object_get_string (v));
      snprintf (max_size, 32, "%lld", n);
    }
    if (json_object_object_get_ex (opts, "max-file", &v) && v) {
      int n = atoi (json_object_get_string (v));
      if (n < 1)
        return sk_err_set (err, 0, "log-opt max-file: `%s` is not a positive number",
                           json_object_get_string (v));
      snprintf (max_file, 32, "%d", n);
    }
    if (json_object_object_get_ex (opts, "compress", &v) && v)
      *compress = strcmp (json_object_get_string (v), "true") == 0 ||
                  strcmp (json_object_get_string (v), "1") == 0;
  }
  return 0;
}

/* Starts the shim, detached (a grandchild: init or a subreaper adopts it);
 * *ready: the read end of its ready pipe. */
static bool
config_bool (sk_json *config, const char *key)
{
  sk_json *v = NULL;
  return json_object_object_get_ex (config, key, &v) && json_object_get_boolean (v);
}

/* The shim's options for stdin and a terminal, from Config (at most 4). */
static size_t
attach_args (sk_json *config, const char **argv)
{
  bool tty = config_bool (config, "Tty"), in = config_bool (config, "OpenStdin");
  size_t n = 0;
  if (tty)
    argv[n++] = "--tty";
  if (in)
    argv[n++] = "--stdin";
  if (in && config_bool (config, "StdinOnce"))
    argv[n++] = "--stdin-once";
  /* an attached run connects just after the start */
  if ((tty || in) && config_bool (config, "AttachStdout"))
    argv[n++] = "--attach-wait";
  return n;
}

/* The shim's words for the container's restart policy and healthcheck. */
typedef struct shim_policy_args {
  char restart[48], count[16], nums[5][24];
} shim_policy_args;

#define SHIM_HEALTH_WORDS 256
#define SHIM_REMOVE_WORDS 16 /* the words of sk_engine_opts' self_argv (skiff-shim takes 32) */

static int64_t
json_int_member (sk_json *o, const char *key)
{
  sk_json *v = NULL;
  return json_object_object_get_ex (o, key, &v) && v ? json_object_get_int64 (v) : 0;
}

/* HostConfig.RestartPolicy and Config.Healthcheck (Docker's forms of Test:
 * ["NONE"], ["CMD", args...], ["CMD-SHELL", command]) as options of the shim
 * (at most 12 + 2 * SHIM_HEALTH_WORDS words). */
static int
policy_args (sk_json *config, const sk_ctr *c, shim_policy_args *b, const char **argv, size_t *n,
             sk_err **err)
{
  sk_json *hc = NULL, *rp = NULL, *v = NULL, *hck = NULL, *test = NULL;
  if (json_object_object_get_ex (config, "HostConfig", &hc) && hc &&
      json_object_object_get_ex (hc, "RestartPolicy", &rp) && rp &&
      json_object_object_get_ex (rp, "Name", &v) && v && json_object_get_string_len (v) > 0 &&
      strcmp (json_object_get_string (v), "no") != 0) {
    int64_t max = json_int_member (rp, "MaximumRetryCount");
    snprintf (b->restart, sizeof b->restart, "%s:%lld", json_object_get_string (v),
              (long long) (max > 0 ? max : 0));
    snprintf (b->count, sizeof b->count, "%d", c->restart_count);
    argv[(*n)++] = "--restart", argv[(*n)++] = b->restart;
    argv[(*n)++] = "--restart-count", argv[(*n)++] = b->count;
  }
  if (!json_object_object_get_ex (config, "Healthcheck", &hck) || hck == NULL ||
      !json_object_object_get_ex (hck, "Test", &test) || !json_object_is_type (test, json_type_array) ||
      json_object_array_length (test) == 0)
    return 0;
  size_t len = json_object_array_length (test);
  const char *kind = json_object_get_string (json_object_array_get_idx (test, 0));
  if (kind && strcmp (kind, "NONE") == 0)
    return 0;
  if (kind == NULL || (strcmp (kind, "CMD") && strcmp (kind, "CMD-SHELL")))
    return sk_err_set (err, 0, "unknown healthcheck type '%s' (expected 'CMD') in Healthcheck",
                       kind ? kind : "");
  if (len < 2)
    return sk_err_set (err, 0, "Healthcheck %s has no command", kind);
  if (len > SHIM_HEALTH_WORDS)
    return sk_err_set (err, 0, "Healthcheck has more than %d words", SHIM_HEALTH_WORDS);
  if (strcmp (kind, "CMD-SHELL") == 0) {
    argv[(*n)++] = "--health-arg", argv[(*n)++] = "/bin/sh";
    argv[(*n)++] = "--health-arg", argv[(*n)++] = "-c";
    argv[(*n)++] = "--health-arg";
    argv[(*n)++] = json_object_get_string (json_object_array_get_idx (test, 1));
  } else
    for (size_t i = 1; i < len; i++) {
      argv[(*n)++] = "--health-arg";
      argv[(*n)++] = json_object_get_string (json_object_array_get_idx (test, i));
    }
  static const char *const keys[] = {"Interval", "Timeout", "StartPeriod", "StartInterval"};
  static const char *const opts[] = {"--health-interval", "--health-timeout",
                                     "--health-start-period", "--health-start-interval"};
  for (size_t i = 0; i < 4; i++) {
    int64_t ns = json_int_member (hck, keys[i]);
    if (ns <= 0)
      continue;
    snprintf (b->nums[i], sizeof b->nums[i], "%lld", (long long) ((ns + 999999) / 1000000));
    argv[(*n)++] = opts[i], argv[(*n)++] = b->nums[i];
  }
  int64_t retries = json_int_member (hck, "Retries");
  if (retries > 0) {
    snprintf (b->nums[4], sizeof b->nums[4], "%lld", (long long) retries);
    argv[(*n)++] = "--health-retries", argv[(*n)++] = b->nums[4];
  }
  return 0;
}

static int
spawn_shim (sk_engine *e, const sk_ctr *c, sk_json *config, bool removes, int *ready, sk_err **err)
{
  const char *driver, *id = c->id;
  char max_size[32], max_file[32];
  bool compress;
  if (log_args (config, &driver, max_size, max_file, &compress, err) < 0)
    return -1;
  _cleanup_free_ char *bundle = sk_engine_bundle_path (e, id, NULL);
  _cleanup_free_ char *state = sk_engine_state_path (e, id, NULL);
  _cleanup_free_ char *log = strcmp (driver, "local") == 0 ? sk_engine_local_log_path (e, id)
                                                            : sk_engine_log_path (e, id);
  _cleanup_free_ char *events = sk_engine_events_path (e);
  _cleanup_free_ char *image = sk_ctr_image_name (c);
  if (!bundle || !state || !log || !events || !image)
    return sk_err_set (err, ENOMEM, "start");
  shim_policy_args pargs;
  const char *argv[48 + 2 * SHIM_HEALTH_WORDS + 14 + 2 * (SHIM_REMOVE_WORDS + 3)] = {e->shim, "--id", id, "--bundle", bundle, "--runtime-root",
                          e->runtime_root, "--state-dir", state, "--log", log, "--log-driver",
                          driver, "--ready-fd", "3", "--events", events, "--name", c->name,
                          "--image", image};
  size_t n = 21;
  if (max_size[0])
    argv[n++] = "--log-max-size", argv[n++] = max_size;
  if (max_file[0])
    argv[n++] = "--log-max-file", argv[n++] = max_file;
  if (compress)
    argv[n++] = "--log-compress";
  n += attach_args (config, argv + n);
  if (policy_args (config, c, &pargs, argv, &n, err) < 0)
    return -1;
  _cleanup_free_ char *netns = sk_engine_netns_path (e, id);
  if (netns && access (netns, F_OK) == 0)
    argv[n++] = "--netns", argv[n++] = netns;
  /* --rm with no client to remove it: the shim runs `SELF rm -v ID` */
  size_t n_self = 0;
  while (e->self_argv && e->self_argv[n_self])
    n_self++;
  if (removes && n_self && n_self <= SHIM_REMOVE_WORDS && sk_ctr_auto_remove (c)) {
    for (size_t i = 0; i < n_self; i++)
      argv[n++] = "--remove-arg", argv[n++] = e->self_argv[i];
    argv[n++] = "--remove-arg", argv[n++] = "rm";
    argv[n++] = "--remove-arg", argv[n++] = "-v";
    argv[n++] = "--remove-arg", argv[n++] = id;
  }
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return sk_err_set (err, errno, "pipe");
  pid_t pid = fork ();
  if (pid == 0) {
    if (fork () != 0)
      _exit (0);
    if (dup2 (p[1], 3) < 0)
      _exit (127);
    execv (e->shim, (char *const *) argv);
    dprintf (3, "err 125 exec `%s`: %s\n", e->shim, strerror (errno));
    _exit (127);
  }
  int saved = errno;
  close (p[1]);
  if (pid < 0) {
    close (p[0]);
    return sk_err_set (err, saved, "fork");
  }
  waitpid (pid, NULL, 0);
  *ready = p[0];
  return 0;
}

/* The shim's word: "ok PID" or "err CODE MESSAGE". */
static int
read_ready (int fd, pid_t *pid, int *code, sk_err **err)
{
  char buf[4096];
  size_t used = 0;
  while (used < sizeof buf - 1 && memchr (buf, '\n', used) == NULL) {
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int r = poll (&pfd, 1, READY_TIMEOUT_MS);
    if (r < 0 && errno == EINTR)
      continue;
    if (r == 0)
      return sk_err_set (err, ETIMEDOUT, "skiff-shim did not say whether the container started");
    ssize_t n = read (fd, buf + used, sizeof buf - 1 - used);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    used += (size_t) n;
  }
  buf[used] = '\0';
  buf[strcspn (buf, "\n")] = '\0';
  int p = 0;
  if (sscanf (buf, "ok %d", &p) == 1 && p > 0) {
    *pid = p;
    return 0;
  }
  int n = 0;
  if (sscanf (buf, "err %d %n", code, &n) >= 1 && n > 0)
    return sk_err_set (err, 0, "%s", buf + n);
  *code = 125;
  return sk_err_set (err, 0, "skiff-shim ended without starting the container%s%s",
                     used ? ": " : "", buf);
}

static pid_t
read_shim_pid (sk_engine *e, const char *id)
{
  _cleanup_free_ char *path = sk_engine_state_path (e, id, "shim.pid");
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  sk_err *ignored = NULL;
  if (path == NULL || sk_read_file (path, &text, &len, &ignored) < 0) {
    sk_err_free (&ignored);
    return 0;
  }
  return (pid_t) atoi (text);
}

/* A fresh state directory for the shim. */
static int
reset_state_dir (sk_engine *e, const char *id, sk_err **err)
{
  _cleanup_free_ char *state = sk_engine_state_path (e, id, NULL);
  if (state == NULL)
    return sk_err_set (err, ENOMEM, "start");
  if (sk_engine_make_dirs (e, err) < 0 || sk_remove_tree_at (AT_FDCWD, state, err) < 0)
    return -1;
  if (mkdir (state, 0700) < 0)
    return sk_err_set (err, errno, "create `%s`", state);
  return 0;
}

static int kill_logged (sk_engine *e, const sk_ctr *c, int sig, bool all, sk_err **err);

int
sk_engine_start (sk_engine *e, const char *id, int *exit_code, sk_err **err)
{
  return sk_engine_start_attached (e, id, false, exit_code, err);
}

int
sk_engine_start_attached (sk_engine *e, const char *id, bool attached, int *exit_code,
                          sk_err **err)
{
  *exit_code = 125;
  _cleanup_ctr_ sk_ctr *c = NULL;
  if (sk_engine_get (e, id, &c, err) < 0)
    return -1;
  if (is_live (c))
    return 0; /* docker start of a running container: nothing to do */
  if (strcmp (c->state, "removing") == 0 || strcmp (c->state, "dead") == 0)
    return sk_err_set (err, 0, "container %s is marked for removal and cannot be started", c->name);
  _cleanup_json_ sk_json *config = NULL;
  _cleanup_close_ int hold __attribute__ ((unused)) = sk_engine_net_hold (e);
  /* no copy has the rootfs mounted while this one mounts it */
  _cleanup_close_ int lock = sk_engine_rootfs_lock (e, id, false, err);
  if (lock < 0)
    return -1;
  if (sk_json_parse (c->config, strlen (c->config), "the container's config", &config, err) < 0 ||
      reset_state_dir (e, id, err) < 0 || prepare_bundle (e, c, config, err) < 0)
    return -1;
  int ready = -1;
  pid_t pid = 0;
  int ret = sk_engine_publish (e, c, config, err);
  if (ret == 0)
    ret = spawn_shim (e, c, config, !attached, &ready, err);
  if (ret == 0) {
    ret = read_ready (ready, &pid, exit_code, err);
    close (ready);
  }
  if (ret < 0) {
    unmount_bundle (e, id);
    sk_engine_net_teardown (e, id);
    set_string (&c->error, (*err)->msg);
    sk_err *ignored = NULL;
    sk_ctrs_update (e->db, c, &ignored);
    sk_err_free (&ignored);
    return -1;
  }
  set_string (&c->state, "running");
  set_string (&c->error, "");
  c->pid = pid;
  c->shim_pid = read_shim_pid (e, id);
  c->exit_code = 0;
  c->oom_killed = false;
  c->started_at = sk_engine_now ();
  c->finished_at = 0;
  /* the shim told of the start (before the container could die) */
  if (sk_ctrs_update (e->db, c, err) < 0)
    return -1;
  /* its published ports in the firewall, now that it runs */
  _cleanup_free_ char *netns = sk_engine_netns_path (e, id);
  if (netns && access (netns, F_OK) == 0 && sk_engine_fw_sync (e, false, err) < 0) {
    sk_err *ignored = NULL;
    kill_logged (e, c, SIGKILL, true, &ignored);
    sk_err_free (&ignored);
    return -1;
  }
  *exit_code = 0;
  return 0;
}

/* ---- signals, stop, wait ---- */

/* Whether a signal makes the container's next exit final (Docker's
 * ExitOnNext): SIGKILL, the container's StopSignal, or any signal when it
 * has none of its own. */
static bool
exit_on_next (const sk_ctr *c, int sig)
{
  if (sig == SIGKILL)
    return true;
  _cleanup_json_ sk_json *config = NULL;
  sk_err *ignored = NULL;
  if (sk_json_parse (c->config, strlen (c->config), "config", &config, &ignored) < 0) {
    sk_err_free (&ignored);
    return true;
  }
  sk_json *v = NULL;
  if (!json_object_object_get_ex (config, "StopSignal", &v) || v == NULL ||
      json_object_get_string_len (v) == 0)
    return true;
  return sk_signal_parse (json_object_get_string (v)) == sig;
}

/* The shim's mark that the container was stopped by a user (shim-int.h):
 * no restart after its next exit. A shim waiting to restart it (no
 * container to signal) ends at once on SIGTERM. */
static void
mark_stopped (sk_engine *e, const sk_ctr *c, bool wake)
{
  _cleanup_free_ char *path = sk_engine_state_path (e, c->id, "stopped");
  int fd = path ? open (path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644) : -1;
  if (fd >= 0)
    close (fd);
  if (wake && sk_engine_shim_alive (c->shim_pid))
    kill (c->shim_pid, SIGTERM);
}

/* sk_container_kill with docker's kill event (signal: its number) first. */
static int
kill_logged (sk_engine *e, const sk_ctr *c, int sig, bool all, sk_err **err)
{
  char num[16];
  snprintf (num, sizeof num, "%d", sig);
  sk_engine_emit (e, c, "kill", &(sk_event_attr){"signal", num}, 1);
  bool final = exit_on_next (c, sig);
  if (final)
    mark_stopped (e, c, false);
  if (strcmp (c->state, "restarting") == 0) {
    /* no process to signal: the shim waits to start one */
    if (final)
      mark_stopped (e, c, true);
    return 0;
  }
  int r = sk_container_kill (&e->rt, c->id, sig, all, err);
  if (r < 0 && final)
    mark_stopped (e, c, true); /* between two runs */
  return r;
}

int
sk_engine_kill (sk_engine *e, const char *id, int sig, bool all, sk_err **err)
{
  _cleanup_ctr_ sk_ctr *c = NULL;
  if (sk_engine_get (e, id, &c, err) < 0)
    return -1;
  if (!is_live (c))
    return sk_err_set (err, 0, "cannot kill container: %s: container %s is not running", id, id);
  if (kill_logged (e, c, sig, all, err) < 0) {
    /* it ended meanwhile: docker says the same as above */
    sk_err_free (err);
    return sk_err_set (err, 0, "cannot kill container: %s: container %s is not running", id, id);
  }
  return 0;
}

void
sk_engine_watch_pid (sk_engine_watch *w, pid_t pid)
{
  if (pid == w->pid)
    return;
  sk_engine_watch_close (w);
  w->pid = pid;
  if (pid > 0)
    w->fd = sk_pidfd_open (pid);
}

void
sk_engine_watch_close (sk_engine_watch *w)
{
  if (w->fd >= 0)
    close (w->fd);
  w->fd = -1;
  w->pid = 0;
}

void
sk_engine_nap (sk_engine_watch *w, long ms)
{
  if (w->fd < 0) {
    sleep_ms (ms);
    return;
  }
  struct pollfd p = {.fd = w->fd, .events = POLLIN};
  if (poll (&p, 1, (int) ms) > 0 && ms > 1)
    sleep_ms (1);
}

/* Waits up to ms (negative: for ever) for the container to stop running:
 * 1 when it still runs. Woken by the container's process ending (its
 * exit.json comes a moment later); every 200 ms it also looks (a shim
 * killed writes nothing). With next_exit, an
 * exit followed by an automatic restart is an end too (docker's wait). */
static int
wait_until (sk_engine *e, const char *id, long ms, bool next_exit, sk_ctr **out, sk_err **err)
{
  int restarts = -1;
  sk_engine_watch watch = SK_ENGINE_WATCH_INIT;
  struct timespec start;
  clock_gettime (CLOCK_MONOTONIC, &start);
  for (bool seen = false;; seen = true) {
    sk_ctr *c = NULL;
    if (sk_engine_get (e, id, &c, err) < 0) {
      sk_engine_watch_close (&watch);
      /* gone while waited for (a --rm container its shim removed): it
       * stopped (2 for docker wait, which finds its exit code elsewhere) */
      if (seen && (*err)->errnum == ENOENT && (next_exit || out == NULL)) {
        sk_err_free (err);
        return next_exit ? 2 : 0;
      }
      return -1;
    }
    if (restarts < 0)
      restarts = c->restart_count;
    bool live = is_live (c) && !(next_exit && (strcmp (c->state, "restarting") == 0 ||
                                               c->restart_count != restarts));
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    long waited = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    if (!live || (ms >= 0 && waited >= ms)) {
      sk_engine_watch_close (&watch);
      if (out)
        *out = c;
      else
        sk_ctr_free (c);
      return live ? 1 : 0;
    }
    sk_engine_watch_pid (&watch, strcmp (c->state, "running") == 0 ? c->pid : 0);
    sk_ctr_free (c);
    sk_engine_nap (&watch, ms >= 0 && ms - waited < 200 ? ms - waited : 200);
  }
}

static int
wait_stopped (sk_engine *e, const char *id, long ms, sk_ctr **out, sk_err **err)
{
  return wait_until (e, id, ms, false, out, err);
}

/* The container's stop signal and timeout (seconds). */
static void
stop_settings (const sk_ctr *c, int *sig, int *timeout)
{
  *sig = SIGTERM;
  *timeout = 10;
  _cleanup_json_ sk_json *config = NULL;
  sk_err *ignored = NULL;
  if (sk_json_parse (c->config, strlen (c->config), "config", &config, &ignored) < 0) {
    sk_err_free (&ignored);
    return;
  }
  sk_json *v = NULL;
  if (json_object_object_get_ex (config, "StopSignal", &v) && v && json_object_get_string_len (v)) {
    int s = sk_signal_parse (json_object_get_string (v));
    if (s > 0)
      *sig = s;
  }
  if (json_object_object_get_ex (config, "StopTimeout", &v) && v && json_object_is_type (v, json_type_int))
    *timeout = json_object_get_int (v);
}

int
sk_engine_stop (sk_engine *e, const char *id, int timeout, sk_err **err)
{
  return sk_engine_stop_signal (e, id, timeout, 0, err);
}

int
sk_engine_stop_signal (sk_engine *e, const char *id, int timeout, int signal, sk_err **err)
{
  _cleanup_ctr_ sk_ctr *c = NULL;
  if (sk_engine_get (e, id, &c, err) < 0)
    return -1;
  if (!is_live (c))
    return 0;
  int sig, own_timeout;
  stop_settings (c, &sig, &own_timeout);
  if (signal > 0)
    sig = signal;
  if (timeout < 0)
    timeout = own_timeout;
  sk_err *ignored = NULL;
  if (strcmp (c->state, "paused") == 0)
    sk_container_resume (&e->rt, id, &ignored);
  sk_err_free (&ignored);
  if (kill_logged (e, c, sig, false, &ignored) < 0)
    sk_err_free (&ignored);
  int r = wait_stopped (e, id, timeout < 0 ? -1 : (long) timeout * 1000, NULL, err);
  if (r > 0) {
    if (kill_logged (e, c, SIGKILL, true, &ignored) < 0)
      sk_err_free (&ignored);
    r = wait_stopped (e, id, 30 * 1000, NULL, err);
    if (r > 0)
      return sk_err_set (err, 0, "container %s did not stop after SIGKILL", id);
  }
  if (r == 0)
    sk_engine_emit (e, c, "stop", NULL, 0);
  return r;
}

/* The exit code of the container's last die event, for a container
 * removed since (--rm): the end of the event log is read back. */
static int
exit_from_events (sk_engine *e, const char *id, int *exit_code, sk_err **err)
{
  _cleanup_free_ char *path = sk_engine_events_path (e);
  _cleanup_close_ int fd = path ? open (path, O_RDONLY | O_CLOEXEC) : -1;
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0)
    return sk_err_kind (err, ENOENT, "No such container: %s", id);
  off_t from = st.st_size > (1 << 20) ? st.st_size - (1 << 20) : 0;
  size_t len = (size_t) (st.st_size - from);
  _cleanup_free_ char *buf = malloc (len + 1);
  if (buf == NULL || pread (fd, buf, len, from) != (ssize_t) len)
    return sk_err_kind (err, ENOENT, "No such container: %s", id);
  buf[len] = '\0';
  char needle[100];
  snprintf (needle, sizeof needle, "\"id\":\"%s\"", id);
  for (char *end = buf + len; end > buf;) {
    char *line = end;
    while (line > buf && line[-1] != '\n')
      line--;
    *end = '\0';
    if (strstr (line, needle) && strstr (line, "\"Action\":\"die\"")) {
      _cleanup_json_ sk_json *ev = NULL;
      sk_json *actor = NULL, *attrs = NULL, *code = NULL;
      sk_err *ignored = NULL;
      if (sk_json_parse (line, strlen (line), "event", &ev, &ignored) == 0 &&
          json_object_object_get_ex (ev, "Actor", &actor) &&
          json_object_object_get_ex (actor, "Attributes", &attrs) &&
          json_object_object_get_ex (attrs, "exitCode", &code)) {
        *exit_code = atoi (json_object_get_string (code));
        return 0;
      }
      sk_err_free (&ignored);
    }
    end = line > buf ? line - 1 : buf;
  }
  return sk_err_kind (err, ENOENT, "No such container: %s", id);
}

int
sk_engine_wait (sk_engine *e, const char *id, int *exit_code, sk_err **err)
{
  sk_ctr *c = NULL;
  int r = wait_until (e, id, -1, true, &c, err);
  if (r == 2)
    return exit_from_events (e, id, exit_code, err);
  if (r < 0)
    return -1;
  *exit_code = c->exit_code;
  sk_ctr_free (c);
  return 0;
}

/* ---- remove ---- */

int
sk_engine_remove (sk_engine *e, const char *id, bool force, sk_err **err)
{
  _cleanup_ctr_ sk_ctr *c = NULL;
  if (sk_engine_get (e, id, &c, err) < 0)
    return -1;
  sk_err *ignored = NULL;
  if (is_live (c)) {
    if (!force)
      return sk_err_kind (err, EBUSY,
                         "cannot remove container \"/%s\": container is running: stop the "
                         "container before removing or force remove",
                         c->name);
    if (kill_logged (e, c, SIGKILL, true, &ignored) < 0)
      sk_err_free (&ignored);
    if (wait_stopped (e, id, 30 * 1000, NULL, err) != 0)
      return sk_err_wrap (err, "remove %s", c->name);
  }
  /* one removal at a time (a --rm container's shim runs one when it
   * stops): another under way is waited for, and taken over when it does
   * not end (a removal killed midway) */
  bool claimed = false;
  if (sk_ctrs_claim_removal (e->db, id, &claimed, err) < 0)
    return -1;
  for (int i = 0; !claimed && i < 200; i++) {
    sk_ctr *still = NULL;
    if (sk_ctrs_get (e->db, id, &still, err) < 0)
      return -1;
    if (still == NULL)
      return 0; /* removed by the other */
    sk_ctr_free (still);
    sleep_ms (50);
  }
  set_string (&c->state, "removing");
  /* whatever a dead shim did not get to: the runtime's state, the mount */
  if (sk_container_delete (&e->rt, id, true, &ignored) < 0)
    sk_err_free (&ignored);
  _cleanup_free_ char *rootfs = sk_engine_bundle_path (e, id, "rootfs");
  _cleanup_free_ char *bundle = sk_engine_bundle_path (e, id, NULL);
  _cleanup_free_ char *state = sk_engine_state_path (e, id, NULL);
  if (!rootfs || !bundle || !state)
    return sk_err_set (err, ENOMEM, "remove");
  unmount_bundle (e, id);
  sk_engine_net_teardown (e, id);
  sk_endpoint **eps = NULL;
  size_t n_eps = 0;
  if (sk_engine_container_endpoints (e, id, &eps, &n_eps, &ignored) < 0)
    sk_err_free (&ignored);
  sk_endpoint_list_free (eps, n_eps);
  struct stat rs, bs;
  if (stat (rootfs, &rs) == 0 && stat (bundle, &bs) == 0 && rs.st_dev != bs.st_dev)
    return sk_err_kind (err, EBUSY, "remove %s: `%s` is still mounted", c->name, rootfs);
  if (sk_storage_rootfs_remove (e->storage, id, err) < 0 ||
      sk_remove_tree_at (AT_FDCWD, bundle, err) < 0 || sk_remove_tree_at (AT_FDCWD, state, err) < 0)
    return sk_err_wrap (err, "remove %s", c->name);
  if (sk_ctrs_delete (e->db, id, err) < 0)
    return -1;
  sk_engine_emit (e, c, "destroy", NULL, 0);
  /* its published ports out of the firewall */
  if (n_eps && sk_engine_fw_sync (e, false, &ignored) < 0)
    sk_err_free (&ignored);
  return 0;
}
