/* skiff: the container's process, from clone() to execve().
 *
 * The order, for create and run:
 *   1. (general path only) join namespaces given by path, make a user
 *      namespace and have the runtime write its id maps, make the rest,
 *      and fork again when a pid or time namespace needs it;
 *   2. wait for GO: the runtime has put us in our cgroup and written the maps;
 *   3. cgroup namespace, root in the user namespace, hostname;
 *   4. rootfs: mounts, devices; prestart/createRuntime hooks (in the runtime),
 *      createContainer hooks (here); pivot_root; masked and read-only paths;
 *   5. cwd, the program's path, the console; READY to the runtime;
 *   6. wait to be started (exec.fifo for create, START for run);
 *   7. startContainer hooks, credentials, seccomp, execve.
 * exec joins the namespaces of the container's init through a pidfd instead of
 * steps 1-4. Any failure is sent to the runtime as one message before _exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static void
drop_log (sk_log_level level, const char *msg, void *data)
{
  (void) level, (void) msg, (void) data;
}

static void
forward_log (sk_log_level level, const char *msg, void *data)
{
  sk_launch *l = data;
  sk_sync_send (l->sync_fd, SK_SYNC_LOG, (int32_t) level, msg, -1);
}

/* After READY in create mode nobody reads the sync socket; errors go to the fifo. */
static int fifo_write_fd = -1;

void
sk_init_fail (sk_launch *l, sk_err *err)
{
  const char *msg = err && err->msg ? err->msg : "container setup failed";
  if (fifo_write_fd >= 0) {
    ssize_t n = write (fifo_write_fd, msg, strlen (msg));
    (void) n;
  } else {
    sk_sync_send (l->sync_fd, SK_SYNC_ERROR, 0, msg, -1);
  }
  _exit (1);
}

#define CHECK(x)                                                                                   \
  do {                                                                                             \
    if ((x) < 0)                                                                                   \
      sk_init_fail (l, *err);                                                                      \
  } while (0)

static int
fail_errno (sk_err **err, const char *what)
{
  return sk_err_set (err, errno, "%s", what);
}

/* ---- step 1: namespaces made or joined here rather than by clone() ---- */

static const sk_ns_type join_order[] = {SK_NS_IPC, SK_NS_UTS, SK_NS_NETWORK, SK_NS_PID,
                                        SK_NS_TIME, SK_NS_MOUNT, SK_NS_CGROUP};

static int
write_time_offsets (const sk_spec_linux *lin, sk_err **err)
{
  char buf[128];
  int len = 0;
  static const char *const clocks[2] = {"monotonic", "boottime"};
  for (int i = 0; i < 2; i++)
    if (lin->time_offsets[i].set)
      len += snprintf (buf + len, sizeof buf - (size_t) len, "%s %lld %u\n", clocks[i],
                       (long long) lin->time_offsets[i].secs, lin->time_offsets[i].nanosecs);
  if (len == 0)
    return 0;
  return sk_write_file_at (AT_FDCWD, "/proc/self/timens_offsets", buf, (size_t) len, err);
}

/* setns into every namespace given by path but the user namespace */
static void
join_paths (sk_launch *l, sk_err **err)
{
  const sk_spec_linux *lin = &l->spec->linux_;
  for (size_t i = 0; i < SK_N_ELEMENTS (join_order); i++) {
    sk_ns_type t = join_order[i];
    if (l->ns_fds[t] >= 0 && setns (l->ns_fds[t], sk_ns_clone_flag (t)) < 0) {
      sk_err_set (err, errno, "join %s namespace `%s`", sk_ns_type_name (t),
                  lin->namespaces[t].path);
      sk_init_fail (l, *err);
    }
  }
}

/* Forks once more, into the pid (and time) namespace this process entered:
 * with CLONE_PARENT the new process is the runtime's child, not ours. This
 * process reports its pid and exits; the new one returns and goes on. */
static void
fork_as_runtime_child (sk_launch *l, sk_err **err)
{
  pid_t pid = (pid_t) syscall (SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid < 0) {
    fail_errno (err, "clone");
    sk_init_fail (l, *err);
  }
  if (pid == 0) {
    /* a new process: the runtime's death must end it as well */
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    return;
  }
  sk_sync_send (l->sync_fd, SK_SYNC_PID, pid, NULL, -1);
  _exit (0);
}

static void
general_namespaces (sk_launch *l, sk_err **errp)
{
  sk_err **err = errp;
  const sk_spec_linux *lin = &l->spec->linux_;
  join_paths (l, err);
  if (l->ns_fds[SK_NS_USER] >= 0) {
    if (setns (l->ns_fds[SK_NS_USER], CLONE_NEWUSER) < 0) {
      sk_err_set (err, errno, "join user namespace `%s`", lin->namespaces[SK_NS_USER].path);
      sk_init_fail (l, *err);
    }
  } else if (lin->namespaces[SK_NS_USER].present) {
    if (unshare (CLONE_NEWUSER) < 0) {
      fail_errno (err, "create user namespace");
      sk_init_fail (l, *err);
    }
    sk_sync_send (l->sync_fd, SK_SYNC_MAPS, 0, NULL, -1);
    if (sk_sync_expect (l->sync_fd, SK_SYNC_GO, err) < 0)
      sk_init_fail (l, *err);
  }
  int flags = 0;
  static const sk_ns_type plain[] = {SK_NS_MOUNT, SK_NS_NETWORK, SK_NS_IPC, SK_NS_UTS};
  for (size_t i = 0; i < SK_N_ELEMENTS (plain); i++)
    if (lin->namespaces[plain[i]].present && lin->namespaces[plain[i]].path == NULL)
      flags |= sk_ns_clone_flag (plain[i]);
  if (flags && unshare (flags) < 0) {
    fail_errno (err, "create namespaces");
    sk_init_fail (l, *err);
  }
  bool fork_again = lin->namespaces[SK_NS_PID].present || lin->namespaces[SK_NS_TIME].present;
  if (lin->namespaces[SK_NS_TIME].present && lin->namespaces[SK_NS_TIME].path == NULL) {
    if (unshare (CLONE_NEWTIME) < 0) {
      fail_errno (err, "create time namespace");
      sk_init_fail (l, *err);
    }
    if (write_time_offsets (lin, err) < 0)
      sk_init_fail (l, *err);
  }
  if (lin->namespaces[SK_NS_PID].present && lin->namespaces[SK_NS_PID].path == NULL &&
      unshare (CLONE_NEWPID) < 0) {
    fail_errno (err, "create pid namespace");
    sk_init_fail (l, *err);
  }
  if (!fork_again) {
    sk_sync_send (l->sync_fd, SK_SYNC_PID, getpid (), NULL, -1);
    return;
  }
  fork_as_runtime_child (l, err);
}

/* exec: joins every namespace of the container's init, then forks into its pid namespace */
static void
join_container (sk_launch *l, sk_err **err)
{
  const sk_spec_linux *lin = &l->spec->linux_;
  int flags = 0;
  for (int t = 0; t < SK_NS_TYPES; t++)
    if (lin->namespaces[t].present)
      flags |= sk_ns_clone_flag ((sk_ns_type) t);
  if (setns (l->target_pidfd, flags) < 0) {
    sk_err_set (err, errno, "join the namespaces of container `%s`", l->id);
    sk_init_fail (l, *err);
  }
  fork_as_runtime_child (l, err);
}

/* ---- steps 3 and 4 ---- */

static void
become_root_in_userns (sk_launch *l, sk_err **err)
{
  if (!l->spec->linux_.namespaces[SK_NS_USER].present)
    return;
  if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0) {
    fail_errno (err, "become root in the user namespace (is uid/gid 0 mapped?)");
    sk_init_fail (l, *err);
  }
}

static void
set_names (sk_launch *l, sk_err **err)
{
  const sk_spec *s = l->spec;
  if (s->hostname && *s->hostname && sethostname (s->hostname, strlen (s->hostname)) < 0) {
    sk_err_set (err, errno, "set hostname `%s`", s->hostname);
    sk_init_fail (l, *err);
  }
  if (s->domainname && *s->domainname &&
      setdomainname (s->domainname, strlen (s->domainname)) < 0) {
    sk_err_set (err, errno, "set domainname `%s`", s->domainname);
    sk_init_fail (l, *err);
  }
}

static bool
has_hooks (const sk_spec *s, sk_hook_kind k)
{
  return s->hooks.n[k] > 0;
}

static char *
child_state_json (sk_launch *l, pid_t host_pid, sk_status status)
{
  sk_container_info info = {
      .id = (char *) l->id,
      .pid = host_pid,
      .bundle = (char *) l->bundle,
      .rootfs = (char *) l->rootfs,
  };
  return sk_state_json_string (&info, status);
}

static void
new_session_keyring (sk_launch *l)
{
  if (l->no_new_keyring)
    return;
  char name[128];
  snprintf (name, sizeof name, "_ses.%.100s", l->id);
  /* KEYCTL_JOIN_SESSION_KEYRING = 1; a kernel without keys is not an error */
  if (syscall (SYS_keyctl, 1, name, 0, 0, 0) < 0 && errno != ENOSYS && errno != EPERM)
    sk_warning ("could not create a session keyring: %s", strerror (errno));
}

static int join_cgroup (sk_launch *l, sk_err **err);

static void
build_container (sk_launch *l, sk_err **err)
{
  const sk_spec *s = l->spec;
  int rootfd = -1;
  set_names (l, err);
  CHECK (sk_rootfs_setup (l, &rootfd, err));
  sk_debug_phase ("child: mounts done");
  CHECK (join_cgroup (l, err));
  if (has_hooks (s, SK_HOOK_PRESTART) || has_hooks (s, SK_HOOK_CREATE_RUNTIME)) {
    sk_sync_send (l->sync_fd, SK_SYNC_HOOKS, 0, NULL, -1);
    CHECK (sk_sync_expect (l->sync_fd, SK_SYNC_HOOKS_DONE, err));
  }
  if (has_hooks (s, SK_HOOK_CREATE_CONTAINER)) {
    _cleanup_free_ char *state = child_state_json (l, l->host_pid, SK_STATUS_CREATING);
    CHECK (sk_hooks_run (s->hooks.list[SK_HOOK_CREATE_CONTAINER], s->hooks.n[SK_HOOK_CREATE_CONTAINER],
                         SK_HOOK_CREATE_CONTAINER, state, err));
  }
  CHECK (sk_rootfs_pivot (l, rootfd, err));
  close (rootfd);
  CHECK (sk_rootfs_finish (l, err));
  sk_debug_phase ("child: rootfs done");
}

/* ---- step 6 ---- */

static void
wait_for_start (sk_launch *l, int procfd, sk_err **err)
{
  if (l->mode == SK_LAUNCH_CREATE) {
    char path[64];
    snprintf (path, sizeof path, "thread-self/fd/%d", l->fifo_fd);
    /* blocks until `start` opens the other end */
    int fd = openat (procfd, path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      fail_errno (err, "open exec.fifo");
      sk_init_fail (l, *err);
    }
    fifo_write_fd = fd;
    close (procfd);
    close (l->fifo_fd);
    l->fifo_fd = -1;
    return;
  }
  /* run goes straight on: the runtime records the state meanwhile */
  if (l->mode == SK_LAUNCH_EXEC)
    CHECK (sk_sync_expect (l->sync_fd, SK_SYNC_START, err));
}

/* Waits for GO, joins the cgroup (when deferred) and makes the cgroup
 * namespace; once. */
static int
join_cgroup (sk_launch *l, sk_err **err)
{
  if (l->cgroup_joined)
    return 0;
  sk_sync_msg go;
  int r = sk_sync_recv (l->sync_fd, &go, NULL);
  if (r <= 0 || go.type != SK_SYNC_GO)
    _exit (1); /* the runtime gave up on us */
  l->host_pid = go.value;
  sk_debug_phase ("child: go");
  if (l->defer_cgroup && sk_cgroup_enter_self (l->cgroup, l->cloned_into_cgroup, err) < 0)
    return -1;
  const sk_spec_linux *lin = &l->spec->linux_;
  if (l->mode != SK_LAUNCH_EXEC && lin->namespaces[SK_NS_CGROUP].present &&
      lin->namespaces[SK_NS_CGROUP].path == NULL && unshare (CLONE_NEWCGROUP) < 0)
    return sk_err_set (err, errno, "create cgroup namespace");
  l->cgroup_joined = true;
  return 0;
}

void
sk_init_run (sk_launch *l)
{
  _cleanup_err_ sk_err *e = NULL;
  sk_err **err = &e;
  sk_log_set_sink (forward_log, l);
  l->join_cgroup = join_cgroup;
  /* should the runtime die before this, the GO we wait for never comes: EOF ends us */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  /* nothing of the runtime's memory should be readable from the container.
   * Not yet when an unprivileged runtime must still write our id maps: a
   * process that is not dumpable has its /proc files owned by root. */
  bool maps_pending = l->maps_by_unprivileged && l->mode != SK_LAUNCH_EXEC;
  if (!maps_pending)
    prctl (PR_SET_DUMPABLE, 0);

  /* while privileged: into the cgroup, unless the runtime is still making it */
  if (l->self_cgroup && !l->defer_cgroup &&
      sk_cgroup_enter_self (l->cgroup, l->cloned_into_cgroup, err) < 0)
    sk_init_fail (l, *err);
  if (l->mode == SK_LAUNCH_EXEC)
    join_container (l, err);
  else if (l->clone_flags == 0)
    general_namespaces (l, err);
  else
    join_paths (l, err); /* only namespaces clone() could not make: net, ipc, uts, cgroup */
  /* with a deferred cgroup, the rootfs is built while the runtime makes it */
  if (!l->defer_cgroup)
    CHECK (join_cgroup (l, err));
  if (maps_pending)
    prctl (PR_SET_DUMPABLE, 0); /* GO came: the maps are written */

  int procfd = -1;
  if (l->mode != SK_LAUNCH_EXEC) {
    become_root_in_userns (l, err);
    new_session_keyring (l);
    if (l->mode == SK_LAUNCH_CREATE) {
      procfd = open ("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (procfd < 0) {
        fail_errno (err, "open /proc");
        sk_init_fail (l, *err);
      }
    }
    build_container (l, err);
  }

  _cleanup_free_ char *exec_path = NULL;
  _cleanup_strv_ char **envp = NULL;
  CHECK (sk_process_prepare (l, &exec_path, &envp, err));
  if (l->process->terminal)
    CHECK (sk_console_setup (l, err));
  CHECK (sk_process_load_notify_filter (l, err));

  prctl (PR_SET_PDEATHSIG, 0);
  sk_sync_send (l->sync_fd, SK_SYNC_READY, 0, NULL, -1);
  wait_for_start (l, procfd, err);

  if (l->mode != SK_LAUNCH_EXEC && has_hooks (l->spec, SK_HOOK_START_CONTAINER)) {
    _cleanup_free_ char *state = child_state_json (l, l->host_pid, SK_STATUS_CREATED);
    CHECK (sk_hooks_run (l->spec->hooks.list[SK_HOOK_START_CONTAINER],
                         l->spec->hooks.n[SK_HOOK_START_CONTAINER], SK_HOOK_START_CONTAINER, state,
                         err));
  }
  if (l->mode == SK_LAUNCH_CREATE)
    sk_log_set_sink (drop_log, NULL);
  CHECK (sk_process_finalize (l, err));
  sk_debug_phase ("child: exec");
  execve (exec_path, l->process->args, envp);
  sk_err_set (err, errno, "exec `%s`", exec_path);
  sk_init_fail (l, *err);
}
