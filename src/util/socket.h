/* skiff: unix sockets and passing descriptors over them. */
#ifndef SKIFF_UTIL_SOCKET_H
#define SKIFF_UTIL_SOCKET_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Connects a SOCK_STREAM unix socket to path; `what` names it in errors
 * ("--console-socket"). Returns the fd (close-on-exec). */
int sk_unix_connect (const char *path, const char *what, sk_err **err);
/* Sends len bytes of data with fd attached (SCM_RIGHTS). Returns <0 and sets
 * errno on failure. */
int sk_send_fd (int sock, const void *data, size_t len, int fd);

/* Receives up to len bytes and the fd attached, if any (*fd -1 otherwise,
 * close-on-exec). Returns the bytes read, <0 with errno on failure. */
ssize_t sk_recv_fd (int sock, void *data, size_t len, int *fd);
/* A listening SOCK_STREAM unix socket at path (replacing a stale one), of
 * that mode from its creation; close-on-exec and non-blocking. */
int sk_unix_listen (const char *path, mode_t mode, sk_err **err);
/* Writes all of len bytes (retrying partial writes and EINTR); <0 with errno. */
int sk_write_all (int fd, const void *data, size_t len);

#endif
