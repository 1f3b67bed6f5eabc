/* skiff-runtime: state, list, ps, events, features, spec. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

static void
print_json (sk_json *o)
{
  _cleanup_free_ char *s = sk_json_dump (o, true);
  printf ("%s\n", s);
}

int
cmd_state (rt_cli *cli, int argc, char **argv)
{
  optind = 1;
  if (argc > 1 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)) {
    cli_print_help ("Usage: skiff-runtime state <container-id>\nPrints the OCI state of a container.\n");
    return 0;
  }
  const char *id = cli_one_id ("state", argc, argv);
  if (id == NULL)
    return 1;
  sk_err *err = NULL;
  sk_container_info *info = NULL;
  if (sk_container_state (&cli->rt, id, &info, &err) < 0)
    return cli_fail (err);
  _cleanup_json_ sk_json *o = sk_container_state_json (info);
  print_json (o);
  sk_container_info_free (info);
  return 0;
}

int
cmd_list (rt_cli *cli, int argc, char **argv)
{
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"help", no_argument, NULL, 'h'},
                                       {0}};
  const char *format = "table";
  bool quiet = false;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+f:qh", opts, NULL)) != -1) {
    switch (c) {
    case 'f': format = optarg; break;
    case 'q': quiet = true; break;
    case 'h':
      cli_print_help ("Usage: skiff-runtime list [--format table|json] [--quiet]\n"
                      "Lists the containers under the state root.\n");
      return 0;
    default: return cli_usage_error ("list", "unknown option");
    }
  }
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return cli_usage_error ("list", "--format must be table or json, not `%s`", format);
  if (optind < argc)
    return cli_usage_error ("list", "no arguments expected");
  sk_container_info **list = NULL;
  size_t n = 0;
  sk_err *err = NULL;
  if (sk_container_list (&cli->rt, &list, &n, &err) < 0)
    return cli_fail (err);
  if (quiet) {
    for (size_t i = 0; i < n; i++)
      printf ("%s\n", list[i]->id);
  } else if (strcmp (format, "json") == 0) {
    _cleanup_json_ sk_json *a = json_object_new_array ();
    for (size_t i = 0; i < n; i++)
      json_object_array_add (a, sk_container_state_json (list[i]));
    _cleanup_free_ char *s = sk_json_dump (a, false);
    printf ("%s\n", s);
  } else {
    int w = 12;
    for (size_t i = 0; i < n; i++)
      if ((int) strlen (list[i]->id) + 2 > w)
        w = (int) strlen (list[i]->id) + 2;
    printf ("%-*s%-10s%-10s%-40s%-32s%s\n", w, "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
    for (size_t i = 0; i < n; i++) {
      sk_container_info *it = list[i];
      bool alive = it->status != SK_STATUS_STOPPED;
      printf ("%-*s%-10d%-10s%-40s%-32s%s\n", w, it->id, alive ? it->pid : 0,
              sk_status_name (it->status), it->bundle ? it->bundle : "",
              it->created ? it->created : "", it->owner && *it->owner ? it->owner : "root");
    }
  }
  for (size_t i = 0; i < n; i++)
    sk_container_info_free (list[i]);
  free (list);
  return 0;
}

/* Like runc: `ps` of the host, with the rows of the container's processes. */
static int
ps_table (const pid_t *pids, size_t n, int argc, char **argv)
{
  char *args[64] = {(char *) "ps"};
  int k = 1;
  if (argc == 0)
    args[k++] = (char *) "-ef";
  for (int i = 0; i < argc && k < 63; i++)
    args[k++] = argv[i];
  args[k] = NULL;
  int fds[2];
  if (pipe (fds) < 0)
    return -1;
  pid_t child = fork ();
  if (child == 0) {
    dup2 (fds[1], 1);
    close (fds[0]);
    close (fds[1]);
    execvp ("ps", args);
    _exit (127);
  }
  close (fds[1]);
  _cleanup_fclose_ FILE *f = fdopen (fds[0], "r");
  char line[4096];
  int pid_col = -1;
  while (f && fgets (line, sizeof line, f)) {
    if (pid_col < 0) {
      /* find the PID column in the header */
      char copy[4096];
      snprintf (copy, sizeof copy, "%s", line);
      int col = 0;
      char *save = NULL;
      for (char *t = strtok_r (copy, " \t\n", &save); t; t = strtok_r (NULL, " \t\n", &save), col++)
        if (strcmp (t, "PID") == 0)
          pid_col = col;
      fputs (line, stdout);
      if (pid_col < 0)
        pid_col = 1;
      continue;
    }
    char copy[4096];
    snprintf (copy, sizeof copy, "%s", line);
    char *save = NULL, *t = strtok_r (copy, " \t\n", &save);
    for (int col = 0; t && col < pid_col; col++)
      t = strtok_r (NULL, " \t\n", &save);
    long pid = t ? strtol (t, NULL, 10) : -1;
    for (size_t i = 0; i < n; i++)
      if (pids[i] == pid) {
        fputs (line, stdout);
        break;
      }
  }
  int status;
  waitpid (child, &status, 0);
  return 0;
}

int
cmd_ps (rt_cli *cli, int argc, char **argv)
{
  static const struct option opts[] = {
      {"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {0}};
  const char *format = "table";
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+f:h", opts, NULL)) != -1) {
    if (c == 'f')
      format = optarg;
    else if (c == 'h') {
      cli_print_help ("Usage: skiff-runtime ps [--format table|json] <container-id> [ps options]\n"
                      "Lists the processes of a container.\n");
      return 0;
    } else
      return cli_usage_error ("ps", "unknown option");
  }
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return cli_usage_error ("ps", "--format must be table or json, not `%s`", format);
  if (optind >= argc)
    return cli_usage_error ("ps", "a container id is required");
  const char *id = argv[optind];
  pid_t *pids = NULL;
  size_t n = 0;
  sk_err *err = NULL;
  if (sk_container_pids (&cli->rt, id, &pids, &n, &err) < 0)
    return cli_fail (err);
  if (strcmp (format, "json") == 0) {
    printf ("[");
    for (size_t i = 0; i < n; i++)
      printf ("%s%d", i ? "," : "", pids[i]);
    printf ("]\n");
  } else {
    fflush (stdout);
    ps_table (pids, n, argc - optind - 1, argv + optind + 1);
  }
  free (pids);
  return 0;
}

int
cmd_features (rt_cli *cli, int argc, char **argv)
{
  (void) cli;
  if (argc > 1 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)) {
    cli_print_help ("Usage: skiff-runtime features\nPrints what this runtime supports (JSON).\n");
    return 0;
  }
  if (argc > 1)
    return cli_usage_error ("features", "no arguments expected");
  _cleanup_json_ sk_json *f = sk_runtime_features ();
  print_json (f);
  return 0;
}

int
cmd_spec (rt_cli *cli, int argc, char **argv)
{
  (void) cli;
  static const struct option opts[] = {{"bundle", required_argument, NULL, 'b'},
                                       {"rootless", no_argument, NULL, 'r'},
                                       {"help", no_argument, NULL, 'h'},
                                       {0}};
  const char *bundle = ".";
  bool rootless = false;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+b:h", opts, NULL)) != -1) {
    switch (c) {
    case 'b': bundle = optarg; break;
    case 'r': rootless = true; break;
    case 'h':
      cli_print_help ("Usage: skiff-runtime spec [--bundle DIR] [--rootless]\n"
                      "Writes a default config.json into the bundle.\n");
      return 0;
    default: return cli_usage_error ("spec", "unknown option");
    }
  }
  if (optind < argc)
    return cli_usage_error ("spec", "no arguments expected");
  _cleanup_free_ char *path = sk_path_join (bundle, "config.json");
  _cleanup_free_ char *doc = sk_runtime_default_spec (rootless);
  sk_err *err = NULL;
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST)
      sk_err_set (&err, 0, "`%s` already exists: remove it first", path);
    else
      sk_err_set (&err, errno, "create `%s`", path);
    return cli_fail (err);
  }
  size_t len = strlen (doc);
  bool ok = write (fd, doc, len) == (ssize_t) len && write (fd, "\n", 1) == 1;
  close (fd);
  if (!ok) {
    sk_err_set (&err, errno, "write `%s`", path);
    unlink (path);
    return cli_fail (err);
  }
  return 0;
}
