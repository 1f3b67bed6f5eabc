/* skiff: the shim, one small process per container: its parent and
 * subreaper, which outlives the command that started it.
 *
 * It detaches (session leader, cwd /, stdio /dev/null, only the ready fd
 * kept), writes STATE_DIR/shim.pid, creates and starts the container with the
 * runtime library (stdin /dev/null, stdout and stderr two pipes it reads),
 * appends its start event to the event log (events.h), reports "ok PID\n"
 * or "err CODE MESSAGE\n" on the ready fd, writes the output to the
 * json-file log, reports each OOM kill as it happens (STATE_DIR/oom.json
 * and an oom event, shim-oom.h), and when the container's init exits
 * appends its die event, writes STATE_DIR/exit.json, deletes the
 * container and unmounts BUNDLE/rootfs.
 *
 * With --stdin the container's stdin is a pipe the shim holds; with --tty the
 * container gets a terminal instead of stdin, stdout and stderr (the runtime
 * sends its master over STATE_DIR/console.sock), read as one "stdout" stream.
 *
 * Attaching: STATE_DIR/attach.sock, a unix stream socket of the filesystem
 * (mode 0600, in the state dir only root reaches), made before the ready
 * report. Both ways, messages are frames: one byte of type, the payload's
 * length (4 bytes, big-endian, at most SK_ATTACH_MAX), the payload.
 *   shim to client: SK_ATTACH_STDOUT, SK_ATTACH_STDERR: the container's
 *     output as it comes; the socket closes once the container exited and
 *     STATE_DIR/exit.json is written.
 *   client to shim: SK_ATTACH_STDIN: data for the container's stdin (an empty
 *     one says the client attaches stdin); SK_ATTACH_RESIZE: rows and columns
 *     (2 bytes each, big-endian) of the terminal; SK_ATTACH_CLOSE_STDIN: the
 *     end of the input (ignored with a terminal).
 * With --stdin-once the container's stdin closes when the first client that
 * attached stdin goes. With --attach-wait the output of the first moments is
 * kept (up to SK_ATTACH_BACKLOG bytes) for the first client, and the shim
 * waits for it a moment, so an attached run that connects after the ready
 * report misses nothing.
 */
#ifndef SKIFF_ENGINE_SHIM_H
#define SKIFF_ENGINE_SHIM_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

enum {
  SK_ATTACH_STDIN = 0,
  SK_ATTACH_STDOUT = 1,
  SK_ATTACH_STDERR = 2,
  SK_ATTACH_RESIZE = 3,
  SK_ATTACH_CLOSE_STDIN = 4,
};
#define SK_ATTACH_HEADER 5
#define SK_ATTACH_MAX 16384
#define SK_ATTACH_BACKLOG 65536
/* how long the shim keeps the first output and waits for a first client */
#define SK_ATTACH_WAIT_MS 3000

typedef struct sk_shim_opts {
  const char *id;
  const char *bundle;
  const char *runtime_root;
  const char *state_dir;
  const char *log_path;  /* the json-file log */
  bool log_none;         /* --log-driver none: output read and dropped */
  bool log_local;        /* --log-driver local: skiff's compact format (logfile.h) */
  bool log_compress;     /* gzip the rotated files */
  uint64_t log_max_size; /* 0: no rotation */
  unsigned log_max_file; /* files kept in all when rotating (default 1) */
  int ready_fd;          /* -1: none */
  const char *events_path; /* the event log (events.h); NULL: none */
  const char *name, *image; /* the container's, for its events */
  const char *netns;     /* its network namespace file, removed at the end; NULL: none */
  /* --remove-arg: a command run, detached, once the container stopped for
   * good (docker's --rm when no client waits for it: `skiff ... rm -v ID`);
   * NULL: none */
  char **remove_argv;
  bool open_stdin;       /* --stdin: a pipe for the container's stdin */
  bool stdin_once;       /* --stdin-once: closed when the first client goes */
  bool tty;              /* --tty: a terminal instead of the pipes */
  bool attach_wait;      /* --attach-wait: keep the first output for a client */
  /* --restart: the policy (shim-restart.c) */
  const char *restart;   /* no, always, unless-stopped, on-failure; NULL: no */
  unsigned restart_max;  /* on-failure's most restarts; 0: no limit */
  unsigned restart_count; /* the record's count when started */
  /* the healthcheck (shim-health.c); health_argv NULL: none */
  char **health_argv;
  int64_t health_interval_ms, health_timeout_ms, health_start_period_ms, health_start_interval_ms;
  unsigned health_retries;
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
