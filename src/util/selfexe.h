/* skiff: keeping the runtime's own binary out of reach of its containers. */
#ifndef SKIFF_UTIL_SELFEXE_H
#define SKIFF_UTIL_SELFEXE_H

#include "error.h"

/* Makes sure the running program's /proc/self/exe cannot be written through:
 * if it is not already on a read-only mount or a sealed memfd, re-executes
 * the program from a read-only, detached bind mount of itself (open_tree and
 * mount_setattr), or, where that is not allowed, from a sealed memfd copy.
 * Returns 0 when already protected; on success of a re-exec it does not
 * return. Returns <0 with *err when neither works. */
int sk_selfexe_protect (char **argv, char **envp, sk_err **err);
/* true when /proc/self/exe is on a read-only mount or a write-sealed memfd */
int sk_selfexe_is_protected (void);

#endif
