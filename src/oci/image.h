/* skiff: the image documents: OCI image index and manifest, Docker manifest
 * list and schema 2 manifest, and the image config (OCI and Docker share
 * its shape). Parsing checks what skiff relies on (digests, sizes, media
 * types) and names the field that is wrong; schema 1 manifests are refused.
 */
#ifndef SKIFF_OCI_IMAGE_H
#define SKIFF_OCI_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define SK_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define SK_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define SK_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define SK_MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define SK_MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define SK_MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define SK_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define SK_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define SK_MT_DOCKER_SCHEMA1 "application/vnd.docker.distribution.manifest.v1+json"
#define SK_MT_DOCKER_SCHEMA1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"
#define SK_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define SK_MT_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define SK_MT_DOCKER_FOREIGN_LAYER "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

/* The Accept list for a manifest request, most wanted first; NULL-terminated. */
extern const char *const sk_manifest_accept[];

typedef struct sk_platform {
  char *os, *architecture, *variant;
} sk_platform;

typedef struct sk_descriptor {
  char *media_type;
  char *digest; /* checked: "sha256:<64 hex>" */
  int64_t size;
  sk_platform platform; /* index entries */
} sk_descriptor;

typedef enum { SK_DOC_INDEX, SK_DOC_MANIFEST } sk_doc_kind;

/* An index (or manifest list), or a manifest. */
typedef struct sk_image_doc {
  sk_doc_kind kind;
  char *media_type;         /* what the document says it is */
  sk_descriptor config;     /* manifests */
  sk_descriptor *layers;    /* manifests */
  size_t n_layers;
  sk_descriptor *manifests; /* indexes */
  size_t n_manifests;
} sk_image_doc;

/* Parses a manifest or an index. content_type (the HTTP Content-Type, or
 * NULL) is used when the document has no mediaType of its own. */
int sk_image_doc_parse (const char *data, size_t len, const char *content_type,
                        sk_image_doc **out, sk_err **err);
void sk_image_doc_free (sk_image_doc *d);
/* The index entry for a platform ("linux/amd64", "linux/arm64/v8"); the
 * error lists the platforms the index has. */
int sk_image_doc_select (const sk_image_doc *index, const char *platform, size_t *which,
                         sk_err **err);
/* How a layer's blob is compressed: "", "gzip" or "zstd"; NULL for a media
 * type that is not a layer skiff can apply. */
const char *sk_layer_compression (const char *media_type);

typedef struct sk_history {
  int64_t created;
  char *created_by, *comment, *author;
  bool empty_layer;
} sk_history;

typedef struct sk_image_config {
  char *architecture, *os, *variant, *author;
  int64_t created; /* seconds; 0 when absent */
  char **diff_ids; /* NULL-terminated */
  size_t n_diff_ids;
  /* config: what a container of the image runs */
  char *user, *working_dir, *stop_signal;
  char **env, **entrypoint, **cmd, **exposed_ports, **volumes; /* NULL-terminated */
  char **label_keys, **label_values;
  sk_history *history;
  size_t n_history;
} sk_image_config;

int sk_image_config_parse (const char *data, size_t len, sk_image_config **out, sk_err **err);
void sk_image_config_free (sk_image_config *c);

/* The platform of the machine ("linux/amd64"). */
const char *sk_host_platform (void);

#endif
