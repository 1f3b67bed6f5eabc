/* skiff: a streaming gzip decompressor over a file descriptor, on ISA-L's
 * inflate (about twice zlib's speed here, see docs/performance.md).
 *
 * It reads every member of a multi-member gzip stream, as gzip(1) does, and
 * checks each member's CRC-32 and length. Bytes after the last member that do
 * not start another one are ignored, as libarchive and gzip ignore them. */
#ifndef SKIFF_IMAGE_GUNZIP_H
#define SKIFF_IMAGE_GUNZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct sk_gunzip sk_gunzip;

/* Whether the bytes at `fd`'s current offset start a gzip member. */
bool sk_gunzip_detect (int fd);

/* A decompressor reading `fd` from its current offset; NULL when out of
 * memory. The descriptor stays the caller's. */
sk_gunzip *sk_gunzip_new (int fd);
void sk_gunzip_free (sk_gunzip *g);

/* Up to `len` decompressed bytes into buf: their count, 0 at the end, or -1
 * with *why set to a static message and errno to the cause. */
ssize_t sk_gunzip_read (sk_gunzip *g, void *buf, size_t len, const char **why);

#endif
