/* skiff: libarchive loaded on first use (see archive-lazy.h). */
#include "archive-lazy.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

/* the real functions, by the names the header maps to wrappers */
static struct {
  const char *error;
  time_t (*entry_atime) (struct archive_entry *a0);
  int (*entry_atime_is_set) (struct archive_entry *a0);
  long (*entry_atime_nsec) (struct archive_entry *a0);
  mode_t (*entry_filetype) (struct archive_entry *a0);
  void (*entry_free) (struct archive_entry *a0);
  la_int64_t (*entry_gid) (struct archive_entry *a0);
  const char *(*entry_hardlink) (struct archive_entry *a0);
  time_t (*entry_mtime) (struct archive_entry *a0);
  long (*entry_mtime_nsec) (struct archive_entry *a0);
  struct archive_entry *(*entry_new) (void);
  const char *(*entry_pathname) (struct archive_entry *a0);
  mode_t (*entry_perm) (struct archive_entry *a0);
  dev_t (*entry_rdev) (struct archive_entry *a0);
  void (*entry_set_filetype) (struct archive_entry *a0, unsigned int a1);
  void (*entry_set_mtime) (struct archive_entry *a0, time_t a1, long a2);
  void (*entry_set_pathname) (struct archive_entry *a0, const char *a1);
  void (*entry_set_perm) (struct archive_entry *a0, mode_t a1);
  void (*entry_set_size) (struct archive_entry *a0, la_int64_t a1);
  la_int64_t (*entry_size) (struct archive_entry *a0);
  int (*entry_size_is_set) (struct archive_entry *a0);
  const char *(*entry_symlink) (struct archive_entry *a0);
  la_int64_t (*entry_uid) (struct archive_entry *a0);
  int (*entry_xattr_next) (struct archive_entry *a0, const char **a1, const void **a2, size_t *a3);
  int (*entry_xattr_reset) (struct archive_entry *a0);
  struct archive_entry *(*entry_clear) (struct archive_entry *a0);
  void (*entry_copy_stat) (struct archive_entry *a0, const struct stat *a1);
  int (*errno_of) (struct archive *a0);
  const char *(*error_string) (struct archive *a0);
  la_ssize_t (*read_data) (struct archive *a0, void *a1, size_t a2);
  int (*read_data_block) (struct archive *a0, const void **a1, size_t *a2, la_int64_t *a3);
  int (*read_free) (struct archive *a0);
  struct archive *(*read_new) (void);
  int (*read_next_header) (struct archive *a0, struct archive_entry **a1);
  int (*read_open) (struct archive *a0, void *a1, archive_open_callback *a2, archive_read_callback *a3, archive_close_callback *a4);
  int (*read_open_fd) (struct archive *a0, int a1, size_t a2);
  int (*read_support_filter_bzip2) (struct archive *a0);
  int (*read_support_filter_gzip) (struct archive *a0);
  int (*read_support_filter_xz) (struct archive *a0);
  int (*read_support_filter_zstd) (struct archive *a0);
  int (*read_support_format_gnutar) (struct archive *a0);
  int (*read_support_format_raw) (struct archive *a0);
  int (*read_support_format_tar) (struct archive *a0);
  void (*set_error) (struct archive *a0, int a1, const char *a2, ...);
  int (*write_close) (struct archive *a0);
  la_ssize_t (*write_data) (struct archive *a0, const void *a1, size_t a2);
  int (*write_free) (struct archive *a0);
  int (*write_header) (struct archive *a0, struct archive_entry *a1);
  struct archive *(*write_new) (void);
  int (*write_open_fd) (struct archive *a0, int a1);
  int (*write_set_bytes_in_last_block) (struct archive *a0, int a1);
  int (*write_set_format_pax_restricted) (struct archive *a0);
  void (*entry_set_uid) (struct archive_entry *a0, la_int64_t a1);
  void (*entry_set_gid) (struct archive_entry *a0, la_int64_t a1);
  void (*entry_set_rdev) (struct archive_entry *a0, dev_t a1);
  void (*entry_set_symlink) (struct archive_entry *a0, const char *a1);
  void (*entry_set_hardlink) (struct archive_entry *a0, const char *a1);
  void (*entry_xattr_add_entry) (struct archive_entry *a0, const char *a1, const void *a2, size_t a3);
  int (*write_open) (struct archive *a0, void *a1, archive_open_callback *a2, archive_write_callback *a3, archive_close_callback *a4);
} fn;

static pthread_once_t once = PTHREAD_ONCE_INIT;

/* where each function goes, by its name in libarchive */
static const struct {
  const char *name;
  void **slot;
} table[] = {
    {"archive_entry_atime", (void **) &fn.entry_atime},
    {"archive_entry_atime_is_set", (void **) &fn.entry_atime_is_set},
    {"archive_entry_atime_nsec", (void **) &fn.entry_atime_nsec},
    {"archive_entry_filetype", (void **) &fn.entry_filetype},
    {"archive_entry_free", (void **) &fn.entry_free},
    {"archive_entry_gid", (void **) &fn.entry_gid},
    {"archive_entry_hardlink", (void **) &fn.entry_hardlink},
    {"archive_entry_mtime", (void **) &fn.entry_mtime},
    {"archive_entry_mtime_nsec", (void **) &fn.entry_mtime_nsec},
    {"archive_entry_new", (void **) &fn.entry_new},
    {"archive_entry_pathname", (void **) &fn.entry_pathname},
    {"archive_entry_perm", (void **) &fn.entry_perm},
    {"archive_entry_rdev", (void **) &fn.entry_rdev},
    {"archive_entry_set_filetype", (void **) &fn.entry_set_filetype},
    {"archive_entry_set_mtime", (void **) &fn.entry_set_mtime},
    {"archive_entry_set_pathname", (void **) &fn.entry_set_pathname},
    {"archive_entry_set_perm", (void **) &fn.entry_set_perm},
    {"archive_entry_set_size", (void **) &fn.entry_set_size},
    {"archive_entry_size", (void **) &fn.entry_size},
    {"archive_entry_size_is_set", (void **) &fn.entry_size_is_set},
    {"archive_entry_symlink", (void **) &fn.entry_symlink},
    {"archive_entry_uid", (void **) &fn.entry_uid},
    {"archive_entry_xattr_next", (void **) &fn.entry_xattr_next},
    {"archive_entry_xattr_reset", (void **) &fn.entry_xattr_reset},
    {"archive_entry_clear", (void **) &fn.entry_clear},
    {"archive_entry_copy_stat", (void **) &fn.entry_copy_stat},
    {"archive_errno", (void **) &fn.errno_of},
    {"archive_error_string", (void **) &fn.error_string},
    {"archive_read_data", (void **) &fn.read_data},
    {"archive_read_data_block", (void **) &fn.read_data_block},
    {"archive_read_free", (void **) &fn.read_free},
    {"archive_read_new", (void **) &fn.read_new},
    {"archive_read_next_header", (void **) &fn.read_next_header},
    {"archive_read_open", (void **) &fn.read_open},
    {"archive_read_open_fd", (void **) &fn.read_open_fd},
    {"archive_read_support_filter_bzip2", (void **) &fn.read_support_filter_bzip2},
    {"archive_read_support_filter_gzip", (void **) &fn.read_support_filter_gzip},
    {"archive_read_support_filter_xz", (void **) &fn.read_support_filter_xz},
    {"archive_read_support_filter_zstd", (void **) &fn.read_support_filter_zstd},
    {"archive_read_support_format_gnutar", (void **) &fn.read_support_format_gnutar},
    {"archive_read_support_format_raw", (void **) &fn.read_support_format_raw},
    {"archive_read_support_format_tar", (void **) &fn.read_support_format_tar},
    {"archive_set_error", (void **) &fn.set_error},
    {"archive_write_close", (void **) &fn.write_close},
    {"archive_write_data", (void **) &fn.write_data},
    {"archive_write_free", (void **) &fn.write_free},
    {"archive_write_header", (void **) &fn.write_header},
    {"archive_write_new", (void **) &fn.write_new},
    {"archive_write_open_fd", (void **) &fn.write_open_fd},
    {"archive_write_set_bytes_in_last_block", (void **) &fn.write_set_bytes_in_last_block},
    {"archive_write_set_format_pax_restricted", (void **) &fn.write_set_format_pax_restricted},
    {"archive_entry_set_uid", (void **) &fn.entry_set_uid},
    {"archive_entry_set_gid", (void **) &fn.entry_set_gid},
    {"archive_entry_set_rdev", (void **) &fn.entry_set_rdev},
    {"archive_entry_set_symlink", (void **) &fn.entry_set_symlink},
    {"archive_entry_set_hardlink", (void **) &fn.entry_set_hardlink},
    {"archive_entry_xattr_add_entry", (void **) &fn.entry_xattr_add_entry},
    {"archive_write_open", (void **) &fn.write_open},
};

static void
load (void)
{
  void *lib = dlopen ("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    fn.error = "libarchive.so.13 cannot be loaded (Debian's libarchive13)";
    return;
  }
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if ((*table[i].slot = dlsym (lib, table[i].name)) == NULL)
      fn.error = "libarchive.so.13 lacks a function skiff needs";
}

static int
ready (void)
{
  pthread_once (&once, load);
  return fn.error == NULL;
}

const char *
sk_archive_load_error (void)
{
  ready ();
  return fn.error;
}

int
sk_archive_alloc_error (sk_err **err, const char *what)
{
  if (!ready ())
    return sk_err_set (err, 0, "%s: %s", what, fn.error);
  return sk_err_set (err, ENOMEM, "%s", what);
}

time_t
archive_entry_atime (struct archive_entry *a0)
{
  return ready () ? fn.entry_atime (a0) : 0;
}

int
archive_entry_atime_is_set (struct archive_entry *a0)
{
  return ready () ? fn.entry_atime_is_set (a0) : ARCHIVE_FATAL;
}

long
archive_entry_atime_nsec (struct archive_entry *a0)
{
  return ready () ? fn.entry_atime_nsec (a0) : 0;
}

mode_t
archive_entry_filetype (struct archive_entry *a0)
{
  return ready () ? fn.entry_filetype (a0) : 0;
}

void
archive_entry_free (struct archive_entry *a0)
{
  if (ready ())
    fn.entry_free (a0);
}

la_int64_t
archive_entry_gid (struct archive_entry *a0)
{
  return ready () ? fn.entry_gid (a0) : 0;
}

const char *
archive_entry_hardlink (struct archive_entry *a0)
{
  return ready () ? fn.entry_hardlink (a0) : NULL;
}

time_t
archive_entry_mtime (struct archive_entry *a0)
{
  return ready () ? fn.entry_mtime (a0) : 0;
}

long
archive_entry_mtime_nsec (struct archive_entry *a0)
{
  return ready () ? fn.entry_mtime_nsec (a0) : 0;
}

struct archive_entry *
archive_entry_new (void)
{
  return ready () ? fn.entry_new () : NULL;
}

const char *
archive_entry_pathname (struct archive_entry *a0)
{
  return ready () ? fn.entry_pathname (a0) : NULL;
}

mode_t
archive_entry_perm (struct archive_entry *a0)
{
  return ready () ? fn.entry_perm (a0) : 0;
}

dev_t
archive_entry_rdev (struct archive_entry *a0)
{
  return ready () ? fn.entry_rdev (a0) : 0;
}

void
archive_entry_set_filetype (struct archive_entry *a0, unsigned int a1)
{
  if (ready ())
    fn.entry_set_filetype (a0, a1);
}

void
archive_entry_set_mtime (struct archive_entry *a0, time_t a1, long a2)
{
  if (ready ())
    fn.entry_set_mtime (a0, a1, a2);
}

void
archive_entry_set_pathname (struct archive_entry *a0, const char *a1)
{
  if (ready ())
    fn.entry_set_pathname (a0, a1);
}

void
archive_entry_set_perm (struct archive_entry *a0, mode_t a1)
{
  if (ready ())
    fn.entry_set_perm (a0, a1);
}

void
archive_entry_set_size (struct archive_entry *a0, la_int64_t a1)
{
  if (ready ())
    fn.entry_set_size (a0, a1);
}

la_int64_t
archive_entry_size (struct archive_entry *a0)
{
  return ready () ? fn.entry_size (a0) : 0;
}

int
archive_entry_size_is_set (struct archive_entry *a0)
{
  return ready () ? fn.entry_size_is_set (a0) : ARCHIVE_FATAL;
}

const char *
archive_entry_symlink (struct archive_entry *a0)
{
  return ready () ? fn.entry_symlink (a0) : NULL;
}

la_int64_t
archive_entry_uid (struct archive_entry *a0)
{
  return ready () ? fn.entry_uid (a0) : 0;
}

int
archive_entry_xattr_next (struct archive_entry *a0, const char **a1, const void **a2, size_t *a3)
{
  return ready () ? fn.entry_xattr_next (a0, a1, a2, a3) : ARCHIVE_FATAL;
}

int
archive_entry_xattr_reset (struct archive_entry *a0)
{
  return ready () ? fn.entry_xattr_reset (a0) : ARCHIVE_FATAL;
}

int
archive_errno (struct archive *a0)
{
  return ready () ? fn.errno_of (a0) : ARCHIVE_FATAL;
}

const char *
archive_error_string (struct archive *a0)
{
  return ready () ? fn.error_string (a0) : NULL;
}

la_ssize_t
archive_read_data (struct archive *a0, void *a1, size_t a2)
{
  return ready () ? fn.read_data (a0, a1, a2) : ARCHIVE_FATAL;
}

int
archive_read_data_block (struct archive *a0, const void **a1, size_t *a2, la_int64_t *a3)
{
  return ready () ? fn.read_data_block (a0, a1, a2, a3) : ARCHIVE_FATAL;
}

int
archive_read_free (struct archive *a0)
{
  return ready () ? fn.read_free (a0) : ARCHIVE_FATAL;
}

struct archive *
archive_read_new (void)
{
  return ready () ? fn.read_new () : NULL;
}

int
archive_read_next_header (struct archive *a0, struct archive_entry **a1)
{
  return ready () ? fn.read_next_header (a0, a1) : ARCHIVE_FATAL;
}

int
archive_read_open (struct archive *a0, void *a1, archive_open_callback *a2, archive_read_callback *a3, archive_close_callback *a4)
{
  return ready () ? fn.read_open (a0, a1, a2, a3, a4) : ARCHIVE_FATAL;
}

int
archive_read_open_fd (struct archive *a0, int a1, size_t a2)
{
  return ready () ? fn.read_open_fd (a0, a1, a2) : ARCHIVE_FATAL;
}

int
archive_read_support_filter_bzip2 (struct archive *a0)
{
  return ready () ? fn.read_support_filter_bzip2 (a0) : ARCHIVE_FATAL;
}

int
archive_read_support_filter_gzip (struct archive *a0)
{
  return ready () ? fn.read_support_filter_gzip (a0) : ARCHIVE_FATAL;
}

int
archive_read_support_filter_xz (struct archive *a0)
{
  return ready () ? fn.read_support_filter_xz (a0) : ARCHIVE_FATAL;
}

int
archive_read_support_filter_zstd (struct archive *a0)
{
  return ready () ? fn.read_support_filter_zstd (a0) : ARCHIVE_FATAL;
}

int
archive_read_support_format_gnutar (struct archive *a0)
{
  return ready () ? fn.read_support_format_gnutar (a0) : ARCHIVE_FATAL;
}

int
archive_read_support_format_raw (struct archive *a0)
{
  return ready () ? fn.read_support_format_raw (a0) : ARCHIVE_FATAL;
}

int
archive_read_support_format_tar (struct archive *a0)
{
  return ready () ? fn.read_support_format_tar (a0) : ARCHIVE_FATAL;
}

/* formatted here: the real one gets the message as "%s" */
void
archive_set_error (struct archive *a0, int a1, const char *a2, ...)
{
  if (!ready ())
    return;
  char msg[1024];
  va_list ap;
  va_start (ap, a2);
  vsnprintf (msg, sizeof msg, a2, ap);
  va_end (ap);
  fn.set_error (a0, a1, "%s", msg);
}

int
archive_write_close (struct archive *a0)
{
  return ready () ? fn.write_close (a0) : ARCHIVE_FATAL;
}

la_ssize_t
archive_write_data (struct archive *a0, const void *a1, size_t a2)
{
  return ready () ? fn.write_data (a0, a1, a2) : ARCHIVE_FATAL;
}

int
archive_write_free (struct archive *a0)
{
  return ready () ? fn.write_free (a0) : ARCHIVE_FATAL;
}

int
archive_write_header (struct archive *a0, struct archive_entry *a1)
{
  return ready () ? fn.write_header (a0, a1) : ARCHIVE_FATAL;
}

struct archive *
archive_write_new (void)
{
  return ready () ? fn.write_new () : NULL;
}

int
archive_write_open_fd (struct archive *a0, int a1)
{
  return ready () ? fn.write_open_fd (a0, a1) : ARCHIVE_FATAL;
}

int
archive_write_set_bytes_in_last_block (struct archive *a0, int a1)
{
  return ready () ? fn.write_set_bytes_in_last_block (a0, a1) : ARCHIVE_FATAL;
}

int
archive_write_set_format_pax_restricted (struct archive *a0)
{
  return ready () ? fn.write_set_format_pax_restricted (a0) : ARCHIVE_FATAL;
}

void
archive_entry_set_uid (struct archive_entry *a0, la_int64_t a1)
{
  if (ready ())
    fn.entry_set_uid (a0, a1);
}

void
archive_entry_set_gid (struct archive_entry *a0, la_int64_t a1)
{
  if (ready ())
    fn.entry_set_gid (a0, a1);
}

void
archive_entry_set_rdev (struct archive_entry *a0, dev_t a1)
{
  if (ready ())
    fn.entry_set_rdev (a0, a1);
}

void
archive_entry_set_symlink (struct archive_entry *a0, const char *a1)
{
  if (ready ())
    fn.entry_set_symlink (a0, a1);
}

void
archive_entry_set_hardlink (struct archive_entry *a0, const char *a1)
{
  if (ready ())
    fn.entry_set_hardlink (a0, a1);
}

void
archive_entry_xattr_add_entry (struct archive_entry *a0, const char *a1, const void *a2, size_t a3)
{
  if (ready ())
    fn.entry_xattr_add_entry (a0, a1, a2, a3);
}

int
archive_write_open (struct archive *a0, void *a1, archive_open_callback *a2, archive_write_callback *a3, archive_close_callback *a4)
{
  return ready () ? fn.write_open (a0, a1, a2, a3, a4) : ARCHIVE_FATAL;
}

struct archive_entry *
archive_entry_clear (struct archive_entry *a0)
{
  return ready () ? fn.entry_clear (a0) : NULL;
}

void
archive_entry_copy_stat (struct archive_entry *a0, const struct stat *a1)
{
  if (ready ())
    fn.entry_copy_stat (a0, a1);
}
