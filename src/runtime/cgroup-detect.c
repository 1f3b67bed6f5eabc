/* skiff: cgroup layout detection (once per process) and cgroup paths. */
#include "runtime/cgroup-internal.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strbuf.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

static const char *const ctrl_names[SK_CG_N_CTRL] = {
    "cpu",   "cpuacct", "cpuset",  "memory",  "devices",  "freezer",
    "blkio", "pids",    "hugetlb", "net_cls", "net_prio",
};

/* v1 controllers that are joined but never written to */
static const char *const other_v1_names[] = {"perf_event", "rdma", "misc", "debug"};

const char *
sk_cg_ctrl_name (sk_cg_ctrl c)
{
  return ctrl_names[c];
}

/* ---------------------------------------------------------------- detection */

static int
ctrl_from_name (const char *name)
{
  for (int c = 0; c < SK_CG_N_CTRL; c++)
    if (strcmp (ctrl_names[c], name) == 0)
      return c;
  return -1;
}

/* Undoes mountinfo's octal escapes ("\040" for a space) in place. */
static void
unescape_octal (char *s)
{
  char *w = s;
  for (const char *r = s; *r;) {
    if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
        r[3] <= '7') {
      *w++ = (char) (((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
      r += 4;
    } else {
      *w++ = *r++;
    }
  }
  *w = '\0';
}

typedef struct mi_line {
  char *devno, *mountpoint, *fstype, *superopts;
} mi_line;

/* Splits a mountinfo line in place. */
static bool
mi_split (char *line, mi_line *m)
{
  char *save = NULL, *f[5];
  for (int i = 0; i < 5; i++) {
    f[i] = strtok_r (i ? NULL : line, " ", &save);
    if (f[i] == NULL)
      return false;
  }
  char *tok;
  while ((tok = strtok_r (NULL, " ", &save)) && strcmp (tok, "-") != 0)
    ; /* optional fields */
  m->devno = f[2];
  m->mountpoint = f[4];
  m->fstype = strtok_r (NULL, " ", &save);
  if (tok == NULL || m->fstype == NULL || strtok_r (NULL, " ", &save) == NULL)
    return false;
  m->superopts = strtok_r (NULL, " ", &save);
  if (m->superopts == NULL)
    return false;
  unescape_octal (m->mountpoint);
  return true;
}

/* The controllers of a v1 mount from its super options; false for none. */
static bool
v1_controllers (char *superopts, sk_cg_mount *m)
{
  sk_strbuf names = SK_STRBUF_INIT;
  char *save = NULL;
  for (char *o = strtok_r (superopts, ",", &save); o; o = strtok_r (NULL, ",", &save)) {
    int c = ctrl_from_name (o);
    bool other = strncmp (o, "name=", 5) == 0;
    for (size_t i = 0; i < SK_N_ELEMENTS (other_v1_names); i++)
      other = other || strcmp (o, other_v1_names[i]) == 0;
    if (c < 0 && !other)
      continue;
    if (c >= 0)
      m->mask |= SK_CG_BIT (c);
    if (names.len)
      sk_strbuf_putc (&names, ',');
    sk_strbuf_puts (&names, o);
  }
  if (names.len == 0) {
    sk_strbuf_release (&names);
    return false;
  }
  m->controllers = sk_strbuf_detach (&names);
  return true;
}

/* A cgroup2 mount's controllers from its root's cgroup.controllers. */
static int
v2_controllers (sk_cg_mount *m, sk_err **err)
{
  _cleanup_free_ char *path = sk_path_join (m->mountpoint, "cgroup.controllers");
  _cleanup_free_ char *text = NULL;
  if (path == NULL)
    return sk_err_set (err, ENOMEM, "detect cgroups");
  if (sk_read_file (path, &text, NULL, err) < 0)
    return -1;
  size_t n = 0;
  for (char *p = text; *p; p++)
    n += *p == ' ';
  m->v2_controllers = calloc (n + 2, sizeof (char *));
  if (m->v2_controllers == NULL)
    return sk_err_set (err, ENOMEM, "detect cgroups");
  sk_strbuf names = SK_STRBUF_INIT;
  char *save = NULL;
  n = 0;
  for (char *c = strtok_r (text, " \n", &save); c; c = strtok_r (NULL, " \n", &save)) {
    m->v2_controllers[n++] = strdup (c);
    int k = strcmp (c, "io") == 0 ? SK_CG_BLKIO : ctrl_from_name (c);
    if (k >= 0)
      m->mask |= SK_CG_BIT (k);
    if (k == SK_CG_CPU)
      m->mask |= SK_CG_BIT (SK_CG_CPUACCT);
    if (names.len)
      sk_strbuf_putc (&names, ',');
    sk_strbuf_puts (&names, c);
  }
  m->controllers = names.len ? sk_strbuf_detach (&names) : strdup ("");
  return 0;
}

static void
mount_clear (sk_cg_mount *m)
{
  free (m->mountpoint);
  free (m->controllers);
  sk_strv_free (m->v2_controllers);
}

static void
layout_free (sk_cg_layout *l)
{
  if (l == NULL)
    return;
  for (size_t i = 0; i < l->n; i++)
    mount_clear (&l->mounts[i]);
  free (l->mounts);
  free (l);
}

static bool
under_cgroup_root (const char *mp)
{
  return strncmp (mp, CGROUP_ROOT, strlen (CGROUP_ROOT)) == 0;
}

/* Adds one cgroup mount; a second mount of the same superblock only replaces
 * the first when it is below /sys/fs/cgroup and the first is not. */
static int
layout_add (sk_cg_layout *l, const mi_line *mi, size_t *alloc, sk_err **err)
{
  sk_cg_mount m = {.v2 = strcmp (mi->fstype, "cgroup2") == 0};
  snprintf (m.devno, sizeof m.devno, "%s", mi->devno);
  for (size_t i = 0; i < l->n; i++) {
    if (strcmp (l->mounts[i].devno, m.devno) != 0)
      continue;
    if (under_cgroup_root (l->mounts[i].mountpoint) || !under_cgroup_root (mi->mountpoint))
      return 0;
    char *mp = strdup (mi->mountpoint);
    if (mp == NULL)
      return sk_err_set (err, ENOMEM, "detect cgroups");
    free (l->mounts[i].mountpoint);
    l->mounts[i].mountpoint = mp;
    return 0;
  }
  if (!m.v2 && !v1_controllers (mi->superopts, &m))
    return 0;
  m.mountpoint = strdup (mi->mountpoint);
  if (m.mountpoint == NULL || (m.v2 && v2_controllers (&m, err) < 0)) {
    mount_clear (&m);
    return sk_err_set (err, ENOMEM, "detect cgroups");
  }
  if (l->n == *alloc) {
    size_t na = *alloc ? *alloc * 2 : 16;
    sk_cg_mount *p = realloc (l->mounts, na * sizeof *p);
    if (p == NULL) {
      mount_clear (&m);
      return sk_err_set (err, ENOMEM, "detect cgroups");
    }
    l->mounts = p;
    *alloc = na;
  }
  l->mounts[l->n++] = m;
  return 0;
}

/* Decides the mode; on a pure v2 host only the cgroup2 mount is kept. */
static int
layout_mode (sk_cg_layout *l, sk_err **err)
{
  int v2 = -1;
  size_t n_v1 = 0;
  for (size_t i = 0; i < l->n; i++) {
    if (!l->mounts[i].v2)
      n_v1++;
    else if (v2 < 0 || strcmp (l->mounts[i].mountpoint, CGROUP_ROOT) == 0)
      v2 = (int) i;
  }
  if (v2 < 0 && n_v1 == 0)
    return sk_cg_error (err, ENOENT, "no cgroup filesystem is mounted");
  if (v2 >= 0 && (n_v1 == 0 || strcmp (l->mounts[v2].mountpoint, CGROUP_ROOT) == 0)) {
    l->mode = SK_CGROUP_V2;
    for (size_t i = 0; i < l->n; i++)
      if ((int) i != v2)
        mount_clear (&l->mounts[i]);
    l->mounts[0] = l->mounts[v2];
    l->n = 1;
    return 0;
  }
  l->mode = v2 >= 0 ? SK_CGROUP_HYBRID : SK_CGROUP_V1;
  return 0;
}

/* "2MB", "1GB": the page sizes as the hugetlb controller names them. */
static char **
hugepage_sizes (void)
{
  char **v = calloc (8, sizeof (char *));
  _cleanup_closedir_ DIR *d = opendir ("/sys/kernel/mm/hugepages");
  size_t n = 0;
  struct dirent *de;
  while (v && d && n < 7 && (de = readdir (d))) {
    unsigned long kb;
    if (sscanf (de->d_name, "hugepages-%lukB", &kb) != 1)
      continue;
    char buf[32];
    if (kb >= 1024ul * 1024)
      snprintf (buf, sizeof buf, "%luGB", kb >> 20);
    else if (kb >= 1024)
      snprintf (buf, sizeof buf, "%luMB", kb >> 10);
    else
      snprintf (buf, sizeof buf, "%luKB", kb);
    v[n] = strdup (buf);
    if (v[n])
      n++;
  }
  return v;
}

static int
layout_detect (sk_cg_layout **out, sk_err **err)
{
  _cleanup_free_ char *text = NULL;
  if (sk_read_file ("/proc/self/mountinfo", &text, NULL, err) < 0)
    return -1;
  sk_cg_layout *l = calloc (1, sizeof *l);
  if (l == NULL)
    return sk_err_set (err, ENOMEM, "detect cgroups");
  size_t alloc = 0;
  char *save = NULL;
  for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
    mi_line mi;
    if (!mi_split (line, &mi))
      continue;
    if (strcmp (mi.fstype, "cgroup") != 0 && strcmp (mi.fstype, "cgroup2") != 0)
      continue;
    if (layout_add (l, &mi, &alloc, err) < 0) {
      layout_free (l);
      return -1;
    }
  }
  if (layout_mode (l, err) < 0) {
    layout_free (l);
    return -1;
  }
  *out = l;
  return 0;
}

/* Detected once per process (the runtime does this from one thread). */
static sk_cg_layout *cached_layout;
static char **cached_hugepage_sizes;

char **
sk_cg_hugepage_sizes (void)
{
  if (cached_hugepage_sizes == NULL)
    cached_hugepage_sizes = hugepage_sizes ();
  return cached_hugepage_sizes;
}

const sk_cg_layout *
sk_cg_layout_get (sk_err **err)
{
  if (cached_layout == NULL && layout_detect (&cached_layout, err) < 0)
    return NULL;
  return cached_layout;
}

int
sk_cgroup_detect (sk_cgroup_mode *mode, sk_err **err)
{
  const sk_cg_layout *l = sk_cg_layout_get (err);
  if (l == NULL)
    return -1;
  *mode = l->mode;
  return 0;
}

const char *
sk_cgroup_mode_name (sk_cgroup_mode mode)
{
  switch (mode) {
  case SK_CGROUP_V1: return "v1";
  case SK_CGROUP_HYBRID: return "hybrid";
  case SK_CGROUP_V2: return "v2";
  }
  return "unknown";
}

/* ---------------------------------------------------------------- paths */

/* runc's systemd form "slice:prefix:name". */
static bool
is_systemd_form (const char *p)
{
  if (strchr (p, '/'))
    return false;
  size_t colons = 0;
  for (; *p; p++)
    colons += *p == ':';
  return colons == 2;
}

/* Where systemd would put "slice:prefix:name" in the cgroup tree: slices
 * nest by their dashes ("a-b.slice" is /a.slice/a-b.slice), the unit is
 * "prefix-name.scope" (or "name" itself when it is a slice). skiff manages
 * that path through cgroupfs: it does not ask systemd over D-Bus. */
char *
sk_cgroup_systemd_path (const char *form)
{
  _cleanup_free_ char *copy = strdup (form);
  if (copy == NULL)
    return NULL;
  char *slice = copy, *prefix = strchr (copy, ':');
  if (prefix == NULL)
    return NULL;
  *prefix++ = '\0';
  char *name = strchr (prefix, ':');
  if (name == NULL || *(name + 1) == '\0')
    return NULL;
  *name++ = '\0';
  if (*slice == '\0')
    slice = (char *) "system.slice";
  size_t sl = strlen (slice);
  if (sl < 7 || strcmp (slice + sl - 6, ".slice") != 0 || strchr (slice, '/'))
    return NULL;
  sk_strbuf b = SK_STRBUF_INIT;
  if (strcmp (slice, "-.slice") != 0) {
    /* every dash-separated prefix of the slice is a parent slice */
    for (const char *d = slice; (d = strchr (d, '-')); d++) {
      sk_strbuf_putc (&b, '/');
      sk_strbuf_add (&b, slice, (size_t) (d - slice));
      sk_strbuf_puts (&b, ".slice");
    }
    sk_strbuf_printf (&b, "/%s", slice);
  }
  size_t nl = strlen (name);
  if (nl > 6 && strcmp (name + nl - 6, ".slice") == 0)
    sk_strbuf_printf (&b, "/%s", name);
  else if (*prefix)
    sk_strbuf_printf (&b, "/%s-%s.scope", prefix, name);
  else
    sk_strbuf_printf (&b, "/%s.scope", name);
  return sk_strbuf_detach (&b);
}

/* Collapses repeated and trailing slashes and drops "." components. */
char *
sk_cg_normalize (const char *path)
{
  sk_strbuf b = SK_STRBUF_INIT;
  const char *p = path;
  while (*p) {
    while (*p == '/')
      p++;
    size_t len = strcspn (p, "/");
    if (len && !(len == 1 && p[0] == '.')) {
      sk_strbuf_putc (&b, '/');
      sk_strbuf_add (&b, p, len);
    }
    p += len;
  }
  if (b.len == 0)
    sk_strbuf_putc (&b, '/');
  return sk_strbuf_detach (&b);
}

/* The caller's own cgroup: the cgroup2 entry of /proc/self/cgroup when a
 * cgroup2 hierarchy is mounted, else the name=systemd one, else the first.
 *
 * A relative cgroupsPath is resolved against this one cgroup and the result
 * is used in every hierarchy (sk_cgroup_default_path returns one path). On
 * hosts where the caller sits in different cgroups in different v1
 * hierarchies, the container's directories are siblings of the caller's
 * cgroup only in the hierarchy chosen here. */
static char *
self_cgroup (const sk_cg_layout *l)
{
  _cleanup_free_ char *text = NULL;
  _cleanup_err_ sk_err *err = NULL;
  bool want_v2 = false;
  for (size_t i = 0; l && i < l->n; i++)
    want_v2 = want_v2 || l->mounts[i].v2;
  if (sk_read_file ("/proc/self/cgroup", &text, NULL, &err) < 0)
    return NULL;
  const char *first = NULL, *systemd = NULL, *v2 = NULL;
  char *save = NULL;
  for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
    /* "id:controllers:path" */
    char *c1 = strchr (line, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
    if (c2 == NULL)
      continue;
    *c1 = *c2 = '\0';
    const char *ctrls = c1 + 1, *path = c2 + 1;
    if (strcmp (line, "0") == 0 && *ctrls == '\0')
      v2 = path;
    else if (strstr (ctrls, "name=systemd"))
      systemd = path;
    else if (first == NULL && *ctrls != '\0')
      first = path;
  }
  const char *pick = want_v2 && v2 ? v2 : systemd ? systemd : first ? first : v2;
  return pick ? strdup (pick) : NULL;
}

char *
sk_cgroup_default_path (const char *config_path, const char *id)
{
  char *r = NULL;
  if (config_path == NULL || *config_path == '\0')
    return asprintf (&r, "/skiff/%s", id) < 0 ? NULL : r;
  if (config_path[0] == '/')
    return sk_cg_normalize (config_path);
  if (is_systemd_form (config_path)) {
    /* without systemd, refused by sk_cgroup_create with a clear error */
    if (access ("/run/systemd/system", F_OK) < 0)
      return strdup (config_path);
    char *p = sk_cgroup_systemd_path (config_path);
    return p ? p : strdup (config_path);
  }
  _cleanup_err_ sk_err *err = NULL;
  _cleanup_free_ char *base = self_cgroup (sk_cg_layout_get (&err));
  _cleanup_free_ char *joined = NULL;
  if (base == NULL || asprintf (&joined, "%s/%s", base, config_path) < 0)
    return NULL;
  return sk_cg_normalize (joined);
}

int
sk_cg_check_path (const char *path, sk_err **err)
{
  if (path == NULL || *path == '\0')
    return sk_cg_error (err, EINVAL, "cgroup path is empty");
  if (path[0] != '/' && is_systemd_form (path)) {
    if (access ("/run/systemd/system", F_OK) < 0)
      sk_err_set (err, 0,
                  "cgroupsPath `%s`: the systemd cgroup driver needs systemd, which is not running",
                  path);
    else
      sk_err_set (err, 0, "cgroupsPath `%s`: not a valid slice:prefix:name", path);
    return sk_cg_set_errnum (err, ENOTSUP);
  }
  if (path[0] != '/')
    return sk_cg_error (err, EINVAL, "cgroup path `%s` is not absolute", path);
  if (strlen (path) > PATH_MAX / 2)
    return sk_err_set (err, ENAMETOOLONG, "cgroup path `%s`", path);
  size_t parts = 0;
  for (const char *p = path; *p;) {
    while (*p == '/')
      p++;
    size_t len = strcspn (p, "/");
    if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
      return sk_cg_error (err, EINVAL, "cgroup path `%s` has a `%.*s` component", path, (int) len,
                          p);
    parts += len > 0;
    p += len;
  }
  if (parts == 0)
    return sk_cg_error (err, EINVAL, "cgroup path `%s` is the root of the hierarchy", path);
  return 0;
}
