/* skiff: keeping the runtime's own binary out of reach of its containers
 * (the CVE-2019-5736 class); see selfexe.h.
 *
 * A process that runs the runtime's binary inside a container (its own
 * child before execve, or a container entrypoint of /proc/self/exe) exposes
 * /proc/PID/exe: opened for writing, or kept open and reopened once the
 * binary is no longer running, it would replace the host's runtime. Running
 * from a read-only mount of the binary makes every such write fail with
 * EROFS; running from a sealed memfd makes it fail with EPERM and leaves the
 * host's file out of the picture altogether. */
#include "selfexe.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/memfd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

#define WRITE_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

int
sk_selfexe_is_protected (void)
{
  _cleanup_close_ int fd = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  struct statvfs sv;
  if (fstatvfs (fd, &sv) == 0 && (sv.f_flag & ST_RDONLY))
    return 1;
  int seals = fcntl (fd, F_GET_SEALS);
  return seals >= 0 && (seals & F_SEAL_WRITE) == F_SEAL_WRITE;
}

/* A read-only bind mount of the binary, attached nowhere, executed by fd. */
static int
exec_from_readonly_mount (char **argv, char **envp)
{
  _cleanup_close_ int tree = open_tree (AT_FDCWD, "/proc/self/exe", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0)
    return -1;
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};
  if (mount_setattr (tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
    return -1;
  syscall (SYS_execveat, tree, "", argv, envp, AT_EMPTY_PATH);
  return -1;
}

/* A copy in a memfd sealed against any change, executed by fd. */
static int
exec_from_sealed_copy (char **argv, char **envp)
{
  _cleanup_close_ int src = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (src < 0)
    return -1;
  struct stat st;
  if (fstat (src, &st) < 0)
    return -1;
  _cleanup_close_ int mfd = memfd_create ("skiff-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return -1;
  for (off_t left = st.st_size; left > 0;) {
    ssize_t n = sendfile (mfd, src, NULL, (size_t) left);
    if (n <= 0)
      return -1;
    left -= n;
  }
  if (fcntl (mfd, F_ADD_SEALS, WRITE_SEALS) < 0)
    return -1;
  syscall (SYS_execveat, mfd, "", argv, envp, AT_EMPTY_PATH);
  return -1;
}

int
sk_selfexe_protect (char **argv, char **envp, sk_err **err)
{
  if (sk_selfexe_is_protected ())
    return 0;
  exec_from_readonly_mount (argv, envp);
  exec_from_sealed_copy (argv, envp);
  return sk_err_set (err, errno, "protect the runtime binary (read-only mount or sealed copy)");
}
