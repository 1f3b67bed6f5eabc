/* skiff: docker's specs of ports, mounts, devices, ulimits and env files
 * (see run-values.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run-values.h"
#include "util/cleanup.h"

/* ---- ports ---- */

/* "80", "8000-8010": 16-bit ports, end not below start. */
static int
port_range (const char *s, uint64_t *start, uint64_t *end, sk_err **err)
{
  if (*s == '\0')
    return sk_err_set (err, 0, "empty string specified for ports");
  const char *dash = strchr (s, '-');
  _cleanup_free_ char *first = dash ? strndup (s, (size_t) (dash - s)) : strdup (s);
  if (sk_rv_uint (first, 16, 10, start, err) < 0)
    return -1;
  *end = *start;
  if (dash == NULL)
    return 0;
  _cleanup_free_ char *second = strdup (dash + 1);
  char *more = strchr (second, '-');
  if (more)
    *more = '\0';
  if (sk_rv_uint (second, 16, 10, end, err) < 0)
    return -1;
  if (*end < *start)
    return sk_err_set (err, 0, "invalid range specified for port: %s", s);
  return 0;
}

/* "80/udp" into port and protocol (tcp when absent). */
static void
split_proto (char *s, const char **proto)
{
  char *slash = strchr (s, '/');
  *proto = "tcp";
  if (slash == NULL || slash == s)
    return;
  *slash = '\0';
  if (slash[1])
    *proto = slash + 1;
  char *more = strchr (slash + 1, '/');
  if (more)
    *more = '\0';
}

static int
check_proto (char *proto, sk_err **err)
{
  for (char *p = proto; *p; p++)
    *p = (char) tolower ((unsigned char) *p);
  if (strcmp (proto, "tcp") && strcmp (proto, "udp") && strcmp (proto, "sctp"))
    return sk_err_set (err, 0, "invalid proto: %s", proto);
  return 0;
}

static void
add_binding (sk_json *exposed, sk_json *bindings, const char *key, const char *ip,
             const char *host_port)
{
  json_object_object_add (exposed, key, json_object_new_object ());
  sk_json *list = NULL;
  if (!json_object_object_get_ex (bindings, key, &list)) {
    list = json_object_new_array ();
    json_object_object_add (bindings, key, list);
  }
  sk_json *b = json_object_new_object ();
  json_object_object_add (b, "HostIp", json_object_new_string (ip));
  json_object_object_add (b, "HostPort", json_object_new_string (host_port));
  json_object_array_add (list, b);
}

/* IP, host port and container port of "[ip:][host:]container". */
static int
split_publish (char *s, const char **ip, const char **host, char **container, sk_err **err)
{
  char *last = strrchr (s, ':');
  *ip = *host = "";
  *container = last ? last + 1 : s;
  if (last == NULL)
    return 0;
  *last = '\0';
  char *mid = strrchr (s, ':');
  *host = mid ? mid + 1 : s;
  if (mid == NULL)
    return 0;
  *mid = '\0';
  size_t n = strlen (s);
  if (n > 0 && s[0] == '[') {
    if (s[n - 1] != ']')
      return sk_err_set (err, 0, "invalid IP address %s: missing ']' in address", s);
    s[n - 1] = '\0';
    s++;
  }
  bool v6;
  if (*s && !sk_rv_is_ip (s, &v6))
    return sk_err_set (err, 0, "invalid IP address: %s", s);
  *ip = s;
  return 0;
}

int
sk_rv_publish (const char *spec, sk_json *exposed, sk_json *bindings, sk_err **err)
{
  _cleanup_free_ char *copy = strdup (spec);
  const char *ip, *host, *proto;
  char *container;
  if (split_publish (copy, &ip, &host, &container, err) < 0)
    return -1;
  _cleanup_free_ char *cport = strdup (container);
  split_proto (cport, &proto);
  _cleanup_free_ char *lproto = strdup (proto);
  if (*container == '\0' || *container == '/')
    return sk_err_set (err, 0, "no port specified: %s<empty>", spec);
  uint64_t start, end, hstart = 0, hend = 0;
  sk_err *cause = NULL;
  if (port_range (cport, &start, &end, &cause) < 0) {
    sk_err_free (&cause);
    return sk_err_set (err, 0, "invalid containerPort: %s", cport);
  }
  if (*host && port_range (host, &hstart, &hend, &cause) < 0) {
    sk_err_free (&cause);
    return sk_err_set (err, 0, "invalid hostPort: %s", host);
  }
  if (*host && end - start != hend - hstart && end != start)
    return sk_err_set (err, 0, "invalid ranges specified for container and host Ports: %s and %s",
                       cport, host);
  if (check_proto (lproto, err) < 0)
    return -1;
  for (uint64_t i = 0; i <= end - start; i++) {
    char key[32], hp[32] = "";
    snprintf (key, sizeof key, "%llu/%s", (unsigned long long) (start + i), lproto);
    if (*host && start == end && hstart != hend)
      snprintf (hp, sizeof hp, "%llu-%llu", (unsigned long long) hstart,
                (unsigned long long) hend);
    else if (*host)
      snprintf (hp, sizeof hp, "%llu", (unsigned long long) (hstart + i));
    add_binding (exposed, bindings, key, ip, hp);
  }
  return 0;
}

int
sk_rv_expose (const char *spec, sk_json *exposed, sk_err **err)
{
  if (strchr (spec, ':'))
    return sk_err_set (err, 0, "invalid port format for --expose: %s", spec);
  _cleanup_free_ char *port = strdup (spec);
  const char *proto;
  split_proto (port, &proto);
  _cleanup_free_ char *lproto = strdup (proto);
  uint64_t start, end;
  sk_err *cause = NULL;
  if (port_range (port, &start, &end, &cause) < 0) {
    sk_err_set (err, 0, "invalid range format for --expose: %s, error: %s", spec, cause->msg);
    sk_err_free (&cause);
    return -1;
  }
  if (check_proto (lproto, err) < 0)
    return -1;
  for (uint64_t i = start; i <= end; i++) {
    char key[32];
    snprintf (key, sizeof key, "%llu/%s", (unsigned long long) i, lproto);
    json_object_object_add (exposed, key, json_object_new_object ());
  }
  return 0;
}

/* ---- devices and ulimits ---- */

static bool
device_mode (const char *m)
{
  if (*m == '\0' || strlen (m) > 3)
    return false;
  for (const char *p = m; *p; p++)
    if (!strchr ("rwm", *p) || strchr (p + 1, *p))
      return false;
  return true;
}

int
sk_rv_device (const char *spec, sk_json **out, sk_err **err)
{
  _cleanup_free_ char *copy = strdup (spec);
  char *parts[4] = {NULL};
  size_t n = 0;
  for (char *p = copy, *c; n < 4; p = c + 1) {
    parts[n++] = p;
    if ((c = strchr (p, ':')) == NULL)
      break;
    *c = '\0';
  }
  if (n > 3)
    return sk_err_set (err, 0, "invalid device specification: %s", spec);
  const char *src = parts[0], *dst = src, *perms = "rwm";
  if (n == 3 && !device_mode (parts[2]))
    return sk_err_set (err, 0, "bad mode specified: %s", parts[2]);
  if (n == 3) {
    dst = parts[1];
    perms = parts[2];
  } else if (n == 2 && device_mode (parts[1]))
    perms = parts[1];
  else if (n == 2)
    dst = parts[1];
  if (*dst == '\0')
    dst = src;
  if (dst[0] != '/')
    return sk_err_set (err, 0, "%s is not an absolute path", dst);
  sk_json *d = json_object_new_object ();
  json_object_object_add (d, "PathOnHost", json_object_new_string (src));
  json_object_object_add (d, "PathInContainer", json_object_new_string (dst));
  json_object_object_add (d, "CgroupPermissions", json_object_new_string (perms));
  *out = d;
  return 0;
}

int
sk_rv_ulimit (const char *spec, sk_json **out, sk_err **err)
{
  static const char *const names[] = {"core",    "cpu",        "data",  "fsize",  "locks",
                                      "memlock", "msgqueue",   "nice",  "nofile", "nproc",
                                      "rss",     "rtprio",     "rttime", "sigpending", "stack"};
  const char *eq = strchr (spec, '=');
  if (eq == NULL)
    return sk_err_set (err, 0, "invalid ulimit argument: %s", spec);
  _cleanup_free_ char *name = strndup (spec, (size_t) (eq - spec));
  bool known = false;
  for (size_t i = 0; i < SK_N_ELEMENTS (names); i++)
    known = known || strcmp (names[i], name) == 0;
  if (!known)
    return sk_err_set (err, 0, "invalid ulimit type: %s", name);
  _cleanup_free_ char *vals = strdup (eq + 1);
  char *colon = strchr (vals, ':');
  if (colon && strchr (colon + 1, ':'))
    return sk_err_set (err, 0,
                       "too many limit value arguments - %s, can only have up to two, `soft[:hard]`",
                       eq + 1);
  if (colon)
    *colon = '\0';
  int64_t soft, hard;
  if ((colon && sk_rv_int (colon + 1, 64, &hard, err) < 0) || sk_rv_int (vals, 64, &soft, err) < 0)
    return -1;
  if (colon == NULL)
    hard = soft;
  if (hard != -1 && soft == -1)
    return sk_err_set (err, 0,
                       "ulimit soft limit must be less than or equal to hard limit: soft: -1 "
                       "(unlimited), hard: %lld",
                       (long long) hard);
  if (hard != -1 && soft > hard)
    return sk_err_set (err, 0, "ulimit soft limit must be less than or equal to hard limit: %lld > %lld",
                       (long long) soft, (long long) hard);
  sk_json *u = json_object_new_object ();
  json_object_object_add (u, "Name", json_object_new_string (name));
  json_object_object_add (u, "Hard", json_object_new_int64 (hard));
  json_object_object_add (u, "Soft", json_object_new_int64 (soft));
  *out = u;
  return 0;
}

/* ---- env and label files ---- */

int
sk_rv_open (const char *path, FILE **f, sk_err **err)
{
  *f = fopen (path, "re");
  if (*f)
    return 0;
  char cause[128];
  snprintf (cause, sizeof cause, "%s", strerror (errno));
  cause[0] = (char) tolower ((unsigned char) cause[0]);
  return sk_err_set (err, 0, "open %s: %s", path, cause);
}

int
sk_rv_read (const char *path, char **data, sk_err **err)
{
  _cleanup_fclose_ FILE *f = NULL;
  if (sk_rv_open (path, &f, err) < 0)
    return -1;
  char *buf = NULL;
  size_t len = 0;
  FILE *mem = open_memstream (&buf, &len);
  char chunk[8192];
  size_t n;
  while (mem && (n = fread (chunk, 1, sizeof chunk, f)) > 0)
    fwrite (chunk, 1, n, mem);
  if (mem == NULL || ferror (f)) {
    if (mem)
      fclose (mem);
    free (buf);
    return sk_err_set (err, EIO, "read %s", path);
  }
  fclose (mem);
  *data = buf;
  return 0;
}

static int
kv_line (char *line, bool from_env, sk_json *lines, sk_err **err)
{
  size_t n = strlen (line);
  if (n && line[n - 1] == '\r')
    line[--n] = '\0';
  while (isspace ((unsigned char) *line))
    line++;
  if (*line == '\0' || *line == '#')
    return 0;
  char *eq = strchr (line, '=');
  size_t klen = eq ? (size_t) (eq - line) : strlen (line);
  _cleanup_free_ char *key = strndup (line, klen);
  if (strpbrk (key, " \t\n\v\f\r"))
    return sk_err_set (err, 0, "poorly formatted environment: variable '%s' contains whitespaces",
                       key);
  if (*key == '\0')
    return sk_err_set (err, 0, "poorly formatted environment: no variable name on line '%s'", line);
  if (eq || !from_env) {
    json_object_array_add (lines, json_object_new_string (line));
    return 0;
  }
  const char *v = getenv (key);
  if (v) {
    _cleanup_free_ char *kv = NULL;
    if (asprintf (&kv, "%s=%s", key, v) < 0)
      return sk_err_set (err, ENOMEM, "env file");
    json_object_array_add (lines, json_object_new_string (kv));
  }
  return 0;
}

int
sk_rv_kv_file (const char *path, bool from_env, sk_json *lines, sk_err **err)
{
  _cleanup_fclose_ FILE *f = NULL;
  if (sk_rv_open (path, &f, err) < 0)
    return -1;
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  bool first = true;
  while ((len = getline (&line, &cap, f)) >= 0) {
    if (len > 0 && line[len - 1] == '\n')
      line[len - 1] = '\0';
    char *l = line;
    if (first && strncmp (l, "\xef\xbb\xbf", 3) == 0)
      l += 3;
    first = false;
    if (kv_line (l, from_env, lines, err) < 0)
      return -1;
  }
  return 0;
}

/* ---- --mount ---- */

/* The object member key of m, created on first use. */
static sk_json *
sub (sk_json *m, const char *key)
{
  sk_json *o = NULL;
  if (!json_object_object_get_ex (m, key, &o)) {
    o = json_object_new_object ();
    json_object_object_add (m, key, o);
  }
  return o;
}

static int
mount_bool (sk_json *o, const char *member, const char *key, const char *val, sk_err **err)
{
  bool b;
  sk_err *cause = NULL;
  if (sk_rv_bool (val, &b, &cause) < 0) {
    sk_err_free (&cause);
    return sk_err_set (err, 0, "invalid value for %s: %s", key, val);
  }
  json_object_object_add (o, member, json_object_new_boolean (b));
  return 0;
}

static int
mount_opt (sk_json *m, const char *key, const char *val, const char *field, sk_err **err)
{
  if (!strcmp (key, "type") || !strcmp (key, "source") || !strcmp (key, "src") ||
      !strcmp (key, "target") || !strcmp (key, "dst") || !strcmp (key, "destination") ||
      !strcmp (key, "consistency")) {
    const char *member = key[0] == 't' && key[1] == 'y' ? "Type"
                         : key[0] == 's'               ? "Source"
                         : key[0] == 'c'               ? "Consistency"
                                                       : "Target";
    json_object_object_add (m, member, json_object_new_string (val));
    return 0;
  }
  if (!strcmp (key, "readonly") || !strcmp (key, "ro"))
    return mount_bool (m, "ReadOnly", key, val, err);
  if (!strcmp (key, "bind-propagation")) {
    json_object_object_add (sub (m, "BindOptions"), "Propagation", json_object_new_string (val));
    return 0;
  }
  if (!strcmp (key, "bind-nonrecursive"))
    return mount_bool (sub (m, "BindOptions"), "NonRecursive", key, val, err);
  if (!strcmp (key, "volume-nocopy"))
    return mount_bool (sub (m, "VolumeOptions"), "NoCopy", key, val, err);
  if (!strcmp (key, "volume-subpath")) {
    json_object_object_add (sub (m, "VolumeOptions"), "Subpath", json_object_new_string (val));
    return 0;
  }
  if (!strcmp (key, "volume-driver")) {
    json_object_object_add (sub (sub (m, "VolumeOptions"), "DriverConfig"), "Name",
                            json_object_new_string (val));
    return 0;
  }
  if (!strcmp (key, "volume-label") || !strcmp (key, "volume-opt")) {
    sk_json *vo = sub (m, "VolumeOptions");
    sk_json *map = key[7] == 'l' ? sub (vo, "Labels") : sub (sub (vo, "DriverConfig"), "Options");
    const char *eq = strchr (val, '=');
    _cleanup_free_ char *k = eq ? strndup (val, (size_t) (eq - val)) : strdup (val);
    if (eq == NULL && key[7] == 'o')
      return sk_err_set (err, 0, "invalid value for %s: %s", key, val);
    json_object_object_add (map, k, json_object_new_string (eq ? eq + 1 : ""));
    return 0;
  }
  if (!strcmp (key, "tmpfs-size") || !strcmp (key, "tmpfs-mode")) {
    int64_t size = 0;
    uint64_t mode = 0;
    sk_err *cause = NULL;
    bool is_size = key[6] == 's';
    if ((is_size ? sk_rv_ram (val, &size, &cause) : sk_rv_uint (val, 32, 8, &mode, &cause)) < 0) {
      sk_err_free (&cause);
      return sk_err_set (err, 0, "invalid value for %s: %s", key, val);
    }
    json_object_object_add (sub (m, "TmpfsOptions"), is_size ? "SizeBytes" : "Mode",
                            json_object_new_int64 (is_size ? size : (int64_t) mode));
    return 0;
  }
  return sk_err_set (err, 0, "unexpected key '%s' in '%s'", key, field);
}

static int
mount_field (sk_json *m, char *field, sk_err **err)
{
  char *eq = strchr (field, '=');
  _cleanup_free_ char *key = eq ? strndup (field, (size_t) (eq - field)) : strdup (field);
  for (char *p = key; *p; p++)
    *p = (char) tolower ((unsigned char) *p);
  if (eq)
    return mount_opt (m, key, eq + 1, field, err);
  if (!strcmp (key, "readonly") || !strcmp (key, "ro"))
    return mount_opt (m, key, "true", field, err);
  if (!strcmp (key, "volume-nocopy") || !strcmp (key, "bind-nonrecursive"))
    return mount_opt (m, key, "true", field, err);
  return sk_err_set (err, 0, "invalid field '%s' must be a key=value pair", field);
}

/* Splits a CSV record (double quotes group, "" is a quote). */
static char **
csv_fields (const char *s)
{
  size_t n = 1;
  for (const char *p = s; *p; p++)
    n += *p == ',';
  char **v = calloc (n + 1, sizeof *v);
  size_t i = 0;
  while (v) {
    char *f = malloc (strlen (s) + 1), *o = f;
    bool quoted = false;
    for (; *s && (quoted || *s != ','); s++) {
      if (*s == '"' && quoted && s[1] == '"')
        *o++ = *s++;
      else if (*s == '"')
        quoted = !quoted;
      else
        *o++ = *s;
    }
    *o = '\0';
    v[i++] = f;
    if (*s++ == '\0')
      break;
  }
  return v;
}

static int
mount_check (sk_json *m, sk_err **err)
{
  sk_json *t = NULL;
  const char *type = json_object_object_get_ex (m, "Type", &t) ? json_object_get_string (t) : "";
  if (!json_object_object_get_ex (m, "Target", &t))
    return sk_err_set (err, 0, "target is required");
  static const struct {
    const char *member, *prefix, *type;
  } kinds[] = {{"VolumeOptions", "volume", "volume"},
               {"BindOptions", "bind", "bind"},
               {"TmpfsOptions", "tmpfs", "tmpfs"}};
  for (size_t i = 0; i < SK_N_ELEMENTS (kinds); i++)
    if (json_object_object_get_ex (m, kinds[i].member, &t) && strcmp (type, kinds[i].type))
      return sk_err_set (err, 0, "cannot mix '%s-*' options with mount type '%s'",
                         kinds[i].prefix, type);
  return 0;
}

int
sk_rv_mount (const char *spec, sk_json **out, sk_err **err)
{
  _cleanup_json_ sk_json *m = json_object_new_object ();
  json_object_object_add (m, "Type", json_object_new_string ("volume"));
  _cleanup_strv_ char **fields = csv_fields (spec);
  for (char **f = fields; f && *f; f++)
    if (mount_field (m, *f, err) < 0)
      return -1;
  sk_json *t = NULL;
  json_object_object_get_ex (m, "Type", &t);
  _cleanup_free_ char *type = strdup (json_object_get_string (t));
  for (char *p = type; *p; p++)
    *p = (char) tolower ((unsigned char) *p);
  json_object_object_add (m, "Type", json_object_new_string (type));
  if (mount_check (m, err) < 0)
    return -1;
  *out = steal_ptr (m);
  return 0;
}
