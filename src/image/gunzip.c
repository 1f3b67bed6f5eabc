/* skiff: gzip decompression with ISA-L; see gunzip.h. */
#include "gunzip.h"

#include <errno.h>
#include <isa-l/igzip_lib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IN_CHUNK (256 * 1024)

struct sk_gunzip {
  int fd;
  bool in_eof; /* read() said end of file */
  bool done;   /* the last member ended */
  struct inflate_state st;
  unsigned char in[IN_CHUNK];
};

bool
sk_gunzip_detect (int fd)
{
  unsigned char head[2];
  off_t at = lseek (fd, 0, SEEK_CUR);
  return at >= 0 && pread (fd, head, sizeof head, at) == (ssize_t) sizeof head &&
         head[0] == 0x1f && head[1] == 0x8b;
}

static void
start_member (sk_gunzip *g)
{
  uint8_t *next = g->st.next_in;
  uint32_t avail = g->st.avail_in;
  isal_inflate_init (&g->st);
  g->st.crc_flag = ISAL_GZIP;
  g->st.next_in = next;
  g->st.avail_in = avail;
}

sk_gunzip *
sk_gunzip_new (int fd)
{
  sk_gunzip *g = calloc (1, sizeof *g);
  if (g == NULL)
    return NULL;
  g->fd = fd;
  g->st.next_in = g->in;
  start_member (g);
  return g;
}

void
sk_gunzip_free (sk_gunzip *g)
{
  free (g);
}

/* More compressed input when all of it is used: 0, or -1 on a read error. */
static int
refill (sk_gunzip *g)
{
  if (g->st.avail_in > 0 || g->in_eof)
    return 0;
  ssize_t n;
  do
    n = read (g->fd, g->in, sizeof g->in);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return -1;
  g->in_eof = n == 0;
  g->st.next_in = g->in;
  g->st.avail_in = (uint32_t) n;
  return 0;
}

/* After a member's end: another one follows, or the stream is over. */
static int
next_member (sk_gunzip *g)
{
  /* the magic may straddle two reads: keep the first byte aside */
  if (refill (g) < 0)
    return -1;
  if (g->st.avail_in == 0 || g->st.next_in[0] != 0x1f) {
    g->done = true;
    return 0;
  }
  if (g->st.avail_in == 1) {
    g->in[0] = 0x1f;
    ssize_t n;
    do
      n = read (g->fd, g->in + 1, sizeof g->in - 1);
    while (n < 0 && errno == EINTR);
    if (n < 0)
      return -1;
    g->in_eof = n == 0;
    g->st.next_in = g->in;
    g->st.avail_in = 1 + (uint32_t) n;
  }
  if (g->st.avail_in < 2 || g->st.next_in[1] != 0x8b)
    g->done = true;
  else
    start_member (g);
  return 0;
}

ssize_t
sk_gunzip_read (sk_gunzip *g, void *buf, size_t len, const char **why)
{
  if (len > UINT32_MAX)
    len = UINT32_MAX;
  while (!g->done) {
    if (refill (g) < 0) {
      *why = "cannot read the compressed layer";
      return -1;
    }
    g->st.next_out = buf;
    g->st.avail_out = (uint32_t) len;
    int r = isal_inflate (&g->st);
    if (r < 0) {
      *why = r == ISAL_INCORRECT_CHECKSUM ? "gzip checksum mismatch" : "invalid gzip data";
      errno = EINVAL;
      return -1;
    }
    size_t got = len - g->st.avail_out;
    if (g->st.block_state == ISAL_BLOCK_FINISH && next_member (g) < 0) {
      *why = "cannot read the compressed layer";
      return -1;
    }
    if (got > 0)
      return (ssize_t) got;
    if (!g->done && g->st.block_state != ISAL_BLOCK_FINISH && g->st.avail_in == 0 && g->in_eof) {
      *why = "the compressed layer ends in the middle of its data";
      errno = EINVAL;
      return -1;
    }
  }
  return 0;
}
