/* skiff: the flags of `run` and `create` into the body of POST
 * /containers/create, read as the docker CLI reads them: pflag's syntax
 * (--flag=value, --flag value, -abc, -m=1g, --bool=false), flags up to the
 * image, the rest the command. Errors found while reading a flag name it
 * (`invalid argument "x" for "-m, --memory" flag: ...`); those docker finds
 * after reading them all (ports, volumes, restart) are the bare message. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run-flags.h"
#include "run-values.h"
#include "util/cleanup.h"

enum kind { K_BOOL, K_STR, K_INT, K_SIZE, K_LIST, K_X, K_XBOOL };
enum dest { D_CONF, D_HOST, D_NONE };
enum id {
  F_NONE, F_DETACH, F_NAME, F_CIDFILE, F_DETACH_KEYS, F_SIG_PROXY, F_PLATFORM, F_PULL, F_QUIET,
  F_INTERACTIVE, F_ENV, F_ENV_FILE, F_LABEL, F_LABEL_FILE, F_ENTRYPOINT, F_RESTART, F_HEALTH_CMD,
  F_HEALTH_INTERVAL, F_HEALTH_RETRIES, F_HEALTH_TIMEOUT, F_HEALTH_START, F_HEALTH_START_INTERVAL, F_NO_HEALTH,
  F_LOG_DRIVER, F_LOG_OPT, F_MEMORY_SWAP, F_SWAPPINESS, F_CPUS, F_BLKIO_WEIGHT, F_WEIGHT_DEVICE,
  F_READ_BPS, F_WRITE_BPS, F_READ_IOPS, F_WRITE_IOPS, F_ULIMIT, F_SECURITY_OPT, F_DEVICE,
  F_TMPFS, F_SYSCTL, F_NETWORK, F_ALIAS, F_IP, F_MAC, F_PUBLISH, F_EXPOSE, F_DNS, F_ADD_HOST,
  F_VOLUME, F_MOUNT, F_HELP,
};

typedef struct flag_def {
  const char *name;
  char sh;
  unsigned char kind, dest, id;
  bool run_only;
  const char *field; /* the member it sets, for the generic kinds */
  const char *type;  /* the value's name in the help */
  const char *usage;
} flag_def;

/* clang-format off */
static const flag_def flags[] = {
  {"add-host", 0, K_X, D_NONE, F_ADD_HOST, 0, NULL, "list", "Add a custom host-to-IP mapping (host:ip)"},
  {"blkio-weight", 0, K_X, D_NONE, F_BLKIO_WEIGHT, 0, NULL, "uint16", "Block IO relative weight, 10 to 1000, or 0 to disable (default 0)"},
  {"blkio-weight-device", 0, K_X, D_NONE, F_WEIGHT_DEVICE, 0, NULL, "list", "Block IO relative weight of a device (DEVICE:WEIGHT)"},
  {"cap-add", 0, K_LIST, D_HOST, 0, 0, "CapAdd", "list", "Add Linux capabilities"},
  {"cap-drop", 0, K_LIST, D_HOST, 0, 0, "CapDrop", "list", "Drop Linux capabilities"},
  {"cgroup-parent", 0, K_STR, D_HOST, 0, 0, "CgroupParent", "string", "Parent cgroup of the container's cgroup"},
  {"cgroupns", 0, K_STR, D_HOST, 0, 0, "CgroupnsMode", "string", "Cgroup namespace: 'host' or 'private'"},
  {"cidfile", 0, K_X, D_NONE, F_CIDFILE, 0, NULL, "string", "Write the container's ID to this file"},
  {"cpu-period", 0, K_INT, D_HOST, 0, 0, "CpuPeriod", "int", "CPU CFS period (microseconds)"},
  {"cpu-quota", 0, K_INT, D_HOST, 0, 0, "CpuQuota", "int", "CPU CFS quota (microseconds)"},
  {"cpu-shares", 'c', K_INT, D_HOST, 0, 0, "CpuShares", "int", "CPU shares (relative weight)"},
  {"cpus", 0, K_X, D_NONE, F_CPUS, 0, NULL, "decimal", "Number of CPUs"},
  {"cpuset-cpus", 0, K_STR, D_HOST, 0, 0, "CpusetCpus", "string", "CPUs the container may run on (0-3, 0,1)"},
  {"cpuset-mems", 0, K_STR, D_HOST, 0, 0, "CpusetMems", "string", "Memory nodes the container may use (0-3, 0,1)"},
  {"detach", 'd', K_XBOOL, D_NONE, F_DETACH, 1, NULL, NULL, "Run the container in the background and print its ID"},
  {"detach-keys", 0, K_X, D_NONE, F_DETACH_KEYS, 1, NULL, "string", "Override the key sequence for detaching"},
  {"device", 0, K_X, D_NONE, F_DEVICE, 0, NULL, "list", "Add a host device (HOST[:CONTAINER[:PERMS]])"},
  {"device-read-bps", 0, K_X, D_NONE, F_READ_BPS, 0, NULL, "list", "Limit the read rate of a device (bytes per second)"},
  {"device-read-iops", 0, K_X, D_NONE, F_READ_IOPS, 0, NULL, "list", "Limit the read rate of a device (IO per second)"},
  {"device-write-bps", 0, K_X, D_NONE, F_WRITE_BPS, 0, NULL, "list", "Limit the write rate of a device (bytes per second)"},
  {"device-write-iops", 0, K_X, D_NONE, F_WRITE_IOPS, 0, NULL, "list", "Limit the write rate of a device (IO per second)"},
  {"dns", 0, K_X, D_NONE, F_DNS, 0, NULL, "list", "Set custom DNS servers"},
  {"dns-option", 0, K_LIST, D_HOST, 0, 0, "DnsOptions", "list", "Set DNS options"},
  {"dns-search", 0, K_LIST, D_HOST, 0, 0, "DnsSearch", "list", "Set custom DNS search domains"},
  {"domainname", 0, K_STR, D_CONF, 0, 0, "Domainname", "string", "The container's NIS domain name"},
  {"entrypoint", 0, K_X, D_NONE, F_ENTRYPOINT, 0, NULL, "string", "Override the image's ENTRYPOINT (\"\" clears it)"},
  {"env", 'e', K_X, D_NONE, F_ENV, 0, NULL, "list", "Set environment variables (KEY=VALUE, or KEY to pass it on)"},
  {"env-file", 0, K_X, D_NONE, F_ENV_FILE, 0, NULL, "list", "Read environment variables from a file"},
  {"expose", 0, K_X, D_NONE, F_EXPOSE, 0, NULL, "list", "Expose a port or a range of ports"},
  {"group-add", 0, K_LIST, D_HOST, 0, 0, "GroupAdd", "list", "Add supplementary groups"},
  {"health-cmd", 0, K_X, D_NONE, F_HEALTH_CMD, 0, NULL, "string", "Command to run to check health"},
  {"health-interval", 0, K_X, D_NONE, F_HEALTH_INTERVAL, 0, NULL, "duration", "Time between two checks (ms|s|m|h) (default 0s)"},
  {"health-retries", 0, K_X, D_NONE, F_HEALTH_RETRIES, 0, NULL, "int", "Consecutive failures before the container is unhealthy"},
  {"health-start-interval", 0, K_X, D_NONE, F_HEALTH_START_INTERVAL, 0, NULL, "duration", "Time between running the check during the start period (ms|s|m|h) (default 0s)"},
  {"health-start-period", 0, K_X, D_NONE, F_HEALTH_START, 0, NULL, "duration", "Grace period before failures count (ms|s|m|h) (default 0s)"},
  {"health-timeout", 0, K_X, D_NONE, F_HEALTH_TIMEOUT, 0, NULL, "duration", "Longest time one check may run (ms|s|m|h) (default 0s)"},
  {"help", 0, K_XBOOL, D_NONE, F_HELP, 0, NULL, NULL, "Print usage"},
  {"hostname", 'h', K_STR, D_CONF, 0, 0, "Hostname", "string", "The container's host name"},
  {"init", 0, K_BOOL, D_HOST, 0, 0, "Init", NULL, "Run an init in the container that forwards signals and reaps processes"},
  {"interactive", 'i', K_XBOOL, D_NONE, F_INTERACTIVE, 0, NULL, NULL, "Keep STDIN open even if not attached"},
  {"ip", 0, K_X, D_NONE, F_IP, 0, NULL, "ip", "IPv4 address (e.g., 172.30.100.104)"},
  {"ipc", 0, K_STR, D_HOST, 0, 0, "IpcMode", "string", "IPC mode"},
  {"label", 'l', K_X, D_NONE, F_LABEL, 0, NULL, "list", "Set metadata on the container"},
  {"label-file", 0, K_X, D_NONE, F_LABEL_FILE, 0, NULL, "list", "Read labels from a file"},
  {"log-driver", 0, K_X, D_NONE, F_LOG_DRIVER, 0, NULL, "string", "Logging driver: json-file, local or none"},
  {"log-opt", 0, K_X, D_NONE, F_LOG_OPT, 0, NULL, "list", "Logging driver options"},
  {"mac-address", 0, K_X, D_NONE, F_MAC, 0, NULL, "string", "The container's MAC address (e.g., 92:d0:c6:0a:29:33)"},
  {"memory", 'm', K_SIZE, D_HOST, 0, 0, "Memory", "bytes", "Memory limit"},
  {"memory-high", 0, K_SIZE, D_HOST, 0, 0, "MemoryHigh", "bytes", "Memory throttling threshold (cgroup v2 memory.high)"},
  {"memory-reservation", 0, K_SIZE, D_HOST, 0, 0, "MemoryReservation", "bytes", "Memory soft limit"},
  {"memory-swap", 0, K_X, D_NONE, F_MEMORY_SWAP, 0, NULL, "bytes", "Memory plus swap limit: '-1' for unlimited swap"},
  {"memory-swappiness", 0, K_X, D_NONE, F_SWAPPINESS, 0, NULL, "int", "Memory swappiness, 0 to 100 (default -1)"},
  {"mount", 0, K_X, D_NONE, F_MOUNT, 0, NULL, "mount", "Attach a filesystem mount to the container"},
  {"name", 0, K_X, D_NONE, F_NAME, 0, NULL, "string", "Assign a name to the container"},
  {"net", 0, K_X, D_NONE, F_NETWORK, 0, NULL, NULL, NULL},
  {"network", 0, K_X, D_NONE, F_NETWORK, 0, NULL, "network", "Connect the container to a network"},
  {"network-alias", 0, K_X, D_NONE, F_ALIAS, 0, NULL, "list", "Add a network-scoped alias for the container"},
  {"no-healthcheck", 0, K_XBOOL, D_NONE, F_NO_HEALTH, 0, NULL, NULL, "Disable the image's HEALTHCHECK"},
  {"oom-kill-disable", 0, K_BOOL, D_HOST, 0, 0, "OomKillDisable", NULL, "Disable the OOM killer"},
  {"oom-score-adj", 0, K_INT, D_HOST, 0, 0, "OomScoreAdj", "int", "Tune the host's OOM preferences (-1000 to 1000)"},
  {"pid", 0, K_STR, D_HOST, 0, 0, "PidMode", "string", "PID namespace to use"},
  {"pids-limit", 0, K_INT, D_HOST, 0, 0, "PidsLimit", "int", "Limit of the container's processes (-1 for unlimited)"},
  {"platform", 0, K_X, D_NONE, F_PLATFORM, 0, NULL, "string", "Set the platform of a multi-platform image"},
  {"privileged", 0, K_BOOL, D_HOST, 0, 0, "Privileged", NULL, "Give extended privileges to the container"},
  {"publish", 'p', K_X, D_NONE, F_PUBLISH, 0, NULL, "list", "Publish a container's port(s) to the host"},
  {"publish-all", 'P', K_BOOL, D_HOST, 0, 0, "PublishAllPorts", NULL, "Publish all exposed ports to random ports"},
  {"pull", 0, K_X, D_NONE, F_PULL, 0, NULL, "string", "Pull the image before running (\"always\", \"missing\", \"never\") (default \"missing\")"},
  {"quiet", 'q', K_XBOOL, D_NONE, F_QUIET, 0, NULL, NULL, "Suppress the pull output"},
  {"read-only", 0, K_BOOL, D_HOST, 0, 0, "ReadonlyRootfs", NULL, "Mount the container's root filesystem read-only"},
  {"restart", 0, K_X, D_NONE, F_RESTART, 0, NULL, "string", "Restart policy when the container exits (default \"no\")"},
  {"rm", 0, K_BOOL, D_HOST, 0, 0, "AutoRemove", NULL, "Remove the container and its anonymous volumes when it exits"},
  {"security-opt", 0, K_X, D_NONE, F_SECURITY_OPT, 0, NULL, "list", "Security options"},
  {"shm-size", 0, K_SIZE, D_HOST, 0, 0, "ShmSize", "bytes", "Size of /dev/shm"},
  {"sig-proxy", 0, K_XBOOL, D_NONE, F_SIG_PROXY, 1, NULL, NULL, "Proxy received signals to the process (default true)"},
  {"stop-signal", 0, K_STR, D_CONF, 0, 0, "StopSignal", "string", "Signal to stop the container"},
  {"stop-timeout", 0, K_INT, D_CONF, 0, 0, "StopTimeout", "int", "Seconds to wait before killing the container when stopping it"},
  {"sysctl", 0, K_X, D_NONE, F_SYSCTL, 0, NULL, "map", "Sysctl options"},
  {"tmpfs", 0, K_X, D_NONE, F_TMPFS, 0, NULL, "list", "Mount a tmpfs directory (PATH[:OPTIONS])"},
  {"tty", 't', K_BOOL, D_CONF, 0, 0, "Tty", NULL, "Allocate a pseudo-TTY"},
  {"ulimit", 0, K_X, D_NONE, F_ULIMIT, 0, NULL, "ulimit", "Ulimit options (NAME=SOFT[:HARD])"},
  {"user", 'u', K_STR, D_CONF, 0, 0, "User", "string", "Username or UID (format: <name|uid>[:<group|gid>])"},
  {"userns", 0, K_STR, D_HOST, 0, 0, "UsernsMode", "string", "User namespace to use"},
  {"uts", 0, K_STR, D_HOST, 0, 0, "UTSMode", "string", "UTS namespace to use"},
  {"volume", 'v', K_X, D_NONE, F_VOLUME, 0, NULL, "list", "Bind mount a volume"},
  {"volumes-from", 0, K_LIST, D_HOST, 0, 0, "VolumesFrom", "list", "Mount the volumes of the given container(s)"},
  {"workdir", 'w', K_STR, D_CONF, 0, 0, "WorkingDir", "string", "Working directory inside the container"},
};
/* clang-format on */

/* What the flags gather before the body is put together. */
typedef struct run_state {
  sk_json *conf, *host;   /* host is a member of conf */
  sk_json *env, *env_files, *labels, *label_files, *log_opts, *aliases, *publish, *expose,
      *volumes, *devices, *security;
  sk_run_cli *cli;
  bool interactive, no_health, health_set;
  const char *entrypoint, *restart, *log_driver, *network, *mac, *ip;
  const char *health_cmd;
  int64_t health_interval, health_timeout, health_start, health_start_interval, health_retries;
} run_state;

static void
state_free (run_state *st)
{
  sk_json **owned[] = {&st->env,     &st->env_files, &st->labels,  &st->label_files,
                       &st->log_opts, &st->aliases,  &st->publish, &st->expose,
                       &st->volumes, &st->devices,   &st->security};
  for (size_t i = 0; i < SK_N_ELEMENTS (owned); i++)
    sk_json_putp (owned[i]);
}

/* The member key of o, an array or object created on first use. */
static sk_json *
member (sk_json *o, const char *key, bool array)
{
  sk_json *m = NULL;
  if (!json_object_object_get_ex (o, key, &m)) {
    m = array ? json_object_new_array () : json_object_new_object ();
    json_object_object_add (o, key, m);
  }
  return m;
}

static void
push (sk_json *array, const char *s)
{
  json_object_array_add (array, json_object_new_string (s));
}

static void
put_str (sk_json *o, const char *key, const char *s)
{
  json_object_object_add (o, key, json_object_new_string (s));
}

/* "KEY=VALUE" (or "KEY") into map: KEY to VALUE (or ""). */
static void
put_kv (sk_json *map, const char *kv)
{
  const char *eq = strchr (kv, '=');
  _cleanup_free_ char *k = eq ? strndup (kv, (size_t) (eq - kv)) : strdup (kv);
  put_str (map, k, eq ? eq + 1 : "");
}

/* ---- values checked as each flag is read ---- */

static int
env_value (run_state *st, const char *v, sk_err **err)
{
  const char *eq = strchr (v, '=');
  if (v[0] == '\0' || eq == v)
    return sk_err_set (err, 0, "invalid environment variable: %s", v);
  if (eq) {
    push (st->env, v);
    return 0;
  }
  const char *from = getenv (v);
  if (from == NULL)
    return 0;
  _cleanup_free_ char *kv = NULL;
  if (asprintf (&kv, "%s=%s", v, from) < 0)
    return sk_err_set (err, 0, "out of memory");
  push (st->env, kv);
  return 0;
}

/* KEY[=VALUE]: a name, without blanks (leading ones aside). */
static int
label_value (run_state *st, const char *v, sk_err **err)
{
  const char *k = v + strspn (v, " \t\n\v\f\r");
  size_t n = strcspn (k, "=");
  if (n == 0)
    return sk_err_set (err, 0, "invalid label '%s': empty name", v);
  if (strcspn (k, " \t\n\v\f\r") < n)
    return sk_err_set (err, 0, "label '%.*s' contains whitespaces", (int) n, k);
  push (st->labels, v);
  return 0;
}

/* Docker's ValidateIPAddress: the address in canonical form. */
static int
ip_value (const char *v, char **canon, sk_err **err)
{
  *canon = sk_rv_ip_canon (v);
  if (*canon == NULL)
    return sk_err_set (err, 0, "IP address is not correctly formatted: %s", v);
  return 0;
}

static int
add_host_value (run_state *st, const char *v, sk_err **err)
{
  const char *sep = strchr (v, '=');
  if (sep == NULL)
    sep = strchr (v, ':');
  _cleanup_free_ char *host = sep ? strndup (v, (size_t) (sep - v)) : NULL;
  _cleanup_free_ char *q = sk_rv_quote (v);
  if (sep == NULL || *host == '\0' || strchr (host, ':'))
    return sk_err_set (err, 0, "bad format for add-host: %s", q);
  _cleanup_free_ char *ip = strdup (sep + 1);
  size_t n = strlen (ip);
  if (n > 2 && ip[0] == '[' && ip[n - 1] == ']') {
    memmove (ip, ip + 1, n - 2);
    ip[n - 2] = '\0';
  }
  _cleanup_free_ char *canon = strcmp (ip, "host-gateway") ? sk_rv_ip_canon (ip) : strdup (ip);
  if (canon == NULL) {
    _cleanup_free_ char *qip = sk_rv_quote (ip);
    return sk_err_set (err, 0, "invalid IP address in add-host: %s", qip);
  }
  _cleanup_free_ char *entry = NULL;
  if (asprintf (&entry, "%s:%s", host, canon) < 0)
    return sk_err_set (err, 0, "out of memory");
  push (member (st->host, "ExtraHosts", true), entry);
  return 0;
}

static int
sysctl_value (run_state *st, const char *v, sk_err **err)
{
  static const char *const names[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
                                      "kernel.sem",    "kernel.shmall", "kernel.shmmax",
                                      "kernel.shmmni", "kernel.shm_rmid_forced"};
  const char *eq = strchr (v, '=');
  _cleanup_free_ char *k = eq ? strndup (v, (size_t) (eq - v)) : NULL;
  bool ok = k && (strncmp (k, "net.", 4) == 0 || strncmp (k, "fs.mqueue.", 10) == 0);
  for (size_t i = 0; k && i < SK_N_ELEMENTS (names); i++)
    ok = ok || strcmp (k, names[i]) == 0;
  if (!ok)
    return sk_err_set (err, 0, "sysctl '%s' is not allowed", v);
  put_kv (member (st->host, "Sysctls", false), v);
  return 0;
}

/* --blkio-weight-device and the four throttles: DEVICE:VALUE. */
static int
device_rate (run_state *st, int id, const char *v, sk_err **err)
{
  const char *colon = strchr (v, ':');
  if (colon == NULL)
    return sk_err_set (err, 0, "bad format: %s", v);
  if (strncmp (v, "/dev/", 5) != 0)
    return sk_err_set (err, 0, "bad format for device path: %s", v);
  _cleanup_free_ char *path = strndup (v, (size_t) (colon - v));
  sk_err *cause = NULL;
  int64_t n = 0;
  uint64_t u = 0;
  int r = id == F_WEIGHT_DEVICE ? sk_rv_uint (colon + 1, 16, 0, &u, &cause)
          : id == F_READ_BPS || id == F_WRITE_BPS ? sk_rv_ram (colon + 1, &n, &cause)
                                                  : sk_rv_uint (colon + 1, 64, 0, &u, &cause);
  sk_err_free (&cause);
  if (id == F_WEIGHT_DEVICE && (r < 0 || (u > 0 && (u < 10 || u > 1000))))
    return sk_err_set (err, 0, "invalid weight for device: %s", v);
  if ((id == F_READ_BPS || id == F_WRITE_BPS) && (r < 0 || n < 0))
    return sk_err_set (err, 0,
                       "invalid rate for device: %s. The correct format is "
                       "<device-path>:<number>[<unit>]. Number must be a positive integer. Unit "
                       "is optional and can be kb, mb, or gb",
                       v);
  if (r < 0)
    return sk_err_set (err, 0,
                       "invalid rate for device: %s. The correct format is "
                       "<device-path>:<number>. Number must be a positive integer",
                       v);
  static const char *const fields[] = {
      [F_WEIGHT_DEVICE] = "BlkioWeightDevice",   [F_READ_BPS] = "BlkioDeviceReadBps",
      [F_WRITE_BPS] = "BlkioDeviceWriteBps",     [F_READ_IOPS] = "BlkioDeviceReadIOps",
      [F_WRITE_IOPS] = "BlkioDeviceWriteIOps"};
  sk_json *d = json_object_new_object ();
  put_str (d, "Path", path);
  json_object_object_add (d, id == F_WEIGHT_DEVICE ? "Weight" : "Rate",
                          json_object_new_int64 (u ? (int64_t) u : n));
  json_object_array_add (member (st->host, fields[id], true), d);
  return 0;
}

static int
health_value (run_state *st, int id, const char *v, sk_err **err)
{
  st->health_set = true;
  if (id == F_HEALTH_CMD) {
    st->health_cmd = v;
    return 0;
  }
  if (id == F_HEALTH_RETRIES)
    return sk_rv_int (v, 64, &st->health_retries, err);
  int64_t *d = id == F_HEALTH_INTERVAL         ? &st->health_interval
               : id == F_HEALTH_TIMEOUT        ? &st->health_timeout
               : id == F_HEALTH_START_INTERVAL ? &st->health_start_interval
                                               : &st->health_start;
  return sk_rv_duration (v, d, err);
}

static int
resource_value (run_state *st, int id, const char *v, sk_err **err)
{
  int64_t n;
  uint64_t u;
  switch (id) {
  case F_CPUS:
    if (sk_rv_nano_cpus (v, &n, err) < 0)
      return -1;
    json_object_object_add (st->host, "NanoCpus", json_object_new_int64 (n));
    return 0;
  case F_MEMORY_SWAP:
    if (strcmp (v, "-1") == 0)
      n = -1;
    else if (sk_rv_ram (v, &n, err) < 0)
      return -1;
    json_object_object_add (st->host, "MemorySwap", json_object_new_int64 (n));
    return 0;
  case F_SWAPPINESS:
    if (sk_rv_int (v, 64, &n, err) < 0)
      return -1;
    json_object_object_add (st->host, "MemorySwappiness", json_object_new_int64 (n));
    return 0;
  case F_BLKIO_WEIGHT:
    if (sk_rv_uint (v, 16, 0, &u, err) < 0)
      return -1;
    json_object_object_add (st->host, "BlkioWeight", json_object_new_int64 ((int64_t) u));
    return 0;
  case F_ULIMIT: {
    sk_json *l = NULL;
    if (sk_rv_ulimit (v, &l, err) < 0)
      return -1;
    json_object_array_add (member (st->host, "Ulimits", true), l);
    return 0;
  }
  default: return device_rate (st, id, v, err);
  }
}

/* The value flags that are not a plain member. */
static int
custom_value (run_state *st, int id, const char *v, sk_err **err)
{
  bool v6;
  sk_json *m = NULL;
  switch (id) {
  case F_NAME: st->cli->name = v; return 0;
  case F_CIDFILE: st->cli->cidfile = v; return 0;
  case F_DETACH_KEYS: st->cli->detach_keys = v; return 0;
  case F_PLATFORM: st->cli->platform = v; return 0;
  case F_PULL: st->cli->pull = v; return 0;
  case F_ENV: return env_value (st, v, err);
  case F_ENV_FILE: push (st->env_files, v); return 0;
  case F_LABEL: return label_value (st, v, err);
  case F_LABEL_FILE: push (st->label_files, v); return 0;
  case F_ENTRYPOINT: st->entrypoint = v; return 0;
  case F_RESTART: st->restart = v; return 0;
  case F_LOG_DRIVER: st->log_driver = v; return 0;
  case F_LOG_OPT: push (st->log_opts, v); return 0;
  case F_SECURITY_OPT: push (st->security, v); return 0;
  case F_DEVICE: push (st->devices, v); return 0;
  case F_TMPFS: {
    const char *colon = strchr (v, ':');
    _cleanup_free_ char *path = colon ? strndup (v, (size_t) (colon - v)) : strdup (v);
    put_str (member (st->host, "Tmpfs", false), path, colon ? colon + 1 : "");
    return 0;
  }
  case F_SYSCTL: return sysctl_value (st, v, err);
  case F_NETWORK: st->network = v; return 0;
  case F_ALIAS: push (st->aliases, v); return 0;
  case F_IP:
    if (!sk_rv_is_ip (v, &v6) || v6)
      return sk_err_set (err, 0, "failed to parse IP: \"%s\"", v);
    st->ip = v;
    return 0;
  case F_MAC: st->mac = v; return 0;
  case F_PUBLISH: push (st->publish, v); return 0;
  case F_EXPOSE: push (st->expose, v); return 0;
  case F_DNS: {
    _cleanup_free_ char *canon = NULL;
    if (ip_value (v, &canon, err) < 0)
      return -1;
    push (member (st->host, "Dns", true), canon);
    return 0;
  }
  case F_ADD_HOST: return add_host_value (st, v, err);
  case F_VOLUME: push (st->volumes, v); return 0;
  case F_MOUNT:
    if (sk_rv_mount (v, &m, err) < 0)
      return -1;
    json_object_array_add (member (st->host, "Mounts", true), m);
    return 0;
  case F_HEALTH_CMD: case F_HEALTH_INTERVAL: case F_HEALTH_RETRIES: case F_HEALTH_TIMEOUT:
  case F_HEALTH_START: case F_HEALTH_START_INTERVAL:
    return health_value (st, id, v, err);
  default: return resource_value (st, id, v, err);
  }
}

/* One flag with its value (a bool's is "true" when not given). */
static int
apply (run_state *st, const flag_def *f, const char *v, sk_err **err)
{
  sk_json *dst = f->dest == D_CONF ? st->conf : st->host;
  bool b;
  int64_t n;
  switch (f->kind) {
  case K_BOOL:
  case K_XBOOL:
    if (sk_rv_bool (v, &b, err) < 0)
      return -1;
    if (f->kind == K_BOOL)
      json_object_object_add (dst, f->field, json_object_new_boolean (b));
    else if (f->id == F_DETACH)
      st->cli->detach = b;
    else if (f->id == F_SIG_PROXY)
      st->cli->sig_proxy = b;
    else if (f->id == F_QUIET)
      st->cli->quiet = b;
    else if (f->id == F_INTERACTIVE)
      st->interactive = b;
    else if (f->id == F_NO_HEALTH)
      st->no_health = b;
    return 0;
  case K_STR: put_str (dst, f->field, v); return 0;
  case K_INT:
  case K_SIZE:
    if ((f->kind == K_INT ? sk_rv_int (v, 64, &n, err) : sk_rv_ram (v, &n, err)) < 0)
      return -1;
    json_object_object_add (dst, f->field, json_object_new_int64 (n));
    return 0;
  case K_LIST: push (member (dst, f->field, true), v); return 0;
  default: return custom_value (st, f->id, v, err);
  }
}

/* ---- the command line ---- */

static const flag_def *
find_flag (const char *name, size_t len, char sh, bool is_run)
{
  for (size_t i = 0; i < SK_N_ELEMENTS (flags); i++) {
    const flag_def *f = &flags[i];
    if (f->run_only && !is_run)
      continue;
    if (sh ? f->sh == sh : strlen (f->name) == len && strncmp (f->name, name, len) == 0)
      return f;
  }
  return NULL;
}

static int
apply_named (run_state *st, const flag_def *f, const char *v, sk_err **err)
{
  sk_err *cause = NULL;
  if (apply (st, f, v, &cause) == 0)
    return 0;
  char shown[64];
  if (f->sh)
    snprintf (shown, sizeof shown, "-%c, --%s", f->sh, f->name);
  else
    snprintf (shown, sizeof shown, "--%s", f->name);
  sk_err_set (err, 0, "invalid argument \"%s\" for \"%s\" flag: %s", v, shown, cause->msg);
  sk_err_free (&cause);
  return -1;
}

static bool
takes_value (const flag_def *f)
{
  return f->kind != K_BOOL && f->kind != K_XBOOL;
}

/* "--name[=value]"; *i moves past a value taken from the next argument. */
static int
long_flag (run_state *st, int argc, char **argv, int *i, bool is_run, sk_err **err)
{
  const char *a = argv[*i] + 2, *eq = strchr (a, '=');
  size_t len = eq ? (size_t) (eq - a) : strlen (a);
  const flag_def *f = find_flag (a, len, 0, is_run);
  if (f == NULL)
    return sk_err_set (err, 0, "unknown flag: --%.*s", (int) len, a);
  if (f->id == F_HELP)
    return 1;
  const char *v = eq ? eq + 1 : "true";
  if (takes_value (f) && eq == NULL) {
    if (*i + 1 >= argc)
      return sk_err_set (err, 0, "flag needs an argument: --%s", f->name);
    v = argv[++*i];
  }
  return apply_named (st, f, v, err);
}

/* "-abc", "-m512m", "-m 512m", "-m=512m", "-d=false". */
static int
short_flags (run_state *st, int argc, char **argv, int *i, bool is_run, sk_err **err)
{
  const char *a = argv[*i];
  for (const char *p = a + 1; *p; p++) {
    const flag_def *f = find_flag (NULL, 0, *p, is_run);
    if (f == NULL)
      return sk_err_set (err, 0, "unknown shorthand flag: '%c' in %s", *p, a);
    const char *v = "true";
    bool last = p[1] == '=' || (takes_value (f) && p[1]);
    if (p[1] == '=')
      v = p + 2;
    else if (takes_value (f) && p[1])
      v = p + 1;
    else if (takes_value (f)) {
      if (*i + 1 >= argc)
        return sk_err_set (err, 0, "flag needs an argument: '%c' in %s", *p, a);
      v = argv[++*i];
      last = true;
    }
    if (apply_named (st, f, v, err) < 0)
      return -1;
    if (last)
      break;
  }
  return 0;
}

/* The flags up to the image; returns the image's index, or 0 for --help. */
static int
read_flags (run_state *st, int argc, char **argv, bool is_run, sk_err **err)
{
  int i;
  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp (a, "--") == 0)
      return i + 1;
    if (a[0] != '-' || a[1] == '\0')
      break;
    int r = a[1] == '-' ? long_flag (st, argc, argv, &i, is_run, err)
                        : short_flags (st, argc, argv, &i, is_run, err);
    if (r != 0)
      return r > 0 ? 0 : -1;
  }
  return i;
}

/* ---- what docker checks once every flag is read ---- */

static int
finish_env (run_state *st, sk_err **err)
{
  _cleanup_json_ sk_json *env = json_object_new_array ();
  _cleanup_json_ sk_json *labels = json_object_new_array ();
  for (size_t i = 0; i < json_object_array_length (st->env_files); i++)
    if (sk_rv_kv_file (json_object_get_string (json_object_array_get_idx (st->env_files, i)),
                       true, env, err) < 0)
      return -1;
  for (size_t i = 0; i < json_object_array_length (st->label_files); i++)
    if (sk_rv_kv_file (json_object_get_string (json_object_array_get_idx (st->label_files, i)),
                       false, labels, err) < 0)
      return -1;
  for (size_t i = 0; i < json_object_array_length (st->env); i++)
    json_object_array_add (env, json_object_get (json_object_array_get_idx (st->env, i)));
  for (size_t i = 0; i < json_object_array_length (st->labels); i++)
    json_object_array_add (labels, json_object_get (json_object_array_get_idx (st->labels, i)));
  if (json_object_array_length (env) > 0)
    json_object_object_add (st->conf, "Env", steal_ptr (env));
  if (json_object_array_length (labels) > 0) {
    sk_json *map = member (st->conf, "Labels", false);
    for (size_t i = 0; i < json_object_array_length (labels); i++)
      put_kv (map, json_object_get_string (json_object_array_get_idx (labels, i)));
  }
  return 0;
}

static void
put_nonzero (sk_json *o, const char *key, int64_t v)
{
  if (v)
    json_object_object_add (o, key, json_object_new_int64 (v));
}

static int
finish_health (run_state *st, sk_err **err)
{
  bool have = (st->health_cmd && *st->health_cmd) || st->health_interval || st->health_timeout ||
              st->health_start || st->health_start_interval || st->health_retries;
  if (st->no_health && have)
    return sk_err_set (err, 0, "--no-healthcheck conflicts with --health-* options");
  if (!st->no_health && !have)
    return 0;
  sk_json *h = member (st->conf, "Healthcheck", false), *test = member (h, "Test", true);
  if (st->no_health) {
    push (test, "NONE");
    return 0;
  }
  static const char *const names[] = {"interval", "timeout", "retries", "start-period",
                                      "start-interval"};
  int64_t vals[] = {st->health_interval, st->health_timeout, st->health_retries, st->health_start,
                    st->health_start_interval};
  for (size_t i = 0; i < SK_N_ELEMENTS (names); i++)
    if (vals[i] < 0)
      return sk_err_set (err, 0, "--health-%s cannot be negative", names[i]);
  if (st->health_cmd && *st->health_cmd) {
    push (test, "CMD-SHELL");
    push (test, st->health_cmd);
  } else
    json_object_object_del (h, "Test");
  put_nonzero (h, "Interval", st->health_interval);
  put_nonzero (h, "Timeout", st->health_timeout);
  put_nonzero (h, "StartPeriod", st->health_start);
  put_nonzero (h, "StartInterval", st->health_start_interval);
  put_nonzero (h, "Retries", st->health_retries);
  return 0;
}

/* Go's strconv.Atoi: an optional sign and decimal digits. */
static bool
go_atoi (const char *s, int64_t *out)
{
  const char *d = s + (*s == '+' || *s == '-');
  if (*d == '\0' || strspn (d, "0123456789") != strlen (d))
    return false;
  errno = 0;
  *out = strtoll (s, NULL, 10);
  return errno == 0;
}

int
sk_run_restart_policy (const char *v, sk_json **out, sk_err **err)
{
  const char *colon = strchr (v, ':');
  _cleanup_free_ char *name = colon ? strndup (v, (size_t) (colon - v)) : strdup (v);
  int64_t count = 0;
  if (name == NULL)
    return sk_err_set (err, ENOMEM, "restart policy");
  if (colon && *name == '\0')
    return sk_err_set (err, 0, "invalid restart policy format: no policy provided before colon");
  if (colon && colon[1] && !go_atoi (colon + 1, &count))
    return sk_err_set (err, 0, "invalid restart policy format: maximum retry count must be an integer");
  if (strcmp (name, "no") && strcmp (name, "always") && strcmp (name, "unless-stopped") &&
      strcmp (name, "on-failure"))
    return sk_err_set (err, 0,
                       "invalid restart policy: unknown policy '%s'; use one of 'no', 'always', "
                       "'on-failure', or 'unless-stopped'",
                       name);
  if (count < 0)
    return sk_err_set (err, 0, "invalid restart policy: maximum retry count cannot be negative");
  if (count && strcmp (name, "on-failure"))
    return sk_err_set (err, 0,
                       "invalid restart policy: maximum retry count can only be used with "
                       "'on-failure'");
  *out = json_object_new_object ();
  put_str (*out, "Name", name);
  json_object_object_add (*out, "MaximumRetryCount", json_object_new_int64 (count));
  return 0;
}

static int
finish_restart (run_state *st, sk_err **err)
{
  if (st->restart == NULL || *st->restart == '\0')
    return 0;
  _cleanup_json_ sk_json *p = NULL;
  if (sk_run_restart_policy (st->restart, &p, err) < 0)
    return -1;
  sk_json *auto_remove = NULL, *name = NULL;
  json_object_object_get_ex (p, "Name", &name);
  if (strcmp (json_object_get_string (name), "no") &&
      json_object_object_get_ex (st->host, "AutoRemove", &auto_remove) &&
      json_object_get_boolean (auto_remove))
    return sk_err_set (err, 0, "conflicting options: cannot specify both --restart and --rm");
  json_object_object_add (st->host, "RestartPolicy", steal_ptr (p));
  return 0;
}

static int
finish_log (run_state *st, sk_err **err)
{
  const char *d = st->log_driver;
  if (d && strcmp (d, "json-file") && strcmp (d, "local") && strcmp (d, "none"))
    return sk_err_set (err, 0, "logging driver %s is not supported: use json-file, local or none",
                       d);
  size_t n = json_object_array_length (st->log_opts);
  if (n && d && strcmp (d, "none") == 0)
    return sk_err_set (err, 0, "invalid logging opts for driver none");
  /* the options each driver takes, as docker's */
  static const char *const json_keys[] = {"max-size", "max-file", "compress", "labels",
                                          "labels-regex", "env", "env-regex", "tag", NULL};
  static const char *const local_keys[] = {"max-size", "max-file", "compress", NULL};
  const char *name = d && *d ? d : "json-file";
  const char *const *keys = strcmp (name, "local") == 0 ? local_keys : json_keys;
  for (size_t i = 0; i < n; i++) {
    const char *kv = json_object_get_string (json_object_array_get_idx (st->log_opts, i));
    const char *eq = strchr (kv, '=');
    size_t klen = eq ? (size_t) (eq - kv) : strlen (kv);
    const char *const *k = keys;
    while (*k && (strlen (*k) != klen || strncmp (*k, kv, klen) != 0))
      k++;
    if (*k == NULL)
      return sk_err_set (err, 0, "unknown log opt '%.*s' for %s log driver", (int) klen, kv, name);
    if (strcmp (*k, "compress") == 0 && (eq == NULL || (strcmp (eq + 1, "true") != 0 &&
                                                        strcmp (eq + 1, "false") != 0 &&
                                                        strcmp (eq + 1, "1") != 0 &&
                                                        strcmp (eq + 1, "0") != 0)))
      return sk_err_set (err, 0, "invalid value for log-opt compress: %s", eq ? eq + 1 : "");
  }
  /* as docker's daemon records it: the driver named, the default if none */
  sk_json *lc = member (st->host, "LogConfig", false);
  put_str (lc, "Type", name);
  sk_json *cfg = member (lc, "Config", false);
  for (size_t i = 0; i < n; i++)
    put_kv (cfg, json_object_get_string (json_object_array_get_idx (st->log_opts, i)));
  return 0;
}

/* "", the plain modes listed, or "container:NAME" where it may. */
static bool
mode_ok (const char *v, const char *const *modes, bool container)
{
  if (v == NULL || *v == '\0')
    return true;
  for (; *modes; modes++)
    if (strcmp (v, *modes) == 0)
      return true;
  return container && strncmp (v, "container:", 10) == 0 && v[10] && !strchr (v + 10, ':');
}

static int
finish_modes (run_state *st, sk_err **err)
{
  static const char *const ipc[] = {"none", "private", "shareable", "host", NULL};
  static const char *const host[] = {"host", NULL};
  static const char *const cgroupns[] = {"host", "private", NULL};
  static const struct {
    const char *field, *flag, *what;
    const char *const *modes;
    bool container;
  } checks[] = {{"IpcMode", "ipc", "IPC", ipc, true},
                {"PidMode", "pid", "PID", host, true},
                {"UTSMode", "uts", "UTS", host, true}, /* container: is skiff's (and podman's) */
                {"UsernsMode", "userns", "USER", host, false},
                {"CgroupnsMode", "cgroupns", "CGROUP", cgroupns, false}};
  for (size_t i = 0; i < SK_N_ELEMENTS (checks); i++) {
    sk_json *m = NULL;
    if (json_object_object_get_ex (st->host, checks[i].field, &m) &&
        !mode_ok (json_object_get_string (m), checks[i].modes, checks[i].container))
      return sk_err_set (err, 0, "--%s: invalid %s mode", checks[i].flag, checks[i].what);
  }
  /* a UTS namespace not its own keeps its host name */
  sk_json *uts = NULL, *hn = NULL;
  if (json_object_object_get_ex (st->host, "UTSMode", &uts) &&
      (strcmp (json_object_get_string (uts), "host") == 0 ||
       strncmp (json_object_get_string (uts), "container:", 10) == 0) &&
      json_object_object_get_ex (st->conf, "Hostname", &hn) && *json_object_get_string (hn))
    return sk_err_set (err, 0, "conflicting options: hostname and the UTS mode");
  sk_json *sw = NULL;
  if (json_object_object_get_ex (st->host, "MemorySwappiness", &sw)) {
    int64_t v = json_object_get_int64 (sw);
    if (v == -1)
      json_object_object_del (st->host, "MemorySwappiness");
    else if (v < 0 || v > 100)
      return sk_err_set (err, 0, "invalid value: %lld. Valid memory swappiness range is 0-100",
                         (long long) v);
  }
  const char *pull = st->cli->pull;
  if (strcmp (pull, "missing") && strcmp (pull, "always") && strcmp (pull, "never"))
    return sk_err_set (err, 0,
                       "invalid pull option: '%s': must be one of \"always\", \"missing\" or "
                       "\"never\"",
                       pull);
  return 0;
}

static bool
mac_ok (const char *s)
{
  unsigned int b[6];
  char sep[5], end;
  if (strlen (s) != 17 || sscanf (s, "%2x%c%2x%c%2x%c%2x%c%2x%c%2x%c", &b[0], &sep[0], &b[1],
                                   &sep[1], &b[2], &sep[2], &b[3], &sep[3], &b[4], &sep[4], &b[5],
                                   &end) != 11)
    return false;
  for (size_t i = 0; i < 5; i++)
    if (sep[i] != sep[0] || (sep[0] != ':' && sep[0] != '-'))
      return false;
  return strspn (s, "0123456789abcdefABCDEF:-") == 17;
}

/* -p's long form, "target=80,published=8080,protocol=udp", as
 * "8080:80/udp". */
static int
publish_long (const char *spec, char **out, sk_err **err)
{
  _cleanup_free_ char *copy = strdup (spec);
  const char *target = "", *published = "", *protocol = "tcp";
  for (char *save = NULL, *p = strtok_r (copy, ",", &save); p; p = strtok_r (NULL, ",", &save)) {
    char *eq = strchr (p, '=');
    if (eq == NULL || eq == p)
      return sk_err_set (err, 0,
                         "invalid publish opts format (should be name=value but got '%s')", p);
    *eq = '\0';
    if (strcmp (p, "target") == 0)
      target = eq + 1;
    else if (strcmp (p, "published") == 0)
      published = eq + 1;
    else if (strcmp (p, "protocol") == 0)
      protocol = eq + 1;
  }
  if (asprintf (out, "%s:%s/%s", published, target, protocol) < 0)
    return sk_err_set (err, 0, "out of memory");
  return 0;
}

static int
finish_network (run_state *st, sk_err **err)
{
  const char *mode = st->network ? st->network : "default";
  put_str (st->host, "NetworkMode", mode);
  /* docker always sends these, empty when not given */
  member (st->host, "Dns", true);
  member (st->host, "DnsOptions", true);
  member (st->host, "DnsSearch", true);
  if (st->mac && !mac_ok (st->mac))
    return sk_err_set (err, 0, "%s is not a valid mac address", st->mac);
  if (st->ip || st->mac || json_object_array_length (st->aliases)) {
    sk_json *ep = member (member (member (st->conf, "NetworkingConfig", false), "EndpointsConfig",
                                  false),
                          mode, false);
    if (json_object_array_length (st->aliases))
      json_object_object_add (ep, "Aliases", json_object_get (st->aliases));
    if (st->ip)
      put_str (member (ep, "IPAMConfig", false), "IPv4Address", st->ip);
    if (st->mac)
      put_str (ep, "MacAddress", st->mac);
  }
  size_t np = json_object_array_length (st->publish), ne = json_object_array_length (st->expose);
  if (np == 0 && ne == 0)
    return 0;
  sk_json *exposed = member (st->conf, "ExposedPorts", false);
  sk_json *bindings = np ? member (st->host, "PortBindings", false) : NULL;
  for (size_t i = 0; i < np; i++) {
    const char *spec = json_object_get_string (json_object_array_get_idx (st->publish, i));
    _cleanup_free_ char *standard = NULL;
    if (strchr (spec, '=') && publish_long (spec, &standard, err) < 0)
      return -1;
    if (sk_rv_publish (standard ? standard : spec, exposed, bindings, err) < 0)
      return -1;
  }
  for (size_t i = 0; i < ne; i++)
    if (sk_rv_expose (json_object_get_string (json_object_array_get_idx (st->expose, i)), exposed,
                      err) < 0)
      return -1;
  return 0;
}

/* "./data" as an absolute, clean path (Go's filepath.Abs). */
static char *
abs_path (const char *rel)
{
  _cleanup_free_ char *cwd = getcwd (NULL, 0), *joined = NULL;
  if (cwd == NULL || asprintf (&joined, "%s/%s", cwd, rel) < 0)
    return strdup (rel);
  char *out = calloc (1, strlen (joined) + 2);
  size_t n = 0;
  for (char *save = NULL, *seg = strtok_r (joined, "/", &save); seg && out;
       seg = strtok_r (NULL, "/", &save)) {
    if (strcmp (seg, ".") == 0)
      continue;
    if (strcmp (seg, "..") == 0) {
      while (n > 0 && out[--n] != '/')
        ;
      out[n] = '\0';
      continue;
    }
    n += (size_t) sprintf (out + n, "/%s", seg);
  }
  if (out && n == 0)
    strcpy (out, "/");
  return out;
}

static int
volume (run_state *st, const char *spec, sk_err **err)
{
  if (*spec == '\0')
    return sk_err_set (err, 0, "invalid empty volume spec");
  size_t parts = 1;
  for (const char *p = spec; *p; p++)
    parts += *p == ':';
  if (spec[0] == ':' || strstr (spec, "::") || spec[strlen (spec) - 1] == ':')
    return sk_err_set (err, 0, "invalid spec: %s: empty section between colons", spec);
  if (parts > 3)
    return sk_err_set (err, 0, "invalid spec: %s: too many colons", spec);
  if (parts == 1) {
    if (spec[0] != '/')
      return sk_err_set (err, 0,
                         "invalid volume specification: '%s': invalid mount config for type "
                         "\"volume\": invalid mount path: '%s' mount path must be absolute",
                         spec, spec);
    json_object_object_add (member (st->conf, "Volumes", false), spec, json_object_new_object ());
    return 0;
  }
  const char *colon = strchr (spec, ':');
  _cleanup_free_ char *src = strndup (spec, (size_t) (colon - spec)), *bind = NULL;
  if (src[0] == '.') {
    _cleanup_free_ char *abs = abs_path (src);
    if (asprintf (&bind, "%s%s", abs, colon) < 0)
      return sk_err_set (err, 0, "out of memory");
  }
  push (member (st->host, "Binds", true), bind ? bind : spec);
  return 0;
}

/* seccomp=FILE becomes seccomp=<the profile, compacted>, as docker sends it. */
static int
security_opt (run_state *st, const char *opt, sk_err **err)
{
  sk_json *list = member (st->host, "SecurityOpt", true);
  const char *sep = strchr (opt, '=');
  if (sep == NULL && strcmp (opt, "no-new-privileges") != 0)
    sep = strchr (opt, ':');
  if (sep == NULL && strcmp (opt, "no-new-privileges") != 0) {
    _cleanup_free_ char *q = sk_rv_quote (opt);
    return sk_err_set (err, 0, "Invalid --security-opt: %s", q);
  }
  const char *v = sep ? sep + 1 : "";
  if (sep == NULL || (size_t) (sep - opt) != 7 || strncmp (opt, "seccomp", 7) != 0 ||
      strcmp (v, "unconfined") == 0 || strcmp (v, "builtin") == 0) {
    push (list, opt);
    return 0;
  }
  _cleanup_free_ char *data = NULL, *compact = NULL, *entry = NULL;
  sk_err *cause = NULL;
  if (sk_rv_read (v, &data, &cause) < 0) {
    sk_err_set (err, 0, "opening seccomp profile (%s) failed: %s", v, cause->msg);
    sk_err_free (&cause);
    return -1;
  }
  if (sk_rv_json_compact (data, &compact, &cause) < 0) {
    sk_err_set (err, 0, "compacting json for seccomp profile (%s) failed: %s", v, cause->msg);
    sk_err_free (&cause);
    return -1;
  }
  if (asprintf (&entry, "seccomp=%s", compact) < 0)
    return sk_err_set (err, 0, "out of memory");
  push (list, entry);
  return 0;
}

static int
finish_storage (run_state *st, sk_err **err)
{
  for (size_t i = 0; i < json_object_array_length (st->volumes); i++)
    if (volume (st, json_object_get_string (json_object_array_get_idx (st->volumes, i)), err) < 0)
      return -1;
  for (size_t i = 0; i < json_object_array_length (st->devices); i++) {
    sk_json *d = NULL;
    if (sk_rv_device (json_object_get_string (json_object_array_get_idx (st->devices, i)), &d,
                      err) < 0)
      return -1;
    json_object_array_add (member (st->host, "Devices", true), d);
  }
  for (size_t i = 0; i < json_object_array_length (st->security); i++)
    if (security_opt (st, json_object_get_string (json_object_array_get_idx (st->security, i)),
                      err) < 0)
      return -1;
  return 0;
}

static void
finish_command (run_state *st, int argc, char **argv, int image)
{
  bool in = st->interactive, attached = !st->cli->detach;
  json_object_object_add (st->conf, "AttachStdin", json_object_new_boolean (in && attached));
  json_object_object_add (st->conf, "AttachStdout", json_object_new_boolean (attached));
  json_object_object_add (st->conf, "AttachStderr", json_object_new_boolean (attached));
  json_object_object_add (st->conf, "OpenStdin", json_object_new_boolean (in));
  json_object_object_add (st->conf, "StdinOnce", json_object_new_boolean (in && attached));
  put_str (st->conf, "Image", argv[image]);
  if (image + 1 < argc) {
    sk_json *cmd = member (st->conf, "Cmd", true);
    for (int i = image + 1; i < argc; i++)
      push (cmd, argv[i]);
  }
  if (st->entrypoint)
    push (member (st->conf, "Entrypoint", true), st->entrypoint);
}

static int
finish (run_state *st, sk_err **err)
{
  if (finish_env (st, err) < 0 || finish_health (st, err) < 0 || finish_restart (st, err) < 0 ||
      finish_log (st, err) < 0 || finish_modes (st, err) < 0 || finish_network (st, err) < 0 ||
      finish_storage (st, err) < 0)
    return -1;
  return 0;
}

int
sk_run_flags_parse (int argc, char **argv, sk_json **body, sk_run_cli *cli, sk_err **err)
{
  bool is_run = strcmp (argv[0], "run") == 0;
  *cli = (sk_run_cli) {.sig_proxy = true, .pull = "missing"};
  _cleanup_json_ sk_json *conf = json_object_new_object ();
  __attribute__ ((cleanup (state_free))) run_state st = {
      .conf = conf, .host = json_object_new_object (), .cli = cli, .health_retries = 0};
  json_object_object_add (conf, "HostConfig", st.host);
  sk_json **lists[] = {&st.env,     &st.env_files, &st.labels,  &st.label_files,
                       &st.log_opts, &st.aliases,  &st.publish, &st.expose,
                       &st.volumes, &st.devices,   &st.security};
  for (size_t i = 0; i < SK_N_ELEMENTS (lists); i++)
    *lists[i] = json_object_new_array ();
  int image = read_flags (&st, argc, argv, is_run, err);
  if (image < 0)
    return -1;
  if (image == 0) {
    sk_run_flags_help (argv[0], stdout);
    return 1;
  }
  if (image >= argc)
    return sk_err_set (err, 0, "\"skiff %s\" requires at least 1 argument", argv[0]);
  if (finish (&st, err) < 0)
    return -1;
  finish_command (&st, argc, argv, image);
  *body = steal_ptr (conf);
  return 0;
}

/* ---- help ---- */

void
sk_run_flags_help (const char *cmd, FILE *out)
{
  bool is_run = strcmp (cmd, "run") == 0;
  fprintf (out, "Usage:  skiff %s [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n%s\n\nOptions:\n", cmd,
           is_run ? "Create and run a new container from an image" : "Create a new container");
  char left[SK_N_ELEMENTS (flags)][64];
  int width = 0;
  for (size_t i = 0; i < SK_N_ELEMENTS (flags); i++) {
    const flag_def *f = &flags[i];
    int n = snprintf (left[i], sizeof left[i], "  %c%c%s--%s%s%s", f->sh ? '-' : ' ',
                      f->sh ? f->sh : ' ', f->sh ? ", " : "  ", f->name, f->type ? " " : "",
                      f->type ? f->type : "");
    if (n > width)
      width = n;
  }
  for (size_t i = 0; i < SK_N_ELEMENTS (flags); i++)
    if (flags[i].usage && (is_run || !flags[i].run_only))
      fprintf (out, "%-*s   %s\n", width, left[i], flags[i].usage);
}
