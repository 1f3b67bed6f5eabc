/* skiff: user namespace id maps, written by the runtime for the child. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "util/fs.h"
#include "util/strbuf.h"

static int
write_map (pid_t pid, const char *file, const sk_spec_idmap *m, size_t n, sk_err **err)
{
  sk_strbuf b = SK_STRBUF_INIT;
  for (size_t i = 0; i < n; i++)
    sk_strbuf_printf (&b, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/%s", pid, file);
  int r = sk_write_file_at (AT_FDCWD, path, b.buf ? b.buf : "", b.len, err);
  sk_strbuf_release (&b);
  if (r < 0)
    return sk_err_wrap (err, "linux.%s", strcmp (file, "uid_map") == 0 ? "uidMappings" : "gidMappings");
  return 0;
}

int
sk_ns_write_id_maps (pid_t pid, const sk_spec_linux *l, sk_err **err)
{
  if (write_map (pid, "uid_map", l->uid_mappings, l->n_uid_mappings, err) < 0)
    return -1;
  return write_map (pid, "gid_map", l->gid_mappings, l->n_gid_mappings, err);
}
