/* skiff: the shim's healthcheck (see shim-int.h). Each probe is a child of
 * the shim that runs the test in the container as `exec` does (the runtime
 * library's exec, which waits for it); the shim reads its output from a
 * pipe, kills it at the timeout, and keeps Docker's state. */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/events.h"
#include "engine/jsonlog.h"
#include "engine/shim-int.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/proc.h"

#define HEALTH_LOG    5    /* Docker's maxLogEntries */
#define HEALTH_OUTPUT 4096 /* Docker's maxOutputLen */

enum { STARTING, HEALTHY, UNHEALTHY };
static const char *const status_names[] = {"starting", "healthy", "unhealthy"};

typedef struct health_entry {
  char start[SK_JSONLOG_TIME_SIZE], end[SK_JSONLOG_TIME_SIZE];
  int code;
  size_t len;
  char out[HEALTH_OUTPUT];
} health_entry;

static struct {
  const sk_shim_opts *o;
  sk_runtime rt; /* a copy: the caller's may not outlive the run */
  bool on;
  int64_t started_ms, next_ms;
  pid_t probe;
  int out_fd;
  int64_t deadline_ms;
  bool timed_out;
  health_entry cur;
  int status;
  unsigned streak;
  size_t n, first; /* the ring of the last entries */
  health_entry log[HEALTH_LOG];
} h = {.out_fd = -1};

static int64_t
mono_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Docker's defaults: 30 s interval and timeout, 3 retries, 5 s start interval */
static int64_t
interval_ms (void)
{
  int64_t interval = h.o->health_interval_ms > 0 ? h.o->health_interval_ms : 30000;
  int64_t start_interval = h.o->health_start_interval_ms > 0 ? h.o->health_start_interval_ms : 5000;
  /* the start interval only in the start period, before the first success */
  if (mono_ms () - h.started_ms < h.o->health_start_period_ms && h.status == STARTING &&
      h.o->health_start_interval_ms > 0)
    return start_interval;
  return interval;
}

static int64_t
timeout_ms (void)
{
  return h.o->health_timeout_ms > 0 ? h.o->health_timeout_ms : 30000;
}

static unsigned
retries (void)
{
  return h.o->health_retries > 0 ? h.o->health_retries : 3;
}

/* ---- health.json ---- */

static void
put_escaped (FILE *f, const char *s, size_t len)
{
  char buf[6 * 256];
  while (len > 0) {
    size_t n = len > 256 ? 256 : len;
    fwrite (buf, 1, sk_jsonlog_escape (s, n, buf), f);
    s += n;
    len -= n;
  }
}

static void
write_health (void)
{
  _cleanup_free_ char *path = sk_path_join (h.o->state_dir, "health.json");
  _cleanup_free_ char *tmp = sk_path_join (h.o->state_dir, ".health.json.tmp");
  if (path == NULL || tmp == NULL)
    return;
  int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    return;
  FILE *f = fdopen (fd, "w");
  if (f == NULL) {
    close (fd);
    return;
  }
  fprintf (f, "{\"Status\":\"%s\",\"FailingStreak\":%u,\"Log\":[", status_names[h.status],
           h.streak);
  for (size_t i = 0; i < h.n; i++) {
    const health_entry *e = &h.log[(h.first + i) % HEALTH_LOG];
    fprintf (f, "%s{\"Start\":\"%s\",\"End\":\"%s\",\"ExitCode\":%d,\"Output\":\"", i ? "," : "",
             e->start, e->end, e->code);
    put_escaped (f, e->out, e->len);
    fputs ("\"}", f);
  }
  fputs ("]}\n", f);
  bool ok = fflush (f) == 0 && !ferror (f);
  fclose (f);
  if (!ok || rename (tmp, path) < 0)
    unlink (tmp);
}

static void
emit_status (void)
{
  if (h.o->events_path == NULL)
    return;
  char action[64];
  snprintf (action, sizeof action, "health_status: %s", status_names[h.status]);
  sk_event_attr attrs[] = {{"image", h.o->image}, {"name", h.o->name}};
  _cleanup_err_ sk_err *e = NULL;
  sk_event_append (h.o->events_path, "container", action, h.o->id, attrs, 2, &e);
}

/* ---- probes ---- */

/* Go's time.Duration text of whole milliseconds ("1s", "1m30s", "500ms"). */
static void
go_duration (int64_t ms, char *buf, size_t size)
{
  if (ms < 1000) {
    snprintf (buf, size, "%" PRId64 "ms", ms);
    return;
  }
  int64_t hrs = ms / 3600000, min = ms / 60000 % 60, sec = ms / 1000 % 60, frac = ms % 1000;
  char s[32];
  if (frac) {
    snprintf (s, sizeof s, "%" PRId64 ".%03" PRId64, sec, frac);
    size_t l = strlen (s);
    while (s[l - 1] == '0')
      s[--l] = '\0';
  } else
    snprintf (s, sizeof s, "%" PRId64, sec);
  if (hrs)
    snprintf (buf, size, "%" PRId64 "h%" PRId64 "m%ss", hrs, min, s);
  else if (min)
    snprintf (buf, size, "%" PRId64 "m%ss", min, s);
  else
    snprintf (buf, size, "%ss", s);
}

static char *
probe_pid_path (void)
{
  return sk_path_join (h.o->state_dir, "health.pid");
}

/* The probe's child: runs the test in the container, exits with its code. */
static void __attribute__ ((noreturn)) probe_child (int out)
{
  int null = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null < 0 || dup2 (null, 0) < 0 || dup2 (out, 1) < 0 || dup2 (out, 2) < 0)
    _exit (125);
  sk_spec *spec = NULL;
  sk_err *err = NULL;
  int code = 0;
  _cleanup_free_ char *pid_path = probe_pid_path ();
  if (sk_container_load_spec (&h.rt, h.o->id, &spec, &err) == 0 && spec->process == NULL)
    sk_err_set (&err, 0, "the container has no process");
  if (err == NULL) {
    spec->process->args = h.o->health_argv; /* this process ends here: nothing freed */
    spec->process->terminal = false;
    sk_exec_opts x = {.id = h.o->id, .process = spec->process, .pid_file = pid_path};
    if (sk_container_exec (&h.rt, &x, &code, &err) == 0)
      _exit (code & 0xff);
  }
  dprintf (1, "%s\n", err && err->msg ? err->msg : "the probe could not run");
  _exit (err && strstr (err->msg ? err->msg : "", "not found") ? 127 : 126);
}

static void
probe_start (void)
{
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return;
  _cleanup_free_ char *pid_path = probe_pid_path ();
  if (pid_path)
    unlink (pid_path);
  sk_jsonlog_time (h.cur.start);
  h.cur.len = 0;
  h.timed_out = false;
  pid_t pid = fork ();
  if (pid == 0) {
    close (p[0]);
    probe_child (p[1]);
  }
  close (p[1]);
  if (pid < 0) {
    close (p[0]);
    h.next_ms = mono_ms () + interval_ms ();
    return;
  }
  fcntl (p[0], F_SETFL, O_NONBLOCK);
  h.probe = pid;
  h.out_fd = p[0];
  h.deadline_ms = mono_ms () + timeout_ms ();
}

static void
read_output (void)
{
  char drop[1024];
  for (;;) {
    bool room = h.cur.len < HEALTH_OUTPUT;
    ssize_t n = room ? read (h.out_fd, h.cur.out + h.cur.len, HEALTH_OUTPUT - h.cur.len)
                     : read (h.out_fd, drop, sizeof drop);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return;
    if (n <= 0) {
      close (h.out_fd);
      h.out_fd = -1;
      return;
    }
    if (room)
      h.cur.len += (size_t) n;
  }
}

/* Kills the probe's process in the container and the probe itself. */
static void
probe_kill (void)
{
  _cleanup_free_ char *pid_path = probe_pid_path ();
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  _cleanup_err_ sk_err *e = NULL;
  if (pid_path && sk_read_file (pid_path, &text, &len, &e) == 0 && atoi (text) > 0)
    kill ((pid_t) atoi (text), SIGKILL); /* the probe's child, not reaped before it is */
  if (h.probe > 0)
    kill (h.probe, SIGKILL);
}

/* Docker's handleProbeResult. */
static void
probe_result (int code)
{
  if (h.out_fd >= 0) {
    read_output ();
    if (h.out_fd >= 0)
      close (h.out_fd);
    h.out_fd = -1;
  }
  sk_jsonlog_time (h.cur.end);
  h.cur.code = code;
  if (h.timed_out) {
    char d[32];
    go_duration (timeout_ms (), d, sizeof d);
    h.cur.code = -1;
    h.cur.len =
        (size_t) snprintf (h.cur.out, sizeof h.cur.out, "Health check exceeded timeout (%s)", d);
  }
  int old = h.status;
  if (h.cur.code == 0) {
    h.streak = 0;
    h.status = HEALTHY;
  } else if (h.status != STARTING || mono_ms () - h.started_ms >= h.o->health_start_period_ms) {
    /* failures in the start period do not count before a first success */
    h.streak++;
    if (h.streak >= retries ())
      h.status = UNHEALTHY;
  }
  if (h.n == HEALTH_LOG) {
    h.log[h.first] = h.cur;
    h.first = (h.first + 1) % HEALTH_LOG;
  } else
    h.log[(h.first + h.n++) % HEALTH_LOG] = h.cur;
  write_health ();
  if (h.status != old)
    emit_status ();
  h.probe = 0;
  h.next_ms = mono_ms () + interval_ms ();
}

/* ---- the hooks ---- */

void
sk_shim_health_begin (const sk_shim_opts *o, const sk_runtime *rt)
{
  h.o = o;
  h.rt = *rt;
  h.on = o->health_argv != NULL && o->health_argv[0] != NULL;
  if (!h.on)
    return;
  h.started_ms = mono_ms ();
  h.status = STARTING;
  h.streak = 0;
  h.next_ms = h.started_ms + interval_ms ();
  write_health ();
}

void
sk_shim_health_end (void)
{
  if (!h.on)
    return;
  h.on = false;
  if (h.probe > 0) {
    probe_kill ();
    waitpid (h.probe, NULL, 0);
    h.probe = 0;
  }
  if (h.out_fd >= 0)
    close (h.out_fd);
  h.out_fd = -1;
  /* Docker's monitor, stopped, leaves the status unhealthy (no event) */
  h.status = UNHEALTHY;
  write_health ();
}

int64_t
sk_shim_health_deadline (void)
{
  if (!h.on)
    return INT64_MAX;
  return h.probe > 0 ? (h.timed_out ? INT64_MAX : h.deadline_ms) : h.next_ms;
}

void
sk_shim_health_pollfd (struct pollfd *p)
{
  *p = (struct pollfd){.fd = h.on ? h.out_fd : -1, .events = POLLIN};
}

void
sk_shim_health_tick (const struct pollfd *p)
{
  if (!h.on)
    return;
  if (p->revents && h.out_fd >= 0)
    read_output ();
  int64_t now = mono_ms ();
  if (h.probe > 0 && !h.timed_out && now >= h.deadline_ms) {
    h.timed_out = true;
    probe_kill ();
  } else if (h.probe == 0 && now >= h.next_ms)
    probe_start ();
}

bool
sk_shim_health_reaped (pid_t pid, int status)
{
  if (pid != h.probe || pid <= 0)
    return false;
  if (h.on)
    probe_result (sk_exit_code (status));
  else
    h.probe = 0;
  return true;
}
