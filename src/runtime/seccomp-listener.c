/* skiff: handing a seccomp listener fd to the agent at linux.seccomp.listenerPath,
 * with the container process state the runtime spec describes. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"
#include "util/cleanup.h"

static char *
process_state (const sk_spec_seccomp *sc, int pid, const char *state_json)
{
  _cleanup_json_ sk_json *o = json_object_new_object ();
  json_object_object_add (o, "ociVersion", json_object_new_string (SK_OCI_VERSION));
  sk_json *fds = json_object_new_array ();
  json_object_array_add (fds, json_object_new_string ("seccompFd"));
  json_object_object_add (o, "fds", fds);
  json_object_object_add (o, "pid", json_object_new_int (pid));
  json_object_object_add (o, "metadata",
                          json_object_new_string (sc->listener_metadata ? sc->listener_metadata : ""));
  _cleanup_json_ sk_json *state = NULL;
  _cleanup_err_ sk_err *e = NULL;
  if (sk_json_parse (state_json, strlen (state_json), "state", &state, &e) == 0)
    json_object_object_add (o, "state", json_object_get (state));
  return sk_json_dump (o, false);
}

int
sk_seccomp_send_listener (const sk_spec *spec, int fd, const char *state_json, sk_err **err)
{
  const sk_spec_seccomp *sc = spec->linux_.seccomp;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (sc == NULL || sc->listener_path == NULL)
    return sk_err_set (err, 0, "linux.seccomp.listenerPath is required with SCMP_ACT_NOTIFY");
  if (strlen (sc->listener_path) >= sizeof sa.sun_path)
    return sk_err_set (err, ENAMETOOLONG, "linux.seccomp.listenerPath `%s`", sc->listener_path);
  strcpy (sa.sun_path, sc->listener_path);
  _cleanup_close_ int sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0 || connect (sock, (struct sockaddr *) &sa, sizeof sa) < 0)
    return sk_err_set (err, errno, "linux.seccomp.listenerPath `%s`", sc->listener_path);
  sk_json *st = NULL;
  int pid = 0;
  _cleanup_err_ sk_err *e = NULL;
  if (sk_json_parse (state_json, strlen (state_json), "state", &st, &e) == 0) {
    sk_json *p = NULL;
    if (json_object_object_get_ex (st, "pid", &p))
      pid = json_object_get_int (p);
    json_object_put (st);
  }
  _cleanup_free_ char *msg = process_state (sc, pid, state_json);
  union {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } ctl;
  memset (&ctl, 0, sizeof ctl);
  struct iovec iov = {.iov_base = msg, .iov_len = strlen (msg)};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                      .msg_controllen = sizeof ctl.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR (&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof (int));
  if (sendmsg (sock, &mh, MSG_NOSIGNAL) < 0)
    return sk_err_set (err, errno, "send the seccomp listener to `%s`", sc->listener_path);
  return 0;
}
