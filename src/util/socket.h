/* skiff: unix sockets and passing descriptors over them. */
#ifndef SKIFF_UTIL_SOCKET_H
#define SKIFF_UTIL_SOCKET_H

#include <stddef.h>

#include "error.h"

/* Connects a SOCK_STREAM unix socket to path; `what` names it in errors
 * ("--console-socket"). Returns the fd (close-on-exec). */
int sk_unix_connect (const char *path, const char *what, sk_err **err);
/* Sends len bytes of data with fd attached (SCM_RIGHTS). Returns <0 and sets
 * errno on failure. */
int sk_send_fd (int sock, const void *data, size_t len, int fd);

#endif
