/* Unit tests: in-root resolution (openat2 and the fallback walker) never leaves the root;
 * copying a tree keeps what it copies and follows no link. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/cleanup.h"
#include "util/fs.h"

static char base[] = "/tmp/skiff-test-fs.XXXXXX";
static int rootfd = -1;

static int
setup (void **state)
{
  if (mkdtemp (base) == NULL)
    return -1;
  char p[512];
  snprintf (p, sizeof p, "%s/root", base);
  mkdir (p, 0755);
  snprintf (p, sizeof p, "%s/outside", base);
  mkdir (p, 0755);
  snprintf (p, sizeof p, "%s/outside/secret", base);
  FILE *f = fopen (p, "w");
  fputs ("host", f);
  fclose (f);
  snprintf (p, sizeof p, "%s/root/secret", base);
  f = fopen (p, "w");
  fputs ("inside", f);
  fclose (f);
  snprintf (p, sizeof p, "%s/root/dir", base);
  mkdir (p, 0755);
  /* links that try to leave: relative, absolute, chained */
  snprintf (p, sizeof p, "%s/root/up", base);
  symlink ("../../outside", p);
  snprintf (p, sizeof p, "%s/root/abs", base);
  char target[512];
  snprintf (target, sizeof target, "%s/outside", base);
  symlink (target, p);
  snprintf (p, sizeof p, "%s/root/dir/chain", base);
  symlink ("../up", p);
  snprintf (p, sizeof p, "%s/root/rootlink", base);
  symlink ("/", p);
  snprintf (p, sizeof p, "%s/root", base);
  rootfd = open (p, O_PATH | O_DIRECTORY | O_CLOEXEC);
  return rootfd < 0 ? -1 : 0;
}

static int
teardown (void **state)
{
  sk_err *err = NULL;
  close (rootfd);
  sk_remove_tree_at (AT_FDCWD, base, &err);
  sk_err_free (&err);
  return 0;
}

static void
read_in_root (const char *path, const char *want)
{
  _cleanup_err_ sk_err *err = NULL;
  _cleanup_close_ int fd = sk_open_in_root (rootfd, path, O_RDONLY, 0, &err);
  if (want == NULL) {
    assert_true (fd < 0);
    return;
  }
  if (fd < 0)
    fail_msg ("%s: %s", path, err->msg);
  char buf[64] = {0};
  assert_true (read (fd, buf, sizeof buf - 1) > 0);
  assert_string_equal (buf, want);
}

static void
run_escapes (void)
{
  read_in_root ("/secret", "inside");
  read_in_root ("../../../secret", "inside");
  /* "up" points at ../../outside: clamped at the root, so it is /outside there, which does not exist */
  read_in_root ("/up/secret", NULL);
  read_in_root ("/abs/secret", NULL);
  read_in_root ("/dir/chain/secret", NULL);
  read_in_root ("/rootlink/secret", "inside");
  read_in_root ("/dir/../../secret", "inside");
}

static void
test_openat2 (void **state)
{
  sk_fs_force_fallback (false);
  run_escapes ();
}

static void
test_fallback (void **state)
{
  sk_fs_force_fallback (true);
  run_escapes ();
  sk_fs_force_fallback (false);
}

static void
test_mkdir_in_root_stays_inside (void **state)
{
  for (int fb = 0; fb < 2; fb++) {
    sk_fs_force_fallback (fb);
    _cleanup_err_ sk_err *err = NULL;
    _cleanup_close_ int fd = sk_mkdir_in_root (rootfd, "/abs/made/deep", 0755, &err);
    if (fd < 0)
      fail_msg ("mkdir: %s", err->msg);
    char p[512];
    struct stat st;
    snprintf (p, sizeof p, "%s/outside/made", base);
    assert_int_equal (stat (p, &st), -1);
    /* the absolute link resolved to <root>/tmp/.../outside, created inside the root */
    snprintf (p, sizeof p, "%s/root%s/outside/made/deep", base, base);
    assert_int_equal (stat (p, &st), 0);
  }
  sk_fs_force_fallback (false);
}

static void
test_loops_and_odd_paths (void **state)
{
  char p[512];
  snprintf (p, sizeof p, "%s/root/loop1", base);
  symlink ("loop2", p);
  snprintf (p, sizeof p, "%s/root/loop2", base);
  symlink ("loop1", p);
  for (int fb = 0; fb < 2; fb++) {
    sk_fs_force_fallback (fb);
    _cleanup_err_ sk_err *err = NULL;
    assert_true (sk_open_in_root (rootfd, "/loop1/x", O_RDONLY, 0, &err) < 0);
    assert_int_equal (err->errnum, ELOOP);
    sk_err_free (&err);
    read_in_root ("//dir/./..//secret", "inside");
    _cleanup_close_ int d = sk_open_in_root (rootfd, "/dir/", O_PATH | O_DIRECTORY, 0, &err);
    assert_true (d >= 0);
    _cleanup_close_ int r = sk_open_in_root (rootfd, "/", O_PATH | O_DIRECTORY, 0, &err);
    assert_true (r >= 0);
    /* a file created through an absolute symlink lands inside */
    _cleanup_close_ int c = sk_open_in_root (rootfd, "/abs/created", O_WRONLY | O_CREAT, 0600, &err);
    if (c < 0)
      fail_msg ("%s", err->msg);
  }
  sk_fs_force_fallback (false);
  snprintf (p, sizeof p, "%s/outside/created", base);
  assert_int_equal (access (p, F_OK), -1);
}

static void
test_magic_links_refused (void **state)
{
  _cleanup_close_ int slash = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  for (int fb = 0; fb < 2; fb++) {
    sk_fs_force_fallback (fb);
    _cleanup_err_ sk_err *err = NULL;
    int fd = sk_open_in_root (slash, "/proc/self/fd/0", O_PATH, 0, &err);
    if (fd >= 0)
      close (fd);
    assert_true (fd < 0);
    assert_int_equal (err->errnum, ELOOP);
    sk_err_free (&err);
    /* plain procfs links still work */
    fd = sk_open_in_root (slash, "/proc/self/status", O_RDONLY, 0, &err);
    assert_true (fd >= 0);
    close (fd);
  }
  sk_fs_force_fallback (false);
}

static void
test_safe_component (void **state)
{
  assert_true (sk_is_safe_component ("abc"));
  assert_false (sk_is_safe_component (".."));
  assert_false (sk_is_safe_component ("a/b"));
  assert_false (sk_is_safe_component (""));
  _cleanup_free_ char *j = sk_path_join ("/a/", "/b");
  assert_string_equal (j, "/a/b");
}

static void
test_copy_tree (void **state)
{
  char p[512], q[512];
  snprintf (p, sizeof p, "%s/root/secret", base);
  assert_int_equal (chmod (p, 0640), 0);
  assert_int_equal (chown (p, 1000, 1001), 0);
  struct timespec old[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
  assert_int_equal (utimensat (AT_FDCWD, p, old, 0), 0);
  snprintf (p, sizeof p, "%s/root/dir", base);
  assert_int_equal (chmod (p, 0750), 0);
  snprintf (q, sizeof q, "%s/copy", base);
  assert_int_equal (mkdir (q, 0755), 0);
  _cleanup_close_ int dst = open (q, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  _cleanup_err_ sk_err *err = NULL;
  if (sk_copy_tree_at (rootfd, dst, &err) < 0)
    fail_msg ("copy: %s", err->msg);
  /* the file: content, owner, mode and time kept */
  struct stat st;
  snprintf (q, sizeof q, "%s/copy/secret", base);
  assert_int_equal (stat (q, &st), 0);
  assert_int_equal (st.st_mode & 07777, 0640);
  assert_int_equal (st.st_uid, 1000);
  assert_int_equal (st.st_gid, 1001);
  assert_int_equal (st.st_mtim.tv_sec, 1000000000);
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  assert_int_equal (sk_read_file (q, &data, &len, &err), 0);
  assert_string_equal (data, "inside");
  /* a directory with its mode and what it holds; links copied, not followed */
  snprintf (q, sizeof q, "%s/copy/dir", base);
  assert_int_equal (stat (q, &st), 0);
  assert_int_equal (st.st_mode & 07777, 0750);
  char target[512] = {0};
  snprintf (q, sizeof q, "%s/copy/dir/chain", base);
  assert_true (readlink (q, target, sizeof target - 1) > 0);
  assert_string_equal (target, "../up");
  snprintf (q, sizeof q, "%s/copy/abs", base);
  assert_int_equal (lstat (q, &st), 0);
  assert_true (S_ISLNK (st.st_mode));
  snprintf (q, sizeof q, "%s/copy/outside", base);
  assert_int_equal (access (q, F_OK), -1);
}

static void
test_create_unique (void **state)
{
  sk_err *err = NULL;
  char a[] = "file-XXXXXX", b[] = "file-XXXXXX", d[] = "dir-XXXXXX", bad[] = "nox";
  int fa = sk_create_unique_at (rootfd, a, false, &err);
  int fb = sk_create_unique_at (rootfd, b, false, &err);
  assert_true (fa >= 0 && fb >= 0);
  assert_string_not_equal (a, b);
  assert_null (strstr (a, "XXXXXX"));
  struct stat st;
  assert_int_equal (fstat (fa, &st), 0);
  assert_int_equal (st.st_mode & 0777, 0600);
  assert_int_equal (write (fa, "x", 1), 1);
  close (fa);
  close (fb);
  assert_int_equal (sk_create_unique_at (rootfd, d, true, &err), 0);
  assert_int_equal (fstatat (rootfd, d, &st, 0), 0);
  assert_true (S_ISDIR (st.st_mode));
  assert_int_equal (st.st_mode & 0777, 0700);
  assert_int_equal (sk_create_unique_at (rootfd, bad, false, &err), -1);
  assert_non_null (strstr (err->msg, "no XXXXXX"));
  sk_err_free (&err);
  unlinkat (rootfd, a, 0);
  unlinkat (rootfd, b, 0);
  unlinkat (rootfd, d, AT_REMOVEDIR);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_openat2),
      cmocka_unit_test (test_fallback),
      cmocka_unit_test (test_mkdir_in_root_stays_inside),
      cmocka_unit_test (test_loops_and_odd_paths),
      cmocka_unit_test (test_magic_links_refused),
      cmocka_unit_test (test_safe_component),
      cmocka_unit_test (test_copy_tree),
      cmocka_unit_test (test_create_unique),
  };
  return cmocka_run_group_tests_name ("fs", tests, setup, teardown);
}
