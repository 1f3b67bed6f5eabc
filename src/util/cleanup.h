/* skiff: scope-bound resources.
 *
 * Every allocation and descriptor that a function owns is declared with one of
 * these attributes; ownership leaves the scope only through steal_ptr/steal_fd.
 */
#ifndef SKIFF_UTIL_CLEANUP_H
#define SKIFF_UTIL_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void
sk_freep (void *p)
{
  free (*(void **) p);
}

static inline void
sk_closep (int *fd)
{
  if (*fd >= 0) {
    int saved = errno;
    close (*fd);
    errno = saved;
  }
  *fd = -1;
}

static inline void
sk_fclosep (FILE **f)
{
  if (*f)
    fclose (*f);
}

static inline void
sk_closedirp (DIR **d)
{
  if (*d)
    closedir (*d);
}

/* A NULL-terminated array of strings, each owned. */
static inline void
sk_strv_free (char **v)
{
  if (v == NULL)
    return;
  for (char **p = v; *p; p++)
    free (*p);
  free (v);
}

static inline void
sk_strv_freep (char ***v)
{
  sk_strv_free (*v);
}

#define _cleanup_free_     __attribute__ ((cleanup (sk_freep)))
#define _cleanup_close_    __attribute__ ((cleanup (sk_closep)))
#define _cleanup_fclose_   __attribute__ ((cleanup (sk_fclosep)))
#define _cleanup_closedir_ __attribute__ ((cleanup (sk_closedirp)))
#define _cleanup_strv_     __attribute__ ((cleanup (sk_strv_freep)))

/* Moves ownership out of a cleanup-managed variable. */
#define steal_ptr(p)                                                                               \
  ({                                                                                               \
    __typeof__ (p) _stolen = (p);                                                                  \
    (p) = NULL;                                                                                    \
    _stolen;                                                                                       \
  })

static inline int
steal_fd (int *fd)
{
  int r = *fd;
  *fd = -1;
  return r;
}

#define SK_UNUSED       __attribute__ ((unused))
#define SK_LIKELY(x)    __builtin_expect (!!(x), 1)
#define SK_UNLIKELY(x)  __builtin_expect (!!(x), 0)
#define SK_N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

#endif
