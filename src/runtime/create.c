/* skiff: create, start and run, the runtime's side.
 *
 * Everything that can be checked is checked before anything is made (the
 * config, the rootfs, the seccomp profile, the namespaces to join). From the
 * state directory on, each thing made is recorded in sk_creation, and a
 * failure undoes all of it: no state directory, cgroup, mount or process is
 * left behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/sched.h>

#include "internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/proc.h"
#include "util/socket.h"

typedef struct sk_creation {
  sk_spec *spec;
  char *bundle;
  char *rootfs;
  char *state_dir;
  bool state_dir_made;
  int lock_fd; /* the state directory, flocked while we create */
  sk_cgroup *cgroup;
  sk_seccomp_prog *seccomp;
  int sock[2];
  int fifo_fd;
  int console_fd;
  int pty_master;
  int ns_fds[SK_NS_TYPES];
  pid_t pid;       /* the container's process */
  pid_t stage_pid; /* the first child, when it forks again */
  sk_launch launch;
} sk_creation;

static void
creation_init (sk_creation *c)
{
  memset (c, 0, sizeof *c);
  c->sock[0] = c->sock[1] = c->fifo_fd = c->console_fd = c->pty_master = c->lock_fd = -1;
  for (int i = 0; i < SK_NS_TYPES; i++)
    c->ns_fds[i] = -1;
}

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

/* Releases memory and descriptors; `undo` also removes what was made. */
static void
creation_release (sk_creation *c, bool undo)
{
  if (undo) {
    if (c->pid > 0) {
      kill (c->pid, SIGKILL);
      sk_waitpid (c->pid, NULL);
    }
    if (c->stage_pid > 0 && c->stage_pid != c->pid) {
      kill (c->stage_pid, SIGKILL);
      sk_waitpid (c->stage_pid, NULL);
    }
    sk_cgroup_undo (c->cgroup);
    if (c->state_dir_made) {
      _cleanup_err_ sk_err *e = NULL;
      if (sk_remove_tree_at (AT_FDCWD, c->state_dir, &e) < 0)
        sk_warning ("%s", e->msg);
    }
    close_fd (&c->pty_master);
  }
  close_fd (&c->sock[0]);
  close_fd (&c->sock[1]);
  close_fd (&c->fifo_fd);
  close_fd (&c->console_fd);
  close_fd (&c->lock_fd);
  for (int i = 0; i < SK_NS_TYPES; i++)
    close_fd (&c->ns_fds[i]);
  sk_cgroup_free (c->cgroup);
  c->cgroup = NULL;
  sk_seccomp_prog_free (c->seccomp);
  c->seccomp = NULL;
  sk_spec_free (c->spec);
  c->spec = NULL;
  free (c->bundle);
  free (c->rootfs);
  free (c->state_dir);
  c->bundle = c->rootfs = c->state_dir = NULL;
}

/* ---- checks before anything is made ---- */

static int
check_terminal (const sk_spec_process *p, const char *console_socket, bool foreground,
                sk_err **err)
{
  if (p->terminal && console_socket == NULL && !foreground)
    return sk_err_set (err, 0,
                       "process.terminal is set but no --console-socket was given to receive it");
  if (!p->terminal && console_socket)
    return sk_err_set (err, 0, "--console-socket was given but process.terminal is not set");
  return 0;
}

static int
open_namespaces (const sk_spec_linux *lin, int *fds, sk_err **err)
{
  for (int t = 0; t < SK_NS_TYPES; t++) {
    const char *path = lin->namespaces[t].path;
    if (!lin->namespaces[t].present || path == NULL)
      continue;
    fds[t] = open (path, O_RDONLY | O_CLOEXEC);
    if (fds[t] < 0)
      return sk_err_set (err, errno, "linux.namespaces: %s namespace `%s`",
                         sk_ns_type_name ((sk_ns_type) t), path);
  }
  return 0;
}

static int
prepare (const sk_runtime *rt, const sk_create_opts *o, bool foreground, sk_creation *c,
         sk_err **err)
{
  if (sk_container_id_check (o->id, err) < 0)
    return -1;
  char buf[PATH_MAX];
  const char *bundle = o->bundle && *o->bundle ? o->bundle : ".";
  if (realpath (bundle, buf) == NULL)
    return sk_err_set (err, errno, "bundle `%s`", bundle);
  c->bundle = strdup (buf);
  _cleanup_free_ char *config = sk_path_join (c->bundle, "config.json");
  if (sk_spec_load (config, &c->spec, err) < 0)
    return -1;
  if (c->spec->process == NULL)
    return sk_err_set (err, 0, "%s: process: missing", config);
  _cleanup_free_ char *root = c->spec->root_path[0] == '/'
                                  ? strdup (c->spec->root_path)
                                  : sk_path_join (c->bundle, c->spec->root_path);
  if (realpath (root, buf) == NULL)
    return sk_err_set (err, errno, "rootfs `%s`", root);
  struct stat st;
  if (stat (buf, &st) < 0 || !S_ISDIR (st.st_mode))
    return sk_err_set (err, ENOTDIR, "rootfs `%s`", root);
  c->rootfs = strdup (buf);
  const sk_spec_process *p = c->spec->process;
  if (check_terminal (p, o->console_socket, foreground, err) < 0)
    return -1;
  if (rt->systemd_cgroup && access ("/run/systemd/system", F_OK) < 0)
    return sk_err_set (err, 0,
                       "--systemd-cgroup: systemd is not running on this host "
                       "(no /run/systemd/system); use the cgroupfs driver");
  if (p->apparmor_profile && *p->apparmor_profile)
    sk_warning ("process.apparmorProfile `%s` is ignored: AppArmor is not supported",
                p->apparmor_profile);
  if (p->selinux_label && *p->selinux_label)
    sk_warning ("process.selinuxLabel is ignored: SELinux is not supported");
  const sk_spec_seccomp *sc = c->spec->linux_.seccomp;
  if (sc && sk_seccomp_compile_for (rt, sc, &c->seccomp, err) < 0)
    return -1;
  if (c->seccomp && sk_seccomp_uses_notify (c->seccomp) && (sc->listener_path == NULL || !*sc->listener_path))
    return sk_err_set (err, 0, "linux.seccomp.listenerPath is required with SCMP_ACT_NOTIFY");
  if (open_namespaces (&c->spec->linux_, c->ns_fds, err) < 0)
    return -1;
  if (o->console_socket &&
      (c->console_fd = sk_unix_connect (o->console_socket, "--console-socket", err)) < 0)
    return -1;
  return 0;
}

/* ---- making it ---- */

static int
make_state_dir (const sk_runtime *rt, const char *id, sk_creation *c, sk_err **err)
{
  if (sk_mkdir_p (rt->root, 0700, err) < 0)
    return sk_err_wrap (err, "state root");
  c->state_dir = sk_state_dir (rt, id);
  if (mkdir (c->state_dir, 0700) < 0) {
    if (errno == EEXIST)
      return sk_err_set (err, 0, "container `%s` already exists", id);
    return sk_err_set (err, errno, "mkdir `%s`", c->state_dir);
  }
  c->state_dir_made = true;
  /* held until create returns: delete waits for us, and finds our cgroup
   * in state.json should we be killed half way */
  c->lock_fd = open (c->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (c->lock_fd < 0 || flock (c->lock_fd, LOCK_EX) < 0)
    return sk_err_set (err, errno, "lock `%s`", c->state_dir);
  return 0;
}

/* state.json before anything else exists: pid 0 reads as "creating" */
static int
write_creating_state (const sk_creation *c, const char *id, const char *cgroup_path, sk_err **err)
{
  sk_container_info info = {.id = (char *) id, .status = SK_STATUS_CREATING, .bundle = c->bundle,
                            .rootfs = c->rootfs, .created = (char *) "", .owner = (char *) "",
                            .cgroup_path = (char *) cgroup_path};
  return sk_state_write (c->state_dir, &info, err);
}

/* the exact config, for exec and the hooks of later commands */
static int
copy_config (sk_creation *c, sk_err **err)
{
  _cleanup_free_ char *copy = sk_path_join (c->state_dir, "config.json");
  return sk_write_file_replace (copy, c->spec->raw, c->spec->raw_len, 0600, err);
}

/* true when the resources ask for a limit (device rules aside) */
static bool
asks_for_limits (const sk_spec_resources *r)
{
  return r->memory.limit.set || r->memory.reservation.set || r->memory.swap.set ||
         r->cpu.shares.set || r->cpu.quota.set || r->cpu.cpus || r->pids.limit.set ||
         r->block_io.weight_set || r->n_hugepages || r->unified_keys;
}

/* An unprivileged runtime runs without a cgroup when it may not make one
 * (none delegated to it), as runc and crun do; with a warning if limits were
 * asked for. */
static int
begin_cgroup (sk_creation *c, const char *path, const sk_spec_resources *res, sk_err **err)
{
  _cleanup_err_ sk_err *e = NULL;
  if (sk_cgroup_create_begin (path, res, &c->cgroup, &e) == 0)
    return 0;
  bool denied = e->errnum == EACCES || e->errnum == EPERM || e->errnum == EROFS;
  if (geteuid () == 0 || !denied) {
    *err = steal_ptr (e);
    return -1;
  }
  c->cgroup = NULL;
  if (asks_for_limits (&c->spec->linux_.resources))
    sk_warning ("linux.resources are ignored: no cgroup may be made here (%s)", e->msg);
  return 0;
}

/* The cgroup's resources: the config's, with the device rules completed. */
static int
cgroup_resources (const sk_creation *c, sk_spec_resources *res, sk_err **err)
{
  *res = c->spec->linux_.resources;
  sk_spec_resources rules = {0};
  if (sk_devices_cgroup_rules (c->spec, &rules, err) < 0)
    return -1;
  res->devices = rules.devices;
  res->n_devices = rules.n_devices;
  return 0;
}

/* The host id that id 0 of the container maps to, or -1 when none does. */
static long long
host_root_id (const sk_spec_idmap *m, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (m[i].container_id == 0 && m[i].size > 0)
      return m[i].host_id;
  return -1;
}

static int
make_fifo (sk_creation *c, sk_err **err)
{
  _cleanup_free_ char *fifo = sk_path_join (c->state_dir, "exec.fifo");
  if (mkfifo (fifo, 0600) < 0)
    return sk_err_set (err, errno, "mkfifo `%s`", fifo);
  c->fifo_fd = open (fifo, O_PATH | O_CLOEXEC);
  if (c->fifo_fd < 0)
    return sk_err_set (err, errno, "open `%s`", fifo);
  /* the child opens it as root of its user namespace, as runc's does: a
   * file of the host's root is not that root's to open */
  const sk_spec_linux *lin = &c->spec->linux_;
  if (!lin->namespaces[SK_NS_USER].present)
    return 0;
  long long uid = host_root_id (lin->uid_mappings, lin->n_uid_mappings);
  long long gid = host_root_id (lin->gid_mappings, lin->n_gid_mappings);
  if (uid >= 0 && fchownat (c->fifo_fd, "", (uid_t) uid, gid >= 0 ? (gid_t) gid : (gid_t) -1,
                            AT_EMPTY_PATH) < 0)
    return sk_err_set (err, errno, "chown `%s` to the container's root", fifo);
  return 0;
}

/* The namespaces clone() can make itself; 0 means the child makes them (general path). */
static int
fast_clone_flags (const sk_spec_linux *lin)
{
  bool any_path = false;
  for (int t = 0; t < SK_NS_TYPES; t++)
    if (lin->namespaces[t].present && lin->namespaces[t].path)
      any_path = true;
  bool new_user = lin->namespaces[SK_NS_USER].present && !lin->namespaces[SK_NS_USER].path;
  if (lin->namespaces[SK_NS_TIME].present || lin->namespaces[SK_NS_USER].path ||
      lin->namespaces[SK_NS_PID].path || lin->namespaces[SK_NS_MOUNT].path || (new_user && any_path))
    return 0;
  static const sk_ns_type made[] = {SK_NS_MOUNT, SK_NS_PID, SK_NS_NETWORK, SK_NS_IPC, SK_NS_UTS,
                                    SK_NS_USER};
  int flags = 0;
  for (size_t i = 0; i < SK_N_ELEMENTS (made); i++)
    if (lin->namespaces[made[i]].present && lin->namespaces[made[i]].path == NULL)
      flags |= sk_ns_clone_flag (made[i]);
  return flags;
}

pid_t
sk_clone_child (int flags, int cgroup_fd)
{
  struct clone_args args = {.flags = (uint64_t) flags, .exit_signal = SIGCHLD};
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = (uint64_t) cgroup_fd;
  }
  pid_t pid = (pid_t) syscall (SYS_clone3, &args, sizeof args);
  if (pid < 0 && errno == ENOSYS && cgroup_fd < 0)
    pid = (pid_t) syscall (SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
  return pid;
}

void
sk_reset_signals (void)
{
  sigset_t all;
  sigemptyset (&all);
  sigprocmask (SIG_SETMASK, &all, NULL);
  for (int s = 1; s < NSIG; s++)
    if (s != SIGKILL && s != SIGSTOP)
      signal (s, SIG_DFL);
}

/* Clones the container's first process, straight into the cgroup2 directory
 * when there is one (no cgroup write needed for it). */
static int
spawn (const sk_creation *cc, sk_launch *l, sk_err **err)
{
  int cgfd = sk_cgroup_v2_dirfd (cc->cgroup);
  l->self_cgroup = !(l->clone_flags & CLONE_NEWUSER);
  l->cloned_into_cgroup = cgfd >= 0;
  pid_t pid = sk_clone_child (l->clone_flags, cgfd);
  if (pid < 0 && cgfd >= 0) {
    l->cloned_into_cgroup = false;
    pid = sk_clone_child (l->clone_flags, -1);
  }
  if (pid < 0)
    return sk_err_set (err, errno, "clone the container process");
  if (pid == 0) {
    sk_reset_signals ();
    close (cc->sock[0]);
    /* the flock belongs to the open file: a copy here would hold it */
    close (cc->lock_fd);
    sk_init_run (l);
  }
  return pid;
}

static char *
state_for_hooks (const sk_creation *c, const char *id, pid_t pid, sk_status status)
{
  sk_container_info info = {.id = (char *) id, .pid = pid, .bundle = c->bundle, .rootfs = c->rootfs};
  return sk_state_json_string (&info, status);
}

static int
run_create_hooks (const sk_creation *c, const char *id, sk_err **err)
{
  const sk_spec_hooks *h = &c->spec->hooks;
  _cleanup_free_ char *state = state_for_hooks (c, id, c->pid, SK_STATUS_CREATING);
  if (sk_hooks_run (h->list[SK_HOOK_PRESTART], h->n[SK_HOOK_PRESTART], SK_HOOK_PRESTART, state, err) < 0)
    return -1;
  return sk_hooks_run (h->list[SK_HOOK_CREATE_RUNTIME], h->n[SK_HOOK_CREATE_RUNTIME],
                       SK_HOOK_CREATE_RUNTIME, state, err);
}

static int
child_died (pid_t pid, sk_err **err)
{
  int status = 0;
  if (pid > 0 && waitpid (pid, &status, WNOHANG) == pid) {
    if (WIFSIGNALED (status))
      return sk_err_set (err, 0, "the container process was killed by signal %d during setup",
                         WTERMSIG (status));
    return sk_err_set (err, 0, "the container process exited with status %d during setup",
                       WEXITSTATUS (status));
  }
  return sk_err_set (err, 0, "the container process went away during setup");
}

/* When a step of ours fails after the child has failed on its own, the
 * child's reason is the one to give: it may be waiting in the socket. */
static int
prefer_child_error (sk_creation *c, sk_err **err)
{
  for (;;) {
    sk_sync_msg msg;
    ssize_t n = recv (c->sock[0], &msg, sizeof msg, MSG_DONTWAIT);
    if (n <= 0)
      return -1;
    if ((size_t) n > offsetof (sk_sync_msg, text) && msg.type == SK_SYNC_ERROR) {
      msg.text[SK_SYNC_TEXT_MAX - 1] = '\0';
      sk_err_free (err);
      return sk_err_set (err, 0, "%s", msg.text);
    }
  }
}

/* Lets the container process go, once it is in its cgroup. */
static int
release_child (sk_creation *c, sk_err **err)
{
  const sk_spec_process *p = c->spec->process;
  if (!c->launch.self_cgroup && sk_cgroup_enter (c->cgroup, c->pid, err) < 0)
    return -1;
  if (p->oom_score_adj_set) {
    char path[64], val[16];
    snprintf (path, sizeof path, "/proc/%d/oom_score_adj", c->pid);
    int n = snprintf (val, sizeof val, "%d", p->oom_score_adj);
    if (sk_write_file_at (AT_FDCWD, path, val, (size_t) n, err) < 0)
      return sk_err_wrap (err, "process.oomScoreAdj %d (lowering it needs CAP_SYS_RESOURCE)",
                          p->oom_score_adj);
  }
  /* a child that already failed is not listening: its error follows */
  sk_sync_send (c->sock[0], SK_SYNC_GO, c->pid, NULL, -1);
  return 0;
}

/* The messages until the container process is READY. */
static int
supervise_setup (sk_creation *c, const char *id, sk_err **err)
{
  bool released = c->launch.clone_flags != 0;
  if (released && c->spec->linux_.namespaces[SK_NS_USER].present &&
      sk_ns_write_id_maps (c->pid, &c->spec->linux_, err) < 0)
    return -1;
  if (released && release_child (c, err) < 0)
    return -1;
  for (;;) {
    sk_sync_msg msg;
    int passed = -1;
    int r = sk_sync_recv (c->sock[0], &msg, &passed);
    if (r < 0)
      return sk_err_set (err, errno, "sync");
    if (r == 0)
      return child_died (c->pid, err);
    switch (msg.type) {
    case SK_SYNC_LOG: sk_log ((sk_log_level) msg.value, "%s", msg.text); break;
    case SK_SYNC_ERROR: return sk_err_set (err, 0, "%s", msg.text);
    case SK_SYNC_MAPS:
      if (sk_ns_write_id_maps (c->stage_pid, &c->spec->linux_, err) < 0)
        return -1;
      sk_sync_send (c->sock[0], SK_SYNC_GO, 0, NULL, -1);
      break;
    case SK_SYNC_PID:
      c->pid = msg.value;
      if (c->stage_pid != c->pid)
        sk_waitpid (c->stage_pid, NULL);
      if (release_child (c, err) < 0)
        return -1;
      break;
    case SK_SYNC_HOOKS:
      if (run_create_hooks (c, id, err) < 0)
        return -1;
      sk_sync_send (c->sock[0], SK_SYNC_HOOKS_DONE, 0, NULL, -1);
      break;
    case SK_SYNC_PTY:
      close_fd (&c->pty_master);
      c->pty_master = passed;
      passed = -1;
      break;
    case SK_SYNC_SECCOMP: {
      _cleanup_free_ char *state = state_for_hooks (c, id, c->pid, SK_STATUS_CREATING);
      if (passed < 0)
        return sk_err_set (err, EPROTO, "sync: no seccomp listener fd");
      int sent = sk_seccomp_send_listener (c->spec, passed, state, err);
      close (passed);
      if (sent < 0)
        return -1;
      passed = -1;
      break;
    }
    case SK_SYNC_READY: sk_debug_phase ("ready"); return 0;
    default: return sk_err_set (err, EPROTO, "sync: unexpected message %u", msg.type);
    }
    if (passed >= 0)
      close (passed);
  }
}

static int
write_created_state (const sk_creation *c, const char *id, sk_err **err)
{
  char created[64];
  sk_time_rfc3339 (created, sizeof created);
  sk_container_info info = {
      .id = (char *) id,
      .pid = c->pid,
      .status = SK_STATUS_CREATED,
      .bundle = c->bundle,
      .rootfs = c->rootfs,
      .created = created,
      .owner = (char *) "",
      .cgroup_path = (char *) sk_cgroup_path (c->cgroup),
  };
  sk_proc_stat (c->pid, &info.pid_start_time, NULL);
  if (c->spec->annotation_keys && c->spec->annotation_keys[0]) {
    info.annotations = json_object_new_object ();
    for (size_t i = 0; c->spec->annotation_keys[i]; i++)
      json_object_object_add (info.annotations, c->spec->annotation_keys[i],
                              json_object_new_string (c->spec->annotation_values[i]));
  }
  int r = sk_state_write (c->state_dir, &info, err);
  if (info.annotations)
    json_object_put (info.annotations);
  return r;
}

/* create, up to READY; c keeps everything needed to undo it. */
static int
do_create (const sk_runtime *rt, const sk_create_opts *o, sk_launch_mode mode, sk_creation *c,
           sk_err **err)
{
  if (prepare (rt, o, mode == SK_LAUNCH_RUN && !o->detach, c, err) < 0)
    return -1;
  sk_debug_phase ("config read");
  if (make_state_dir (rt, o->id, c, err) < 0)
    return -1;
  _cleanup_free_ char *cgpath = sk_cgroup_default_path (c->spec->linux_.cgroups_path, o->id);
  sk_spec_resources res;
  if (cgpath == NULL || cgroup_resources (c, &res, err) < 0)
    return cgpath ? -1 : sk_err_set (err, ENOMEM, "cgroup path");
  if (write_creating_state (c, o->id, cgpath, err) < 0) {
    free (res.devices);
    return -1;
  }
  /* only there to free the rules when this function returns */
  _cleanup_free_ SK_UNUSED sk_spec_device_rule *rules = res.devices;
  if (begin_cgroup (c, cgpath, &res, err) < 0)
    return -1;
  if (mode == SK_LAUNCH_CREATE && make_fifo (c, err) < 0)
    return -1;
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, c->sock) < 0)
    return sk_err_set (err, errno, "socketpair");
  sk_launch *l = &c->launch;
  *l = (sk_launch){
      .mode = mode,
      .spec = c->spec,
      .process = c->spec->process,
      .id = o->id,
      .bundle = c->bundle,
      .rootfs = c->rootfs,
      .state_dir = c->state_dir,
      .cgroup = c->cgroup,
      .seccomp = c->seccomp,
      .sync_fd = c->sock[1],
      .fifo_fd = c->fifo_fd,
      .console_fd = c->console_fd,
      .preserve_fds = o->preserve_fds,
      .no_pivot = o->no_pivot,
      .no_new_keyring = o->no_new_keyring,
      .target_pidfd = -1,
      .clone_flags = fast_clone_flags (&c->spec->linux_),
  };
  memcpy (l->ns_fds, c->ns_fds, sizeof l->ns_fds);
  /* on the fast path, a child that can join the cgroup itself builds its
   * rootfs while we make the cgroup: two cores, two jobs */
  l->defer_cgroup = l->clone_flags && !(l->clone_flags & CLONE_NEWUSER);
  /* decided here: the child's own geteuid() turns 0 once its maps are in */
  l->maps_by_unprivileged = geteuid () != 0 && c->spec->linux_.namespaces[SK_NS_USER].present &&
                            c->spec->linux_.namespaces[SK_NS_USER].path == NULL;
  if (!l->defer_cgroup && sk_cgroup_create_finish (c->cgroup, &res, err) < 0)
    return -1;
  sk_debug_phase ("state and cgroup begun");
  pid_t pid = spawn (c, l, err);
  if (pid < 0)
    return -1;
  c->pid = c->stage_pid = pid;
  sk_debug_phase ("cloned");
  close_fd (&c->sock[1]);
  close_fd (&c->console_fd);
  if (copy_config (c, err) < 0)
    return prefer_child_error (c, err);
  if (l->defer_cgroup && sk_cgroup_create_finish (c->cgroup, &res, err) < 0)
    return prefer_child_error (c, err);
  sk_debug_phase ("cgroup made");
  if (supervise_setup (c, o->id, err) < 0)
    return prefer_child_error (c, err);
  if (write_created_state (c, o->id, err) < 0)
    return -1;
  if (o->pid_file && sk_write_pid_file (o->pid_file, c->pid, err) < 0)
    return -1;
  close_fd (&c->lock_fd); /* created: other commands may come in */
  return 0;
}

int
sk_container_create (const sk_runtime *rt, const sk_create_opts *o, sk_err **err)
{
  sk_creation c;
  creation_init (&c);
  int r = do_create (rt, o, SK_LAUNCH_CREATE, &c, err);
  creation_release (&c, r < 0);
  return r;
}

/* ---- start ---- */

/* Waits until the process has exec'd (the fifo's writer closes) or failed. */
static int
wait_exec_through_fifo (int fifo, int pidfd, sk_err **err)
{
  char text[SK_SYNC_TEXT_MAX];
  size_t len = 0;
  for (;;) {
    struct pollfd p[2] = {{.fd = fifo, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
    if (poll (p, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      return sk_err_set (err, errno, "poll");
    }
    if (p[0].revents) {
      ssize_t n = read (fifo, text + len, sizeof text - 1 - len);
      if (n > 0) {
        len += (size_t) n;
        continue;
      }
      if (n == 0 || len == sizeof text - 1)
        break;
      if (errno != EAGAIN && errno != EINTR)
        return sk_err_set (err, errno, "read exec.fifo");
      continue;
    }
    if (p[1].revents) {
      ssize_t n = read (fifo, text + len, sizeof text - 1 - len);
      if (n > 0)
        len += (size_t) n;
      if (len == 0)
        return sk_err_set (err, 0, "the container process exited before it started");
      break;
    }
  }
  text[len] = '\0';
  if (len)
    return sk_err_set (err, 0, "%s", text);
  return 0;
}

int
sk_container_start (const sk_runtime *rt, const char *id, sk_err **err)
{
  _cleanup_info_ sk_container_info *info = NULL;
  _cleanup_close_ int lock = sk_state_lock_and_read (rt, id, &info, err);
  if (lock < 0)
    return -1;
  if (info->status != SK_STATUS_CREATED)
    return sk_err_set (err, 0, "cannot start container `%s`: it is %s, not created", id,
                       sk_status_name (info->status));
  _cleanup_spec_ sk_spec *spec = NULL;
  if (sk_container_load_spec (rt, id, &spec, err) < 0)
    return -1;
  _cleanup_close_ int pidfd = sk_pidfd_open_checked (info->pid, info->pid_start_time, err);
  if (pidfd < 0)
    return -1;
  _cleanup_free_ char *dir = sk_state_dir (rt, id);
  _cleanup_free_ char *fifo_path = sk_path_join (dir, "exec.fifo");
  _cleanup_close_ int fifo = open (fifo_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo < 0)
    return sk_err_set (err, errno, "open `%s`", fifo_path);
  int ret = wait_exec_through_fifo (fifo, pidfd, err);
  unlink (fifo_path);
  if (ret == 0)
    sk_hooks_run_or_warn (spec, SK_HOOK_POSTSTART, info, SK_STATUS_RUNNING);
  return ret;
}

/* After START: the sync socket closes on exec (CLOEXEC), or carries an error. */
static int
wait_exec_through_sync (int sock, sk_err **err)
{
  for (;;) {
    sk_sync_msg msg;
    int r = sk_sync_recv (sock, &msg, NULL);
    if (r < 0)
      return sk_err_set (err, errno, "sync");
    if (r == 0)
      return 0;
    if (msg.type == SK_SYNC_ERROR)
      return sk_err_set (err, 0, "%s", msg.text);
    if (msg.type == SK_SYNC_LOG)
      sk_log ((sk_log_level) msg.value, "%s", msg.text);
  }
}

/* After a foreground run: what delete does, with what is already in memory. */
static void
finish_run (const sk_runtime *rt, sk_creation *c, const char *id)
{
  _cleanup_err_ sk_err *e = NULL;
  /* the lock keeps a concurrent delete out; it failing means one already ran */
  _cleanup_close_ int lock = sk_state_lock (rt, id, &e);
  if (lock < 0)
    return;
  if (sk_cgroup_destroy (c->cgroup, &e) < 0) {
    sk_warning ("%s", e->msg);
    sk_err_free (&e);
  }
  sk_container_info info = {.id = (char *) id, .pid = c->pid, .bundle = c->bundle, .rootfs = c->rootfs};
  sk_hooks_run_or_warn (c->spec, SK_HOOK_POSTSTOP, &info, SK_STATUS_STOPPED);
  if (sk_remove_tree_at (AT_FDCWD, c->state_dir, &e) < 0)
    sk_warning ("%s", e->msg);
}

int
sk_container_run (const sk_runtime *rt, const sk_create_opts *o, int *exit_code, sk_err **err)
{
  sk_creation c;
  creation_init (&c);
  int r = do_create (rt, o, SK_LAUNCH_RUN, &c, err);
  if (r == 0)
    r = wait_exec_through_sync (c.sock[0], err);
  sk_debug_phase ("exec'd");
  if (r < 0) {
    creation_release (&c, true);
    return -1;
  }
  sk_container_info info = {.id = (char *) o->id, .pid = c.pid, .bundle = c.bundle, .rootfs = c.rootfs};
  sk_hooks_run_or_warn (c.spec, SK_HOOK_POSTSTART, &info, SK_STATUS_RUNNING);
  if (!o->detach) {
    close_fd (&c.sock[0]);
    r = sk_run_foreground (c.pid, c.pty_master, exit_code, err);
    sk_debug_phase ("exited");
    finish_run (rt, &c, o->id);
    sk_debug_phase ("deleted");
  }
  close_fd (&c.pty_master);
  creation_release (&c, false);
  return r;
}
