/* skiff: the container commands: create, run, start, stop, kill, rm, wait,
 * ps; docker's flags, output and exit codes (125: skiff's own error, 126
 * and 127: the command could not be run, else the container's). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "detach-keys.h"
#include "run-flags.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/socket.h"

static int
fail_with (int code, sk_err *err)
{
  sk_cli_fail (err);
  return code;
}

static bool
body_bool (sk_json *body, const char *key)
{
  sk_json *v = NULL;
  return json_object_object_get_ex (body, key, &v) && json_object_get_boolean (v);
}

/* -it needs a terminal to read from (docker's check, before anything is
 * made); -t takes the caller's terminal size as the first one. */
static int
terminal_check (sk_json *body, const sk_run_cli *rc, sk_err **err)
{
  if (!body_bool (body, "Tty"))
    return 0;
  if (!rc->detach && body_bool (body, "AttachStdin") && !isatty (0))
    return sk_err_kind (err, ENOTTY, "the input device is not a TTY");
  struct winsize ws;
  sk_json *hc = NULL;
  if ((ioctl (1, TIOCGWINSZ, &ws) == 0 || ioctl (0, TIOCGWINSZ, &ws) == 0) && ws.ws_row &&
      ws.ws_col && json_object_object_get_ex (body, "HostConfig", &hc) && hc &&
      !json_object_object_get_ex (hc, "ConsoleSize", NULL)) {
    sk_json *size = json_object_new_array ();
    json_object_array_add (size, json_object_new_int (ws.ws_row));
    json_object_array_add (size, json_object_new_int (ws.ws_col));
    json_object_object_add (hc, "ConsoleSize", size);
  }
  return 0;
}

/* Creates the container the flags describe; *id, and the options that are
 * only the CLI's. */
static int
create_from_flags (sk_cli *cli, int argc, char **argv, sk_run_cli *rc, char **id, sk_err **err)
{
  _cleanup_json_ sk_json *body = NULL;
  *rc = (sk_run_cli){.sig_proxy = true};
  int r = sk_run_flags_parse (argc, argv, &body, rc, err);
  if (r != 0)
    return r;
  sk_json *v = NULL;
  const char *image = json_object_object_get_ex (body, "Image", &v) ? json_object_get_string (v) : NULL;
  if (image == NULL)
    return sk_err_set (err, 0, "\"%s\" requires at least 1 argument", argv[0]);
  unsigned char keys[SK_DETACH_KEYS_MAX];
  size_t nkeys;
  if (terminal_check (body, rc, err) < 0 ||
      (rc->detach_keys && sk_cli_detach_keys (rc->detach_keys, keys, &nkeys, err) < 0))
    return -1;
  sk_engine *e = NULL;
  _cleanup_free_ char *image_id = NULL;
  if (sk_cli_engine (cli, &e, err) < 0)
    return -1;
  if (sk_cli_lookup (cli, image, &image_id, err) < 0) {
    if ((*err)->errnum == ENOENT || strstr ((*err)->msg, "No such image"))
      return sk_err_wrap (err, "Unable to find image '%s' locally", image);
    return -1;
  }
  /* docker's --cidfile: refused when it exists, made before the container
   * and removed again when the create fails */
  _cleanup_close_ int cid_fd = -1;
  if (rc->cidfile) {
    if (access (rc->cidfile, F_OK) == 0)
      return sk_err_kind (err, EEXIST,
                          "Container ID file found, make sure the other container "
                          "isn't running or delete %s",
                          rc->cidfile);
    cid_fd = open (rc->cidfile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (cid_fd < 0)
      return sk_err_set (err, errno, "failed to create the container ID file: open %s",
                         rc->cidfile);
  }
  if (sk_engine_create (e, image_id, body, rc->name, id, err) < 0) {
    if (rc->cidfile)
      unlink (rc->cidfile);
    return -1;
  }
  if (cid_fd >= 0 && sk_write_all (cid_fd, *id, strlen (*id)) < 0) {
    sk_err_set (err, errno, "failed to write the container ID to the file %s", rc->cidfile);
    sk_err *ignored = NULL;
    if (sk_engine_remove (e, *id, true, &ignored) < 0)
      sk_err_free (&ignored);
    unlink (rc->cidfile);
    return -1;
  }
  return 0;
}

int
cmd_create (sk_cli *cli, int argc, char **argv)
{
  sk_run_cli rc;
  _cleanup_free_ char *id = NULL;
  sk_err *err = NULL;
  int r = create_from_flags (cli, argc, argv, &rc, &id, &err);
  if (r > 0)
    return 0; /* --help */
  if (r < 0)
    return fail_with (125, err);
  printf ("%s\n", id);
  return 0;
}

/* Removes the container after an attached run with --rm. */
static void
auto_remove (sk_cli *cli, const char *id)
{
  sk_engine *e = NULL;
  sk_err *err = NULL;
  /* as Docker's --rm, with the container's anonymous volumes */
  if (sk_cli_engine (cli, &e, &err) < 0 || sk_engine_remove_volumes (e, id, true, true, &err) < 0) {
    fprintf (stderr, "skiff: %s\n", err->msg);
    sk_err_free (&err);
  }
}

static bool
auto_remove_wanted (sk_cli *cli, const char *id)
{
  sk_engine *e = NULL;
  sk_err *err = NULL;
  _cleanup_ctr_ sk_ctr *c = NULL;
  if (sk_cli_engine (cli, &e, &err) < 0 || sk_engine_get (e, id, &c, &err) < 0) {
    sk_err_free (&err);
    return false;
  }
  return sk_ctr_auto_remove (c);
}

/* An attached run or start: with -i or -t over the shim's attach socket,
 * else following the log. */
static int
attached_output (sk_cli *cli, const char *id, sk_attach_opts *o, int *code, sk_err **err)
{
  bool open_stdin;
  if (sk_cli_container_io (cli, id, &o->tty, &open_stdin, err) < 0)
    return -1;
  if (!o->tty && !open_stdin)
    return sk_cli_follow (cli, id, o->sig_proxy, o->since, code, err);
  o->in = o->in && open_stdin;
  if (o->tty && o->in && !isatty (0))
    return sk_err_kind (err, ENOTTY, "the input device is not a TTY");
  return sk_cli_attach (cli, id, o, code, err);
}

int
cmd_run (sk_cli *cli, int argc, char **argv)
{
  sk_run_cli rc;
  _cleanup_free_ char *id = NULL;
  sk_err *err = NULL;
  int r = create_from_flags (cli, argc, argv, &rc, &id, &err);
  if (r > 0)
    return 0;
  if (r < 0)
    return fail_with (err->errnum == ENOTTY ? 1 : 125, err);
  sk_engine *e = NULL;
  int code = 125;
  bool rm = auto_remove_wanted (cli, id);
  int64_t since = sk_now_ns ();
  if (sk_cli_engine (cli, &e, &err) < 0 ||
      sk_engine_start_attached (e, id, !rc.detach, &code, &err) < 0) {
    /* a full disk: the container was not wholly made (docker's create
     * would have failed), so none of it stays */
    bool full = err && err->errnum == ENOSPC;
    sk_cli_fail (err);
    if (rm || full)
      auto_remove (cli, id);
    return code;
  }
  if (rc.detach) {
    printf ("%s\n", id);
    return 0;
  }
  sk_attach_opts ao = {
    .in = true, .sig_proxy = rc.sig_proxy, .detach_keys = rc.detach_keys, .since = since};
  if (attached_output (cli, id, &ao, &code, &err) < 0)
    return fail_with (125, err);
  if (rm)
    auto_remove (cli, id);
  return code;
}

/* ---- start, stop, kill, rm, wait: one or more containers each ---- */

int
sk_cli_for_each (sk_cli *cli, int argc, char **argv, bool print, sk_cli_each_fn fn, void *data)
{
  sk_engine *e = NULL;
  sk_err *err = NULL;
  if (sk_cli_engine (cli, &e, &err) < 0)
    return sk_cli_fail (err);
  int ret = 0;
  for (int i = 0; i < argc; i++) {
    _cleanup_free_ char *id = NULL;
    if (sk_engine_resolve (e, argv[i], &id, &err) < 0 || fn (cli, e, id, argv[i], data, &err) < 0) {
      fprintf (stderr, "Error response from daemon: %s\n", err->msg);
      sk_err_free (&err);
      ret = 1;
      continue;
    }
    if (print) {
      printf ("%s\n", argv[i]);
      fflush (stdout);
    }
  }
  return ret;
}

typedef struct {
  bool attach, interactive;
  const char *detach_keys;
  int code;
} start_data;

static int
start_one (sk_cli *cli, sk_engine *e, const char *id, const char *as_typed, void *data,
           sk_err **err)
{
  (void) as_typed;
  start_data *d = data;
  int64_t since = sk_now_ns ();
  if (sk_engine_start_attached (e, id, d->attach, &d->code, err) < 0)
    return -1;
  sk_attach_opts o = {
    .in = d->interactive, .sig_proxy = true, .detach_keys = d->detach_keys, .since = since};
  if (d->attach && attached_output (cli, id, &o, &d->code, err) < 0)
    return -1;
  if (d->attach && auto_remove_wanted (cli, id))
    auto_remove (cli, id); /* --rm: the client that waited removes it */
  return 0;
}

static const char start_help[] = "Usage:  skiff start [OPTIONS] CONTAINER [CONTAINER...]\n\n"
                                 "Start one or more stopped containers\n\n"
                                 "Options:\n"
                                 "  -a, --attach                Attach STDOUT/STDERR and forward signals\n"
                                 "      --detach-keys string    Override the key sequence for detaching a "
                                 "container\n"
                                 "  -i, --interactive           Attach container's STDIN\n";

int
cmd_start (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, start_help))
    return 0;
  static const struct option opts[] = {{"attach", no_argument, NULL, 'a'},
                                       {"interactive", no_argument, NULL, 'i'},
                                       {"detach-keys", required_argument, NULL, 'k'},
                                       {0}};
  start_data d = {0};
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+ai", opts, NULL)) != -1) {
    switch (c) {
    case 'a': d.attach = true; break;
    case 'i': d.attach = d.interactive = true; break; /* docker: -i attaches too */
    case 'k': d.detach_keys = optarg; break;
    default: return sk_cli_usage ("start", "bad option");
    }
  }
  if (optind >= argc)
    return sk_cli_usage ("start", "\"start\" requires at least 1 argument.");
  if (d.attach && argc - optind > 1)
    return sk_cli_usage ("start", "you cannot start and attach multiple containers at once");
  int r = sk_cli_for_each (cli, argc - optind, argv + optind, !d.attach, start_one, &d);
  return d.attach && r == 0 ? d.code : r;
}

static int
stop_one (sk_cli *cli, sk_engine *e, const char *id, const char *as_typed, void *data, sk_err **err)
{
  (void) cli, (void) as_typed;
  const sk_cli_stop_opts *o = data;
  return sk_engine_stop_signal (e, id, o->timeout, o->signal, err);
}

static const char stop_help[] = "Usage:  skiff stop [OPTIONS] CONTAINER [CONTAINER...]\n\n"
                                "Stop one or more running containers\n\n"
                                "Options:\n"
                                "  -s, --signal string   Signal to send to the container\n"
                                "  -t, --time int        Seconds to wait before killing the container\n";

int
sk_cli_timeout_cmd (sk_cli *cli, int argc, char **argv, const char *help, sk_cli_each_fn fn)
{
  if (sk_cli_wants_help (argc, argv, help))
    return 0;
  static const struct option opts[] = {
      {"time", required_argument, NULL, 't'}, {"signal", required_argument, NULL, 's'}, {0}};
  sk_cli_stop_opts o = {.timeout = -1};
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+t:s:", opts, NULL)) != -1) {
    char *end;
    if (c == 's') {
      if ((o.signal = sk_signal_parse (optarg)) <= 0) {
        fprintf (stderr, "skiff: invalid signal: %s\n", optarg);
        return 1;
      }
      continue;
    }
    if (c != 't')
      return sk_cli_usage (argv[0], "bad option");
    o.timeout = (int) strtol (optarg, &end, 10);
    if (*end || end == optarg)
      return sk_cli_usage (argv[0], "invalid argument \"%s\" for \"-t, --time\" flag", optarg);
  }
  if (optind >= argc)
    return sk_cli_usage (argv[0], "\"%s\" requires at least 1 argument.", argv[0]);
  return sk_cli_for_each (cli, argc - optind, argv + optind, true, fn, &o);
}

int
cmd_stop (sk_cli *cli, int argc, char **argv)
{
  return sk_cli_timeout_cmd (cli, argc, argv, stop_help, stop_one);
}

static int
kill_one (sk_cli *cli, sk_engine *e, const char *id, const char *as_typed, void *data, sk_err **err)
{
  (void) cli, (void) as_typed;
  return sk_engine_kill (e, id, *(int *) data, false, err);
}

static const char kill_help[] = "Usage:  skiff kill [OPTIONS] CONTAINER [CONTAINER...]\n\n"
                                "Kill one or more running containers\n\n"
                                "Options:\n"
                                "  -s, --signal string   Signal to send to the container (default "
                                "\"KILL\")\n";

int
cmd_kill (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, kill_help))
    return 0;
  static const struct option opts[] = {{"signal", required_argument, NULL, 's'}, {0}};
  int sig = SIGKILL, c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+s:", opts, NULL)) != -1) {
    if (c != 's')
      return sk_cli_usage ("kill", "bad option");
    if ((sig = sk_signal_parse (optarg)) <= 0) {
      fprintf (stderr, "skiff: invalid signal: %s\n", optarg);
      return 1;
    }
  }
  if (optind >= argc)
    return sk_cli_usage ("kill", "\"kill\" requires at least 1 argument.");
  return sk_cli_for_each (cli, argc - optind, argv + optind, true, kill_one, &sig);
}

static int
rm_one (sk_cli *cli, sk_engine *e, const char *id, const char *as_typed, void *data, sk_err **err)
{
  (void) cli, (void) as_typed;
  const bool *flags = data; /* force, volumes */
  return sk_engine_remove_volumes (e, id, flags[0], flags[1], err);
}

static const char rm_help[] = "Usage:  skiff rm [OPTIONS] CONTAINER [CONTAINER...]\n\n"
                              "Remove one or more containers\n\n"
                              "Options:\n"
                              "  -f, --force     Force the removal of a running container (uses "
                              "SIGKILL)\n"
                              "  -v, --volumes   Remove anonymous volumes associated with the "
                              "container\n";

int
cmd_rm (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, rm_help))
    return 0;
  static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
                                       {"volumes", no_argument, NULL, 'v'},
                                       {0}};
  bool flags[2] = {false, false}; /* force, volumes */
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+fv", opts, NULL)) != -1) {
    if (c == 'f' || c == 'v')
      flags[c == 'v'] = true;
    else
      return sk_cli_usage ("rm", "bad option");
  }
  if (optind >= argc)
    return sk_cli_usage ("rm", "\"rm\" requires at least 1 argument.");
  return sk_cli_for_each (cli, argc - optind, argv + optind, true, rm_one, flags);
}

static int
wait_one (sk_cli *cli, sk_engine *e, const char *id, const char *as_typed, void *data,
          sk_err **err)
{
  (void) cli, (void) as_typed, (void) data;
  int code;
  if (sk_engine_wait (e, id, &code, err) < 0)
    return -1;
  printf ("%d\n", code);
  fflush (stdout);
  return 0;
}

int
cmd_wait (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv,
                         "Usage:  skiff wait CONTAINER [CONTAINER...]\n\n"
                         "Block until one or more containers stop, then print their exit codes\n"))
    return 0;
  if (argc < 2)
    return sk_cli_usage ("wait", "\"wait\" requires at least 1 argument.");
  return sk_cli_for_each (cli, argc - 1, argv + 1, false, wait_one, NULL);
}

int
cmd_container (sk_cli *cli, int argc, char **argv)
{
  static const struct {
    const char *name;
    sk_cli_fn fn;
  } subs[] = {{"attach", cmd_attach},
              {"ls", cmd_ps},
              {"list", cmd_ps},
              {"ps", cmd_ps},
              {"create", cmd_create},
              {"run", cmd_run},
              {"start", cmd_start},
              {"stop", cmd_stop},
              {"kill", cmd_kill},
              {"rm", cmd_rm},
              {"remove", cmd_rm},
              {"wait", cmd_wait},
              {"logs", cmd_logs},
              {"inspect", cmd_container_inspect},
              {"pause", cmd_pause},
              {"unpause", cmd_unpause},
              {"rename", cmd_rename},
              {"restart", cmd_restart},
              {"top", cmd_top},
              {"stats", cmd_stats},
              {"prune", cmd_container_prune},
              {"exec", cmd_exec},
              {"update", cmd_update},
              {"port", cmd_port},
              {"cp", cmd_cp},
              {"export", cmd_export},
              {"diff", cmd_diff},
              {"commit", cmd_commit}};
  if (argc < 2 || strcmp (argv[1], "--help") == 0) {
    printf ("Usage:  skiff container COMMAND\n\nManage containers\n\nCommands:\n"
            "  attach      Attach local standard input, output, and error streams to a running container\n"
            "  commit      Create a new image from a container's changes\n"
            "  cp          Copy files/folders between a container and the local filesystem\n"
            "  create      Create a new container\n"
            "  diff        Inspect changes to files or directories on a container's filesystem\n"
            "  exec        Execute a command in a running container\n"
            "  export      Export a container's filesystem as a tar archive\n"
            "  inspect     Display detailed information on one or more containers\n"
            "  kill        Kill one or more running containers\n"
            "  logs        Fetch the logs of a container\n"
            "  ls          List containers\n"
            "  pause       Pause all processes within one or more containers\n"
            "  port        List port mappings or a specific mapping for the container\n"
            "  prune       Remove all stopped containers\n"
            "  rename      Rename a container\n"
            "  restart     Restart one or more containers\n"
            "  rm          Remove one or more containers\n"
            "  run         Create and run a new container from an image\n"
            "  start       Start one or more stopped containers\n"
            "  stop        Stop one or more running containers\n"
            "  top         Display the running processes of a container\n"
            "  unpause     Unpause all processes within one or more containers\n"
            "  update      Update configuration of one or more containers\n"
            "  wait        Block until one or more containers stop, then print their exit codes\n");
    return argc < 2 ? 125 : 0;
  }
  for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
    if (strcmp (subs[i].name, argv[1]) == 0)
      return subs[i].fn (cli, argc - 1, argv + 1);
  fprintf (stderr, "skiff: 'container %s' is not a skiff command (see `skiff container --help`)\n",
           argv[1]);
  return 125;
}
