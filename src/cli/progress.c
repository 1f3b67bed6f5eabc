/* skiff: docker's per-layer lines of pull and push (see sk_cli_bars). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/* the least time between two redraws of a layer's bar, as docker has it */
#define BAR_INTERVAL 0.1

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int
sk_cli_bars_init (sk_cli_bars *b, size_t n)
{
  b->n = n;
  b->lines = calloc (n + 1, sizeof *b->lines);
  return b->lines ? 0 : -1;
}

void
sk_cli_bars_free (sk_cli_bars *b)
{
  free (b->lines);
  b->lines = NULL;
  b->n = 0;
}

void
sk_cli_bars_id (sk_cli_bars *b, size_t i, const char *digest)
{
  if (b->lines && i < b->n && digest && !*b->lines[i].id)
    sk_cli_short_id (digest, b->lines[i].id);
}

void
sk_cli_bars_start (sk_cli_bars *b, const char *text)
{
  if (b->started || b->lines == NULL)
    return;
  b->started = true;
  if (!b->tty || b->quiet)
    return;
  for (size_t i = 0; i < b->n; i++)
    printf ("%s: %s\n", *b->lines[i].id ? b->lines[i].id : "............", text);
  fflush (stdout);
}

void
sk_cli_bars_line (sk_cli_bars *b, size_t i, const char *text)
{
  if (b->quiet || b->lines == NULL || i >= b->n)
    return;
  if (b->tty) {
    /* the layer's own line, counted from the bottom of the list */
    size_t up = b->n - i;
    printf ("\033[%zuA\r\033[2K%s: %s\033[%zuB\r", up, b->lines[i].id, text, up);
  } else {
    printf ("%s: %s\n", b->lines[i].id, text);
  }
  fflush (stdout);
}

void
sk_cli_bars_progress (sk_cli_bars *b, size_t i, const char *verb, uint64_t done, uint64_t total)
{
  /* plain output has the steps only */
  if (!b->tty || b->quiet || b->lines == NULL || i >= b->n)
    return;
  double t = now_s ();
  if ((total == 0 || done < total) && t - b->lines[i].drawn < BAR_INTERVAL)
    return;
  b->lines[i].drawn = t;
  /* docker's: one '=' per 2 %, then '>', padded to 51 */
  char text[192], have[32], all[32], bar[64];
  int width = 50, fill = total ? (int) ((done < total ? done : total) * 100 / total / 2) : 0;
  memset (bar, ' ', width + 1);
  memset (bar, '=', fill);
  bar[fill] = '>';
  bar[width + 1] = '\0';
  sk_cli_human_size ((int64_t) done, have, sizeof have);
  sk_cli_human_size ((int64_t) total, all, sizeof all);
  if (total)
    snprintf (text, sizeof text, "%s [%s] %8s/%s", verb, bar, have, all);
  else /* a size not known: the bytes alone */
    snprintf (text, sizeof text, "%s %8s", verb, have);
  sk_cli_bars_line (b, i, text);
}
