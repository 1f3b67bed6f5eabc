/* skiff: seccomp filters from linux.seccomp.
 *
 * The runtime compiles the profile to classic BPF with libseccomp
 * (sk_seccomp_compile); the container process then loads the stored program
 * with one seccomp(2) call (sk_seccomp_load), with no libseccomp work left.
 *
 * sk_seccomp_compile_cached keeps compiled programs in a directory. A file is
 * named after a 64-bit hash of the canonical input (everything the program
 * depends on: the profile as libseccomp sees it, the libseccomp version, its
 * API level and the native architecture) and holds that whole canonical input
 * too: a file is used only when its input is byte for byte the one asked for,
 * so a hash collision can never load another profile's filter. Anything odd
 * in a cache file (size, magic, checksum, owner) makes it a miss.
 *
 * libseccomp 2.5.4 (Debian 12's) never returns from seccomp_rule_add for some
 * sets of rules: two rules for one syscall that share a comparison other than
 * == on one argument and compare a later one differently (a case the fuzz
 * target found). So that a profile cannot hang the runtime, the cached path
 * builds a program it has not seen in a child process given BUILD_TIMEOUT_S.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "seccomp.h"
#include "util/cleanup.h"
#include "util/proc.h"
#include "util/strbuf.h"

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* Bump when anything changes the program built from the same input (the
 * libseccomp attributes set below, the rule expansion...): old cache files
 * then simply stop matching. */
#define CANON_TAG "skiff-seccomp-2"

#define N_ARGS 6

struct sk_seccomp_prog {
  struct sock_filter *insns;
  size_t n_insns;
  unsigned int flags; /* SECCOMP_FILTER_FLAG_* named by the profile */
  bool notify;        /* the profile uses SCMP_ACT_NOTIFY */
};

/* ---- names ---- */

static const char *const action_names[] = {
    "SCMP_ACT_KILL",        "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
    "SCMP_ACT_ERRNO",       "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW",       "SCMP_ACT_LOG",
    "SCMP_ACT_NOTIFY",      NULL,
};

static const char *const operator_names[] = {
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL,
};

static const enum scmp_compare operators[] = {
    [SK_SCMP_NE] = SCMP_CMP_NE,
    [SK_SCMP_LT] = SCMP_CMP_LT,
    [SK_SCMP_LE] = SCMP_CMP_LE,
    [SK_SCMP_EQ] = SCMP_CMP_EQ,
    [SK_SCMP_GE] = SCMP_CMP_GE,
    [SK_SCMP_GT] = SCMP_CMP_GT,
    [SK_SCMP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

/* The architectures, as SCMP_ARCH_<name>; the newer ones only when the
 * libseccomp the runtime is built with knows them. */
#ifdef SCMP_ARCH_LOONGARCH64
#define ARCHS_LOONGARCH(X) X (LOONGARCH64)
#else
#define ARCHS_LOONGARCH(X)
#endif
#ifdef SCMP_ARCH_M68K
#define ARCHS_M68K(X) X (M68K)
#else
#define ARCHS_M68K(X)
#endif
#ifdef SCMP_ARCH_SH
#define ARCHS_SH(X) X (SH) X (SHEB)
#else
#define ARCHS_SH(X)
#endif
#define ARCHS(X)                                                                                   \
  X (X86)                                                                                          \
  X (X86_64)                                                                                       \
  X (X32)                                                                                          \
  X (ARM)                                                                                          \
  X (AARCH64)                                                                                      \
  X (MIPS)                                                                                         \
  X (MIPS64)                                                                                       \
  X (MIPS64N32)                                                                                    \
  X (MIPSEL)                                                                                       \
  X (MIPSEL64)                                                                                     \
  X (MIPSEL64N32)                                                                                  \
  X (PPC)                                                                                          \
  X (PPC64)                                                                                        \
  X (PPC64LE)                                                                                      \
  X (S390)                                                                                         \
  X (S390X)                                                                                        \
  X (PARISC)                                                                                       \
  X (PARISC64)                                                                                     \
  X (RISCV64)                                                                                      \
  ARCHS_LOONGARCH (X)                                                                              \
  ARCHS_M68K (X)                                                                                   \
  ARCHS_SH (X)

#define ARCH_NAME(a)  "SCMP_ARCH_" #a,
#define ARCH_TOKEN(a) SCMP_ARCH_##a,
static const char *const arch_names[] = {ARCHS (ARCH_NAME) NULL};
static const uint32_t arch_tokens[] = {ARCHS (ARCH_TOKEN)};

static const struct {
  const char *name;
  unsigned int flag;
} flags_table[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

static const char *const flag_names[] = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    NULL,
};

const char *const *
sk_seccomp_known_actions (void)
{
  return action_names;
}

const char *const *
sk_seccomp_known_operators (void)
{
  return operator_names;
}

const char *const *
sk_seccomp_known_archs (void)
{
  return arch_names;
}

const char *const *
sk_seccomp_known_flags (void)
{
  return flag_names;
}

/* ---- the plan: the profile checked and turned into libseccomp values ---- */

typedef struct plan {
  uint32_t default_act;
  uint32_t *arch_tokens;
  size_t n_archs;
  uint32_t *acts; /* one per syscalls[] entry */
  unsigned int flags;
  bool notify;
} plan;

static void
plan_clear (plan *p)
{
  free (p->arch_tokens);
  free (p->acts);
  *p = (plan){0};
}

#define _cleanup_plan_ __attribute__ ((cleanup (plan_clear)))

/* The libseccomp action for a spec action; ERRNO and TRACE carry errnoRet
 * (EPERM when it is absent). */
static int
action_value (int action, bool errno_set, uint32_t errno_ret, const char *what, uint32_t *out,
              sk_err **err)
{
  uint32_t data = errno_set ? errno_ret : EPERM;
  if ((action == SK_SCMP_ACT_ERRNO || action == SK_SCMP_ACT_TRACE) && data > 0xffff)
    return sk_err_set (err, 0, "%s: errno %" PRIu32 " is out of range (at most 65535)", what, data);
  switch (action) {
  case SK_SCMP_ACT_KILL:
  case SK_SCMP_ACT_KILL_THREAD: *out = SCMP_ACT_KILL_THREAD; return 0;
  case SK_SCMP_ACT_KILL_PROCESS: *out = SCMP_ACT_KILL_PROCESS; return 0;
  case SK_SCMP_ACT_TRAP: *out = SCMP_ACT_TRAP; return 0;
  case SK_SCMP_ACT_ERRNO: *out = SCMP_ACT_ERRNO (data); return 0;
  case SK_SCMP_ACT_TRACE: *out = SCMP_ACT_TRACE (data); return 0;
  case SK_SCMP_ACT_ALLOW: *out = SCMP_ACT_ALLOW; return 0;
  case SK_SCMP_ACT_LOG: *out = SCMP_ACT_LOG; return 0;
  case SK_SCMP_ACT_NOTIFY: *out = SCMP_ACT_NOTIFY; return 0;
  default: return sk_err_set (err, 0, "%s: unknown action %d", what, action);
  }
}

static size_t
strv_len (char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

/* seccomp(2) with no program: the kernel checks the flags first (EINVAL for
 * an unknown flag or combination) and then fails to read the program
 * (EFAULT). True unless the kernel refuses the flags; when seccomp(2) itself
 * is unavailable the load will tell. */
static bool
kernel_takes_flags (unsigned int flags)
{
  long r = syscall (__NR_seccomp, SECCOMP_SET_MODE_FILTER, flags, NULL);
  return !(r < 0 && errno == EINVAL);
}

static unsigned int
load_flags (unsigned int flags, bool notify)
{
  if (notify) {
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    /* TSYNC and a listener go together only when a failed sync is ESRCH
     * (the return value cannot be both a thread id and the fd) */
    if (flags & SECCOMP_FILTER_FLAG_TSYNC)
      flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  }
  return flags;
}

static int
plan_flags (const sk_spec_seccomp *sc, plan *p, sk_err **err)
{
  for (char **f = sc->flags; f && *f; f++) {
    size_t i = 0;
    while (i < SK_N_ELEMENTS (flags_table) && strcmp (*f, flags_table[i].name) != 0)
      i++;
    if (i == SK_N_ELEMENTS (flags_table))
      return sk_err_set (err, 0, "linux.seccomp.flags: unknown flag `%s`", *f);
    p->flags |= flags_table[i].flag;
  }
  if ((p->flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) && !p->notify)
    return sk_err_set (err, 0,
                       "linux.seccomp.flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs a rule "
                       "with SCMP_ACT_NOTIFY");
  unsigned int all = load_flags (p->flags, p->notify);
  if (all == 0 || kernel_takes_flags (all))
    return 0;
  /* find which one */
  if (p->notify && !kernel_takes_flags (SECCOMP_FILTER_FLAG_NEW_LISTENER))
    return sk_err_set (err, 0, "linux.seccomp: SCMP_ACT_NOTIFY is not supported by the kernel");
  for (size_t i = 0; i < SK_N_ELEMENTS (flags_table); i++) {
    unsigned int f = flags_table[i].flag;
    if ((p->flags & f) == 0)
      continue;
    if (f == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
      f |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    if (!kernel_takes_flags (f))
      return sk_err_set (err, 0, "linux.seccomp.flags: %s is not supported by the kernel",
                         flags_table[i].name);
  }
  return sk_err_set (err, 0,
                     "linux.seccomp.flags: SECCOMP_FILTER_FLAG_TSYNC with SCMP_ACT_NOTIFY is not "
                     "supported by the kernel");
}

static int
plan_make (const sk_spec_seccomp *sc, plan *p, sk_err **err)
{
  if (sc->default_action == SK_SCMP_ACT_NOTIFY)
    /* the container process could not even hand the listener over */
    return sk_err_set (err, 0,
                       "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
  if (action_value (sc->default_action, sc->default_errno_ret_set, sc->default_errno_ret,
                    "linux.seccomp.defaultAction", &p->default_act, err) < 0)
    return -1;

  p->n_archs = strv_len (sc->architectures);
  p->arch_tokens = calloc (p->n_archs + 1, sizeof *p->arch_tokens);
  if (p->arch_tokens == NULL)
    return sk_err_set (err, ENOMEM, "calloc");
  for (size_t i = 0; i < p->n_archs; i++) {
    const char *name = sc->architectures[i];
    size_t k = 0;
    while (k < SK_N_ELEMENTS (arch_tokens) && strcmp (name, arch_names[k]) != 0)
      k++;
    if (k == SK_N_ELEMENTS (arch_tokens))
      return sk_err_set (err, 0, "linux.seccomp.architectures: unknown architecture `%s`", name);
    p->arch_tokens[i] = arch_tokens[k];
  }

  p->acts = calloc (sc->n_syscalls + 1, sizeof *p->acts);
  if (p->acts == NULL)
    return sk_err_set (err, ENOMEM, "calloc");
  for (size_t i = 0; i < sc->n_syscalls; i++) {
    const sk_spec_syscall *s = &sc->syscalls[i];
    char what[64];
    snprintf (what, sizeof what, "linux.seccomp.syscalls[%zu].action", i);
    if (action_value (s->action, s->errno_ret_set, s->errno_ret, what, &p->acts[i], err) < 0)
      return -1;
    if (s->action == SK_SCMP_ACT_NOTIFY)
      p->notify = true;
    for (size_t j = 0; j < s->n_args; j++) {
      const sk_spec_seccomp_arg *a = &s->args[j];
      if (a->index >= N_ARGS)
        return sk_err_set (err, 0,
                           "linux.seccomp.syscalls[%zu].args[%zu].index: %u is not an argument "
                           "index (0..5)",
                           i, j, a->index);
      if (a->op < SK_SCMP_NE || a->op > SK_SCMP_MASKED_EQ)
        return sk_err_set (err, 0, "linux.seccomp.syscalls[%zu].args[%zu].op: unknown operator %d",
                           i, j, a->op);
    }
  }
  return plan_flags (sc, p, err);
}

/* ---- compiling ---- */

static void
seccomp_releasep (scmp_filter_ctx *ctx)
{
  if (*ctx)
    seccomp_release (*ctx);
}

#define _cleanup_scmp_ __attribute__ ((cleanup (seccomp_releasep)))

/* Adds the rules of one syscalls[] entry for one syscall. Conditions on
 * different arguments are ANDed in one rule; several conditions on the same
 * argument are alternatives (OR), as runc and Docker's profiles read them:
 * one rule is added for each choice of one condition per argument. */
static int
add_rules (scmp_filter_ctx ctx, const sk_spec_syscall *s, size_t i, uint32_t act, int nr,
           const char *name, sk_err **err)
{
  size_t count[N_ARGS] = {0}, start[N_ARGS], sel[N_ARGS] = {0};
  _cleanup_free_ size_t *order = calloc (s->n_args + 1, sizeof *order);
  if (order == NULL)
    return sk_err_set (err, ENOMEM, "calloc");
  size_t n = 0;
  for (unsigned k = 0; k < N_ARGS; k++) {
    start[k] = n;
    for (size_t j = 0; j < s->n_args; j++)
      if (s->args[j].index == k)
        order[n++] = j;
    count[k] = n - start[k];
  }

  for (;;) {
    struct scmp_arg_cmp conds[N_ARGS];
    unsigned n_conds = 0;
    for (unsigned k = 0; k < N_ARGS; k++) {
      if (count[k] == 0)
        continue;
      const sk_spec_seccomp_arg *a = &s->args[order[start[k] + sel[k]]];
      conds[n_conds++] = (struct scmp_arg_cmp){
          .arg = k, .op = operators[a->op], .datum_a = a->value, .datum_b = a->value_two};
    }
    int r = seccomp_rule_add_array (ctx, act, nr, n_conds, conds);
    if (r == -EEXIST)
      return sk_err_set (err, 0,
                         "linux.seccomp.syscalls[%zu]: the rule for `%s` conflicts with an earlier "
                         "one (same conditions, another action)",
                         i, name);
    if (r < 0)
      return sk_err_set (err, -r, "linux.seccomp.syscalls[%zu]: cannot add a rule for `%s`", i,
                         name);
    /* next combination */
    unsigned k = 0;
    for (; k < N_ARGS; k++) {
      if (count[k] == 0)
        continue;
      if (++sel[k] < count[k])
        break;
      sel[k] = 0;
    }
    if (k == N_ARGS)
      return 0;
  }
}

static int
export_program (scmp_filter_ctx ctx, struct sock_filter **insns, size_t *n_insns, sk_err **err)
{
  _cleanup_close_ int fd = memfd_create ("skiff-seccomp", MFD_CLOEXEC);
  if (fd < 0)
    return sk_err_set (err, errno, "linux.seccomp: memfd_create");
  int r = seccomp_export_bpf (ctx, fd);
  if (r < 0)
    return sk_err_set (err, -r, "linux.seccomp: cannot export the filter");
  struct stat st;
  if (fstat (fd, &st) < 0)
    return sk_err_set (err, errno, "linux.seccomp: fstat");
  size_t size = st.st_size;
  if (size == 0 || size % sizeof (struct sock_filter) != 0)
    return sk_err_set (err, 0, "linux.seccomp: libseccomp exported a program of %zu bytes", size);
  size_t n = size / sizeof (struct sock_filter);
  if (n > BPF_MAXINSNS)
    return sk_err_set (err, 0,
                       "linux.seccomp: the filter has %zu instructions, more than the kernel's "
                       "limit of %d",
                       n, BPF_MAXINSNS);
  _cleanup_free_ struct sock_filter *buf = malloc (size);
  if (buf == NULL)
    return sk_err_set (err, ENOMEM, "malloc");
  for (size_t done = 0; done < size;) {
    ssize_t got = pread (fd, (char *) buf + done, size - done, done);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      return sk_err_set (err, got < 0 ? errno : EIO, "linux.seccomp: read the exported filter");
    done += got;
  }
  *insns = steal_ptr (buf);
  *n_insns = n;
  return 0;
}

/* The highest syscall number libseccomp knows on this machine's architecture. */
static int
highest_known_syscall (void)
{
  static int highest = -1;
  if (highest >= 0)
    return highest;
  for (int nr = 0; nr < 1024; nr++) {
    char *name = seccomp_syscall_resolve_num_arch (SCMP_ARCH_NATIVE, nr);
    if (name)
      highest = nr;
    free (name);
  }
  return highest;
}

/* With a default that fails with an errno, a syscall newer than libseccomp's
 * tables fails with ENOSYS instead, as it would on an older kernel: programs
 * then fall back to the older calls they know (as glibc does for clone3).
 * A few instructions in front of libseccomp's program, which reloads what
 * it needs: native architecture, not an x32 call, number above the highest
 * known -> ENOSYS; everything else goes on to the profile. */
static int
prepend_enosys_for_unknown (struct sock_filter **insns, size_t *n, sk_err **err)
{
  int highest = highest_known_syscall ();
  uint32_t arch = seccomp_arch_native ();
  if (highest < 0)
    return 0;
  const struct sock_filter stub[] = {
      BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, arch)),
      BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, arch, 0, 4),
      BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
      BPF_JUMP (BPF_JMP | BPF_JSET | BPF_K, 0x40000000 /* __X32_SYSCALL_BIT */, 2, 0),
      BPF_JUMP (BPF_JMP | BPF_JGT | BPF_K, (uint32_t) highest, 0, 1),
      BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
  };
  size_t k = sizeof stub / sizeof stub[0];
  struct sock_filter *all = malloc ((*n + k) * sizeof *all);
  if (all == NULL)
    return sk_err_set (err, ENOMEM, "seccomp program");
  memcpy (all, stub, sizeof stub);
  memcpy (all + k, *insns, *n * sizeof *all);
  free (*insns);
  *insns = all;
  *n += k;
  return 0;
}

static int
build_program (const sk_spec_seccomp *sc, const plan *p, struct sock_filter **insns,
               size_t *n_insns, sk_err **err)
{
  _cleanup_scmp_ scmp_filter_ctx ctx = seccomp_init (p->default_act);
  if (ctx == NULL)
    return sk_err_set (err, 0, "linux.seccomp.defaultAction: libseccomp refuses `%s`",
                       sk_seccomp_action_name (sc->default_action));
  /* a binary tree of syscall numbers instead of a linear list: large
   * profiles cost the container fewer instructions per syscall */
  int r = seccomp_attr_set (ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  if (r < 0)
    return sk_err_set (err, -r, "linux.seccomp: cannot set the filter optimization");

  for (size_t i = 0; i < p->n_archs; i++) {
    r = seccomp_arch_add (ctx, p->arch_tokens[i]);
    /* EEXIST: the native one. EDOM: the other byte order, which the
     * kernel cannot run, so that it needs no rules (profiles often list
     * every architecture) */
    if (r < 0 && r != -EEXIST && r != -EDOM)
      return sk_err_set (err, -r, "linux.seccomp.architectures: cannot add `%s`",
                         sc->architectures[i]);
  }

  for (size_t i = 0; i < sc->n_syscalls; i++) {
    const sk_spec_syscall *s = &sc->syscalls[i];
    /* libseccomp refuses a rule with the default action; it is a no-op */
    if (p->acts[i] == p->default_act)
      continue;
    for (char **name = s->names; name && *name; name++) {
      int nr = seccomp_syscall_resolve_name (*name);
      if (nr == __NR_SCMP_ERROR)
        continue; /* unknown to libseccomp: a syscall of another kernel */
      if (add_rules (ctx, s, i, p->acts[i], nr, *name, err) < 0)
        return -1;
    }
  }
  if (export_program (ctx, insns, n_insns, err) < 0)
    return -1;
  if (sc->default_action == SK_SCMP_ACT_ERRNO)
    return prepend_enosys_for_unknown (insns, n_insns, err);
  return 0;
}

static int
prog_new (const plan *p, struct sock_filter *insns, size_t n_insns, sk_seccomp_prog **out,
          sk_err **err)
{
  sk_seccomp_prog *prog = calloc (1, sizeof *prog);
  if (prog == NULL) {
    free (insns);
    return sk_err_set (err, ENOMEM, "calloc");
  }
  prog->insns = insns;
  prog->n_insns = n_insns;
  prog->flags = p->flags;
  prog->notify = p->notify;
  *out = prog;
  return 0;
}

int
sk_seccomp_compile (const sk_spec_seccomp *sc, sk_seccomp_prog **out, sk_err **err)
{
  _cleanup_plan_ plan p = {0};
  if (plan_make (sc, &p, err) < 0)
    return -1;
  struct sock_filter *insns = NULL;
  size_t n = 0;
  if (build_program (sc, &p, &insns, &n, err) < 0)
    return -1;
  return prog_new (&p, insns, n, out, err);
}

void
sk_seccomp_prog_free (sk_seccomp_prog *p)
{
  if (p == NULL)
    return;
  free (p->insns);
  free (p);
}

bool
sk_seccomp_uses_notify (const sk_seccomp_prog *p)
{
  return p->notify;
}

/* ---- loading ---- */

int
sk_seccomp_load (const sk_seccomp_prog *p, int *notify_fd, sk_err **err)
{
  if (notify_fd)
    *notify_fd = -1;
  struct sock_fprog fprog = {.len = (unsigned short) p->n_insns, .filter = p->insns};
  unsigned int flags = load_flags (p->flags, p->notify);
  long r = syscall (__NR_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
  if (r < 0 && errno == ENOSYS && flags == 0)
    r = prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0);
  if (r < 0) {
    if (errno == EACCES)
      return sk_err_set (err, errno,
                         "load the seccomp filter (needs no_new_privs or CAP_SYS_ADMIN)");
    return sk_err_set (err, errno, "load the seccomp filter");
  }
  if (p->notify) {
    if (notify_fd)
      *notify_fd = (int) r;
    else
      close ((int) r);
  } else if (r > 0) {
    /* TSYNC: the id of a thread that could not be synchronized */
    return sk_err_set (err, 0, "load the seccomp filter: thread %ld cannot be synchronized", r);
  }
  return 0;
}

/* ---- the cache ---- */

static void
put_u32 (sk_strbuf *b, uint32_t v)
{
  sk_strbuf_add (b, (const char *) &v, sizeof v);
}

static void
put_u64 (sk_strbuf *b, uint64_t v)
{
  sk_strbuf_add (b, (const char *) &v, sizeof v);
}

static void
put_str (sk_strbuf *b, const char *s)
{
  size_t len = strlen (s);
  put_u64 (b, len);
  sk_strbuf_add (b, s, len);
}

/* Everything the program depends on, in a form where two inputs are equal
 * exactly when their programs are (flags are not in it: they are not part of
 * the program and are checked against the kernel at each compile). */
static void
canonical_input (const sk_spec_seccomp *sc, const plan *p, sk_strbuf *b)
{
  sk_strbuf_add (b, CANON_TAG, sizeof CANON_TAG);
  const struct scmp_version *v = seccomp_version ();
  put_u32 (b, v->major);
  put_u32 (b, v->minor);
  put_u32 (b, v->micro);
  put_u32 (b, seccomp_api_get ());
  put_u32 (b, seccomp_arch_native ());
  put_u32 (b, p->default_act);
  put_u64 (b, p->n_archs);
  for (size_t i = 0; i < p->n_archs; i++)
    put_u32 (b, p->arch_tokens[i]);
  put_u64 (b, sc->n_syscalls);
  for (size_t i = 0; i < sc->n_syscalls; i++) {
    const sk_spec_syscall *s = &sc->syscalls[i];
    put_u32 (b, p->acts[i]);
    put_u64 (b, strv_len (s->names));
    for (char **name = s->names; name && *name; name++)
      put_str (b, *name);
    put_u64 (b, s->n_args);
    for (size_t j = 0; j < s->n_args; j++) {
      put_u32 (b, s->args[j].index);
      put_u32 (b, (uint32_t) s->args[j].op);
      put_u64 (b, s->args[j].value);
      put_u64 (b, s->args[j].value_two);
    }
  }
}

/* A 64-bit hash, 8 bytes a step (FNV-1a byte by byte costs a hit more than
 * all the rest). Not cryptographic: it names files and detects damage; the
 * input is always compared in full. Each step is a bijection of the state for
 * a given word, so two inputs of the same length that differ in one word
 * always hash differently. */
static uint64_t
hash_bytes (uint64_t h, const void *data, size_t len)
{
  const unsigned char *c = data;
  h ^= len * 0x9e3779b97f4a7c15ULL;
  for (; len >= 8; c += 8, len -= 8) {
    uint64_t w;
    memcpy (&w, c, 8);
    h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 32;
  }
  uint64_t w = 0;
  memcpy (&w, c, len);
  h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

#define HASH_SEED   0x736b69666673636dULL /* "skiffscm" */
#define CACHE_MAGIC "SKSCMPC\x01"
#define CACHE_MAX   (8u << 20)

typedef struct cache_header {
  char magic[8];
  uint64_t canon_len;
  uint64_t n_insns;
  uint64_t checksum; /* hash_bytes of the program (the input is compared in full) */
} cache_header;

static uint64_t
cache_checksum (const struct sock_filter *insns, size_t n)
{
  return hash_bytes (HASH_SEED, insns, n * sizeof *insns);
}

static int
read_all (int fd, void *buf, size_t size)
{
  for (size_t done = 0; done < size;) {
    ssize_t got = read (fd, (char *) buf + done, size - done);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      return -1;
    done += got;
  }
  return 0;
}

static int
write_all (int fd, const void *buf, size_t size)
{
  for (size_t done = 0; done < size;) {
    ssize_t put = write (fd, (const char *) buf + done, size - done);
    if (put < 0 && errno == EINTR)
      continue;
    if (put <= 0)
      return -1;
    done += put;
  }
  return 0;
}

/* 0 and the program on a valid hit; -1 on anything else. */
static int
cache_read (int dirfd, const char *name, const sk_strbuf *canon, struct sock_filter **insns,
            size_t *n_insns)
{
  _cleanup_close_ int fd = openat (dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -1;
  struct stat st;
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || st.st_uid != geteuid () ||
      (st.st_mode & 022) != 0 || st.st_size < (off_t) sizeof (cache_header) ||
      st.st_size > (off_t) CACHE_MAX)
    return -1;
  size_t size = st.st_size;
  _cleanup_free_ char *data = malloc (size);
  if (data == NULL || read_all (fd, data, size) < 0)
    return -1;
  cache_header h;
  memcpy (&h, data, sizeof h);
  if (memcmp (h.magic, CACHE_MAGIC, sizeof h.magic) != 0 || h.canon_len != canon->len ||
      h.n_insns == 0 || h.n_insns > BPF_MAXINSNS ||
      size != sizeof h + h.canon_len + h.n_insns * sizeof (struct sock_filter))
    return -1;
  const char *c = data + sizeof h;
  if (memcmp (c, canon->buf, canon->len) != 0)
    return -1;
  size_t prog_size = h.n_insns * sizeof (struct sock_filter);
  struct sock_filter *prog = malloc (prog_size);
  if (prog == NULL)
    return -1;
  memcpy (prog, c + h.canon_len, prog_size);
  if (cache_checksum (prog, h.n_insns) != h.checksum) {
    free (prog);
    return -1;
  }
  *insns = prog;
  *n_insns = h.n_insns;
  return 0;
}

/* Best effort: a temporary file renamed over the name, so that a reader sees
 * a whole file or none. */
static void
cache_write (int dirfd, const char *name, const sk_strbuf *canon, const struct sock_filter *insns,
             size_t n_insns)
{
  static unsigned counter;
  char tmp[96];
  _cleanup_close_ int fd = -1;
  for (int attempt = 0; fd < 0 && attempt < 8; attempt++) {
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    snprintf (tmp, sizeof tmp, ".%s.%d.%u.%lx.tmp", name, (int) getpid (), counter++,
              (unsigned long) ts.tv_nsec);
    fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST)
      return;
  }
  if (fd < 0)
    return;
  cache_header h = {.canon_len = canon->len, .n_insns = n_insns};
  memcpy (h.magic, CACHE_MAGIC, sizeof h.magic);
  h.checksum = cache_checksum (insns, n_insns);
  if (write_all (fd, &h, sizeof h) < 0 || write_all (fd, canon->buf, canon->len) < 0 ||
      write_all (fd, insns, n_insns * sizeof *insns) < 0 || renameat (dirfd, tmp, dirfd, name) < 0)
    unlinkat (dirfd, tmp, 0);
}

#define BUILD_TIMEOUT_S 20

/* The child of build_program_bounded: the program, or the error, on fd. */
__attribute__ ((noreturn)) static void
build_in_child (const sk_spec_seccomp *sc, const plan *p, int fd)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  struct sock_filter *insns = NULL;
  size_t n = 0;
  sk_err *e = NULL;
  if (build_program (sc, p, &insns, &n, &e) < 0) {
    int64_t head[2] = {-1, e->errnum};
    _exit (write_all (fd, head, sizeof head) < 0 || write_all (fd, e->msg, strlen (e->msg)) < 0);
  }
  int64_t head[2] = {(int64_t) n, 0};
  _exit (write_all (fd, head, sizeof head) < 0 || write_all (fd, insns, n * sizeof *insns) < 0);
}

/* build_program in a child process, which is killed if it takes longer than
 * BUILD_TIMEOUT_S (see the top of this file). */
static int
build_program_bounded (const sk_spec_seccomp *sc, const plan *p, struct sock_filter **insns,
                       size_t *n_insns, sk_err **err)
{
  int fds[2];
  if (pipe2 (fds, O_CLOEXEC) < 0)
    return sk_err_set (err, errno, "pipe");
  pid_t pid = fork ();
  if (pid < 0) {
    int saved = errno;
    close (fds[0]);
    close (fds[1]);
    return sk_err_set (err, saved, "fork");
  }
  if (pid == 0) {
    close (fds[0]);
    build_in_child (sc, p, fds[1]);
  }
  close (fds[1]);
  _cleanup_close_ int fd = fds[0];
  _cleanup_strbuf_ sk_strbuf got = SK_STRBUF_INIT;
  struct timespec now, end;
  clock_gettime (CLOCK_MONOTONIC, &end);
  end.tv_sec += BUILD_TIMEOUT_S;
  bool timed_out = false;
  for (;;) {
    clock_gettime (CLOCK_MONOTONIC, &now);
    long left = (end.tv_sec - now.tv_sec) * 1000 + (end.tv_nsec - now.tv_nsec) / 1000000;
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int r = left > 0 ? poll (&pfd, 1, (int) left) : 0;
    if (r < 0 && errno == EINTR)
      continue;
    if (r == 0) {
      timed_out = true;
      break;
    }
    char buf[8192];
    ssize_t len = r < 0 ? -1 : read (fd, buf, sizeof buf);
    if (len < 0 && errno == EINTR)
      continue;
    if (len <= 0)
      break;
    sk_strbuf_add (&got, buf, len);
  }
  if (timed_out)
    kill (pid, SIGKILL);
  int status = 0;
  sk_waitpid (pid, &status);
  if (timed_out)
    return sk_err_set (err, 0,
                       "libseccomp did not finish building the filter in %d s (libseccomp 2.5 "
                       "can loop forever on several rules for one syscall with conditions on "
                       "more than one argument)",
                       BUILD_TIMEOUT_S);
  int64_t head[2];
  if (got.len < sizeof head)
    return sk_err_set (err, 0, "building the filter failed (the process building it %s %d)",
                       WIFSIGNALED (status) ? "died of signal" : "exited with",
                       WIFSIGNALED (status) ? WTERMSIG (status) : WEXITSTATUS (status));
  memcpy (head, got.buf, sizeof head);
  const char *body = got.buf + sizeof head;
  size_t body_len = got.len - sizeof head;
  if (head[0] < 0) {
    sk_err *e = NULL;
    sk_err_set (&e, 0, "%.*s", (int) body_len, body);
    e->errnum = (int) head[1];
    if (err && *err == NULL)
      *err = e;
    else
      sk_err_free (&e);
    return -1;
  }
  size_t n = (size_t) head[0];
  if (n == 0 || n > BPF_MAXINSNS || body_len != n * sizeof (struct sock_filter))
    return sk_err_set (err, 0, "building the filter: %zu bytes for %zu instructions", body_len, n);
  struct sock_filter *copy = malloc (body_len);
  if (copy == NULL)
    return sk_err_set (err, ENOMEM, "malloc");
  memcpy (copy, body, body_len);
  *insns = copy;
  *n_insns = n;
  return 0;
}

int
sk_seccomp_compile_cached (const sk_spec_seccomp *sc, const char *cache_dir, sk_seccomp_prog **out,
                           sk_err **err)
{
  if (cache_dir == NULL)
    return sk_seccomp_compile (sc, out, err);
  _cleanup_plan_ plan p = {0};
  if (plan_make (sc, &p, err) < 0)
    return -1;
  _cleanup_strbuf_ sk_strbuf canon = SK_STRBUF_INIT;
  canonical_input (sc, &p, &canon);
  char name[32];
  snprintf (name, sizeof name, "%016" PRIx64 ".bpf", hash_bytes (HASH_SEED, canon.buf, canon.len));

  _cleanup_close_ int dirfd = open (cache_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0 && errno == ENOENT && mkdir (cache_dir, 0700) == 0)
    dirfd = open (cache_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

  struct sock_filter *insns = NULL;
  size_t n = 0;
  if (dirfd >= 0 && cache_read (dirfd, name, &canon, &insns, &n) == 0)
    return prog_new (&p, insns, n, out, err);
  if (build_program_bounded (sc, &p, &insns, &n, err) < 0)
    return -1;
  if (dirfd >= 0)
    cache_write (dirfd, name, &canon, insns, n);
  return prog_new (&p, insns, n, out, err);
}
