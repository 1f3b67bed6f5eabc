/* skiff: a container's Docker-style configuration as the OCI config.json the
 * runtime runs (see spec.h). The runtime's default spec (Docker's defaults)
 * is the starting point; each part of the configuration then changes it. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "engine/spec.h"
#include "oci/oci.h"
#include "runtime/cgroup.h"
#include "runtime/runtime.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/proc.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define SHM_DEFAULT  (64 << 20)
#define MEMORY_MIN   (6 << 20)
#define CFS_PERIOD   100000

static int forced_cgroup_mode = -1;

void
sk_engine_spec_force_cgroup_mode (int mode)
{
  forced_cgroup_mode = mode;
}

typedef struct ctx {
  const sk_spec_env *env;
  sk_jr top, hc;
  sk_json *doc, *process, *linux_, *res; /* res: linux.resources; all owned by doc */
  sk_cgroup_mode cgmode;
  bool privileged, readonly, tty;
  bool host_net, host_pid, host_ipc, host_uts, no_shm, cgroupns;
  bool unconfined_paths, nnp;
  char *seccomp; /* SecurityOpt seccomp=: NULL for the default */
  uint64_t caps;
  char hostname[256];
} ctx;

/* ------------------------------------------------------------------ json */

static void
put (sk_json *o, const char *key, sk_json *v)
{
  json_object_object_add (o, key, v);
}

static sk_json *
child (sk_json *o, const char *key)
{
  sk_json *v = NULL;
  if (json_object_object_get_ex (o, key, &v) && json_object_is_type (v, json_type_object))
    return v;
  v = json_object_new_object ();
  put (o, key, v);
  return v;
}

static sk_json *
array_child (sk_json *o, const char *key)
{
  sk_json *v = NULL;
  if (json_object_object_get_ex (o, key, &v) && json_object_is_type (v, json_type_array))
    return v;
  v = json_object_new_array ();
  put (o, key, v);
  return v;
}

static sk_json *
uint_json (uint64_t v)
{
  return json_object_new_uint64 (v);
}

/* null, false, 0, "", [] and {}: what Docker's clients send for "not set". */
static bool
is_set (sk_json *v)
{
  switch (json_object_get_type (v)) {
  case json_type_null: return false;
  case json_type_boolean: return json_object_get_boolean (v);
  case json_type_int: return json_object_get_int64 (v) != 0 || json_object_get_uint64 (v) != 0;
  case json_type_double: return json_object_get_double (v) != 0;
  case json_type_string: return json_object_get_string_len (v) > 0;
  case json_type_array: return json_object_array_length (v) > 0;
  case json_type_object: return json_object_object_length (v) > 0;
  }
  return true;
}

static bool
in_list (const char *s, const char *const *list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (s, list[i]) == 0)
      return true;
  return false;
}

/* HostConfig's string member, "" when absent. */
static int
hc_string (const ctx *x, const char *key, char **out, sk_err **err)
{
  sk_jr m = sk_jr_member (&x->hc, key);
  if (sk_jr_string (&m, out, err) < 0)
    return -1;
  if (*out == NULL && (*out = strdup ("")) == NULL)
    return sk_err_set (err, ENOMEM, "strdup");
  return 0;
}

static int
hc_i64 (const ctx *x, const char *key, int64_t *out, sk_err **err)
{
  sk_jr m = sk_jr_member (&x->hc, key);
  return sk_jr_int64 (&m, out, err);
}

static int
hc_bool (const ctx *x, const char *key, bool *out, sk_err **err)
{
  sk_jr m = sk_jr_member (&x->hc, key);
  return sk_jr_bool (&m, out, err);
}

/* ---------------------------------------------------------------- fields */

/* Top-level fields read here, and those other parts of the engine read. */
static const char *const top_fields[] = {
    "Image",
    "Cmd",
    "Entrypoint",
    "Env",
    "WorkingDir",
    "User",
    "Hostname",
    "Domainname",
    "Tty",
    "HostConfig",
    "OpenStdin",
    "StdinOnce",
    "AttachStdin",
    "AttachStdout",
    "AttachStderr",
    "Labels",
    "StopSignal",
    "StopTimeout",
    "Healthcheck",
    "ArgsEscaped",
    "OnBuild",
    "Shell",
    "ExposedPorts",
    "Volumes",
    "NetworkingConfig",
    "NetworkDisabled",
    "MacAddress",
};

static const char *const hc_fields[] = {
    "Privileged",
    "Init",
    "CapAdd",
    "CapDrop",
    "GroupAdd",
    "SecurityOpt",
    "OomScoreAdj",
    "Ulimits",
    "ReadonlyRootfs",
    "ShmSize",
    "Tmpfs",
    "NetworkMode",
    "PidMode",
    "IpcMode",
    "UTSMode",
    "CgroupnsMode",
    "CgroupParent",
    "Memory",
    "MemorySwap",
    "MemoryReservation",
    "MemoryHigh",
    "MemorySwappiness",
    "OomKillDisable",
    "NanoCpus",
    "CpuShares",
    "CpuPeriod",
    "CpuQuota",
    "CpusetCpus",
    "CpusetMems",
    "PidsLimit",
    "BlkioWeight",
    "BlkioWeightDevice",
    "BlkioDeviceReadBps",
    "BlkioDeviceWriteBps",
    "BlkioDeviceReadIOps",
    "BlkioDeviceWriteIOps",
    "Devices",
    "Sysctls",
    /* networking, volumes, ports, logs, restarts: other parts of the engine */
    "PortBindings",
    "PublishAllPorts",
    "Binds",
    "Mounts",
    "VolumesFrom",
    "VolumeDriver",
    "Links",
    "Dns",
    "DnsOptions",
    "DnsSearch",
    "ExtraHosts",
    "NetworkingConfig",
    "LogConfig",
    "RestartPolicy",
    "AutoRemove",
    "ContainerIDFile",
    "ConsoleSize",
};

static int
check_fields (const sk_jr *r, const char *const *known, size_t n, sk_err **err)
{
  if (sk_jr_object (r, err) < 0)
    return -1;
  if (r->obj == NULL)
    return 0;
  json_object_object_foreach (r->obj, key, v)
  {
    if (in_list (key, known, n) || !is_set (v))
      continue;
    sk_jr m = sk_jr_member (r, key);
    return sk_jr_fail (&m, err, "not supported");
  }
  return 0;
}

/* User ("", "uid", "uid:gid", "name", "name:group", "uid:group") through the
 * root's etc/passwd and etc/group, as Docker resolves it: the supplementary
 * groups of the passwd entry unless a group is given, then GroupAdd. */
static int
set_user (ctx *x, sk_err **err)
{
  _cleanup_free_ char *spec = NULL;
  _cleanup_strv_ char **add = NULL;
  sk_jr m = sk_jr_member (&x->top, "User"), g = sk_jr_member (&x->hc, "GroupAdd");
  if (sk_jr_string (&m, &spec, err) < 0 || sk_jr_strv (&g, &add, err) < 0)
    return -1;
  sk_json *user = NULL;
  if (x->env->rootfd < 0)
    return 0; /* a check of the configuration alone */
  if (sk_engine_spec_user (x->env->rootfd, spec, add, &user, err) < 0)
    return -1;
  put (x->process, "user", user);
  return 0;
}

/* ---------------------------------------------------------------- process */

/* Entrypoint and Cmd: an array of strings, or one string. */
static int
strv_or_string (const sk_jr *r, char ***out, sk_err **err)
{
  if (r->obj && json_object_is_type (r->obj, json_type_string)) {
    if ((*out = calloc (2, sizeof **out)) == NULL ||
        ((*out)[0] = strdup (json_object_get_string (r->obj))) == NULL)
      return sk_err_set (err, ENOMEM, "strdup");
    return 1;
  }
  return sk_jr_strv (r, out, err);
}

static int
set_args (ctx *x, sk_err **err)
{
  _cleanup_strv_ char **ep = NULL, **cmd = NULL;
  sk_jr e = sk_jr_member (&x->top, "Entrypoint"), c = sk_jr_member (&x->top, "Cmd");
  if (strv_or_string (&e, &ep, err) < 0 || strv_or_string (&c, &cmd, err) < 0)
    return -1;
  sk_json *args = json_object_new_array ();
  put (x->process, "args", args);
  for (size_t i = 0; ep && ep[i]; i++)
    json_object_array_add (args, json_object_new_string (ep[i]));
  for (size_t i = 0; cmd && cmd[i]; i++)
    json_object_array_add (args, json_object_new_string (cmd[i]));
  if (json_object_array_length (args) == 0)
    return sk_err_set (err, 0, "no command specified");
  return 0;
}

void
sk_engine_env_set (sk_json *env, const char *entry)
{
  const char *eq = strchr (entry, '=');
  size_t klen = eq ? (size_t) (eq - entry) : strlen (entry);
  for (size_t i = 0; i < json_object_array_length (env); i++) {
    const char *s = json_object_get_string (json_object_array_get_idx (env, i));
    if (strncmp (s, entry, klen) == 0 && s[klen] == '=') {
      if (eq)
        json_object_array_put_idx (env, i, json_object_new_string (entry));
      else
        json_object_array_del_idx (env, i, 1);
      return;
    }
  }
  if (eq)
    json_object_array_add (env, json_object_new_string (entry));
}

static int
set_env (ctx *x, sk_err **err)
{
  _cleanup_strv_ char **v = NULL;
  _cleanup_free_ char *host = NULL;
  sk_jr m = sk_jr_member (&x->top, "Env");
  if (sk_jr_strv (&m, &v, err) < 0)
    return -1;
  sk_json *env = json_object_new_array ();
  put (x->process, "env", env);
  sk_engine_env_set (env, "PATH=" DEFAULT_PATH);
  if (asprintf (&host, "HOSTNAME=%s", x->hostname) < 0)
    return sk_err_set (err, ENOMEM, "asprintf");
  sk_engine_env_set (env, host);
  if (x->tty)
    sk_engine_env_set (env, "TERM=xterm");
  for (size_t i = 0; v && v[i]; i++)
    sk_engine_env_set (env, v[i]);
  return 0;
}

static int
set_cwd (ctx *x, sk_err **err)
{
  _cleanup_free_ char *cwd = NULL;
  sk_jr m = sk_jr_member (&x->top, "WorkingDir");
  if (sk_jr_string (&m, &cwd, err) < 0)
    return -1;
  if (cwd && *cwd && *cwd != '/')
    return sk_err_set (err, 0, "WorkingDir: `%s` is invalid, it needs to be an absolute path", cwd);
  put (x->process, "cwd", json_object_new_string (cwd && *cwd ? cwd : "/"));
  return 0;
}

/* ----------------------------------------------------------- capabilities */

/* The capabilities this process may pass on: its bounding set, of those
 * skiff knows. A container cannot get more from the runtime. */
static uint64_t
host_caps (void)
{
  uint64_t known = sk_cap_last_known () >= 63 ? ~0ULL : (1ULL << (sk_cap_last_known () + 1)) - 1;
  unsigned long long bnd;
  char line[256];
  _cleanup_fclose_ FILE *f = fopen ("/proc/self/status", "re");
  while (f && fgets (line, sizeof line, f))
    if (sscanf (line, "CapBnd: %llx", &bnd) == 1)
      return known & bnd;
  return known;
}

/* "ALL" (-2), or a capability with or without CAP_, any case. */
static int
cap_number (const char *name)
{
  char buf[64];
  if (strcasecmp (name, "ALL") == 0)
    return -2;
  snprintf (buf, sizeof buf, "%s%s", strncasecmp (name, "CAP_", 4) == 0 ? "" : "CAP_", name);
  return sk_cap_from_name (buf);
}

static int
cap_mask (const ctx *x, const char *key, uint64_t host, uint64_t *mask, bool *all, sk_err **err)
{
  _cleanup_strv_ char **v = NULL;
  sk_jr m = sk_jr_member (&x->hc, key);
  if (sk_jr_strv (&m, &v, err) < 0)
    return -1;
  for (size_t i = 0; v && v[i]; i++) {
    int c = cap_number (v[i]);
    if (c == -1)
      return sk_jr_fail (&m, err, "unknown capability `%s`", v[i]);
    if (c >= 0 && !(host & (1ULL << c)) && strcmp (key, "CapAdd") == 0)
      return sk_jr_fail (&m, err, "%s is not in this host's bounding set: it cannot be granted",
                         sk_cap_name (c));
    if (c == -2)
      *all = true;
    else
      *mask |= 1ULL << c;
  }
  return 0;
}

static const char *const default_caps[] = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE",
};

/* process.capabilities: the same set bounding, effective and permitted. */
static sk_json *
caps_json (uint64_t mask)
{
  sk_json *caps = json_object_new_object ();
  static const char *const sets[] = {"bounding", "effective", "permitted"};
  for (size_t s = 0; s < SK_N_ELEMENTS (sets); s++) {
    sk_json *a = json_object_new_array ();
    for (int c = 0; c < 64; c++)
      if (mask & (1ULL << c))
        json_object_array_add (a, json_object_new_string (sk_cap_name (c)));
    put (caps, sets[s], a);
  }
  return caps;
}

/* Docker's rules ("all" being the host's bounding set): privileged has all; CapAdd ALL is all but
 * CapDrop; CapDrop ALL is CapAdd alone; otherwise the defaults less CapDrop plus CapAdd. */
static int
set_caps (ctx *x, sk_err **err)
{
  uint64_t add = 0, drop = 0, all = host_caps (), defaults = 0;
  bool add_all = false, drop_all = false;
  if (cap_mask (x, "CapAdd", all, &add, &add_all, err) < 0 ||
      cap_mask (x, "CapDrop", all, &drop, &drop_all, err) < 0)
    return -1;
  for (size_t i = 0; i < SK_N_ELEMENTS (default_caps); i++)
    defaults |= 1ULL << sk_cap_from_name (default_caps[i]);
  if (x->privileged || add_all)
    x->caps = x->privileged ? all : all & ~drop;
  else if (drop_all)
    x->caps = add & all;
  else
    x->caps = ((defaults & ~drop) | add) & all;
  put (x->process, "capabilities", caps_json (x->caps));
  return 0;
}

sk_json *
sk_engine_spec_privileged_caps (void)
{
  return caps_json (host_caps ());
}

/* ---------------------------------------------------------- rlimits, oom */

/* Ulimits [{Name, Soft, Hard}]: none by default (the host's limits are
 * inherited); a hard limit above this process's own cannot be granted. */
static int
ulimit_one (const sk_jr *e, sk_json *out, sk_err **err)
{
  _cleanup_free_ char *name = NULL;
  int64_t soft = 0, hard = 0;
  sk_jr n = sk_jr_member (e, "Name"), s = sk_jr_member (e, "Soft"), h = sk_jr_member (e, "Hard");
  if (sk_jr_object (e, err) < 0 || sk_jr_string (&n, &name, err) < 0 ||
      sk_jr_int64 (&s, &soft, err) < 0 || sk_jr_int64 (&h, &hard, err) < 0)
    return -1;
  char type[64];
  snprintf (type, sizeof type, "RLIMIT_%s", name ? name : "");
  for (char *p = type; *p; p++)
    *p = (char) toupper ((unsigned char) *p);
  int res = name && strncasecmp (name, "RLIMIT_", 7) != 0 ? sk_rlimit_from_name (type) : -1;
  if (res < 0)
    return sk_jr_fail (&n, err, "unknown ulimit `%s`", name ? name : "");
  if (soft < -1 || hard < -1)
    return sk_jr_fail (e, err, "%s: a limit is a number of 0 or more, or -1 for unlimited", name);
  uint64_t us = soft < 0 ? RLIM_INFINITY : (uint64_t) soft;
  uint64_t uh = hard < 0 ? RLIM_INFINITY : (uint64_t) hard;
  if (us > uh)
    return sk_jr_fail (e, err, "%s: soft limit %" PRId64 " is above the hard limit %" PRId64, name,
                       soft, hard);
  struct rlimit cur;
  if (getrlimit (res, &cur) < 0)
    return sk_err_set (err, errno, "getrlimit %s", name);
  if (cur.rlim_max != RLIM_INFINITY && uh > cur.rlim_max)
    return sk_jr_fail (e, err, "%s: hard limit %s is above this host's hard limit %llu", name,
                       hard < 0 ? "unlimited"
                       : h.obj  ? json_object_get_string (h.obj)
                                : "0",
                       (unsigned long long) cur.rlim_max);
  sk_json *r = json_object_new_object ();
  put (r, "type", json_object_new_string (type));
  put (r, "hard", uint_json (uh));
  put (r, "soft", uint_json (us));
  json_object_array_add (out, r);
  return 0;
}

static int
set_rlimits (ctx *x, sk_err **err)
{
  size_t n = 0;
  sk_jr m = sk_jr_member (&x->hc, "Ulimits");
  json_object_object_del (x->process, "rlimits");
  if (sk_jr_array (&m, &n, err) < 0)
    return -1;
  if (n == 0)
    return 0;
  sk_json *a = json_object_new_array ();
  put (x->process, "rlimits", a);
  for (size_t i = 0; i < n; i++) {
    sk_jr e = sk_jr_element (&m, i);
    if (ulimit_one (&e, a, err) < 0)
      return -1;
  }
  return 0;
}

static int
set_oom_score (ctx *x, sk_err **err)
{
  int64_t v = 0;
  int r = hc_i64 (x, "OomScoreAdj", &v, err);
  if (r < 0)
    return -1;
  if (v < -1000 || v > 1000)
    return sk_err_set (err, 0, "HostConfig.OomScoreAdj: %" PRId64 " is outside -1000..1000", v);
  if (r > 0 && v != 0)
    put (x->process, "oomScoreAdj", json_object_new_int ((int) v));
  return 0;
}

/* ------------------------------------------------------------ SecurityOpt */

static int
security_opt (ctx *x, const char *opt, sk_err **err)
{
  const char *sep = opt + strcspn (opt, "=:"), *val = *sep ? sep + 1 : NULL;
  size_t klen = (size_t) (sep - opt);
  if (klen == 17 && strncmp (opt, "no-new-privileges", klen) == 0) {
    if (val == NULL || strcmp (val, "true") == 0 || strcmp (val, "false") == 0) {
      x->nnp = val == NULL || strcmp (val, "true") == 0;
      return 0;
    }
  } else if (val && klen == 7 && strncmp (opt, "seccomp", klen) == 0 && *val) {
    free (x->seccomp);
    if ((x->seccomp = strdup (val)) == NULL)
      return sk_err_set (err, ENOMEM, "strdup");
    return 0;
  } else if (val && strcmp (opt, "systempaths=unconfined") == 0) {
    x->unconfined_paths = true;
    return 0;
  } else if (strcmp (opt, "apparmor=unconfined") == 0 || strcmp (opt, "label=disable") == 0 ||
             strcmp (opt, "label:disable") == 0) {
    return 0; /* no AppArmor or SELinux here: already so */
  } else if (val && ((klen == 8 && strncmp (opt, "apparmor", klen) == 0) ||
                     (klen == 5 && strncmp (opt, "label", klen) == 0))) {
    return sk_err_set (err, 0, "HostConfig.SecurityOpt: `%s` is not supported", opt);
  }
  return sk_err_set (err, 0, "HostConfig.SecurityOpt: `%s` is not a valid security option", opt);
}

static int
read_security_opts (ctx *x, sk_err **err)
{
  _cleanup_strv_ char **v = NULL;
  sk_jr m = sk_jr_member (&x->hc, "SecurityOpt");
  if (sk_jr_strv (&m, &v, err) < 0)
    return -1;
  for (size_t i = 0; v && v[i]; i++)
    if (security_opt (x, v[i], err) < 0)
      return -1;
  return 0;
}

/* HostConfig.ConsoleSize [height, width]: the terminal's first size */
static int
set_console_size (ctx *x, sk_err **err)
{
  sk_jr m = sk_jr_member (&x->hc, "ConsoleSize");
  size_t n = 0;
  int r = sk_jr_array (&m, &n, err);
  if (r <= 0 || !x->tty)
    return r;
  uint32_t size[2] = {0, 0};
  for (size_t i = 0; i < n && i < 2; i++) {
    sk_jr e = sk_jr_element (&m, i);
    if (sk_jr_uint32 (&e, &size[i], err) < 0)
      return -1;
  }
  if (size[0] == 0 || size[1] == 0)
    return 0;
  sk_json *cs = json_object_new_object ();
  put (cs, "height", json_object_new_int64 (size[0]));
  put (cs, "width", json_object_new_int64 (size[1]));
  put (x->process, "consoleSize", cs);
  return 0;
}

/* StopSignal is not in the spec, but a bad one is an error of create (as
 * Docker's), not a stop that quietly sends SIGTERM instead. */
static int
check_stop_signal (ctx *x, sk_err **err)
{
  _cleanup_free_ char *sig = NULL;
  sk_jr m = sk_jr_member (&x->top, "StopSignal");
  if (sk_jr_string (&m, &sig, err) < 0)
    return -1;
  if (sig && *sig && sk_signal_parse (sig) <= 0)
    return sk_err_set (err, 0, "Invalid signal: %s", sig);
  return 0;
}

static int
set_process (ctx *x, sk_err **err)
{
  put (x->process, "terminal", json_object_new_boolean (x->tty));
  if (set_console_size (x, err) < 0)
    return -1;
  put (x->process, "noNewPrivileges", json_object_new_boolean (x->nnp));
  if (set_args (x, err) < 0 || set_env (x, err) < 0 || set_cwd (x, err) < 0 ||
      set_user (x, err) < 0 || set_caps (x, err) < 0 || set_rlimits (x, err) < 0 ||
      set_oom_score (x, err) < 0 || check_stop_signal (x, err) < 0)
    return -1;
  return 0;
}

/* ------------------------------------------------------------- namespaces */

/* One of the *Mode fields: "" or one of `private` gives a namespace of its
 * own, "host" none; `container:NAME` where join (the caller found the other
 * container's namespace). */
static int
ns_mode (const ctx *x, const char *key, const char *const *private, size_t n, bool join, bool *host,
         sk_err **err)
{
  _cleanup_free_ char *v = NULL;
  if (hc_string (x, key, &v, err) < 0)
    return -1;
  *host = strcmp (v, "host") == 0;
  if (*host || *v == '\0' || in_list (v, private, n))
    return 0;
  if (strncmp (v, "container:", 10) == 0 && v[10] && join)
    return 0;
  if (strncmp (v, "container:", 10) == 0 && v[10] == '\0')
    return sk_err_set (err, 0, "HostConfig.%s: `%s` names no container", key, v);
  if (strncmp (v, "container:", 10) == 0)
    return sk_err_set (err, 0, "HostConfig.%s: `%s`: the other container's namespace is not known",
                       key, v);
  return sk_err_set (err, 0, "HostConfig.%s: unknown mode `%s`", key, v);
}

static int
read_modes (ctx *x, sk_err **err)
{
  static const char *const net[] = {"none", "default", "bridge"};
  static const char *const ipc[] = {"private", "shareable", "none"};
  static const char *const pid[] = {"private"};
  static const char *const cgns[] = {"private"};
  _cleanup_free_ char *ipc_mode = NULL, *net_mode = NULL;
  bool cg_host;
  if (hc_string (x, "NetworkMode", &net_mode, err) < 0)
    return -1;
  /* any other name is a network of the engine's, found at create */
  bool named = *net_mode && strcmp (net_mode, "host") != 0 && !in_list (net_mode, net, 3) &&
               strncmp (net_mode, "container:", 10) != 0;
  const sk_spec_env *env = x->env;
  x->host_net = false;
  if ((!named && ns_mode (x, "NetworkMode", net, 3, env->net_ns != NULL, &x->host_net, err) < 0) ||
      ns_mode (x, "PidMode", pid, 1, env->pid_ns != NULL, &x->host_pid, err) < 0 ||
      ns_mode (x, "IpcMode", ipc, 3, env->ipc_ns != NULL, &x->host_ipc, err) < 0 ||
      ns_mode (x, "UTSMode", NULL, 0, env->uts_ns != NULL, &x->host_uts, err) < 0 ||
      ns_mode (x, "CgroupnsMode", cgns, 1, false, &cg_host, err) < 0 ||
      hc_string (x, "IpcMode", &ipc_mode, err) < 0)
    return -1;
  x->no_shm = strcmp (ipc_mode, "none") == 0;
  /* Docker's default: a cgroup namespace of its own on cgroup v2 only */
  _cleanup_free_ char *cg = NULL;
  if (hc_string (x, "CgroupnsMode", &cg, err) < 0)
    return -1;
  x->cgroupns = *cg ? !cg_host : x->cgmode == SK_CGROUP_V2;
  return 0;
}

static void
set_namespaces (ctx *x)
{
  sk_json *ns = json_object_new_array ();
  struct {
    const char *type;
    bool on;
    const char *path; /* a container:NAME mode: the other container's */
  } list[] = {
      {"pid", !x->host_pid, x->env->pid_ns},
      {"network", !x->host_net, x->env->net_ns},
      {"ipc", !x->host_ipc, x->env->ipc_ns},
      {"uts", !x->host_uts, x->env->uts_ns},
      {"mount", true, NULL},
      {"cgroup", x->cgroupns, NULL},
  };
  for (size_t i = 0; i < SK_N_ELEMENTS (list); i++) {
    if (!list[i].on)
      continue;
    sk_json *n = json_object_new_object ();
    put (n, "type", json_object_new_string (list[i].type));
    if (list[i].path)
      put (n, "path", json_object_new_string (list[i].path));
    json_object_array_add (ns, n);
  }
  put (x->linux_, "namespaces", ns);
}

static int
set_hostname (ctx *x, sk_err **err)
{
  _cleanup_free_ char *name = NULL, *domain = NULL;
  sk_jr h = sk_jr_member (&x->top, "Hostname"), d = sk_jr_member (&x->top, "Domainname");
  if (sk_jr_string (&h, &name, err) < 0 || sk_jr_string (&d, &domain, err) < 0)
    return -1;
  json_object_object_del (x->doc, "hostname");
  if (x->host_uts) {
    if ((name && *name) || (domain && *domain))
      return sk_err_set (err, 0, "HostConfig.UTSMode: host conflicts with Hostname and Domainname");
    if (gethostname (x->hostname, sizeof x->hostname - 1) < 0)
      return sk_err_set (err, errno, "gethostname");
    return 0;
  }
  if (x->env->uts_ns) { /* the other container's UTS namespace: its name, left as it is */
    if ((name && *name) || (domain && *domain))
      return sk_err_set (err, 0,
                         "HostConfig.UTSMode: container: conflicts with Hostname and Domainname");
    snprintf (x->hostname, sizeof x->hostname, "%s",
              x->env->uts_hostname ? x->env->uts_hostname : "");
    return 0;
  }
  if (name && strlen (name) >= sizeof x->hostname)
    return sk_err_set (err, 0, "Hostname: longer than %zu characters", sizeof x->hostname - 1);
  snprintf (x->hostname, sizeof x->hostname, "%.*s", name && *name ? (int) strlen (name) : 12,
            name && *name ? name : x->env->id);
  put (x->doc, "hostname", json_object_new_string (x->hostname));
  if (domain && *domain)
    put (x->doc, "domainname", json_object_new_string (domain));
  return 0;
}

/* ----------------------------------------------------------------- mounts */

static sk_json *
strings_json (const char *const *v, size_t n)
{
  sk_json *a = json_object_new_array ();
  for (size_t i = 0; i < n; i++)
    json_object_array_add (a, json_object_new_string (v[i]));
  return a;
}

static sk_json *
new_mount (const char *dest, const char *type, const char *src, sk_json *options)
{
  sk_json *m = json_object_new_object ();
  put (m, "destination", json_object_new_string (dest));
  put (m, "type", json_object_new_string (type));
  put (m, "source", json_object_new_string (src));
  put (m, "options", options);
  return m;
}

static sk_json *
find_mount (sk_json *mounts, const char *dest, size_t *index)
{
  for (size_t i = 0; i < json_object_array_length (mounts); i++) {
    sk_json *m = json_object_array_get_idx (mounts, i), *d;
    if (json_object_object_get_ex (m, "destination", &d) &&
        strcmp (json_object_get_string (d), dest) == 0) {
      if (index)
        *index = i;
      return m;
    }
  }
  return NULL;
}

static void
remove_mount (sk_json *mounts, const char *dest)
{
  size_t i;
  if (find_mount (mounts, dest, &i))
    json_object_array_del_idx (mounts, i, 1);
}

/* Drops the options of mount `dest` that start with `prefix` (whole when it
 * ends without '='), then adds `add` if not NULL. */
static void
mount_option (sk_json *mounts, const char *dest, const char *prefix, const char *add)
{
  sk_json *m = find_mount (mounts, dest, NULL), *opts;
  if (m == NULL || !json_object_object_get_ex (m, "options", &opts))
    return;
  size_t plen = strlen (prefix);
  bool whole = prefix[plen - 1] != '=';
  for (size_t i = json_object_array_length (opts); i-- > 0;) {
    const char *o = json_object_get_string (json_object_array_get_idx (opts, i));
    if (whole ? strcmp (o, prefix) == 0 : strncmp (o, prefix, plen) == 0)
      json_object_array_del_idx (opts, i, 1);
  }
  if (add)
    json_object_array_add (opts, json_object_new_string (add));
}

static int
set_shm (ctx *x, sk_json *mounts, sk_err **err)
{
  int64_t size = SHM_DEFAULT;
  if (hc_i64 (x, "ShmSize", &size, err) < 0)
    return -1;
  if (size < 0)
    return sk_err_set (err, 0, "HostConfig.ShmSize: %" PRId64 " is below 0", size);
  if (size == 0)
    size = SHM_DEFAULT;
  if (x->no_shm) {
    remove_mount (mounts, "/dev/shm");
  } else if (x->host_ipc || x->env->shm_path) {
    static const char *const o[] = {"rbind", "rprivate"};
    remove_mount (mounts, "/dev/shm");
    json_object_array_add (mounts, new_mount ("/dev/shm", "bind",
                                              x->host_ipc ? "/dev/shm" : x->env->shm_path,
                                              strings_json (o, 2)));
  } else {
    char opt[64];
    snprintf (opt, sizeof opt, "size=%" PRId64, size);
    mount_option (mounts, "/dev/shm", "size=", opt);
  }
  return 0;
}

/* Tmpfs {"/path": "opts"}: nosuid, nodev and noexec unless the options say
 * otherwise, as Docker does. */
static int
set_tmpfs (ctx *x, sk_json *mounts, sk_err **err)
{
  _cleanup_strv_ char **keys = NULL, **values = NULL;
  sk_jr m = sk_jr_member (&x->hc, "Tmpfs");
  if (sk_jr_string_map (&m, &keys, &values, err) < 0)
    return -1;
  for (size_t i = 0; keys && keys[i]; i++) {
    if (keys[i][0] != '/')
      return sk_jr_fail (&m, err, "`%s` is not an absolute path", keys[i]);
    static const struct {
      const char *def, *negation;
    } defaults[] = {{"nosuid", "suid"}, {"nodev", "dev"}, {"noexec", "exec"}};
    sk_json *opts = json_object_new_array ();
    _cleanup_free_ char *list = strdup (values[i]);
    if (list == NULL) {
      json_object_put (opts);
      return sk_err_set (err, ENOMEM, "strdup");
    }
    for (size_t d = 0; d < SK_N_ELEMENTS (defaults); d++) {
      char pat[16];
      snprintf (pat, sizeof pat, ",%s,", defaults[d].negation);
      _cleanup_free_ char *wrapped = NULL;
      if (asprintf (&wrapped, ",%s,", values[i]) >= 0 && strstr (wrapped, pat) == NULL)
        json_object_array_add (opts, json_object_new_string (defaults[d].def));
    }
    char *save = NULL;
    for (char *o = strtok_r (list, ",", &save); o; o = strtok_r (NULL, ",", &save))
      json_object_array_add (opts, json_object_new_string (o));
    remove_mount (mounts, keys[i]);
    json_object_array_add (mounts, new_mount (keys[i], "tmpfs", "tmpfs", opts));
  }
  return 0;
}

static void
set_etc_binds (ctx *x, sk_json *mounts)
{
  const struct {
    const char *dest, *src;
  } files[] = {
      {"/etc/hostname", x->env->hostname_path},
      {"/etc/hosts", x->env->hosts_path},
      {"/etc/resolv.conf", x->env->resolv_path},
  };
  for (size_t i = 0; i < SK_N_ELEMENTS (files); i++) {
    if (files[i].src == NULL)
      continue;
    static const char *const rw[] = {"rbind", "rprivate"}, *const ro[] = {"rbind", "rprivate",
                                                                          "ro"};
    remove_mount (mounts, files[i].dest);
    json_object_array_add (mounts,
                           new_mount (files[i].dest, "bind", files[i].src,
                                      x->readonly ? strings_json (ro, 3) : strings_json (rw, 2)));
  }
}

/* --init: Debian's tini-static, read-only, as the container's PID 1 at
 * /sbin/docker-init, where Docker puts its docker-init; it runs the
 * command and reaps the zombies it inherits. */
static int
set_init (ctx *x, sk_json *mounts, sk_err **err)
{
  bool init = false;
  if (hc_bool (x, "Init", &init, err) < 0)
    return -1;
  if (!init)
    return 0;
  if (access (SK_INIT_PATH, X_OK) < 0)
    return sk_err_set (err, errno, "HostConfig.Init: `%s` (Debian's tini)", SK_INIT_PATH);
  static const char *const o[] = {"bind", "ro", "nosuid", "nodev"};
  json_object_array_add (mounts, new_mount ("/sbin/docker-init", "bind", SK_INIT_PATH,
                                            strings_json (o, 4)));
  sk_json *args = NULL, *with = json_object_new_array ();
  json_object_object_get_ex (x->process, "args", &args);
  json_object_array_add (with, json_object_new_string ("/sbin/docker-init"));
  json_object_array_add (with, json_object_new_string ("--"));
  for (size_t i = 0; args && i < json_object_array_length (args); i++)
    json_object_array_add (with, json_object_get (json_object_array_get_idx (args, i)));
  put (x->process, "args", with);
  return 0;
}

static int
set_mounts (ctx *x, sk_err **err)
{
  sk_json *mounts = array_child (x->doc, "mounts");
  if (set_init (x, mounts, err) < 0)
    return -1;
  if (set_shm (x, mounts, err) < 0)
    return -1;
  if (x->privileged) {
    mount_option (mounts, "/sys", "ro", NULL);
    mount_option (mounts, "/sys/fs/cgroup", "ro", NULL);
  }
  if (set_tmpfs (x, mounts, err) < 0)
    return -1;
  set_etc_binds (x, mounts);
  for (size_t i = 0; x->env->mounts && i < json_object_array_length (x->env->mounts); i++) {
    sk_json *m = json_object_array_get_idx (x->env->mounts, i), *d = NULL;
    if (json_object_object_get_ex (m, "destination", &d))
      remove_mount (mounts, json_object_get_string (d));
    json_object_array_add (mounts, json_object_get (m));
  }
  sk_json *root = child (x->doc, "root");
  put (root, "path", json_object_new_string (x->env->rootfs));
  put (root, "readonly", json_object_new_boolean (x->readonly));
  return 0;
}

/* -------------------------------------------------------------- resources */

static bool
swap_accounting (const ctx *x)
{
  return x->cgmode == SK_CGROUP_V2 ||
         access ("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK) == 0;
}

typedef struct mem_opts {
  int64_t limit, swap, reservation, high, swappiness;
  bool oom_kill_disable;
} mem_opts;

static int
check_memory (const mem_opts *o, sk_err **err)
{
  if (o->limit < 0 || o->reservation < 0 || o->high < 0 || o->swap < -1)
    return sk_err_set (err, 0, "HostConfig: a memory limit is below 0");
  if (o->limit > 0 && o->limit < MEMORY_MIN)
    return sk_err_set (err, 0, "HostConfig.Memory: the minimum memory limit allowed is 6MB");
  if (o->swap > 0 && o->limit == 0)
    return sk_err_set (err, 0, "HostConfig.MemorySwap: needs a Memory limit as well");
  if (o->swap > 0 && o->swap < o->limit)
    return sk_err_set (err, 0,
                       "HostConfig.MemorySwap: %" PRId64 " is below the memory limit %" PRId64,
                       o->swap, o->limit);
  if (o->limit > 0 && o->reservation > o->limit)
    return sk_err_set (
        err, 0, "HostConfig.MemoryReservation: %" PRId64 " is above the memory limit %" PRId64,
        o->reservation, o->limit);
  if (o->swappiness < -1 || o->swappiness > 100)
    return sk_err_set (err, 0, "HostConfig.MemorySwappiness: %" PRId64 " is outside 0..100",
                       o->swappiness);
  return 0;
}

static int
set_memory (ctx *x, sk_err **err)
{
  mem_opts o = {.swappiness = -1};
  if (hc_i64 (x, "Memory", &o.limit, err) < 0 || hc_i64 (x, "MemorySwap", &o.swap, err) < 0 ||
      hc_i64 (x, "MemoryReservation", &o.reservation, err) < 0 ||
      hc_i64 (x, "MemoryHigh", &o.high, err) < 0 ||
      hc_i64 (x, "MemorySwappiness", &o.swappiness, err) < 0 ||
      hc_bool (x, "OomKillDisable", &o.oom_kill_disable, err) < 0 || check_memory (&o, err) < 0)
    return -1;
  if (o.limit > 0 && o.swap == 0 && swap_accounting (x))
    o.swap = o.limit * 2; /* Docker's default: as much swap as memory */
  sk_json *m = json_object_new_object ();
  if (o.limit > 0)
    put (m, "limit", json_object_new_int64 (o.limit));
  if (o.swap != 0)
    put (m, "swap", json_object_new_int64 (o.swap));
  if (o.reservation > 0)
    put (m, "reservation", json_object_new_int64 (o.reservation));
  if (o.swappiness >= 0)
    put (m, "swappiness", uint_json ((uint64_t) o.swappiness));
  if (o.oom_kill_disable)
    put (m, "disableOOMKiller", json_object_new_boolean (1));
  if (json_object_object_length (m))
    put (x->res, "memory", m);
  else
    json_object_put (m);
  if (o.high == 0)
    return 0;
  /* memory.high exists only in cgroup v2; the runtime writes unified keys there */
  if (x->cgmode != SK_CGROUP_V2)
    return sk_err_set (err, 0,
                       "HostConfig.MemoryHigh: needs cgroup v2 (this host's memory "
                       "controller is on cgroup v1)");
  char v[32];
  snprintf (v, sizeof v, "%" PRId64, o.high);
  put (child (x->res, "unified"), "memory.high", json_object_new_string (v));
  return 0;
}

typedef struct cpu_opts {
  int64_t nano, shares, period, quota;
} cpu_opts;

static int
check_cpu (const cpu_opts *o, sk_err **err)
{
  long ncpu = sysconf (_SC_NPROCESSORS_ONLN);
  if (o->nano < 0 || o->shares < 0 || o->period < 0 || o->quota < -1)
    return sk_err_set (err, 0, "HostConfig: a CPU setting is below 0");
  if (o->nano && (o->period || o->quota))
    return sk_err_set (err, 0, "HostConfig.NanoCpus: conflicts with %s",
                       o->period ? "CpuPeriod" : "CpuQuota");
  if (o->nano && ncpu > 0 && (o->nano > ncpu * 1000000000LL || o->nano < 10000000))
    return sk_err_set (err, 0,
                       "HostConfig.NanoCpus: the range of CPUs is from 0.01 to %ld.00, as "
                       "there are only %ld CPUs available",
                       ncpu, ncpu);
  if (o->period && (o->period < 1000 || o->period > 1000000))
    return sk_err_set (err, 0, "HostConfig.CpuPeriod: %" PRId64 " is outside 1000..1000000",
                       o->period);
  if (o->quota > 0 && o->quota < 1000)
    return sk_err_set (err, 0, "HostConfig.CpuQuota: %" PRId64 " is below 1000 (1ms)", o->quota);
  return 0;
}

#define CPUSET_MAX 4096

/* A cpuset list ("0-3,5") into set[]; false when it is not one. A number
 * past CPUSET_MAX sets *beyond. */
static bool
cpuset_parse (const char *v, bool set[CPUSET_MAX], bool *beyond)
{
  memset (set, 0, CPUSET_MAX * sizeof set[0]);
  const char *p = v;
  while (*p) {
    char *end;
    if (*p < '0' || *p > '9')
      return false;
    unsigned long a = strtoul (p, &end, 10), b = a;
    if (*end == '-') {
      if (end[1] < '0' || end[1] > '9')
        return false;
      b = strtoul (end + 1, &end, 10);
    }
    if (a > b || (*end != ',' && *end != '\0'))
      return false;
    *beyond |= b >= CPUSET_MAX;
    for (unsigned long i = a; i <= b && i < CPUSET_MAX; i++)
      set[i] = true;
    p = *end == ',' ? end + 1 : end;
    if (*end == ',' && *p == '\0')
      return false;
  }
  return true;
}

/* CpusetCpus or CpusetMems against what this host has online (docker's
 * messages). */
static int
cpuset_check (const char *v, const char *online_file, bool cpus, sk_err **err)
{
  bool want[CPUSET_MAX], have[CPUSET_MAX];
  if (*v == '\0')
    return 0;
  bool beyond = false, ignored_beyond = false;
  if (!cpuset_parse (v, want, &beyond))
    return sk_err_kind (err, EINVAL, "Invalid value %s for cpuset %s", v, cpus ? "cpus" : "mems");
  _cleanup_free_ char *online = NULL;
  size_t len = 0;
  sk_err *ignored = NULL;
  if (sk_read_file (online_file, &online, &len, &ignored) < 0) {
    sk_err_free (&ignored);
    online = strdup ("0");
  }
  if (online == NULL)
    return sk_err_set (err, ENOMEM, "cpuset");
  online[strcspn (online, "\n")] = '\0';
  if (!cpuset_parse (online, have, &ignored_beyond))
    return 0; /* not something to judge by */
  for (size_t i = 0; i < CPUSET_MAX; i++)
    if ((want[i] && !have[i]) || beyond)
      return sk_err_kind (err, EINVAL,
                          "Requested %s are not available - requested %s, available: %s",
                          cpus ? "CPUs" : "memory nodes", v, online);
  return 0;
}

static int
set_cpu (ctx *x, sk_err **err)
{
  _cleanup_free_ char *cpus = NULL, *mems = NULL;
  cpu_opts o = {0};
  if (hc_i64 (x, "NanoCpus", &o.nano, err) < 0 || hc_i64 (x, "CpuShares", &o.shares, err) < 0 ||
      hc_i64 (x, "CpuPeriod", &o.period, err) < 0 || hc_i64 (x, "CpuQuota", &o.quota, err) < 0 ||
      hc_string (x, "CpusetCpus", &cpus, err) < 0 || hc_string (x, "CpusetMems", &mems, err) < 0 ||
      check_cpu (&o, err) < 0 ||
      cpuset_check (cpus, "/sys/devices/system/cpu/online", true, err) < 0 ||
      cpuset_check (mems, "/sys/devices/system/node/online", false, err) < 0)
    return -1;
  if (o.nano) {
    o.period = CFS_PERIOD;
    o.quota = o.nano * CFS_PERIOD / 1000000000LL;
  }
  sk_json *c = json_object_new_object ();
  if (o.shares)
    put (c, "shares", uint_json ((uint64_t) o.shares));
  if (o.period)
    put (c, "period", uint_json ((uint64_t) o.period));
  if (o.quota)
    put (c, "quota", json_object_new_int64 (o.quota));
  if (*cpus)
    put (c, "cpus", json_object_new_string (cpus));
  if (*mems)
    put (c, "mems", json_object_new_string (mems));
  if (json_object_object_length (c))
    put (x->res, "cpu", c);
  else
    json_object_put (c);
  return 0;
}

static int
set_pids (ctx *x, sk_err **err)
{
  int64_t limit = 0;
  if (hc_i64 (x, "PidsLimit", &limit, err) < 0)
    return -1;
  if (limit > 0) { /* 0 and -1: unlimited */
    sk_json *p = json_object_new_object ();
    put (p, "limit", json_object_new_int64 (limit));
    put (x->res, "pids", p);
  }
  return 0;
}

/* major:minor of a block device of the host, from its path. */
static int
host_block_device (const sk_jr *r, const char *path, sk_json *entry, sk_err **err)
{
  struct stat st;
  if (path == NULL || stat (path, &st) < 0)
    return sk_jr_fail (r, err, "stat `%s`: %s", path ? path : "", strerror (path ? errno : ENOENT));
  if (!S_ISBLK (st.st_mode))
    return sk_jr_fail (r, err, "`%s` is not a block device", path);
  put (entry, "major", json_object_new_int64 (major (st.st_rdev)));
  put (entry, "minor", json_object_new_int64 (minor (st.st_rdev)));
  return 0;
}

/* [{Path, <value>}] as [{major, minor, <oci>}] in blockIO.<oci_key>. */
static int
blkio_list (ctx *x, const char *key, const char *value, const char *oci_key, const char *oci_value,
            sk_err **err)
{
  size_t n = 0;
  sk_jr m = sk_jr_member (&x->hc, key);
  if (sk_jr_array (&m, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++) {
    sk_jr e = sk_jr_element (&m, i), p = sk_jr_member (&e, "Path"), v = sk_jr_member (&e, value);
    _cleanup_free_ char *path = NULL;
    int64_t rate = 0;
    if (sk_jr_object (&e, err) < 0 || sk_jr_string (&p, &path, err) < 0 ||
        sk_jr_int64 (&v, &rate, err) < 0)
      return -1;
    if (rate < 0 || (strcmp (value, "Weight") == 0 && (rate < 10 || rate > 1000)))
      return sk_jr_fail (&v, err, "%" PRId64 " is out of range", rate);
    sk_json *entry = json_object_new_object ();
    json_object_array_add (array_child (child (x->res, "blockIO"), oci_key), entry);
    if (host_block_device (&p, path, entry, err) < 0)
      return -1;
    put (entry, oci_value, uint_json ((uint64_t) rate));
  }
  return 0;
}

static int
set_blkio (ctx *x, sk_err **err)
{
  int64_t weight = 0;
  if (hc_i64 (x, "BlkioWeight", &weight, err) < 0)
    return -1;
  if (weight != 0 && (weight < 10 || weight > 1000))
    return sk_err_set (err, 0, "HostConfig.BlkioWeight: %" PRId64 " is outside 10..1000", weight);
  if (weight)
    put (child (x->res, "blockIO"), "weight", uint_json ((uint64_t) weight));
  if (blkio_list (x, "BlkioWeightDevice", "Weight", "weightDevice", "weight", err) < 0 ||
      blkio_list (x, "BlkioDeviceReadBps", "Rate", "throttleReadBpsDevice", "rate", err) < 0 ||
      blkio_list (x, "BlkioDeviceWriteBps", "Rate", "throttleWriteBpsDevice", "rate", err) < 0 ||
      blkio_list (x, "BlkioDeviceReadIOps", "Rate", "throttleReadIOPSDevice", "rate", err) < 0 ||
      blkio_list (x, "BlkioDeviceWriteIOps", "Rate", "throttleWriteIOPSDevice", "rate", err) < 0)
    return -1;
  return 0;
}

/* ---------------------------------------------------------------- devices */

/* A device node in linux.devices and its rule in linux.resources.devices. */
static void
add_device (ctx *x, const char *path, const struct stat *st, const char *access)
{
  const char type[2] = {S_ISBLK (st->st_mode) ? 'b' : 'c', '\0'};
  sk_json *d = json_object_new_object ();
  put (d, "path", json_object_new_string (path));
  put (d, "type", json_object_new_string (type));
  put (d, "major", json_object_new_int64 (major (st->st_rdev)));
  put (d, "minor", json_object_new_int64 (minor (st->st_rdev)));
  put (d, "fileMode", uint_json (st->st_mode & 07777));
  put (d, "uid", uint_json (st->st_uid));
  put (d, "gid", uint_json (st->st_gid));
  json_object_array_add (array_child (x->linux_, "devices"), d);
  if (access == NULL)
    return;
  sk_json *r = json_object_new_object ();
  put (r, "allow", json_object_new_boolean (1));
  put (r, "type", json_object_new_string (type));
  put (r, "major", json_object_new_int64 (major (st->st_rdev)));
  put (r, "minor", json_object_new_int64 (minor (st->st_rdev)));
  put (r, "access", json_object_new_string (access));
  json_object_array_add (array_child (x->res, "devices"), r);
}

static int
device_one (ctx *x, const sk_jr *e, sk_err **err)
{
  _cleanup_free_ char *host = NULL, *inside = NULL, *perms = NULL;
  sk_jr h = sk_jr_member (e, "PathOnHost"), c = sk_jr_member (e, "PathInContainer"),
        p = sk_jr_member (e, "CgroupPermissions");
  if (sk_jr_object (e, err) < 0 || sk_jr_string (&h, &host, err) < 0 ||
      sk_jr_string (&c, &inside, err) < 0 || sk_jr_string (&p, &perms, err) < 0)
    return -1;
  struct stat st;
  if (host == NULL || stat (host, &st) < 0)
    return sk_jr_fail (&h, err, "stat `%s`: %s", host ? host : "",
                       strerror (host ? errno : ENOENT));
  if (!S_ISCHR (st.st_mode) && !S_ISBLK (st.st_mode))
    return sk_jr_fail (&h, err, "`%s` is not a device node", host);
  const char *dest = inside && *inside ? inside : host;
  if (*dest != '/')
    return sk_jr_fail (&c, err, "`%s` is not an absolute path", dest);
  const char *access = perms && *perms ? perms : "rwm";
  if (strspn (access, "rwm") != strlen (access) || strlen (access) > 3)
    return sk_jr_fail (&p, err, "`%s` is not a set of r, w and m", access);
  add_device (x, dest, &st, access);
  return 0;
}

static int
set_devices (ctx *x, sk_err **err)
{
  size_t n = 0;
  sk_jr m = sk_jr_member (&x->hc, "Devices");
  if (sk_jr_array (&m, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++) {
    sk_jr e = sk_jr_element (&m, i);
    if (device_one (x, &e, err) < 0)
      return -1;
  }
  return 0;
}

/* Privileged: every device node of the host's /dev, all of them allowed. */
static void
host_devices_in (ctx *x, int fd, const char *dir, int depth)
{
  static const char *const skip[] = {"pts",  "shm",  "fd",     "mqueue",  "console", "null",
                                     "zero", "full", "random", "urandom", "tty",     "ptmx"};
  _cleanup_closedir_ DIR *d = fdopendir (fd);
  if (d == NULL) {
    close (fd);
    return;
  }
  for (struct dirent *e; (e = readdir (d));) {
    if (e->d_name[0] == '.' || (depth == 0 && in_list (e->d_name, skip, SK_N_ELEMENTS (skip))))
      continue;
    struct stat st;
    if (fstatat (dirfd (d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    _cleanup_free_ char *path = sk_path_join (dir, e->d_name);
    if (path == NULL)
      continue;
    if (S_ISDIR (st.st_mode) && depth < 4) {
      int sub = openat (dirfd (d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0)
        host_devices_in (x, sub, path, depth + 1);
    } else if ((S_ISCHR (st.st_mode) || S_ISBLK (st.st_mode)) && major (st.st_rdev) != 0) {
      add_device (x, path, &st, NULL);
    }
  }
}

static void
set_privileged_devices (ctx *x)
{
  int fd = open ("/dev", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0)
    host_devices_in (x, fd, "/dev", 0);
  sk_json *all = json_object_new_array (), *r = json_object_new_object ();
  put (r, "allow", json_object_new_boolean (1));
  put (r, "access", json_object_new_string ("rwm"));
  json_object_array_add (all, r);
  put (x->res, "devices", all);
}

/* ---------------------------------------------------------------- sysctls */

/* Docker's rule: only namespaced sysctls, of a namespace the container has. */
static int
sysctl_check (const ctx *x, const char *key, sk_err **err)
{
  static const char *const ipc[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                    "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                    "kernel.shmmni", "kernel.shm_rmid_forced"};
  bool is_ipc = in_list (key, ipc, SK_N_ELEMENTS (ipc)) || strncmp (key, "fs.mqueue.", 10) == 0;
  bool is_net = strncmp (key, "net.", 4) == 0;
  if (!is_ipc && !is_net)
    return sk_err_set (err, 0, "HostConfig.Sysctls: `%s` is not allowed in a container", key);
  if ((is_ipc && x->host_ipc) || (is_net && x->host_net))
    return sk_err_set (err, 0,
                       "HostConfig.Sysctls: `%s` is not allowed with the host's %s namespace", key,
                       is_ipc ? "IPC" : "network");
  if (is_ipc && x->env->ipc_ns)
    return sk_err_set (err, 0,
                       "HostConfig.Sysctls: `%s` is not allowed in another container's IPC "
                       "namespace (IpcMode container:)",
                       key);
  return 0;
}

static int
set_sysctls (ctx *x, sk_err **err)
{
  _cleanup_strv_ char **keys = NULL, **values = NULL;
  sk_jr m = sk_jr_member (&x->hc, "Sysctls");
  if (sk_jr_string_map (&m, &keys, &values, err) < 0)
    return -1;
  for (size_t i = 0; keys && keys[i]; i++) {
    if (sysctl_check (x, keys[i], err) < 0)
      return -1;
    put (child (x->linux_, "sysctl"), keys[i], json_object_new_string (values[i]));
  }
  return 0;
}

/* ---------------------------------------------------------------- seccomp */

static const struct {
  const char *machine, *go, *scmp;
} arches[] = {
    {"x86_64", "amd64", "SCMP_ARCH_X86_64"},
    {"aarch64", "arm64", "SCMP_ARCH_AARCH64"},
    {"i686", "386", "SCMP_ARCH_X86"},
    {"armv7l", "arm", "SCMP_ARCH_ARM"},
    {"ppc64le", "ppc64le", "SCMP_ARCH_PPC64LE"},
    {"s390x", "s390x", "SCMP_ARCH_S390X"},
    {"riscv64", "riscv64", "SCMP_ARCH_RISCV64"},
};

static size_t
native_arch (void)
{
  struct utsname u;
  if (uname (&u) == 0)
    for (size_t i = 0; i < SK_N_ELEMENTS (arches); i++)
      if (strcmp (u.machine, arches[i].machine) == 0)
        return i;
  return 0;
}

static bool
strings_contain (sk_json *a, const char *s)
{
  for (size_t i = 0; a && i < json_object_array_length (a); i++)
    if (strcmp (json_object_get_string (json_object_array_get_idx (a, i)), s) == 0)
      return true;
  return false;
}

/* includes/excludes of a rule of Docker's profile format: by capability and
 * architecture (minKernel is not checked). */
static bool
rule_applies (const ctx *x, sk_json *rule)
{
  sk_json *inc = NULL, *exc = NULL, *caps = NULL, *ar = NULL;
  const char *go = arches[native_arch ()].go;
  if (json_object_object_get_ex (rule, "includes", &inc)) {
    if (json_object_object_get_ex (inc, "caps", &caps))
      for (size_t i = 0; i < json_object_array_length (caps); i++) {
        int c = cap_number (json_object_get_string (json_object_array_get_idx (caps, i)));
        if (c < 0 || !(x->caps & (1ULL << c)))
          return false;
      }
    if (json_object_object_get_ex (inc, "arches", &ar) && json_object_array_length (ar) &&
        !strings_contain (ar, go))
      return false;
  }
  if (json_object_object_get_ex (rule, "excludes", &exc)) {
    if (json_object_object_get_ex (exc, "caps", &caps))
      for (size_t i = 0; i < json_object_array_length (caps); i++) {
        int c = cap_number (json_object_get_string (json_object_array_get_idx (caps, i)));
        if (c >= 0 && (x->caps & (1ULL << c)))
          return false;
      }
    if (json_object_object_get_ex (exc, "arches", &ar) && strings_contain (ar, go))
      return false;
  }
  return true;
}

static void
copy_member (sk_json *from, sk_json *to, const char *key, const char *as)
{
  sk_json *v;
  if (json_object_object_get_ex (from, key, &v) && v)
    put (to, as ? as : key, json_object_get (v));
}

/* archMap: the entry of this machine's architecture and its sub-architectures. */
static void
profile_arches (sk_json *in, sk_json *out)
{
  sk_json *map, *a = json_object_new_array ();
  put (out, "architectures", a);
  if (!json_object_object_get_ex (in, "archMap", &map) ||
      !json_object_is_type (map, json_type_array)) {
    sk_json *list;
    if (json_object_object_get_ex (in, "architectures", &list) && list)
      put (out, "architectures", json_object_get (list));
    return;
  }
  const char *native = arches[native_arch ()].scmp;
  for (size_t i = 0; i < json_object_array_length (map); i++) {
    sk_json *e = json_object_array_get_idx (map, i), *arch, *sub;
    if (!json_object_object_get_ex (e, "architecture", &arch) ||
        strcmp (json_object_get_string (arch), native) != 0)
      continue;
    json_object_array_add (a, json_object_get (arch));
    if (json_object_object_get_ex (e, "subArchitectures", &sub))
      for (size_t k = 0; k < json_object_array_length (sub); k++)
        json_object_array_add (a, json_object_get (json_object_array_get_idx (sub, k)));
  }
}

/* A profile in Docker's format (or OCI's, a subset) as linux.seccomp. */
static int
profile_to_oci (const ctx *x, sk_json *in, sk_json **out, sk_err **err)
{
  sk_json *calls, *def;
  if (!json_object_is_type (in, json_type_object) ||
      !json_object_object_get_ex (in, "defaultAction", &def))
    return sk_err_set (err, 0, "HostConfig.SecurityOpt: the seccomp profile has no defaultAction");
  sk_json *o = json_object_new_object ();
  *out = o;
  static const char *const keys[] = {"defaultAction", "defaultErrnoRet", "flags", "listenerPath",
                                     "listenerMetadata"};
  for (size_t i = 0; i < SK_N_ELEMENTS (keys); i++)
    copy_member (in, o, keys[i], NULL);
  profile_arches (in, o);
  sk_json *rules = json_object_new_array ();
  put (o, "syscalls", rules);
  if (!json_object_object_get_ex (in, "syscalls", &calls) ||
      !json_object_is_type (calls, json_type_array))
    return 0;
  for (size_t i = 0; i < json_object_array_length (calls); i++) {
    sk_json *c = json_object_array_get_idx (calls, i), *name;
    if (!json_object_is_type (c, json_type_object) || !rule_applies (x, c))
      continue;
    sk_json *r = json_object_new_object ();
    json_object_array_add (rules, r);
    if (json_object_object_get_ex (c, "name", &name) &&
        json_object_is_type (name, json_type_string)) {
      sk_json *names = json_object_new_array ();
      json_object_array_add (names, json_object_get (name));
      put (r, "names", names);
    }
    static const char *const rk[] = {"names", "action", "errnoRet", "args"};
    for (size_t k = 0; k < SK_N_ELEMENTS (rk); k++)
      copy_member (c, r, rk[k], NULL);
  }
  return 0;
}

/* What Docker's default profile allows a container that has the capability
 * (the runtime's profile is that of the default capabilities). */
static const struct {
  const char *cap;
  const char *const names[24];
} cap_syscalls[] = {
    {"CAP_DAC_READ_SEARCH", {"open_by_handle_at"}},
    {"CAP_SYS_ADMIN",
     {"bpf",         "fanotify_init",   "fsconfig", "fsmount",       "fsopen",
      "fspick",      "lookup_dcookie",  "mount",    "mount_setattr", "move_mount",
      "open_tree",   "perf_event_open", "quotactl", "quotactl_fd",   "setdomainname",
      "sethostname", "setns",           "syslog",   "umount",        "umount2",
      "unshare"}},
    {"CAP_SYS_BOOT", {"reboot"}},
    {"CAP_SYS_MODULE", {"delete_module", "init_module", "finit_module"}},
    {"CAP_SYS_PACCT", {"acct"}},
    {"CAP_SYS_PTRACE", {"kcmp", "pidfd_getfd", "process_madvise"}},
    {"CAP_SYS_RAWIO", {"iopl", "ioperm"}},
    {"CAP_SYS_TIME", {"settimeofday", "stime", "clock_settime", "clock_settime64"}},
    {"CAP_SYS_TTY_CONFIG", {"vhangup"}},
    {"CAP_SYS_NICE", {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}},
    {"CAP_SYSLOG", {"syslog"}},
    {"CAP_BPF", {"bpf"}},
    {"CAP_PERFMON", {"perf_event_open"}},
};

static void
allow_cap_syscalls (ctx *x)
{
  sk_json *calls = NULL;
  if (!json_object_object_get_ex (child (x->linux_, "seccomp"), "syscalls", &calls))
    return;
  for (size_t i = 0; i < SK_N_ELEMENTS (cap_syscalls); i++) {
    if (!(x->caps & (1ULL << sk_cap_from_name (cap_syscalls[i].cap))))
      continue;
    sk_json *names = json_object_new_array (), *rule = json_object_new_object ();
    for (size_t k = 0; cap_syscalls[i].names[k]; k++)
      json_object_array_add (names, json_object_new_string (cap_syscalls[i].names[k]));
    put (rule, "names", names);
    put (rule, "action", json_object_new_string ("SCMP_ACT_ALLOW"));
    json_object_array_add (calls, rule);
  }
}

static int
set_seccomp (ctx *x, sk_err **err)
{
  if (x->privileged || (x->seccomp && strcmp (x->seccomp, "unconfined") == 0)) {
    json_object_object_del (x->linux_, "seccomp");
    return 0;
  }
  if (x->seccomp == NULL) { /* the runtime's default spec has Docker's profile */
    allow_cap_syscalls (x);
    return 0;
  }
  _cleanup_json_ sk_json *in = NULL;
  sk_json *out = NULL;
  /* Docker's clients send the profile itself; a path is read on the host */
  int r = x->seccomp[0] == '{'
              ? sk_json_parse (x->seccomp, strlen (x->seccomp), "seccomp profile", &in, err)
              : sk_json_parse_file (x->seccomp, x->seccomp, &in, err);
  if (r < 0)
    return sk_err_wrap (err, "HostConfig.SecurityOpt");
  r = profile_to_oci (x, in, &out, err);
  if (out)
    put (x->linux_, "seccomp", out);
  return r;
}

/* ------------------------------------------------------------------ linux */

static int
set_cgroups_path (ctx *x, sk_err **err)
{
  _cleanup_free_ char *parent = NULL, *path = NULL;
  if (hc_string (x, "CgroupParent", &parent, err) < 0)
    return -1;
  const char *p = *parent ? parent : x->env->cgroup_parent ? x->env->cgroup_parent : "skiff";
  size_t len = strlen (p);
  while (len > 1 && p[len - 1] == '/')
    len--;
  _cleanup_free_ char *wrapped = NULL;
  if (asprintf (&wrapped, "/%.*s/", (int) len, p) < 0 ||
      asprintf (&path, "%.*s/%s", (int) len, p, x->env->id) < 0)
    return sk_err_set (err, ENOMEM, "asprintf");
  if (strstr (wrapped, "/../") || strstr (wrapped, "/./"))
    return sk_err_set (err, 0, "HostConfig.CgroupParent: `%s` has a `.` or `..` component", p);
  put (x->linux_, "cgroupsPath", json_object_new_string (path));
  return 0;
}

static int
set_linux (ctx *x, sk_err **err)
{
  set_namespaces (x);
  if (x->privileged)
    set_privileged_devices (x);
  if (set_memory (x, err) < 0 || set_cpu (x, err) < 0 || set_pids (x, err) < 0 ||
      set_blkio (x, err) < 0 || set_devices (x, err) < 0 || set_sysctls (x, err) < 0 ||
      set_seccomp (x, err) < 0 || set_cgroups_path (x, err) < 0)
    return -1;
  if (x->privileged || x->unconfined_paths) {
    json_object_object_del (x->linux_, "maskedPaths");
    json_object_object_del (x->linux_, "readonlyPaths");
  }
  return 0;
}

static int
check_env (const sk_spec_env *env, sk_err **err)
{
  if (env->id == NULL || strlen (env->id) != 64 || strspn (env->id, "0123456789abcdef") != 64)
    return sk_err_set (err, 0, "container id `%s` is not 64 lowercase hexadecimal digits",
                       env->id ? env->id : "");
  if (env->rootfs == NULL || env->rootfs[0] != '/')
    return sk_err_set (err, 0, "root filesystem `%s` is not an absolute path",
                       env->rootfs ? env->rootfs : "");
  return 0;
}

static int
read_flags (ctx *x, sk_err **err)
{
  sk_jr tty = sk_jr_member (&x->top, "Tty");
  if (sk_jr_bool (&tty, &x->tty, err) < 0 || hc_bool (x, "Privileged", &x->privileged, err) < 0 ||
      hc_bool (x, "ReadonlyRootfs", &x->readonly, err) < 0)
    return -1;
  if (forced_cgroup_mode >= 0)
    x->cgmode = (sk_cgroup_mode) forced_cgroup_mode;
  else if (sk_cgroup_detect (&x->cgmode, err) < 0)
    return -1;
  return read_security_opts (x, err) < 0 || read_modes (x, err) < 0 ? -1 : 0;
}

static int
build (ctx *x, char **config_json, sk_err **err)
{
  if (check_env (x->env, err) < 0 ||
      check_fields (&x->top, top_fields, SK_N_ELEMENTS (top_fields), err) < 0 ||
      check_fields (&x->hc, hc_fields, SK_N_ELEMENTS (hc_fields), err) < 0 ||
      read_flags (x, err) < 0)
    return -1;
  _cleanup_free_ char *defaults = sk_runtime_default_spec (false);
  _cleanup_json_ sk_json *doc = NULL;
  if (defaults == NULL)
    return sk_err_set (err, ENOMEM, "the runtime's default spec");
  if (sk_json_parse (defaults, strlen (defaults), "the runtime's default spec", &doc, err) < 0)
    return -1;
  x->doc = doc;
  x->process = child (doc, "process");
  x->linux_ = child (doc, "linux");
  x->res = child (x->linux_, "resources");
  if (set_hostname (x, err) < 0 || set_process (x, err) < 0 || set_mounts (x, err) < 0 ||
      set_linux (x, err) < 0)
    return -1;
  if ((*config_json = sk_json_dump (doc, true)) == NULL)
    return sk_err_set (err, ENOMEM, "config.json");
  return 0;
}

int
sk_engine_spec_resources (const sk_json *c, sk_json **out, sk_err **err)
{
  ctx x = {.top = {.obj = (sk_json *) c}};
  x.hc = sk_jr_member (&x.top, "HostConfig");
  _cleanup_json_ sk_json *res = json_object_new_object ();
  x.res = res;
  if (forced_cgroup_mode >= 0)
    x.cgmode = (sk_cgroup_mode) forced_cgroup_mode;
  else if (sk_cgroup_detect (&x.cgmode, err) < 0)
    return -1;
  int64_t weight = 0;
  if (set_memory (&x, err) < 0 || set_cpu (&x, err) < 0 || set_pids (&x, err) < 0 ||
      hc_i64 (&x, "BlkioWeight", &weight, err) < 0)
    return -1;
  if (weight != 0 && (weight < 10 || weight > 1000))
    return sk_err_set (err, 0, "HostConfig.BlkioWeight: %" PRId64 " is outside 10..1000", weight);
  if (weight)
    put (child (res, "blockIO"), "weight", uint_json ((uint64_t) weight));
  *out = steal_ptr (res);
  return 0;
}

int
sk_engine_spec (const sk_json *c, const sk_spec_env *env, char **config_json, sk_err **err)
{
  ctx x = {.env = env, .top = {.obj = (sk_json *) c}};
  x.hc = sk_jr_member (&x.top, "HostConfig");
  int r = build (&x, config_json, err);
  free (x.seccomp);
  return r;
}
