/* skiff-runtime: an OCI runtime with runc's command line. This file only
 * reads the global options and hands the rest to one subcommand. */
#include <getopt.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/cli.h"
#include "skiff-config.h"
#include "util/log.h"
#include "util/selfexe.h"

static const struct {
  const char *name;
  rt_command_fn fn;
  const char *what;
} commands[] = {
    {"create", cmd_create, "create a container"},
    {"start", cmd_start, "start a created container"},
    {"run", cmd_run, "create and start a container"},
    {"state", cmd_state, "print the state of a container"},
    {"kill", cmd_kill, "send a signal to a container"},
    {"delete", cmd_delete, "delete a container"},
    {"exec", cmd_exec, "run another process in a container"},
    {"ps", cmd_ps, "list the processes of a container"},
    {"list", cmd_list, "list containers"},
    {"pause", cmd_pause, "freeze a container"},
    {"resume", cmd_resume, "thaw a container"},
    {"update", cmd_update, "change the resource limits of a container"},
    {"events", cmd_events, "print statistics and OOM events"},
    {"spec", cmd_spec, "write a default config.json"},
    {"features", cmd_features, "print what this runtime supports"},
};

static void
usage (FILE *out)
{
  fprintf (out, "Usage: skiff-runtime [global options] COMMAND [options] [args]\n\n"
                "Global options:\n"
                "  --root DIR            state root (default " SK_RUNTIME_DEFAULT_ROOT
                ",\n                        $XDG_RUNTIME_DIR/skiff-runtime for other users)\n"
                "  --log FILE            write log messages to FILE\n"
                "  --log-format FORMAT   text or json\n"
                "  --debug               log debug messages\n"
                "  --systemd-cgroup      use the systemd cgroup driver\n"
                "  -v, --version         print the version\n\nCommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf (out, "  %-10s %s\n", commands[i].name, commands[i].what);
}

static void
version (void)
{
  const struct scmp_version *v = seccomp_version ();
  printf ("skiff-runtime version %s\nspec: %s\nlibseccomp: %u.%u.%u\n", SKIFF_VERSION,
          SK_OCI_VERSION, v->major, v->minor, v->micro);
}

enum { G_ROOT = 1000, G_LOG, G_LOG_FORMAT, G_DEBUG, G_SYSTEMD, G_CRIU, G_ROOTLESS };

int
main (int argc, char **argv)
{
  static const struct option opts[] = {
      {"root", required_argument, NULL, G_ROOT},
      {"log", required_argument, NULL, G_LOG},
      {"log-format", required_argument, NULL, G_LOG_FORMAT},
      {"debug", no_argument, NULL, G_DEBUG},
      {"systemd-cgroup", no_argument, NULL, G_SYSTEMD},
      {"criu", required_argument, NULL, G_CRIU},
      {"rootless", required_argument, NULL, G_ROOTLESS},
      {"version", no_argument, NULL, 'v'},
      {"help", no_argument, NULL, 'h'},
      {0}};
  rt_cli cli = {.rt = {.root = SK_RUNTIME_DEFAULT_ROOT}, .argv0 = argv[0]};
  char user_root[4096];
  if (geteuid () != 0) {
    /* an unprivileged user's containers live in its own runtime directory */
    const char *xdg = getenv ("XDG_RUNTIME_DIR");
    if (xdg && *xdg && access (xdg, W_OK) == 0)
      snprintf (user_root, sizeof user_root, "%s/skiff-runtime", xdg);
    else
      snprintf (user_root, sizeof user_root, "/tmp/skiff-runtime-%u", (unsigned) geteuid ());
    cli.rt.root = user_root;
  }
  const char *log_path = NULL, *log_format = "text";
  bool debug = false;
  int c;
  signal (SIGPIPE, SIG_IGN);
  while ((c = getopt_long (argc, argv, "+vh", opts, NULL)) != -1) {
    switch (c) {
    case G_ROOT: cli.rt.root = optarg; break;
    case G_LOG: log_path = optarg; break;
    case G_LOG_FORMAT: log_format = optarg; break;
    case G_DEBUG: debug = true; break;
    case G_SYSTEMD: cli.rt.systemd_cgroup = true; break;
    case G_CRIU: case G_ROOTLESS: break; /* accepted for runc compatibility */
    case 'v': version (); return 0;
    case 'h': usage (stdout); return 0;
    default: usage (stderr); return 1;
    }
  }
  if (strcmp (log_format, "text") != 0 && strcmp (log_format, "json") != 0) {
    fprintf (stderr, "skiff-runtime: --log-format must be text or json, not `%s`\n", log_format);
    return 1;
  }
  sk_err *err = NULL;
  if (sk_log_open (log_path, strcmp (log_format, "json") == 0,
                   debug ? SK_LOG_DEBUG : SK_LOG_WARNING, &err) < 0)
    return cli_fail (err);
  if (optind >= argc) {
    usage (stderr);
    return 1;
  }
  const char *name = argv[optind];
  /* the commands that put a process of ours into a container run from a
   * binary the container cannot write (CVE-2019-5736): this re-executes */
  if ((strcmp (name, "create") == 0 || strcmp (name, "run") == 0 || strcmp (name, "exec") == 0) &&
      sk_selfexe_protect (argv, environ, &err) < 0)
    return cli_fail (err);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp (commands[i].name, name) == 0)
      return commands[i].fn (&cli, argc - optind, argv + optind);
  fprintf (stderr, "skiff-runtime: unknown command `%s` (see `skiff-runtime --help`)\n", name);
  return 1;
}
