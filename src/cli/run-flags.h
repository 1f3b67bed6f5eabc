/* skiff: the flags of `skiff run` and `skiff create`, read as docker reads
 * them, into the body of the Engine API's POST /containers/create (Config's
 * fields at the top, "HostConfig" and "NetworkingConfig" nested). */
#ifndef SKIFF_CLI_RUN_FLAGS_H
#define SKIFF_CLI_RUN_FLAGS_H

#include <stdbool.h>
#include <stdio.h>

#include "util/error.h"
#include "util/json.h"

typedef struct sk_run_cli {      /* what is only the CLI's business */
  bool detach;                   /* -d */
  const char *name;              /* --name */
  const char *cidfile;           /* --cidfile */
  const char *detach_keys;       /* --detach-keys */
  bool sig_proxy;                /* --sig-proxy (default true) */
  const char *platform;          /* --platform */
  const char *pull;              /* --pull missing|always|never (default missing) */
  bool quiet;                    /* -q (pull output) */
} sk_run_cli;

/* Parses `skiff run|create [OPTIONS] IMAGE [COMMAND] [ARG...]` (argv[0] is
 * "run" or "create"): *body receives the create body, with Image, and Cmd
 * when a command is given. Stops at the image: what follows is the command.
 * On a bad flag or value, -1 with Docker's one-line message (e.g.
 * `invalid argument "256x" for "-m, --memory" flag: invalid suffix: 'x'`);
 * the CLI exits 125 then, as docker does. --help prints the help and
 * returns 1. The strings in cli point into argv. */
int sk_run_flags_parse (int argc, char **argv, sk_json **body, sk_run_cli *cli, sk_err **err);

/* --restart no|always|unless-stopped|on-failure[:N] as HostConfig's
 * RestartPolicy ({Name, MaximumRetryCount}), docker's messages. */
int sk_run_restart_policy (const char *v, sk_json **out, sk_err **err);

/* The help of `skiff run` or `skiff create` (cmd is "run" or "create"). */
void sk_run_flags_help (const char *cmd, FILE *out);

#endif
