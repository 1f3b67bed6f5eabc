/* skiff: the user's command, docker's verbs and flags. It needs no daemon:
 * the engine runs in this process. This file only reads the global options
 * and hands the rest to one command of src/cli. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "skiff-config.h"
#include "util/cleanup.h"

static const struct {
  const char *name;
  sk_cli_fn fn;
  const char *what;
} commands[] = {
    {"image", cmd_image, "Manage images"},
    {"images", cmd_images, "List images"},
    {"import", cmd_import, "Import the contents from a tarball to create a filesystem image"},
    {"history", cmd_history, "Show the history of an image"},
    {"load", cmd_load, "Load an image from a tar archive or STDIN"},
    {"login", cmd_login, "Log in to a registry"},
    {"logout", cmd_logout, "Log out from a registry"},
    {"pull", cmd_pull, "Download an image from a registry"},
    {"push", cmd_push, "Upload an image to a registry"},
    {"rmi", cmd_rmi, "Remove one or more images"},
    {"save", cmd_save, "Save one or more images to a tar archive"},
    {"tag", cmd_tag, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"},
};

static void
usage (FILE *out)
{
  fprintf (out, "Usage:  skiff [OPTIONS] COMMAND\n\n"
                "A container engine, with no daemon needed\n\n"
                "Options:\n"
                "      --data-root string       Where images and containers are kept (default "
                "\"" SK_DEFAULT_DATA_ROOT "\")\n"
                "  -s, --storage-driver string  overlay or vfs (default: overlay when the kernel "
                "has it)\n"
                "      --config string          The client's configuration and credentials "
                "(default \"~/.skiff\")\n"
                "      --certs-dir string       CA and client certificates per registry (default "
                "\"/etc/skiff/certs.d\")\n"
                "      --insecure-registry list Registries spoken to over plain HTTP\n"
                "      --registry-mirror list   Mirrors tried first for docker.io\n"
                "  -v, --version                Print version information and quit\n\n"
                "Commands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf (out, "  %-9s %s\n", commands[i].name, commands[i].what);
  fprintf (out, "\nRun 'skiff COMMAND --help' for more information on a command.\n");
}

int
main (int argc, char **argv)
{
  enum { G_DATA_ROOT = 1000, G_DEBUG, G_CONFIG, G_CERTS, G_INSECURE, G_MIRROR };
  static const struct option opts[] = {{"data-root", required_argument, NULL, G_DATA_ROOT},
                                       {"config", required_argument, NULL, G_CONFIG},
                                       {"certs-dir", required_argument, NULL, G_CERTS},
                                       {"insecure-registry", required_argument, NULL, G_INSECURE},
                                       {"registry-mirror", required_argument, NULL, G_MIRROR},
                                       {"storage-driver", required_argument, NULL, 's'},
                                       {"debug", no_argument, NULL, G_DEBUG},
                                       {"version", no_argument, NULL, 'v'},
                                       {"help", no_argument, NULL, 'h'},
                                       {0}};
  sk_cli cli = {.data_root = SK_DEFAULT_DATA_ROOT};
  _cleanup_free_ const char **insecure = calloc ((size_t) argc + 1, sizeof *insecure);
  _cleanup_free_ const char **mirrors = calloc ((size_t) argc + 1, sizeof *mirrors);
  size_t n_insecure = 0, n_mirrors = 0;
  cli.insecure = insecure;
  cli.mirrors = mirrors;
  /* the client's configuration (credentials), as docker's ~/.docker */
  char config_dir[4096];
  const char *home = getenv ("HOME"), *env_config = getenv ("SKIFF_CONFIG");
  snprintf (config_dir, sizeof config_dir, "%s/.skiff", home && *home ? home : "/root");
  cli.config_dir = env_config && *env_config ? env_config : config_dir;
  const char *env_root = getenv ("SKIFF_DATA_ROOT");
  if (env_root && *env_root)
    cli.data_root = env_root;
  signal (SIGPIPE, SIG_IGN);
  int c;
  while ((c = getopt_long (argc, argv, "+s:vhD", opts, NULL)) != -1) {
    switch (c) {
    case G_DATA_ROOT: cli.data_root = optarg; break;
    case 's': cli.storage_driver = optarg; break;
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
  const char *name = argv[optind];
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp (commands[i].name, name) == 0) {
      int ret = commands[i].fn (&cli, argc - optind, argv + optind);
      sk_cli_close (&cli);
      return ret;
    }
  fprintf (stderr, "skiff: '%s' is not a skiff command.\nSee 'skiff --help'\n", name);
  return 125;
}
