/* skiff: what the files of src/image share, and nothing outside uses. */
#ifndef SKIFF_IMAGE_INTERNAL_H
#define SKIFF_IMAGE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util/json.h"

#include "service.h"

/* An OCI manifest for a config and layers (types: the layers' media types). */
char *sk_image_oci_manifest (const sk_digest *config, size_t config_size,
                             const sk_layer_src *layers, const char *const *types, size_t n);

/* Dockerfile instructions (import's and commit's --change) applied to an
 * image config's "config" object; who names the command in errors. */
int sk_image_apply_changes (sk_json *cfg, const char *const *changes, const char *who,
                            sk_err **err);
/* The normalised name of a new image's "name[:tag]" (what: "an imported
 * image", for the error when it has a digest). */
int sk_image_tag_name (const char *reference, const char *what, char **name, sk_err **err);
/* RFC 3339 with nanoseconds, as Go writes it. */
const char *sk_image_time_rfc3339 (const struct timespec *t, char buf[48]);
/* Removes a blob this operation stored, unless something else keeps it. */
void sk_image_drop_blob (sk_image_service *s, const sk_digest *d);
/* sk_install_start, and whether the layers may hold device nodes (a
 * commit's layer, packed here from a container's own files). */
int sk_install_start_devices (sk_image_service *s, const sk_digest *config,
                              const sk_layer_src *layers, size_t n_layers, bool devices,
                              sk_install **out, sk_err **err);

#endif
