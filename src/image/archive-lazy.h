/* skiff: libarchive, loaded the first time it is used.
 *
 * libarchive links libxml2 and ICU among others, which cost every program
 * that links them about 2.4 ms at start (measured here), while only image
 * imports, loads, saves and layer unpacking use it. The image code includes
 * this header instead of <archive.h> and <archive_entry.h>: each archive_*
 * function it calls is a wrapper of archive-lazy.c that dlopen()s
 * libarchive.so.13 once and calls the real one. When it cannot be loaded,
 * archive_read_new and archive_write_new return NULL (what callers take for
 * out of memory) and sk_archive_load_error says why. */
#ifndef SKIFF_IMAGE_ARCHIVE_LAZY_H
#define SKIFF_IMAGE_ARCHIVE_LAZY_H

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include "util/error.h"

/* NULL once libarchive is loaded, else why it could not be. */
const char *sk_archive_load_error (void);
/* The error of an archive_read_new or archive_write_new that returned NULL:
 * libarchive could not be loaded, or memory ran out. Returns -1. */
int sk_archive_alloc_error (sk_err **err, const char *what);

#define archive_entry_atime sk_archive_entry_atime
#define archive_write_open sk_archive_write_open
#define archive_entry_xattr_add_entry sk_archive_entry_xattr_add_entry
#define archive_entry_set_hardlink sk_archive_entry_set_hardlink
#define archive_entry_set_symlink sk_archive_entry_set_symlink
#define archive_entry_set_rdev sk_archive_entry_set_rdev
#define archive_entry_set_gid sk_archive_entry_set_gid
#define archive_entry_set_uid sk_archive_entry_set_uid
#define archive_entry_atime_is_set sk_archive_entry_atime_is_set
#define archive_entry_atime_nsec sk_archive_entry_atime_nsec
#define archive_entry_filetype sk_archive_entry_filetype
#define archive_entry_free sk_archive_entry_free
#define archive_entry_gid sk_archive_entry_gid
#define archive_entry_hardlink sk_archive_entry_hardlink
#define archive_entry_mtime sk_archive_entry_mtime
#define archive_entry_mtime_nsec sk_archive_entry_mtime_nsec
#define archive_entry_new sk_archive_entry_new
#define archive_entry_pathname sk_archive_entry_pathname
#define archive_entry_perm sk_archive_entry_perm
#define archive_entry_rdev sk_archive_entry_rdev
#define archive_entry_set_filetype sk_archive_entry_set_filetype
#define archive_entry_set_mtime sk_archive_entry_set_mtime
#define archive_entry_set_pathname sk_archive_entry_set_pathname
#define archive_entry_set_perm sk_archive_entry_set_perm
#define archive_entry_set_size sk_archive_entry_set_size
#define archive_entry_size sk_archive_entry_size
#define archive_entry_size_is_set sk_archive_entry_size_is_set
#define archive_entry_symlink sk_archive_entry_symlink
#define archive_entry_uid sk_archive_entry_uid
#define archive_entry_xattr_next sk_archive_entry_xattr_next
#define archive_entry_xattr_reset sk_archive_entry_xattr_reset
#define archive_entry_clear sk_archive_entry_clear
#define archive_entry_copy_stat sk_archive_entry_copy_stat
#define archive_errno sk_archive_errno
#define archive_error_string sk_archive_error_string
#define archive_read_data sk_archive_read_data
#define archive_read_data_block sk_archive_read_data_block
#define archive_read_free sk_archive_read_free
#define archive_read_new sk_archive_read_new
#define archive_read_next_header sk_archive_read_next_header
#define archive_read_open sk_archive_read_open
#define archive_read_open_fd sk_archive_read_open_fd
#define archive_read_support_filter_bzip2 sk_archive_read_support_filter_bzip2
#define archive_read_support_filter_gzip sk_archive_read_support_filter_gzip
#define archive_read_support_filter_xz sk_archive_read_support_filter_xz
#define archive_read_support_filter_zstd sk_archive_read_support_filter_zstd
#define archive_read_support_format_gnutar sk_archive_read_support_format_gnutar
#define archive_read_support_format_raw sk_archive_read_support_format_raw
#define archive_read_support_format_tar sk_archive_read_support_format_tar
#define archive_set_error sk_archive_set_error
#define archive_write_close sk_archive_write_close
#define archive_write_data sk_archive_write_data
#define archive_write_free sk_archive_write_free
#define archive_write_header sk_archive_write_header
#define archive_write_new sk_archive_write_new
#define archive_write_open_fd sk_archive_write_open_fd
#define archive_write_set_bytes_in_last_block sk_archive_write_set_bytes_in_last_block
#define archive_write_set_format_pax_restricted sk_archive_write_set_format_pax_restricted

void archive_entry_set_uid (struct archive_entry *a0, la_int64_t a1);
void archive_entry_set_gid (struct archive_entry *a0, la_int64_t a1);
void archive_entry_set_rdev (struct archive_entry *a0, dev_t a1);
void archive_entry_set_symlink (struct archive_entry *a0, const char *a1);
void archive_entry_set_hardlink (struct archive_entry *a0, const char *a1);
void archive_entry_xattr_add_entry (struct archive_entry *a0, const char *a1, const void *a2, size_t a3);
int archive_write_open (struct archive *a0, void *a1, archive_open_callback *a2, archive_write_callback *a3, archive_close_callback *a4);
time_t archive_entry_atime (struct archive_entry *a0);
int archive_entry_atime_is_set (struct archive_entry *a0);
long archive_entry_atime_nsec (struct archive_entry *a0);
mode_t archive_entry_filetype (struct archive_entry *a0);
void archive_entry_free (struct archive_entry *a0);
la_int64_t archive_entry_gid (struct archive_entry *a0);
const char *archive_entry_hardlink (struct archive_entry *a0);
time_t archive_entry_mtime (struct archive_entry *a0);
long archive_entry_mtime_nsec (struct archive_entry *a0);
struct archive_entry *archive_entry_new (void);
const char *archive_entry_pathname (struct archive_entry *a0);
mode_t archive_entry_perm (struct archive_entry *a0);
dev_t archive_entry_rdev (struct archive_entry *a0);
void archive_entry_set_filetype (struct archive_entry *a0, unsigned int a1);
void archive_entry_set_mtime (struct archive_entry *a0, time_t a1, long a2);
void archive_entry_set_pathname (struct archive_entry *a0, const char *a1);
void archive_entry_set_perm (struct archive_entry *a0, mode_t a1);
void archive_entry_set_size (struct archive_entry *a0, la_int64_t a1);
la_int64_t archive_entry_size (struct archive_entry *a0);
int archive_entry_size_is_set (struct archive_entry *a0);
const char *archive_entry_symlink (struct archive_entry *a0);
la_int64_t archive_entry_uid (struct archive_entry *a0);
int archive_entry_xattr_next (struct archive_entry *a0, const char **a1, const void **a2, size_t *a3);
int archive_entry_xattr_reset (struct archive_entry *a0);
struct archive_entry *archive_entry_clear (struct archive_entry *a0);
void archive_entry_copy_stat (struct archive_entry *a0, const struct stat *a1);
int archive_errno (struct archive *a0);
const char *archive_error_string (struct archive *a0);
la_ssize_t archive_read_data (struct archive *a0, void *a1, size_t a2);
int archive_read_data_block (struct archive *a0, const void **a1, size_t *a2, la_int64_t *a3);
int archive_read_free (struct archive *a0);
struct archive *archive_read_new (void);
int archive_read_next_header (struct archive *a0, struct archive_entry **a1);
int archive_read_open (struct archive *a0, void *a1, archive_open_callback *a2, archive_read_callback *a3, archive_close_callback *a4);
int archive_read_open_fd (struct archive *a0, int a1, size_t a2);
int archive_read_support_filter_bzip2 (struct archive *a0);
int archive_read_support_filter_gzip (struct archive *a0);
int archive_read_support_filter_xz (struct archive *a0);
int archive_read_support_filter_zstd (struct archive *a0);
int archive_read_support_format_gnutar (struct archive *a0);
int archive_read_support_format_raw (struct archive *a0);
int archive_read_support_format_tar (struct archive *a0);
void archive_set_error (struct archive *a0, int a1, const char *a2, ...)
    __attribute__ ((format (printf, 3, 4)));
int archive_write_close (struct archive *a0);
la_ssize_t archive_write_data (struct archive *a0, const void *a1, size_t a2);
int archive_write_free (struct archive *a0);
int archive_write_header (struct archive *a0, struct archive_entry *a1);
struct archive *archive_write_new (void);
int archive_write_open_fd (struct archive *a0, int a1);
int archive_write_set_bytes_in_last_block (struct archive *a0, int a1);
int archive_write_set_format_pax_restricted (struct archive *a0);

#endif
