/* skiff: docker exec (see engine.h). The process is the container's own
 * process section with docker exec's changes laid over it, run through the
 * runtime library by this process: no shim, so its output is the caller's. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/spec.h"
#include "internal.h"
#include "util/cleanup.h"

/* The user of `-u`, resolved in the container's root with its GroupAdd. */
static sk_json *
exec_user (sk_engine *e, const sk_ctr *c, const char *user, sk_err **err)
{
  _cleanup_free_ char *rootfs = sk_engine_bundle_path (e, c->id, "rootfs");
  _cleanup_json_ sk_json *conf = NULL;
  _cleanup_strv_ char **add = NULL;
  if (rootfs == NULL)
    return sk_err_set (err, ENOMEM, "exec"), NULL;
  if (sk_json_parse (c->config, strlen (c->config), "the container's configuration", &conf,
                     err) < 0)
    return NULL;
  sk_jr top = {.obj = conf}, hc = sk_jr_member (&top, "HostConfig");
  sk_jr g = sk_jr_member (&hc, "GroupAdd");
  if (sk_jr_strv (&g, &add, err) < 0)
    return NULL;
  _cleanup_close_ int rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return sk_err_set (err, errno, "open `%s`", rootfs), NULL;
  sk_json *out = NULL;
  if (sk_engine_spec_user (rootfd, user, add, &out, err) < 0)
    return NULL;
  return out;
}

static bool
env_has (sk_json *env, const char *name)
{
  size_t n = strlen (name);
  for (size_t i = 0; i < json_object_array_length (env); i++) {
    const char *s = json_object_get_string (json_object_array_get_idx (env, i));
    if (strncmp (s, name, n) == 0 && s[n] == '=')
      return true;
  }
  return false;
}

/* args, terminal, env and cwd of docker exec over the container's process. */
static int
exec_basics (sk_json *proc, const sk_engine_exec_opts *o, sk_err **err)
{
  sk_json *args = json_object_new_array ();
  json_object_object_add (proc, "args", args);
  for (size_t i = 0; o->args[i]; i++)
    json_object_array_add (args, json_object_new_string (o->args[i]));
  bool tty = o->tty && !o->detach;
  json_object_object_add (proc, "terminal", json_object_new_boolean (tty));
  json_object_object_del (proc, "consoleSize");
  if (tty && o->rows && o->cols) {
    sk_json *size = json_object_new_object ();
    json_object_object_add (size, "height", json_object_new_int (o->rows));
    json_object_object_add (size, "width", json_object_new_int (o->cols));
    json_object_object_add (proc, "consoleSize", size);
  }
  sk_json *env = NULL;
  if (!json_object_object_get_ex (proc, "env", &env) || !json_object_is_type (env, json_type_array)) {
    env = json_object_new_array ();
    json_object_object_add (proc, "env", env);
  }
  if (o->tty && !env_has (env, "TERM"))
    sk_engine_env_set (env, "TERM=xterm");
  for (size_t i = 0; o->env && o->env[i]; i++)
    sk_engine_env_set (env, o->env[i]);
  if (o->workdir && *o->workdir) {
    if (*o->workdir != '/')
      return sk_err_set (err, 0, "the working directory '%s' is invalid, it needs to be an absolute path",
                         o->workdir);
    json_object_object_add (proc, "cwd", json_object_new_string (o->workdir));
  }
  return 0;
}

/* The runtime's process: the container's, with the options of docker exec. */
static int
exec_process (sk_engine *e, const sk_ctr *c, const sk_engine_exec_opts *o, sk_spec_process **out,
              sk_err **err)
{
  _cleanup_spec_ sk_spec *spec = NULL;
  _cleanup_json_ sk_json *doc = NULL;
  if (sk_container_load_spec (&e->rt, c->id, &spec, err) < 0 ||
      sk_json_parse (spec->raw, spec->raw_len, "config.json", &doc, err) < 0)
    return -1;
  sk_json *proc = NULL;
  if (!json_object_object_get_ex (doc, "process", &proc) ||
      !json_object_is_type (proc, json_type_object))
    return sk_err_set (err, 0, "container %s has no process section", c->id);
  if (exec_basics (proc, o, err) < 0)
    return -1;
  if (o->user && *o->user) {
    sk_json *user = exec_user (e, c, o->user, err);
    if (user == NULL)
      return -1;
    json_object_object_add (proc, "user", user);
  }
  if (o->privileged)
    json_object_object_add (proc, "capabilities", sk_engine_spec_privileged_caps ());
  _cleanup_free_ char *text = sk_json_dump (proc, false);
  if (text == NULL)
    return sk_err_set (err, ENOMEM, "exec");
  return sk_spec_process_parse (text, strlen (text), "exec process", out, err);
}

/* The runtime's failure as docker words it, and docker's exit code: 127
 * when the program is not there, 126 for any other failure to start it. */
static int
exec_failure (sk_err **err)
{
  const char *msg = (*err)->msg ? (*err)->msg : "failed";
  bool program = strncmp (msg, "exec: `", 7) == 0 || strncmp (msg, "exec `", 6) == 0;
  int code = program && (strstr (msg, "executable file not found") ||
                         strcasestr (msg, "no such file or directory"))
                 ? 127
                 : 126;
  _cleanup_free_ char *text = strdup (msg);
  if (text == NULL)
    return code;
  for (char *p = text; *p; p++)
    if (*p == '`')
      *p = '"';
  /* Go's error texts are lowercase: "permission denied" */
  char *cause = strrchr (text, ':');
  if (program && cause && cause[1] == ' ' && cause[2] >= 'A' && cause[2] <= 'Z' &&
      cause[3] >= 'a' && cause[3] <= 'z')
    cause[2] = (char) (cause[2] - 'A' + 'a');
  sk_err_free (err);
  sk_err_set (err, 0, "OCI runtime exec failed: exec failed: unable to start container process: %s: unknown",
              text);
  return code;
}

/* Puts /dev/null on fds 0 .. n-1, keeping the originals in saved. */
static int
stdio_null (int n, int saved[3], sk_err **err)
{
  _cleanup_close_ int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0)
    return sk_err_set (err, errno, "open /dev/null");
  for (int fd = 0; fd < n; fd++) {
    saved[fd] = fcntl (fd, F_DUPFD_CLOEXEC, 3);
    if (dup2 (null, fd) < 0)
      return sk_err_set (err, errno, "dup2 /dev/null");
  }
  return 0;
}

static void
stdio_restore (int saved[3])
{
  for (int fd = 0; fd < 3; fd++)
    if (saved[fd] >= 0) {
      dup2 (saved[fd], fd);
      close (saved[fd]);
      saved[fd] = -1;
    }
}

int
sk_engine_exec (sk_engine *e, const char *id, const sk_engine_exec_opts *o, int *exit_code,
                sk_err **err)
{
  _cleanup_ctr_ sk_ctr *c = NULL;
  *exit_code = 1;
  if (o->args == NULL || o->args[0] == NULL)
    return sk_err_set (err, 0, "no command specified");
  if (sk_engine_get (e, id, &c, err) < 0)
    return -1;
  if (strcmp (c->state, "paused") == 0)
    return sk_err_set (err, 0, "container %s is paused, unpause the container before exec", id);
  if (strcmp (c->state, "restarting") == 0)
    return sk_err_set (err, 0, "Container %s is restarting, wait until the container is running",
                       c->id);
  if (strcmp (c->state, "running") != 0)
    return sk_err_set (err, 0, "container %s is not running", id);
  sk_exec_opts x = {.id = c->id, .detach = o->detach};
  if (exec_process (e, c, o, &x.process, err) < 0)
    return -1;
  /* detached, nothing reaches the caller; without -i, stdin is empty */
  int saved[3] = {-1, -1, -1};
  if (stdio_null (o->detach ? 3 : o->interactive ? 0 : 1, saved, err) < 0) {
    stdio_restore (saved);
    sk_spec_process_free (x.process);
    return -1;
  }
  int r = sk_container_exec (&e->rt, &x, exit_code, err);
  stdio_restore (saved);
  sk_spec_process_free (x.process);
  if (r < 0 && strncmp ((*err)->msg ? (*err)->msg : "", "cannot exec in container", 24) == 0) {
    /* it stopped since its record was read */
    sk_err_free (err);
    return sk_err_set (err, 0, "container %s is not running", id);
  }
  if (r < 0) {
    *exit_code = exec_failure (err);
    return -1;
  }
  if (o->detach)
    *exit_code = 0;
  return 0;
}
