/* skiff: the container's terminal.
 *
 * The pty is made inside the container (its own devpts instance), the peer
 * is opened from the master with TIOCGPTPEER so no path is trusted, and the
 * master goes to whoever asked: the --console-socket, or the runtime itself
 * when it proxies a foreground terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "internal.h"
#include "util/cleanup.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO ('T', 0x41)
#endif

/* Sends the master with its pty name, as runc's console socket protocol does. */
static int
send_to_console_socket (int sock, int master, const char *name, sk_err **err)
{
  union {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } ctl;
  memset (&ctl, 0, sizeof ctl);
  struct iovec iov = {.iov_base = (void *) name, .iov_len = strlen (name)};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                      .msg_controllen = sizeof ctl.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR (&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &master, sizeof (int));
  if (sendmsg (sock, &mh, MSG_NOSIGNAL) < 0)
    return sk_err_set (err, errno, "send the terminal to the console socket");
  return 0;
}

int
sk_console_setup (sk_launch *l, sk_err **err)
{
  _cleanup_close_ int master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return sk_err_set (err, errno, "open /dev/ptmx in the container");
  if (unlockpt (master) < 0)
    return sk_err_set (err, errno, "unlockpt");
  _cleanup_close_ int peer = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (peer < 0)
    return sk_err_set (err, errno, "open the terminal's peer");
  struct stat st;
  if (fstat (peer, &st) < 0 || !S_ISCHR (st.st_mode) || major (st.st_rdev) < 136 ||
      major (st.st_rdev) > 143)
    return sk_err_set (err, 0, "the terminal's peer is not a pty");
  char name[64] = "";
  if (ptsname_r (master, name, sizeof name) != 0)
    snprintf (name, sizeof name, "/dev/pts/%u", minor (st.st_rdev));
  if (l->process->console_size_set) {
    struct winsize ws = {.ws_row = (unsigned short) l->process->console_height,
                         .ws_col = (unsigned short) l->process->console_width};
    if (ioctl (peer, TIOCSWINSZ, &ws) < 0)
      return sk_err_set (err, errno, "set the terminal size");
  }
  if (l->console_fd >= 0) {
    if (send_to_console_socket (l->console_fd, master, name, err) < 0)
      return -1;
    close (l->console_fd);
    l->console_fd = -1;
  } else if (sk_sync_send (l->sync_fd, SK_SYNC_PTY, 0, name, master) < 0) {
    return sk_err_set (err, errno, "send the terminal to the runtime");
  }
  if (setsid () < 0)
    return sk_err_set (err, errno, "setsid");
  if (ioctl (peer, TIOCSCTTY, 0) < 0)
    return sk_err_set (err, errno, "make the terminal controlling");
  for (int fd = 0; fd < 3; fd++)
    if (dup2 (peer, fd) < 0)
      return sk_err_set (err, errno, "dup the terminal to fd %d", fd);
  return 0;
}
