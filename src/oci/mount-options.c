/* skiff: mount options, as the runtime spec and mount(8) name them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "oci.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

typedef struct mount_option {
  const char *name;
  bool clear;          /* the option clears `flag` instead of setting it */
  unsigned long flag;  /* MS_* */
  unsigned long prop;  /* propagation, MS_* */
  uint64_t attr;       /* MOUNT_ATTR_* for the recursive "r" forms */
  bool attr_clear;
  int copyup;          /* tmpcopyup 1, notmpcopyup -1 */
} mount_option;

static const mount_option options[] = {
    {"defaults", false, 0, 0, 0, false},
    {"ro", false, MS_RDONLY, 0, 0, false},
    {"rw", true, MS_RDONLY, 0, 0, false},
    {"suid", true, MS_NOSUID, 0, 0, false},
    {"nosuid", false, MS_NOSUID, 0, 0, false},
    {"dev", true, MS_NODEV, 0, 0, false},
    {"nodev", false, MS_NODEV, 0, 0, false},
    {"exec", true, MS_NOEXEC, 0, 0, false},
    {"noexec", false, MS_NOEXEC, 0, 0, false},
    {"sync", false, MS_SYNCHRONOUS, 0, 0, false},
    {"async", true, MS_SYNCHRONOUS, 0, 0, false},
    {"dirsync", false, MS_DIRSYNC, 0, 0, false},
    {"remount", false, MS_REMOUNT, 0, 0, false},
    {"mand", false, MS_MANDLOCK, 0, 0, false},
    {"nomand", true, MS_MANDLOCK, 0, 0, false},
    {"atime", true, MS_NOATIME, 0, 0, false},
    {"noatime", false, MS_NOATIME, 0, 0, false},
    {"diratime", true, MS_NODIRATIME, 0, 0, false},
    {"nodiratime", false, MS_NODIRATIME, 0, 0, false},
    {"relatime", false, MS_RELATIME, 0, 0, false},
    {"norelatime", true, MS_RELATIME, 0, 0, false},
    {"strictatime", false, MS_STRICTATIME, 0, 0, false},
    {"nostrictatime", true, MS_STRICTATIME, 0, 0, false},
    {"silent", false, MS_SILENT, 0, 0, false},
    {"loud", true, MS_SILENT, 0, 0, false},
    {"iversion", false, MS_I_VERSION, 0, 0, false},
    {"noiversion", true, MS_I_VERSION, 0, 0, false},
    {"lazytime", false, MS_LAZYTIME, 0, 0, false},
    {"nolazytime", true, MS_LAZYTIME, 0, 0, false},
    {"bind", false, MS_BIND, 0, 0, false},
    {"rbind", false, MS_BIND | MS_REC, 0, 0, false},
    {"private", false, 0, MS_PRIVATE, 0, false},
    {"rprivate", false, 0, MS_PRIVATE | MS_REC, 0, false},
    {"shared", false, 0, MS_SHARED, 0, false},
    {"rshared", false, 0, MS_SHARED | MS_REC, 0, false},
    {"slave", false, 0, MS_SLAVE, 0, false},
    {"rslave", false, 0, MS_SLAVE | MS_REC, 0, false},
    {"unbindable", false, 0, MS_UNBINDABLE, 0, false},
    {"runbindable", false, 0, MS_UNBINDABLE | MS_REC, 0, false},
    {"rro", false, 0, 0, MOUNT_ATTR_RDONLY, false},
    {"rrw", false, 0, 0, MOUNT_ATTR_RDONLY, true},
    {"rnosuid", false, 0, 0, MOUNT_ATTR_NOSUID, false},
    {"rsuid", false, 0, 0, MOUNT_ATTR_NOSUID, true},
    {"rnodev", false, 0, 0, MOUNT_ATTR_NODEV, false},
    {"rdev", false, 0, 0, MOUNT_ATTR_NODEV, true},
    {"rnoexec", false, 0, 0, MOUNT_ATTR_NOEXEC, false},
    {"rexec", false, 0, 0, MOUNT_ATTR_NOEXEC, true},
    {"rnodiratime", false, 0, 0, MOUNT_ATTR_NODIRATIME, false},
    {"rdiratime", false, 0, 0, MOUNT_ATTR_NODIRATIME, true},
    {"rnoatime", false, 0, 0, MOUNT_ATTR_NOATIME, false},
    {"rrelatime", false, 0, 0, MOUNT_ATTR_RELATIME, false},
    {"rstrictatime", false, 0, 0, MOUNT_ATTR_STRICTATIME, false},
    /* runc's extensions */
    {"tmpcopyup", false, 0, 0, 0, false, 1},
    {"notmpcopyup", false, 0, 0, 0, false, -1},
};

static const mount_option *
find_option (const char *name)
{
  for (size_t i = 0; i < SK_N_ELEMENTS (options); i++)
    if (strcmp (options[i].name, name) == 0)
      return &options[i];
  return NULL;
}

int
sk_mount_options_parse (sk_spec_mount *m, sk_err **err)
{
  sk_strbuf data = SK_STRBUF_INIT;
  m->flags = 0;
  m->cleared = 0;
  m->propagation = 0;
  m->attr_set = m->attr_clr = 0;
  m->tmpcopyup = false;
  if (m->type && (strcmp (m->type, "bind") == 0))
    m->flags |= MS_BIND;
  for (char **o = m->options; o && *o; o++) {
    if (strcmp (*o, "idmap") == 0 || strcmp (*o, "ridmap") == 0) {
      sk_strbuf_release (&data);
      return sk_err_set (err, 0, "mount `%s`: option `%s` is not supported", m->destination, *o);
    }
    const mount_option *opt = find_option (*o);
    if (opt == NULL) {
      /* the filesystem's own option: passed on as data */
      if (data.len)
        sk_strbuf_putc (&data, ',');
      sk_strbuf_puts (&data, *o);
      continue;
    }
    if (opt->clear) {
      m->flags &= ~opt->flag;
      m->cleared |= opt->flag;
    } else {
      m->flags |= opt->flag;
      m->cleared &= ~opt->flag;
    }
    if (opt->copyup)
      m->tmpcopyup = opt->copyup > 0;
    if (opt->prop)
      m->propagation = opt->prop;
    if (opt->attr) {
      if (opt->attr_clear) {
        m->attr_clr |= opt->attr;
        m->attr_set &= ~opt->attr;
      } else {
        m->attr_set |= opt->attr;
        m->attr_clr &= ~opt->attr;
      }
    }
  }
  m->bind = (m->flags & MS_BIND) != 0;
  free (m->data);
  m->data = data.len ? sk_strbuf_detach (&data) : NULL;
  sk_strbuf_release (&data);
  return 0;
}

const char *const *
sk_mount_option_names (void)
{
  static const char *names[SK_N_ELEMENTS (options) + 1];
  if (names[0] == NULL)
    for (size_t i = 0; i < SK_N_ELEMENTS (options); i++)
      names[i] = options[i].name;
  return names;
}
