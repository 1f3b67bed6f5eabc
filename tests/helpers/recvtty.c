/* recvtty: a console socket for the tests. Listens on a unix socket, takes
 * the pty master a runtime sends (SCM_RIGHTS), types the given input into it,
 * and copies what the container writes to stdout until the container closes
 * its side. Also prints the pty name the runtime sent.
 *   recvtty SOCKET [INPUT]
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int
receive_fd (int conn, char *name, size_t size)
{
  union {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = {.iov_base = name, .iov_len = size - 1};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                      .msg_controllen = sizeof ctl.buf};
  ssize_t n = recvmsg (conn, &mh, 0);
  if (n < 0)
    return -1;
  name[n] = '\0';
  struct cmsghdr *c = CMSG_FIRSTHDR (&mh);
  if (c == NULL || c->cmsg_type != SCM_RIGHTS)
    return -1;
  int fd;
  memcpy (&fd, CMSG_DATA (c), sizeof fd);
  return fd;
}

int
main (int argc, char **argv)
{
  if (argc < 2) {
    fprintf (stderr, "usage: recvtty SOCKET [INPUT]\n");
    return 2;
  }
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf (sa.sun_path, sizeof sa.sun_path, "%s", argv[1]);
  int s = socket (AF_UNIX, SOCK_STREAM, 0);
  unlink (argv[1]);
  if (s < 0 || bind (s, (struct sockaddr *) &sa, sizeof sa) < 0 || listen (s, 1) < 0) {
    perror ("recvtty: listen");
    return 1;
  }
  int conn = accept (s, NULL, NULL);
  if (conn < 0) {
    perror ("recvtty: accept");
    return 1;
  }
  char name[256];
  int master = receive_fd (conn, name, sizeof name);
  if (master < 0) {
    fprintf (stderr, "recvtty: no fd received\n");
    return 1;
  }
  printf ("pty: %s\n", name);
  fflush (stdout);
  if (argc > 2) {
    const char *in = argv[2];
    if (write (master, in, strlen (in)) < 0)
      perror ("recvtty: write");
  }
  for (;;) {
    struct pollfd p = {.fd = master, .events = POLLIN};
    int r = poll (&p, 1, 20000);
    if (r <= 0)
      break;
    char buf[4096];
    ssize_t n = read (master, buf, sizeof buf);
    if (n <= 0)
      break; /* EIO: the container's side is closed */
    fwrite (buf, 1, (size_t) n, stdout);
    fflush (stdout);
  }
  unlink (argv[1]);
  return 0;
}
