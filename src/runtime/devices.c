/* skiff: /dev in the container: the default devices, linux.devices, the
 * standard symlinks, and the cgroup device allowlist. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

typedef struct default_dev {
  const char *path;
  unsigned major, minor;
} default_dev;

static const default_dev default_devices[] = {
    {"/dev/null", 1, 3},    {"/dev/zero", 1, 5}, {"/dev/full", 1, 7},
    {"/dev/random", 1, 8},  {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

static const struct {
  const char *name;
  const char *target;
} dev_links[] = {
    {"fd", "/proc/self/fd"},         {"stdin", "/proc/self/fd/0"},
    {"stdout", "/proc/self/fd/1"},   {"stderr", "/proc/self/fd/2"},
};

/* In a user namespace mknod is not allowed: bind the host's node instead. */
static int
bind_host_device (int parent, const char *name, const char *host_path, sk_err **err)
{
  _cleanup_close_ int made = openat (parent, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0000);
  if (made < 0 && errno != EEXIST)
    return sk_err_set (err, errno, "create `%s`", host_path);
  _cleanup_close_ int target = openat (parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (target < 0)
    return sk_err_set (err, errno, "open `%s`", host_path);
  _cleanup_close_ int tree = open_tree (AT_FDCWD, host_path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0)
    return sk_err_set (err, errno, "bind device `%s`", host_path);
  if (move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return sk_err_set (err, errno, "bind device `%s`", host_path);
  return 0;
}

static int
make_device (int rootfd, bool userns, const char *path, char type, dev_t dev, mode_t mode,
             uid_t uid, gid_t gid, sk_err **err)
{
  _cleanup_free_ char *d = strdup (path), *b = strdup (path);
  if (d == NULL || b == NULL)
    return sk_err_set (err, ENOMEM, "device `%s`", path);
  const char *name = basename (b);
  _cleanup_close_ int parent = sk_mkdir_in_root (rootfd, dirname (d), 0755, err);
  if (parent < 0)
    return -1;
  if (userns)
    return bind_host_device (parent, name, path, err);
  mode_t kind = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
  struct stat st;
  if (fstatat (parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if ((st.st_mode & S_IFMT) == kind && st.st_rdev == dev)
      return 0;
    if (unlinkat (parent, name, S_ISDIR (st.st_mode) ? AT_REMOVEDIR : 0) < 0)
      return sk_err_set (err, errno, "replace `%s`", path);
  }
  if (mknodat (parent, name, kind | (mode & 07777), dev) < 0)
    return sk_err_set (err, errno, "mknod `%s`", path);
  if (fchownat (parent, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return sk_err_set (err, errno, "chown `%s`", path);
  return 0;
}

static bool
listed (const sk_spec_linux *lin, const char *path)
{
  for (size_t i = 0; i < lin->n_devices; i++)
    if (strcmp (lin->devices[i].path, path) == 0)
      return true;
  return false;
}

int
sk_devices_create (sk_launch *l, int rootfd, sk_err **err)
{
  const sk_spec_linux *lin = &l->spec->linux_;
  bool userns = lin->namespaces[SK_NS_USER].present;
  mode_t old = umask (0);
  int ret = 0;
  for (size_t i = 0; i < SK_N_ELEMENTS (default_devices) && ret == 0; i++) {
    const default_dev *d = &default_devices[i];
    if (listed (lin, d->path))
      continue;
    ret = make_device (rootfd, userns, d->path, 'c', makedev (d->major, d->minor), 0666, 0, 0, err);
  }
  for (size_t i = 0; i < lin->n_devices && ret == 0; i++) {
    const sk_spec_device *d = &lin->devices[i];
    if (strncmp (d->path, "/dev/", 5) != 0 || strstr (d->path, "..")) {
      ret = sk_err_set (err, 0, "device `%s` is not below /dev", d->path);
      break;
    }
    ret = make_device (rootfd, userns, d->path, d->type,
                       makedev ((unsigned) d->major, (unsigned) d->minor),
                       d->file_mode_set ? d->file_mode : 0666, d->uid_set ? d->uid : 0,
                       d->gid_set ? d->gid : 0, err);
  }
  umask (old);
  if (ret < 0)
    return -1;
  _cleanup_close_ int dev = sk_open_in_root (rootfd, "/dev", O_PATH | O_DIRECTORY, 0, err);
  if (dev < 0)
    return -1;
  for (size_t i = 0; i < SK_N_ELEMENTS (dev_links); i++)
    if (symlinkat (dev_links[i].target, dev, dev_links[i].name) < 0 && errno != EEXIST)
      return sk_err_set (err, errno, "symlink /dev/%s", dev_links[i].name);
  struct stat st;
  if (fstatat (dev, "pts/ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0) {
    /* the container's ptmx is its own devpts instance's */
    if (fstatat (dev, "ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISLNK (st.st_mode))
      unlinkat (dev, "ptmx", 0);
    if (symlinkat ("pts/ptmx", dev, "ptmx") < 0 && errno != EEXIST)
      return sk_err_set (err, errno, "symlink /dev/ptmx");
  }
  if (access ("/proc/kcore", F_OK) == 0 && symlinkat ("/proc/kcore", dev, "core") < 0 &&
      errno != EEXIST)
    return sk_err_set (err, errno, "symlink /dev/core");
  return 0;
}

/* The devices every container may use, as runc allows them. */
static const sk_spec_device_rule default_rules[] = {
    {true, 'c', -1, -1, "m"},  {true, 'b', -1, -1, "m"},   {true, 'c', 1, 3, "rwm"},
    {true, 'c', 1, 5, "rwm"},  {true, 'c', 1, 7, "rwm"},   {true, 'c', 1, 8, "rwm"},
    {true, 'c', 1, 9, "rwm"},  {true, 'c', 5, 0, "rwm"},   {true, 'c', 5, 1, "rwm"},
    {true, 'c', 5, 2, "rwm"},  {true, 'c', 136, -1, "rwm"},
};

int
sk_devices_cgroup_rules (const sk_spec *spec, sk_spec_resources *out, sk_err **err)
{
  const sk_spec_resources *res = &spec->linux_.resources;
  size_t n = res->n_devices + SK_N_ELEMENTS (default_rules);
  sk_spec_device_rule *rules = calloc (n, sizeof *rules);
  if (rules == NULL)
    return sk_err_set (err, ENOMEM, "device rules");
  size_t k = 0;
  for (size_t i = 0; i < res->n_devices; i++)
    rules[k++] = res->devices[i];
  /* with no rules at all the cgroup allows everything; else the defaults come last */
  if (res->n_devices)
    for (size_t i = 0; i < SK_N_ELEMENTS (default_rules); i++)
      rules[k++] = default_rules[i];
  out->devices = rules;
  out->n_devices = k;
  return 0;
}
