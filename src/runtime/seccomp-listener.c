/* skiff: handing a seccomp listener fd to the agent at linux.seccomp.listenerPath,
 * with the container process state the runtime spec describes. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "util/cleanup.h"
#include "util/socket.h"

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
  if (sc == NULL || sc->listener_path == NULL)
    return sk_err_set (err, 0, "linux.seccomp.listenerPath is required with SCMP_ACT_NOTIFY");
  _cleanup_close_ int sock = sk_unix_connect (sc->listener_path, "linux.seccomp.listenerPath", err);
  if (sock < 0)
    return -1;
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
  if (sk_send_fd (sock, msg, strlen (msg), fd) < 0)
    return sk_err_set (err, errno, "send the seccomp listener to `%s`", sc->listener_path);
  return 0;
}
