/* skiff: a container's network namespace kept as a file: made with
 * unshare and bound onto a file under the exec root, so that it lives
 * from the container's start until it is removed, however often the
 * container's processes come and go (a restart joins the same one). */
#ifndef SKIFF_NETWORK_NETNS_H
#define SKIFF_NETWORK_NETNS_H

#include "util/error.h"

/* A new network namespace bound on path (made; one left there by a killed
 * start is removed first). */
int sk_netns_create (const char *path, sk_err **err);
/* Unbound and unlinked; absent is fine. */
void sk_netns_remove (const char *path);

/* Moves the calling thread into the namespace at path (*saved: where it
 * was, for sk_netns_leave). */
int sk_netns_enter (const char *path, int *saved, sk_err **err);
/* Back to where sk_netns_enter found it; saved is closed. */
int sk_netns_leave (int saved, sk_err **err);

#endif
