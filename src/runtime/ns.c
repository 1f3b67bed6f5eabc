/* skiff: user namespace id maps, written by the runtime for the child.
 *
 * Root writes /proc/PID/{uid,gid}_map itself. An unprivileged user may map
 * only its own ids that way (after denying setgroups); anything more, its
 * subordinate ids from /etc/subuid and /etc/subgid, goes through the setuid
 * helpers newuidmap and newgidmap (Debian's uidmap), as crun and runc do. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/strbuf.h"

static const char *
field_name (bool uid)
{
  return uid ? "linux.uidMappings" : "linux.gidMappings";
}

static int
write_map (pid_t pid, bool uid, const sk_spec_idmap *m, size_t n, sk_err **err)
{
  sk_strbuf b = SK_STRBUF_INIT;
  for (size_t i = 0; i < n; i++)
    sk_strbuf_printf (&b, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/%s", pid, uid ? "uid_map" : "gid_map");
  int r = sk_write_file_at (AT_FDCWD, path, b.buf ? b.buf : "", b.len, err);
  sk_strbuf_release (&b);
  return r < 0 ? sk_err_wrap (err, "%s", field_name (uid)) : 0;
}

/* true when the map is the caller's own id alone, which it may write itself */
static bool
own_id_only (const sk_spec_idmap *m, size_t n, unsigned id)
{
  return n == 1 && m[0].host_id == id && m[0].size == 1;
}

/* newuidmap/newgidmap PID (CID HID SIZE)...; what they print on failure is
 * the reason given. */
static int
run_helper (pid_t pid, bool uid, const sk_spec_idmap *m, size_t n, sk_err **err)
{
  const char *helper = uid ? "newuidmap" : "newgidmap";
  _cleanup_strv_ char **argv = calloc (3 * n + 3, sizeof *argv);
  if (argv == NULL)
    return sk_err_set (err, ENOMEM, "%s", helper);
  size_t k = 0;
  argv[k++] = strdup (helper);
  if (asprintf (&argv[k++], "%d", pid) < 0)
    argv[k - 1] = NULL;
  for (size_t i = 0; i < n; i++)
    if (asprintf (&argv[k++], "%u", m[i].container_id) < 0 ||
        asprintf (&argv[k++], "%u", m[i].host_id) < 0 || asprintf (&argv[k++], "%u", m[i].size) < 0)
      return sk_err_set (err, ENOMEM, "%s", helper);
  int out[2];
  if (pipe2 (out, O_CLOEXEC) < 0)
    return sk_err_set (err, errno, "%s: pipe", field_name (uid));
  pid_t child = fork ();
  if (child == 0) {
    dup2 (out[1], 2);
    execvp (helper, argv);
    dprintf (2, "%s: %s\n", helper, strerror (errno));
    _exit (127);
  }
  close (out[1]);
  char said[512] = "";
  ssize_t len = child > 0 ? read (out[0], said, sizeof said - 1) : 0;
  close (out[0]);
  said[len > 0 ? len : 0] = '\0';
  said[strcspn (said, "\n")] = '\0';
  int status = 0;
  if (child < 0)
    return sk_err_set (err, errno, "%s: fork", field_name (uid));
  sk_waitpid (child, &status);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return sk_err_set (err, 0, "%s: %s", field_name (uid),
                       *said ? said : "newuidmap/newgidmap failed (is uidmap installed?)");
  return 0;
}

static int
map_ids (pid_t pid, bool uid, const sk_spec_idmap *m, size_t n, sk_err **err)
{
  if (geteuid () == 0)
    return write_map (pid, uid, m, n, err);
  unsigned own = uid ? geteuid () : getegid ();
  if (!own_id_only (m, n, own))
    return run_helper (pid, uid, m, n, err);
  if (!uid) {
    /* an unprivileged gid_map needs setgroups denied first */
    char path[64];
    snprintf (path, sizeof path, "/proc/%d/setgroups", pid);
    if (sk_write_file_at (AT_FDCWD, path, "deny", 4, err) < 0)
      return sk_err_wrap (err, "%s", field_name (uid));
  }
  return write_map (pid, uid, m, n, err);
}

int
sk_ns_write_id_maps (pid_t pid, const sk_spec_linux *l, sk_err **err)
{
  if (map_ids (pid, true, l->uid_mappings, l->n_uid_mappings, err) < 0)
    return -1;
  return map_ids (pid, false, l->gid_mappings, l->n_gid_mappings, err);
}
