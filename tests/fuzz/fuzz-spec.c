/* Fuzz target: the config.json parser.
 *
 * Each input goes to the three entry points that read JSON from a user: a
 * whole config.json (sk_spec_parse), a process object (`exec --process`,
 * sk_spec_process_parse) and a LinuxResources object (`update --resources`,
 * sk_spec_resources_parse). Whatever they return is freed; the sanitizers
 * report anything left. See tests/fuzz/run.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"
#include "oci/oci.h"
#include "util/cleanup.h"

static void
fuzz_spec (const char *data, size_t size)
{
  _cleanup_spec_ sk_spec *spec = NULL;
  _cleanup_err_ sk_err *err = NULL;
  if (sk_fuzz_check (sk_spec_parse (data, size, "config.json", &spec, &err), err) < 0) {
    sk_fuzz_assert (spec == NULL);
    return;
  }
  sk_fuzz_assert (spec != NULL && spec->raw_len == size &&
                  spec->linux_.namespaces[SK_NS_MOUNT].present);
}

static void
fuzz_process (const char *data, size_t size)
{
  sk_spec_process *p = NULL;
  _cleanup_err_ sk_err *err = NULL;
  if (sk_fuzz_check (sk_spec_process_parse (data, size, "process.json", &p, &err), err) < 0) {
    sk_fuzz_assert (p == NULL);
    return;
  }
  sk_fuzz_assert (p != NULL && p->args != NULL && p->args[0] != NULL && p->cwd != NULL);
  sk_spec_process_free (p);
}

static void
fuzz_resources (const char *data, size_t size)
{
  sk_spec_resources r = {0};
  _cleanup_err_ sk_err *err = NULL;
  sk_fuzz_check (sk_spec_resources_parse (data, size, "resources.json", &r, &err), err);
  sk_spec_resources_clear (&r);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  fuzz_spec ((const char *) data, size);
  fuzz_process ((const char *) data, size);
  fuzz_resources ((const char *) data, size);
  return 0;
}
