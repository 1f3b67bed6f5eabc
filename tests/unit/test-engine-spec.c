/* Unit tests: a container's Docker-style configuration as config.json. Each
 * test builds the document for an input and checks the fields of the result;
 * users and groups are resolved in temporary roots, hostile ones included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <cmocka.h>

#include "engine/spec.h"
#include "oci/oci.h"
#include "runtime/cgroup.h"
#include "runtime/seccomp.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char base[] = "/tmp/skiff-test-engine-spec.XXXXXX";
static char root[512];
static int rootfd = -1;

static void
write_at (const char *rel, const char *text)
{
  char p[1024];
  snprintf (p, sizeof p, "%s/%s", base, rel);
  FILE *f = fopen (p, "w");
  assert_non_null (f);
  fputs (text, f);
  fclose (f);
}

static void
mkdir_at (const char *rel)
{
  char p[1024];
  snprintf (p, sizeof p, "%s/%s", base, rel);
  assert_int_equal (mkdir (p, 0755), 0);
}

static void
symlink_at (const char *target, const char *rel)
{
  char p[1024];
  snprintf (p, sizeof p, "%s/%s", base, rel);
  assert_int_equal (symlink (target, p), 0);
}

static int
setup (void **state)
{
  if (mkdtemp (base) == NULL)
    return -1;
  snprintf (root, sizeof root, "%s/root", base);
  mkdir_at ("root");
  mkdir_at ("root/etc");
  write_at ("root/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                               "# a comment\n"
                               "\n"
                               "alice:x:1000:1000::/home/alice:/bin/sh\n"
                               "bob:x:1001:1001::/home/bob:/bin/sh\n");
  write_at ("root/etc/group", "root:x:0:\n"
                              "alice:x:1000:\n"
                              "bob:x:1001:\n"
                              "staff:x:50:alice,bob\n"
                              "audio:x:63:alice\n");
  rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  return rootfd < 0 ? -1 : 0;
}

static int
teardown (void **state)
{
  sk_err *err = NULL;
  close (rootfd);
  sk_remove_tree_at (AT_FDCWD, base, &err);
  sk_err_free (&err);
  return 0;
}

/* Runs sk_engine_spec on `in` (single quotes stand for double ones) in the
 * root `fd`; returns the parsed config.json, or NULL with *msg set. */
static sk_json *
spec_in (int fd, const sk_spec_env *over, const char *in, char **msg)
{
  _cleanup_free_ char *text = strdup (in), *out = NULL;
  for (char *p = text; *p; p++)
    if (*p == '\'')
      *p = '"';
  _cleanup_json_ sk_json *c = NULL;
  _cleanup_err_ sk_err *err = NULL;
  if (sk_json_parse (text, strlen (text), "input", &c, &err) < 0)
    fail_msg ("bad test input: %s", err->msg);
  sk_spec_env env = {.id = ID, .rootfs = root, .rootfd = fd, .cgroup_parent = "skiff"};
  if (over)
    env = *over;
  if (sk_engine_spec (c, &env, &out, &err) < 0) {
    assert_null (strchr (err->msg, '\n'));
    *msg = strdup (err->msg);
    return NULL;
  }
  sk_json *doc = NULL;
  if (sk_json_parse (out, strlen (out), "config.json", &doc, &err) < 0)
    fail_msg ("output: %s", err->msg);
  /* and the runtime takes it */
  _cleanup_spec_ sk_spec *parsed = NULL;
  if (sk_spec_parse (out, strlen (out), "config.json", &parsed, &err) < 0)
    fail_msg ("the runtime refuses the output of %s: %s", in, err->msg);
  return doc;
}

static sk_json *
spec (const char *in)
{
  _cleanup_free_ char *msg = NULL;
  sk_json *doc = spec_in (rootfd, NULL, in, &msg);
  if (doc == NULL)
    fail_msg ("%s: %s", in, msg);
  return doc;
}

/* The error for `in`, which must contain `want`. */
static void
spec_fails (const char *in, const char *want)
{
  _cleanup_free_ char *msg = NULL;
  _cleanup_json_ sk_json *doc = spec_in (rootfd, NULL, in, &msg);
  if (doc)
    fail_msg ("%s: expected an error with `%s`", in, want);
  if (strstr (msg, want) == NULL)
    fail_msg ("%s: `%s` does not contain `%s`", in, msg, want);
}

/* A value by dotted path; [n] indexes arrays, a backslash is a dot of a key. */
static sk_json *
at (sk_json *doc, const char *path)
{
  char buf[256];
  snprintf (buf, sizeof buf, "%s", path);
  sk_json *v = doc;
  for (char *save = NULL, *p = strtok_r (buf, ".", &save); p && v;
       p = strtok_r (NULL, ".", &save)) {
    char *br = strchr (p, '[');
    if (br)
      *br = '\0';
    for (char *q = p; *q; q++)
      if (*q == '\\')
        *q = '.'; /* a dot inside a key */
    if (*p && !json_object_object_get_ex (v, p, &v))
      return NULL;
    for (; br && v; br = strchr (br + 1, '['))
      v = json_object_array_get_idx (v, (size_t) atoi (br + 1));
  }
  return v;
}

static const char *
str (sk_json *doc, const char *path)
{
  sk_json *v = at (doc, path);
  return v ? json_object_get_string (v) : NULL;
}

static int64_t
num (sk_json *doc, const char *path)
{
  sk_json *v = at (doc, path);
  if (v == NULL)
    fail_msg ("%s: absent", path);
  return json_object_get_int64 (v);
}

static bool
has_string (sk_json *a, const char *s)
{
  for (size_t i = 0; a && i < json_object_array_length (a); i++)
    if (strcmp (json_object_get_string (json_object_array_get_idx (a, i)), s) == 0)
      return true;
  return false;
}

static sk_json *
mount_at (sk_json *doc, const char *dest)
{
  sk_json *m = at (doc, "mounts");
  for (size_t i = 0; i < json_object_array_length (m); i++)
    if (strcmp (str (json_object_array_get_idx (m, i), "destination"), dest) == 0)
      return json_object_array_get_idx (m, i);
  return NULL;
}

static bool
has_ns (sk_json *doc, const char *type)
{
  sk_json *ns = at (doc, "linux.namespaces");
  for (size_t i = 0; i < json_object_array_length (ns); i++)
    if (strcmp (str (json_object_array_get_idx (ns, i), "type"), type) == 0)
      return true;
  return false;
}

/* ------------------------------------------------------------------ tests */

static void
test_defaults (void **state)
{
  _cleanup_json_ sk_json *d = spec ("{'Entrypoint':['/bin/sh','-c'],'Cmd':['echo hi'],"
                                    "'HostConfig':{'PortBindings':{'80/tcp':[{'HostPort':'8080'}]},"
                                    "'CpuCount':0,'Init':null,'Isolation':''}}");
  sk_json *args = at (d, "process.args");
  assert_int_equal (json_object_array_length (args), 3);
  assert_string_equal (str (d, "process.args[0]"), "/bin/sh");
  assert_string_equal (str (d, "process.args[2]"), "echo hi");
  sk_json *env = at (d, "process.env");
  assert_true (
      has_string (env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
  assert_true (has_string (env, "HOSTNAME=0123456789ab"));
  assert_false (has_string (env, "TERM=xterm"));
  assert_string_equal (str (d, "process.cwd"), "/");
  assert_false (json_object_get_boolean (at (d, "process.terminal")));
  assert_false (json_object_get_boolean (at (d, "process.noNewPrivileges")));
  assert_int_equal (num (d, "process.user.uid"), 0);
  assert_int_equal (num (d, "process.user.gid"), 0);
  assert_null (at (d, "process.user.additionalGids"));
  assert_null (at (d, "process.rlimits"));
  assert_null (at (d, "process.oomScoreAdj"));
  sk_json *bounding = at (d, "process.capabilities.bounding");
  assert_int_equal (json_object_array_length (bounding), 14);
  assert_true (has_string (bounding, "CAP_NET_BIND_SERVICE"));
  assert_false (has_string (bounding, "CAP_SYS_ADMIN"));
  assert_int_equal (json_object_array_length (at (d, "process.capabilities.effective")), 14);
  assert_string_equal (str (d, "hostname"), "0123456789ab");
  assert_null (at (d, "domainname"));
  assert_string_equal (str (d, "root.path"), root);
  assert_false (json_object_get_boolean (at (d, "root.readonly")));
  const char *ns[] = {"pid", "network", "ipc", "uts", "mount"};
  for (size_t i = 0; i < 5; i++)
    assert_true (has_ns (d, ns[i]));
  assert_true (has_string (at (mount_at (d, "/dev/shm"), "options"), "size=67108864"));
  assert_non_null (mount_at (d, "/proc"));
  assert_non_null (mount_at (d, "/dev/pts"));
  assert_null (mount_at (d, "/etc/hosts"));
  assert_non_null (at (d, "linux.seccomp.syscalls"));
  assert_true (has_string (at (d, "linux.maskedPaths"), "/proc/kcore"));
  assert_true (has_string (at (d, "linux.readonlyPaths"), "/proc/sys"));
  assert_string_equal (str (d, "linux.cgroupsPath"), "skiff/" ID);
  assert_null (at (d, "linux.resources.memory"));
  assert_null (at (d, "linux.resources.cpu"));
  assert_null (at (d, "linux.resources.pids"));
  assert_null (at (d, "linux.sysctl"));
  assert_null (at (d, "annotations"));
}

/* container:NAME modes: the namespace files the engine found, the other
 * container's /dev/shm and host name */
static void
test_join_namespaces (void **state)
{
  (void) state;
  sk_spec_env env = {.id = ID, .rootfs = root, .rootfd = rootfd, .cgroup_parent = "skiff",
                     .ipc_ns = "/proc/42/ns/ipc", .pid_ns = "/proc/42/ns/pid",
                     .uts_ns = "/proc/42/ns/uts", .uts_hostname = "donor",
                     .shm_path = "/data/containers/x/shm"};
  _cleanup_free_ char *msg = NULL;
  _cleanup_json_ sk_json *d = spec_in (rootfd, &env,
                                       "{'Cmd':['sh'],'HostConfig':{"
                                       "'IpcMode':'container:db','PidMode':'container:db',"
                                       "'UTSMode':'container:db'}}",
                                       &msg);
  assert_non_null (d);
  sk_json *ns = at (d, "linux.namespaces");
  size_t paths = 0;
  for (size_t i = 0; i < json_object_array_length (ns); i++) {
    sk_json *n = json_object_array_get_idx (ns, i), *p = NULL;
    if (!json_object_object_get_ex (n, "path", &p))
      continue;
    paths++;
    char want[64];
    snprintf (want, sizeof want, "/proc/42/ns/%s", str (n, "type"));
    assert_string_equal (json_object_get_string (p), want);
  }
  assert_int_equal (paths, 3);
  assert_null (at (d, "hostname")); /* the donor's is left as it is */
  assert_true (has_string (at (d, "process.env"), "HOSTNAME=donor"));
  assert_string_equal (str (mount_at (d, "/dev/shm"), "source"), "/data/containers/x/shm");
  assert_string_equal (str (mount_at (d, "/dev/shm"), "type"), "bind");
  _cleanup_free_ char *msg2 = NULL;
  _cleanup_json_ sk_json *named = spec_in (
      rootfd, &env, "{'Cmd':['sh'],'Hostname':'x','HostConfig':{'UTSMode':'container:db'}}", &msg2);
  assert_null (named);
  assert_non_null (strstr (msg2, "HostConfig.UTSMode: container: conflicts with Hostname"));
}

static void
test_cgroup_namespace (void **state)
{
  sk_engine_spec_force_cgroup_mode (SK_CGROUP_V2);
  _cleanup_json_ sk_json *v2 = spec ("{'Cmd':['sh']}");
  sk_engine_spec_force_cgroup_mode (SK_CGROUP_HYBRID);
  _cleanup_json_ sk_json *hybrid = spec ("{'Cmd':['sh']}");
  sk_engine_spec_force_cgroup_mode (SK_CGROUP_V1);
  _cleanup_json_ sk_json *v1 = spec ("{'Cmd':['sh']}");
  _cleanup_json_ sk_json *priv = spec ("{'Cmd':['sh'],'HostConfig':{'CgroupnsMode':'private'}}");
  sk_engine_spec_force_cgroup_mode (SK_CGROUP_V2);
  _cleanup_json_ sk_json *host = spec ("{'Cmd':['sh'],'HostConfig':{'CgroupnsMode':'host'}}");
  sk_engine_spec_force_cgroup_mode (-1);
  assert_true (has_ns (v2, "cgroup"));
  assert_false (has_ns (hybrid, "cgroup"));
  assert_false (has_ns (v1, "cgroup"));
  assert_true (has_ns (priv, "cgroup"));
  assert_false (has_ns (host, "cgroup"));
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'CgroupnsMode':'shared'}}",
              "HostConfig.CgroupnsMode: unknown mode `shared`");
}

static void
test_env_tty_cwd_hostname (void **state)
{
  _cleanup_json_ sk_json *d = spec (
      "{'Cmd':['sh'],'Tty':true,'WorkingDir':'/srv','Hostname':'web','Domainname':'example.org',"
      "'Env':['PATH=/opt/bin','A=1','TERM=dumb','A=2','HOSTNAME']}");
  sk_json *env = at (d, "process.env");
  assert_true (has_string (env, "PATH=/opt/bin"));
  assert_false (
      has_string (env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
  assert_true (has_string (env, "A=2"));
  assert_false (has_string (env, "A=1"));
  assert_true (has_string (env, "TERM=dumb"));
  assert_false (has_string (env, "HOSTNAME=web")); /* "HOSTNAME" alone unsets it */
  assert_true (json_object_get_boolean (at (d, "process.terminal")));
  assert_string_equal (str (d, "process.cwd"), "/srv");
  assert_string_equal (str (d, "hostname"), "web");
  assert_string_equal (str (d, "domainname"), "example.org");
  _cleanup_json_ sk_json *t = spec ("{'Cmd':'top','Tty':true,'Hostname':'db'}");
  assert_true (has_string (at (t, "process.env"), "TERM=xterm"));
  assert_true (has_string (at (t, "process.env"), "HOSTNAME=db"));
  assert_string_equal (str (t, "process.args[0]"), "top");
  assert_null (at (t, "process.consoleSize"));
}

/* HostConfig.ConsoleSize [height, width]: the terminal's first size */
static void
test_console_size (void **state)
{
  _cleanup_json_ sk_json *d =
      spec ("{'Cmd':['sh'],'Tty':true,'HostConfig':{'ConsoleSize':[33,101]}}");
  assert_int_equal (num (d, "process.consoleSize.height"), 33);
  assert_int_equal (num (d, "process.consoleSize.width"), 101);
  _cleanup_json_ sk_json *none = spec ("{'Cmd':['sh'],'HostConfig':{'ConsoleSize':[33,101]}}");
  assert_null (at (none, "process.consoleSize"));
  _cleanup_json_ sk_json *zero = spec ("{'Cmd':['sh'],'Tty':true,'HostConfig':{'ConsoleSize':[0,0]}}");
  assert_null (at (zero, "process.consoleSize"));
  spec_fails ("{'Cmd':['sh'],'Tty':true,'HostConfig':{'ConsoleSize':['x',1]}}", "ConsoleSize");
}

static void
test_bad_process (void **state)
{
  spec_fails ("{}", "no command specified");
  spec_fails ("{'Cmd':[],'Entrypoint':null}", "no command specified");
  spec_fails ("{'Cmd':['sh'],'WorkingDir':'srv'}",
              "WorkingDir: `srv` is invalid, it needs to be an absolute path");
  spec_fails ("{'Cmd':['sh',1]}", "Cmd[1]: expected a string");
  spec_fails ("{'Cmd':['sh'],'StopSignal':'SIGFOO'}", "Invalid signal: SIGFOO");
  spec_fails ("{'Cmd':['sh'],'StopSignal':'99'}", "Invalid signal: 99");
  _cleanup_json_ sk_json *rt = spec ("{'Cmd':['sh'],'StopSignal':'SIGRTMIN+3'}");
  assert_non_null (rt);
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'OomScoreAdj':2000}}", "HostConfig.OomScoreAdj");
  _cleanup_json_ sk_json *d = spec ("{'Cmd':['sh'],'HostConfig':{'OomScoreAdj':-500}}");
  assert_int_equal (num (d, "process.oomScoreAdj"), -500);
}

static void
test_unknown_fields (void **state)
{
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'CpuCount':2}}", "HostConfig.CpuCount: not supported");
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'Runtime':'runc'}}",
              "HostConfig.Runtime: not supported");
  spec_fails ("{'Cmd':['sh'],'Frobnicate':'yes'}", "Frobnicate: not supported");
  /* the engine's other parts read these */
  _cleanup_json_ sk_json *d = spec (
      "{'Cmd':['sh'],'Labels':{'a':'b'},'StopSignal':'SIGINT','OpenStdin':true,"
      "'HostConfig':{'Binds':['/a:/b'],'Dns':['1.1.1.1'],'ExtraHosts':['h:1.2.3.4'],"
      "'RestartPolicy':{'Name':'always'},'AutoRemove':true,'LogConfig':{'Type':'json-file'}}}");
  assert_null (mount_at (d, "/b"));
}

static sk_json *
user_spec (const char *user, const char *group_add)
{
  char in[512];
  snprintf (in, sizeof in, "{'Cmd':['sh'],'User':'%s','HostConfig':{'GroupAdd':%s}}", user,
            group_add ? group_add : "null");
  return spec (in);
}

static void
check_user (const char *user, const char *group_add, int uid, int gid, const char *gids)
{
  _cleanup_json_ sk_json *d = user_spec (user, group_add);
  assert_int_equal (num (d, "process.user.uid"), uid);
  assert_int_equal (num (d, "process.user.gid"), gid);
  sk_json *a = at (d, "process.user.additionalGids");
  char got[256] = "";
  for (size_t i = 0; a && i < json_object_array_length (a); i++)
    snprintf (got + strlen (got), sizeof got - strlen (got), "%s%d", i ? "," : "",
              json_object_get_int (json_object_array_get_idx (a, i)));
  if (strcmp (got, gids) != 0)
    fail_msg ("user `%s`: additionalGids `%s`, expected `%s`", user, got, gids);
}

static void
test_users (void **state)
{
  check_user ("", NULL, 0, 0, "");
  check_user ("root", NULL, 0, 0, "");
  check_user ("alice", NULL, 1000, 1000, "50,63");
  check_user ("1000", NULL, 1000, 1000, "50,63");
  check_user ("bob", NULL, 1001, 1001, "50");
  check_user ("alice:staff", NULL, 1000, 50, "");
  check_user ("alice:63", NULL, 1000, 63, "");
  check_user ("1000:4000", NULL, 1000, 4000, "");
  check_user ("2000", NULL, 2000, 0, "");
  check_user ("2000:3000", NULL, 2000, 3000, "");
  check_user ("bob", "['audio','4242','staff']", 1001, 1001, "50,63,4242");
  check_user ("", "['1001']", 0, 0, "1001");
  spec_fails ("{'Cmd':['sh'],'User':'nobody'}",
              "unable to find user nobody: no matching entries in passwd file");
  spec_fails ("{'Cmd':['sh'],'User':'alice:wheel'}",
              "unable to find group wheel: no matching entries in group file");
  spec_fails ("{'Cmd':['sh'],'User':'99999999999'}", "uids and gids must be in range");
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'GroupAdd':['video']}}",
              "HostConfig.GroupAdd: unable to find group video: no matching entries in group file");
}

/* A root of its own whose etc/passwd (or etc/group) is `link` -> `target`. */
static int
hostile_root (const char *name, const char *file, const char *target)
{
  char rel[256];
  snprintf (rel, sizeof rel, "%s", name);
  mkdir_at (rel);
  snprintf (rel, sizeof rel, "%s/etc", name);
  mkdir_at (rel);
  snprintf (rel, sizeof rel, "%s/etc/%s", name, file);
  symlink_at (target, rel);
  char p[1024];
  snprintf (p, sizeof p, "%s/%s", base, name);
  int fd = open (p, O_PATH | O_DIRECTORY | O_CLOEXEC);
  assert_true (fd >= 0);
  return fd;
}

/* The host's `daemon` (uid 1 on Debian) must never come from the host's files. */
static void
hostile_case (int fd, const char *in, bool may_succeed, int uid)
{
  _cleanup_free_ char *msg = NULL;
  _cleanup_json_ sk_json *d = spec_in (fd, NULL, in, &msg);
  if (d == NULL) {
    assert_false (may_succeed && uid >= 0);
    return;
  }
  assert_true (may_succeed);
  assert_int_equal (num (d, "process.user.uid"), uid);
}

static void
test_hostile_roots (void **state)
{
  _cleanup_close_ int abs = hostile_root ("abs", "passwd", "/etc/passwd");
  _cleanup_close_ int rel = hostile_root ("rel", "passwd", "../../etc/passwd");
  _cleanup_close_ int other = hostile_root ("other", "passwd", "/etc/real");
  _cleanup_close_ int grp = hostile_root ("grp", "group", "/etc/group");
  write_at ("other/etc/real", "daemon:x:4242:4242::/:/bin/sh\n");
  write_at ("grp/etc/passwd", "root:x:0:0::/:/bin/sh\n");
  const char *daemon = "{'Cmd':['sh'],'User':'daemon'}";
  hostile_case (abs, daemon, false, -1);
  hostile_case (rel, daemon, false, -1);
  /* followed inside the root: its own /etc/real, not the host's file */
  hostile_case (other, daemon, true, 4242);
  hostile_case (grp, "{'Cmd':['sh'],'HostConfig':{'GroupAdd':['daemon']}}", false, -1);
  /* a whole etc that points at the host's */
  mkdir_at ("etcdir");
  symlink_at ("/etc", "etcdir/etc");
  char p[1024];
  snprintf (p, sizeof p, "%s/etcdir", base);
  _cleanup_close_ int etcdir = open (p, O_PATH | O_DIRECTORY | O_CLOEXEC);
  hostile_case (etcdir, daemon, false, -1);
  /* a FIFO is refused, not waited on */
  mkdir_at ("fifo");
  mkdir_at ("fifo/etc");
  snprintf (p, sizeof p, "%s/fifo/etc/passwd", base);
  assert_int_equal (mkfifo (p, 0644), 0);
  snprintf (p, sizeof p, "%s/fifo", base);
  _cleanup_close_ int fifo = open (p, O_PATH | O_DIRECTORY | O_CLOEXEC);
  _cleanup_free_ char *msg = NULL;
  assert_null (spec_in (fifo, NULL, daemon, &msg));
  assert_non_null (strstr (msg, "/etc/passwd in the container is not a regular file"));
  /* no etc/passwd at all: numeric users only */
  mkdir_at ("empty");
  snprintf (p, sizeof p, "%s/empty", base);
  _cleanup_close_ int empty = open (p, O_PATH | O_DIRECTORY | O_CLOEXEC);
  hostile_case (empty, "{'Cmd':['sh'],'User':'1234:5678'}", true, 1234);
  hostile_case (empty, daemon, false, -1);
}

static void
test_big_passwd (void **state)
{
  mkdir_at ("big");
  mkdir_at ("big/etc");
  char p[1024];
  snprintf (p, sizeof p, "%s/big/etc/passwd", base);
  FILE *f = fopen (p, "w");
  assert_non_null (f);
  assert_int_equal (ftruncate (fileno (f), 5 << 20), 0);
  fclose (f);
  snprintf (p, sizeof p, "%s/big", base);
  _cleanup_close_ int fd = open (p, O_PATH | O_DIRECTORY | O_CLOEXEC);
  _cleanup_free_ char *msg = NULL;
  assert_null (spec_in (fd, NULL, "{'Cmd':['sh']}", &msg));
  assert_non_null (strstr (msg, "/etc/passwd in the container is larger than"));
}

static bool
has_cap (sk_json *d, const char *cap)
{
  return has_string (at (d, "process.capabilities.bounding"), cap) &&
         has_string (at (d, "process.capabilities.effective"), cap) &&
         has_string (at (d, "process.capabilities.permitted"), cap);
}

static void
test_capabilities (void **state)
{
  _cleanup_json_ sk_json *a =
      spec ("{'Cmd':['sh'],'HostConfig':{'CapAdd':['sys_admin','CAP_NET_ADMIN'],"
            "'CapDrop':['CAP_CHOWN','net_raw']}}");
  assert_true (has_cap (a, "CAP_SYS_ADMIN"));
  assert_true (has_cap (a, "CAP_NET_ADMIN"));
  assert_false (has_cap (a, "CAP_CHOWN"));
  assert_false (has_cap (a, "CAP_NET_RAW"));
  assert_true (has_cap (a, "CAP_KILL"));
  _cleanup_json_ sk_json *b =
      spec ("{'Cmd':['sh'],'HostConfig':{'CapDrop':['all'],'CapAdd':['kill']}}");
  assert_int_equal (json_object_array_length (at (b, "process.capabilities.bounding")), 1);
  assert_true (has_cap (b, "CAP_KILL"));
  _cleanup_json_ sk_json *c =
      spec ("{'Cmd':['sh'],'HostConfig':{'CapAdd':['ALL'],'CapDrop':['MKNOD']}}");
  _cleanup_json_ sk_json *p = spec ("{'Cmd':['sh'],'HostConfig':{'Privileged':true}}");
  size_t all = json_object_array_length (at (p, "process.capabilities.bounding"));
  char line[256];
  unsigned long long bnd = 0;
  FILE *f = fopen ("/proc/self/status", "r");
  while (f && fgets (line, sizeof line, f))
    sscanf (line, "CapBnd: %llx", &bnd);
  if (f)
    fclose (f);
  assert_int_equal (all, (size_t) __builtin_popcountll (bnd));
  assert_true (has_cap (p, "CAP_SYS_ADMIN"));
  assert_int_equal (json_object_array_length (at (c, "process.capabilities.bounding")), all - 1);
  assert_false (has_cap (c, "CAP_MKNOD"));
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'CapAdd':['CAP_FOO']}}",
              "HostConfig.CapAdd: unknown capability `CAP_FOO`");
  if (!(bnd & (1ULL << 24))) /* CAP_SYS_RESOURCE, which the runtime here lacks */
    spec_fails ("{'Cmd':['sh'],'HostConfig':{'CapAdd':['SYS_RESOURCE']}}",
                "HostConfig.CapAdd: CAP_SYS_RESOURCE is not in this host's bounding set");
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'CapDrop':['bogus']}}",
              "HostConfig.CapDrop: unknown capability `bogus`");
}

static void
test_security_opts (void **state)
{
  _cleanup_json_ sk_json *a =
      spec ("{'Cmd':['sh'],'HostConfig':{'SecurityOpt':['no-new-privileges']}}");
  assert_true (json_object_get_boolean (at (a, "process.noNewPrivileges")));
  _cleanup_json_ sk_json *b = spec ("{'Cmd':['sh'],'HostConfig':{'SecurityOpt':['no-new-privileges:"
                                    "true','seccomp=unconfined']}}");
  assert_true (json_object_get_boolean (at (b, "process.noNewPrivileges")));
  assert_null (at (b, "linux.seccomp"));
  assert_non_null (at (b, "linux.maskedPaths"));
  _cleanup_json_ sk_json *c = spec ("{'Cmd':['sh'],'HostConfig':{'SecurityOpt':['no-new-privileges="
                                    "false','systempaths=unconfined']}}");
  assert_false (json_object_get_boolean (at (c, "process.noNewPrivileges")));
  assert_null (at (c, "linux.maskedPaths"));
  assert_null (at (c, "linux.readonlyPaths"));
  assert_non_null (at (c, "linux.seccomp"));
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'SecurityOpt':['foo']}}",
              "HostConfig.SecurityOpt: `foo` is not a valid security option");
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'SecurityOpt':['no-new-privileges:maybe']}}",
              "HostConfig.SecurityOpt: `no-new-privileges:maybe` is not a valid security option");
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'SecurityOpt':['apparmor=docker-default']}}",
              "HostConfig.SecurityOpt: `apparmor=docker-default` is not supported");
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'SecurityOpt':['seccomp=/nonexistent/profile.json']}}",
              "HostConfig.SecurityOpt:");
}

/* A profile in Docker's format: archMap, includes and excludes by capability. */
static const char profile[] =
    "{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':1,"
    "'archMap':[{'architecture':'SCMP_ARCH_X86_64','subArchitectures':['SCMP_ARCH_X86','SCMP_ARCH_"
    "X32']},"
    "{'architecture':'SCMP_ARCH_AARCH64','subArchitectures':['SCMP_ARCH_ARM']}],"
    "'syscalls':[{'names':['read','write'],'action':'SCMP_ACT_ALLOW'},"
    "{'names':['mount'],'action':'SCMP_ACT_ALLOW','includes':{'caps':['CAP_SYS_ADMIN']}},"
    "{'names':['reboot'],'action':'SCMP_ACT_ALLOW','excludes':{'caps':['CAP_KILL']}},"
    "{'name':'getpid','action':'SCMP_ACT_ALLOW','args':[{'index':0,'value':1,'valueTwo':0,'op':'"
    "SCMP_CMP_EQ'}]}]}";

static bool
seccomp_allows (sk_json *d, const char *name)
{
  sk_json *calls = at (d, "linux.seccomp.syscalls");
  for (size_t i = 0; i < json_object_array_length (calls); i++) {
    sk_json *c = json_object_array_get_idx (calls, i);
    if (strcmp (str (c, "action"), "SCMP_ACT_ALLOW") == 0 && at (c, "args") == NULL &&
        has_string (at (c, "names"), name))
      return true;
  }
  return false;
}

static void
compiles (sk_json *d)
{
  _cleanup_free_ char *text = sk_json_dump (d, false);
  _cleanup_spec_ sk_spec *parsed = NULL;
  _cleanup_err_ sk_err *err = NULL;
  sk_seccomp_prog *prog = NULL;
  assert_int_equal (sk_spec_parse (text, strlen (text), "config.json", &parsed, &err), 0);
  if (sk_seccomp_compile (parsed->linux_.seccomp, &prog, &err) < 0)
    fail_msg ("compile: %s", err->msg);
  sk_seccomp_prog_free (prog);
}

/* Docker's default profile widens with the capabilities added. */
static void
test_seccomp_caps (void **state)
{
  _cleanup_json_ sk_json *plain = spec ("{'Cmd':['sh']}");
  _cleanup_json_ sk_json *admin =
      spec ("{'Cmd':['sh'],'HostConfig':{'CapAdd':['SYS_ADMIN','SYS_TIME']}}");
  assert_true (seccomp_allows (plain, "read"));
  assert_false (seccomp_allows (plain, "mount"));
  assert_false (seccomp_allows (plain, "settimeofday"));
  assert_true (seccomp_allows (admin, "mount"));
  assert_true (seccomp_allows (admin, "unshare"));
  assert_true (seccomp_allows (admin, "settimeofday"));
  assert_false (seccomp_allows (admin, "reboot"));
  /* and libseccomp takes the result, rules that repeat a name included */
  compiles (admin);
  _cleanup_json_ sk_json *all = spec ("{'Cmd':['sh'],'HostConfig':{'CapAdd':['ALL']}}");
  assert_true (seccomp_allows (all, "syslog"));
  compiles (all);
}

static void
test_seccomp_profile (void **state)
{
  char p[1024], in[4096];
  snprintf (p, sizeof p, "%s/profile.json", base);
  _cleanup_free_ char *text = strdup (profile);
  for (char *c = text; *c; c++)
    if (*c == '\'')
      *c = '"';
  FILE *f = fopen (p, "w");
  fputs (text, f);
  fclose (f);
  snprintf (in, sizeof in, "{'Cmd':['sh'],'HostConfig':{'SecurityOpt':['seccomp=%s']}}", p);
  _cleanup_json_ sk_json *d = spec (in);
  assert_string_equal (str (d, "linux.seccomp.defaultAction"), "SCMP_ACT_ERRNO");
  assert_int_equal (num (d, "linux.seccomp.defaultErrnoRet"), 1);
#ifdef __x86_64__
  sk_json *arch = at (d, "linux.seccomp.architectures");
  assert_int_equal (json_object_array_length (arch), 3);
  assert_true (has_string (arch, "SCMP_ARCH_X86_64"));
  assert_false (has_string (arch, "SCMP_ARCH_AARCH64"));
#endif
  sk_json *calls = at (d, "linux.seccomp.syscalls");
  assert_int_equal (json_object_array_length (calls), 2); /* mount: no SYS_ADMIN; reboot: KILL */
  assert_string_equal (str (d, "linux.seccomp.syscalls[1].names[0]"), "getpid");
  assert_string_equal (str (d, "linux.seccomp.syscalls[1].args[0].op"), "SCMP_CMP_EQ");
  snprintf (in, sizeof in,
            "{'Cmd':['sh'],'HostConfig':{'CapAdd':['SYS_ADMIN'],'CapDrop':['KILL'],"
            "'SecurityOpt':['seccomp=%s']}}",
            p);
  _cleanup_json_ sk_json *e = spec (in);
  assert_int_equal (json_object_array_length (at (e, "linux.seccomp.syscalls")), 4);
  /* the profile itself, as Docker's clients send it */
  _cleanup_json_ sk_json *parsed = NULL;
  _cleanup_err_ sk_err *err = NULL;
  assert_int_equal (sk_json_parse (text, strlen (text), "p", &parsed, &err), 0);
  _cleanup_json_ sk_json *c = json_object_new_object (), *hc = json_object_new_object ();
  sk_json *cmd = json_object_new_array (), *opts = json_object_new_array ();
  json_object_array_add (cmd, json_object_new_string ("sh"));
  json_object_object_add (c, "Cmd", cmd);
  _cleanup_free_ char *opt = NULL;
  assert_true (asprintf (&opt, "seccomp=%s", text) > 0);
  json_object_array_add (opts, json_object_new_string (opt));
  json_object_object_add (hc, "SecurityOpt", opts);
  json_object_object_add (c, "HostConfig", json_object_get (hc));
  sk_spec_env env = {.id = ID, .rootfs = root, .rootfd = rootfd};
  _cleanup_free_ char *out = NULL;
  assert_int_equal (sk_engine_spec (c, &env, &out, &err), 0);
  assert_non_null (strstr (out, "getpid"));
}

static void
test_ulimits (void **state)
{
  _cleanup_json_ sk_json *d =
      spec ("{'Cmd':['sh'],'HostConfig':{'Ulimits':[{'Name':'nofile','Soft':1024,'Hard':2048},"
            "{'Name':'nproc','Soft':100,'Hard':200}]}}");
  assert_string_equal (str (d, "process.rlimits[0].type"), "RLIMIT_NOFILE");
  assert_int_equal (num (d, "process.rlimits[0].soft"), 1024);
  assert_int_equal (num (d, "process.rlimits[0].hard"), 2048);
  assert_string_equal (str (d, "process.rlimits[1].type"), "RLIMIT_NPROC");
  assert_int_equal (num (d, "process.rlimits[1].hard"), 200);
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'Ulimits':[{'Name':'bogus','Soft':1,'Hard':1}]}}",
              "HostConfig.Ulimits[0].Name: unknown ulimit `bogus`");
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'Ulimits':[{'Name':'nofile','Soft':10,'Hard':5}]}}",
              "HostConfig.Ulimits[0]: nofile: soft limit 10 is above the hard limit 5");
  struct rlimit cur;
  assert_int_equal (getrlimit (RLIMIT_NOFILE, &cur), 0);
  if (cur.rlim_max == RLIM_INFINITY)
    return;
  char in[256];
  snprintf (in, sizeof in,
            "{'Cmd':['sh'],'HostConfig':{'Ulimits':[{'Name':'nofile','Soft':1,'Hard':%llu}]}}",
            (unsigned long long) cur.rlim_max + 1);
  spec_fails (in, "HostConfig.Ulimits[0]: nofile: hard limit");
  spec_fails (in, "is above this host's hard limit");
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'Ulimits':[{'Name':'nofile','Soft':-1,'Hard':-1}]}}",
              "nofile: hard limit unlimited is above this host's hard limit");
}

static void
test_mounts (void **state)
{
  sk_spec_env env = {.id = ID,
                     .rootfs = root,
                     .rootfd = rootfd,
                     .hostname_path = "/h/hostname",
                     .hosts_path = "/h/hosts",
                     .resolv_path = "/h/resolv.conf"};
  _cleanup_free_ char *msg = NULL;
  _cleanup_json_ sk_json *d =
      spec_in (rootfd, &env,
               "{'Cmd':['sh'],'HostConfig':{'ShmSize':1048576,'ReadonlyRootfs':true,"
               "'Tmpfs':{'/run':'size=1m,exec','/tmp':''}}}",
               &msg);
  assert_non_null (d);
  assert_true (json_object_get_boolean (at (d, "root.readonly")));
  sk_json *shm = at (mount_at (d, "/dev/shm"), "options");
  assert_true (has_string (shm, "size=1048576"));
  assert_false (has_string (shm, "size=65536k"));
  sk_json *run = mount_at (d, "/run");
  assert_string_equal (str (run, "type"), "tmpfs");
  sk_json *o = at (run, "options");
  assert_true (has_string (o, "nosuid") && has_string (o, "nodev") && has_string (o, "exec"));
  assert_true (has_string (o, "size=1m"));
  assert_false (has_string (o, "noexec"));
  assert_true (has_string (at (mount_at (d, "/tmp"), "options"), "noexec"));
  sk_json *hosts = mount_at (d, "/etc/hosts");
  assert_string_equal (str (hosts, "source"), "/h/hosts");
  assert_string_equal (str (hosts, "type"), "bind");
  assert_true (has_string (at (hosts, "options"), "ro"));
  assert_string_equal (str (mount_at (d, "/etc/hostname"), "source"), "/h/hostname");
  assert_string_equal (str (mount_at (d, "/etc/resolv.conf"), "source"), "/h/resolv.conf");
  _cleanup_json_ sk_json *rw = spec_in (rootfd, &env, "{'Cmd':['sh']}", &msg);
  assert_false (has_string (at (mount_at (rw, "/etc/hosts"), "options"), "ro"));
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'Tmpfs':{'run':''}}}",
              "HostConfig.Tmpfs: `run` is not an absolute path");
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'ShmSize':-1}}", "HostConfig.ShmSize");
}

static void
test_namespace_modes (void **state)
{
  _cleanup_json_ sk_json *d = spec ("{'Cmd':['sh'],'HostConfig':{'NetworkMode':'host',"
                                    "'PidMode':'host','IpcMode':'host','UTSMode':'host'}}");
  assert_false (has_ns (d, "network"));
  assert_false (has_ns (d, "pid"));
  assert_false (has_ns (d, "ipc"));
  assert_false (has_ns (d, "uts"));
  assert_true (has_ns (d, "mount"));
  assert_null (at (d, "hostname"));
  assert_string_equal (str (mount_at (d, "/dev/shm"), "source"), "/dev/shm");
  /* a name other than these is one of the engine's networks */
  const char *modes[] = {"none", "bridge", "default", "", "mynet"};
  for (size_t i = 0; i < 5; i++) {
    char in[256];
    snprintf (in, sizeof in, "{'Cmd':['sh'],'HostConfig':{'NetworkMode':'%s'}}", modes[i]);
    _cleanup_json_ sk_json *n = spec (in);
    assert_true (has_ns (n, "network"));
  }
  _cleanup_json_ sk_json *none = spec ("{'Cmd':['sh'],'HostConfig':{'IpcMode':'none'}}");
  assert_true (has_ns (none, "ipc"));
  assert_null (mount_at (none, "/dev/shm"));
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'PidMode':'container:abc'}}",
              "HostConfig.PidMode: `container:abc`: the other container's namespace is not known");
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'NetworkMode':'container:abc'}}",
              "HostConfig.NetworkMode: `container:abc`: the other container's namespace is not known");
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'IpcMode':'weird'}}",
              "HostConfig.IpcMode: unknown mode `weird`");
  spec_fails ("{'Cmd':['sh'],'Hostname':'x','HostConfig':{'UTSMode':'host'}}",
              "HostConfig.UTSMode");
}

static void
test_memory (void **state)
{
  sk_engine_spec_force_cgroup_mode (SK_CGROUP_V2);
  _cleanup_json_ sk_json *d = spec (
      "{'Cmd':['sh'],'HostConfig':{'Memory':67108864,'MemorySwap':-1,'MemoryReservation':33554432,"
      "'MemoryHigh':50331648,'OomKillDisable':true,'MemorySwappiness':10}}");
  _cleanup_json_ sk_json *two = spec ("{'Cmd':['sh'],'HostConfig':{'Memory':67108864}}");
  sk_engine_spec_force_cgroup_mode (SK_CGROUP_HYBRID);
  _cleanup_free_ char *msg = NULL;
  _cleanup_json_ sk_json *v1 =
      spec_in (rootfd, NULL, "{'Cmd':['sh'],'HostConfig':{'MemoryHigh':50331648}}", &msg);
  sk_engine_spec_force_cgroup_mode (-1);
  assert_int_equal (num (d, "linux.resources.memory.limit"), 67108864);
  assert_int_equal (num (d, "linux.resources.memory.swap"), -1);
  assert_int_equal (num (d, "linux.resources.memory.reservation"), 33554432);
  assert_int_equal (num (d, "linux.resources.memory.swappiness"), 10);
  assert_true (json_object_get_boolean (at (d, "linux.resources.memory.disableOOMKiller")));
  assert_string_equal (str (d, "linux.resources.unified.memory\\high"), "50331648");
  assert_int_equal (num (two, "linux.resources.memory.swap"), 2 * 67108864);
  assert_null (v1);
  assert_non_null (strstr (msg, "HostConfig.MemoryHigh: needs cgroup v2"));
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'Memory':1024}}", "minimum memory limit allowed is 6MB");
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'MemorySwap':67108864}}",
              "HostConfig.MemorySwap: needs a Memory limit");
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'Memory':67108864,'MemorySwap':33554432}}",
              "HostConfig.MemorySwap: 33554432 is below the memory limit 67108864");
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'Memory':'lots'}}", "HostConfig.Memory: expected");
}

static void
test_cpu_pids (void **state)
{
  _cleanup_json_ sk_json *d =
      spec ("{'Cmd':['sh'],'HostConfig':{'NanoCpus':500000000,'CpuShares':512,'CpusetCpus':'0',"
            "'CpusetMems':'0','PidsLimit':100}}");
  assert_int_equal (num (d, "linux.resources.cpu.quota"), 50000);
  assert_int_equal (num (d, "linux.resources.cpu.period"), 100000);
  assert_int_equal (num (d, "linux.resources.cpu.shares"), 512);
  assert_string_equal (str (d, "linux.resources.cpu.cpus"), "0");
  assert_string_equal (str (d, "linux.resources.cpu.mems"), "0");
  assert_int_equal (num (d, "linux.resources.pids.limit"), 100);
  _cleanup_json_ sk_json *e =
      spec ("{'Cmd':['sh'],'HostConfig':{'CpuPeriod':50000,'CpuQuota':25000,'PidsLimit':-1}}");
  assert_int_equal (num (e, "linux.resources.cpu.quota"), 25000);
  assert_int_equal (num (e, "linux.resources.cpu.period"), 50000);
  assert_null (at (e, "linux.resources.pids"));
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'NanoCpus':500000000,'CpuQuota':1000}}",
              "HostConfig.NanoCpus: conflicts with CpuQuota");
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'NanoCpus':100000000000000}}",
              "HostConfig.NanoCpus: the range of CPUs");
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'CpuQuota':10}}", "HostConfig.CpuQuota");
}

static void
test_blkio_devices (void **state)
{
  char dev[256], in[4096];
  snprintf (dev, sizeof dev, "%s/blk", base);
  assert_int_equal (mknod (dev, S_IFBLK | 0600, makedev (7, 250)), 0);
  snprintf (in, sizeof in,
            "{'Cmd':['sh'],'HostConfig':{'BlkioWeight':300,'BlkioWeightDevice':[{'Path':'%s','"
            "Weight':200}],"
            "'BlkioDeviceReadBps':[{'Path':'%s','Rate':1048576}],'BlkioDeviceWriteBps':[{'Path':'%"
            "s','Rate':2}],"
            "'BlkioDeviceReadIOps':[{'Path':'%s','Rate':3}],'BlkioDeviceWriteIOps':[{'Path':'%s','"
            "Rate':4}],"
            "'Devices':[{'PathOnHost':'/dev/null','PathInContainer':'/dev/"
            "mynull','CgroupPermissions':'rw'},"
            "{'PathOnHost':'%s'}]}}",
            dev, dev, dev, dev, dev, dev);
  _cleanup_json_ sk_json *d = spec (in);
  assert_int_equal (num (d, "linux.resources.blockIO.weight"), 300);
  assert_int_equal (num (d, "linux.resources.blockIO.weightDevice[0].major"), 7);
  assert_int_equal (num (d, "linux.resources.blockIO.weightDevice[0].minor"), 250);
  assert_int_equal (num (d, "linux.resources.blockIO.weightDevice[0].weight"), 200);
  assert_int_equal (num (d, "linux.resources.blockIO.throttleReadBpsDevice[0].rate"), 1048576);
  assert_int_equal (num (d, "linux.resources.blockIO.throttleWriteBpsDevice[0].rate"), 2);
  assert_int_equal (num (d, "linux.resources.blockIO.throttleReadIOPSDevice[0].rate"), 3);
  assert_int_equal (num (d, "linux.resources.blockIO.throttleWriteIOPSDevice[0].minor"), 250);
  assert_string_equal (str (d, "linux.devices[0].path"), "/dev/mynull");
  assert_string_equal (str (d, "linux.devices[0].type"), "c");
  assert_int_equal (num (d, "linux.devices[0].major"), 1);
  assert_int_equal (num (d, "linux.devices[0].minor"), 3);
  assert_string_equal (str (d, "linux.devices[1].path"), dev);
  assert_string_equal (str (d, "linux.devices[1].type"), "b");
  /* the default deny first, then the allows */
  assert_false (json_object_get_boolean (at (d, "linux.resources.devices[0].allow")));
  assert_true (json_object_get_boolean (at (d, "linux.resources.devices[1].allow")));
  assert_string_equal (str (d, "linux.resources.devices[1].access"), "rw");
  assert_string_equal (str (d, "linux.resources.devices[2].access"), "rwm");
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'BlkioDeviceReadBps':[{'Path':'/dev/null','Rate':1}]}}",
              "HostConfig.BlkioDeviceReadBps[0].Path: `/dev/null` is not a block device");
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'BlkioWeight':5}}", "HostConfig.BlkioWeight");
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'Devices':[{'PathOnHost':'/etc/hostname'}]}}",
              "HostConfig.Devices[0].PathOnHost: `/etc/hostname` is not a device node");
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'Devices':[{'PathOnHost':'/dev/"
              "null','CgroupPermissions':'rx'}]}}",
              "HostConfig.Devices[0].CgroupPermissions");
  unlink (dev);
}

static void
test_sysctls_cgroup_path (void **state)
{
  _cleanup_json_ sk_json *d = spec (
      "{'Cmd':['sh'],'HostConfig':{'Sysctls':{'net.ipv4.ip_forward':'1','kernel.shmmax':'1000000'},"
      "'CgroupParent':'/my/parent/'}}");
  assert_string_equal (str (d, "linux.sysctl.net\\ipv4\\ip_forward"), "1");
  assert_string_equal (str (d, "linux.cgroupsPath"), "/my/parent/" ID);
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'Sysctls':{'kernel.hostname':'x'}}}",
              "HostConfig.Sysctls: `kernel.hostname` is not allowed in a container");
  spec_fails (
      "{'Cmd':['sh'],'HostConfig':{'NetworkMode':'host','Sysctls':{'net.ipv4.ip_forward':'1'}}}",
      "with the host's network namespace");
  spec_fails ("{'Cmd':['sh'],'HostConfig':{'CgroupParent':'a/../b'}}", "HostConfig.CgroupParent");
  sk_spec_env env = {.id = ID, .rootfs = root, .rootfd = rootfd, .cgroup_parent = "custom"};
  _cleanup_free_ char *msg = NULL;
  _cleanup_json_ sk_json *e = spec_in (rootfd, &env, "{'Cmd':['sh']}", &msg);
  assert_string_equal (str (e, "linux.cgroupsPath"), "custom/" ID);
  env.id = "abc";
  assert_null (spec_in (rootfd, &env, "{'Cmd':['sh']}", &msg));
}

static void
test_privileged (void **state)
{
  _cleanup_json_ sk_json *d = spec ("{'Cmd':['sh'],'HostConfig':{'Privileged':true}}");
  assert_null (at (d, "linux.seccomp"));
  assert_null (at (d, "linux.maskedPaths"));
  assert_null (at (d, "linux.readonlyPaths"));
  assert_false (has_string (at (mount_at (d, "/sys"), "options"), "ro"));
  assert_false (has_string (at (mount_at (d, "/sys/fs/cgroup"), "options"), "ro"));
  sk_json *rules = at (d, "linux.resources.devices");
  assert_int_equal (json_object_array_length (rules), 1);
  assert_true (json_object_get_boolean (at (d, "linux.resources.devices[0].allow")));
  assert_string_equal (str (d, "linux.resources.devices[0].access"), "rwm");
  assert_null (at (d, "linux.resources.devices[0].type"));
  sk_json *devs = at (d, "linux.devices");
  struct stat st;
  if (stat ("/dev/kmsg", &st) == 0) {
    bool found = false;
    for (size_t i = 0; devs && i < json_object_array_length (devs); i++) {
      sk_json *e = json_object_array_get_idx (devs, i);
      assert_string_not_equal (str (e, "path"), "/dev/null");
      found |= strcmp (str (e, "path"), "/dev/kmsg") == 0;
    }
    assert_true (found);
  }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_defaults),
      cmocka_unit_test (test_cgroup_namespace),
      cmocka_unit_test (test_join_namespaces),
      cmocka_unit_test (test_env_tty_cwd_hostname),
      cmocka_unit_test (test_console_size),
      cmocka_unit_test (test_bad_process),
      cmocka_unit_test (test_unknown_fields),
      cmocka_unit_test (test_users),
      cmocka_unit_test (test_hostile_roots),
      cmocka_unit_test (test_big_passwd),
      cmocka_unit_test (test_capabilities),
      cmocka_unit_test (test_security_opts),
      cmocka_unit_test (test_seccomp_caps),
      cmocka_unit_test (test_seccomp_profile),
      cmocka_unit_test (test_ulimits),
      cmocka_unit_test (test_mounts),
      cmocka_unit_test (test_namespace_modes),
      cmocka_unit_test (test_memory),
      cmocka_unit_test (test_cpu_pids),
      cmocka_unit_test (test_blkio_devices),
      cmocka_unit_test (test_sysctls_cgroup_path),
      cmocka_unit_test (test_privileged),
  };
  return cmocka_run_group_tests_name ("engine-spec", tests, setup, teardown);
}
