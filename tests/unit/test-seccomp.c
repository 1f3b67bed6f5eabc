/* Unit tests: seccomp profiles compiled, loaded in a child process and
 * observed from the syscalls that child makes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "oci/oci.h"
#include "runtime/seccomp.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strbuf.h"

/* what every filtering profile must allow for the child to report and exit
 * (and for the sanitizers' runtime, in a sanitized build) */
#define BASICS                                                                                     \
  "{'names': ['write', 'exit', 'exit_group', 'rt_sigreturn', 'sigaltstack', 'mmap', 'munmap', "    \
  "'mprotect', 'madvise', 'brk'], 'action': 'SCMP_ACT_ALLOW'}"

/* ---- building profiles ---- */

/* Parses a linux.seccomp object written with ' for " into a whole config. */
static sk_spec *
parse_profile (const char *seccomp_json)
{
  _cleanup_free_ char *doc = NULL;
  assert_true (asprintf (&doc,
                         "{'ociVersion': '1.2.0', 'root': {'path': 'r'}, 'linux': {'namespaces': "
                         "[{'type': 'mount'}], 'seccomp': %s}}",
                         seccomp_json) > 0);
  for (char *c = doc; *c; c++)
    if (*c == '\'')
      *c = '"';
  sk_spec *s = NULL;
  _cleanup_err_ sk_err *err = NULL;
  if (sk_spec_parse (doc, strlen (doc), "config.json", &s, &err) < 0)
    fail_msg ("parse: %s", err->msg);
  assert_non_null (s->linux_.seccomp);
  return s;
}

static sk_seccomp_prog *
compile_ok (const char *seccomp_json)
{
  _cleanup_spec_ sk_spec *s = parse_profile (seccomp_json);
  sk_seccomp_prog *p = NULL;
  _cleanup_err_ sk_err *err = NULL;
  if (sk_seccomp_compile (s->linux_.seccomp, &p, &err) < 0)
    fail_msg ("compile: %s", err->msg);
  assert_non_null (p);
  return p;
}

static void
expect_compile_error (const char *seccomp_json, const char *msg)
{
  _cleanup_spec_ sk_spec *s = parse_profile (seccomp_json);
  sk_seccomp_prog *p = NULL;
  _cleanup_err_ sk_err *err = NULL;
  assert_int_equal (sk_seccomp_compile (s->linux_.seccomp, &p, &err), -1);
  assert_null (p);
  assert_non_null (err);
  if (strcmp (err->msg, msg) != 0)
    fail_msg ("got `%s`, want `%s`", err->msg, msg);
}

static void
prog_freep (sk_seccomp_prog **p)
{
  sk_seccomp_prog_free (*p);
}

#define _cleanup_prog_ __attribute__ ((cleanup (prog_freep)))

/* ---- running a child ---- */

typedef struct outcome {
  int status;
  long v[32];
  size_t n;
} outcome;

typedef void child_body (int out, const sk_seccomp_prog *p, void *data);

/* In the child: loads p (no_new_privs first), or exits 100. */
static int
child_load (const sk_seccomp_prog *p)
{
  int notify_fd = -1;
  sk_err *err = NULL;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    _exit (101);
  if (sk_seccomp_load (p, &notify_fd, &err) < 0) {
    dprintf (2, "child: %s\n", err->msg);
    _exit (100);
  }
  return notify_fd;
}

/* A syscall's result as one value: the return value, or -errno. */
static long
res (long r)
{
  return r < 0 ? -errno : r;
}

static void
report (int out, long v)
{
  if (write (out, &v, sizeof v) != sizeof v)
    _exit (102);
}

/* Forks; the child runs body (which loads p itself) and exits 0; the parent
 * collects what it reported and its status. */
static void
run_child (child_body *body, const sk_seccomp_prog *p, void *data, outcome *o)
{
  int fds[2];
  assert_int_equal (pipe2 (fds, O_CLOEXEC), 0);
  fflush (NULL);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0) {
    close (fds[0]);
    struct rlimit no_core = {0, 0};
    setrlimit (RLIMIT_CORE, &no_core); /* SIGSYS dumps core by default */
    alarm (20);
    body (fds[1], p, data);
    _exit (0);
  }
  close (fds[1]);
  *o = (outcome){0};
  size_t got = 0;
  for (;;) {
    ssize_t r = read (fds[0], (char *) o->v + got, sizeof o->v - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    got += r;
  }
  close (fds[0]);
  o->n = got / sizeof (long);
  assert_int_equal (waitpid (pid, &o->status, 0), pid);
}

static void
assert_exited_ok (const outcome *o)
{
  if (!WIFEXITED (o->status) || WEXITSTATUS (o->status) != 0)
    fail_msg ("child status 0x%x", o->status);
}

/* ---- default action and errnoRet ---- */

static void
body_getpid_uname (int out, const sk_seccomp_prog *p, void *data)
{
  child_load (p);
  struct utsname u;
  report (out, res (syscall (SYS_getpid)));
  report (out, res (syscall (SYS_uname, &u)));
  report (out, getpid ());
}

static void
test_default_errno (void **state)
{
  _cleanup_prog_ sk_seccomp_prog *p =
      compile_ok ("{'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': 13, 'syscalls': [" BASICS
                  ", {'names': ['getpid'], 'action': 'SCMP_ACT_ALLOW'}]}");
  assert_false (sk_seccomp_uses_notify (p));
  outcome o;
  run_child (body_getpid_uname, p, NULL, &o);
  assert_exited_ok (&o);
  assert_int_equal (o.n, 3);
  assert_int_equal (o.v[0], o.v[2]); /* getpid allowed */
  assert_int_equal (o.v[1], -EACCES);
}

static void
test_default_errno_eperm (void **state)
{
  _cleanup_prog_ sk_seccomp_prog *p =
      compile_ok ("{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [" BASICS
                  ", {'names': ['getpid'], 'action': 'SCMP_ACT_ALLOW'}]}");
  outcome o;
  run_child (body_getpid_uname, p, NULL, &o);
  assert_exited_ok (&o);
  assert_int_equal (o.n, 3);
  assert_int_equal (o.v[0], o.v[2]);
  assert_int_equal (o.v[1], -EPERM);
}

static void
body_rule_errno (int out, const sk_seccomp_prog *p, void *data)
{
  child_load (p);
  struct utsname u;
  report (out, res (syscall (SYS_uname, &u)));
  report (out, res (syscall (SYS_getuid)));
  report (out, res (syscall (SYS_getppid)));
  report (out, res (syscall (SYS_getgid)));
}

static void
test_rule_errno (void **state)
{
  /* the getgid rule has the default action: skipped, not an error */
  _cleanup_prog_ sk_seccomp_prog *p =
      compile_ok ("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
                  "{'names': ['uname'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 38},"
                  "{'names': ['getuid'], 'action': 'SCMP_ACT_ERRNO'},"
                  "{'names': ['getppid'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 0},"
                  "{'names': ['getgid'], 'action': 'SCMP_ACT_ALLOW'}]}");
  outcome o;
  run_child (body_rule_errno, p, NULL, &o);
  assert_exited_ok (&o);
  assert_int_equal (o.n, 4);
  assert_int_equal (o.v[0], -ENOSYS);
  assert_int_equal (o.v[1], -EPERM);
  assert_int_equal (o.v[2], 0); /* errnoRet 0: returns 0 without running */
  assert_int_equal (o.v[3], getgid ());
}

static void
test_unknown_syscall_skipped (void **state)
{
  /* an unknown name, and names that exist only on other architectures */
  _cleanup_prog_ sk_seccomp_prog *p =
      compile_ok ("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
                  "{'names': ['skiff_no_such_syscall', 'socketcall', 'arm_fadvise64_64', "
                  "'uname'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 44}]}");
  outcome o;
  run_child (body_getpid_uname, p, NULL, &o);
  assert_exited_ok (&o);
  assert_int_equal (o.v[0], o.v[2]);
  assert_int_equal (o.v[1], -44);
}

/* ---- argument conditions ---- */

static void
body_personality (int out, const sk_seccomp_prog *p, void *data)
{
  child_load (p);
  report (out, res (syscall (SYS_personality, 0xffffffffUL)));
  report (out, res (syscall (SYS_personality, 0UL)));
  report (out, res (syscall (SYS_personality, 8UL)));
}

static void
test_args_same_index_or (void **state)
{
  /* Docker's personality rule: several values of argument 0, any of them */
  _cleanup_prog_ sk_seccomp_prog *p =
      compile_ok ("{'defaultAction': 'SCMP_ACT_ERRNO', 'syscalls': [" BASICS
                  ", {'names': ['personality'], 'action': 'SCMP_ACT_ALLOW', 'args': ["
                  "{'index': 0, 'value': 4294967295, 'op': 'SCMP_CMP_EQ'},"
                  "{'index': 0, 'value': 0, 'op': 'SCMP_CMP_EQ'}]}]}");
  outcome o;
  run_child (body_personality, p, NULL, &o);
  assert_exited_ok (&o);
  assert_int_equal (o.n, 3);
  assert_true (o.v[0] >= 0);
  assert_true (o.v[1] >= 0);
  assert_int_equal (o.v[2], -EPERM);
}

/* getppid, getuid... ignore their arguments, but the filter sees them */
static void
body_and_or (int out, const sk_seccomp_prog *p, void *data)
{
  child_load (p);
  const long pairs[][2] = {{1, 2}, {1, 3}, {0, 2}, {5, 2}, {5, 3}, {6, 2}};
  for (size_t i = 0; i < SK_N_ELEMENTS (pairs); i++)
    report (out, res (syscall (SYS_getppid, pairs[i][0], pairs[i][1])));
}

static void
test_args_and_across_indexes (void **state)
{
  /* a0 in {1, 5} and a1 == 2 */
  _cleanup_prog_ sk_seccomp_prog *p =
      compile_ok ("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
                  "{'names': ['getppid'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 77, 'args': ["
                  "{'index': 0, 'value': 1, 'op': 'SCMP_CMP_EQ'},"
                  "{'index': 1, 'value': 2, 'op': 'SCMP_CMP_EQ'},"
                  "{'index': 0, 'value': 5, 'op': 'SCMP_CMP_EQ'}]}]}");
  outcome o;
  run_child (body_and_or, p, NULL, &o);
  assert_exited_ok (&o);
  assert_int_equal (o.n, 6);
  long ppid = getpid (); /* the child's parent */
  assert_int_equal (o.v[0], -77);
  assert_int_equal (o.v[1], ppid);
  assert_int_equal (o.v[2], ppid);
  assert_int_equal (o.v[3], -77);
  assert_int_equal (o.v[4], ppid);
  assert_int_equal (o.v[5], ppid);
}

static void
body_operators (int out, const sk_seccomp_prog *p, void *data)
{
  child_load (p);
  report (out, res (syscall (SYS_getppid, 0x25UL))); /* masked: refused */
  report (out, res (syscall (SYS_getppid, 0x15UL)));
  report (out, res (syscall (SYS_getppid, 0x125UL))); /* masked: refused */
  report (out, res (syscall (SYS_getuid, 5UL)));      /* NE 5 */
  report (out, res (syscall (SYS_getuid, 6UL)));
  report (out, res (syscall (SYS_getgid, 9UL))); /* LT 10 */
  report (out, res (syscall (SYS_getgid, 10UL)));
  report (out, res (syscall (SYS_geteuid, 10UL))); /* LE 10 */
  report (out, res (syscall (SYS_geteuid, 11UL)));
  report (out, res (syscall (SYS_getegid, 10UL))); /* GE 10 */
  report (out, res (syscall (SYS_getegid, 9UL)));
  report (out, res (syscall (SYS_gettid, 11UL))); /* GT 10 */
  report (out, res (syscall (SYS_gettid, 10UL)));
  report (out, res (syscall (SYS_getpgrp, 0x100000000UL))); /* EQ, 64 bits */
  report (out, res (syscall (SYS_getpgrp, 0UL)));
}

static void
test_operators (void **state)
{
  _cleanup_prog_ sk_seccomp_prog *p =
      compile_ok ("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
                  "{'names': ['getppid'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 60, 'args': ["
                  "  {'index': 0, 'value': 240, 'valueTwo': 32, 'op': 'SCMP_CMP_MASKED_EQ'}]},"
                  "{'names': ['getuid'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 61, 'args': ["
                  "  {'index': 0, 'value': 5, 'op': 'SCMP_CMP_NE'}]},"
                  "{'names': ['getgid'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 62, 'args': ["
                  "  {'index': 0, 'value': 10, 'op': 'SCMP_CMP_LT'}]},"
                  "{'names': ['geteuid'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 63, 'args': ["
                  "  {'index': 0, 'value': 10, 'op': 'SCMP_CMP_LE'}]},"
                  "{'names': ['getegid'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 64, 'args': ["
                  "  {'index': 0, 'value': 10, 'op': 'SCMP_CMP_GE'}]},"
                  "{'names': ['gettid'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 65, 'args': ["
                  "  {'index': 0, 'value': 10, 'op': 'SCMP_CMP_GT'}]},"
                  "{'names': ['getpgrp'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 66, 'args': ["
                  "  {'index': 0, 'value': 4294967296, 'op': 'SCMP_CMP_EQ'}]}]}");
  outcome o;
  run_child (body_operators, p, NULL, &o);
  assert_exited_ok (&o);
  assert_int_equal (o.n, 15);
  assert_int_equal (o.v[0], -60);
  assert_true (o.v[1] > 0);
  assert_int_equal (o.v[2], -60);
  assert_int_equal (o.v[3], getuid ());
  assert_int_equal (o.v[4], -61);
  assert_int_equal (o.v[5], -62);
  assert_int_equal (o.v[6], getgid ());
  assert_int_equal (o.v[7], -63);
  assert_int_equal (o.v[8], geteuid ());
  assert_int_equal (o.v[9], -64);
  assert_int_equal (o.v[10], getegid ());
  assert_int_equal (o.v[11], -65);
  assert_true (o.v[12] > 0);
  assert_int_equal (o.v[13], -66);
  assert_true (o.v[14] > 0);
}

/* ---- killing and trapping ---- */

static void
body_getppid (int out, const sk_seccomp_prog *p, void *data)
{
  child_load (p);
  report (out, 1);
  report (out, res (syscall (SYS_getppid)));
}

static void
expect_killed (const char *action)
{
  char json[256];
  snprintf (json, sizeof json,
            "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['getppid'], 'action': "
            "'%s'}]}",
            action);
  _cleanup_prog_ sk_seccomp_prog *p = compile_ok (json);
  outcome o;
  run_child (body_getppid, p, NULL, &o);
  assert_int_equal (o.n, 1); /* loaded, then died in getppid */
  if (!WIFSIGNALED (o.status) || WTERMSIG (o.status) != SIGSYS)
    fail_msg ("%s: child status 0x%x, want killed by SIGSYS", action, o.status);
}

static void
test_kill (void **state)
{
  expect_killed ("SCMP_ACT_KILL_PROCESS");
  expect_killed ("SCMP_ACT_KILL_THREAD");
  expect_killed ("SCMP_ACT_KILL");
}

static volatile sig_atomic_t trapped_syscall = -1, trapped_code = -1;

static void
on_sigsys (int sig, siginfo_t *si, void *uc)
{
  trapped_syscall = si->si_syscall;
  trapped_code = si->si_code;
}

static void
body_trap (int out, const sk_seccomp_prog *p, void *data)
{
  struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
  sigaction (SIGSYS, &sa, NULL);
  child_load (p);
  syscall (SYS_getppid);
  report (out, trapped_syscall);
  report (out, trapped_code);
}

static void
test_trap (void **state)
{
  _cleanup_prog_ sk_seccomp_prog *p = compile_ok (
      "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['getppid'], 'action': "
      "'SCMP_ACT_TRAP'}]}");
  outcome o;
  run_child (body_trap, p, NULL, &o);
  assert_exited_ok (&o);
  assert_int_equal (o.n, 2);
  assert_int_equal (o.v[0], SYS_getppid);
  assert_int_equal (o.v[1], 1 /* SYS_SECCOMP */);
}

static void
test_trace_without_tracer (void **state)
{
  /* with no tracer, a TRACE rule fails the syscall with ENOSYS */
  _cleanup_prog_ sk_seccomp_prog *p = compile_ok (
      "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['getppid'], 'action': "
      "'SCMP_ACT_TRACE', 'errnoRet': 7}]}");
  outcome o;
  run_child (body_getppid, p, NULL, &o);
  assert_exited_ok (&o);
  assert_int_equal (o.n, 2);
  assert_int_equal (o.v[1], -ENOSYS);
}

/* ---- flags ---- */

static void
test_log_flags (void **state)
{
  _cleanup_prog_ sk_seccomp_prog *p =
      compile_ok ("{'defaultAction': 'SCMP_ACT_ALLOW', 'flags': ['SECCOMP_FILTER_FLAG_LOG', "
                  "'SECCOMP_FILTER_FLAG_SPEC_ALLOW'], 'syscalls': ["
                  "{'names': ['getppid'], 'action': 'SCMP_ACT_LOG'},"
                  "{'names': ['uname'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 21}]}");
  outcome o;
  run_child (body_getppid, p, NULL, &o);
  assert_exited_ok (&o);
  assert_int_equal (o.v[1], getpid ()); /* logged, allowed */
  run_child (body_getpid_uname, p, NULL, &o);
  assert_exited_ok (&o);
  assert_int_equal (o.v[1], -21);
}

typedef struct tsync_state {
  int go[2];
  int out;
} tsync_state;

static void *
tsync_thread (void *arg)
{
  tsync_state *t = arg;
  char c;
  if (read (t->go[0], &c, 1) != 1)
    return NULL;
  struct utsname u;
  report (t->out, res (syscall (SYS_uname, &u)));
  return NULL;
}

/* A second thread exists before the filter is loaded; it calls uname after. */
static void
body_tsync (int out, const sk_seccomp_prog *p, void *data)
{
  tsync_state t = {.out = out};
  if (pipe (t.go) < 0)
    _exit (103);
  pthread_t th;
  if (pthread_create (&th, NULL, tsync_thread, &t) != 0)
    _exit (104);
  child_load (p);
  struct utsname u;
  report (out, res (syscall (SYS_uname, &u)));
  if (write (t.go[1], "x", 1) != 1)
    _exit (105);
  pthread_join (th, NULL);
}

static void
test_tsync (void **state)
{
  const char *rule = "'syscalls': [{'names': ['uname'], 'action': 'SCMP_ACT_ERRNO', "
                     "'errnoRet': 55}]}";
  char json[512];
  snprintf (json, sizeof json,
            "{'defaultAction': 'SCMP_ACT_ALLOW', 'flags': ['SECCOMP_FILTER_FLAG_TSYNC'], %s", rule);
  _cleanup_prog_ sk_seccomp_prog *with = compile_ok (json);
  snprintf (json, sizeof json, "{'defaultAction': 'SCMP_ACT_ALLOW', %s", rule);
  _cleanup_prog_ sk_seccomp_prog *without = compile_ok (json);
  outcome o;
  run_child (body_tsync, with, NULL, &o);
  assert_exited_ok (&o);
  assert_int_equal (o.n, 2);
  assert_int_equal (o.v[0], -55);
  assert_int_equal (o.v[1], -55); /* the other thread got the filter too */
  run_child (body_tsync, without, NULL, &o);
  assert_exited_ok (&o);
  assert_int_equal (o.n, 2);
  assert_int_equal (o.v[0], -55);
  assert_int_equal (o.v[1], 0); /* only the loading thread is filtered */
}

/* ---- notify ---- */

static int
send_fd (int sock, int fd)
{
  char c = 'f';
  struct iovec iov = {.iov_base = &c, .iov_len = 1};
  union {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u = {0};
  struct msghdr msg = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  struct cmsghdr *cm = CMSG_FIRSTHDR (&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cm), &fd, sizeof fd);
  return sendmsg (sock, &msg, 0) == 1 ? 0 : -1;
}

static int
recv_fd (int sock)
{
  char c;
  struct iovec iov = {.iov_base = &c, .iov_len = 1};
  union {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = {
      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  if (recvmsg (sock, &msg, MSG_CMSG_CLOEXEC) != 1)
    return -1;
  struct cmsghdr *cm = CMSG_FIRSTHDR (&msg);
  if (cm == NULL || cm->cmsg_type != SCM_RIGHTS)
    return -1;
  int fd;
  memcpy (&fd, CMSG_DATA (cm), sizeof fd);
  return fd;
}

static int notify_sock[2] = {-1, -1};

static void
body_notify (int out, const sk_seccomp_prog *p, void *data)
{
  close (notify_sock[0]);
  int fd = child_load (p);
  report (out, fd >= 0);
  if (send_fd (notify_sock[1], fd) < 0)
    _exit (106);
  close (fd);
  report (out, res (syscall (SYS_getppid)));
}

/* Plays the supervisor: answers the child's getppid with 4242. */
static void *
supervise (void *arg)
{
  int fd = recv_fd (notify_sock[0]);
  if (fd < 0)
    return (void *) "no listener fd received";
  struct pollfd pfd = {.fd = fd, .events = POLLIN};
  if (poll (&pfd, 1, 10000) != 1 || !(pfd.revents & POLLIN)) {
    close (fd);
    return (void *) "no notification";
  }
  struct seccomp_notif req = {0};
  if (ioctl (fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
    close (fd);
    return (void *) "SECCOMP_IOCTL_NOTIF_RECV failed";
  }
  const char *msg = NULL;
  if (req.data.nr != SYS_getppid)
    msg = "notified of another syscall";
  struct seccomp_notif_resp resp = {.id = req.id, .val = 4242};
  if (ioctl (fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0)
    msg = "SECCOMP_IOCTL_NOTIF_SEND failed";
  close (fd);
  return (void *) msg;
}

static void
run_notify (const char *json)
{
  _cleanup_prog_ sk_seccomp_prog *p = compile_ok (json);
  assert_true (sk_seccomp_uses_notify (p));
  assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, notify_sock), 0);
  pthread_t th;
  assert_int_equal (pthread_create (&th, NULL, supervise, NULL), 0);
  outcome o;
  run_child (body_notify, p, NULL, &o);
  close (notify_sock[1]); /* unblocks the supervisor if the child sent nothing */
  void *msg;
  pthread_join (th, &msg);
  close (notify_sock[0]);
  if (msg)
    fail_msg ("supervisor: %s", (const char *) msg);
  assert_exited_ok (&o);
  assert_int_equal (o.n, 2);
  assert_int_equal (o.v[0], 1);
  assert_int_equal (o.v[1], 4242);
}

static void
test_notify (void **state)
{
  run_notify ("{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['getppid'], "
              "'action': 'SCMP_ACT_NOTIFY'}]}");
  /* a listener with TSYNC, and one whose waits are killable */
  run_notify ("{'defaultAction': 'SCMP_ACT_ALLOW', 'flags': ['SECCOMP_FILTER_FLAG_TSYNC', "
              "'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'], 'syscalls': [{'names': ['getppid'], "
              "'action': 'SCMP_ACT_NOTIFY'}]}");
}

static void
body_no_listener (int out, const sk_seccomp_prog *p, void *data)
{
  report (out, child_load (p));
}

static void
test_no_listener_without_notify (void **state)
{
  _cleanup_prog_ sk_seccomp_prog *p = compile_ok ("{'defaultAction': 'SCMP_ACT_ALLOW'}");
  outcome o;
  run_child (body_no_listener, p, NULL, &o);
  assert_exited_ok (&o);
  assert_int_equal (o.n, 1);
  assert_int_equal (o.v[0], -1);
}

/* ---- architectures and errors ---- */

static void
test_architectures (void **state)
{
  _cleanup_prog_ sk_seccomp_prog *p = compile_ok (
      "{'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', "
      "'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'], 'syscalls': [{'names': ['uname', "
      "'socketcall'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 12}]}");
  outcome o;
  run_child (body_getpid_uname, p, NULL, &o);
  assert_exited_ok (&o);
  assert_int_equal (o.v[0], o.v[2]);
  assert_int_equal (o.v[1], -12);
}

static void
test_errors (void **state)
{
  expect_compile_error ("{'defaultAction': 'SCMP_ACT_ALLOW', 'architectures': ['SCMP_ARCH_X86_64', "
                        "'SCMP_ARCH_VAX']}",
                        "linux.seccomp.architectures: unknown architecture `SCMP_ARCH_VAX`");
  expect_compile_error (
      "{'defaultAction': 'SCMP_ACT_ALLOW', 'flags': ['SECCOMP_FILTER_FLAG_BOGUS']}",
      "linux.seccomp.flags: unknown flag `SECCOMP_FILTER_FLAG_BOGUS`");
  expect_compile_error ("{'defaultAction': 'SCMP_ACT_ALLOW', 'flags': "
                        "['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV']}",
                        "linux.seccomp.flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs a rule "
                        "with SCMP_ACT_NOTIFY");
  expect_compile_error (
      "{'defaultAction': 'SCMP_ACT_NOTIFY'}",
      "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
  expect_compile_error ("{'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': 70000}",
                        "linux.seccomp.defaultAction: errno 70000 is out of range (at most 65535)");
  expect_compile_error (
      "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['uname'], "
      "'action': 'SCMP_ACT_ERRNO'}, {'names': ['getppid'], 'action': 'SCMP_ACT_ERRNO', "
      "'errnoRet': 65536}]}",
      "linux.seccomp.syscalls[1].action: errno 65536 is out of range (at most 65535)");

  /* what the parser cannot produce, built directly */
  sk_spec_seccomp_arg arg = {.index = 6, .value = 1, .op = SK_SCMP_EQ};
  char *names[] = {"getppid", NULL};
  sk_spec_syscall call = {.names = names, .action = SK_SCMP_ACT_ERRNO, .args = &arg, .n_args = 1};
  sk_spec_seccomp sc = {.default_action = SK_SCMP_ACT_ALLOW, .syscalls = &call, .n_syscalls = 1};
  sk_seccomp_prog *p = NULL;
  _cleanup_err_ sk_err *err = NULL;
  assert_int_equal (sk_seccomp_compile (&sc, &p, &err), -1);
  assert_string_equal (err->msg, "linux.seccomp.syscalls[0].args[0].index: 6 is not an argument "
                                 "index (0..5)");
  sk_err_free (&err);
  arg.index = 0;
  arg.op = 42;
  assert_int_equal (sk_seccomp_compile (&sc, &p, &err), -1);
  assert_string_equal (err->msg, "linux.seccomp.syscalls[0].args[0].op: unknown operator 42");
  sk_err_free (&err);
  sc.default_action = 99;
  assert_int_equal (sk_seccomp_compile (&sc, &p, &err), -1);
  assert_string_equal (err->msg, "linux.seccomp.defaultAction: unknown action 99");
  assert_null (p);
}

static bool
in_list (const char *const *list, const char *s)
{
  for (; *list; list++)
    if (strcmp (*list, s) == 0)
      return true;
  return false;
}

static size_t
list_len (const char *const *list)
{
  size_t n = 0;
  while (list[n])
    n++;
  return n;
}

static void
test_known_lists (void **state)
{
  assert_int_equal (list_len (sk_seccomp_known_actions ()), 9);
  assert_true (in_list (sk_seccomp_known_actions (), "SCMP_ACT_KILL_PROCESS"));
  assert_true (in_list (sk_seccomp_known_actions (), "SCMP_ACT_NOTIFY"));
  assert_int_equal (list_len (sk_seccomp_known_operators ()), 7);
  assert_true (in_list (sk_seccomp_known_operators (), "SCMP_CMP_MASKED_EQ"));
  assert_true (list_len (sk_seccomp_known_archs ()) >= 19);
  assert_true (in_list (sk_seccomp_known_archs (), "SCMP_ARCH_X86_64"));
  assert_true (in_list (sk_seccomp_known_archs (), "SCMP_ARCH_RISCV64"));
  assert_true (in_list (sk_seccomp_known_archs (), "SCMP_ARCH_MIPSEL64N32"));
  assert_int_equal (list_len (sk_seccomp_known_flags ()), 4);
  assert_true (in_list (sk_seccomp_known_flags (), "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"));
  /* every name listed compiles */
  for (const char *const *a = sk_seccomp_known_archs (); *a; a++) {
    char *archs[] = {(char *) *a, NULL};
    sk_spec_seccomp sc = {.default_action = SK_SCMP_ACT_ALLOW, .architectures = archs};
    sk_seccomp_prog *p = NULL;
    _cleanup_err_ sk_err *err = NULL;
    if (sk_seccomp_compile (&sc, &p, &err) < 0)
      fail_msg ("%s: %s", *a, err->msg);
    sk_seccomp_prog_free (p);
  }
}

/* ---- a Docker-like profile: behaviour and timings ---- */

/* Denied by default in Docker's profile, or allowed only under conditions. */
static const char not_plain[] =
    " acct add_key bpf clock_adjtime clock_settime clone clone3 create_module delete_module"
    " finit_module fsconfig fsmount fsopen fspick get_kernel_syms get_mempolicy init_module"
    " ioperm iopl kcmp kexec_file_load kexec_load keyctl lookup_dcookie mbind mount"
    " mount_setattr move_mount move_pages name_to_handle_at nfsservctl open_by_handle_at"
    " open_tree perf_event_open personality pivot_root process_vm_readv process_vm_writev"
    " ptrace query_module quotactl quotactl_fd reboot request_key set_mempolicy setdomainname"
    " sethostname setns settimeofday socket swapoff swapon sysfs _sysctl syslog umount umount2"
    " unshare uselib userfaultfd ustat vhangup vm86 vm86old fanotify_init pidfd_getfd tuxcall"
    " security afs_syscall putpmsg getpmsg vserver ";

static bool
is_plain (const char *name)
{
  char word[64];
  snprintf (word, sizeof word, " %s ", name);
  return strstr (not_plain, word) == NULL;
}

/* Allows every native syscall libseccomp knows but the ones above, a few
 * names of other architectures and one of no kernel, with Docker's
 * conditional rules for personality, clone, clone3 and socket. */
static char *
docker_like_profile (size_t *n_names)
{
  sk_strbuf b = SK_STRBUF_INIT;
  sk_strbuf_puts (&b, "{'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': 1, "
                      "'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], "
                      "'syscalls': [{'names': [");
  size_t n = 0;
  for (int nr = 0; nr < 1024; nr++) {
    char *name = seccomp_syscall_resolve_num_arch (SCMP_ARCH_NATIVE, nr);
    if (name && is_plain (name)) {
      sk_strbuf_printf (&b, "%s'%s'", n ? ", " : "", name);
      n++;
    }
    free (name);
  }
  const char *others[] = {"arm_fadvise64_64",
                          "arm_sync_file_range",
                          "breakpoint",
                          "cacheflush",
                          "set_tls",
                          "socketcall",
                          "ipc",
                          "waitpid",
                          "_llseek",
                          "_newselect",
                          "sigreturn",
                          "riscv_flush_icache",
                          "s390_pci_mmio_read",
                          "skiff_future_syscall"};
  for (size_t i = 0; i < SK_N_ELEMENTS (others); i++)
    sk_strbuf_printf (&b, ", '%s'", others[i]);
  n += SK_N_ELEMENTS (others);
  sk_strbuf_puts (&b, "], 'action': 'SCMP_ACT_ALLOW'}");
  const unsigned long personas[] = {0, 8, 0x20000, 0x20008, 0xffffffff};
  for (size_t i = 0; i < SK_N_ELEMENTS (personas); i++)
    sk_strbuf_printf (&b,
                      ", {'names': ['personality'], 'action': 'SCMP_ACT_ALLOW', 'args': "
                      "[{'index': 0, 'value': %lu, 'op': 'SCMP_CMP_EQ'}]}",
                      personas[i]);
  /* clone without namespace flags; clone3 is ENOSYS so that libc falls back to clone */
  sk_strbuf_printf (&b, ", {'names': ['clone'], 'action': 'SCMP_ACT_ALLOW', 'args': [{'index': 0, "
                        "'value': 2114060288, 'op': 'SCMP_CMP_MASKED_EQ'}]}");
  sk_strbuf_printf (&b, ", {'names': ['clone3'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 38}");
  sk_strbuf_printf (&b, ", {'names': ['socket'], 'action': 'SCMP_ACT_ALLOW', 'args': [{'index': 0, "
                        "'value': 40, 'op': 'SCMP_CMP_NE'}]}");
  sk_strbuf_puts (&b, "]}");
  *n_names = n;
  return sk_strbuf_detach (&b);
}

static void
body_docker (int out, const sk_seccomp_prog *p, void *data)
{
  child_load (p);
  report (out, res (syscall (SYS_getpid)) > 0);
  report (out, res (syscall (SYS_personality, 0xffffffffUL)) >= 0);
  report (out, res (syscall (SYS_personality, 4UL))); /* not listed */
  report (out, res (unshare (CLONE_NEWUTS)));
  report (out, res (syscall (SYS_mount, "none", "/", "tmpfs", 0UL, NULL)));
  report (out, res (syscall (SYS_clone, (unsigned long) (CLONE_NEWUSER | SIGCHLD), NULL, NULL, NULL,
                             NULL)));
  report (out, res (syscall (SYS_socket, 40 /* AF_VSOCK */, SOCK_STREAM, 0)));
  int s = socket (AF_UNIX, SOCK_STREAM, 0);
  report (out, s >= 0);
  pid_t pid = fork (); /* clone without namespace flags */
  if (pid == 0)
    _exit (7);
  int status = 0;
  report (out, pid > 0 && waitpid (pid, &status, 0) == pid && WIFEXITED (status) &&
                   WEXITSTATUS (status) == 7);
}

static void
check_docker_behaviour (const sk_seccomp_prog *p)
{
  outcome o;
  run_child (body_docker, p, NULL, &o);
  assert_exited_ok (&o);
  assert_int_equal (o.n, 9);
  assert_int_equal (o.v[0], 1);
  assert_int_equal (o.v[1], 1);
  assert_int_equal (o.v[2], -EPERM);
  assert_int_equal (o.v[3], -EPERM);
  assert_int_equal (o.v[4], -EPERM);
  assert_int_equal (o.v[5], -EPERM);
  assert_int_equal (o.v[6], -EPERM);
  assert_int_equal (o.v[7], 1);
  assert_int_equal (o.v[8], 1);
}

static double
now_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static char cache_base[] = "/tmp/skiff-test-seccomp.XXXXXX";

static void
cache_path (char *buf, size_t size, const char *sub)
{
  snprintf (buf, size, "%s/%s", cache_base, sub);
}

/* The one file in dir (the tests use one profile per directory). */
static void
only_file (const char *dir, char *path, size_t size)
{
  _cleanup_closedir_ DIR *d = opendir (dir);
  assert_non_null (d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir (d)))
    if (e->d_name[0] != '.') {
      snprintf (path, size, "%s/%s", dir, e->d_name);
      n++;
    }
  assert_int_equal (n, 1);
}

static sk_seccomp_prog *
compile_cached_ok (const sk_spec_seccomp *sc, const char *dir)
{
  sk_seccomp_prog *p = NULL;
  _cleanup_err_ sk_err *err = NULL;
  if (sk_seccomp_compile_cached (sc, dir, &p, &err) < 0)
    fail_msg ("compile: %s", err->msg);
  return p;
}

static void
test_docker_profile_timings (void **state)
{
  size_t n_names = 0;
  _cleanup_free_ char *json = docker_like_profile (&n_names);
  _cleanup_spec_ sk_spec *s = parse_profile (json);
  const sk_spec_seccomp *sc = s->linux_.seccomp;
  assert_true (n_names >= 300);

  enum { RUNS = 21, CACHED_RUNS = 201 };
  double t[CACHED_RUNS];
  for (int i = 0; i < RUNS; i++) {
    double t0 = now_us ();
    sk_seccomp_prog *p = NULL;
    _cleanup_err_ sk_err *err = NULL;
    if (sk_seccomp_compile (sc, &p, &err) < 0)
      fail_msg ("compile: %s", err->msg);
    t[i] = now_us () - t0;
    if (i == 0)
      check_docker_behaviour (p);
    sk_seccomp_prog_free (p);
  }
  qsort (t, RUNS, sizeof *t, cmp_double);
  double uncached = t[RUNS / 2];
  print_message ("docker-like profile (%zu names, 3 archs): sk_seccomp_compile median %.0f us "
                 "(min %.0f, max %.0f)\n",
                 n_names, uncached, t[0], t[RUNS - 1]);

  char dir[256];
  cache_path (dir, sizeof dir, "timings");
  double t0 = now_us ();
  sk_seccomp_prog *first = compile_cached_ok (sc, dir);
  double miss = now_us () - t0;
  sk_seccomp_prog_free (first);
  for (int i = 0; i < CACHED_RUNS; i++) {
    t0 = now_us ();
    sk_seccomp_prog *p = compile_cached_ok (sc, dir);
    t[i] = now_us () - t0;
    if (i == 0)
      check_docker_behaviour (p);
    sk_seccomp_prog_free (p);
  }
  qsort (t, CACHED_RUNS, sizeof *t, cmp_double);
  print_message ("docker-like profile: sk_seccomp_compile_cached miss %.0f us, hit median %.1f us "
                 "(min %.1f, max %.1f)\n",
                 miss, t[CACHED_RUNS / 2], t[0], t[CACHED_RUNS - 1]);
  /* a hit reads one small file; it must beat compiling by far */
  assert_true (t[CACHED_RUNS / 2] * 3 < uncached);
}

/* ---- the cache ---- */

#define CACHE_PROFILE                                                                              \
  "{'defaultAction': 'SCMP_ACT_ERRNO', 'defaultErrnoRet': 13, 'syscalls': [" BASICS                \
  ", {'names': ['getpid'], 'action': 'SCMP_ACT_ALLOW'}]}"

static void
check_cache_profile (const sk_seccomp_prog *p)
{
  outcome o;
  run_child (body_getpid_uname, p, NULL, &o);
  assert_exited_ok (&o);
  assert_int_equal (o.n, 3);
  assert_int_equal (o.v[0], o.v[2]);
  assert_int_equal (o.v[1], -EACCES);
}

static ino_t
inode_of (const char *path)
{
  struct stat st;
  assert_int_equal (stat (path, &st), 0);
  return st.st_ino;
}

static void
test_cache_hit (void **state)
{
  _cleanup_spec_ sk_spec *s = parse_profile (CACHE_PROFILE);
  char dir[256], file[512];
  cache_path (dir, sizeof dir, "hit/sub"); /* parent missing: no cache, still compiles */
  _cleanup_prog_ sk_seccomp_prog *p0 = compile_cached_ok (s->linux_.seccomp, dir);
  check_cache_profile (p0);
  struct stat st;
  assert_int_equal (stat (dir, &st), -1);

  cache_path (dir, sizeof dir, "hit");
  _cleanup_prog_ sk_seccomp_prog *p1 = compile_cached_ok (s->linux_.seccomp, dir);
  assert_int_equal (stat (dir, &st), 0);
  assert_int_equal (st.st_mode & 0777, 0700);
  only_file (dir, file, sizeof file);
  ino_t ino = inode_of (file);
  assert_int_equal (stat (file, &st), 0);
  assert_int_equal (st.st_mode & 0777, 0600);

  /* a hit: the file is read, not written again */
  _cleanup_prog_ sk_seccomp_prog *p2 = compile_cached_ok (s->linux_.seccomp, dir);
  assert_int_equal (inode_of (file), ino);
  only_file (dir, file, sizeof file);
  check_cache_profile (p1);
  check_cache_profile (p2);

  /* the same profile written differently is the same input */
  _cleanup_spec_ sk_spec *s2 = parse_profile (
      "{  'syscalls': [" BASICS ", {'action': 'SCMP_ACT_ALLOW', 'names': ['getpid']}],"
      "   'defaultErrnoRet': 13, 'defaultAction': 'SCMP_ACT_ERRNO'}");
  _cleanup_prog_ sk_seccomp_prog *p3 = compile_cached_ok (s2->linux_.seccomp, dir);
  assert_non_null (p3);
  assert_int_equal (inode_of (file), ino);
  only_file (dir, file, sizeof file);

  /* flags are not part of the program; they still come from the profile */
  _cleanup_spec_ sk_spec *s3 = parse_profile (
      "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['uname'], 'action': "
      "'SCMP_ACT_ERRNO', 'errnoRet': 55}]}");
  _cleanup_spec_ sk_spec *s4 = parse_profile (
      "{'defaultAction': 'SCMP_ACT_ALLOW', 'flags': ['SECCOMP_FILTER_FLAG_TSYNC'], 'syscalls': "
      "[{'names': ['uname'], 'action': 'SCMP_ACT_ERRNO', 'errnoRet': 55}]}");
  cache_path (dir, sizeof dir, "flags");
  _cleanup_prog_ sk_seccomp_prog *without = compile_cached_ok (s3->linux_.seccomp, dir);
  _cleanup_prog_ sk_seccomp_prog *with = compile_cached_ok (s4->linux_.seccomp, dir);
  only_file (dir, file, sizeof file);
  outcome o;
  run_child (body_tsync, with, NULL, &o);
  assert_exited_ok (&o);
  assert_int_equal (o.v[1], -55);
  run_child (body_tsync, without, NULL, &o);
  assert_exited_ok (&o);
  assert_int_equal (o.v[1], 0);
}

/* A cache miss builds the program in a child process: its errors come back
 * whole, the same as those of sk_seccomp_compile. */
static void
test_cache_miss_error (void **state)
{
  _cleanup_spec_ sk_spec *s = parse_profile (
      "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': ["
      "{'names': ['kill'], 'action': 'SCMP_ACT_ERRNO', 'args': [{'index': 1, 'value': 9, 'op': "
      "'SCMP_CMP_EQ'}]},"
      "{'names': ['kill'], 'action': 'SCMP_ACT_KILL', 'args': [{'index': 1, 'value': 9, 'op': "
      "'SCMP_CMP_EQ'}]}]}");
  char dir[256];
  cache_path (dir, sizeof dir, "miss-error");
  _cleanup_err_ sk_err *direct = NULL, *cached = NULL;
  sk_seccomp_prog *p = NULL;
  assert_int_equal (sk_seccomp_compile (s->linux_.seccomp, &p, &direct), -1);
  assert_int_equal (sk_seccomp_compile_cached (s->linux_.seccomp, dir, &p, &cached), -1);
  assert_null (p);
  assert_string_equal (cached->msg, direct->msg);
  assert_int_equal (cached->errnum, direct->errnum);
  assert_non_null (strstr (cached->msg, "conflicts with an earlier one"));
}

static void
rewrite_file (const char *path, void (*change) (char *data, size_t *len))
{
  char *data = NULL;
  size_t len = 0;
  _cleanup_err_ sk_err *err = NULL;
  assert_int_equal (sk_read_file (path, &data, &len, &err), 0);
  change (data, &len);
  FILE *f = fopen (path, "w");
  assert_non_null (f);
  assert_int_equal (fwrite (data, 1, len, f), len);
  fclose (f);
  free (data);
}

static void
flip_last_byte (char *data, size_t *len)
{
  data[*len - 1] ^= 0x40;
}

static void
truncate_half (char *data, size_t *len)
{
  *len /= 2;
}

static void
flip_canonical_byte (char *data, size_t *len)
{
  data[40] ^= 1; /* just past the header */
}

static void
expect_rejected (const sk_spec_seccomp *sc, const char *dir, const char *file)
{
  ino_t before = inode_of (file);
  _cleanup_prog_ sk_seccomp_prog *p = compile_cached_ok (sc, dir);
  check_cache_profile (p);
  /* compiled again and written anew */
  assert_true (inode_of (file) != before);
}

static void
test_cache_corrupted (void **state)
{
  _cleanup_spec_ sk_spec *s = parse_profile (CACHE_PROFILE);
  const sk_spec_seccomp *sc = s->linux_.seccomp;
  char dir[256], file[512];
  cache_path (dir, sizeof dir, "corrupt");
  sk_seccomp_prog_free (compile_cached_ok (sc, dir));
  only_file (dir, file, sizeof file);

  rewrite_file (file, flip_last_byte); /* the program: checksum */
  expect_rejected (sc, dir, file);
  rewrite_file (file, truncate_half);
  expect_rejected (sc, dir, file);
  rewrite_file (file, flip_canonical_byte);
  expect_rejected (sc, dir, file);
  /* empty */
  FILE *f = fopen (file, "w");
  fclose (f);
  expect_rejected (sc, dir, file);
  /* writable by others: not trusted */
  assert_int_equal (chmod (file, 0666), 0);
  expect_rejected (sc, dir, file);
  struct stat st;
  assert_int_equal (stat (file, &st), 0);
  assert_int_equal (st.st_mode & 0777, 0600);
  /* a symlink at the name is not followed */
  char target[600];
  snprintf (target, sizeof target, "%s.target", file);
  assert_int_equal (rename (file, target), 0);
  assert_int_equal (symlink (target, file), 0);
  expect_rejected (sc, dir, file);
  assert_int_equal (unlink (target), 0);
  only_file (dir, file, sizeof file);
}

static void
copy_file (const char *from, const char *to)
{
  char *data = NULL;
  size_t len = 0;
  _cleanup_err_ sk_err *err = NULL;
  assert_int_equal (sk_read_file (from, &data, &len, &err), 0);
  FILE *f = fopen (to, "w");
  assert_non_null (f);
  assert_int_equal (fwrite (data, 1, len, f), len);
  fclose (f);
  free (data);
}

static void
test_cache_collision (void **state)
{
  /* another profile's valid file under this profile's name, as a hash
   * collision would leave it: the stored input differs, so it is not used */
  _cleanup_spec_ sk_spec *a = parse_profile (
      "{'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['uname'], 'action': "
      "'SCMP_ACT_ERRNO', 'errnoRet': 99}]}");
  _cleanup_spec_ sk_spec *b = parse_profile (CACHE_PROFILE);
  char dir_a[256], dir_b[256], file_a[512], file_b[512];
  cache_path (dir_a, sizeof dir_a, "collide-a");
  cache_path (dir_b, sizeof dir_b, "collide-b");
  sk_seccomp_prog_free (compile_cached_ok (a->linux_.seccomp, dir_a));
  sk_seccomp_prog_free (compile_cached_ok (b->linux_.seccomp, dir_b));
  only_file (dir_a, file_a, sizeof file_a);
  only_file (dir_b, file_b, sizeof file_b);
  copy_file (file_a, file_b);
  expect_rejected (b->linux_.seccomp, dir_b, file_b);
}

static int
setup (void **state)
{
  return mkdtemp (cache_base) ? 0 : -1;
}

static int
teardown (void **state)
{
  sk_err *err = NULL;
  int r = sk_remove_tree_at (AT_FDCWD, cache_base, &err);
  sk_err_free (&err);
  return r < 0 ? -1 : 0;
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_default_errno),
      cmocka_unit_test (test_default_errno_eperm),
      cmocka_unit_test (test_rule_errno),
      cmocka_unit_test (test_unknown_syscall_skipped),
      cmocka_unit_test (test_args_same_index_or),
      cmocka_unit_test (test_args_and_across_indexes),
      cmocka_unit_test (test_operators),
      cmocka_unit_test (test_kill),
      cmocka_unit_test (test_trap),
      cmocka_unit_test (test_trace_without_tracer),
      cmocka_unit_test (test_log_flags),
      cmocka_unit_test (test_tsync),
      cmocka_unit_test (test_notify),
      cmocka_unit_test (test_no_listener_without_notify),
      cmocka_unit_test (test_architectures),
      cmocka_unit_test (test_errors),
      cmocka_unit_test (test_known_lists),
      cmocka_unit_test (test_docker_profile_timings),
      cmocka_unit_test (test_cache_hit),
      cmocka_unit_test (test_cache_miss_error),
      cmocka_unit_test (test_cache_corrupted),
      cmocka_unit_test (test_cache_collision),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
