/* skiff: the shim's restart policy (see shim-int.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/shim-int.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* Docker's restart manager */
#define RESTART_FIRST_MS 100
#define RESTART_MAX_MS   (60 * 1000)
#define RESTART_RESET_MS (10 * 1000)

bool
sk_shim_restart_decide (const sk_shim_opts *o, sk_shim_restart *r, int code, int64_t ran_ms,
                        int64_t *delay_ms)
{
  const char *p = o->restart;
  unsigned max = o->restart_max;
  /* `update --restart` of the running container: its policy from now on */
  char updated[48];
  _cleanup_free_ char *path = sk_path_join (o->state_dir, "restart-policy");
  _cleanup_close_ int fd = path ? open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
  ssize_t n = fd >= 0 ? read (fd, updated, sizeof updated - 1) : -1;
  if (n > 0) {
    updated[n] = '\0';
    updated[strcspn (updated, "\n")] = '\0';
    char *colon = strchr (updated, ':');
    max = colon ? (unsigned) strtoul (colon + 1, NULL, 10) : 0;
    if (colon)
      *colon = '\0';
    p = updated;
  }
  if (p == NULL || *p == '\0' || strcmp (p, "no") == 0)
    return false;
  if (ran_ms >= RESTART_RESET_MS)
    r->timeout_ms = 0;
  if (r->timeout_ms == 0)
    r->timeout_ms = RESTART_FIRST_MS;
  else if (r->timeout_ms < RESTART_MAX_MS)
    r->timeout_ms *= 2;
  if (r->timeout_ms > RESTART_MAX_MS)
    r->timeout_ms = RESTART_MAX_MS;
  /* a container stopped by a user is not started again, whatever the policy
   * (Docker's ExitOnNext) */
  bool restart = false;
  if (sk_shim_stopped_by_user (o))
    restart = false;
  else if (strcmp (p, "always") == 0 || strcmp (p, "unless-stopped") == 0)
    restart = true;
  else if (strcmp (p, "on-failure") == 0)
    restart = code != 0 && (max == 0 || r->count < max);
  if (!restart)
    return false;
  r->count++;
  *delay_ms = r->timeout_ms;
  return true;
}

bool
sk_shim_stopped_by_user (const sk_shim_opts *o)
{
  _cleanup_free_ char *path = sk_path_join (o->state_dir, "stopped");
  return path && access (path, F_OK) == 0;
}

void
sk_shim_restart_record (const sk_shim_opts *o, bool restarting, unsigned count, pid_t pid,
                        const char *started_at, int code, const char *finished_at, bool oom)
{
  char doc[512];
  int n = snprintf (doc, sizeof doc,
                    "{\"restarting\":%s,\"restart_count\":%u,\"pid\":%d,\"started_at\":\"%s\","
                    "\"exit_code\":%d,\"finished_at\":\"%s\",\"oom_killed\":%s}\n",
                    restarting ? "true" : "false", count, (int) pid, started_at, code, finished_at,
                    oom ? "true" : "false");
  _cleanup_free_ char *path = sk_path_join (o->state_dir, "restart.json");
  _cleanup_err_ sk_err *e = NULL;
  if (path && n > 0 && (size_t) n < sizeof doc)
    sk_write_file_atomic (path, doc, (size_t) n, 0644, &e);
}

static int64_t
mono_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
sk_shim_restart_wait (const sk_shim_opts *o, int sigfd, int64_t delay_ms)
{
  int64_t end = mono_ms () + delay_ms;
  for (;;) {
    if (sk_shim_stopped_by_user (o))
      return -1;
    int64_t left = end - mono_ms ();
    if (left <= 0)
      return 0;
    struct pollfd p = {.fd = sigfd, .events = POLLIN};
    if (poll (&p, 1, (int) left) <= 0)
      continue;
    struct signalfd_siginfo si;
    while (read (sigfd, &si, sizeof si) == sizeof si)
      if (si.ssi_signo == SIGTERM)
        return -1;
    /* orphans of the run that ended */
    while (waitpid (-1, NULL, WNOHANG) > 0)
      ;
  }
}
