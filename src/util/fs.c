/* skiff: file helpers and in-root path resolution; see fs.h. */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include "cleanup.h"

int
sk_read_file_at (int dirfd, const char *path, char **data, size_t *len, sk_err **err)
{
  _cleanup_close_ int fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return sk_err_set (err, errno, "open `%s`", path);
  size_t alloc = 4096, used = 0;
  _cleanup_free_ char *buf = malloc (alloc);
  if (buf == NULL)
    return sk_err_set (err, ENOMEM, "read `%s`", path);
  for (;;) {
    if (used + 1 >= alloc) {
      char *p = realloc (buf, alloc * 2);
      if (p == NULL)
        return sk_err_set (err, ENOMEM, "read `%s`", path);
      buf = p;
      alloc *= 2;
    }
    ssize_t n = read (fd, buf + used, alloc - used - 1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return sk_err_set (err, errno, "read `%s`", path);
    if (n == 0)
      break;
    used += (size_t) n;
  }
  buf[used] = '\0';
  if (len)
    *len = used;
  *data = steal_ptr (buf);
  return 0;
}

int
sk_read_file (const char *path, char **data, size_t *len, sk_err **err)
{
  return sk_read_file_at (AT_FDCWD, path, data, len, err);
}

int
sk_write_file_at (int dirfd, const char *path, const char *data, size_t len, sk_err **err)
{
  _cleanup_close_ int fd = openat (dirfd, path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return sk_err_set (err, errno, "open `%s`", path);
  ssize_t n;
  do
    n = write (fd, data, len);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return sk_err_set (err, errno, "write `%s` to `%s`", data, path);
  if ((size_t) n != len)
    return sk_err_set (err, EIO, "short write to `%s`", path);
  return 0;
}

static int
write_and_rename (const char *path, const char *data, size_t len, mode_t mode, bool durable,
                  sk_err **err)
{
  _cleanup_free_ char *tmp = NULL;
  if (asprintf (&tmp, "%s.tmp.%d", path, getpid ()) < 0)
    return sk_err_set (err, ENOMEM, "write `%s`", path);
  _cleanup_close_ int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0)
    return sk_err_set (err, errno, "create `%s`", tmp);
  const char *p = data;
  size_t left = len;
  while (left > 0) {
    ssize_t n = write (fd, p, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int e = errno;
      unlink (tmp);
      return sk_err_set (err, e, "write `%s`", tmp);
    }
    p += n;
    left -= (size_t) n;
  }
  if ((durable && fsync (fd) < 0) || rename (tmp, path) < 0) {
    int e = errno;
    unlink (tmp);
    return sk_err_set (err, e, "write `%s`", path);
  }
  return 0;
}

int
sk_write_file_atomic (const char *path, const char *data, size_t len, mode_t mode, sk_err **err)
{
  return write_and_rename (path, data, len, mode, true, err);
}

int
sk_write_file_replace (const char *path, const char *data, size_t len, mode_t mode,
                       sk_err **err)
{
  return write_and_rename (path, data, len, mode, false, err);
}

int
sk_mkdir_p (const char *path, mode_t mode, sk_err **err)
{
  _cleanup_free_ char *p = strdup (path);
  if (p == NULL)
    return sk_err_set (err, ENOMEM, "mkdir `%s`", path);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/')
      continue;
    *s = '\0';
    if (mkdir (p, mode) < 0 && errno != EEXIST)
      return sk_err_set (err, errno, "mkdir `%s`", p);
    *s = '/';
  }
  if (mkdir (p, mode) < 0 && errno != EEXIST)
    return sk_err_set (err, errno, "mkdir `%s`", p);
  return 0;
}

int
sk_remove_tree_at (int parent, const char *name, sk_err **err)
{
  if (unlinkat (parent, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return sk_err_set (err, errno, "remove `%s`", name);
  int fd = openat (parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : sk_err_set (err, errno, "open `%s`", name);
  _cleanup_closedir_ DIR *d = fdopendir (fd);
  if (d == NULL) {
    close (fd);
    return sk_err_set (err, errno, "opendir `%s`", name);
  }
  struct dirent *de;
  while ((de = readdir (d))) {
    if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
      continue;
    if (sk_remove_tree_at (dirfd (d), de->d_name, err) < 0)
      return -1;
  }
  if (unlinkat (parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return sk_err_set (err, errno, "remove `%s`", name);
  return 0;
}

/* ---- copying a tree (tmpcopyup) ---- */

static int
copy_file_data (int src_dir, int dst_dir, const char *name, mode_t mode, sk_err **err)
{
  _cleanup_close_ int in = openat (src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0)
    return sk_err_set (err, errno, "copy `%s`: open", name);
  _cleanup_close_ int out =
      openat (dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 07777);
  if (out < 0)
    return sk_err_set (err, errno, "copy `%s`: create", name);
  char buf[65536];
  ssize_t n;
  while ((n = read (in, buf, sizeof buf)) != 0) {
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return sk_err_set (err, errno, "copy `%s`: read", name);
    }
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write (out, buf + done, (size_t) (n - done));
      if (w < 0 && errno != EINTR)
        return sk_err_set (err, errno, "copy `%s`: write", name);
      done += w > 0 ? w : 0;
    }
  }
  return 0;
}

/* One entry of src_dir into dst_dir, never following a symlink; owner, mode
 * and times as they were. */
static int
copy_entry (int src_dir, int dst_dir, const char *name, sk_err **err)
{
  struct stat st;
  if (fstatat (src_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return sk_err_set (err, errno, "copy `%s`: stat", name);
  if (S_ISDIR (st.st_mode)) {
    if (mkdirat (dst_dir, name, 0700) < 0)
      return sk_err_set (err, errno, "copy `%s`: mkdir", name);
    _cleanup_close_ int from =
        openat (src_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int to =
        openat (dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (from < 0 || to < 0)
      return sk_err_set (err, errno, "copy `%s`: open", name);
    if (sk_copy_tree_at (from, to, err) < 0)
      return sk_err_wrap (err, "%s", name);
  } else if (S_ISREG (st.st_mode)) {
    if (copy_file_data (src_dir, dst_dir, name, st.st_mode, err) < 0)
      return -1;
  } else if (S_ISLNK (st.st_mode)) {
    char target[PATH_MAX];
    ssize_t n = readlinkat (src_dir, name, target, sizeof target - 1);
    if (n < 0)
      return sk_err_set (err, errno, "copy `%s`: readlink", name);
    target[n] = '\0';
    if (symlinkat (target, dst_dir, name) < 0)
      return sk_err_set (err, errno, "copy `%s`: symlink", name);
  } else if (mknodat (dst_dir, name, st.st_mode, st.st_rdev) < 0) {
    return sk_err_set (err, errno, "copy `%s`: mknod", name);
  }
  if (fchownat (dst_dir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
    return sk_err_set (err, errno, "copy `%s`: chown", name);
  /* not following a symlink: a process that can write into dst_dir (a
   * container sharing a volume) may have swapped one in since */
  if (!S_ISLNK (st.st_mode) && fchmodat (dst_dir, name, st.st_mode & 07777, AT_SYMLINK_NOFOLLOW) < 0)
    return sk_err_set (err, errno, "copy `%s`: chmod", name);
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (utimensat (dst_dir, name, times, AT_SYMLINK_NOFOLLOW) < 0)
    return sk_err_set (err, errno, "copy `%s`: set times", name);
  return 0;
}

int
sk_copy_tree_at (int src_dirfd, int dst_dirfd, sk_err **err)
{
  int fd = openat (src_dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return sk_err_set (err, errno, "copy: open the source directory");
  _cleanup_closedir_ DIR *d = fdopendir (fd);
  if (d == NULL) {
    close (fd);
    return sk_err_set (err, errno, "copy: read the source directory");
  }
  struct dirent *de;
  while ((de = readdir (d))) {
    if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
      continue;
    if (copy_entry (dirfd (d), dst_dirfd, de->d_name, err) < 0)
      return -1;
  }
  return 0;
}

const char *
sk_fd_path (int fd, char *buf, size_t size)
{
  snprintf (buf, size, "/proc/self/fd/%d", fd);
  return buf;
}

char *
sk_path_join (const char *a, const char *b)
{
  char *r = NULL;
  while (*b == '/')
    b++;
  size_t la = strlen (a);
  while (la > 1 && a[la - 1] == '/')
    la--;
  if (asprintf (&r, "%.*s/%s", (int) la, a, b) < 0)
    return NULL;
  return r;
}

bool
sk_is_safe_component (const char *name)
{
  return name && *name && strchr (name, '/') == NULL && strcmp (name, ".") != 0 &&
         strcmp (name, "..") != 0;
}

/* ---- in-root resolution ---- */

static bool force_fallback;
static int openat2_works = -1; /* unknown, 0 no, 1 yes */

void
sk_fs_force_fallback (bool on)
{
  force_fallback = on;
}

/* The fallback: walks one component at a time with O_NOFOLLOW, expanding
 * symlinks by hand and clamping ".." at the root. Directories on the way are
 * created when `mkdirs` is set. The last component is opened with `flags`. */
#define MAX_DEPTH 256
#define MAX_LINKS 40

typedef struct walk {
  int stack[MAX_DEPTH]; /* fds of the directories entered below the root */
  int depth;
  int rootfd;
} walk;

static int
walk_cur (walk *w)
{
  return w->depth ? w->stack[w->depth - 1] : w->rootfd;
}

static void
walk_reset (walk *w)
{
  while (w->depth)
    close (w->stack[--w->depth]);
}

enum { STEP_ON, STEP_DONE, STEP_LINK, STEP_FAIL };

/* The last component: opened with the caller's flags, never through a symlink. */
static int
open_last (walk *w, const char *name, const char *path, int flags, mode_t mode, bool mkdirs,
           int *result, sk_err **err)
{
  int cur = walk_cur (w);
  struct stat st;
  if (fstatat (cur, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno != ENOENT || !(mkdirs || (flags & O_CREAT)))
      return sk_err_set (err, errno, "open `%s`", path), STEP_FAIL;
    if (mkdirs && mkdirat (cur, name, mode) < 0 && errno != EEXIST)
      return sk_err_set (err, errno, "mkdir `%s`", path), STEP_FAIL;
  } else if (S_ISLNK (st.st_mode)) {
    return STEP_LINK;
  }
  /* O_NOFOLLOW: a symlink swapped in since the stat makes this fail */
  int fd = openat (cur, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd >= 0 && (flags & O_PATH) && fstat (fd, &st) == 0 && S_ISLNK (st.st_mode)) {
    close (fd);
    fd = -1;
    errno = ELOOP;
  }
  if (fd < 0)
    return sk_err_set (err, errno, "open `%s`", path), STEP_FAIL;
  *result = fd;
  return STEP_DONE;
}

/* A directory on the way: entered (made first when asked), or a symlink to follow. */
static int
enter_dir (walk *w, const char *name, const char *path, mode_t mode, bool mkdirs, sk_err **err)
{
  int cur = walk_cur (w);
  int fd = openat (cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && mkdirs) {
    if (mkdirat (cur, name, mode) < 0 && errno != EEXIST)
      return sk_err_set (err, errno, "mkdir `%s`", path), STEP_FAIL;
    fd = openat (cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  }
  if (fd < 0)
    return sk_err_set (err, errno, "open `%s`", path), STEP_FAIL;
  struct stat st;
  int e = fstat (fd, &st) < 0 ? errno : 0;
  if (e == 0 && S_ISDIR (st.st_mode) && w->depth < MAX_DEPTH) {
    w->stack[w->depth++] = fd;
    return STEP_ON;
  }
  close (fd);
  if (e)
    return sk_err_set (err, e, "stat `%s`", path), STEP_FAIL;
  if (S_ISDIR (st.st_mode))
    return sk_err_set (err, ENAMETOOLONG, "resolve `%s`", path), STEP_FAIL;
  if (!S_ISLNK (st.st_mode))
    return sk_err_set (err, ENOTDIR, "open `%s`", path), STEP_FAIL;
  return STEP_LINK;
}

/* Splices the target of the symlink `name` in front of `rest`; an absolute
 * target starts again from the root. Returns the new work string. The links
 * of procfs other than self and thread-self are magic (fd/N, exe, cwd, root):
 * never followed, as openat2's RESOLVE_NO_MAGICLINKS would not. */
static char *
splice_link (walk *w, const char *name, const char *rest, const char *path, sk_err **err)
{
  struct statfs sf;
  if (fstatfs (walk_cur (w), &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC &&
      strcmp (name, "self") != 0 && strcmp (name, "thread-self") != 0) {
    sk_err_set (err, ELOOP, "open `%s`: a magic link of /proc", path);
    return NULL;
  }
  char target[PATH_MAX];
  ssize_t n = readlinkat (walk_cur (w), name, target, sizeof target - 1);
  if (n < 0) {
    sk_err_set (err, errno, "readlink `%s`", path);
    return NULL;
  }
  target[n] = '\0';
  char *next = NULL;
  if (asprintf (&next, "%s/%s", target, rest) < 0) {
    sk_err_set (err, ENOMEM, "resolve `%s`", path);
    return NULL;
  }
  if (target[0] == '/')
    walk_reset (w);
  return next;
}

static int
fallback_open (int rootfd, const char *path, int flags, mode_t mode, bool mkdirs, sk_err **err)
{
  walk w = {.depth = 0, .rootfd = rootfd};
  _cleanup_free_ char *work = strdup (path);
  if (work == NULL)
    return sk_err_set (err, ENOMEM, "resolve `%s`", path);
  int links = 0, ret = -1, step = STEP_ON;
  char *rest = work;
  while (step == STEP_ON) {
    while (*rest == '/')
      rest++;
    char *name = rest;
    size_t len = strcspn (rest, "/");
    rest += len;
    if (*rest)
      *rest++ = '\0';
    bool last = rest[strspn (rest, "/")] == '\0';
    if (len == 0 || strcmp (name, ".") == 0 || strcmp (name, "..") == 0) {
      /* ".." never goes above the root */
      if (strcmp (name, "..") == 0 && w.depth)
        close (w.stack[--w.depth]);
      if (!last)
        continue;
      /* the path named a directory we are in: reopen it with the flags asked */
      ret = openat (walk_cur (&w), ".", flags | O_CLOEXEC);
      if (ret < 0)
        sk_err_set (err, errno, "open `%s`", path);
      break;
    }
    step = last ? open_last (&w, name, path, flags, mode, mkdirs, &ret, err)
                : enter_dir (&w, name, path, mode, mkdirs, err);
    if (step != STEP_LINK)
      continue;
    if (++links > MAX_LINKS) {
      sk_err_set (err, ELOOP, "open `%s`", path);
      break;
    }
    char *next = splice_link (&w, name, rest, path, err);
    if (next == NULL)
      break;
    free (work);
    rest = work = next;
    step = STEP_ON;
  }
  walk_reset (&w);
  return ret;
}

/* Asked once: is there an openat2 (a kernel before 5.6, or a seccomp filter
 * that refuses it, has none)? Errors of real lookups say nothing about it. */
static bool
have_openat2 (void)
{
  if (openat2_works < 0) {
    struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
    int fd = (int) syscall (SYS_openat2, AT_FDCWD, "/", &how, sizeof how);
    openat2_works = fd >= 0;
    if (fd >= 0)
      close (fd);
  }
  return openat2_works == 1;
}

static int
resolve (int rootfd, const char *path, int flags, mode_t mode, bool mkdirs, sk_err **err)
{
  if (!force_fallback && have_openat2 ()) {
    struct open_how how = {
        .flags = (uint64_t) (flags | O_CLOEXEC),
        .mode = ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? mode : 0,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    const char *rel = path;
    while (*rel == '/')
      rel++;
    if (*rel == '\0')
      rel = ".";
    int fd = (int) syscall (SYS_openat2, rootfd, rel, &how, sizeof how);
    if (fd >= 0)
      return fd;
    if (errno == EAGAIN) {
      /* a concurrent rename raced the lookup: let the fallback do it */
    } else if (!(mkdirs && errno == ENOENT)) {
      return sk_err_set (err, errno, "open `%s`", path);
    }
  }
  return fallback_open (rootfd, path, flags, mode, mkdirs, err);
}

int
sk_open_in_root (int rootfd, const char *path, int flags, mode_t mode, sk_err **err)
{
  return resolve (rootfd, path, flags, mode, false, err);
}

int
sk_mkdir_in_root (int rootfd, const char *path, mode_t mode, sk_err **err)
{
  return resolve (rootfd, path, O_PATH | O_DIRECTORY, mode, true, err);
}

int
sk_create_unique_at (int dirfd, char *name, bool directory, sk_err **err)
{
  static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  size_t len = strlen (name);
  if (len < 6 || strcmp (name + len - 6, "XXXXXX") != 0)
    return sk_err_set (err, EINVAL, "`%s`: no XXXXXX to replace", name);
  for (int tries = 0; tries < 100; tries++) {
    unsigned char rnd[6];
    if (getrandom (rnd, sizeof rnd, 0) != (ssize_t) sizeof rnd)
      return sk_err_set (err, errno, "getrandom");
    for (size_t i = 0; i < 6; i++)
      name[len - 6 + i] = chars[rnd[i] % (sizeof chars - 1)];
    int r = directory ? mkdirat (dirfd, name, 0700)
                      : openat (dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (r >= 0)
      return r;
    if (errno != EEXIST)
      return sk_err_set (err, errno, "create `%s`", name);
  }
  return sk_err_set (err, EEXIST, "create `%s`: no free name", name);
}

static int
cmp_names (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int
sk_dir_names_sorted (int dirfd, char ***out, size_t *n_out, sk_err **err)
{
  int fd = openat (dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
  if (d == NULL) {
    if (fd >= 0)
      close (fd);
    return sk_err_set (err, errno, "read a directory");
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  int ret = 0;
  struct dirent *de;
  while ((de = readdir (d)) != NULL) {
    if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
      continue;
    if (n == cap) {
      char **nv = realloc (names, (cap = cap ? cap * 2 : 16) * sizeof *nv);
      if (nv == NULL) {
        ret = sk_err_set (err, ENOMEM, "read a directory");
        break;
      }
      names = nv;
    }
    if ((names[n] = strdup (de->d_name)) == NULL) {
      ret = sk_err_set (err, ENOMEM, "read a directory");
      break;
    }
    n++;
  }
  closedir (d);
  if (ret < 0) {
    for (size_t i = 0; i < n; i++)
      free (names[i]);
    free (names);
    return -1;
  }
  if (n)
    qsort (names, n, sizeof *names, cmp_names);
  *out = names;
  *n_out = n;
  return 0;
}
