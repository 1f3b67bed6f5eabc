/* skiff: the container's state directory: state.json, written atomically, and
 * the status derived from it and from the living process. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/proc.h"

static const char *const status_names[] = {
    [SK_STATUS_CREATING] = "creating", [SK_STATUS_CREATED] = "created",
    [SK_STATUS_RUNNING] = "running",   [SK_STATUS_PAUSED] = "paused",
    [SK_STATUS_STOPPED] = "stopped",
};

const char *
sk_status_name (sk_status s)
{
  return s <= SK_STATUS_STOPPED ? status_names[s] : "unknown";
}

int
sk_container_id_check (const char *id, sk_err **err)
{
  if (id == NULL || *id == '\0')
    return sk_err_set (err, 0, "container id is empty");
  size_t len = strlen (id);
  if (len > 1024)
    return sk_err_set (err, 0, "container id `%.32s...` is longer than 1024 characters", id);
  for (size_t i = 0; i < len; i++) {
    char c = id[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              (i > 0 && (c == '_' || c == '-' || c == '.' || c == '+'));
    if (!ok)
      return sk_err_set (err, 0,
                         "container id `%s` is invalid: use letters, digits and _.+- "
                         "(not first), no '/' and no '..'",
                         id);
  }
  if (strstr (id, "..") != NULL)
    return sk_err_set (err, 0, "container id `%s` is invalid: it contains '..'", id);
  return 0;
}

char *
sk_state_dir (const sk_runtime *rt, const char *id)
{
  return sk_path_join (rt->root, id);
}

void
sk_container_info_free (sk_container_info *info)
{
  if (info == NULL)
    return;
  free (info->id);
  free (info->bundle);
  free (info->rootfs);
  free (info->created);
  free (info->owner);
  free (info->cgroup_path);
  if (info->annotations)
    json_object_put (info->annotations);
  free (info);
}

static sk_json *
info_to_json (const sk_container_info *info, sk_status status, bool private_fields)
{
  sk_json *o = json_object_new_object ();
  json_object_object_add (o, "ociVersion", json_object_new_string (SK_OCI_VERSION));
  json_object_object_add (o, "id", json_object_new_string (info->id));
  bool alive = status != SK_STATUS_STOPPED;
  json_object_object_add (o, "pid", json_object_new_int (private_fields || alive ? info->pid : 0));
  if (!private_fields)
    json_object_object_add (o, "status", json_object_new_string (sk_status_name (status)));
  json_object_object_add (o, "bundle", json_object_new_string (info->bundle ? info->bundle : ""));
  json_object_object_add (o, "rootfs", json_object_new_string (info->rootfs ? info->rootfs : ""));
  json_object_object_add (o, "created",
                          json_object_new_string (info->created ? info->created : ""));
  json_object_object_add (o, "owner", json_object_new_string (info->owner ? info->owner : ""));
  if (info->annotations)
    json_object_object_add (o, "annotations", json_object_get (info->annotations));
  if (private_fields) {
    json_object_object_add (o, "pidStartTime", json_object_new_uint64 (info->pid_start_time));
    json_object_object_add (o, "cgroupPath",
                            json_object_new_string (info->cgroup_path ? info->cgroup_path : ""));
  }
  return o;
}

sk_json *
sk_container_state_json (const sk_container_info *info)
{
  return info_to_json (info, info->status, false);
}

char *
sk_state_json_string (const sk_container_info *info, sk_status status)
{
  _cleanup_json_ sk_json *o = info_to_json (info, status, false);
  return sk_json_dump (o, false);
}

int
sk_state_write (const char *state_dir, const sk_container_info *info, sk_err **err)
{
  /* never renamed over an older file: on ext4 that starts a writeback which
   * a delete soon after would have to wait for */
  _cleanup_json_ sk_json *o = info_to_json (info, info->status, true);
  _cleanup_free_ char *data = sk_json_dump (o, false);
  bool creating = info->status == SK_STATUS_CREATING;
  _cleanup_free_ char *path = sk_path_join (state_dir, creating ? "creating.json" : "state.json");
  if (data == NULL || path == NULL)
    return sk_err_set (err, ENOMEM, "state");
  if (sk_write_file_replace (path, data, strlen (data), 0600, err) < 0)
    return -1;
  if (!creating) {
    _cleanup_free_ char *marker = sk_path_join (state_dir, "creating.json");
    unlink (marker);
  }
  return 0;
}

static int
derive_status (const sk_runtime *rt, sk_container_info *info)
{
  if (info->pid == 0) {
    /* written before the process existed: create is under way, or was killed */
    info->status = SK_STATUS_CREATING;
    return 0;
  }
  if (!sk_proc_is_same (info->pid, info->pid_start_time)) {
    info->status = SK_STATUS_STOPPED;
    return 0;
  }
  _cleanup_free_ char *dir = sk_state_dir (rt, info->id);
  _cleanup_free_ char *fifo = sk_path_join (dir, "exec.fifo");
  if (fifo && access (fifo, F_OK) == 0) {
    info->status = SK_STATUS_CREATED;
    return 0;
  }
  info->status = SK_STATUS_RUNNING;
  if (info->cgroup_path && *info->cgroup_path) {
    sk_cgroup *cg = NULL;
    _cleanup_err_ sk_err *e = NULL;
    bool frozen = false;
    if (sk_cgroup_open (info->cgroup_path, &cg, &e) == 0) {
      if (sk_cgroup_is_frozen (cg, &frozen, &e) == 0 && frozen)
        info->status = SK_STATUS_PAUSED;
      sk_cgroup_free (cg);
    }
  }
  return 0;
}

static int
read_string (sk_jr *doc, const char *key, char **out, sk_err **err)
{
  sk_jr m = sk_jr_member (doc, key);
  return sk_jr_string (&m, out, err);
}

/* Parses a state file into info; returns -ENOENT (no error set) when absent. */
static int
read_state_file (const char *path, sk_container_info *info, sk_err **err)
{
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  _cleanup_err_ sk_err *e = NULL;
  if (sk_read_file (path, &data, &len, &e) < 0) {
    if (e->errnum == ENOENT)
      return -ENOENT;
    return sk_err_set (err, e->errnum, "read state of container `%s`", info->id);
  }
  _cleanup_json_ sk_json *root = NULL;
  if (sk_json_parse (data, len, path, &root, err) < 0)
    return -1;
  sk_jr doc = {.obj = root};
  sk_jr m = sk_jr_member (&doc, "pid");
  int32_t pid = 0;
  sk_jr st = sk_jr_member (&doc, "pidStartTime");
  sk_jr an = sk_jr_member (&doc, "annotations");
  if (sk_jr_int32 (&m, &pid, err) < 0 || sk_jr_uint64 (&st, &info->pid_start_time, err) < 0 ||
      read_string (&doc, "bundle", &info->bundle, err) < 0 ||
      read_string (&doc, "rootfs", &info->rootfs, err) < 0 ||
      read_string (&doc, "created", &info->created, err) < 0 ||
      read_string (&doc, "owner", &info->owner, err) < 0 ||
      read_string (&doc, "cgroupPath", &info->cgroup_path, err) < 0)
    return sk_err_wrap (err, "%s", path);
  info->pid = pid;
  if (an.obj)
    info->annotations = json_object_get (an.obj);
  return 0;
}

/* "does not exist", with ENOENT for callers to tell it from other failures */
static int
no_such_container (const char *id, sk_err **err)
{
  sk_err_set (err, 0, "container `%s` does not exist", id);
  if (err && *err)
    (*err)->errnum = ENOENT;
  return -1;
}

int
sk_state_read (const sk_runtime *rt, const char *id, sk_container_info **out, sk_err **err)
{
  if (sk_container_id_check (id, err) < 0)
    return -1;
  _cleanup_free_ char *dir = sk_state_dir (rt, id);
  sk_container_info *info = calloc (1, sizeof *info);
  if (info == NULL)
    return sk_err_set (err, ENOMEM, "state");
  info->id = strdup (id);
  /* state.json once created; creating.json (pid 0) while create runs, or
   * after a create that was killed; only the directory at the very start */
  static const char *const files[] = {"state.json", "creating.json"};
  int r = -ENOENT;
  for (size_t i = 0; i < 2 && r == -ENOENT; i++) {
    _cleanup_free_ char *path = sk_path_join (dir, files[i]);
    r = read_state_file (path, info, err);
  }
  if (r == -ENOENT) {
    struct stat st;
    if (stat (dir, &st) < 0) {
      sk_container_info_free (info);
      return no_such_container (id, err);
    }
    info->status = SK_STATUS_CREATING;
  } else if (r < 0) {
    sk_container_info_free (info);
    return -1;
  } else {
    derive_status (rt, info);
  }
  *out = info;
  return 0;
}

int
sk_state_lock (const sk_runtime *rt, const char *id, sk_err **err)
{
  if (sk_container_id_check (id, err) < 0)
    return -1;
  _cleanup_free_ char *dir = sk_state_dir (rt, id);
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return no_such_container (id, err);
    return sk_err_set (err, errno, "open `%s`", dir);
  }
  if (flock (fd, LOCK_EX) < 0) {
    int e = errno;
    close (fd);
    return sk_err_set (err, e, "lock `%s`", dir);
  }
  return fd;
}

int
sk_state_lock_and_read (const sk_runtime *rt, const char *id, sk_container_info **out,
                        sk_err **err)
{
  int lock = sk_state_lock (rt, id, err);
  if (lock < 0)
    return -1;
  if (sk_state_read (rt, id, out, err) < 0) {
    close (lock);
    return -1;
  }
  return lock;
}

int
sk_seccomp_compile_for (const sk_runtime *rt, const sk_spec_seccomp *sc, sk_seccomp_prog **out,
                        sk_err **err)
{
  /* compiling a large profile takes milliseconds; a cache under the state
   * root (root's, 0700) keeps the BPF of the profiles seen */
  _cleanup_free_ char *cache = sk_path_join (rt->root, ".seccomp-cache");
  if (cache == NULL || sk_mkdir_p (rt->root, 0700, err) < 0)
    return cache ? -1 : sk_err_set (err, ENOMEM, "seccomp cache");
  if (sk_seccomp_compile_cached (sc, cache, out, err) < 0)
    return sk_err_wrap (err, "linux.seccomp");
  return 0;
}
