/* skiff: what the fuzz targets share.
 *
 * Beyond crashes, leaks and undefined behaviour (the sanitizers' job), the
 * targets check the error convention of src/util/error.h: a failure returns a
 * negative value with *err set to a message, a success returns >= 0 and
 * leaves *err NULL. A broken rule aborts, which libFuzzer reports as a crash.
 */
#ifndef SKIFF_TESTS_FUZZ_H
#define SKIFF_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/error.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define sk_fuzz_assert(cond)                                                                       \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf (stderr, "%s:%d: broken rule: %s\n", __FILE__, __LINE__, #cond);                     \
      abort ();                                                                                    \
    }                                                                                              \
  } while (0)

/* Checks the result of a call that takes `sk_err **err`; returns ret. */
static inline int
sk_fuzz_check (int ret, const sk_err *err)
{
  if (ret < 0)
    sk_fuzz_assert (err != NULL && err->msg != NULL && err->msg[0] != '\0');
  else
    sk_fuzz_assert (err == NULL);
  return ret;
}

#endif
