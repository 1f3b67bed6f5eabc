/* skiff: the image commands: import, images (image ls), tag, rmi (image
 * rm), history, image inspect (prune is in prune.c); docker's flags and output. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "oci/reference.h"
#include "util/cleanup.h"
#include "util/json.h"
#include "util/strbuf.h"

/* ---- helpers ---- */


/* "repo:tag" into repo and tag, or "repo@digest" into repo and digest */
static void
split_name (const char *fam, char **repo, char **tag, char **digest)
{
  *repo = strdup (fam);
  *tag = *digest = NULL;
  char *at = strchr (*repo, '@');
  if (at) {
    *at = '\0';
    *digest = strdup (at + 1);
  }
  char *colon = strrchr (*repo, ':'), *slash = strrchr (*repo, '/');
  if (colon && (slash == NULL || colon > slash)) {
    *colon = '\0';
    *tag = strdup (colon + 1);
  }
}

static void
strv_free (char **v)
{
  for (char **p = v; p && *p; p++)
    free (*p);
  free (v);
}

/* ---- import ---- */

static const char import_help[] =
    "Usage:  skiff import [OPTIONS] file|- [REPOSITORY[:TAG]]\n\n"
    "Import the contents from a tarball to create a filesystem image\n\n"
    "Options:\n"
    "  -c, --change list       Apply Dockerfile instruction to the created image\n"
    "  -m, --message string    Set commit message for imported image\n"
    "      --platform string   Set platform if server is multi-platform capable\n";

int
cmd_import (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, import_help))
    return 0;
  static const struct option opts[] = {{"change", required_argument, NULL, 'c'},
                                       {"message", required_argument, NULL, 'm'},
                                       {"platform", required_argument, NULL, 'p'},
                                       {0}};
  _cleanup_free_ const char **changes = calloc (argc + 1, sizeof *changes);
  size_t n_changes = 0;
  const char *message = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "c:m:", opts, NULL)) != -1) {
    switch (c) {
    case 'c': changes[n_changes++] = optarg; break;
    case 'm': message = optarg; break;
    case 'p':
      if (strcmp (optarg, sk_host_platform ()) != 0)
        return sk_cli_usage ("import", "--platform %s: only this machine's platform, %s", optarg,
                             sk_host_platform ());
      break;
    default: return sk_cli_usage ("import", "bad option");
    }
  }
  if (argc - optind < 1 || argc - optind > 2)
    return sk_cli_usage ("import", "\"import\" requires at least 1 and at most 2 arguments");
  const char *source = argv[optind], *reference = argc - optind == 2 ? argv[optind + 1] : NULL;
  sk_err *err = NULL;
  if (strncmp (source, "http://", 7) == 0 || strncmp (source, "https://", 8) == 0) {
    sk_err_set (&err, 0, "importing from a URL is not supported: download it, then import the file");
    return sk_cli_fail (err);
  }
  _cleanup_close_ int fd = strcmp (source, "-") == 0 ? dup (0) : open (source, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    sk_err_set (&err, errno, "open `%s`", source);
    return sk_cli_fail (err);
  }
  sk_image_service *s = NULL;
  if (sk_cli_images (cli, &s, &err) < 0)
    return sk_cli_fail (err);
  sk_import_opts o = {.reference = reference, .changes = changes, .message = message,
                      .source = source};
  _cleanup_free_ char *id = NULL;
  if (sk_image_import (s, fd, &o, &id, &err) < 0)
    return sk_cli_fail (err);
  printf ("%s\n", id);
  return 0;
}

/* ---- images ---- */

static const char images_help[] =
    "Usage:  skiff images [OPTIONS] [REPOSITORY[:TAG]]\n\n"
    "List images\n\n"
    "Options:\n"
    "  -a, --all             Show all images (default hides intermediate images)\n"
    "      --digests         Show digests\n"
    "  -f, --filter filter   Filter output based on conditions provided\n"
    "                        (dangling=true|false, reference=PATTERN, before=IMAGE, since=IMAGE)\n"
    "      --format string   Pretty-print images using a Go template\n"
    "      --no-trunc        Don't truncate output\n"
    "  -q, --quiet           Only show image IDs\n";

static const sk_cli_column image_columns[] = {
    {"Repository", "REPOSITORY"}, {"Tag", "TAG"},         {"ID", "IMAGE ID"},
    {"Digest", "DIGEST"},         {"CreatedSince", "CREATED"}, {"CreatedAt", "CREATED AT"},
    {"Size", "SIZE"},             {"VirtualSize", "SIZE"},  {"SharedSize", "SHARED SIZE"},
    {"UniqueSize", "UNIQUE SIZE"}, {"Containers", "CONTAINERS"}, {NULL, NULL}};

typedef struct {
  bool dangling_set, dangling;
  char **references;
  int64_t before, since; /* created times; 0: not set */
} image_filter;

static int
parse_filter (sk_image_service *s, const char *f, image_filter *flt, size_t *n_refs, sk_err **err)
{
  const char *eq = strchr (f, '=');
  if (eq == NULL)
    return sk_err_set (err, 0, "bad format of filter (expected name=value)");
  size_t klen = eq - f;
  const char *v = eq + 1;
  if (klen == 8 && strncmp (f, "dangling", 8) == 0) {
    if (strcmp (v, "true") && strcmp (v, "false") && strcmp (v, "1") && strcmp (v, "0"))
      return sk_err_set (err, 0, "invalid filter 'dangling=%s'", v);
    flt->dangling_set = true;
    flt->dangling = strcmp (v, "true") == 0 || strcmp (v, "1") == 0;
    return 0;
  }
  if (klen == 9 && strncmp (f, "reference", 9) == 0) {
    flt->references[(*n_refs)++] = strdup (v);
    return 0;
  }
  if ((klen == 6 && strncmp (f, "before", 6) == 0) || (klen == 5 && strncmp (f, "since", 5) == 0)) {
    _cleanup_free_ char *id = NULL;
    sk_image_info *info = NULL;
    if (sk_image_lookup (s, v, &id, err) < 0 || sk_images_get (s->db, id, &info, err) < 0)
      return -1;
    if (klen == 6)
      flt->before = info->created ? info->created : 1;
    else
      flt->since = info->created;
    sk_image_info_free (info);
    return 0;
  }
  return sk_err_set (err, 0, "invalid filter '%.*s'", (int) klen, f);
}

/* The reference filter and the positional REPOSITORY[:TAG], docker's way:
 * a pattern matches "repo" or "repo:tag" (familiar names). */
static bool
reference_matches (const char *pattern, const char *repo, const char *tag)
{
  if (fnmatch (pattern, repo, FNM_PATHNAME) == 0)
    return true;
  if (tag == NULL)
    return false;
  _cleanup_free_ char *full = NULL;
  if (asprintf (&full, "%s:%s", repo, tag) < 0)
    return false;
  return fnmatch (pattern, full, FNM_PATHNAME) == 0;
}

static sk_json *
image_row (const sk_image_info *i, const char *repo, const char *tag, const char *digest,
           bool no_trunc, time_t now)
{
  sk_json *o = json_object_new_object ();
  char id[13], size[32], since[64], at[64];
  sk_cli_short_id (i->id, id);
  sk_cli_human_size (i->size, size, sizeof size);
  sk_cli_human_since ((time_t) i->created, now, since, sizeof since);
  struct tm tm;
  time_t created = (time_t) i->created;
  localtime_r (&created, &tm);
  strftime (at, sizeof at, "%Y-%m-%d %H:%M:%S %z %Z", &tm);
  json_object_object_add (o, "Containers", json_object_new_string ("N/A"));
  json_object_object_add (o, "CreatedAt", json_object_new_string (at));
  json_object_object_add (o, "CreatedSince", json_object_new_string (since));
  json_object_object_add (o, "Digest", json_object_new_string (digest ? digest : "<none>"));
  json_object_object_add (o, "ID", json_object_new_string (no_trunc ? i->id : id));
  json_object_object_add (o, "Repository", json_object_new_string (repo ? repo : "<none>"));
  json_object_object_add (o, "SharedSize", json_object_new_string ("N/A"));
  json_object_object_add (o, "Size", json_object_new_string (size));
  json_object_object_add (o, "Tag", json_object_new_string (tag ? tag : "<none>"));
  json_object_object_add (o, "UniqueSize", json_object_new_string ("N/A"));
  json_object_object_add (o, "VirtualSize", json_object_new_string (size));
  return o;
}

/* The digest that a repo digest of the image gives for repo, if any. */
static char *
digest_for (const sk_image_info *i, const char *repo)
{
  for (char **d = i->repo_digests; d && *d; d++) {
    _cleanup_free_ char *f = sk_image_name_familiar (*d);
    char *r, *t, *dg;
    split_name (f, &r, &t, &dg);
    bool same = strcmp (r, repo) == 0;
    free (r);
    free (t);
    if (same)
      return dg;
    free (dg);
  }
  return NULL;
}

int
cmd_images (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, images_help))
    return 0;
  enum { O_DIGESTS = 1000, O_FORMAT, O_NO_TRUNC };
  static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                       {"digests", no_argument, NULL, O_DIGESTS},
                                       {"filter", required_argument, NULL, 'f'},
                                       {"format", required_argument, NULL, O_FORMAT},
                                       {"no-trunc", no_argument, NULL, O_NO_TRUNC},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {0}};
  bool digests = false, no_trunc = false, quiet = false;
  const char *format = NULL;
  _cleanup_free_ const char **filters = calloc (argc + 1, sizeof *filters);
  size_t n_filters = 0;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "af:q", opts, NULL)) != -1) {
    switch (c) {
    case 'a': break; /* no intermediate images to hide */
    case O_DIGESTS: digests = true; break;
    case 'f': filters[n_filters++] = optarg; break;
    case O_FORMAT: format = optarg; break;
    case O_NO_TRUNC: no_trunc = true; break;
    case 'q': quiet = true; break;
    default: return sk_cli_usage ("images", "bad option");
    }
  }
  if (argc - optind > 1)
    return sk_cli_usage ("images", "\"images\" requires at most 1 argument");
  sk_err *err = NULL;
  sk_image_service *s = NULL;
  if (sk_cli_images (cli, &s, &err) < 0)
    return sk_cli_fail (err);
  image_filter flt = {.references = calloc (n_filters + 2, sizeof (char *))};
  size_t n_refs = 0;
  for (size_t i = 0; i < n_filters; i++)
    if (parse_filter (s, filters[i], &flt, &n_refs, &err) < 0) {
      strv_free (flt.references);
      return sk_cli_fail (err);
    }
  if (optind < argc)
    flt.references[n_refs++] = strdup (argv[optind]);

  sk_image_info **list = NULL;
  if (sk_images_list (s->db, &list, &err) < 0) {
    strv_free (flt.references);
    return sk_cli_fail (err);
  }
  size_t alloc = 16, n = 0;
  sk_json **rows = calloc (alloc, sizeof *rows);
  time_t now = time (NULL);
  for (sk_image_info **ip = list; *ip; ip++) {
    sk_image_info *i = *ip;
    bool dangling = i->tags[0] == NULL;
    if (flt.dangling_set && dangling != flt.dangling)
      continue;
    if (flt.before && i->created >= flt.before)
      continue;
    if (flt.since && i->created <= flt.since)
      continue;
    /* one row per tag; an untagged image: one row, or one per repo digest */
    char **names = i->tags[0] ? i->tags : i->repo_digests;
    size_t count = 0;
    while (names[count])
      count++;
    for (size_t k = 0; k < (count ? count : 1); k++) {
      char *repo = NULL, *tag = NULL, *dg = NULL;
      if (count) {
        _cleanup_free_ char *f = sk_image_name_familiar (names[k]);
        split_name (f, &repo, &tag, &dg);
      }
      bool keep = n_refs == 0;
      for (size_t r = 0; !keep && r < n_refs; r++)
        keep = repo && reference_matches (flt.references[r], repo, tag);
      if (keep) {
        if (dg == NULL && repo)
          dg = digest_for (i, repo);
        if (n + 1 >= alloc)
          rows = realloc (rows, (alloc *= 2) * sizeof *rows);
        rows[n++] = image_row (i, repo, tag, dg, no_trunc, now);
      }
      free (repo);
      free (tag);
      free (dg);
    }
  }
  int ret = 0;
  if (quiet) {
    for (size_t i = 0; i < n; i++) {
      sk_json *v = NULL;
      json_object_object_get_ex (rows[i], "ID", &v);
      printf ("%s\n", json_object_get_string (v));
    }
  } else {
    const char *def = digests ? "table {{.Repository}}\\t{{.Tag}}\\t{{.Digest}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}"
                              : "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}";
    if (sk_cli_render (format ? format : def, rows, n, image_columns, stdout, &err) < 0)
      ret = sk_cli_fail (err);
  }
  for (size_t i = 0; i < n; i++)
    json_object_put (rows[i]);
  free (rows);
  sk_image_info_list_free (list);
  strv_free (flt.references);
  return ret;
}

/* ---- tag ---- */

static const char tag_help[] = "Usage:  skiff tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\n"
                               "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE\n";

int
cmd_tag (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, tag_help))
    return 0;
  if (argc != 3)
    return sk_cli_usage ("tag", "\"tag\" requires exactly 2 arguments");
  sk_err *err = NULL;
  sk_image_ref *target = NULL;
  if (sk_image_ref_parse (argv[2], &target, &err) < 0)
    return sk_cli_fail (err);
  if (target->digest) {
    sk_image_ref_free (target);
    fprintf (stderr, "skiff: refusing to create a tag with a digest reference\n");
    return 1;
  }
  _cleanup_free_ char *name = sk_image_ref_string (target);
  sk_image_ref_free (target);
  sk_image_service *s = NULL;
  _cleanup_free_ char *id = NULL;
  if (sk_cli_images (cli, &s, &err) < 0 || sk_cli_lookup (cli, argv[1], &id, &err) < 0 ||
      sk_images_tag (s->db, name, id, &err) < 0)
    return sk_cli_fail (err);
  return 0;
}

/* ---- rmi ---- */

static const char rmi_help[] = "Usage:  skiff rmi [OPTIONS] IMAGE [IMAGE...]\n\n"
                               "Remove one or more images\n\n"
                               "Options:\n"
                               "  -f, --force      Force removal of the image\n"
                               "      --no-prune   Do not delete untagged parents\n";

static void
print_deleted (const char *what, void *data)
{
  (void) data;
  printf ("Deleted: %s\n", what);
}

/* rmi of an image a container uses: docker's conflicts; with force (and
 * no container running), its names go and the image stays for the
 * containers, as an untagged one. */
static int
in_use (sk_image_service *s, const char *what, const char *id, sk_image_info *info, bool by_tag,
        bool force, bool running, const char *user, sk_err **err)
{
  char short_id[13];
  sk_cli_short_id (id, short_id);
  if (running)
    return sk_err_kind (err, EBUSY,
                       "conflict: unable to delete %s (cannot be forced) - image is being used by "
                       "running container %.12s",
                       short_id, user);
  if (!force && by_tag)
    return sk_err_kind (err, EBUSY,
                       "conflict: unable to remove repository reference \"%s\" (must force) - "
                       "container %.12s is using its referenced image %s",
                       what, user, short_id);
  if (!force)
    return sk_err_kind (err, EBUSY,
                       "conflict: unable to delete %s (must be forced) - image is being used by "
                       "stopped container %.12s",
                       short_id, user);
  char *const *lists[] = {info->tags, info->repo_digests};
  for (size_t l = 0; l < 2; l++)
    for (char *const *t = lists[l]; *t; t++) {
      if (sk_images_untag (s->db, *t, err) < 0)
        return -1;
      _cleanup_free_ char *f = sk_image_name_familiar (*t);
      printf ("Untagged: %s\n", f);
    }
  return 0;
}

/* One argument of rmi: untag it, or remove the image when nothing else
 * names it (or with force). */
static int
remove_one (sk_image_service *s, const char *what, bool force, sk_err **err)
{
  _cleanup_free_ char *id = NULL;
  if (sk_image_lookup (s, what, &id, err) < 0)
    return -1;
  sk_image_info *info = NULL;
  if (sk_images_get (s->db, id, &info, err) < 0)
    return -1;
  /* was it named by one of its tags? */
  _cleanup_free_ char *name = NULL;
  sk_image_ref *ref = NULL;
  sk_err *ignored = NULL;
  if (sk_image_ref_parse (what, &ref, &ignored) == 0) {
    name = sk_image_ref_string (ref);
    sk_image_ref_free (ref);
  }
  sk_err_free (&ignored);
  size_t n_tags = 0;
  bool by_tag = false;
  for (char **t = info->tags; *t; t++, n_tags++)
    if (name && strcmp (*t, name) == 0)
      by_tag = true;
  char **users = NULL;
  bool running = false;
  if (sk_ctrs_using_image (s->db, id, &users, &running, err) < 0) {
    sk_image_info_free (info);
    return -1;
  }
  int ret = 0;
  if (users[0] && !(by_tag && n_tags > 1))
    ret = in_use (s, what, id, info, by_tag, force, running, users[0], err);
  else if (by_tag && n_tags > 1) {
    /* another tag keeps the image */
    _cleanup_free_ char *f = sk_image_name_familiar (name);
    if (sk_images_untag (s->db, name, err) < 0)
      ret = -1;
    else
      printf ("Untagged: %s\n", f);
  } else if (!by_tag && n_tags > 1 && !force) {
    char short_id[13];
    sk_cli_short_id (id, short_id);
    ret = sk_err_set (err, 0,
                      "conflict: unable to delete %s (must be forced) - image is referenced in "
                      "multiple repositories",
                      short_id);
  } else {
    for (char **t = info->tags; *t; t++) {
      _cleanup_free_ char *f = sk_image_name_familiar (*t);
      printf ("Untagged: %s\n", f);
    }
    for (char **d = info->repo_digests; *d; d++) {
      _cleanup_free_ char *f = sk_image_name_familiar (*d);
      printf ("Untagged: %s\n", f);
    }
    ret = sk_image_remove (s, id, print_deleted, NULL, NULL, err);
  }
  for (char **u = users; *u; u++)
    free (*u);
  free (users);
  sk_image_info_free (info);
  return ret;
}

int
cmd_rmi (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, rmi_help))
    return 0;
  static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
                                       {"no-prune", no_argument, NULL, 'P'},
                                       {0}};
  bool force = false;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "f", opts, NULL)) != -1) {
    switch (c) {
    case 'f': force = true; break;
    case 'P': break; /* no untagged parents are kept as images here */
    default: return sk_cli_usage ("rmi", "bad option");
    }
  }
  if (optind >= argc)
    return sk_cli_usage ("rmi", "\"rmi\" requires at least 1 argument");
  sk_err *err = NULL;
  sk_image_service *s = NULL;
  if (sk_cli_images (cli, &s, &err) < 0)
    return sk_cli_fail (err);
  int ret = 0;
  for (int i = optind; i < argc; i++) {
    if (remove_one (s, argv[i], force, &err) < 0) {
      fprintf (stderr, "Error: %s\n", err->msg);
      sk_err_free (&err);
      ret = 1;
    }
  }
  return ret;
}

/* ---- inspect ---- */

static const char inspect_help[] = "Usage:  skiff image inspect [OPTIONS] IMAGE [IMAGE...]\n\n"
                                   "Display detailed information on one or more images\n\n"
                                   "Options:\n"
                                   "  -f, --format string   Format the output using the given Go "
                                   "template\n";

static const char *
rfc3339 (int64_t t, char buf[40])
{
  time_t tt = (time_t) t;
  struct tm tm;
  gmtime_r (&tt, &tm);
  strftime (buf, 40, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

static sk_json *
strings_json (char **v, bool make_familiar)
{
  sk_json *a = json_object_new_array ();
  for (char **p = v; p && *p; p++) {
    _cleanup_free_ char *f = make_familiar ? sk_image_name_familiar (*p) : strdup (*p);
    json_object_array_add (a, json_object_new_string (f ? f : *p));
  }
  return a;
}

/* Docker's image inspect document. */
static int
inspect_json (sk_image_service *s, const char *id, sk_json **out, sk_err **err)
{
  sk_image_info *info = NULL;
  sk_image_config *cfg = NULL;
  _cleanup_free_ char *raw = NULL;
  if (sk_images_get (s->db, id, &info, err) < 0)
    return -1;
  if (sk_image_read_config (s, id, &cfg, &raw, err) < 0) {
    sk_image_info_free (info);
    return -1;
  }
  _cleanup_json_ sk_json *rawj = NULL;
  sk_json_parse (raw, strlen (raw), "config", &rawj, err);
  sk_json *o = json_object_new_object ();
  char ts[40];
  json_object_object_add (o, "Id", json_object_new_string (id));
  json_object_object_add (o, "RepoTags", strings_json (info->tags, true));
  json_object_object_add (o, "RepoDigests", strings_json (info->repo_digests, true));
  json_object_object_add (o, "Parent", json_object_new_string (""));
  const char *comment = cfg->n_history ? cfg->history[cfg->n_history - 1].comment : NULL;
  json_object_object_add (o, "Comment", json_object_new_string (comment ? comment : ""));
  json_object_object_add (o, "Created", json_object_new_string (rfc3339 (cfg->created, ts)));
  json_object_object_add (o, "Container", json_object_new_string (""));
  json_object_object_add (o, "DockerVersion", json_object_new_string (""));
  json_object_object_add (o, "Author", json_object_new_string (cfg->author ? cfg->author : ""));
  sk_json *config = NULL;
  if (rawj && json_object_object_get_ex (rawj, "config", &config))
    json_object_object_add (o, "Config", json_object_get (config));
  else
    json_object_object_add (o, "Config", json_object_new_object ());
  json_object_object_add (o, "Architecture",
                          json_object_new_string (cfg->architecture ? cfg->architecture : ""));
  if (cfg->variant)
    json_object_object_add (o, "Variant", json_object_new_string (cfg->variant));
  json_object_object_add (o, "Os", json_object_new_string (cfg->os ? cfg->os : ""));
  json_object_object_add (o, "Size", json_object_new_int64 (info->size));
  json_object_object_add (o, "VirtualSize", json_object_new_int64 (info->size));
  sk_json *gd = json_object_new_object (), *data = json_object_new_object ();
  if (info->top_layer) {
    char **stack = NULL;
    if (sk_images_layer_stack (s->db, info->top_layer, &stack, err) == 0) {
      _cleanup_strbuf_ sk_strbuf lower = SK_STRBUF_INIT;
      for (char **p = stack; *p; p++) {
        _cleanup_free_ char *path = sk_storage_layer_path (s->storage, *p + 7);
        if (p != stack && lower.len)
          sk_strbuf_putc (&lower, ':');
        if (p == stack)
          json_object_object_add (data, "UpperDir", json_object_new_string (path ? path : ""));
        else if (path)
          sk_strbuf_puts (&lower, path);
        free (*p);
      }
      free (stack);
      if (lower.len)
        json_object_object_add (data, "LowerDir", json_object_new_string (lower.buf));
    }
    sk_err_free (err);
  }
  json_object_object_add (gd, "Data", data);
  json_object_object_add (gd, "Name", json_object_new_string (sk_storage_driver (s->storage)));
  json_object_object_add (o, "GraphDriver", gd);
  sk_json *rootfs = json_object_new_object ();
  json_object_object_add (rootfs, "Type", json_object_new_string ("layers"));
  json_object_object_add (rootfs, "Layers", strings_json (cfg->diff_ids, false));
  json_object_object_add (o, "RootFS", rootfs);
  sk_json *meta = json_object_new_object ();
  json_object_object_add (meta, "LastTagTime", json_object_new_string (rfc3339 (info->added, ts)));
  json_object_object_add (o, "Metadata", meta);
  sk_image_config_free (cfg);
  sk_image_info_free (info);
  *out = o;
  return 0;
}

int
sk_cli_image_inspect_json (sk_cli *cli, const char *what, sk_json **doc, sk_err **err)
{
  sk_image_service *s = NULL;
  _cleanup_free_ char *id = NULL;
  if (sk_cli_images (cli, &s, err) < 0 || sk_cli_lookup (cli, what, &id, err) < 0)
    return -1;
  return inspect_json (s, id, doc, err);
}

int
cmd_image_inspect (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, inspect_help))
    return 0;
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                       {"type", required_argument, NULL, 't'},
                                       {0}};
  const char *format = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "f:", opts, NULL)) != -1) {
    switch (c) {
    case 'f': format = optarg; break;
    case 't': break;
    default: return sk_cli_usage ("image inspect", "bad option");
    }
  }
  if (optind >= argc)
    return sk_cli_usage ("image inspect", "\"inspect\" requires at least 1 argument");
  sk_err *err = NULL;
  sk_image_service *s = NULL;
  if (sk_cli_images (cli, &s, &err) < 0)
    return sk_cli_fail (err);
  _cleanup_json_ sk_json *all = json_object_new_array ();
  int ret = 0;
  for (int i = optind; i < argc; i++) {
    _cleanup_free_ char *id = NULL;
    sk_json *doc = NULL;
    if (sk_cli_lookup (cli, argv[i], &id, &err) < 0 || inspect_json (s, id, &doc, &err) < 0) {
      fprintf (stderr, "Error: %s\n", err->msg);
      sk_err_free (&err);
      ret = 1;
      continue;
    }
    json_object_array_add (all, doc);
  }
  int printed = sk_cli_print_docs (format, all);
  return printed ? printed : ret;
}

/* ---- history ---- */

static const char history_help[] = "Usage:  skiff history [OPTIONS] IMAGE\n\n"
                                   "Show the history of an image\n\n"
                                   "Options:\n"
                                   "      --format string   Pretty-print images using a Go template\n"
                                   "  -H, --human           Print sizes and dates in human readable "
                                   "format (default true)\n"
                                   "      --no-trunc        Don't truncate output\n"
                                   "  -q, --quiet           Only show image IDs\n";

static const sk_cli_column history_columns[] = {{"ID", "IMAGE"},         {"CreatedSince", "CREATED"},
                                                {"CreatedAt", "CREATED AT"}, {"CreatedBy", "CREATED BY"},
                                                {"Size", "SIZE"},         {"Comment", "COMMENT"},
                                                {NULL, NULL}};

int
cmd_history (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, history_help))
    return 0;
  enum { O_FORMAT = 1000, O_NO_TRUNC };
  static const struct option opts[] = {{"format", required_argument, NULL, O_FORMAT},
                                       {"human", required_argument, NULL, 'H'},
                                       {"no-trunc", no_argument, NULL, O_NO_TRUNC},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {0}};
  const char *format = NULL;
  bool no_trunc = false, quiet = false;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "H:q", opts, NULL)) != -1) {
    switch (c) {
    case O_FORMAT: format = optarg; break;
    case 'H': break;
    case O_NO_TRUNC: no_trunc = true; break;
    case 'q': quiet = true; break;
    default: return sk_cli_usage ("history", "bad option");
    }
  }
  if (argc - optind != 1)
    return sk_cli_usage ("history", "\"history\" requires exactly 1 argument");
  sk_err *err = NULL;
  sk_image_service *s = NULL;
  _cleanup_free_ char *id = NULL;
  sk_image_config *cfg = NULL;
  sk_image_info *info = NULL;
  if (sk_cli_images (cli, &s, &err) < 0 || sk_cli_lookup (cli, argv[optind], &id, &err) < 0 ||
      sk_images_get (s->db, id, &info, &err) < 0 ||
      sk_image_read_config (s, id, &cfg, NULL, &err) < 0)
    return sk_image_info_free (info), sk_cli_fail (err);
  /* the sizes of the layers, base first */
  char **stack = NULL;
  size_t n_stack = 0;
  if (info->top_layer && sk_images_layer_stack (s->db, info->top_layer, &stack, &err) < 0)
    sk_err_free (&err);
  while (stack && stack[n_stack])
    n_stack++;
  time_t now = time (NULL);
  size_t n = cfg->n_history;
  sk_json **rows = calloc (n + 1, sizeof *rows);
  size_t layer = 0; /* counts non-empty entries from the base */
  for (size_t k = 0; k < n; k++) {
    const sk_history *h = &cfg->history[k];
    int64_t size = 0;
    if (!h->empty_layer) {
      if (layer < n_stack)
        size = sk_images_layer_size (s->db, stack[n_stack - 1 - layer]);
      layer++;
    }
    char id12[13], sz[32], since[64], at[40];
    sk_cli_short_id (id, id12);
    sk_cli_human_size (size, sz, sizeof sz);
    sk_cli_human_since ((time_t) h->created, now, since, sizeof since);
    const char *by = h->created_by ? h->created_by : "";
    _cleanup_free_ char *shown = NULL;
    if (!no_trunc && strlen (by) > 45 && asprintf (&shown, "%.44s…", by) < 0)
      shown = NULL;
    sk_json *o = json_object_new_object ();
    bool top = k == n - 1;
    json_object_object_add (o, "ID", json_object_new_string (top ? (no_trunc ? id : id12) : "<missing>"));
    json_object_object_add (o, "CreatedSince", json_object_new_string (since));
    json_object_object_add (o, "CreatedAt", json_object_new_string (rfc3339 (h->created, at)));
    json_object_object_add (o, "CreatedBy", json_object_new_string (shown ? shown : by));
    json_object_object_add (o, "Size", json_object_new_string (sz));
    json_object_object_add (o, "Comment", json_object_new_string (h->comment ? h->comment : ""));
    rows[n - 1 - k] = o; /* newest first */
  }
  int ret = 0;
  if (quiet) {
    for (size_t k = 0; k < n; k++) {
      sk_json *v = NULL;
      json_object_object_get_ex (rows[k], "ID", &v);
      printf ("%s\n", json_object_get_string (v));
    }
  } else if (sk_cli_render (format ? format
                                   : "table {{.ID}}\\t{{.CreatedSince}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}",
                            rows, n, history_columns, stdout, &err) < 0) {
    ret = sk_cli_fail (err);
  }
  for (size_t k = 0; k < n; k++)
    json_object_put (rows[k]);
  free (rows);
  strv_free (stack);
  sk_image_config_free (cfg);
  sk_image_info_free (info);
  return ret;
}

/* ---- skiff image SUBCOMMAND ---- */

int
cmd_image (sk_cli *cli, int argc, char **argv)
{
  static const struct {
    const char *name;
    sk_cli_fn fn;
  } subs[] = {{"ls", cmd_images},       {"list", cmd_images},      {"rm", cmd_rmi},
              {"remove", cmd_rmi},      {"tag", cmd_tag},          {"inspect", cmd_image_inspect},
              {"history", cmd_history}, {"import", cmd_import},    {"prune", cmd_image_prune},
              {"load", cmd_load},       {"save", cmd_save}};
  if (argc < 2 || strcmp (argv[1], "--help") == 0) {
    printf ("Usage:  skiff image COMMAND\n\nManage images\n\nCommands:\n"
            "  history     Show the history of an image\n"
            "  import      Import the contents from a tarball to create a filesystem image\n"
            "  inspect     Display detailed information on one or more images\n"
            "  load        Load an image from a tar archive or STDIN\n"
            "  ls          List images\n"
            "  prune       Remove unused images\n"
            "  rm          Remove one or more images\n"
            "  save        Save one or more images to a tar archive\n"
            "  tag         Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE\n");
    return argc < 2 ? 125 : 0;
  }
  for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
    if (strcmp (subs[i].name, argv[1]) == 0)
      return subs[i].fn (cli, argc - 1, argv + 1);
  fprintf (stderr, "skiff: 'image %s' is not a skiff command (see `skiff image --help`)\n", argv[1]);
  return 125;
}
