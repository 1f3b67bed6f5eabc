/* skiff: a foreground container process (run and exec without --detach):
 * signals to the runtime are passed on to it, its terminal is proxied to
 * ours, and its exit status becomes ours. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "internal.h"
#include "util/cleanup.h"
#include "util/proc.h"

static const int forwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
                                SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH, SIGPIPE};

static void
copy_winsize (int from, int to)
{
  struct winsize ws;
  if (ioctl (from, TIOCGWINSZ, &ws) == 0)
    ioctl (to, TIOCSWINSZ, &ws);
}

/* Moves what is readable from `from` to `to`; false on EOF or error. */
static bool
pump (int from, int to)
{
  char buf[8192];
  ssize_t n = read (from, buf, sizeof buf);
  if (n <= 0)
    return n < 0 && (errno == EAGAIN || errno == EINTR);
  for (ssize_t off = 0; off < n;) {
    ssize_t w = write (to, buf + off, (size_t) (n - off));
    if (w < 0) {
      if (errno == EINTR || errno == EAGAIN)
        continue;
      return false;
    }
    off += w;
  }
  return true;
}

int
sk_run_foreground (pid_t pid, int pty_master, int *exit_code, sk_err **err)
{
  sigset_t set, old;
  sigemptyset (&set);
  sigaddset (&set, SIGCHLD);
  for (size_t i = 0; i < SK_N_ELEMENTS (forwarded); i++)
    sigaddset (&set, forwarded[i]);
  sigprocmask (SIG_BLOCK, &set, &old);
  _cleanup_close_ int sfd = signalfd (-1, &set, SFD_CLOEXEC);
  if (sfd < 0) {
    sigprocmask (SIG_SETMASK, &old, NULL);
    return sk_err_set (err, errno, "signalfd");
  }
  struct termios saved;
  bool raw = false;
  if (pty_master >= 0 && isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &saved) == 0) {
    struct termios t = saved;
    cfmakeraw (&t);
    raw = tcsetattr (STDIN_FILENO, TCSANOW, &t) == 0;
    copy_winsize (STDIN_FILENO, pty_master);
  }
  bool in_open = pty_master >= 0, out_open = pty_master >= 0, exited = false;
  int status = 0;
  /* it may have exited before SIGCHLD was blocked */
  if (waitpid (pid, &status, WNOHANG) == pid)
    exited = true;
  while (!exited || out_open) {
    struct pollfd p[3] = {{.fd = sfd, .events = POLLIN},
                          {.fd = out_open ? pty_master : -1, .events = POLLIN},
                          {.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN}};
    /* once the process is gone, only drain what the terminal still holds */
    if (poll (p, 3, exited ? 100 : -1) <= 0) {
      if (exited)
        break;
      continue;
    }
    if (p[1].revents && !pump (pty_master, STDOUT_FILENO))
      out_open = false;
    if (p[2].revents && !pump (STDIN_FILENO, pty_master))
      in_open = false;
    if (p[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (read (sfd, &si, sizeof si) != sizeof si)
        continue;
      if (si.ssi_signo == SIGCHLD) {
        pid_t r;
        while ((r = waitpid (-1, &status, WNOHANG)) > 0)
          if (r == pid)
            exited = true;
      } else if (si.ssi_signo == SIGWINCH && pty_master >= 0) {
        copy_winsize (STDIN_FILENO, pty_master);
      } else if (si.ssi_signo != SIGWINCH) {
        kill (pid, (int) si.ssi_signo);
      }
    }
  }
  if (raw)
    tcsetattr (STDIN_FILENO, TCSANOW, &saved);
  sigprocmask (SIG_SETMASK, &old, NULL);
  *exit_code = sk_exit_code (status);
  return 0;
}
