/* skiff: the shim's OOM report (see shim-oom.h). */
#include "engine/shim-oom.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "engine/events.h"
#include "runtime/cgroup.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* after a v1 notification, how often and how long the kill is looked for */
#define OOM_RETRY_MS 20
#define OOM_RETRIES  50
/* kernel records read for one check at most */
#define KMSG_BOUND 4096

/* the breakdown: memory.stat's v2 names, then v1's hierarchical ones */
static const char *const mem_keys[][3] = {
    {"Anon", "anon", "total_rss"},
    {"File", "file", "total_cache"},
    {"ActiveAnon", "active_anon", "total_active_anon"},
    {"InactiveAnon", "inactive_anon", "total_inactive_anon"},
    {"ActiveFile", "active_file", "total_active_file"},
    {"InactiveFile", "inactive_file", "total_inactive_file"},
};
#define N_MEM SK_N_ELEMENTS (mem_keys)

typedef struct victim {
  pid_t pid;
  char task[64];
  int64_t at_ns; /* realtime; 0: unknown */
} victim;

static struct {
  const sk_shim_opts *o;
  const sk_runtime *rt;
  sk_cgroup *cg;
  int epfd, watch, timer;
  int kmsg;
  uint64_t reported; /* kills counted when we last looked */
  uint64_t kills;    /* reported in this run */
  uint64_t v2_ooms;  /* v2: memory.events "oom" when we last looked */
  int retries;
  bool have_mem;
  uint64_t mem[N_MEM]; /* the last snapshot */
  int64_t mem_ns;      /* when it was taken (realtime) */
} oom = {.epfd = -1, .watch = -1, .timer = -1, .kmsg = -1};

static int64_t
realtime_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
format_time (int64_t ns, char *buf, size_t size)
{
  time_t secs = (time_t) (ns / 1000000000);
  struct tm tm;
  char stamp[32];
  gmtime_r (&secs, &tm);
  strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf, size, "%s.%09ldZ", stamp, (long) (ns % 1000000000));
}

/* "key value" of a memory.stat text */
static bool
stat_u64 (const char *text, const char *key, uint64_t *v)
{
  size_t len = strlen (key);
  for (const char *p = text; p && *p;) {
    if (strncmp (p, key, len) == 0 && p[len] == ' ') {
      *v = strtoull (p + len + 1, NULL, 10);
      return true;
    }
    p = strchr (p, '\n');
    p = p ? p + 1 : NULL;
  }
  return false;
}

/* memory.stat now, kept for the report of the next kill. */
static void
snapshot (void)
{
  _cleanup_free_ char *text = NULL;
  _cleanup_err_ sk_err *e = NULL;
  if (sk_cgroup_memory_stat (oom.cg, &text, &e) < 0)
    return;
  bool v2 = stat_u64 (text, "anon", &oom.mem[0]);
  for (size_t i = 0; i < N_MEM; i++)
    if (!stat_u64 (text, mem_keys[i][v2 ? 1 : 2], &oom.mem[i]))
      oom.mem[i] = 0;
  oom.have_mem = true;
  oom.mem_ns = realtime_ns ();
}

/* ---- the kernel's report ---- */

/* The last occurrence of needle in [s, end). */
static const char *
last_in (const char *s, const char *end, const char *needle)
{
  const char *found = NULL;
  for (const char *p = strstr (s, needle); p && p < end; p = strstr (p + 1, needle))
    found = p;
  return found;
}

/* Copies [from, to) into buf, cut to its size. */
static void
copy_span (const char *from, const char *to, char *buf, size_t size)
{
  size_t n = (size_t) (to - from);
  if (n >= size)
    n = size - 1;
  memcpy (buf, from, n);
  buf[n] = '\0';
}

/* Whether the kernel's memcg path names the container's cgroup (or one
 * below it): the path seen from the hierarchy's root ends with ours. */
static bool
memcg_matches (const char *memcg, const char *ours)
{
  size_t lo = strlen (ours);
  if (lo == 0)
    return false;
  for (const char *p = strstr (memcg, ours); p; p = strstr (p + 1, ours))
    if (p[lo] == '\0' || p[lo] == '/')
      return true;
  return false;
}

bool
sk_shim_oom_record (const char *rec, const char *memcg, pid_t *pid, char *task, size_t task_size,
                    uint64_t *usec)
{
  unsigned prio;
  unsigned long long seq, us;
  const char *msg = strchr (rec, ';');
  /* the facility is the priority's upper bits: 0 only for the kernel */
  if (msg == NULL || sscanf (rec, "%u,%llu,%llu", &prio, &seq, &us) != 3 || prio >> 3 != 0)
    return false;
  msg++;
  if (strncmp (msg, "oom-kill:", 9) != 0)
    return false;
  /* "...,task_memcg=PATH,task=NAME,pid=N,uid=N": names may hold commas (a
   * task names itself), so the pid is the last one, the path ends at the
   * first ",task=" after it and the name runs to the pid */
  const char *eol = msg + strcspn (msg, "\n");
  const char *p_pid = last_in (msg, eol, ",pid=");
  const char *p_memcg = strstr (msg, ",task_memcg=");
  if (p_pid == NULL || p_memcg == NULL || p_memcg > p_pid)
    return false;
  p_memcg += 12;
  const char *p_task = strstr (p_memcg, ",task=");
  if (p_task == NULL || p_task > p_pid)
    return false;
  char path[4096];
  copy_span (p_memcg, p_task, path, sizeof path);
  if (!memcg_matches (path, memcg))
    return false;
  char *end;
  long v = strtol (p_pid + 5, &end, 10);
  if (end == p_pid + 5 || (*end != ',' && end != eol) || v <= 0)
    return false;
  copy_span (p_task + 6, p_pid, task, task_size);
  *pid = (pid_t) v;
  *usec = us;
  return true;
}

/* Reads the kernel records written since the last look (at most
 * KMSG_BOUND, never blocking) and keeps the last `max` oom-kill victims of
 * our cgroup. */
static size_t
kmsg_victims (victim *out, size_t max)
{
  static char rec[8192];
  size_t n = 0;
  const char *ours = sk_cgroup_memory_path (oom.cg);
  if (oom.kmsg < 0 || ours == NULL)
    return 0;
  struct timespec mono;
  clock_gettime (CLOCK_MONOTONIC, &mono);
  int64_t boot_ns = realtime_ns () - ((int64_t) mono.tv_sec * 1000000000 + mono.tv_nsec);
  for (int i = 0; i < KMSG_BOUND; i++) {
    ssize_t r = read (oom.kmsg, rec, sizeof rec - 1);
    if (r < 0 && errno == EPIPE)
      continue; /* overwritten meanwhile: on with the next */
    if (r <= 0)
      break;
    rec[r] = '\0';
    victim v = {0};
    uint64_t usec;
    if (!sk_shim_oom_record (rec, ours, &v.pid, v.task, sizeof v.task, &usec))
      continue;
    v.at_ns = boot_ns + (int64_t) usec * 1000;
    if (n < max)
      out[n++] = v;
    else { /* keep the latest */
      memmove (out, out + 1, (max - 1) * sizeof *out);
      out[max - 1] = v;
    }
  }
  return n;
}

/* The victim's command line while /proc still has it (and it is the same
 * task), else the kernel's task name. */
static void
command_of (const victim *v, char *buf, size_t size)
{
  snprintf (buf, size, "%s", v->task);
  if (v->pid <= 0)
    return;
  char path[64], comm[64] = "";
  snprintf (path, sizeof path, "/proc/%d/comm", (int) v->pid);
  _cleanup_close_ int cf = open (path, O_RDONLY | O_CLOEXEC);
  ssize_t n = cf >= 0 ? read (cf, comm, sizeof comm - 1) : -1;
  if (n <= 0)
    return;
  comm[n] = '\0';
  comm[strcspn (comm, "\n")] = '\0';
  if (strcmp (comm, v->task) != 0)
    return;
  snprintf (path, sizeof path, "/proc/%d/cmdline", (int) v->pid);
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
  char line[4096];
  n = fd >= 0 ? read (fd, line, sizeof line - 1) : -1;
  if (n <= 0)
    return; /* gone, or its memory already freed */
  while (n > 0 && line[n - 1] == '\0')
    n--;
  for (ssize_t i = 0; i < n; i++)
    if (line[i] == '\0')
      line[i] = ' ';
  line[n] = '\0';
  snprintf (buf, size, "%s", line);
}

static void
write_report (const victim *v)
{
  char at[48], command[4096];
  format_time (v->at_ns ? v->at_ns : oom.mem_ns ? oom.mem_ns : realtime_ns (), at, sizeof at);
  command_of (v, command, sizeof command);
  _cleanup_json_ sk_json *doc = json_object_new_object ();
  json_object_object_add (doc, "Count", json_object_new_uint64 (oom.kills));
  json_object_object_add (doc, "Pid", json_object_new_int (v->pid));
  json_object_object_add (doc, "Command", json_object_new_string (command));
  json_object_object_add (doc, "At", json_object_new_string (at));
  sk_json *mem = json_object_new_object ();
  for (size_t i = 0; oom.have_mem && i < N_MEM; i++)
    json_object_object_add (mem, mem_keys[i][0], json_object_new_uint64 (oom.mem[i]));
  json_object_object_add (doc, "Memory", mem);
  const char *text = json_object_to_json_string_ext (doc, JSON_C_TO_STRING_PLAIN);
  _cleanup_free_ char *path = sk_path_join (oom.o->state_dir, "oom.json");
  _cleanup_err_ sk_err *e = NULL;
  if (path && text)
    sk_write_file_atomic (path, text, strlen (text), 0644, &e);
}

static void
emit_oom (void)
{
  const sk_shim_opts *o = oom.o;
  if (o->events_path == NULL)
    return;
  sk_event_attr attrs[] = {{"image", o->image}, {"name", o->name}};
  _cleanup_err_ sk_err *e = NULL;
  sk_event_append (o->events_path, "container", "oom", o->id, attrs, 2, &e);
}

static void
arm (int ms)
{
  struct itimerspec t = {.it_value = {ms / 1000, (long) (ms % 1000) * 1000000}};
  if (oom.timer >= 0)
    timerfd_settime (oom.timer, 0, &t, NULL);
}

/* Reports the kills counted since the last look; whether there were any. */
static bool
check (void)
{
  uint64_t count;
  _cleanup_err_ sk_err *e = NULL;
  if (oom.cg == NULL || sk_cgroup_oom_kills (oom.cg, &count, &e) < 0 || count <= oom.reported)
    return false;
  uint64_t fresh = count - oom.reported;
  oom.reported = count;
  if (!oom.have_mem)
    snapshot ();
  victim found[8];
  size_t n = kmsg_victims (found, SK_N_ELEMENTS (found));
  for (uint64_t k = 0; k < fresh; k++) {
    oom.kills++;
    /* the last kills are those whose records are the last ones found */
    size_t skip = fresh > n ? (size_t) (fresh - n) : 0;
    victim none = {0};
    const victim *v = k >= skip && k - skip < n ? &found[k - skip] : &none;
    write_report (v);
    emit_oom ();
  }
  oom.have_mem = false;
  oom.retries = 0;
  arm (0);
  return true;
}

/* What an earlier start of this shim watched (a container started again). */
static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

static void
stop_watching (void)
{
  close_fd (&oom.epfd);
  close_fd (&oom.watch);
  close_fd (&oom.timer);
  close_fd (&oom.kmsg);
  sk_cgroup_free (oom.cg);
  oom.cg = NULL;
  oom.reported = oom.kills = oom.v2_ooms = 0;
  oom.retries = 0;
  oom.have_mem = false;
}

void
sk_shim_oom_start (const sk_shim_opts *o, const sk_runtime *rt)
{
  stop_watching ();
  oom.o = o;
  oom.rt = rt;
  _cleanup_free_ char *stale = sk_path_join (o->state_dir, "oom.json");
  if (stale)
    unlink (stale);
  _cleanup_info_ sk_container_info *info = NULL;
  _cleanup_err_ sk_err *e = NULL;
  if (sk_container_state (rt, o->id, &info, &e) < 0 || info->cgroup_path == NULL ||
      *info->cgroup_path == '\0' || sk_cgroup_open (info->cgroup_path, &oom.cg, &e) < 0)
    return;
  /* the cgroup is this run's own: every kill it counts is of this run */
  oom.reported = 0;
  /* from the end: only what the kernel reports from now on */
  oom.kmsg = open ("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (oom.kmsg >= 0)
    lseek (oom.kmsg, 0, SEEK_END);
  oom.watch = sk_cgroup_oom_watch (oom.cg, &e);
  oom.timer = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  oom.epfd = epoll_create1 (EPOLL_CLOEXEC);
  struct epoll_event w = {.events = EPOLLIN, .data.fd = oom.watch};
  struct epoll_event t = {.events = EPOLLIN, .data.fd = oom.timer};
  if (oom.watch < 0 || oom.timer < 0 || oom.epfd < 0 ||
      epoll_ctl (oom.epfd, EPOLL_CTL_ADD, oom.watch, &w) < 0 ||
      epoll_ctl (oom.epfd, EPOLL_CTL_ADD, oom.timer, &t) < 0) {
    /* no watch: the kills are counted at the end */
    close_fd (&oom.epfd);
    close_fd (&oom.watch);
    close_fd (&oom.timer);
  }
}

int
sk_shim_oom_fd (void)
{
  return oom.epfd;
}

/* v2: memory.events' "oom" count rose (an OOM is under way). */
static bool
v2_oom_rose (void)
{
  const sk_cgroup_hierarchy *h;
  size_t n = sk_cgroup_hierarchies (oom.cg, &h);
  for (size_t i = 0; i < n; i++) {
    if (!h[i].v2 || strstr (h[i].controllers, "memory") == NULL)
      continue;
    char path[4096], buf[512];
    snprintf (path, sizeof path, "%s/memory.events", h[i].dir);
    _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
    ssize_t r = fd >= 0 ? read (fd, buf, sizeof buf - 1) : -1;
    if (r <= 0)
      return false;
    buf[r] = '\0';
    uint64_t v;
    const char *p = strstr (buf, "\noom ");
    if (strncmp (buf, "oom ", 4) == 0)
      p = buf - 1;
    if (p == NULL)
      return false;
    v = strtoull (p + 5, NULL, 10);
    bool rose = v > oom.v2_ooms;
    oom.v2_ooms = v;
    return rose;
  }
  return true; /* v1: every notification is an OOM */
}

void
sk_shim_oom_handle (void)
{
  struct epoll_event ev[2];
  int n = epoll_wait (oom.epfd, ev, 2, 0);
  bool notified = false, timer = false;
  for (int i = 0; i < n; i++) {
    if (ev[i].data.fd == oom.watch) {
      sk_cgroup_oom_drain (oom.watch);
      notified = true;
    } else {
      uint64_t ticks;
      if (read (oom.timer, &ticks, sizeof ticks) < 0)
        ticks = 0;
      timer = true;
    }
  }
  if (notified && v2_oom_rose ()) {
    /* before the kill frees the victim's memory (v1 tells before it) */
    snapshot ();
    if (!check ()) {
      oom.retries = OOM_RETRIES;
      arm (OOM_RETRY_MS);
    }
    return;
  }
  if ((notified || timer) && !check () && timer && oom.retries > 0 && --oom.retries > 0)
    arm (OOM_RETRY_MS);
}

bool
sk_shim_oom_exited (void)
{
  if (oom.cg == NULL && oom.rt) {
    /* not watched: only the count */
    uint64_t kills = 0;
    _cleanup_err_ sk_err *e = NULL;
    if (sk_container_oom_kills (oom.rt, oom.o->id, &kills, &e) == 0)
      return kills > 0;
    return false;
  }
  check ();
  return oom.kills > 0;
}
