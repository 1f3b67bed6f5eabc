/* Fuzz target: linux.seccomp to BPF (sk_seccomp_compile, with libseccomp).
 *
 * An input is read as a whole config.json; when that does not parse or has no
 * linux.seccomp, as a linux.seccomp object put into a minimal config. A
 * profile that parses is compiled and the program freed: nothing is ever
 * loaded (the check of the flags against the kernel passes no program, so
 * it cannot install one). See tests/fuzz/run.
 */
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
  if (spec)
    compile (spec->linux_.seccomp);
  return 0;
}
