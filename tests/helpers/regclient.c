/* regclient: drives the registry client (src/image/registry.h) for the
 * integration tests, one call per run.
 *
 *   regclient [OPTIONS] manifest HOST REPO REF [ACCEPT...]
 *       prints "media-type: T", "digest: D", an empty line and the body
 *   regclient [OPTIONS] fetch HOST REPO STORE_DIR DIGEST:SIZE...
 *       prints "stored DIGEST" for each blob once it is in the store
 *   regclient [OPTIONS] exists HOST REPO DIGEST            prints yes or no
 *   regclient [OPTIONS] mount HOST REPO FROM_REPO DIGEST   prints mounted or not mounted
 *   regclient [OPTIONS] push-blob HOST REPO FILE           prints the blob's digest
 *   regclient [OPTIONS] put-manifest HOST REPO REF MEDIA_TYPE FILE   prints its digest
 *
 * OPTIONS: --certs-dir D, --auth-file F, --insecure H (repeatable),
 * --mirror URL (repeatable), --parallel N. An error is one line on stderr
 * and exit status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/registry.h"
#include "util/cleanup.h"
#include "util/fs.h"

static const char *
arg (int argc, char **argv, int i)
{
  if (i >= argc) {
    fprintf (stderr, "regclient: missing arguments (see the head of regclient.c)\n");
    exit (2);
  }
  return argv[i];
}

static void
progress (size_t i, uint64_t done, uint64_t total, void *data)
{
  const sk_blob_req *reqs = data;
  if (done == total)
    printf ("stored %s\n", reqs[i].digest);
  fflush (stdout);
}

static int
cmd_fetch (sk_registry *r, int argc, char **argv, int parallel, sk_err **err)
{
  const char *repo = arg (argc, argv, 1), *dir = arg (argc, argv, 2);
  size_t n = argc - 3;
  sk_store *store = NULL;
  if (sk_store_open (dir, &store, err) < 0)
    return -1;
  sk_blob_req *reqs = calloc (n ? n : 1, sizeof *reqs);
  char **digests = calloc (n ? n : 1, sizeof *digests);
  int ret = 0;
  for (size_t i = 0; i < n; i++) {
    char *colon = strrchr (argv[3 + i], ':');
    digests[i] = strndup (argv[3 + i], colon ? (size_t) (colon - argv[3 + i]) : strlen (argv[3 + i]));
    reqs[i].digest = digests[i];
    reqs[i].size = colon && colon != strchr (argv[3 + i], ':') ? strtoll (colon + 1, NULL, 10) : -1;
  }
  ret = sk_registry_fetch_blobs (r, repo, store, reqs, n, parallel, progress, reqs, err);
  for (size_t i = 0; i < n; i++)
    free (digests[i]);
  free (digests);
  free (reqs);
  sk_store_free (store);
  return ret;
}

static int
cmd_push_blob (sk_registry *r, int argc, char **argv, sk_err **err)
{
  const char *repo = arg (argc, argv, 1), *file = arg (argc, argv, 2);
  _cleanup_free_ char *data = NULL;
  size_t len;
  if (sk_read_file (file, &data, &len, err) < 0)
    return -1;
  sk_digest d;
  char ds[SK_DIGEST_STR_SIZE];
  sk_digest_of (data, len, &d);
  _cleanup_close_ int fd = open (file, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return sk_err_set (err, errno, "open `%s`", file);
  if (sk_registry_push_blob (r, repo, fd, sk_digest_format (&d, ds), (int64_t) len, NULL, NULL,
                             err) < 0)
    return -1;
  printf ("%s\n", ds);
  return 0;
}

static int
cmd_put_manifest (sk_registry *r, int argc, char **argv, sk_err **err)
{
  const char *repo = arg (argc, argv, 1), *ref = arg (argc, argv, 2);
  const char *media_type = arg (argc, argv, 3), *file = arg (argc, argv, 4);
  _cleanup_free_ char *data = NULL, *digest = NULL;
  size_t len;
  if (sk_read_file (file, &data, &len, err) < 0
      || sk_registry_put_manifest (r, repo, ref, media_type, data, len, &digest, err) < 0)
    return -1;
  printf ("%s\n", digest);
  return 0;
}

static int
run (const char *cmd, const char *host, const sk_registry_opts *o, int argc, char **argv,
     int parallel, sk_err **err)
{
  _cleanup_registry_ sk_registry *r = NULL;
  if (sk_registry_open (host, o, &r, err) < 0)
    return -1;
  if (strcmp (cmd, "manifest") == 0) {
    _cleanup_free_ char *body = NULL, *mt = NULL, *digest = NULL;
    size_t len;
    const char *const *accept = argc > 3 ? (const char *const *) argv + 3 : NULL;
    if (sk_registry_get_manifest (r, arg (argc, argv, 1), arg (argc, argv, 2), accept, &body, &len,
                                  &mt, &digest, err) < 0)
      return -1;
    printf ("media-type: %s\ndigest: %s\n\n", mt, digest);
    fwrite (body, 1, len, stdout);
    return 0;
  }
  if (strcmp (cmd, "fetch") == 0)
    return cmd_fetch (r, argc, argv, parallel, err);
  if (strcmp (cmd, "exists") == 0) {
    bool yes;
    if (sk_registry_blob_exists (r, arg (argc, argv, 1), arg (argc, argv, 2), &yes, err) < 0)
      return -1;
    printf ("%s\n", yes ? "yes" : "no");
    return 0;
  }
  if (strcmp (cmd, "mount") == 0) {
    bool mounted;
    if (sk_registry_mount_blob (r, arg (argc, argv, 1), arg (argc, argv, 2), arg (argc, argv, 3),
                                &mounted, err) < 0)
      return -1;
    printf ("%s\n", mounted ? "mounted" : "not mounted");
    return 0;
  }
  if (strcmp (cmd, "push-blob") == 0)
    return cmd_push_blob (r, argc, argv, err);
  if (strcmp (cmd, "put-manifest") == 0)
    return cmd_put_manifest (r, argc, argv, err);
  return sk_err_set (err, 0, "unknown command `%s`", cmd);
}

int
main (int argc, char **argv)
{
  static const struct option longopts[] = {
    {"certs-dir", required_argument, NULL, 'c'},
    {"auth-file", required_argument, NULL, 'a'},
    {"insecure", required_argument, NULL, 'i'},
    {"mirror", required_argument, NULL, 'm'},
    {"parallel", required_argument, NULL, 'p'},
    {NULL, 0, NULL, 0},
  };
  const char *insecure[16] = {NULL}, *mirrors[16] = {NULL};
  size_t ni = 0, nm = 0;
  sk_registry_opts o = {.insecure = insecure, .mirrors = mirrors, .user_agent = "skiff-test-regclient"};
  int parallel = 4, c;
  while ((c = getopt_long (argc, argv, "", longopts, NULL)) != -1) {
    switch (c) {
    case 'c': o.certs_dir = optarg; break;
    case 'a': o.auth_file = optarg; break;
    case 'i': if (ni < 15) insecure[ni++] = optarg; break;
    case 'm': if (nm < 15) mirrors[nm++] = optarg; break;
    case 'p': parallel = atoi (optarg); break;
    default: return 2;
    }
  }
  if (argc - optind < 2) {
    fprintf (stderr, "regclient: usage: regclient [OPTIONS] COMMAND HOST ARGS...\n");
    return 2;
  }
  const char *cmd = argv[optind], *host = argv[optind + 1];
  _cleanup_err_ sk_err *err = NULL;
  /* argv from the repository on: argv[0] is HOST */
  if (run (cmd, host, &o, argc - optind - 1, argv + optind + 1, parallel, &err) < 0) {
    fprintf (stderr, "regclient: %s\n", err ? err->msg : "failed");
    return 1;
  }
  return 0;
}
