/* skiff: the OCI runtime-spec configuration (config.json), version 1.2.
 *
 * sk_spec_load parses and validates a whole config.json into these structs;
 * nothing in the runtime reads JSON itself. The raw bytes are kept so that
 * the runtime can store the exact document with the container's state.
 * Optional scalars carry a `set` flag instead of a sentinel value.
 */
#ifndef SKIFF_OCI_OCI_H
#define SKIFF_OCI_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "util/json.h"

#define SK_OCI_VERSION "1.2.0"

typedef struct sk_opt_i64 {
  bool set;
  int64_t v;
} sk_opt_i64;

typedef struct sk_opt_u64 {
  bool set;
  uint64_t v;
} sk_opt_u64;

/* ---- process ---- */

typedef struct sk_spec_rlimit {
  int resource; /* RLIMIT_* */
  char *type;   /* "RLIMIT_NOFILE" */
  uint64_t soft, hard;
} sk_spec_rlimit;

typedef struct sk_spec_caps {
  /* bit n = capability n; `set` marks the sets present in the document */
  uint64_t bounding, effective, inheritable, permitted, ambient;
} sk_spec_caps;

typedef struct sk_spec_user {
  uint32_t uid, gid;
  bool umask_set;
  uint32_t umask;
  uint32_t *additional_gids;
  size_t n_additional_gids;
} sk_spec_user;

typedef struct sk_spec_process {
  bool terminal;
  bool console_size_set;
  unsigned console_height, console_width;
  sk_spec_user user;
  char **args;
  char **env;
  char *cwd;
  bool caps_set;
  sk_spec_caps caps;
  sk_spec_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  char *apparmor_profile;
  char *selinux_label;
  bool oom_score_adj_set;
  int oom_score_adj;
} sk_spec_process;

/* ---- mounts ---- */

typedef struct sk_spec_mount {
  char *destination;
  char *type;
  char *source;
  char **options;
  /* derived from options */
  unsigned long flags;       /* MS_* for the mount itself */
  unsigned long cleared;     /* MS_* flags an option asked to clear ("rw", "suid", "dev"...) */
  unsigned long propagation; /* MS_SHARED/SLAVE/PRIVATE/UNBINDABLE, with MS_REC */
  bool bind;                 /* bind or rbind */
  uint64_t attr_set, attr_clr; /* MOUNT_ATTR_* applied recursively ("rro", "rnosuid"...) */
  char *data;                /* the options the kernel takes as a string */
  bool tmpcopyup;            /* a tmpfs starts with what the directory below it holds */
} sk_spec_mount;

typedef struct sk_spec_idmap {
  uint32_t container_id, host_id, size;
} sk_spec_idmap;

/* ---- hooks ---- */

typedef struct sk_spec_hook {
  char *path;
  char **args;
  char **env;
  int timeout; /* seconds; 0 means none */
} sk_spec_hook;

typedef enum sk_hook_kind {
  SK_HOOK_PRESTART,
  SK_HOOK_CREATE_RUNTIME,
  SK_HOOK_CREATE_CONTAINER,
  SK_HOOK_START_CONTAINER,
  SK_HOOK_POSTSTART,
  SK_HOOK_POSTSTOP,
  SK_HOOK_KINDS,
} sk_hook_kind;

typedef struct sk_spec_hooks {
  sk_spec_hook *list[SK_HOOK_KINDS];
  size_t n[SK_HOOK_KINDS];
} sk_spec_hooks;

/* ---- linux ---- */

typedef enum sk_ns_type {
  SK_NS_PID,
  SK_NS_NETWORK,
  SK_NS_MOUNT,
  SK_NS_IPC,
  SK_NS_UTS,
  SK_NS_USER,
  SK_NS_CGROUP,
  SK_NS_TIME,
  SK_NS_TYPES,
} sk_ns_type;

typedef struct sk_spec_namespace {
  bool present;
  char *path; /* NULL: create a new one */
} sk_spec_namespace;

typedef struct sk_spec_device {
  char type; /* 'c', 'b', 'u' or 'p' */
  char *path;
  int64_t major, minor;
  bool file_mode_set, uid_set, gid_set;
  uint32_t file_mode, uid, gid;
} sk_spec_device;

typedef struct sk_spec_device_rule {
  bool allow;
  char type; /* 'a', 'c' or 'b' */
  int64_t major, minor; /* -1: any */
  char access[4];       /* some of "rwm" */
} sk_spec_device_rule;

typedef struct sk_spec_throttle {
  int64_t major, minor;
  uint64_t rate;
} sk_spec_throttle;

typedef struct sk_spec_weight_device {
  int64_t major, minor;
  bool weight_set, leaf_weight_set;
  uint16_t weight, leaf_weight;
} sk_spec_weight_device;

typedef struct sk_spec_hugepage {
  char *page_size;
  uint64_t limit;
} sk_spec_hugepage;

typedef struct sk_spec_resources {
  sk_spec_device_rule *devices;
  size_t n_devices;
  struct {
    sk_opt_i64 limit, reservation, swap, kernel, kernel_tcp;
    sk_opt_u64 swappiness;
    bool disable_oom_killer_set, disable_oom_killer;
    bool use_hierarchy_set, use_hierarchy;
    bool check_before_update;
  } memory;
  struct {
    sk_opt_u64 shares, period, realtime_period, burst;
    sk_opt_i64 quota, realtime_runtime, idle;
    char *cpus, *mems;
  } cpu;
  struct {
    sk_opt_i64 limit;
  } pids;
  struct {
    bool weight_set, leaf_weight_set;
    uint16_t weight, leaf_weight;
    sk_spec_weight_device *weight_device;
    size_t n_weight_device;
    sk_spec_throttle *throttle[4]; /* read bps, write bps, read iops, write iops */
    size_t n_throttle[4];
  } block_io;
  sk_spec_hugepage *hugepages;
  size_t n_hugepages;
  struct {
    bool class_id_set;
    uint32_t class_id;
    char **prio_names;
    uint32_t *prio_values;
    size_t n_prio;
  } network;
  char **unified_keys, **unified_values;
} sk_spec_resources;

enum { SK_THROTTLE_READ_BPS, SK_THROTTLE_WRITE_BPS, SK_THROTTLE_READ_IOPS, SK_THROTTLE_WRITE_IOPS };

typedef struct sk_spec_seccomp_arg {
  unsigned index;
  uint64_t value, value_two;
  int op; /* sk_seccomp_op */
} sk_spec_seccomp_arg;

typedef enum sk_seccomp_op {
  SK_SCMP_NE = 1,
  SK_SCMP_LT,
  SK_SCMP_LE,
  SK_SCMP_EQ,
  SK_SCMP_GE,
  SK_SCMP_GT,
  SK_SCMP_MASKED_EQ,
} sk_seccomp_op;

typedef enum sk_seccomp_action {
  SK_SCMP_ACT_KILL = 1, /* kill the thread */
  SK_SCMP_ACT_KILL_PROCESS,
  SK_SCMP_ACT_KILL_THREAD,
  SK_SCMP_ACT_TRAP,
  SK_SCMP_ACT_ERRNO,
  SK_SCMP_ACT_TRACE,
  SK_SCMP_ACT_ALLOW,
  SK_SCMP_ACT_LOG,
  SK_SCMP_ACT_NOTIFY,
} sk_seccomp_action;

typedef struct sk_spec_syscall {
  char **names;
  int action;
  bool errno_ret_set;
  uint32_t errno_ret;
  sk_spec_seccomp_arg *args;
  size_t n_args;
} sk_spec_syscall;

typedef struct sk_spec_seccomp {
  int default_action;
  bool default_errno_ret_set;
  uint32_t default_errno_ret;
  char **architectures; /* "SCMP_ARCH_X86_64" */
  char **flags;         /* "SECCOMP_FILTER_FLAG_LOG" */
  char *listener_path;
  char *listener_metadata;
  sk_spec_syscall *syscalls;
  size_t n_syscalls;
} sk_spec_seccomp;

typedef struct sk_spec_linux {
  sk_spec_namespace namespaces[SK_NS_TYPES];
  sk_spec_idmap *uid_mappings, *gid_mappings;
  size_t n_uid_mappings, n_gid_mappings;
  sk_spec_device *devices;
  size_t n_devices;
  char *cgroups_path;
  bool resources_set;
  sk_spec_resources resources;
  unsigned long rootfs_propagation; /* 0: the runtime's default */
  sk_spec_seccomp *seccomp;
  char **sysctl_keys, **sysctl_values;
  char **masked_paths;
  char **readonly_paths;
  char *mount_label;
  bool personality_set;
  unsigned long personality;
  struct {
    bool set;
    int64_t secs;
    uint32_t nanosecs;
  } time_offsets[2]; /* monotonic, boottime */
} sk_spec_linux;

typedef struct sk_spec {
  char *oci_version;
  char *root_path; /* as written; relative to the bundle */
  bool root_readonly;
  sk_spec_process *process;
  char *hostname;
  char *domainname;
  sk_spec_mount *mounts;
  size_t n_mounts;
  sk_spec_hooks hooks;
  char **annotation_keys, **annotation_values;
  sk_spec_linux linux_;
  /* the document as read */
  char *raw;
  size_t raw_len;
} sk_spec;

/* Reads and validates `path` (config.json). */
int sk_spec_load (const char *path, sk_spec **out, sk_err **err);
int sk_spec_parse (const char *data, size_t len, const char *what, sk_spec **out, sk_err **err);
void sk_spec_free (sk_spec *spec);
static inline void
sk_spec_freep (sk_spec **p)
{
  sk_spec_free (*p);
}
#define _cleanup_spec_ __attribute__ ((cleanup (sk_spec_freep)))

/* Parses a process object (exec --process FILE). */
int sk_spec_process_parse (const char *data, size_t len, const char *what, sk_spec_process **out,
                           sk_err **err);
void sk_spec_process_free (sk_spec_process *p);

/* Parses a LinuxResources object (update --resources FILE). */
int sk_spec_resources_parse (const char *data, size_t len, const char *what,
                             sk_spec_resources *out, sk_err **err);
void sk_spec_resources_clear (sk_spec_resources *r);

/* ---- names ---- */

const char *sk_ns_type_name (sk_ns_type t);
int sk_ns_type_from_name (const char *name);
int sk_ns_clone_flag (sk_ns_type t);
/* "CAP_SYS_ADMIN" -> 21; -1 if unknown. */
int sk_cap_from_name (const char *name);
const char *sk_cap_name (int cap);
int sk_cap_last_known (void);
/* "RLIMIT_NOFILE" -> RLIMIT_NOFILE; -1 if unknown. */
int sk_rlimit_from_name (const char *name);
const char *sk_hook_kind_name (sk_hook_kind k);
const char *sk_seccomp_action_name (int action);

/* Parses mount options into flags, propagation and data. Unknown options go
 * to data (the filesystem's own). Returns <0 on a malformed option. */
int sk_mount_options_parse (sk_spec_mount *m, sk_err **err);
/* The option names sk_mount_options_parse knows, NULL-terminated. */
const char *const *sk_mount_option_names (void);

#endif
