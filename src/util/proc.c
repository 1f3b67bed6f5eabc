/* skiff: processes, signals, pidfds and times; see proc.h. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"

int
sk_proc_stat (pid_t pid, uint64_t *start_time, char *state)
{
  char path[64], buf[1024];
  snprintf (path, sizeof path, "/proc/%d/stat", pid);
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  /* the command name may hold spaces and parentheses: skip to the last ')' */
  char *p = strrchr (buf, ')');
  if (p == NULL || p[1] == '\0')
    return -1;
  p += 2;
  if (state)
    *state = *p;
  /* p is at field 3; field 22 is 19 fields further */
  for (int field = 3; field < 22; field++) {
    p = strchr (p, ' ');
    if (p == NULL)
      return -1;
    p++;
  }
  if (start_time)
    *start_time = strtoull (p, NULL, 10);
  return 0;
}

bool
sk_proc_is_same (pid_t pid, uint64_t start_time)
{
  uint64_t st = 0;
  char state = 0;
  if (pid <= 0 || sk_proc_stat (pid, &st, &state) < 0)
    return false;
  return st == start_time && state != 'Z' && state != 'X';
}

static const struct {
  const char *name;
  int sig;
} signals[] = {
    {"HUP", SIGHUP},     {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"ILL", SIGILL},
    {"TRAP", SIGTRAP},   {"ABRT", SIGABRT},     {"IOT", SIGIOT},     {"BUS", SIGBUS},
    {"FPE", SIGFPE},     {"KILL", SIGKILL},     {"USR1", SIGUSR1},   {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},   {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},   {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CONT", SIGCONT},   {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},   {"URG", SIGURG},
    {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH}, {"IO", SIGIO},         {"POLL", SIGPOLL},   {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

int
sk_signal_parse (const char *name)
{
  if (name == NULL || *name == '\0')
    return -1;
  char *end;
  long n = strtol (name, &end, 10);
  if (*end == '\0')
    return (n > 0 && n < NSIG) ? (int) n : -1;
  if (strncasecmp (name, "SIG", 3) == 0)
    name += 3;
  for (size_t i = 0; i < SK_N_ELEMENTS (signals); i++)
    if (strcasecmp (signals[i].name, name) == 0)
      return signals[i].sig;
  if (strncasecmp (name, "RTMIN", 5) == 0 || strncasecmp (name, "RTMAX", 5) == 0) {
    bool min = strncasecmp (name, "RTMIN", 5) == 0;
    const char *rest = name + 5;
    long off = 0;
    if (*rest) {
      off = strtol (rest, &end, 10);
      if (*end != '\0')
        return -1;
    }
    long sig = (min ? SIGRTMIN : SIGRTMAX) + off;
    return (sig >= SIGRTMIN && sig <= SIGRTMAX) ? (int) sig : -1;
  }
  return -1;
}

const char *
sk_signal_name (int sig)
{
  for (size_t i = 0; i < SK_N_ELEMENTS (signals); i++)
    if (signals[i].sig == sig)
      return signals[i].name;
  return NULL;
}

int
sk_pidfd_open (pid_t pid)
{
  return (int) syscall (SYS_pidfd_open, pid, 0);
}

int
sk_pidfd_send_signal (int pidfd, int sig)
{
  return (int) syscall (SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

int
sk_pidfd_open_checked (pid_t pid, uint64_t start_time, sk_err **err)
{
  int fd = sk_pidfd_open (pid);
  if (fd < 0)
    return sk_err_set (err, errno, "open process %d", pid);
  /* the pidfd pins the process: checking after opening closes the reuse race */
  if (!sk_proc_is_same (pid, start_time)) {
    close (fd);
    return sk_err_set (err, ESRCH, "process %d", pid);
  }
  return fd;
}

int
sk_waitpid (pid_t pid, int *status)
{
  pid_t r;
  do
    r = waitpid (pid, status, 0);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -1 : 0;
}

int
sk_exit_code (int status)
{
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return 255;
}

int64_t
sk_now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
sk_time_rfc3339 (char *buf, size_t size)
{
  struct timespec ts;
  struct tm tm;
  char stamp[32];
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf, size, "%s.%09ldZ", stamp, ts.tv_nsec);
}

int
sk_write_pid_file (const char *path, pid_t pid, sk_err **err)
{
  char buf[32];
  int n = snprintf (buf, sizeof buf, "%d", pid);
  if (sk_write_file_replace (path, buf, (size_t) n, 0644, err) < 0)
    return sk_err_wrap (err, "pid file");
  return 0;
}
