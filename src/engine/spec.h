/* skiff: a container's Docker-style configuration as the OCI config.json the
 * runtime runs.
 *
 * The input has the shape of the body of Docker Engine API's POST
 * /containers/create: Config's fields at the top level and "HostConfig", the
 * image's defaults already merged in. Docker's semantics throughout; a field
 * skiff does not support yet is a one-line error when it is set, except those
 * of networking, volumes, ports, logging and restarts, which other parts of
 * the engine read.
 */
#ifndef SKIFF_ENGINE_SPEC_H
#define SKIFF_ENGINE_SPEC_H

#include "util/error.h"
#include "util/json.h"

/* What --init runs as the container's PID 1 (bind-mounted read-only). */
#define SK_INIT_PATH "/usr/bin/tini-static"

typedef struct sk_spec_env {
  const char *id;     /* the container's id, 64 lowercase hex */
  const char *rootfs; /* absolute path of its mounted root filesystem (root.path) */
  int rootfd;         /* O_PATH|O_DIRECTORY fd of that root: etc/passwd and etc/group
                         are opened through it, resolved inside the root, never
                         following a symlink onto the host, and read with a size bound;
                         -1: a check of the configuration alone, the user not resolved */
  const char *hostname_path, *hosts_path, *resolv_path; /* host files bind-mounted on
                                /etc/hostname, /etc/hosts, /etc/resolv.conf (NULL: not mounted) */
  const char *cgroup_parent; /* used when HostConfig.CgroupParent is empty ("skiff") */
  /* the container:NAME modes of IpcMode, PidMode, UTSMode: the namespace
   * file of the other container's init (/proc/PID/ns/ipc...), and its
   * hostname for UTS; NULL otherwise */
  const char *ipc_ns, *pid_ns, *uts_ns, *uts_hostname;
  /* the network namespace to join: the container's own, made by the
   * engine with its endpoints in it, or another's (NetworkMode
   * container:NAME); NULL: a new empty one (or the host's) */
  const char *net_ns;
  const char *shm_path; /* a host directory bound on /dev/shm (IpcMode shareable, or the
                           other container's with container:NAME); NULL: a tmpfs of its own */
  const sk_json *mounts; /* the container's volumes, binds and tmpfs mounts (config.json's
                            shape), over the defaults at the same destinations; NULL: none */
} sk_spec_env;

/* The OCI config.json (a string the caller frees) for the container whose
 * configuration `c` has Docker's container-create shape: Config's fields at
 * the top level (Image, Cmd, Entrypoint, Env, WorkingDir, User, Hostname,
 * Domainname, Tty, OpenStdin, Labels, StopSignal, ...) and "HostConfig" as in
 * Docker Engine API's POST /containers/create, with the image's defaults
 * already merged in by the caller. */
int sk_engine_spec (const sk_json *c, const sk_spec_env *env, char **config_json, sk_err **err);

/* linux.resources of the limits `docker update` may change (memory and
 * memory.high, cpu, pids, the block I/O weight) for the configuration c,
 * checked as sk_engine_spec checks them. */
int sk_engine_spec_resources (const sk_json *c, sk_json **out, sk_err **err);

/* Docker's User ("", "uid", "uid:gid", "name", "name:group", "uid:group")
 * resolved through the etc/passwd and etc/group of the root rootfd (as
 * sk_spec_env's) into config.json's process.user: a name through passwd, a
 * number as a uid, the passwd entry's supplementary groups unless a group is
 * given, then group_add (HostConfig.GroupAdd's names or numbers; may be NULL). */
int sk_engine_spec_user (int rootfd, const char *user, char *const *group_add, sk_json **out,
                         sk_err **err);

/* process.capabilities of a privileged process: every capability of this
 * process's bounding set, as Privileged gives a container. */
sk_json *sk_engine_spec_privileged_caps (void);

/* Sets NAME=VALUE in env (an array of strings), replacing NAME's value;
 * "NAME" alone removes it, as Docker merges Env. */
void sk_engine_env_set (sk_json *env, const char *entry);

/* For tests: makes sk_engine_spec act as on a host of this cgroup layout
 * (an sk_cgroup_mode; -1, the default, detects the host's). */
void sk_engine_spec_force_cgroup_mode (int mode);

#endif
