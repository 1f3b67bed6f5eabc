/* skiff: OCI hooks. Each runs with the container's state on stdin; its
 * output is kept and shown only when it fails; a timeout kills it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/proc.h"
#include "util/strbuf.h"

static long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__attribute__ ((noreturn)) static void
hook_child (const sk_spec_hook *h, int in, int out)
{
  dup2 (in, 0);
  dup2 (out, 1);
  dup2 (out, 2);
  char *default_args[] = {h->path, NULL};
  char *no_env[] = {NULL};
  execve (h->path, h->args && h->args[0] ? h->args : default_args, h->env ? h->env : no_env);
  dprintf (2, "exec: %s", strerror (errno));
  _exit (127);
}

/* Feeds stdin, collects output, waits (bounded by the timeout). */
static int
supervise (pid_t pid, int in_w, int out_r, const char *state, int timeout, sk_strbuf *output,
           int *status)
{
  _cleanup_close_ int pidfd = sk_pidfd_open (pid);
  size_t off = 0, len = strlen (state);
  long deadline = timeout > 0 ? now_ms () + timeout * 1000L : -1;
  bool exited = false, out_open = true;
  fcntl (in_w, F_SETFL, O_NONBLOCK);
  while (!exited || out_open) {
    struct pollfd p[3] = {{.fd = pidfd, .events = POLLIN},
                          {.fd = out_open ? out_r : -1, .events = POLLIN},
                          {.fd = in_w, .events = POLLOUT}};
    int wait_ms = deadline < 0 ? -1 : (int) (deadline - now_ms ());
    if (deadline >= 0 && wait_ms <= 0)
      return -ETIMEDOUT;
    if (poll (p, in_w >= 0 ? 3 : 2, wait_ms) < 0 && errno != EINTR)
      return -errno;
    if (in_w >= 0 && (p[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = write (in_w, state + off, len - off);
      if (n > 0)
        off += (size_t) n;
      if (n < 0 || off == len) {
        close (in_w);
        in_w = -1;
      }
    }
    if (p[1].revents) {
      char buf[1024];
      ssize_t n = read (out_r, buf, sizeof buf);
      if (n > 0 && output->len < 4096)
        sk_strbuf_add (output, buf, (size_t) n);
      if (n <= 0)
        out_open = false;
    }
    if (!exited && (pidfd < 0 || (p[0].revents & POLLIN))) {
      if (pidfd < 0) {
        sk_waitpid (pid, status);
        exited = true;
      } else if (waitpid (pid, status, WNOHANG) == pid) {
        exited = true;
      }
    }
  }
  if (in_w >= 0)
    close (in_w);
  return 0;
}

static int
run_one (const sk_spec_hook *h, sk_hook_kind kind, const char *state, sk_err **err)
{
  int in[2], out[2];
  if (pipe2 (in, O_CLOEXEC) < 0)
    return sk_err_set (err, errno, "pipe");
  if (pipe2 (out, O_CLOEXEC) < 0) {
    close (in[0]);
    close (in[1]);
    return sk_err_set (err, errno, "pipe");
  }
  pid_t pid = fork ();
  if (pid < 0) {
    int e = errno;
    close (in[0]), close (in[1]), close (out[0]), close (out[1]);
    return sk_err_set (err, e, "fork");
  }
  if (pid == 0)
    hook_child (h, in[0], out[1]);
  close (in[0]);
  close (out[1]);
  sk_strbuf output = SK_STRBUF_INIT;
  int status = 0;
  int r = supervise (pid, in[1], out[0], state, h->timeout, &output, &status);
  close (out[0]);
  if (r == -ETIMEDOUT) {
    kill (pid, SIGKILL);
    sk_waitpid (pid, &status);
    sk_strbuf_release (&output);
    return sk_err_set (err, 0, "%s hook `%s` timed out after %d s", sk_hook_kind_name (kind),
                       h->path, h->timeout);
  }
  int ret = 0;
  if (r < 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0) {
    /* the first line of what it said */
    char *text = output.buf ? output.buf : "";
    text[strcspn (text, "\n")] = '\0';
    if (WIFSIGNALED (status))
      ret = sk_err_set (err, 0, "%s hook `%s` was killed by signal %d%s%s",
                        sk_hook_kind_name (kind), h->path, WTERMSIG (status), *text ? ": " : "",
                        text);
    else
      ret = sk_err_set (err, 0, "%s hook `%s` exited with status %d%s%s", sk_hook_kind_name (kind),
                        h->path, WEXITSTATUS (status), *text ? ": " : "", text);
  }
  sk_strbuf_release (&output);
  return ret;
}

int
sk_hooks_run (const sk_spec_hook *hooks, size_t n, sk_hook_kind kind, const char *state_json,
              sk_err **err)
{
  for (size_t i = 0; i < n; i++)
    if (run_one (&hooks[i], kind, state_json, err) < 0)
      return -1;
  return 0;
}

void
sk_hooks_run_or_warn (const sk_spec *spec, sk_hook_kind kind, const sk_container_info *info,
                      sk_status status)
{
  const sk_spec_hooks *h = &spec->hooks;
  if (h->n[kind] == 0)
    return;
  _cleanup_free_ char *state = sk_state_json_string (info, status);
  _cleanup_err_ sk_err *e = NULL;
  if (sk_hooks_run (h->list[kind], h->n[kind], kind, state, &e) < 0)
    sk_warning ("%s", e->msg);
}
