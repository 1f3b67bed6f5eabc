/* skiff: the OCI runtime, as a library.
 *
 * Turns a bundle (config.json + rootfs) into a running, isolated, limited
 * process and manages it afterwards: the operations of runc's command line.
 * skiff-runtime is a thin command line over these functions; the engine's
 * shim calls them in-process. State lives in one directory per container
 * below `root` (state.json, a copy of config.json, exec.fifo while created).
 */
#ifndef SKIFF_RUNTIME_RUNTIME_H
#define SKIFF_RUNTIME_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci/oci.h"
#include "util/error.h"
#include "util/json.h"

#define SK_RUNTIME_DEFAULT_ROOT "/run/skiff-runtime"

typedef struct sk_runtime {
  const char *root;    /* state root */
  bool systemd_cgroup; /* --systemd-cgroup */
} sk_runtime;

typedef enum sk_status {
  SK_STATUS_CREATING,
  SK_STATUS_CREATED,
  SK_STATUS_RUNNING,
  SK_STATUS_PAUSED,
  SK_STATUS_STOPPED,
} sk_status;

const char *sk_status_name (sk_status s);

/* What is known of a container, from its state directory. */
typedef struct sk_container_info {
  char *id;
  pid_t pid;
  uint64_t pid_start_time;
  sk_status status;
  char *bundle;
  char *rootfs;
  char *created; /* RFC 3339 */
  char *owner;
  char *cgroup_path;
  sk_json *annotations; /* object, may be NULL */
} sk_container_info;

void sk_container_info_free (sk_container_info *info);
static inline void
sk_container_info_freep (sk_container_info **p)
{
  sk_container_info_free (*p);
}
#define _cleanup_info_ __attribute__ ((cleanup (sk_container_info_freep)))

typedef struct sk_create_opts {
  const char *id;
  const char *bundle;         /* default: the current directory */
  const char *pid_file;
  const char *console_socket; /* receives the pty master when process.terminal */
  int preserve_fds;           /* fds 3 .. 3+n-1 are passed on */
  bool no_pivot;
  bool no_new_keyring;
  bool detach;                /* run: return once the process runs */
} sk_create_opts;

/* Validates an id: [A-Za-z0-9][A-Za-z0-9_.+-]*, at most 1024 characters. */
int sk_container_id_check (const char *id, sk_err **err);

int sk_container_create (const sk_runtime *rt, const sk_create_opts *o, sk_err **err);
int sk_container_start (const sk_runtime *rt, const char *id, sk_err **err);
/* create + start; unless detached, waits for the process and deletes the
 * container, setting *exit_code the way a shell would (128 + signal). */
int sk_container_run (const sk_runtime *rt, const sk_create_opts *o, int *exit_code,
                      sk_err **err);
int sk_container_state (const sk_runtime *rt, const char *id, sk_container_info **out,
                        sk_err **err);
/* The OCI state document of a container (what `state` prints). */
sk_json *sk_container_state_json (const sk_container_info *info);
int sk_container_list (const sk_runtime *rt, sk_container_info ***out, size_t *n, sk_err **err);
int sk_container_kill (const sk_runtime *rt, const char *id, int sig, bool all, sk_err **err);
int sk_container_delete (const sk_runtime *rt, const char *id, bool force, sk_err **err);
int sk_container_pause (const sk_runtime *rt, const char *id, sk_err **err);
int sk_container_resume (const sk_runtime *rt, const char *id, sk_err **err);
int sk_container_update (const sk_runtime *rt, const char *id, const sk_spec_resources *res,
                         sk_err **err);
int sk_container_pids (const sk_runtime *rt, const char *id, pid_t **pids, size_t *n,
                       sk_err **err);
int sk_container_stats (const sk_runtime *rt, const char *id, sk_json **out, sk_err **err);
int sk_container_oom_kills (const sk_runtime *rt, const char *id, uint64_t *count, sk_err **err);

typedef struct sk_exec_opts {
  const char *id;
  sk_spec_process *process; /* the whole process to run (--process, or built from flags) */
  const char *pid_file;
  const char *console_socket;
  int preserve_fds;
  bool detach;
} sk_exec_opts;

/* Runs another process in a container. Unless detached, waits for it. */
int sk_container_exec (const sk_runtime *rt, const sk_exec_opts *o, int *exit_code, sk_err **err);
/* The container's process section, to build an exec process from. */
int sk_container_load_spec (const sk_runtime *rt, const char *id, sk_spec **out, sk_err **err);

/* `features`: what this runtime supports, as the OCI features document. */
sk_json *sk_runtime_features (void);
/* `spec`: a default config.json; rootless adds a user namespace mapping the caller. */
char *sk_runtime_default_spec (bool rootless);

#endif
