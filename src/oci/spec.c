/* skiff: reading config.json into the sk_spec model; see oci.h. */
#include <errno.h>
#include <linux/personality.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "oci.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define TRY(x)                                                                                     \
  do {                                                                                             \
    if ((x) < 0)                                                                                   \
      return -1;                                                                                   \
  } while (0)

/* Allocates the array for a JSON array member; returns its length (0 when absent). */
static int
alloc_array (const sk_jr *r, size_t elem, void **out, size_t *n, sk_err **err)
{
  size_t len = 0;
  int ret = sk_jr_array (r, &len, err);
  if (ret <= 0) {
    *n = 0;
    return ret;
  }
  *out = calloc (len ? len : 1, elem);
  if (*out == NULL)
    return sk_err_set (err, ENOMEM, "calloc");
  *n = len;
  return 1;
}

static int
require (const sk_jr *r, int ret, sk_err **err)
{
  if (ret == 0)
    return sk_jr_fail (r, err, "missing");
  return ret;
}

/* ---- process ---- */

static int
parse_caps (const sk_jr *r, sk_spec_caps *caps, sk_err **err)
{
  static const char *const sets[] = {"bounding", "effective", "inheritable", "permitted",
                                     "ambient"};
  uint64_t *masks[] = {&caps->bounding, &caps->effective, &caps->inheritable, &caps->permitted,
                       &caps->ambient};
  for (size_t s = 0; s < SK_N_ELEMENTS (sets); s++) {
    sk_jr set = sk_jr_member (r, sets[s]);
    _cleanup_strv_ char **names = NULL;
    TRY (sk_jr_strv (&set, &names, err));
    for (size_t i = 0; names && names[i]; i++) {
      int cap = sk_cap_from_name (names[i]);
      if (cap < 0) {
        sk_jr e = sk_jr_element (&set, i);
        return sk_jr_fail (&e, err, "unknown capability `%s`", names[i]);
      }
      *masks[s] |= 1ULL << cap;
    }
  }
  return 0;
}

static int
parse_rlimits (const sk_jr *r, sk_spec_process *p, sk_err **err)
{
  TRY (alloc_array (r, sizeof *p->rlimits, (void **) &p->rlimits, &p->n_rlimits, err));
  for (size_t i = 0; i < p->n_rlimits; i++) {
    sk_jr e = sk_jr_element (r, i);
    sk_spec_rlimit *l = &p->rlimits[i];
    sk_jr t = sk_jr_member (&e, "type"), soft = sk_jr_member (&e, "soft"),
          hard = sk_jr_member (&e, "hard");
    TRY (sk_jr_object (&e, err));
    TRY (require (&t, sk_jr_string (&t, &l->type, err), err));
    l->resource = sk_rlimit_from_name (l->type);
    if (l->resource < 0)
      return sk_jr_fail (&t, err, "unknown rlimit `%s`", l->type);
    TRY (require (&soft, sk_jr_uint64 (&soft, &l->soft, err), err));
    TRY (require (&hard, sk_jr_uint64 (&hard, &l->hard, err), err));
    if (l->soft > l->hard)
      return sk_jr_fail (&e, err, "soft limit %llu is above the hard limit %llu",
                         (unsigned long long) l->soft, (unsigned long long) l->hard);
    for (size_t j = 0; j < i; j++)
      if (p->rlimits[j].resource == l->resource)
        return sk_jr_fail (&t, err, "rlimit `%s` given twice", l->type);
  }
  return 0;
}

static int
parse_user (const sk_jr *r, sk_spec_user *u, sk_err **err)
{
  TRY (sk_jr_object (r, err));
  sk_jr uid = sk_jr_member (r, "uid"), gid = sk_jr_member (r, "gid"),
        umask = sk_jr_member (r, "umask"), extra = sk_jr_member (r, "additionalGids");
  TRY (sk_jr_uint32 (&uid, &u->uid, err));
  TRY (sk_jr_uint32 (&gid, &u->gid, err));
  int ret = sk_jr_uint32 (&umask, &u->umask, err);
  TRY (ret);
  u->umask_set = ret > 0;
  TRY (alloc_array (&extra, sizeof *u->additional_gids, (void **) &u->additional_gids,
                    &u->n_additional_gids, err));
  for (size_t i = 0; i < u->n_additional_gids; i++) {
    sk_jr e = sk_jr_element (&extra, i);
    TRY (sk_jr_uint32 (&e, &u->additional_gids[i], err));
  }
  return 0;
}

static int
parse_process (const sk_jr *r, sk_spec_process *p, sk_err **err)
{
  TRY (sk_jr_object (r, err));
  sk_jr m;
  m = sk_jr_member (r, "terminal");
  TRY (sk_jr_bool (&m, &p->terminal, err));
  m = sk_jr_member (r, "consoleSize");
  int ret = sk_jr_object (&m, err);
  TRY (ret);
  if (ret > 0) {
    sk_jr h = sk_jr_member (&m, "height"), w = sk_jr_member (&m, "width");
    uint32_t hv = 0, wv = 0;
    TRY (require (&h, sk_jr_uint32 (&h, &hv, err), err));
    TRY (require (&w, sk_jr_uint32 (&w, &wv, err), err));
    p->console_size_set = true;
    p->console_height = hv;
    p->console_width = wv;
  }
  m = sk_jr_member (r, "user");
  TRY (parse_user (&m, &p->user, err));
  m = sk_jr_member (r, "args");
  TRY (sk_jr_strv (&m, &p->args, err));
  if (p->args == NULL || p->args[0] == NULL)
    return sk_jr_fail (&m, err, "must name the program to run");
  m = sk_jr_member (r, "env");
  TRY (sk_jr_strv (&m, &p->env, err));
  m = sk_jr_member (r, "cwd");
  TRY (require (&m, sk_jr_string (&m, &p->cwd, err), err));
  if (p->cwd[0] != '/')
    return sk_jr_fail (&m, err, "`%s` is not an absolute path", p->cwd);
  m = sk_jr_member (r, "capabilities");
  ret = sk_jr_object (&m, err);
  TRY (ret);
  if (ret > 0) {
    p->caps_set = true;
    TRY (parse_caps (&m, &p->caps, err));
  }
  m = sk_jr_member (r, "rlimits");
  TRY (parse_rlimits (&m, p, err));
  m = sk_jr_member (r, "noNewPrivileges");
  TRY (sk_jr_bool (&m, &p->no_new_privileges, err));
  m = sk_jr_member (r, "apparmorProfile");
  TRY (sk_jr_string (&m, &p->apparmor_profile, err));
  m = sk_jr_member (r, "selinuxLabel");
  TRY (sk_jr_string (&m, &p->selinux_label, err));
  m = sk_jr_member (r, "oomScoreAdj");
  int32_t adj = 0;
  ret = sk_jr_int32 (&m, &adj, err);
  TRY (ret);
  if (ret > 0) {
    if (adj < -1000 || adj > 1000)
      return sk_jr_fail (&m, err, "%d is outside -1000..1000", adj);
    p->oom_score_adj_set = true;
    p->oom_score_adj = adj;
  }
  return 0;
}

/* ---- mounts ---- */

static int
parse_mounts (const sk_jr *r, sk_spec *s, sk_err **err)
{
  TRY (alloc_array (r, sizeof *s->mounts, (void **) &s->mounts, &s->n_mounts, err));
  for (size_t i = 0; i < s->n_mounts; i++) {
    sk_jr e = sk_jr_element (r, i);
    sk_spec_mount *mt = &s->mounts[i];
    TRY (sk_jr_object (&e, err));
    sk_jr d = sk_jr_member (&e, "destination"), t = sk_jr_member (&e, "type"),
          src = sk_jr_member (&e, "source"), o = sk_jr_member (&e, "options");
    TRY (require (&d, sk_jr_string (&d, &mt->destination, err), err));
    if (mt->destination[0] != '/') {
      /* runc takes a relative destination as relative to "/" */
      char *abs = NULL;
      if (asprintf (&abs, "/%s", mt->destination) < 0)
        return sk_err_set (err, ENOMEM, "asprintf");
      free (mt->destination);
      mt->destination = abs;
    }
    TRY (sk_jr_string (&t, &mt->type, err));
    TRY (sk_jr_string (&src, &mt->source, err));
    TRY (sk_jr_strv (&o, &mt->options, err));
    if (sk_mount_options_parse (mt, err) < 0)
      return sk_err_wrap (err, "mounts[%zu]", i);
    if (mt->type == NULL && !mt->bind)
      return sk_jr_fail (&t, err, "missing (and the mount is not a bind mount)");
    if (mt->bind && mt->source == NULL)
      return sk_jr_fail (&src, err, "missing for a bind mount");
  }
  return 0;
}

/* ---- hooks ---- */

static int
parse_hooks (const sk_jr *r, sk_spec_hooks *h, sk_err **err)
{
  TRY (sk_jr_object (r, err));
  for (int k = 0; k < SK_HOOK_KINDS; k++) {
    sk_jr list = sk_jr_member (r, sk_hook_kind_name ((sk_hook_kind) k));
    TRY (alloc_array (&list, sizeof **h->list, (void **) &h->list[k], &h->n[k], err));
    for (size_t i = 0; i < h->n[k]; i++) {
      sk_jr e = sk_jr_element (&list, i);
      sk_spec_hook *hook = &h->list[k][i];
      TRY (sk_jr_object (&e, err));
      sk_jr p = sk_jr_member (&e, "path"), a = sk_jr_member (&e, "args"),
            env = sk_jr_member (&e, "env"), to = sk_jr_member (&e, "timeout");
      TRY (require (&p, sk_jr_string (&p, &hook->path, err), err));
      if (hook->path[0] != '/')
        return sk_jr_fail (&p, err, "`%s` is not an absolute path", hook->path);
      TRY (sk_jr_strv (&a, &hook->args, err));
      TRY (sk_jr_strv (&env, &hook->env, err));
      int32_t timeout = 0;
      int ret = sk_jr_int32 (&to, &timeout, err);
      TRY (ret);
      if (ret > 0 && timeout <= 0)
        return sk_jr_fail (&to, err, "must be a positive number of seconds");
      hook->timeout = timeout;
    }
  }
  return 0;
}

/* ---- linux ---- */

static int
parse_namespaces (const sk_jr *r, sk_spec_linux *l, sk_err **err)
{
  size_t n = 0;
  TRY (sk_jr_array (r, &n, err));
  for (size_t i = 0; i < n; i++) {
    sk_jr e = sk_jr_element (r, i);
    TRY (sk_jr_object (&e, err));
    sk_jr t = sk_jr_member (&e, "type"), p = sk_jr_member (&e, "path");
    _cleanup_free_ char *type = NULL;
    TRY (require (&t, sk_jr_string (&t, &type, err), err));
    int ns = sk_ns_type_from_name (type);
    if (ns < 0)
      return sk_jr_fail (&t, err, "unknown namespace type `%s`", type);
    if (l->namespaces[ns].present)
      return sk_jr_fail (&t, err, "namespace `%s` given twice", type);
    l->namespaces[ns].present = true;
    TRY (sk_jr_string (&p, &l->namespaces[ns].path, err));
    if (l->namespaces[ns].path && l->namespaces[ns].path[0] == '\0') {
      free (l->namespaces[ns].path);
      l->namespaces[ns].path = NULL;
    }
  }
  return 0;
}

static int
parse_idmaps (const sk_jr *r, sk_spec_idmap **out, size_t *n, sk_err **err)
{
  TRY (alloc_array (r, sizeof **out, (void **) out, n, err));
  for (size_t i = 0; i < *n; i++) {
    sk_jr e = sk_jr_element (r, i);
    TRY (sk_jr_object (&e, err));
    sk_jr c = sk_jr_member (&e, "containerID"), h = sk_jr_member (&e, "hostID"),
          s = sk_jr_member (&e, "size");
    TRY (require (&c, sk_jr_uint32 (&c, &(*out)[i].container_id, err), err));
    TRY (require (&h, sk_jr_uint32 (&h, &(*out)[i].host_id, err), err));
    TRY (require (&s, sk_jr_uint32 (&s, &(*out)[i].size, err), err));
  }
  return 0;
}

static int
parse_devices (const sk_jr *r, sk_spec_linux *l, sk_err **err)
{
  TRY (alloc_array (r, sizeof *l->devices, (void **) &l->devices, &l->n_devices, err));
  for (size_t i = 0; i < l->n_devices; i++) {
    sk_jr e = sk_jr_element (r, i);
    sk_spec_device *d = &l->devices[i];
    TRY (sk_jr_object (&e, err));
    sk_jr t = sk_jr_member (&e, "type"), p = sk_jr_member (&e, "path"),
          ma = sk_jr_member (&e, "major"), mi = sk_jr_member (&e, "minor"),
          fm = sk_jr_member (&e, "fileMode"), u = sk_jr_member (&e, "uid"),
          g = sk_jr_member (&e, "gid");
    _cleanup_free_ char *type = NULL;
    TRY (require (&t, sk_jr_string (&t, &type, err), err));
    if (strlen (type) != 1 || strchr ("cbup", type[0]) == NULL)
      return sk_jr_fail (&t, err, "unknown device type `%s`", type);
    d->type = type[0];
    TRY (require (&p, sk_jr_string (&p, &d->path, err), err));
    if (d->path[0] != '/')
      return sk_jr_fail (&p, err, "`%s` is not an absolute path", d->path);
    if (d->type != 'p') {
      TRY (require (&ma, sk_jr_int64 (&ma, &d->major, err), err));
      TRY (require (&mi, sk_jr_int64 (&mi, &d->minor, err), err));
    }
    int ret;
    TRY (ret = sk_jr_uint32 (&fm, &d->file_mode, err));
    d->file_mode_set = ret > 0;
    TRY (ret = sk_jr_uint32 (&u, &d->uid, err));
    d->uid_set = ret > 0;
    TRY (ret = sk_jr_uint32 (&g, &d->gid, err));
    d->gid_set = ret > 0;
  }
  return 0;
}

static int
opt_i64 (const sk_jr *r, const char *key, sk_opt_i64 *o, sk_err **err)
{
  sk_jr m = sk_jr_member (r, key);
  int ret = sk_jr_int64 (&m, &o->v, err);
  TRY (ret);
  o->set = ret > 0;
  return 0;
}

static int
opt_u64 (const sk_jr *r, const char *key, sk_opt_u64 *o, sk_err **err)
{
  sk_jr m = sk_jr_member (r, key);
  int ret = sk_jr_uint64 (&m, &o->v, err);
  TRY (ret);
  o->set = ret > 0;
  return 0;
}

static int
opt_bool (const sk_jr *r, const char *key, bool *set, bool *v, sk_err **err)
{
  sk_jr m = sk_jr_member (r, key);
  int ret = sk_jr_bool (&m, v, err);
  TRY (ret);
  *set = ret > 0;
  return 0;
}

static int
opt_u16 (const sk_jr *r, const char *key, bool *set, uint16_t *v, sk_err **err)
{
  sk_jr m = sk_jr_member (r, key);
  uint32_t x = 0;
  int ret = sk_jr_uint32 (&m, &x, err);
  TRY (ret);
  if (ret > 0 && x > 65535)
    return sk_jr_fail (&m, err, "integer out of range");
  *set = ret > 0;
  *v = (uint16_t) x;
  return 0;
}

static int
parse_device_rules (const sk_jr *r, sk_spec_resources *res, sk_err **err)
{
  TRY (alloc_array (r, sizeof *res->devices, (void **) &res->devices, &res->n_devices, err));
  for (size_t i = 0; i < res->n_devices; i++) {
    sk_jr e = sk_jr_element (r, i);
    sk_spec_device_rule *d = &res->devices[i];
    TRY (sk_jr_object (&e, err));
    sk_jr al = sk_jr_member (&e, "allow"), t = sk_jr_member (&e, "type"),
          ma = sk_jr_member (&e, "major"), mi = sk_jr_member (&e, "minor"),
          ac = sk_jr_member (&e, "access");
    TRY (require (&al, sk_jr_bool (&al, &d->allow, err), err));
    _cleanup_free_ char *type = NULL, *access = NULL;
    TRY (sk_jr_string (&t, &type, err));
    if (type == NULL)
      d->type = 'a';
    else if (strlen (type) == 1 && strchr ("acb", type[0]))
      d->type = type[0];
    else
      return sk_jr_fail (&t, err, "unknown device type `%s`", type);
    d->major = d->minor = -1;
    TRY (sk_jr_int64 (&ma, &d->major, err));
    TRY (sk_jr_int64 (&mi, &d->minor, err));
    TRY (sk_jr_string (&ac, &access, err));
    if (access == NULL) {
      strcpy (d->access, "rwm");
    } else {
      if (strlen (access) > 3 || strspn (access, "rwm") != strlen (access))
        return sk_jr_fail (&ac, err, "`%s` is not a combination of r, w and m", access);
      strcpy (d->access, access);
    }
  }
  return 0;
}

static int
parse_throttles (const sk_jr *r, sk_spec_throttle **out, size_t *n, sk_err **err)
{
  TRY (alloc_array (r, sizeof **out, (void **) out, n, err));
  for (size_t i = 0; i < *n; i++) {
    sk_jr e = sk_jr_element (r, i);
    TRY (sk_jr_object (&e, err));
    sk_jr ma = sk_jr_member (&e, "major"), mi = sk_jr_member (&e, "minor"),
          rate = sk_jr_member (&e, "rate");
    TRY (require (&ma, sk_jr_int64 (&ma, &(*out)[i].major, err), err));
    TRY (require (&mi, sk_jr_int64 (&mi, &(*out)[i].minor, err), err));
    TRY (require (&rate, sk_jr_uint64 (&rate, &(*out)[i].rate, err), err));
  }
  return 0;
}

static int
parse_block_io (const sk_jr *r, sk_spec_resources *res, sk_err **err)
{
  int ret = sk_jr_object (r, err);
  if (ret <= 0)
    return ret;
  TRY (opt_u16 (r, "weight", &res->block_io.weight_set, &res->block_io.weight, err));
  TRY (opt_u16 (r, "leafWeight", &res->block_io.leaf_weight_set, &res->block_io.leaf_weight,
                err));
  sk_jr wd = sk_jr_member (r, "weightDevice");
  TRY (alloc_array (&wd, sizeof *res->block_io.weight_device,
                    (void **) &res->block_io.weight_device, &res->block_io.n_weight_device, err));
  for (size_t i = 0; i < res->block_io.n_weight_device; i++) {
    sk_jr e = sk_jr_element (&wd, i);
    sk_spec_weight_device *w = &res->block_io.weight_device[i];
    TRY (sk_jr_object (&e, err));
    sk_jr ma = sk_jr_member (&e, "major"), mi = sk_jr_member (&e, "minor");
    TRY (require (&ma, sk_jr_int64 (&ma, &w->major, err), err));
    TRY (require (&mi, sk_jr_int64 (&mi, &w->minor, err), err));
    TRY (opt_u16 (&e, "weight", &w->weight_set, &w->weight, err));
    TRY (opt_u16 (&e, "leafWeight", &w->leaf_weight_set, &w->leaf_weight, err));
  }
  static const char *const keys[4] = {"throttleReadBpsDevice", "throttleWriteBpsDevice",
                                      "throttleReadIOPSDevice", "throttleWriteIOPSDevice"};
  for (int k = 0; k < 4; k++) {
    sk_jr t = sk_jr_member (r, keys[k]);
    TRY (parse_throttles (&t, &res->block_io.throttle[k], &res->block_io.n_throttle[k], err));
  }
  return 0;
}

static int
parse_memory (const sk_jr *m, sk_spec_resources *res, sk_err **err)
{
  int ret = sk_jr_object (m, err);
  if (ret <= 0)
    return ret;
  TRY (opt_i64 (m, "limit", &res->memory.limit, err));
  TRY (opt_i64 (m, "reservation", &res->memory.reservation, err));
  TRY (opt_i64 (m, "swap", &res->memory.swap, err));
  TRY (opt_i64 (m, "kernel", &res->memory.kernel, err));
  TRY (opt_i64 (m, "kernelTCP", &res->memory.kernel_tcp, err));
  TRY (opt_u64 (m, "swappiness", &res->memory.swappiness, err));
  if (res->memory.swappiness.set && res->memory.swappiness.v > 100) {
    sk_jr s = sk_jr_member (m, "swappiness");
    return sk_jr_fail (&s, err, "%llu is above 100", (unsigned long long) res->memory.swappiness.v);
  }
  TRY (opt_bool (m, "disableOOMKiller", &res->memory.disable_oom_killer_set,
                 &res->memory.disable_oom_killer, err));
  TRY (opt_bool (m, "useHierarchy", &res->memory.use_hierarchy_set, &res->memory.use_hierarchy,
                 err));
  bool set;
  return opt_bool (m, "checkBeforeUpdate", &set, &res->memory.check_before_update, err);
}

static int
parse_cpu (const sk_jr *m, sk_spec_resources *res, sk_err **err)
{
  int ret = sk_jr_object (m, err);
  if (ret <= 0)
    return ret;
  TRY (opt_u64 (m, "shares", &res->cpu.shares, err));
  TRY (opt_i64 (m, "quota", &res->cpu.quota, err));
  TRY (opt_u64 (m, "burst", &res->cpu.burst, err));
  TRY (opt_u64 (m, "period", &res->cpu.period, err));
  TRY (opt_i64 (m, "realtimeRuntime", &res->cpu.realtime_runtime, err));
  TRY (opt_u64 (m, "realtimePeriod", &res->cpu.realtime_period, err));
  TRY (opt_i64 (m, "idle", &res->cpu.idle, err));
  sk_jr c = sk_jr_member (m, "cpus"), me = sk_jr_member (m, "mems");
  TRY (sk_jr_string (&c, &res->cpu.cpus, err));
  return sk_jr_string (&me, &res->cpu.mems, err);
}

static int
parse_hugepages (const sk_jr *m, sk_spec_resources *res, sk_err **err)
{
  TRY (alloc_array (m, sizeof *res->hugepages, (void **) &res->hugepages, &res->n_hugepages, err));
  for (size_t i = 0; i < res->n_hugepages; i++) {
    sk_jr e = sk_jr_element (m, i);
    TRY (sk_jr_object (&e, err));
    sk_jr ps = sk_jr_member (&e, "pageSize"), l = sk_jr_member (&e, "limit");
    TRY (require (&ps, sk_jr_string (&ps, &res->hugepages[i].page_size, err), err));
    TRY (require (&l, sk_jr_uint64 (&l, &res->hugepages[i].limit, err), err));
  }
  return 0;
}

static int
parse_network (const sk_jr *m, sk_spec_resources *res, sk_err **err)
{
  int ret = sk_jr_object (m, err);
  if (ret <= 0)
    return ret;
  sk_jr c = sk_jr_member (m, "classID"), p = sk_jr_member (m, "priorities");
  TRY (ret = sk_jr_uint32 (&c, &res->network.class_id, err));
  res->network.class_id_set = ret > 0;
  size_t n = 0;
  TRY (sk_jr_array (&p, &n, err));
  if (n == 0)
    return 0;
  res->network.prio_names = calloc (n + 1, sizeof (char *));
  res->network.prio_values = calloc (n, sizeof (uint32_t));
  if (!res->network.prio_names || !res->network.prio_values)
    return sk_err_set (err, ENOMEM, "calloc");
  res->network.n_prio = n;
  for (size_t i = 0; i < n; i++) {
    sk_jr e = sk_jr_element (&p, i);
    sk_jr nm = sk_jr_member (&e, "name"), pr = sk_jr_member (&e, "priority");
    TRY (require (&nm, sk_jr_string (&nm, &res->network.prio_names[i], err), err));
    TRY (require (&pr, sk_jr_uint32 (&pr, &res->network.prio_values[i], err), err));
  }
  return 0;
}

static int
parse_resources_obj (const sk_jr *r, sk_spec_resources *res, sk_err **err)
{
  int ret = sk_jr_object (r, err);
  if (ret <= 0)
    return ret;
  sk_jr m = sk_jr_member (r, "devices");
  TRY (parse_device_rules (&m, res, err));
  m = sk_jr_member (r, "memory");
  TRY (parse_memory (&m, res, err));
  m = sk_jr_member (r, "cpu");
  TRY (parse_cpu (&m, res, err));
  m = sk_jr_member (r, "pids");
  TRY (ret = sk_jr_object (&m, err));
  if (ret > 0) {
    sk_jr l = sk_jr_member (&m, "limit");
    TRY (opt_i64 (&m, "limit", &res->pids.limit, err));
    if (!res->pids.limit.set)
      return sk_jr_fail (&l, err, "missing");
  }
  m = sk_jr_member (r, "blockIO");
  TRY (parse_block_io (&m, res, err));
  m = sk_jr_member (r, "hugepageLimits");
  TRY (parse_hugepages (&m, res, err));
  m = sk_jr_member (r, "network");
  TRY (parse_network (&m, res, err));
  m = sk_jr_member (r, "unified");
  TRY (sk_jr_string_map (&m, &res->unified_keys, &res->unified_values, err));
  for (size_t i = 0; res->unified_keys && res->unified_keys[i]; i++) {
    const char *k = res->unified_keys[i];
    if (!sk_is_safe_component (k) || strchr (k, '.') == NULL)
      return sk_jr_fail (&m, err, "`%s` is not a cgroup file name", k);
    /* cgroup.procs, cgroup.freeze, cgroup.kill...: membership and state are the
     * runtime's, not resources; only the limits among the cgroup.* files pass */
    if (strncmp (k, "cgroup.", 7) == 0 && strcmp (k, "cgroup.max.depth") != 0 &&
        strcmp (k, "cgroup.max.descendants") != 0)
      return sk_jr_fail (&m, err, "`%s` is not a resource: it cannot be set", k);
  }
  return 1;
}

static int
parse_seccomp (const sk_jr *r, sk_spec_linux *l, sk_err **err)
{
  int ret = sk_jr_object (r, err);
  if (ret <= 0)
    return ret;
  sk_spec_seccomp *sc = calloc (1, sizeof *sc);
  if (sc == NULL)
    return sk_err_set (err, ENOMEM, "calloc");
  l->seccomp = sc;
  sk_jr m = sk_jr_member (r, "defaultAction");
  _cleanup_free_ char *action = NULL;
  TRY (require (&m, sk_jr_string (&m, &action, err), err));
  sc->default_action = 0;
  for (int a = SK_SCMP_ACT_KILL; a <= SK_SCMP_ACT_NOTIFY; a++)
    if (strcmp (action, sk_seccomp_action_name (a)) == 0)
      sc->default_action = a;
  if (sc->default_action == 0)
    return sk_jr_fail (&m, err, "unknown action `%s`", action);
  m = sk_jr_member (r, "defaultErrnoRet");
  TRY (ret = sk_jr_uint32 (&m, &sc->default_errno_ret, err));
  sc->default_errno_ret_set = ret > 0;
  m = sk_jr_member (r, "architectures");
  TRY (sk_jr_strv (&m, &sc->architectures, err));
  m = sk_jr_member (r, "flags");
  TRY (sk_jr_strv (&m, &sc->flags, err));
  m = sk_jr_member (r, "listenerPath");
  TRY (sk_jr_string (&m, &sc->listener_path, err));
  m = sk_jr_member (r, "listenerMetadata");
  TRY (sk_jr_string (&m, &sc->listener_metadata, err));
  m = sk_jr_member (r, "syscalls");
  TRY (alloc_array (&m, sizeof *sc->syscalls, (void **) &sc->syscalls, &sc->n_syscalls, err));
  for (size_t i = 0; i < sc->n_syscalls; i++) {
    sk_jr e = sk_jr_element (&m, i);
    sk_spec_syscall *s = &sc->syscalls[i];
    TRY (sk_jr_object (&e, err));
    sk_jr names = sk_jr_member (&e, "names"), act = sk_jr_member (&e, "action"),
          er = sk_jr_member (&e, "errnoRet"), args = sk_jr_member (&e, "args");
    TRY (require (&names, sk_jr_strv (&names, &s->names, err), err));
    _cleanup_free_ char *a = NULL;
    TRY (require (&act, sk_jr_string (&act, &a, err), err));
    for (int k = SK_SCMP_ACT_KILL; k <= SK_SCMP_ACT_NOTIFY; k++)
      if (strcmp (a, sk_seccomp_action_name (k)) == 0)
        s->action = k;
    if (s->action == 0)
      return sk_jr_fail (&act, err, "unknown action `%s`", a);
    TRY (ret = sk_jr_uint32 (&er, &s->errno_ret, err));
    s->errno_ret_set = ret > 0;
    TRY (alloc_array (&args, sizeof *s->args, (void **) &s->args, &s->n_args, err));
    if (s->n_args > 6)
      return sk_jr_fail (&args, err, "a system call has at most 6 arguments");
    for (size_t j = 0; j < s->n_args; j++) {
      static const char *const ops[] = {NULL,          "SCMP_CMP_NE", "SCMP_CMP_LT",
                                        "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE",
                                        "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};
      sk_jr ae = sk_jr_element (&args, j);
      sk_jr idx = sk_jr_member (&ae, "index"), v = sk_jr_member (&ae, "value"),
            v2 = sk_jr_member (&ae, "valueTwo"), op = sk_jr_member (&ae, "op");
      uint32_t index = 0;
      TRY (require (&idx, sk_jr_uint32 (&idx, &index, err), err));
      if (index > 5)
        return sk_jr_fail (&idx, err, "%u is not an argument index (0..5)", index);
      s->args[j].index = index;
      TRY (require (&v, sk_jr_uint64 (&v, &s->args[j].value, err), err));
      TRY (sk_jr_uint64 (&v2, &s->args[j].value_two, err));
      _cleanup_free_ char *o = NULL;
      TRY (require (&op, sk_jr_string (&op, &o, err), err));
      for (int k = 1; k < (int) SK_N_ELEMENTS (ops); k++)
        if (strcmp (o, ops[k]) == 0)
          s->args[j].op = k;
      if (s->args[j].op == 0)
        return sk_jr_fail (&op, err, "unknown operator `%s`", o);
    }
  }
  return 0;
}

static int
parse_propagation (const sk_jr *r, unsigned long *out, sk_err **err)
{
  _cleanup_free_ char *p = NULL;
  int ret = sk_jr_string (r, &p, err);
  if (ret <= 0)
    return ret;
  static const struct {
    const char *name;
    unsigned long flags;
  } props[] = {
      {"shared", MS_SHARED},        {"rshared", MS_SHARED | MS_REC},
      {"slave", MS_SLAVE},          {"rslave", MS_SLAVE | MS_REC},
      {"private", MS_PRIVATE},      {"rprivate", MS_PRIVATE | MS_REC},
      {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
  };
  for (size_t i = 0; i < SK_N_ELEMENTS (props); i++)
    if (strcmp (p, props[i].name) == 0) {
      *out = props[i].flags;
      return 1;
    }
  return sk_jr_fail (r, err, "unknown propagation `%s`", p);
}

static int
parse_personality (const sk_jr *r, sk_spec_linux *l, sk_err **err)
{
  int ret = sk_jr_object (r, err);
  if (ret <= 0)
    return ret;
  sk_jr d = sk_jr_member (r, "domain"), f = sk_jr_member (r, "flags");
  _cleanup_free_ char *domain = NULL;
  TRY (require (&d, sk_jr_string (&d, &domain, err), err));
  if (strcmp (domain, "LINUX") == 0)
    l->personality = PER_LINUX;
  else if (strcmp (domain, "LINUX32") == 0)
    l->personality = PER_LINUX32;
  else
    return sk_jr_fail (&d, err, "unknown personality domain `%s`", domain);
  _cleanup_strv_ char **flags = NULL;
  TRY (sk_jr_strv (&f, &flags, err));
  if (flags && flags[0])
    return sk_jr_fail (&f, err, "personality flags are not supported");
  l->personality_set = true;
  return 0;
}

static int
parse_time_offsets (const sk_jr *r, sk_spec_linux *l, sk_err **err)
{
  int ret = sk_jr_object (r, err);
  if (ret <= 0)
    return ret;
  static const char *const clocks[2] = {"monotonic", "boottime"};
  for (int i = 0; i < 2; i++) {
    sk_jr c = sk_jr_member (r, clocks[i]);
    TRY (ret = sk_jr_object (&c, err));
    if (ret == 0)
      continue;
    sk_jr s = sk_jr_member (&c, "secs"), n = sk_jr_member (&c, "nanosecs");
    TRY (sk_jr_int64 (&s, &l->time_offsets[i].secs, err));
    TRY (sk_jr_uint32 (&n, &l->time_offsets[i].nanosecs, err));
    l->time_offsets[i].set = true;
  }
  return 0;
}

static int
parse_linux (const sk_jr *r, sk_spec_linux *l, sk_err **err)
{
  int ret = sk_jr_object (r, err);
  if (ret <= 0)
    return ret;
  sk_jr m = sk_jr_member (r, "namespaces");
  TRY (parse_namespaces (&m, l, err));
  m = sk_jr_member (r, "uidMappings");
  TRY (parse_idmaps (&m, &l->uid_mappings, &l->n_uid_mappings, err));
  m = sk_jr_member (r, "gidMappings");
  TRY (parse_idmaps (&m, &l->gid_mappings, &l->n_gid_mappings, err));
  m = sk_jr_member (r, "devices");
  TRY (parse_devices (&m, l, err));
  m = sk_jr_member (r, "cgroupsPath");
  TRY (sk_jr_string (&m, &l->cgroups_path, err));
  m = sk_jr_member (r, "resources");
  TRY (ret = parse_resources_obj (&m, &l->resources, err));
  l->resources_set = ret > 0;
  m = sk_jr_member (r, "rootfsPropagation");
  TRY (parse_propagation (&m, &l->rootfs_propagation, err));
  m = sk_jr_member (r, "seccomp");
  TRY (parse_seccomp (&m, l, err));
  m = sk_jr_member (r, "sysctl");
  TRY (sk_jr_string_map (&m, &l->sysctl_keys, &l->sysctl_values, err));
  m = sk_jr_member (r, "maskedPaths");
  TRY (sk_jr_strv (&m, &l->masked_paths, err));
  m = sk_jr_member (r, "readonlyPaths");
  TRY (sk_jr_strv (&m, &l->readonly_paths, err));
  m = sk_jr_member (r, "mountLabel");
  TRY (sk_jr_string (&m, &l->mount_label, err));
  m = sk_jr_member (r, "personality");
  TRY (parse_personality (&m, l, err));
  m = sk_jr_member (r, "timeOffsets");
  TRY (parse_time_offsets (&m, l, err));
  m = sk_jr_member (r, "intelRdt");
  if (m.obj)
    return sk_jr_fail (&m, err, "Intel RDT is not supported");
  return 1;
}

/* Rules that span sections. */
static int
validate (const sk_jr *doc, sk_spec *s, sk_err **err)
{
  sk_spec_linux *l = &s->linux_;
  sk_jr lin = sk_jr_member (doc, "linux");
  bool new_user = l->namespaces[SK_NS_USER].present && l->namespaces[SK_NS_USER].path == NULL;
  if (new_user && (l->n_uid_mappings == 0 || l->n_gid_mappings == 0)) {
    sk_jr m = sk_jr_member (&lin, "uidMappings");
    return sk_jr_fail (&m, err, "a new user namespace needs uidMappings and gidMappings");
  }
  if (!l->namespaces[SK_NS_USER].present && (l->n_uid_mappings || l->n_gid_mappings)) {
    sk_jr m = sk_jr_member (&lin, "uidMappings");
    return sk_jr_fail (&m, err, "id mappings given without a user namespace");
  }
  if (s->hostname && s->hostname[0] && !l->namespaces[SK_NS_UTS].present) {
    sk_jr m = sk_jr_member (doc, "hostname");
    return sk_jr_fail (&m, err, "setting the hostname needs a uts namespace");
  }
  if (l->time_offsets[0].set || l->time_offsets[1].set) {
    if (!l->namespaces[SK_NS_TIME].present || l->namespaces[SK_NS_TIME].path) {
      sk_jr m = sk_jr_member (&lin, "timeOffsets");
      return sk_jr_fail (&m, err, "time offsets need a new time namespace");
    }
  }
  if (!l->namespaces[SK_NS_MOUNT].present) {
    sk_jr m = sk_jr_member (&lin, "namespaces");
    return sk_jr_fail (&m, err, "a mount namespace is required");
  }
  return 0;
}

static int
parse_document (sk_json *root, sk_spec *s, sk_err **err)
{
  sk_jr doc = {.obj = root};
  TRY (sk_jr_object (&doc, err));
  if (root == NULL)
    return sk_err_set (err, 0, "the document is null");
  sk_jr m = sk_jr_member (&doc, "ociVersion");
  TRY (require (&m, sk_jr_string (&m, &s->oci_version, err), err));
  if (strncmp (s->oci_version, "1.", 2) != 0)
    return sk_jr_fail (&m, err, "unsupported version `%s`", s->oci_version);
  m = sk_jr_member (&doc, "root");
  TRY (require (&m, sk_jr_object (&m, err), err));
  sk_jr p = sk_jr_member (&m, "path"), ro = sk_jr_member (&m, "readonly");
  TRY (require (&p, sk_jr_string (&p, &s->root_path, err), err));
  if (s->root_path[0] == '\0')
    return sk_jr_fail (&p, err, "empty");
  TRY (sk_jr_bool (&ro, &s->root_readonly, err));
  m = sk_jr_member (&doc, "process");
  int ret = sk_jr_object (&m, err);
  TRY (ret);
  if (ret > 0) {
    s->process = calloc (1, sizeof *s->process);
    if (s->process == NULL)
      return sk_err_set (err, ENOMEM, "calloc");
    TRY (parse_process (&m, s->process, err));
  }
  m = sk_jr_member (&doc, "hostname");
  TRY (sk_jr_string (&m, &s->hostname, err));
  m = sk_jr_member (&doc, "domainname");
  TRY (sk_jr_string (&m, &s->domainname, err));
  m = sk_jr_member (&doc, "mounts");
  TRY (parse_mounts (&m, s, err));
  m = sk_jr_member (&doc, "hooks");
  TRY (parse_hooks (&m, &s->hooks, err));
  m = sk_jr_member (&doc, "annotations");
  TRY (sk_jr_string_map (&m, &s->annotation_keys, &s->annotation_values, err));
  m = sk_jr_member (&doc, "linux");
  TRY (require (&m, parse_linux (&m, &s->linux_, err), err));
  return validate (&doc, s, err);
}

int
sk_spec_parse (const char *data, size_t len, const char *what, sk_spec **out, sk_err **err)
{
  _cleanup_json_ sk_json *root = NULL;
  if (sk_json_parse (data, len, what, &root, err) < 0)
    return -1;
  _cleanup_spec_ sk_spec *s = calloc (1, sizeof *s);
  if (s == NULL)
    return sk_err_set (err, ENOMEM, "calloc");
  if (parse_document (root, s, err) < 0)
    return sk_err_wrap (err, "%s", what);
  s->raw = malloc (len + 1);
  if (s->raw == NULL)
    return sk_err_set (err, ENOMEM, "malloc");
  memcpy (s->raw, data, len);
  s->raw[len] = '\0';
  s->raw_len = len;
  *out = steal_ptr (s);
  return 0;
}

int
sk_spec_load (const char *path, sk_spec **out, sk_err **err)
{
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  if (sk_read_file (path, &data, &len, err) < 0)
    return -1;
  return sk_spec_parse (data, len, path, out, err);
}

int
sk_spec_process_parse (const char *data, size_t len, const char *what, sk_spec_process **out,
                       sk_err **err)
{
  _cleanup_json_ sk_json *root = NULL;
  if (sk_json_parse (data, len, what, &root, err) < 0)
    return -1;
  sk_spec_process *p = calloc (1, sizeof *p);
  if (p == NULL)
    return sk_err_set (err, ENOMEM, "calloc");
  sk_jr doc = {.obj = root};
  if (root == NULL || parse_process (&doc, p, err) < 0) {
    if (root == NULL)
      sk_err_set (err, 0, "the document is null");
    sk_spec_process_free (p);
    return sk_err_wrap (err, "%s", what);
  }
  *out = p;
  return 0;
}

int
sk_spec_resources_parse (const char *data, size_t len, const char *what, sk_spec_resources *out,
                         sk_err **err)
{
  _cleanup_json_ sk_json *root = NULL;
  if (sk_json_parse (data, len, what, &root, err) < 0)
    return -1;
  sk_jr doc = {.obj = root};
  if (root == NULL)
    return sk_err_set (err, 0, "%s: the document is null", what);
  if (parse_resources_obj (&doc, out, err) < 0) {
    sk_spec_resources_clear (out);
    return sk_err_wrap (err, "%s", what);
  }
  return 0;
}
