/* skiff: the shim (see shim.h). */
#include "engine/shim.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/events.h"
#include "engine/jsonlog.h"
#include "runtime/runtime.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/proc.h"

/* after the init exited, how long the pipes may stay open before what
 * holds them (processes outside its pid namespace) is killed */
#define SHIM_LINGER_MS 2000

typedef struct shim_stream {
  int fd;
  const char *name;
  size_t len;
  char buf[SK_JSONLOG_LINE_MAX];
} shim_stream;

typedef struct shim {
  const sk_shim_opts *o;
  sk_runtime rt;
  int sigfd;
  pid_t pid;
  bool exited, deleted;
  int status;
  bool oom_killed;
  int64_t exited_ms; /* monotonic */
  char finished_at[48];
} shim;

/* static: no stack or heap for the buffers, and untouched pages cost nothing */
static sk_jsonlog jlog = {.fd = -1};
static shim_stream streams[2] = {{.fd = -1, .name = "stdout"}, {.fd = -1, .name = "stderr"}};

int
sk_shim_failure_code (const char *msg)
{
  /* only the failures of finding or executing the program */
  if (strcasestr (msg, "exec: `") == NULL && strcasestr (msg, "exec `") == NULL)
    return 125;
  if (strcasestr (msg, "executable file not found") || strcasestr (msg, "no such file or directory"))
    return 127;
  if (strcasestr (msg, "permission denied") || strcasestr (msg, "is a directory"))
    return 126;
  return 125;
}

static void
close_fds_except (int keep)
{
  bool ok;
  if (keep < 3)
    ok = close_range (3, ~0U, 0) == 0;
  else
    ok = (keep == 3 || close_range (3, (unsigned) keep - 1, 0) == 0) &&
         close_range ((unsigned) keep + 1, ~0U, 0) == 0;
  if (ok)
    return;
  /* kernels before 5.9 */
  _cleanup_closedir_ DIR *d = opendir ("/proc/self/fd");
  if (d == NULL)
    return;
  struct dirent *e;
  while ((e = readdir (d))) {
    int fd = atoi (e->d_name);
    if (fd > 2 && fd != keep && fd != dirfd (d))
      close (fd);
  }
}

static int
stdio_to_devnull (int first, sk_err **err)
{
  int fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return sk_err_set (err, errno, "open /dev/null");
  for (int i = first; i <= 2; i++)
    if (fd != i && dup2 (fd, i) < 0)
      return sk_err_set (err, errno, "dup2 /dev/null");
  if (fd > 2)
    close (fd);
  return 0;
}

int
sk_shim_detach (int *keep_fd, sk_err **err)
{
  if (*keep_fd >= 0 && *keep_fd <= 2) {
    int fd = fcntl (*keep_fd, F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
      return sk_err_set (err, errno, "move the ready fd");
    *keep_fd = fd;
  }
  if (*keep_fd >= 0 && fcntl (*keep_fd, F_SETFD, FD_CLOEXEC) < 0)
    return sk_err_set (err, errno, "ready fd %d", *keep_fd);
  close_fds_except (*keep_fd);
  if (stdio_to_devnull (0, err) < 0)
    return -1;
  if (setsid () < 0)
    return sk_err_set (err, errno, "setsid");
  if (chdir ("/") < 0)
    return sk_err_set (err, errno, "chdir /");
  if (prctl (PR_SET_CHILD_SUBREAPER, 1) < 0)
    return sk_err_set (err, errno, "become a subreaper");
  signal (SIGINT, SIG_IGN);
  signal (SIGHUP, SIG_IGN);
  signal (SIGPIPE, SIG_IGN);
  return 0;
}

/* One line on the ready fd, which is then closed. */
static void report (const sk_shim_opts *o, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
report (const sk_shim_opts *o, const char *fmt, ...)
{
  if (o->ready_fd < 0)
    return;
  char line[4096];
  va_list ap;
  va_start (ap, fmt);
  int n = vsnprintf (line, sizeof line - 1, fmt, ap);
  va_end (ap);
  if (n < 0)
    n = 0;
  if ((size_t) n > sizeof line - 2)
    n = sizeof line - 2;
  for (int i = 0; i < n; i++)
    if (line[i] == '\n' || line[i] == '\r')
      line[i] = ' ';
  line[n++] = '\n';
  ssize_t w;
  do
    w = write (o->ready_fd, line, (size_t) n);
  while (w < 0 && errno == EINTR);
  close (o->ready_fd);
}

static void
drop_log (sk_log_level level, const char *msg, void *data)
{
}

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the container's output ---- */

static void
add_record (shim_stream *st, const char *data, size_t len, const char *time)
{
  _cleanup_err_ sk_err *e = NULL;
  /* a log that cannot be written loses records; the container must go on */
  sk_jsonlog_add (&jlog, st->name, data, len, time, &e);
}

/* Complete lines become records; a line as long as the buffer is cut. */
static void
split_lines (shim_stream *st, const char *time)
{
  size_t start = 0;
  const char *nl;
  while ((nl = memchr (st->buf + start, '\n', st->len - start))) {
    size_t end = (size_t) (nl - st->buf) + 1;
    add_record (st, st->buf + start, end - start, time);
    start = end;
  }
  if (start == 0 && st->len == sizeof st->buf) {
    add_record (st, st->buf, st->len, time);
    start = st->len;
  }
  memmove (st->buf, st->buf + start, st->len - start);
  st->len -= start;
}

static void
read_stream (const shim *s, shim_stream *st)
{
  ssize_t n = read (st->fd, st->buf + st->len, sizeof st->buf - st->len);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  char now[SK_JSONLOG_TIME_SIZE];
  sk_jsonlog_time (now);
  if (n <= 0) {
    /* end of file: what remains is a record without its \n */
    if (st->len && !s->o->log_none)
      add_record (st, st->buf, st->len, now);
    st->len = 0;
    close (st->fd);
    st->fd = -1;
    return;
  }
  if (s->o->log_none)
    return;
  st->len += (size_t) n;
  split_lines (st, now);
}

/* ---- the container's processes ---- */

static void
init_exited (shim *s, int status)
{
  s->exited = true;
  s->status = status;
  s->exited_ms = now_ms ();
  sk_time_rfc3339 (s->finished_at, sizeof s->finished_at);
  uint64_t kills = 0;
  _cleanup_err_ sk_err *e = NULL;
  if (sk_container_oom_kills (&s->rt, s->o->id, &kills, &e) == 0)
    s->oom_killed = kills > 0;
}

/* SIGCHLD: the init and any orphan; SIGTERM: passed to the init. */
static void
handle_signals (shim *s)
{
  struct signalfd_siginfo si;
  bool child = false;
  while (read (s->sigfd, &si, sizeof si) == sizeof si) {
    if (si.ssi_signo == SIGCHLD)
      child = true;
    else if (si.ssi_signo == SIGTERM && s->pid > 0 && !s->exited)
      kill (s->pid, SIGTERM); /* our unreaped child: the pid cannot be reused */
  }
  if (!child)
    return;
  int status;
  pid_t p;
  while ((p = waitpid (-1, &status, WNOHANG)) > 0)
    if (p == s->pid)
      init_exited (s, status);
}

/* Until the init exited and both pipes reached their end. */
static void
supervise (shim *s)
{
  for (;;) {
    if (s->exited && streams[0].fd < 0 && streams[1].fd < 0)
      return;
    struct pollfd p[3] = {{.fd = s->sigfd, .events = POLLIN},
                          {.fd = streams[0].fd, .events = POLLIN},
                          {.fd = streams[1].fd, .events = POLLIN}};
    int timeout = -1;
    if (s->exited && !s->deleted) {
      int64_t left = s->exited_ms + SHIM_LINGER_MS - now_ms ();
      timeout = left > 0 ? (int) left : 0;
    }
    int r = poll (p, 3, timeout);
    if (r < 0 && errno != EINTR)
      return;
    if (r == 0) {
      /* something outside the init's pid namespace holds the pipes */
      _cleanup_err_ sk_err *e = NULL;
      sk_container_delete (&s->rt, s->o->id, true, &e);
      s->deleted = true;
      continue;
    }
    for (int i = 0; i < 2; i++)
      if (r > 0 && p[i + 1].revents)
        read_stream (s, &streams[i]);
    if (!s->o->log_none) {
      _cleanup_err_ sk_err *e = NULL;
      sk_jsonlog_flush (&jlog, &e);
    }
    if (r > 0 && p[0].revents)
      handle_signals (s);
  }
}

/* ---- memory ---- */

/* Takes the pages of this program that creating the container touched out
 * of the resident set: every read-only mapping of the executable none of
 * whose pages was written (no relocated copy to lose). The few the log loop
 * needs come back from the page cache. */
static void
drop_setup_pages (void)
{
  struct stat exe;
  if (stat ("/proc/self/exe", &exe) < 0)
    return;
  _cleanup_fclose_ FILE *f = fopen ("/proc/self/smaps", "re");
  char line[512];
  struct { unsigned long start, end; } drop[16], cur = {0, 0};
  size_t n = 0;
  bool ours = false;
  while (f && fgets (line, sizeof line, f)) {
    unsigned long start, end, off, ino, anon;
    char perms[8];
    unsigned maj, min;
    if (sscanf (line, "%lx-%lx %7s %lx %x:%x %lu", &start, &end, perms, &off, &maj, &min, &ino) ==
        7) {
      ours = perms[1] != 'w' && ino == exe.st_ino && maj == major (exe.st_dev) &&
             min == minor (exe.st_dev);
      cur.start = start;
      cur.end = end;
    }
    else if (ours && n < SK_N_ELEMENTS (drop) && sscanf (line, "Anonymous: %lu kB", &anon) == 1 &&
             anon == 0)
      drop[n++] = cur;
  }
  /* afterwards: reading smaps needs some of these pages */
  for (size_t i = 0; i < n; i++)
    madvise ((void *) drop[i].start, drop[i].end - drop[i].start, MADV_DONTNEED);
}

/* ---- start and end ---- */

/* The container's stdin is /dev/null, its stdout and stderr our pipes: the
 * runtime hands the caller's fds 0-2 to the container's process. */
static int
create_with_pipes (shim *s, sk_err **err)
{
  int out[2], errp[2];
  if (pipe2 (out, O_CLOEXEC) < 0)
    return sk_err_set (err, errno, "pipe");
  if (pipe2 (errp, O_CLOEXEC) < 0) {
    close (out[0]);
    close (out[1]);
    return sk_err_set (err, errno, "pipe");
  }
  streams[0].fd = out[0];
  streams[1].fd = errp[0];
  int r = 0;
  if (dup2 (out[1], 1) < 0 || dup2 (errp[1], 2) < 0)
    r = sk_err_set (err, errno, "dup2");
  close (out[1]);
  close (errp[1]);
  sk_create_opts co = {.id = s->o->id, .bundle = s->o->bundle};
  if (r == 0)
    r = sk_container_create (&s->rt, &co, err);
  /* only the container holds the write ends now: its end is their end */
  _cleanup_err_ sk_err *e = NULL;
  if (stdio_to_devnull (1, &e) < 0 && r == 0) {
    *err = steal_ptr (e);
    r = -1;
  }
  return r;
}

static int
launch (shim *s, sk_err **err)
{
  if (create_with_pipes (s, err) < 0)
    return -1;
  if (sk_container_start (&s->rt, s->o->id, err) < 0)
    return -1;
  _cleanup_info_ sk_container_info *info = NULL;
  if (sk_container_state (&s->rt, s->o->id, &info, err) < 0)
    return -1;
  s->pid = info->pid;
  return 0;
}

static void
unmount_rootfs (const sk_shim_opts *o)
{
  _cleanup_free_ char *rootfs = sk_path_join (o->bundle, "rootfs");
  /* not a mount point (EINVAL) or not there: nothing to do */
  if (rootfs)
    umount2 (rootfs, MNT_DETACH | UMOUNT_NOFOLLOW);
}

/* Docker's exit code of the init: 128 + the signal that killed it. */
static int
exit_code (const shim *s, int *sig)
{
  *sig = WIFSIGNALED (s->status) ? WTERMSIG (s->status) : 0;
  return *sig ? 128 + *sig : WEXITSTATUS (s->status);
}

static int
write_exit_json (const shim *s, sk_err **err)
{
  int sig, code = exit_code (s, &sig);
  char doc[256];
  int n = snprintf (doc, sizeof doc,
                    "{\"exit_code\":%d,\"signal\":%d,\"finished_at\":\"%s\",\"oom_killed\":%s}\n",
                    code, sig, s->finished_at, s->oom_killed ? "true" : "false");
  _cleanup_free_ char *path = sk_path_join (s->o->state_dir, "exit.json");
  if (path == NULL)
    return sk_err_set (err, ENOMEM, "exit.json");
  return sk_write_file_atomic (path, doc, (size_t) n, 0644, err);
}

/* One event of the container (start, oom, die: the shim sees them first,
 * so they are in order); a log that cannot be written loses the event, not
 * the container. code >= 0: the exitCode attribute. */
static void
emit (const sk_shim_opts *o, const char *action, int code)
{
  if (o->events_path == NULL)
    return;
  char code_text[16];
  snprintf (code_text, sizeof code_text, "%d", code);
  sk_event_attr attrs[] = {{"image", o->image}, {"name", o->name}, {"exitCode", code_text}};
  _cleanup_err_ sk_err *e = NULL;
  sk_event_append (o->events_path, "container", action, o->id, attrs, code >= 0 ? 3 : 2, &e);
}

/* A failed start: reported, and nothing of the container left. */
static int
fail (shim *s, sk_err **err)
{
  _cleanup_err_ sk_err *e = NULL;
  sk_container_delete (&s->rt, s->o->id, true, &e);
  unmount_rootfs (s->o);
  _cleanup_free_ char *pidfile = sk_path_join (s->o->state_dir, "shim.pid");
  if (pidfile)
    unlink (pidfile);
  /* last: whoever reads it finds nothing left */
  report (s->o, "err %d %s", sk_shim_failure_code ((*err)->msg), (*err)->msg);
  return -1;
}

static int
block_signals (shim *s, sk_err **err)
{
  sigset_t set;
  sigemptyset (&set);
  sigaddset (&set, SIGCHLD);
  sigaddset (&set, SIGTERM);
  /* the container's process unblocks every signal before it runs */
  if (sigprocmask (SIG_BLOCK, &set, NULL) < 0)
    return sk_err_set (err, errno, "sigprocmask");
  s->sigfd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (s->sigfd < 0)
    return sk_err_set (err, errno, "signalfd");
  return 0;
}

static int
write_shim_pid (const sk_shim_opts *o, sk_err **err)
{
  if (sk_mkdir_p (o->state_dir, 0700, err) < 0)
    return -1;
  _cleanup_free_ char *path = sk_path_join (o->state_dir, "shim.pid");
  if (path == NULL)
    return sk_err_set (err, ENOMEM, "shim.pid");
  _cleanup_free_ char *stale = sk_path_join (o->state_dir, "exit.json");
  if (stale)
    unlink (stale); /* of an earlier run: the engine waits for a new one */
  char buf[32];
  int n = snprintf (buf, sizeof buf, "%d\n", (int) getpid ());
  return sk_write_file_atomic (path, buf, (size_t) n, 0644, err);
}

int
sk_shim_run (const sk_shim_opts *o, sk_err **err)
{
  shim s = {.o = o, .rt = {.root = o->runtime_root}, .sigfd = -1};
  sk_log_set_sink (drop_log, NULL); /* the runtime's warnings have no reader here */
  if (write_shim_pid (o, err) < 0 || block_signals (&s, err) < 0 ||
      (!o->log_none && sk_jsonlog_open (&jlog, o->log_path, o->log_max_size, o->log_max_file, err) < 0) ||
      launch (&s, err) < 0)
    return fail (&s, err);
  emit (o, "start", -1);
  report (o, "ok %d", (int) s.pid);
  malloc_trim (0);
  drop_setup_pages ();
  supervise (&s);
  _cleanup_err_ sk_err *e = NULL;
  if (!o->log_none && sk_jsonlog_close (&jlog, &e) < 0)
    sk_err_free (&e);
  int sig;
  /* before exit.json: whoever finds the container exited finds its die */
  if (s.oom_killed)
    emit (o, "oom", -1);
  emit (o, "die", exit_code (&s, &sig));
  int r = write_exit_json (&s, err);
  if (!s.deleted && sk_container_delete (&s.rt, o->id, true, &e) < 0 && r == 0) {
    *err = steal_ptr (e);
    r = -1;
  }
  unmount_rootfs (o);
  return r;
}
