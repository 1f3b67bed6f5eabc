/* skiff: attaching to a container's shim (the protocol: engine/shim.h):
 * the caller's stdin to the container, its output back, the terminal's size,
 * the detach keys; `skiff attach`, and the attached run and start with -i or
 * -t. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "detach-keys.h"
#include "engine/shim.h"
#include "util/cleanup.h"
#include "util/socket.h"

/* ---- the relay ---- */

typedef struct relay {
  sk_cli *cli;
  const char *id;
  const sk_attach_opts *o;
  int sock, sigfd;
  bool in_open, detached;
  sk_detach keys;
  size_t len;
  unsigned char buf[SK_ATTACH_HEADER + SK_ATTACH_MAX];
} relay;

static int
send_frame (relay *r, int type, const void *data, size_t len, sk_err **err)
{
  unsigned char h[SK_ATTACH_HEADER] = {(unsigned char) type, (unsigned char) (len >> 24),
                                       (unsigned char) (len >> 16), (unsigned char) (len >> 8),
                                       (unsigned char) len};
  if (sk_write_all (r->sock, h, sizeof h) < 0 || (len && sk_write_all (r->sock, data, len) < 0))
    return sk_err_set (err, errno, "attach: send to the container");
  return 0;
}

static int
send_size (relay *r, sk_err **err)
{
  struct winsize ws;
  if (ioctl (0, TIOCGWINSZ, &ws) < 0 && ioctl (1, TIOCGWINSZ, &ws) < 0)
    return 0;
  unsigned char size[4] = {(unsigned char) (ws.ws_row >> 8), (unsigned char) ws.ws_row,
                           (unsigned char) (ws.ws_col >> 8), (unsigned char) ws.ws_col};
  return send_frame (r, SK_ATTACH_RESIZE, size, sizeof size, err);
}

/* The caller's input, the detach keys taken out. */
static int
relay_input (relay *r, sk_err **err)
{
  unsigned char in[4096], out[4096 + SK_DETACH_KEYS_MAX];
  ssize_t n = read (0, in, sizeof in);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 0;
  if (n <= 0) {
    r->in_open = false;
    return send_frame (r, SK_ATTACH_CLOSE_STDIN, NULL, 0, err);
  }
  size_t o = sk_detach_filter (&r->keys, in, (size_t) n, out, &r->detached);
  return o ? send_frame (r, SK_ATTACH_STDIN, out, o, err) : 0;
}

/* The container's output: 0, or 1 at its end. */
static int
relay_output (relay *r, sk_err **err)
{
  ssize_t n = read (r->sock, r->buf + r->len, sizeof r->buf - r->len);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 0;
  if (n <= 0)
    return 1;
  r->len += (size_t) n;
  size_t off = 0;
  while (r->len - off >= SK_ATTACH_HEADER) {
    const unsigned char *h = r->buf + off;
    size_t len = (size_t) h[1] << 24 | (size_t) h[2] << 16 | (size_t) h[3] << 8 | h[4];
    if (len > SK_ATTACH_MAX)
      return sk_err_set (err, EPROTO, "attach: a frame of %zu bytes", len);
    if (r->len - off < SK_ATTACH_HEADER + len)
      break;
    /* a closed stdout does not stop the relay */
    sk_write_all (h[0] == SK_ATTACH_STDERR ? 2 : 1, h + SK_ATTACH_HEADER, len);
    off += SK_ATTACH_HEADER + len;
  }
  memmove (r->buf, r->buf + off, r->len - off);
  r->len -= off;
  return 0;
}

static void
relay_signals (relay *r)
{
  struct signalfd_siginfo si;
  while (read (r->sigfd, &si, sizeof si) == sizeof si) {
    if (si.ssi_signo == SIGWINCH) {
      sk_err *ignored = NULL;
      if (r->o->tty && send_size (r, &ignored) < 0)
        sk_err_free (&ignored);
      continue;
    }
    sk_engine *e = NULL;
    sk_err *ignored = NULL;
    if (sk_cli_engine (r->cli, &e, &ignored) < 0 ||
        sk_engine_kill (e, r->id, (int) si.ssi_signo, false, &ignored) < 0)
      sk_err_free (&ignored);
  }
}

/* Until the output ends or the detach keys: 1 for those. */
static int
relay_loop (relay *r, sk_err **err)
{
  for (;;) {
    struct pollfd p[3] = {{.fd = r->sock, .events = POLLIN},
                          {.fd = r->in_open ? 0 : -1, .events = POLLIN},
                          {.fd = r->sigfd, .events = POLLIN}};
    if (poll (p, 3, -1) < 0) {
      if (errno == EINTR)
        continue;
      return sk_err_set (err, errno, "poll");
    }
    if (p[2].revents)
      relay_signals (r);
    if (p[1].revents && relay_input (r, err) < 0)
      return -1;
    if (r->detached)
      return 1;
    if (p[0].revents) {
      int end = relay_output (r, err);
      if (end != 0)
        return end < 0 ? -1 : 0;
    }
  }
}

static int
relay_start (relay *r, sk_err **err)
{
  if (sk_cli_detach_keys (r->o->detach_keys, r->keys.keys, &r->keys.n, err) < 0)
    return -1;
  /* an empty stdin frame: this client attaches stdin */
  if (r->in_open && send_frame (r, SK_ATTACH_STDIN, NULL, 0, err) < 0)
    return -1;
  if (r->o->tty && send_size (r, err) < 0)
    return -1;
  return 0;
}

int
sk_cli_attach_relay (sk_cli *cli, const char *id, int sock, const sk_attach_opts *o,
                     int *exit_code, sk_err **err)
{
  relay r = {.cli = cli, .id = id, .o = o, .sock = sock, .sigfd = -1, .in_open = o->in};
  sigset_t set, old;
  sigemptyset (&set);
  sigaddset (&set, SIGWINCH);
  if (o->sig_proxy && !o->tty) {
    sigaddset (&set, SIGINT);
    sigaddset (&set, SIGTERM);
  }
  sigprocmask (SIG_BLOCK, &set, &old);
  void (*old_pipe) (int) = signal (SIGPIPE, SIG_IGN);
  r.sigfd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  struct termios saved;
  bool raw = o->tty && o->in && isatty (0) && tcgetattr (0, &saved) == 0;
  if (raw) {
    struct termios t = saved;
    cfmakeraw (&t);
    tcsetattr (0, TCSANOW, &t);
  }
  int ret = r.sigfd < 0 ? sk_err_set (err, errno, "signalfd") : relay_start (&r, err);
  if (ret == 0)
    ret = relay_loop (&r, err);
  if (raw)
    tcsetattr (0, TCSADRAIN, &saved);
  if (r.sigfd >= 0)
    close (r.sigfd);
  signal (SIGPIPE, old_pipe);
  sigprocmask (SIG_SETMASK, &old, NULL);
  if (ret != 0) {
    *exit_code = 0;
    return ret < 0 ? -1 : 0; /* detached: the container goes on */
  }
  sk_engine *e = NULL;
  if (sk_cli_engine (cli, &e, err) < 0 || sk_engine_wait (e, id, exit_code, err) < 0)
    return -1;
  return 0;
}

int
sk_cli_container_io (sk_cli *cli, const char *id, bool *tty, bool *open_stdin, sk_err **err)
{
  sk_engine *e = NULL;
  _cleanup_ctr_ sk_ctr *c = NULL;
  _cleanup_json_ sk_json *config = NULL;
  if (sk_cli_engine (cli, &e, err) < 0 || sk_engine_get (e, id, &c, err) < 0 ||
      sk_json_parse (c->config, strlen (c->config), "the container's config", &config, err) < 0)
    return -1;
  sk_json *v = NULL;
  *tty = json_object_object_get_ex (config, "Tty", &v) && json_object_get_boolean (v);
  *open_stdin = json_object_object_get_ex (config, "OpenStdin", &v) && json_object_get_boolean (v);
  return 0;
}

int
sk_cli_attach (sk_cli *cli, const char *id, const sk_attach_opts *o, int *exit_code, sk_err **err)
{
  sk_engine *e = NULL;
  if (sk_cli_engine (cli, &e, err) < 0)
    return -1;
  _cleanup_close_ int sock = sk_engine_attach_connect (e, id, err);
  if (sock < 0) {
    if ((*err)->errnum != ENOENT && (*err)->errnum != ECONNREFUSED)
      return -1;
    /* its shim is gone: what it wrote is in the log */
    sk_err_free (err);
    return sk_cli_follow (cli, id, o->sig_proxy, o->since, exit_code, err);
  }
  return sk_cli_attach_relay (cli, id, sock, o, exit_code, err);
}

/* ---- skiff attach ---- */

static const char attach_help[] =
    "Usage:  skiff attach [OPTIONS] CONTAINER\n\n"
    "Attach local standard input, output, and error streams to a running container\n\n"
    "Options:\n"
    "      --detach-keys string   Override the key sequence for detaching a container\n"
    "      --no-stdin             Do not attach STDIN\n"
    "      --sig-proxy            Proxy all received signals to the process (default true)\n";

static int
attach_check (sk_cli *cli, const char *id, sk_attach_opts *o, sk_err **err)
{
  sk_engine *e = NULL;
  _cleanup_ctr_ sk_ctr *c = NULL;
  if (sk_cli_engine (cli, &e, err) < 0 || sk_engine_get (e, id, &c, err) < 0)
    return -1;
  if (strcmp (c->state, "paused") == 0)
    return sk_err_set (err, 0, "You cannot attach to a paused container, unpause it first");
  if (strcmp (c->state, "running") != 0)
    return sk_err_set (err, 0, "You cannot attach to a stopped container, start it first");
  bool open_stdin;
  if (sk_cli_container_io (cli, id, &o->tty, &open_stdin, err) < 0)
    return -1;
  o->in = o->in && open_stdin;
  if (o->tty && o->in && !isatty (0))
    return sk_err_kind (err, ENOTTY, "the input device is not a TTY");
  return 0;
}

int
cmd_attach (sk_cli *cli, int argc, char **argv)
{
  if (sk_cli_wants_help (argc, argv, attach_help))
    return 0;
  enum { O_KEYS = 1000, O_NO_STDIN, O_SIG_PROXY };
  static const struct option opts[] = {{"detach-keys", required_argument, NULL, O_KEYS},
                                       {"no-stdin", no_argument, NULL, O_NO_STDIN},
                                       {"sig-proxy", optional_argument, NULL, O_SIG_PROXY},
                                       {0}};
  sk_attach_opts o = {.in = true, .sig_proxy = true};
  int c;
  optind = 0;
  while ((c = getopt_long (argc, argv, "+", opts, NULL)) != -1) {
    switch (c) {
    case O_KEYS: o.detach_keys = optarg; break;
    case O_NO_STDIN: o.in = false; break;
    case O_SIG_PROXY: o.sig_proxy = optarg == NULL || strcmp (optarg, "true") == 0; break;
    default: return sk_cli_usage ("attach", "bad option");
    }
  }
  if (argc - optind != 1)
    return sk_cli_usage ("attach", "\"attach\" requires exactly 1 argument.");
  sk_err *err = NULL;
  sk_engine *e = NULL;
  _cleanup_free_ char *id = NULL;
  unsigned char keys[SK_DETACH_KEYS_MAX];
  size_t nkeys;
  int code = 0;
  if (sk_cli_detach_keys (o.detach_keys, keys, &nkeys, &err) < 0 ||
      sk_cli_engine (cli, &e, &err) < 0 || sk_engine_resolve (e, argv[optind], &id, &err) < 0 ||
      attach_check (cli, id, &o, &err) < 0 || sk_cli_attach (cli, id, &o, &code, &err) < 0)
    return sk_cli_fail (err);
  return code;
}
