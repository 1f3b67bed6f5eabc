/* seccomp-agent: a seccomp notification agent for the tests. Listens on a unix
 * socket, takes the listener fd and the container process state the runtime
 * sends (the state is written to STATE_FILE), then answers every notified
 * system call with the errno given (so a test sees the agent at work), until
 * the container's processes are gone.
 *   seccomp-agent SOCKET STATE_FILE ERRNO
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  if (argc != 4) {
    fprintf (stderr, "usage: seccomp-agent SOCKET STATE_FILE ERRNO\n");
    return 2;
  }
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf (sa.sun_path, sizeof sa.sun_path, "%s", argv[1]);
  unlink (argv[1]);
  int s = socket (AF_UNIX, SOCK_STREAM, 0);
  if (s < 0 || bind (s, (struct sockaddr *) &sa, sizeof sa) < 0 || listen (s, 1) < 0) {
    perror ("seccomp-agent: listen");
    return 1;
  }
  int conn = accept (s, NULL, NULL);
  char state[16384];
  union {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = {.iov_base = state, .iov_len = sizeof state - 1};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                      .msg_controllen = sizeof ctl.buf};
  ssize_t n = recvmsg (conn, &mh, 0);
  struct cmsghdr *c = CMSG_FIRSTHDR (&mh);
  if (n <= 0 || c == NULL || c->cmsg_type != SCM_RIGHTS) {
    fprintf (stderr, "seccomp-agent: no fd received\n");
    return 1;
  }
  state[n] = '\0';
  int fd;
  memcpy (&fd, CMSG_DATA (c), sizeof fd);
  FILE *f = fopen (argv[2], "w");
  if (f) {
    fputs (state, f);
    fclose (f);
  }
  int answer = atoi (argv[3]);
  struct seccomp_notif_sizes sizes;
  if (syscall (__NR_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0) {
    perror ("seccomp-agent: sizes");
    return 1;
  }
  struct seccomp_notif *req = calloc (1, sizes.seccomp_notif);
  struct seccomp_notif_resp *resp = calloc (1, sizes.seccomp_notif_resp);
  for (;;) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll (&p, 1, 20000) <= 0 || (p.revents & POLLHUP))
      break;
    memset (req, 0, sizes.seccomp_notif);
    if (ioctl (fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
      if (errno == EINTR || errno == ENOENT)
        continue;
      break;
    }
    memset (resp, 0, sizes.seccomp_notif_resp);
    resp->id = req->id;
    resp->error = -answer;
    ioctl (fd, SECCOMP_IOCTL_NOTIF_SEND, resp);
  }
  free (req);
  free (resp);
  unlink (argv[1]);
  return 0;
}
