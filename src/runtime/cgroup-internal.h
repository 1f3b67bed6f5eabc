/* skiff: what the cgroup files share (not part of the runtime's interface).
 *
 * cgroup.c    detection, paths, create/open/destroy, the per-controller
 *             dispatch, enter, pids, kill; small read/write helpers.
 * cgroup-v1.c the v1 files of each controller (resources, freezer, stats).
 * cgroup-v2.c the cgroup2 files (resources, subtree_control, freeze, stats).
 * cgroup-bpf.c the cgroup2 device filter (a BPF_PROG_TYPE_CGROUP_DEVICE program).
 */
#ifndef SKIFF_RUNTIME_CGROUP_INTERNAL_H
#define SKIFF_RUNTIME_CGROUP_INTERNAL_H

#include <stdint.h>

#include "runtime/cgroup.h"

/* The controllers whose files this module knows. */
typedef enum sk_cg_ctrl {
  SK_CG_CPU,
  SK_CG_CPUACCT,
  SK_CG_CPUSET,
  SK_CG_MEMORY,
  SK_CG_DEVICES,
  SK_CG_FREEZER,
  SK_CG_BLKIO, /* "io" on cgroup2 */
  SK_CG_PIDS,
  SK_CG_HUGETLB,
  SK_CG_NET_CLS,
  SK_CG_NET_PRIO,
  SK_CG_N_CTRL,
} sk_cg_ctrl;

#define SK_CG_BIT(c) (1u << (c))

/* One mounted hierarchy (one per superblock). */
typedef struct sk_cg_mount {
  char devno[32]; /* "maj:min" of the superblock */
  char *mountpoint;
  char *controllers; /* as in sk_cgroup_hierarchy */
  bool v2;
  uint32_t mask;         /* SK_CG_BIT of the known controllers it holds */
  char **v2_controllers; /* cgroup2: the names in the root's cgroup.controllers */
} sk_cg_mount;

typedef struct sk_cg_layout {
  sk_cgroup_mode mode;
  sk_cg_mount *mounts;
  size_t n;
} sk_cg_layout;

/* The container's directory in one hierarchy. Files are opened by path
 * (cheaper than keeping a descriptor per hierarchy when most get one or two
 * writes); the cgroup2 directory has a descriptor, for clone3 and bpf(2). */
typedef struct sk_cg_dir {
  int fd; /* -1 when not open */
  const char *path;
  bool v2;
} sk_cg_dir;

struct sk_cgroup {
  char *path;
  const sk_cg_layout *layout;
  size_t n;
  sk_cgroup_hierarchy *pub;
  sk_cg_dir *dirs;
  const sk_cg_mount **mounts;
  int by_ctrl[SK_CG_N_CTRL]; /* index in dirs of the directory that serves it, or -1 */
  int v2;                    /* index in dirs of the cgroup2 directory, or -1 */
  int *first_new;            /* made by this process: depth of the first new directory, per dir */
};

/* ---- cgroup-detect.c ---- */

const sk_cg_layout *sk_cg_layout_get (sk_err **err);
const char *sk_cg_ctrl_name (sk_cg_ctrl c);
/* "2MB", "1GB": the huge page sizes as hugetlb file names spell them (read
 * once, when first needed; NULL-terminated, may be NULL). */
char **sk_cg_hugepage_sizes (void);
/* Collapses repeated and trailing slashes and drops "." components. */
char *sk_cg_normalize (const char *path);
/* An absolute path without "." or ".." components, not the root; refuses
 * runc's systemd form "slice:prefix:name" with a clear message. */
int sk_cg_check_path (const char *path, sk_err **err);

/* ---- cgroup.c: helpers ---- */

/* Sets the errno value of the error just set; returns -1. */
int sk_cg_set_errnum (sk_err **err, int errnum);
/* Like sk_err_set for a message that already says the cause: errnum is
 * recorded but its text is not appended. */
int sk_cg_error (sk_err **err, int errnum, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
/* Opens a file of the directory (O_CLOEXEC added). */
int sk_cg_open_file (const sk_cg_dir *d, const char *file, int flags);
/* One open+write+close; returns 0 or -errno, sets nothing. */
int sk_cg_write_raw (const sk_cg_dir *d, const char *file, const char *value);
/* Writes `value`; "write `value` to `dir/file`: cause" on failure. */
int sk_cg_write (const sk_cg_dir *d, const char *file, const char *value, sk_err **err);
/* Writes the value of spec field `field` (the part after "linux.resources.");
 * a missing file is reported as "linux.resources.<field>: <file> is not available (<why>)". */
int sk_cg_set (const sk_cg_dir *d, const char *field, const char *file, const char *value,
               sk_err **err);
/* Like sk_cg_set with an integer value. */
int sk_cg_set_i64 (const sk_cg_dir *d, const char *field, const char *file, int64_t value,
                   sk_err **err);
/* The error sk_cg_set reports for the result `r` (-errno) of a raw write. */
int sk_cg_fail (const sk_cg_dir *d, const char *field, const char *file, const char *value, int r,
                sk_err **err);
/* Reads a small file into buf (NUL-terminated, trailing newline removed). */
int sk_cg_read (const sk_cg_dir *d, const char *file, char *buf, size_t size, sk_err **err);
/* Reads a file of any size. */
int sk_cg_read_all (const sk_cg_dir *d, const char *file, char **out, sk_err **err);
/* Reads a number; "max" gives UINT64_MAX. */
int sk_cg_read_u64 (const sk_cg_dir *d, const char *file, uint64_t *v, sk_err **err);
/* Finds "key value" in a flat-keyed file's text; false when absent. */
bool sk_cg_kv_u64 (const char *text, const char *key, uint64_t *v);
/* "linux.resources.<field>: <what> is not supported on cgroup v2". */
int sk_cg_unsupported_v2 (const char *field, sk_err **err);
void sk_cg_sleep_us (long us);
/* checkBeforeUpdate: refuses a memory limit below the usage in `usage_file`. */
int sk_cg_check_usage (const sk_cg_dir *d, const char *usage_file, const sk_spec_resources *r,
                       sk_err **err);
/* Adds key = value (a uint64) to a JSON object. */
void sk_cg_json_u64 (sk_json *obj, const char *key, uint64_t v);
/* Adds "key value" lines of `text` to obj as numbers. */
void sk_cg_json_flat (sk_json *obj, const char *text);

/* ---- cgroup-v1.c ---- */

int sk_cg_v1_memory (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err);
int sk_cg_v1_cpu (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err);
int sk_cg_v1_blkio (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err);
int sk_cg_hugetlb (const sk_cg_dir *d, const sk_spec_resources *r, const char *suffix, sk_err **err);
int sk_cg_v1_hugetlb (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err);
int sk_cg_v1_devices (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err);
int sk_cg_v1_net_cls (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err);
int sk_cg_v1_net_prio (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err);
/* `leaf` is the container's directory, the hierarchy's root is its first
 * `root_len` bytes, and the directories at depth >= first_new (1 = the first
 * component below the root) were just made. Copies cpuset.cpus and
 * cpuset.mems from the last directory that existed down into each new one, so
 * that tasks can join them; the leaf's values that `r` sets are left to the
 * resources. */
int sk_cg_v1_cpuset_fill (const char *leaf, size_t root_len, int first_new,
                          const sk_spec_resources *r, sk_err **err);
int sk_cg_v1_freeze (const sk_cg_dir *d, bool frozen, sk_err **err);
int sk_cg_v1_is_frozen (const sk_cg_dir *d, bool *frozen, sk_err **err);
int sk_cg_v1_oom_kills (const sk_cg_dir *d, uint64_t *count, sk_err **err);
void sk_cg_v1_stats_cpu (const sk_cg_dir *cpu, const sk_cg_dir *cpuacct, sk_json *out);
void sk_cg_v1_stats_memory (const sk_cg_dir *d, sk_json *out);
void sk_cg_v1_stats_blkio (const sk_cg_dir *d, sk_json *out);
void sk_cg_v1_stats_hugetlb (const sk_cg_dir *d, char **sizes, sk_json *out);

/* ---- cgroup-v2.c ---- */

int sk_cg_v2_memory (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err);
int sk_cg_v2_cpu (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err);
int sk_cg_v2_io (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err);
int sk_cg_v2_hugetlb (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err);
int sk_cg_v2_devices (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err);
int sk_cg_v2_unified (const sk_cg_dir *d, const sk_spec_resources *r, bool update, sk_err **err);
/* Enables the controllers the container may use in cgroup.subtree_control of
 * the mount root and of every directory down to the leaf's parent. Directories
 * at depth >= `first_new` (1 = the first component below the root) were made
 * by this module and start empty. */
int sk_cg_v2_enable_controllers (const sk_cg_mount *m, const sk_cg_dir *leaf, const char *path,
                                 int first_new, const sk_spec_resources *r, sk_err **err);
int sk_cg_v2_freeze (const sk_cg_dir *d, bool frozen, sk_err **err);
int sk_cg_v2_is_frozen (const sk_cg_dir *d, bool *frozen, sk_err **err);
/* Writes cgroup.kill; returns 0, or 1 when the kernel has no cgroup.kill. */
int sk_cg_v2_kill (const sk_cg_dir *d, sk_err **err);
int sk_cg_v2_oom_kills (const sk_cg_dir *d, uint64_t *count, sk_err **err);
void sk_cg_v2_stats_cpu (const sk_cg_dir *d, sk_json *out);
void sk_cg_v2_stats_memory (const sk_cg_dir *d, sk_json *out);
void sk_cg_v2_stats_io (const sk_cg_dir *d, sk_json *out);
void sk_cg_v2_stats_hugetlb (const sk_cg_dir *d, char **sizes, sk_json *out);

/* ---- cgroup-bpf.c ---- */

/* Builds the device filter for `rules`, attaches it to the cgroup2 directory
 * and detaches the filters attached there before. */
int sk_cg_bpf_devices (const sk_cg_dir *d, const sk_spec_device_rule *rules, size_t n,
                       sk_err **err);

#endif
