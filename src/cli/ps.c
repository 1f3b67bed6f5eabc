/* skiff: `ps` and `inspect` of containers: docker's columns, --format and
 * JSON shape. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
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

static sk_json *
ps_row (sk_engine *e, const sk_ctr *c, bool no_trunc, time_t now)
{
  _cleanup_json_ sk_json *config = parse_config (c);
  _cleanup_json_ sk_json *words = command_words (config);
  sk_strbuf cmd = {0};
  for (size_t i = 0; i < json_object_array_length (words); i++)
    sk_strbuf_printf (&cmd, "%s%s", i ? " " : "", json_object_get_string (json_object_array_get_idx (words, i)));
  char quoted[64], status[128], since[64], created[48], id[13];
  if (!no_trunc && cmd.len > 19)
    snprintf (quoted, sizeof quoted, "\"%.19s…\"", cmd.buf);
  else
    snprintf (quoted, sizeof quoted, "\"%s\"", cmd.buf ? cmd.buf : "");
  char health[32] = "";
  if (strcmp (c->state, "running") == 0)
    health_status (e, c, config, health, sizeof health);
  status_text (c, health, now, status, sizeof status);
  sk_cli_human_since ((time_t) (c->created / 1000000000), now, since, sizeof since);
  time_t cs = (time_t) (c->created / 1000000000);
  struct tm tm;
  localtime_r (&cs, &tm);
  strftime (created, sizeof created, "%Y-%m-%d %H:%M:%S %z %Z", &tm);
  snprintf (id, sizeof id, "%.12s", c->id);
  sk_json *v = NULL, *row = json_object_new_object ();
  json_object_object_add (row, "ID", json_object_new_string (no_trunc ? c->id : id));
  json_object_object_get_ex (config, "Image", &v);
  json_object_object_add (row, "Image", json_object_new_string (v ? json_object_get_string (v) : c->image));
  json_object_object_add (row, "Command", json_object_new_string (no_trunc ? (cmd.buf ? cmd.buf : "") : quoted));
  json_object_object_add (row, "CreatedAt", json_object_new_string (created));
  json_object_object_add (row, "RunningFor", json_object_new_string (since));
  json_object_object_add (row, "Ports", json_object_new_string (""));
  json_object_object_add (row, "State", json_object_new_string (c->state));
  json_object_object_add (row, "Status", json_object_new_string (status));
  json_object_object_add (row, "Names", json_object_new_string (c->name));
  json_object_object_add (row, "Size", json_object_new_string ("0B"));
  sk_strbuf_release (&cmd);
  return row;
}

static const sk_cli_column ps_columns[] = {
    {"ID", "CONTAINER ID"}, {"Image", "IMAGE"},   {"Command", "COMMAND"},
    {"RunningFor", "CREATED"}, {"CreatedAt", "CREATED AT"}, {"Status", "STATUS"},
    {"Ports", "PORTS"},     {"Names", "NAMES"},   {"State", "STATE"},
    {"Size", "SIZE"},       {NULL, NULL}};

static const char ps_help[] = "Usage:  skiff ps [OPTIONS]\n\n"
                              "List containers\n\n"
                              "Options:\n"
                              "  -a, --all             Show all containers (default shows just running)\n"
                              "      --format string   Format output using a custom template\n"
                              "  -n, --last int        Show n last created containers (includes all "
                              "states) (default -1)\n"
                              "  -l, --latest          Show the latest created container (includes all "
                              "states)\n"
                              "      --no-trunc        Don't truncate output\n"
                              "  -q, --quiet           Only display container IDs\n";

int
cmd_ps (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, ps_help))
    return 0;
  enum { O_FORMAT = 1000, O_NO_TRUNC };
  static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                       {"format", required_argument, NULL, O_FORMAT},
                                       {"last", required_argument, NULL, 'n'},
                                       {"latest", no_argument, NULL, 'l'},
                                       {"no-trunc", no_argument, NULL, O_NO_TRUNC},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {0}};
  bool all = false, quiet = false, no_trunc = false;
  long last = -1;
  const char *format = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "an:lq", opts, NULL)) != -1) {
    char *end;
    switch (c) {
    case 'a': all = true; break;
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
  sk_err *err = NULL;
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
    if (all || last >= 0 || live)
      rows[n++] = ps_row (e, list[i], no_trunc, now);
  }
  sk_ctr_list_free (list);
  int ret = 0;
  const char *def = "table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t"
                    "{{.Ports}}\\t{{.Names}}";
  if (quiet)
    format = "{{.ID}}";
  if (sk_cli_render (format ? format : def, rows, n, ps_columns, stdout, &err) < 0)
    ret = sk_cli_fail (err);
  for (size_t i = 0; i < n; i++)
    json_object_put (rows[i]);
  return ret;
}

/* ---- inspect ---- */

static sk_json *
state_json (sk_engine *e, const sk_ctr *c)
{
  char t[48];
  sk_json *s = json_object_new_object ();
  /* docker's restarting container is running too (with no pid) */
  bool restarting = strcmp (c->state, "restarting") == 0;
  bool running = strcmp (c->state, "running") == 0 || strcmp (c->state, "paused") == 0 || restarting;
  json_object_object_add (s, "Status", json_object_new_string (c->state));
  json_object_object_add (s, "Running", json_object_new_boolean (running));
  json_object_object_add (s, "Paused", json_object_new_boolean (strcmp (c->state, "paused") == 0));
  json_object_object_add (s, "Restarting", json_object_new_boolean (strcmp (c->state, "restarting") == 0));
  json_object_object_add (s, "OOMKilled", json_object_new_boolean (c->oom_killed));
  json_object_object_add (s, "Dead", json_object_new_boolean (strcmp (c->state, "dead") == 0));
  json_object_object_add (s, "Pid", json_object_new_int (running && !restarting ? c->pid : 0));
  json_object_object_add (s, "ExitCode", json_object_new_int (c->exit_code));
  json_object_object_add (s, "Error", json_object_new_string (c->error));
  time_nano (c->started_at, t);
  json_object_object_add (s, "StartedAt", json_object_new_string (t));
  time_nano (c->finished_at, t);
  json_object_object_add (s, "FinishedAt", json_object_new_string (t));
  _cleanup_json_ sk_json *config = parse_config (c);
  sk_json *health = NULL;
  if (json_object_object_get_ex (config, "Healthcheck", &health) && health &&
      (health = sk_engine_health (e, c->id)))
    json_object_object_add (s, "Health", health);
  return s;
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
  _cleanup_free_ char *log = sk_engine_log_path (e, c->id);
  json_object_object_add (o, "LogPath", json_object_new_string (log ? log : ""));
  char name[300];
  snprintf (name, sizeof name, "/%s", c->name);
  json_object_object_add (o, "Name", json_object_new_string (name));
  json_object_object_add (o, "RestartCount", json_object_new_int (c->restart_count));
  json_object_object_add (o, "Driver", json_object_new_string (sk_engine_driver (e)));
  json_object_object_add (o, "HostConfig", hc);
  json_object_object_add (o, "Config", config);
  return o;
}

static const char inspect_help[] = "Usage:  skiff inspect [OPTIONS] NAME|ID [NAME|ID...]\n\n"
                                   "Return low-level information on containers or images\n\n"
                                   "Options:\n"
                                   "  -f, --format string   Format the output using the given Go "
                                   "template\n"
                                   "      --type string     Return JSON for specified type\n";

/* The container's document, or with images allowed, the image's. */
static int
inspect_one (sk_cli *cli, const char *what, bool images, sk_json **doc, sk_err **err)
{
  sk_engine *e = NULL;
  _cleanup_free_ char *id = NULL;
  _cleanup_ctr_ sk_ctr *c = NULL;
  if (sk_cli_engine (cli, &e, err) < 0)
    return -1;
  if (sk_engine_resolve (e, what, &id, err) == 0 && sk_engine_get (e, id, &c, err) == 0) {
    *doc = inspect_json (e, c);
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
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "f:s", opts, NULL)) != -1) {
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
    if (inspect_one (cli, argv[i], images, &doc, &err) < 0) {
      fprintf (stderr, "Error: %s\n", err->msg);
      sk_err_free (&err);
      ret = 1;
      continue;
    }
    json_object_array_add (all, doc);
  }
  size_t n = json_object_array_length (all);
  if (format) {
    _cleanup_free_ sk_json **rows = calloc (n + 1, sizeof *rows);
    for (size_t i = 0; rows && i < n; i++)
      rows[i] = json_object_array_get_idx (all, i);
    if (sk_cli_render (format, rows, n, NULL, stdout, &err) < 0)
      return sk_cli_fail (err);
  } else {
    _cleanup_free_ char *text = sk_json_dump (all, true);
    printf ("%s\n", text);
  }
  return ret;
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
