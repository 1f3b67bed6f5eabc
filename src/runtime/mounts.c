/* skiff: the container's root filesystem.
 *
 * Every mount target is resolved inside the rootfs (sk_mkdir_in_root) and
 * mounted onto the resolved fd, never onto a path: a symlink in the image, or
 * one swapped in while we work, cannot send a mount to the host. Bind mounts
 * use the new mount API (open_tree, mount_setattr, move_mount) so that their
 * flags are set before they are attached. A tmpfs with runc's "tmpcopyup"
 * starts with a copy of the directory it covers. After pivot_root, masked paths get
 * a verified /dev/null or an empty read-only tmpfs, and read-only paths a
 * read-only bind of themselves.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

#define TRY(x)                                                                                     \
  do {                                                                                             \
    if ((x) < 0)                                                                                   \
      return -1;                                                                                   \
  } while (0)

static uint64_t
ms_to_attr (unsigned long ms)
{
  uint64_t a = 0;
  if (ms & MS_RDONLY)
    a |= MOUNT_ATTR_RDONLY;
  if (ms & MS_NOSUID)
    a |= MOUNT_ATTR_NOSUID;
  if (ms & MS_NODEV)
    a |= MOUNT_ATTR_NODEV;
  if (ms & MS_NOEXEC)
    a |= MOUNT_ATTR_NOEXEC;
  if (ms & MS_NODIRATIME)
    a |= MOUNT_ATTR_NODIRATIME;
  if (ms & MS_NOATIME)
    a |= MOUNT_ATTR_NOATIME;
  else if (ms & MS_STRICTATIME)
    a |= MOUNT_ATTR_STRICTATIME;
  return a;
}

/* Attaches a detached tree (from open_tree or fsmount) onto the target fd. */
static int
attach (int tree, int target, const char *dest, sk_err **err)
{
  if (move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return sk_err_set (err, errno, "mount on `%s`", dest);
  return 0;
}

static int
set_attrs (int tree, uint64_t set, uint64_t clr, uint64_t propagation, bool recursive,
           const char *dest, sk_err **err)
{
  if (set == 0 && clr == 0 && propagation == 0)
    return 0;
  if ((set | clr) & (MOUNT_ATTR_NOATIME | MOUNT_ATTR_STRICTATIME))
    clr |= MOUNT_ATTR__ATIME;
  struct mount_attr attr = {.attr_set = set, .attr_clr = clr, .propagation = propagation};
  unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
  if (mount_setattr (tree, "", flags, &attr, sizeof attr) < 0)
    return sk_err_set (err, errno, "set the flags of mount `%s`", dest);
  return 0;
}

/* The fd of the mount target: a directory, or a file when the source is one. */
static int
open_target (int rootfd, const char *dest, bool is_dir, sk_err **err)
{
  if (is_dir)
    return sk_mkdir_in_root (rootfd, dest, 0755, err);
  _cleanup_free_ char *copy = strdup (dest);
  _cleanup_free_ char *copy2 = strdup (dest);
  if (copy == NULL || copy2 == NULL)
    return sk_err_set (err, ENOMEM, "mount `%s`", dest);
  _cleanup_close_ int parent = sk_mkdir_in_root (rootfd, dirname (copy), 0755, err);
  if (parent < 0)
    return -1;
  const char *name = basename (copy2);
  int fd = openat (parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) {
    struct stat st;
    if (fstat (fd, &st) == 0 && S_ISLNK (st.st_mode)) {
      /* a symlink: resolved inside the root; when what it names is missing
       * there (a link to "/etc/shadow" of an image that has none), that
       * file is made, inside the root, as runc does */
      close (fd);
      _cleanup_err_ sk_err *e = NULL;
      int target = sk_open_in_root (rootfd, dest, O_PATH, 0, &e);
      if (target >= 0 || e->errnum != ENOENT) {
        if (target < 0)
          *err = steal_ptr (e);
        return target;
      }
      _cleanup_close_ int file = sk_open_in_root (rootfd, dest, O_CREAT | O_WRONLY | O_NOCTTY, 0644, err);
      if (file < 0)
        return -1;
      return sk_open_in_root (rootfd, dest, O_PATH, 0, err);
    }
    return fd;
  }
  _cleanup_close_ int made = openat (parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (made < 0 && errno != EEXIST)
    return sk_err_set (err, errno, "create mount point `%s`", dest);
  return sk_open_in_root (rootfd, dest, O_PATH, 0, err);
}

static char *
bind_source (const sk_launch *l, const char *src)
{
  if (src[0] == '/')
    return strdup (src);
  return sk_path_join (l->bundle, src);
}

static int
mount_bind (sk_launch *l, int rootfd, const sk_spec_mount *m, sk_err **err)
{
  _cleanup_free_ char *src = bind_source (l, m->source);
  if (src == NULL)
    return sk_err_set (err, ENOMEM, "mount `%s`", m->destination);
  bool rec = (m->flags & MS_REC) != 0;
  _cleanup_close_ int tree = open_tree (AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (rec ? AT_RECURSIVE : 0));
  if (tree < 0)
    return sk_err_set (err, errno, "mount `%s`: bind source `%s`", m->destination, src);
  struct stat st;
  if (fstat (tree, &st) < 0)
    return sk_err_set (err, errno, "stat `%s`", src);
  /* plain flags apply to the top mount only, as with mount(8); "rro" and friends to all */
  TRY (set_attrs (tree, ms_to_attr (m->flags), ms_to_attr (m->cleared), m->propagation & ~MS_REC,
                  false, m->destination, err));
  TRY (set_attrs (tree, m->attr_set, m->attr_clr, 0, true, m->destination, err));
  if (m->propagation & MS_REC)
    TRY (set_attrs (tree, 0, 0, m->propagation & ~MS_REC, true, m->destination, err));
  _cleanup_close_ int target = open_target (rootfd, m->destination, S_ISDIR (st.st_mode), err);
  if (target < 0)
    return -1;
  return attach (tree, target, m->destination, err);
}

/* A fresh mount of a filesystem (proc, tmpfs, sysfs, devpts, mqueue...) on the target fd. */
static int
mount_fs_at (int target, const char *source, const char *type, unsigned long flags,
             const char *data, const char *dest, sk_err **err)
{
  char path[64];
  sk_fd_path (target, path, sizeof path);
  if (mount (source ? source : type, path, type, flags, data) < 0)
    return sk_err_set (err, errno, "mount %s on `%s`", type, dest);
  return 0;
}

/* Reopens the target after something was mounted on it (the old fd is below the mount). */
static int
set_propagation (int rootfd, const char *dest, unsigned long propagation, sk_err **err)
{
  if (propagation == 0)
    return 0;
  _cleanup_close_ int fd = sk_open_in_root (rootfd, dest, O_PATH, 0, err);
  if (fd < 0)
    return -1;
  char path[64];
  if (mount (NULL, sk_fd_path (fd, path, sizeof path), NULL, propagation, NULL) < 0)
    return sk_err_set (err, errno, "set the propagation of `%s`", dest);
  return 0;
}

/* sysfs and mqueue cannot be mounted without their namespaces: bind the host's instead. */
static int
mount_host_instead (int target, const char *host, bool ro, const char *dest, sk_err **err)
{
  _cleanup_close_ int tree = open_tree (AT_FDCWD, host, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (tree < 0)
    return sk_err_set (err, errno, "mount `%s`: bind `%s`", dest, host);
  TRY (set_attrs (tree, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | (ro ? MOUNT_ATTR_RDONLY : 0), 0, 0, true, dest, err));
  return attach (tree, target, dest, err);
}

static int mount_cgroup (sk_launch *l, int rootfd, const sk_spec_mount *m, sk_err **err);

/* Fills the tmpfs just mounted on dest with what the directory below holds. */
static int
copy_up (int rootfd, int below, const char *dest, sk_err **err)
{
  _cleanup_close_ int above = sk_open_in_root (rootfd, dest, O_RDONLY | O_DIRECTORY, 0, err);
  if (above < 0)
    return -1;
  if (sk_copy_tree_at (below, above, err) < 0)
    return sk_err_wrap (err, "mount `%s`: tmpcopyup", dest);
  return 0;
}

static int
mount_fs (sk_launch *l, int rootfd, const sk_spec_mount *m, sk_err **err)
{
  const char *type = m->type;
  if (strcmp (type, "cgroup") == 0 || strcmp (type, "cgroup2") == 0)
    return mount_cgroup (l, rootfd, m, err);
  _cleanup_close_ int target = sk_mkdir_in_root (rootfd, m->destination, 0755, err);
  if (target < 0)
    return -1;
  unsigned long flags = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
  const sk_spec_linux *lin = &l->spec->linux_;
  /* tmpcopyup: the directory below, open before the tmpfs hides it */
  _cleanup_close_ int below = -1;
  if (m->tmpcopyup && strcmp (type, "tmpfs") == 0 &&
      (below = openat (target, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    return sk_err_set (err, errno, "mount `%s`: open the directory below", m->destination);
  sk_err *e = NULL;
  if (mount_fs_at (target, m->source, type, flags, m->data, m->destination, &e) < 0) {
    bool ro = (flags & MS_RDONLY) != 0;
    if (e->errnum == EPERM && strcmp (type, "sysfs") == 0 && !lin->namespaces[SK_NS_NETWORK].present) {
      sk_err_free (&e);
      TRY (mount_host_instead (target, "/sys", ro, m->destination, err));
    } else if (e->errnum == EPERM && strcmp (type, "mqueue") == 0) {
      sk_err_free (&e);
      TRY (mount_host_instead (target, "/dev/mqueue", ro, m->destination, err));
    } else {
      *err = e;
      return -1;
    }
  }
  if (below >= 0 && copy_up (rootfd, below, m->destination, err) < 0)
    return -1;
  return set_propagation (rootfd, m->destination, m->propagation, err);
}

/* ---- /sys/fs/cgroup inside the container ---- */

static int
bind_cgroup_dir (int target, const char *host_dir, bool ro, const char *dest, sk_err **err)
{
  _cleanup_close_ int tree = open_tree (AT_FDCWD, host_dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0)
    return sk_err_set (err, errno, "mount `%s`: bind `%s`", dest, host_dir);
  TRY (set_attrs (tree, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | (ro ? MOUNT_ATTR_RDONLY : 0), 0, 0, false, dest, err));
  return attach (tree, target, dest, err);
}

static int
mount_cgroup (sk_launch *l, int rootfd, const sk_spec_mount *m, sk_err **err)
{
  /* the container's cgroup must exist, and we be in it, before it is shown */
  if (l->join_cgroup && l->join_cgroup (l, err) < 0)
    return -1;
  bool ro = (m->flags & MS_RDONLY) != 0;
  const sk_spec_linux *lin = &l->spec->linux_;
  bool cgroupns = lin->namespaces[SK_NS_CGROUP].present;
  const sk_cgroup_hierarchy *h = NULL;
  size_t n = l->cgroup ? sk_cgroup_hierarchies (l->cgroup, &h) : 0;
  _cleanup_close_ int target = sk_mkdir_in_root (rootfd, m->destination, 0755, err);
  if (target < 0)
    return -1;
  if (n == 1 && h[0].v2) {
    /* pure v2: a fresh cgroup2 mount shows the namespace's root; without a
     * cgroup namespace bind the container's own directory instead */
    if (cgroupns)
      return mount_fs_at (target, "cgroup2", "cgroup2", (m->flags & ~(MS_BIND | MS_REC)) | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, m->destination, err);
    return bind_cgroup_dir (target, h[0].dir, ro, m->destination, err);
  }
  /* v1 and hybrid: a tmpfs with one directory per hierarchy */
  TRY (mount_fs_at (target, "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755", m->destination, err));
  _cleanup_close_ int top = sk_open_in_root (rootfd, m->destination, O_PATH | O_DIRECTORY, 0, err);
  if (top < 0)
    return -1;
  for (size_t i = 0; i < n; i++) {
    const char *name = strrchr (h[i].mountpoint, '/');
    name = name ? name + 1 : h[i].mountpoint;
    if (!sk_is_safe_component (name))
      continue;
    if (mkdirat (top, name, 0755) < 0 && errno != EEXIST)
      return sk_err_set (err, errno, "mount `%s`: mkdir `%s`", m->destination, name);
    _cleanup_close_ int sub = openat (top, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0)
      return sk_err_set (err, errno, "mount `%s`: open `%s`", m->destination, name);
    TRY (bind_cgroup_dir (sub, h[i].dir, ro, m->destination, err));
    /* "cpu,cpuacct" is also reachable as "cpu" and "cpuacct" */
    if (strchr (name, ',')) {
      _cleanup_free_ char *list = strdup (name);
      char *save = NULL;
      for (char *c = strtok_r (list, ",", &save); c; c = strtok_r (NULL, ",", &save))
        if (sk_is_safe_component (c) && symlinkat (name, top, c) < 0 && errno != EEXIST)
          return sk_err_set (err, errno, "mount `%s`: symlink `%s`", m->destination, c);
    }
  }
  if (ro) {
    _cleanup_close_ int again = sk_open_in_root (rootfd, m->destination, O_PATH | O_DIRECTORY, 0, err);
    if (again < 0)
      return -1;
    TRY (set_attrs (again, MOUNT_ATTR_RDONLY, 0, 0, false, m->destination, err));
  }
  return 0;
}

/* ---- the whole rootfs ---- */

static bool
is_cgroup_mount (const sk_spec_mount *m)
{
  return !m->bind && (strcmp (m->type, "cgroup") == 0 || strcmp (m->type, "cgroup2") == 0);
}

/* true when a mount after i lands below mount i's destination */
static bool
covered_later (const sk_spec *s, size_t i)
{
  size_t len = strlen (s->mounts[i].destination);
  for (size_t j = i + 1; j < s->n_mounts; j++)
    if (strncmp (s->mounts[j].destination, s->mounts[i].destination, len) == 0)
      return true;
  return false;
}

int
sk_rootfs_setup (sk_launch *l, int *rootfd_out, sk_err **err)
{
  const sk_spec_linux *lin = &l->spec->linux_;
  unsigned long prop = lin->rootfs_propagation;
  /* our mounts must never reach the host: slave (or private) everything first */
  unsigned long first = (prop & MS_PRIVATE) ? MS_PRIVATE : MS_SLAVE;
  if (mount (NULL, "/", NULL, MS_REC | first, NULL) < 0)
    return sk_err_set (err, errno, "make the mounts of the container private");
  if (mount (l->rootfs, l->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return sk_err_set (err, errno, "bind mount the rootfs `%s`", l->rootfs);
  int rootfd = open (l->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return sk_err_set (err, errno, "open the rootfs `%s`", l->rootfs);
  *rootfd_out = rootfd;
  /* cgroupfs waits for the runtime to finish the cgroup: do it last when
   * nothing is mounted over it, so that the rest is done in the meantime */
  ssize_t later = -1;
  for (size_t i = 0; i < l->spec->n_mounts; i++) {
    const sk_spec_mount *m = &l->spec->mounts[i];
    if (later < 0 && is_cgroup_mount (m) && !l->cgroup_joined && !covered_later (l->spec, i)) {
      later = (ssize_t) i;
      continue;
    }
    int r = m->bind ? mount_bind (l, rootfd, m, err) : mount_fs (l, rootfd, m, err);
    if (r < 0)
      return -1;
  }
  if (sk_devices_create (l, rootfd, err) < 0)
    return -1;
  if (later >= 0 && mount_fs (l, rootfd, &l->spec->mounts[later], err) < 0)
    return -1;
  return 0;
}

int
sk_rootfs_pivot (sk_launch *l, int rootfd, sk_err **err)
{
  if (fchdir (rootfd) < 0)
    return sk_err_set (err, errno, "chdir to the rootfs");
  if (l->no_pivot) {
    if (mount (".", "/", NULL, MS_MOVE, NULL) < 0)
      return sk_err_set (err, errno, "move the rootfs to /");
    if (chroot (".") < 0)
      return sk_err_set (err, errno, "chroot");
  } else {
    /* pivot_root(".", "."): the old root ends up on top of the new one */
    if (syscall (SYS_pivot_root, ".", ".") < 0)
      return sk_err_set (err, errno, "pivot_root");
    if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
      return sk_err_set (err, errno, "make the old root a slave");
    if (umount2 (".", MNT_DETACH) < 0)
      return sk_err_set (err, errno, "detach the old root");
  }
  if (chdir ("/") < 0)
    return sk_err_set (err, errno, "chdir /");
  unsigned long prop = l->spec->linux_.rootfs_propagation;
  if ((prop & (MS_SHARED | MS_UNBINDABLE)) && mount (NULL, "/", NULL, prop, NULL) < 0)
    return sk_err_set (err, errno, "set the propagation of /");
  return 0;
}

/* ---- after pivot_root ---- */

static int
sysctl_allowed (const sk_spec_linux *lin, const char *key)
{
  bool ipc = lin->namespaces[SK_NS_IPC].present, net = lin->namespaces[SK_NS_NETWORK].present,
       uts = lin->namespaces[SK_NS_UTS].present;
  static const char *const ipc_keys[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
                                         "kernel.sem",    "kernel.shmall", "kernel.shmmax",
                                         "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (size_t i = 0; i < SK_N_ELEMENTS (ipc_keys); i++)
    if (strcmp (key, ipc_keys[i]) == 0)
      return ipc;
  if (strncmp (key, "fs.mqueue.", 10) == 0)
    return ipc;
  if (strncmp (key, "net.", 4) == 0)
    return net;
  if (strcmp (key, "kernel.hostname") == 0 || strcmp (key, "kernel.domainname") == 0)
    return uts;
  return 0;
}

static int
apply_sysctls (const sk_spec_linux *lin, sk_err **err)
{
  for (size_t i = 0; lin->sysctl_keys && lin->sysctl_keys[i]; i++) {
    const char *key = lin->sysctl_keys[i], *val = lin->sysctl_values[i];
    if (strstr (key, "..") || key[0] == '/' || key[0] == '.')
      return sk_err_set (err, 0, "sysctl `%s`: invalid name", key);
    if (!sysctl_allowed (lin, key))
      return sk_err_set (err, 0, "sysctl `%s` is not in a namespace of the container", key);
    _cleanup_free_ char *path = NULL;
    if (asprintf (&path, "/proc/sys/%s", key) < 0)
      return sk_err_set (err, ENOMEM, "sysctl");
    for (char *p = path + 10; *p; p++)
      if (*p == '.')
        *p = '/';
    _cleanup_close_ int fd = open (path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      return sk_err_set (err, errno, "sysctl `%s`", key);
    struct statfs sf;
    if (fstatfs (fd, &sf) < 0 || sf.f_type != 0x9fa0 /* PROC_SUPER_MAGIC */)
      return sk_err_set (err, 0, "sysctl `%s`: /proc is not procfs", key);
    if (write (fd, val, strlen (val)) < 0)
      return sk_err_set (err, errno, "sysctl `%s` = `%s`", key, val);
  }
  return 0;
}

/* /dev/null, checked to be the real character device 1:3 */
static int
open_verified_null (sk_err **err)
{
  int fd = open ("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return sk_err_set (err, errno, "open /dev/null for the masked paths");
  struct stat st;
  if (fstat (fd, &st) < 0 || !S_ISCHR (st.st_mode) || st.st_rdev != makedev (1, 3)) {
    close (fd);
    return sk_err_set (err, 0, "/dev/null in the container is not the null device");
  }
  return fd;
}

static int
empty_ro_tmpfs (sk_err **err)
{
  _cleanup_close_ int fs = fsopen ("tmpfs", FSOPEN_CLOEXEC);
  if (fs < 0)
    return sk_err_set (err, errno, "fsopen tmpfs");
  if (fsconfig (fs, FSCONFIG_SET_STRING, "size", "0", 0) < 0 ||
      fsconfig (fs, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 ||
      fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return sk_err_set (err, errno, "create tmpfs");
  int m = fsmount (fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  if (m < 0)
    return sk_err_set (err, errno, "fsmount tmpfs");
  return m;
}

static int
mask_paths (char **paths, sk_err **err)
{
  _cleanup_close_ int null_fd = -1;
  for (size_t i = 0; paths && paths[i]; i++) {
    _cleanup_close_ int target = open (paths[i], O_PATH | O_CLOEXEC);
    if (target < 0) {
      if (errno == ENOENT)
        continue;
      return sk_err_set (err, errno, "mask `%s`", paths[i]);
    }
    struct stat st;
    if (fstat (target, &st) < 0)
      return sk_err_set (err, errno, "mask `%s`", paths[i]);
    _cleanup_close_ int tree = -1;
    if (S_ISDIR (st.st_mode)) {
      /* a tmpfs of its own each: Linux 6.1 cannot clone a detached mount */
      tree = empty_ro_tmpfs (err);
    } else {
      if (null_fd < 0 && (null_fd = open_verified_null (err)) < 0)
        return -1;
      tree = open_tree (null_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
      if (tree < 0)
        sk_err_set (err, errno, "mask `%s`", paths[i]);
    }
    if (tree < 0)
      return -1;
    TRY (attach (tree, target, paths[i], err));
  }
  return 0;
}

static int
readonly_paths (char **paths, sk_err **err)
{
  for (size_t i = 0; paths && paths[i]; i++) {
    _cleanup_close_ int tree = open_tree (AT_FDCWD, paths[i], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    if (tree < 0) {
      if (errno == ENOENT)
        continue;
      return sk_err_set (err, errno, "make `%s` read-only", paths[i]);
    }
    TRY (set_attrs (tree, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 0, 0, true, paths[i], err));
    _cleanup_close_ int target = open (paths[i], O_PATH | O_CLOEXEC);
    if (target < 0)
      return sk_err_set (err, errno, "make `%s` read-only", paths[i]);
    TRY (attach (tree, target, paths[i], err));
  }
  return 0;
}

int
sk_rootfs_finish (sk_launch *l, sk_err **err)
{
  const sk_spec_linux *lin = &l->spec->linux_;
  TRY (apply_sysctls (lin, err));
  TRY (mask_paths (lin->masked_paths, err));
  TRY (readonly_paths (lin->readonly_paths, err));
  if (l->spec->root_readonly) {
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
    if (mount_setattr (AT_FDCWD, "/", 0, &attr, sizeof attr) < 0)
      return sk_err_set (err, errno, "make the root read-only");
  }
  return 0;
}
