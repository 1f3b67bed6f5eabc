/* skiff: `stats`, docker's table of the running containers' use of CPU,
 * memory, network, block I/O and pids, and what docker leaves out (--format
 * fields): the memory's breakdown (MemAnon, MemFile, MemActiveAnon,
 * MemInactiveAnon, MemActiveFile, MemInactiveFile); the pressure (PSI) where
 * a cgroup2 directory gives it (CPUPressure, MemPressure, IOPressure: "some"
 * avg10 / avg60, "--" without; PSI: every number); block I/O by device
 * (BlockIOByDevice: "NAME READ / WRITE, ...", "--" without; BlockIODevices:
 * the numbers). CPU % is the use between two samples. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "util/cleanup.h"

typedef struct sample {
  char *id, *name;
  pid_t pid;
  sk_json *doc; /* the cgroup's statistics */
  double at;    /* monotonic seconds */
} sample;

static double
mono (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int64_t
num (sk_json *o, const char *const *path)
{
  for (; o && *path; path++)
    if (!json_object_object_get_ex (o, *path, &o))
      return 0;
  return o ? json_object_get_int64 (o) : 0;
}

/* A memory.stat counter: its v2 name, or its v1 hierarchical total. */
static int64_t
mem_stat (sk_json *doc, const char *v2, const char *v1)
{
  const char *p2[] = {"memory", "raw", v2, NULL}, *p1[] = {"memory", "raw", v1, NULL};
  sk_json *raw = NULL, *mem = NULL;
  if (json_object_object_get_ex (doc, "memory", &mem) && json_object_object_get_ex (mem, "raw", &raw) &&
      json_object_object_get_ex (raw, v2, NULL))
    return num (doc, p2);
  return num (doc, p1);
}

static int64_t
host_memory (void)
{
  long pages = sysconf (_SC_PHYS_PAGES), size = sysconf (_SC_PAGESIZE);
  return pages > 0 && size > 0 ? (int64_t) pages * size : 0;
}

/* Bytes received and sent on the container's interfaces but lo. */
static void
net_io (pid_t pid, int64_t *rx, int64_t *tx)
{
  char path[64], line[512];
  *rx = *tx = 0;
  snprintf (path, sizeof path, "/proc/%d/net/dev", (int) pid);
  FILE *f = fopen (path, "re");
  while (f && fgets (line, sizeof line, f)) {
    char ifname[64];
    long long r, t, skip;
    if (sscanf (line, " %63[^:]: %lld %lld %lld %lld %lld %lld %lld %lld %lld", ifname, &r, &skip,
                &skip, &skip, &skip, &skip, &skip, &skip, &t) == 10 &&
        strcmp (ifname, "lo") != 0) {
      *rx += r;
      *tx += t;
    }
  }
  if (f)
    fclose (f);
}

/* Block I/O: the bytes read and written, all devices. */
static void
block_io (sk_json *doc, int64_t *rd, int64_t *wr)
{
  sk_json *blk = NULL, *list = NULL;
  *rd = *wr = 0;
  if (!json_object_object_get_ex (doc, "blkio", &blk) ||
      !json_object_object_get_ex (blk, "ioServiceBytesRecursive", &list) || list == NULL)
    return;
  for (size_t i = 0; i < json_object_array_length (list); i++) {
    sk_json *e = json_object_array_get_idx (list, i), *op = NULL, *v = NULL;
    if (!json_object_object_get_ex (e, "op", &op) || !json_object_object_get_ex (e, "value", &v))
      continue;
    const char *o = json_object_get_string (op);
    if (strcasecmp (o, "read") == 0)
      *rd += json_object_get_int64 (v);
    else if (strcasecmp (o, "write") == 0)
      *wr += json_object_get_int64 (v);
  }
}

/* A block device's name from /sys/dev/block/MAJ:MIN/uevent (DEVNAME),
 * else "MAJ:MIN". */
static void
device_name (unsigned maj, unsigned min, char *buf, size_t size)
{
  char path[64], text[1024];
  snprintf (buf, size, "%u:%u", maj, min);
  snprintf (path, sizeof path, "/sys/dev/block/%u:%u/uevent", maj, min);
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd >= 0 ? read (fd, text, sizeof text - 1) : -1;
  if (n <= 0)
    return;
  text[n] = '\0';
  char *p = strstr (text, "DEVNAME=");
  if (p && (p == text || p[-1] == '\n')) {
    p += 8;
    size_t len = strcspn (p, "\n");
    if (len > 0 && len < size) {
      memcpy (buf, p, len);
      buf[len] = '\0';
    }
  }
}

/* The device entry of `list` (an array of BlockIODevices objects) for
 * maj:min, made when missing. */
static sk_json *
device_entry (sk_json *list, unsigned maj, unsigned min)
{
  for (size_t i = 0; i < json_object_array_length (list); i++) {
    sk_json *e = json_object_array_get_idx (list, i), *a, *b;
    if (json_object_object_get_ex (e, "Major", &a) && json_object_object_get_ex (e, "Minor", &b) &&
        json_object_get_int64 (a) == maj && json_object_get_int64 (b) == min)
      return e;
  }
  char name[64];
  device_name (maj, min, name, sizeof name);
  sk_json *e = json_object_new_object ();
  json_object_object_add (e, "Device", json_object_new_string (name));
  json_object_object_add (e, "Major", json_object_new_int64 (maj));
  json_object_object_add (e, "Minor", json_object_new_int64 (min));
  static const char *const keys[] = {"ReadBytes", "WriteBytes", "ReadOps", "WriteOps"};
  for (size_t k = 0; k < SK_N_ELEMENTS (keys); k++)
    json_object_object_add (e, keys[k], json_object_new_int64 (0));
  json_object_array_add (list, e);
  return e;
}

/* Adds the Read and Write entries of the blkio list `key` to the devices'
 * `read` and `write` fields. */
static void
device_counts (sk_json *blk, const char *key, sk_json *list, const char *read, const char *write)
{
  sk_json *src = NULL;
  if (!json_object_object_get_ex (blk, key, &src) || src == NULL)
    return;
  for (size_t i = 0; i < json_object_array_length (src); i++) {
    sk_json *e = json_object_array_get_idx (src, i), *op, *v, *maj, *min;
    if (!json_object_object_get_ex (e, "op", &op) || !json_object_object_get_ex (e, "value", &v) ||
        !json_object_object_get_ex (e, "major", &maj) ||
        !json_object_object_get_ex (e, "minor", &min))
      continue;
    const char *o = json_object_get_string (op), *field;
    if (strcasecmp (o, "read") == 0)
      field = read;
    else if (strcasecmp (o, "write") == 0)
      field = write;
    else
      continue;
    sk_json *cur, *d = device_entry (list, (unsigned) json_object_get_int64 (maj),
                                     (unsigned) json_object_get_int64 (min));
    int64_t now = json_object_object_get_ex (d, field, &cur) ? json_object_get_int64 (cur) : 0;
    json_object_object_add (d, field, json_object_new_int64 (now + json_object_get_int64 (v)));
  }
}

/* BlockIODevices (an array) and BlockIOByDevice ("vda 1.2MB / 8.4MB, ..."). */
static void
block_io_by_device (sk_json *doc, sk_json *row)
{
  sk_json *blk = NULL, *list = json_object_new_array ();
  if (json_object_object_get_ex (doc, "blkio", &blk)) {
    device_counts (blk, "ioServiceBytesRecursive", list, "ReadBytes", "WriteBytes");
    device_counts (blk, "ioServicedRecursive", list, "ReadOps", "WriteOps");
  }
  char text[1024] = "";
  size_t len = 0;
  for (size_t i = 0; i < json_object_array_length (list); i++) {
    sk_json *e = json_object_array_get_idx (list, i), *name, *rd, *wr;
    char r[32], w[32];
    json_object_object_get_ex (e, "Device", &name);
    json_object_object_get_ex (e, "ReadBytes", &rd);
    json_object_object_get_ex (e, "WriteBytes", &wr);
    sk_cli_human_size (json_object_get_int64 (rd), r, sizeof r);
    sk_cli_human_size (json_object_get_int64 (wr), w, sizeof w);
    int n = snprintf (text + len, sizeof text - len, "%s%s %s / %s", len ? ", " : "",
                      json_object_get_string (name), r, w);
    if (n < 0 || (size_t) n >= sizeof text - len)
      break;
    len += (size_t) n;
  }
  json_object_object_add (row, "BlockIOByDevice", json_object_new_string (len ? text : "--"));
  json_object_object_add (row, "BlockIODevices", list);
}

/* PSI ({"cpu","memory","io"}: each {"some","full"} with avg10, avg60,
 * avg300, total) and the short forms: "some" avg10 / avg60, "--" without. */
static void
pressure (sk_json *doc, sk_json *row)
{
  static const char *const res[][3] = {{"cpu", "cpu", "CPUPressure"},
                                       {"memory", "memory", "MemPressure"},
                                       {"blkio", "io", "IOPressure"}};
  sk_json *psi = json_object_new_object ();
  for (size_t i = 0; i < SK_N_ELEMENTS (res); i++) {
    sk_json *o = NULL, *p = NULL, *some = NULL, *a10 = NULL, *a60 = NULL;
    char text[64] = "--";
    if (json_object_object_get_ex (doc, res[i][0], &o) &&
        json_object_object_get_ex (o, "psi", &p) && p != NULL) {
      json_object_object_add (psi, res[i][1], json_object_get (p));
      if (json_object_object_get_ex (p, "some", &some) &&
          json_object_object_get_ex (some, "avg10", &a10) &&
          json_object_object_get_ex (some, "avg60", &a60))
        snprintf (text, sizeof text, "%.2f%% / %.2f%%", json_object_get_double (a10),
                  json_object_get_double (a60));
    }
    json_object_object_add (row, res[i][2], json_object_new_string (text));
  }
  json_object_object_add (row, "PSI", psi);
}

static void
add_size (sk_json *row, const char *key, int64_t bytes)
{
  json_object_object_add (row, key, json_object_new_int64 (bytes));
}

static void
pair (sk_json *row, const char *key, int64_t a, int64_t b, bool binary)
{
  char x[32], y[32], both[80];
  if (binary) {
    sk_cli_human_size_binary (a, x, sizeof x);
    sk_cli_human_size_binary (b, y, sizeof y);
  } else {
    sk_cli_human_size (a, x, sizeof x);
    sk_cli_human_size (b, y, sizeof y);
  }
  snprintf (both, sizeof both, "%s / %s", x, y);
  json_object_object_add (row, key, json_object_new_string (both));
}

/* Docker's row, from two samples of one container. */
static sk_json *
stats_row (const sample *a, const sample *b, bool no_trunc)
{
  static const char *const cpu[] = {"cpu", "usage", "total", NULL};
  static const char *const usage[] = {"memory", "usage", "usage", NULL};
  static const char *const limit[] = {"memory", "usage", "limit", NULL};
  static const char *const pids[] = {"pids", "current", NULL};
  sk_json *row = json_object_new_object ();
  char id[13], pct[32];
  snprintf (id, sizeof id, "%.12s", a->id);
  json_object_object_add (row, "ID", json_object_new_string (no_trunc ? a->id : id));
  json_object_object_add (row, "Container", json_object_new_string (no_trunc ? a->id : id));
  json_object_object_add (row, "Name", json_object_new_string (a->name));
  /* of one CPU, as docker counts: 200% is two CPUs busy */
  double secs = b->at - a->at;
  double used = secs > 0 ? (double) (num (b->doc, cpu) - num (a->doc, cpu)) / 1e9 / secs : 0;
  snprintf (pct, sizeof pct, "%.2f%%", used * 100);
  json_object_object_add (row, "CPUPerc", json_object_new_string (pct));
  /* docker's "usage": without the inactive page cache */
  int64_t mem = num (b->doc, usage) - mem_stat (b->doc, "inactive_file", "total_inactive_file");
  int64_t lim = num (b->doc, limit), host = host_memory ();
  if (lim <= 0 || (host > 0 && lim > host))
    lim = host;
  if (mem < 0)
    mem = 0;
  pair (row, "MemUsage", mem, lim, true);
  snprintf (pct, sizeof pct, "%.2f%%", lim > 0 ? (double) mem * 100 / (double) lim : 0.0);
  json_object_object_add (row, "MemPerc", json_object_new_string (pct));
  int64_t rx, tx, rd, wr;
  net_io (b->pid, &rx, &tx);
  pair (row, "NetIO", rx, tx, false);
  block_io (b->doc, &rd, &wr);
  pair (row, "BlockIO", rd, wr, false);
  json_object_object_add (row, "PIDs", json_object_new_int64 (num (b->doc, pids)));
  add_size (row, "MemAnon", mem_stat (b->doc, "anon", "total_rss"));
  add_size (row, "MemFile", mem_stat (b->doc, "file", "total_cache"));
  add_size (row, "MemActiveAnon", mem_stat (b->doc, "active_anon", "total_active_anon"));
  add_size (row, "MemInactiveAnon", mem_stat (b->doc, "inactive_anon", "total_inactive_anon"));
  add_size (row, "MemActiveFile", mem_stat (b->doc, "active_file", "total_active_file"));
  add_size (row, "MemInactiveFile", mem_stat (b->doc, "inactive_file", "total_inactive_file"));
  pressure (b->doc, row);
  block_io_by_device (b->doc, row);
  return row;
}

static void
samples_free (sample *s, size_t n)
{
  for (size_t i = 0; s && i < n; i++) {
    free (s[i].id);
    free (s[i].name);
    json_object_put (s[i].doc);
  }
  free (s);
}

/* One sample of each container named, or of every running one (names
 * NULL); a container that stopped meanwhile is left out. */
static int
take (sk_engine *e, char **names, int n_names, sample **out, size_t *n, sk_err **err)
{
  sk_ctr **list = NULL;
  if (sk_engine_list (e, &list, err) < 0)
    return -1;
  size_t count = 0;
  for (sk_ctr **c = list; *c; c++)
    count++;
  sample *s = calloc (count + 1, sizeof *s);
  *n = 0;
  int ret = s ? 0 : sk_err_set (err, ENOMEM, "stats");
  for (sk_ctr **c = list; ret == 0 && *c; c++) {
    bool wanted = names == NULL && (strcmp ((*c)->state, "running") == 0 ||
                                    strcmp ((*c)->state, "paused") == 0);
    for (int i = 0; names && i < n_names && !wanted; i++)
      wanted = strcmp (names[i], (*c)->id) == 0;
    sk_err *gone = NULL;
    if (!wanted || sk_engine_stats (e, (*c)->id, &s[*n].doc, &gone) < 0) {
      sk_err_free (&gone);
      continue;
    }
    s[*n].id = strdup ((*c)->id);
    s[*n].name = strdup ((*c)->name);
    s[*n].pid = (*c)->pid;
    s[*n].at = mono ();
    (*n)++;
  }
  sk_ctr_list_free (list);
  *out = s;
  return ret;
}

static volatile sig_atomic_t stop_stats;

static void
on_stop (int sig)
{
  (void) sig;
  stop_stats = 1;
}

static const char stats_help[] = "Usage:  skiff stats [OPTIONS] [CONTAINER...]\n\n"
                                 "Display a live stream of container(s) resource usage statistics\n\n"
                                 "Options:\n"
                                 "  -a, --all             Show all containers (default shows just "
                                 "running)\n"
                                 "      --format string   Pretty-print images using a Go template\n"
                                 "      --no-stream       Disable streaming stats and only pull the "
                                 "first result\n"
                                 "      --no-trunc        Do not truncate output\n";

static const sk_cli_column stats_columns[] = {
    {"ID", "CONTAINER ID"}, {"Container", "CONTAINER"}, {"Name", "NAME"},  {"CPUPerc", "CPU %"},
    {"MemUsage", "MEM USAGE / LIMIT"}, {"MemPerc", "MEM %"}, {"NetIO", "NET I/O"},
    {"BlockIO", "BLOCK I/O"}, {"PIDs", "PIDS"}, {NULL, NULL}};

/* Prints the rows of two rounds of samples; 0, or -1. */
static int
print_round (const sample *a, size_t na, const sample *b, size_t nb, const char *format,
             bool no_trunc, sk_err **err)
{
  _cleanup_free_ sk_json **rows = calloc (nb + 1, sizeof *rows);
  size_t n = 0;
  for (size_t j = 0; rows && j < nb; j++)
    for (size_t i = 0; i < na; i++)
      if (strcmp (a[i].id, b[j].id) == 0)
        rows[n++] = stats_row (&a[i], &b[j], no_trunc);
  const char *def = "table {{.ID}}\\t{{.Name}}\\t{{.CPUPerc}}\\t{{.MemUsage}}\\t{{.MemPerc}}\\t"
                    "{{.NetIO}}\\t{{.BlockIO}}\\t{{.PIDs}}";
  int r = sk_cli_render (format ? format : def, rows, n, stats_columns, stdout, err);
  for (size_t i = 0; i < n; i++)
    json_object_put (rows[i]);
  fflush (stdout);
  return r;
}

int
cmd_stats (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, stats_help))
    return 0;
  enum { O_FORMAT = 1000, O_NO_STREAM, O_NO_TRUNC };
  static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                       {"format", required_argument, NULL, O_FORMAT},
                                       {"no-stream", no_argument, NULL, O_NO_STREAM},
                                       {"no-trunc", no_argument, NULL, O_NO_TRUNC},
                                       {0}};
  const char *format = NULL;
  bool no_stream = false, no_trunc = false;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "a", opts, NULL)) != -1) {
    switch (c) {
    case 'a': break; /* stopped containers have no statistics to show */
    case O_FORMAT: format = optarg; break;
    case O_NO_STREAM: no_stream = true; break;
    case O_NO_TRUNC: no_trunc = true; break;
    default: return sk_cli_usage ("stats", "bad option");
    }
  }
  sk_err *err = NULL;
  sk_engine *e = NULL;
  if (sk_cli_engine (cli, &e, &err) < 0)
    return sk_cli_fail (err);
  /* the containers named, as full ids (NULL: every running one) */
  _cleanup_strv_ char **names = optind < argc ? calloc ((size_t) (argc - optind) + 1, sizeof *names) : NULL;
  for (int i = optind; i < argc; i++)
    if (names == NULL || sk_engine_resolve (e, argv[i], &names[i - optind], &err) < 0)
      return err ? sk_cli_fail (err) : 1;
  signal (SIGINT, on_stop);
  signal (SIGTERM, on_stop);
  sample *prev = NULL;
  size_t n_prev = 0;
  int ret = take (e, names, argc - optind, &prev, &n_prev, &err);
  for (bool first = true; ret == 0 && !stop_stats; first = false) {
    struct timespec pause = {no_stream ? 0 : 1, no_stream ? 500000000 : 0};
    nanosleep (&pause, NULL);
    sample *now = NULL;
    size_t n_now = 0;
    if ((ret = take (e, names, argc - optind, &now, &n_now, &err)) < 0)
      break;
    if (!no_stream && isatty (1))
      printf ("\033[2J\033[H"); /* the table redrawn in place, as docker's */
    else if (!first)
      printf ("\n");
    ret = print_round (prev, n_prev, now, n_now, format, no_trunc, &err);
    samples_free (prev, n_prev);
    prev = now, n_prev = n_now;
    if (no_stream)
      break;
  }
  samples_free (prev, n_prev);
  return ret < 0 ? sk_cli_fail (err) : 0;
}
