/* skiff: libnftables loaded on first use (see nft-lazy.h). */
#include "nft-lazy.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>

static struct {
  const char *error;
  struct nft_ctx *(*ctx_new) (uint32_t);
  void (*ctx_free) (struct nft_ctx *);
  int (*buffer_output) (struct nft_ctx *);
  int (*buffer_error) (struct nft_ctx *);
  const char *(*get_error_buffer) (struct nft_ctx *);
  int (*run_cmd_from_buffer) (struct nft_ctx *, const char *);
} fn;

static pthread_once_t once = PTHREAD_ONCE_INIT;

#define LOAD(field, name)                                                                          \
  do {                                                                                             \
    *(void **) &fn.field = dlsym (lib, name);                                                      \
    if (fn.field == NULL)                                                                          \
      missing = true;                                                                              \
  } while (0)

static void
load (void)
{
  void *lib = dlopen ("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    fn.error = "libnftables.so.1 cannot be loaded (Debian's libnftables1)";
    return;
  }
  bool missing = false;
  LOAD (ctx_new, "nft_ctx_new");
  LOAD (ctx_free, "nft_ctx_free");
  LOAD (buffer_output, "nft_ctx_buffer_output");
  LOAD (buffer_error, "nft_ctx_buffer_error");
  LOAD (get_error_buffer, "nft_ctx_get_error_buffer");
  LOAD (run_cmd_from_buffer, "nft_run_cmd_from_buffer");
  if (missing) {
    fn.error = "libnftables.so.1 lacks a function skiff needs";
    fn.ctx_new = NULL; /* nothing else is called without a context */
  }
}

const char *
sk_nft_load_error (void)
{
  pthread_once (&once, load);
  return fn.error;
}

struct nft_ctx *
nft_ctx_new (uint32_t flags)
{
  if (sk_nft_load_error () || fn.ctx_new == NULL) {
    errno = ENOSYS;
    return NULL;
  }
  return fn.ctx_new (flags);
}

void
nft_ctx_free (struct nft_ctx *ctx)
{
  fn.ctx_free (ctx);
}

int
nft_ctx_buffer_output (struct nft_ctx *ctx)
{
  return fn.buffer_output (ctx);
}

int
nft_ctx_buffer_error (struct nft_ctx *ctx)
{
  return fn.buffer_error (ctx);
}

const char *
nft_ctx_get_error_buffer (struct nft_ctx *ctx)
{
  return fn.get_error_buffer (ctx);
}

int
nft_run_cmd_from_buffer (struct nft_ctx *nft, const char *buf)
{
  return fn.run_cmd_from_buffer (nft, buf);
}
