/* skiff-shim: the parent of one container, started by the engine (see
 * src/engine/shim.h). This file only reads the command line. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/shim.h"
#include "util/selfexe.h"

static void
usage (FILE *out)
{
  fprintf (out, "Usage: skiff-shim --id ID --bundle DIR --runtime-root DIR --state-dir DIR\n"
                "                  --log PATH [--log-driver json-file|local|none]\n"
                "                  [--log-max-size BYTES] [--log-max-file N] [--log-compress]\n"
                "                  [--ready-fd N]\n"
                "                  [--events PATH [--name NAME] [--image IMAGE]] [--netns PATH]\n"
                "                  [--remove-arg WORD]...\n"
                "                  [--restart POLICY[:MAX]] [--restart-count N]\n"
                "                  [--health-arg WORD]... [--health-interval MS] [--health-timeout MS]\n"
                "                  [--health-start-period MS] [--health-start-interval MS]\n"
                "                  [--health-retries N]\n");
}

static int
parse_number (const char *s, const char *what, uint64_t max, uint64_t *out)
{
  char *end;
  errno = 0;
  unsigned long long v = strtoull (s, &end, 10);
  if (errno || end == s || *end || *s == '-' || v > max) {
    fprintf (stderr, "skiff-shim: --%s `%s` is not a valid number\n", what, s);
    return -1;
  }
  *out = v;
  return 0;
}

enum { O_ID = 1000, O_BUNDLE, O_RT_ROOT, O_STATE, O_LOG, O_DRIVER, O_MAX_SIZE, O_MAX_FILE, O_COMPRESS,
       O_READY,
       O_EVENTS, O_NAME, O_IMAGE, O_NETNS, O_REMOVE_ARG, O_STDIN, O_STDIN_ONCE, O_TTY, O_ATTACH_WAIT, O_RESTART,
       O_RESTART_COUNT, O_HEALTH_ARG, O_HEALTH_INTERVAL, O_HEALTH_TIMEOUT, O_HEALTH_START,
       O_HEALTH_START_INTERVAL, O_HEALTH_RETRIES };

/* the words of the healthcheck's command */
#define HEALTH_ARGS_MAX 256
#define REMOVE_ARGS_MAX 32
static char *health_argv[HEALTH_ARGS_MAX + 1];
static char *remove_argv[REMOVE_ARGS_MAX + 1];

/* Appends a word of a repeated option to its NULL-terminated list. */
static int
push_word (char **list, size_t max, const char *what, char *word)
{
  size_t n = 0;
  while (list[n])
    n++;
  if (n == max) {
    fprintf (stderr, "skiff-shim: more than %zu words in %s\n", max, what);
    return -1;
  }
  list[n] = word;
  return 0;
}

/* --restart no|always|unless-stopped|on-failure[:MAX] */
static int
parse_restart (const char *v, sk_shim_opts *o)
{
  static char name[32];
  const char *colon = strchr (v, ':');
  size_t len = colon ? (size_t) (colon - v) : strlen (v);
  uint64_t max = 0;
  if (len >= sizeof name || (colon && parse_number (colon + 1, "restart", 1u << 30, &max) < 0))
    return -1;
  memcpy (name, v, len);
  name[len] = '\0';
  if (strcmp (name, "no") && strcmp (name, "always") && strcmp (name, "unless-stopped") &&
      strcmp (name, "on-failure")) {
    fprintf (stderr, "skiff-shim: unknown restart policy `%s`\n", name);
    return -1;
  }
  o->restart = name;
  o->restart_max = (unsigned) max;
  return 0;
}

static int
parse_args (int argc, char **argv, sk_shim_opts *o)
{
  static const struct option opts[] = {
      {"id", required_argument, NULL, O_ID},
      {"bundle", required_argument, NULL, O_BUNDLE},
      {"runtime-root", required_argument, NULL, O_RT_ROOT},
      {"state-dir", required_argument, NULL, O_STATE},
      {"log", required_argument, NULL, O_LOG},
      {"log-driver", required_argument, NULL, O_DRIVER},
      {"log-max-size", required_argument, NULL, O_MAX_SIZE},
      {"log-max-file", required_argument, NULL, O_MAX_FILE},
      {"log-compress", no_argument, NULL, O_COMPRESS},
      {"ready-fd", required_argument, NULL, O_READY},
      {"events", required_argument, NULL, O_EVENTS},
      {"name", required_argument, NULL, O_NAME},
      {"image", required_argument, NULL, O_IMAGE},
      {"netns", required_argument, NULL, O_NETNS},
      {"remove-arg", required_argument, NULL, O_REMOVE_ARG},
      {"stdin", no_argument, NULL, O_STDIN},
      {"stdin-once", no_argument, NULL, O_STDIN_ONCE},
      {"tty", no_argument, NULL, O_TTY},
      {"attach-wait", no_argument, NULL, O_ATTACH_WAIT},
      {"restart", required_argument, NULL, O_RESTART},
      {"restart-count", required_argument, NULL, O_RESTART_COUNT},
      {"health-arg", required_argument, NULL, O_HEALTH_ARG},
      {"health-interval", required_argument, NULL, O_HEALTH_INTERVAL},
      {"health-timeout", required_argument, NULL, O_HEALTH_TIMEOUT},
      {"health-start-period", required_argument, NULL, O_HEALTH_START},
      {"health-start-interval", required_argument, NULL, O_HEALTH_START_INTERVAL},
      {"health-retries", required_argument, NULL, O_HEALTH_RETRIES},
      {"help", no_argument, NULL, 'h'},
      {0}};
  uint64_t v;
  int c;
  while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case O_ID: o->id = optarg; break;
    case O_BUNDLE: o->bundle = optarg; break;
    case O_RT_ROOT: o->runtime_root = optarg; break;
    case O_STATE: o->state_dir = optarg; break;
    case O_LOG: o->log_path = optarg; break;
    case O_DRIVER:
      if (strcmp (optarg, "none") != 0 && strcmp (optarg, "json-file") != 0 &&
          strcmp (optarg, "local") != 0) {
        fprintf (stderr, "skiff-shim: --log-driver must be json-file, local or none, not `%s`\n",
                 optarg);
        return -1;
      }
      o->log_none = strcmp (optarg, "none") == 0;
      o->log_local = strcmp (optarg, "local") == 0;
      break;
    case O_MAX_SIZE:
      if (parse_number (optarg, "log-max-size", INT64_MAX, &o->log_max_size) < 0)
        return -1;
      break;
    case O_MAX_FILE:
      if (parse_number (optarg, "log-max-file", 1000000, &v) < 0 || v == 0)
        return -1;
      o->log_max_file = (unsigned) v;
      break;
    case O_COMPRESS: o->log_compress = true; break;
    case O_READY:
      if (parse_number (optarg, "ready-fd", 1 << 20, &v) < 0)
        return -1;
      o->ready_fd = (int) v;
      break;
    case O_EVENTS: o->events_path = optarg; break;
    case O_NAME: o->name = optarg; break;
    case O_IMAGE: o->image = optarg; break;
    case O_NETNS: o->netns = optarg; break;
    case O_REMOVE_ARG:
      if (push_word (remove_argv, REMOVE_ARGS_MAX, "--remove-arg", optarg) < 0)
        return -1;
      o->remove_argv = remove_argv;
      break;
    case O_STDIN: o->open_stdin = true; break;
    case O_STDIN_ONCE: o->stdin_once = true; break;
    case O_TTY: o->tty = true; break;
    case O_ATTACH_WAIT: o->attach_wait = true; break;
    case O_RESTART:
      if (parse_restart (optarg, o) < 0)
        return -1;
      break;
    case O_RESTART_COUNT:
      if (parse_number (optarg, "restart-count", 1u << 30, &v) < 0)
        return -1;
      o->restart_count = (unsigned) v;
      break;
    case O_HEALTH_ARG:
      if (push_word (health_argv, HEALTH_ARGS_MAX, "the healthcheck", optarg) < 0)
        return -1;
      o->health_argv = health_argv;
      break;
    case O_HEALTH_INTERVAL: case O_HEALTH_TIMEOUT: case O_HEALTH_START:
    case O_HEALTH_START_INTERVAL: {
      if (parse_number (optarg, "health-*", INT64_MAX / 2, &v) < 0)
        return -1;
      int64_t *f = c == O_HEALTH_INTERVAL  ? &o->health_interval_ms
                   : c == O_HEALTH_TIMEOUT ? &o->health_timeout_ms
                   : c == O_HEALTH_START   ? &o->health_start_period_ms
                                           : &o->health_start_interval_ms;
      *f = (int64_t) v;
      break;
    }
    case O_HEALTH_RETRIES:
      if (parse_number (optarg, "health-retries", 1u << 30, &v) < 0)
        return -1;
      o->health_retries = (unsigned) v;
      break;
    case 'h': usage (stdout); exit (0);
    default: usage (stderr); return -1;
    }
  }
  if (optind < argc || !o->id || !o->bundle || !o->runtime_root || !o->state_dir ||
      (!o->log_path && !o->log_none)) {
    usage (stderr);
    return -1;
  }
  /* it moves to / before using them */
  const char *paths[] = {o->bundle, o->runtime_root, o->state_dir, o->log_path, o->events_path};
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
    if (paths[i] && paths[i][0] != '/') {
      fprintf (stderr, "skiff-shim: `%s` is not an absolute path\n", paths[i]);
      return -1;
    }
  return 0;
}

int
main (int argc, char **argv)
{
  sk_shim_opts o = {.ready_fd = -1, .log_max_file = 1};
  if (parse_args (argc, argv, &o) < 0) {
    if (o.ready_fd >= 0)
      dprintf (o.ready_fd, "err 125 skiff-shim: invalid command line\n");
    return 2;
  }
  sk_err *err = NULL;
  /* the container's first process is a copy of this one until it execs
   * (CVE-2019-5736): this re-executes from a binary it cannot write */
  if (sk_selfexe_protect (argv, environ, &err) < 0 || sk_shim_detach (&o.ready_fd, &err) < 0) {
    fprintf (stderr, "skiff-shim: %s\n", err->msg);
    if (o.ready_fd >= 0)
      dprintf (o.ready_fd, "err 125 %s\n", err->msg);
    sk_err_free (&err);
    return 1;
  }
  int r = sk_shim_run (&o, &err);
  sk_err_free (&err);
  return r < 0 ? 1 : 0;
}
