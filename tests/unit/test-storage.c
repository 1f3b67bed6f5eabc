/* Unit tests: layer storage and container root filesystems
 * (src/storage/storage.c), against the real kernel's overlayfs. The process
 * works in a private mount namespace: whatever it mounts is gone with it. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "storage/storage.h"
#include "util/cleanup.h"
#include "util/fs.h"

typedef struct {
  char dir[256], mnt[300];
  sk_storage *s;
  bool mounted;
} fixture;

static int
setup_driver (void **state, const char *driver)
{
  fixture *f = calloc (1, sizeof *f);
  const char *tmp = getenv ("TMPDIR");
  snprintf (f->dir, sizeof f->dir, "%s/skiff-storage-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (mkdtemp (f->dir) == NULL)
    return -1;
  snprintf (f->mnt, sizeof f->mnt, "%s/mnt", f->dir);
  mkdir (f->mnt, 0755);
  sk_err *err = NULL;
  if (sk_storage_open (f->dir, driver, &f->s, &err) < 0) {
    print_error ("%s\n", err->msg);
    return -1;
  }
  *state = f;
  return 0;
}

static int
setup_overlay (void **state)
{
  return setup_driver (state, "overlay");
}

static int
setup_vfs (void **state)
{
  return setup_driver (state, "vfs");
}

static int
teardown (void **state)
{
  fixture *f = *state;
  if (f->mounted)
    umount2 (f->mnt, MNT_DETACH);
  sk_storage_free (f->s);
  sk_err *err = NULL;
  sk_remove_tree_at (AT_FDCWD, f->dir, &err);
  sk_err_free (&err);
  free (f);
  return 0;
}

static void
put_file (int dirfd, const char *name, const char *content)
{
  int fd = openat (dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  assert_true (fd >= 0);
  assert_int_equal (write (fd, content, strlen (content)), (ssize_t) strlen (content));
  close (fd);
}

static bool
exists (const char *dir, const char *name)
{
  char path[600];
  struct stat st;
  snprintf (path, sizeof path, "%s/%s", dir, name);
  return lstat (path, &st) == 0;
}

/* base: /a, /d/x, /keep. top: /a whited out, /b, /d opaque with /d/y. With
 * vfs, the top layer deletes instead (what unpacking in flat mode does). */
static void
make_two_layers (fixture *f)
{
  sk_err *err = NULL;
  sk_layer_writer *w = NULL;
  assert_int_equal (sk_storage_layer_begin (f->s, "base", NULL, &w, &err), 0);
  int fd = sk_layer_writer_dirfd (w);
  put_file (fd, "a", "a");
  put_file (fd, "keep", "keep");
  assert_int_equal (mkdirat (fd, "d", 0755), 0);
  put_file (fd, "d/x", "x");
  assert_int_equal (sk_layer_writer_commit (w, &err), 0);

  assert_int_equal (sk_storage_layer_begin (f->s, "top", "base", &w, &err), 0);
  fd = sk_layer_writer_dirfd (w);
  put_file (fd, "b", "b");
  if (sk_storage_wants_overlay_whiteouts (f->s)) {
    assert_int_equal (mknodat (fd, "a", S_IFCHR | 0, makedev (0, 0)), 0);
    assert_int_equal (mkdirat (fd, "d", 0755), 0);
    /* d is opaque: the base layer's d/x is hidden */
    int dfd = openat (fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true (dfd >= 0);
    assert_int_equal (fsetxattr (dfd, "trusted.overlay.opaque", "y", 1, 0), 0);
    close (dfd);
  } else {
    assert_int_equal (unlinkat (fd, "a", 0), 0);
    assert_int_equal (unlinkat (fd, "d/x", 0), 0);
  }
  put_file (fd, "d/y", "y");
  assert_int_equal (sk_layer_writer_commit (w, &err), 0);
}

static void
test_rootfs (void **state)
{
  fixture *f = *state;
  sk_err *err = NULL;
  make_two_layers (f);
  const char *layers[] = {"top", "base"};
  assert_int_equal (sk_storage_rootfs_create (f->s, "c1", layers, 2, &err), 0);
  assert_int_equal (sk_storage_rootfs_mount (f->s, "c1", layers, 2, f->mnt, &err), 0);
  f->mounted = true;
  assert_false (exists (f->mnt, "a"));
  assert_true (exists (f->mnt, "b"));
  assert_true (exists (f->mnt, "keep"));
  assert_false (exists (f->mnt, "d/x"));
  assert_true (exists (f->mnt, "d/y"));
  /* the container's writes stay its own */
  int mfd = open (f->mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
  put_file (mfd, "written", "w");
  assert_int_equal (unlinkat (mfd, "keep", 0), 0);
  close (mfd);
  _cleanup_free_ char *upper = sk_storage_rootfs_upper (f->s, "c1");
  assert_true (exists (upper, "written"));
  _cleanup_free_ char *base = sk_storage_layer_path (f->s, "base");
  _cleanup_free_ char *top = sk_storage_layer_path (f->s, "top");
  assert_true (exists (base, "keep"));
  assert_false (exists (base, "written"));
  assert_false (exists (top, "written"));

  assert_int_equal (sk_storage_rootfs_umount (f->mnt, &err), 0);
  f->mounted = false;
  assert_int_equal (sk_storage_rootfs_remove (f->s, "c1", &err), 0);
  assert_false (exists (upper, "written"));
  assert_true (sk_storage_layer_exists (f->s, "base"));
  assert_true (sk_storage_layer_exists (f->s, "top"));
}

/* 200 layers: their paths make far more than a page of mount options */
static void
test_many_layers (void **state)
{
  fixture *f = *state;
  sk_err *err = NULL;
  enum { N = 200 };
  char ids[N][80];
  const char *layers[N];
  for (int i = 0; i < N; i++) {
    /* long ids, like the real 64-digit chain ids */
    snprintf (ids[i], sizeof ids[i], "%064d", i);
    sk_layer_writer *w = NULL;
    assert_int_equal (sk_storage_layer_begin (f->s, ids[i], i ? ids[i - 1] : NULL, &w, &err), 0);
    char name[32];
    snprintf (name, sizeof name, "f%d", i);
    put_file (sk_layer_writer_dirfd (w), name, name);
    assert_int_equal (sk_layer_writer_commit (w, &err), 0);
    layers[N - 1 - i] = ids[i];
  }
  assert_int_equal (sk_storage_rootfs_create (f->s, "many", layers, N, &err), 0);
  if (sk_storage_rootfs_mount (f->s, "many", layers, N, f->mnt, &err) < 0)
    fail_msg ("%s", err->msg);
  f->mounted = true;
  assert_true (exists (f->mnt, "f0"));
  assert_true (exists (f->mnt, "f100"));
  assert_true (exists (f->mnt, "f199"));
}

static void
test_layer_lifecycle (void **state)
{
  fixture *f = *state;
  sk_err *err = NULL;
  sk_layer_writer *w = NULL;
  /* bad ids and a missing parent: refused, nothing made */
  static const char *bad[] = {"", "../x", "a/b", "UPPER", "containers", "tmp-x"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal (sk_storage_layer_begin (f->s, bad[i], NULL, &w, &err), -1);
    assert_non_null (strstr (err->msg, "invalid layer id"));
    assert_null (w);
    sk_err_free (&err);
  }
  /* vfs copies the parent at once; overlay needs it when the child is
   * published, and leaves nothing when it is not there */
  int begun = sk_storage_layer_begin (f->s, "child", "nosuch", &w, &err);
  if (strcmp (sk_storage_driver (f->s), "vfs") == 0) {
    assert_int_equal (begun, -1);
  } else {
    assert_int_equal (begun, 0);
    assert_int_equal (sk_layer_writer_commit (w, &err), -1);
    assert_false (sk_storage_layer_exists (f->s, "child"));
  }
  assert_non_null (strstr (err->msg, "its parent layer nosuch is not stored"));
  sk_err_free (&err);

  /* a layer being written is invisible; aborting leaves nothing */
  assert_int_equal (sk_storage_layer_begin (f->s, "l1", NULL, &w, &err), 0);
  assert_false (sk_storage_layer_exists (f->s, "l1"));
  sk_layer_writer_abort (w);
  assert_false (sk_storage_layer_exists (f->s, "l1"));

  /* a killed writer's directory is removed by the next open; a live one's is not */
  pid_t child = fork ();
  if (child == 0) {
    sk_layer_writer *cw = NULL;
    _exit (sk_storage_layer_begin (f->s, "killed", NULL, &cw, &err) == 0 ? 0 : 1);
  }
  int status;
  assert_int_equal (waitpid (child, &status, 0), child);
  assert_int_equal (sk_storage_layer_begin (f->s, "live", NULL, &w, &err), 0);
  char drvdir[400];
  snprintf (drvdir, sizeof drvdir, "%s/%s", f->dir, sk_storage_driver (f->s));
  int tmps = 0;
  _cleanup_free_ char *cmd = NULL;
  sk_storage *again = NULL;
  assert_int_equal (sk_storage_open (f->dir, sk_storage_driver (f->s), &again, &err), 0);
  sk_storage_free (again);
  FILE *ls = NULL;
  assert_true (asprintf (&cmd, "ls '%s'", drvdir) > 0);
  ls = popen (cmd, "r");
  char line[256];
  while (fgets (line, sizeof line, ls))
    if (strncmp (line, "tmp-", 4) == 0) {
      tmps++;
      assert_non_null (strstr (line, "tmp-live-"));
    }
  pclose (ls);
  assert_int_equal (tmps, 1);
  assert_int_equal (sk_layer_writer_commit (w, &err), 0);
  assert_true (sk_storage_layer_exists (f->s, "live"));
  /* a stored layer: begin says so */
  assert_int_equal (sk_storage_layer_begin (f->s, "live", NULL, &w, &err), 1);
  assert_null (w);
  assert_int_equal (sk_storage_layer_remove (f->s, "live", &err), 0);
  assert_false (sk_storage_layer_exists (f->s, "live"));
}

static void
test_bad_driver (void **state)
{
  sk_storage *s = NULL;
  sk_err *err = NULL;
  assert_int_equal (sk_storage_open ("/nonexistent-skiff", "zfs", &s, &err), -1);
  assert_string_equal (err->msg, "unknown storage driver `zfs` (overlay or vfs)");
  sk_err_free (&err);
}

int
main (void)
{
  /* mounts made here never reach the host */
  if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
    perror ("test-storage: a private mount namespace");
    return 1;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown (test_rootfs, setup_overlay, teardown),
      cmocka_unit_test_setup_teardown (test_rootfs, setup_vfs, teardown),
      cmocka_unit_test_setup_teardown (test_many_layers, setup_overlay, teardown),
      cmocka_unit_test_setup_teardown (test_layer_lifecycle, setup_overlay, teardown),
      cmocka_unit_test_setup_teardown (test_layer_lifecycle, setup_vfs, teardown),
      cmocka_unit_test (test_bad_driver),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
