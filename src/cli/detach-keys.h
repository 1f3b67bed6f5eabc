/* skiff: docker's --detach-keys: a comma-separated list of keys, each a
 * character or ctrl-<letter, @, [, \\, ], ^ or _>. */
#ifndef SKIFF_CLI_DETACH_KEYS_H
#define SKIFF_CLI_DETACH_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

#define SK_DEFAULT_DETACH_KEYS "ctrl-p,ctrl-q"
#define SK_DETACH_KEYS_MAX 16

/* spec (NULL: the default) as bytes in keys (SK_DETACH_KEYS_MAX of room);
 * docker's error for an invalid one. */
int sk_cli_detach_keys (const char *spec, unsigned char *keys, size_t *n, sk_err **err);

/* The caller's input with the detach keys taken out: what matches the
 * sequence so far is held back, and sent on when a key differs. */
typedef struct sk_detach {
  unsigned char keys[SK_DETACH_KEYS_MAX];
  size_t n, matched;
} sk_detach;

/* Copies in (n bytes) to out (room for n + SK_DETACH_KEYS_MAX) but the
 * keys; stops at the end of the sequence, *detached then true. Returns the
 * bytes in out. */
size_t sk_detach_filter (sk_detach *d, const unsigned char *in, size_t n, unsigned char *out,
                         bool *detached);

#endif
