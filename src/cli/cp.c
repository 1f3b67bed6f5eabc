/* skiff: cp and export, docker's copies of a container's files (the
 * engine's views, sk_ctr_fs, do the work: engine/copy.c). What lands where
 * follows docker cp: a file onto a file, a file or directory into a
 * directory under its own name, a directory onto a missing path as that
 * path, SRC/. as the contents of SRC. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "util/cleanup.h"

static const char cp_help[] = "Usage:  skiff cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n"
                              "        skiff cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH\n\n"
                              "Copy files/folders between a container and the local filesystem\n\n"
                              "Use '-' as the source to read a tar archive from stdin\n"
                              "and extract it to a directory destination in a container.\n"
                              "Use '-' as the destination to stream a tar archive of a\n"
                              "container source to stdout.\n\n"
                              "Options:\n"
                              "  -a, --archive       Archive mode (copy all uid/gid information)\n"
                              "  -L, --follow-link   Always follow symbol link in SRC_PATH\n"
                              "  -q, --quiet         Suppress progress output during copy\n";

/* docker's split: CONTAINER:PATH, unless the argument is absolute or
 * starts with "." (a local path with a colon in it). */
static bool
split_arg (const char *arg, char **ctr, const char **path)
{
  const char *colon = strchr (arg, ':');
  if (arg[0] == '/' || arg[0] == '.' || colon == NULL) {
    *ctr = NULL;
    *path = arg;
    return false;
  }
  *ctr = strndup (arg, (size_t) (colon - arg));
  *path = colon + 1;
  return true;
}

static bool
ends_with (const char *s, const char *suffix)
{
  size_t n = strlen (s), m = strlen (suffix);
  return n >= m && strcmp (s + n - m, suffix) == 0;
}

/* SRC/. (or SRC/./): the contents of SRC */
static bool
wants_contents (const char *path)
{
  return ends_with (path, "/.") || ends_with (path, "/./") || strcmp (path, ".") == 0;
}

/* The last component of a clean path ("." for "/"). */
static const char *
clean_base (const char *clean)
{
  const char *s = strrchr (clean, '/');
  return s && s[1] ? s + 1 : ".";
}

/* The directory of a clean path. */
static char *
clean_dir (const char *clean)
{
  const char *s = strrchr (clean, '/');
  return strndup (clean, s && s != clean ? (size_t) (s - clean) : 1);
}

/* A host path made absolute and clean (relative to the working directory). */
static char *
host_clean (const char *path)
{
  if (path[0] == '/')
    return sk_ctr_path_clean (path);
  char cwd[4096];
  if (getcwd (cwd, sizeof cwd) == NULL)
    return NULL;
  _cleanup_free_ char *joined = NULL;
  if (asprintf (&joined, "%s/%s", cwd, path) < 0)
    return NULL;
  return sk_ctr_path_clean (joined);
}

static int
daemon_fail (sk_err *err)
{
  fprintf (stderr, "Error response from daemon: %s\n", err && err->msg ? err->msg : "failed");
  sk_err_free (&err);
  return 1;
}

/* One side of a copy writes the tar to a pipe while the other reads it. */
typedef struct writer {
  sk_ctr_fs *fs;
  const char *path, *as;
  bool follow;
  int fd;
  int64_t bytes;
  sk_err *err;
} writer;

static void *
write_side (void *data)
{
  writer *w = data;
  sk_ctr_fs_archive (w->fs, w->path, w->follow, w->as, w->fd, &w->bytes, &w->err);
  close (w->fd);
  return NULL;
}

/* Archives path of from (as `as`) into the directory dir of to. */
static int
pipe_copy (sk_ctr_fs *from, const char *path, bool follow, const char *as, sk_ctr_fs *to,
           const char *dir, const sk_extract_opts *o, int64_t *bytes, sk_err **err)
{
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return sk_err_set (err, errno, "pipe");
  writer w = {.fs = from, .path = path, .as = as, .follow = follow, .fd = p[1]};
  pthread_t t;
  if ((errno = pthread_create (&t, NULL, write_side, &w)) != 0) {
    close (p[0]);
    close (p[1]);
    return sk_err_set (err, errno, "pthread_create");
  }
  int ret = sk_ctr_fs_extract (to, dir, p[0], o, bytes, err);
  close (p[0]); /* a writer still writing stops (EPIPE) */
  pthread_join (t, NULL);
  if (w.err) {
    if (ret == 0) {
      *err = w.err;
      ret = -1;
    } else {
      sk_err_free (&w.err);
    }
  }
  return ret;
}

typedef struct cp_opts {
  bool archive, follow, quiet;
} cp_opts;

static void
report (const cp_opts *o, int64_t bytes, const char *dest)
{
  if (o->quiet)
    return;
  char size[32];
  sk_cli_human_size (bytes, size, sizeof size);
  fprintf (stderr, "Successfully copied %s to %s\n", size, dest);
}

static int
from_container (sk_cli *cli, const char *name, const char *src, const char *dst, const cp_opts *o)
{
  sk_err *err = NULL;
  sk_engine *e = NULL;
  _cleanup_free_ char *id = NULL;
  if (sk_cli_engine (cli, &e, &err) < 0)
    return sk_cli_fail (err);
  if (sk_engine_resolve (e, name, &id, &err) < 0)
    return daemon_fail (err);
  sk_ctr_fs *fs = NULL, *host = NULL;
  if (sk_engine_fs_open (e, id, false, &fs, &err) < 0)
    return daemon_fail (err);
  _cleanup_free_ char *clean = sk_ctr_path_clean (src);
  struct stat st;
  int ret = 0;
  if (clean == NULL)
    ret = sk_cli_fail (NULL);
  else if (sk_ctr_fs_stat (fs, src, o->follow, &st, &err) < 0)
    ret = daemon_fail (err);
  else if ((ends_with (src, "/") || wants_contents (src)) && !S_ISDIR (st.st_mode)) {
    sk_err_set (&err, 0, "not a directory: %s", src);
    ret = daemon_fail (err);
  }
  if (ret == 0 && strcmp (dst, "-") == 0) {
    if (sk_ctr_fs_archive (fs, src, o->follow, clean_base (clean), 1, NULL, &err) < 0)
      ret = sk_cli_fail (err);
    sk_ctr_fs_close (fs);
    return ret;
  }
  /* where it goes on the host */
  _cleanup_free_ char *dclean = ret == 0 ? host_clean (dst) : NULL, *parent = NULL;
  const char *as = NULL;
  struct stat ds;
  if (ret == 0 && dclean == NULL)
    ret = sk_cli_fail (NULL);
  bool exists = ret == 0 && stat (dst, &ds) == 0;
  if (ret == 0 && exists && S_ISDIR (ds.st_mode)) {
    parent = strdup (dclean);
    as = wants_contents (src) ? "." : clean_base (clean);
  } else if (ret == 0 && exists && S_ISDIR (st.st_mode)) {
    sk_err_set (&err, 0, "cannot copy directory");
    ret = sk_cli_fail (err);
  } else if (ret == 0 && ends_with (dst, "/") && !S_ISDIR (st.st_mode)) {
    sk_err_set (&err, 0, "no such directory: %s", dst);
    ret = sk_cli_fail (err);
  } else if (ret == 0) {
    parent = clean_dir (dclean);
    as = clean_base (dclean);
  }
  struct stat ps;
  if (ret == 0 && parent == NULL)
    ret = sk_cli_fail (NULL);
  if (ret == 0 && (stat (parent, &ps) < 0 || !S_ISDIR (ps.st_mode))) {
    sk_err_set (&err, S_ISDIR (ps.st_mode) || errno == ENOENT ? errno : ENOTDIR, "lstat %s",
                parent);
    ret = sk_cli_fail (err);
  }
  if (ret == 0 && sk_ctr_fs_host (parent, &host, &err) < 0)
    ret = sk_cli_fail (err);
  /* on the host the owners are kept, as docker keeps them */
  sk_extract_opts xo = {
      .keep_owner = true, .no_overwrite_dir_non_dir = true, .no_follow_below = true};
  int64_t bytes = 0;
  if (ret == 0 && pipe_copy (fs, src, o->follow, as, host, "/", &xo, &bytes, &err) < 0)
    ret = sk_cli_fail (err);
  if (ret == 0)
    report (o, bytes, dst);
  sk_ctr_fs_close (host);
  sk_ctr_fs_close (fs);
  return ret;
}

/* Where a copy into the container goes: the directory to extract into and
 * the name of the top entry; 0, or 1 after the error was printed. */
static int
container_dest (sk_ctr_fs *fs, const char *dst, bool src_dir, bool contents, const char *src_base,
                char **dir, char **as)
{
  sk_err *err = NULL;
  _cleanup_free_ char *clean = sk_ctr_path_clean (dst);
  if (clean == NULL)
    return sk_cli_fail (NULL);
  struct stat ds;
  if (sk_ctr_fs_stat (fs, dst, true, &ds, &err) == 0) {
    if (S_ISDIR (ds.st_mode)) {
      *dir = steal_ptr (clean);
      *as = strdup (contents ? "." : src_base);
      return *as ? 0 : sk_cli_fail (NULL);
    }
    if (src_dir) {
      sk_err_set (&err, 0, "cannot copy directory");
      return daemon_fail (err);
    }
  } else if (err->errnum != ENOENT) {
    return daemon_fail (err);
  } else {
    sk_err_free (&err);
    if (ends_with (dst, "/") && !src_dir) {
      sk_err_set (&err, 0, "no such directory: %s", dst);
      return daemon_fail (err);
    }
  }
  *dir = clean_dir (clean);
  *as = strdup (clean_base (clean));
  if (*dir == NULL || *as == NULL)
    return sk_cli_fail (NULL);
  /* the directory it goes into must be there */
  if (sk_ctr_fs_stat (fs, *dir, true, &ds, &err) < 0)
    return daemon_fail (err);
  if (!S_ISDIR (ds.st_mode)) {
    sk_err_set (&err, 0, "not a directory: %s", *dir);
    return daemon_fail (err);
  }
  return 0;
}

static int
to_container (sk_cli *cli, const char *src, const char *name, const char *dst, const cp_opts *o)
{
  sk_err *err = NULL;
  bool stream = strcmp (src, "-") == 0;
  struct stat st = {0};
  _cleanup_free_ char *sclean = stream ? NULL : host_clean (src);
  if (!stream) {
    if (sclean == NULL)
      return sk_cli_fail (NULL);
    if ((o->follow ? stat (src, &st) : lstat (src, &st)) < 0) {
      sk_err_set (&err, errno, "lstat %s", src);
      return sk_cli_fail (err);
    }
    if ((ends_with (src, "/") || wants_contents (src)) && !S_ISDIR (st.st_mode)) {
      sk_err_set (&err, 0, "not a directory: %s", src);
      return sk_cli_fail (err);
    }
  } else if (isatty (0)) {
    sk_err_set (&err, 0, "cannot read a tar archive from a terminal: pipe one in");
    return sk_cli_fail (err);
  }
  sk_engine *e = NULL;
  _cleanup_free_ char *id = NULL;
  if (sk_cli_engine (cli, &e, &err) < 0)
    return sk_cli_fail (err);
  if (sk_engine_resolve (e, name, &id, &err) < 0)
    return daemon_fail (err);
  sk_ctr_fs *fs = NULL, *host = NULL;
  if (sk_engine_fs_open (e, id, false, &fs, &err) < 0)
    return daemon_fail (err);
  sk_extract_opts xo = {.keep_owner = o->archive, .no_overwrite_dir_non_dir = true};
  int ret = 0;
  if (!o->archive && sk_engine_copy_owner (e, fs, id, &xo.uid, &xo.gid, &err) < 0)
    ret = daemon_fail (err);
  _cleanup_free_ char *dir = NULL, *sparent = NULL, *as = NULL;
  int64_t bytes = 0;
  if (ret == 0 && stream) {
    struct stat ds;
    if (sk_ctr_fs_stat (fs, dst, true, &ds, &err) < 0) {
      ret = daemon_fail (err);
    } else if (!S_ISDIR (ds.st_mode)) {
      sk_err_set (&err, 0, "destination \"%s:%s\" must be a directory", name, dst);
      ret = sk_cli_fail (err);
    } else if (sk_ctr_fs_extract (fs, dst, 0, &xo, &bytes, &err) < 0) {
      ret = daemon_fail (err);
    }
  } else if (ret == 0) {
    ret = container_dest (fs, dst, S_ISDIR (st.st_mode), wants_contents (src), clean_base (sclean),
                          &dir, &as);
    if (ret == 0 &&
        ((sparent = clean_dir (sclean)) == NULL || sk_ctr_fs_host (sparent, &host, &err) < 0))
      ret = sk_cli_fail (err);
    if (ret == 0 &&
        pipe_copy (host, clean_base (sclean), o->follow, as, fs, dir, &xo, &bytes, &err) < 0)
      ret = daemon_fail (err);
  }
  if (ret == 0 && !stream) {
    _cleanup_free_ char *where = NULL;
    if (asprintf (&where, "%s:%s", name, dst) > 0)
      report (o, bytes, where);
  }
  sk_ctr_fs_close (host);
  sk_ctr_fs_close (fs);
  return ret;
}

int
cmd_cp (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, cp_help))
    return 0;
  static const struct option opts[] = {{"archive", no_argument, NULL, 'a'},
                                       {"follow-link", no_argument, NULL, 'L'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {0}};
  cp_opts o = {0};
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "aLq", opts, NULL)) != -1) {
    switch (c) {
    case 'a': o.archive = true; break;
    case 'L': o.follow = true; break;
    case 'q': o.quiet = true; break;
    default: return sk_cli_usage ("cp", "bad option");
    }
  }
  if (argc - optind != 2)
    return sk_cli_usage ("cp", "\"cp\" requires exactly 2 arguments");
  _cleanup_free_ char *sctr = NULL, *dctr = NULL;
  const char *spath, *dpath;
  bool from = split_arg (argv[optind], &sctr, &spath);
  bool to = split_arg (argv[optind + 1], &dctr, &dpath);
  sk_err *err = NULL;
  if (from && to)
    sk_err_set (&err, 0, "copying between containers is not supported");
  else if (!from && !to)
    sk_err_set (&err, 0, "must specify at least one container source");
  else if (*(from ? sctr : dctr) == '\0')
    sk_err_set (&err, 0, "no container name before `:` in `%s`", argv[from ? optind : optind + 1]);
  else if (*spath == '\0' || *dpath == '\0')
    sk_err_set (&err, 0, "%s path cannot be empty", *spath == '\0' ? "source" : "destination");
  if (err)
    return sk_cli_fail (err);
  if (from)
    return from_container (cli, sctr, spath, dpath, &o);
  return to_container (cli, spath, dctr, dpath, &o);
}

/* ---- export ---- */

static const char export_help[] = "Usage:  skiff export [OPTIONS] CONTAINER\n\n"
                                  "Export a container's filesystem as a tar archive\n\n"
                                  "Options:\n"
                                  "  -o, --output string   Write to a file, instead of STDOUT\n";

int
cmd_export (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, export_help))
    return 0;
  static const struct option opts[] = {{"output", required_argument, NULL, 'o'}, {0}};
  const char *output = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "o:", opts, NULL)) != -1) {
    switch (c) {
    case 'o': output = optarg; break;
    default: return sk_cli_usage ("export", "bad option");
    }
  }
  if (argc - optind != 1)
    return sk_cli_usage ("export", "\"export\" requires exactly 1 argument");
  sk_err *err = NULL;
  if (output == NULL && isatty (1)) {
    sk_err_set (&err, 0, "cowardly refusing to save to a terminal. Use the -o flag or redirect");
    return sk_cli_fail (err);
  }
  sk_engine *e = NULL;
  _cleanup_free_ char *id = NULL, *tmp = NULL;
  if (sk_cli_engine (cli, &e, &err) < 0)
    return sk_cli_fail (err);
  if (sk_engine_resolve (e, argv[optind], &id, &err) < 0)
    return daemon_fail (err);
  int fd = 1, ret = 0;
  if (output) {
    /* a half-written archive never takes the name */
    if (asprintf (&tmp, "%s.tmp-XXXXXX", output) < 0 || (fd = mkostemp (tmp, O_CLOEXEC)) < 0) {
      sk_err_set (&err, errno, "create `%s`", output);
      return sk_cli_fail (err);
    }
    fchmod (fd, 0644);
  }
  if (sk_engine_export (e, id, fd, &err) < 0)
    ret = daemon_fail (err);
  if (output) {
    if (ret == 0 && (fsync (fd) < 0 || rename (tmp, output) < 0)) {
      sk_err_set (&err, errno, "write `%s`", output);
      ret = sk_cli_fail (err);
    }
    close (fd);
    if (ret != 0)
      unlink (tmp);
  }
  return ret;
}
