/* skiff: load and save, docker's image tarballs (src/image/archive.c does
 * the work). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "oci/reference.h"
#include "util/cleanup.h"

/* ---- load ---- */

static const char load_help[] = "Usage:  skiff load [OPTIONS]\n\n"
                                "Load an image from a tar archive or STDIN\n\n"
                                "Options:\n"
                                "  -i, --input string   Read from tar archive file, instead of STDIN\n"
                                "  -q, --quiet          Suppress the load output\n";

static void
print_loaded (const char *name, bool is_id, void *data)
{
  if (*(bool *) data)
    return;
  if (is_id) {
    printf ("Loaded image ID: %s\n", name);
  } else {
    _cleanup_free_ char *f = sk_image_name_familiar (name);
    printf ("Loaded image: %s\n", f);
  }
}

int
cmd_load (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, load_help))
    return 0;
  static const struct option opts[] = {{"input", required_argument, NULL, 'i'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {0}};
  const char *input = NULL;
  bool quiet = false;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "i:q", opts, NULL)) != -1) {
    switch (c) {
    case 'i': input = optarg; break;
    case 'q': quiet = true; break;
    default: return sk_cli_usage ("load", "bad option");
    }
  }
  if (optind < argc)
    return sk_cli_usage ("load", "\"load\" accepts no arguments");
  sk_err *err = NULL;
  if (input == NULL && isatty (0)) {
    sk_err_set (&err, 0, "requested load from stdin, but stdin is empty (use -i FILE or a pipe)");
    return sk_cli_fail (err);
  }
  _cleanup_close_ int fd = input ? open (input, O_RDONLY | O_CLOEXEC) : dup (0);
  if (fd < 0) {
    sk_err_set (&err, errno, "open `%s`", input ? input : "stdin");
    return sk_cli_fail (err);
  }
  sk_image_service *s = NULL;
  if (sk_cli_images (cli, &s, &err) < 0 || sk_image_load (s, fd, print_loaded, &quiet, &err) < 0)
    return sk_cli_fail (err);
  return 0;
}

/* ---- save ---- */

static const char save_help[] =
    "Usage:  skiff save [OPTIONS] IMAGE [IMAGE...]\n\n"
    "Save one or more images to a tar archive (streamed to STDOUT by default)\n\n"
    "Options:\n"
    "  -o, --output string   Write to a file, instead of STDOUT\n"
    "      --format string   docker (manifest.json, the default) or oci (an OCI image layout)\n";

int
cmd_save (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, save_help))
    return 0;
  static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                       {"format", required_argument, NULL, 'F'},
                                       {0}};
  const char *output = NULL, *format = "docker";
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "o:", opts, NULL)) != -1) {
    switch (c) {
    case 'o': output = optarg; break;
    case 'F': format = optarg; break;
    default: return sk_cli_usage ("save", "bad option");
    }
  }
  if (strcmp (format, "docker") != 0 && strcmp (format, "oci") != 0 &&
      strcmp (format, "docker-archive") != 0 && strcmp (format, "oci-archive") != 0)
    return sk_cli_usage ("save", "--format %s: docker or oci", format);
  bool oci = strncmp (format, "oci", 3) == 0;
  if (optind >= argc)
    return sk_cli_usage ("save", "\"save\" requires at least 1 argument");
  sk_err *err = NULL;
  if (output == NULL && isatty (1)) {
    sk_err_set (&err, 0, "cowardly refusing to save to a terminal. Use the -o flag or redirect");
    return sk_cli_fail (err);
  }
  sk_image_service *s = NULL;
  if (sk_cli_images (cli, &s, &err) < 0)
    return sk_cli_fail (err);
  size_t n = (size_t) (argc - optind), n_items = 0;
  _cleanup_free_ sk_save_item *items = calloc (n, sizeof *items);
  char **ids = calloc (n + 1, sizeof *ids);
  char ***names = calloc (n + 1, sizeof *names);
  int ret = 0;
  for (size_t i = 0; ret == 0 && i < n; i++) {
    const char *what = argv[optind + i];
    _cleanup_free_ char *id = NULL;
    if (sk_cli_lookup (cli, what, &id, &err) < 0) {
      ret = sk_cli_fail (err);
      break;
    }
    /* a name that is one of the image's tags goes with it; an id, none */
    _cleanup_free_ char *name = NULL;
    sk_image_ref *ref = NULL;
    sk_err *ignored = NULL;
    if (strncmp (id + 7, what, strlen (what)) != 0 && strcmp (id, what) != 0 &&
        sk_image_ref_parse (what, &ref, &ignored) == 0) {
      name = sk_image_ref_string (ref);
      sk_image_ref_free (ref);
    }
    sk_err_free (&ignored);
    size_t k = 0;
    while (k < n_items && strcmp (ids[k], id) != 0)
      k++;
    if (k == n_items) {
      ids[n_items] = steal_ptr (id);
      names[n_items] = calloc (n + 1, sizeof (char *));
      n_items++;
    }
    if (name) {
      size_t m = 0;
      while (names[k][m])
        m++;
      names[k][m] = steal_ptr (name);
    }
  }
  for (size_t k = 0; k < n_items; k++) {
    items[k].id = ids[k];
    items[k].names = (const char *const *) names[k];
  }
  _cleanup_free_ char *tmp = NULL;
  int fd = 1;
  if (ret == 0 && output) {
    /* a half-written archive never takes the name */
    if (asprintf (&tmp, "%s.tmp-XXXXXX", output) < 0 || (fd = mkostemp (tmp, O_CLOEXEC)) < 0) {
      sk_err_set (&err, errno, "create `%s`", output);
      ret = sk_cli_fail (err);
    } else {
      fchmod (fd, 0644);
    }
  }
  if (ret == 0 && sk_image_save (s, items, n_items, oci, fd, &err) < 0)
    ret = sk_cli_fail (err);
  if (output && fd >= 0 && fd != 1) {
    if (ret == 0 && (fsync (fd) < 0 || rename (tmp, output) < 0)) {
      sk_err_set (&err, errno, "write `%s`", output);
      ret = sk_cli_fail (err);
    }
    close (fd);
    if (ret != 0)
      unlink (tmp);
  }
  for (size_t k = 0; k < n_items; k++) {
    free (ids[k]);
    sk_strv_free (names[k]);
  }
  free (ids);
  free (names);
  return ret;
}

