/* skiff: layer storage and container root filesystems (see storage.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "storage.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strbuf.h"

#define ID_MAX 128

struct sk_storage {
  char *dir; /* ROOT/<driver> */
  int dirfd;
  bool overlay;
};

struct sk_layer_writer {
  sk_storage *s;
  char id[ID_MAX + 1];
  char tmp[ID_MAX + 32]; /* tmp-<id>-XXXXXX, in s->dir */
  int lockfd;            /* the tmp directory, flocked */
  int difffd;
  char parent[ID_MAX + 1]; /* "" for a base layer */
};

static bool
valid_id (const char *id)
{
  size_t n = strlen (id);
  if (n == 0 || n > ID_MAX)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9')))
      return false;
  /* names of the driver directory's own entries */
  return strcmp (id, "containers") != 0;
}

static int
check_id (const char *what, const char *id, sk_err **err)
{
  if (!valid_id (id))
    return sk_err_set (err, 0, "invalid %s id `%.140s`: 1 to %d lowercase letters and digits",
                       what, id, ID_MAX);
  return 0;
}

static bool
kernel_has_overlay (void)
{
  int fd = (int) syscall (SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
  if (fd >= 0) {
    close (fd);
    return true;
  }
  return false;
}

/* Removes what killed writers left: tmp-* directories nobody holds locked. */
static void
remove_stale (sk_storage *s)
{
  int fd = openat (s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
  if (d == NULL) {
    if (fd >= 0)
      close (fd);
    return;
  }
  struct dirent *e;
  while ((e = readdir (d))) {
    if (strncmp (e->d_name, "tmp-", 4) != 0)
      continue;
    _cleanup_close_ int lock = openat (s->dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (lock < 0 || flock (lock, LOCK_EX | LOCK_NB) < 0)
      continue; /* a live writer's */
    sk_err *ignored = NULL;
    sk_remove_tree_at (s->dirfd, e->d_name, &ignored);
    sk_err_free (&ignored);
  }
  closedir (d);
}

static bool
has_dir (const char *root, const char *name)
{
  _cleanup_free_ char *p = sk_path_join (root, name);
  struct stat st;
  return p && lstat (p, &st) == 0 && S_ISDIR (st.st_mode);
}

static int fsconfig_string (int fsfd, const char *key, const char *value);

/* Whether root's filesystem takes overlay's upper and work directories (an
 * overlay, say, does not): an overlay is configured over a scratch directory
 * there and created, never mounted anywhere, and the scratch removed. */
static bool
overlay_works_on (const char *root)
{
  _cleanup_free_ char *scratch = sk_path_join (root, "overlay-probe-XXXXXX");
  if (scratch == NULL || mkdtemp (scratch) == NULL)
    return false;
  _cleanup_free_ char *l = sk_path_join (scratch, "l"), *u = sk_path_join (scratch, "u"),
                      *w = sk_path_join (scratch, "w");
  bool ok = false;
  if (l && u && w && mkdir (l, 0700) == 0 && mkdir (u, 0700) == 0 && mkdir (w, 0700) == 0) {
    _cleanup_close_ int fsfd = (int) syscall (SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
    ok = fsfd >= 0 && fsconfig_string (fsfd, "lowerdir", l) == 0 &&
         fsconfig_string (fsfd, "upperdir", u) == 0 && fsconfig_string (fsfd, "workdir", w) == 0 &&
         syscall (SYS_fsconfig, fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0;
  }
  sk_err *ignored = NULL;
  sk_remove_tree_at (AT_FDCWD, scratch, &ignored);
  sk_err_free (&ignored);
  return ok;
}

/* The driver asked for; else the one the root has used (as Docker keeps
 * its prior driver); else overlay where the kernel has it and the root's
 * filesystem takes it, and vfs, the fallback, everywhere else. */
static int
choose_driver (const char *root, const char *driver, bool *overlay, sk_err **err)
{
  if (driver == NULL && has_dir (root, "overlay"))
    driver = "overlay";
  else if (driver == NULL && has_dir (root, "vfs"))
    driver = "vfs";
  if (driver == NULL) {
    *overlay = kernel_has_overlay () && overlay_works_on (root);
    return 0;
  }
  if (strcmp (driver, "vfs") == 0) {
    *overlay = false;
    return 0;
  }
  if (!kernel_has_overlay ())
    return sk_err_set (err, 0, "storage driver overlay: this kernel has no overlay filesystem");
  if (!has_dir (root, "overlay") && !overlay_works_on (root))
    return sk_err_set (err, 0,
                       "storage driver overlay: its filesystem cannot hold overlay's upper "
                       "directories (use vfs)");
  *overlay = true;
  return 0;
}

int
sk_storage_open (const char *root, const char *driver, sk_storage **out, sk_err **err)
{
  bool overlay = false;
  if (driver && strcmp (driver, "vfs") != 0 && strcmp (driver, "overlay") != 0 &&
      strcmp (driver, "overlay2") != 0)
    return sk_err_set (err, 0, "unknown storage driver `%s` (overlay or vfs)", driver);
  if (sk_mkdir_p (root, 0700, err) < 0)
    return sk_err_wrap (err, "storage");
  if (choose_driver (root, driver, &overlay, err) < 0)
    return -1;

  sk_storage *s = calloc (1, sizeof *s);
  if (s == NULL)
    return sk_err_set (err, ENOMEM, "calloc");
  s->overlay = overlay;
  s->dirfd = -1;
  s->dir = sk_path_join (root, overlay ? "overlay" : "vfs");
  _cleanup_free_ char *containers = s->dir ? sk_path_join (s->dir, "containers") : NULL;
  if (containers == NULL) {
    sk_storage_free (s);
    return sk_err_set (err, ENOMEM, "storage");
  }
  if (sk_mkdir_p (containers, 0700, err) < 0) {
    sk_storage_free (s);
    return sk_err_wrap (err, "storage");
  }
  s->dirfd = open (s->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (s->dirfd < 0) {
    int saved = errno;
    sk_storage_free (s);
    return sk_err_set (err, saved, "storage: open `%s`", root);
  }
  remove_stale (s);
  *out = s;
  return 0;
}

void
sk_storage_free (sk_storage *s)
{
  if (s == NULL)
    return;
  if (s->dirfd >= 0)
    close (s->dirfd);
  free (s->dir);
  free (s);
}

const char *
sk_storage_driver (const sk_storage *s)
{
  return s->overlay ? "overlay" : "vfs";
}

bool
sk_storage_wants_overlay_whiteouts (const sk_storage *s)
{
  return s->overlay;
}

bool
sk_storage_layer_exists (sk_storage *s, const char *id)
{
  char path[ID_MAX + 8];
  if (!valid_id (id))
    return false;
  snprintf (path, sizeof path, "%s/diff", id);
  return faccessat (s->dirfd, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

char *
sk_storage_layer_path (sk_storage *s, const char *id)
{
  char *p = NULL;
  return asprintf (&p, "%s/%s/diff", s->dir, id) < 0 ? NULL : p;
}

static void
writer_free (sk_layer_writer *w)
{
  if (w == NULL)
    return;
  if (w->difffd >= 0)
    close (w->difffd);
  if (w->lockfd >= 0)
    close (w->lockfd);
  free (w);
}

void
sk_layer_writer_abort (sk_layer_writer *w)
{
  if (w == NULL)
    return;
  sk_err *ignored = NULL;
  sk_remove_tree_at (w->s->dirfd, w->tmp, &ignored);
  sk_err_free (&ignored);
  writer_free (w);
}

int
sk_storage_layer_begin (sk_storage *s, const char *id, const char *parent, sk_layer_writer **out,
                        sk_err **err)
{
  *out = NULL;
  if (check_id ("layer", id, err) < 0 || (parent && check_id ("layer", parent, err) < 0))
    return -1;
  if (sk_storage_layer_exists (s, id))
    return 1;
  /* vfs copies the parent now; overlay needs it only by commit */
  if (parent && !s->overlay && !sk_storage_layer_exists (s, parent))
    return sk_err_set (err, 0, "layer %s: its parent layer %s is not stored", id, parent);

  sk_layer_writer *w = calloc (1, sizeof *w);
  if (w == NULL)
    return sk_err_set (err, ENOMEM, "calloc");
  w->s = s;
  w->lockfd = w->difffd = -1;
  snprintf (w->id, sizeof w->id, "%s", id);
  snprintf (w->parent, sizeof w->parent, "%s", parent ? parent : "");
  snprintf (w->tmp, sizeof w->tmp, "tmp-%s-XXXXXX", id);
  if (sk_create_unique_at (s->dirfd, w->tmp, true, err) < 0) {
    free (w);
    return sk_err_wrap (err, "layer %s: make its directory", id);
  }
  w->lockfd = openat (s->dirfd, w->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (w->lockfd < 0 || flock (w->lockfd, LOCK_EX) < 0 ||
      mkdirat (w->lockfd, "diff", 0755) < 0 ||
      (w->difffd = openat (w->lockfd, "diff", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
    int saved = errno;
    sk_layer_writer_abort (w);
    return sk_err_set (err, saved, "layer %s: make its directory", id);
  }
  if (parent && !s->overlay) {
    /* vfs: the layer starts as a copy of its parent */
    char from[ID_MAX + 8];
    snprintf (from, sizeof from, "%s/diff", parent);
    _cleanup_close_ int pfd = openat (s->dirfd, from, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int dfd = openat (w->difffd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pfd < 0 || dfd < 0) {
      int saved = errno;
      sk_layer_writer_abort (w);
      return sk_err_set (err, saved, "layer %s: open its parent %s", id, parent);
    }
    if (sk_copy_tree_at (pfd, dfd, err) < 0) {
      sk_layer_writer_abort (w);
      return sk_err_wrap (err, "layer %s: copy its parent %s", id, parent);
    }
  }
  *out = w;
  return 0;
}

int
sk_layer_writer_dirfd (const sk_layer_writer *w)
{
  return w->difffd;
}

int
sk_layer_writer_set_id (sk_layer_writer *w, const char *id, sk_err **err)
{
  if (check_id ("layer", id, err) < 0)
    return -1;
  snprintf (w->id, sizeof w->id, "%s", id);
  return 0;
}

int
sk_storage_sync (sk_storage *s, sk_err **err)
{
  _cleanup_close_ int fd = openat (s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || syncfs (fd) < 0)
    return sk_err_set (err, errno, "sync the layers");
  return 0;
}

int
sk_layer_writer_publish (sk_layer_writer *w, sk_err **err)
{
  sk_storage *s = w->s;
  if (w->parent[0] && !sk_storage_layer_exists (s, w->parent)) {
    int r = sk_err_set (err, 0, "layer %s: its parent layer %s is not stored", w->id, w->parent);
    sk_layer_writer_abort (w);
    return r;
  }
  if (renameat (s->dirfd, w->tmp, s->dirfd, w->id) < 0) {
    int saved = errno;
    bool raced = (saved == EEXIST || saved == ENOTEMPTY) && sk_storage_layer_exists (s, w->id);
    char id[ID_MAX + 1];
    snprintf (id, sizeof id, "%s", w->id);
    sk_layer_writer_abort (w);
    if (raced)
      return 0; /* another writer stored the same layer first */
    return sk_err_set (err, saved, "layer %s: move it into place", id);
  }
  _cleanup_close_ int dfd = openat (s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0)
    fsync (dfd);
  writer_free (w);
  return 0;
}

int
sk_layer_writer_commit (sk_layer_writer *w, sk_err **err)
{
  /* the content durable before the name: syncfs of the filesystem */
  if (syncfs (w->lockfd) < 0) {
    int saved = errno;
    char id[ID_MAX + 1];
    snprintf (id, sizeof id, "%s", w->id);
    sk_layer_writer_abort (w);
    return sk_err_set (err, saved, "layer %s: sync", id);
  }
  return sk_layer_writer_publish (w, err);
}

int
sk_storage_layer_remove (sk_storage *s, const char *id, sk_err **err)
{
  if (check_id ("layer", id, err) < 0)
    return -1;
  if (sk_remove_tree_at (s->dirfd, id, err) < 0)
    return sk_err_wrap (err, "remove layer %s", id);
  return 0;
}

/* ---- container root filesystems ---- */

int
sk_storage_scratch (sk_storage *s, char *name, size_t size, int *lockfd, sk_err **err)
{
  snprintf (name, size, "tmp-scratch-XXXXXX");
  if (sk_create_unique_at (s->dirfd, name, true, err) < 0)
    return -1;
  *lockfd = openat (s->dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (*lockfd < 0 || flock (*lockfd, LOCK_EX) < 0) {
    int e = errno;
    if (*lockfd >= 0)
      close (*lockfd);
    *lockfd = -1;
    sk_err *ignored = NULL;
    sk_remove_tree_at (s->dirfd, name, &ignored);
    sk_err_free (&ignored);
    return sk_err_set (err, e, "lock `%s`", name);
  }
  return 0;
}

int
sk_storage_scratch_remove (sk_storage *s, const char *name, sk_err **err)
{
  return sk_remove_tree_at (s->dirfd, name, err);
}

static char *
container_path (sk_storage *s, const char *cid, const char *sub)
{
  char *p = NULL;
  return asprintf (&p, "%s/containers/%s%s%s", s->dir, cid, sub ? "/" : "", sub ? sub : "") < 0
             ? NULL
             : p;
}

char *
sk_storage_rootfs_upper (sk_storage *s, const char *cid)
{
  return container_path (s, cid, s->overlay ? "upper" : "rootfs");
}

static int
check_layers (sk_storage *s, const char *const *layers, size_t n, sk_err **err)
{
  if (n == 0)
    return sk_err_set (err, 0, "a root filesystem needs at least one layer");
  for (size_t i = 0; i < n; i++) {
    if (check_id ("layer", layers[i], err) < 0)
      return -1;
    if (!sk_storage_layer_exists (s, layers[i]))
      return sk_err_set (err, 0, "layer %s is not stored", layers[i]);
  }
  return 0;
}

int
sk_storage_rootfs_create (sk_storage *s, const char *cid, const char *const *layers, size_t n,
                          sk_err **err)
{
  if (check_id ("container", cid, err) < 0 || check_layers (s, layers, n, err) < 0)
    return -1;
  _cleanup_free_ char *top = container_path (s, cid, NULL);
  if (top == NULL)
    return sk_err_set (err, ENOMEM, "rootfs");
  if (mkdir (top, 0700) < 0)
    return sk_err_set (err, errno, "container %s: make `%s`", cid, top);
  _cleanup_close_ int cfd = open (top, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  int ret = 0;
  if (cfd < 0) {
    ret = sk_err_set (err, errno, "container %s: open `%s`", cid, top);
  } else if (s->overlay) {
    if (mkdirat (cfd, "upper", 0755) < 0 || mkdirat (cfd, "work", 0700) < 0)
      ret = sk_err_set (err, errno, "container %s: make its upper and work directories", cid);
  } else {
    char from[ID_MAX + 8];
    snprintf (from, sizeof from, "%s/diff", layers[0]);
    _cleanup_close_ int lfd = openat (s->dirfd, from, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int rfd = -1;
    if (lfd < 0 || mkdirat (cfd, "rootfs", 0755) < 0 ||
        (rfd = openat (cfd, "rootfs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
      ret = sk_err_set (err, errno, "container %s: make its root filesystem", cid);
    else if (sk_copy_tree_at (lfd, rfd, err) < 0)
      ret = sk_err_wrap (err, "container %s: copy layer %s", cid, layers[0]);
  }
  if (ret < 0) {
    sk_err *ignored = NULL;
    sk_remove_tree_at (AT_FDCWD, top, &ignored);
    sk_err_free (&ignored);
  }
  return ret;
}

/* What the kernel said about a failed overlay configuration ("e ..." lines
 * read from the filesystem context), appended to the error. */
static int
fs_context_error (int fsfd, int errnum, const char *what, sk_err **err)
{
  char buf[512], said[sizeof buf + 8] = "";
  ssize_t n;
  while ((n = read (fsfd, buf, sizeof buf - 1)) > 0) {
    buf[n] = '\0';
    if (buf[0] == 'e' && buf[1] == ' ')
      snprintf (said, sizeof said, " (%s)", buf + 2);
  }
  said[strcspn (said, "\n")] = '\0';
  return sk_err_set (err, errnum, "%s%s", what, said);
}

static int
fsconfig_string (int fsfd, const char *key, const char *value)
{
  return (int) syscall (SYS_fsconfig, fsfd, FSCONFIG_SET_STRING, key, value, 0);
}

/* The old way, one option string: on kernels before "lowerdir+". */
static int
mount_overlay_legacy (const char *const *paths, size_t n, const char *upper, const char *work,
                      const char *target, sk_err **err)
{
  _cleanup_strbuf_ sk_strbuf opts = SK_STRBUF_INIT;
  sk_strbuf_puts (&opts, "lowerdir=");
  for (size_t i = 0; i < n; i++) {
    if (i)
      sk_strbuf_putc (&opts, ':');
    sk_strbuf_puts (&opts, paths[i]);
  }
  sk_strbuf_printf (&opts, ",upperdir=%s,workdir=%s", upper, work);
  if (opts.len >= 4096)
    return sk_err_set (err, 0,
                       "%zu layers do not fit in one page of mount options on this kernel "
                       "(Linux 6.8 and later take any number)",
                       n);
  if (mount ("overlay", target, "overlay", 0, opts.buf) < 0)
    return sk_err_set (err, errno, "mount the overlay on `%s`", target);
  return 0;
}

static int
mount_overlay (const char *const *paths, size_t n, const char *upper, const char *work,
               const char *target, sk_err **err)
{
  _cleanup_close_ int fsfd = (int) syscall (SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
  if (fsfd < 0)
    return sk_err_set (err, errno, "overlay: fsopen");
  for (size_t i = 0; i < n; i++)
    if (fsconfig_string (fsfd, "lowerdir+", paths[i]) < 0) {
      if (errno == EINVAL && i == 0)
        return mount_overlay_legacy (paths, n, upper, work, target, err);
      return fs_context_error (fsfd, errno, "overlay: add a layer", err);
    }
  if (fsconfig_string (fsfd, "upperdir", upper) < 0 || fsconfig_string (fsfd, "workdir", work) < 0)
    return fs_context_error (fsfd, errno, "overlay: upper and work directories", err);
  if (syscall (SYS_fsconfig, fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
    /* before Linux 6.5 overlayfs takes its options as one string: fsconfig
     * accepts any key then, and only the creation fails on "lowerdir+" */
    if (errno == EINVAL)
      return mount_overlay_legacy (paths, n, upper, work, target, err);
    return fs_context_error (fsfd, errno, "overlay: create", err);
  }
  _cleanup_close_ int mfd = (int) syscall (SYS_fsmount, fsfd, FSMOUNT_CLOEXEC, 0);
  if (mfd < 0)
    return fs_context_error (fsfd, errno, "overlay: fsmount", err);
  if (syscall (SYS_move_mount, mfd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return sk_err_set (err, errno, "mount the overlay on `%s`", target);
  return 0;
}

int
sk_storage_rootfs_mount (sk_storage *s, const char *cid, const char *const *layers, size_t n,
                         const char *target, sk_err **err)
{
  if (check_id ("container", cid, err) < 0 || check_layers (s, layers, n, err) < 0)
    return -1;
  if (!s->overlay) {
    _cleanup_free_ char *rootfs = container_path (s, cid, "rootfs");
    if (rootfs == NULL)
      return sk_err_set (err, ENOMEM, "rootfs");
    if (mount (rootfs, target, NULL, MS_BIND, NULL) < 0)
      return sk_err_set (err, errno, "bind-mount `%s` on `%s`", rootfs, target);
    return 0;
  }
  _cleanup_free_ char *upper = container_path (s, cid, "upper");
  _cleanup_free_ char *work = container_path (s, cid, "work");
  char **paths = calloc (n, sizeof *paths);
  int ret = upper && work && paths ? 0 : sk_err_set (err, ENOMEM, "rootfs");
  for (size_t i = 0; ret == 0 && i < n; i++)
    if ((paths[i] = sk_storage_layer_path (s, layers[i])) == NULL)
      ret = sk_err_set (err, ENOMEM, "rootfs");
  if (ret == 0 && mount_overlay ((const char *const *) paths, n, upper, work, target, err) < 0)
    ret = sk_err_wrap (err, "container %s", cid);
  for (size_t i = 0; paths && i < n; i++)
    free (paths[i]);
  free (paths);
  return ret;
}

/* The same overlay as a detached mount: an fd of its root, mounted nowhere
 * (gone with the last fd of it). */
static int
overlay_detached (const char *const *paths, size_t n, const char *upper, const char *work,
                  sk_err **err)
{
  _cleanup_close_ int fsfd = (int) syscall (SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
  if (fsfd < 0)
    return sk_err_set (err, errno, "overlay: fsopen");
  bool plus = true;
  for (size_t i = 0; plus && i < n; i++)
    if (fsconfig_string (fsfd, "lowerdir+", paths[i]) < 0) {
      if (errno != EINVAL || i != 0)
        return fs_context_error (fsfd, errno, "overlay: add a layer", err);
      plus = false;
    }
  if (!plus) {
    /* an older kernel: the layers as one option */
    _cleanup_strbuf_ sk_strbuf lower = SK_STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
      if (i)
        sk_strbuf_putc (&lower, ':');
      sk_strbuf_puts (&lower, paths[i]);
    }
    if (fsconfig_string (fsfd, "lowerdir", lower.buf) < 0)
      return fs_context_error (fsfd, errno, "overlay: layers", err);
  }
  if (fsconfig_string (fsfd, "upperdir", upper) < 0 || fsconfig_string (fsfd, "workdir", work) < 0)
    return fs_context_error (fsfd, errno, "overlay: upper and work directories", err);
  if (syscall (SYS_fsconfig, fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return fs_context_error (fsfd, errno, "overlay: create", err);
  int mfd = (int) syscall (SYS_fsmount, fsfd, FSMOUNT_CLOEXEC, 0);
  if (mfd < 0)
    return fs_context_error (fsfd, errno, "overlay: fsmount", err);
  return mfd;
}

int
sk_storage_rootfs_open (sk_storage *s, const char *cid, const char *const *layers, size_t n,
                        sk_err **err)
{
  if (check_id ("container", cid, err) < 0 || check_layers (s, layers, n, err) < 0)
    return -1;
  if (!s->overlay) {
    _cleanup_free_ char *rootfs = container_path (s, cid, "rootfs");
    if (rootfs == NULL)
      return sk_err_set (err, ENOMEM, "rootfs");
    int fd = open (rootfs, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      return sk_err_set (err, errno, "open `%s`", rootfs);
    return fd;
  }
  _cleanup_free_ char *upper = container_path (s, cid, "upper");
  _cleanup_free_ char *work = container_path (s, cid, "work");
  char **paths = calloc (n, sizeof *paths);
  int ret = upper && work && paths ? 0 : sk_err_set (err, ENOMEM, "rootfs");
  for (size_t i = 0; ret == 0 && i < n; i++)
    if ((paths[i] = sk_storage_layer_path (s, layers[i])) == NULL)
      ret = sk_err_set (err, ENOMEM, "rootfs");
  if (ret == 0 && (ret = overlay_detached ((const char *const *) paths, n, upper, work, err)) < 0)
    sk_err_wrap (err, "container %s", cid);
  for (size_t i = 0; paths && i < n; i++)
    free (paths[i]);
  free (paths);
  return ret;
}

int
sk_storage_rootfs_umount (const char *target, sk_err **err)
{
  if (umount2 (target, UMOUNT_NOFOLLOW) < 0)
    return sk_err_set (err, errno, "unmount `%s`", target);
  return 0;
}

int
sk_storage_rootfs_remove (sk_storage *s, const char *cid, sk_err **err)
{
  if (check_id ("container", cid, err) < 0)
    return -1;
  char path[ID_MAX + 16];
  snprintf (path, sizeof path, "containers/%s", cid);
  if (sk_remove_tree_at (s->dirfd, path, err) < 0)
    return sk_err_wrap (err, "container %s: remove its root filesystem", cid);
  return 0;
}
