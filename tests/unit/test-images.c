/* Unit tests: the metadata database (src/db/db.c) and image records
 * (src/image/images.c), in a temporary directory. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "db/db.h"
#include "image/images.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define L(c) "sha256:" c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
#define IMG1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define IMG2 "sha256:1112222222222222222222222222222222222222222222222222222222222222"

typedef struct {
  char dir[256], path[300];
  sk_db *db;
} fixture;

static int
setup (void **state)
{
  fixture *f = calloc (1, sizeof *f);
  const char *tmp = getenv ("TMPDIR");
  snprintf (f->dir, sizeof f->dir, "%s/skiff-db-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (mkdtemp (f->dir) == NULL)
    return -1;
  snprintf (f->path, sizeof f->path, "%s/skiff.db", f->dir);
  sk_err *err = NULL;
  if (sk_db_open (f->path, &f->db, &err) < 0)
    return -1;
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  fixture *f = *state;
  sk_db_close (f->db);
  sk_err *err = NULL;
  sk_remove_tree_at (AT_FDCWD, f->dir, &err);
  sk_err_free (&err);
  free (f);
  return 0;
}

static void
ok (int r, sk_err *err)
{
  if (r < 0)
    fail_msg ("%s", err ? err->msg : "failed");
}

/* base <- mid <- top; IMG1 on top, IMG2 on mid */
static void
two_images (sk_db *db)
{
  sk_err *err = NULL;
  ok (sk_db_begin (db, &err), err);
  ok (sk_images_add_layer (db, L ("a"), L ("1"), NULL, 100, &err), err);
  ok (sk_images_add_layer (db, L ("b"), L ("2"), L ("a"), 200, &err), err);
  ok (sk_images_add_layer (db, L ("c"), L ("3"), L ("b"), 300, &err), err);
  ok (sk_images_add_layer_blob (db, L ("c"), L ("d"), "application/vnd.oci.image.layer.v1.tar+gzip", 50, &err), err);
  const char *blobs[] = {IMG1, L ("e")}, *kinds[] = {"config", "manifest"};
  ok (sk_images_put (db, IMG1, L ("c"), 1000, 600, blobs, kinds, 2, &err), err);
  ok (sk_images_put (db, IMG2, L ("b"), 2000, 300, (const char *[]){IMG2}, (const char *[]){"config"}, 1, &err), err);
  ok (sk_images_tag (db, "docker.io/library/busybox:latest", IMG1, &err), err);
  ok (sk_images_tag (db, "docker.io/library/busybox:1", IMG1, &err), err);
  ok (sk_images_add_repo_digest (db, "docker.io/library/busybox@" L ("e"), IMG1, &err), err);
  ok (sk_db_commit (db, &err), err);
}

static void
test_images (void **state)
{
  fixture *f = *state;
  sk_err *err = NULL;
  two_images (f->db);

  _cleanup_free_ char *id = NULL;
  assert_int_equal (sk_images_resolve (f->db, "docker.io/library/busybox:latest", "busybox", &id, &err), 0);
  assert_string_equal (id, IMG1);
  free (id);
  assert_int_equal (sk_images_resolve (f->db, "docker.io/library/busybox@" L ("e"), NULL, &id, &err), 0);
  assert_string_equal (id, IMG1);
  free (id);
  assert_int_equal (sk_images_resolve (f->db, NULL, "1112", &id, &err), 0);
  assert_string_equal (id, IMG2);
  free (id);
  assert_int_equal (sk_images_resolve (f->db, NULL, IMG1, &id, &err), 0);
  assert_string_equal (id, IMG1);
  free (id);
  id = NULL;
  assert_int_equal (sk_images_resolve (f->db, "docker.io/library/nosuch:latest", "nosuch", &id, &err), 1);
  assert_int_equal (sk_images_resolve (f->db, NULL, "111", &id, &err), -1);
  assert_non_null (strstr (err->msg, "`111` is the start of the ids of several images"));
  sk_err_free (&err);

  sk_image_info **list = NULL;
  ok (sk_images_list (f->db, &list, &err), err);
  assert_string_equal (list[0]->id, IMG2); /* newest first */
  assert_string_equal (list[1]->id, IMG1);
  assert_null (list[2]);
  assert_string_equal (list[1]->tags[0], "docker.io/library/busybox:1");
  assert_string_equal (list[1]->tags[1], "docker.io/library/busybox:latest");
  assert_null (list[1]->tags[2]);
  assert_null (list[0]->tags[0]);
  assert_int_equal (list[1]->size, 600);
  sk_image_info_list_free (list);

  char **stack = NULL;
  ok (sk_images_layer_stack (f->db, L ("c"), &stack, &err), err);
  assert_string_equal (stack[0], L ("c"));
  assert_string_equal (stack[1], L ("b"));
  assert_string_equal (stack[2], L ("a"));
  assert_null (stack[3]);
  for (char **p = stack; *p; p++)
    free (*p);
  free (stack);

  /* a tag moves; untag */
  ok (sk_images_tag (f->db, "docker.io/library/busybox:1", IMG2, &err), err);
  sk_image_info *info = NULL;
  ok (sk_images_get (f->db, IMG2, &info, &err), err);
  assert_string_equal (info->tags[0], "docker.io/library/busybox:1");
  sk_image_info_free (info);
  ok (sk_images_untag (f->db, "docker.io/library/busybox:1", &err), err);
  ok (sk_images_get (f->db, IMG2, &info, &err), err);
  assert_null (info->tags[0]);
  sk_image_info_free (info);
}

static void
test_garbage (void **state)
{
  fixture *f = *state;
  sk_err *err = NULL;
  two_images (f->db);
  char **unused = NULL;
  ok (sk_images_unused_layers (f->db, &unused, &err), err);
  assert_null (unused[0]);
  free (unused);
  assert_true (sk_images_blob_in_use (f->db, L ("d")));
  assert_true (sk_images_blob_in_use (f->db, L ("e")));
  assert_false (sk_images_blob_in_use (f->db, L ("f")));

  /* IMG1 removed: its tags and blob references go; layer c is unused */
  ok (sk_images_remove (f->db, IMG1, &err), err);
  _cleanup_free_ char *id = NULL;
  assert_int_equal (sk_images_resolve (f->db, "docker.io/library/busybox:latest", NULL, &id, &err), 1);
  assert_false (sk_images_blob_in_use (f->db, L ("e")));
  assert_true (sk_images_blob_in_use (f->db, L ("d"))); /* layer c still stored */
  ok (sk_images_unused_layers (f->db, &unused, &err), err);
  assert_string_equal (unused[0], L ("c"));
  assert_null (unused[1]);
  free (unused[0]);
  free (unused);
  ok (sk_images_remove_layer (f->db, L ("c"), &err), err);
  assert_false (sk_images_blob_in_use (f->db, L ("d")));

  /* IMG2 removed: b and a unused, the child before its parent */
  ok (sk_images_remove (f->db, IMG2, &err), err);
  ok (sk_images_unused_layers (f->db, &unused, &err), err);
  assert_string_equal (unused[0], L ("b"));
  assert_string_equal (unused[1], L ("a"));
  assert_null (unused[2]);
  /* a parent still stacked cannot go first */
  assert_int_equal (sk_images_remove_layer (f->db, L ("a"), &err), -1);
  assert_non_null (strstr (err->msg, "FOREIGN KEY"));
  sk_err_free (&err);
  for (char **p = unused; *p; p++) {
    ok (sk_images_remove_layer (f->db, *p, &err), err);
    free (*p);
  }
  free (unused);
}

static void
test_transactions_and_versions (void **state)
{
  fixture *f = *state;
  sk_err *err = NULL;
  /* a rolled back image leaves nothing */
  ok (sk_db_begin (f->db, &err), err);
  ok (sk_images_add_layer (f->db, L ("a"), L ("1"), NULL, 1, &err), err);
  ok (sk_images_put (f->db, IMG1, L ("a"), 1, 1, NULL, NULL, 0, &err), err);
  sk_db_rollback (f->db);
  assert_false (sk_images_has_layer (f->db, L ("a")));
  sk_image_info *info = NULL;
  assert_int_equal (sk_images_get (f->db, IMG1, &info, &err), -1);
  assert_string_equal (err->msg, "no such image: " IMG1 ": No such file or directory");
  sk_err_free (&err);
  /* a layer's parent must be known */
  assert_int_equal (sk_images_add_layer (f->db, L ("b"), L ("2"), L ("z"), 1, &err), -1);
  sk_err_free (&err);

  /* reopening keeps the data; a newer schema is refused */
  ok (sk_images_add_layer (f->db, L ("a"), L ("1"), NULL, 1, &err), err);
  sk_db_close (f->db);
  f->db = NULL;
  ok (sk_db_open (f->path, &f->db, &err), err);
  assert_true (sk_images_has_layer (f->db, L ("a")));
  ok (sk_db_exec (f->db, "PRAGMA user_version = 99", &err), err);
  sk_db_close (f->db);
  f->db = NULL;
  assert_int_equal (sk_db_open (f->path, &f->db, &err), -1);
  assert_non_null (strstr (err->msg, "has schema version 99, newer than this skiff's"));
  sk_err_free (&err);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown (test_images, setup, teardown),
      cmocka_unit_test_setup_teardown (test_garbage, setup, teardown),
      cmocka_unit_test_setup_teardown (test_transactions_and_versions, setup, teardown),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
