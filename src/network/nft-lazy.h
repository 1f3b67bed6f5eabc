/* skiff: libnftables, loaded the first time it is used.
 *
 * libnftables and what it links (libnftnl, libjansson, libgmp, libxtables)
 * would be loaded by every skiff command at start; only the commands that
 * change the firewall need it. firewall.c includes this header instead of
 * <nftables/libnftables.h>: each nft_* function it calls is a wrapper of
 * nft-lazy.c that dlopen()s libnftables.so.1 once and calls the real one.
 * When the library cannot be loaded, nft_ctx_new returns NULL and
 * sk_nft_load_error says why. */
#ifndef SKIFF_NETWORK_NFT_LAZY_H
#define SKIFF_NETWORK_NFT_LAZY_H

#include <nftables/libnftables.h>

/* NULL once libnftables is loaded, else why it could not be. */
const char *sk_nft_load_error (void);

#define nft_ctx_new sk_nft_ctx_new
#define nft_ctx_free sk_nft_ctx_free
#define nft_ctx_buffer_output sk_nft_ctx_buffer_output
#define nft_ctx_buffer_error sk_nft_ctx_buffer_error
#define nft_ctx_get_error_buffer sk_nft_ctx_get_error_buffer
#define nft_run_cmd_from_buffer sk_nft_run_cmd_from_buffer

struct nft_ctx *nft_ctx_new (uint32_t flags);
void nft_ctx_free (struct nft_ctx *ctx);
int nft_ctx_buffer_output (struct nft_ctx *ctx);
int nft_ctx_buffer_error (struct nft_ctx *ctx);
const char *nft_ctx_get_error_buffer (struct nft_ctx *ctx);
int nft_run_cmd_from_buffer (struct nft_ctx *nft, const char *buf);

#endif
