/* skiff: `skiff diff` and `skiff commit`: a container's changes, and an
 * image made of them. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util/cleanup.h"

static const char diff_help[] =
    "Usage:  skiff diff CONTAINER\n\n"
    "Inspect changes to files or directories on a container's filesystem\n";

static void
print_change (char kind, const char *path, void *data)
{
  (void) data;
  printf ("%c %s\n", kind, path);
}

int
cmd_diff (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, diff_help))
    return 0;
  if (argc != 2 || argv[1][0] == '-')
    return sk_cli_usage ("diff", "\"diff\" requires exactly 1 argument.");
  sk_err *err = NULL;
  sk_engine *e = NULL;
  _cleanup_free_ char *id = NULL;
  if (sk_cli_engine (cli, &e, &err) < 0 || sk_engine_resolve (e, argv[1], &id, &err) < 0 ||
      sk_engine_changes (e, id, print_change, NULL, &err) < 0)
    return sk_cli_fail (err);
  return 0;
}

static const char commit_help[] =
    "Usage:  skiff commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]\n\n"
    "Create a new image from a container's changes\n\n"
    "Options:\n"
    "  -a, --author string    Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")\n"
    "  -c, --change list      Apply Dockerfile instruction to the created image\n"
    "  -m, --message string   Commit message\n"
    "  -p, --pause            Pause container during commit (default true)\n";

int
cmd_commit (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, commit_help))
    return 0;
  static const struct option opts[] = {{"author", required_argument, NULL, 'a'},
                                       {"change", required_argument, NULL, 'c'},
                                       {"message", required_argument, NULL, 'm'},
                                       {"pause", optional_argument, NULL, 'p'},
                                       {0}};
  _cleanup_free_ const char **changes = calloc (argc + 1, sizeof *changes);
  size_t n_changes = 0;
  sk_engine_commit_opts o = {.pause = true};
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+a:c:m:p", opts, NULL)) != -1) {
    switch (c) {
    case 'a': o.author = optarg; break;
    case 'c': changes[n_changes++] = optarg; break;
    case 'm': o.message = optarg; break;
    case 'p':
      if (optarg && strcmp (optarg, "true") != 0 && strcmp (optarg, "1") != 0 &&
          strcmp (optarg, "false") != 0 && strcmp (optarg, "0") != 0)
        return sk_cli_usage ("commit", "invalid argument \"%s\" for \"-p, --pause\" flag", optarg);
      o.pause = optarg == NULL || strcmp (optarg, "true") == 0 || strcmp (optarg, "1") == 0;
      break;
    default: return sk_cli_usage ("commit", "bad option");
    }
  }
  if (argc - optind < 1 || argc - optind > 2)
    return sk_cli_usage ("commit", "\"commit\" requires at least 1 and at most 2 arguments.");
  o.changes = changes;
  o.reference = argc - optind == 2 ? argv[optind + 1] : NULL;
  sk_err *err = NULL;
  sk_engine *e = NULL;
  _cleanup_free_ char *id = NULL, *image = NULL;
  if (sk_cli_engine (cli, &e, &err) < 0 || sk_engine_resolve (e, argv[optind], &id, &err) < 0 ||
      sk_engine_commit (e, id, &o, &image, &err) < 0)
    return sk_cli_fail (err);
  printf ("%s\n", image);
  return 0;
}
