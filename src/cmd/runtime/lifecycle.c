/* skiff-runtime: create, start, run, kill, delete. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util/proc.h"

static const char create_help[] =
    "Usage: skiff-runtime create [options] <container-id>\n"
    "Creates a container from a bundle; it waits for `start`.\n"
    "  -b, --bundle DIR          the bundle (default: the current directory)\n"
    "      --pid-file FILE       write the container process's pid to FILE\n"
    "      --console-socket SOCK receive the terminal's master over this unix socket\n"
    "      --preserve-fds N      pass N more fds (3 .. 3+N-1) to the container\n"
    "      --no-pivot            use MS_MOVE and chroot instead of pivot_root\n"
    "      --no-new-keyring      keep the session keyring of the caller\n";

static const char run_help[] =
    "Usage: skiff-runtime run [options] <container-id>\n"
    "Creates and starts a container; unless detached, waits for it, deletes it,\n"
    "and exits with its status.\n"
    "  -b, --bundle DIR, --pid-file FILE, --console-socket SOCK, --preserve-fds N,\n"
    "  --no-pivot, --no-new-keyring   as for create\n"
    "  -d, --detach              return once the container runs\n";

enum { OPT_PID_FILE = 1000, OPT_CONSOLE, OPT_PRESERVE, OPT_NO_PIVOT, OPT_NO_KEYRING };

static int
parse_create (const char *cmd, bool run, int argc, char **argv, sk_create_opts *o)
{
  static const struct option opts[] = {
      {"bundle", required_argument, NULL, 'b'},
      {"pid-file", required_argument, NULL, OPT_PID_FILE},
      {"console-socket", required_argument, NULL, OPT_CONSOLE},
      {"preserve-fds", required_argument, NULL, OPT_PRESERVE},
      {"no-pivot", no_argument, NULL, OPT_NO_PIVOT},
      {"no-new-keyring", no_argument, NULL, OPT_NO_KEYRING},
      {"detach", no_argument, NULL, 'd'},
      {"no-subreaper", no_argument, NULL, 'S'},
      {"keep", no_argument, NULL, 'K'},
      {"help", no_argument, NULL, 'h'},
      {0}};
  int c;
  long long n;
  optind = 0;
  while ((c = getopt_long (argc, argv, run ? "+b:dh" : "+b:h", opts, NULL)) != -1) {
    switch (c) {
    case 'b': o->bundle = optarg; break;
    case OPT_PID_FILE: o->pid_file = optarg; break;
    case OPT_CONSOLE: o->console_socket = optarg; break;
    case OPT_PRESERVE:
      if (!cli_parse_int (optarg, &n) || n < 0 || n > 65536)
        return cli_usage_error (cmd, "--preserve-fds `%s` is not a count of fds", optarg);
      o->preserve_fds = (int) n;
      break;
    case OPT_NO_PIVOT: o->no_pivot = true; break;
    case OPT_NO_KEYRING: o->no_new_keyring = true; break;
    case 'd':
      if (!run)
        return cli_usage_error (cmd, "unknown option --detach");
      o->detach = true;
      break;
    case 'S': case 'K': break; /* runc options with nothing to do here */
    case 'h': cli_print_help (run ? run_help : create_help); return 2;
    default: return cli_usage_error (cmd, "unknown option");
    }
  }
  o->id = cli_one_id (cmd, argc, argv);
  return o->id ? 0 : 1;
}

int
cmd_create (rt_cli *cli, int argc, char **argv)
{
  sk_create_opts o = {0};
  int r = parse_create ("create", false, argc, argv, &o);
  if (r)
    return r == 2 ? 0 : r;
  sk_err *err = NULL;
  if (sk_container_create (&cli->rt, &o, &err) < 0)
    return cli_fail (err);
  return 0;
}

int
cmd_run (rt_cli *cli, int argc, char **argv)
{
  sk_create_opts o = {0};
  int r = parse_create ("run", true, argc, argv, &o);
  if (r)
    return r == 2 ? 0 : r;
  sk_err *err = NULL;
  int code = 0;
  if (sk_container_run (&cli->rt, &o, &code, &err) < 0)
    return cli_fail (err);
  return code;
}

int
cmd_start (rt_cli *cli, int argc, char **argv)
{
  static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+h", opts, NULL)) != -1) {
    if (c == 'h') {
      cli_print_help ("Usage: skiff-runtime start <container-id>\nStarts a created container.\n");
      return 0;
    }
    return cli_usage_error ("start", "unknown option");
  }
  const char *id = cli_one_id ("start", argc, argv);
  if (id == NULL)
    return 1;
  sk_err *err = NULL;
  if (sk_container_start (&cli->rt, id, &err) < 0)
    return cli_fail (err);
  return 0;
}

int
cmd_kill (rt_cli *cli, int argc, char **argv)
{
  static const struct option opts[] = {
      {"all", no_argument, NULL, 'a'}, {"help", no_argument, NULL, 'h'}, {0}};
  bool all = false;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+ah", opts, NULL)) != -1) {
    if (c == 'a')
      all = true;
    else if (c == 'h') {
      cli_print_help ("Usage: skiff-runtime kill [--all] <container-id> [signal]\n"
                      "Sends a signal (default SIGTERM; a name or a number) to the container's "
                      "process, or with --all to every process in it.\n");
      return 0;
    } else
      return cli_usage_error ("kill", "unknown option");
  }
  if (optind >= argc || argc - optind > 2)
    return cli_usage_error ("kill", "expected <container-id> [signal]");
  const char *id = argv[optind];
  const char *name = optind + 1 < argc ? argv[optind + 1] : "SIGTERM";
  int sig = sk_signal_parse (name);
  if (sig < 0) {
    sk_err *err = NULL;
    sk_err_set (&err, 0, "unknown signal `%s`", name);
    return cli_fail (err);
  }
  sk_err *err = NULL;
  if (sk_container_kill (&cli->rt, id, sig, all, &err) < 0)
    return cli_fail (err);
  return 0;
}

int
cmd_delete (rt_cli *cli, int argc, char **argv)
{
  static const struct option opts[] = {
      {"force", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {0}};
  bool force = false;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+fh", opts, NULL)) != -1) {
    if (c == 'f')
      force = true;
    else if (c == 'h') {
      cli_print_help ("Usage: skiff-runtime delete [--force] <container-id>...\n"
                      "Deletes stopped (or, with --force, killed) containers.\n");
      return 0;
    } else
      return cli_usage_error ("delete", "unknown option");
  }
  if (optind >= argc)
    return cli_usage_error ("delete", "a container id is required");
  int status = 0;
  for (int i = optind; i < argc; i++) {
    sk_err *err = NULL;
    if (sk_container_delete (&cli->rt, argv[i], force, &err) < 0)
      status = cli_fail (err);
  }
  return status;
}
