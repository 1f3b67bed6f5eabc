/* skiff: the shim's OOM report (private to the shim).
 *
 * The shim watches the container's cgroup for OOM kills as they happen
 * (sk_cgroup_oom_watch: the v1 eventfd or the v2 inotify watch) and, for
 * each kill, finds the victim in the kernel's report on /dev/kmsg (the
 * "oom-kill:" record whose task_memcg is the container's cgroup; only
 * kernel records, never what a process wrote there), and writes
 * STATE_DIR/oom.json atomically:
 *   {"Count":N,"Pid":P,"Command":"...","At":"RFC 3339 ns",
 *    "Memory":{"Anon","File","ActiveAnon","InactiveAnon","ActiveFile",
 *              "InactiveFile"}}
 * (the last kill; Count kills in this run; Pid 0 and Command "" when the
 * kernel's report was rate-limited away; Memory from memory.stat when the
 * OOM was noticed, v1's hierarchical rss and cache as Anon and File), then
 * appends an oom event. A kill that leaves the init running is reported too.
 *
 * One pollable descriptor holds it all (an epoll of the watch and a timer
 * for the v1 notification, which comes before the kill is counted). */
#ifndef SKIFF_ENGINE_SHIM_OOM_H
#define SKIFF_ENGINE_SHIM_OOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/shim.h"
#include "runtime/runtime.h"

/* After the container was created: opens its cgroup, removes an oom.json of
 * an earlier run and starts watching. Without a memory controller (or any
 * failure) nothing is watched and sk_shim_oom_exited still counts. */
void sk_shim_oom_start (const sk_shim_opts *o, const sk_runtime *rt);
/* The descriptor to poll for POLLIN, or -1. */
int sk_shim_oom_fd (void);
/* It is readable: reports the kills that happened. */
void sk_shim_oom_handle (void);
/* The init exited: reports the kills not reported yet; whether there was
 * any in this run (exit.json's oom_killed). */
bool sk_shim_oom_exited (void);

/* One /dev/kmsg record ("PRI,SEQ,USEC,FLAGS;MESSAGE"): whether it is the
 * kernel's "oom-kill:" report of a task in the cgroup `memcg` (the path as
 * the memory hierarchy names it) or one below it; then the victim's pid,
 * task name (into task) and the time since boot in microseconds. Records of
 * another facility than the kernel's (what processes write) are not. */
bool sk_shim_oom_record (const char *rec, const char *memcg, pid_t *pid, char *task,
                         size_t task_size, uint64_t *usec);

#endif
