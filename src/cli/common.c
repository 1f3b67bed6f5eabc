/* skiff: what the commands share: the data root, errors, human output. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "oci/reference.h"
#include "skiff-config.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

int
sk_cli_images (sk_cli *cli, sk_image_service **out, sk_err **err)
{
  if (cli->images == NULL &&
      sk_image_service_open (cli->data_root, cli->storage_driver, &cli->images, err) < 0)
    return -1;
  *out = cli->images;
  return 0;
}

int
sk_cli_engine (sk_cli *cli, sk_engine **out, sk_err **err)
{
  sk_image_service *s = NULL;
  if (cli->engine == NULL) {
    /* this program with the options that open this same engine: a --rm
     * container's shim runs it to remove the container */
    char self[4096];
    ssize_t len = readlink ("/proc/self/exe", self, sizeof self - 1);
    const char *argv[12] = {NULL};
    size_t n = 0;
    if (len > 0) {
      self[len] = '\0';
      argv[n++] = self;
      if (cli->daemon_config)
        argv[n++] = "--daemon-config", argv[n++] = cli->daemon_config;
      argv[n++] = "--data-root", argv[n++] = cli->data_root;
      if (cli->exec_root)
        argv[n++] = "--exec-root", argv[n++] = cli->exec_root;
      if (cli->storage_driver)
        argv[n++] = "--storage-driver", argv[n++] = cli->storage_driver;
    }
    sk_engine_opts o = {.exec_root = cli->exec_root,
                        .shim = getenv ("SKIFF_SHIM"),
                        .dns = getenv ("SKIFF_DNS"),
                        .cgroup_parent = cli->cgroup_parent,
                        .net = cli->net,
                        .self_argv = n ? argv : NULL};
    if (sk_cli_images (cli, &s, err) < 0 || sk_engine_open (s, &o, &cli->engine, err) < 0)
      return -1;
  }
  *out = cli->engine;
  return 0;
}

void
sk_cli_close (sk_cli *cli)
{
  sk_engine_free (cli->engine);
  cli->engine = NULL;
  sk_image_service_free (cli->images);
  cli->images = NULL;
}

int
sk_cli_fail (sk_err *err)
{
  fprintf (stderr, "skiff: %s\n", err && err->msg ? err->msg : "failed");
  sk_err_free (&err);
  return 1;
}

int
sk_cli_usage (const char *cmd, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  fprintf (stderr, "skiff %s: ", cmd);
  vfprintf (stderr, fmt, ap);
  fprintf (stderr, " (see `skiff %s --help`)\n", cmd);
  va_end (ap);
  return 125;
}

/* bytes in the largest unit below it, with digits significant digits */
static void
scaled (int64_t bytes, double base, const char *const units[6], int digits, char *buf, size_t size)
{
  double v = (double) bytes;
  size_t u = 0;
  while (v >= base && u + 1 < 6) {
    v /= base;
    u++;
  }
  snprintf (buf, size, "%.*g%s", digits, v, units[u]);
}

void
sk_cli_human_size (int64_t bytes, char *buf, size_t size)
{
  static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  scaled (bytes, 1000.0, units, 3, buf, size);
}

void
sk_cli_human_since (time_t then, time_t now, char *buf, size_t size)
{
  double secs = difftime (now, then);
  if (secs < 0)
    secs = 0;
  long s = (long) secs, minutes = (long) (secs / 60), hours = (long) (secs / 3600 + 0.5);
  if (s < 1)
    snprintf (buf, size, "Less than a second ago");
  else if (s == 1)
    snprintf (buf, size, "1 second ago");
  else if (s < 60)
    snprintf (buf, size, "%ld seconds ago", s);
  else if (minutes == 1)
    snprintf (buf, size, "About a minute ago");
  else if (minutes < 60)
    snprintf (buf, size, "%ld minutes ago", minutes);
  else if (hours == 1)
    snprintf (buf, size, "About an hour ago");
  else if (hours < 48)
    snprintf (buf, size, "%ld hours ago", hours);
  else if (hours < 24 * 7 * 2)
    snprintf (buf, size, "%ld days ago", hours / 24);
  else if (hours < 24 * 30 * 2)
    snprintf (buf, size, "%ld weeks ago", hours / 24 / 7);
  else if (hours < 24 * 365 * 2)
    snprintf (buf, size, "%ld months ago", hours / 24 / 30);
  else
    snprintf (buf, size, "%ld years ago", hours / 24 / 365);
}

void
sk_cli_human_size_binary (int64_t bytes, char *buf, size_t size)
{
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  scaled (bytes, 1024.0, units, 4, buf, size);
}

void
sk_cli_short_id (const char *id, char buf[13])
{
  const char *hex = strncmp (id, "sha256:", 7) == 0 ? id + 7 : id;
  snprintf (buf, 13, "%.12s", hex);
}

int
sk_cli_lookup (sk_cli *cli, const char *what, char **id, sk_err **err)
{
  sk_image_service *s = NULL;
  if (sk_cli_images (cli, &s, err) < 0)
    return -1;
  sk_err *miss = NULL;
  if (sk_image_lookup (s, what, id, &miss) == 0)
    return 0;
  /* busybox:latest, missing: the bundled one */
  sk_image_ref *ref = NULL;
  sk_err *ignored = NULL;
  bool busybox = sk_image_ref_parse (what, &ref, &ignored) == 0 && ref->tag &&
                 strcmp (ref->domain, SK_DEFAULT_DOMAIN) == 0 &&
                 strcmp (ref->path, "library/busybox") == 0 && strcmp (ref->tag, "latest") == 0 &&
                 ref->digest == NULL;
  sk_image_ref_free (ref);
  sk_err_free (&ignored);
  const char *bundled = access (SKIFF_BUNDLED_BUSYBOX, R_OK) == 0 ? SKIFF_BUNDLED_BUSYBOX
                        : access (SKIFF_BUILD_BUSYBOX, R_OK) == 0 ? SKIFF_BUILD_BUSYBOX
                                                                   : NULL;
  if (!busybox || bundled == NULL) {
    if (err && *err == NULL)
      *err = steal_ptr (miss);
    sk_err_free (&miss);
    return -1;
  }
  sk_err_free (&miss);
  _cleanup_close_ int fd = open (bundled, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return sk_err_set (err, errno, "the bundled busybox image `%s`", bundled);
  static const char *const changes[] = {"CMD [\"sh\"]", NULL};
  sk_import_opts o = {.reference = "busybox:latest",
                      .changes = changes,
                      .message = "skiff's bundled busybox, from the host's busybox-static",
                      .source = bundled,
                      .created = 1700000000};
  return sk_image_import (s, fd, &o, id, err);
}

bool
sk_cli_wants_help (int argc, char **argv, const char *text)
{
  for (int i = 1; i < argc; i++) {
    if (strcmp (argv[i], "--") == 0)
      break;
    if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0) {
      fputs (text, stdout);
      return true;
    }
  }
  return false;
}

bool
sk_cli_confirm (const char *what)
{
  printf ("WARNING! This will remove all %s.\nAre you sure you want to continue? [y/N] ", what);
  fflush (stdout);
  char answer[16] = "";
  return fgets (answer, sizeof answer, stdin) && (answer[0] == 'y' || answer[0] == 'Y');
}

int
sk_cli_inspect_names (sk_cli *cli, int argc, char **argv, const char *format, sk_cli_doc_fn fn)
{
  _cleanup_json_ sk_json *all = json_object_new_array ();
  sk_strbuf errors = SK_STRBUF_INIT;
  sk_err *err = NULL;
  for (int i = 0; i < argc; i++) {
    sk_json *doc = NULL;
    if (fn (cli, argv[i], &doc, &err) < 0) {
      sk_strbuf_printf (&errors, "Error response from daemon: %s\n", err->msg);
      sk_err_free (&err);
      continue;
    }
    json_object_array_add (all, doc);
  }
  /* docker's order: what was found, then what was not */
  int printed = sk_cli_print_docs (format, all);
  int ret = errors.len ? 1 : 0;
  if (errors.len) {
    fflush (stdout);
    fputs (errors.buf, stderr);
  }
  sk_strbuf_release (&errors);
  return printed ? printed : ret;
}
