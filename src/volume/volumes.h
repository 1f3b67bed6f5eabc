/* skiff: volumes, and the mounts of containers, in the database (the
 * volumes and mounts tables, see src/db/db.c).
 *
 * A volume of the local driver is a directory, DATA_ROOT/volumes/NAME/_data
 * (Docker's layout), or, with the driver's options (type, device, o), a
 * filesystem mounted into each container that uses it. A container's
 * mounts are fixed when it is created, one row each: a volume's row keeps
 * the volume, which cannot be removed while a container has it. */
#ifndef SKIFF_VOLUME_VOLUMES_H
#define SKIFF_VOLUME_VOLUMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "util/error.h"

typedef struct sk_volume {
  char *name;
  char *driver;  /* local */
  char *labels;  /* a JSON object */
  char *options; /* a JSON object: type, device, o */
  bool anonymous; /* made for a container's -v /path or an image's VOLUME */
  bool copy_up;   /* not yet filled with an image's content (nor used) */
  int64_t created; /* nanoseconds since the epoch */
} sk_volume;

void sk_volume_free (sk_volume *v);
void sk_volume_list_free (sk_volume **list, size_t n);

/* Docker's rule for a local volume's name: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
bool sk_volume_name_valid (const char *name);
/* The driver's options checked: only type, device and o; device and o
 * need type. Docker's messages. */
int sk_volume_options_check (const char *options_json, sk_err **err);

/* *out NULL when there is none. */
int sk_volumes_get (sk_db *db, const char *name, sk_volume **out, sk_err **err);
int sk_volumes_list (sk_db *db, sk_volume ***out, size_t *n, sk_err **err);
/* Adds the row; EEXIST when the name is taken. */
int sk_volumes_insert (sk_db *db, const sk_volume *v, sk_err **err);
/* Removes the row; EBUSY (Docker's message, naming the containers) while a
 * container has it. */
int sk_volumes_delete (sk_db *db, const char *name, sk_err **err);
/* The ids of the containers that have the volume (NULL-terminated). */
int sk_volumes_users (sk_db *db, const char *name, char ***ids, sk_err **err);
int sk_volumes_copied (sk_db *db, const char *name, sk_err **err);

/* One filesystem mounted into a container besides its rootfs, as `inspect`
 * shows it under "Mounts" (Docker's MountPoint). */
typedef struct sk_mount_point {
  char *type;        /* bind, volume, tmpfs */
  char *name;        /* a volume's name; NULL for bind and tmpfs */
  char *source;      /* the host directory mounted: a bind's path, a local
                        volume's DATA_ROOT/volumes/NAME/_data; NULL when there
                        is none on the host (tmpfs, a volume of a tmpfs or
                        device --opt type) */
  char *destination; /* absolute and clean, in the container */
  char *mode;        /* as given: "ro", "z", ... ("" when none) */
  char *propagation; /* rprivate, rshared, ... ("" when none) */
  char *options;     /* a JSON object: tmpfs size and mode, nocopy, subpath,
                        nonrecursive; "{}" when none */
  bool rw;
} sk_mount_point;
void sk_mount_points_free (sk_mount_point *m, size_t n);

/* The container's rows, in the order they are mounted (a parent before
 * what is mounted under it); a volume's source filled from data_root. */
int sk_mounts_of (sk_db *db, const char *data_root, const char *container, sk_mount_point **out,
                  size_t *n, sk_err **err);
/* Adds the rows of a container (source of a volume not stored: it follows
 * from its name). */
int sk_mounts_insert (sk_db *db, const char *container, const sk_mount_point *m, size_t n,
                      sk_err **err);

/* DATA_ROOT/volumes/NAME/_data */
char *sk_volume_data_path (const char *data_root, const char *name);

#endif
