/* skiff: the embedded DNS responder's answers (see dns.h).
 *
 * RFC 1035's message format. Only the header and the one question of a
 * query are read; whatever follows (an EDNS record) is left alone, and a
 * forwarded query goes upstream byte for byte. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "dns.h"

#define F_QR     0x8000
#define F_OPCODE 0x7800
#define F_TC     0x0200
#define F_RD     0x0100
#define F_RA     0x0080

/* at most this many addresses in one answer (Docker's containers rarely
 * have more than a few for one name) */
#define MAX_HITS 64

bool
sk_dns_addr_eq (const sk_dns_addr *x, const sk_dns_addr *y)
{
  if (x->family == 0 || x->family != y->family)
    return false;
  return memcmp (x->a, y->a, x->family == AF_INET ? 4 : 16) == 0;
}

bool
sk_dns_addr_parse (const char *s, sk_dns_addr *out)
{
  memset (out, 0, sizeof *out);
  if (s == NULL || *s == '\0')
    return false;
  if (inet_pton (AF_INET, s, out->a) == 1) {
    out->family = AF_INET;
    return true;
  }
  if (inet_pton (AF_INET6, s, out->a) == 1) {
    out->family = AF_INET6;
    return true;
  }
  return false;
}

static uint16_t
get16 (const uint8_t *p)
{
  return (uint16_t) (p[0] << 8 | p[1]);
}

static void
put16 (uint8_t *p, uint16_t v)
{
  p[0] = v >> 8;
  p[1] = v & 0xff;
}

/* The name at off, decompressed into wire (at most SK_DNS_NAME_MAX bytes).
 * A compression pointer must point before the previous one's target (the
 * first: before itself), so that a chain of them always ends: no loop can
 * be made of them. *next is the offset after the name where it is. */
static int
read_name (const uint8_t *m, size_t len, size_t off, uint8_t *wire, size_t *wire_len, size_t *next)
{
  size_t w = 0, limit = off;
  bool jumped = false;
  for (;;) {
    if (off >= len)
      return -1;
    uint8_t l = m[off];
    if ((l & 0xc0) == 0xc0) {
      if (off + 1 >= len)
        return -1;
      size_t to = (size_t) (l & 0x3f) << 8 | m[off + 1];
      if (!jumped)
        *next = off + 2;
      if (to >= limit)
        return -1;
      limit = off = to;
      jumped = true;
      continue;
    }
    if (l & 0xc0) /* RFC 6891's extended label types, RFC 2673's bit labels: gone */
      return -1;
    if (w + 1 + l > SK_DNS_NAME_MAX || off + 1 + l > len)
      return -1;
    wire[w++] = l;
    if (l == 0) {
      if (!jumped)
        *next = off + 1;
      break;
    }
    memcpy (wire + w, m + off + 1, l);
    w += l;
    off += 1 + l;
  }
  *wire_len = w;
  return 0;
}

/* The dotted, lower-case text of a wire name; false when a label holds a
 * byte that no name of ours can (a dot among them: "a.b" as one label is
 * not the two labels a and b). */
static bool
name_text (const uint8_t *wire, size_t wire_len, char *out)
{
  size_t o = 0, i = 0;
  bool ok = true;
  while (i < wire_len && wire[i] != 0) {
    uint8_t l = wire[i++];
    if (o)
      out[o++] = '.';
    for (uint8_t k = 0; k < l; k++, i++) {
      uint8_t c = wire[i];
      if (c <= 0x20 || c >= 0x7f || c == '.')
        ok = false;
      out[o++] = (c >= 'A' && c <= 'Z') ? (char) (c + 32) : (char) c;
    }
  }
  out[o] = '\0';
  return ok;
}

int
sk_dns_parse (const uint8_t *msg, size_t len, sk_dns_query *q)
{
  q->wire_len = 0;
  q->name[0] = '\0';
  q->text = false;
  q->qtype = q->qclass = 0;
  if (len < SK_DNS_HEADER)
    return -1;
  q->id = get16 (msg);
  q->flags = get16 (msg + 2);
  if (q->flags & F_QR)
    return -1; /* never answer an answer: two responders would play ping-pong */
  if ((q->flags & F_OPCODE) != 0)
    return SK_DNS_NOTIMP;
  if (get16 (msg + 4) != 1)
    return SK_DNS_FORMERR;
  size_t wire_len = 0, next = 0;
  if (read_name (msg, len, SK_DNS_HEADER, q->wire, &wire_len, &next) < 0 || next + 4 > len)
    return SK_DNS_FORMERR;
  q->wire_len = wire_len;
  q->qtype = get16 (msg + next);
  q->qclass = get16 (msg + next + 2);
  q->text = name_text (q->wire, q->wire_len, q->name);
  return 0;
}

/* The header and question of a reply to q; returns the offset after them,
 * 0 when cap is too small. */
static size_t
put_head (const sk_dns_query *q, int rcode, uint8_t *out, size_t cap)
{
  size_t n = SK_DNS_HEADER + (q->wire_len ? q->wire_len + 4 : 0);
  if (cap < n)
    return 0;
  memset (out, 0, SK_DNS_HEADER);
  put16 (out, q->id);
  put16 (out + 2, (uint16_t) (F_QR | (q->flags & (F_OPCODE | F_RD)) | F_RA | (rcode & 0xf)));
  if (q->wire_len) {
    put16 (out + 4, 1);
    memcpy (out + SK_DNS_HEADER, q->wire, q->wire_len);
    put16 (out + SK_DNS_HEADER + q->wire_len, q->qtype);
    put16 (out + SK_DNS_HEADER + q->wire_len + 2, q->qclass);
  }
  return n;
}

size_t
sk_dns_reply_empty (const sk_dns_query *q, int rcode, uint8_t *out, size_t cap)
{
  return put_head (q, rcode, out, cap);
}

void
sk_dns_table_free (sk_dns_table *t)
{
  if (t == NULL)
    return;
  for (size_t i = 0; i < t->n_nets; i++) {
    free (t->nets[i].id);
    free (t->nets[i].name);
  }
  for (size_t i = 0; i < t->n_eps; i++) {
    sk_dns_ep *e = &t->eps[i];
    free (e->id);
    free (e->cname);
    free (e->hostname);
    for (size_t k = 0; k < e->n_aliases; k++)
      free (e->aliases[k]);
    free (e->aliases);
  }
  free (t->nets);
  free (t->eps);
  free (t->scratch);
  free (t);
}

static bool
gateway_of (const sk_dns_net *n, const sk_dns_addr *a)
{
  return sk_dns_addr_eq (&n->gw, a) || sk_dns_addr_eq (&n->gw6, a);
}

size_t
sk_dns_table_running_on (const sk_dns_table *t, const sk_dns_addr *addrs, size_t n)
{
  size_t count = 0;
  for (size_t i = 0; i < t->n_eps; i++) {
    if (!t->eps[i].running)
      continue;
    for (size_t k = 0; k < n; k++)
      if (gateway_of (&t->nets[t->eps[i].net], &addrs[k])) {
        count++;
        break;
      }
  }
  return count;
}

/* Docker's names of a container on a network: its name, the network's
 * aliases of it, its short id and its hostname. (Not the full id.) */
static bool
answers_to (const sk_dns_ep *e, const char *name)
{
  if (strcasecmp (e->cname, name) == 0)
    return true;
  if (strlen (name) == 12 && strlen (e->id) > 12 && strncasecmp (e->id, name, 12) == 0)
    return true;
  if (e->hostname[0] && strcasecmp (e->hostname, name) == 0)
    return true;
  for (size_t k = 0; k < e->n_aliases; k++)
    if (strcasecmp (e->aliases[k], name) == 0)
      return true;
  return false;
}

/* The running endpoints on the asker's networks (only on network `only`
 * unless it is SIZE_MAX) that answer to name. */
static size_t
find (const sk_dns_table *t, const char *name, size_t only, size_t *hits)
{
  size_t n = 0;
  for (size_t i = 0; i < t->n_eps && n < MAX_HITS; i++) {
    const sk_dns_ep *e = &t->eps[i];
    if (!e->running || !t->scratch[e->net] || (only != SIZE_MAX && e->net != only))
      continue;
    if (answers_to (e, name))
      hits[n++] = i;
  }
  return n;
}

/* Docker's NAME.NETWORK: for a.b.c, a in network b.c, then a.b in c. */
static size_t
find_qualified (const sk_dns_table *t, const char *name, size_t *hits)
{
  char prefix[SK_DNS_NAME_MAX + 1];
  for (const char *dot = strchr (name, '.'); dot; dot = strchr (dot + 1, '.')) {
    for (size_t k = 0; k < t->n_nets; k++) {
      if (!t->scratch[k] || strcasecmp (t->nets[k].name, dot + 1) != 0)
        continue;
      size_t len = (size_t) (dot - name);
      memcpy (prefix, name, len);
      prefix[len] = '\0';
      size_t n = find (t, prefix, k, hits);
      if (n)
        return n;
    }
  }
  return 0;
}

/* One answer record, its name a pointer to the question's. */
static bool
put_rr (uint8_t *out, size_t cap, size_t *pos, uint16_t type, const uint8_t *rdata, size_t rdlen)
{
  size_t p = *pos;
  if (p + 12 + rdlen > cap)
    return false;
  out[p] = 0xc0;
  out[p + 1] = SK_DNS_HEADER;
  put16 (out + p + 2, type);
  put16 (out + p + 4, SK_DNS_C_IN);
  put16 (out + p + 6, 0);
  put16 (out + p + 8, SK_DNS_TTL);
  put16 (out + p + 10, (uint16_t) rdlen);
  memcpy (out + p + 12, rdata, rdlen);
  *pos = p + 12 + rdlen;
  return true;
}

/* "a.b" as a wire name; 0 when it cannot be one. */
static size_t
encode_name (const char *text, uint8_t *out)
{
  size_t o = 0;
  const char *s = text;
  for (;;) {
    const char *dot = strchr (s, '.');
    size_t l = dot ? (size_t) (dot - s) : strlen (s);
    if (l == 0 || l > 63 || o + 1 + l + 1 > SK_DNS_NAME_MAX)
      return 0;
    out[o++] = (uint8_t) l;
    memcpy (out + o, s, l);
    o += l;
    if (!dot)
      break;
    s = dot + 1;
  }
  out[o++] = 0;
  return o;
}

/* The address of an in-addr.arpa or ip6.arpa name. */
static bool
reverse_addr (const char *name, sk_dns_addr *a)
{
  memset (a, 0, sizeof *a);
  size_t len = strlen (name);
  static const char v4[] = ".in-addr.arpa", v6[] = ".ip6.arpa";
  if (len > sizeof v4 - 1 && strcmp (name + len - (sizeof v4 - 1), v4) == 0) {
    unsigned b[4];
    char tail[2];
    int end = 0;
    /* four decimal labels, each 0..255, nothing else */
    if (sscanf (name, "%3u.%3u.%3u.%3u.in-addr.arpa%n%1s", &b[3], &b[2], &b[1], &b[0], &end,
                tail) != 4 ||
        (size_t) end != len)
      return false;
    for (int i = 0; i < 4; i++) {
      if (b[i] > 255)
        return false;
      a->a[i] = (uint8_t) b[i];
    }
    a->family = AF_INET;
    return true;
  }
  /* 32 nibbles, each with its dot but the last */
  if (len == 63 + sizeof v6 - 1 && strcmp (name + 63, v6) == 0) {
    for (int i = 0; i < 32; i++) {
      char c = name[2 * i], sep = name[2 * i + 1];
      int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (v < 0 || (i < 31 && sep != '.'))
        return false;
      /* the first label is the lowest nibble */
      a->a[15 - i / 2] |= (uint8_t) (i % 2 ? v << 4 : v);
    }
    a->family = AF_INET6;
    return true;
  }
  return false;
}

/* The PTR record of a container's address on a shared network:
 * NAME.NETWORK, as Docker's. */
static size_t
answer_ptr (const sk_dns_table *t, const sk_dns_addr *a, uint8_t *out, size_t cap, size_t *pos,
            bool *truncated)
{
  for (size_t i = 0; i < t->n_eps; i++) {
    const sk_dns_ep *e = &t->eps[i];
    if (!e->running || !t->scratch[e->net] ||
        !(sk_dns_addr_eq (&e->ip, a) || sk_dns_addr_eq (&e->ip6, a)))
      continue;
    char text[2 * SK_DNS_NAME_MAX + 2];
    uint8_t wire[SK_DNS_NAME_MAX];
    snprintf (text, sizeof text, "%s.%s", e->cname, t->nets[e->net].name);
    size_t wl = encode_name (text, wire);
    if (wl == 0)
      continue;
    if (!put_rr (out, cap, pos, SK_DNS_T_PTR, wire, wl))
      *truncated = true;
    return 1;
  }
  return 0;
}

/* The asker's networks into t->scratch; false when the source is no
 * endpoint on the network of the gateway it sent to. *internal: whether
 * that network is internal. */
static bool
asker (sk_dns_table *t, const sk_dns_addr *local, const sk_dns_addr *peer, bool *internal)
{
  const sk_dns_ep *who = NULL;
  for (size_t i = 0; i < t->n_eps && !who; i++) {
    const sk_dns_ep *e = &t->eps[i];
    if (gateway_of (&t->nets[e->net], local) &&
        (sk_dns_addr_eq (&e->ip, peer) || sk_dns_addr_eq (&e->ip6, peer)))
      who = e;
  }
  if (who == NULL)
    return false;
  *internal = t->nets[who->net].internal;
  memset (t->scratch, 0, t->n_nets * sizeof *t->scratch);
  for (size_t i = 0; i < t->n_eps; i++)
    if (t->eps[i].container == who->container)
      t->scratch[t->eps[i].net] = true;
  return true;
}

sk_dns_action
sk_dns_respond (sk_dns_table *t, const sk_dns_addr *local, const sk_dns_addr *peer,
                const uint8_t *msg, size_t len, bool have_upstream, uint8_t *out, size_t cap,
                size_t *out_len)
{
  sk_dns_query q;
  int r = sk_dns_parse (msg, len, &q);
  if (r < 0)
    return SK_DNS_DROP;
  bool internal = false;
  if (r == 0 && (t == NULL || !asker (t, local, peer, &internal)))
    r = SK_DNS_REFUSED;
  if (r > 0) {
    *out_len = sk_dns_reply_empty (&q, r, out, cap);
    return *out_len ? SK_DNS_REPLY : SK_DNS_DROP;
  }

  size_t pos = put_head (&q, SK_DNS_NOERROR, out, cap);
  if (pos == 0)
    return SK_DNS_DROP;
  size_t hits[MAX_HITS], n = 0, answers = 0;
  bool truncated = false, known = false;
  if (q.text && q.qclass == SK_DNS_C_IN && q.name[0]) {
    sk_dns_addr rev;
    if (q.qtype == SK_DNS_T_PTR && reverse_addr (q.name, &rev)) {
      answers = answer_ptr (t, &rev, out, cap, &pos, &truncated);
      known = answers > 0;
    } else {
      n = find (t, q.name, SIZE_MAX, hits);
      if (n == 0)
        n = find_qualified (t, q.name, hits);
      known = n > 0;
    }
  }
  /* a container's name asked for another type (MX, or AAAA of one with
   * no IPv6) has no records: it is answered here, empty, and never sent
   * upstream */
  for (size_t i = 0; i < n && !truncated; i++) {
    const sk_dns_ep *e = &t->eps[hits[i]];
    const sk_dns_addr *a = q.qtype == SK_DNS_T_A      ? &e->ip
                           : q.qtype == SK_DNS_T_AAAA ? &e->ip6
                                                      : NULL;
    if (a == NULL || a->family == 0)
      continue;
    if (put_rr (out, cap, &pos, q.qtype, a->a, a->family == AF_INET ? 4 : 16))
      answers++;
    else
      truncated = true;
  }
  if (!known) {
    if (have_upstream && !internal)
      return SK_DNS_FORWARD;
    *out_len = sk_dns_reply_empty (&q, SK_DNS_NXDOMAIN, out, cap);
    return *out_len ? SK_DNS_REPLY : SK_DNS_DROP;
  }
  put16 (out + 6, (uint16_t) answers);
  if (truncated)
    out[2] |= F_TC >> 8;
  *out_len = pos;
  return SK_DNS_REPLY;
}

bool
sk_dns_reply_matches (const uint8_t *query, size_t qlen, const uint8_t *reply, size_t rlen)
{
  sk_dns_query q;
  if (sk_dns_parse (query, qlen, &q) != 0 || rlen < SK_DNS_HEADER)
    return false;
  if (get16 (reply) != q.id || !(reply[2] & (F_QR >> 8)) || get16 (reply + 4) != 1)
    return false;
  uint8_t wire[SK_DNS_NAME_MAX];
  size_t wire_len = 0, next = 0;
  if (read_name (reply, rlen, SK_DNS_HEADER, wire, &wire_len, &next) < 0 || next + 4 > rlen ||
      wire_len != q.wire_len || get16 (reply + next) != q.qtype ||
      get16 (reply + next + 2) != q.qclass)
    return false;
  /* servers may change the case of the name (0x20 randomisation) */
  for (size_t i = 0; i < wire_len; i++) {
    uint8_t a = wire[i], b = q.wire[i];
    if (a != b && !((a | 0x20) == (b | 0x20) && (a | 0x20) >= 'a' && (a | 0x20) <= 'z'))
      return false;
  }
  return true;
}
