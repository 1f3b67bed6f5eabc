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
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "internal.h"
#include "util/cleanup.h"
#include "util/socket.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO ('T', 0x41)
#endif

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
    /* the pty's name comes with it, as runc's console socket protocol has it */
    if (sk_send_fd (l->console_fd, name, strlen (name), master) < 0)
      return sk_err_set (err, errno, "send the terminal to the console socket");
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
