/* skiff: the command tree of `skiff`, docker's verbs, flags and output.
 * Each command parses its arguments and calls the library; this header is
 * what the command files share. */
#ifndef SKIFF_CLI_CLI_H
#define SKIFF_CLI_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <json-c/json.h>
#include <stdint.h>
#include <time.h>

#include "engine/engine.h"
#include "image/service.h"
#include "network/networks.h"
#include "util/error.h"

#define SK_DEFAULT_DATA_ROOT "/var/lib/skiff"

typedef struct sk_cli {
  const char *data_root;
  const char *storage_driver; /* NULL: overlay when the kernel has it */
  const char *config_dir;     /* the client's: config.json holds registry credentials */
  const char *certs_dir;      /* Docker's certs.d convention; NULL: /etc/skiff/certs.d */
  const char **insecure;      /* --insecure-registry, NULL-terminated */
  const char **mirrors;       /* --registry-mirror, NULL-terminated */
  const char *exec_root;      /* NULL: SK_DEFAULT_EXEC_ROOT */
  const char *daemon_config;  /* the daemon.json given (NULL: the default one, if any) */
  const char *cgroup_parent;  /* daemon.json's; NULL: "skiff" */
  sk_net_settings net;        /* daemon.json's bridge, bip, default-address-pools */
  sk_net_pool pools[16];
  const char *dns[8];
  sk_image_service *images;   /* opened on first use */
  sk_engine *engine;          /* opened on first use */
} sk_cli;

/* The registry options from the global ones; auth_file is owned by cli. */
void sk_cli_registry_opts (sk_cli *cli, sk_registry_opts *o);

typedef int (*sk_cli_fn) (sk_cli *cli, int argc, char **argv);

/* The image service of the data root, opened once. */
int sk_cli_images (sk_cli *cli, sk_image_service **out, sk_err **err);
void sk_cli_close (sk_cli *cli);
/* Docker's prompt before a prune: "WARNING! This will remove all WHAT."
 * and whether the answer was yes. */
bool sk_cli_confirm (const char *what);
/* The engine over it, opened once. */
int sk_cli_engine (sk_cli *cli, sk_engine **out, sk_err **err);

/* sk_image_lookup, and for busybox:latest when it is not there, the image
 * bundled with skiff, imported first (the demo needs no network). */
int sk_cli_lookup (sk_cli *cli, const char *what, char **id, sk_err **err);

/* Prints text and returns true when the arguments ask for --help. */
bool sk_cli_wants_help (int argc, char **argv, const char *text);

/* "skiff: <message>" on stderr; returns 1 (docker's exit status for errors). */
int sk_cli_fail (sk_err *err);
/* "skiff CMD: <message>" plus a hint to --help; returns 125 as docker does
 * for a misused command. */
int sk_cli_usage (const char *cmd, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Docker's human sizes ("1.24MB", 1000-based, 3 significant digits) and
 * ages ("2 hours ago"). */
void sk_cli_human_size (int64_t bytes, char *buf, size_t size);
void sk_cli_human_since (time_t then, time_t now, char *buf, size_t size);
/* Docker's binary sizes ("1.887MiB", 1024-based, 4 significant digits). */
void sk_cli_human_size_binary (int64_t bytes, char *buf, size_t size);
/* A time as docker's filters, --since and --until take it (prune.c): a
 * duration (10m: that long ago), Unix seconds with an optional fraction, or
 * an RFC 3339 date or one of its shorter forms (local time without a zone);
 * nanoseconds since the epoch. -1: none of these. */
int sk_cli_parse_time (const char *v, int64_t *ns);
/* The same for a flag (--since, --until): docker's message when it is none. */
int sk_cli_time_flag (const char *which, const char *v, int64_t *ns, sk_err **err);
/* The 12-digit short id of "sha256:<hex>". */
void sk_cli_short_id (const char *id, char buf[13]);

/* Docker's per-layer lines of pull and push (progress.c). On a terminal,
 * one line a layer, each redrawn in place, its bar at most every 100 ms;
 * otherwise a line for each step, without the bars; nothing when quiet.
 * Lines are numbered from the top of the list. */
typedef struct sk_cli_bar_line {
  char id[13];  /* the short id shown */
  double drawn; /* when its bar was last drawn (monotonic seconds) */
} sk_cli_bar_line;
typedef struct sk_cli_bars {
  bool quiet, tty;
  bool started; /* the lines are printed */
  size_t n;
  sk_cli_bar_line *lines;
} sk_cli_bars;
int sk_cli_bars_init (sk_cli_bars *b, size_t n);
void sk_cli_bars_free (sk_cli_bars *b);
/* Line i's id: the short form of digest, unless it has one. */
void sk_cli_bars_id (sk_cli_bars *b, size_t i, const char *digest);
/* On a terminal, prints every line with text, once. */
void sk_cli_bars_start (sk_cli_bars *b, const char *text);
void sk_cli_bars_line (sk_cli_bars *b, size_t i, const char *text);
/* "VERB [=====>    ]   1.2MB/4.5MB" on a terminal, rate-limited. */
void sk_cli_bars_progress (sk_cli_bars *b, size_t i, const char *verb, uint64_t done,
                           uint64_t total);

/* --format (see format.c): rows are JSON objects; headers name the columns
 * of a "table" format ({field, header}, ended by {NULL}). */
typedef struct sk_cli_column {
  const char *field, *header;
} sk_cli_column;
int sk_cli_render (const char *format, struct json_object *const *rows, size_t n,
                   const sk_cli_column *headers, FILE *out, sk_err **err);
/* What inspect prints of its documents (a JSON array): each rendered with
 * format, or the whole array indented when format is NULL. 0, or 1 after
 * the error was printed. */
int sk_cli_print_docs (const char *format, struct json_object *all);
/* docker's inspect of named objects (networks, volumes): the document of
 * each one fn finds, printed with format, then "Error response from
 * daemon: ..." for each one it does not; 1 if there was any. */
typedef int (*sk_cli_doc_fn) (sk_cli *cli, const char *name, struct json_object **doc,
                              sk_err **err);
int sk_cli_inspect_names (sk_cli *cli, int argc, char **argv, const char *format,
                          sk_cli_doc_fn fn);

int cmd_image (sk_cli *cli, int argc, char **argv);
int cmd_images (sk_cli *cli, int argc, char **argv);
int cmd_import (sk_cli *cli, int argc, char **argv);
int cmd_rmi (sk_cli *cli, int argc, char **argv);
int cmd_tag (sk_cli *cli, int argc, char **argv);
int cmd_history (sk_cli *cli, int argc, char **argv);
int cmd_image_inspect (sk_cli *cli, int argc, char **argv);
/* Docker's image inspect document of an image a user names. */
int sk_cli_image_inspect_json (sk_cli *cli, const char *what, struct json_object **doc, sk_err **err);
int cmd_image_prune (sk_cli *cli, int argc, char **argv);
int cmd_load (sk_cli *cli, int argc, char **argv);
int cmd_save (sk_cli *cli, int argc, char **argv);
int cmd_pull (sk_cli *cli, int argc, char **argv);
int cmd_push (sk_cli *cli, int argc, char **argv);
int cmd_login (sk_cli *cli, int argc, char **argv);
int cmd_logout (sk_cli *cli, int argc, char **argv);
/* Prints a container's output as it comes until it stops (logs.c), what
 * it wrote from the time from on (nanoseconds since the epoch; 0: all of
 * its log); its exit code. proxy: SIGINT and SIGTERM are sent on to it. */
int sk_cli_follow (sk_cli *cli, const char *id, bool proxy, int64_t from, int *exit_code,
                   sk_err **err);

/* Runs fn on each container named (container.c); prints what was typed for
 * each one done when print; docker's "Error response from daemon: ..." for
 * the others, and returns 1 if there were any. */
typedef int (*sk_cli_each_fn) (sk_cli *cli, sk_engine *e, const char *id, const char *as_typed,
                               void *data, sk_err **err);
int sk_cli_for_each (sk_cli *cli, int argc, char **argv, bool print, sk_cli_each_fn fn, void *data);

/* Whether a label filter value ("key" or "key=value") holds for a
 * container's configuration (its Labels). */
bool sk_cli_label_matches (struct json_object *config, const char *v);

/* A command of containers with -t/--time and -s/--signal (stop, restart): fn
 * gets an sk_cli_stop_opts (timeout -1, signal 0: the container's own). */
typedef struct sk_cli_stop_opts {
  int timeout, signal;
} sk_cli_stop_opts;
int sk_cli_timeout_cmd (sk_cli *cli, int argc, char **argv, const char *help, sk_cli_each_fn fn);
/* Attaching to a container's shim (attach.c). */
typedef struct sk_attach_opts {
  bool in;                 /* the caller's stdin goes to the container */
  bool tty;                /* the container has a terminal: raw mode, its size */
  bool sig_proxy;          /* SIGINT and SIGTERM sent on (without a terminal) */
  const char *detach_keys; /* NULL: ctrl-p,ctrl-q */
  int64_t since;           /* output from the log: from this time on (0: all) */
} sk_attach_opts;
/* Whether the container has a terminal (Config.Tty) and a stdin (OpenStdin). */
int sk_cli_container_io (sk_cli *cli, const char *id, bool *tty, bool *open_stdin, sk_err **err);
/* Relays over a connected attach socket until the container ends (its exit
 * code) or the detach keys are typed (0, the container left running). */
int sk_cli_attach_relay (sk_cli *cli, const char *id, int sock, const sk_attach_opts *o,
                         int *exit_code, sk_err **err);
/* Connects and relays; a shim already gone: its output from the log. */
int sk_cli_attach (sk_cli *cli, const char *id, const sk_attach_opts *o, int *exit_code,
                   sk_err **err);
int cmd_attach (sk_cli *cli, int argc, char **argv);

int cmd_container (sk_cli *cli, int argc, char **argv);
int cmd_network (sk_cli *cli, int argc, char **argv);
int cmd_volume (sk_cli *cli, int argc, char **argv);
/* Docker's volume inspect document of a volume by name. */
int sk_cli_volume_inspect_json (sk_cli *cli, const char *name, struct json_object **doc,
                                sk_err **err);
int cmd_pause (sk_cli *cli, int argc, char **argv);
int cmd_unpause (sk_cli *cli, int argc, char **argv);
int cmd_rename (sk_cli *cli, int argc, char **argv);
int cmd_restart (sk_cli *cli, int argc, char **argv);
int cmd_top (sk_cli *cli, int argc, char **argv);
int cmd_stats (sk_cli *cli, int argc, char **argv);
int cmd_container_prune (sk_cli *cli, int argc, char **argv);
int cmd_create (sk_cli *cli, int argc, char **argv);
int cmd_exec (sk_cli *cli, int argc, char **argv);
int cmd_run (sk_cli *cli, int argc, char **argv);
int cmd_start (sk_cli *cli, int argc, char **argv);
int cmd_ps (sk_cli *cli, int argc, char **argv);
int cmd_logs (sk_cli *cli, int argc, char **argv);
int cmd_stop (sk_cli *cli, int argc, char **argv);
int cmd_kill (sk_cli *cli, int argc, char **argv);
int cmd_rm (sk_cli *cli, int argc, char **argv);
int cmd_wait (sk_cli *cli, int argc, char **argv);
int cmd_inspect (sk_cli *cli, int argc, char **argv);
int cmd_container_inspect (sk_cli *cli, int argc, char **argv);
int cmd_events (sk_cli *cli, int argc, char **argv);
int cmd_update (sk_cli *cli, int argc, char **argv);
int cmd_port (sk_cli *cli, int argc, char **argv);
int cmd_cp (sk_cli *cli, int argc, char **argv);
int cmd_export (sk_cli *cli, int argc, char **argv);
int cmd_diff (sk_cli *cli, int argc, char **argv);
int cmd_commit (sk_cli *cli, int argc, char **argv);

#endif
