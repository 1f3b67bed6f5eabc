/* skiff-runtime exec: the process comes from --process, or from the
 * container's own process section with the command and flags laid over it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

static const char exec_help[] =
    "Usage: skiff-runtime exec [options] <container-id> [command [args...]]\n"
    "Runs another process in a running container.\n"
    "  -p, --process FILE        the whole process (JSON), instead of a command\n"
    "  -t, --tty                 give it a terminal\n"
    "  -d, --detach              return once it runs\n"
    "      --cwd DIR             its working directory\n"
    "  -e, --env NAME=VALUE      add to its environment (repeatable)\n"
    "  -u, --user UID[:GID]      run as this user\n"
    "  -g, --additional-gids GID add a group (repeatable)\n"
    "  -c, --cap CAP             add a capability (repeatable)\n"
    "      --no-new-privs        set no_new_privs\n"
    "      --pid-file FILE, --console-socket SOCK, --preserve-fds N\n";

enum { E_CWD = 1000, E_PID_FILE, E_CONSOLE, E_PRESERVE, E_NNP, E_APPARMOR, E_LABEL, E_IGNORE };

typedef struct exec_flags {
  const char *process_file, *cwd, *user;
  bool tty, nnp;
  const char *env[256];
  int n_env;
  const char *caps[64];
  int n_caps;
  const char *gids[64];
  int n_gids;
} exec_flags;

static void
set_env (sk_json *env, const char *kv)
{
  size_t klen = strcspn (kv, "=");
  size_t n = json_object_array_length (env);
  for (size_t i = 0; i < n; i++) {
    const char *e = json_object_get_string (json_object_array_get_idx (env, i));
    if (strncmp (e, kv, klen) == 0 && e[klen] == '=') {
      json_object_array_put_idx (env, i, json_object_new_string (kv));
      return;
    }
  }
  json_object_array_add (env, json_object_new_string (kv));
}

static sk_json *
ensure (sk_json *obj, const char *key, json_type type)
{
  sk_json *v = NULL;
  if (json_object_object_get_ex (obj, key, &v) && json_object_is_type (v, type))
    return v;
  v = type == json_type_array ? json_object_new_array () : json_object_new_object ();
  json_object_object_add (obj, key, v);
  return v;
}

static int
apply_user (sk_json *proc, const char *spec, sk_err **err)
{
  sk_json *user = ensure (proc, "user", json_type_object);
  char *end;
  unsigned long uid = strtoul (spec, &end, 10);
  if (end == spec || (*end && *end != ':'))
    return sk_err_set (err, 0, "--user `%s` is not UID[:GID]", spec);
  json_object_object_add (user, "uid", json_object_new_int64 ((int64_t) uid));
  if (*end == ':') {
    const char *g = end + 1;
    unsigned long gid = strtoul (g, &end, 10);
    if (end == g || *end)
      return sk_err_set (err, 0, "--user `%s` is not UID[:GID]", spec);
    json_object_object_add (user, "gid", json_object_new_int64 ((int64_t) gid));
  }
  return 0;
}

/* The container's process with the command and the flags laid over it. */
static int
build_process (rt_cli *cli, const char *id, exec_flags *f, int argc, char **argv,
               sk_spec_process **out, sk_err **err)
{
  _cleanup_json_ sk_json *proc = NULL;
  if (f->process_file) {
    _cleanup_free_ char *data = NULL;
    size_t len = 0;
    if (sk_read_file (f->process_file, &data, &len, err) < 0)
      return -1;
    return sk_spec_process_parse (data, len, f->process_file, out, err);
  }
  if (argc == 0)
    return sk_err_set (err, 0, "exec: a command (or --process) is required");
  _cleanup_spec_ sk_spec *spec = NULL;
  if (sk_container_load_spec (&cli->rt, id, &spec, err) < 0)
    return -1;
  _cleanup_json_ sk_json *doc = NULL;
  if (sk_json_parse (spec->raw, spec->raw_len, "config.json", &doc, err) < 0)
    return -1;
  sk_json *p = NULL;
  if (!json_object_object_get_ex (doc, "process", &p))
    return sk_err_set (err, 0, "container `%s` has no process section", id);
  proc = json_object_get (p);
  sk_json *args = json_object_new_array ();
  for (int i = 0; i < argc; i++)
    json_object_array_add (args, json_object_new_string (argv[i]));
  json_object_object_add (proc, "args", args);
  json_object_object_add (proc, "terminal", json_object_new_boolean (f->tty));
  json_object_object_del (proc, "consoleSize");
  if (f->cwd)
    json_object_object_add (proc, "cwd", json_object_new_string (f->cwd));
  sk_json *env = ensure (proc, "env", json_type_array);
  for (int i = 0; i < f->n_env; i++)
    set_env (env, f->env[i]);
  if (f->user && apply_user (proc, f->user, err) < 0)
    return -1;
  if (f->n_gids) {
    sk_json *user = ensure (proc, "user", json_type_object);
    sk_json *gids = ensure (user, "additionalGids", json_type_array);
    for (int i = 0; i < f->n_gids; i++)
      json_object_array_add (gids, json_object_new_int64 (strtoll (f->gids[i], NULL, 10)));
  }
  if (f->n_caps) {
    /* added to bounding, effective and permitted; never to inheritable */
    sk_json *caps = ensure (proc, "capabilities", json_type_object);
    static const char *const sets[] = {"bounding", "effective", "permitted"};
    for (size_t s = 0; s < 3; s++) {
      sk_json *set = ensure (caps, sets[s], json_type_array);
      for (int i = 0; i < f->n_caps; i++)
        json_object_array_add (set, json_object_new_string (f->caps[i]));
    }
  }
  if (f->nnp)
    json_object_object_add (proc, "noNewPrivileges", json_object_new_boolean (1));
  _cleanup_free_ char *text = sk_json_dump (proc, false);
  return sk_spec_process_parse (text, strlen (text), "exec process", out, err);
}

int
cmd_exec (rt_cli *cli, int argc, char **argv)
{
  static const struct option opts[] = {
      {"process", required_argument, NULL, 'p'},   {"tty", no_argument, NULL, 't'},
      {"detach", no_argument, NULL, 'd'},          {"cwd", required_argument, NULL, E_CWD},
      {"env", required_argument, NULL, 'e'},       {"user", required_argument, NULL, 'u'},
      {"additional-gids", required_argument, NULL, 'g'},
      {"cap", required_argument, NULL, 'c'},       {"pid-file", required_argument, NULL, E_PID_FILE},
      {"console-socket", required_argument, NULL, E_CONSOLE},
      {"preserve-fds", required_argument, NULL, E_PRESERVE},
      {"no-new-privs", no_argument, NULL, E_NNP},  {"apparmor", required_argument, NULL, E_APPARMOR},
      {"process-label", required_argument, NULL, E_LABEL},
      {"ignore-paused", no_argument, NULL, E_IGNORE},
      {"help", no_argument, NULL, 'h'},            {0}};
  exec_flags f = {0};
  sk_exec_opts o = {0};
  long long n;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+p:tde:u:g:c:h", opts, NULL)) != -1) {
    switch (c) {
    case 'p': f.process_file = optarg; break;
    case 't': f.tty = true; break;
    case 'd': o.detach = true; break;
    case E_CWD: f.cwd = optarg; break;
    case 'e':
      if (f.n_env < 256)
        f.env[f.n_env++] = optarg;
      break;
    case 'u': f.user = optarg; break;
    case 'g':
      if (f.n_gids < 64)
        f.gids[f.n_gids++] = optarg;
      break;
    case 'c':
      if (f.n_caps < 64)
        f.caps[f.n_caps++] = optarg;
      break;
    case E_PID_FILE: o.pid_file = optarg; break;
    case E_CONSOLE: o.console_socket = optarg; break;
    case E_PRESERVE:
      if (!cli_parse_int (optarg, &n) || n < 0 || n > 65536)
        return cli_usage_error ("exec", "--preserve-fds `%s` is not a count of fds", optarg);
      o.preserve_fds = (int) n;
      break;
    case E_NNP: f.nnp = true; break;
    case E_APPARMOR: case E_LABEL: case E_IGNORE: break;
    case 'h': cli_print_help (exec_help); return 0;
    default: return cli_usage_error ("exec", "unknown option");
    }
  }
  if (optind >= argc)
    return cli_usage_error ("exec", "a container id is required");
  o.id = argv[optind];
  sk_err *err = NULL;
  if (build_process (cli, o.id, &f, argc - optind - 1, argv + optind + 1, &o.process, &err) < 0)
    return cli_fail (err);
  int code = 0;
  int r = sk_container_exec (&cli->rt, &o, &code, &err);
  sk_spec_process_free (o.process);
  if (r < 0)
    return cli_fail (err);
  return code;
}
