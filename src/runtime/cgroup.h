/* skiff: one cgroup interface over cgroup v1, the hybrid layout and cgroup v2.
 *
 * The layout is detected at run time from /proc/self/mountinfo:
 *   - SK_CGROUP_V2:     /sys/fs/cgroup is cgroup2 (pure unified);
 *   - SK_CGROUP_HYBRID: v1 controllers plus a cgroup2 mount (usually
 *                       /sys/fs/cgroup/unified) that may hold controllers too
 *                       (hugetlb on some hosts);
 *   - SK_CGROUP_V1:     v1 controllers only.
 * A container's cgroup is the same relative path in every hierarchy. Each
 * resource goes to the hierarchy whose controller provides it; asking for a
 * resource no hierarchy provides is an error that names it.
 */
#ifndef SKIFF_RUNTIME_CGROUP_H
#define SKIFF_RUNTIME_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "oci/oci.h"
#include "util/error.h"
#include "util/json.h"

typedef enum sk_cgroup_mode {
  SK_CGROUP_V1,
  SK_CGROUP_HYBRID,
  SK_CGROUP_V2,
} sk_cgroup_mode;

/* A container may have no cgroup at all (an unprivileged runtime without a
 * delegated one): where it says so, a function takes NULL as that. */
typedef struct sk_cgroup sk_cgroup;

/* One mounted hierarchy, as seen on the host. */
typedef struct sk_cgroup_hierarchy {
  const char *mountpoint;  /* "/sys/fs/cgroup/memory", "/sys/fs/cgroup/unified", "/sys/fs/cgroup" */
  const char *controllers; /* "memory", "cpu,cpuacct", "name=systemd"; for cgroup2 the enabled ones */
  bool v2;
  const char *dir; /* the container's directory in it (mountpoint + path) */
} sk_cgroup_hierarchy;

int sk_cgroup_detect (sk_cgroup_mode *mode, sk_err **err);
const char *sk_cgroup_mode_name (sk_cgroup_mode mode);

/* The path a container gets: `config_path` as given in linux.cgroupsPath when
 * set (absolute: from each hierarchy's root; relative: below the caller's own
 * cgroup in that hierarchy), otherwise "/skiff/<id>". The result is absolute. */
char *sk_cgroup_default_path (const char *config_path, const char *id);
/* runc's systemd form "slice:prefix:name" as a path ("machine.slice:libpod:x"
 * is "/machine.slice/libpod-x.scope"); NULL when malformed. Used when systemd
 * runs; the cgroup is still managed through cgroupfs. */
char *sk_cgroup_systemd_path (const char *form);

/* Creates the directory in every hierarchy (parents too; v1 cpuset parents get
 * cpus and mems copied down; v2 parents get the needed controllers enabled in
 * cgroup.subtree_control) and applies `res` (may be NULL). It is an error if
 * the leaf already exists. On failure nothing it made is left behind. */
int sk_cgroup_create (const char *path, const sk_spec_resources *res, sk_cgroup **out,
                      sk_err **err);
/* The same in two steps, so that the container's process can be cloned in
 * between and set itself up while the rest is made: _begin makes only the
 * cgroup2 directory (what clone3 CLONE_INTO_CGROUP needs), _finish makes the
 * others and applies `res`. If _finish fails, undo with sk_cgroup_undo. */
int sk_cgroup_create_begin (const char *path, const sk_spec_resources *res, sk_cgroup **out,
                            sk_err **err);
int sk_cgroup_create_finish (sk_cgroup *cg, const sk_spec_resources *res, sk_err **err);
/* For a cgroup this process created and must take back: kills what is in it
 * and removes the directories it made (parents too), and nothing else. */
void sk_cgroup_undo (sk_cgroup *cg);
/* Opens the cgroup of an existing container (the directories must exist in
 * at least one hierarchy). */
int sk_cgroup_open (const char *path, sk_cgroup **out, sk_err **err);
void sk_cgroup_free (sk_cgroup *cg);

/* NULL: "" and no hierarchies */
const char *sk_cgroup_path (const sk_cgroup *cg);
size_t sk_cgroup_hierarchies (const sk_cgroup *cg, const sk_cgroup_hierarchy **out);
/* The container's directory fd in the cgroup2 hierarchy (pure v2, or the
 * cgroup2 mount of the hybrid layout), for clone3 CLONE_INTO_CGROUP; else -1.
 * Owned by cg. */
int sk_cgroup_v2_dirfd (const sk_cgroup *cg);

/* sk_cgroup_v2_dirfd, sk_cgroup_create_finish, sk_cgroup_enter,
 * sk_cgroup_enter_self and sk_cgroup_destroy do nothing for NULL. */
/* Moves pid into the container's cgroup in every hierarchy. Writing another
 * process's pid makes the kernel take a global lock whose first use costs an
 * RCU grace period (~10 ms): prefer CLONE_INTO_CGROUP and sk_cgroup_enter_self. */
int sk_cgroup_enter (const sk_cgroup *cg, pid_t pid, sk_err **err);
/* Moves the calling single-threaded process into the container's cgroup:
 * v1 hierarchies through their `tasks` file with "0" (the current thread, for
 * which the kernel skips that lock), the cgroup2 one through cgroup.procs
 * unless `v2_done` (the process was cloned into it). Needs the privileges of
 * the runtime: call it before entering a user namespace. */
int sk_cgroup_enter_self (const sk_cgroup *cg, bool v2_done, sk_err **err);
/* Applies resources to a running container (only the fields that are set). */
int sk_cgroup_update (const sk_cgroup *cg, const sk_spec_resources *res, sk_err **err);
/* Freezes or thaws; returns once the kernel reports the new state. */
int sk_cgroup_freeze (const sk_cgroup *cg, bool frozen, sk_err **err);
int sk_cgroup_is_frozen (const sk_cgroup *cg, bool *frozen, sk_err **err);
/* All pids in the container's cgroup (and its descendants). */
int sk_cgroup_pids (const sk_cgroup *cg, pid_t **pids, size_t *n, sk_err **err);
/* Sends sig to every process (freezing first so that none escapes by forking;
 * SIGKILL on v2 uses cgroup.kill). */
int sk_cgroup_kill_all (const sk_cgroup *cg, int sig, sk_err **err);
/* Kills what is left and removes the directories in every hierarchy
 * (descendants first), retrying briefly while the kernel still holds them. */
int sk_cgroup_destroy (sk_cgroup *cg, sk_err **err);

/* Statistics in the shape of runc's `events --stats` "data" object:
 * {"cpu":{"usage":{"total","percpu","kernel","user"},"throttling":{"periods","throttledPeriods","throttledTime"}},
 *  "memory":{"usage":{"limit","usage","max","failcnt"},"swap":{..},"cache","raw":{memory.stat keys}},
 *  "pids":{"current","limit"},"blkio":{"ioServiceBytesRecursive":[{"major","minor","op","value"}],..},
 *  "hugetlb":{"2MB":{"usage","max","failcnt"}}}
 * and, where a cgroup2 directory gives the pressure files (pure v2, and the
 * hybrid layout's cgroup2 mount), "psi":{"some":{"avg10","avg60","avg300",
 * "total"},"full":{..}} in "cpu", "memory" and "blkio", as runc.
 * Fields a hierarchy does not provide are left out. */
int sk_cgroup_stats (const sk_cgroup *cg, sk_json **out, sk_err **err);
/* Number of OOM kills in the cgroup so far (v1 memory.oom_control oom_kill, v2 memory.events oom_kill). */
int sk_cgroup_oom_kills (const sk_cgroup *cg, uint64_t *count, sk_err **err);
/* A descriptor (non-blocking, close-on-exec, the caller's to close) that
 * becomes readable when the cgroup's memory meets an OOM: on v1 an eventfd
 * registered on memory.oom_control through cgroup.event_control (signalled
 * when the cgroup enters OOM, before the kill, and when the cgroup goes
 * away); on v2 an inotify watch on memory.events (modified as its counters
 * rise, oom_kill among them). Empty it with sk_cgroup_oom_drain. */
int sk_cgroup_oom_watch (const sk_cgroup *cg, sk_err **err);
void sk_cgroup_oom_drain (int fd);
/* The memory controller's memory.stat, as the kernel writes it. */
int sk_cgroup_memory_stat (const sk_cgroup *cg, char **text, sk_err **err);
/* The cgroup's path in the memory hierarchy, as the kernel names it in its
 * OOM report (task_memcg=PATH); NULL without a memory controller. */
const char *sk_cgroup_memory_path (const sk_cgroup *cg);

#endif
