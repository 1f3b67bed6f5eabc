/* floor: the least a container runtime must do to run /bin/true in a
 * container, done N times in a bare loop and timed like timeit (nanoseconds
 * a run, one a line): clone into new mount, pid, uts and ipc namespaces (and
 * a network namespace with -net), make every mount private, bind-mount the
 * rootfs onto itself, mount /proc, pivot_root, exec /bin/true; the parent
 * waits. No cgroups, no /dev, no seccomp, no capabilities, no state files.
 * Nothing it mounts is visible outside the child's mount namespace.
 *   floor [-n N] [-o FILE] [-net] ROOTFS          (as root)
 * A tool of bench/run, not of skiff. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *rootfs;

static long long now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int die (const char *what)
{
  fprintf (stderr, "floor: %s: %s\n", what, strerror (errno));
  _exit (127);
}

static int child (void *arg)
{
  (void) arg;
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    die ("make / private");
  if (mount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    die ("bind rootfs");
  if (chdir (rootfs) < 0)
    die ("chdir rootfs");
  if (mount ("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    die ("mount /proc");
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    die ("pivot_root");
  if (umount2 (".", MNT_DETACH) < 0)
    die ("detach old root");
  if (chdir ("/") < 0)
    die ("chdir /");
  char *args[] = { "/bin/true", NULL };
  execv (args[0], args);
  return die ("exec /bin/true");
}

int main (int argc, char **argv)
{
  long n = 1;
  const char *out = NULL;
  int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;
  int i;
  for (i = 1; i < argc && argv[i][0] == '-'; i++) {
    if (strcmp (argv[i], "-n") == 0 && i + 1 < argc)
      n = atol (argv[++i]);
    else if (strcmp (argv[i], "-o") == 0 && i + 1 < argc)
      out = argv[++i];
    else if (strcmp (argv[i], "-net") == 0)
      flags |= CLONE_NEWNET;
    else
      break;
  }
  if (i != argc - 1 || n < 1) {
    fprintf (stderr, "usage: floor [-n N] [-o FILE] [-net] ROOTFS\n");
    return 2;
  }
  rootfs = argv[i];
  FILE *f = out ? fopen (out, "a") : stdout;
  long long *ns = calloc (n, sizeof *ns);
  size_t stack_size = 64 * 1024;
  char *stack = malloc (stack_size);
  if (f == NULL || ns == NULL || stack == NULL) {
    perror ("floor");
    return 1;
  }

  for (long r = 0; r < n; r++) {
    long long t0 = now_ns ();
    pid_t pid = clone (child, stack + stack_size, flags | SIGCHLD, NULL);
    if (pid < 0) {
      perror ("floor: clone");
      return 1;
    }
    int st;
    while (waitpid (pid, &st, 0) < 0)
      if (errno != EINTR) {
        perror ("floor: waitpid");
        return 1;
      }
    ns[r] = now_ns () - t0;
    if (!WIFEXITED (st) || WEXITSTATUS (st) != 0) {
      fprintf (stderr, "floor: run %ld failed (status 0x%x)\n", r, st);
      return 1;
    }
  }
  for (long r = 0; r < n; r++)
    fprintf (f, "%lld\n", ns[r]);
  return fclose (f) == 0 ? 0 : 1;
}
