/* skiff: the default seccomp profile that `spec` writes, equivalent to
 * Docker's for its default capabilities: a list of allowed system calls,
 * everything else refused with EPERM (and, through the runtime, ENOSYS for
 * system calls newer than libseccomp knows). Refused, among others: the
 * namespace flags of clone and unshare, clone3 (ENOSYS, so that libc falls
 * back to clone), mount and friends, keyctl, bpf, kexec, perf_event_open,
 * kernel modules, reboot, swap, the clock, and AF_VSOCK sockets. */
#include "internal.h"
#include "util/cleanup.h"

/* Allowed whatever their arguments. Names of other architectures are fine:
 * libseccomp skips what it does not know for the target. */
static const char *const allowed[] = {
    "accept", "accept4", "access", "adjtimex", "alarm", "arch_prctl", "bind", "brk", "cachestat",
    "capget", "capset", "chdir", "chmod", "chown", "chown32", "chroot", "clock_adjtime",
    "clock_adjtime64", "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64",
    "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range", "connect",
    "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl",
    "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd",
    "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64",
    "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2",
    "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr",
    "flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs",
    "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex", "futex_requeue", "futex_time64",
    "futex_wait", "futex_waitv", "futex_wake", "futimesat", "get_robust_list", "get_thread_area",
    "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32",
    "getgid", "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid",
    "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid", "getresgid32",
    "getresuid", "getresuid32", "getrlimit", "getrusage", "getsid", "getsockname", "getsockopt",
    "gettid", "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch", "inotify_init",
    "inotify_init1", "inotify_rm_watch", "io_cancel", "io_destroy", "io_getevents",
    "io_pgetevents", "io_pgetevents_time64", "io_setup", "io_submit", "ioctl", "ioprio_get",
    "ioprio_set", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
    "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen",
    "listxattr", "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64",
    "madvise", "map_shadow_stack", "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir",
    "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "modify_ldt",
    "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
    "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap",
    "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap",
    "name_to_handle_at", "nanosleep", "newfstatat", "_newselect", "open", "openat", "openat2",
    "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free",
    "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2",
    "prlimit64", "process_mrelease", "process_vm_readv", "process_vm_writev", "pselect6",
    "pselect6_time64", "ptrace", "pwrite64", "pwritev", "pwritev2", "read", "readahead",
    "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64",
    "recvmsg", "remap_file_pages", "removexattr", "rename", "renameat", "renameat2",
    "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask",
    "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
    "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_get_priority_max",
    "sched_get_priority_min", "sched_getaffinity", "sched_getattr", "sched_getparam",
    "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
    "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield",
    "seccomp", "select", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send",
    "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "set_robust_list",
    "set_thread_area", "set_tid_address", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32",
    "setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid", "setpriority",
    "setregid", "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid",
    "setreuid32", "setrlimit", "setsid", "setsockopt", "setuid", "setuid32", "setxattr", "shmat",
    "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4",
    "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat", "stat64", "statfs",
    "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo",
    "tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
    "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime",
    "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate",
    "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat",
    "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
    "writev",
};

/* The personalities a program may switch between (Docker's): Linux, Linux32
 * (the 32-bit uname), and the query 0xffffffff, with and without
 * UNAME26 (0x20000). */
static const uint64_t personalities[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

/* clone without the namespace flags: NEWNS|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWCGROUP */
#define CLONE_NAMESPACE_FLAGS 0x7E020000ULL
#define AF_VSOCK_DOMAIN       40

static sk_json *
names (const char *const *v, size_t n)
{
  sk_json *a = json_object_new_array ();
  for (size_t i = 0; i < n; i++)
    json_object_array_add (a, json_object_new_string (v[i]));
  return a;
}

static sk_json *
arg (unsigned index, uint64_t value, uint64_t value_two, const char *op)
{
  sk_json *a = json_object_new_object ();
  json_object_object_add (a, "index", json_object_new_int ((int) index));
  json_object_object_add (a, "value", json_object_new_uint64 (value));
  json_object_object_add (a, "valueTwo", json_object_new_uint64 (value_two));
  json_object_object_add (a, "op", json_object_new_string (op));
  return a;
}

static sk_json *
rule (const char *name, const char *action, sk_json *args, int errno_ret)
{
  sk_json *r = json_object_new_object ();
  const char *one[] = {name};
  json_object_object_add (r, "names", names (one, 1));
  json_object_object_add (r, "action", json_object_new_string (action));
  if (args)
    json_object_object_add (r, "args", args);
  if (errno_ret)
    json_object_object_add (r, "errnoRet", json_object_new_int (errno_ret));
  return r;
}

sk_json *
sk_default_seccomp_profile (void)
{
  sk_json *p = json_object_new_object ();
  json_object_object_add (p, "defaultAction", json_object_new_string ("SCMP_ACT_ERRNO"));
  json_object_object_add (p, "defaultErrnoRet", json_object_new_int (1));
  static const char *const archs[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  json_object_object_add (p, "architectures", names (archs, 3));
  sk_json *calls = json_object_new_array ();
  sk_json *all = json_object_new_object ();
  json_object_object_add (all, "names", names (allowed, SK_N_ELEMENTS (allowed)));
  json_object_object_add (all, "action", json_object_new_string ("SCMP_ACT_ALLOW"));
  json_object_array_add (calls, all);
  /* one rule each: conditions on the same argument would be ANDed */
  for (size_t i = 0; i < SK_N_ELEMENTS (personalities); i++) {
    sk_json *a = json_object_new_array ();
    json_object_array_add (a, arg (0, personalities[i], 0, "SCMP_CMP_EQ"));
    json_object_array_add (calls, rule ("personality", "SCMP_ACT_ALLOW", a, 0));
  }
  sk_json *c = json_object_new_array ();
  json_object_array_add (c, arg (0, CLONE_NAMESPACE_FLAGS, 0, "SCMP_CMP_MASKED_EQ"));
  json_object_array_add (calls, rule ("clone", "SCMP_ACT_ALLOW", c, 0));
  /* clone3 hides its flags in memory seccomp cannot read: ENOSYS sends libc to clone */
  json_object_array_add (calls, rule ("clone3", "SCMP_ACT_ERRNO", NULL, 38));
  sk_json *so = json_object_new_array ();
  json_object_array_add (so, arg (0, AF_VSOCK_DOMAIN, 0, "SCMP_CMP_NE"));
  json_object_array_add (calls, rule ("socket", "SCMP_ACT_ALLOW", so, 0));
  json_object_object_add (p, "syscalls", calls);
  return p;
}
