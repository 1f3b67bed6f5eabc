/* skiff: processes, signals, pidfds and times. */
#ifndef SKIFF_UTIL_PROC_H
#define SKIFF_UTIL_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* Field 22 of /proc/PID/stat (start time in clock ticks since boot) and
 * field 3 (the state letter). Returns <0 when the process is gone. */
int sk_proc_stat (pid_t pid, uint64_t *start_time, char *state);
/* true when pid is alive (not a zombie) and started at start_time. */
bool sk_proc_is_same (pid_t pid, uint64_t start_time);

/* "KILL", "SIGKILL", "9", "SIGRTMIN+3" -> the number; <0 when unknown. */
int sk_signal_parse (const char *name);
const char *sk_signal_name (int sig);

int sk_pidfd_open (pid_t pid);
int sk_pidfd_send_signal (int pidfd, int sig);
/* Opens a pidfd only if the pid still is the process that started at start_time. */
int sk_pidfd_open_checked (pid_t pid, uint64_t start_time, sk_err **err);

/* Waits for pid (a child) and returns its wait status; retries on EINTR. */
int sk_waitpid (pid_t pid, int *status);
/* Converts a wait status to a shell-style exit code (128 + signal). */
int sk_exit_code (int status);

/* Now (CLOCK_REALTIME) in nanoseconds since the epoch. */
int64_t sk_now_ns (void);

/* The current time as RFC 3339 with nanoseconds, UTC ("2026-11-29T00:28:09.123456789Z"). */
void sk_time_rfc3339 (char *buf, size_t size);

/* Writes "<pid>" to path atomically (pid files). */
int sk_write_pid_file (const char *path, pid_t pid, sk_err **err);

#endif
