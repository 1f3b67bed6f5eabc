/* Unit tests: the content store (src/image/store.c), in a temporary
 * directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "image/store.h"
#include "util/cleanup.h"
#include "util/fs.h"

typedef struct {
  char dir[256];
  sk_store *store;
} fixture;

static int
setup (void **state)
{
  fixture *f = calloc (1, sizeof *f);
  const char *tmp = getenv ("TMPDIR");
  snprintf (f->dir, sizeof f->dir, "%s/skiff-store-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (mkdtemp (f->dir) == NULL)
    return -1;
  sk_err *err = NULL;
  if (sk_store_open (f->dir, &f->store, &err) < 0)
    return -1;
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  fixture *f = *state;
  sk_store_free (f->store);
  sk_err *err = NULL;
  sk_remove_tree_at (AT_FDCWD, f->dir, &err);
  sk_err_free (&err);
  free (f);
  return 0;
}

/* entries of DIR/sub, "." and ".." left out */
static int
count_entries (const fixture *f, const char *sub)
{
  char path[512];
  snprintf (path, sizeof path, "%s/%s", f->dir, sub);
  DIR *d = opendir (path);
  assert_non_null (d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir (d)))
    if (strcmp (e->d_name, ".") && strcmp (e->d_name, ".."))
      n++;
  closedir (d);
  return n;
}

/* takes the error by address: the call in the first argument sets it */
static void
expect_error (int r, sk_err **err, const char *says)
{
  assert_int_equal (r, -1);
  assert_non_null (*err);
  if (strstr ((*err)->msg, says) == NULL)
    fail_msg ("`%s` does not say `%s`", (*err)->msg, says);
  sk_err_free (err);
}

static void
test_put_and_read (void **state)
{
  fixture *f = *state;
  sk_err *err = NULL;
  sk_digest d;
  assert_int_equal (sk_store_put (f->store, "hello", 5, &d, &err), 0);
  assert_true (sk_store_has (f->store, &d));
  char buf[SK_DIGEST_STR_SIZE];
  assert_string_equal (sk_digest_format (&d, buf),
                       "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  assert_int_equal (sk_store_read_blob (f->store, &d, 100, &data, &len, &err), 0);
  assert_int_equal (len, 5);
  assert_memory_equal (data, "hello", 5);
  assert_int_equal (sk_store_verify_blob (f->store, &d, &err), 0);
  /* stored read-only, nothing left in ingest; a second put is a no-op */
  _cleanup_free_ char *path = sk_store_blob_path (f->store, &d);
  struct stat st;
  assert_int_equal (stat (path, &st), 0);
  assert_int_equal (st.st_mode & 0777, 0444);
  assert_int_equal (count_entries (f, "ingest"), 0);
  assert_int_equal (sk_store_put (f->store, "hello", 5, NULL, &err), 0);
  assert_int_equal (count_entries (f, "blobs/sha256"), 1);
  /* too big for the caller's limit */
  char *none = NULL;
  expect_error (sk_store_read_blob (f->store, &d, 4, &none, &len, &err), &err,
                "5 bytes, more than the 4 allowed");
}

static void
test_wrong_digest_or_size (void **state)
{
  fixture *f = *state;
  sk_err *err = NULL;
  sk_digest want;
  sk_digest_of ("expected", 8, &want);
  sk_blob_writer *w = NULL;
  assert_int_equal (sk_blob_writer_begin (f->store, &want, 8, &w, &err), 0);
  assert_int_equal (sk_blob_write (w, "tampered", 8, &err), 0);
  expect_error (sk_blob_writer_commit (w, NULL, &err), &err, "the content's digest is sha256:");
  assert_false (sk_store_has (f->store, &want));
  assert_int_equal (count_entries (f, "blobs/sha256"), 0);
  assert_int_equal (count_entries (f, "ingest"), 0);

  /* longer than announced: refused as it comes */
  assert_int_equal (sk_blob_writer_begin (f->store, &want, 4, &w, &err), 0);
  expect_error (sk_blob_write (w, "expected", 8, &err), &err, "longer than the 4 bytes expected");
  sk_blob_writer_abort (w, false);
  /* shorter: refused at commit */
  assert_int_equal (sk_blob_writer_begin (f->store, &want, 8, &w, &err), 0);
  assert_int_equal (sk_blob_write (w, "expec", 5, &err), 0);
  expect_error (sk_blob_writer_commit (w, NULL, &err), &err, "5 bytes, 8 expected");
  assert_int_equal (count_entries (f, "blobs/sha256"), 0);
  assert_int_equal (count_entries (f, "ingest"), 0);
}

static void
test_resume (void **state)
{
  fixture *f = *state;
  sk_err *err = NULL;
  const char *text = "a layer that comes in two parts";
  size_t n = strlen (text);
  sk_digest want, got;
  sk_digest_of (text, n, &want);
  sk_blob_writer *w = NULL;
  assert_int_equal (sk_blob_writer_begin (f->store, &want, (int64_t) n, &w, &err), 0);
  assert_int_equal (sk_blob_write (w, text, 10, &err), 0);
  sk_blob_writer_abort (w, true); /* as if the connection dropped */
  assert_false (sk_store_has (f->store, &want));
  assert_int_equal (sk_blob_writer_begin (f->store, &want, (int64_t) n, &w, &err), 0);
  assert_int_equal (sk_blob_writer_offset (w), 10);
  assert_int_equal (sk_blob_write (w, text + 10, n - 10, &err), 0);
  assert_int_equal (sk_blob_writer_commit (w, &got, &err), 0);
  assert_true (sk_digest_equal (&want, &got));
  assert_int_equal (sk_store_verify_blob (f->store, &want, &err), 0);
  /* a stored blob: begin says so */
  assert_int_equal (sk_blob_writer_begin (f->store, &want, (int64_t) n, &w, &err), 1);
  assert_null (w);

  /* a partial file whose start is wrong fails at commit and is removed */
  sk_digest other;
  sk_digest_of ("0123456789", 10, &other);
  assert_int_equal (sk_blob_writer_begin (f->store, &other, 10, &w, &err), 0);
  assert_int_equal (sk_blob_write (w, "XXXXX", 5, &err), 0);
  sk_blob_writer_abort (w, true);
  assert_int_equal (sk_blob_writer_begin (f->store, &other, 10, &w, &err), 0);
  assert_int_equal (sk_blob_writer_offset (w), 5);
  assert_int_equal (sk_blob_write (w, "56789", 5, &err), 0);
  expect_error (sk_blob_writer_commit (w, NULL, &err), &err, "the content's digest is");
  assert_int_equal (count_entries (f, "ingest"), 0);
  assert_int_equal (sk_blob_writer_begin (f->store, &other, 10, &w, &err), 0);
  assert_int_equal (sk_blob_writer_offset (w), 0);
  sk_blob_writer_abort (w, false);
}

static void
test_unknown_digest (void **state)
{
  fixture *f = *state;
  sk_err *err = NULL;
  sk_blob_writer *w = NULL;
  sk_digest got, want;
  assert_int_equal (sk_blob_writer_begin (f->store, NULL, -1, &w, &err), 0);
  assert_int_equal (sk_blob_write (w, "imported ", 9, &err), 0);
  assert_int_equal (sk_blob_write (w, "rootfs", 6, &err), 0);
  assert_int_equal (sk_blob_writer_commit (w, &got, &err), 0);
  sk_digest_of ("imported rootfs", 15, &want);
  assert_true (sk_digest_equal (&got, &want));
  assert_true (sk_store_has (f->store, &want));
  assert_int_equal (count_entries (f, "ingest"), 0);
}

/* Two writers of one blob: the second waits for the first, then finds the
 * blob stored and writes nothing. */
static void
test_one_writer_per_blob (void **state)
{
  fixture *f = *state;
  sk_err *err = NULL;
  sk_digest want;
  sk_digest_of ("shared layer", 12, &want);
  int locked[2];
  assert_int_equal (pipe (locked), 0);
  pid_t child = fork ();
  assert_true (child >= 0);
  if (child == 0) {
    sk_blob_writer *w = NULL;
    if (sk_blob_writer_begin (f->store, &want, 12, &w, &err) != 0)
      _exit (1);
    (void) !write (locked[1], "x", 1);
    usleep (200000);
    _exit (sk_blob_write (w, "shared layer", 12, &err) < 0 || sk_blob_writer_commit (w, NULL, &err) < 0);
  }
  char c;
  assert_int_equal (read (locked[0], &c, 1), 1);
  sk_blob_writer *w = NULL;
  assert_int_equal (sk_blob_writer_begin (f->store, &want, 12, &w, &err), 1);
  assert_null (w);
  int status;
  assert_int_equal (waitpid (child, &status, 0), child);
  assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  assert_true (sk_store_has (f->store, &want));
  close (locked[0]);
  close (locked[1]);
}

static int
count_blob (const sk_digest *d, void *data)
{
  (*(int *) data)++;
  return 0;
}

static void
test_changed_on_disk_and_walk (void **state)
{
  fixture *f = *state;
  sk_err *err = NULL;
  sk_digest d;
  assert_int_equal (sk_store_put (f->store, "config", 6, &d, &err), 0);
  assert_int_equal (sk_store_put (f->store, "manifest", 8, NULL, &err), 0);
  int n = 0;
  assert_int_equal (sk_store_walk (f->store, count_blob, &n, &err), 0);
  assert_int_equal (n, 2);
  _cleanup_free_ char *path = sk_store_blob_path (f->store, &d);
  assert_int_equal (chmod (path, 0644), 0);
  FILE *fp = fopen (path, "w");
  assert_non_null (fp);
  fputs ("CONFIG", fp);
  fclose (fp);
  expect_error (sk_store_verify_blob (f->store, &d, &err), &err, "no longer matches its digest");
  char *data = NULL;
  size_t len;
  expect_error (sk_store_read_blob (f->store, &d, 100, &data, &len, &err), &err,
                "no longer matches its digest");
  assert_int_equal (sk_store_delete_blob (f->store, &d, &err), 0);
  assert_false (sk_store_has (f->store, &d));
  n = 0;
  assert_int_equal (sk_store_walk (f->store, count_blob, &n, &err), 0);
  assert_int_equal (n, 1);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown (test_put_and_read, setup, teardown),
      cmocka_unit_test_setup_teardown (test_wrong_digest_or_size, setup, teardown),
      cmocka_unit_test_setup_teardown (test_resume, setup, teardown),
      cmocka_unit_test_setup_teardown (test_unknown_digest, setup, teardown),
      cmocka_unit_test_setup_teardown (test_one_writer_per_blob, setup, teardown),
      cmocka_unit_test_setup_teardown (test_changed_on_disk_and_walk, setup, teardown),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
