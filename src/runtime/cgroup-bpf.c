/* skiff: the cgroup2 device filter.
 *
 * cgroup2 has no devices controller: a BPF_PROG_TYPE_CGROUP_DEVICE program
 * attached to the cgroup decides every open and mknod of a device node. This
 * file assembles one from linux.resources.devices by hand and loads it with
 * raw bpf(2) calls.
 *
 * The program keeps the v1 controller's semantics:
 *   - a rule of type "a" resets the list to "allow all" or "deny all", as the
 *     v1 kernel does for any "a" entry, so only the last one matters and it
 *     sets the default; without one the default is allow (a new v1 cgroup
 *     below the root allows everything);
 *   - the rules after it apply in order, the last matching one winning, for
 *     each access bit separately (v1 merges the access of equal entries):
 *     for every bit the request has (m, r, w), the last rule that names that
 *     bit and matches the type and numbers decides;
 *   - the request is allowed when each of its bits is.
 * So the code is, per bit: "if the request has it, try the rules from the
 * last to the first; a deny returns 0, an allow goes on to the next bit; no
 * match takes the default". Every jump goes forward.
 */
#include "runtime/cgroup-internal.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

#define MAX_INSNS    30000 /* jump offsets are 16 bits */
#define MAX_ATTACHED 64

enum { R0, R1, R2, R3, R4, R5 };

typedef struct prog {
  struct bpf_insn *v;
  size_t n, alloc;
  bool failed; /* out of memory, or too long */
} prog;

static size_t
emit (prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
  if (p->failed)
    return 0; /* the result is discarded */
  if (p->n == p->alloc) {
    size_t na = p->alloc ? p->alloc * 2 : 256;
    struct bpf_insn *v = na <= MAX_INSNS ? realloc (p->v, na * sizeof *v) : NULL;
    if (v == NULL) {
      p->failed = true;
      return 0;
    }
    p->v = v;
    p->alloc = na;
  }
  p->v[p->n] = (struct bpf_insn){
      .code = code, .dst_reg = dst & 0xf, .src_reg = src & 0xf, .off = off, .imm = imm};
  return p->n++;
}

/* Points the jump at `at` to the next instruction to be emitted. */
static void
patch (prog *p, size_t at)
{
  if (!p->failed)
    p->v[at].off = (int16_t) (p->n - at - 1);
}

static void
emit_return (prog *p, int32_t verdict)
{
  emit (p, BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, verdict);
  emit (p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

/* R2 = device type, R3 = requested access, R4 = major, R5 = minor. */
static void
emit_prologue (prog *p)
{
  emit (p, BPF_LDX | BPF_MEM | BPF_W, R2, R1, offsetof (struct bpf_cgroup_dev_ctx, access_type), 0);
  emit (p, BPF_ALU64 | BPF_MOV | BPF_X, R3, R2, 0, 0);
  emit (p, BPF_ALU | BPF_RSH | BPF_K, R3, 0, 0, 16);
  emit (p, BPF_ALU | BPF_AND | BPF_K, R2, 0, 0, 0xffff);
  emit (p, BPF_LDX | BPF_MEM | BPF_W, R4, R1, offsetof (struct bpf_cgroup_dev_ctx, major), 0);
  emit (p, BPF_LDX | BPF_MEM | BPF_W, R5, R1, offsetof (struct bpf_cgroup_dev_ctx, minor), 0);
}

/* One rule for one bit: falls through when it does not match; on a match a
 * deny returns 0 and an allow jumps to the next bit (recorded in *to_next). */
static void
emit_rule (prog *p, const sk_spec_device_rule *r, size_t *to_next, size_t *n_next)
{
  size_t fails[3], nf = 0;
  int32_t type = r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
  fails[nf++] = emit (p, BPF_JMP | BPF_JNE | BPF_K, R2, 0, 0, type);
  if (r->major >= 0)
    fails[nf++] = emit (p, BPF_JMP | BPF_JNE | BPF_K, R4, 0, 0, (int32_t) r->major);
  if (r->minor >= 0)
    fails[nf++] = emit (p, BPF_JMP | BPF_JNE | BPF_K, R5, 0, 0, (int32_t) r->minor);
  if (r->allow)
    to_next[(*n_next)++] = emit (p, BPF_JMP | BPF_JA, 0, 0, 0, 0);
  else
    emit_return (p, 0);
  for (size_t i = 0; i < nf; i++)
    patch (p, fails[i]);
}

static void
emit_bit (prog *p, const sk_spec_device_rule *rules, size_t from, size_t n, int32_t bit,
          char letter, bool default_allow, size_t *to_next)
{
  size_t n_next = 0;
  /* if (access & bit) skip the jump to the next bit */
  emit (p, BPF_JMP | BPF_JSET | BPF_K, R3, 0, 1, bit);
  to_next[n_next++] = emit (p, BPF_JMP | BPF_JA, 0, 0, 0, 0);
  for (size_t i = n; i > from; i--)
    if (strchr (rules[i - 1].access, letter))
      emit_rule (p, &rules[i - 1], to_next, &n_next);
  if (!default_allow)
    emit_return (p, 0);
  for (size_t i = 0; i < n_next; i++)
    patch (p, to_next[i]);
}

static int
build (prog *p, const sk_spec_device_rule *rules, size_t n, sk_err **err)
{
  static const struct {
    int32_t bit;
    char letter;
  } bits[] = {{BPF_DEVCG_ACC_MKNOD, 'm'}, {BPF_DEVCG_ACC_READ, 'r'}, {BPF_DEVCG_ACC_WRITE, 'w'}};
  size_t from = 0;
  bool default_allow = true;
  for (size_t i = 0; i < n; i++) {
    if (rules[i].type == 'a') {
      from = i + 1;
      default_allow = rules[i].allow;
    } else if (rules[i].type != 'c' && rules[i].type != 'b') {
      return sk_cg_error (err, EINVAL, "linux.resources.devices[%zu]: unknown type `%c`", i,
                          rules[i].type);
    } else if (rules[i].major > INT32_MAX || rules[i].minor > INT32_MAX) {
      return sk_cg_error (err, EINVAL, "linux.resources.devices[%zu]: device number too large", i);
    }
  }
  _cleanup_free_ size_t *to_next = calloc (n + 2, sizeof (size_t));
  if (to_next == NULL)
    return sk_err_set (err, ENOMEM, "device filter");
  emit_prologue (p);
  for (size_t b = 0; b < SK_N_ELEMENTS (bits); b++)
    emit_bit (p, rules, from, n, bits[b].bit, bits[b].letter, default_allow, to_next);
  emit_return (p, 1);
  if (p->failed)
    return sk_cg_error (err, E2BIG, "linux.resources.devices: too many rules for a device filter");
  return 0;
}

static int
sys_bpf (int cmd, union bpf_attr *attr)
{
  return (int) syscall (__NR_bpf, cmd, attr, sizeof *attr);
}

static uint64_t
ptr (const void *p)
{
  return (uint64_t) (uintptr_t) p;
}

/* The verifier's last message line, for errors. */
static void
last_line (char *log)
{
  size_t len = strlen (log);
  while (len && log[len - 1] == '\n')
    log[--len] = '\0';
  char *nl = strrchr (log, '\n');
  if (nl)
    memmove (log, nl + 1, strlen (nl + 1) + 1);
}

static int
prog_load (const prog *p, sk_err **err)
{
  union bpf_attr attr;
  memset (&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = ptr (p->v);
  attr.insn_cnt = (uint32_t) p->n;
  attr.license = ptr ("Apache-2.0");
  int fd = sys_bpf (BPF_PROG_LOAD, &attr);
  if (fd >= 0)
    return fd;
  int e = errno;
  /* again with the verifier's log, to say why */
  size_t size = 1 << 16;
  _cleanup_free_ char *log = calloc (1, size);
  if (log) {
    attr.log_buf = ptr (log);
    attr.log_size = (uint32_t) size;
    attr.log_level = 1;
    fd = sys_bpf (BPF_PROG_LOAD, &attr);
    if (fd >= 0)
      return fd;
    last_line (log);
  }
  return sk_err_set (err, e, "load the device filter%s%s%s", log && *log ? " (verifier: " : "",
                     log && *log ? log : "", log && *log ? ")" : "");
}

/* Opens the filters attached to the cgroup itself (not inherited ones). */
static int
attached (const sk_cg_dir *d, int *fds, size_t *n, sk_err **err)
{
  uint32_t ids[MAX_ATTACHED];
  union bpf_attr attr;
  memset (&attr, 0, sizeof attr);
  attr.query.target_fd = (uint32_t) d->fd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = ptr (ids);
  attr.query.prog_cnt = MAX_ATTACHED;
  if (sys_bpf (BPF_PROG_QUERY, &attr) < 0)
    return sk_err_set (err, errno, "query the device filters of `%s`", d->path);
  *n = 0;
  for (uint32_t i = 0; i < attr.query.prog_cnt && i < MAX_ATTACHED; i++) {
    union bpf_attr get;
    memset (&get, 0, sizeof get);
    get.prog_id = ids[i];
    int fd = sys_bpf (BPF_PROG_GET_FD_BY_ID, &get);
    if (fd < 0 && errno == ENOENT)
      continue; /* detached meanwhile */
    if (fd < 0) {
      sk_err_set (err, errno, "open device filter %u of `%s`", ids[i], d->path);
      while (*n)
        close (fds[--*n]);
      return -1;
    }
    fds[(*n)++] = fd;
  }
  return 0;
}

static int
attach (const sk_cg_dir *d, int prog_fd, bool on, sk_err **err)
{
  union bpf_attr attr;
  memset (&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t) d->fd;
  attr.attach_bpf_fd = (uint32_t) prog_fd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = on ? BPF_F_ALLOW_MULTI : 0;
  if (sys_bpf (on ? BPF_PROG_ATTACH : BPF_PROG_DETACH, &attr) < 0)
    return sk_err_set (err, errno, "%s the device filter %s `%s`", on ? "attach" : "detach",
                       on ? "to" : "from", d->path);
  return 0;
}

int
sk_cg_bpf_devices (const sk_cg_dir *d, const sk_spec_device_rule *rules, size_t n, sk_err **err)
{
  prog p = {NULL, 0, 0, false};
  int ret = build (&p, rules, n, err);
  _cleanup_close_ int fd = ret < 0 ? -1 : prog_load (&p, err);
  free (p.v);
  if (fd < 0)
    return -1;
  int old[MAX_ATTACHED];
  size_t n_old = 0;
  /* the new filter goes in before the old ones leave: with BPF_F_ALLOW_MULTI
   * all of them run, so there is no moment without one */
  ret = attached (d, old, &n_old, err);
  if (ret == 0)
    ret = attach (d, fd, true, err);
  for (size_t i = 0; i < n_old; i++) {
    if (ret == 0 && attach (d, old[i], false, err) < 0)
      ret = -1;
    close (old[i]);
  }
  return ret;
}
