/* skiff-runtime: helpers shared by the subcommands. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "util/log.h"

int
cli_fail (sk_err *err)
{
  const char *msg = err && err->msg ? err->msg : "unknown error";
  if (sk_log_is_redirected ())
    sk_log_write (SK_LOG_ERROR, msg);
  fprintf (stderr, "skiff-runtime: %s\n", msg);
  sk_err_free (&err);
  return 1;
}

int
cli_usage_error (const char *cmd, const char *fmt, ...)
{
  char msg[512];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof msg, fmt, ap);
  va_end (ap);
  if (sk_log_is_redirected ())
    sk_log_write (SK_LOG_ERROR, msg);
  fprintf (stderr, "skiff-runtime %s: %s (see `skiff-runtime %s --help`)\n", cmd, msg, cmd);
  return 1;
}

void
cli_print_help (const char *text)
{
  fputs (text, stdout);
}

bool
cli_parse_int (const char *s, long long *out)
{
  if (s == NULL || *s == '\0')
    return false;
  char *end;
  errno = 0;
  long long v = strtoll (s, &end, 10);
  if (errno || *end)
    return false;
  *out = v;
  return true;
}

bool
cli_parse_bytes (const char *s, long long *out)
{
  if (s == NULL || *s == '\0')
    return false;
  char *end;
  errno = 0;
  double v = strtod (s, &end);
  if (errno || end == s)
    return false;
  if (v == -1 && *end == '\0') {
    *out = -1;
    return true;
  }
  if (v < 0)
    return false;
  static const char units[] = "bkmgtp";
  double mult = 1;
  if (*end) {
    const char *u = strchr (units, (char) (*end | 0x20));
    if (u == NULL)
      return false;
    for (const char *p = units; p < u; p++)
      mult *= 1024;
    end++;
    if ((*end | 0x20) == 'b' && u != units)
      end++;
    if (*end)
      return false;
  }
  *out = (long long) (v * mult);
  return true;
}

const char *
cli_one_id (const char *cmd, int argc, char **argv)
{
  if (optind >= argc) {
    cli_usage_error (cmd, "a container id is required");
    return NULL;
  }
  if (optind + 1 < argc) {
    cli_usage_error (cmd, "one container id, not %d arguments", argc - optind);
    return NULL;
  }
  return argv[optind];
}
