/* timeit: runs a command N times, one after the other, and writes how long
 * each run took, in nanoseconds of CLOCK_MONOTONIC from just before fork to
 * just after wait, one number a line. Every "{}" in the command's arguments is
 * replaced by the run's number (START, START+1, ...), so each run can have its
 * own container id. Stops at the first run that does not exit 0.
 *   timeit [-n N] [-s START] [-o FILE] -- COMMAND [ARG...]
 * FILE is appended to (default: stdout). A tool of bench/run, not of skiff. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* a copy of s with each "{}" replaced by num */
static char *subst (const char *s, long num)
{
  char nb[32];
  int nl = snprintf (nb, sizeof nb, "%ld", num);
  size_t n = 1;
  for (const char *p = s; *p; p++, n++)
    if (p[0] == '{' && p[1] == '}')
      n += nl;
  char *r = malloc (n), *o = r;
  if (r == NULL)
    return NULL;
  while (*s) {
    if (s[0] == '{' && s[1] == '}') {
      memcpy (o, nb, nl);
      o += nl;
      s += 2;
    } else
      *o++ = *s++;
  }
  *o = '\0';
  return r;
}

int main (int argc, char **argv)
{
  long n = 1, start = 0;
  const char *out = NULL;
  int c;
  while ((c = getopt (argc, argv, "+n:s:o:")) != -1) {
    switch (c) {
    case 'n': n = atol (optarg); break;
    case 's': start = atol (optarg); break;
    case 'o': out = optarg; break;
    default: goto usage;
    }
  }
  if (optind >= argc || n < 1)
    goto usage;
  FILE *f = out ? fopen (out, "a") : stdout;
  if (f == NULL) {
    fprintf (stderr, "timeit: %s: %s\n", out, strerror (errno));
    return 1;
  }
  int cargc = argc - optind;
  char **cargv = calloc (cargc + 1, sizeof *cargv);
  long long *ns = calloc (n, sizeof *ns);
  if (cargv == NULL || ns == NULL)
    return 1;

  for (long i = 0; i < n; i++) {
    for (int a = 0; a < cargc; a++) {
      free (cargv[a]);
      if ((cargv[a] = subst (argv[optind + a], start + i)) == NULL)
        return 1;
    }
    long long t0 = now_ns ();
    pid_t pid = fork ();
    if (pid < 0) {
      perror ("timeit: fork");
      return 1;
    }
    if (pid == 0) {
      execvp (cargv[0], cargv);
      fprintf (stderr, "timeit: %s: %s\n", cargv[0], strerror (errno));
      _exit (127);
    }
    int st;
    while (waitpid (pid, &st, 0) < 0)
      if (errno != EINTR) {
        perror ("timeit: waitpid");
        return 1;
      }
    ns[i] = now_ns () - t0;
    if (!WIFEXITED (st) || WEXITSTATUS (st) != 0) {
      fprintf (stderr, "timeit: run %ld of '%s' failed (status 0x%x)\n",
               start + i, cargv[0], st);
      return 1;
    }
  }
  /* written at the end so that writing does not slow the runs */
  for (long i = 0; i < n; i++)
    fprintf (f, "%lld\n", ns[i]);
  return fclose (f) == 0 ? 0 : 1;

usage:
  fprintf (stderr, "usage: timeit [-n N] [-s START] [-o FILE] -- COMMAND [ARG...]\n");
  return 2;
}
