/* skiff: a container's changes (docker diff) and an image made of them
 * (docker commit); see engine.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "util/cleanup.h"

/* The files start makes in the writable layer, empty, only to bind-mount
 * the container's own over them (docker keeps them in a layer of their
 * own): not changes of the container. */
static const char *const mount_points[] = {"/etc/hostname", "/etc/hosts", "/etc/resolv.conf", NULL};

int
sk_engine_changes (sk_engine *e, const char *id,
                   void (*fn) (char kind, const char *path, void *data), void *data, sk_err **err)
{
  _cleanup_ctr_ sk_ctr *c = NULL;
  if (sk_engine_get (e, id, &c, err) < 0)
    return -1;
  char **layers = NULL;
  size_t n = 0;
  if (sk_engine_image_layers (e, c->image, &layers, &n, err) < 0)
    return -1;
  int ret = sk_storage_rootfs_changes (e->storage, c->id, (const char *const *) layers, n,
                                       mount_points, fn, data, err);
  for (size_t i = 0; i < n; i++)
    free (layers[i]);
  free (layers);
  return ret;
}

int
sk_engine_commit (sk_engine *e, const char *id, const sk_engine_commit_opts *o, char **image,
                  sk_err **err)
{
  _cleanup_ctr_ sk_ctr *c = NULL;
  if (sk_engine_get (e, id, &c, err) < 0)
    return -1;
  if (!sk_storage_wants_overlay_whiteouts (e->storage))
    return sk_err_set (err, ENOTSUP,
                       "the %s storage driver keeps no list of changes: commit needs overlay",
                       sk_storage_driver (e->storage));
  _cleanup_json_ sk_json *config = NULL;
  if (sk_json_parse (c->config, strlen (c->config), "container config", &config, err) < 0)
    return -1;
  _cleanup_free_ char *upper = sk_storage_rootfs_upper (e->storage, c->id);
  _cleanup_close_ int ufd =
      upper ? open (upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
  if (ufd < 0)
    return sk_err_set (err, upper ? errno : ENOMEM, "the writable layer of %s", c->id);
  /* frozen while it is read, so that the layer is one moment of it */
  bool paused = false;
  if (o->pause && strcmp (c->state, "running") == 0) {
    if (sk_engine_pause (e, c->id, err) < 0)
      return -1;
    paused = true;
  }
  sk_commit_opts co = {.image = c->image,
                       .upper = ufd,
                       .skip = mount_points,
                       .config = config,
                       .container = c->id,
                       .created_by = c->command,
                       .reference = o->reference,
                       .author = o->author,
                       .message = o->message,
                       .changes = o->changes};
  int ret = sk_image_commit (e->images, &co, image, err);
  if (paused) {
    sk_err *e2 = NULL;
    if (sk_engine_unpause (e, c->id, &e2) < 0 && ret == 0) {
      *err = e2;
      e2 = NULL;
      ret = -1;
      /* the image is made all the same: say so */
      sk_err_wrap (err, "committed as %s, but", *image);
      free (*image);
      *image = NULL;
    }
    sk_err_free (&e2);
  }
  if (ret == 0) {
    sk_event_attr attr = {"comment", o->message ? o->message : ""};
    sk_engine_emit (e, c, "commit", &attr, 1);
  }
  return ret;
}
