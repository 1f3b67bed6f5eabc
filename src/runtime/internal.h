/* skiff: what the runtime's files share among themselves (not a public header). */
#ifndef SKIFF_RUNTIME_INTERNAL_H
#define SKIFF_RUNTIME_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "oci/oci.h"
#include "runtime.h"
#include "seccomp.h"
#include "util/error.h"

/* ---- the sync protocol between the runtime and the container's process ----
 * A SOCK_SEQPACKET socketpair: one message per send, never merged. */
typedef enum sk_sync_type {
  SK_SYNC_GO = 1,     /* runtime -> child: cgroups joined, id maps written: proceed */
  SK_SYNC_ERROR,      /* child -> runtime: text; the child exits */
  SK_SYNC_LOG,        /* child -> runtime: a message to log; value = level */
  SK_SYNC_MAPS,       /* child -> runtime: a user namespace was made: write its id maps */
  SK_SYNC_PID,        /* child -> runtime: value = pid of the container's process */
  SK_SYNC_HOOKS,      /* child -> runtime: run prestart and createRuntime hooks now */
  SK_SYNC_HOOKS_DONE, /* runtime -> child */
  SK_SYNC_PTY,        /* child -> runtime: the pty master, as SCM_RIGHTS */
  SK_SYNC_READY,      /* child -> runtime: set up; waiting to be started */
  SK_SYNC_START,      /* runtime -> child: exec now (exec; run does not wait) */
  SK_SYNC_SECCOMP,    /* child -> runtime: the seccomp listener fd, as SCM_RIGHTS */
} sk_sync_type;

#define SK_SYNC_TEXT_MAX 4000

typedef struct sk_sync_msg {
  uint32_t type;
  int32_t value;
  char text[SK_SYNC_TEXT_MAX];
} sk_sync_msg;

int sk_sync_send (int fd, sk_sync_type type, int32_t value, const char *text, int pass_fd);
/* Returns 0 on EOF, 1 with a message, <0 on error; *fd receives a passed fd or -1. */
int sk_sync_recv (int fd, sk_sync_msg *msg, int *passed_fd);
/* Waits for one message of `type`; an ERROR message becomes *err. */
int sk_sync_expect (int fd, sk_sync_type type, sk_err **err);

/* ---- a container being created, or a process being exec'd ---- */
typedef enum sk_launch_mode {
  SK_LAUNCH_CREATE, /* wait on exec.fifo for `start` */
  SK_LAUNCH_RUN,    /* go straight on to execve after READY */
  SK_LAUNCH_EXEC,   /* join a running container */
} sk_launch_mode;

typedef struct sk_launch {
  sk_launch_mode mode;
  const sk_spec *spec;
  const sk_spec_process *process;
  const char *id;
  const char *bundle; /* absolute */
  const char *rootfs; /* absolute, symlinks resolved */
  const char *state_dir;
  const sk_cgroup *cgroup;
  const sk_seccomp_prog *seccomp;
  int sync_fd;       /* the child's end */
  int fifo_fd;       /* O_PATH of exec.fifo (create), else -1 */
  int console_fd;    /* connected console socket, else -1 */
  int preserve_fds;
  bool no_pivot;
  bool no_new_keyring;
  int ns_fds[SK_NS_TYPES]; /* namespaces to join (by path), else -1 */
  int target_pidfd;        /* exec: the container's init */
  int clone_flags;         /* new namespaces the clone itself made */
  bool cloned_into_cgroup; /* clone3 put us in the cgroup2 directory already */
  bool self_cgroup;        /* the first child joins the cgroup itself (it is privileged) */
  bool defer_cgroup;       /* the runtime finishes the cgroup while we set up: join it late */
  bool maps_by_unprivileged; /* an unprivileged runtime writes our id maps after the clone */
  bool cgroup_joined;      /* (child) GO received, in the cgroup, cgroup namespace made */
  pid_t host_pid;          /* (child) our pid as the host sees it, from GO */
  /* (child) waits for GO and joins the cgroup, once; the rootfs code calls
   * it before it mounts cgroupfs */
  int (*join_cgroup) (struct sk_launch *l, sk_err **err);
} sk_launch;

/* clone3 (into a cgroup2 directory when cgroup_fd >= 0), fork-like. */
pid_t sk_clone_child (int flags, int cgroup_fd);
/* In a new child: default dispositions, nothing blocked. */
void sk_reset_signals (void);

/* Waits for a foreground process: passes signals on, proxies its terminal
 * (pty_master >= 0), and sets *exit_code as a shell would. */
int sk_run_foreground (pid_t pid, int pty_master, int *exit_code, sk_err **err);

/* The child: never returns. */
__attribute__ ((noreturn)) void sk_init_run (sk_launch *l);
/* Sends an error to the runtime and exits (in the child). */
__attribute__ ((noreturn)) void sk_init_fail (sk_launch *l, sk_err *err);

/* ---- pieces the child uses ---- */
int sk_rootfs_setup (sk_launch *l, int *rootfd, sk_err **err);
int sk_rootfs_pivot (sk_launch *l, int rootfd, sk_err **err);
int sk_rootfs_finish (sk_launch *l, sk_err **err);
int sk_devices_create (sk_launch *l, int rootfd, sk_err **err);
/* The cgroup device rules: the config's, then the defaults runc allows. */
int sk_devices_cgroup_rules (const sk_spec *spec, sk_spec_resources *out, sk_err **err);
int sk_process_prepare (sk_launch *l, char **exec_path, char ***envp, sk_err **err);
int sk_process_finalize (sk_launch *l, sk_err **err);
/* A profile with SCMP_ACT_NOTIFY is loaded before READY, so that the runtime
 * that is still there can pass its listener fd on; this loads it and sends it. */
int sk_process_load_notify_filter (sk_launch *l, sk_err **err);
/* The runtime's side: the fd and the container process state to listenerPath. */
int sk_seccomp_send_listener (const sk_spec *spec, int fd, const char *state_json, sk_err **err);
int sk_console_setup (sk_launch *l, sk_err **err);
int sk_hooks_run (const sk_spec_hook *hooks, size_t n, sk_hook_kind kind, const char *state_json,
                  sk_err **err);
/* For poststart and poststop, whose failures are only warnings. */
void sk_hooks_run_or_warn (const sk_spec *spec, sk_hook_kind kind, const sk_container_info *info,
                           sk_status status);

/* ---- state ---- */
char *sk_state_dir (const sk_runtime *rt, const char *id);
int sk_state_write (const char *state_dir, const sk_container_info *info, sk_err **err);
int sk_state_read (const sk_runtime *rt, const char *id, sk_container_info **out, sk_err **err);
/* Opens and locks (flock) the container's state directory; -1 with *err if absent. */
int sk_state_lock (const sk_runtime *rt, const char *id, sk_err **err);
/* Locks, then reads: what every command that changes a container starts with.
 * Returns the lock's fd. */
int sk_state_lock_and_read (const sk_runtime *rt, const char *id, sk_container_info **out,
                            sk_err **err);
char *sk_state_json_string (const sk_container_info *info, sk_status status);

/* The seccomp profile `spec` writes (Docker's, for its default capabilities). */
sk_json *sk_default_seccomp_profile (void);

/* Compiles a profile through the cache under the state root. */
int sk_seccomp_compile_for (const sk_runtime *rt, const sk_spec_seccomp *sc, sk_seccomp_prog **out,
                            sk_err **err);

/* id maps: writes /proc/PID/{uid,gid}_map */
int sk_ns_write_id_maps (pid_t pid, const sk_spec_linux *l, sk_err **err);

#endif
