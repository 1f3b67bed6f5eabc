/* skiff-runtime: pause, resume, update, events. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"

static int
simple (rt_cli *cli, const char *cmd, int argc, char **argv,
        int (*fn) (const sk_runtime *, const char *, sk_err **), const char *help)
{
  if (argc > 1 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)) {
    cli_print_help (help);
    return 0;
  }
  optind = 1;
  const char *id = cli_one_id (cmd, argc, argv);
  if (id == NULL)
    return 1;
  sk_err *err = NULL;
  if (fn (&cli->rt, id, &err) < 0)
    return cli_fail (err);
  return 0;
}

int
cmd_pause (rt_cli *cli, int argc, char **argv)
{
  return simple (cli, "pause", argc, argv, sk_container_pause,
                 "Usage: skiff-runtime pause <container-id>\nFreezes every process of a container.\n");
}

int
cmd_resume (rt_cli *cli, int argc, char **argv)
{
  return simple (cli, "resume", argc, argv, sk_container_resume,
                 "Usage: skiff-runtime resume <container-id>\nThaws a paused container.\n");
}

static const char update_help[] =
    "Usage: skiff-runtime update [options] <container-id>\n"
    "Changes the resource limits of a running container.\n"
    "  -r, --resources FILE     a LinuxResources JSON document (- for stdin)\n"
    "      --memory BYTES, --memory-reservation BYTES, --memory-swap BYTES\n"
    "      --cpu-shares N, --cpu-quota N, --cpu-period N, --cpu-rt-runtime N, --cpu-rt-period N\n"
    "      --cpuset-cpus LIST, --cpuset-mems LIST, --pids-limit N, --blkio-weight N\n";

enum {
  U_MEMORY = 1000, U_RESERVATION, U_SWAP, U_KMEM, U_KTCP, U_SHARES, U_QUOTA, U_PERIOD,
  U_RT_RUNTIME, U_RT_PERIOD, U_CPUS, U_MEMS, U_PIDS, U_BLKIO, U_L3, U_MEMBW,
};

static int
read_resources (const char *file, sk_spec_resources *res, sk_err **err)
{
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  if (sk_read_file (strcmp (file, "-") == 0 ? "/dev/stdin" : file, &data, &len, err) < 0)
    return -1;
  return sk_spec_resources_parse (data, len, strcmp (file, "-") == 0 ? "--resources" : file, res, err);
}

static int
apply_flag (int c, const char *arg, sk_spec_resources *r)
{
  long long v;
  bool bytes = c == U_MEMORY || c == U_RESERVATION || c == U_SWAP || c == U_KMEM || c == U_KTCP;
  if (c == U_CPUS || c == U_MEMS) {
    char **slot = c == U_CPUS ? &r->cpu.cpus : &r->cpu.mems;
    free (*slot);
    *slot = strdup (arg);
    return 0;
  }
  if (!(bytes ? cli_parse_bytes (arg, &v) : cli_parse_int (arg, &v)))
    return -1;
  sk_opt_i64 val = {true, v};
  sk_opt_u64 uval = {true, (uint64_t) v};
  bool neg = v < 0;
  switch (c) {
  case U_MEMORY: r->memory.limit = val; break;
  case U_RESERVATION: r->memory.reservation = val; break;
  case U_SWAP: r->memory.swap = val; break;
  case U_KMEM: case U_KTCP: break; /* kernel memory limits are gone from the kernel */
  case U_SHARES: if (neg) return -1; r->cpu.shares = uval; break;
  case U_QUOTA: r->cpu.quota = val; break;
  case U_PERIOD: if (neg) return -1; r->cpu.period = uval; break;
  case U_RT_RUNTIME: r->cpu.realtime_runtime = val; break;
  case U_RT_PERIOD: if (neg) return -1; r->cpu.realtime_period = uval; break;
  case U_PIDS: r->pids.limit = val; break;
  case U_BLKIO:
    if (v < 10 || v > 1000)
      return -1;
    r->block_io.weight_set = true;
    r->block_io.weight = (uint16_t) v;
    break;
  default: return -1;
  }
  return 0;
}

int
cmd_update (rt_cli *cli, int argc, char **argv)
{
  static const struct option opts[] = {
      {"resources", required_argument, NULL, 'r'},
      {"memory", required_argument, NULL, U_MEMORY},
      {"memory-reservation", required_argument, NULL, U_RESERVATION},
      {"memory-swap", required_argument, NULL, U_SWAP},
      {"kernel-memory", required_argument, NULL, U_KMEM},
      {"kernel-memory-tcp", required_argument, NULL, U_KTCP},
      {"cpu-shares", required_argument, NULL, U_SHARES},
      {"cpu-quota", required_argument, NULL, U_QUOTA},
      {"cpu-period", required_argument, NULL, U_PERIOD},
      {"cpu-rt-runtime", required_argument, NULL, U_RT_RUNTIME},
      {"cpu-rt-period", required_argument, NULL, U_RT_PERIOD},
      {"cpuset-cpus", required_argument, NULL, U_CPUS},
      {"cpuset-mems", required_argument, NULL, U_MEMS},
      {"pids-limit", required_argument, NULL, U_PIDS},
      {"blkio-weight", required_argument, NULL, U_BLKIO},
      {"help", no_argument, NULL, 'h'},
      {0}};
  sk_spec_resources res = {0};
  const char *file = NULL;
  bool flags = false;
  int c, status = 0;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+r:h", opts, NULL)) != -1) {
    if (c == 'h') {
      cli_print_help (update_help);
      sk_spec_resources_clear (&res);
      return 0;
    }
    if (c == 'r') {
      file = optarg;
      continue;
    }
    if (c == '?' || apply_flag (c, optarg, &res) < 0) {
      sk_spec_resources_clear (&res);
      if (c == '?')
        return cli_usage_error ("update", "unknown option");
      return cli_usage_error ("update", "invalid value `%s` for --%s", optarg,
                              opts[0].name ? argv[optind - 1] + 2 : "");
    }
    flags = true;
  }
  const char *id = cli_one_id ("update", argc, argv);
  sk_err *err = NULL;
  if (id == NULL)
    status = 1;
  else if (file && flags)
    status = cli_usage_error ("update", "give either --resources or flags, not both");
  else if (file && read_resources (file, &res, &err) < 0)
    status = cli_fail (err);
  else if (sk_container_update (&cli->rt, id, &res, &err) < 0)
    status = cli_fail (err);
  sk_spec_resources_clear (&res);
  return status;
}

/* ---- events ---- */

static void
emit (const char *type, const char *id, sk_json *data)
{
  _cleanup_json_ sk_json *ev = json_object_new_object ();
  json_object_object_add (ev, "type", json_object_new_string (type));
  json_object_object_add (ev, "id", json_object_new_string (id));
  if (data)
    json_object_object_add (ev, "data", data);
  _cleanup_free_ char *s = sk_json_dump (ev, false);
  printf ("%s\n", s);
  fflush (stdout);
}

static bool
parse_interval (const char *s, long *ms)
{
  char *end;
  double v = strtod (s, &end);
  if (end == s || v <= 0)
    return false;
  if (strcmp (end, "ms") == 0)
    *ms = (long) v;
  else if (strcmp (end, "s") == 0 || *end == '\0')
    *ms = (long) (v * 1000);
  else if (strcmp (end, "m") == 0)
    *ms = (long) (v * 60000);
  else
    return false;
  return *ms > 0;
}

int
cmd_events (rt_cli *cli, int argc, char **argv)
{
  static const struct option opts[] = {{"stats", no_argument, NULL, 's'},
                                       {"interval", required_argument, NULL, 'i'},
                                       {"help", no_argument, NULL, 'h'},
                                       {0}};
  bool once = false;
  long interval = 5000;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+h", opts, NULL)) != -1) {
    if (c == 's')
      once = true;
    else if (c == 'i') {
      if (!parse_interval (optarg, &interval))
        return cli_usage_error ("events", "--interval `%s` is not a duration like 5s", optarg);
    } else if (c == 'h') {
      cli_print_help ("Usage: skiff-runtime events [--stats] [--interval 5s] <container-id>\n"
                      "Prints the container's statistics (once with --stats, else every interval)\n"
                      "and its OOM kills, as JSON lines, until it stops.\n");
      return 0;
    } else
      return cli_usage_error ("events", "unknown option");
  }
  const char *id = cli_one_id ("events", argc, argv);
  if (id == NULL)
    return 1;
  sk_err *err = NULL;
  uint64_t ooms = 0, now_ooms = 0;
  sk_container_oom_kills (&cli->rt, id, &ooms, &err);
  sk_err_free (&err);
  for (;;) {
    sk_json *stats = NULL;
    if (sk_container_stats (&cli->rt, id, &stats, &err) < 0) {
      if (once)
        return cli_fail (err);
      sk_err_free (&err);
      return 0; /* the container stopped */
    }
    emit ("stats", id, stats);
    if (once)
      return 0;
    if (sk_container_oom_kills (&cli->rt, id, &now_ooms, &err) == 0 && now_ooms > ooms) {
      for (; ooms < now_ooms; ooms++)
        emit ("oom", id, NULL);
    }
    sk_err_free (&err);
    poll (NULL, 0, (int) interval);
  }
}
