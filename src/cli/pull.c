/* skiff: pull, with docker's output: per-layer progress bars on a terminal,
 * one line per step otherwise, the name alone with -q. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "oci/reference.h"
#include "util/cleanup.h"

static char auth_path[4096];

void
sk_cli_registry_opts (sk_cli *cli, sk_registry_opts *o)
{
  *o = (sk_registry_opts){.certs_dir = cli->certs_dir,
                          .insecure = cli->insecure,
                          .mirrors = cli->mirrors};
  snprintf (auth_path, sizeof auth_path, "%s/config.json", cli->config_dir);
  if (access (auth_path, R_OK) == 0)
    o->auth_file = auth_path;
}

typedef struct {
  bool quiet, tty;
  size_t n;         /* layers */
  char (*ids)[13];  /* their short blob digests */
  bool started;
} pull_view;

static void
layer_line (pull_view *v, size_t i, const char *text)
{
  if (v->quiet || i >= v->n)
    return;
  if (v->tty) {
    /* the layer's own line, counted from the bottom of the list */
    size_t up = v->n - i;
    printf ("\033[%zuA\r\033[2K%s: %s\033[%zuB\r", up, v->ids[i], text, up);
  } else {
    printf ("%s: %s\n", v->ids[i], text);
  }
  fflush (stdout);
}

static void
on_pull (const sk_pull_event *e, void *data)
{
  pull_view *v = data;
  if (e->kind == SK_PULL_RESOLVED) {
    v->n = e->n;
    v->ids = calloc (e->n + 1, sizeof *v->ids);
    return;
  }
  if (v->ids == NULL || e->index >= v->n)
    return;
  if (e->layer_digest && !*v->ids[e->index])
    snprintf (v->ids[e->index], 13, "%s", e->layer_digest + 7);
  if (!v->started) {
    v->started = true;
    if (v->tty && !v->quiet)
      for (size_t i = 0; i < v->n; i++)
        printf ("%s: Waiting\n", *v->ids[i] ? v->ids[i] : "............");
  }
  char text[192], done[32], total[32];
  switch (e->kind) {
  case SK_PULL_LAYER_HAVE: layer_line (v, e->index, "Already exists"); break;
  case SK_PULL_PROGRESS:
    if (!v->tty)
      break; /* plain output: the steps only */
    sk_cli_human_size ((int64_t) e->done, done, sizeof done);
    sk_cli_human_size ((int64_t) e->total, total, sizeof total);
    {
      int width = 50, fill = e->total ? (int) (e->done * width / e->total) : 0;
      char bar[64];
      memset (bar, ' ', width);
      memset (bar, '=', fill);
      if (fill < width)
        bar[fill] = '>';
      bar[width] = '\0';
      snprintf (text, sizeof text, "Downloading [%s]  %s/%s", bar, done, total);
    }
    layer_line (v, e->index, text);
    break;
  case SK_PULL_LAYER_DONE: layer_line (v, e->index, "Download complete"); break;
  case SK_PULL_LAYER_EXTRACTED: layer_line (v, e->index, "Pull complete"); break;
  default: break;
  }
}

static const char pull_help[] =
    "Usage:  skiff pull [OPTIONS] NAME[:TAG|@DIGEST]\n\n"
    "Download an image from a registry\n\n"
    "Options:\n"
    "      --platform string   Set platform if server is multi-platform capable\n"
    "  -q, --quiet             Suppress verbose output\n";

int
cmd_pull (sk_cli *cli, int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0) {
      fputs (pull_help, stdout);
      return 0;
    }
  static const struct option opts[] = {{"platform", required_argument, NULL, 'P'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"all-tags", no_argument, NULL, 'a'},
                                       {"disable-content-trust", no_argument, NULL, 'D'},
                                       {0}};
  const char *platform = NULL;
  pull_view view = {.tty = isatty (1)};
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "qa", opts, NULL)) != -1) {
    switch (c) {
    case 'P': platform = optarg; break;
    case 'q': view.quiet = true; break;
    case 'a': return sk_cli_usage ("pull", "--all-tags is not supported");
    case 'D': break;
    default: return sk_cli_usage ("pull", "bad option");
    }
  }
  if (argc - optind != 1)
    return sk_cli_usage ("pull", "\"pull\" requires exactly 1 argument");
  const char *what = argv[optind];
  sk_err *err = NULL;
  sk_image_ref *ref = NULL;
  if (sk_image_ref_parse (what, &ref, &err) < 0)
    return sk_cli_fail (err);
  _cleanup_free_ char *fam = sk_image_ref_familiar (ref);
  _cleanup_free_ char *full = sk_image_ref_string (ref);
  bool default_tag = strchr (what, '@') == NULL &&
                     !(strrchr (what, ':') && strrchr (what, ':') > strrchr (what, '/') &&
                       (strrchr (what, '/') || strchr (what, ':') == strrchr (what, ':')));
  if (!view.quiet) {
    if (default_tag && ref->digest == NULL)
      printf ("Using default tag: %s\n", ref->tag);
    /* docker names the repository without its registry when it is docker.io */
    const char *repo = strcmp (ref->domain, SK_DEFAULT_DOMAIN) == 0 ? ref->path : NULL;
    printf ("%s: Pulling from %s%s%s\n", ref->digest ? ref->digest : ref->tag, repo ? "" : ref->domain,
            repo ? "" : "/", repo ? repo : ref->path);
    fflush (stdout);
  }
  sk_image_ref_free (ref);
  sk_image_service *s = NULL;
  if (sk_cli_images (cli, &s, &err) < 0)
    return sk_cli_fail (err);
  sk_pull_opts o = {.platform = platform, .progress = on_pull, .data = &view};
  sk_cli_registry_opts (cli, &o.registry);
  _cleanup_free_ char *id = NULL, *digest = NULL;
  bool fresh = false;
  int r = sk_image_pull (s, what, &o, &id, &digest, &fresh, &err);
  free (view.ids);
  if (r < 0)
    return sk_cli_fail (err);
  if (!view.quiet) {
    printf ("Digest: %s\n", digest);
    printf ("Status: %s for %s\n", fresh ? "Downloaded newer image" : "Image is up to date", fam);
  }
  printf ("%s\n", full);
  return 0;
}
