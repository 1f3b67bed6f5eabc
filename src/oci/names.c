/* skiff: the names the runtime spec uses, and their kernel values. */
#include <sched.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include "oci.h"
#include "util/cleanup.h"

static const char *const ns_names[SK_NS_TYPES] = {
    [SK_NS_PID] = "pid",   [SK_NS_NETWORK] = "network", [SK_NS_MOUNT] = "mount",
    [SK_NS_IPC] = "ipc",   [SK_NS_UTS] = "uts",         [SK_NS_USER] = "user",
    [SK_NS_CGROUP] = "cgroup", [SK_NS_TIME] = "time",
};

static const int ns_flags[SK_NS_TYPES] = {
    [SK_NS_PID] = CLONE_NEWPID,   [SK_NS_NETWORK] = CLONE_NEWNET, [SK_NS_MOUNT] = CLONE_NEWNS,
    [SK_NS_IPC] = CLONE_NEWIPC,   [SK_NS_UTS] = CLONE_NEWUTS,     [SK_NS_USER] = CLONE_NEWUSER,
    [SK_NS_CGROUP] = CLONE_NEWCGROUP, [SK_NS_TIME] = 0x00000080 /* CLONE_NEWTIME */,
};

const char *
sk_ns_type_name (sk_ns_type t)
{
  return t < SK_NS_TYPES ? ns_names[t] : "unknown";
}

int
sk_ns_type_from_name (const char *name)
{
  for (int i = 0; i < SK_NS_TYPES; i++)
    if (strcmp (ns_names[i], name) == 0)
      return i;
  return -1;
}

int
sk_ns_clone_flag (sk_ns_type t)
{
  return t < SK_NS_TYPES ? ns_flags[t] : 0;
}

static const char *const cap_names[] = {
    "CAP_CHOWN",           "CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID",          "CAP_KILL",           "CAP_SETGID",          "CAP_SETUID",
    "CAP_SETPCAP",         "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",       "CAP_NET_RAW",        "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",      "CAP_SYS_RAWIO",      "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",       "CAP_SYS_ADMIN",      "CAP_SYS_BOOT",        "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",    "CAP_SYS_TIME",       "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
    "CAP_LEASE",           "CAP_AUDIT_WRITE",    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",    "CAP_MAC_ADMIN",      "CAP_SYSLOG",          "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",   "CAP_AUDIT_READ",     "CAP_PERFMON",         "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

int
sk_cap_from_name (const char *name)
{
  for (size_t i = 0; i < SK_N_ELEMENTS (cap_names); i++)
    if (strcasecmp (cap_names[i], name) == 0)
      return (int) i;
  return -1;
}

const char *
sk_cap_name (int cap)
{
  return cap >= 0 && (size_t) cap < SK_N_ELEMENTS (cap_names) ? cap_names[cap] : NULL;
}

int
sk_cap_last_known (void)
{
  return (int) SK_N_ELEMENTS (cap_names) - 1;
}

static const struct {
  const char *name;
  int resource;
} rlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
};

int
sk_rlimit_from_name (const char *name)
{
  for (size_t i = 0; i < SK_N_ELEMENTS (rlimits); i++)
    if (strcmp (rlimits[i].name, name) == 0)
      return rlimits[i].resource;
  return -1;
}

static const char *const hook_names[SK_HOOK_KINDS] = {
    [SK_HOOK_PRESTART] = "prestart",
    [SK_HOOK_CREATE_RUNTIME] = "createRuntime",
    [SK_HOOK_CREATE_CONTAINER] = "createContainer",
    [SK_HOOK_START_CONTAINER] = "startContainer",
    [SK_HOOK_POSTSTART] = "poststart",
    [SK_HOOK_POSTSTOP] = "poststop",
};

const char *
sk_hook_kind_name (sk_hook_kind k)
{
  return k < SK_HOOK_KINDS ? hook_names[k] : "unknown";
}

static const char *const seccomp_actions[] = {
    [SK_SCMP_ACT_KILL] = "SCMP_ACT_KILL",
    [SK_SCMP_ACT_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
    [SK_SCMP_ACT_KILL_THREAD] = "SCMP_ACT_KILL_THREAD",
    [SK_SCMP_ACT_TRAP] = "SCMP_ACT_TRAP",
    [SK_SCMP_ACT_ERRNO] = "SCMP_ACT_ERRNO",
    [SK_SCMP_ACT_TRACE] = "SCMP_ACT_TRACE",
    [SK_SCMP_ACT_ALLOW] = "SCMP_ACT_ALLOW",
    [SK_SCMP_ACT_LOG] = "SCMP_ACT_LOG",
    [SK_SCMP_ACT_NOTIFY] = "SCMP_ACT_NOTIFY",
};

const char *
sk_seccomp_action_name (int action)
{
  if (action > 0 && (size_t) action < SK_N_ELEMENTS (seccomp_actions))
    return seccomp_actions[action];
  return "unknown";
}
