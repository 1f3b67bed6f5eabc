/* swapper: exchanges two paths (renameat2 RENAME_EXCHANGE) as fast as it can,
 * for a number of seconds: the attacker of the mount-target races.
 *   swapper PATH_A PATH_B SECONDS */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int
main (int argc, char **argv)
{
  if (argc != 4) {
    fprintf (stderr, "usage: swapper PATH_A PATH_B SECONDS\n");
    return 2;
  }
  time_t end = time (NULL) + atoi (argv[3]);
  long swaps = 0;
  while (time (NULL) < end) {
    if (renameat2 (AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) < 0) {
      perror ("swapper: renameat2");
      return 1;
    }
    swaps++;
  }
  /* leave them as they were when the number of swaps is odd */
  if (swaps % 2)
    renameat2 (AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE);
  printf ("%ld swaps\n", swaps);
  return 0;
}
