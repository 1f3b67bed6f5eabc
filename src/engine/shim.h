/* skiff: the shim, one small process per container: its parent and
 * subreaper, which outlives the command that started it.
 *
 * It detaches (session leader, cwd /, stdio /dev/null, only the ready fd
 * kept), writes STATE_DIR/shim.pid, creates and starts the container with the
 * runtime library (stdin /dev/null, stdout and stderr two pipes it reads),
 * appends its start event to the event log (events.h), reports "ok PID\n"
 * or "err CODE MESSAGE\n" on the ready fd, writes the output to the
 * json-file log, and when the container's init exits appends its oom (if it
 * had one) and die events, writes STATE_DIR/exit.json, deletes the
 * container and unmounts BUNDLE/rootfs.
 */
#ifndef SKIFF_ENGINE_SHIM_H
#define SKIFF_ENGINE_SHIM_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

typedef struct sk_shim_opts {
  const char *id;
  const char *bundle;
  const char *runtime_root;
  const char *state_dir;
  const char *log_path;  /* the json-file log */
  bool log_none;         /* --log-driver none: output read and dropped */
  uint64_t log_max_size; /* 0: no rotation */
  unsigned log_max_file; /* files kept in all when rotating (default 1) */
  int ready_fd;          /* -1: none */
  const char *events_path; /* the event log (events.h); NULL: none */
  const char *name, *image; /* the container's, for its events */
} sk_shim_opts;

/* Docker's exit code for a failure to create or start: 127 when the program
 * was not found, 126 when it could not be executed, else 125. */
int sk_shim_failure_code (const char *msg);

/* Detaches from the caller: setsid, cwd /, stdio /dev/null, subreaper, every
 * descriptor closed but keep_fd (moved above 2 if needed; *keep_fd updated). */
int sk_shim_detach (int *keep_fd, sk_err **err);

/* The whole life of the container, once detached. Returns 0 when the
 * container ran and exited (exit.json written), <0 when it could not start
 * (reported on the ready fd, nothing left). */
int sk_shim_run (const sk_shim_opts *o, sk_err **err);

#endif
