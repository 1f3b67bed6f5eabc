/* skiff: `events`, docker's: the event log (DATA_ROOT/events.log, see
 * src/engine/events.h) read between --since and --until, filtered, printed
 * as docker prints events or through --format; followed as it grows while
 * --until is not given or still ahead. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "util/cleanup.h"
#include "util/proc.h"
#include "util/strbuf.h"

#define FILTER_VALUES_MAX 64
#define POLL_MS 50

/* the filter keys docker's events take (label is not kept in the log) */
enum { F_CONTAINER, F_EVENT, F_TYPE, F_IMAGE, F_KEYS };
static const char *const filter_keys[F_KEYS] = {"container", "event", "type", "image"};

typedef struct events_opts {
  bool since_set, until_set;
  int64_t since, until; /* nanoseconds */
  const char *format;   /* NULL: docker's line */
  bool raw_json;        /* --format '{{json .}}': the event as it is */
  const char *values[F_KEYS][FILTER_VALUES_MAX];
  size_t n[F_KEYS];
} events_opts;

static const char events_help[] =
    "Usage:  skiff events [OPTIONS]\n\n"
    "Get real time events from the engine\n\n"
    "Options:\n"
    "  -f, --filter filter   Filter output based on conditions provided\n"
    "                        (container=ID|NAME, event=ACTION, type=container, image=NAME)\n"
    "      --format string   Format output using a custom template:\n"
    "                        'json':             Print in JSON format\n"
    "                        'TEMPLATE':         Print output using the given Go template\n"
    "      --since string    Show all events created since timestamp\n"
    "      --until string    Stream events until this timestamp\n";

static int
add_filter (events_opts *o, const char *f, sk_err **err)
{
  const char *eq = strchr (f, '=');
  if (eq == NULL || eq == f)
    return sk_err_set (err, 0, "bad format of filter (expected name=value)");
  size_t klen = (size_t) (eq - f);
  for (int k = 0; k < F_KEYS; k++) {
    if (strlen (filter_keys[k]) != klen || strncmp (f, filter_keys[k], klen) != 0)
      continue;
    if (o->n[k] == FILTER_VALUES_MAX)
      return sk_err_set (err, 0, "too many '%s' filters", filter_keys[k]);
    o->values[k][o->n[k]++] = eq + 1;
    return 0;
  }
  return sk_err_set (err, 0, "invalid filter '%.*s'", (int) klen, f);
}

static int
set_time (const char *which, const char *v, int64_t *ns, bool *set, sk_err **err)
{
  if (sk_cli_time_flag (which, v, ns, err) < 0)
    return -1;
  *set = true;
  return 0;
}

/* {{json .}} alone, or docker's "json": the event's own document */
static bool
is_raw_json (const char *format)
{
  if (strcmp (format, "json") == 0)
    return true;
  char a[8], b[8], tail;
  return sscanf (format, " {{ %7s %7[^} ] }}%c", a, b, &tail) == 2 && strcmp (a, "json") == 0 &&
         strcmp (b, ".") == 0;
}

/* Parses the flags into o: 0, 1 for --help, 125 for a misused command, or
 * -1 with *err. */
static int
parse_flags (int argc, char **argv, events_opts *o, sk_err **err)
{
  static const struct option opts[] = {{"filter", required_argument, NULL, 'f'},
                                       {"format", required_argument, NULL, 'F'},
                                       {"since", required_argument, NULL, 's'},
                                       {"until", required_argument, NULL, 'u'},
                                       {0}};
  if (sk_cli_wants_help (argc, argv, events_help))
    return 1;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "f:", opts, NULL)) != -1) {
    switch (c) {
    case 'f':
      if (add_filter (o, optarg, err) < 0)
        return -1;
      break;
    case 'F': o->format = *optarg ? optarg : NULL; break;
    case 's':
      if (set_time ("since", optarg, &o->since, &o->since_set, err) < 0)
        return -1;
      break;
    case 'u':
      if (set_time ("until", optarg, &o->until, &o->until_set, err) < 0)
        return -1;
      break;
    default: return sk_cli_usage ("events", "bad option");
    }
  }
  if (optind < argc)
    return sk_cli_usage ("events", "\"events\" accepts no arguments.");
  if (o->since_set && o->until_set && o->until < o->since)
    return sk_err_set (err, 0,
                       "`since` time (%" PRId64 ".%09" PRId64 ") cannot be after `until` time (%" PRId64
                       ".%09" PRId64 ")",
                       o->since / 1000000000, o->since % 1000000000, o->until / 1000000000,
                       o->until % 1000000000);
  o->raw_json = o->format && is_raw_json (o->format);
  return 0;
}

/* ---- which events ---- */

static const char *
get_string (sk_json *obj, const char *key)
{
  sk_json *v = NULL;
  return obj && json_object_object_get_ex (obj, key, &v) && v ? json_object_get_string (v) : NULL;
}

static sk_json *
attributes (sk_json *doc)
{
  sk_json *actor = NULL, *attrs = NULL;
  json_object_object_get_ex (doc, "Actor", &actor);
  if (actor)
    json_object_object_get_ex (actor, "Attributes", &attrs);
  return attrs;
}

/* docker's fuzzy match: the value itself or a prefix of it */
static bool
match_prefix (const events_opts *o, int key, const char *s)
{
  for (size_t i = 0; s && i < o->n[key]; i++)
    if (strncmp (s, o->values[key][i], strlen (o->values[key][i])) == 0)
      return true;
  return false;
}

static bool
match_exact (const events_opts *o, int key, const char *s)
{
  for (size_t i = 0; s && i < o->n[key]; i++)
    if (strcmp (s, o->values[key][i]) == 0)
      return true;
  return false;
}

/* an image name without its tag or digest ("busybox:1" -> "busybox") */
static bool
match_image (const events_opts *o, const char *image)
{
  if (image == NULL)
    return false;
  char bare[512];
  snprintf (bare, sizeof bare, "%s", image);
  bare[strcspn (bare, "@")] = '\0';
  char *slash = strrchr (bare, '/'), *colon = strrchr (bare, ':');
  if (colon && (slash == NULL || colon > slash))
    *colon = '\0';
  return match_exact (o, F_IMAGE, image) || match_exact (o, F_IMAGE, bare);
}

/* Different keys must all match; values of one key are alternatives. */
static bool
wanted (const events_opts *o, sk_json *doc)
{
  sk_json *attrs = attributes (doc);
  const char *action = get_string (doc, "Action");
  sk_json *actor = NULL;
  json_object_object_get_ex (doc, "Actor", &actor);
  if (o->n[F_CONTAINER] && !match_prefix (o, F_CONTAINER, get_string (actor, "ID")) &&
      !match_prefix (o, F_CONTAINER, get_string (attrs, "name")))
    return false;
  if (o->n[F_EVENT] && action) {
    /* "exec_start: sh -c ..." is the event exec_start */
    char name[64];
    snprintf (name, sizeof name, "%.*s", (int) strcspn (action, ":"), action);
    if (!match_exact (o, F_EVENT, name) && !match_exact (o, F_EVENT, action))
      return false;
  }
  if (o->n[F_TYPE] && !match_exact (o, F_TYPE, get_string (doc, "Type")))
    return false;
  if (o->n[F_IMAGE] && !match_image (o, get_string (attrs, "image")))
    return false;
  return true;
}

/* ---- printing ---- */

/* docker's line: local time with nanoseconds and zone, type, action, id,
 * then the attributes (sorted when written) */
static void
print_plain (sk_json *doc)
{
  sk_json *v = NULL;
  int64_t ns = json_object_object_get_ex (doc, "timeNano", &v) ? json_object_get_int64 (v) : 0;
  time_t secs = (time_t) (ns / 1000000000);
  struct tm tm;
  localtime_r (&secs, &tm);
  char when[64], zone[40] = "Z";
  strftime (when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  if (tm.tm_gmtoff != 0) {
    long off = tm.tm_gmtoff < 0 ? -tm.tm_gmtoff : tm.tm_gmtoff;
    snprintf (zone, sizeof zone, "%c%02ld:%02ld", tm.tm_gmtoff < 0 ? '-' : '+', off / 3600,
              off / 60 % 60);
  }
  sk_json *actor = NULL;
  json_object_object_get_ex (doc, "Actor", &actor);
  printf ("%s.%09" PRId64 "%s %s %s %s", when, ns % 1000000000, zone, get_string (doc, "Type"),
          get_string (doc, "Action"), get_string (actor, "ID"));
  sk_json *attrs = attributes (doc);
  if (attrs && json_object_object_length (attrs) > 0) {
    const char *sep = " (";
    json_object_object_foreach (attrs, k, val)
    {
      printf ("%s%s=%s", sep, k, json_object_get_string (val));
      sep = ", ";
    }
    putchar (')');
  }
  putchar ('\n');
}

/* The event with the names of docker's Go fields, which templates use. */
static sk_json *
template_row (sk_json *doc)
{
  static const char *const names[][2] = {{"status", "Status"}, {"id", "ID"},
                                         {"from", "From"},     {"scope", "Scope"},
                                         {"time", "Time"},     {"timeNano", "TimeNano"}};
  sk_json *row = json_object_new_object ();
  json_object_object_foreach (doc, k, v)
  {
    const char *name = k;
    for (size_t i = 0; i < SK_N_ELEMENTS (names); i++)
      if (strcmp (k, names[i][0]) == 0)
        name = names[i][1];
    if (row)
      json_object_object_add (row, name, json_object_get (v));
  }
  return row;
}

static int
print_event (const events_opts *o, sk_json *doc, sk_err **err)
{
  int ret = 0;
  if (o->raw_json) {
    puts (json_object_to_json_string_ext (doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
  } else if (o->format) {
    _cleanup_json_ sk_json *row = template_row (doc);
    ret = row ? sk_cli_render (o->format, &row, 1, NULL, stdout, err)
              : sk_err_set (err, ENOMEM, "events");
  } else {
    print_plain (doc);
  }
  fflush (stdout);
  return ret;
}

/* ---- reading and following the log ---- */

typedef struct events_reader {
  FILE *f;
  char *line;
  size_t alloc;
} events_reader;

static int
show_line (const events_opts *o, const char *line, size_t len, sk_err **err)
{
  _cleanup_json_ sk_json *doc = NULL;
  sk_err *ignored = NULL;
  if (sk_json_parse (line, len, "event", &doc, &ignored) < 0) {
    sk_err_free (&ignored); /* not an event: skipped */
    return 0;
  }
  sk_json *v = NULL;
  int64_t ns = json_object_object_get_ex (doc, "timeNano", &v) ? json_object_get_int64 (v) : 0;
  if ((o->since_set && ns < o->since) || (o->until_set && ns > o->until) || !wanted (o, doc))
    return 0;
  return print_event (o, doc, err);
}

/* Shows every whole line that has arrived. */
static int
drain (events_reader *r, const events_opts *o, sk_err **err)
{
  for (;;) {
    long at = ftell (r->f);
    ssize_t len = getline (&r->line, &r->alloc, r->f);
    if (len <= 0) {
      clearerr (r->f);
      return 0;
    }
    if (r->line[len - 1] != '\n') { /* half written: again later */
      fseek (r->f, at, SEEK_SET);
      return 0;
    }
    if (show_line (o, r->line, (size_t) len, err) < 0)
      return -1;
  }
}

/* Without --since or --until only what comes from now on, as docker. Then
 * until --until has passed (for ever without it). */
static int
read_events (const char *path, const events_opts *o, events_reader *r, sk_err **err)
{
  r->f = fopen (path, "re");
  if (r->f && !o->since_set && !o->until_set)
    fseek (r->f, 0, SEEK_END);
  for (;;) {
    if (r->f == NULL)
      r->f = fopen (path, "re"); /* made since: all of it is new */
    if (r->f && drain (r, o, err) < 0)
      return -1;
    /* an event stamped just before --until may take a moment to be written */
    if (o->until_set && sk_now_ns () - POLL_MS * 1000000LL > o->until)
      return r->f ? drain (r, o, err) : 0;
    struct timespec ts = {0, POLL_MS * 1000000L};
    nanosleep (&ts, NULL);
  }
}

int
cmd_events (sk_cli *cli, int argc, char **argv)
{
  events_opts o = {0};
  sk_err *err = NULL;
  int r = parse_flags (argc, argv, &o, &err);
  if (r < 0)
    return sk_cli_fail (err);
  if (r == 1)
    return 0;
  if (r > 0)
    return r;
  sk_engine *e = NULL;
  if (sk_cli_engine (cli, &e, &err) < 0)
    return sk_cli_fail (err);
  _cleanup_free_ char *path = sk_engine_events_path (e);
  if (path == NULL) {
    sk_err_set (&err, ENOMEM, "events");
    return sk_cli_fail (err);
  }
  events_reader rd = {0};
  r = read_events (path, &o, &rd, &err);
  if (rd.f)
    fclose (rd.f);
  free (rd.line);
  return r < 0 ? sk_cli_fail (err) : 0;
}
