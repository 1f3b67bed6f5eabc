/* skiff: what the engine's files share (not a public interface). */
#ifndef SKIFF_ENGINE_INTERNAL_H
#define SKIFF_ENGINE_INTERNAL_H

#include "engine.h"
#include "engine/events.h"
#include "runtime/runtime.h"
#include "storage/storage.h"

struct sk_engine {
  sk_image_service *images;
  sk_db *db;
  sk_storage *storage;
  char *data_root;
  char *exec_root;
  char *runtime_root; /* EXEC_ROOT/runtime */
  char *shim;
  char *cgroup_parent;
  sk_runtime rt;
};

/* DATA_ROOT/containers, EXEC_ROOT/containers and EXEC_ROOT/runtime, made
 * when missing (by create and start). */
int sk_engine_make_dirs (sk_engine *e, sk_err **err);

/* DATA_ROOT/containers/<id>[/sub] and EXEC_ROOT/containers/<id>[/sub]. */
char *sk_engine_bundle_path (sk_engine *e, const char *id, const char *sub);
char *sk_engine_state_path (sk_engine *e, const char *id, const char *sub);

/* The storage layer ids (hex) of an image's stack, top first. */
int sk_engine_image_layers (sk_engine *e, const char *image, char ***layers, size_t *n,
                            sk_err **err);

/* Reads the shim's exit.json into c (state exited); 0 when there was one,
 * 1 when there is none yet. */
int sk_engine_read_exit (sk_engine *e, sk_ctr *c);

/* Appends the container's event (action) to the event log, its image and
 * name among the attributes with extra; a failure is only logged. */
void sk_engine_emit (sk_engine *e, const sk_ctr *c, const char *action, const sk_event_attr *extra,
                     size_t n);
/* The image as the user named it (Config.Image), else its id (freed by the
 * caller). */
char *sk_ctr_image_name (const sk_ctr *c);

/* Whether pid is a live skiff-shim. */
bool sk_engine_shim_alive (pid_t pid);

/* Now, in nanoseconds since the epoch. */
int64_t sk_engine_now (void);

#endif
