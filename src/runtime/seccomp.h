/* skiff: seccomp filters from linux.seccomp, built with libseccomp.
 *
 * The filter is compiled in the runtime before the container process is
 * cloned (so that a bad profile fails early, with nothing made) and loaded by
 * the container process as late as it can, just before execve.
 */
#ifndef SKIFF_RUNTIME_SECCOMP_H
#define SKIFF_RUNTIME_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>

#include "oci/oci.h"
#include "util/error.h"

typedef struct sk_seccomp_prog sk_seccomp_prog;

/* Compiles the profile to BPF. Unknown architectures, actions and flags are
 * errors; syscall names unknown to libseccomp are skipped (the profile may
 * list syscalls of other kernels). */
int sk_seccomp_compile (const sk_spec_seccomp *sc, sk_seccomp_prog **out, sk_err **err);
/* Like sk_seccomp_compile, keeping compiled programs in cache_dir (created
 * with mode 0700 when missing, its parent must exist; NULL: no cache). A
 * cached program is used only when the whole input stored with it equals this
 * profile's and the file is the caller's and not writable by others; any other
 * file, or a failure to read or write one, means compiling as without a cache.
 * Put it on a tmpfs (/run): a program depends on the kernel's features. */
int sk_seccomp_compile_cached (const sk_spec_seccomp *sc, const char *cache_dir,
                               sk_seccomp_prog **out, sk_err **err);
void sk_seccomp_prog_free (sk_seccomp_prog *p);
/* Loads the compiled filter into the calling process (seccomp(2) with the
 * profile's flags). When the profile uses SCMP_ACT_NOTIFY, *notify_fd receives
 * the listener fd, else -1. */
int sk_seccomp_load (const sk_seccomp_prog *p, int *notify_fd, sk_err **err);
bool sk_seccomp_uses_notify (const sk_seccomp_prog *p);

/* For `features`: the actions, operators, architectures and flags supported. */
const char *const *sk_seccomp_known_actions (void);
const char *const *sk_seccomp_known_operators (void);
const char *const *sk_seccomp_known_archs (void);
const char *const *sk_seccomp_known_flags (void);

#endif
