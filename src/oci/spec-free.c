/* skiff: releasing the sk_spec model. */
#include <stdlib.h>

#include "oci.h"
#include "util/cleanup.h"

void
sk_spec_process_free (sk_spec_process *p)
{
  if (p == NULL)
    return;
  free (p->user.additional_gids);
  sk_strv_free (p->args);
  sk_strv_free (p->env);
  free (p->cwd);
  for (size_t i = 0; i < p->n_rlimits; i++)
    free (p->rlimits[i].type);
  free (p->rlimits);
  free (p->apparmor_profile);
  free (p->selinux_label);
  free (p);
}

void
sk_spec_resources_clear (sk_spec_resources *r)
{
  free (r->devices);
  free (r->cpu.cpus);
  free (r->cpu.mems);
  free (r->block_io.weight_device);
  for (int k = 0; k < 4; k++)
    free (r->block_io.throttle[k]);
  for (size_t i = 0; i < r->n_hugepages; i++)
    free (r->hugepages[i].page_size);
  free (r->hugepages);
  sk_strv_free (r->network.prio_names);
  free (r->network.prio_values);
  sk_strv_free (r->unified_keys);
  sk_strv_free (r->unified_values);
  *r = (sk_spec_resources){0};
}

static void
seccomp_free (sk_spec_seccomp *sc)
{
  if (sc == NULL)
    return;
  sk_strv_free (sc->architectures);
  sk_strv_free (sc->flags);
  free (sc->listener_path);
  free (sc->listener_metadata);
  for (size_t i = 0; i < sc->n_syscalls; i++) {
    sk_strv_free (sc->syscalls[i].names);
    free (sc->syscalls[i].args);
  }
  free (sc->syscalls);
  free (sc);
}

void
sk_spec_free (sk_spec *s)
{
  if (s == NULL)
    return;
  free (s->oci_version);
  free (s->root_path);
  sk_spec_process_free (s->process);
  free (s->hostname);
  free (s->domainname);
  for (size_t i = 0; i < s->n_mounts; i++) {
    free (s->mounts[i].destination);
    free (s->mounts[i].type);
    free (s->mounts[i].source);
    sk_strv_free (s->mounts[i].options);
    free (s->mounts[i].data);
  }
  free (s->mounts);
  for (int k = 0; k < SK_HOOK_KINDS; k++) {
    for (size_t i = 0; i < s->hooks.n[k]; i++) {
      free (s->hooks.list[k][i].path);
      sk_strv_free (s->hooks.list[k][i].args);
      sk_strv_free (s->hooks.list[k][i].env);
    }
    free (s->hooks.list[k]);
  }
  sk_strv_free (s->annotation_keys);
  sk_strv_free (s->annotation_values);
  sk_spec_linux *l = &s->linux_;
  for (int i = 0; i < SK_NS_TYPES; i++)
    free (l->namespaces[i].path);
  free (l->uid_mappings);
  free (l->gid_mappings);
  for (size_t i = 0; i < l->n_devices; i++)
    free (l->devices[i].path);
  free (l->devices);
  free (l->cgroups_path);
  sk_spec_resources_clear (&l->resources);
  seccomp_free (l->seccomp);
  sk_strv_free (l->sysctl_keys);
  sk_strv_free (l->sysctl_values);
  sk_strv_free (l->masked_paths);
  sk_strv_free (l->readonly_paths);
  free (l->mount_label);
  free (s->raw);
  free (s);
}
