/* skiff: the user's command, docker's verbs and flags. It needs no daemon:
 * the engine runs in this process. This file only reads the global options
 * and hands the rest to one command of src/cli. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/cli.h"
#include "skiff-config.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/selfexe.h"

static const struct {
  const char *name;
  sk_cli_fn fn;
  const char *what;
} commands[] = {
    {"attach", cmd_attach, "Attach local standard input, output, and error streams to a running container"},
    {"commit", cmd_commit, "Create a new image from a container's changes"},
    {"container", cmd_container, "Manage containers"},
    {"cp", cmd_cp, "Copy files/folders between a container and the local filesystem"},
    {"create", cmd_create, "Create a new container"},
    {"diff", cmd_diff, "Inspect changes to files or directories on a container's filesystem"},
    {"exec", cmd_exec, "Execute a command in a running container"},
    {"image", cmd_image, "Manage images"},
    {"network", cmd_network, "Manage networks"},
    {"events", cmd_events, "Get real time events from the engine"},
    {"images", cmd_images, "List images"},
    {"import", cmd_import, "Import the contents from a tarball to create a filesystem image"},
    {"inspect", cmd_inspect, "Return low-level information on containers or images"},
    {"kill", cmd_kill, "Kill one or more running containers"},
    {"export", cmd_export, "Export a container's filesystem as a tar archive"},
    {"history", cmd_history, "Show the history of an image"},
    {"load", cmd_load, "Load an image from a tar archive or STDIN"},
    {"login", cmd_login, "Log in to a registry"},
    {"logout", cmd_logout, "Log out from a registry"},
    {"logs", cmd_logs, "Fetch the logs of a container"},
    {"port", cmd_port, "List port mappings or a specific mapping for the container"},
    {"ps", cmd_ps, "List containers"},
    {"pause", cmd_pause, "Pause all processes within one or more containers"},
    {"pull", cmd_pull, "Download an image from a registry"},
    {"push", cmd_push, "Upload an image to a registry"},
    {"rename", cmd_rename, "Rename a container"},
    {"restart", cmd_restart, "Restart one or more containers"},
    {"rm", cmd_rm, "Remove one or more containers"},
    {"rmi", cmd_rmi, "Remove one or more images"},
    {"run", cmd_run, "Create and run a new container from an image"},
    {"save", cmd_save, "Save one or more images to a tar archive"},
    {"start", cmd_start, "Start one or more stopped containers"},
    {"stats", cmd_stats, "Display a live stream of container(s) resource usage statistics"},
    {"stop", cmd_stop, "Stop one or more running containers"},
    {"tag", cmd_tag, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"},
    {"top", cmd_top, "Display the running processes of a container"},
    {"unpause", cmd_unpause, "Unpause all processes within one or more containers"},
    {"volume", cmd_volume, "Manage volumes"},
    {"update", cmd_update, "Update configuration of one or more containers"},
    {"wait", cmd_wait, "Block until one or more containers stop, then print their exit codes"},
};

static void
usage (FILE *out)
{
  fprintf (out, "Usage:  skiff [OPTIONS] COMMAND\n\n"
                "A container engine, with no daemon needed\n\n"
                "Options:\n"
                "      --data-root string       Where images and containers are kept (default "
                "\"" SK_DEFAULT_DATA_ROOT "\")\n"
                "      --exec-root string       Where running containers' state is kept (default "
                "\"" SK_DEFAULT_EXEC_ROOT "\")\n"
                "  -s, --storage-driver string  overlay or vfs (default: the one the data root has, "
                "else overlay where it works)\n"
                "      --config string          The client's configuration and credentials "
                "(default \"~/.skiff\")\n"
                "      --certs-dir string       CA and client certificates per registry (default "
                "\"/etc/skiff/certs.d\")\n"
                "      --insecure-registry list Registries spoken to over plain HTTP\n"
                "      --registry-mirror list   Mirrors tried first for docker.io\n"
                "      --daemon-config string   Settings, with Docker's keys (default "
                "\"/etc/skiff/daemon.json\")\n"
                "  -v, --version                Print version information and quit\n\n"
                "Commands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf (out, "  %-9s %s\n", commands[i].name, commands[i].what);
  fprintf (out, "\nRun 'skiff COMMAND --help' for more information on a command.\n");
}

/* /etc/skiff/daemon.json: settings with Docker's key names, below the
 * environment and the command line. The strings stay in *keep. */
static const char *
setting_string (sk_json *doc, const char *key, const char *path, sk_err **err)
{
  sk_json *v = NULL;
  if (!json_object_object_get_ex (doc, key, &v) || v == NULL)
    return NULL;
  if (!json_object_is_type (v, json_type_string)) {
    sk_err_set (err, 0, "%s: %s: expected a string", path, key);
    return NULL;
  }
  return json_object_get_string (v);
}

static int
setting_list (sk_json *doc, const char *key, const char *path, const char **out, size_t *n,
              size_t max, sk_err **err)
{
  sk_json *v = NULL;
  if (!json_object_object_get_ex (doc, key, &v) || v == NULL)
    return 0;
  if (!json_object_is_type (v, json_type_array))
    return sk_err_set (err, 0, "%s: %s: expected an array of strings", path, key);
  for (size_t i = 0; i < json_object_array_length (v); i++) {
    sk_json *e = json_object_array_get_idx (v, i);
    if (!json_object_is_type (e, json_type_string))
      return sk_err_set (err, 0, "%s: %s[%zu]: expected a string", path, key, i);
    if (*n >= max)
      return sk_err_set (err, 0, "%s: %s: more than %zu entries", path, key, max);
    out[(*n)++] = json_object_get_string (e);
  }
  return 0;
}

/* Docker's keys for the default bridge and the pools of network create. */
static int
net_settings (sk_json *doc, const char *path, sk_cli *cli, sk_err **err)
{
  const char *bip = setting_string (doc, "bip", path, err);
  const char *bridge = *err ? NULL : setting_string (doc, "bridge", path, err);
  const char *table = *err ? NULL : setting_string (doc, "firewall-table", path, err);
  if (*err)
    return -1;
  cli->net.firewall_table = table;
  size_t n_dns = 0;
  if (setting_list (doc, "dns", path, cli->dns, &n_dns, SK_N_ELEMENTS (cli->dns), err) < 0)
    return -1;
  for (size_t i = 0; i < n_dns; i++) {
    sk_cidr c;
    if (sk_addr_parse (cli->dns[i], "dns", &c, err) < 0)
      return sk_err_wrap (err, "%s", path);
  }
  cli->net.dns = cli->dns;
  cli->net.n_dns = n_dns;
  sk_cidr c;
  if (bip && sk_cidr_parse (bip, false, "bip", &c, err) < 0)
    return sk_err_wrap (err, "%s", path);
  cli->net.bip = bip;
  cli->net.bridge = bridge;
  sk_json *pools = NULL;
  if (!json_object_object_get_ex (doc, "default-address-pools", &pools) || pools == NULL)
    return 0;
  size_t n = json_object_is_type (pools, json_type_array) ? json_object_array_length (pools) : 0;
  if (!json_object_is_type (pools, json_type_array) || n > SK_N_ELEMENTS (cli->pools))
    return sk_err_set (err, 0, "%s: default-address-pools: expected an array of at most %zu {\"base\", \"size\"}",
                       path, SK_N_ELEMENTS (cli->pools));
  for (size_t i = 0; i < n; i++) {
    sk_json *p = json_object_array_get_idx (pools, i), *base = NULL, *size = NULL;
    if (!json_object_is_type (p, json_type_object) ||
        !json_object_object_get_ex (p, "base", &base) || !json_object_is_type (base, json_type_string) ||
        !json_object_object_get_ex (p, "size", &size) || !json_object_is_type (size, json_type_int))
      return sk_err_set (err, 0, "%s: default-address-pools: expected {\"base\": CIDR, \"size\": N}", path);
    sk_net_pool *pool = &cli->pools[i];
    if (sk_cidr_parse (json_object_get_string (base), true, "default-address-pools base", &pool->base, err) < 0)
      return sk_err_wrap (err, "%s", path);
    int64_t sz = json_object_get_int64 (size);
    if (pool->base.family != AF_INET || sz < pool->base.prefix || sz > 30)
      return sk_err_set (err, 0, "%s: default-address-pools: size %lld does not fit base %s", path,
                         (long long) sz, json_object_get_string (base));
    pool->size = (unsigned) sz;
  }
  cli->net.pools = cli->pools;
  cli->net.n_pools = n;
  return 0;
}

static int
read_daemon_json (const char *path, bool required, sk_cli *cli, const char **insecure,
                  size_t *n_insecure, const char **mirrors, size_t *n_mirrors, size_t max,
                  sk_json **keep, sk_err **err)
{
  if (!required && access (path, F_OK) < 0)
    return 0;
  if (sk_json_parse_file (path, "daemon.json", keep, err) < 0)
    return -1;
  if (!json_object_is_type (*keep, json_type_object))
    return sk_err_set (err, 0, "%s: expected a JSON object", path);
  /* what skiff reads, and Docker's keys it will read (accepted, unused) */
  static const char *const known[] = {"data-root", "storage-driver", "insecure-registries",
                                      "registry-mirrors", "bip", "bridge", "default-address-pools", "firewall-table",
                                      "log-driver", "log-opts", "dns", "debug", "exec-root", "cgroup-parent", NULL};
  json_object_object_foreach (*keep, key, val)
  {
    (void) val;
    bool ok = false;
    for (const char *const *k = known; *k && !ok; k++)
      ok = strcmp (*k, key) == 0;
    if (!ok)
      return sk_err_set (err, 0, "%s: unknown setting `%s`", path, key);
  }
  const char *root = setting_string (*keep, "data-root", path, err);
  const char *driver = root || !err || !*err ? setting_string (*keep, "storage-driver", path, err) : NULL;
  if (err && *err)
    return -1;
  if (root)
    cli->data_root = root;
  if (driver)
    cli->storage_driver = driver;
  const char *exec_root = setting_string (*keep, "exec-root", path, err);
  const char *cgroup_parent = *err ? NULL : setting_string (*keep, "cgroup-parent", path, err);
  if (err && *err)
    return -1;
  if (exec_root)
    cli->exec_root = exec_root;
  if (cgroup_parent)
    cli->cgroup_parent = cgroup_parent;
  if (net_settings (*keep, path, cli, err) < 0 ||
      setting_list (*keep, "insecure-registries", path, insecure, n_insecure, max, err) < 0 ||
      setting_list (*keep, "registry-mirrors", path, mirrors, n_mirrors, max, err) < 0)
    return -1;
  return 0;
}

int
main (int argc, char **argv)
{
  enum { G_DATA_ROOT = 1000, G_DEBUG, G_CONFIG, G_CERTS, G_INSECURE, G_MIRROR, G_DAEMON, G_EXEC };
  static const struct option opts[] = {{"data-root", required_argument, NULL, G_DATA_ROOT},
                                       {"exec-root", required_argument, NULL, G_EXEC},
                                       {"config", required_argument, NULL, G_CONFIG},
                                       {"certs-dir", required_argument, NULL, G_CERTS},
                                       {"insecure-registry", required_argument, NULL, G_INSECURE},
                                       {"registry-mirror", required_argument, NULL, G_MIRROR},
                                       {"daemon-config", required_argument, NULL, G_DAEMON},
                                       {"storage-driver", required_argument, NULL, 's'},
                                       {"debug", no_argument, NULL, G_DEBUG},
                                       {"version", no_argument, NULL, 'v'},
                                       {"help", no_argument, NULL, 'h'},
                                       {0}};
  sk_cli cli = {.data_root = SK_DEFAULT_DATA_ROOT};
  /* room for the command line's and daemon.json's */
  _cleanup_free_ const char **insecure = calloc ((size_t) argc + 65, sizeof *insecure);
  _cleanup_free_ const char **mirrors = calloc ((size_t) argc + 65, sizeof *mirrors);
  const char *data_root = NULL, *driver = NULL, *daemon_config = NULL, *exec_root = NULL;
  size_t n_insecure = 0, n_mirrors = 0;
  cli.insecure = insecure;
  cli.mirrors = mirrors;
  /* the client's configuration (credentials), as docker's ~/.docker */
  char config_dir[4096];
  const char *home = getenv ("HOME"), *env_config = getenv ("SKIFF_CONFIG");
  snprintf (config_dir, sizeof config_dir, "%s/.skiff", home && *home ? home : "/root");
  cli.config_dir = env_config && *env_config ? env_config : config_dir;
  const char *env_root = getenv ("SKIFF_DATA_ROOT");
  signal (SIGPIPE, SIG_IGN);
  int c;
  while ((c = getopt_long (argc, argv, "+s:vhD", opts, NULL)) != -1) {
    switch (c) {
    case G_DATA_ROOT: data_root = optarg; break;
    case G_EXEC: exec_root = optarg; break;
    case 's': driver = optarg; break;
    case G_DAEMON: daemon_config = optarg; break;
    case G_CONFIG: cli.config_dir = optarg; break;
    case G_CERTS: cli.certs_dir = optarg; break;
    case G_INSECURE: insecure[n_insecure++] = optarg; break;
    case G_MIRROR: mirrors[n_mirrors++] = optarg; break;
    case G_DEBUG: case 'D': break;
    case 'v': printf ("skiff version %s\n", SKIFF_VERSION); return 0;
    case 'h': usage (stdout); return 0;
    default: usage (stderr); return 125;
    }
  }
  if (optind >= argc) {
    usage (stderr);
    return 125;
  }
  /* defaults < daemon.json < the environment < the command line */
  _cleanup_json_ sk_json *settings = NULL;
  sk_err *err = NULL;
  const char *env_daemon = getenv ("SKIFF_DAEMON_CONFIG");
  if (daemon_config == NULL && env_daemon && *env_daemon)
    daemon_config = env_daemon;
  if (read_daemon_json (daemon_config ? daemon_config : "/etc/skiff/daemon.json",
                        daemon_config != NULL, &cli, insecure, &n_insecure, mirrors, &n_mirrors,
                        (size_t) argc + 64, &settings, &err) < 0)
    return sk_cli_fail (err);
  if (env_root && *env_root)
    cli.data_root = env_root;
  if (data_root)
    cli.data_root = data_root;
  if (driver)
    cli.storage_driver = driver;
  const char *env_exec = getenv ("SKIFF_EXEC_ROOT");
  if (env_exec && *env_exec)
    cli.exec_root = env_exec;
  if (exec_root)
    cli.exec_root = exec_root;
  cli.daemon_config = daemon_config;
  const char *name = argv[optind];
  /* exec puts a process of ours into a container: it runs from a binary the
   * container cannot write (CVE-2019-5736); this re-executes */
  bool exec = strcmp (name, "exec") == 0 ||
              (strcmp (name, "container") == 0 && optind + 1 < argc &&
               strcmp (argv[optind + 1], "exec") == 0);
  if (exec && sk_selfexe_protect (argv, environ, &err) < 0)
    return sk_cli_fail (err);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp (commands[i].name, name) == 0) {
      int ret = commands[i].fn (&cli, argc - optind, argv + optind);
      sk_cli_close (&cli);
      return ret;
    }
  fprintf (stderr, "skiff: '%s' is not a skiff command.\nSee 'skiff --help'\n", name);
  return 125;
}
