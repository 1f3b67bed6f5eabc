/* skiff: the files of a container, read and written from the host (docker
 * cp and export; see engine.h).
 *
 * Every path of the container is resolved inside its root with
 * sk_open_in_root (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), and
 * everything below the directory found is reached from that directory's fd
 * with *at() calls that never follow the last component: a symlink of the
 * container, there before or swapped in while a copy runs, is read as a
 * symlink or followed inside the container, never on the host. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "engine/spec.h"
#include "image/archive-lazy.h"
#include "internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/strbuf.h"

struct sk_ctr_fs {
  int rootfd;             /* "/" of the view */
  int lockfd;             /* the container's rootfs lock, or -1 */
  char *name;             /* the container's, for messages; NULL: a host directory */
  sk_mount_point *mounts; /* a stopped container's: their sources stand in */
  size_t n_mounts;
  int *mount_fds; /* each source's directory, opened on first use (-1) */
  dev_t root_dev; /* export stops at other filesystems */
};

void
sk_ctr_fs_close (sk_ctr_fs *fs)
{
  if (fs == NULL)
    return;
  for (size_t i = 0; fs->mount_fds && i < fs->n_mounts; i++)
    if (fs->mount_fds[i] >= 0)
      close (fs->mount_fds[i]);
  free (fs->mount_fds);
  sk_mount_points_free (fs->mounts, fs->n_mounts);
  if (fs->rootfd >= 0)
    close (fs->rootfd);
  if (fs->lockfd >= 0)
    close (fs->lockfd);
  free (fs->name);
  free (fs);
}

static sk_ctr_fs *
fs_new (void)
{
  sk_ctr_fs *fs = calloc (1, sizeof *fs);
  if (fs) {
    fs->rootfd = -1;
    fs->lockfd = -1;
  }
  return fs;
}

char *
sk_ctr_path_clean (const char *path)
{
  /* absolute, no "." or "..", no doubled or trailing slash: docker's clean,
   * a relative path taken from "/" */
  _cleanup_free_ char *copy = strdup (path);
  size_t len = strlen (path);
  char *out = malloc (len + 2);
  if (copy == NULL || out == NULL) {
    free (out);
    return NULL;
  }
  size_t o = 0;
  char *save = NULL;
  for (char *c = strtok_r (copy, "/", &save); c; c = strtok_r (NULL, "/", &save)) {
    if (strcmp (c, ".") == 0)
      continue;
    if (strcmp (c, "..") == 0) {
      while (o > 0 && out[o - 1] != '/')
        o--;
      if (o > 0)
        o--;
      continue;
    }
    out[o++] = '/';
    size_t n = strlen (c);
    memcpy (out + o, c, n);
    o += n;
  }
  if (o == 0)
    out[o++] = '/';
  out[o] = '\0';
  return out;
}

/* The fd to resolve a clean path in and the path relative to it: a stopped
 * container's mount point (the longest destination that holds it) stands
 * in with its source, which a write (write) may not change when the mount
 * is read-only. */
static int
fs_base (sk_ctr_fs *fs, const char *clean, bool write, const char **rel, sk_err **err)
{
  size_t best = 0, best_len = 0;
  bool found = false;
  for (size_t i = 0; i < fs->n_mounts; i++) {
    const char *d = fs->mounts[i].destination;
    size_t n = d ? strlen (d) : 0;
    if (fs->mounts[i].source == NULL || n == 0 || strncmp (clean, d, n) != 0 ||
        (clean[n] != '\0' && clean[n] != '/' && n > 1))
      continue;
    if (!found || n > best_len) {
      best = i;
      best_len = n;
      found = true;
    }
  }
  if (!found) {
    *rel = clean;
    return fs->rootfd;
  }
  if (write && !fs->mounts[best].rw)
    return sk_err_kind (err, EROFS, "mounted volume is marked read-only");
  if (fs->mount_fds[best] < 0) {
    fs->mount_fds[best] = open (fs->mounts[best].source, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fs->mount_fds[best] < 0)
      return sk_err_set (err, errno, "open `%s`", fs->mounts[best].source);
  }
  *rel = clean + best_len;
  return fs->mount_fds[best];
}

/* Docker's message for a path that is not there. */
static int
not_found (sk_ctr_fs *fs, const char *path, int errnum, sk_err **err)
{
  sk_err_free (err);
  if (fs->name)
    return sk_err_kind (err, ENOENT, "Could not find the file %s in container %s", path, fs->name);
  return sk_err_set (err, errnum, "lstat %s", path);
}

/* Opens a clean path of the view, resolved inside it. */
static int
fs_open (sk_ctr_fs *fs, const char *clean, int flags, sk_err **err)
{
  const char *rel;
  int base = fs_base (fs, clean, (flags & O_ACCMODE) != O_RDONLY, &rel, err);
  if (base < 0)
    return -1;
  return sk_open_in_root (base, rel, flags, 0, err);
}

/* The directory holding a clean path's last component (which is not
 * followed), and that component ("" for "/": *dir is then the root). */
static int
fs_parent (sk_ctr_fs *fs, const char *clean, bool mkdirs, const char **base, sk_err **err)
{
  const char *slash = strrchr (clean, '/');
  *base = slash ? slash + 1 : clean;
  _cleanup_free_ char *dir =
      strndup (clean, slash && slash != clean ? (size_t) (slash - clean) : 1);
  if (dir == NULL)
    return sk_err_set (err, ENOMEM, "path");
  const char *rel;
  int b = fs_base (fs, dir, mkdirs, &rel, err);
  if (b < 0)
    return -1;
  if (mkdirs)
    return sk_mkdir_in_root (b, rel, 0755, err);
  return sk_open_in_root (b, rel, O_PATH | O_DIRECTORY, 0, err);
}

/* An O_PATH fd of the path itself: its last component followed only when
 * asked. */
static int
fs_open_entry (sk_ctr_fs *fs, const char *path, bool follow, sk_err **err)
{
  _cleanup_free_ char *clean = sk_ctr_path_clean (path);
  if (clean == NULL)
    return sk_err_set (err, ENOMEM, "path");
  int fd;
  if (follow || strcmp (clean, "/") == 0) {
    fd = fs_open (fs, clean, O_PATH, err);
  } else {
    const char *base;
    _cleanup_close_ int dir = fs_parent (fs, clean, false, &base, err);
    if (dir < 0)
      fd = -1;
    else if ((fd = openat (dir, base, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0)
      sk_err_set (err, errno, "open `%s`", path);
  }
  if (fd < 0 && ((*err)->errnum == ENOENT || (*err)->errnum == ENOTDIR))
    return not_found (fs, path, (*err)->errnum, err);
  return fd;
}

int
sk_ctr_fs_stat (sk_ctr_fs *fs, const char *path, bool follow, struct stat *st, sk_err **err)
{
  _cleanup_close_ int fd = fs_open_entry (fs, path, follow, err);
  if (fd < 0)
    return -1;
  if (fstatat (fd, "", st, AT_EMPTY_PATH) < 0)
    return sk_err_set (err, errno, "stat `%s`", path);
  return 0;
}

/* ---- views ---- */

int
sk_ctr_fs_host (const char *dir, sk_ctr_fs **out, sk_err **err)
{
  sk_ctr_fs *fs = fs_new ();
  if (fs == NULL)
    return sk_err_set (err, ENOMEM, "calloc");
  fs->rootfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fs->rootfd < 0) {
    int e = errno;
    sk_ctr_fs_close (fs);
    return sk_err_set (err, e, "lstat %s", dir);
  }
  *out = fs;
  return 0;
}

int
sk_engine_rootfs_lock (sk_engine *e, const char *id, bool shared, sk_err **err)
{
  _cleanup_free_ char *path = sk_engine_bundle_path (e, id, "rootfs.lock");
  if (path == NULL)
    return sk_err_set (err, ENOMEM, "lock");
  int fd = open (path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return sk_err_set (err, errno, "open `%s`", path);
  while (flock (fd, shared ? LOCK_SH : LOCK_EX) < 0) {
    if (errno != EINTR) {
      int e2 = errno;
      close (fd);
      return sk_err_set (err, e2, "lock `%s`", path);
    }
  }
  return fd;
}

/* A running container's own view, /proc/PID/root, with its mounts: kept
 * only once the pid, still alive after the open, is a child of the
 * container's shim (not a process that took a pid freed meanwhile). */
static int
open_running (const sk_ctr *c, sk_err **err)
{
  _cleanup_close_ int pidfd = sk_pidfd_open (c->pid);
  if (pidfd < 0)
    return sk_err_set (err, errno, "container %s is not running", c->name);
  char path[64];
  snprintf (path, sizeof path, "/proc/%d", (int) c->pid);
  _cleanup_close_ int proc = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  int root = proc >= 0 ? openat (proc, "root", O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
  if (root < 0)
    return sk_err_set (err, errno, "open the root of container %s", c->name);
  _cleanup_free_ char *stat = NULL;
  sk_err *ignored = NULL;
  int ppid = 0;
  if (sk_read_file_at (proc, "stat", &stat, NULL, &ignored) == 0) {
    const char *p = strrchr (stat, ')');
    if (p == NULL || sscanf (p, ") %*c %d", &ppid) != 1)
      ppid = 0;
  }
  sk_err_free (&ignored);
  if (sk_pidfd_send_signal (pidfd, 0) < 0 || ppid != c->shim_pid) {
    close (root);
    return sk_err_set (err, ESRCH, "container %s is not running", c->name);
  }
  return root;
}

/* A stopped container's rootfs: the mount its shim has not taken down yet,
 * else a detached overlay of its layers that nothing else can see. The
 * caller holds the rootfs lock (no start mounts it meanwhile). */
static int
open_stopped (sk_engine *e, const sk_ctr *c, sk_err **err)
{
  _cleanup_free_ char *bundle = sk_engine_bundle_path (e, c->id, NULL);
  _cleanup_free_ char *rootfs = sk_engine_bundle_path (e, c->id, "rootfs");
  if (!bundle || !rootfs)
    return sk_err_set (err, ENOMEM, "rootfs");
  struct stat bs, rs;
  int fd = open (rootfs, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0 && stat (bundle, &bs) == 0 && fstat (fd, &rs) == 0 && bs.st_dev != rs.st_dev)
    return fd;
  if (fd >= 0)
    close (fd);
  char **layers = NULL;
  size_t n = 0;
  if (sk_engine_image_layers (e, c->image, &layers, &n, err) < 0)
    return -1;
  fd = sk_storage_rootfs_open (e->storage, c->id, (const char *const *) layers, n, err);
  for (char **l = layers; l && *l; l++)
    free (*l);
  free (layers);
  return fd;
}

int
sk_engine_fs_open (sk_engine *e, const char *id, bool rootfs_only, sk_ctr_fs **out, sk_err **err)
{
  _cleanup_ctr_ sk_ctr *c = NULL;
  if (sk_engine_get (e, id, &c, err) < 0)
    return -1;
  sk_ctr_fs *fs = fs_new ();
  if (fs == NULL || (fs->name = strdup (c->name)) == NULL) {
    sk_ctr_fs_close (fs);
    return sk_err_set (err, ENOMEM, "calloc");
  }
  /* the lock held all along: shared while it runs (a start, which takes it
   * whole, waits for the copy, so that the rootfs this view holds is never
   * mounted twice), whole for a stopped one */
  bool live = strcmp (c->state, "running") == 0 || strcmp (c->state, "paused") == 0;
  bool shared = live && !rootfs_only;
  for (;;) {
    if ((fs->lockfd = sk_engine_rootfs_lock (e, c->id, shared, err)) < 0) {
      sk_ctr_fs_close (fs);
      return -1;
    }
    sk_ctr_free (c);
    c = NULL;
    if (sk_engine_get (e, id, &c, err) < 0) {
      sk_ctr_fs_close (fs);
      return -1;
    }
    live = strcmp (c->state, "running") == 0 || strcmp (c->state, "paused") == 0;
    if (!live || rootfs_only)
      break;
    if ((fs->rootfd = open_running (c, err)) >= 0 || !shared)
      break;
    /* it stopped meanwhile: again, as a stopped one */
    sk_err_free (err);
    close (fs->lockfd);
    fs->lockfd = -1;
    shared = false;
  }
  if (live && !rootfs_only) {
    /* fs->rootfd: open_running's */
  } else if (strcmp (c->state, "restarting") == 0 && !rootfs_only) {
    sk_err_set (err, 0, "container %s is restarting: try again once it runs", c->name);
  } else {
    fs->rootfd = open_stopped (e, c, err);
    /* a stopped container's volumes and binds: read and written in their
     * sources (export leaves them out) */
    if (fs->rootfd >= 0 && !rootfs_only &&
        sk_engine_container_mounts (e, c->id, &fs->mounts, &fs->n_mounts, err) < 0)
      fs->rootfd = (close (fs->rootfd), -1);
    if (fs->rootfd >= 0 && fs->n_mounts &&
        (fs->mount_fds = malloc (fs->n_mounts * sizeof (int))) == NULL)
      fs->rootfd = (close (fs->rootfd), sk_err_set (err, ENOMEM, "calloc"));
    for (size_t i = 0; fs->mount_fds && i < fs->n_mounts; i++)
      fs->mount_fds[i] = -1;
  }
  if (fs->rootfd < 0) {
    sk_ctr_fs_close (fs);
    return -1;
  }
  struct stat st;
  if (fstat (fs->rootfd, &st) == 0)
    fs->root_dev = st.st_dev;
  *out = fs;
  return 0;
}

/* ---- writing a tree as tar ---- */

typedef struct link_seen {
  dev_t dev;
  ino_t ino;
  char *name;
} link_seen;

typedef struct tar_out {
  struct archive *a;
  struct archive_entry *entry;
  bool one_fs; /* export: the contents of other filesystems left out */
  dev_t dev;
  link_seen *links; /* files with more than one link, by their first name */
  size_t n_links, alloc_links;
  int64_t bytes;
} tar_out;

static int
tar_error (tar_out *t, const char *name, sk_err **err)
{
  return sk_err_set (err, archive_errno (t->a), "archive `%s`: %s", name,
                     archive_error_string (t->a));
}

/* The name of an earlier entry of the same file, or NULL (and it is noted). */
static const char *
hardlink_of (tar_out *t, const struct stat *st, const char *name)
{
  if (S_ISDIR (st->st_mode) || st->st_nlink < 2)
    return NULL;
  for (size_t i = 0; i < t->n_links; i++)
    if (t->links[i].dev == st->st_dev && t->links[i].ino == st->st_ino)
      return t->links[i].name;
  if (t->n_links == t->alloc_links) {
    size_t n = t->alloc_links ? t->alloc_links * 2 : 64;
    link_seen *l = realloc (t->links, n * sizeof *l);
    if (l == NULL)
      return NULL;
    t->links = l;
    t->alloc_links = n;
  }
  char *copy = strdup (name);
  if (copy)
    t->links[t->n_links++] = (link_seen){st->st_dev, st->st_ino, copy};
  return NULL;
}

static int tar_dir (tar_out *t, int dirfd, const char *prefix, sk_err **err);

/* The extended attributes of the file rd (opened for reading) on the entry;
 * none where the filesystem has none. */
static int
add_xattrs (tar_out *t, int rd, const char *name, sk_err **err)
{
  char names[65536];
  ssize_t n = flistxattr (rd, names, sizeof names);
  if (n < 0)
    return errno == ENOTSUP || errno == EOPNOTSUPP
               ? 0
               : sk_err_set (err, errno, "list the xattrs of `%s`", name);
  for (char *k = names; k < names + n; k += strlen (k) + 1) {
    char value[65536];
    ssize_t v = fgetxattr (rd, k, value, sizeof value);
    if (v < 0 && (errno == ENODATA || errno == ENOTSUP))
      continue; /* gone meanwhile */
    if (v < 0)
      return sk_err_set (err, errno, "read the xattr %s of `%s`", k, name);
    archive_entry_xattr_add_entry (t->entry, k, value, (size_t) v);
  }
  return 0;
}

/* One entry from fd (O_PATH, never a symlink followed), and below it for a
 * directory. name "" is the top of an export: only what it holds. */
static int
tar_entry (tar_out *t, int fd, const struct stat *st, const char *name, sk_err **err)
{
  if (S_ISSOCK (st->st_mode))
    return 0; /* tar has no sockets */
  const char *link = *name ? hardlink_of (t, st, name) : NULL;
  /* a file's data and a directory's entries (and their xattrs) read from the
   * very inode fd is, opened again for reading */
  _cleanup_close_ int rd = -1;
  char path[64];
  if (S_ISREG (st->st_mode) && !link)
    rd = open (sk_fd_path (fd, path, sizeof path), O_RDONLY | O_CLOEXEC);
  else if (S_ISDIR (st->st_mode))
    rd = openat (fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if ((S_ISREG (st->st_mode) && !link) || S_ISDIR (st->st_mode)) {
    if (rd < 0)
      return sk_err_set (err, errno, "open `%s`", *name ? name : "/");
  }
  if (*name) {
    archive_entry_clear (t->entry);
    archive_entry_copy_stat (t->entry, st);
    _cleanup_free_ char *tname = NULL;
    if (asprintf (&tname, "%s%s", name, S_ISDIR (st->st_mode) ? "/" : "") < 0)
      return sk_err_set (err, ENOMEM, "archive");
    archive_entry_set_pathname (t->entry, tname);
    char target[PATH_MAX];
    if (link) {
      archive_entry_set_hardlink (t->entry, link);
    } else if (S_ISLNK (st->st_mode)) {
      ssize_t n = readlinkat (fd, "", target, sizeof target - 1);
      if (n < 0)
        return sk_err_set (err, errno, "readlink `%s`", name);
      target[n] = '\0';
      archive_entry_set_symlink (t->entry, target);
    }
    if (!S_ISREG (st->st_mode) || link)
      archive_entry_set_size (t->entry, 0);
    if (rd >= 0 && add_xattrs (t, rd, name, err) < 0)
      return -1;
    if (archive_write_header (t->a, t->entry) < ARCHIVE_WARN)
      return tar_error (t, name, err);
    if (S_ISREG (st->st_mode) && !link) {
      char buf[65536];
      int64_t left = st->st_size;
      while (left > 0) {
        ssize_t n = read (rd, buf, left < (int64_t) sizeof buf ? (size_t) left : sizeof buf);
        if (n < 0 && errno == EINTR)
          continue;
        if (n < 0)
          return sk_err_set (err, errno, "read `%s`", name);
        if (n == 0) /* it shrank meanwhile: the size announced, in zeros */
          memset (buf, 0, (size_t) (n = left < (int64_t) sizeof buf ? left : (int64_t) sizeof buf));
        if (archive_write_data (t->a, buf, (size_t) n) < 0)
          return tar_error (t, name, err);
        left -= n;
      }
      t->bytes += st->st_size;
    }
  }
  if (!S_ISDIR (st->st_mode) || (t->one_fs && st->st_dev != t->dev))
    return 0;
  return tar_dir (t, rd, name, err);
}

static int
tar_dir (tar_out *t, int dirfd, const char *prefix, sk_err **err)
{
  int fd = dup (dirfd);
  DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
  if (d == NULL) {
    if (fd >= 0)
      close (fd);
    return sk_err_set (err, errno, "read `%s`", prefix);
  }
  _cleanup_closedir_ DIR *dd = d;
  struct dirent *de;
  while ((errno = 0, de = readdir (dd))) {
    if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
      continue;
    _cleanup_free_ char *name = NULL;
    if (asprintf (&name, "%s%s%s", prefix, *prefix ? "/" : "", de->d_name) < 0)
      return sk_err_set (err, ENOMEM, "archive");
    _cleanup_close_ int child = openat (dirfd, de->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (child < 0 && errno == ENOENT)
      continue; /* gone meanwhile */
    if (child < 0 || fstatat (child, "", &st, AT_EMPTY_PATH) < 0)
      return sk_err_set (err, errno, "open `%s`", name);
    if (tar_entry (t, child, &st, name, err) < 0)
      return -1;
  }
  if (errno)
    return sk_err_set (err, errno, "read `%s`", prefix);
  return 0;
}

/* Writes the tree at fd (O_PATH) to out as a tar, its top entry named as. */
static int
tar_tree (int fd, const char *as, bool one_fs, int out, int64_t *bytes, sk_err **err)
{
  struct stat st;
  if (fstatat (fd, "", &st, AT_EMPTY_PATH) < 0)
    return sk_err_set (err, errno, "stat `%s`", as);
  tar_out t = {.one_fs = one_fs, .dev = st.st_dev};
  t.a = archive_write_new ();
  t.entry = archive_entry_new ();
  if (t.a == NULL || t.entry == NULL) {
    if (t.a)
      archive_write_free (t.a);
    if (t.entry)
      archive_entry_free (t.entry);
    return sk_archive_alloc_error (err, "archive");
  }
  int ret = 0;
  if (archive_write_set_format_pax_restricted (t.a) < 0 ||
      archive_write_set_bytes_in_last_block (t.a, 1) < 0 || archive_write_open_fd (t.a, out) < 0)
    ret = tar_error (&t, as, err);
  if (ret == 0)
    ret = tar_entry (&t, fd, &st, as, err);
  if (archive_write_close (t.a) < 0 && ret == 0)
    ret = tar_error (&t, as, err);
  archive_write_free (t.a);
  archive_entry_free (t.entry);
  for (size_t i = 0; i < t.n_links; i++)
    free (t.links[i].name);
  free (t.links);
  if (bytes)
    *bytes = t.bytes;
  return ret;
}

int
sk_ctr_fs_archive (sk_ctr_fs *fs, const char *path, bool follow, const char *as, int out,
                   int64_t *bytes, sk_err **err)
{
  _cleanup_close_ int fd = fs_open_entry (fs, path, follow, err);
  if (fd < 0)
    return -1;
  return tar_tree (fd, as, false, out, bytes, err);
}

int
sk_engine_export (sk_engine *e, const char *id, int out, sk_err **err)
{
  sk_ctr_fs *fs = NULL;
  if (sk_engine_fs_open (e, id, true, &fs, err) < 0)
    return -1;
  int ret = tar_tree (fs->rootfd, "", true, out, NULL, err);
  sk_ctr_fs_close (fs);
  return ret;
}

/* ---- extracting a tar into a directory ---- */

/* An entry's name under the destination, cleaned; NULL when it would leave
 * it, *skip for the destination itself. */
static char *
entry_name (const char *dir, const char *name, sk_err **err)
{
  /* cleaned on its own first: ".." may not climb above the destination */
  _cleanup_free_ char *rel = sk_ctr_path_clean (name);
  if (rel == NULL) {
    sk_err_set (err, ENOMEM, "extract");
    return NULL;
  }
  int depth = 0;
  _cleanup_free_ char *copy = strdup (name);
  char *save = NULL;
  for (char *c = copy ? strtok_r (copy, "/", &save) : NULL; c; c = strtok_r (NULL, "/", &save)) {
    if (strcmp (c, "..") == 0 && --depth < 0) {
      sk_err_set (err, EINVAL, "archive entry `%s` leaves the destination", name);
      return NULL;
    }
    if (strcmp (c, "..") != 0 && strcmp (c, ".") != 0)
      depth++;
  }
  char *full = NULL;
  if (strcmp (rel, "/") == 0)
    full = strdup (dir);
  else if (asprintf (&full, "%s%s", strcmp (dir, "/") == 0 ? "" : dir, rel) < 0)
    full = NULL;
  if (full == NULL)
    sk_err_set (err, ENOMEM, "extract");
  return full;
}

typedef struct extract {
  sk_ctr_fs *fs;
  int destfd; /* the destination directory (O_PATH) */
  const sk_extract_opts *o;
  const char *dir; /* clean */
  struct archive *a;
  int64_t bytes;
} extract;

static int
write_data (extract *x, int fd, const char *name, sk_err **err)
{
  const void *buf;
  size_t size;
  la_int64_t offset, at = 0;
  int r;
  while ((r = archive_read_data_block (x->a, &buf, &size, &offset)) == ARCHIVE_OK) {
    if (offset != at && lseek (fd, offset, SEEK_SET) < 0)
      return sk_err_set (err, errno, "write `%s`", name);
    for (size_t done = 0; done < size;) {
      ssize_t n = write (fd, (const char *) buf + done, size - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return sk_err_set (err, errno, "write `%s`", name);
      done += (size_t) n;
    }
    at = offset + (la_int64_t) size;
    x->bytes += (int64_t) size;
  }
  if (r != ARCHIVE_EOF)
    return sk_err_set (err, archive_errno (x->a), "read the archive: %s",
                       archive_error_string (x->a));
  if (ftruncate (fd, at) < 0)
    return sk_err_set (err, errno, "write `%s`", name);
  return 0;
}

/* The entry's extended attributes on the file fd; a filesystem without
 * them, or without that kind, takes the file without them. */
static int
set_xattrs (extract *x, struct archive_entry *en, int fd, const char *path, sk_err **err)
{
  (void) x;
  const char *name;
  const void *value;
  size_t size;
  archive_entry_xattr_reset (en);
  while (archive_entry_xattr_next (en, &name, &value, &size) == ARCHIVE_OK) {
    /* trusted.* is the kernel's own (overlayfs keeps its whiteouts and
     * redirects there): never taken from an archive */
    if (strncmp (name, "trusted.", 8) == 0)
      continue;
    if (fsetxattr (fd, name, value, size, 0) < 0 && errno != ENOTSUP && errno != EOPNOTSUPP)
      return sk_err_set (err, errno, "set the xattr %s of `%s`", name, path);
  }
  return 0;
}

/* What is at base in dir makes way for an entry (is_dir: a directory);
 * 1 when it is a directory that stays. */
static int
make_way (extract *x, int dir, const char *base, bool is_dir, const char *path, sk_err **err)
{
  struct stat st;
  if (fstatat (dir, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : sk_err_set (err, errno, "stat `%s`", path);
  if (S_ISDIR (st.st_mode) && is_dir)
    return 1;
  if (S_ISDIR (st.st_mode) != is_dir && x->o->no_overwrite_dir_non_dir)
    return is_dir
               ? sk_err_set (err, 0, "cannot overwrite non-directory \"%s\" with directory", path)
               : sk_err_set (err, 0, "cannot overwrite directory \"%s\" with non-directory", path);
  return sk_remove_tree_at (dir, base, err);
}

/* The directory of an entry's path and its last component. Below the
 * destination, with no_follow_below, each component is a real directory
 * reached from the one above (made when missing); a symlink on the way, even
 * one an earlier entry made, is an error, never followed. */
static int
entry_parent (extract *x, const char *path, bool mkdirs, const char **base, sk_err **err)
{
  if (!x->o->no_follow_below)
    return fs_parent (x->fs, path, mkdirs, base, err);
  const char *rel = path + (strcmp (x->dir, "/") == 0 ? 0 : strlen (x->dir));
  while (*rel == '/')
    rel++;
  const char *slash = strrchr (rel, '/');
  *base = slash ? slash + 1 : rel;
  _cleanup_free_ char *dirs = strndup (rel, slash ? (size_t) (slash - rel) : 0);
  int cur = dirs ? openat (x->destfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
  if (cur < 0)
    return sk_err_set (err, dirs ? errno : ENOMEM, "open `%s`", x->dir);
  char *save = NULL;
  for (char *c = strtok_r (dirs, "/", &save); c; c = strtok_r (NULL, "/", &save)) {
    int next = openat (cur, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && errno == ENOENT && mkdirs) {
      if (mkdirat (cur, c, 0755) < 0 && errno != EEXIST)
        next = -1;
      else
        next = openat (cur, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    int e = errno;
    close (cur);
    if (next < 0)
      return sk_err_set (err, e == ELOOP ? ENOTDIR : e, "open the directory of `%s`", path);
    cur = next;
  }
  return cur;
}

static int
extract_entry (extract *x, struct archive_entry *en, sk_err **err)
{
  _cleanup_free_ char *path = entry_name (x->dir, archive_entry_pathname (en), err);
  if (path == NULL)
    return -1;
  if (strcmp (path, x->dir) == 0)
    return 0; /* the destination itself ("./") stays as it is */
  const char *base;
  _cleanup_close_ int dir = entry_parent (x, path, true, &base, err);
  if (dir < 0)
    return -1;
  mode_t type = archive_entry_filetype (en);
  const char *hardlink = archive_entry_hardlink (en);
  int way = make_way (x, dir, base, !hardlink && type == AE_IFDIR, path, err);
  if (way < 0)
    return -1;
  int ret = 0;
  if (hardlink) {
    _cleanup_free_ char *target = entry_name (x->dir, hardlink, err);
    const char *tbase;
    _cleanup_close_ int tdir = target ? entry_parent (x, target, false, &tbase, err) : -1;
    if (tdir < 0)
      return -1;
    if (linkat (tdir, tbase, dir, base, 0) < 0)
      return sk_err_set (err, errno, "link `%s` to `%s`", path, target);
    return 0; /* the file's owner and mode are its first entry's */
  }
  switch (type) {
  case AE_IFDIR: {
    if (way == 0 && mkdirat (dir, base, 0700) < 0)
      return sk_err_set (err, errno, "mkdir `%s`", path);
    _cleanup_close_ int fd = openat (dir, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      return sk_err_set (err, errno, "open `%s`", path);
    ret = set_xattrs (x, en, fd, path, err);
    break;
  }
  case AE_IFREG: {
    _cleanup_close_ int fd =
        openat (dir, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
      return sk_err_set (err, errno, "create `%s`", path);
    ret = write_data (x, fd, path, err);
    if (ret == 0)
      ret = set_xattrs (x, en, fd, path, err);
    break;
  }
  case AE_IFLNK:
    if (symlinkat (archive_entry_symlink (en), dir, base) < 0)
      ret = sk_err_set (err, errno, "symlink `%s`", path);
    break;
  case AE_IFCHR:
  case AE_IFBLK:
  case AE_IFIFO:
    if (mknodat (dir, base, type | 0600, archive_entry_rdev (en)) < 0)
      ret = sk_err_set (err, errno, "mknod `%s`", path);
    break;
  default: return 0; /* nothing tar-made to write */
  }
  if (ret < 0)
    return -1;
  /* never through a symlink, even one swapped in since */
  uid_t uid = x->o->keep_owner ? (uid_t) archive_entry_uid (en) : x->o->uid;
  gid_t gid = x->o->keep_owner ? (gid_t) archive_entry_gid (en) : x->o->gid;
  if (fchownat (dir, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return sk_err_set (err, errno, "chown `%s`", path);
  if (type != AE_IFLNK && fchmodat (dir, base, archive_entry_perm (en), AT_SYMLINK_NOFOLLOW) < 0)
    return sk_err_set (err, errno, "chmod `%s`", path);
  struct timespec times[2] = {{0, UTIME_OMIT},
                              {archive_entry_mtime (en), archive_entry_mtime_nsec (en)}};
  if (utimensat (dir, base, times, AT_SYMLINK_NOFOLLOW) < 0)
    return sk_err_set (err, errno, "set the times of `%s`", path);
  return 0;
}

int
sk_ctr_fs_extract (sk_ctr_fs *fs, const char *dir, int in, const sk_extract_opts *o, int64_t *bytes,
                   sk_err **err)
{
  _cleanup_free_ char *clean = sk_ctr_path_clean (dir);
  if (clean == NULL)
    return sk_err_set (err, ENOMEM, "extract");
  /* the destination must be a directory already, and writable */
  const char *rel;
  int base = fs_base (fs, clean, true, &rel, err);
  _cleanup_close_ int d = base < 0 ? -1 : sk_open_in_root (base, rel, O_PATH | O_DIRECTORY, 0, err);
  if (d < 0) {
    if ((*err)->errnum == ENOENT)
      return not_found (fs, dir, ENOENT, err);
    return -1;
  }
  extract x = {.fs = fs, .destfd = d, .o = o, .dir = clean};
  x.a = archive_read_new ();
  if (x.a == NULL)
    return sk_archive_alloc_error (err, "extract");
  struct archive_entry *en;
  int ret = 0;
  if (archive_read_support_format_tar (x.a) < 0 || archive_read_support_format_gnutar (x.a) < 0 ||
      archive_read_support_filter_gzip (x.a) < 0 || archive_read_open_fd (x.a, in, 65536) < 0)
    ret = sk_err_set (err, 0, "read the archive: %s", archive_error_string (x.a));
  while (ret == 0) {
    int r = archive_read_next_header (x.a, &en);
    if (r == ARCHIVE_EOF)
      break;
    if (r < ARCHIVE_WARN) {
      ret =
          sk_err_set (err, archive_errno (x.a), "read the archive: %s", archive_error_string (x.a));
      break;
    }
    ret = extract_entry (&x, en, err);
  }
  archive_read_free (x.a);
  if (bytes)
    *bytes = x.bytes;
  return ret;
}

/* ---- the container's user ---- */

int
sk_engine_copy_owner (sk_engine *e, sk_ctr_fs *fs, const char *id, uid_t *uid, gid_t *gid,
                      sk_err **err)
{
  *uid = 0;
  *gid = 0;
  _cleanup_ctr_ sk_ctr *c = NULL;
  _cleanup_json_ sk_json *config = NULL, *user = NULL;
  if (sk_engine_get (e, id, &c, err) < 0 ||
      sk_json_parse (c->config, strlen (c->config), "the container's config", &config, err) < 0)
    return -1;
  sk_json *v = NULL;
  const char *spec =
      json_object_object_get_ex (config, "User", &v) && v ? json_object_get_string (v) : "";
  if (spec == NULL || *spec == '\0')
    return 0;
  /* its passwd and group read as data, inside its root */
  if (sk_engine_spec_user (fs->rootfd, spec, NULL, &user, err) < 0)
    return -1;
  if (json_object_object_get_ex (user, "uid", &v))
    *uid = (uid_t) json_object_get_int64 (v);
  if (json_object_object_get_ex (user, "gid", &v))
    *gid = (gid_t) json_object_get_int64 (v);
  return 0;
}
