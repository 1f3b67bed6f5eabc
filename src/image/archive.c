/* skiff: `load`: image tarballs in docker's format (manifest.json) or as an
 * OCI layout (index.json). The archive is read twice: first for its
 * documents and its list of entries, then for the blobs it refers to, which
 * go into the content store as they stream by. A tarball from a pipe is
 * first copied to an unnamed file of the data root. Nothing in it is
 * trusted: a path with ".." or a leading "/" is refused, a blob is stored
 * under the digest of its content (an OCI blob whose content differs from
 * its name is an error), names are parsed as image references. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive-lazy.h"
#include "oci/reference.h"
#include "service.h"
#include "util/cleanup.h"
#include "util/json.h"

#define DOC_MAX (4u << 20)
#define MAX_ENTRIES 100000

typedef struct entry {
  char *name;   /* normalised: no "./", no leading "/" */
  char *target; /* a symlink's target, normalised against its directory; else NULL */
  bool wanted;
  bool stored;
  bool stored_here; /* this load put it in the store */
  sk_digest digest;
  int64_t size;
} entry;

typedef struct archive_plan {
  entry *entries;
  size_t n, alloc;
  char *manifest_json, *index_json;
  size_t manifest_len, index_len;
  bool oci_layout;
} archive_plan;

static void
plan_free (archive_plan *p)
{
  for (size_t i = 0; i < p->n; i++) {
    free (p->entries[i].name);
    free (p->entries[i].target);
  }
  free (p->entries);
  free (p->manifest_json);
  free (p->index_json);
}

/* "./a//b/" -> "a/b"; NULL for an empty path, and for one with ".."
 * unless resolve_dotdot (a link's target), where ".." goes up a directory
 * but never above the archive's top. */
static char *
normalise_path (const char *path, bool resolve_dotdot)
{
  char *out = malloc (strlen (path) + 1), *o = out;
  if (out == NULL)
    return NULL;
  const char *p = path;
  while (*p) {
    while (*p == '/')
      p++;
    size_t n = strcspn (p, "/");
    if (n == 0)
      break;
    if (n == 2 && p[0] == '.' && p[1] == '.') {
      if (!resolve_dotdot || o == out) {
        free (out);
        return NULL;
      }
      while (o > out && o[-1] != '/')
        o--;
      if (o > out)
        o--; /* the '/' before the dropped component */
      p += n;
      continue;
    }
    if (!(n == 1 && p[0] == '.')) {
      if (o != out)
        *o++ = '/';
      memcpy (o, p, n);
      o += n;
    }
    p += n;
  }
  *o = '\0';
  if (o == out) {
    free (out);
    return NULL;
  }
  return out;
}

static char *
normalise (const char *path)
{
  return normalise_path (path, false);
}

static struct archive *
open_reader (int fd, sk_err **err)
{
  if (lseek (fd, 0, SEEK_SET) < 0) {
    sk_err_set (err, errno, "rewind the archive");
    return NULL;
  }
  struct archive *a = archive_read_new ();
  if (a == NULL) {
    sk_archive_alloc_error (err, "archive");
    return NULL;
  }
  /* the filters libarchive does itself, none that runs a program */
  archive_read_support_filter_gzip (a);
  archive_read_support_filter_zstd (a);
  archive_read_support_filter_xz (a);
  archive_read_support_filter_bzip2 (a);
  archive_read_support_format_tar (a);
  archive_read_support_format_gnutar (a);
  if (archive_read_open_fd (a, fd, 65536) != ARCHIVE_OK) {
    sk_err_set (err, 0, "not an image archive: %s", archive_error_string (a));
    archive_read_free (a);
    return NULL;
  }
  return a;
}

static int
read_doc (struct archive *a, const char *name, char **out, size_t *len, sk_err **err)
{
  _cleanup_free_ char *buf = malloc (DOC_MAX + 1);
  if (buf == NULL)
    return sk_err_set (err, ENOMEM, "archive");
  size_t got = 0;
  for (;;) {
    la_ssize_t n = archive_read_data (a, buf + got, DOC_MAX + 1 - got);
    if (n < 0)
      return sk_err_set (err, 0, "archive entry `%s`: %s", name, archive_error_string (a));
    if (n == 0)
      break;
    got += (size_t) n;
    if (got > DOC_MAX)
      return sk_err_set (err, 0, "archive entry `%s`: larger than %u bytes", name, DOC_MAX);
  }
  buf[got] = '\0';
  *out = steal_ptr (buf);
  *len = got;
  return 0;
}

/* Pass 1: the entries and the documents. */
static int
scan (int fd, archive_plan *p, sk_err **err)
{
  struct archive *a = open_reader (fd, err);
  if (a == NULL)
    return -1;
  int ret = 0;
  struct archive_entry *e;
  int r;
  while (ret == 0 && (r = archive_read_next_header (a, &e)) == ARCHIVE_OK) {
    const char *raw = archive_entry_pathname (e);
    mode_t type = archive_entry_filetype (e);
    if (raw == NULL)
      continue;
    if (type == AE_IFDIR)
      continue;
    _cleanup_free_ char *name = normalise (raw);
    if (name == NULL || raw[0] == '/') {
      ret = sk_err_set (err, 0, "archive entry `%.200s`: a path outside the archive", raw);
      break;
    }
    if (strcmp (name, "manifest.json") == 0 && type == AE_IFREG) {
      ret = read_doc (a, name, &p->manifest_json, &p->manifest_len, err);
      continue;
    }
    if (strcmp (name, "index.json") == 0 && type == AE_IFREG) {
      ret = read_doc (a, name, &p->index_json, &p->index_len, err);
      continue;
    }
    if (strcmp (name, "oci-layout") == 0)
      p->oci_layout = true;
    if (type != AE_IFREG && type != AE_IFLNK)
      continue;
    if (p->n >= MAX_ENTRIES) {
      ret = sk_err_set (err, 0, "the archive has more than %d entries", MAX_ENTRIES);
      break;
    }
    if (p->n + 1 >= p->alloc) {
      size_t na = p->alloc ? p->alloc * 2 : 64;
      entry *ne = realloc (p->entries, na * sizeof *ne);
      if (ne == NULL) {
        ret = sk_err_set (err, ENOMEM, "archive");
        break;
      }
      p->entries = ne;
      p->alloc = na;
    }
    entry *en = &p->entries[p->n];
    *en = (entry){.name = steal_ptr (name), .size = archive_entry_size (e)};
    p->n++;
    if (type == AE_IFLNK) {
      /* docker save links a repeated layer to its first copy */
      const char *t = archive_entry_symlink (e);
      _cleanup_free_ char *joined = NULL;
      const char *slash = strrchr (en->name, '/');
      if (t == NULL || t[0] == '/' ||
          asprintf (&joined, "%.*s%s%s", slash ? (int) (slash - en->name) : 0, en->name,
                    slash ? "/" : "", t) < 0 ||
          (en->target = normalise_path (joined, true)) == NULL) {
        ret = sk_err_set (err, 0, "archive entry `%.200s`: a link outside the archive", en->name);
        break;
      }
    }
  }
  if (ret == 0 && r != ARCHIVE_EOF)
    ret = sk_err_set (err, 0, "not an image archive: %s", archive_error_string (a));
  archive_read_free (a);
  return ret;
}

static entry *
find (archive_plan *p, const char *name)
{
  _cleanup_free_ char *n = normalise (name);
  if (n == NULL)
    return NULL;
  for (int hops = 0; hops < 8; hops++) {
    entry *found = NULL;
    for (size_t i = 0; i < p->n; i++)
      if (strcmp (p->entries[i].name, n) == 0)
        found = &p->entries[i];
    if (found == NULL || found->target == NULL)
      return found;
    free (n);
    n = strdup (found->target);
    if (n == NULL)
      return NULL;
  }
  return NULL;
}

/* Pass 2: the wanted entries into the store. An OCI blob's name is its
 * digest and must match; a docker-archive file gets the digest of its
 * content. */
static int
store_wanted (sk_image_service *s, int fd, archive_plan *p, sk_err **err)
{
  struct archive *a = open_reader (fd, err);
  if (a == NULL)
    return -1;
  int ret = 0;
  struct archive_entry *e;
  char buf[65536];
  while (ret == 0 && archive_read_next_header (a, &e) == ARCHIVE_OK) {
    if (archive_entry_filetype (e) != AE_IFREG)
      continue;
    _cleanup_free_ char *name = normalise (archive_entry_pathname (e));
    entry *en = NULL;
    for (size_t i = 0; name && i < p->n; i++)
      if (strcmp (p->entries[i].name, name) == 0 && p->entries[i].target == NULL)
        en = &p->entries[i];
    if (en == NULL || !en->wanted || en->stored)
      continue;
    sk_digest expected, *want = NULL;
    if (p->oci_layout && strncmp (name, "blobs/sha256/", 13) == 0) {
      char ds[SK_DIGEST_STR_SIZE];
      snprintf (ds, sizeof ds, "sha256:%.64s", name + 13);
      if (strlen (name + 13) != SK_DIGEST_HEX_LEN || sk_digest_parse (ds, &expected, err) < 0) {
        ret = sk_err_set (err, 0, "archive entry `%.200s`: not a blob name", name);
        break;
      }
      want = &expected;
    }
    sk_blob_writer *w = NULL;
    int r = sk_blob_writer_begin (s->store, want, want ? en->size : -1, &w, err);
    if (r < 0) {
      ret = -1;
      break;
    }
    if (r == 1) { /* stored already */
      en->digest = expected;
      en->stored = true;
      continue;
    }
    for (;;) {
      la_ssize_t n = archive_read_data (a, buf, sizeof buf);
      if (n < 0) {
        ret = sk_err_set (err, 0, "archive entry `%s`: %s", name, archive_error_string (a));
        break;
      }
      if (n == 0)
        break;
      if (sk_blob_write (w, buf, (size_t) n, err) < 0) {
        ret = -1;
        break;
      }
    }
    if (ret < 0) {
      sk_blob_writer_abort (w, false);
      break;
    }
    if (sk_blob_writer_commit (w, &en->digest, err) < 0) {
      ret = sk_err_wrap (err, "archive entry `%s`", name);
      break;
    }
    en->stored = en->stored_here = true;
  }
  archive_read_free (a);
  return ret;
}

static entry *
want (archive_plan *p, const char *name, sk_err **err)
{
  entry *e = find (p, name);
  if (e == NULL) {
    sk_err_set (err, 0, "the archive names `%.200s`, which it does not hold", name);
    return NULL;
  }
  e->wanted = true;
  return e;
}

/* ---- docker's format ---- */

typedef struct docker_image {
  entry *config;
  entry **layers;
  size_t n_layers;
  char **tags; /* normalised */
} docker_image;

static int
docker_plan (archive_plan *p, docker_image **out, size_t *n_out, sk_err **err)
{
  _cleanup_json_ sk_json *root = NULL;
  if (sk_json_parse (p->manifest_json, p->manifest_len, "manifest.json", &root, err) < 0)
    return -1;
  sk_jr r = {.obj = root, .key = "manifest.json"};
  size_t n = 0;
  if (sk_jr_array (&r, &n, err) <= 0)
    return r.obj && json_object_is_type (r.obj, json_type_array) ? -1
                                                                  : sk_jr_fail (&r, err, "expected an array");
  docker_image *imgs = calloc (n + 1, sizeof *imgs);
  if (imgs == NULL)
    return sk_err_set (err, ENOMEM, "archive");
  *out = imgs;
  *n_out = n;
  for (size_t i = 0; i < n; i++) {
    sk_jr item = sk_jr_element (&r, i), cfg = sk_jr_member (&item, "Config"),
          tags = sk_jr_member (&item, "RepoTags"), layers = sk_jr_member (&item, "Layers");
    _cleanup_free_ char *config = NULL;
    _cleanup_strv_ char **tagv = NULL;
    _cleanup_strv_ char **layerv = NULL;
    if (sk_jr_object (&item, err) < 0 || sk_jr_string (&cfg, &config, err) < 0 ||
        sk_jr_strv (&tags, &tagv, err) < 0 || sk_jr_strv (&layers, &layerv, err) < 0)
      return -1;
    if (config == NULL)
      return sk_jr_fail (&cfg, err, "missing");
    if ((imgs[i].config = want (p, config, err)) == NULL)
      return -1;
    size_t nl = 0;
    while (layerv && layerv[nl])
      nl++;
    imgs[i].layers = calloc (nl + 1, sizeof *imgs[i].layers);
    imgs[i].n_layers = nl;
    imgs[i].tags = calloc (1, sizeof (char *));
    size_t nt = 0;
    for (size_t k = 0; k < nl; k++)
      if ((imgs[i].layers[k] = want (p, layerv[k], err)) == NULL)
        return -1;
    for (char **t = tagv; t && *t; t++) {
      sk_image_ref *ref = NULL;
      if (sk_image_ref_parse (*t, &ref, err) < 0)
        return sk_err_wrap (err, "manifest.json[%zu].RepoTags", i);
      char **nv = realloc (imgs[i].tags, (nt + 2) * sizeof (char *));
      if (nv)
        imgs[i].tags = nv;
      imgs[i].tags[nt++] = sk_image_ref_string (ref);
      imgs[i].tags[nt] = NULL;
      sk_image_ref_free (ref);
    }
  }
  return 0;
}

static void
docker_free (docker_image *imgs, size_t n)
{
  for (size_t i = 0; imgs && i < n; i++) {
    free (imgs[i].layers);
    for (char **t = imgs[i].tags; t && *t; t++)
      free (*t);
    free (imgs[i].tags);
  }
  free (imgs);
}

/* ---- OCI layout ---- */

static int
oci_mark_blobs (archive_plan *p)
{
  for (size_t i = 0; i < p->n; i++)
    if (strncmp (p->entries[i].name, "blobs/sha256/", 13) == 0)
      p->entries[i].wanted = true;
  return 0;
}

static int
read_small_blob (sk_image_service *s, const char *digest, char **data, size_t *len, sk_err **err)
{
  sk_digest d;
  if (sk_digest_parse (digest, &d, err) < 0)
    return -1;
  if (!sk_store_has (s->store, &d))
    return sk_err_set (err, 0, "blob %s is missing from the archive", digest);
  return sk_store_read_blob (s->store, &d, DOC_MAX, data, len, err);
}

/* One manifest of index.json (or the platform's, for a nested index). */
static int
oci_install (sk_image_service *s, const sk_descriptor *desc, const char *name,
             void (*loaded) (const char *, bool, void *), void *data, sk_err **err)
{
  _cleanup_free_ char *body = NULL;
  size_t len = 0;
  sk_image_doc *doc = NULL;
  if (read_small_blob (s, desc->digest, &body, &len, err) < 0 ||
      sk_image_doc_parse (body, len, desc->media_type, &doc, err) < 0)
    return -1;
  if (doc->kind == SK_DOC_INDEX) {
    size_t which;
    int r = sk_image_doc_select (doc, sk_host_platform (), &which, err);
    if (r == 0)
      r = oci_install (s, &doc->manifests[which], name, loaded, data, err);
    sk_image_doc_free (doc);
    return r;
  }
  sk_layer_src *layers = calloc (doc->n_layers + 1, sizeof *layers);
  sk_digest config, manifest;
  int ret = layers ? 0 : sk_err_set (err, ENOMEM, "load");
  if (ret == 0 && (sk_digest_parse (doc->config.digest, &config, err) < 0 ||
                   sk_digest_parse (desc->digest, &manifest, err) < 0))
    ret = -1;
  for (size_t i = 0; ret == 0 && i < doc->n_layers; i++) {
    if (sk_digest_parse (doc->layers[i].digest, &layers[i].blob, err) < 0)
      ret = -1;
    else if (!sk_store_has (s->store, &layers[i].blob))
      ret = sk_err_set (err, 0, "blob %s is missing from the archive", doc->layers[i].digest);
    layers[i].size = doc->layers[i].size;
    layers[i].media_type = doc->layers[i].media_type;
  }
  if (ret == 0 && !sk_store_has (s->store, &config))
    ret = sk_err_set (err, 0, "blob %s is missing from the archive", doc->config.digest);
  const char *names[] = {name, NULL};
  _cleanup_free_ char *id = NULL;
  if (ret == 0 && sk_image_install (s, &config, layers, doc->n_layers, &manifest, names, NULL, &id, err) < 0)
    ret = -1;
  if (ret == 0 && loaded)
    loaded (name ? name : id, name == NULL, data);
  free (layers);
  sk_image_doc_free (doc);
  return ret;
}

/* The name an index.json entry gives its image: containerd's annotation, or
 * the OCI ref.name when it is more than a bare tag. */
static char *
oci_name (sk_json *entry_obj, sk_err **err)
{
  sk_json *ann = NULL, *v = NULL;
  if (!json_object_object_get_ex (entry_obj, "annotations", &ann) ||
      !json_object_is_type (ann, json_type_object))
    return NULL;
  const char *text = NULL;
  if (json_object_object_get_ex (ann, "io.containerd.image.name", &v) && json_object_is_type (v, json_type_string))
    text = json_object_get_string (v);
  else if (json_object_object_get_ex (ann, "org.opencontainers.image.ref.name", &v) &&
           json_object_is_type (v, json_type_string) && strpbrk (json_object_get_string (v), "/:"))
    text = json_object_get_string (v);
  if (text == NULL)
    return NULL;
  sk_image_ref *ref = NULL;
  if (sk_image_ref_parse (text, &ref, err) < 0)
    return NULL;
  char *name = ref->tag ? sk_image_ref_string (ref) : NULL;
  sk_image_ref_free (ref);
  return name;
}

static int load_locked (sk_image_service *s, int fd,
                        void (*loaded) (const char *name, bool is_id, void *data), void *data,
                        sk_err **err);

int
sk_image_load (sk_image_service *s, int fd, void (*loaded) (const char *name, bool is_id, void *data),
               void *data, sk_err **err)
{
  if (sk_image_lock_shared (s, err) < 0)
    return -1;
  int r = load_locked (s, fd, loaded, data, err);
  sk_image_unlock (s);
  return r;
}

static int
load_locked (sk_image_service *s, int fd, void (*loaded) (const char *name, bool is_id, void *data),
             void *data, sk_err **err)
{
  /* a pipe cannot be read twice: copied to an unnamed file first */
  _cleanup_close_ int spool = -1;
  if (lseek (fd, 0, SEEK_CUR) < 0) {
    spool = open (s->root, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (spool < 0)
      return sk_err_set (err, errno, "load: a temporary file in `%s`", s->root);
    char buf[65536];
    for (;;) {
      ssize_t n = read (fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return sk_err_set (err, errno, "load: read the archive");
      if (n == 0)
        break;
      for (ssize_t done = 0; done < n;) {
        ssize_t w = write (spool, buf + done, n - done);
        if (w < 0)
          return sk_err_set (err, errno, "load: spool the archive");
        done += w;
      }
    }
    fd = spool;
  }
  archive_plan p = {0};
  docker_image *imgs = NULL;
  size_t n_imgs = 0;
  int ret = scan (fd, &p, err);
  if (ret == 0 && p.manifest_json)
    ret = docker_plan (&p, &imgs, &n_imgs, err);
  else if (ret == 0 && p.index_json)
    ret = oci_mark_blobs (&p);
  else if (ret == 0)
    ret = sk_err_set (err, 0, "not an image archive: no manifest.json or index.json in it");
  if (ret == 0)
    ret = store_wanted (s, fd, &p, err);
  if (ret == 0 && p.manifest_json) {
    for (size_t i = 0; ret == 0 && i < n_imgs; i++) {
      docker_image *im = &imgs[i];
      sk_layer_src *layers = calloc (im->n_layers + 1, sizeof *layers);
      if (layers == NULL) {
        ret = sk_err_set (err, ENOMEM, "load");
        break;
      }
      for (size_t k = 0; k < im->n_layers; k++) {
        entry *le = find (&p, im->layers[k]->name);
        layers[k].blob = le->digest;
        layers[k].size = le->size;
      }
      entry *ce = find (&p, im->config->name);
      _cleanup_free_ char *id = NULL;
      ret = sk_image_install (s, &ce->digest, layers, im->n_layers, NULL,
                              (const char *const *) im->tags, NULL, &id, err);
      free (layers);
      if (ret == 0 && loaded) {
        for (char **t = im->tags; *t; t++)
          loaded (*t, false, data);
        if (im->tags[0] == NULL)
          loaded (id, true, data);
      }
    }
  } else if (ret == 0) {
    _cleanup_json_ sk_json *root = NULL;
    if (sk_json_parse (p.index_json, p.index_len, "index.json", &root, err) < 0) {
      ret = -1;
    } else {
      sk_image_doc *index = NULL;
      ret = sk_image_doc_parse (p.index_json, p.index_len, SK_MT_OCI_INDEX, &index, err);
      if (ret == 0 && index->kind != SK_DOC_INDEX)
        ret = sk_err_set (err, 0, "index.json: not an index");
      sk_json *arr = NULL;
      json_object_object_get_ex (root, "manifests", &arr);
      for (size_t i = 0; ret == 0 && i < index->n_manifests; i++) {
        _cleanup_free_ char *name = oci_name (json_object_array_get_idx (arr, i), err);
        if (name == NULL && err && *err)
          ret = sk_err_wrap (err, "index.json: manifests[%zu]", i);
        else
          ret = oci_install (s, &index->manifests[i], name, loaded, data, err);
      }
      sk_image_doc_free (index);
    }
  }
  {
    /* the blobs this load stored and no image took (other platforms',
     * an index, or all of them when it failed) */
    for (size_t i = 0; i < p.n; i++) {
      char ds[SK_DIGEST_STR_SIZE];
      if (p.entries[i].stored_here &&
          !sk_images_blob_in_use (s->db, sk_digest_format (&p.entries[i].digest, ds))) {
        sk_err *ignored = NULL;
        sk_store_delete_blob (s->store, &p.entries[i].digest, &ignored);
        sk_err_free (&ignored);
      }
    }
  }
  docker_free (imgs, n_imgs);
  plan_free (&p);
  if (ret < 0)
    return sk_err_wrap (err, "load");
  return 0;
}

/* ---- save ---- */

typedef struct saver {
  sk_image_service *s;
  struct archive *a;
  char **written; /* names already in the archive (a layer two images share) */
  size_t n_written;
} saver;

static bool
already_written (saver *sv, const char *name)
{
  for (size_t i = 0; i < sv->n_written; i++)
    if (strcmp (sv->written[i], name) == 0)
      return true;
  char **nv = realloc (sv->written, (sv->n_written + 1) * sizeof *nv);
  if (nv == NULL)
    return false;
  sv->written = nv;
  sv->written[sv->n_written++] = strdup (name);
  return false;
}

static int
put_header (saver *sv, const char *name, int64_t size, sk_err **err)
{
  struct archive_entry *e = archive_entry_new ();
  if (e == NULL)
    return sk_err_set (err, ENOMEM, "save");
  archive_entry_set_pathname (e, name);
  archive_entry_set_filetype (e, AE_IFREG);
  archive_entry_set_perm (e, 0644);
  archive_entry_set_size (e, size);
  archive_entry_set_mtime (e, 0, 0);
  int r = archive_write_header (sv->a, e);
  archive_entry_free (e);
  if (r != ARCHIVE_OK)
    return sk_err_set (err, 0, "save `%s`: %s", name, archive_error_string (sv->a));
  return 0;
}

static int
put_data (saver *sv, const char *name, const void *data, size_t len, sk_err **err)
{
  if (len && archive_write_data (sv->a, data, len) < 0)
    return sk_err_set (err, 0, "save `%s`: %s", name, archive_error_string (sv->a));
  return 0;
}

static int
put_bytes (saver *sv, const char *name, const char *data, size_t len, sk_err **err)
{
  if (already_written (sv, name))
    return 0;
  if (put_header (sv, name, (int64_t) len, err) < 0)
    return -1;
  return put_data (sv, name, data, len, err);
}

/* A stored blob as it is, or (uncompress) the tar inside it, which must be
 * `size` bytes long. */
static int
put_blob (saver *sv, const char *name, const char *digest, bool uncompress, int64_t size,
          sk_err **err)
{
  if (already_written (sv, name))
    return 0;
  sk_digest d;
  if (sk_digest_parse (digest, &d, err) < 0)
    return -1;
  _cleanup_close_ int fd = sk_store_open_blob (sv->s->store, &d, err);
  if (fd < 0)
    return -1;
  if (!uncompress) {
    struct stat st;
    if (fstat (fd, &st) < 0)
      return sk_err_set (err, errno, "blob %s", digest);
    size = st.st_size;
  }
  if (put_header (sv, name, size, err) < 0)
    return -1;
  struct archive *in = NULL;
  if (uncompress) {
    if ((in = archive_read_new ()) == NULL)
      return sk_archive_alloc_error (err, "save");
    archive_read_support_filter_gzip (in);
    archive_read_support_filter_zstd (in);
    archive_read_support_format_raw (in);
    struct archive_entry *e;
    if (archive_read_open_fd (in, fd, 65536) != ARCHIVE_OK ||
        archive_read_next_header (in, &e) != ARCHIVE_OK) {
      int r = sk_err_set (err, 0, "blob %s: %s", digest, archive_error_string (in));
      archive_read_free (in);
      return r;
    }
  }
  char buf[65536];
  int64_t done = 0;
  int ret = 0;
  for (;;) {
    ssize_t n = in ? archive_read_data (in, buf, sizeof buf) : read (fd, buf, sizeof buf);
    if (n < 0 && !in && errno == EINTR)
      continue;
    if (n < 0) {
      ret = in ? sk_err_set (err, 0, "blob %s: %s", digest, archive_error_string (in))
               : sk_err_set (err, errno, "blob %s", digest);
      break;
    }
    if (n == 0)
      break;
    if (done + n > size) {
      ret = sk_err_set (err, 0, "blob %s: longer than the %lld bytes recorded", digest, (long long) size);
      break;
    }
    if (put_data (sv, name, buf, (size_t) n, err) < 0) {
      ret = -1;
      break;
    }
    done += n;
  }
  if (in)
    archive_read_free (in);
  if (ret == 0 && done != size)
    ret = sk_err_set (err, 0, "blob %s: %lld bytes, %lld recorded", digest, (long long) done,
                      (long long) size);
  return ret;
}

/* One image in docker's format; its entry of manifest.json into arr. */
static int
save_docker (saver *sv, const sk_save_item *it, sk_json *manifest, sk_json *repos, sk_err **err)
{
  sk_image_service *s = sv->s;
  sk_image_info *info = NULL;
  if (sk_images_get (s->db, it->id, &info, err) < 0)
    return -1;
  char cfgname[SK_DIGEST_HEX_LEN + 8];
  snprintf (cfgname, sizeof cfgname, "%s.json", it->id + 7);
  int ret = put_blob (sv, cfgname, it->id, false, 0, err);
  sk_json *item = json_object_new_object ();
  json_object_object_add (item, "Config", json_object_new_string (cfgname));
  sk_json *tags = json_object_new_array (), *layers = json_object_new_array ();
  json_object_object_add (item, "RepoTags", tags);
  json_object_object_add (item, "Layers", layers);
  json_object_array_add (manifest, item);
  char **stack = NULL;
  if (ret == 0 && info->top_layer && sk_images_layer_stack (s->db, info->top_layer, &stack, err) < 0)
    ret = -1;
  size_t n = 0;
  while (stack && stack[n])
    n++;
  char last[SK_DIGEST_HEX_LEN + 8] = "";
  for (size_t k = n; ret == 0 && k-- > 0;) { /* base first */
    _cleanup_free_ char *blob = NULL, *mt = NULL;
    int64_t bsize = 0;
    int r = sk_images_layer_blob (s->db, stack[k], &blob, &mt, &bsize, err);
    if (r != 0) {
      ret = r < 0 ? -1 : sk_err_set (err, 0, "layer %s: its blob is not stored", stack[k]);
      break;
    }
    /* named after the layer's diff_id, as skopeo does */
    sk_image_config *cfg = NULL;
    if (sk_image_read_config (s, it->id, &cfg, NULL, err) < 0) {
      ret = -1;
      break;
    }
    size_t idx = n - 1 - k;
    snprintf (last, sizeof last, "%.64s.tar", idx < cfg->n_diff_ids ? cfg->diff_ids[idx] + 7 : stack[k] + 7);
    sk_image_config_free (cfg);
    const char *comp = sk_layer_compression (mt);
    ret = put_blob (sv, last, blob, comp && *comp, sk_images_layer_size (s->db, stack[k]), err);
    json_object_array_add (layers, json_object_new_string (last));
  }
  /* names in full, as skopeo writes them: podman would read a short
   * "busybox:test" as localhost/busybox, docker reads either */
  for (const char *const *nm = it->names; ret == 0 && nm && *nm; nm++) {
    _cleanup_free_ char *f = strdup (*nm);
    if (f == NULL) {
      ret = sk_err_set (err, ENOMEM, "save");
      break;
    }
    json_object_array_add (tags, json_object_new_string (f));
    char *colon = strrchr (f, ':');
    if (colon && colon > strrchr (f, '/')) {
      *colon = '\0';
      sk_json *r = NULL;
      if (!json_object_object_get_ex (repos, f, &r)) {
        r = json_object_new_object ();
        json_object_object_add (repos, f, r);
      }
      json_object_object_add (r, colon + 1, json_object_new_string (it->id + 7));
    }
  }
  for (size_t k = 0; k < n; k++)
    free (stack[k]);
  free (stack);
  sk_image_info_free (info);
  return ret;
}

/* One image as an OCI layout entry: its blobs, its descriptor into index. */
static int
save_oci (saver *sv, const sk_save_item *it, sk_json *index, sk_err **err)
{
  sk_image_service *s = sv->s;
  _cleanup_free_ char *man = NULL;
  int r = sk_images_image_blob (s->db, it->id, "manifest", &man, err);
  if (r != 0)
    return r < 0 ? -1 : sk_err_set (err, 0, "image %s has no manifest", it->id);
  _cleanup_free_ char *body = NULL;
  size_t len = 0;
  sk_image_doc *doc = NULL;
  sk_digest md;
  if (sk_digest_parse (man, &md, err) < 0 ||
      sk_store_read_blob (s->store, &md, DOC_MAX, &body, &len, err) < 0 ||
      sk_image_doc_parse (body, len, NULL, &doc, err) < 0)
    return -1;
  char name[80];
  int ret = 0;
  for (size_t i = 0; ret == 0 && i < doc->n_layers; i++) {
    snprintf (name, sizeof name, "blobs/sha256/%s", doc->layers[i].digest + 7);
    ret = put_blob (sv, name, doc->layers[i].digest, false, 0, err);
  }
  snprintf (name, sizeof name, "blobs/sha256/%s", doc->config.digest + 7);
  if (ret == 0)
    ret = put_blob (sv, name, doc->config.digest, false, 0, err);
  snprintf (name, sizeof name, "blobs/sha256/%s", man + 7);
  if (ret == 0)
    ret = put_blob (sv, name, man, false, 0, err);
  const char *const *names = it->names;
  const char *none[] = {NULL, NULL};
  for (const char *const *nm = names && *names ? names : none; ret == 0; nm++) {
    sk_json *d = json_object_new_object ();
    json_object_object_add (d, "mediaType", json_object_new_string (doc->media_type ? doc->media_type : SK_MT_OCI_MANIFEST));
    json_object_object_add (d, "digest", json_object_new_string (man));
    json_object_object_add (d, "size", json_object_new_int64 ((int64_t) len));
    if (*nm) {
      sk_json *ann = json_object_new_object ();
      _cleanup_free_ char *f = sk_image_name_familiar (*nm);
      json_object_object_add (ann, "io.containerd.image.name", json_object_new_string (*nm));
      json_object_object_add (ann, "org.opencontainers.image.ref.name", json_object_new_string (f));
      json_object_object_add (d, "annotations", ann);
    }
    json_object_array_add (index, d);
    if (*nm == NULL || nm[1] == NULL)
      break;
  }
  sk_image_doc_free (doc);
  return ret;
}

int
sk_image_save (sk_image_service *s, const sk_save_item *items, size_t n, bool oci, int fd,
               sk_err **err)
{
  saver sv = {.s = s, .a = archive_write_new ()};
  if (sv.a == NULL)
    return sk_archive_alloc_error (err, "save");
  archive_write_set_format_pax_restricted (sv.a);
  archive_write_set_bytes_in_last_block (sv.a, 1);
  int ret = 0;
  if (archive_write_open_fd (sv.a, fd) != ARCHIVE_OK)
    ret = sk_err_set (err, 0, "save: %s", archive_error_string (sv.a));
  _cleanup_json_ sk_json *manifest = json_object_new_array ();
  _cleanup_json_ sk_json *repos = json_object_new_object ();
  _cleanup_json_ sk_json *index = json_object_new_object ();
  sk_json *manifests = json_object_new_array ();
  json_object_object_add (index, "schemaVersion", json_object_new_int (2));
  json_object_object_add (index, "mediaType", json_object_new_string (SK_MT_OCI_INDEX));
  json_object_object_add (index, "manifests", manifests);
  if (ret == 0 && oci) {
    static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
    ret = put_bytes (&sv, "oci-layout", layout, sizeof layout - 1, err);
  }
  for (size_t i = 0; ret == 0 && i < n; i++)
    ret = oci ? save_oci (&sv, &items[i], manifests, err)
              : save_docker (&sv, &items[i], manifest, repos, err);
  if (ret == 0) {
    _cleanup_free_ char *text = sk_json_dump (oci ? index : manifest, false);
    ret = put_bytes (&sv, oci ? "index.json" : "manifest.json", text, strlen (text), err);
    if (ret == 0 && !oci && json_object_object_length (repos) > 0) {
      _cleanup_free_ char *r = sk_json_dump (repos, false);
      ret = put_bytes (&sv, "repositories", r, strlen (r), err);
    }
  }
  if (archive_write_close (sv.a) != ARCHIVE_OK && ret == 0)
    ret = sk_err_set (err, 0, "save: %s", archive_error_string (sv.a));
  archive_write_free (sv.a);
  for (size_t i = 0; i < sv.n_written; i++)
    free (sv.written[i]);
  free (sv.written);
  if (ret < 0)
    return sk_err_wrap (err, "save");
  return 0;
}
