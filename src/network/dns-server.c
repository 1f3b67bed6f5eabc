/* skiff: the embedded DNS responder's loop (see dns-server.h).
 *
 * UDP, which is nearly all of the traffic, is served by one thread with
 * poll: a query answered here is answered at once, a forwarded one waits in
 * a table of pending queries (a connected socket each, so that only the
 * server asked can answer it) for its reply or its deadline. TCP (a client
 * retrying a truncated answer) gets a thread per connection, a few at most,
 * with blocking I/O under timeouts; the database and its table are shared
 * under a lock. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "network/dns-db.h"
#include "network/dns-server.h"
#include "util/cleanup.h"

#define MAX_UPSTREAM  3    /* as glibc's resolver (MAXNS) */
#define UPSTREAM_MS   1500 /* per server: three fit in a client's 5 s */
#define MAX_PENDING   128  /* forwarded UDP queries waiting at once */
#define MAX_TCP       16   /* TCP connections served at once */
#define TCP_IDLE_S    5
#define UDP_QUERY_MAX 4096 /* larger is no query of a stub resolver: dropped */
#define IDLE_CHECKS   2    /* checks in a row with no container before exiting */

typedef struct upstream {
  struct sockaddr_storage sa;
  socklen_t len;
} upstream;

typedef struct listener {
  sk_dns_addr addr;
  int udp, tcp;
} listener;

typedef struct pending {
  int fd; /* -1: free */
  size_t li, server;
  struct sockaddr_storage client;
  socklen_t clen;
  uint8_t *query;
  size_t qlen;
  uint64_t deadline;
} pending;

typedef struct server {
  const sk_dns_server_opts *o;
  pthread_mutex_t lock; /* db, and ups (read by the TCP threads) */
  sk_dns_db *db;
  listener *ls;
  size_t n_ls;
  upstream ups[MAX_UPSTREAM];
  size_t n_ups;
  struct timespec ups_mtime;
  pending pend[MAX_PENDING];
  atomic_int tcp_conns;
} server;

static uint64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static void
to_sockaddr (const sk_dns_addr *a, unsigned port, struct sockaddr_storage *ss, socklen_t *len)
{
  memset (ss, 0, sizeof *ss);
  if (a->family == AF_INET) {
    struct sockaddr_in *s4 = (struct sockaddr_in *) ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons ((uint16_t) port);
    memcpy (&s4->sin_addr, a->a, 4);
    *len = sizeof *s4;
  } else {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *) ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons ((uint16_t) port);
    memcpy (&s6->sin6_addr, a->a, 16);
    *len = sizeof *s6;
  }
}

static void
from_sockaddr (const struct sockaddr_storage *ss, sk_dns_addr *a)
{
  memset (a, 0, sizeof *a);
  if (ss->ss_family == AF_INET) {
    a->family = AF_INET;
    memcpy (a->a, &((const struct sockaddr_in *) ss)->sin_addr, 4);
  } else if (ss->ss_family == AF_INET6) {
    a->family = AF_INET6;
    memcpy (a->a, &((const struct sockaddr_in6 *) ss)->sin6_addr, 16);
  }
}

static const char *
addr_text (const sk_dns_addr *a, char *buf, size_t size)
{
  if (inet_ntop (a->family, a->a, buf, (socklen_t) size) == NULL)
    snprintf (buf, size, "?");
  return buf;
}

/* ---- upstream servers ---- */

/* The nameserver lines of a resolv.conf; the first MAX_UPSTREAM, as glibc.
 * A loopback server (systemd-resolved's 127.0.0.53, a local dnsmasq) is
 * kept: this process runs in the host's namespace, where it answers. One of
 * our own listen addresses is not: that would be a loop. */
static int
read_upstreams (server *s, sk_err **err)
{
  const char *path = s->o->upstream_file;
  _cleanup_fclose_ FILE *f = fopen (path, "re");
  if (f == NULL)
    return sk_err_set (err, errno, "open upstream servers `%s`", path);
  struct stat st;
  if (fstat (fileno (f), &st) == 0)
    s->ups_mtime = st.st_mtim;
  upstream ups[MAX_UPSTREAM];
  size_t n = 0;
  char line[512];
  while (n < MAX_UPSTREAM && fgets (line, sizeof line, f)) {
    char word[32], addr[128];
    if (sscanf (line, " %31s %127s", word, addr) != 2 || strcmp (word, "nameserver") != 0)
      continue;
    char *pct = strchr (addr, '%');
    unsigned scope = 0;
    if (pct) {
      *pct = '\0';
      scope = if_nametoindex (pct + 1);
    }
    sk_dns_addr a;
    if (!sk_dns_addr_parse (addr, &a))
      continue;
    bool ours = false;
    for (size_t i = 0; i < s->o->n_listen; i++)
      ours |= sk_dns_addr_eq (&a, &s->o->listen[i]);
    if (ours)
      continue;
    to_sockaddr (&a, 53, &ups[n].sa, &ups[n].len);
    if (a.family == AF_INET6)
      ((struct sockaddr_in6 *) &ups[n].sa)->sin6_scope_id = scope;
    n++;
  }
  pthread_mutex_lock (&s->lock);
  memcpy (s->ups, ups, n * sizeof *ups);
  s->n_ups = n;
  pthread_mutex_unlock (&s->lock);
  return 0;
}

/* The host's resolv.conf changes (a new network, a VPN): read again when
 * its time changed. A file gone keeps the servers there were. */
static void
refresh_upstreams (server *s)
{
  struct stat st;
  if (s->o->upstream_file == NULL || stat (s->o->upstream_file, &st) < 0)
    return;
  if (st.st_mtim.tv_sec == s->ups_mtime.tv_sec && st.st_mtim.tv_nsec == s->ups_mtime.tv_nsec)
    return;
  sk_err *err = NULL;
  if (read_upstreams (s, &err) < 0) {
    fprintf (stderr, "skiff-dns: %s\n", err->msg);
    sk_err_free (&err);
  }
}

/* ---- answers ---- */

static sk_dns_action
resolve (server *s, size_t li, const struct sockaddr_storage *from, const uint8_t *msg, size_t len,
         uint8_t *out, size_t cap, size_t *out_len)
{
  sk_dns_addr peer;
  from_sockaddr (from, &peer);
  pthread_mutex_lock (&s->lock);
  sk_dns_table *t = NULL;
  sk_err *err = NULL;
  /* when the database cannot be read now, the last table answers; once
   * closed (the process is ending), none: REFUSED */
  if (s->db && sk_dns_db_table (s->db, &t, &err) < 0)
    sk_err_free (&err);
  sk_dns_action a =
      sk_dns_respond (t, &s->ls[li].addr, &peer, msg, len, s->n_ups > 0, out, cap, out_len);
  pthread_mutex_unlock (&s->lock);
  return a;
}

/* ---- UDP ---- */

static void
udp_reply (server *s, size_t li, const struct sockaddr_storage *to, socklen_t tolen,
           const uint8_t *msg, size_t len)
{
  /* a full socket buffer loses the reply, as a lost packet would */
  sendto (s->ls[li].udp, msg, len, MSG_DONTWAIT, (const struct sockaddr *) to, tolen);
}

static void
pending_done (pending *p)
{
  if (p->fd >= 0)
    close (p->fd);
  p->fd = -1;
  free (p->query);
  p->query = NULL;
}

static void
pending_fail (server *s, pending *p)
{
  sk_dns_query q;
  uint8_t out[SK_DNS_UDP_MAX];
  if (sk_dns_parse (p->query, p->qlen, &q) == 0) {
    size_t n = sk_dns_reply_empty (&q, SK_DNS_SERVFAIL, out, sizeof out);
    if (n)
      udp_reply (s, p->li, &p->client, p->clen, out, n);
  }
  pending_done (p);
}

/* Sends the query to its next server; false when there is none left. */
static bool
pending_next (server *s, pending *p)
{
  if (p->fd >= 0)
    close (p->fd);
  p->fd = -1;
  for (; p->server < s->n_ups; p->server++) {
    const upstream *u = &s->ups[p->server];
    int fd = socket (u->sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
      continue;
    if (connect (fd, (const struct sockaddr *) &u->sa, u->len) < 0 ||
        send (fd, p->query, p->qlen, 0) != (ssize_t) p->qlen) {
      close (fd);
      continue;
    }
    p->fd = fd;
    p->deadline = now_ms () + UPSTREAM_MS;
    p->server++;
    return true;
  }
  return false;
}

static void
forward_udp (server *s, size_t li, const struct sockaddr_storage *from, socklen_t flen,
             const uint8_t *msg, size_t len)
{
  pending *p = NULL;
  for (size_t i = 0; i < MAX_PENDING && !p; i++)
    if (s->pend[i].fd < 0 && s->pend[i].query == NULL)
      p = &s->pend[i];
  sk_dns_query q;
  uint8_t out[SK_DNS_UDP_MAX];
  if (p == NULL || (p->query = malloc (len)) == NULL) {
    /* too many waiting: this one fails now rather than late */
    if (sk_dns_parse (msg, len, &q) == 0) {
      size_t n = sk_dns_reply_empty (&q, SK_DNS_SERVFAIL, out, sizeof out);
      if (n)
        udp_reply (s, li, from, flen, out, n);
    }
    return;
  }
  memcpy (p->query, msg, len);
  p->qlen = len;
  p->li = li;
  p->client = *from;
  p->clen = flen;
  p->server = 0;
  if (!pending_next (s, p))
    pending_fail (s, p);
}

static void
pending_readable (server *s, pending *p)
{
  static uint8_t buf[65536];
  ssize_t n = recv (p->fd, buf, sizeof buf, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR)
      return;
    /* ECONNREFUSED: nothing listens there; the next server now */
    if (!pending_next (s, p))
      pending_fail (s, p);
    return;
  }
  if (!sk_dns_reply_matches (p->query, p->qlen, buf, (size_t) n))
    return; /* not the answer: wait for it until the deadline */
  udp_reply (s, p->li, &p->client, p->clen, buf, (size_t) n);
  pending_done (p);
}

static void
udp_readable (server *s, size_t li)
{
  uint8_t msg[UDP_QUERY_MAX], out[SK_DNS_UDP_MAX];
  struct sockaddr_storage from;
  socklen_t flen = sizeof from;
  ssize_t n = recvfrom (s->ls[li].udp, msg, sizeof msg, MSG_TRUNC | MSG_DONTWAIT,
                        (struct sockaddr *) &from, &flen);
  if (n < 0 || (size_t) n > sizeof msg)
    return;
  size_t out_len = 0;
  switch (resolve (s, li, &from, msg, (size_t) n, out, sizeof out, &out_len)) {
  case SK_DNS_REPLY: udp_reply (s, li, &from, flen, out, out_len); break;
  case SK_DNS_FORWARD: forward_udp (s, li, &from, flen, msg, (size_t) n); break;
  case SK_DNS_DROP: break;
  }
}

/* ---- TCP ---- */

typedef struct tcp_conn {
  server *s;
  size_t li;
  int fd;
  struct sockaddr_storage peer;
} tcp_conn;

static bool
io_full (int fd, void *buf, size_t len, bool writing)
{
  uint8_t *p = buf;
  while (len) {
    ssize_t n = writing ? send (fd, p, len, MSG_NOSIGNAL) : recv (fd, p, len, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    p += n;
    len -= (size_t) n;
  }
  return true;
}

static void
set_timeouts (int fd, int seconds)
{
  struct timeval tv = {seconds, 0};
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* One message with its two-byte length; out holds 2 + SK_DNS_TCP_MAX. */
static bool
tcp_exchange (const upstream *u, const uint8_t *msg, size_t len, uint8_t *out, size_t *out_len)
{
  _cleanup_close_ int fd = socket (u->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  if (connect (fd, (const struct sockaddr *) &u->sa, u->len) < 0) {
    struct pollfd pfd = {fd, POLLOUT, 0};
    int e = 0;
    socklen_t elen = sizeof e;
    if (errno != EINPROGRESS || poll (&pfd, 1, UPSTREAM_MS) != 1 ||
        getsockopt (fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0 || e != 0)
      return false;
  }
  int flags = fcntl (fd, F_GETFL);
  fcntl (fd, F_SETFL, flags & ~O_NONBLOCK);
  struct timeval tv = {UPSTREAM_MS / 1000, (UPSTREAM_MS % 1000) * 1000};
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  uint8_t l[2] = {(uint8_t) (len >> 8), (uint8_t) len};
  if (!io_full (fd, l, 2, true) || !io_full (fd, (void *) msg, len, true) ||
      !io_full (fd, out, 2, false))
    return false;
  size_t rlen = (size_t) out[0] << 8 | out[1];
  if (!io_full (fd, out + 2, rlen, false) || !sk_dns_reply_matches (msg, len, out + 2, rlen))
    return false;
  *out_len = rlen;
  return true;
}

static size_t
forward_tcp (server *s, const uint8_t *msg, size_t len, uint8_t *out)
{
  pthread_mutex_lock (&s->lock);
  upstream ups[MAX_UPSTREAM];
  size_t n = s->n_ups;
  memcpy (ups, s->ups, n * sizeof *ups);
  pthread_mutex_unlock (&s->lock);
  size_t out_len = 0;
  for (size_t i = 0; i < n; i++)
    if (tcp_exchange (&ups[i], msg, len, out, &out_len))
      return out_len;
  sk_dns_query q;
  if (sk_dns_parse (msg, len, &q) != 0)
    return 0;
  return sk_dns_reply_empty (&q, SK_DNS_SERVFAIL, out + 2, SK_DNS_TCP_MAX);
}

static void *
tcp_serve (void *arg)
{
  tcp_conn *c = arg;
  uint8_t *msg = malloc (SK_DNS_TCP_MAX), *out = malloc (2 + SK_DNS_TCP_MAX);
  set_timeouts (c->fd, TCP_IDLE_S);
  /* RFC 7766: several queries may come on one connection, one after the
   * other here */
  for (int i = 0; msg && out && i < 100; i++) {
    uint8_t l[2];
    if (!io_full (c->fd, l, 2, false))
      break;
    size_t len = (size_t) l[0] << 8 | l[1], out_len = 0;
    if (!io_full (c->fd, msg, len, false))
      break;
    sk_dns_action a = resolve (c->s, c->li, &c->peer, msg, len, out + 2, SK_DNS_TCP_MAX, &out_len);
    if (a == SK_DNS_FORWARD)
      out_len = forward_tcp (c->s, msg, len, out);
    if (a == SK_DNS_DROP || out_len == 0)
      break;
    out[0] = (uint8_t) (out_len >> 8);
    out[1] = (uint8_t) out_len;
    if (!io_full (c->fd, out, 2 + out_len, true))
      break;
  }
  free (msg);
  free (out);
  close (c->fd);
  atomic_fetch_sub (&c->s->tcp_conns, 1);
  free (c);
  return NULL;
}

static void
tcp_accept (server *s, size_t li)
{
  struct sockaddr_storage peer;
  socklen_t plen = sizeof peer;
  int fd = accept4 (s->ls[li].tcp, (struct sockaddr *) &peer, &plen, SOCK_CLOEXEC);
  if (fd < 0)
    return;
  tcp_conn *c = NULL;
  if (atomic_fetch_add (&s->tcp_conns, 1) >= MAX_TCP || (c = malloc (sizeof *c)) == NULL) {
    atomic_fetch_sub (&s->tcp_conns, 1);
    close (fd);
    return;
  }
  *c = (tcp_conn){s, li, fd, peer};
  pthread_attr_t attr;
  pthread_t th;
  pthread_attr_init (&attr);
  pthread_attr_setdetachstate (&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize (&attr, 256 * 1024);
  if (pthread_create (&th, &attr, tcp_serve, c) != 0) {
    atomic_fetch_sub (&s->tcp_conns, 1);
    close (fd);
    free (c);
  }
  pthread_attr_destroy (&attr);
}

/* ---- setup ---- */

static int
bind_one (const sk_dns_addr *a, unsigned port, int type, int *out, sk_err **err)
{
  char text[INET6_ADDRSTRLEN];
  const char *proto = type == SOCK_DGRAM ? "udp" : "tcp";
  _cleanup_close_ int fd = socket (a->family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return sk_err_set (err, errno, "socket for %s", addr_text (a, text, sizeof text));
  int one = 1;
  if (a->family == AF_INET6)
    setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (type == SOCK_STREAM)
    setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_storage ss;
  socklen_t len;
  to_sockaddr (a, port, &ss, &len);
  /* an IPv6 address just put on a bridge is tentative for a moment */
  int r, tries = 0;
  while ((r = bind (fd, (struct sockaddr *) &ss, len)) < 0 && errno == EADDRNOTAVAIL &&
         a->family == AF_INET6 && tries++ < 20) {
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep (&ts, NULL);
  }
  if (r < 0)
    return sk_err_set (err, errno, "listen on %s %s%s%s:%u", proto,
                       a->family == AF_INET6 ? "[" : "", addr_text (a, text, sizeof text),
                       a->family == AF_INET6 ? "]" : "", port);
  if (type == SOCK_STREAM && listen (fd, 16) < 0)
    return sk_err_set (err, errno, "listen on tcp %s", addr_text (a, text, sizeof text));
  *out = steal_fd (&fd);
  return 0;
}

static int
write_pid_file (const char *path, sk_err **err)
{
  _cleanup_free_ char *tmp = NULL;
  if (asprintf (&tmp, "%s.tmp", path) < 0)
    return sk_err_set (err, ENOMEM, "pid file");
  _cleanup_fclose_ FILE *f = fopen (tmp, "we");
  if (f == NULL)
    return sk_err_set (err, errno, "write pid file `%s`", path);
  fprintf (f, "%d\n", (int) getpid ());
  if (fflush (f) != 0 || rename (tmp, path) < 0) {
    int e = errno;
    unlink (tmp);
    return sk_err_set (err, e, "write pid file `%s`", path);
  }
  return 0;
}

/* The pid file goes with the process, unless another has written its own. */
static void
remove_pid_file (const char *path)
{
  char buf[32] = "";
  _cleanup_fclose_ FILE *f = fopen (path, "re");
  if (f && fgets (buf, sizeof buf, f) && atoi (buf) == (int) getpid ())
    unlink (path);
}

static void
server_close (server *s)
{
  for (size_t i = 0; i < MAX_PENDING; i++)
    pending_done (&s->pend[i]);
  for (size_t i = 0; i < s->n_ls; i++) {
    if (s->ls[i].udp >= 0)
      close (s->ls[i].udp);
    if (s->ls[i].tcp >= 0)
      close (s->ls[i].tcp);
    s->ls[i].udp = s->ls[i].tcp = -1;
  }
  /* TCP threads may still be in a query: they hold the lock while they
   * use the database, so it is closed under it */
  pthread_mutex_lock (&s->lock);
  sk_dns_db_close (s->db);
  s->db = NULL;
  pthread_mutex_unlock (&s->lock);
}

static int
server_open (server *s, const sk_dns_server_opts *o, sk_err **err)
{
  memset (s, 0, sizeof *s);
  s->o = o;
  pthread_mutex_init (&s->lock, NULL);
  for (size_t i = 0; i < MAX_PENDING; i++)
    s->pend[i].fd = -1;
  if (sk_dns_db_open (o->db_path, &s->db, err) < 0)
    return -1;
  if (o->upstream_file && read_upstreams (s, err) < 0)
    return -1;
  if ((s->ls = calloc (o->n_listen, sizeof *s->ls)) == NULL)
    return sk_err_set (err, ENOMEM, "listen");
  for (size_t i = 0; i < o->n_listen; i++) {
    listener *l = &s->ls[s->n_ls++];
    l->addr = o->listen[i];
    l->udp = l->tcp = -1;
    if (bind_one (&l->addr, o->port ? o->port : 53, SOCK_DGRAM, &l->udp, err) < 0 ||
        bind_one (&l->addr, o->port ? o->port : 53, SOCK_STREAM, &l->tcp, err) < 0)
      return -1;
  }
  return 0;
}

/* Whether any container is left to serve; the table is read again when the
 * database changed, which is what a query does anyway. */
static bool
anyone_left (server *s)
{
  pthread_mutex_lock (&s->lock);
  sk_dns_table *t = NULL;
  sk_err *err = NULL;
  int r = sk_dns_db_table (s->db, &t, &err);
  sk_err_free (&err);
  /* a database that cannot be read now: not a reason to go */
  bool left = r < 0 || t == NULL || sk_dns_table_running_on (t, s->o->listen, s->o->n_listen) > 0;
  pthread_mutex_unlock (&s->lock);
  return left;
}

static int
serve (server *s, int sigfd)
{
  unsigned check_ms = s->o->check_ms ? s->o->check_ms : 2000;
  uint64_t next_check = now_ms () + check_ms;
  int idle = 0;
  size_t cap = 1 + 2 * s->n_ls + MAX_PENDING;
  _cleanup_free_ struct pollfd *pfds = calloc (cap, sizeof *pfds);
  _cleanup_free_ size_t *which = calloc (cap, sizeof *which);
  if (pfds == NULL || which == NULL)
    return -1;
  for (;;) {
    size_t n = 0;
    pfds[n++] = (struct pollfd){sigfd, POLLIN, 0};
    for (size_t i = 0; i < s->n_ls; i++) {
      which[n] = i;
      pfds[n++] = (struct pollfd){s->ls[i].udp, POLLIN, 0};
      which[n] = i;
      pfds[n++] = (struct pollfd){s->ls[i].tcp, POLLIN, 0};
    }
    uint64_t now = now_ms (), wake = next_check;
    for (size_t i = 0; i < MAX_PENDING; i++) {
      if (s->pend[i].fd < 0)
        continue;
      if (s->pend[i].deadline < wake)
        wake = s->pend[i].deadline;
      which[n] = i;
      pfds[n++] = (struct pollfd){s->pend[i].fd, POLLIN, 0};
    }
    int r = poll (pfds, n, wake > now ? (int) (wake - now) : 0);
    if (r < 0 && errno != EINTR)
      return -1;
    if (r > 0 && pfds[0].revents)
      return 0; /* SIGTERM or SIGINT */
    for (size_t i = 1; r > 0 && i < n; i++) {
      if (!pfds[i].revents)
        continue;
      if (i <= 2 * s->n_ls) {
        if (i % 2)
          udp_readable (s, which[i]);
        else
          tcp_accept (s, which[i]);
      } else if (s->pend[which[i]].fd == pfds[i].fd) {
        pending_readable (s, &s->pend[which[i]]);
      }
    }
    now = now_ms ();
    for (size_t i = 0; i < MAX_PENDING; i++)
      if (s->pend[i].fd >= 0 && s->pend[i].deadline <= now && !pending_next (s, &s->pend[i]))
        pending_fail (s, &s->pend[i]);
    if (now >= next_check) {
      next_check = now + check_ms;
      idle = anyone_left (s) ? 0 : idle + 1;
      if (idle >= IDLE_CHECKS)
        return 0;
      refresh_upstreams (s);
    }
  }
}

int
sk_dns_server_run (const sk_dns_server_opts *o, sk_err **err)
{
  /* the signals come through a descriptor, and to no TCP thread */
  sigset_t set;
  sigemptyset (&set);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGINT);
  if (sigprocmask (SIG_BLOCK, &set, NULL) < 0)
    return sk_err_set (err, errno, "sigprocmask");
  signal (SIGPIPE, SIG_IGN);
  _cleanup_close_ int sigfd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sigfd < 0)
    return sk_err_set (err, errno, "signalfd");
  /* kept, and reachable from here, until the process ends: a TCP thread
   * still in a query may use it */
  static server *s;
  s = calloc (1, sizeof *s);
  if (s == NULL)
    return sk_err_set (err, ENOMEM, "dns server");
  if (server_open (s, o, err) < 0 || (o->pid_file && write_pid_file (o->pid_file, err) < 0)) {
    server_close (s);
    return -1;
  }
  int r = serve (s, sigfd);
  if (o->pid_file)
    remove_pid_file (o->pid_file);
  server_close (s);
  if (r < 0)
    return sk_err_set (err, errno, "dns server");
  return 0;
}
