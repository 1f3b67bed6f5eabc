/* skiff: the registry commands: pull and push (docker's output: per-layer
 * progress bars on a terminal, one line per step otherwise, the reference
 * alone with -q), login and logout. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "image/digest.h"
#include "oci/reference.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

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

static void
on_pull (const sk_pull_event *e, void *data)
{
  sk_cli_bars *v = data;
  if (e->kind == SK_PULL_RESOLVED) {
    sk_cli_bars_init (v, e->n);
    return;
  }
  if (v->lines == NULL || e->index >= v->n)
    return;
  sk_cli_bars_id (v, e->index, e->layer_digest);
  sk_cli_bars_start (v, "Waiting");
  switch (e->kind) {
  case SK_PULL_LAYER_HAVE: sk_cli_bars_line (v, e->index, "Already exists"); break;
  case SK_PULL_PROGRESS:
    sk_cli_bars_progress (v, e->index, "Downloading", e->done, e->total);
    break;
  case SK_PULL_LAYER_DONE: sk_cli_bars_line (v, e->index, "Download complete"); break;
  case SK_PULL_LAYER_EXTRACTED: sk_cli_bars_line (v, e->index, "Pull complete"); break;
  default: break;
  }
}

/* Whether a reference names neither a tag nor a digest ("latest" then). */
static bool
default_tag (const char *what)
{
  const char *colon = strrchr (what, ':'), *slash = strrchr (what, '/');
  return strchr (what, '@') == NULL &&
         !(colon && colon > slash && (slash || strchr (what, ':') == colon));
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
  sk_cli_bars view = {.tty = isatty (1)};
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
  if (!view.quiet) {
    if (default_tag (what) && ref->digest == NULL)
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
  sk_cli_bars_free (&view);
  if (r < 0)
    return sk_cli_fail (err);
  if (!view.quiet) {
    printf ("Digest: %s\n", digest);
    printf ("Status: %s for %s\n", fresh ? "Downloaded newer image" : "Image is up to date", fam);
  }
  printf ("%s\n", full);
  return 0;
}

/* ---- push ---- */

static void
on_push (const sk_push_event *e, void *data)
{
  sk_cli_bars *v = data;
  if (v->lines == NULL && sk_cli_bars_init (v, e->n) < 0)
    return;
  if (e->index >= v->n)
    return;
  /* docker lists the top layer first */
  size_t line = v->n - 1 - e->index;
  sk_cli_bars_id (v, line, e->diff_id);
  if (e->kind == SK_PUSH_PREPARING) {
    if (!v->tty)
      sk_cli_bars_line (v, line, "Preparing");
    else if (line + 1 == v->n)
      sk_cli_bars_start (v, "Preparing");
    return;
  }
  sk_cli_bars_start (v, "Preparing");
  char text[160];
  switch (e->kind) {
  case SK_PUSH_WAITING: sk_cli_bars_line (v, line, "Waiting"); break;
  case SK_PUSH_PROGRESS: sk_cli_bars_progress (v, line, "Pushing", e->done, e->total); break;
  case SK_PUSH_EXISTS: sk_cli_bars_line (v, line, "Layer already exists"); break;
  case SK_PUSH_MOUNTED:
    snprintf (text, sizeof text, "Mounted from %s", e->from);
    sk_cli_bars_line (v, line, text);
    break;
  case SK_PUSH_PUSHED: sk_cli_bars_line (v, line, "Pushed"); break;
  default: break;
  }
}

int
cmd_push (sk_cli *cli, int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0) {
      fputs ("Usage:  skiff push [OPTIONS] NAME[:TAG]\n\nUpload an image to a registry\n\n"
             "Options:\n  -q, --quiet   Suppress verbose output\n",
             stdout);
      return 0;
    }
  static const struct option opts[] = {{"quiet", no_argument, NULL, 'q'},
                                       {"all-tags", no_argument, NULL, 'a'},
                                       {"disable-content-trust", no_argument, NULL, 'D'},
                                       {0}};
  sk_cli_bars view = {.tty = isatty (1)};
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "qa", opts, NULL)) != -1) {
    switch (c) {
    case 'q': view.quiet = true; break;
    case 'a': return sk_cli_usage ("push", "--all-tags is not supported");
    case 'D': break;
    default: return sk_cli_usage ("push", "bad option");
    }
  }
  if (argc - optind != 1)
    return sk_cli_usage ("push", "\"push\" requires exactly 1 argument");
  const char *what = argv[optind];
  sk_err *err = NULL;
  sk_image_ref *ref = NULL;
  if (sk_image_ref_parse (what, &ref, &err) < 0)
    return sk_cli_fail (err);
  _cleanup_free_ char *name = sk_image_ref_name (ref);
  _cleanup_free_ char *full = sk_image_ref_string (ref);
  _cleanup_free_ char *tag = ref->tag ? strdup (ref->tag) : NULL;
  sk_image_ref_free (ref);
  if (!view.quiet) {
    if (default_tag (what))
      printf ("Using default tag: %s\n", tag ? tag : "latest");
    printf ("The push refers to repository [%s]\n", name);
    fflush (stdout);
  }
  sk_image_service *s = NULL;
  if (sk_cli_images (cli, &s, &err) < 0)
    return sk_cli_fail (err);
  sk_push_opts o = {.progress = on_push, .data = &view};
  sk_cli_registry_opts (cli, &o.registry);
  _cleanup_free_ char *digest = NULL;
  size_t size = 0;
  int r = sk_image_push (s, what, &o, &digest, &size, &err);
  sk_cli_bars_free (&view);
  if (r < 0)
    return sk_cli_fail (err);
  /* docker's -q: the reference pushed, in full */
  if (view.quiet)
    printf ("%s\n", full);
  else
    printf ("%s: digest: %s size: %zu\n", tag ? tag : "latest", digest, size);
  return 0;
}

/* ---- login, logout: credentials in the client's config.json ---- */

/* docker.io's credentials are kept under the name docker gives them */
static const char *
auth_key (const char *server)
{
  if (server == NULL || strcmp (server, "docker.io") == 0 || strcmp (server, "index.docker.io") == 0 ||
      strcmp (server, "registry-1.docker.io") == 0)
    return "https://index.docker.io/v1/";
  return server;
}

static const char *
registry_domain (const char *server)
{
  if (server == NULL || strcmp (auth_key (server), "https://index.docker.io/v1/") == 0)
    return "docker.io";
  if (strncmp (server, "https://", 8) == 0)
    return server + 8;
  if (strncmp (server, "http://", 7) == 0)
    return server + 7;
  return server;
}

static int
read_config (const char *path, sk_json **out, sk_err **err)
{
  if (access (path, F_OK) < 0) {
    *out = json_object_new_object ();
    return 0;
  }
  if (sk_json_parse_file (path, "config.json", out, err) < 0)
    return -1;
  if (!json_object_is_type (*out, json_type_object)) {
    json_object_put (*out);
    return sk_err_set (err, 0, "`%s` is not a JSON object", path);
  }
  return 0;
}

static int
write_config (const char *dir, const char *path, sk_json *doc, sk_err **err)
{
  if (sk_mkdir_p (dir, 0700, err) < 0)
    return -1;
  _cleanup_free_ char *text = sk_json_dump (doc, true);
  if (text == NULL)
    return sk_err_set (err, ENOMEM, "config.json");
  return sk_write_file_atomic (path, text, strlen (text), 0600, err);
}

/* a line from stdin, without its newline; echo off on a terminal */
static char *
read_line (const char *prompt, bool secret)
{
  bool tty = isatty (0);
  struct termios old, quiet;
  if (tty) {
    fprintf (stderr, "%s", prompt);
    if (secret && tcgetattr (0, &old) == 0) {
      quiet = old;
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      tcsetattr (0, TCSANOW, &quiet);
    } else {
      secret = false;
    }
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t n = getline (&line, &cap, stdin);
  if (tty && secret) {
    tcsetattr (0, TCSANOW, &old);
    fputc ('\n', stderr);
  }
  if (n < 0) {
    free (line);
    return NULL;
  }
  line[strcspn (line, "\r\n")] = '\0';
  return line;
}

int
cmd_login (sk_cli *cli, int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0) {
      fputs ("Usage:  skiff login [OPTIONS] [SERVER]\n\nLog in to a registry.\n"
             "If no server is specified, docker.io is used.\n\n"
             "Options:\n  -p, --password string   Password\n"
             "      --password-stdin    Take the password from stdin\n"
             "  -u, --username string   Username\n",
             stdout);
      return 0;
    }
  enum { O_STDIN = 1000 };
  static const struct option opts[] = {{"username", required_argument, NULL, 'u'},
                                       {"password", required_argument, NULL, 'p'},
                                       {"password-stdin", no_argument, NULL, O_STDIN},
                                       {0}};
  _cleanup_free_ char *user = NULL, *password = NULL;
  bool from_stdin = false;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "u:p:", opts, NULL)) != -1) {
    switch (c) {
    case 'u': free (user); user = strdup (optarg); break;
    case 'p': free (password); password = strdup (optarg); break;
    case O_STDIN: from_stdin = true; break;
    default: return sk_cli_usage ("login", "bad option");
    }
  }
  if (argc - optind > 1)
    return sk_cli_usage ("login", "\"login\" requires at most 1 argument");
  const char *server = optind < argc ? argv[optind] : NULL;
  if (password && from_stdin)
    return sk_cli_usage ("login", "--password and --password-stdin are mutually exclusive");
  if (password)
    fprintf (stderr, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
  if (from_stdin) {
    if (user == NULL)
      return sk_cli_usage ("login", "Must provide --username with --password-stdin");
    password = read_line ("", false);
  }
  if (user == NULL)
    user = read_line ("Username: ", false);
  if (password == NULL)
    password = read_line ("Password: ", true);
  sk_err *err = NULL;
  if (user == NULL || *user == '\0' || password == NULL || *password == '\0') {
    sk_err_set (&err, 0, "login: a username and a password are needed");
    return sk_cli_fail (err);
  }
  sk_registry_opts o;
  sk_cli_registry_opts (cli, &o);
  if (sk_registry_login (registry_domain (server), &o, user, password, &err) < 0) {
    explicit_bzero (password, strlen (password));
    return sk_cli_fail (err);
  }
  _cleanup_free_ char *up = NULL, *b64 = NULL;
  if (asprintf (&up, "%s:%s", user, password) < 0 || (b64 = sk_base64_encode (up, strlen (up))) == NULL)
    return sk_cli_fail (NULL);
  explicit_bzero (up, strlen (up));
  explicit_bzero (password, strlen (password));
  _cleanup_free_ char *path = NULL;
  if (asprintf (&path, "%s/config.json", cli->config_dir) < 0)
    return sk_cli_fail (NULL);
  _cleanup_json_ sk_json *doc = NULL;
  if (read_config (path, &doc, &err) < 0)
    return sk_cli_fail (err);
  sk_json *auths = NULL;
  if (!json_object_object_get_ex (doc, "auths", &auths) || !json_object_is_type (auths, json_type_object)) {
    auths = json_object_new_object ();
    json_object_object_add (doc, "auths", auths);
  }
  sk_json *entry = json_object_new_object ();
  json_object_object_add (entry, "auth", json_object_new_string (b64));
  json_object_object_add (auths, auth_key (server), entry);
  explicit_bzero (b64, strlen (b64));
  if (write_config (cli->config_dir, path, doc, &err) < 0)
    return sk_cli_fail (err);
  printf ("Login Succeeded\n");
  return 0;
}

int
cmd_logout (sk_cli *cli, int argc, char **argv)
{
  if (argc > 2)
    return sk_cli_usage ("logout", "\"logout\" requires at most 1 argument");
  const char *server = argc == 2 ? argv[1] : NULL;
  if (server && (strcmp (server, "--help") == 0 || strcmp (server, "-h") == 0)) {
    fputs ("Usage:  skiff logout [SERVER]\n\nLog out from a registry.\n"
           "If no server is specified, docker.io is used.\n",
           stdout);
    return 0;
  }
  const char *key = auth_key (server);
  _cleanup_free_ char *path = NULL;
  if (asprintf (&path, "%s/config.json", cli->config_dir) < 0)
    return sk_cli_fail (NULL);
  sk_err *err = NULL;
  _cleanup_json_ sk_json *doc = NULL;
  if (read_config (path, &doc, &err) < 0)
    return sk_cli_fail (err);
  sk_json *auths = NULL;
  if (!json_object_object_get_ex (doc, "auths", &auths) || !json_object_object_get_ex (auths, key, NULL)) {
    printf ("Not logged in to %s\n", key);
    return 0;
  }
  printf ("Removing login credentials for %s\n", key);
  json_object_object_del (auths, key);
  if (write_config (cli->config_dir, path, doc, &err) < 0)
    return sk_cli_fail (err);
  return 0;
}
