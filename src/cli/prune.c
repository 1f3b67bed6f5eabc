/* skiff: image prune, docker's flags and output, and its filters: until=
 * (images created before a time, or before a duration ago) and label= /
 * label!= (on the labels of the image's config). */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "oci/reference.h"
#include "util/cleanup.h"

/* ---- times, as docker's filters take them ---- */

/* A Go duration ("1h30m", "90s", "1.5h"): *secs. -1: not one. */
static int
parse_duration (const char *s, double *secs)
{
  static const struct {
    const char *unit;
    double factor;
  } units[] = {{"ns", 1e-9}, {"us", 1e-6}, {"\xc2\xb5s", 1e-6}, {"ms", 1e-3},
               {"s", 1},     {"m", 60},    {"h", 3600}};
  if (strcmp (s, "0") == 0) {
    *secs = 0;
    return 0;
  }
  double total = 0;
  const char *p = s;
  do {
    size_t n = strspn (p, "0123456789.");
    char num[32];
    if (n == 0 || n >= sizeof num)
      return -1;
    memcpy (num, p, n);
    num[n] = '\0';
    char *end = NULL;
    double v = strtod (num, &end);
    if (*end != '\0')
      return -1;
    p += n;
    size_t u = 0;
    while (u < SK_N_ELEMENTS (units) && strncmp (p, units[u].unit, strlen (units[u].unit)) != 0)
      u++;
    if (u == SK_N_ELEMENTS (units))
      return -1;
    total += v * units[u].factor;
    p += strlen (units[u].unit);
  } while (*p);
  *secs = total;
  return 0;
}

/* "Z", "+02:00", "-0500" or nothing (local time) after a date: the seconds
 * to subtract to get UTC, *local when there was none. -1: something else. */
static int
parse_zone (const char *p, int64_t *offset, bool *local)
{
  *offset = 0;
  *local = *p == '\0';
  if (*local || ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0'))
    return 0;
  int h, m;
  char tail;
  if ((p[0] != '+' && p[0] != '-') || (sscanf (p + 1, "%2d:%2d%c", &h, &m, &tail) != 2 &&
                                       sscanf (p + 1, "%2d%2d%c", &h, &m, &tail) != 2))
    return -1;
  *offset = (p[0] == '+' ? 1 : -1) * (int64_t) (h * 3600 + m * 60);
  return 0;
}

/* seconds and nanoseconds as nanoseconds, the last one representable for
 * times after 2262 (and the first before 1677) */
static int64_t
to_ns (int64_t secs, int64_t ns)
{
  if (secs > INT64_MAX / 1000000000 - 1)
    return INT64_MAX;
  if (secs < INT64_MIN / 1000000000 + 1)
    return INT64_MIN;
  return secs * 1000000000 + ns;
}

/* RFC 3339 and its shorter forms (2006-01-02T15:04:05.999Z07:00,
 * 2006-01-02T15:04:05, 2006-01-02T15:04, 2006-01-02), local time when no
 * zone is given: nanoseconds since the epoch. */
static int
parse_date (const char *s, int64_t *out)
{
  static const char *const formats[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"};
  for (size_t f = 0; f < SK_N_ELEMENTS (formats); f++) {
    struct tm tm = {0};
    const char *rest = strptime (s, formats[f], &tm);
    if (rest == NULL)
      continue;
    double frac = 0;
    if (f == 0 && *rest == '.') {
      char *end = NULL;
      frac = strtod (rest, &end);
      rest = end;
    }
    int64_t offset;
    bool local;
    if (parse_zone (rest, &offset, &local) < 0)
      continue;
    tm.tm_isdst = -1;
    time_t t = local ? mktime (&tm) : timegm (&tm);
    *out = to_ns ((int64_t) t - offset, (int64_t) (frac * 1e9 + 0.5));
    return 0;
  }
  return -1;
}

/* Unix seconds with up to 9 digits of fraction: nanoseconds. */
static int
parse_unix (const char *v, int64_t *out)
{
  size_t digits = strspn (v, "0123456789");
  if (digits == 0 || digits > 18 || (v[digits] != '\0' && v[digits] != '.'))
    return -1;
  const char *frac = v[digits] == '.' ? v + digits + 1 : "";
  size_t fdigits = strspn (frac, "0123456789");
  if (frac[fdigits] != '\0' || fdigits > 9)
    return -1;
  int64_t ns = 0;
  for (size_t i = 0; i < 9; i++)
    ns = ns * 10 + (i < fdigits ? frac[i] - '0' : 0);
  *out = to_ns ((int64_t) strtoll (v, NULL, 10), ns);
  return 0;
}

int
sk_cli_parse_time (const char *v, int64_t *ns)
{
  double d;
  /* "0" is the Unix time 0, not a duration of nothing (as docker reads it) */
  if (strcmp (v, "0") != 0 && parse_duration (v, &d) == 0) {
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    *ns = to_ns (now.tv_sec, now.tv_nsec) - (d < 1e18 ? (int64_t) (d * 1e9) : INT64_MAX / 2);
    return 0;
  }
  if (parse_unix (v, ns) == 0 || parse_date (v, ns) == 0)
    return 0;
  return -1;
}

int
sk_cli_time_flag (const char *which, const char *v, int64_t *ns, sk_err **err)
{
  if (sk_cli_parse_time (v, ns) < 0)
    return sk_err_set (err, 0,
                       "invalid value for \"%s\": failed to parse value as time or duration: \"%s\"",
                       which, v);
  return 0;
}

/* docker's way: a duration is that long before now; then a Unix time
 * (seconds, a fraction allowed); then a date. */
static int
parse_until (const char *v, double *out, sk_err **err)
{
  int64_t ns;
  if (sk_cli_parse_time (v, &ns) == 0) {
    *out = (double) ns / 1e9;
    return 0;
  }
  return sk_err_set (
      err, 0,
      "invalid filter 'until=%s': not a time (a Unix time, RFC 3339) or a duration (10m, 2h)", v);
}

/* ---- the filters ---- */

typedef struct {
  const char *key, *value; /* value NULL: any value */
  bool negate;             /* label!= */
} label_filter;

typedef struct {
  bool until_set;
  double until;
  label_filter *labels;
  size_t n_labels;
} prune_filter;

static int
parse_prune_filter (char *f, prune_filter *flt, sk_err **err)
{
  const char *eq = strchr (f, '=');
  if (eq == NULL)
    return sk_err_set (err, 0, "bad format of filter (expected name=value)");
  size_t klen = eq - f;
  if (klen == 5 && strncmp (f, "until", 5) == 0) {
    flt->until_set = true;
    return parse_until (eq + 1, &flt->until, err);
  }
  bool negate = klen == 6 && strncmp (f, "label!", 6) == 0;
  if (!negate && !(klen == 5 && strncmp (f, "label", 5) == 0))
    return sk_err_set (err, 0, "invalid filter '%.*s' (image prune takes until, label and label!=)",
                       (int) klen, f);
  label_filter *l = &flt->labels[flt->n_labels++];
  l->negate = negate;
  l->key = eq + 1;
  char *veq = strchr (eq + 1, '=');
  if (veq) {
    *veq = '\0'; /* the argument is ours to cut */
    l->value = veq + 1;
  }
  if (*l->key == '\0')
    return sk_err_set (err, 0, "invalid filter '%s': no label", f);
  return 0;
}

static bool
has_label (const sk_image_config *cfg, const label_filter *l)
{
  for (size_t i = 0; cfg->label_keys && cfg->label_keys[i]; i++)
    if (strcmp (cfg->label_keys[i], l->key) == 0)
      return l->value == NULL || strcmp (cfg->label_values[i], l->value) == 0;
  return false;
}

/* Whether the filters let the image be pruned: created before until; every
 * label= it has, no label!= */
static int
prune_filter_match (sk_image_service *s, const prune_filter *flt, const sk_image_info *i,
                    bool *match, sk_err **err)
{
  *match = !flt->until_set || (double) i->created < flt->until;
  if (!*match || flt->n_labels == 0)
    return 0;
  sk_image_config *cfg = NULL;
  if (sk_image_read_config (s, i->id, &cfg, NULL, err) < 0)
    return -1;
  for (size_t k = 0; k < flt->n_labels && *match; k++)
    *match = has_label (cfg, &flt->labels[k]) != flt->labels[k].negate;
  sk_image_config_free (cfg);
  return 0;
}

/* ---- prune ---- */

static const char prune_help[] =
    "Usage:  skiff image prune [OPTIONS]\n\n"
    "Remove unused images\n\n"
    "Options:\n"
    "  -a, --all             Remove all unused images, not just dangling ones\n"
    "      --filter filter   Provide filter values (e.g. \"until=<timestamp>\")\n"
    "                        (until=TIME|DURATION, label=KEY[=VALUE], label!=KEY[=VALUE])\n"
    "  -f, --force           Do not prompt for confirmation\n";

typedef struct {
  bool header;
} prune_out;

static void
print_pruned (const char *what, void *data)
{
  prune_out *p = data;
  if (!p->header)
    printf ("Deleted Images:\n");
  p->header = true;
  printf ("deleted: %s\n", what);
}

/* Untags and removes one image the filters chose */
static int
prune_one (sk_image_service *s, const sk_image_info *i, prune_out *out, int64_t *reclaimed,
           sk_err **err)
{
  char **users = NULL;
  bool running = false;
  if (sk_ctrs_using_image (s->db, i->id, &users, &running, err) < 0)
    return -1;
  bool used = users[0] != NULL;
  for (char **u = users; *u; u++)
    free (*u);
  free (users);
  if (used) /* docker keeps an image a container has, stopped or not */
    return 0;
  for (char **t = i->tags; *t; t++) {
    _cleanup_free_ char *f = sk_image_name_familiar (*t);
    if (!out->header)
      printf ("Deleted Images:\n");
    out->header = true;
    printf ("untagged: %s\n", f);
  }
  return sk_image_remove (s, i->id, print_pruned, out, reclaimed, err);
}

static int
prune_images (sk_cli *cli, bool all, const prune_filter *flt)
{
  sk_err *err = NULL;
  sk_image_service *s = NULL;
  sk_image_info **list = NULL;
  if (sk_cli_images (cli, &s, &err) < 0 || sk_images_list (s->db, &list, &err) < 0)
    return sk_cli_fail (err);
  prune_out out = {0};
  int64_t reclaimed = 0;
  int ret = 0;
  for (sk_image_info **ip = list; *ip && ret == 0; ip++) {
    bool match = false;
    if (!all && (*ip)->tags[0])
      continue;
    if (prune_filter_match (s, flt, *ip, &match, &err) < 0 ||
        (match && prune_one (s, *ip, &out, &reclaimed, &err) < 0))
      ret = sk_cli_fail (err);
  }
  sk_image_info_list_free (list);
  if (ret == 0 && sk_image_gc (s, print_pruned, &out, &reclaimed, &err) < 0)
    ret = sk_cli_fail (err);
  char size[32];
  sk_cli_human_size (reclaimed, size, sizeof size);
  printf ("%sTotal reclaimed space: %s\n", out.header ? "\n" : "", size);
  return ret;
}

int
cmd_image_prune (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, prune_help))
    return 0;
  static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                       {"force", no_argument, NULL, 'f'},
                                       {"filter", required_argument, NULL, 'F'},
                                       {0}};
  _cleanup_free_ label_filter *labels = calloc ((size_t) argc + 1, sizeof *labels);
  prune_filter flt = {.labels = labels};
  bool all = false, force = false;
  sk_err *err = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "af", opts, NULL)) != -1) {
    switch (c) {
    case 'a': all = true; break;
    case 'f': force = true; break;
    case 'F':
      if (parse_prune_filter (optarg, &flt, &err) < 0)
        return sk_cli_fail (err);
      break;
    default: return sk_cli_usage ("image prune", "bad option");
    }
  }
  if (!force && !sk_cli_confirm (all ? "images without at least one container associated to them"
                                      : "dangling images"))
    return 0;
  return prune_images (cli, all, &flt);
}
