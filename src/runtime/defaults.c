/* skiff: what `spec` writes and what `features` reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "skiff-config.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

/* Docker's default capability set. */
static const char *const default_caps[] = {
    "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",     "CAP_FOWNER",           "CAP_MKNOD",
    "CAP_NET_RAW", "CAP_SETGID",      "CAP_SETUID",     "CAP_SETFCAP",          "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
};

/* Docker's masked and read-only paths. */
static const char *const masked_paths[] = {
    "/proc/asound",     "/proc/acpi",        "/proc/interrupts", "/proc/kcore",
    "/proc/keys",       "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug", "/proc/scsi",       "/sys/firmware",    "/sys/devices/virtual/powercap",
};

static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static sk_json *
strings (const char *const *v, size_t n)
{
  sk_json *a = json_object_new_array ();
  for (size_t i = 0; i < n; i++)
    json_object_array_add (a, json_object_new_string (v[i]));
  return a;
}

static sk_json *
mount (const char *dest, const char *type, const char *src, const char *const *opts, size_t n)
{
  sk_json *m = json_object_new_object ();
  json_object_object_add (m, "destination", json_object_new_string (dest));
  json_object_object_add (m, "type", json_object_new_string (type));
  json_object_object_add (m, "source", json_object_new_string (src));
  json_object_object_add (m, "options", strings (opts, n));
  return m;
}

#define MOUNT(d, t, s, ...)                                                                        \
  do {                                                                                             \
    static const char *const o_[] = {__VA_ARGS__};                                                 \
    json_object_array_add (mounts, mount (d, t, s, o_, SK_N_ELEMENTS (o_)));                        \
  } while (0)

static sk_json *
default_mounts (bool rootless)
{
  sk_json *mounts = json_object_new_array ();
  MOUNT ("/proc", "proc", "proc", "nosuid", "noexec", "nodev");
  MOUNT ("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k");
  if (rootless)
    MOUNT ("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666",
           "mode=0620");
  else
    MOUNT ("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666",
           "mode=0620", "gid=5");
  MOUNT ("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k");
  MOUNT ("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev");
  if (rootless) {
    MOUNT ("/sys", "none", "/sys", "rbind", "nosuid", "noexec", "nodev", "ro");
  } else {
    MOUNT ("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro");
    MOUNT ("/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime", "ro");
  }
  return mounts;
}

static sk_json *
default_process (void)
{
  sk_json *p = json_object_new_object ();
  json_object_object_add (p, "terminal", json_object_new_boolean (1));
  sk_json *user = json_object_new_object ();
  json_object_object_add (user, "uid", json_object_new_int (0));
  json_object_object_add (user, "gid", json_object_new_int (0));
  json_object_object_add (p, "user", user);
  static const char *const args[] = {"sh"};
  json_object_object_add (p, "args", strings (args, 1));
  static const char *const env[] = {
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"};
  json_object_object_add (p, "env", strings (env, 2));
  json_object_object_add (p, "cwd", json_object_new_string ("/"));
  sk_json *caps = json_object_new_object ();
  static const char *const sets[] = {"bounding", "effective", "permitted"};
  for (size_t i = 0; i < SK_N_ELEMENTS (sets); i++)
    json_object_object_add (caps, sets[i], strings (default_caps, SK_N_ELEMENTS (default_caps)));
  json_object_object_add (p, "capabilities", caps);
  sk_json *rl = json_object_new_object ();
  json_object_object_add (rl, "type", json_object_new_string ("RLIMIT_NOFILE"));
  json_object_object_add (rl, "hard", json_object_new_int (1024));
  json_object_object_add (rl, "soft", json_object_new_int (1024));
  sk_json *rls = json_object_new_array ();
  json_object_array_add (rls, rl);
  json_object_object_add (p, "rlimits", rls);
  json_object_object_add (p, "noNewPrivileges", json_object_new_boolean (1));
  return p;
}

static sk_json *
idmap (unsigned host)
{
  sk_json *a = json_object_new_array ();
  sk_json *m = json_object_new_object ();
  json_object_object_add (m, "containerID", json_object_new_int (0));
  json_object_object_add (m, "hostID", json_object_new_int64 (host));
  json_object_object_add (m, "size", json_object_new_int (1));
  json_object_array_add (a, m);
  return a;
}

static sk_json *
default_linux (bool rootless)
{
  sk_json *l = json_object_new_object ();
  if (!rootless) {
    sk_json *res = json_object_new_object ();
    sk_json *devs = json_object_new_array ();
    sk_json *deny = json_object_new_object ();
    json_object_object_add (deny, "allow", json_object_new_boolean (0));
    json_object_object_add (deny, "access", json_object_new_string ("rwm"));
    json_object_array_add (devs, deny);
    json_object_object_add (res, "devices", devs);
    json_object_object_add (l, "resources", res);
  } else {
    json_object_object_add (l, "uidMappings", idmap (getuid ()));
    json_object_object_add (l, "gidMappings", idmap (getgid ()));
  }
  sk_json *ns = json_object_new_array ();
  static const char *const types[] = {"pid", "network", "ipc", "uts", "mount", "cgroup", "user"};
  for (size_t i = 0; i < SK_N_ELEMENTS (types) - (rootless ? 0 : 1); i++) {
    sk_json *n = json_object_new_object ();
    json_object_object_add (n, "type", json_object_new_string (types[i]));
    json_object_array_add (ns, n);
  }
  json_object_object_add (l, "namespaces", ns);
  json_object_object_add (l, "maskedPaths", strings (masked_paths, SK_N_ELEMENTS (masked_paths)));
  json_object_object_add (l, "readonlyPaths",
                          strings (readonly_paths, SK_N_ELEMENTS (readonly_paths)));
  json_object_object_add (l, "seccomp", sk_default_seccomp_profile ());
  return l;
}

char *
sk_runtime_default_spec (bool rootless)
{
  _cleanup_json_ sk_json *doc = json_object_new_object ();
  json_object_object_add (doc, "ociVersion", json_object_new_string (SK_OCI_VERSION));
  json_object_object_add (doc, "process", default_process ());
  sk_json *root = json_object_new_object ();
  json_object_object_add (root, "path", json_object_new_string ("rootfs"));
  json_object_object_add (root, "readonly", json_object_new_boolean (1));
  json_object_object_add (doc, "root", root);
  json_object_object_add (doc, "hostname", json_object_new_string ("skiff"));
  json_object_object_add (doc, "mounts", default_mounts (rootless));
  json_object_object_add (doc, "linux", default_linux (rootless));
  return sk_json_dump (doc, true);
}

static sk_json *
strv_json (const char *const *v)
{
  sk_json *a = json_object_new_array ();
  for (; v && *v; v++)
    json_object_array_add (a, json_object_new_string (*v));
  return a;
}

sk_json *
sk_runtime_features (void)
{
  sk_json *f = json_object_new_object ();
  json_object_object_add (f, "ociVersionMin", json_object_new_string ("1.0.0"));
  json_object_object_add (f, "ociVersionMax", json_object_new_string (SK_OCI_VERSION));
  sk_json *hooks = json_object_new_array ();
  for (int k = 0; k < SK_HOOK_KINDS; k++)
    json_object_array_add (hooks, json_object_new_string (sk_hook_kind_name ((sk_hook_kind) k)));
  json_object_object_add (f, "hooks", hooks);
  json_object_object_add (f, "mountOptions", strv_json (sk_mount_option_names ()));
  sk_json *l = json_object_new_object ();
  sk_json *ns = json_object_new_array ();
  for (int t = 0; t < SK_NS_TYPES; t++)
    json_object_array_add (ns, json_object_new_string (sk_ns_type_name ((sk_ns_type) t)));
  json_object_object_add (l, "namespaces", ns);
  sk_json *caps = json_object_new_array ();
  for (int c = 0; c <= sk_cap_last_known (); c++)
    json_object_array_add (caps, json_object_new_string (sk_cap_name (c)));
  json_object_object_add (l, "capabilities", caps);
  sk_json *cg = json_object_new_object ();
  json_object_object_add (cg, "v1", json_object_new_boolean (1));
  json_object_object_add (cg, "v2", json_object_new_boolean (1));
  json_object_object_add (cg, "systemd", json_object_new_boolean (0));
  json_object_object_add (cg, "systemdUser", json_object_new_boolean (0));
  json_object_object_add (cg, "rdma", json_object_new_boolean (0));
  json_object_object_add (l, "cgroup", cg);
  sk_json *sc = json_object_new_object ();
  json_object_object_add (sc, "enabled", json_object_new_boolean (1));
  json_object_object_add (sc, "actions", strv_json (sk_seccomp_known_actions ()));
  json_object_object_add (sc, "operators", strv_json (sk_seccomp_known_operators ()));
  json_object_object_add (sc, "archs", strv_json (sk_seccomp_known_archs ()));
  json_object_object_add (sc, "knownFlags", strv_json (sk_seccomp_known_flags ()));
  json_object_object_add (sc, "supportedFlags", strv_json (sk_seccomp_known_flags ()));
  json_object_object_add (l, "seccomp", sc);
  static const char *const off[] = {"apparmor", "selinux", "intelRdt"};
  for (size_t i = 0; i < SK_N_ELEMENTS (off); i++) {
    sk_json *o = json_object_new_object ();
    json_object_object_add (o, "enabled", json_object_new_boolean (0));
    json_object_object_add (l, off[i], o);
  }
  sk_json *ext = json_object_new_object (), *idm = json_object_new_object ();
  json_object_object_add (idm, "enabled", json_object_new_boolean (0));
  json_object_object_add (ext, "idmap", idm);
  json_object_object_add (l, "mountExtensions", ext);
  json_object_object_add (f, "linux", l);
  sk_json *an = json_object_new_object ();
  json_object_object_add (an, "io.github.skiff.version", json_object_new_string (SKIFF_VERSION));
  json_object_object_add (f, "annotations", an);
  return f;
}
