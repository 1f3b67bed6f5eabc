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
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/events.h"
#include "engine/jsonlog.h"
#include "engine/shim-oom.h"
#include "engine/shim-int.h"
#include "runtime/runtime.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/proc.h"
#include "util/socket.h"

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
  int64_t started_ms; /* monotonic, of this run */
  char started_at[48];
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

/* ---- attached clients (the protocol: shim.h) ---- */

#define SHIM_CLIENTS 8
/* a client that does not read its output for this long is dropped */
#define SHIM_CLIENT_SEND_TIMEOUT_S 10

typedef struct shim_client {
  int fd;
  bool stdin_user; /* sent a stdin frame: its going closes a StdinOnce stdin */
  size_t len;
  unsigned char buf[SK_ATTACH_HEADER + SK_ATTACH_MAX];
} shim_client;

static shim_client clients[SHIM_CLIENTS];

static struct {
  const sk_shim_opts *o;
  int listen_fd;
  int in_fd;  /* the container's stdin: a pipe's write end, or the terminal's master */
  bool close_in; /* once pending is written */
  size_t pending_len, pending_off;
  char pending[SK_ATTACH_HEADER + SK_ATTACH_MAX];
  bool had_client;
  int64_t started_ms;
  size_t backlog_len;
  unsigned char backlog[SK_ATTACH_BACKLOG];
} att = {.listen_fd = -1, .in_fd = -1};

/* A listening socket in dir, named through it: the directory's path may be
 * too long for a socket address. path receives that name (64 bytes). */
static int
dir_listen (int dir, const char *name, char *path, sk_err **err)
{
  snprintf (path, 64, "/proc/self/fd/%d/%s", dir, name);
  return sk_unix_listen (path, 0600, err);
}

static int
state_dir_open (const char *state_dir, sk_err **err)
{
  int dir = open (state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return sk_err_set (err, errno, "open `%s`", state_dir);
  return dir;
}

static void
state_unlink (const char *state_dir, const char *name)
{
  _cleanup_free_ char *path = sk_path_join (state_dir, name);
  if (path)
    unlink (path);
}

static void
put_header (unsigned char *h, int type, size_t len)
{
  h[0] = (unsigned char) type;
  h[1] = (unsigned char) (len >> 24);
  h[2] = (unsigned char) (len >> 16);
  h[3] = (unsigned char) (len >> 8);
  h[4] = (unsigned char) len;
}

static void
close_stdin_now (void)
{
  if (att.in_fd >= 0 && !att.o->tty) {
    close (att.in_fd);
    att.in_fd = -1;
  }
  att.pending_len = att.pending_off = 0;
}

static void
drop_client (shim_client *c)
{
  close (c->fd);
  c->fd = -1;
  c->len = 0;
  if (c->stdin_user && att.o->stdin_once)
    att.close_in = true;
  c->stdin_user = false;
}

static bool
in_first_moments (void)
{
  return att.o->attach_wait && !att.had_client && now_ms () < att.started_ms + SK_ATTACH_WAIT_MS;
}

/* The container's output to every client, and to the backlog before the first. */
static void
attach_output (int type, const char *data, size_t len)
{
  while (len > 0) {
    size_t n = len > SK_ATTACH_MAX ? SK_ATTACH_MAX : len;
    unsigned char h[SK_ATTACH_HEADER];
    put_header (h, type, n);
    for (size_t i = 0; i < SHIM_CLIENTS; i++)
      if (clients[i].fd >= 0 &&
          (sk_write_all (clients[i].fd, h, sizeof h) < 0 || sk_write_all (clients[i].fd, data, n) < 0))
        drop_client (&clients[i]);
    if (in_first_moments () && att.backlog_len + sizeof h + n <= sizeof att.backlog) {
      memcpy (att.backlog + att.backlog_len, h, sizeof h);
      memcpy (att.backlog + att.backlog_len + sizeof h, data, n);
      att.backlog_len += sizeof h + n;
    }
    data += n;
    len -= n;
  }
}

static void
accept_client (void)
{
  int fd = accept4 (att.listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (fd < 0)
    return;
  shim_client *c = NULL;
  for (size_t i = 0; i < SHIM_CLIENTS && c == NULL; i++)
    if (clients[i].fd < 0)
      c = &clients[i];
  if (c == NULL) {
    close (fd);
    return;
  }
  struct timeval tv = {.tv_sec = SHIM_CLIENT_SEND_TIMEOUT_S};
  setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  *c = (shim_client){.fd = fd};
  if (in_first_moments () && att.backlog_len &&
      sk_write_all (fd, att.backlog, att.backlog_len) < 0)
    drop_client (c);
  att.had_client = true;
  att.backlog_len = 0;
}

static void
client_frame (shim_client *c, int type, const unsigned char *data, size_t len)
{
  switch (type) {
  case SK_ATTACH_STDIN:
    c->stdin_user = true;
    if (att.in_fd >= 0 && !att.close_in) {
      memcpy (att.pending + att.pending_len, data, len);
      att.pending_len += len;
    }
    break;
  case SK_ATTACH_RESIZE:
    if (len == 4 && att.o->tty && att.in_fd >= 0) {
      struct winsize ws = {.ws_row = (unsigned short) (data[0] << 8 | data[1]),
                           .ws_col = (unsigned short) (data[2] << 8 | data[3])};
      ioctl (att.in_fd, TIOCSWINSZ, &ws);
    }
    break;
  case SK_ATTACH_CLOSE_STDIN:
    c->stdin_user = true;
    if (!att.o->tty)
      att.close_in = true;
    break;
  default: break;
  }
}

/* Read only while no stdin is pending: the pending buffer holds one read. */
static void
client_input (shim_client *c)
{
  ssize_t n = read (c->fd, c->buf + c->len, sizeof c->buf - c->len);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  if (n <= 0) {
    drop_client (c);
    return;
  }
  c->len += (size_t) n;
  size_t off = 0;
  while (c->len - off >= SK_ATTACH_HEADER) {
    const unsigned char *h = c->buf + off;
    size_t len = (size_t) h[1] << 24 | (size_t) h[2] << 16 | (size_t) h[3] << 8 | h[4];
    if (len > SK_ATTACH_MAX) {
      drop_client (c);
      return;
    }
    if (c->len - off < SK_ATTACH_HEADER + len)
      break;
    client_frame (c, h[0], h + SK_ATTACH_HEADER, len);
    off += SK_ATTACH_HEADER + len;
  }
  memmove (c->buf, c->buf + off, c->len - off);
  c->len -= off;
}

static void
flush_stdin (void)
{
  while (att.in_fd >= 0 && att.pending_off < att.pending_len) {
    ssize_t n = write (att.in_fd, att.pending + att.pending_off, att.pending_len - att.pending_off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return;
    if (n <= 0) {
      /* nobody reads it any more */
      att.close_in = true;
      break;
    }
    att.pending_off += (size_t) n;
  }
  att.pending_len = att.pending_off = 0;
  if (att.close_in)
    close_stdin_now ();
}

static int
attach_listen (const sk_shim_opts *o, sk_err **err)
{
  for (size_t i = 0; i < SHIM_CLIENTS; i++)
    clients[i].fd = -1;
  att.o = o;
  _cleanup_close_ int dir = state_dir_open (o->state_dir, err);
  char path[64];
  if (dir < 0)
    return -1;
  att.listen_fd = dir_listen (dir, "attach.sock", path, err);
  return att.listen_fd < 0 ? -1 : 0;
}

/* After exit.json: the clients see their end. */
static void
attach_close (void)
{
  if (att.o == NULL)
    return;
  for (size_t i = 0; i < SHIM_CLIENTS; i++)
    if (clients[i].fd >= 0) {
      close (clients[i].fd);
      clients[i].fd = -1;
    }
  if (att.listen_fd >= 0)
    close (att.listen_fd);
  att.listen_fd = -1;
  state_unlink (att.o->state_dir, "attach.sock");
  if (att.in_fd >= 0)
    close (att.in_fd);
  att.in_fd = -1;
}

/* The descriptors supervise polls besides the signals and the output. */
static size_t
attach_pollfds (struct pollfd *p)
{
  size_t n = 0;
  p[n++] = (struct pollfd){.fd = att.listen_fd, .events = POLLIN};
  p[n++] = (struct pollfd){.fd = att.pending_len ? att.in_fd : -1, .events = POLLOUT};
  for (size_t i = 0; i < SHIM_CLIENTS; i++)
    p[n++] = (struct pollfd){.fd = att.pending_len ? -1 : clients[i].fd, .events = POLLIN};
  return n;
}

static void
attach_events (const struct pollfd *p)
{
  if (p[0].revents)
    accept_client ();
  if (p[1].revents)
    flush_stdin ();
  for (size_t i = 0; i < SHIM_CLIENTS; i++)
    if (p[2 + i].revents && clients[i].fd >= 0 && att.pending_len == 0)
      client_input (&clients[i]);
  flush_stdin ();
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
  attach_output (st == &streams[0] ? SK_ATTACH_STDOUT : SK_ATTACH_STDERR, st->buf + st->len,
                 (size_t) n);
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
  s->oom_killed = sk_shim_oom_exited ();
}

static void drop_setup_pages (void);

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
    else if (sk_shim_health_reaped (p, status))
      drop_setup_pages (); /* what writing the probe's result touched */
  if (s->exited)
    sk_shim_health_end ();
}

/* The shim's work is done: the init exited, the output ended, and a first
 * client expected had its moment. */
static bool
done (const shim *s)
{
  return s->exited && streams[0].fd < 0 && streams[1].fd < 0 && !in_first_moments ();
}

static int
poll_timeout (const shim *s)
{
  int64_t t = INT32_MAX, now = now_ms ();
  if (s->exited && !s->deleted)
    t = s->exited_ms + SHIM_LINGER_MS - now;
  if (in_first_moments () && att.started_ms + SK_ATTACH_WAIT_MS - now < t)
    t = att.started_ms + SK_ATTACH_WAIT_MS - now;
  if (sk_shim_health_deadline () - now < t)
    t = sk_shim_health_deadline () - now;
  return t == INT32_MAX ? -1 : t < 0 ? 0 : (int) t;
}

/* Until the init exited and both pipes reached their end. */
static void
supervise (shim *s)
{
  while (!done (s)) {
    struct pollfd p[3 + 2 + SHIM_CLIENTS + 2] = {{.fd = s->sigfd, .events = POLLIN},
                                                {.fd = streams[0].fd, .events = POLLIN},
                                                {.fd = streams[1].fd, .events = POLLIN}};
    size_t n = 3 + attach_pollfds (p + 3), oom_i = n++;
    p[oom_i] = (struct pollfd){.fd = sk_shim_oom_fd (), .events = POLLIN};
    sk_shim_health_pollfd (&p[n++]);
    int timeout = poll_timeout (s);
    int r = poll (p, n, timeout);
    if (r < 0 && errno != EINTR)
      return;
    sk_shim_health_tick (&p[n - 1]);
    if (r == 0 && s->exited && !s->deleted && now_ms () >= s->exited_ms + SHIM_LINGER_MS) {
      /* something outside the init's pid namespace holds the pipes */
      _cleanup_err_ sk_err *e = NULL;
      sk_container_delete (&s->rt, s->o->id, true, &e);
      s->deleted = true;
      continue;
    }
    if (r <= 0)
      continue;
    for (int i = 0; i < 2; i++)
      if (p[i + 1].revents)
        read_stream (s, &streams[i]);
    if (!s->o->log_none) {
      _cleanup_err_ sk_err *e = NULL;
      sk_jsonlog_flush (&jlog, &e);
    }
    attach_events (p + 3);
    if (p[oom_i].revents)
      sk_shim_oom_handle ();
    if (p[0].revents)
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

/* The container's stdin is /dev/null or a pipe (--stdin), its stdout and
 * stderr our pipes: the runtime hands the caller's fds 0-2 to the
 * container's process. */
static int
stdio_pipes (const sk_shim_opts *o, sk_err **err)
{
  int in[2] = {-1, -1}, out[2], errp[2];
  if (o->open_stdin && pipe2 (in, O_CLOEXEC) < 0)
    return sk_err_set (err, errno, "pipe");
  if (pipe2 (out, O_CLOEXEC) < 0 || pipe2 (errp, O_CLOEXEC) < 0)
    return sk_err_set (err, errno, "pipe");
  streams[0].fd = out[0];
  streams[1].fd = errp[0];
  att.in_fd = in[1];
  int r = 0;
  if ((in[0] >= 0 && dup2 (in[0], 0) < 0) || dup2 (out[1], 1) < 0 || dup2 (errp[1], 2) < 0)
    r = sk_err_set (err, errno, "dup2");
  if (in[0] >= 0)
    close (in[0]);
  close (out[1]);
  close (errp[1]);
  if (r == 0 && att.in_fd >= 0 && fcntl (att.in_fd, F_SETFL, O_NONBLOCK) < 0)
    r = sk_err_set (err, errno, "stdin pipe");
  return r;
}

/* --tty: the runtime sends the terminal's master to a console socket of ours. */
static int
create_with_tty (shim *s, sk_err **err)
{
  _cleanup_close_ int dir = state_dir_open (s->o->state_dir, err);
  char path[64];
  if (dir < 0)
    return -1;
  _cleanup_close_ int lfd = dir_listen (dir, "console.sock", path, err);
  if (lfd < 0)
    return -1;
  sk_create_opts co = {.id = s->o->id, .bundle = s->o->bundle, .console_socket = path};
  int r = sk_container_create (&s->rt, &co, err);
  _cleanup_close_ int cfd = r < 0 ? -1 : accept4 (lfd, NULL, NULL, SOCK_CLOEXEC);
  unlinkat (dir, "console.sock", 0);
  if (r < 0)
    return -1;
  if (cfd < 0)
    return sk_err_set (err, errno, "the runtime sent no terminal");
  char name[256];
  int master = -1;
  if (sk_recv_fd (cfd, name, sizeof name, &master) < 0 || master < 0)
    return sk_err_set (err, errno ? errno : EPROTO, "receive the terminal");
  streams[0].fd = master;
  att.in_fd = fcntl (master, F_DUPFD_CLOEXEC, 3);
  if (att.in_fd < 0 || fcntl (master, F_SETFL, O_NONBLOCK) < 0)
    return sk_err_set (err, errno, "the terminal");
  return 0;
}

static int
create_container (shim *s, sk_err **err)
{
  if (s->o->tty)
    return create_with_tty (s, err);
  int r = stdio_pipes (s->o, err);
  sk_create_opts co = {.id = s->o->id, .bundle = s->o->bundle};
  if (r == 0)
    r = sk_container_create (&s->rt, &co, err);
  /* only the container holds the other ends now: its end is their end */
  _cleanup_err_ sk_err *e = NULL;
  if (stdio_to_devnull (0, &e) < 0 && r == 0) {
    *err = steal_ptr (e);
    r = -1;
  }
  return r;
}

static int
launch (shim *s, sk_err **err)
{
  if (create_container (s, err) < 0)
    return -1;
  att.started_ms = now_ms ();
  if (sk_container_start (&s->rt, s->o->id, err) < 0)
    return -1;
  _cleanup_info_ sk_container_info *info = NULL;
  if (sk_container_state (&s->rt, s->o->id, &info, err) < 0)
    return -1;
  s->pid = info->pid;
  s->started_ms = now_ms ();
  sk_time_rfc3339 (s->started_at, sizeof s->started_at);
  sk_shim_health_begin (s->o, &s->rt);
  return 0;
}

static void
unmount_rootfs (const sk_shim_opts *o)
{
  _cleanup_free_ char *rootfs = sk_path_join (o->bundle, "rootfs");
  _cleanup_free_ char *shm = sk_path_join (o->bundle, "shm"); /* IpcMode shareable */
  /* not a mount point (EINVAL) or not there: nothing to do */
  if (rootfs)
    umount2 (rootfs, MNT_DETACH | UMOUNT_NOFOLLOW);
  if (shm)
    umount2 (shm, MNT_DETACH | UMOUNT_NOFOLLOW);
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
  attach_close ();
  /* last: whoever reads it finds nothing left */
  report (s->o, "err %d %s", sk_shim_failure_code ((*err)->msg), (*err)->msg);
  return -1;
}

/* A run ended: its die event (before exit.json or restart.json: whoever
 * finds the container exited or restarting finds its die; its OOM kills
 * were told as they happened), then the restart policy. True when the
 * container runs again (restart.json tells the engine); false when the
 * shim is done with it. */
static bool
restart (shim *s)
{
  static sk_shim_restart policy;
  int sig, code = exit_code (s, &sig);
  emit (s->o, "die", code);
  int64_t delay;
  if (!sk_shim_restart_decide (s->o, &policy, code, s->exited_ms - s->started_ms, &delay))
    return false;
  unsigned count = s->o->restart_count + policy.count;
  sk_shim_restart_record (s->o, true, count, 0, s->started_at, code, s->finished_at, s->oom_killed);
  _cleanup_err_ sk_err *e = NULL;
  if (!s->deleted)
    sk_container_delete (&s->rt, s->o->id, true, &e);
  sk_err_free (&e);
  /* the back-off may be long: without what the deletion used */
  malloc_trim (0);
  drop_setup_pages ();
  if (sk_shim_restart_wait (s->o, s->sigfd, delay) < 0)
    return false;
  /* the run's stdin (a pipe, or the terminal's master) ended with it */
  if (att.in_fd >= 0)
    close (att.in_fd);
  att.in_fd = -1;
  att.pending_len = att.pending_off = 0;
  att.close_in = false;
  shim again = {.o = s->o, .rt = s->rt, .sigfd = s->sigfd};
  if (launch (&again, &e) < 0) {
    /* as Docker: the container stays stopped with the last run's exit */
    sk_err_free (&e);
    sk_container_delete (&s->rt, s->o->id, true, &e);
    s->deleted = true;
    for (int i = 0; i < 2; i++)
      if (streams[i].fd >= 0) {
        close (streams[i].fd);
        streams[i].fd = -1;
      }
    return false;
  }
  char finished_at[sizeof s->finished_at];
  memcpy (finished_at, s->finished_at, sizeof finished_at);
  *s = again;
  /* stopped while it was being started again: its signal found no process */
  if (sk_shim_stopped_by_user (s->o))
    kill (s->pid, SIGKILL);
  emit (s->o, "start", -1);
  sk_shim_restart_record (s->o, false, count, s->pid, s->started_at, code, finished_at, false);
  /* the new run's cgroup watched afresh */
  sk_shim_oom_start (s->o, &s->rt);
  /* last: what the start and the record touched goes too */
  malloc_trim (0);
  drop_setup_pages ();
  return true;
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

/* docker's --rm: the container removed once it stopped for good, by the
 * engine's own command, in a process of its own (a grandchild, so that
 * this shim's exit is not held up, in a session of its own, with nothing
 * of the container's output or terminal). */
static void
run_remove (const sk_shim_opts *o)
{
  pid_t pid = fork ();
  if (pid != 0) {
    if (pid > 0)
      sk_waitpid (pid, NULL);
    return;
  }
  if (fork () != 0)
    _exit (0);
  setsid ();
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL); /* the shim's were blocked for its signalfd */
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    dup2 (null, 0);
    dup2 (null, 1);
    dup2 (null, 2);
  }
  execv (o->remove_argv[0], o->remove_argv);
  _exit (127);
}

int
sk_shim_run (const sk_shim_opts *o, sk_err **err)
{
  shim s = {.o = o, .rt = {.root = o->runtime_root}, .sigfd = -1};
  sk_log_set_sink (drop_log, NULL); /* the runtime's warnings have no reader here */
  if (write_shim_pid (o, err) < 0 || block_signals (&s, err) < 0 ||
      (!o->log_none && sk_jsonlog_open (&jlog, o->log_path, o->log_max_size, o->log_max_file,
                                        o->log_local, o->log_compress, err) < 0) ||
      attach_listen (o, err) < 0 || launch (&s, err) < 0)
    return fail (&s, err);
  emit (o, "start", -1);
  report (o, "ok %d", (int) s.pid);
  sk_shim_oom_start (o, &s.rt);
  malloc_trim (0);
  drop_setup_pages ();
  for (supervise (&s); restart (&s); supervise (&s))
    ;
  _cleanup_err_ sk_err *e = NULL;
  if (!o->log_none && sk_jsonlog_close (&jlog, &e) < 0)
    sk_err_free (&e);
  if (o->netns) {
    /* stopped for good: its network namespace goes, and its veths with
     * it (before exit.json, after which a new start may make another) */
    umount2 (o->netns, MNT_DETACH | UMOUNT_NOFOLLOW);
    unlink (o->netns);
  }
  int r = write_exit_json (&s, err);
  attach_close ();
  if (!s.deleted && sk_container_delete (&s.rt, o->id, true, &e) < 0 && r == 0) {
    *err = steal_ptr (e);
    r = -1;
  }
  unmount_rootfs (o);
  if (o->remove_argv)
    run_remove (o);
  return r;
}
