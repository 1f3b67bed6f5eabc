/* skiff: the typed messages between the runtime and the container's process. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"
#include "util/socket.h"

int
sk_sync_send (int fd, sk_sync_type type, int32_t value, const char *text, int pass_fd)
{
  sk_sync_msg msg = {.type = type, .value = value};
  size_t len = 0;
  if (text) {
    len = strnlen (text, SK_SYNC_TEXT_MAX - 1);
    memcpy (msg.text, text, len);
  }
  msg.text[len] = '\0';
  return sk_send_fd (fd, &msg, offsetof (sk_sync_msg, text) + len + 1, pass_fd);
}

int
sk_sync_recv (int fd, sk_sync_msg *msg, int *passed_fd)
{
  union {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = {.iov_base = msg, .iov_len = sizeof *msg};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                      .msg_controllen = sizeof ctl.buf};
  if (passed_fd)
    *passed_fd = -1;
  ssize_t n;
  do
    n = recvmsg (fd, &mh, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return errno == ECONNRESET ? 0 : -1;
  if (n == 0)
    return 0;
  if ((size_t) n < offsetof (sk_sync_msg, text) + 1) {
    errno = EPROTO;
    return -1;
  }
  msg->text[SK_SYNC_TEXT_MAX - 1] = '\0';
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&mh); c; c = CMSG_NXTHDR (&mh, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int got;
      memcpy (&got, CMSG_DATA (c), sizeof got);
      if (passed_fd)
        *passed_fd = got;
      else
        close (got);
    }
  }
  return 1;
}

int
sk_sync_expect (int fd, sk_sync_type type, sk_err **err)
{
  sk_sync_msg msg;
  int ret = sk_sync_recv (fd, &msg, NULL);
  if (ret < 0)
    return sk_err_set (err, errno, "sync");
  if (ret == 0)
    return sk_err_set (err, 0, "sync: the other side went away");
  if (msg.type == SK_SYNC_ERROR)
    return sk_err_set (err, 0, "%s", msg.text);
  if (msg.type != type)
    return sk_err_set (err, EPROTO, "sync: got message %u, want %u", msg.type, type);
  return 0;
}
