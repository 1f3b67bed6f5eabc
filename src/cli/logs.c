/* skiff: a container's output: `logs` (docker's flags), and following it
 * while an attached `run` or `start -a` waits for the container. The log is
 * the shim's, in docker's json-file format: one JSON object a line, with the
 * text, the stream and the time. */
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
#include "util/cleanup.h"

#define LINE_MAX_BYTES (1024 * 1024)

typedef struct log_reader {
  FILE *f;
  char *line;
  size_t alloc;
  bool timestamps;
  int64_t since, until; /* nanoseconds; 0: no bound */
} log_reader;

/* Prints one record of the log: its text on stdout or stderr. */
static void
print_record (const log_reader *r, const char *line, size_t len)
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
  if ((r->since || r->until) && time && sk_cli_parse_time (json_object_get_string (time), &at) == 0 &&
      (at < r->since || (r->until && at > r->until))) {
    json_object_put (doc);
    return;
  }
  FILE *out = stream && strcmp (json_object_get_string (stream), "stderr") == 0 ? stderr : stdout;
  if (r->timestamps && time)
    fprintf (out, "%s ", json_object_get_string (time));
  if (text)
    fwrite (json_object_get_string (text), 1, (size_t) json_object_get_string_len (text), out);
  fflush (out);
  json_object_put (doc);
}

/* Prints every whole record that has arrived; the count. */
static size_t
drain (log_reader *r)
{
  size_t n = 0;
  for (;;) {
    long at = ftell (r->f);
    ssize_t len = getline (&r->line, &r->alloc, r->f);
    if (len <= 0) {
      clearerr (r->f);
      break;
    }
    if (r->line[len - 1] != '\n') { /* half written: again later */
      fseek (r->f, at, SEEK_SET);
      break;
    }
    print_record (r, r->line, (size_t) len);
    n++;
  }
  return n;
}

static volatile sig_atomic_t forwarded;

static void
on_signal (int sig)
{
  forwarded = sig;
}

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
  r->f = fopen (path, "re");
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
  _cleanup_free_ char *path = sk_engine_log_path (e, id);
  if (path == NULL)
    return sk_err_set (err, ENOMEM, "logs");
  if (proxy) {
    signal (SIGINT, on_signal);
    signal (SIGTERM, on_signal);
  }
  _cleanup_close_ int watch = sk_engine_watch (e, id);
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
    sk_engine_nap (watch, 10); /* woken early by the container's exit */
  }
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

/* The offset of the last n records of f (all of them for n < 0). */
static void
seek_tail (FILE *f, long n)
{
  if (n < 0)
    return;
  char *line = NULL;
  size_t alloc = 0, count = 0;
  while (getline (&line, &alloc, f) > 0)
    count++;
  rewind (f);
  for (size_t skip = count > (size_t) n ? count - (size_t) n : 0; skip > 0; skip--)
    if (getline (&line, &alloc, f) <= 0)
      break;
  free (line);
}

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
  _cleanup_free_ char *path = sk_engine_log_path (e, id);
  log_reader r = {.timestamps = timestamps, .since = since, .until = until,
                  .f = path ? fopen (path, "re") : NULL};
  if (r.f) {
    seek_tail (r.f, tail);
    drain (&r);
  }
  int ret = 0, code;
  if (follow_output && follow (cli, id, &r, false, &code, &err) < 0)
    ret = sk_cli_fail (err);
  if (r.f)
    fclose (r.f);
  free (r.line);
  return ret;
}
