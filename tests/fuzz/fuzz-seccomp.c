/* Fuzz target: linux.seccomp to BPF (sk_seccomp_compile, with libseccomp).
 *
 * An input is read as a whole config.json; when that does not parse or has no
 * linux.seccomp, as a linux.seccomp object put into a minimal config. A
 * profile that parses is compiled and the program freed: nothing is ever
 * loaded (the check of the flags against the kernel passes no program, so
 * it cannot install one). See tests/fuzz/run.
 *
 * libseccomp 2.5.4 loops forever on some sets of rules for one syscall (see
 * src/runtime/seccomp.c, where the runtime bounds it with a child process and
 * a timeout, and tests/integration/seccomp.bats). Profiles that give a syscall
 * several rules with conditions on more than one argument, or with
 * comparisons other than == and masked ==, are left out here: the fuzzer
 * would only find that bug again and again.
 */
#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "oci/oci.h"
#include "runtime/seccomp.h"
#include "util/cleanup.h"

static void
prog_freep (sk_seccomp_prog **p)
{
  sk_seccomp_prog_free (*p);
}

#define _cleanup_prog_ __attribute__ ((cleanup (prog_freep)))

static const char head[] =
    "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"rootfs\"}, \"linux\": "
    "{\"namespaces\": [{\"type\": \"mount\"}], \"seccomp\": ";
static const char tail[] = "}}";

/* Parses a config, returns it when it has a profile. */
static sk_spec *
parse (const char *data, size_t size)
{
  sk_spec *spec = NULL;
  _cleanup_err_ sk_err *err = NULL;
  if (sk_fuzz_check (sk_spec_parse (data, size, "config.json", &spec, &err), err) < 0)
    return NULL;
  if (spec->linux_.seccomp == NULL) {
    sk_spec_free (spec);
    return NULL;
  }
  return spec;
}

/* How many rules the translator adds for one entry (the conditions on one
 * argument are alternatives: one rule per choice), and whether those compare
 * more than one argument or with a range or != comparison. */
static size_t
entry_rules (const sk_spec_syscall *s, bool *risky)
{
  size_t per_index[6] = {0}, rules = 1, indexes = 0;
  for (size_t j = 0; j < s->n_args; j++) {
    if (s->args[j].index < 6 && per_index[s->args[j].index]++ == 0)
      indexes++;
    if (s->args[j].op != SK_SCMP_EQ && s->args[j].op != SK_SCMP_MASKED_EQ)
      *risky = true;
  }
  for (int k = 0; k < 6; k++)
    if (per_index[k] > 0 && rules < 1000)
      rules *= per_index[k];
  if (indexes > 1)
    *risky = true;
  return rules;
}

/* True when some syscall gets several rules, one of them of the risky kind.
 * Syscall numbers (libseccomp's pseudo numbers are negative) index a table. */
#define NR_SPAN 2048
static bool
libseccomp_may_hang (const sk_spec_seccomp *sc)
{
  static size_t rules[NR_SPAN];
  static bool risky[NR_SPAN];
  memset (rules, 0, sizeof rules);
  memset (risky, 0, sizeof risky);
  bool found = false;
  for (size_t i = 0; i < sc->n_syscalls && !found; i++) {
    bool entry_risky = false;
    size_t n = entry_rules (&sc->syscalls[i], &entry_risky);
    for (char **name = sc->syscalls[i].names; name && *name && !found; name++) {
      int nr = seccomp_syscall_resolve_name (*name);
      if (nr == __NR_SCMP_ERROR || nr < -NR_SPAN / 2 || nr >= NR_SPAN / 2)
        continue;
      size_t k = (size_t) (nr + NR_SPAN / 2);
      rules[k] += n;
      risky[k] = risky[k] || entry_risky;
      found = rules[k] > 1 && risky[k];
    }
  }
  return found;
}

static void
compile (const sk_spec_seccomp *sc)
{
  _cleanup_prog_ sk_seccomp_prog *prog = NULL;
  _cleanup_err_ sk_err *err = NULL;
  if (sk_fuzz_check (sk_seccomp_compile (sc, &prog, &err), err) < 0)
    sk_fuzz_assert (prog == NULL);
  else
    sk_fuzz_assert (prog != NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  _cleanup_spec_ sk_spec *spec = parse ((const char *) data, size);
  if (spec == NULL) {
    size_t len = sizeof head - 1 + size + sizeof tail - 1;
    _cleanup_free_ char *doc = malloc (len);
    if (doc == NULL)
      return 0;
    memcpy (doc, head, sizeof head - 1);
    memcpy (doc + sizeof head - 1, data, size);
    memcpy (doc + sizeof head - 1 + size, tail, sizeof tail - 1);
    spec = parse (doc, len);
  }
  if (spec && !libseccomp_may_hang (spec->linux_.seccomp))
    compile (spec->linux_.seccomp);
  return 0;
}
