/* skiff: the parts of the shim beside its main loop (not a public
 * interface): the restart policy (shim-restart.c) and the healthcheck
 * (shim-health.c). Both tell the engine through files of the state
 * directory, each replaced atomically:
 *   restart.json  {"restarting":bool,"restart_count":N,"pid":P,
 *                  "started_at":"RFC 3339","exit_code":C,"finished_at":"RFC 3339",
 *                  "oom_killed":bool}: written when the shim decides to start
 *                  the container again (restarting, pid 0) and when it did
 *   health.json   Docker's State.Health: {"Status","FailingStreak","Log":[{"Start",
 *                  "End","ExitCode","Output"}]}, after each probe
 * and read one the engine writes:
 *   stopped       made by stop, kill and rm -f before they signal: the next
 *                  exit of the container is not followed by a restart. */
#ifndef SKIFF_ENGINE_SHIM_INT_H
#define SKIFF_ENGINE_SHIM_INT_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/shim.h"
#include "runtime/runtime.h"

/* ---- restart (shim-restart.c) ---- */

typedef struct sk_shim_restart {
  unsigned count;     /* restarts by this shim */
  int64_t timeout_ms; /* Docker's back-off: 0 before the first restart */
} sk_shim_restart;

/* Whether the policy starts the container again after a run that ended with
 * code after ran_ms, and after which delay (Docker's restart manager: 100 ms,
 * doubled each time up to a minute, back to 100 ms after a run of 10 s). */
bool sk_shim_restart_decide (const sk_shim_opts *o, sk_shim_restart *r, int code, int64_t ran_ms,
                             int64_t *delay_ms);
/* Whether the engine marked the container stopped by a user (the file
 * `stopped`). */
bool sk_shim_stopped_by_user (const sk_shim_opts *o);
/* Writes restart.json. */
void sk_shim_restart_record (const sk_shim_opts *o, bool restarting, unsigned count, pid_t pid,
                             const char *started_at, int code, const char *finished_at, bool oom);
/* Waits delay_ms on the signalfd (orphans reaped meanwhile): 0, or -1 when
 * a SIGTERM or the `stopped` mark ends the wait. */
int sk_shim_restart_wait (const sk_shim_opts *o, int sigfd, int64_t delay_ms);

/* ---- healthcheck (shim-health.c) ---- */

/* A run of the container began (now): probes start after the interval. */
void sk_shim_health_begin (const sk_shim_opts *o, const sk_runtime *rt);
/* The run ended: a probe running is killed, no more start. */
void sk_shim_health_end (void);
/* Monotonic ms of the next thing to do (a probe to start or to time out);
 * INT64_MAX: nothing. */
int64_t sk_shim_health_deadline (void);
/* The probe's output pipe for the main loop's poll (one entry). */
void sk_shim_health_pollfd (struct pollfd *p);
/* After the poll: reads the probe's output, starts or times out a probe. */
void sk_shim_health_tick (const struct pollfd *p);
/* A child was reaped: true when it was the probe (its result is taken). */
bool sk_shim_health_reaped (pid_t pid, int status);

#endif
