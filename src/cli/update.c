/* skiff: `update`, docker's flags for the limits of running and stopped
 * containers (and skiff's --memory-high); the names as typed on success. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "run-flags.h"
#include "run-values.h"
#include "util/cleanup.h"

static const char update_help[] =
    "Usage:  skiff update [OPTIONS] CONTAINER [CONTAINER...]\n\n"
    "Update configuration of one or more containers\n\n"
    "Options:\n"
    "      --blkio-weight uint16        Block IO (relative weight), between 10 and 1000, or 0 to "
    "disable (default 0)\n"
    "      --cpu-period int             Limit CPU CFS (Completely Fair Scheduler) period\n"
    "      --cpu-quota int              Limit CPU CFS (Completely Fair Scheduler) quota\n"
    "  -c, --cpu-shares int             CPU shares (relative weight)\n"
    "      --cpus decimal               Number of CPUs\n"
    "      --cpuset-cpus string         CPUs in which to allow execution (0-3, 0,1)\n"
    "      --cpuset-mems string         MEMs in which to allow execution (0-3, 0,1)\n"
    "  -m, --memory bytes               Memory limit\n"
    "      --memory-high bytes          Memory throttling threshold (cgroup v2 memory.high)\n"
    "      --memory-reservation bytes   Memory soft limit\n"
    "      --memory-swap bytes          Swap limit equal to memory plus swap: -1 to enable "
    "unlimited swap\n"
    "      --pids-limit int             Tune container pids limit (set -1 for unlimited)\n"
    "      --restart string             Restart policy to apply when a container exits\n";

enum {
  U_BLKIO = 1000,
  U_PERIOD,
  U_QUOTA,
  U_CPUS,
  U_CPUSET,
  U_MEMS,
  U_HIGH,
  U_RESERVATION,
  U_SWAP,
  U_PIDS,
  U_RESTART,
};

static const struct option opts[] = {{"blkio-weight", required_argument, NULL, U_BLKIO},
                                     {"cpu-period", required_argument, NULL, U_PERIOD},
                                     {"cpu-quota", required_argument, NULL, U_QUOTA},
                                     {"cpu-shares", required_argument, NULL, 'c'},
                                     {"cpus", required_argument, NULL, U_CPUS},
                                     {"cpuset-cpus", required_argument, NULL, U_CPUSET},
                                     {"cpuset-mems", required_argument, NULL, U_MEMS},
                                     {"memory", required_argument, NULL, 'm'},
                                     {"memory-high", required_argument, NULL, U_HIGH},
                                     {"memory-reservation", required_argument, NULL, U_RESERVATION},
                                     {"memory-swap", required_argument, NULL, U_SWAP},
                                     {"pids-limit", required_argument, NULL, U_PIDS},
                                     {"restart", required_argument, NULL, U_RESTART},
                                     {0}};

/* The value of one flag into the update body. */
static int
update_value (sk_json *body, int c, const char *v, sk_err **err)
{
  static const struct {
    int c;
    const char *field;
  } fields[] = {{U_BLKIO, "BlkioWeight"}, {U_PERIOD, "CpuPeriod"},
                {U_QUOTA, "CpuQuota"},    {'c', "CpuShares"},
                {U_CPUS, "NanoCpus"},     {U_CPUSET, "CpusetCpus"},
                {U_MEMS, "CpusetMems"},   {'m', "Memory"},
                {U_HIGH, "MemoryHigh"},   {U_RESERVATION, "MemoryReservation"},
                {U_SWAP, "MemorySwap"},   {U_PIDS, "PidsLimit"}};
  const char *field = NULL;
  for (size_t i = 0; i < SK_N_ELEMENTS (fields); i++)
    if (fields[i].c == c)
      field = fields[i].field;
  int64_t n = 0;
  uint64_t u = 0;
  int r;
  switch (c) {
  case U_RESTART: {
    sk_json *p = NULL;
    if (sk_run_restart_policy (v, &p, err) < 0)
      return -1;
    json_object_object_add (body, "RestartPolicy", p);
    return 0;
  }
  case U_CPUSET:
  case U_MEMS: json_object_object_add (body, field, json_object_new_string (v)); return 0;
  case U_BLKIO:
    r = sk_rv_uint (v, 16, 0, &u, err);
    n = (int64_t) u;
    break;
  case U_CPUS: r = sk_rv_nano_cpus (v, &n, err); break;
  case 'm':
  case U_HIGH:
  case U_RESERVATION: r = sk_rv_ram (v, &n, err); break;
  case U_SWAP:
    n = -1;
    r = strcmp (v, "-1") == 0 ? 0 : sk_rv_ram (v, &n, err);
    break;
  default: r = sk_rv_int (v, 64, &n, err); break;
  }
  if (r < 0)
    return -1;
  json_object_object_add (body, field, json_object_new_int64 (n));
  return 0;
}

static int
update_one (sk_cli *cli, sk_engine *e, const char *id, const char *as_typed, void *data,
            sk_err **err)
{
  (void) cli, (void) as_typed;
  return sk_engine_update (e, id, data, err);
}

int
cmd_update (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, update_help))
    return 0;
  _cleanup_json_ sk_json *body = json_object_new_object ();
  int c, idx = -1;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+c:m:", opts, &idx)) != -1) {
    if (c == '?')
      return sk_cli_usage ("update", "bad option");
    sk_err *cause = NULL;
    if (update_value (body, c, optarg, &cause) < 0) {
      const char *name = c == 'c' ? "cpu-shares" : c == 'm' ? "memory" : NULL;
      for (size_t i = 0; name == NULL && opts[i].name; i++)
        if (opts[i].val == c)
          name = opts[i].name;
      char shown[64];
      if (c == 'c' || c == 'm')
        snprintf (shown, sizeof shown, "-%c, --%s", c, name);
      else
        snprintf (shown, sizeof shown, "--%s", name);
      int ret = sk_cli_usage ("update", "invalid argument \"%s\" for \"%s\" flag: %s", optarg,
                              shown, cause->msg);
      sk_err_free (&cause);
      return ret;
    }
  }
  if (optind >= argc)
    return sk_cli_usage ("update", "\"update\" requires at least 1 argument.");
  if (json_object_object_length (body) == 0) {
    fprintf (stderr, "skiff: you must provide one or more flags when using this command\n");
    return 1;
  }
  return sk_cli_for_each (cli, argc - optind, argv + optind, true, update_one, body);
}
