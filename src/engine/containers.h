/* skiff: container records in the database (the containers table, see
 * src/db/db.c).
 *
 * A record holds what `inspect` shows: the configuration the container was
 * created with (Docker's create body, the image's defaults merged in), and
 * its state. Each change is one statement or one transaction; a name is
 * unique (the database refuses a second one, whoever is first wins). */
#ifndef SKIFF_ENGINE_CONTAINERS_H
#define SKIFF_ENGINE_CONTAINERS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "db/db.h"
#include "util/error.h"

typedef struct sk_ctr {
  char *id;     /* 64 hex */
  char *name;   /* without docker's leading "/" */
  char *image;  /* the image's id, "sha256:..." */
  char *config; /* JSON text: the create body, the image's defaults merged */
  int64_t created;
  char *state; /* created, running, paused, restarting, exited, dead, removing */
  pid_t pid, shim_pid;
  int exit_code;
  bool oom_killed;
  int64_t started_at, finished_at; /* nanoseconds since the epoch; 0: never */
  int restart_count;
  char *error;
  /* from config, kept in columns of their own for `ps`, which lists them
   * for every container (parsing each config cost it ~10 ms a thousand):
   * Config.Image as given ("busybox"), and Entrypoint and Cmd joined by
   * spaces */
  char *image_name, *command;
} sk_ctr;

void sk_ctr_free (sk_ctr *c);
void sk_ctr_list_free (sk_ctr **list);
static inline void
sk_ctr_freep (sk_ctr **c)
{
  sk_ctr_free (*c);
}
#define _cleanup_ctr_ __attribute__ ((cleanup (sk_ctr_freep)))

/* Adds a record (id, name, image, config, created, image_name, command). A name in use is
 * docker's conflict message naming the container that has it. */
int sk_ctrs_insert (sk_db *db, const sk_ctr *c, sk_err **err);
/* The record of a full id; NULL in *out when there is none. */
int sk_ctrs_get (sk_db *db, const char *id, sk_ctr **out, sk_err **err);
/* The id a user means: a full id, a name (with or without "/"), or an
 * unambiguous id prefix. "No such container: X" when none. */
int sk_ctrs_resolve (sk_db *db, const char *what, char **id, sk_err **err);
/* Every record, newest first; NULL-terminated. */
int sk_ctrs_list (sk_db *db, sk_ctr ***out, sk_err **err);
/* Writes the state fields (state, pid, shim_pid, exit_code, oom_killed,
 * started_at, finished_at, restart_count, error) of c. */
int sk_ctrs_update (sk_db *db, const sk_ctr *c, sk_err **err);
int sk_ctrs_rename (sk_db *db, const char *id, const char *name, sk_err **err);
/* Marks the record removing, in one statement: *claimed false when it
 * already was (another removal is under way, or was killed midway). */
int sk_ctrs_claim_removal (sk_db *db, const char *id, bool *claimed, sk_err **err);
/* Replaces the configuration (docker update). */
int sk_ctrs_set_config (sk_db *db, const char *id, const char *config, sk_err **err);
int sk_ctrs_delete (sk_db *db, const char *id, sk_err **err);
/* The ids of the containers using an image (NULL-terminated; those that run
 * first), and whether one of them runs. */
int sk_ctrs_using_image (sk_db *db, const char *image, char ***ids, bool *running, sk_err **err);

/* Whether a name is one docker takes: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
bool sk_ctr_name_valid (const char *name);

#endif
