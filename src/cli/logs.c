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
  bool timestamps;
  int64_t since, until; /* nanoseconds; 0: no bound */
  bool counting;        /* count the records, print none */
  size_t count;
  size_t skip; /* records still to pass over (--tail) */
  FILE *last;  /* the stream written last, flushed when the other is */
  /* following: the time of the last record printed and how many records
   * of that time were, so that files read again after rotations print
   * only what comes after (catching_up: passing over what came before) */
  int64_t at;
  size_t at_count, seen;
  bool catching_up;
} log_reader;

/* Whether a record of time t comes after what was printed (when catching
 * up); then it is the last printed. */
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
print_text (log_reader *r, FILE *out, const char *time, const char *text, size_t len)
{
  if (r->last && r->last != out)
    fflush (r->last);
  r->last = out;
  if (r->timestamps && time)
    fprintf (out, "%s ", time);
  fwrite (text, 1, len, out);
}

/* Prints one record of a json-file log: its text on stdout or stderr. */
static void
print_record (log_reader *r, const char *line, size_t len)
{
  sk_json *doc = NULL;
  sk_err *ignored = NULL;
  if (sk_json_parse (line, len, "log", &doc, &ignored) < 0) {
    sk_err_free (&ignored);
    return;
  }
  sk_json *text = NULL, *stream = NULL, *time = NULL;
  json_object_object_get_ex (doc, "log", &text);
  json_object_object_get_ex (doc, "stream", &stream);
  json_object_object_get_ex (doc, "time", &time);
  int64_t at = 0;
  if (time)
    sk_cli_parse_time (json_object_get_string (time), &at);
  if (!after_cursor (r, at) || (r->since && at < r->since) || (r->until && at > r->until)) {
    json_object_put (doc);
    return;
  }
  FILE *out = stream && strcmp (json_object_get_string (stream), "stderr") == 0 ? stderr : stdout;
  if (text)
    print_text (r, out, time ? json_object_get_string (time) : NULL, json_object_get_string (text),
                (size_t) json_object_get_string_len (text));
  json_object_put (doc);
}

/* Prints one record of a local log. */
static void
print_local (log_reader *r, const sk_log_record *rec)
{
  if (!after_cursor (r, rec->time_ns) || rec->time_ns < r->since ||
      (r->until && rec->time_ns > r->until))
    return;
  char time[SK_JSONLOG_TIME_SIZE];
  sk_log_format_time (rec->time_ns, time);
  print_text (r, rec->stream == SK_LOG_STDERR ? stderr : stdout, time, rec->data, rec->len);
}

/* The next whole record of f into r: 1, or 0 at its end for now. */
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

/* Prints (or counts, or passes over) every whole record of f that has
 * arrived. */
static void
drain_file (log_reader *r, FILE *f)
{
  for (;;) {
    sk_log_record rec;
    size_t len = 0;
    if (r->local ? sk_locallog_next (f, &r->line, &r->alloc, &rec) <= 0
                 : next_json (r, f, &len) <= 0)
      break;
    if (r->counting)
      r->count++;
    else if (r->skip)
      r->skip--;
    else if (r->local)
      print_local (r, &rec);
    else
      print_record (r, r->line, len);
  }
  fflush (stdout);
  fflush (stderr);
}

static void
drain (log_reader *r)
{
  drain_file (r, r->f);
}

/* The rotated files PATH.last ... PATH.1 (each plain or gzipped), oldest
 * first, those there are. */
static void
drain_rotated (log_reader *r, const char *path, unsigned last)
{
  char name[4096];
  for (unsigned i = last; i >= 1; i--) {
    snprintf (name, sizeof name, "%s.%u", path, i);
    FILE *f = sk_log_open_any (name);
    if (f) {
      drain_file (r, f);
      fclose (f);
    }
  }
}

/* Every file of the log at path, the rotated ones oldest first; the current
 * one is left open in r->f, to follow. */
static void
read_all (log_reader *r, const char *path)
{
  char name[4096];
  unsigned last = 0;
  for (;; last++) {
    struct stat st;
    snprintf (name, sizeof name, "%s.%u", path, last + 1);
    if (stat (name, &st) < 0) {
      snprintf (name, sizeof name, "%s.%u.gz", path, last + 1);
      if (stat (name, &st) < 0)
        break;
    }
  }
  drain_rotated (r, path, last);
  if (r->f)
    fclose (r->f);
  r->f = fopen (path, "re");
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
 * Leaves r->f there; false to read the log the long way. */
static bool
tail_local (log_reader *r, const char *path, size_t n)
{
  char rotated[4096];
  struct stat st;
  FILE *f = fopen (path, "re");
  if (f == NULL)
    return false;
  size_t found;
  long at = sk_locallog_tail (f, n, &found);
  snprintf (rotated, sizeof rotated, "%s.1", path);
  bool more = stat (rotated, &st) == 0 ||
              (snprintf (rotated, sizeof rotated, "%s.1.gz", path), stat (rotated, &st) == 0);
  if (at < 0 || (found < n && more) || fseek (f, at, SEEK_SET) < 0) {
    fclose (f);
    return false;
  }
  r->f = f;
  return true;
}

static volatile sig_atomic_t forwarded;

static void
on_signal (int sig)
{
  forwarded = sig;
}

/* The rotated files a follower looks through when the file it follows was
 * rotated: how far behind it may fall */
#define FOLLOW_ROTATED 4

/* The log file was rotated (renamed, a new one made): the rest of the old
 * one, then the new one from its start. */
static void
reopen_if_rotated (log_reader *r, const char *path)
{
  struct stat now, mine;
  if (r->f == NULL) {
    r->f = fopen (path, "re");
    return;
  }
  if (stat (path, &now) < 0 || fstat (fileno (r->f), &mine) < 0 || now.st_ino == mine.st_ino)
    return;
  drain (r);
  fclose (r->f);
  r->f = NULL;
  /* more than one rotation since the last look (a fast writer, a slow
   * reader): the files rotated meanwhile, then the new one, each record
   * after the last printed */
  r->catching_up = true;
  r->seen = 0;
  drain_rotated (r, path, FOLLOW_ROTATED);
  r->f = fopen (path, "re");
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
sk_cli_follow (sk_cli *cli, const char *id, bool proxy, int *exit_code, sk_err **err)
{
  log_reader r = {0};
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
      read_all (&r, path);
      r.counting = false;
      r.skip = r.count > (size_t) tail ? r.count - (size_t) tail : 0;
    }
    read_all (&r, path);
  }
  int ret = 0, code;
  if (follow_output && follow (cli, id, &r, false, &code, &err) < 0)
    ret = sk_cli_fail (err);
  if (r.f)
    fclose (r.f);
  free (r.line);
  return ret;
}
