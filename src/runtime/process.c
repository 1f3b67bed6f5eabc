/* skiff: the container's process just before execve: its directory, its
 * program, its environment, its limits and its credentials. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strbuf.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static const char *
env_get (char **env, const char *name)
{
  size_t n = strlen (name);
  for (char **e = env; e && *e; e++)
    if (strncmp (*e, name, n) == 0 && (*e)[n] == '=')
      return *e + n + 1;
  return NULL;
}

/* The working directory, resolved inside the container's root with no magic
 * link on the way: "/proc/self/fd/N" (a descriptor that might lead out, the
 * CVE-2024-21626 class) is refused, whatever N is. */
static int
enter_cwd (const char *cwd, sk_err **err)
{
  _cleanup_close_ int root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return sk_err_set (err, errno, "open /");
  _cleanup_err_ sk_err *e = NULL;
  _cleanup_close_ int fd = sk_open_in_root (root, cwd, O_PATH | O_DIRECTORY, 0, &e);
  if (fd < 0 && e->errnum == ENOENT) {
    /* as runc does: a missing working directory is made */
    sk_err_free (&e);
    fd = sk_mkdir_in_root (root, cwd, 0755, &e);
  }
  if (fd < 0) {
    if (e->errnum == ELOOP || e->errnum == EXDEV)
      return sk_err_set (err, 0, "process.cwd `%s` goes through a magic link: refused", cwd);
    return sk_err_set (err, e->errnum, "process.cwd `%s`", cwd);
  }
  if (fchdir (fd) < 0)
    return sk_err_set (err, errno, "process.cwd `%s`", cwd);
  /* and whatever the path, the directory must lie inside the root */
  char buf[4096];
  if (getcwd (buf, sizeof buf) == NULL)
    return sk_err_set (err, errno == ENOENT ? 0 : errno,
                       "process.cwd `%s` is outside the container's root", cwd);
  return 0;
}

static int
check_executable (const char *path, struct stat *st)
{
  if (stat (path, st) < 0)
    return -1;
  if (S_ISDIR (st->st_mode)) {
    errno = EISDIR;
    return -1;
  }
  if (!S_ISREG (st->st_mode) || (st->st_mode & 0111) == 0) {
    errno = EACCES;
    return -1;
  }
  return 0;
}

static int
find_program (const char *name, const char *path_env, char **out, sk_err **err)
{
  struct stat st;
  if (strchr (name, '/')) {
    if (check_executable (name, &st) < 0)
      return sk_err_set (err, errno, "exec: `%s`", name);
    *out = strdup (name);
    return 0;
  }
  _cleanup_free_ char *list = strdup (path_env ? path_env : DEFAULT_PATH);
  char *save = NULL;
  int last_errno = ENOENT;
  for (char *dir = strtok_r (list, ":", &save); dir; dir = strtok_r (NULL, ":", &save)) {
    _cleanup_free_ char *cand = sk_path_join (*dir ? dir : ".", name);
    if (cand && check_executable (cand, &st) == 0) {
      *out = steal_ptr (cand);
      return 0;
    }
    if (errno != ENOENT && errno != ENOTDIR)
      last_errno = errno;
  }
  if (last_errno != ENOENT)
    return sk_err_set (err, last_errno, "exec: `%s`", name);
  return sk_err_set (err, 0, "exec: `%s`: executable file not found in $PATH", name);
}

/* HOME from the container's /etc/passwd when the environment has none */
static char *
home_for (uid_t uid)
{
  _cleanup_fclose_ FILE *f = fopen ("/etc/passwd", "re");
  char line[1024];
  while (f && fgets (line, sizeof line, f)) {
    /* name:pw:uid:gid:gecos:home:shell */
    char *fields[7] = {0};
    int n = 0;
    for (char *s = line; s && n < 7; n++) {
      fields[n] = s;
      s = strchr (s, ':');
      if (s)
        *s++ = '\0';
    }
    if (n >= 6 && fields[2] && strtoul (fields[2], NULL, 10) == uid && fields[5] && *fields[5])
      return strdup (fields[5]);
  }
  return strdup ("/");
}

static int
build_env (const sk_spec_process *p, char ***out, sk_err **err)
{
  size_t n = 0;
  while (p->env && p->env[n])
    n++;
  char **env = calloc (n + 2, sizeof *env);
  if (env == NULL)
    return sk_err_set (err, ENOMEM, "environment");
  for (size_t i = 0; i < n; i++)
    env[i] = strdup (p->env[i]);
  if (env_get (p->env, "HOME") == NULL) {
    _cleanup_free_ char *home = home_for (p->user.uid);
    if (asprintf (&env[n], "HOME=%s", home ? home : "/") < 0)
      env[n] = NULL;
  }
  *out = env;
  return 0;
}

int
sk_process_prepare (sk_launch *l, char **exec_path, char ***envp, sk_err **err)
{
  const sk_spec_process *p = l->process;
  if (enter_cwd (p->cwd, err) < 0)
    return -1;
  if (build_env (p, envp, err) < 0)
    return -1;
  return find_program (p->args[0], env_get (*envp, "PATH"), exec_path, err);
}

/* ---- credentials ---- */

static int
set_rlimits (const sk_spec_process *p, sk_err **err)
{
  for (size_t i = 0; i < p->n_rlimits; i++) {
    const sk_spec_rlimit *r = &p->rlimits[i];
    struct rlimit lim = {.rlim_cur = r->soft, .rlim_max = r->hard};
    if (setrlimit (r->resource, &lim) == 0)
      continue;
    int e = errno;
    struct rlimit cur;
    if (e == EPERM && getrlimit (r->resource, &cur) == 0 && r->hard > cur.rlim_max)
      return sk_err_set (err, 0,
                         "process.rlimits: %s hard limit %llu is above the current %llu, and raising "
                         "it needs CAP_SYS_RESOURCE",
                         r->type, (unsigned long long) r->hard, (unsigned long long) cur.rlim_max);
    return sk_err_set (err, e, "process.rlimits: set %s to %llu:%llu", r->type,
                       (unsigned long long) r->soft, (unsigned long long) r->hard);
  }
  return 0;
}

static int
last_cap (void)
{
  static int last = -1;
  if (last < 0) {
    int c = 0;
    while (prctl (PR_CAPBSET_READ, c + 1, 0, 0, 0) >= 0)
      c++;
    last = c;
  }
  return last;
}

static int
set_caps (const sk_spec_caps *caps, sk_err **err)
{
  int last = last_cap ();
  uint64_t known = last >= 63 ? ~0ULL : ((1ULL << (last + 1)) - 1);
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2];
  uint64_t e = caps->effective & known, p = caps->permitted & known,
           i = caps->inheritable & known;
  data[0].effective = (uint32_t) e;
  data[1].effective = (uint32_t) (e >> 32);
  data[0].permitted = (uint32_t) p;
  data[1].permitted = (uint32_t) (p >> 32);
  data[0].inheritable = (uint32_t) i;
  data[1].inheritable = (uint32_t) (i >> 32);
  if (syscall (SYS_capset, &hdr, data) < 0)
    return sk_err_set (err, errno, "set capabilities");
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return sk_err_set (err, errno, "clear ambient capabilities");
  for (int c = 0; c <= last; c++)
    if ((caps->ambient & (1ULL << c)) &&
        prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
      return sk_err_set (err, errno, "raise ambient capability %s", sk_cap_name (c));
  return 0;
}

static int
drop_bounding (const sk_spec_caps *caps, sk_err **err)
{
  int last = last_cap ();
  for (int c = 0; c <= last; c++)
    if (!(caps->bounding & (1ULL << c)) && prctl (PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
      return sk_err_set (err, errno, "drop capability %s from the bounding set",
                         sk_cap_name (c) ? sk_cap_name (c) : "?");
  return 0;
}

static int
set_user (const sk_spec_user *u, bool userns, sk_err **err)
{
  if (setgroups (u->n_additional_gids, (gid_t *) u->additional_gids) < 0) {
    /* a user namespace with setgroups denied: only fine when nothing is asked */
    if (!(errno == EPERM && userns && u->n_additional_gids == 0))
      return sk_err_set (err, errno, "set additional groups");
  }
  if (setresgid (u->gid, u->gid, u->gid) < 0)
    return sk_err_set (err, errno, "set gid %u", u->gid);
  if (setresuid (u->uid, u->uid, u->uid) < 0)
    return sk_err_set (err, errno, "set uid %u", u->uid);
  return 0;
}

int
sk_process_load_notify_filter (sk_launch *l, sk_err **err)
{
  if (l->seccomp == NULL || !sk_seccomp_uses_notify (l->seccomp))
    return 0;
  if (l->process->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return sk_err_set (err, errno, "set no_new_privs");
  int fd = -1;
  if (sk_seccomp_load (l->seccomp, &fd, err) < 0)
    return -1;
  int r = sk_sync_send (l->sync_fd, SK_SYNC_SECCOMP, 0, NULL, fd);
  close (fd);
  if (r < 0)
    return sk_err_set (err, errno, "send the seccomp listener to the runtime");
  l->seccomp = NULL; /* loaded: finalize must not load it again */
  return 0;
}

int
sk_process_finalize (sk_launch *l, sk_err **err)
{
  const sk_spec_process *p = l->process;
  const sk_spec_linux *lin = &l->spec->linux_;
  bool userns = lin->namespaces[SK_NS_USER].present;
  if (set_rlimits (p, err) < 0)
    return -1;
  if (lin->personality_set && l->mode != SK_LAUNCH_EXEC && personality (lin->personality) < 0)
    return sk_err_set (err, errno, "set personality");
  umask (p->user.umask_set ? p->user.umask : 022);
  if (l->seccomp && !p->no_new_privileges && sk_seccomp_load (l->seccomp, NULL, err) < 0)
    return -1;
  if (p->caps_set && drop_bounding (&p->caps, err) < 0)
    return -1;
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return sk_err_set (err, errno, "keep capabilities");
  if (set_user (&p->user, userns, err) < 0)
    return -1;
  if (p->caps_set && set_caps (&p->caps, err) < 0)
    return -1;
  prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0);
  if (p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return sk_err_set (err, errno, "set no_new_privs");
  if (l->seccomp && p->no_new_privileges && sk_seccomp_load (l->seccomp, NULL, err) < 0)
    return -1;
  /* nothing but stdio and the preserved fds crosses execve */
  unsigned first = 3 + (unsigned) l->preserve_fds;
  for (unsigned fd = 3; fd < first; fd++)
    if (fcntl ((int) fd, F_SETFD, 0) < 0)
      return sk_err_set (err, errno, "preserve fd %u", fd);
  if (syscall (SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    return sk_err_set (err, errno, "close_range");
  return 0;
}
