/* skiff: watching a cgroup for OOM kills as they happen (cgroup.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "util/cleanup.h"

static const sk_cg_dir *
memory_dir (const sk_cgroup *cg)
{
  return cg && cg->by_ctrl[SK_CG_MEMORY] >= 0 ? &cg->dirs[cg->by_ctrl[SK_CG_MEMORY]] : NULL;
}

/* v1: an eventfd the kernel signals on each OOM of the cgroup. */
static int
watch_v1 (const sk_cg_dir *d, sk_err **err)
{
  _cleanup_close_ int control = sk_cg_open_file (d, "memory.oom_control", O_RDONLY);
  if (control < 0)
    return sk_err_set (err, errno, "open `%s/memory.oom_control`", d->path);
  int efd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (efd < 0)
    return sk_err_set (err, errno, "eventfd");
  char line[32];
  snprintf (line, sizeof line, "%d %d", efd, control);
  /* the kernel holds the eventfd from here on; memory.oom_control may close */
  if (sk_cg_write (d, "cgroup.event_control", line, err) < 0) {
    close (efd);
    return -1;
  }
  return efd;
}

/* v2: inotify on memory.events, which the kernel marks modified as its
 * counters rise. */
static int
watch_v2 (const sk_cg_dir *d, sk_err **err)
{
  int fd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
  if (fd < 0)
    return sk_err_set (err, errno, "inotify_init1");
  _cleanup_free_ char *path = NULL;
  if (asprintf (&path, "%s/memory.events", d->path) < 0) {
    close (fd);
    return sk_err_set (err, ENOMEM, "memory.events");
  }
  if (inotify_add_watch (fd, path, IN_MODIFY) < 0) {
    int r = sk_err_set (err, errno, "watch `%s`", path);
    close (fd);
    return r;
  }
  return fd;
}

int
sk_cgroup_oom_watch (const sk_cgroup *cg, sk_err **err)
{
  const sk_cg_dir *d = memory_dir (cg);
  if (d == NULL)
    return sk_cg_error (err, ENOTSUP, "cgroup `%s`: no memory controller is available",
                        sk_cgroup_path (cg));
  return d->v2 ? watch_v2 (d, err) : watch_v1 (d, err);
}

void
sk_cgroup_oom_drain (int fd)
{
  /* an eventfd gives 8 bytes a read, inotify whole events */
  char buf[1024] __attribute__ ((aligned (8)));
  for (int i = 0; i < 64 && read (fd, buf, sizeof buf) > 0; i++)
    ;
}

int
sk_cgroup_memory_stat (const sk_cgroup *cg, char **text, sk_err **err)
{
  const sk_cg_dir *d = memory_dir (cg);
  if (d == NULL)
    return sk_cg_error (err, ENOTSUP, "cgroup `%s`: no memory controller is available",
                        sk_cgroup_path (cg));
  return sk_cg_read_all (d, "memory.stat", text, err);
}

const char *
sk_cgroup_memory_path (const sk_cgroup *cg)
{
  return memory_dir (cg) ? cg->path : NULL;
}
