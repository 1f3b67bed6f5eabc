/* skiff: the container's user, from Docker's User and GroupAdd through the
 * etc/passwd and etc/group of its root (see spec.h, sk_engine_spec_user):
 * the files opened inside the root, never through a link leading onto the
 * host, and read with a size bound. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/spec.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define ETC_FILE_MAX (4u << 20) /* what etc/passwd and etc/group may weigh */
#define MAX_GROUPS   65536
#define ID_MAX       2147483647

/* Reads the container's /<path> through its root fd: resolved inside the
 * root, a regular file, at most ETC_FILE_MAX bytes. 0 and *out NULL when it
 * does not exist. */
static int
read_etc (int rootfd, const char *path, char **out, sk_err **err)
{
  _cleanup_err_ sk_err *e = NULL;
  _cleanup_close_ int fd = sk_open_in_root (rootfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, &e);
  if (fd < 0 && e->errnum == ENOENT)
    return 0;
  if (fd < 0)
    return sk_err_set (err, e->errnum, "open /%s in the container", path);
  struct stat st;
  if (fstat (fd, &st) < 0)
    return sk_err_set (err, errno, "stat /%s in the container", path);
  if (!S_ISREG (st.st_mode))
    return sk_err_set (err, 0, "/%s in the container is not a regular file", path);
  _cleanup_free_ char *buf = malloc (ETC_FILE_MAX + 1);
  if (buf == NULL)
    return sk_err_set (err, ENOMEM, "read /%s in the container", path);
  size_t used = 0;
  for (;;) {
    ssize_t n = read (fd, buf + used, ETC_FILE_MAX + 1 - used);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return sk_err_set (err, errno, "read /%s in the container", path);
    if (n == 0)
      break;
    used += (size_t) n;
    if (used > ETC_FILE_MAX)
      return sk_err_set (err, 0, "/%s in the container is larger than %u bytes", path,
                         ETC_FILE_MAX);
  }
  buf[used] = '\0';
  *out = steal_ptr (buf);
  return 1;
}

typedef struct field {
  const char *p;
  size_t n;
} field;

/* The next entry of a passwd or group file, split at ':' into up to `max`
 * fields; comments and empty lines are skipped. Returns the number of
 * fields, 0 at the end. */
static size_t
next_entry (const char **cur, field *f, size_t max)
{
  while (**cur) {
    const char *line = *cur, *end = strchrnul (line, '\n');
    *cur = *end ? end + 1 : end;
    if (line == end || *line == '#')
      continue;
    size_t n = 0;
    for (const char *p = line; n < max;) {
      const char *c = memchr (p, ':', (size_t) (end - p));
      f[n].p = p;
      f[n++].n = (size_t) ((c ? c : end) - p);
      if (c == NULL)
        break;
      p = c + 1;
    }
    return n;
  }
  return 0;
}

static bool
field_is (field f, const char *s)
{
  return f.n == strlen (s) && memcmp (f.p, s, f.n) == 0;
}

/* A decimal id: 0 and *id set; -1 not a number; -2 a number out of range. */
static int
parse_id (const char *p, size_t n, uint32_t *id)
{
  if (n == 0 || n > 19)
    return n ? (strspn (p, "0123456789") == n ? -2 : -1) : -1;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isdigit ((unsigned char) p[i]))
      return -1;
    v = v * 10 + (uint64_t) (p[i] - '0');
  }
  if (v > ID_MAX)
    return -2;
  *id = (uint32_t) v;
  return 0;
}

static int
id_arg (const char *s, uint32_t *id, sk_err **err)
{
  int r = parse_id (s, strlen (s), id);
  if (r == -2)
    return sk_err_set (err, 0, "uids and gids must be in range 0-%d", ID_MAX);
  return r;
}

typedef struct gid_list {
  uint32_t v[MAX_GROUPS];
  size_t n;
} gid_list;

static int
gid_add (gid_list *l, uint32_t gid, sk_err **err)
{
  for (size_t i = 0; i < l->n; i++)
    if (l->v[i] == gid)
      return 0;
  if (l->n == MAX_GROUPS)
    return sk_err_set (err, 0, "more than %d additional groups", MAX_GROUPS);
  l->v[l->n++] = gid;
  return 0;
}

/* The first group named `name`, or whose gid is `name` when it is a number. */
static bool
find_group (const char *groups, const char *name, uint32_t *gid)
{
  uint32_t want = 0, g;
  bool numeric = parse_id (name, strlen (name), &want) == 0;
  field f[4];
  for (const char *cur = groups ? groups : ""; next_entry (&cur, f, 4) >= 3;) {
    if (parse_id (f[2].p, f[2].n, &g) < 0)
      continue;
    if ((numeric && g == want) || field_is (f[0], name)) {
      *gid = g;
      return true;
    }
  }
  return false;
}

static bool
lists_member (field members, const char *user)
{
  size_t len = strlen (user);
  for (const char *p = members.p, *end = members.p + members.n; p < end;) {
    const char *c = memchr (p, ',', (size_t) (end - p));
    size_t n = (size_t) ((c ? c : end) - p);
    if (n == len && memcmp (p, user, n) == 0)
      return true;
    p += n + 1;
  }
  return false;
}

static int
member_groups (const char *groups, const char *user, gid_list *out, sk_err **err)
{
  field f[4];
  uint32_t g;
  for (const char *cur = groups ? groups : ""; next_entry (&cur, f, 4) >= 4;)
    if (lists_member (f[3], user) && parse_id (f[2].p, f[2].n, &g) == 0 &&
        gid_add (out, g, err) < 0)
      return -1;
  return 0;
}

typedef struct user_ids {
  uint32_t uid, gid;
  char name[256]; /* the passwd entry matched, "" if none */
} user_ids;

/* The passwd entry of `user` ("" is uid 0), Docker's way: a number is a uid. */
static int
lookup_user (const char *passwd, const char *user, user_ids *u, sk_err **err)
{
  uint32_t want = 0, id;
  int num = *user ? id_arg (user, &want, err) : 0;
  if (num == -2)
    return -1;
  field f[7];
  for (const char *cur = passwd ? passwd : ""; next_entry (&cur, f, 7) >= 4;) {
    if (parse_id (f[2].p, f[2].n, &id) < 0)
      continue;
    if (num == 0 ? id == want : field_is (f[0], user)) {
      u->uid = id;
      if (parse_id (f[3].p, f[3].n, &u->gid) < 0)
        u->gid = 0;
      snprintf (u->name, sizeof u->name, "%.*s", (int) f[0].n, f[0].p);
      return 0;
    }
  }
  if (num < 0)
    return sk_err_set (err, 0, "unable to find user %s: no matching entries in passwd file", user);
  u->uid = want;
  return 0;
}

/* The group part of "user:group": a group of the file, else a number. */
static int
lookup_group (const char *groups, const char *group, uint32_t *gid, sk_err **err)
{
  if (find_group (groups, group, gid))
    return 0;
  int r = id_arg (group, gid, err);
  if (r == -2)
    return -1;
  if (r < 0)
    return sk_err_set (err, 0, "unable to find group %s: no matching entries in group file", group);
  return 0;
}

/* GroupAdd: names or numbers. */
static int
group_add (char *const *add, const char *groups, gid_list *gids, sk_err **err)
{
  for (size_t i = 0; add && add[i]; i++) {
    uint32_t gid;
    if (lookup_group (groups, add[i], &gid, err) < 0)
      return sk_err_wrap (err, "HostConfig.GroupAdd");
    if (gid_add (gids, gid, err) < 0)
      return -1;
  }
  return 0;
}

static sk_json *
user_json (const user_ids *u, const gid_list *gids)
{
  sk_json *user = json_object_new_object ();
  json_object_object_add (user, "uid", json_object_new_uint64 (u->uid));
  json_object_object_add (user, "gid", json_object_new_uint64 (u->gid));
  if (gids->n) {
    sk_json *a = json_object_new_array ();
    for (size_t i = 0; i < gids->n; i++)
      json_object_array_add (a, json_object_new_uint64 (gids->v[i]));
    json_object_object_add (user, "additionalGids", a);
  }
  return user;
}

int
sk_engine_spec_user (int rootfd, const char *spec, char *const *add, sk_json **out, sk_err **err)
{
  _cleanup_free_ char *name = strdup (spec ? spec : ""), *passwd = NULL, *groups = NULL;
  _cleanup_free_ gid_list *gids = calloc (1, sizeof *gids);
  if (gids == NULL || name == NULL)
    return sk_err_set (err, ENOMEM, "calloc");
  char *group = strchr (name, ':');
  if (group)
    *group++ = '\0';
  user_ids u = {0};
  if (read_etc (rootfd, "etc/passwd", &passwd, err) < 0 || lookup_user (passwd, name, &u, err) < 0)
    return -1;
  bool need_groups = (group && *group) || u.name[0] || add;
  if (need_groups && read_etc (rootfd, "etc/group", &groups, err) < 0)
    return -1;
  if (group && *group) {
    if (lookup_group (groups, group, &u.gid, err) < 0)
      return -1;
  } else if (u.name[0] && member_groups (groups, u.name, gids, err) < 0)
    return -1;
  if (group_add (add, groups, gids, err) < 0)
    return -1;
  *out = user_json (&u, gids);
  return 0;
}
