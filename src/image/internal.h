/* skiff: what the files of src/image share, and nothing outside uses. */
#ifndef SKIFF_IMAGE_INTERNAL_H
#define SKIFF_IMAGE_INTERNAL_H

#include <stddef.h>

#include "service.h"

/* An OCI manifest for a config and layers (types: the layers' media types). */
char *sk_image_oci_manifest (const sk_digest *config, size_t config_size,
                             const sk_layer_src *layers, const char *const *types, size_t n);

#endif
