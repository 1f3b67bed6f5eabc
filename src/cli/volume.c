/* skiff: `volume create, ls, inspect, rm, prune` with docker's flags and
 * output. The volumes are the engine's (engine/volumes.c). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

static sk_json *
parse_object (const char *text)
{
  sk_json *o = NULL;
  sk_err *ignored = NULL;
  if (sk_json_parse (text, strlen (text), "labels", &o, &ignored) < 0 ||
      !json_object_is_type (o, json_type_object)) {
    sk_err_free (&ignored);
    json_object_put (o);
    return json_object_new_object ();
  }
  return o;
}

/* Docker's CreatedAt: RFC 3339 to the second, in UTC. */
static void
created_text (int64_t ns, char *buf, size_t size)
{
  time_t s = (time_t) (ns / 1000000000);
  struct tm tm;
  gmtime_r (&s, &tm);
  strftime (buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The volume as docker's inspect shows it (Labels and Options null when
 * empty, as Docker prints them). */
static sk_json *
volume_json (sk_engine *e, const sk_volume *v)
{
  sk_json *o = json_object_new_object ();
  char t[48];
  created_text (v->created, t, sizeof t);
  sk_json *labels = parse_object (v->labels), *options = parse_object (v->options);
  _cleanup_free_ char *mp = sk_engine_volume_mountpoint (e, v);
  json_object_object_add (o, "CreatedAt", json_object_new_string (t));
  json_object_object_add (o, "Driver", json_object_new_string (v->driver));
  if (json_object_object_length (labels) == 0) {
    json_object_put (labels);
    labels = NULL;
  }
  json_object_object_add (o, "Labels", labels);
  json_object_object_add (o, "Mountpoint", json_object_new_string (mp ? mp : ""));
  json_object_object_add (o, "Name", json_object_new_string (v->name));
  if (json_object_object_length (options) == 0) {
    json_object_put (options);
    options = NULL;
  }
  json_object_object_add (o, "Options", options);
  json_object_object_add (o, "Scope", json_object_new_string ("local"));
  return o;
}

int
sk_cli_volume_inspect_json (sk_cli *cli, const char *name, sk_json **doc, sk_err **err)
{
  sk_engine *e = NULL;
  sk_volume *v = NULL;
  if (sk_cli_engine (cli, &e, err) < 0 || sk_engine_volume_get (e, name, &v, err) < 0)
    return -1;
  *doc = volume_json (e, v);
  sk_volume_free (v);
  return 0;
}

/* "KEY=VALUE" (or "KEY") into the object o. */
static void
key_value (sk_json *o, const char *kv)
{
  const char *eq = strchr (kv, '=');
  _cleanup_free_ char *k = eq ? strndup (kv, (size_t) (eq - kv)) : strdup (kv);
  if (k)
    json_object_object_add (o, k, json_object_new_string (eq ? eq + 1 : ""));
}

/* ---- create ---- */

static const char create_help[] =
    "Usage:  skiff volume create [OPTIONS] [VOLUME]\n\n"
    "Create a volume\n\n"
    "Options:\n"
    "  -d, --driver string   Specify volume driver name (default \"local\")\n"
    "      --label list      Set metadata for a volume\n"
    "      --name string     Specify volume name\n"
    "  -o, --opt map         Set driver specific options (default map[])\n";

static int
volume_create (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, create_help))
    return 0;
  enum { O_LABEL = 1000, O_NAME };
  static const struct option opts[] = {{"driver", required_argument, NULL, 'd'},
                                       {"label", required_argument, NULL, O_LABEL},
                                       {"name", required_argument, NULL, O_NAME},
                                       {"opt", required_argument, NULL, 'o'},
                                       {0}};
  _cleanup_json_ sk_json *labels = json_object_new_object (), *options = json_object_new_object ();
  const char *name = NULL, *driver = "local";
  sk_err *err = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "d:o:", opts, NULL)) != -1) {
    switch (c) {
    case 'd': driver = optarg; break;
    case O_LABEL: key_value (labels, optarg); break;
    case O_NAME: name = optarg; break;
    case 'o':
      if (strchr (optarg, '=') == NULL) {
        fprintf (stderr, "invalid argument \"%s\" for \"-o, --opt\" flag: bad format of option "
                         "(expected key=value)\n", optarg);
        return 125;
      }
      key_value (options, optarg);
      break;
    default: return sk_cli_usage ("volume create", "bad option");
    }
  }
  if (argc - optind > 1)
    return sk_cli_usage ("volume create", "\"volume create\" requires at most 1 argument.");
  if (optind < argc) {
    if (name && strcmp (name, argv[optind]) != 0) {
      fprintf (stderr, "skiff: conflicting options: either specify --name or provide positional "
                       "arg, not both\n");
      return 125;
    }
    name = argv[optind];
  }
  if (strcmp (driver, "local") != 0) {
    fprintf (stderr, "Error response from daemon: create %s: error looking up volume plugin %s: "
                     "plugin \"%s\" not found\n", name ? name : "", driver, driver);
    return 1;
  }
  sk_engine *e = NULL;
  sk_volume *v = NULL;
  _cleanup_free_ char *l = sk_json_dump (labels, false), *o = sk_json_dump (options, false);
  if (sk_cli_engine (cli, &e, &err) < 0 || sk_engine_volume_create (e, name, l, o, &v, &err) < 0) {
    fprintf (stderr, "Error response from daemon: %s\n", err->msg);
    sk_err_free (&err);
    return 1;
  }
  printf ("%s\n", v->name);
  sk_volume_free (v);
  return 0;
}

/* ---- ls ---- */

static const char ls_help[] = "Usage:  skiff volume ls [OPTIONS]\n\n"
                              "List volumes\n\n"
                              "Aliases:\n  ls, list\n\n"
                              "Options:\n"
                              "  -f, --filter filter   Provide filter values (e.g. \"dangling=true\")\n"
                              "      --format string   Format output using a custom template\n"
                              "  -q, --quiet           Only display volume names\n";

static const sk_cli_column ls_columns[] = {{"Driver", "DRIVER"},         {"Name", "VOLUME NAME"},
                                           {"Mountpoint", "MOUNTPOINT"}, {"Scope", "SCOPE"},
                                           {"Labels", "LABELS"},         {"Links", "LINKS"},
                                           {"Size", "SIZE"},             {NULL, NULL}};

static bool
truthy (const char *v, bool *out)
{
  if (strcmp (v, "true") == 0 || strcmp (v, "1") == 0)
    *out = true;
  else if (strcmp (v, "false") == 0 || strcmp (v, "0") == 0)
    *out = false;
  else
    return false;
  return true;
}

/* docker's volume ls filters: dangling, driver, label, label!, name */
static int
check_filter (const char *f, sk_err **err)
{
  static const char *const keys[] = {"dangling", "driver", "label", "label!", "name"};
  const char *eq = strchr (f, '=');
  if (eq == NULL)
    return sk_err_set (err, EINVAL, "bad format of filter (expected name=value)");
  for (size_t i = 0; i < SK_N_ELEMENTS (keys); i++)
    if (strlen (keys[i]) == (size_t) (eq - f) && strncmp (f, keys[i], (size_t) (eq - f)) == 0) {
      bool b;
      if (i == 0 && !truthy (eq + 1, &b))
        return sk_err_set (err, EINVAL, "invalid filter 'dangling=%s'", eq + 1);
      return 0;
    }
  return sk_err_set (err, EINVAL, "invalid filter '%.*s'", (int) (eq - f), f);
}

static bool
matches (sk_engine *e, const sk_volume *v, char **filters, size_t nf)
{
  for (size_t i = 0; i < nf; i++) {
    const char *f = filters[i], *eq = strchr (f, '=');
    size_t klen = (size_t) (eq - f);
    const char *val = eq + 1;
    bool ok = false, want;
    if (klen == 8 && strncmp (f, "dangling", 8) == 0 && truthy (val, &want))
      ok = (sk_engine_volume_refs (e, v->name) == 0) == want;
    else if (klen == 6 && strncmp (f, "driver", 6) == 0)
      ok = strcmp (v->driver, val) == 0;
    else if (klen == 4 && strncmp (f, "name", 4) == 0)
      ok = strstr (v->name, val) != NULL;
    else if (strncmp (f, "label", 5) == 0) {
      _cleanup_json_ sk_json *wrap = json_object_new_object ();
      json_object_object_add (wrap, "Labels", parse_object (v->labels));
      ok = sk_cli_label_matches (wrap, val) == (klen == 5);
    }
    if (!ok)
      return false;
  }
  return true;
}

static char *
labels_text (const char *labels)
{
  _cleanup_json_ sk_json *o = parse_object (labels);
  sk_strbuf b = SK_STRBUF_INIT;
  json_object_object_foreach (o, k, v)
    sk_strbuf_printf (&b, "%s%s=%s", b.len ? "," : "", k, json_object_get_string (v));
  return b.buf ? sk_strbuf_detach (&b) : strdup ("");
}

static int
volume_ls (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, ls_help))
    return 0;
  enum { O_FORMAT = 1000 };
  static const struct option opts[] = {{"filter", required_argument, NULL, 'f'},
                                       {"format", required_argument, NULL, O_FORMAT},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {0}};
  _cleanup_free_ char **filters = calloc ((size_t) argc, sizeof (char *));
  size_t nf = 0;
  const char *format = NULL;
  bool quiet = false;
  sk_err *err = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "f:q", opts, NULL)) != -1) {
    switch (c) {
    case 'f':
      if (check_filter (optarg, &err) < 0)
        return sk_cli_fail (err);
      filters[nf++] = optarg;
      break;
    case O_FORMAT: format = optarg; break;
    case 'q': quiet = true; break;
    default: return sk_cli_usage ("volume ls", "bad option");
    }
  }
  if (optind != argc)
    return sk_cli_usage ("volume ls", "\"volume ls\" accepts no arguments.");
  sk_engine *e = NULL;
  sk_volume **list = NULL;
  size_t n = 0;
  if (sk_cli_engine (cli, &e, &err) < 0 || sk_engine_volume_list (e, &list, &n, &err) < 0)
    return sk_cli_fail (err);
  sk_json **rows = calloc (n + 1, sizeof *rows);
  size_t nr = 0;
  bool sizes = format && strstr (format, ".Size");
  for (size_t i = 0; rows && i < n; i++) {
    if (!matches (e, list[i], filters, nf))
      continue;
    sk_json *r = json_object_new_object ();
    _cleanup_free_ char *mp = sk_engine_volume_mountpoint (e, list[i]);
    _cleanup_free_ char *labels = labels_text (list[i]->labels);
    char size[32] = "N/A";
    if (sizes)
      sk_cli_human_size (sk_engine_volume_size (e, list[i]), size, sizeof size);
    json_object_object_add (r, "Driver", json_object_new_string (list[i]->driver));
    json_object_object_add (r, "Name", json_object_new_string (list[i]->name));
    json_object_object_add (r, "Mountpoint", json_object_new_string (mp ? mp : ""));
    json_object_object_add (r, "Scope", json_object_new_string ("local"));
    json_object_object_add (r, "Labels", json_object_new_string (labels ? labels : ""));
    json_object_object_add (r, "Links", json_object_new_int (sk_engine_volume_refs (e, list[i]->name)));
    json_object_object_add (r, "Size", json_object_new_string (size));
    rows[nr++] = r;
  }
  int ret = 0;
  if (quiet)
    for (size_t i = 0; i < nr; i++) {
      sk_json *v = NULL;
      json_object_object_get_ex (rows[i], "Name", &v);
      printf ("%s\n", json_object_get_string (v));
    }
  else if (sk_cli_render (format ? format : "table {{.Driver}}\\t{{.Name}}", rows, nr, ls_columns,
                          stdout, &err) < 0)
    ret = sk_cli_fail (err);
  for (size_t i = 0; i < nr; i++)
    json_object_put (rows[i]);
  free (rows);
  sk_volume_list_free (list, n);
  return ret;
}

/* ---- inspect ---- */

static const char inspect_help[] =
    "Usage:  skiff volume inspect [OPTIONS] VOLUME [VOLUME...]\n\n"
    "Display detailed information on one or more volumes\n\n"
    "Options:\n"
    "  -f, --format string   Format output using a custom template\n";

static int
volume_inspect (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, inspect_help))
    return 0;
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'}, {0}};
  const char *format = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "f:", opts, NULL)) != -1) {
    if (c != 'f')
      return sk_cli_usage ("volume inspect", "bad option");
    format = optarg;
  }
  if (optind >= argc)
    return sk_cli_usage ("volume inspect", "\"volume inspect\" requires at least 1 argument.");
  return sk_cli_inspect_names (cli, argc - optind, argv + optind, format,
                               sk_cli_volume_inspect_json);
}

/* ---- rm, prune ---- */

static const char rm_help[] = "Usage:  skiff volume rm [OPTIONS] VOLUME [VOLUME...]\n\n"
                              "Remove one or more volumes. You cannot remove a volume that is in "
                              "use by a container.\n\n"
                              "Aliases:\n  rm, remove\n\n"
                              "Options:\n"
                              "  -f, --force   Force the removal of one or more volumes\n";

static int
volume_rm (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, rm_help))
    return 0;
  static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, {0}};
  bool force = false;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "f", opts, NULL)) != -1) {
    if (c != 'f')
      return sk_cli_usage ("volume rm", "bad option");
    force = true;
  }
  if (optind >= argc)
    return sk_cli_usage ("volume rm", "\"volume rm\" requires at least 1 argument.");
  sk_err *err = NULL;
  sk_engine *e = NULL;
  if (sk_cli_engine (cli, &e, &err) < 0)
    return sk_cli_fail (err);
  int ret = 0;
  for (int i = optind; i < argc; i++) {
    if (sk_engine_volume_remove (e, argv[i], &err) < 0) {
      /* -f: a volume that is not there is no error; one in use still is */
      if (!(force && err->errnum == ENOENT)) {
        fprintf (stderr, "Error response from daemon: %s\n", err->msg);
        ret = 1;
      }
      sk_err_free (&err);
    } else {
      printf ("%s\n", argv[i]);
    }
  }
  return ret;
}

static const char prune_help[] = "Usage:  skiff volume prune [OPTIONS]\n\n"
                                 "Remove unused local volumes\n\n"
                                 "Options:\n"
                                 "  -a, --all             Remove all unused volumes, not just "
                                 "anonymous ones\n"
                                 "      --filter filter   Provide filter values (e.g. "
                                 "\"label=<label>\")\n"
                                 "  -f, --force           Do not prompt for confirmation\n";

static int
volume_prune (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, prune_help))
    return 0;
  static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                       {"force", no_argument, NULL, 'f'},
                                       {"filter", required_argument, NULL, 'F'},
                                       {0}};
  _cleanup_free_ char **filters = calloc ((size_t) argc, sizeof (char *));
  size_t nf = 0;
  bool force = false, all = false;
  sk_err *err = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "af", opts, NULL)) != -1) {
    switch (c) {
    case 'a': all = true; break;
    case 'f': force = true; break;
    case 'F':
      if (strncmp (optarg, "label=", 6) != 0 && strncmp (optarg, "label!=", 7) != 0 &&
          strncmp (optarg, "all=", 4) != 0) {
        sk_err_set (&err, EINVAL, "invalid filter '%s'", optarg);
        return sk_cli_fail (err);
      }
      if (strncmp (optarg, "all=", 4) == 0)
        truthy (optarg + 4, &all);
      else
        filters[nf++] = optarg;
      break;
    default: return sk_cli_usage ("volume prune", "bad option");
    }
  }
  if (optind != argc)
    return sk_cli_usage ("volume prune", "\"volume prune\" accepts no arguments.");
  if (!force && !sk_cli_confirm (all ? "local volumes not used by at least one container"
                                     : "anonymous local volumes not used by at least one "
                                       "container"))
    return 0;
  sk_engine *e = NULL;
  sk_volume **list = NULL;
  size_t n = 0;
  if (sk_cli_engine (cli, &e, &err) < 0 || sk_engine_volume_list (e, &list, &n, &err) < 0)
    return sk_cli_fail (err);
  bool header = false;
  int ret = 0;
  int64_t reclaimed = 0;
  for (size_t i = 0; i < n; i++) {
    if ((!all && !list[i]->anonymous) || sk_engine_volume_refs (e, list[i]->name) != 0 ||
        !matches (e, list[i], filters, nf))
      continue;
    int64_t size = sk_engine_volume_size (e, list[i]);
    if (sk_engine_volume_remove (e, list[i]->name, &err) < 0) {
      if (err->errnum != EBUSY) { /* taken meanwhile: kept */
        fprintf (stderr, "Error response from daemon: %s\n", err->msg);
        ret = 1;
      }
      sk_err_free (&err);
      continue;
    }
    if (!header)
      printf ("Deleted Volumes:\n");
    header = true;
    reclaimed += size;
    printf ("%s\n", list[i]->name);
  }
  char human[32];
  sk_cli_human_size (reclaimed, human, sizeof human);
  printf ("%sTotal reclaimed space: %s\n", header ? "\n" : "", human);
  sk_volume_list_free (list, n);
  return ret;
}

int
cmd_volume (sk_cli *cli, int argc, char **argv)
{
  static const struct {
    const char *name;
    sk_cli_fn fn;
  } subs[] = {{"create", volume_create}, {"ls", volume_ls},         {"list", volume_ls},
              {"inspect", volume_inspect}, {"rm", volume_rm},       {"remove", volume_rm},
              {"prune", volume_prune}};
  if (argc < 2 || strcmp (argv[1], "--help") == 0) {
    printf ("Usage:  skiff volume COMMAND\n\nManage volumes\n\nCommands:\n"
            "  create      Create a volume\n"
            "  inspect     Display detailed information on one or more volumes\n"
            "  ls          List volumes\n"
            "  prune       Remove unused local volumes\n"
            "  rm          Remove one or more volumes\n");
    return argc < 2 ? 125 : 0;
  }
  for (size_t i = 0; i < SK_N_ELEMENTS (subs); i++)
    if (strcmp (subs[i].name, argv[1]) == 0)
      return subs[i].fn (cli, argc - 1, argv + 1);
  fprintf (stderr, "skiff: 'volume %s' is not a skiff command (see `skiff volume --help`)\n",
           argv[1]);
  return 125;
}
