/* skiff: image documents (see image.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "image.h"
#include "util/cleanup.h"
#include "util/json.h"

const char *const sk_manifest_accept[] = {
    SK_MT_OCI_INDEX, SK_MT_DOCKER_LIST, SK_MT_OCI_MANIFEST, SK_MT_DOCKER_MANIFEST, NULL,
};

static bool
valid_digest (const char *d)
{
  if (strncmp (d, "sha256:", 7) != 0 || strlen (d) != 71)
    return false;
  for (const char *p = d + 7; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
      return false;
  return true;
}

static void
strv_free (char **v)
{
  for (char **p = v; p && *p; p++)
    free (*p);
  free (v);
}

static size_t
strv_len (char **v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

static void
descriptor_clear (sk_descriptor *d)
{
  free (d->media_type);
  free (d->digest);
  free (d->platform.os);
  free (d->platform.architecture);
  free (d->platform.variant);
}

static int
parse_descriptor (const sk_jr *r, bool with_platform, sk_descriptor *d, sk_err **err)
{
  int k = sk_jr_object (r, err);
  if (k <= 0)
    return k < 0 ? -1 : sk_jr_fail (r, err, "missing");
  sk_jr mt = sk_jr_member (r, "mediaType"), dg = sk_jr_member (r, "digest"),
        sz = sk_jr_member (r, "size");
  if (sk_jr_string (&mt, &d->media_type, err) < 0)
    return -1;
  int has = sk_jr_string (&dg, &d->digest, err);
  if (has < 0)
    return -1;
  if (has == 0)
    return sk_jr_fail (&dg, err, "missing");
  if (!valid_digest (d->digest))
    return sk_jr_fail (&dg, err, "`%.80s` is not a sha256 digest (sha256:<64 hex>)", d->digest);
  has = sk_jr_int64 (&sz, &d->size, err);
  if (has < 0)
    return -1;
  if (has == 0)
    return sk_jr_fail (&sz, err, "missing");
  if (d->size < 0)
    return sk_jr_fail (&sz, err, "negative");
  if (with_platform) {
    sk_jr p = sk_jr_member (r, "platform");
    if (sk_jr_object (&p, err) < 0)
      return -1;
    sk_jr os = sk_jr_member (&p, "os"), arch = sk_jr_member (&p, "architecture"),
          var = sk_jr_member (&p, "variant");
    if (sk_jr_string (&os, &d->platform.os, err) < 0 ||
        sk_jr_string (&arch, &d->platform.architecture, err) < 0 ||
        sk_jr_string (&var, &d->platform.variant, err) < 0)
      return -1;
  }
  return 0;
}

static int
parse_descriptors (const sk_jr *r, bool with_platform, sk_descriptor **out, size_t *n,
                   sk_err **err)
{
  size_t len = 0;
  int k = sk_jr_array (r, &len, err);
  if (k < 0)
    return -1;
  if (k == 0)
    return sk_jr_fail (r, err, "missing");
  *out = calloc (len ? len : 1, sizeof **out);
  if (*out == NULL)
    return sk_err_set (err, ENOMEM, "descriptors");
  *n = len;
  for (size_t i = 0; i < len; i++) {
    sk_jr e = sk_jr_element (r, i);
    if (parse_descriptor (&e, with_platform, &(*out)[i], err) < 0)
      return -1;
  }
  return 0;
}

void
sk_image_doc_free (sk_image_doc *d)
{
  if (d == NULL)
    return;
  free (d->media_type);
  descriptor_clear (&d->config);
  for (size_t i = 0; i < d->n_layers; i++)
    descriptor_clear (&d->layers[i]);
  free (d->layers);
  for (size_t i = 0; i < d->n_manifests; i++)
    descriptor_clear (&d->manifests[i]);
  free (d->manifests);
  free (d);
}

static int
doc_parse (sk_image_doc *d, sk_json *root, const char *content_type, sk_err **err)
{
  sk_jr r = {.obj = root};
  if (sk_jr_object (&r, err) < 0)
    return -1;
  sk_jr ver = sk_jr_member (&r, "schemaVersion"), mt = sk_jr_member (&r, "mediaType");
  int64_t version = 0;
  if (sk_jr_int64 (&ver, &version, err) < 0 || sk_jr_string (&mt, &d->media_type, err) < 0)
    return -1;
  const char *type = d->media_type ? d->media_type : content_type;
  if (version == 1 || (type && (strcmp (type, SK_MT_DOCKER_SCHEMA1) == 0 ||
                                strcmp (type, SK_MT_DOCKER_SCHEMA1_SIGNED) == 0)))
    return sk_err_set (err, 0,
                       "schema 1 manifests are not supported (deprecated by Docker since 2019): "
                       "push the image again with a current client");
  if (version != 2)
    return sk_jr_fail (&ver, err, "expected 2, got %lld", (long long) version);
  if (d->media_type == NULL && content_type && *content_type) {
    d->media_type = strndup (content_type, strcspn (content_type, "; "));
    if (d->media_type == NULL)
      return sk_err_set (err, ENOMEM, "manifest");
  }
  sk_jr manifests = sk_jr_member (&r, "manifests"), layers = sk_jr_member (&r, "layers");
  bool index;
  if (d->media_type && (strcmp (d->media_type, SK_MT_OCI_INDEX) == 0 ||
                        strcmp (d->media_type, SK_MT_DOCKER_LIST) == 0))
    index = true;
  else if (d->media_type && (strcmp (d->media_type, SK_MT_OCI_MANIFEST) == 0 ||
                             strcmp (d->media_type, SK_MT_DOCKER_MANIFEST) == 0))
    index = false;
  else if (d->media_type)
    return sk_jr_fail (&mt, err, "`%.100s` is not a manifest or an index", d->media_type);
  else if (manifests.obj && !layers.obj)
    index = true; /* an OCI document may leave its mediaType out */
  else if (layers.obj && !manifests.obj)
    index = false;
  else
    return sk_err_set (err, 0, "neither a manifest nor an index (no mediaType, %s)",
                       manifests.obj ? "both manifests and layers" : "no manifests or layers");
  if (index) {
    d->kind = SK_DOC_INDEX;
    return parse_descriptors (&manifests, true, &d->manifests, &d->n_manifests, err);
  }
  d->kind = SK_DOC_MANIFEST;
  sk_jr config = sk_jr_member (&r, "config");
  if (parse_descriptor (&config, false, &d->config, err) < 0 ||
      parse_descriptors (&layers, false, &d->layers, &d->n_layers, err) < 0)
    return -1;
  for (size_t i = 0; i < d->n_layers; i++) {
    const char *lt = d->layers[i].media_type;
    if (lt == NULL || sk_layer_compression (lt) == NULL) {
      sk_jr e = sk_jr_element (&layers, i);
      sk_jr m = sk_jr_member (&e, "mediaType");
      return sk_jr_fail (&m, err, "`%.100s` is not a layer type skiff can apply",
                         lt ? lt : "(none)");
    }
  }
  return 0;
}

int
sk_image_doc_parse (const char *data, size_t len, const char *content_type,
                    sk_image_doc **out, sk_err **err)
{
  _cleanup_json_ sk_json *root = NULL;
  if (sk_json_parse (data, len, "manifest", &root, err) < 0)
    return -1;
  sk_image_doc *d = calloc (1, sizeof *d);
  if (d == NULL)
    return sk_err_set (err, ENOMEM, "manifest");
  if (doc_parse (d, root, content_type, err) < 0) {
    sk_image_doc_free (d);
    return sk_err_wrap (err, "manifest");
  }
  *out = d;
  return 0;
}

const char *
sk_layer_compression (const char *media_type)
{
  if (strcmp (media_type, SK_MT_OCI_LAYER) == 0 ||
      strcmp (media_type, "application/vnd.docker.image.rootfs.diff.tar") == 0)
    return "";
  if (strcmp (media_type, SK_MT_OCI_LAYER_GZIP) == 0 || strcmp (media_type, SK_MT_DOCKER_LAYER) == 0)
    return "gzip";
  if (strcmp (media_type, SK_MT_OCI_LAYER_ZSTD) == 0)
    return "zstd";
  return NULL;
}

const char *
sk_host_platform (void)
{
  static char platform[80];
  if (*platform)
    return platform;
  struct utsname u;
  const char *arch = "amd64";
  if (uname (&u) == 0) {
    if (strcmp (u.machine, "aarch64") == 0)
      arch = "arm64";
    else if (strcmp (u.machine, "x86_64") != 0)
      arch = u.machine;
  }
  snprintf (platform, sizeof platform, "linux/%s", arch);
  return platform;
}

static bool
platform_matches (const sk_platform *p, const char *os, const char *arch, const char *variant)
{
  if (!p->os || !p->architecture || strcmp (p->os, os) != 0 || strcmp (p->architecture, arch) != 0)
    return false;
  if (variant == NULL)
    return true; /* no variant asked: the first entry for os/arch */
  /* arm64 images often leave v8 out */
  const char *have = p->variant ? p->variant : (strcmp (arch, "arm64") == 0 ? "v8" : "");
  return strcmp (have, variant) == 0;
}

int
sk_image_doc_select (const sk_image_doc *index, const char *platform, size_t *which, sk_err **err)
{
  char buf[128];
  snprintf (buf, sizeof buf, "%s", platform);
  char *os = buf, *arch = strchr (buf, '/'), *variant = NULL;
  if (arch == NULL)
    return sk_err_set (err, 0, "invalid platform `%s`: os/arch[/variant], like linux/amd64",
                       platform);
  *arch++ = '\0';
  if ((variant = strchr (arch, '/')))
    *variant++ = '\0';
  if (!*os || !*arch || (variant && !*variant))
    return sk_err_set (err, 0, "invalid platform `%s`: os/arch[/variant], like linux/amd64",
                       platform);
  for (size_t i = 0; i < index->n_manifests; i++)
    if (platform_matches (&index->manifests[i].platform, os, arch, variant)) {
      *which = i;
      return 0;
    }
  char have[512] = "";
  size_t used = 0;
  for (size_t i = 0; i < index->n_manifests && used < sizeof have - 1; i++) {
    const sk_platform *p = &index->manifests[i].platform;
    int n = snprintf (have + used, sizeof have - used, "%s%s/%s%s%s", i ? ", " : "",
                      p->os ? p->os : "?", p->architecture ? p->architecture : "?",
                      p->variant ? "/" : "", p->variant ? p->variant : "");
    if (n < 0)
      break;
    used += (size_t) n;
  }
  return sk_err_set (err, 0, "no image for the platform %s (the image has: %s)", platform,
                     *have ? have : "none");
}

/* RFC 3339, as Go writes it: 2023-05-19T20:19:27.123456789Z or +02:00. */
static int
parse_time (const char *s, int64_t *out)
{
  struct tm tm = {0};
  const char *rest = strptime (s, "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == NULL)
    return -1;
  if (*rest == '.')
    for (rest++; *rest >= '0' && *rest <= '9'; rest++)
      ;
  int64_t t = (int64_t) timegm (&tm);
  if (*rest == 'Z' || *rest == 'z') {
    rest++;
  } else if (*rest == '+' || *rest == '-') {
    int h, m;
    if (sscanf (rest + 1, "%2d:%2d", &h, &m) != 2)
      return -1;
    t -= (*rest == '+' ? 1 : -1) * (int64_t) (h * 3600 + m * 60);
    rest += 6;
  } else {
    return -1;
  }
  if (*rest)
    return -1;
  *out = t;
  return 0;
}

static int
read_time (const sk_jr *r, int64_t *out, sk_err **err)
{
  _cleanup_free_ char *s = NULL;
  int k = sk_jr_string (r, &s, err);
  if (k <= 0)
    return k;
  if (parse_time (s, out) < 0)
    return sk_jr_fail (r, err, "`%.60s` is not an RFC 3339 time", s);
  return 1;
}

/* {"80/tcp": {}} into "80/tcp" */
static int
read_keys (const sk_jr *r, char ***out, sk_err **err)
{
  int k = sk_jr_object (r, err);
  if (k <= 0)
    return k;
  size_t n = (size_t) json_object_object_length (r->obj), i = 0;
  char **v = calloc (n + 1, sizeof *v);
  if (v == NULL)
    return sk_err_set (err, ENOMEM, "config");
  json_object_object_foreach (r->obj, key, val)
  {
    (void) val;
    if ((v[i++] = strdup (key)) == NULL) {
      strv_free (v);
      return sk_err_set (err, ENOMEM, "config");
    }
  }
  *out = v;
  return 1;
}

void
sk_image_config_free (sk_image_config *c)
{
  if (c == NULL)
    return;
  free (c->architecture);
  free (c->os);
  free (c->variant);
  free (c->author);
  strv_free (c->diff_ids);
  free (c->user);
  free (c->working_dir);
  free (c->stop_signal);
  strv_free (c->env);
  strv_free (c->entrypoint);
  strv_free (c->cmd);
  strv_free (c->exposed_ports);
  strv_free (c->volumes);
  strv_free (c->label_keys);
  strv_free (c->label_values);
  for (size_t i = 0; i < c->n_history; i++) {
    free (c->history[i].created_by);
    free (c->history[i].comment);
    free (c->history[i].author);
  }
  free (c->history);
  free (c);
}

static int
config_parse (sk_image_config *c, sk_json *root, sk_err **err)
{
  sk_jr r = {.obj = root};
  if (sk_jr_object (&r, err) < 0)
    return -1;
  sk_jr arch = sk_jr_member (&r, "architecture"), os = sk_jr_member (&r, "os"),
        var = sk_jr_member (&r, "variant"), author = sk_jr_member (&r, "author"),
        created = sk_jr_member (&r, "created"), rootfs = sk_jr_member (&r, "rootfs");
  if (sk_jr_string (&arch, &c->architecture, err) < 0 || sk_jr_string (&os, &c->os, err) < 0 ||
      sk_jr_string (&var, &c->variant, err) < 0 || sk_jr_string (&author, &c->author, err) < 0 ||
      read_time (&created, &c->created, err) < 0)
    return -1;
  if (sk_jr_object (&rootfs, err) <= 0)
    return rootfs.obj ? -1 : sk_jr_fail (&rootfs, err, "missing");
  sk_jr type = sk_jr_member (&rootfs, "type"), ids = sk_jr_member (&rootfs, "diff_ids");
  _cleanup_free_ char *t = NULL;
  if (sk_jr_string (&type, &t, err) < 0)
    return -1;
  if (t == NULL || strcmp (t, "layers") != 0)
    return sk_jr_fail (&type, err, "expected \"layers\"");
  int k = sk_jr_strv (&ids, &c->diff_ids, err);
  if (k < 0)
    return -1;
  if (k == 0)
    return sk_jr_fail (&ids, err, "missing");
  c->n_diff_ids = strv_len (c->diff_ids);
  for (size_t i = 0; i < c->n_diff_ids; i++)
    if (!valid_digest (c->diff_ids[i])) {
      sk_jr e = sk_jr_element (&ids, i);
      return sk_jr_fail (&e, err, "`%.80s` is not a sha256 digest", c->diff_ids[i]);
    }

  sk_jr cfg = sk_jr_member (&r, "config");
  if (sk_jr_object (&cfg, err) < 0)
    return -1;
  if (cfg.obj) {
    sk_jr user = sk_jr_member (&cfg, "User"), wd = sk_jr_member (&cfg, "WorkingDir"),
          sig = sk_jr_member (&cfg, "StopSignal"), env = sk_jr_member (&cfg, "Env"),
          ep = sk_jr_member (&cfg, "Entrypoint"), cmd = sk_jr_member (&cfg, "Cmd"),
          ports = sk_jr_member (&cfg, "ExposedPorts"), vols = sk_jr_member (&cfg, "Volumes"),
          labels = sk_jr_member (&cfg, "Labels");
    if (sk_jr_string (&user, &c->user, err) < 0 || sk_jr_string (&wd, &c->working_dir, err) < 0 ||
        sk_jr_string (&sig, &c->stop_signal, err) < 0 || sk_jr_strv (&env, &c->env, err) < 0 ||
        sk_jr_strv (&ep, &c->entrypoint, err) < 0 || sk_jr_strv (&cmd, &c->cmd, err) < 0 ||
        read_keys (&ports, &c->exposed_ports, err) < 0 || read_keys (&vols, &c->volumes, err) < 0 ||
        sk_jr_string_map (&labels, &c->label_keys, &c->label_values, err) < 0)
      return -1;
  }

  sk_jr hist = sk_jr_member (&r, "history");
  size_t n = 0;
  k = sk_jr_array (&hist, &n, err);
  if (k < 0)
    return -1;
  if (k > 0 && n > 0) {
    c->history = calloc (n, sizeof *c->history);
    if (c->history == NULL)
      return sk_err_set (err, ENOMEM, "config");
    c->n_history = n;
    for (size_t i = 0; i < n; i++) {
      sk_jr h = sk_jr_element (&hist, i);
      if (sk_jr_object (&h, err) < 0)
        return -1;
      sk_jr hc = sk_jr_member (&h, "created"), by = sk_jr_member (&h, "created_by"),
            cm = sk_jr_member (&h, "comment"), au = sk_jr_member (&h, "author"),
            empty = sk_jr_member (&h, "empty_layer");
      if (read_time (&hc, &c->history[i].created, err) < 0 ||
          sk_jr_string (&by, &c->history[i].created_by, err) < 0 ||
          sk_jr_string (&cm, &c->history[i].comment, err) < 0 ||
          sk_jr_string (&au, &c->history[i].author, err) < 0 ||
          sk_jr_bool (&empty, &c->history[i].empty_layer, err) < 0)
        return -1;
    }
  }
  return 0;
}

int
sk_image_config_parse (const char *data, size_t len, sk_image_config **out, sk_err **err)
{
  _cleanup_json_ sk_json *root = NULL;
  if (sk_json_parse (data, len, "image config", &root, err) < 0)
    return -1;
  sk_image_config *c = calloc (1, sizeof *c);
  if (c == NULL)
    return sk_err_set (err, ENOMEM, "image config");
  if (config_parse (c, root, err) < 0) {
    sk_image_config_free (c);
    return sk_err_wrap (err, "image config");
  }
  *out = c;
  return 0;
}
