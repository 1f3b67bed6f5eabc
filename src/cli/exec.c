/* skiff exec: docker's flags, messages and exit codes (125: a misused
 * command; 1: the container cannot take it; 126 and 127: the command could
 * not be run; else the command's own). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "run-values.h"
#include "util/cleanup.h"

static const char exec_help[] =
    "Usage:  skiff exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\n"
    "Execute a command in a running container\n\n"
    "Options:\n"
    "  -d, --detach               Detached mode: run command in the background\n"
    "      --detach-keys string   Override the key sequence for detaching a container\n"
    "  -e, --env list             Set environment variables\n"
    "      --env-file list        Read in a file of environment variables\n"
    "  -i, --interactive          Keep STDIN open even if not attached\n"
    "      --privileged           Give extended privileges to the command\n"
    "  -t, --tty                  Allocate a pseudo-TTY\n"
    "  -u, --user string          Username or UID (format: \"<name|uid>[:<group|gid>]\")\n"
    "  -w, --workdir string       Working directory inside the container\n";

/* -e as docker reads it: NAME=VALUE, or NAME with the value of ours (NAME
 * alone, which unsets it, when we have none). */
static int
env_flag (sk_json *env, const char *v)
{
  const char *eq = strchr (v, '=');
  if (v[0] == '\0' || eq == v)
    return sk_cli_usage ("exec", "invalid argument \"%s\" for \"-e, --env\" flag: "
                                 "invalid environment variable: %s", v, v);
  const char *ours = eq ? NULL : getenv (v);
  _cleanup_free_ char *kv = NULL;
  if (ours && asprintf (&kv, "%s=%s", v, ours) < 0)
    return sk_cli_usage ("exec", "out of memory");
  json_object_array_add (env, json_object_new_string (kv ? kv : v));
  return 0;
}

/* The --env-file lines first, then -e, as docker merges them: a
 * NULL-terminated array of strings owned by env_json. */
static int
env_list (sk_json *files, sk_json *flags, sk_json *env_json, char ***out, sk_err **err)
{
  for (size_t i = 0; i < json_object_array_length (files); i++)
    if (sk_rv_kv_file (json_object_get_string (json_object_array_get_idx (files, i)), true,
                       env_json, err) < 0)
      return -1;
  for (size_t i = 0; i < json_object_array_length (flags); i++)
    json_object_array_add (env_json, json_object_get (json_object_array_get_idx (flags, i)));
  size_t n = json_object_array_length (env_json);
  char **v = calloc (n + 1, sizeof *v);
  if (v == NULL)
    return sk_err_set (err, 0, "out of memory");
  for (size_t i = 0; i < n; i++)
    v[i] = (char *) json_object_get_string (json_object_array_get_idx (env_json, i));
  *out = v;
  return 0;
}

enum { X_ENV_FILE = 1000, X_PRIVILEGED, X_DETACH_KEYS };

static int
parse_flags (int argc, char **argv, sk_engine_exec_opts *o, sk_json *env, sk_json *files)
{
  static const struct option opts[] = {{"detach", no_argument, NULL, 'd'},
                                       {"detach-keys", required_argument, NULL, X_DETACH_KEYS},
                                       {"env", required_argument, NULL, 'e'},
                                       {"env-file", required_argument, NULL, X_ENV_FILE},
                                       {"interactive", no_argument, NULL, 'i'},
                                       {"privileged", no_argument, NULL, X_PRIVILEGED},
                                       {"tty", no_argument, NULL, 't'},
                                       {"user", required_argument, NULL, 'u'},
                                       {"workdir", required_argument, NULL, 'w'},
                                       {0}};
  int c;
  optind = 0;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+de:itu:w:", opts, NULL)) != -1) {
    switch (c) {
    case 'd': o->detach = true; break;
    case 'i': o->interactive = true; break;
    case 't': o->tty = true; break;
    case 'u': o->user = optarg; break;
    case 'w': o->workdir = optarg; break;
    case X_PRIVILEGED: o->privileged = true; break;
    case X_DETACH_KEYS: break; /* accepted: there is no attach to detach from yet */
    case X_ENV_FILE: json_object_array_add (files, json_object_new_string (optarg)); break;
    case 'e':
      if (env_flag (env, optarg) != 0)
        return -1;
      break;
    default:
      return sk_cli_usage ("exec", "unknown flag: %s", argv[optind - 1]), -1;
    }
  }
  if (argc - optind < 2)
    return sk_cli_usage ("exec", "\"exec\" requires at least 2 arguments."), -1;
  return 0;
}

/* The size of our terminal (stdin's, else stdout's) for the container's. */
static void
terminal_size (sk_engine_exec_opts *o)
{
  struct winsize ws;
  if (ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ioctl (STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
    o->rows = ws.ws_row;
    o->cols = ws.ws_col;
  }
}

int
cmd_exec (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, exec_help))
    return 0;
  sk_engine_exec_opts o = {0};
  _cleanup_json_ sk_json *env = json_object_new_array ();
  _cleanup_json_ sk_json *files = json_object_new_array ();
  _cleanup_json_ sk_json *env_json = json_object_new_array ();
  if (parse_flags (argc, argv, &o, env, files) < 0)
    return 125;
  if (o.tty && o.interactive && !isatty (STDIN_FILENO)) {
    fprintf (stderr, "the input device is not a TTY\n");
    return 1;
  }
  if (o.tty)
    terminal_size (&o);
  o.args = argv + optind + 1;
  sk_err *err = NULL;
  _cleanup_free_ char **env_v = NULL;
  _cleanup_free_ char *id = NULL;
  sk_engine *e = NULL;
  if (env_list (files, env, env_json, &env_v, &err) < 0 || sk_cli_engine (cli, &e, &err) < 0 ||
      sk_engine_resolve (e, argv[optind], &id, &err) < 0)
    return sk_cli_fail (err);
  o.env = env_v;
  int code = 0;
  if (sk_engine_exec (e, id, &o, &code, &err) < 0) {
    sk_cli_fail (err);
    return code;
  }
  return code;
}
