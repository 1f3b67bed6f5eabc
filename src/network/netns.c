/* skiff: network namespaces bound on files (see netns.h). */
#include "network/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

void
sk_netns_remove (const char *path)
{
  umount2 (path, MNT_DETACH | UMOUNT_NOFOLLOW);
  unlink (path);
}

int
sk_netns_create (const char *path, sk_err **err)
{
  sk_netns_remove (path);
  int fd = open (path, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
  if (fd < 0)
    return sk_err_set (err, errno, "create `%s`", path);
  close (fd);
  int saved = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (saved < 0) {
    int e = errno;
    unlink (path);
    return sk_err_set (err, e, "open /proc/self/ns/net");
  }
  int ret = 0;
  if (unshare (CLONE_NEWNET) < 0)
    ret = sk_err_set (err, errno, "make a network namespace");
  else {
    if (mount ("/proc/self/ns/net", path, NULL, MS_BIND, NULL) < 0)
      ret = sk_err_set (err, errno, "bind the network namespace on `%s`", path);
    /* back: should this fail, this process is of no more use */
    if (setns (saved, CLONE_NEWNET) < 0)
      ret = sk_err_set (err, errno, "return to the host's network namespace");
  }
  close (saved);
  if (ret < 0)
    sk_netns_remove (path);
  return ret;
}

int
sk_netns_enter (const char *path, int *saved, sk_err **err)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return sk_err_set (err, errno, "open the network namespace `%s`", path);
  *saved = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (*saved < 0 || setns (fd, CLONE_NEWNET) < 0) {
    int e = errno;
    close (fd);
    if (*saved >= 0)
      close (*saved);
    return sk_err_set (err, e, "enter the network namespace `%s`", path);
  }
  close (fd);
  return 0;
}

int
sk_netns_leave (int saved, sk_err **err)
{
  int r = setns (saved, CLONE_NEWNET);
  int e = errno;
  close (saved);
  if (r < 0)
    return sk_err_set (err, e, "return to the host's network namespace");
  return 0;
}
