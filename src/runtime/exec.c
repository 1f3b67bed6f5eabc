/* skiff: exec, another process in a running container.
 *
 * A first child joins every namespace of the container's init at once with
 * setns(pidfd) and clones the new process with CLONE_PARENT, so that it is in
 * the container's pid namespace and still the runtime's own child. The runtime
 * puts it in the container's cgroup before it goes on.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/proc.h"
#include "util/socket.h"

typedef struct sk_execution {
  sk_container_info *info;
  sk_spec *spec;
  sk_cgroup *cgroup;
  sk_seccomp_prog *seccomp;
  int pidfd;
  int sock[2];
  int console_fd;
  int pty_master;
  pid_t stage_pid, pid;
} sk_execution;

static void
execution_release (sk_execution *x, bool undo)
{
  if (undo && x->pid > 0) {
    kill (x->pid, SIGKILL);
    sk_waitpid (x->pid, NULL);
  }
  if (undo && x->stage_pid > 0 && x->stage_pid != x->pid) {
    kill (x->stage_pid, SIGKILL);
    sk_waitpid (x->stage_pid, NULL);
  }
  int *fds[] = {&x->pidfd, &x->sock[0], &x->sock[1], &x->console_fd};
  for (size_t i = 0; i < SK_N_ELEMENTS (fds); i++)
    if (*fds[i] >= 0) {
      close (*fds[i]);
      *fds[i] = -1;
    }
  if (undo && x->pty_master >= 0) {
    close (x->pty_master);
    x->pty_master = -1;
  }
  sk_container_info_free (x->info);
  sk_spec_free (x->spec);
  sk_cgroup_free (x->cgroup);
  sk_seccomp_prog_free (x->seccomp);
  x->info = NULL;
  x->spec = NULL;
  x->cgroup = NULL;
  x->seccomp = NULL;
}

static int
prepare_exec (const sk_runtime *rt, const sk_exec_opts *o, sk_execution *x, sk_err **err)
{
  if (sk_state_read (rt, o->id, &x->info, err) < 0)
    return -1;
  sk_status st = x->info->status;
  if (st != SK_STATUS_RUNNING && st != SK_STATUS_CREATED)
    return sk_err_set (err, 0, "cannot exec in container `%s`: it is %s", o->id, sk_status_name (st));
  const sk_spec_process *p = o->process;
  if (p->terminal && o->console_socket == NULL && o->detach)
    return sk_err_set (err, 0, "--tty with --detach needs a --console-socket to receive the terminal");
  if (!p->terminal && o->console_socket)
    return sk_err_set (err, 0, "--console-socket was given without --tty");
  if (sk_container_load_spec (rt, o->id, &x->spec, err) < 0)
    return -1;
  if (x->spec->linux_.seccomp &&
      sk_seccomp_compile_for (rt, x->spec->linux_.seccomp, &x->seccomp, err) < 0)
    return -1;
  /* no cgroup path: a container of an unprivileged runtime without one */
  if (x->info->cgroup_path && *x->info->cgroup_path &&
      sk_cgroup_open (x->info->cgroup_path, &x->cgroup, err) < 0)
    return -1;
  x->pidfd = sk_pidfd_open_checked (x->info->pid, x->info->pid_start_time, err);
  if (x->pidfd < 0)
    return -1;
  if (o->console_socket &&
      (x->console_fd = sk_unix_connect (o->console_socket, "--console-socket", err)) < 0)
    return -1;
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, x->sock) < 0)
    return sk_err_set (err, errno, "socketpair");
  return 0;
}

static int
supervise_exec (sk_execution *x, const sk_exec_opts *o, sk_err **err)
{
  for (;;) {
    sk_sync_msg msg;
    int passed = -1;
    int r = sk_sync_recv (x->sock[0], &msg, &passed);
    if (r < 0)
      return sk_err_set (err, errno, "sync");
    if (r == 0)
      return sk_err_set (err, 0, "the exec'd process went away during setup");
    switch (msg.type) {
    case SK_SYNC_LOG: sk_log ((sk_log_level) msg.value, "%s", msg.text); break;
    case SK_SYNC_ERROR: return sk_err_set (err, 0, "%s", msg.text);
    case SK_SYNC_PID:
      x->pid = msg.value;
      sk_waitpid (x->stage_pid, NULL);
      x->stage_pid = x->pid;
      sk_sync_send (x->sock[0], SK_SYNC_GO, x->pid, NULL, -1);
      break;
    case SK_SYNC_PTY:
      x->pty_master = passed;
      passed = -1;
      break;
    case SK_SYNC_SECCOMP: {
      if (passed < 0)
        return sk_err_set (err, EPROTO, "sync: no seccomp listener fd");
      _cleanup_free_ char *state = sk_state_json_string (x->info, SK_STATUS_RUNNING);
      int sent = sk_seccomp_send_listener (x->spec, passed, state, err);
      close (passed);
      passed = -1;
      if (sent < 0)
        return -1;
      break;
    }
    case SK_SYNC_READY:
      if (o->pid_file && sk_write_pid_file (o->pid_file, x->pid, err) < 0)
        return -1;
      sk_sync_send (x->sock[0], SK_SYNC_START, 0, NULL, -1);
      break;
    default: return sk_err_set (err, EPROTO, "sync: unexpected message %u", msg.type);
    }
    if (passed >= 0)
      close (passed);
    if (msg.type == SK_SYNC_READY)
      break;
  }
  /* the socket closes when the process execs */
  for (;;) {
    sk_sync_msg msg;
    int r = sk_sync_recv (x->sock[0], &msg, NULL);
    if (r <= 0)
      return r < 0 ? sk_err_set (err, errno, "sync") : 0;
    if (msg.type == SK_SYNC_ERROR)
      return sk_err_set (err, 0, "%s", msg.text);
    if (msg.type == SK_SYNC_LOG)
      sk_log ((sk_log_level) msg.value, "%s", msg.text);
  }
}

int
sk_container_exec (const sk_runtime *rt, const sk_exec_opts *o, int *exit_code, sk_err **err)
{
  sk_execution x = {.pidfd = -1, .sock = {-1, -1}, .console_fd = -1, .pty_master = -1};
  if (prepare_exec (rt, o, &x, err) < 0) {
    execution_release (&x, true);
    return -1;
  }
  sk_launch l = {
      .mode = SK_LAUNCH_EXEC,
      .spec = x.spec,
      .process = o->process,
      .id = o->id,
      .bundle = x.info->bundle,
      .rootfs = x.info->rootfs,
      .cgroup = x.cgroup,
      .seccomp = x.seccomp,
      .sync_fd = x.sock[1],
      .fifo_fd = -1,
      .console_fd = x.console_fd,
      .preserve_fds = o->preserve_fds,
      .target_pidfd = x.pidfd,
  };
  for (int t = 0; t < SK_NS_TYPES; t++)
    l.ns_fds[t] = -1;
  int cgfd = sk_cgroup_v2_dirfd (x.cgroup);
  l.self_cgroup = true;
  l.cloned_into_cgroup = cgfd >= 0;
  pid_t pid = sk_clone_child (0, cgfd);
  if (pid < 0 && cgfd >= 0) {
    l.cloned_into_cgroup = false;
    pid = sk_clone_child (0, -1);
  }
  if (pid < 0) {
    execution_release (&x, true);
    return sk_err_set (err, errno, "fork");
  }
  if (pid == 0) {
    sk_reset_signals ();
    close (x.sock[0]);
    sk_init_run (&l);
  }
  x.stage_pid = pid;
  close (x.sock[1]);
  x.sock[1] = -1;
  if (supervise_exec (&x, o, err) < 0) {
    execution_release (&x, true);
    return -1;
  }
  pid_t final = x.pid;
  int master = x.pty_master;
  x.pty_master = -1;
  execution_release (&x, false);
  int r = 0;
  if (!o->detach)
    r = sk_run_foreground (final, master, exit_code, err);
  if (master >= 0)
    close (master);
  return r;
}
