/* skiff: a container's output: `logs` (docker's flags), and following it
 * while an attached `run` or `start -a` waits for the container. The log is
 * the shim's: docker's json-file format (one JSON object a line, with the
 * text, the stream and the time) or, with the local driver, skiff's compact
 * records (engine/logfile.h). Rotated files (PATH.1 the newest, gzipped as
 * PATH.1.gz or not) are read first, oldest first, then the current one. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "engine/jsonlog.h"
#include "engine/logfile.h"
#include "util/cleanup.h"

typedef struct log_reader {
  FILE *f;    /* the current file, followed */
  bool local; /* skiff's compact records, not JSON lines */
  char *line;
  size_t alloc;
  sk_json *doc; /* the JSON record read last */
  bool timestamps;
  int64_t since, until; /* nanoseconds; 0: no bound */
  bool counting;        /* count the records, print none */
  size_t count;
  size_t skip; /* records still to pass over (--tail) */
  FILE *last;  /* the stream written last, flushed when the other is */
  /* the cursor: the time of the last record read (printed or passed over)
   * and how many records of that time were, so that files read again
   * after rotations give only what comes after it (catching_up: passing
   * over what came before; seen: the records of time at passed over) */
  int64_t at;
  size_t at_count, seen;
  bool catching_up;
} log_reader;

/* One record: its time, stream and text, in the reader's buffers. */
typedef struct log_record {
  int64_t time;
  bool err;
  const char *stamp; /* the time as stored (json-file), or NULL */
  const char *text;  /* NULL: not a record (a damaged line) */
  size_t len;
} log_record;

/* Whether a record of time t comes after the cursor (when catching up);
 * then the cursor is on it. */
static bool
after_cursor (log_reader *r, int64_t t)
{
  if (r->catching_up) {
    if (t < r->at || (t == r->at && r->seen++ < r->at_count))
      return false;
    r->catching_up = false;
  }
  if (t == r->at)
    r->at_count++;
  else {
    r->at = t;
    r->at_count = 1;
  }
  return true;
}

static void
print_text (log_reader *r, const log_record *rec)
{
  FILE *out = rec->err ? stderr : stdout;
  if (r->last && r->last != out)
    fflush (r->last);
  r->last = out;
  if (r->timestamps) {
    char stamp[SK_JSONLOG_TIME_SIZE];
    if (rec->stamp == NULL)
      sk_log_format_time (rec->time, stamp);
    fprintf (out, "%s ", rec->stamp ? rec->stamp : stamp);
  }
  fwrite (rec->text, 1, rec->len, out);
}

/* The next whole line of f into r: 1, or 0 at its end for now. */
static int
next_json (log_reader *r, FILE *f, size_t *len)
{
  long at = ftell (f);
  ssize_t n = getline (&r->line, &r->alloc, f);
  if (n <= 0) {
    clearerr (f);
    return 0;
  }
  if (r->line[n - 1] != '\n') { /* half written: again later */
    clearerr (f);
    fseek (f, at, SEEK_SET);
    return 0;
  }
  *len = (size_t) n;
  return 1;
}

/* A json-file record: {"log": text, "stream": "stdout" or "stderr",
 * "time": RFC 3339}. */
static void
parse_json (log_reader *r, size_t len, log_record *rec)
{
  sk_err *ignored = NULL;
  json_object_put (r->doc);
  r->doc = NULL;
  rec->text = NULL;
  if (sk_json_parse (r->line, len, "log", &r->doc, &ignored) < 0) {
    sk_err_free (&ignored);
    return;
  }
  sk_json *text = NULL, *stream = NULL, *time = NULL;
  if (!json_object_object_get_ex (r->doc, "log", &text))
    return;
  json_object_object_get_ex (r->doc, "stream", &stream);
  json_object_object_get_ex (r->doc, "time", &time);
  rec->time = 0;
  rec->stamp = time ? json_object_get_string (time) : NULL;
  if (rec->stamp)
    sk_cli_parse_time (rec->stamp, &rec->time);
  rec->err = stream && strcmp (json_object_get_string (stream), "stderr") == 0;
  rec->text = json_object_get_string (text);
  rec->len = (size_t) json_object_get_string_len (text);
}

/* The next whole record of f: 1, or 0 at its end for now (or where it is
 * damaged). parse false: only that there is one. */
static int
next_record (log_reader *r, FILE *f, bool parse, log_record *rec)
{
  if (r->local) {
    sk_log_record lr;
    if (sk_locallog_next (f, &r->line, &r->alloc, &lr) <= 0)
      return 0;
    *rec = (log_record){.time = lr.time_ns, .err = lr.stream == SK_LOG_STDERR, .text = lr.data,
                        .len = lr.len};
    return 1;
  }
  size_t len = 0;
  if (next_json (r, f, &len) <= 0)
    return 0;
  if (parse)
    parse_json (r, len, rec);
  return 1;
}

/* Prints (or counts, or passes over) every whole record of f that has
 * arrived. */
static void
drain_file (log_reader *r, FILE *f)
{
  log_record rec;
  while (next_record (r, f, !r->counting, &rec) > 0) {
    if (r->counting)
      r->count++;
    else if (rec.text == NULL || !after_cursor (r, rec.time))
      continue;
    else if (r->skip)
      r->skip--;
    else if ((!r->since || rec.time >= r->since) && (!r->until || rec.time <= r->until))
      print_text (r, &rec);
  }
  json_object_put (r->doc);
  r->doc = NULL;
  fflush (stdout);
  fflush (stderr);
}

static void
drain (log_reader *r)
{
  drain_file (r, r->f);
}

/* The time of the first record of f, which is then read from its start
 * again; false if it has none (or cannot go back). */
static bool
first_time (log_reader *r, FILE *f, int64_t *t)
{
  log_record rec;
  bool found = next_record (r, f, true, &rec) > 0 && rec.text;
  *t = found ? rec.time : 0;
  json_object_put (r->doc);
  r->doc = NULL;
  return fseek (f, 0, SEEK_SET) == 0 && found;
}

/* Every file of the log at path, from the first that holds a record after
 * the cursor (all when catching up is not asked); the current one is left
 * open in r->f, to follow. */
static void
read_log (log_reader *r, const char *path, bool catch_up)
{
  sk_log_set set;
  sk_err *ignored = NULL;
  if (sk_log_open_set (path, &set, &ignored) < 0) {
    sk_err_free (&ignored);
    return;
  }
  size_t from = 0;
  if (catch_up) {
    /* the newest file that starts before the cursor: the cursor is in it
     * (records of one time may span files: strictly before) */
    int64_t t;
    for (size_t i = set.n; i-- > 0;)
      if (set.files[i] && first_time (r, set.files[i], &t) && t < r->at) {
        from = i;
        break;
      }
    r->catching_up = true;
    r->seen = 0;
  }
  for (size_t i = from; i + 1 < set.n; i++)
    drain_file (r, set.files[i]);
  if (r->f)
    fclose (r->f);
  r->f = set.files[set.n - 1];
  set.files[set.n - 1] = NULL;
  sk_log_set_close (&set);
  if (r->f)
    drain (r);
}

/* The current file of the container's log, by its driver. */
static char *
log_path (sk_engine *e, const sk_ctr *c, bool *local)
{
  _cleanup_json_ sk_json *doc = NULL;
  sk_err *ignored = NULL;
  sk_json *hc = NULL, *lc = NULL, *type = NULL;
  *local = false;
  if (sk_json_parse (c->config, strlen (c->config), "config", &doc, &ignored) < 0)
    sk_err_free (&ignored);
  else if (json_object_object_get_ex (doc, "HostConfig", &hc) &&
           json_object_object_get_ex (hc, "LogConfig", &lc) &&
           json_object_object_get_ex (lc, "Type", &type))
    *local = strcmp (json_object_get_string (type), "local") == 0;
  return *local ? sk_engine_local_log_path (e, c->id) : sk_engine_log_path (e, c->id);
}

/* --tail of a local log whose current file holds enough records (or all
 * of them): found walking it backwards, the rest of the log not read.
 * Leaves r->f there (on the record before them, to set the cursor on when
 * there is one); false to read the log the long way. */
static bool
tail_local (log_reader *r, const char *path, size_t n)
{
  char rotated[4096];
  struct stat st;
  FILE *f = fopen (path, "re");
  if (f == NULL)
    return false;
  size_t found;
  long at = sk_locallog_tail (f, n + 1, &found);
  snprintf (rotated, sizeof rotated, "%s.1", path);
  bool more = stat (rotated, &st) == 0 ||
              (snprintf (rotated, sizeof rotated, "%s.1.gz", path), stat (rotated, &st) == 0);
  if (at < 0 || (found <= n && more) || fseek (f, at, SEEK_SET) < 0) {
    fclose (f);
    return false;
  }
  r->f = f;
  r->skip = found > n ? 1 : 0;
  return true;
}

static volatile sig_atomic_t forwarded;

static void
on_signal (int sig)
{
  forwarded = sig;
}

/* The log file was rotated (renamed, a new one made) or is not open yet:
 * the rest of the old one, then what was written after it. A slow reader
 * may find it rotated more than once: the log is read again, as it is
 * now, from the cursor on. */
static void
reopen_if_rotated (log_reader *r, const char *path)
{
  struct stat now, mine;
  if (r->f) {
    if (stat (path, &now) < 0 || fstat (fileno (r->f), &mine) < 0)
      return;
    if (now.st_ino == mine.st_ino) {
      if (mine.st_size < ftell (r->f)) /* emptied (one file kept) */
        fseek (r->f, 0, SEEK_SET);
      return;
    }
    drain (r);
    fclose (r->f);
    r->f = NULL;
  }
  read_log (r, path, true);
}

/* follow's loop: the log read as it grows until the container ends. */
static int
follow_loop (sk_engine *e, const char *id, log_reader *r, const char *path, sk_engine_watch *watch,
             int *exit_code, sk_err **err)
{
  int restarts = -1; /* an automatic restart ends the run followed, as docker's */
  for (;;) {
    reopen_if_rotated (r, path);
    if (r->f)
      drain (r);
    if (forwarded) {
      sk_err *ignored = NULL;
      sk_engine_kill (e, id, forwarded, false, &ignored);
      sk_err_free (&ignored);
      forwarded = 0;
    }
    _cleanup_ctr_ sk_ctr *c = NULL;
    if (sk_engine_get (e, id, &c, err) < 0)
      return -1;
    if (restarts < 0)
      restarts = c->restart_count;
    if ((strcmp (c->state, "running") != 0 && strcmp (c->state, "paused") != 0) ||
        c->restart_count != restarts) {
      reopen_if_rotated (r, path);
      if (r->f)
        drain (r);
      *exit_code = c->exit_code;
      return 0;
    }
    sk_engine_watch_pid (watch, strcmp (c->state, "running") == 0 ? c->pid : 0);
    sk_engine_nap (watch, 10); /* woken early by the container's exit */
  }
}

/* Prints the output as it comes, from where r is, until the container
 * stops; its exit code. proxy: SIGINT and SIGTERM go to the container
 * (docker's --sig-proxy). */
static int
follow (sk_cli *cli, const char *id, log_reader *r, bool proxy, int *exit_code, sk_err **err)
{
  sk_engine *e = NULL;
  if (sk_cli_engine (cli, &e, err) < 0)
    return -1;
  _cleanup_ctr_ sk_ctr *first = NULL;
  if (sk_engine_get (e, id, &first, err) < 0)
    return -1;
  _cleanup_free_ char *path = log_path (e, first, &r->local);
  if (path == NULL)
    return sk_err_set (err, ENOMEM, "logs");
  if (proxy) {
    signal (SIGINT, on_signal);
    signal (SIGTERM, on_signal);
  }
  sk_engine_watch watch = SK_ENGINE_WATCH_INIT;
  int ret = follow_loop (e, id, r, path, &watch, exit_code, err);
  sk_engine_watch_close (&watch);
  return ret;
}

int
sk_cli_follow (sk_cli *cli, const char *id, bool proxy, int64_t from, int *exit_code, sk_err **err)
{
  /* the cursor just before from: what is older was there before */
  log_reader r = {.at = from};
  int ret = follow (cli, id, &r, proxy, exit_code, err);
  if (r.f)
    fclose (r.f);
  free (r.line);
  return ret;
}

static const char logs_help[] = "Usage:  skiff logs [OPTIONS] CONTAINER\n\n"
                                "Fetch the logs of a container\n\n"
                                "Options:\n"
                                "  -f, --follow         Follow log output\n"
                                "      --since string   Show logs since timestamp (e.g. "
                                "\"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 "
                                "minutes)\n"
                                "  -n, --tail string    Number of lines to show from the end of the "
                                "logs (default \"all\")\n"
                                "  -t, --timestamps     Show timestamps\n"
                                "      --until string   Show logs before a timestamp (e.g. "
                                "\"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 "
                                "minutes)\n";

/* Whether the container's log driver keeps a log to read (not "none"). */
static bool
log_readable (const sk_ctr *c)
{
  _cleanup_json_ sk_json *doc = NULL;
  sk_err *ignored = NULL;
  if (sk_json_parse (c->config, strlen (c->config), "config", &doc, &ignored) < 0) {
    sk_err_free (&ignored);
    return true;
  }
  sk_json *hc = NULL, *lc = NULL, *type = NULL;
  return !(json_object_object_get_ex (doc, "HostConfig", &hc) &&
           json_object_object_get_ex (hc, "LogConfig", &lc) &&
           json_object_object_get_ex (lc, "Type", &type) &&
           strcmp (json_object_get_string (type), "none") == 0);
}

int
cmd_logs (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, logs_help))
    return 0;
  enum { O_SINCE = 1000, O_UNTIL };
  static const struct option opts[] = {{"follow", no_argument, NULL, 'f'},
                                       {"tail", required_argument, NULL, 'n'},
                                       {"timestamps", no_argument, NULL, 't'},
                                       {"since", required_argument, NULL, O_SINCE},
                                       {"until", required_argument, NULL, O_UNTIL},
                                       {0}};
  bool follow_output = false, timestamps = false;
  long tail = -1;
  int64_t since = 0, until = 0;
  sk_err *err = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "fn:t", opts, NULL)) != -1) {
    switch (c) {
    case 'f': follow_output = true; break;
    case 't': timestamps = true; break;
    case O_SINCE:
      if (sk_cli_time_flag ("since", optarg, &since, &err) < 0)
        return sk_cli_fail (err);
      break;
    case O_UNTIL:
      if (sk_cli_time_flag ("until", optarg, &until, &err) < 0)
        return sk_cli_fail (err);
      break;
    case 'n':
      if (strcmp (optarg, "all") != 0) {
        char *end;
        tail = strtol (optarg, &end, 10);
        if (*end || tail < 0)
          return sk_cli_usage ("logs", "invalid value for --tail: %s", optarg);
      }
      break;
    default: return sk_cli_usage ("logs", "bad option");
    }
  }
  if (argc - optind != 1)
    return sk_cli_usage ("logs", "\"logs\" requires exactly 1 argument.");
  sk_engine *e = NULL;
  _cleanup_free_ char *id = NULL;
  if (sk_cli_engine (cli, &e, &err) < 0 || sk_engine_resolve (e, argv[optind], &id, &err) < 0)
    return sk_cli_fail (err);
  _cleanup_ctr_ sk_ctr *ctr = NULL;
  if (sk_engine_get (e, id, &ctr, &err) < 0)
    return sk_cli_fail (err);
  if (!log_readable (ctr)) {
    fprintf (stderr, "Error response from daemon: configured logging driver does not support "
                     "reading\n");
    return 1;
  }
  log_reader r = {.timestamps = timestamps, .since = since, .until = until};
  _cleanup_free_ char *path = log_path (e, ctr, &r.local);
  if (path && tail >= 0 && r.local && tail_local (&r, path, (size_t) tail)) {
    /* found from the end of the current file */
    drain (&r);
  } else if (path) {
    if (tail >= 0) {
      /* the records, counted first: all but the last tail are passed over */
      r.counting = true;
      read_log (&r, path, false);
      r.counting = false;
      r.skip = r.count > (size_t) tail ? r.count - (size_t) tail : 0;
    }
    read_log (&r, path, false);
  }
  int ret = 0, code;
  if (follow_output && follow (cli, id, &r, false, &code, &err) < 0)
    ret = sk_cli_fail (err);
  if (r.f)
    fclose (r.f);
  free (r.line);
  return ret;
}
