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
} fn;

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
load (void)
{
  void *lib = dlopen ("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    fn.error = "libarchive.so.13 cannot be loaded (Debian's libarchive13)";
    return;
  }
  const char *missing = NULL;
  if ((*(void **) &fn.entry_atime = dlsym (lib, "archive_entry_atime")) == NULL)
    missing = "archive_entry_atime";
  if ((*(void **) &fn.entry_atime_is_set = dlsym (lib, "archive_entry_atime_is_set")) == NULL)
    missing = "archive_entry_atime_is_set";
  if ((*(void **) &fn.entry_atime_nsec = dlsym (lib, "archive_entry_atime_nsec")) == NULL)
    missing = "archive_entry_atime_nsec";
  if ((*(void **) &fn.entry_filetype = dlsym (lib, "archive_entry_filetype")) == NULL)
    missing = "archive_entry_filetype";
  if ((*(void **) &fn.entry_free = dlsym (lib, "archive_entry_free")) == NULL)
    missing = "archive_entry_free";
  if ((*(void **) &fn.entry_gid = dlsym (lib, "archive_entry_gid")) == NULL)
    missing = "archive_entry_gid";
  if ((*(void **) &fn.entry_hardlink = dlsym (lib, "archive_entry_hardlink")) == NULL)
    missing = "archive_entry_hardlink";
  if ((*(void **) &fn.entry_mtime = dlsym (lib, "archive_entry_mtime")) == NULL)
    missing = "archive_entry_mtime";
  if ((*(void **) &fn.entry_mtime_nsec = dlsym (lib, "archive_entry_mtime_nsec")) == NULL)
    missing = "archive_entry_mtime_nsec";
  if ((*(void **) &fn.entry_new = dlsym (lib, "archive_entry_new")) == NULL)
    missing = "archive_entry_new";
  if ((*(void **) &fn.entry_pathname = dlsym (lib, "archive_entry_pathname")) == NULL)
    missing = "archive_entry_pathname";
  if ((*(void **) &fn.entry_perm = dlsym (lib, "archive_entry_perm")) == NULL)
    missing = "archive_entry_perm";
  if ((*(void **) &fn.entry_rdev = dlsym (lib, "archive_entry_rdev")) == NULL)
    missing = "archive_entry_rdev";
  if ((*(void **) &fn.entry_set_filetype = dlsym (lib, "archive_entry_set_filetype")) == NULL)
    missing = "archive_entry_set_filetype";
  if ((*(void **) &fn.entry_set_mtime = dlsym (lib, "archive_entry_set_mtime")) == NULL)
    missing = "archive_entry_set_mtime";
  if ((*(void **) &fn.entry_set_pathname = dlsym (lib, "archive_entry_set_pathname")) == NULL)
    missing = "archive_entry_set_pathname";
  if ((*(void **) &fn.entry_set_perm = dlsym (lib, "archive_entry_set_perm")) == NULL)
    missing = "archive_entry_set_perm";
  if ((*(void **) &fn.entry_set_size = dlsym (lib, "archive_entry_set_size")) == NULL)
    missing = "archive_entry_set_size";
  if ((*(void **) &fn.entry_size = dlsym (lib, "archive_entry_size")) == NULL)
    missing = "archive_entry_size";
  if ((*(void **) &fn.entry_size_is_set = dlsym (lib, "archive_entry_size_is_set")) == NULL)
    missing = "archive_entry_size_is_set";
  if ((*(void **) &fn.entry_symlink = dlsym (lib, "archive_entry_symlink")) == NULL)
    missing = "archive_entry_symlink";
  if ((*(void **) &fn.entry_uid = dlsym (lib, "archive_entry_uid")) == NULL)
    missing = "archive_entry_uid";
  if ((*(void **) &fn.entry_xattr_next = dlsym (lib, "archive_entry_xattr_next")) == NULL)
    missing = "archive_entry_xattr_next";
  if ((*(void **) &fn.entry_xattr_reset = dlsym (lib, "archive_entry_xattr_reset")) == NULL)
    missing = "archive_entry_xattr_reset";
  if ((*(void **) &fn.errno_of = dlsym (lib, "archive_errno")) == NULL)
    missing = "archive_errno";
  if ((*(void **) &fn.error_string = dlsym (lib, "archive_error_string")) == NULL)
    missing = "archive_error_string";
  if ((*(void **) &fn.read_data = dlsym (lib, "archive_read_data")) == NULL)
    missing = "archive_read_data";
  if ((*(void **) &fn.read_data_block = dlsym (lib, "archive_read_data_block")) == NULL)
    missing = "archive_read_data_block";
  if ((*(void **) &fn.read_free = dlsym (lib, "archive_read_free")) == NULL)
    missing = "archive_read_free";
  if ((*(void **) &fn.read_new = dlsym (lib, "archive_read_new")) == NULL)
    missing = "archive_read_new";
  if ((*(void **) &fn.read_next_header = dlsym (lib, "archive_read_next_header")) == NULL)
    missing = "archive_read_next_header";
  if ((*(void **) &fn.read_open = dlsym (lib, "archive_read_open")) == NULL)
    missing = "archive_read_open";
  if ((*(void **) &fn.read_open_fd = dlsym (lib, "archive_read_open_fd")) == NULL)
    missing = "archive_read_open_fd";
  if ((*(void **) &fn.read_support_filter_bzip2 = dlsym (lib, "archive_read_support_filter_bzip2")) == NULL)
    missing = "archive_read_support_filter_bzip2";
  if ((*(void **) &fn.read_support_filter_gzip = dlsym (lib, "archive_read_support_filter_gzip")) == NULL)
    missing = "archive_read_support_filter_gzip";
  if ((*(void **) &fn.read_support_filter_xz = dlsym (lib, "archive_read_support_filter_xz")) == NULL)
    missing = "archive_read_support_filter_xz";
  if ((*(void **) &fn.read_support_filter_zstd = dlsym (lib, "archive_read_support_filter_zstd")) == NULL)
    missing = "archive_read_support_filter_zstd";
  if ((*(void **) &fn.read_support_format_gnutar = dlsym (lib, "archive_read_support_format_gnutar")) == NULL)
    missing = "archive_read_support_format_gnutar";
  if ((*(void **) &fn.read_support_format_raw = dlsym (lib, "archive_read_support_format_raw")) == NULL)
    missing = "archive_read_support_format_raw";
  if ((*(void **) &fn.read_support_format_tar = dlsym (lib, "archive_read_support_format_tar")) == NULL)
    missing = "archive_read_support_format_tar";
  if ((*(void **) &fn.set_error = dlsym (lib, "archive_set_error")) == NULL)
    missing = "archive_set_error";
  if ((*(void **) &fn.write_close = dlsym (lib, "archive_write_close")) == NULL)
    missing = "archive_write_close";
  if ((*(void **) &fn.write_data = dlsym (lib, "archive_write_data")) == NULL)
    missing = "archive_write_data";
  if ((*(void **) &fn.write_free = dlsym (lib, "archive_write_free")) == NULL)
    missing = "archive_write_free";
  if ((*(void **) &fn.write_header = dlsym (lib, "archive_write_header")) == NULL)
    missing = "archive_write_header";
  if ((*(void **) &fn.write_new = dlsym (lib, "archive_write_new")) == NULL)
    missing = "archive_write_new";
  if ((*(void **) &fn.write_open_fd = dlsym (lib, "archive_write_open_fd")) == NULL)
    missing = "archive_write_open_fd";
  if ((*(void **) &fn.write_set_bytes_in_last_block = dlsym (lib, "archive_write_set_bytes_in_last_block")) == NULL)
    missing = "archive_write_set_bytes_in_last_block";
  if ((*(void **) &fn.write_set_format_pax_restricted = dlsym (lib, "archive_write_set_format_pax_restricted")) == NULL)
    missing = "archive_write_set_format_pax_restricted";
  if (missing)
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
