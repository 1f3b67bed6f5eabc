/* Unit tests: the embedded DNS responder's messages and answers
 * (src/network/dns.c) and its view of the database (dns-db.c). The
 * sockets are dns.bats' part. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "db/db.h"
#include "network/dns-db.h"
#include "network/dns.h"

/* ---- messages ---- */

/* A query for the dotted name (no trailing dot), its labels as given. */
static size_t
query (uint16_t id, const char *name, uint16_t type, uint8_t *buf)
{
  size_t n = 0;
  buf[n++] = id >> 8;
  buf[n++] = id & 0xff;
  buf[n++] = 0x01; /* RD */
  buf[n++] = 0;
  buf[n++] = 0;
  buf[n++] = 1;
  memset (buf + n, 0, 6);
  n += 6;
  for (const char *s = name; *s;) {
    const char *dot = strchr (s, '.');
    size_t l = dot ? (size_t) (dot - s) : strlen (s);
    buf[n++] = (uint8_t) l;
    memcpy (buf + n, s, l);
    n += l;
    s += l + (dot ? 1 : 0);
  }
  buf[n++] = 0;
  buf[n++] = type >> 8;
  buf[n++] = type & 0xff;
  buf[n++] = 0;
  buf[n++] = 1;
  return n;
}

static int
rcode (const uint8_t *r)
{
  return r[3] & 0xf;
}

static int
ancount (const uint8_t *r)
{
  return r[6] << 8 | r[7];
}

static void
parse_valid (void **state)
{
  uint8_t m[512];
  size_t n = query (0x1234, "Web.N1", SK_DNS_T_A, m);
  sk_dns_query q;
  assert_int_equal (sk_dns_parse (m, n, &q), 0);
  assert_int_equal (q.id, 0x1234);
  assert_int_equal (q.qtype, SK_DNS_T_A);
  assert_string_equal (q.name, "web.n1");
  assert_true (q.text);
  /* the question as it came, case kept */
  assert_int_equal (q.wire_len, 8);
  assert_memory_equal (q.wire, "\3Web\2N1", 8);
}

static void
parse_rejects (void **state)
{
  uint8_t m[600];
  sk_dns_query q;
  size_t n = query (1, "web", SK_DNS_T_A, m);
  /* shorter than a header: no answer at all */
  for (size_t len = 0; len < SK_DNS_HEADER; len++)
    assert_int_equal (sk_dns_parse (m, len, &q), -1);
  /* cut anywhere in the question */
  for (size_t len = SK_DNS_HEADER; len < n; len++)
    assert_int_equal (sk_dns_parse (m, len, &q), SK_DNS_FORMERR);
  /* a response is never answered */
  m[2] |= 0x80;
  assert_int_equal (sk_dns_parse (m, n, &q), -1);
  m[2] &= 0x7f;
  /* another opcode */
  m[2] |= 2 << 3;
  assert_int_equal (sk_dns_parse (m, n, &q), SK_DNS_NOTIMP);
  m[2] &= ~(0xf << 3);
  /* not one question */
  m[5] = 0;
  assert_int_equal (sk_dns_parse (m, n, &q), SK_DNS_FORMERR);
  m[5] = 2;
  assert_int_equal (sk_dns_parse (m, n, &q), SK_DNS_FORMERR);
  m[5] = 1;
  /* a label longer than what follows */
  m[12] = 60;
  assert_int_equal (sk_dns_parse (m, n, &q), SK_DNS_FORMERR);
  /* label types 0x40 and 0x80 */
  m[12] = 0x41;
  assert_int_equal (sk_dns_parse (m, n, &q), SK_DNS_FORMERR);
  m[12] = 0x81;
  assert_int_equal (sk_dns_parse (m, n, &q), SK_DNS_FORMERR);
  /* a name over 255 bytes: 5 labels of 63 */
  memset (m + 12, 0, sizeof m - 12);
  size_t o = 12;
  for (int i = 0; i < 5; i++) {
    m[o++] = 63;
    memset (m + o, 'a', 63);
    o += 63;
  }
  m[o++] = 0;
  m[o++] = 0;
  m[o++] = 1;
  m[o++] = 0;
  m[o++] = 1;
  assert_int_equal (sk_dns_parse (m, o, &q), SK_DNS_FORMERR);
  assert_int_equal (q.wire_len, 0);
}

static void
parse_pointers (void **state)
{
  uint8_t m[64] = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0};
  sk_dns_query q;
  /* a pointer to itself */
  memcpy (m + 12, "\xc0\x0c\0\1\0\1", 6);
  assert_int_equal (sk_dns_parse (m, 18, &q), SK_DNS_FORMERR);
  /* a pointer forwards */
  memcpy (m + 12, "\xc0\x0e\1a\0\0\1\0\1", 9);
  assert_int_equal (sk_dns_parse (m, 21, &q), SK_DNS_FORMERR);
  /* a loop of two: 14 -> 12, whose label leads back to the pointer */
  memcpy (m + 12, "\1a\xc0\x0c\0\1\0\1", 8);
  assert_int_equal (sk_dns_parse (m, 20, &q), SK_DNS_FORMERR);
  /* a pointer cut in half */
  memcpy (m + 12, "\1a\xc0", 3);
  assert_int_equal (sk_dns_parse (m, 15, &q), SK_DNS_FORMERR);
  /* a pointer backwards, into the header: read, harmlessly (bytes 6..11
   * are zero, so the name is the root) */
  memcpy (m + 12, "\xc0\x06\0\1\0\1", 6);
  assert_int_equal (sk_dns_parse (m, 18, &q), 0);
  assert_string_equal (q.name, "");
}

static void
parse_odd_labels (void **state)
{
  uint8_t m[64];
  sk_dns_query q;
  /* a dot inside a label is not two labels */
  size_t n = query (1, "x", SK_DNS_T_A, m);
  m[13] = '.';
  assert_int_equal (sk_dns_parse (m, n, &q), 0);
  assert_false (q.text);
  /* a NUL inside a label */
  m[13] = 0;
  assert_int_equal (sk_dns_parse (m, n, &q), 0);
  assert_false (q.text);
}

/* ---- answers over a table ---- */

static char *aliases_web[] = {"www", "front"};
static sk_dns_net nets[] = {
    {.id = "n1id", .name = "n1"},
    {.id = "n2id", .name = "n2"},
    {.id = "n3id", .name = "inner", .internal = true},
};
/* web on n1 and n2; db on n1; other on n2; off on n1, stopped; in on inner */
static sk_dns_ep eps[] = {
    {.net = 0,
     .container = 0,
     .id = "aaaaaaaaaaaabbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
     .cname = "web",
     .hostname = "webhost",
     .aliases = aliases_web,
     .n_aliases = 2,
     .running = true},
    {.net = 1,
     .container = 0,
     .id = "aaaaaaaaaaaabbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
     .cname = "web",
     .hostname = "webhost",
     .running = true},
    {.net = 0,
     .container = 1,
     .id = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
     .cname = "db",
     .hostname = "",
     .running = true},
    {.net = 1,
     .container = 2,
     .id = "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
     .cname = "other",
     .hostname = "",
     .running = true},
    {.net = 0,
     .container = 3,
     .id = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
     .cname = "off",
     .hostname = "",
     .running = false},
    {.net = 2,
     .container = 4,
     .id = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     .cname = "in",
     .hostname = "",
     .running = true},
};
static bool scratch[3];
static sk_dns_table table = {nets, 3, eps, 6, scratch};

static sk_dns_addr
A (const char *s)
{
  sk_dns_addr a;
  assert_true (sk_dns_addr_parse (s, &a));
  return a;
}

static int
setup_table (void **state)
{
  nets[0].gw = A ("10.1.0.1");
  nets[0].gw6 = A ("fd00:1::1");
  nets[1].gw = A ("10.2.0.1");
  nets[2].gw = A ("10.3.0.1");
  eps[0].ip = A ("10.1.0.2");
  eps[0].ip6 = A ("fd00:1::2");
  eps[1].ip = A ("10.2.0.2");
  eps[2].ip = A ("10.1.0.3");
  eps[3].ip = A ("10.2.0.3");
  eps[4].ip = A ("10.1.0.4");
  eps[5].ip = A ("10.3.0.2");
  return 0;
}

/* The answer to NAME/TYPE from the address `from` to the gateway `to`. */
static sk_dns_action
ask (const char *from, const char *to, const char *name, uint16_t type, bool upstream, uint8_t *out,
     size_t cap, size_t *len)
{
  uint8_t m[512];
  size_t n = query (0xbeef, name, type, m);
  sk_dns_addr peer = A (from), local = A (to);
  sk_dns_action a = sk_dns_respond (&table, &local, &peer, m, n, upstream, out, cap, len);
  if (a == SK_DNS_REPLY) {
    assert_true (*len >= SK_DNS_HEADER);
    assert_int_equal (out[0] << 8 | out[1], 0xbeef);
    assert_true (out[2] & 0x80);
  }
  return a;
}

/* The addresses of an answer, as text, space-separated. */
static void
answers_text (const uint8_t *r, size_t len, char *text, size_t size)
{
  size_t o = SK_DNS_HEADER;
  while (r[o])
    o += 1 + r[o];
  o += 5;
  text[0] = '\0';
  for (int i = 0; i < ancount (r); i++) {
    assert_true (o + 12 <= len);
    assert_int_equal (r[o], 0xc0); /* the question's name */
    int type = r[o + 2] << 8 | r[o + 3];
    int ttl = r[o + 6] << 24 | r[o + 7] << 16 | r[o + 8] << 8 | r[o + 9];
    assert_int_equal (ttl, SK_DNS_TTL);
    size_t rdlen = (size_t) (r[o + 10] << 8 | r[o + 11]);
    char one[300] = "";
    if (type == SK_DNS_T_A || type == SK_DNS_T_AAAA) {
      sk_dns_addr a = {.family = type == SK_DNS_T_A ? AF_INET : AF_INET6};
      memcpy (a.a, r + o + 12, rdlen);
      inet_ntop (a.family, a.a, one, sizeof one);
    } else if (type == SK_DNS_T_PTR) {
      size_t p = o + 12, k = 0;
      while (r[p]) {
        memcpy (one + k, r + p + 1, r[p]);
        k += r[p];
        one[k++] = '.';
        p += 1 + r[p];
      }
      one[k] = '\0';
    }
    if (text[0])
      strncat (text, " ", size - strlen (text) - 1);
    strncat (text, one, size - strlen (text) - 1);
    o += 12 + rdlen;
  }
  assert_int_equal (o, len);
}

static void
expect (const char *from, const char *to, const char *name, uint16_t type, int rc,
        const char *addrs)
{
  uint8_t out[SK_DNS_UDP_MAX];
  size_t len = 0;
  char text[512];
  if (ask (from, to, name, type, false, out, sizeof out, &len) != SK_DNS_REPLY)
    fail_msg ("%s from %s: no reply", name, from);
  if (rcode (out) != rc)
    fail_msg ("%s from %s: rcode %d, expected %d", name, from, rcode (out), rc);
  answers_text (out, len, text, sizeof text);
  if (strcmp (text, addrs) != 0)
    fail_msg ("%s from %s: `%s`, expected `%s`", name, from, text, addrs);
}

static void
answer_names (void **state)
{
  /* db (on n1) asks for web: web's address on n1 only */
  expect ("10.1.0.3", "10.1.0.1", "web", SK_DNS_T_A, 0, "10.1.0.2");
  expect ("10.1.0.3", "10.1.0.1", "WEB", SK_DNS_T_A, 0, "10.1.0.2");
  expect ("10.1.0.3", "10.1.0.1", "web", SK_DNS_T_AAAA, 0, "fd00:1::2");
  expect ("10.1.0.3", "10.1.0.1", "www", SK_DNS_T_A, 0, "10.1.0.2");
  expect ("10.1.0.3", "10.1.0.1", "Front", SK_DNS_T_A, 0, "10.1.0.2");
  expect ("10.1.0.3", "10.1.0.1", "aaaaaaaaaaaa", SK_DNS_T_A, 0, "10.1.0.2");
  expect ("10.1.0.3", "10.1.0.1", "webhost", SK_DNS_T_A, 0, "10.1.0.2");
  expect ("10.1.0.3", "10.1.0.1", "web.n1", SK_DNS_T_A, 0, "10.1.0.2");
  /* only the short id is a name (as Docker; the full one is longer than a label) */
  expect ("10.1.0.3", "10.1.0.1", "aaaaaaaaaaaab", SK_DNS_T_A, SK_DNS_NXDOMAIN, "");
  /* db has no IPv6: its AAAA is empty, not an error */
  expect ("10.1.0.2", "10.1.0.1", "db", SK_DNS_T_AAAA, 0, "");
  /* web asks for itself: both of its networks */
  expect ("10.1.0.2", "10.1.0.1", "web", SK_DNS_T_A, 0, "10.1.0.2 10.2.0.2");
  expect ("10.1.0.2", "10.1.0.1", "web.n2", SK_DNS_T_A, 0, "10.2.0.2");
  /* and from its IPv6 address to the IPv6 gateway */
  expect ("fd00:1::2", "fd00:1::1", "db", SK_DNS_T_A, 0, "10.1.0.3");
  /* web reaches other through n2 */
  expect ("10.1.0.2", "10.1.0.1", "other", SK_DNS_T_A, 0, "10.2.0.3");
  /* the alias is n1's: other (on n2) does not see it */
  expect ("10.2.0.3", "10.2.0.1", "www", SK_DNS_T_A, SK_DNS_NXDOMAIN, "");
  expect ("10.2.0.3", "10.2.0.1", "web", SK_DNS_T_A, 0, "10.2.0.2");
  /* other shares no network with db */
  expect ("10.2.0.3", "10.2.0.1", "db", SK_DNS_T_A, SK_DNS_NXDOMAIN, "");
  expect ("10.2.0.3", "10.2.0.1", "db.n1", SK_DNS_T_A, SK_DNS_NXDOMAIN, "");
  /* a stopped container has no name */
  expect ("10.1.0.3", "10.1.0.1", "off", SK_DNS_T_A, SK_DNS_NXDOMAIN, "");
  /* another type for a container's name: empty, never forwarded */
  expect ("10.1.0.3", "10.1.0.1", "web", 15 /* MX */, 0, "");
  /* PTR of a container's address on a shared network */
  expect ("10.1.0.3", "10.1.0.1", "2.0.1.10.in-addr.arpa", SK_DNS_T_PTR, 0, "web.n1.");
  expect ("10.1.0.3", "10.1.0.1",
          "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.d.f.ip6.arpa", SK_DNS_T_PTR,
          0, "web.n1.");
  expect ("10.2.0.3", "10.2.0.1", "3.0.1.10.in-addr.arpa", SK_DNS_T_PTR, SK_DNS_NXDOMAIN, "");
}

static void
answer_who_asks (void **state)
{
  /* an address that is no endpoint */
  expect ("10.1.0.99", "10.1.0.1", "web", SK_DNS_T_A, SK_DNS_REFUSED, "");
  expect ("127.0.0.1", "10.1.0.1", "web", SK_DNS_T_A, SK_DNS_REFUSED, "");
  /* an endpoint of n2 asking at n1's gateway (routed there by the host) */
  expect ("10.2.0.3", "10.1.0.1", "web", SK_DNS_T_A, SK_DNS_REFUSED, "");
  /* no table (the database could not be read) */
  uint8_t m[512], out[512];
  size_t n = query (7, "web", SK_DNS_T_A, m), len = 0;
  sk_dns_addr peer = A ("10.1.0.3"), local = A ("10.1.0.1");
  assert_int_equal (sk_dns_respond (NULL, &local, &peer, m, n, true, out, sizeof out, &len),
                    SK_DNS_REPLY);
  assert_int_equal (rcode (out), SK_DNS_REFUSED);
  /* a malformed query from a known container: FORMERR; a response: nothing */
  m[12] = 50;
  assert_int_equal (sk_dns_respond (&table, &local, &peer, m, n, true, out, sizeof out, &len),
                    SK_DNS_REPLY);
  assert_int_equal (rcode (out), SK_DNS_FORMERR);
  m[12] = 3;
  m[2] |= 0x80;
  assert_int_equal (sk_dns_respond (&table, &local, &peer, m, n, true, out, sizeof out, &len),
                    SK_DNS_DROP);
}

static void
answer_forward (void **state)
{
  uint8_t out[SK_DNS_UDP_MAX];
  size_t len = 0;
  /* not ours: upstream, when there is one */
  assert_int_equal (
      ask ("10.1.0.3", "10.1.0.1", "example.org", SK_DNS_T_A, true, out, sizeof out, &len),
      SK_DNS_FORWARD);
  assert_int_equal (ask ("10.1.0.3", "10.1.0.1", "web", 16 /* TXT */, true, out, sizeof out, &len),
                    SK_DNS_REPLY);
  assert_int_equal (ask ("10.1.0.3", "10.1.0.1", "9.9.9.9.in-addr.arpa", SK_DNS_T_PTR, true, out,
                         sizeof out, &len),
                    SK_DNS_FORWARD);
  /* a container on n2 asking for db (on n1 only): not ours, so upstream */
  assert_int_equal (ask ("10.2.0.3", "10.2.0.1", "db", SK_DNS_T_A, true, out, sizeof out, &len),
                    SK_DNS_FORWARD);
  /* an internal network never forwards */
  assert_int_equal (
      ask ("10.3.0.2", "10.3.0.1", "example.org", SK_DNS_T_A, true, out, sizeof out, &len),
      SK_DNS_REPLY);
  assert_int_equal (rcode (out), SK_DNS_NXDOMAIN);
  expect ("10.3.0.2", "10.3.0.1", "in", SK_DNS_T_A, 0, "10.3.0.2");
}

static void
answer_truncated (void **state)
{
  /* web's two addresses do not fit in a reply cut short: TC, and what fits */
  uint8_t out[SK_DNS_UDP_MAX];
  size_t len = 0;
  size_t head = SK_DNS_HEADER + 5 + 4;
  assert_int_equal (ask ("10.1.0.2", "10.1.0.1", "web", SK_DNS_T_A, false, out, head + 16, &len),
                    SK_DNS_REPLY);
  assert_true (out[2] & 0x02);
  assert_int_equal (ancount (out), 1);
  assert_int_equal (len, head + 16);
  /* not even the question fits: no reply */
  assert_int_equal (ask ("10.1.0.2", "10.1.0.1", "web", SK_DNS_T_A, false, out, 10, &len),
                    SK_DNS_DROP);
}

static void
running_on (void **state)
{
  sk_dns_addr gw[] = {A ("10.1.0.1"), A ("fd00:9::1")};
  /* web and db (off is stopped) */
  assert_int_equal (sk_dns_table_running_on (&table, gw, 2), 2);
  gw[0] = A ("10.9.0.1");
  assert_int_equal (sk_dns_table_running_on (&table, gw, 2), 0);
}

static void
reply_matches (void **state)
{
  uint8_t q[512], r[512];
  size_t n = query (42, "example.org", SK_DNS_T_A, q);
  memcpy (r, q, n);
  r[2] |= 0x80;
  assert_true (sk_dns_reply_matches (q, n, r, n));
  /* the case changed by the server */
  r[13] = 'E';
  assert_true (sk_dns_reply_matches (q, n, r, n));
  r[13] = 'x';
  assert_false (sk_dns_reply_matches (q, n, r, n));
  r[13] = 'e';
  r[1] = 43;
  assert_false (sk_dns_reply_matches (q, n, r, n));
  r[1] = 42;
  r[2] &= 0x7f;
  assert_false (sk_dns_reply_matches (q, n, r, n));
  r[2] |= 0x80;
  assert_false (sk_dns_reply_matches (q, n, r, n - 1));
}

/* ---- the database ---- */

typedef struct dbfix {
  char dir[64], path[96];
  sk_db *db;
} dbfix;

static void
sql (sk_db *db, const char *text)
{
  sk_err *err = NULL;
  if (sk_db_exec (db, text, &err) < 0)
    fail_msg ("%s", err->msg);
}

static int
db_setup (void **state)
{
  dbfix *f = calloc (1, sizeof *f);
  strcpy (f->dir, "/tmp/skiff-test-dns-XXXXXX");
  if (mkdtemp (f->dir) == NULL)
    return -1;
  snprintf (f->path, sizeof f->path, "%s/skiff.db", f->dir);
  sk_err *err = NULL;
  if (sk_db_open (f->path, &f->db, &err) < 0)
    return -1;
  sql (f->db,
       "INSERT INTO images (id, created, size, added) VALUES ('img', 0, 0, 0);"
       "INSERT INTO networks (id, name, driver, subnet, gateway, subnet6, gateway6, internal,"
       "  created) VALUES"
       " ('n1id', 'n1', 'bridge', '10.1.0.0/24', '10.1.0.1', 'fd00:1::/64', 'fd00:1::1', 0, 0),"
       " ('n2id', 'n2', 'bridge', '10.2.0.0/24', '10.2.0.1', '', '', 1, 0),"
       " ('bid', 'bridge', 'bridge', '172.17.0.0/16', '172.17.0.1', '', '', 0, 0);"
       "INSERT INTO containers (id, name, image, config, created, state) VALUES"
       " ('aaaaaaaaaaaa0000', 'web', 'img', '{\"Hostname\": \"webhost\"}', 0, 'running'),"
       " ('bbbbbbbbbbbb0000', 'db', 'img', 'not json', 0, 'paused'),"
       " ('cccccccccccc0000', 'old', 'img', '{}', 0, 'exited'),"
       " ('dddddddddddd0000', 'dflt', 'img', '{}', 0, 'running');"
       "INSERT INTO endpoints (network, container, id, ip, ip6, aliases, ifname, position)"
       " VALUES"
       " ('n1id', 'aaaaaaaaaaaa0000', 'e1', '10.1.0.2', 'fd00:1::2', '[\"www\", 7, \"front\"]',"
       "  'eth0', 0),"
       " ('n2id', 'aaaaaaaaaaaa0000', 'e2', '10.2.0.2', '', '[]', 'eth1', 1),"
       " ('n1id', 'bbbbbbbbbbbb0000', 'e3', '10.1.0.3', '', '{bad', 'eth0', 0),"
       " ('n2id', 'cccccccccccc0000', 'e4', '10.2.0.3', '', '[]', 'eth0', 0),"
       " ('bid', 'dddddddddddd0000', 'e5', '172.17.0.2', '', '[]', 'eth0', 0);");
  *state = f;
  return 0;
}

static int
db_teardown (void **state)
{
  dbfix *f = *state;
  sk_db_close (f->db);
  char cmd[128];
  snprintf (cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  if (system (cmd) != 0)
    return -1;
  free (f);
  return 0;
}

static const sk_dns_ep *
ep_named (const sk_dns_table *t, const char *name, const char *net)
{
  for (size_t i = 0; i < t->n_eps; i++)
    if (strcmp (t->eps[i].cname, name) == 0 && strcmp (t->nets[t->eps[i].net].name, net) == 0)
      return &t->eps[i];
  return NULL;
}

static void
db_table (void **state)
{
  dbfix *f = *state;
  sk_dns_db *d = NULL;
  sk_err *err = NULL;
  sk_dns_table *t = NULL;
  assert_int_equal (sk_dns_db_open (f->path, &d, &err), 0);
  assert_int_equal (sk_dns_db_table (d, &t, &err), 0);
  /* the default bridge is not Docker's DNS: none of it */
  assert_int_equal (t->n_nets, 2);
  assert_int_equal (t->n_eps, 4);
  const sk_dns_ep *web1 = ep_named (t, "web", "n1"), *web2 = ep_named (t, "web", "n2");
  const sk_dns_ep *db = ep_named (t, "db", "n1"), *old = ep_named (t, "old", "n2");
  assert_non_null (web1);
  assert_non_null (web2);
  assert_non_null (db);
  assert_non_null (old);
  assert_int_equal (web1->container, web2->container);
  assert_int_not_equal (web1->container, db->container);
  assert_string_equal (web1->hostname, "webhost");
  assert_string_equal (db->hostname, "");
  /* the aliases that are strings; none from JSON that is not valid */
  assert_int_equal (web1->n_aliases, 2);
  assert_string_equal (web1->aliases[1], "front");
  assert_int_equal (db->n_aliases, 0);
  assert_true (web1->running && db->running && !old->running);
  assert_int_equal (web1->ip6.family, AF_INET6);
  assert_int_equal (web2->ip6.family, 0);
  assert_true (t->nets[web2->net].internal);

  /* the same table while nothing changes; a new one after a commit */
  assert_int_equal (sk_dns_db_loads (d), 1);
  assert_int_equal (sk_dns_db_table (d, &t, &err), 0);
  assert_int_equal (sk_dns_db_loads (d), 1);
  sql (f->db, "UPDATE containers SET state = 'exited' WHERE name = 'web'");
  assert_int_equal (sk_dns_db_table (d, &t, &err), 0);
  assert_int_equal (sk_dns_db_loads (d), 2);
  assert_false (ep_named (t, "web", "n1")->running);
  sk_dns_db_close (d);
}

static void
db_errors (void **state)
{
  dbfix *f = *state;
  sk_dns_db *d = NULL;
  sk_err *err = NULL;
  char path[128];
  snprintf (path, sizeof path, "%s/none.db", f->dir);
  assert_int_equal (sk_dns_db_open (path, &d, &err), -1);
  assert_non_null (strstr (err->msg, "none.db"));
  sk_err_free (&err);
  /* read-only: a missing database is not made */
  assert_int_equal (access (path, F_OK), -1);
  /* not skiff's */
  snprintf (path, sizeof path, "%s/other.db", f->dir);
  sqlite3 *h = NULL;
  assert_int_equal (sqlite3_open (path, &h), SQLITE_OK);
  sqlite3_exec (h, "CREATE TABLE x (y)", NULL, NULL, NULL);
  sqlite3_close (h);
  assert_int_equal (sk_dns_db_open (path, &d, &err), -1);
  assert_non_null (strstr (err->msg, "not a skiff data root"));
  assert_null (strchr (err->msg, '\n'));
  sk_err_free (&err);
}

static double
elapsed_ns (const struct timespec *a, const struct timespec *b)
{
  return (double) (b->tv_sec - a->tv_sec) * 1e9 + (double) (b->tv_nsec - a->tv_nsec);
}

/* Not a test of speed (the machine varies), a measurement printed for the
 * record: a query's cost with the table kept, and with it loaded again. */
static void
db_cost (void **state)
{
  dbfix *f = *state;
  /* a hundred more containers on n1 */
  sql (f->db, "BEGIN");
  for (int i = 0; i < 100; i++) {
    char s[512];
    snprintf (s, sizeof s,
              "INSERT INTO containers (id, name, image, config, created, state) VALUES"
              " ('%064d', 'c%d', 'img', '{\"Hostname\": \"h%d\"}', 0, 'running');"
              "INSERT INTO endpoints (network, container, id, ip, ip6, aliases, ifname, position)"
              " VALUES ('n1id', '%064d', 'x%d', '10.1.1.%d', '', '[\"a%d\"]', 'eth0', 0);",
              i, i, i, i, i, i, i);
    sql (f->db, s);
  }
  sql (f->db, "COMMIT");
  sk_dns_db *d = NULL;
  sk_err *err = NULL;
  assert_int_equal (sk_dns_db_open (f->path, &d, &err), 0);
  uint8_t m[512], out[512];
  size_t n = query (1, "c99", SK_DNS_T_A, m), len = 0;
  sk_dns_addr peer = A ("10.1.1.0"), local = A ("10.1.0.1");
  enum { RUNS = 2000 };
  sk_dns_table *t = NULL;
  assert_int_equal (sk_dns_db_table (d, &t, &err), 0);
  assert_int_equal (sk_dns_respond (t, &local, &peer, m, n, false, out, sizeof out, &len),
                    SK_DNS_REPLY);
  assert_int_equal (ancount (out), 1);
  /* the reload alone, after another connection's commit */
  double reload = 0;
  for (int i = 0; i < RUNS / 10; i++) {
    struct timespec t1, t2;
    sql (f->db, "UPDATE containers SET restart_count = restart_count + 1 WHERE name = 'c0'");
    clock_gettime (CLOCK_MONOTONIC, &t1);
    assert_int_equal (sk_dns_db_table (d, &t, &err), 0);
    clock_gettime (CLOCK_MONOTONIC, &t2);
    reload += elapsed_ns (&t1, &t2);
  }
  assert_int_equal (sk_dns_db_loads (d), 1 + RUNS / 10);
  reload /= RUNS / 10;
  struct timespec a, b;
  clock_gettime (CLOCK_MONOTONIC, &a);
  for (int i = 0; i < RUNS; i++) {
    assert_int_equal (sk_dns_db_table (d, &t, &err), 0);
    sk_dns_respond (t, &local, &peer, m, n, false, out, sizeof out, &len);
  }
  clock_gettime (CLOCK_MONOTONIC, &b);
  printf ("# dns: a query with the table kept (data_version, lookup, answer; 104 endpoints): "
          "%.1f us; the table loaded again after a commit: %.1f us\n",
          elapsed_ns (&a, &b) / RUNS / 1000, reload / 1000);
  sk_dns_db_close (d);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test (parse_valid),
      cmocka_unit_test (parse_rejects),
      cmocka_unit_test (parse_pointers),
      cmocka_unit_test (parse_odd_labels),
      cmocka_unit_test_setup (answer_names, setup_table),
      cmocka_unit_test_setup (answer_who_asks, setup_table),
      cmocka_unit_test_setup (answer_forward, setup_table),
      cmocka_unit_test_setup (answer_truncated, setup_table),
      cmocka_unit_test_setup (running_on, setup_table),
      cmocka_unit_test (reply_matches),
      cmocka_unit_test_setup_teardown (db_table, db_setup, db_teardown),
      cmocka_unit_test_setup_teardown (db_errors, db_setup, db_teardown),
      cmocka_unit_test_setup_teardown (db_cost, db_setup, db_teardown),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
