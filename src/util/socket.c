/* skiff: unix sockets and passing descriptors over them; see socket.h. */
#include "socket.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int
sk_unix_connect (const char *path, const char *what, sk_err **err)
{
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen (path) >= sizeof sa.sun_path)
    return sk_err_set (err, ENAMETOOLONG, "%s `%s`", what, path);
  strcpy (sa.sun_path, path);
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return sk_err_set (err, errno, "socket");
  if (connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
    int e = errno;
    close (fd);
    return sk_err_set (err, e, "%s `%s`", what, path);
  }
  return fd;
}

int
sk_send_fd (int sock, const void *data, size_t len, int fd)
{
  union {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } ctl;
  memset (&ctl, 0, sizeof ctl);
  struct iovec iov = {.iov_base = (void *) data, .iov_len = len};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
  if (fd >= 0) {
    mh.msg_control = ctl.buf;
    mh.msg_controllen = sizeof ctl.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR (&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN (sizeof (int));
    memcpy (CMSG_DATA (c), &fd, sizeof (int));
  }
  ssize_t n;
  do
    n = sendmsg (sock, &mh, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n < 0 ? -1 : 0;
}

ssize_t
sk_recv_fd (int sock, void *data, size_t len, int *fd)
{
  union {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = {.iov_base = data, .iov_len = len};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                      .msg_controllen = sizeof ctl.buf};
  *fd = -1;
  ssize_t n;
  do
    n = recvmsg (sock, &mh, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&mh); c; c = CMSG_NXTHDR (&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int got;
      memcpy (&got, CMSG_DATA (c), sizeof got);
      if (*fd >= 0)
        close (got);
      else
        *fd = got;
    }
  return n;
}

int
sk_unix_listen (const char *path, mode_t mode, sk_err **err)
{
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen (path) >= sizeof sa.sun_path)
    return sk_err_set (err, ENAMETOOLONG, "socket `%s`", path);
  strcpy (sa.sun_path, path);
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return sk_err_set (err, errno, "socket");
  unlink (path);
  /* never a moment with wider permissions */
  mode_t old = umask (~mode & 0777);
  int r = bind (fd, (struct sockaddr *) &sa, sizeof sa);
  int e = errno;
  umask (old);
  if (r == 0 && (r = chmod (path, mode)) < 0)
    e = errno;
  if (r == 0 && (r = listen (fd, 16)) < 0)
    e = errno;
  if (r < 0) {
    close (fd);
    return sk_err_set (err, e, "listen on `%s`", path);
  }
  return fd;
}

int
sk_write_all (int fd, const void *data, size_t len)
{
  const char *p = data;
  while (len > 0) {
    ssize_t n = write (fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    p += n;
    len -= (size_t) n;
  }
  return 0;
}
