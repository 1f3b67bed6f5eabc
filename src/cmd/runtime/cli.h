/* skiff-runtime: what the subcommand files share. Each file only parses
 * arguments and calls the runtime library. */
#ifndef SKIFF_CMD_RUNTIME_CLI_H
#define SKIFF_CMD_RUNTIME_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "runtime/runtime.h"
#include "util/error.h"

typedef struct rt_cli {
  sk_runtime rt;
  const char *argv0;
} rt_cli;

typedef int (*rt_command_fn) (rt_cli *cli, int argc, char **argv);

/* Prints the error (and logs it), frees it, returns the exit status 1. */
int cli_fail (sk_err *err);
/* "skiff-runtime CMD: usage" errors; returns 1. */
int cli_usage_error (const char *cmd, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* Handles --help: prints usage text when asked. */
void cli_print_help (const char *text);
/* Parses an integer option; returns false on garbage. */
bool cli_parse_int (const char *s, long long *out);
/* "256m", "1g", "-1" -> bytes */
bool cli_parse_bytes (const char *s, long long *out);
/* The one id argument of most commands. */
const char *cli_one_id (const char *cmd, int argc, char **argv);

int cmd_create (rt_cli *cli, int argc, char **argv);
int cmd_start (rt_cli *cli, int argc, char **argv);
int cmd_run (rt_cli *cli, int argc, char **argv);
int cmd_state (rt_cli *cli, int argc, char **argv);
int cmd_kill (rt_cli *cli, int argc, char **argv);
int cmd_delete (rt_cli *cli, int argc, char **argv);
int cmd_exec (rt_cli *cli, int argc, char **argv);
int cmd_ps (rt_cli *cli, int argc, char **argv);
int cmd_list (rt_cli *cli, int argc, char **argv);
int cmd_pause (rt_cli *cli, int argc, char **argv);
int cmd_resume (rt_cli *cli, int argc, char **argv);
int cmd_update (rt_cli *cli, int argc, char **argv);
int cmd_spec (rt_cli *cli, int argc, char **argv);
int cmd_features (rt_cli *cli, int argc, char **argv);
int cmd_events (rt_cli *cli, int argc, char **argv);

#endif
