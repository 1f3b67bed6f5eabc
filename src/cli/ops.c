/* skiff: pause, unpause, rename, restart, top and container prune, with
 * docker's output. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "util/cleanup.h"

static int
pause_one (sk_cli *cli, sk_engine *e, const char *id, const char *as_typed, void *data, sk_err **err)
{
  (void) cli, (void) as_typed;
  return *(bool *) data ? sk_engine_pause (e, id, err) : sk_engine_unpause (e, id, err);
}

static int
pause_cmd (sk_cli *cli, int argc, char **argv, bool pause)
{
  const char *help = pause ? "Usage:  skiff pause CONTAINER [CONTAINER...]\n\n"
                             "Pause all processes within one or more containers\n"
                           : "Usage:  skiff unpause CONTAINER [CONTAINER...]\n\n"
                             "Unpause all processes within one or more containers\n";
  if (sk_cli_wants_help (argc, argv, help))
    return 0;
  if (argc < 2)
    return sk_cli_usage (argv[0], "\"%s\" requires at least 1 argument.", argv[0]);
  return sk_cli_for_each (cli, argc - 1, argv + 1, true, pause_one, &pause);
}

int
cmd_pause (sk_cli *cli, int argc, char **argv)
{
  return pause_cmd (cli, argc, argv, true);
}

int
cmd_unpause (sk_cli *cli, int argc, char **argv)
{
  return pause_cmd (cli, argc, argv, false);
}

static int
rename_one (sk_cli *cli, sk_engine *e, const char *id, const char *as_typed, void *data,
            sk_err **err)
{
  (void) cli, (void) as_typed;
  return sk_engine_rename (e, id, data, err);
}

int
cmd_rename (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, "Usage:  skiff rename CONTAINER NEW_NAME\n\nRename a container\n"))
    return 0;
  if (argc != 3)
    return sk_cli_usage ("rename", "\"rename\" requires exactly 2 arguments.");
  return sk_cli_for_each (cli, 1, argv + 1, false, rename_one, argv[2]);
}

static int
restart_one (sk_cli *cli, sk_engine *e, const char *id, const char *as_typed, void *data,
             sk_err **err)
{
  (void) cli, (void) as_typed;
  const sk_cli_stop_opts *o = data;
  return sk_engine_restart_signal (e, id, o->timeout, o->signal, err);
}

int
cmd_restart (sk_cli *cli, int argc, char **argv)
{
  return sk_cli_timeout_cmd (
      cli, argc, argv,
      "Usage:  skiff restart [OPTIONS] CONTAINER [CONTAINER...]\n\n"
      "Restart one or more containers\n\n"
      "Options:\n"
      "  -s, --signal string   Signal to send to the container\n"
      "  -t, --time int        Seconds to wait before killing the container\n",
      restart_one);
}

/* ---- top: the host's ps, only the container's processes ---- */

static bool
listed (const pid_t *pids, size_t n, long pid)
{
  for (size_t i = 0; i < n; i++)
    if (pids[i] == pid)
      return true;
  return false;
}

/* Runs ps with args; its output in *out. */
static int
run_ps (char **args, char **out, sk_err **err)
{
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return sk_err_set (err, errno, "pipe");
  pid_t pid = fork ();
  if (pid == 0) {
    dup2 (p[1], 1);
    execvp ("ps", args);
    _exit (127);
  }
  close (p[1]);
  if (pid < 0) {
    close (p[0]);
    return sk_err_set (err, errno, "fork");
  }
  FILE *f = fdopen (p[0], "r");
  size_t len = 0;
  FILE *mem = open_memstream (out, &len);
  char buf[4096];
  size_t n;
  while (f && mem && (n = fread (buf, 1, sizeof buf, f)) > 0)
    fwrite (buf, 1, n, mem);
  if (f)
    fclose (f);
  else
    close (p[0]);
  if (mem)
    fclose (mem);
  int status = 0;
  waitpid (pid, &status, 0);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0 || *out == NULL)
    return sk_err_set (err, 0, "ps failed");
  return 0;
}

typedef struct {
  char **ps_args;
} top_data;

static int
top_one (sk_cli *cli, sk_engine *e, const char *id, const char *as_typed, void *data, sk_err **err)
{
  (void) cli, (void) as_typed;
  top_data *d = data;
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  _cleanup_free_ char *text = NULL;
  if (sk_engine_pids (e, id, &pids, &n, err) < 0 || run_ps (d->ps_args, &text, err) < 0)
    return -1;
  /* the header, then the rows whose PID column is one of the container's */
  char *save = NULL, *line = strtok_r (text, "\n", &save);
  if (line == NULL)
    return 0;
  int col = -1, i = 0;
  _cleanup_free_ char *head = strdup (line);
  for (char *s2 = NULL, *w = strtok_r (head, " \t", &s2); w; w = strtok_r (NULL, " \t", &s2), i++)
    if (strcmp (w, "PID") == 0)
      col = i;
  if (col < 0)
    return sk_err_set (err, 0, "Couldn't find PID field in ps output");
  printf ("%s\n", line);
  while ((line = strtok_r (NULL, "\n", &save)) != NULL) {
    _cleanup_free_ char *copy = strdup (line);
    char *s3 = NULL, *w = copy ? strtok_r (copy, " \t", &s3) : NULL;
    for (i = 0; w && i < col; i++)
      w = strtok_r (NULL, " \t", &s3);
    if (w && listed (pids, n, strtol (w, NULL, 10)))
      printf ("%s\n", line);
  }
  return 0;
}

int
cmd_top (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv,
                         "Usage:  skiff top CONTAINER [ps OPTIONS]\n\n"
                         "Display the running processes of a container\n"))
    return 0;
  if (argc < 2)
    return sk_cli_usage ("top", "\"top\" requires at least 1 argument.");
  _cleanup_free_ char **args = calloc ((size_t) argc + 2, sizeof *args);
  if (args == NULL)
    return 1;
  args[0] = (char *) "ps";
  if (argc > 2)
    for (int i = 2; i < argc; i++)
      args[i - 1] = argv[i];
  else
    args[1] = (char *) "-ef";
  top_data d = {.ps_args = args};
  return sk_cli_for_each (cli, 1, argv + 1, false, top_one, &d);
}

/* ---- container prune ---- */

/* docker's --filter of container prune: until=TIME, label=, label!= */
typedef struct prune_filters {
  int64_t until; /* nanoseconds; 0: none */
  const char **labels, **not_labels;
  size_t n_labels, n_not;
} prune_filters;

static void
prune_filters_clear (prune_filters *f)
{
  free (f->labels);
  free (f->not_labels);
}

static int
prune_filter_add (prune_filters *f, const char *arg, sk_err **err)
{
  const char *eq = strchr (arg, '=');
  if (eq == NULL)
    return sk_err_set (err, 0, "bad format of filter (expected name=value)");
  size_t klen = (size_t) (eq - arg);
  const char *v = eq + 1;
  if (klen == 5 && strncmp (arg, "until", 5) == 0) {
    if (sk_cli_parse_time (v, &f->until) < 0)
      return sk_err_set (err, 0,
                         "Error response from daemon: failed to parse value as time or "
                         "duration: \"%s\"",
                         v);
    return 0;
  }
  bool neg = klen == 6 && strncmp (arg, "label!", 6) == 0;
  if (!neg && !(klen == 5 && strncmp (arg, "label", 5) == 0))
    return sk_err_set (err, 0, "Error response from daemon: invalid filter '%.*s'", (int) klen,
                       arg);
  const char ***list = neg ? &f->not_labels : &f->labels;
  size_t *n = neg ? &f->n_not : &f->n_labels;
  const char **grown = realloc (*list, (*n + 1) * sizeof *grown);
  if (grown == NULL)
    return sk_err_set (err, ENOMEM, "filter");
  *list = grown;
  grown[(*n)++] = v;
  return 0;
}

static bool
prune_filters_match (const prune_filters *f, const sk_ctr *c)
{
  if (f->until && c->created >= f->until)
    return false;
  if (f->n_labels == 0 && f->n_not == 0)
    return true;
  _cleanup_json_ sk_json *config = NULL;
  sk_err *ignored = NULL;
  if (sk_json_parse (c->config, strlen (c->config), "config", &config, &ignored) < 0) {
    sk_err_free (&ignored);
    return false;
  }
  for (size_t i = 0; i < f->n_labels; i++)
    if (!sk_cli_label_matches (config, f->labels[i]))
      return false;
  for (size_t i = 0; i < f->n_not; i++)
    if (sk_cli_label_matches (config, f->not_labels[i]))
      return false;
  return true;
}

int
cmd_container_prune (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (
          argc, argv,
          "Usage:  skiff container prune [OPTIONS]\n\n"
          "Remove all stopped containers\n\n"
          "Options:\n"
          "      --filter filter   Provide filter values (e.g. \"until=<timestamp>\")\n"
          "  -f, --force           Do not prompt for confirmation\n"))
    return 0;
  enum { O_FILTER = 1000 };
  static const struct option opts[] = {
      {"force", no_argument, NULL, 'f'}, {"filter", required_argument, NULL, O_FILTER}, {0}};
  bool force = false;
  int c;
  __attribute__ ((cleanup (prune_filters_clear))) prune_filters flt = {0};
  sk_err *err = NULL;
  optind = 0;
  while ((c = getopt_long (argc, argv, "f", opts, NULL)) != -1) {
    if (c == O_FILTER) {
      if (prune_filter_add (&flt, optarg, &err) < 0) {
        fprintf (stderr, "%s\n", err->msg);
        sk_err_free (&err);
        return strchr (optarg, '=') ? 1 : 125; /* a flag's error, as docker's */
      }
      continue;
    }
    if (c != 'f')
      return sk_cli_usage ("container prune", "bad option");
    force = true;
  }
  if (!force && !sk_cli_confirm ("stopped containers"))
    return 0;
  sk_engine *e = NULL;
  sk_ctr **list = NULL;
  if (sk_cli_engine (cli, &e, &err) < 0 || sk_engine_list (e, &list, &err) < 0)
    return sk_cli_fail (err);
  int ret = 0;
  bool header = false;
  int64_t reclaimed = 0;
  for (sk_ctr **p = list; *p; p++) {
    const char *st = (*p)->state;
    if ((strcmp (st, "exited") != 0 && strcmp (st, "created") != 0 && strcmp (st, "dead") != 0) ||
        !prune_filters_match (&flt, *p))
      continue;
    int64_t size = sk_engine_rw_size (e, (*p)->id);
    if (sk_engine_remove (e, (*p)->id, false, &err) < 0) {
      ret = sk_cli_fail (err);
      err = NULL;
      continue;
    }
    if (!header)
      printf ("Deleted Containers:\n");
    header = true;
    printf ("%s\n", (*p)->id);
    reclaimed += size;
  }
  sk_ctr_list_free (list);
  char human[32];
  sk_cli_human_size (reclaimed, human, sizeof human);
  printf ("%sTotal reclaimed space: %s\n", header ? "\n" : "", human);
  return ret;
}
