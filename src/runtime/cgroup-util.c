/* skiff: the small pieces every cgroup file shares: reading and writing the
 * files of a container's cgroup directory, and errors that name the resource. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

int
sk_cg_set_errnum (sk_err **err, int errnum)
{
  if (err && *err)
    (*err)->errnum = errnum;
  return -1;
}

int
sk_cg_error (sk_err **err, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  sk_err_vset (err, 0, fmt, ap);
  va_end (ap);
  return sk_cg_set_errnum (err, errnum);
}

int
sk_cg_open_file (const sk_cg_dir *d, const char *file, int flags)
{
  char path[PATH_MAX];
  if (d->fd >= 0)
    return openat (d->fd, file, flags | O_CLOEXEC);
  if ((size_t) snprintf (path, sizeof path, "%s/%s", d->path, file) >= sizeof path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  return open (path, flags | O_CLOEXEC);
}

int
sk_cg_write_raw (const sk_cg_dir *d, const char *file, const char *value)
{
  int fd = sk_cg_open_file (d, file, O_WRONLY);
  if (fd < 0)
    return -errno;
  size_t len = strlen (value);
  ssize_t n;
  do
    n = write (fd, value, len);
  while (n < 0 && errno == EINTR);
  int e = n < 0 ? errno : ((size_t) n != len ? EIO : 0);
  close (fd);
  return -e;
}

int
sk_cg_write (const sk_cg_dir *d, const char *file, const char *value, sk_err **err)
{
  int r = sk_cg_write_raw (d, file, value);
  if (r < 0)
    return sk_err_set (err, -r, "write `%s` to `%s/%s`", value, d->path, file);
  return 0;
}

static const char *
missing_reason (const char *file)
{
  if (strncmp (file, "memory.memsw.", 13) == 0 || strncmp (file, "memory.swap.", 12) == 0)
    return "swap accounting is off";
  if (strncmp (file, "hugetlb.", 8) == 0)
    return "no such huge page size";
  return "not supported by this kernel";
}

int
sk_cg_fail (const sk_cg_dir *d, const char *field, const char *file, const char *value, int r,
            sk_err **err)
{
  if (r == -ENOENT) {
    sk_err_set (err, 0, "linux.resources.%s: %s is not available (%s)", field, file,
                missing_reason (file));
    return sk_cg_set_errnum (err, ENOENT);
  }
  return sk_err_set (err, -r, "linux.resources.%s: write `%s` to `%s/%s`", field, value, d->path,
                     file);
}

int
sk_cg_set (const sk_cg_dir *d, const char *field, const char *file, const char *value, sk_err **err)
{
  int r = sk_cg_write_raw (d, file, value);
  return r < 0 ? sk_cg_fail (d, field, file, value, r, err) : 0;
}

int
sk_cg_set_i64 (const sk_cg_dir *d, const char *field, const char *file, int64_t value, sk_err **err)
{
  char buf[32];
  snprintf (buf, sizeof buf, "%" PRId64, value);
  return sk_cg_set (d, field, file, buf, err);
}

/* hugetlb.<size>.<suffix>: "limit_in_bytes" on v1, "max" on v2 */
int
sk_cg_hugetlb (const sk_cg_dir *d, const sk_spec_resources *r, const char *suffix, sk_err **err)
{
  for (size_t i = 0; i < r->n_hugepages; i++) {
    const sk_spec_hugepage *h = &r->hugepages[i];
    char file[128], v[32];
    if (h->page_size == NULL || !sk_is_safe_component (h->page_size) || strlen (h->page_size) > 32)
      return sk_cg_error (err, EINVAL, "linux.resources.hugepageLimits: `%s` is not a page size",
                          h->page_size ? h->page_size : "");
    snprintf (file, sizeof file, "hugetlb.%s.%s", h->page_size, suffix);
    snprintf (v, sizeof v, "%" PRIu64, h->limit);
    if (sk_cg_set (d, "hugepageLimits", file, v, err) < 0)
      return -1;
  }
  return 0;
}

int
sk_cg_read (const sk_cg_dir *d, const char *file, char *buf, size_t size, sk_err **err)
{
  _cleanup_close_ int fd = sk_cg_open_file (d, file, O_RDONLY);
  if (fd < 0)
    return sk_err_set (err, errno, "open `%s/%s`", d->path, file);
  ssize_t n;
  do
    n = read (fd, buf, size - 1);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return sk_err_set (err, errno, "read `%s/%s`", d->path, file);
  while (n > 0 && buf[n - 1] == '\n')
    n--;
  buf[n] = '\0';
  return 0;
}

int
sk_cg_read_all (const sk_cg_dir *d, const char *file, char **out, sk_err **err)
{
  _cleanup_free_ char *path = NULL;
  if (d->fd < 0 && asprintf (&path, "%s/%s", d->path, file) < 0)
    return sk_err_set (err, ENOMEM, "read `%s/%s`", d->path, file);
  if (sk_read_file_at (d->fd < 0 ? AT_FDCWD : d->fd, path ? path : file, out, NULL, err) < 0)
    return sk_err_wrap (err, "`%s`", d->path);
  return 0;
}

static int
parse_u64 (const char *s, uint64_t *v)
{
  if (strcmp (s, "max") == 0) {
    *v = UINT64_MAX;
    return 0;
  }
  char *end;
  errno = 0;
  unsigned long long x = strtoull (s, &end, 10);
  if (errno || end == s || (*end && *end != '\n' && *end != ' '))
    return -1;
  *v = x;
  return 0;
}

int
sk_cg_read_u64 (const sk_cg_dir *d, const char *file, uint64_t *v, sk_err **err)
{
  char buf[64];
  if (sk_cg_read (d, file, buf, sizeof buf, err) < 0)
    return -1;
  if (parse_u64 (buf, v) < 0)
    return sk_err_set (err, 0, "`%s/%s`: `%s` is not a number", d->path, file, buf);
  return 0;
}

bool
sk_cg_kv_u64 (const char *text, const char *key, uint64_t *v)
{
  size_t kl = strlen (key);
  for (const char *p = text; p && *p; p = strchr (p, '\n'), p = p ? p + 1 : NULL) {
    if (strncmp (p, key, kl) == 0 && p[kl] == ' ')
      return parse_u64 (p + kl + 1, v) == 0;
  }
  return false;
}

int
sk_cg_unsupported_v2 (const char *field, sk_err **err)
{
  sk_err_set (err, 0, "linux.resources.%s: not supported on cgroup v2", field);
  return sk_cg_set_errnum (err, ENOTSUP);
}

void
sk_cg_sleep_us (long us)
{
  struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}


void
sk_cg_json_u64 (sk_json *obj, const char *key, uint64_t v)
{
  json_object_object_add (obj, key, json_object_new_uint64 (v));
}

void
sk_cg_json_flat (sk_json *obj, const char *text)
{
  _cleanup_free_ char *copy = strdup (text);
  char *save = NULL;
  if (copy == NULL)
    return;
  for (char *line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
    char *sp = strchr (line, ' ');
    uint64_t v;
    if (sp == NULL)
      continue;
    *sp = '\0';
    if (parse_u64 (sp + 1, &v) == 0)
      sk_cg_json_u64 (obj, line, v);
  }
}

int
sk_cg_check_usage (const sk_cg_dir *d, const char *usage_file, const sk_spec_resources *r,
                   sk_err **err)
{
  uint64_t usage;
  if (!r->memory.limit.set || r->memory.limit.v <= 0)
    return 0;
  if (sk_cg_read_u64 (d, usage_file, &usage, err) < 0)
    return -1;
  if ((uint64_t) r->memory.limit.v < usage)
    return sk_err_set (
        err, EBUSY, "linux.resources.memory.limit: %" PRId64 " is below the current usage %" PRIu64,
        r->memory.limit.v, usage);
  return 0;
}
