/* skiff: the engine: containers made from images, run by one skiff-shim
 * each, recorded in the database the images use.
 *
 * Where a container's things live:
 *   DATA_ROOT/containers/<id>/    config.json (the OCI bundle), rootfs/ (its
 *                                 mount point), hostname, hosts, resolv.conf,
 *                                 <id>-json.log (its output, docker's format)
 *                                 shm/ (IpcMode shareable: its /dev/shm, a tmpfs)
 *   DATA_ROOT/<driver>/containers/<id>/   its writable layer (storage.h)
 *   EXEC_ROOT/containers/<id>/    shim.pid, exit.json: what the shim says
 *   EXEC_ROOT/runtime/            the runtime's state of running containers
 *   DATA_ROOT/events.log          docker's events of every container (events.h)
 * The record's state is made true to these whenever it is read: a container
 * whose shim wrote exit.json has exited; one whose shim is gone without a
 * word is reported exited with 255 and an error saying so. */
#ifndef SKIFF_ENGINE_ENGINE_H
#define SKIFF_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "engine/containers.h"
#include "image/service.h"
#include "network/networks.h"
#include "network/ports.h"
#include "volume/volumes.h"
#include "util/error.h"
#include "util/json.h"

#define SK_DEFAULT_EXEC_ROOT "/run/skiff"

typedef struct sk_engine sk_engine;

typedef struct sk_engine_opts {
  const char *exec_root;     /* NULL: SK_DEFAULT_EXEC_ROOT */
  const char *shim;          /* the skiff-shim binary; NULL: next to this program */
  const char *dns;           /* the skiff-dns binary; NULL: next to this program */
  const char *cgroup_parent; /* NULL: "skiff" */
  sk_net_settings net;       /* the default bridge and the address pools */
  /* this program and the options that make it open this same engine
   * (NULL-terminated): a shim runs it with `rm -v ID` to remove a --rm
   * container that stopped with no client waiting for it; NULL: none */
  const char *const *self_argv;
} sk_engine_opts;

/* The engine over an image service (which the caller keeps open). */
int sk_engine_open (sk_image_service *images, const sk_engine_opts *o, sk_engine **out,
                    sk_err **err);
void sk_engine_free (sk_engine *e);

/* A new container of the image `image_id` (an id), from Docker's create
 * body (Config's fields, HostConfig; borrowed): the image's defaults
 * merged in, its writable layer made, its record added. name NULL: one is
 * made up. *id: the new container's id. Nothing is left on failure. */
int sk_engine_create (sk_engine *e, const char *image_id, const sk_json *body, const char *name,
                      char **id, sk_err **err);

/* Starts a created or exited container: its rootfs mounted, config.json
 * written, its shim started and the process running. On failure
 * *exit_code is docker's (127: command not found, 126: not executable,
 * 125: anything else) and the container is left created. */
int sk_engine_start (sk_engine *e, const char *id, int *exit_code, sk_err **err);
/* The same; attached: the caller waits for the container and removes it
 * itself if it is --rm (AutoRemove); otherwise its shim does, once it has
 * stopped for good (with sk_engine_opts' self_argv). sk_engine_start is
 * unattached. */
int sk_engine_start_attached (sk_engine *e, const char *id, bool attached, int *exit_code,
                              sk_err **err);

/* The record, its state made true first (see above). */
int sk_engine_get (sk_engine *e, const char *id, sk_ctr **out, sk_err **err);
int sk_engine_list (sk_engine *e, sk_ctr ***out, sk_err **err);

/* Sends sig to the container's process (all: to every process of its
 * cgroup). A container that is not running is an error saying so. */
int sk_engine_kill (sk_engine *e, const char *id, int sig, bool all, sk_err **err);
/* docker stop: the stop signal, then after timeout seconds (negative: the
 * container's StopTimeout, else 10) SIGKILL to every process; returns once
 * it has exited. A container that is not running is left as it is. */
int sk_engine_stop (sk_engine *e, const char *id, int timeout, sk_err **err);
/* The same with signal (> 0) in place of the stop signal (stop -s). */
int sk_engine_stop_signal (sk_engine *e, const char *id, int timeout, int signal, sk_err **err);
/* Waits until the container is not running; its exit code. */
int sk_engine_wait (sk_engine *e, const char *id, int *exit_code, sk_err **err);
/* docker rm: refused while it runs unless force (then killed first). */
int sk_engine_remove (sk_engine *e, const char *id, bool force, sk_err **err);

/* Freezes and thaws a running container (docker pause, unpause). */
int sk_engine_pause (sk_engine *e, const char *id, sk_err **err);
int sk_engine_unpause (sk_engine *e, const char *id, sk_err **err);
/* A new name, unique as at create. */
int sk_engine_rename (sk_engine *e, const char *id, const char *name, sk_err **err);
/* docker restart: stop (timeout as sk_engine_stop's), then start. */
int sk_engine_restart (sk_engine *e, const char *id, int timeout, sk_err **err);
int sk_engine_restart_signal (sk_engine *e, const char *id, int timeout, int signal, sk_err **err);
/* docker update: changes has the shape of the body of POST
 * /containers/{id}/update (Memory, MemorySwap, MemoryReservation,
 * MemoryHigh, NanoCpus, CpuShares, CpuPeriod, CpuQuota, CpusetCpus,
 * CpusetMems, PidsLimit, BlkioWeight, RestartPolicy; a zero value changes
 * nothing). Checked as docker checks it, written to the cgroup of a running
 * container at once, then stored in HostConfig for its next start. */
int sk_engine_update (sk_engine *e, const char *id, const sk_json *changes, sk_err **err);
/* The cgroup's statistics of a running container (the runtime's `events
 * --stats` document: cpu, memory with memory.stat's counters, pids, blkio). */
int sk_engine_stats (sk_engine *e, const char *id, sk_json **out, sk_err **err);
/* The shim's report of the last OOM kill in the container's current or last
 * run (EXEC_ROOT/containers/<id>/oom.json: Count, Pid, Command, At, Memory;
 * see shim-oom.h); *out NULL when there was none. */
int sk_engine_oom_report (sk_engine *e, const char *id, sk_json **out, sk_err **err);
/* Bytes of the files in the container's writable layer. */
int64_t sk_engine_rw_size (sk_engine *e, const char *id);
/* The container's State.Health as its shim last wrote it (Docker's shape:
 * Status, FailingStreak, Log), or NULL when it has no healthcheck. */
sk_json *sk_engine_health (sk_engine *e, const char *id);
/* The host pids of a running container's processes. */
int sk_engine_pids (sk_engine *e, const char *id, pid_t **pids, size_t *n, sk_err **err);
/* docker exec: what runs and how (see sk_engine_exec). */
typedef struct sk_engine_exec_opts {
  char *const *args;         /* the command and its arguments, NULL-terminated */
  char *const *env;          /* NAME=VALUE over the container's, NAME alone unsets; may be NULL */
  const char *user;          /* Docker's user[:group]; NULL: the container's */
  const char *workdir;       /* absolute; NULL: the container's */
  bool privileged;           /* every capability of the host's bounding set */
  bool tty;                  /* a terminal in the container, relayed to this process's */
  bool interactive;          /* stdin passed on (else the process reads /dev/null) */
  bool detach;               /* return once it runs; its output is dropped */
  unsigned short rows, cols; /* the terminal's first size with tty (0: not told) */
} sk_engine_exec_opts;

/* Runs another process in a running container, from this process (its
 * stdout and stderr are this process's, not the container's log). Unless
 * detached, waits for it: *exit_code is its exit code (128 + signal when
 * killed). On failure *exit_code is docker's: 127 when the program is not
 * found, 126 when it cannot be run, else 1. */
int sk_engine_exec (sk_engine *e, const char *id, const sk_engine_exec_opts *o, int *exit_code,
                    sk_err **err);

/* docker diff: the container's changes to its image's files, fn told each
 * one (kind 'A', 'C' or 'D', the absolute path) in docker's order. */
int sk_engine_changes (sk_engine *e, const char *id,
                       void (*fn) (char kind, const char *path, void *data), void *data,
                       sk_err **err);

typedef struct sk_engine_commit_opts {
  const char *reference; /* "name[:tag]"; NULL: untagged */
  const char *author, *message;
  const char *const *changes; /* Dockerfile instructions, NULL-terminated or NULL */
  bool pause;                 /* a running container frozen while its files are read */
} sk_engine_commit_opts;
/* docker commit: an image of the container's image and its changes (see
 * sk_image_commit); *image: its id. */
int sk_engine_commit (sk_engine *e, const char *id, const sk_engine_commit_opts *o, char **image,
                      sk_err **err);

/* The id a user means (a full id, a name, an unambiguous id prefix). */
int sk_engine_resolve (sk_engine *e, const char *what, char **id, sk_err **err);
/* Whether the container goes when it stops (HostConfig.AutoRemove). */
bool sk_ctr_auto_remove (const sk_ctr *c);
/* overlay or vfs */
const char *sk_engine_driver (sk_engine *e);

/* What a wait for a container's exit sleeps on: a pidfd of its process,
 * readable once that process ended. Not inotify on the shim's files:
 * closing an inotify descriptor waits for an SRCU grace period in the
 * kernel, about 15 ms here, more than all the rest of an attached
 * `run --rm`. */
typedef struct sk_engine_watch {
  pid_t pid;
  int fd; /* -1: none (no process, or no pidfd): naps are plain sleeps */
} sk_engine_watch;
#define SK_ENGINE_WATCH_INIT {0, -1}
/* Watches the process pid (the record's, which a restart changes; 0: none). */
void sk_engine_watch_pid (sk_engine_watch *w, pid_t pid);
void sk_engine_watch_close (sk_engine_watch *w);
/* A sleep of up to ms that ends when the watched process ends; once it
 * has, a millisecond (its shim writes exit.json a moment later). */
void sk_engine_nap (sk_engine_watch *w, long ms);
/* DATA_ROOT/events.log, the event log (events.h; freed by the caller). */
char *sk_engine_events_path (sk_engine *e);

/* DATA_ROOT/containers/<id>/<id>-json.log (freed by the caller). */
char *sk_engine_log_path (sk_engine *e, const char *id);
/* DATA_ROOT/containers/<id>/<id>-local.log, the local driver's log, in
 * skiff's compact format (logfile.h); rotated files beside it. */
char *sk_engine_local_log_path (sk_engine *e, const char *id);

/* Connects to the attach socket of a running container's shim (the protocol:
 * shim.h); the fd. ENOENT or ECONNREFUSED: no shim listens. */
int sk_engine_attach_connect (sk_engine *e, const char *id, sk_err **err);

/* ---- networks (net.c; the records: network/networks.h) ---- */

/* A container's network namespace file, EXEC_ROOT/netns/<id> (docker's
 * SandboxKey), whether or not it exists. */
char *sk_engine_netns_path (sk_engine *e, const char *id);
/* By name, id or id prefix; the predefined ones are made on first use. */
int sk_engine_network_find (sk_engine *e, const char *what, sk_network **out, sk_err **err);
int sk_engine_network_list (sk_engine *e, sk_network ***out, size_t *n, sk_err **err);
/* A new network and its bridge. */
int sk_engine_network_create (sk_engine *e, const sk_network_spec *spec, sk_network **out,
                              sk_err **err);
/* The network and its bridge gone; EBUSY while containers are on it. */
int sk_engine_network_remove (sk_engine *e, const sk_network *net, sk_err **err);
int sk_engine_container_endpoints (sk_engine *e, const char *id, sk_endpoint ***out, size_t *n,
                                   sk_err **err);
/* The container (an id) on one more network: an endpoint taken (ip, ip6
 * as asked or the first free ones; aliases a JSON array or NULL) and, when
 * it runs, its link there made at once. */
int sk_engine_network_connect (sk_engine *e, const sk_network *net, const char *id, const char *ip,
                               const char *ip6, const char *aliases, sk_err **err);
/* Off the network: its link there gone, its endpoint (and addresses) given
 * back. ENOENT when it is not on it. */
int sk_engine_network_disconnect (sk_engine *e, const sk_network *net, const char *id,
                                  sk_err **err);
/* The host ports the container was given at its last start. */
int sk_engine_container_ports (sk_engine *e, const char *id, sk_port **out, size_t *n, sk_err **err);
/* skiff's nftables table made to match the networks and the published
 * ports of the running containers; unless force, left alone when it
 * already does (and is intact: as many rules as when it was made). */
int sk_engine_fw_sync (sk_engine *e, bool force, sk_err **err);
int sk_engine_network_endpoints (sk_engine *e, const char *network, sk_endpoint ***out, size_t *n,
                                 sk_err **err);

/* ---- volumes and mounts (volumes.c; the records: volume/volumes.h) ---- */

/* The container's mount points, in the order they are mounted (a parent
 * before what is mounted under it). */
int sk_engine_container_mounts (sk_engine *e, const char *id, sk_mount_point **out, size_t *n,
                                sk_err **err);
/* docker volume create: name NULL makes one up; labels and options JSON
 * objects (NULL: none). A volume of that name already there is returned
 * as it is, as Docker does. */
int sk_engine_volume_create (sk_engine *e, const char *name, const char *labels,
                             const char *options, sk_volume **out, sk_err **err);
/* Every volume, by name. */
int sk_engine_volume_list (sk_engine *e, sk_volume ***out, size_t *n, sk_err **err);
/* By name; ENOENT: "no such volume". */
int sk_engine_volume_get (sk_engine *e, const char *name, sk_volume **out, sk_err **err);
/* The row, then its directory; EBUSY while a container has it. */
int sk_engine_volume_remove (sk_engine *e, const char *name, sk_err **err);
/* Bytes of the files of a local volume's directory (0 for others). */
int64_t sk_engine_volume_size (sk_engine *e, const sk_volume *v);
/* DATA_ROOT/volumes/NAME/_data, or the device of a volume with a type. */
char *sk_engine_volume_mountpoint (sk_engine *e, const sk_volume *v);
/* The number of containers that have it; -1 on error. */
int sk_engine_volume_refs (sk_engine *e, const char *name);
/* docker rm -v: as sk_engine_remove, then the container's anonymous
 * volumes that no other container has. */
int sk_engine_remove_volumes (sk_engine *e, const char *id, bool force, bool volumes,
                              sk_err **err);

/* ---- the files of a container (copy.c): docker cp and export ---- */

/* A view of a container's files, or of a host directory, in which every
 * path is resolved inside its root (symlinks and ".." never leave it) and
 * everything below is reached by directory fds, never by a path again. */
typedef struct sk_ctr_fs sk_ctr_fs;
/* A running container's view is its own (/proc/PID/root, its volumes and
 * tmpfs with it); a stopped one's is its rootfs mounted where only this
 * process sees it (a detached mount), under the container's rootfs lock so
 * that no start mounts it meanwhile, its volumes and binds read and written
 * in their sources. rootfs_only (export): the rootfs alone, running or not. */
int sk_engine_fs_open (sk_engine *e, const char *id, bool rootfs_only, sk_ctr_fs **out,
                       sk_err **err);
/* A host directory as a view (its root: dir). */
int sk_ctr_fs_host (const char *dir, sk_ctr_fs **out, sk_err **err);
void sk_ctr_fs_close (sk_ctr_fs *fs);
/* path as docker cleans it: absolute (a relative one from "/"), without
 * ".", ".." or doubled slashes. */
char *sk_ctr_path_clean (const char *path);
/* stat of a path of the view (follow: its last component too). A path that
 * is not there: docker's "Could not find the file PATH in container NAME"
 * (ENOENT). */
int sk_ctr_fs_stat (sk_ctr_fs *fs, const char *path, bool follow, struct stat *st, sk_err **err);
/* A tar of the tree at path to out, its top entry named as (below it, its
 * entries "as/..."); symlinks archived as symlinks. *bytes: of file data. */
int sk_ctr_fs_archive (sk_ctr_fs *fs, const char *path, bool follow, const char *as, int out,
                       int64_t *bytes, sk_err **err);
typedef struct sk_extract_opts {
  bool keep_owner;             /* the archive's uid and gid; else uid and gid */
  uid_t uid;
  gid_t gid;
  bool no_overwrite_dir_non_dir; /* a directory never replaced by a file, nor a file by one */
  bool no_follow_below;          /* no symlink followed below dir (on the host: an archive
                                    cannot lead out of what it makes) */
} sk_extract_opts;
/* Extracts the tar read from in into the directory dir of the view (which
 * must exist); no entry can leave dir ("..", absolute names, symlinks). */
int sk_ctr_fs_extract (sk_ctr_fs *fs, const char *dir, int in, const sk_extract_opts *o,
                       int64_t *bytes, sk_err **err);
/* The owner of what is copied into the container without -a: its User
 * (numeric, or found in its etc/passwd and etc/group, read as data), else
 * root. */
int sk_engine_copy_owner (sk_engine *e, sk_ctr_fs *fs, const char *id, uid_t *uid, gid_t *gid,
                          sk_err **err);
/* docker export: the container's rootfs (no volumes, nothing mounted on
 * it) as a tar to out. */
int sk_engine_export (sk_engine *e, const char *id, int out, sk_err **err);

#endif
