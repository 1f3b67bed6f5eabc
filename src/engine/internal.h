/* skiff: what the engine's files share (not a public interface). */
#ifndef SKIFF_ENGINE_INTERNAL_H
#define SKIFF_ENGINE_INTERNAL_H

#include "engine.h"
#include "engine/events.h"
#include "network/networks.h"
#include "runtime/runtime.h"
#include "storage/storage.h"

struct sk_engine {
  sk_image_service *images;
  sk_db *db;
  sk_storage *storage;
  char *data_root;
  char *exec_root;
  char *runtime_root; /* EXEC_ROOT/runtime */
  char *shim;
  char *dns; /* the skiff-dns binary */
  char **self_argv; /* sk_engine_opts' (NULL: none) */
  char *cgroup_parent;
  sk_runtime rt;
  sk_net_settings net;
  bool net_ready; /* the predefined networks are in place */
};

/* DATA_ROOT/containers, EXEC_ROOT/containers and EXEC_ROOT/runtime, made
 * when missing (by create and start). */
int sk_engine_make_dirs (sk_engine *e, sk_err **err);

/* DATA_ROOT/containers/<id>[/sub] and EXEC_ROOT/containers/<id>[/sub]. */
char *sk_engine_bundle_path (sk_engine *e, const char *id, const char *sub);
char *sk_engine_state_path (sk_engine *e, const char *id, const char *sub);

/* The storage layer ids (hex) of an image's stack, top first. */
int sk_engine_image_layers (sk_engine *e, const char *image, char ***layers, size_t *n,
                            sk_err **err);

/* Reads the shim's exit.json into c (state exited); 0 when there was one,
 * 1 when there is none yet. */
int sk_engine_read_exit (sk_engine *e, sk_ctr *c);

/* Appends the container's event (action) to the event log, its image and
 * name among the attributes with extra; a failure is only logged. */
void sk_engine_emit (sk_engine *e, const sk_ctr *c, const char *action, const sk_event_attr *extra,
                     size_t n);
/* The image as the user named it (Config.Image), else its id (freed by the
 * caller). */
char *sk_ctr_image_name (const sk_ctr *c);

/* Whether pid is a live skiff-shim. */
bool sk_engine_shim_alive (pid_t pid);

/* ---- volumes and mounts (volumes.c) ---- */

/* The mounts a new container's configuration asks for (HostConfig.Binds,
 * Mounts, VolumesFrom, and Volumes: anonymous volumes), checked before it
 * is made; a volume's name NULL: an anonymous one, named at attach. */
typedef struct sk_mount_plan {
  sk_mount_point *m;
  size_t n;
} sk_mount_plan;
int sk_engine_mounts_plan (sk_engine *e, const sk_json *config, sk_mount_plan *p, sk_err **err);
void sk_engine_mounts_plan_clear (sk_mount_plan *p);
/* In one transaction: the volumes it names made when missing, and its
 * mount rows added. */
int sk_engine_mounts_attach (sk_engine *e, const char *id, sk_mount_plan *p, sk_err **err);
/* At start, the rootfs mounted (rootfd): the container's mounts as
 * config.json's mounts (*oci, an array), each new volume filled from the
 * image first (copy-up). */
int sk_engine_mounts_start (sk_engine *e, const sk_ctr *c, int rootfd, sk_json **oci,
                            sk_err **err);
/* Bytes of the files under path, not crossing mounts. */
int64_t sk_engine_path_size (const char *path);

/* ---- networks (net.c) ---- */

/* The predefined networks in place (once per engine), and what killed
 * starts left of network namespaces removed. */
int sk_engine_net_init (sk_engine *e, sk_err **err);
/* The network a new container's NetworkMode names and what its endpoint
 * asks for (net NULL: none, as for host, none and container:NAME). */
typedef struct sk_net_plan {
  sk_network *net;
  const char *ip, *ip6, *mac; /* borrowed from the configuration */
  char *aliases;              /* a JSON array, or NULL */
} sk_net_plan;
/* Found and checked before the container is made. */
int sk_engine_net_plan (sk_engine *e, const sk_json *config, sk_net_plan *p, sk_err **err);
void sk_engine_net_plan_clear (sk_net_plan *p);
/* The endpoint taken for the new container. */
int sk_engine_net_attach (sk_engine *e, const char *id, const sk_net_plan *p, sk_err **err);
/* What start made of a container's networks. */
typedef struct sk_net_info {
  char *netns;    /* the namespace's path; NULL: the container has no endpoint */
  char *addrs;    /* its addresses, space-separated, for /etc/hosts */
  char *resolver; /* the nameserver of its resolv.conf (skiff-dns), or NULL */
  char *gateway;  /* its first network's gateway (add-host's host-gateway) */
} sk_net_info;
/* At start: the network namespace with the container's endpoints in it,
 * and skiff-dns running when one of its networks is user-defined. */
int sk_engine_net_setup (sk_engine *e, const sk_ctr *c, sk_net_info *info, sk_err **err);
void sk_engine_net_info_clear (sk_net_info *info);
/* Held (the fd, closed to let go) while a start makes its network
 * namespace until its shim has it: a clean-up of namespaces left by
 * killed starts waits for none under way. */
int sk_engine_net_hold (sk_engine *e);
/* The container's host ports for this start (PortBindings). */
int sk_engine_publish (sk_engine *e, const sk_ctr *c, const sk_json *config, sk_err **err);
/* The resolver of the user-defined networks running, serving all of
 * their gateways (started, or started again when they changed). */
int sk_engine_dns_ensure (sk_engine *e, sk_err **err);
/* The container's /etc/resolv.conf: the host's (its loopback servers left
 * out; docker's fallback when none is left), resolver as the only server
 * when given, HostConfig.Dns, DnsSearch and DnsOptions over them. */
char *sk_engine_resolv_conf (const sk_json *config, const char *resolver);
/* HostConfig.ExtraHosts as /etc/hosts lines, host-gateway as gateway. */
char *sk_engine_extra_hosts (const sk_json *config, const char *gateway);
/* The network namespace gone (and the veths in it). */
void sk_engine_net_teardown (sk_engine *e, const char *id);

/* DATA_ROOT/containers/<id>/rootfs.lock, taken (blocking): held whole by a
 * start until the container runs and by a copy or export of a stopped
 * container while it has the rootfs mounted, shared by a copy of a running
 * one, so that two overlays never share one upper directory. The fd, closed
 * to let go. */
int sk_engine_rootfs_lock (sk_engine *e, const char *id, bool shared, sk_err **err);

/* Now, in nanoseconds since the epoch. */
int64_t sk_engine_now (void);

#endif
