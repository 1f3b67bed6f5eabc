/* skiff: `ps` and `inspect` of containers: docker's columns, --format and
 * JSON shape. */
#include <errno.h>
#include <getopt.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "image/images.h"
#include "run-values.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

/* RFC 3339 with nanoseconds, as docker's inspect ("0001-01-01T00:00:00Z"
 * for never). */
static void
time_nano (int64_t ns, char buf[48])
{
  if (ns <= 0) {
    snprintf (buf, 48, "0001-01-01T00:00:00Z");
    return;
  }
  time_t s = (time_t) (ns / 1000000000);
  struct tm tm;
  gmtime_r (&s, &tm);
  char day[32];
  strftime (day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf, 48, "%s.%09ldZ", day, (long) (ns % 1000000000));
}

static sk_json *
parse_config (const sk_ctr *c)
{
  sk_json *doc = NULL;
  sk_err *ignored = NULL;
  if (sk_json_parse (c->config, strlen (c->config), "config", &doc, &ignored) < 0) {
    sk_err_free (&ignored);
    doc = json_object_new_object ();
  }
  return doc;
}

/* Entrypoint + Cmd, the words of the container's process. */
static sk_json *
command_words (sk_json *config)
{
  sk_json *words = json_object_new_array (), *v = NULL;
  const char *keys[] = {"Entrypoint", "Cmd"};
  for (size_t k = 0; k < 2; k++)
    if (json_object_object_get_ex (config, keys[k], &v) && json_object_is_type (v, json_type_array))
      for (size_t i = 0; i < json_object_array_length (v); i++)
        json_object_array_add (words, json_object_get (json_object_array_get_idx (v, i)));
  return words;
}

/* The health status the shim last wrote ("starting", "healthy",
 * "unhealthy") into buf, or "" when the container has no healthcheck. */
static void
health_status (sk_engine *e, const sk_ctr *c, sk_json *config, char *buf, size_t size)
{
  sk_json *v = NULL;
  buf[0] = '\0';
  if (!json_object_object_get_ex (config, "Healthcheck", &v) || v == NULL)
    return;
  _cleanup_json_ sk_json *h = sk_engine_health (e, c->id);
  if (h && json_object_object_get_ex (h, "Status", &v) && v)
    snprintf (buf, size, "%s", json_object_get_string (v));
}

/* "Up 2 minutes (healthy)", "Exited (0) 3 seconds ago", "Restarting (1) 2
 * seconds ago", "Created". */
static void
status_text (const sk_ctr *c, const char *health, time_t now, char *buf, size_t size)
{
  char since[64];
  if (strcmp (c->state, "running") == 0 || strcmp (c->state, "paused") == 0) {
    sk_cli_human_since ((time_t) (c->started_at / 1000000000), now, since, sizeof since);
    since[strlen (since) - 4] = '\0'; /* " ago" */
    if (strcmp (c->state, "paused") == 0)
      snprintf (buf, size, "Up %s (Paused)", since);
    else if (*health)
      snprintf (buf, size, "Up %s (%s%s)", since, strcmp (health, "starting") == 0 ? "health: " : "",
                health);
    else
      snprintf (buf, size, "Up %s", since);
  } else if (strcmp (c->state, "restarting") == 0) {
    sk_cli_human_since ((time_t) (c->finished_at / 1000000000), now, since, sizeof since);
    snprintf (buf, size, "Restarting (%d) %s", c->exit_code, since);
  } else if (strcmp (c->state, "exited") == 0) {
    sk_cli_human_since ((time_t) (c->finished_at / 1000000000), now, since, sizeof since);
    snprintf (buf, size, "Exited (%d) %s", c->exit_code, since);
  } else if (strcmp (c->state, "created") == 0) {
    snprintf (buf, size, "Created");
  } else if (strcmp (c->state, "removing") == 0) {
    snprintf (buf, size, "Removal In Progress");
  } else {
    snprintf (buf, size, "%s", c->state);
  }
}

/* NetworkSettings.Ports of a running container: each published port with
 * the host ports it was given at start, each exposed one unbound (null),
 * as docker shows them. */
static sk_json *
ports_json (sk_engine *e, const sk_ctr *c, sk_json *config, sk_json *hc)
{
  sk_json *ports = json_object_new_object (), *v = NULL;
  bool running = strcmp (c->state, "running") == 0 || strcmp (c->state, "paused") == 0;
  if (!running)
    return ports;
  if (json_object_object_get_ex (config, "ExposedPorts", &v) &&
      json_object_is_type (v, json_type_object)) {
    json_object_object_foreach (v, port, val)
    {
      (void) val;
      json_object_object_add (ports, port, NULL);
    }
  }
  if (hc == NULL)
    json_object_object_get_ex (config, "HostConfig", &hc);
  sk_json *all = NULL;
  bool publish_all = hc && json_object_object_get_ex (hc, "PublishAllPorts", &all) && all &&
                     json_object_get_boolean (all);
  if (!publish_all &&
      (hc == NULL || !json_object_object_get_ex (hc, "PortBindings", &v) || v == NULL ||
       json_object_object_length (v) == 0))
    return ports;
  sk_port *list = NULL;
  size_t n = 0;
  sk_err *ignored = NULL;
  if (sk_engine_container_ports (e, c->id, &list, &n, &ignored) < 0)
    sk_err_free (&ignored);
  for (size_t i = 0; i < n; i++) {
    char key[32], port[16];
    snprintf (key, sizeof key, "%u/%s", list[i].ctr_port, list[i].proto);
    snprintf (port, sizeof port, "%u", list[i].host_port);
    sk_json *bound = NULL;
    if (!json_object_object_get_ex (ports, key, &bound) || bound == NULL) {
      bound = json_object_new_array ();
      json_object_object_add (ports, key, bound);
    }
    sk_json *b = json_object_new_object ();
    json_object_object_add (b, "HostIp",
                            json_object_new_string (*list[i].host_ip ? list[i].host_ip : "0.0.0.0"));
    json_object_object_add (b, "HostPort", json_object_new_string (port));
    json_object_array_add (bound, b);
  }
  free (list);
  return ports;
}

typedef struct port_entry {
  long port;
  char proto[16];
  sk_json *bindings; /* NULL: exposed, not published */
} port_entry;

static int
by_port_entry (const void *a, const void *b)
{
  const port_entry *x = a, *y = b;
  int p = strcmp (x->proto, y->proto);
  return p ? p : (x->port > y->port) - (x->port < y->port);
}

/* The PORTS column from NetworkSettings.Ports: "0.0.0.0:8080->80/tcp" for
 * a published port, "80/tcp" (or "80-82/tcp" for a run of them) for one
 * only exposed. */
static char *
ports_text (sk_json *ports)
{
  size_t n = (size_t) json_object_object_length (ports), k = 0;
  _cleanup_free_ port_entry *list = calloc (n + 1, sizeof *list);
  if (list == NULL)
    return NULL;
  json_object_object_foreach (ports, key, val)
  {
    port_entry *e = &list[k++];
    e->port = strtol (key, NULL, 10);
    const char *slash = strchr (key, '/');
    snprintf (e->proto, sizeof e->proto, "%s", slash ? slash + 1 : "tcp");
    e->bindings = val && json_object_is_type (val, json_type_array) && json_object_array_length (val)
                      ? val
                      : NULL;
  }
  qsort (list, k, sizeof *list, by_port_entry);
  sk_strbuf out = {0};
  for (size_t i = 0; i < k; i++) {
    port_entry *e = &list[i];
    if (e->bindings) {
      for (size_t j = 0; j < json_object_array_length (e->bindings); j++) {
        sk_json *b = json_object_array_get_idx (e->bindings, j), *ip = NULL, *hp = NULL;
        json_object_object_get_ex (b, "HostIp", &ip);
        json_object_object_get_ex (b, "HostPort", &hp);
        const char *a = ip && *json_object_get_string (ip) ? json_object_get_string (ip) : "0.0.0.0";
        sk_strbuf_printf (&out, strchr (a, ':') ? "%s[%s]:%s->%ld/%s" : "%s%s:%s->%ld/%s",
                          out.len ? ", " : "", a, hp ? json_object_get_string (hp) : "", e->port,
                          e->proto);
      }
      continue;
    }
    size_t last = i;
    while (last + 1 < k && !list[last + 1].bindings &&
           strcmp (list[last + 1].proto, e->proto) == 0 && list[last + 1].port == list[last].port + 1)
      last++;
    if (last > i)
      sk_strbuf_printf (&out, "%s%ld-%ld/%s", out.len ? ", " : "", e->port, list[last].port, e->proto);
    else
      sk_strbuf_printf (&out, "%s%ld/%s", out.len ? ", " : "", e->port, e->proto);
    i = last;
  }
  return out.buf ? out.buf : strdup ("");
}

static sk_json *
ps_row (sk_engine *e, const sk_ctr *c, bool no_trunc, time_t now)
{
  char status[128], since[64], created[48], id[13];
  /* docker: Go-quoted, and cut to 20 characters unless --no-trunc */
  _cleanup_free_ char *cut = strdup (c->command);
  if (cut && !no_trunc) {
    size_t chars = 0, i = 0, at = 0;
    for (; cut[i]; i++)
      if (((unsigned char) cut[i] & 0xc0) != 0x80 && ++chars == 20)
        at = i;
    if (chars > 20 && at + sizeof "…" <= i + 1)
      memcpy (cut + at, "…", sizeof "…");
  }
  _cleanup_free_ char *quoted = sk_rv_quote (cut ? cut : "");
  /* the config parsed only when it can have a health or ports to show: ps
   * lists every container */
  bool live = strcmp (c->state, "running") == 0 || strcmp (c->state, "paused") == 0;
  _cleanup_json_ sk_json *config =
      live && (strstr (c->config, "\"Healthcheck\"") || strstr (c->config, "\"ExposedPorts\""))
          ? parse_config (c)
          : NULL;
  char health[32] = "";
  if (config && strcmp (c->state, "running") == 0)
    health_status (e, c, config, health, sizeof health);
  status_text (c, health, now, status, sizeof status);
  sk_cli_human_since ((time_t) (c->created / 1000000000), now, since, sizeof since);
  time_t cs = (time_t) (c->created / 1000000000);
  struct tm tm;
  localtime_r (&cs, &tm);
  strftime (created, sizeof created, "%Y-%m-%d %H:%M:%S %z %Z", &tm);
  snprintf (id, sizeof id, "%.12s", c->id);
  sk_json *row = json_object_new_object ();
  json_object_object_add (row, "ID", json_object_new_string (no_trunc ? c->id : id));
  json_object_object_add (row, "Image", json_object_new_string (*c->image_name ? c->image_name : c->image));
  json_object_object_add (row, "Command", json_object_new_string (quoted ? quoted : "\"\""));
  json_object_object_add (row, "CreatedAt", json_object_new_string (created));
  json_object_object_add (row, "RunningFor", json_object_new_string (since));
  _cleanup_json_ sk_json *ports = ports_json (e, c, config, NULL);
  _cleanup_free_ char *ports_col = json_object_object_length (ports) ? ports_text (ports) : NULL;
  json_object_object_add (row, "Ports", json_object_new_string (ports_col ? ports_col : ""));
  json_object_object_add (row, "State", json_object_new_string (c->state));
  json_object_object_add (row, "Status", json_object_new_string (status));
  json_object_object_add (row, "Names", json_object_new_string (c->name));
  json_object_object_add (row, "Size", json_object_new_string ("0B"));
  return row;
}

static const sk_cli_column ps_columns[] = {
    {"ID", "CONTAINER ID"}, {"Image", "IMAGE"},   {"Command", "COMMAND"},
    {"RunningFor", "CREATED"}, {"CreatedAt", "CREATED AT"}, {"Status", "STATUS"},
    {"Ports", "PORTS"},     {"Names", "NAMES"},   {"State", "STATE"},
    {"Size", "SIZE"},       {NULL, NULL}};

static const char ps_help[] =
    "Usage:  skiff ps [OPTIONS]\n\n"
    "List containers\n\n"
    "Options:\n"
    "  -a, --all             Show all containers (default shows just running)\n"
    "  -f, --filter filter   Filter output based on conditions provided\n"
    "      --format string   Format output using a custom template\n"
    "  -n, --last int        Show n last created containers (includes all "
    "states) (default -1)\n"
    "  -l, --latest          Show the latest created container (includes all "
    "states)\n"
    "      --no-trunc        Don't truncate output\n"
    "  -q, --quiet           Only display container IDs\n"
    "  -s, --size            Display total file sizes\n";

/* ---- ps --filter: docker's keys; values of one key are alternatives (but
 * every label must hold), keys all hold ---- */

typedef struct ps_filters {
  char **keys, **values; /* the pairs as given */
  size_t n;
  int64_t before, since; /* created times of the named containers; 0: none */
  bool has_before, has_since;
} ps_filters;

static void
ps_filters_clear (ps_filters *f)
{
  for (size_t i = 0; i < f->n; i++) {
    free (f->keys[i]);
    free (f->values[i]);
  }
  free (f->keys);
  free (f->values);
}

static bool
valid_status (const char *v)
{
  static const char *const states[] = {"created", "restarting", "running", "removing",
                                       "paused",  "exited",     "dead"};
  for (size_t i = 0; i < SK_N_ELEMENTS (states); i++)
    if (strcmp (v, states[i]) == 0)
      return true;
  return false;
}

/* One --filter KEY=VALUE, checked as docker checks it. */
static int
ps_filter_add (sk_cli *cli, ps_filters *f, const char *arg, bool *all, sk_err **err)
{
  static const char *const keys[] = {"id",     "name",     "label",  "status",
                                     "exited", "ancestor", "before", "since"};
  const char *eq = strchr (arg, '=');
  if (eq == NULL)
    return sk_err_kind (err, EINVAL, "bad format of filter (expected name=value)");
  _cleanup_free_ char *key = strndup (arg, (size_t) (eq - arg));
  const char *v = eq + 1;
  bool known = false;
  for (size_t i = 0; key && i < SK_N_ELEMENTS (keys); i++)
    known |= strcmp (key, keys[i]) == 0;
  if (!known)
    return sk_err_kind (err, EINVAL, "Error response from daemon: invalid filter '%s'",
                        key ? key : "");
  if (strcmp (key, "status") == 0) {
    if (!valid_status (v))
      return sk_err_kind (err, EINVAL, "Error response from daemon: invalid filter 'status=%s'", v);
    *all = true;
  }
  if (strcmp (key, "exited") == 0) {
    char *end;
    errno = 0;
    long code = strtol (v, &end, 10);
    if (*v == '\0' || *end || errno || code < INT32_MIN || code > INT32_MAX)
      return sk_err_kind (err, EINVAL, "Error response from daemon: invalid filter 'exited=%s'", v);
  }
  if (strcmp (key, "name") == 0) {
    regex_t re;
    if (regcomp (&re, v, REG_EXTENDED | REG_NOSUB) != 0)
      return sk_err_kind (err, EINVAL, "Error response from daemon: invalid filter 'name=%s'", v);
    regfree (&re);
  }
  if (strcmp (key, "before") == 0 || strcmp (key, "since") == 0) {
    sk_engine *e = NULL;
    _cleanup_free_ char *id = NULL;
    _cleanup_ctr_ sk_ctr *c = NULL;
    if (sk_cli_engine (cli, &e, err) < 0)
      return -1;
    if (sk_engine_resolve (e, v, &id, err) < 0 || sk_engine_get (e, id, &c, err) < 0)
      return sk_err_wrap (err, "Error response from daemon");
    if (key[0] == 'b') {
      f->before = c->created;
      f->has_before = true;
    } else {
      f->since = c->created;
      f->has_since = true;
    }
  }
  char **k = realloc (f->keys, (f->n + 1) * sizeof *k);
  if (k)
    f->keys = k;
  char **vs = k ? realloc (f->values, (f->n + 1) * sizeof *vs) : NULL;
  if (vs)
    f->values = vs;
  if (!k || !vs || !(f->values[f->n] = strdup (v)))
    return sk_err_set (err, ENOMEM, "filter");
  f->keys[f->n++] = steal_ptr (key);
  return 0;
}

bool
sk_cli_label_matches (sk_json *config, const char *v)
{
  sk_json *labels = NULL, *val = NULL;
  const char *eq = strchr (v, '=');
  _cleanup_free_ char *key = eq ? strndup (v, (size_t) (eq - v)) : strdup (v);
  if (key == NULL || !json_object_object_get_ex (config, "Labels", &labels) || labels == NULL ||
      !json_object_object_get_ex (labels, key, &val))
    return false;
  return eq == NULL || strcmp (json_object_get_string (val), eq + 1) == 0;
}

static bool
ancestor_matches (sk_cli *cli, const sk_ctr *c, sk_json *config, const char *v)
{
  sk_json *img = NULL;
  if (json_object_object_get_ex (config, "Image", &img) && img &&
      strcmp (json_object_get_string (img), v) == 0)
    return true;
  sk_image_service *s = NULL;
  _cleanup_free_ char *id = NULL;
  sk_err *ignored = NULL;
  if (sk_cli_images (cli, &s, &ignored) < 0 || sk_image_lookup (s, v, &id, &ignored) < 0) {
    sk_err_free (&ignored);
    return false;
  }
  return strcmp (id, c->image) == 0;
}

static bool
filter_one (sk_cli *cli, const sk_ctr *c, sk_json *config, const char *key, const char *v)
{
  if (strcmp (key, "id") == 0)
    return strncmp (c->id, v, strlen (v)) == 0;
  if (strcmp (key, "name") == 0) {
    regex_t re;
    if (regcomp (&re, v, REG_EXTENDED | REG_NOSUB) != 0)
      return false;
    char name[300];
    snprintf (name, sizeof name, "/%s", c->name); /* docker matches "/NAME" */
    bool m = regexec (&re, name, 0, NULL, 0) == 0;
    regfree (&re);
    return m;
  }
  if (strcmp (key, "label") == 0)
    return sk_cli_label_matches (config, v);
  if (strcmp (key, "status") == 0)
    return strcmp (c->state, v) == 0;
  if (strcmp (key, "exited") == 0)
    return strcmp (c->state, "exited") == 0 && c->exit_code == atoi (v);
  if (strcmp (key, "ancestor") == 0)
    return ancestor_matches (cli, c, config, v);
  return true; /* before, since: by time */
}

static bool
ps_filters_match (sk_cli *cli, const ps_filters *f, const sk_ctr *c)
{
  if (f->n == 0)
    return true;
  if ((f->has_before && c->created >= f->before) || (f->has_since && c->created <= f->since))
    return false;
  _cleanup_json_ sk_json *config = parse_config (c);
  for (size_t i = 0; i < f->n; i++) {
    if (strcmp (f->keys[i], "label") == 0 && !sk_cli_label_matches (config, f->values[i]))
      return false;
    bool any = false, seen = false;
    for (size_t j = 0; j < f->n && !any; j++) {
      if (strcmp (f->keys[j], f->keys[i]) != 0)
        continue;
      seen = true;
      any = filter_one (cli, c, config, f->keys[j], f->values[j]);
    }
    if (seen && !any)
      return false;
  }
  return true;
}

/* Bytes of the writable layer, and of it with the image's layers. */
static void
ctr_sizes (sk_cli *cli, sk_engine *e, const sk_ctr *c, int64_t *rw, int64_t *root)
{
  int64_t image = 0;
  sk_image_service *s = NULL;
  sk_image_info *info = NULL;
  sk_err *ignored = NULL;
  *rw = sk_engine_rw_size (e, c->id);
  if (sk_cli_images (cli, &s, &ignored) == 0 &&
      sk_images_get (s->db, c->image, &info, &ignored) == 0 && info)
    image = info->size;
  sk_err_free (&ignored);
  sk_image_info_free (info);
  *root = *rw + image;
}

/* "12B (virtual 4.26MB)": the writable layer, and with the image's */
static void
size_text (sk_cli *cli, sk_engine *e, const sk_ctr *c, char *buf, size_t size)
{
  int64_t rw, virt;
  ctr_sizes (cli, e, c, &rw, &virt);
  char a[32], b[32];
  sk_cli_human_size (rw, a, sizeof a);
  sk_cli_human_size (virt, b, sizeof b);
  snprintf (buf, size, "%s (virtual %s)", a, b);
}

int
cmd_ps (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, ps_help))
    return 0;
  enum { O_FORMAT = 1000, O_NO_TRUNC };
  static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                       {"filter", required_argument, NULL, 'f'},
                                       {"format", required_argument, NULL, O_FORMAT},
                                       {"size", no_argument, NULL, 's'},
                                       {"last", required_argument, NULL, 'n'},
                                       {"latest", no_argument, NULL, 'l'},
                                       {"no-trunc", no_argument, NULL, O_NO_TRUNC},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {0}};
  bool all = false, quiet = false, no_trunc = false, sizes = false;
  long last = -1;
  const char *format = NULL;
  int c;
  __attribute__ ((cleanup (ps_filters_clear))) ps_filters flt = {0};
  sk_err *err = NULL;
  optind = 0;
  while ((c = getopt_long (argc, argv, "af:n:lqs", opts, NULL)) != -1) {
    char *end;
    switch (c) {
    case 'a': all = true; break;
    case 's': sizes = true; break;
    case 'f':
      if (strchr (optarg, '=') == NULL)
        return sk_cli_usage ("ps",
                             "invalid argument \"%s\" for \"-f, --filter\" flag: bad format "
                             "of filter (expected name=value)",
                             optarg);
      if (ps_filter_add (cli, &flt, optarg, &all, &err) < 0) {
        fprintf (stderr, "%s\n", err->msg);
        sk_err_free (&err);
        return 1;
      }
      break;
    case 'q': quiet = true; break;
    case 'l': last = 1; break;
    case O_FORMAT: format = optarg; break;
    case O_NO_TRUNC: no_trunc = true; break;
    case 'n':
      last = strtol (optarg, &end, 10);
      if (*end || end == optarg)
        return sk_cli_usage ("ps", "invalid argument \"%s\" for \"-n, --last\" flag", optarg);
      break;
    default: return sk_cli_usage ("ps", "bad option");
    }
  }
  sk_engine *e = NULL;
  sk_ctr **list = NULL;
  if (sk_cli_engine (cli, &e, &err) < 0 || sk_engine_list (e, &list, &err) < 0)
    return sk_cli_fail (err);
  size_t n = 0, cap = 0;
  while (list[cap])
    cap++;
  _cleanup_free_ sk_json **rows = calloc (cap + 1, sizeof *rows);
  time_t now = time (NULL);
  for (size_t i = 0; rows && i < cap && (last < 0 || (long) i < last); i++) {
    bool live = strcmp (list[i]->state, "running") == 0 || strcmp (list[i]->state, "paused") == 0 ||
                strcmp (list[i]->state, "restarting") == 0;
    if ((all || last >= 0 || live) && ps_filters_match (cli, &flt, list[i])) {
      rows[n] = ps_row (e, list[i], no_trunc, now);
      if (sizes) {
        char text[96];
        size_text (cli, e, list[i], text, sizeof text);
        json_object_object_add (rows[n], "Size", json_object_new_string (text));
      }
      n++;
    }
  }
  sk_ctr_list_free (list);
  int ret = 0;
  const char *def = "table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t"
                    "{{.Ports}}\\t{{.Names}}";
  if (quiet)
    format = "{{.ID}}";
  _cleanup_free_ char *with_size = NULL;
  if (sizes && format == NULL && asprintf (&with_size, "%s\\t{{.Size}}", def) > 0)
    format = with_size;
  if (sk_cli_render (format ? format : def, rows, n, ps_columns, stdout, &err) < 0)
    ret = sk_cli_fail (err);
  for (size_t i = 0; i < n; i++)
    json_object_put (rows[i]);
  return ret;
}

/* ---- inspect ---- */

/* State.OOMKill, skiff's own: the shim's report of the last kill (Pid,
 * Command, At, Memory, Count); NULL when there was none. */
static sk_json *
oom_kill_json (sk_engine *e, const sk_ctr *c)
{
  sk_json *report = NULL;
  sk_err *ignored = NULL;
  if (sk_engine_oom_report (e, c->id, &report, &ignored) < 0)
    sk_err_free (&ignored);
  return report;
}

static sk_json *
state_json (sk_engine *e, const sk_ctr *c)
{
  sk_json *oom = oom_kill_json (e, c);
  char t[48];
  sk_json *s = json_object_new_object ();
  /* docker's restarting container is running too (with no pid) */
  bool restarting = strcmp (c->state, "restarting") == 0;
  bool running = strcmp (c->state, "running") == 0 || strcmp (c->state, "paused") == 0 || restarting;
  json_object_object_add (s, "Status", json_object_new_string (c->state));
  json_object_object_add (s, "Running", json_object_new_boolean (running));
  json_object_object_add (s, "Paused", json_object_new_boolean (strcmp (c->state, "paused") == 0));
  json_object_object_add (s, "Restarting", json_object_new_boolean (strcmp (c->state, "restarting") == 0));
  /* as docker: true from the first kill on, the container running or not */
  json_object_object_add (s, "OOMKilled", json_object_new_boolean (c->oom_killed || oom));
  json_object_object_add (s, "Dead", json_object_new_boolean (strcmp (c->state, "dead") == 0));
  json_object_object_add (s, "Pid", json_object_new_int (running && !restarting ? c->pid : 0));
  json_object_object_add (s, "ExitCode", json_object_new_int (c->exit_code));
  json_object_object_add (s, "Error", json_object_new_string (c->error));
  time_nano (c->started_at, t);
  json_object_object_add (s, "StartedAt", json_object_new_string (t));
  time_nano (c->finished_at, t);
  json_object_object_add (s, "FinishedAt", json_object_new_string (t));
  if (oom)
    json_object_object_add (s, "OOMKill", oom);
  _cleanup_json_ sk_json *config = parse_config (c);
  sk_json *health = NULL;
  if (json_object_object_get_ex (config, "Healthcheck", &health) && health &&
      (health = sk_engine_health (e, c->id)))
    json_object_object_add (s, "Health", health);
  return s;
}

/* One network's entry of NetworkSettings.Networks (docker's shape). */
static sk_json *
endpoint_json (const sk_endpoint *ep, const sk_network *n, bool running)
{
  sk_json *o = json_object_new_object ();
  const char *slash4 = strchr (n->subnet, '/'), *slash6 = strchr (n->subnet6, '/');
  sk_json *aliases = NULL;
  sk_err *ignored = NULL;
  if (sk_json_parse (ep->aliases, strlen (ep->aliases), "aliases", &aliases, &ignored) < 0) {
    sk_err_free (&ignored);
    aliases = NULL;
  }
  if (aliases && json_object_array_length (aliases) == 0) {
    json_object_put (aliases);
    aliases = NULL;
  }
  json_object_object_add (o, "IPAMConfig", NULL);
  json_object_object_add (o, "Links", NULL);
  json_object_object_add (o, "Aliases", aliases);
  json_object_object_add (o, "MacAddress", json_object_new_string (running ? ep->mac : ""));
  json_object_object_add (o, "NetworkID", json_object_new_string (n->id));
  json_object_object_add (o, "EndpointID", json_object_new_string (running ? ep->id : ""));
  json_object_object_add (o, "Gateway", json_object_new_string (running && *ep->ip ? n->gateway : ""));
  json_object_object_add (o, "IPAddress", json_object_new_string (running ? ep->ip : ""));
  json_object_object_add (o, "IPPrefixLen",
                          json_object_new_int (running && *ep->ip && slash4 ? atoi (slash4 + 1) : 0));
  json_object_object_add (o, "IPv6Gateway", json_object_new_string (running && *ep->ip6 ? n->gateway6 : ""));
  json_object_object_add (o, "GlobalIPv6Address", json_object_new_string (running ? ep->ip6 : ""));
  json_object_object_add (o, "GlobalIPv6PrefixLen",
                          json_object_new_int (running && *ep->ip6 && slash6 ? atoi (slash6 + 1) : 0));
  json_object_object_add (o, "DriverOpts", NULL);
  return o;
}

/* NetworkSettings in docker's shape: each network the container is on,
 * with its addresses while it runs (docker's; the lease itself is kept
 * until the container is removed), the default bridge's also at the top;
 * Ports as ports_json says. */
static sk_json *
network_settings (sk_engine *e, const sk_ctr *c, sk_json *config, sk_json *hc)
{
  sk_json *ns = json_object_new_object (), *v = NULL;
  bool running = strcmp (c->state, "running") == 0 || strcmp (c->state, "paused") == 0 ||
                 strcmp (c->state, "restarting") == 0;
  _cleanup_free_ char *sandbox = sk_engine_netns_path (e, c->id);
  bool has_ns = running && sandbox && access (sandbox, F_OK) == 0;
  static const char *const top[] = {"EndpointID", "Gateway", "GlobalIPv6Address", "IPAddress",
                                    "IPv6Gateway", "MacAddress"};
  json_object_object_add (ns, "Bridge", json_object_new_string (""));
  json_object_object_add (ns, "SandboxID", json_object_new_string (has_ns ? c->id : ""));
  json_object_object_add (ns, "SandboxKey", json_object_new_string (has_ns ? sandbox : ""));
  json_object_object_add (ns, "Ports", ports_json (e, c, config, hc));
  sk_json *nets = json_object_new_object (), *bridge_ep = NULL;
  sk_endpoint **eps = NULL;
  size_t n = 0;
  sk_err *ignored = NULL;
  if (sk_engine_container_endpoints (e, c->id, &eps, &n, &ignored) < 0)
    sk_err_free (&ignored);
  for (size_t i = 0; i < n; i++) {
    sk_network *net = NULL;
    if (sk_engine_network_find (e, eps[i]->network, &net, &ignored) < 0) {
      sk_err_free (&ignored);
      continue;
    }
    sk_json *ep = endpoint_json (eps[i], net, running);
    if (strcmp (net->name, "bridge") == 0)
      bridge_ep = ep;
    json_object_object_add (nets, net->name, ep);
    sk_network_free (net);
  }
  sk_endpoint_list_free (eps, n);
  for (size_t i = 0; i < SK_N_ELEMENTS (top); i++) {
    sk_json *from = NULL;
    if (bridge_ep)
      json_object_object_get_ex (bridge_ep, top[i], &from);
    json_object_object_add (ns, top[i], json_object_new_string (from ? json_object_get_string (from) : ""));
  }
  sk_json *len = NULL;
  json_object_object_add (ns, "IPPrefixLen",
                          json_object_new_int (bridge_ep && json_object_object_get_ex (bridge_ep, "IPPrefixLen", &len)
                                                   ? json_object_get_int (len)
                                                   : 0));
  json_object_object_add (ns, "GlobalIPv6PrefixLen",
                          json_object_new_int (bridge_ep && json_object_object_get_ex (bridge_ep, "GlobalIPv6PrefixLen", &len)
                                                   ? json_object_get_int (len)
                                                   : 0));
  const char *mode =
      json_object_object_get_ex (hc, "NetworkMode", &v) && v && *json_object_get_string (v)
          ? json_object_get_string (v)
          : "none";
  if (n == 0 && strncmp (mode, "container:", 10) != 0) {
    /* host and none: an entry without addresses, as docker shows them */
    sk_json *ep = json_object_new_object ();
    for (size_t i = 0; i < SK_N_ELEMENTS (top); i++)
      json_object_object_add (ep, top[i], json_object_new_string (""));
    json_object_object_add (nets, mode, ep);
  }
  json_object_object_add (ns, "Networks", nets);
  return ns;
}

/* Mounts: Docker's MountPoint of each bind, volume and tmpfs mount. */
static sk_json *
mounts_json (sk_engine *e, const sk_ctr *c)
{
  sk_json *list = json_object_new_array ();
  sk_mount_point *m = NULL;
  size_t n = 0;
  sk_err *ignored = NULL;
  if (sk_engine_container_mounts (e, c->id, &m, &n, &ignored) < 0)
    sk_err_free (&ignored);
  for (size_t i = 0; i < n; i++) {
    sk_json *o = json_object_new_object ();
    bool volume = strcmp (m[i].type, "volume") == 0;
    json_object_object_add (o, "Type", json_object_new_string (m[i].type));
    if (volume)
      json_object_object_add (o, "Name", json_object_new_string (m[i].name));
    json_object_object_add (o, "Source", json_object_new_string (m[i].source ? m[i].source : ""));
    json_object_object_add (o, "Destination", json_object_new_string (m[i].destination));
    if (volume)
      json_object_object_add (o, "Driver", json_object_new_string ("local"));
    json_object_object_add (o, "Mode", json_object_new_string (m[i].mode));
    json_object_object_add (o, "RW", json_object_new_boolean (m[i].rw));
    json_object_object_add (o, "Propagation", json_object_new_string (m[i].propagation));
    json_object_array_add (list, o);
  }
  sk_mount_points_free (m, n);
  return list;
}

/* Docker's shape: Config and HostConfig apart, the rest around them. */
static sk_json *
inspect_json (sk_engine *e, const sk_ctr *c)
{
  sk_json *config = parse_config (c), *hc = NULL, *o = json_object_new_object ();
  char t[48];
  if (json_object_object_get_ex (config, "HostConfig", &hc))
    hc = json_object_get (hc);
  else
    hc = json_object_new_object ();
  json_object_object_del (config, "HostConfig");
  json_object_object_del (config, "NetworkingConfig");
  _cleanup_json_ sk_json *words = command_words (config);
  size_t n = json_object_array_length (words);
  json_object_object_add (o, "Id", json_object_new_string (c->id));
  time_nano (c->created, t);
  json_object_object_add (o, "Created", json_object_new_string (t));
  json_object_object_add (o, "Path", json_object_new_string (
      n ? json_object_get_string (json_object_array_get_idx (words, 0)) : ""));
  sk_json *args = json_object_new_array ();
  for (size_t i = 1; i < n; i++)
    json_object_array_add (args, json_object_get (json_object_array_get_idx (words, i)));
  json_object_object_add (o, "Args", args);
  json_object_object_add (o, "State", state_json (e, c));
  json_object_object_add (o, "Image", json_object_new_string (c->image));
  /* the log's current file, by its driver; none has none */
  sk_json *lc = NULL, *type = NULL;
  const char *driver = json_object_object_get_ex (hc, "LogConfig", &lc) &&
                               json_object_object_get_ex (lc, "Type", &type)
                           ? json_object_get_string (type)
                           : "";
  _cleanup_free_ char *log = strcmp (driver, "none") == 0    ? NULL
                             : strcmp (driver, "local") == 0 ? sk_engine_local_log_path (e, c->id)
                                                             : sk_engine_log_path (e, c->id);
  json_object_object_add (o, "LogPath", json_object_new_string (log ? log : ""));
  char name[300];
  snprintf (name, sizeof name, "/%s", c->name);
  json_object_object_add (o, "Name", json_object_new_string (name));
  json_object_object_add (o, "RestartCount", json_object_new_int (c->restart_count));
  json_object_object_add (o, "Driver", json_object_new_string (sk_engine_driver (e)));
  json_object_object_add (o, "HostConfig", hc);
  json_object_object_add (o, "Mounts", mounts_json (e, c));
  json_object_object_add (o, "NetworkSettings", network_settings (e, c, config, hc));
  json_object_object_add (o, "Config", config);
  return o;
}

static const char inspect_help[] =
    "Usage:  skiff inspect [OPTIONS] NAME|ID [NAME|ID...]\n\n"
    "Return low-level information on containers or images\n\n"
    "Options:\n"
    "  -f, --format string   Format the output using the given Go "
    "template\n"
    "  -s, --size            Display total file sizes if the type is "
    "container\n"
    "      --type string     Return JSON for specified type\n";

/* The container's document, or with images allowed, the image's. */
static int
inspect_one (sk_cli *cli, const char *what, bool images, bool sizes, sk_json **doc, sk_err **err)
{
  sk_engine *e = NULL;
  _cleanup_free_ char *id = NULL;
  _cleanup_ctr_ sk_ctr *c = NULL;
  if (sk_cli_engine (cli, &e, err) < 0)
    return -1;
  if (sk_engine_resolve (e, what, &id, err) == 0 && sk_engine_get (e, id, &c, err) == 0) {
    *doc = inspect_json (e, c);
    if (sizes) { /* docker's inspect --size */
      int64_t rw, root;
      ctr_sizes (cli, e, c, &rw, &root);
      json_object_object_add (*doc, "SizeRw", json_object_new_int64 (rw));
      json_object_object_add (*doc, "SizeRootFs", json_object_new_int64 (root));
    }
    return 0;
  }
  if (!images)
    return -1;
  sk_err_free (err);
  return sk_cli_image_inspect_json (cli, what, doc, err) < 0
             ? sk_err_kind (err, ENOENT, "No such object: %s", what)
             : 0;
}

static int
inspect_cmd (sk_cli *cli, int argc, char **argv, bool images)
{
  if (sk_cli_wants_help (argc, argv, inspect_help))
    return 0;
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                       {"type", required_argument, NULL, 't'},
                                       {"size", no_argument, NULL, 's'},
                                       {0}};
  const char *format = NULL;
  bool sizes = false;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "f:s", opts, NULL)) != -1) {
    if (c == 's')
      sizes = true;
    if (c == 'f')
      format = optarg;
    else if (c == 't')
      images = strcmp (optarg, "container") != 0;
    else if (c != 's')
      return sk_cli_usage ("inspect", "bad option");
  }
  if (optind >= argc)
    return sk_cli_usage ("inspect", "\"inspect\" requires at least 1 argument.");
  _cleanup_json_ sk_json *all = json_object_new_array ();
  int ret = 0;
  sk_err *err = NULL;
  for (int i = optind; i < argc; i++) {
    sk_json *doc = NULL;
    if (inspect_one (cli, argv[i], images, sizes, &doc, &err) < 0) {
      fprintf (stderr, "Error: %s\n", err->msg);
      sk_err_free (&err);
      ret = 1;
      continue;
    }
    json_object_array_add (all, doc);
  }
  int printed = sk_cli_print_docs (format, all);
  return printed ? printed : ret;
}

int
cmd_inspect (sk_cli *cli, int argc, char **argv)
{
  return inspect_cmd (cli, argc, argv, true);
}

int
cmd_container_inspect (sk_cli *cli, int argc, char **argv)
{
  return inspect_cmd (cli, argc, argv, false);
}

/* ---- port: NetworkSettings.Ports as inspect shows it ---- */

static void
print_binding (const char *prefix, sk_json *b)
{
  sk_json *ip = NULL, *port = NULL;
  json_object_object_get_ex (b, "HostIp", &ip);
  json_object_object_get_ex (b, "HostPort", &port);
  const char *a = ip && *json_object_get_string (ip) ? json_object_get_string (ip) : "0.0.0.0";
  printf (strchr (a, ':') ? "%s[%s]:%s\n" : "%s%s:%s\n", prefix, a,
          port ? json_object_get_string (port) : "");
}

static int
by_port (const void *a, const void *b)
{
  const char *x = *(const char *const *) a, *y = *(const char *const *) b;
  long px = strtol (x, NULL, 10), py = strtol (y, NULL, 10);
  return px != py ? (px < py ? -1 : 1) : strcmp (x, y);
}

int
cmd_port (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv,
                         "Usage:  skiff port CONTAINER [PRIVATE_PORT[/PROTO]]\n\n"
                         "List port mappings or a specific mapping for the container\n"))
    return 0;
  if (argc < 2 || argc > 3)
    return sk_cli_usage ("port", "\"port\" requires at least 1 and at most 2 arguments.");
  _cleanup_json_ sk_json *doc = NULL;
  sk_err *err = NULL;
  if (inspect_one (cli, argv[1], false, false, &doc, &err) < 0) {
    fprintf (stderr, "Error response from daemon: %s\n", err->msg);
    sk_err_free (&err);
    return 1;
  }
  sk_json *ns = NULL, *ports = NULL, *list = NULL;
  if (!json_object_object_get_ex (doc, "NetworkSettings", &ns) ||
      !json_object_object_get_ex (ns, "Ports", &ports) ||
      !json_object_is_type (ports, json_type_object))
    ports = NULL;
  if (argc == 3) {
    const char *slash = strchr (argv[2], '/');
    _cleanup_free_ char *num =
        slash ? strndup (argv[2], (size_t) (slash - argv[2])) : strdup (argv[2]);
    char *end = NULL;
    unsigned long n =
        num && *num && strspn (num, "0123456789") == strlen (num) ? strtoul (num, &end, 10) : 70000;
    if (n > 65535) {
      fprintf (stderr, "Error: invalid port (%s): strconv.ParseUint: parsing \"%s\": %s\n",
               num ? num : "", num ? num : "",
               num && *num && strspn (num, "0123456789") == strlen (num) ? "value out of range"
                                                                         : "invalid syntax");
      return 1;
    }
    char key[64];
    snprintf (key, sizeof key, "%s/%s", num, slash && slash[1] ? slash + 1 : "tcp");
    if (ports && json_object_object_get_ex (ports, key, &list) && list &&
        json_object_array_length (list) > 0) {
      for (size_t i = 0; i < json_object_array_length (list); i++)
        print_binding ("", json_object_array_get_idx (list, i));
      return 0;
    }
    fprintf (stderr, "Error: No public port '%s' published for %s\n", key, argv[1]);
    return 1;
  }
  size_t n = ports ? (size_t) json_object_object_length (ports) : 0, k = 0;
  _cleanup_free_ const char **keys = calloc (n + 1, sizeof *keys);
  if (ports && keys) {
    json_object_object_foreach (ports, key, val)
    {
      (void) val;
      keys[k++] = key;
    }
  }
  qsort (keys, k, sizeof *keys, by_port);
  for (size_t i = 0; i < k; i++) {
    char prefix[80];
    snprintf (prefix, sizeof prefix, "%s -> ", keys[i]);
    json_object_object_get_ex (ports, keys[i], &list);
    for (size_t j = 0; list && j < json_object_array_length (list); j++)
      print_binding (prefix, json_object_array_get_idx (list, j));
  }
  return 0;
}
