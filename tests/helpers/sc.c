/* sc: makes one system call from inside a container and says what came back.
 * A static binary, copied into a test rootfs.
 *   sc NAME [ARG...]      prints "ok" (and the return value) or the errno name
 * Arguments are numbers (0x... allowed). Exits 0 when the call succeeded. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct {
  const char *name;
  long nr;
} calls[] = {
    {"unshare", SYS_unshare},   {"setns", SYS_setns},         {"mount", SYS_mount},
    {"umount2", SYS_umount2},   {"pivot_root", SYS_pivot_root}, {"chroot", SYS_chroot},
    {"keyctl", SYS_keyctl},     {"add_key", SYS_add_key},     {"request_key", SYS_request_key},
    {"bpf", SYS_bpf},           {"kexec_load", SYS_kexec_load}, {"kexec_file_load", SYS_kexec_file_load},
    {"perf_event_open", SYS_perf_event_open}, {"ptrace", SYS_ptrace}, {"reboot", SYS_reboot},
    {"swapon", SYS_swapon},     {"swapoff", SYS_swapoff},     {"init_module", SYS_init_module},
    {"finit_module", SYS_finit_module}, {"delete_module", SYS_delete_module},
    {"open_by_handle_at", SYS_open_by_handle_at}, {"userfaultfd", SYS_userfaultfd},
    {"clone", SYS_clone},       {"clone3", SYS_clone3},       {"personality", SYS_personality},
    {"acct", SYS_acct},         {"settimeofday", SYS_settimeofday}, {"sethostname", SYS_sethostname},
    {"getpid", SYS_getpid},     {"uname", SYS_uname},         {"fsopen", SYS_fsopen},
    {"move_mount", SYS_move_mount}, {"open_tree", SYS_open_tree}, {"quotactl", SYS_quotactl},
    {"lookup_dcookie", SYS_lookup_dcookie}, {"vhangup", SYS_vhangup}, {"iopl", SYS_iopl},
    {"ioperm", SYS_ioperm},     {"syslog", SYS_syslog},       {"nfsservctl", SYS_nfsservctl},
    {"socket", SYS_socket},
};

static long
number (const char *s)
{
  return strtol (s, NULL, 0);
}

int
main (int argc, char **argv)
{
  if (argc < 2) {
    fprintf (stderr, "usage: sc NAME|NUMBER [ARG...]\n");
    return 2;
  }
  long nr = -1;
  for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
    if (strcmp (calls[i].name, argv[1]) == 0)
      nr = calls[i].nr;
  if (nr < 0)
    nr = number (argv[1]);
  long a[6] = {0};
  for (int i = 2; i < argc && i < 8; i++)
    a[i - 2] = number (argv[i]);
  errno = 0;
  long r = syscall (nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  if (r == 0 && (nr == SYS_clone || nr == SYS_clone3))
    _exit (0); /* the child of a clone that worked leaves at once */
  if (r < 0) {
    const char *name = strerrorname_np (errno);
    printf ("%s\n", name ? name : "unknown");
    return 1;
  }
  printf ("ok %ld\n", r);
  return 0;
}
