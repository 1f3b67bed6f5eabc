/* skiff: a container's resolver and /etc files: its resolv.conf (the
 * host's, its --dns options, or skiff-dns on a user-defined network), its
 * extra hosts, and skiff-dns started once for all of them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "network/ipam.h"
#include "network/netlink.h"
#include "network/firewall.h"
#include "network/netns.h"
#include "network/ports.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/strbuf.h"

/* ---- the resolver and the container's /etc files ---- */

static bool
is_loopback (const char *addr)
{
  return strncmp (addr, "127.", 4) == 0 || strcmp (addr, "::1") == 0;
}

static const sk_json *
hc_member (const sk_json *config, const char *key)
{
  sk_json *hc = NULL, *v = NULL;
  if (json_object_object_get_ex (config, "HostConfig", &hc) && hc &&
      json_object_object_get_ex (hc, key, &v) && v && json_object_is_type (v, json_type_array) &&
      json_object_array_length (v))
    return v;
  return NULL;
}

char *
sk_engine_resolv_conf (const sk_json *config, const char *resolver)
{
  sk_strbuf servers = SK_STRBUF_INIT, search = SK_STRBUF_INIT, options = SK_STRBUF_INIT;
  _cleanup_free_ char *host = NULL;
  size_t len = 0;
  sk_err *ignored = NULL;
  if (sk_read_file ("/etc/resolv.conf", &host, &len, &ignored) < 0)
    sk_err_free (&ignored);
  char *save = NULL;
  for (char *line = host ? strtok_r (host, "\n", &save) : NULL; line;
       line = strtok_r (NULL, "\n", &save)) {
    char word[16], rest[1024];
    if (sscanf (line, "%15s %1023[^\n]", word, rest) != 2)
      continue;
    /* the host's loopback servers are out of a container's reach */
    if (strcmp (word, "nameserver") == 0 && !is_loopback (rest))
      sk_strbuf_printf (&servers, "nameserver %s\n", rest);
    else if (strcmp (word, "search") == 0 || strcmp (word, "domain") == 0)
      sk_strbuf_printf (&search, "search %s\n", rest);
    else if (strcmp (word, "options") == 0)
      sk_strbuf_printf (&options, "options %s\n", rest);
  }
  const sk_json *dns = hc_member (config, "Dns"), *dsearch = hc_member (config, "DnsSearch"),
                *dopts = hc_member (config, "DnsOptions");
  if (dns || resolver) {
    sk_strbuf_release (&servers);
    servers = (sk_strbuf) SK_STRBUF_INIT;
    if (dns)
      for (size_t i = 0; i < json_object_array_length (dns); i++)
        sk_strbuf_printf (&servers, "nameserver %s\n",
                          json_object_get_string (json_object_array_get_idx (dns, i)));
    else
      sk_strbuf_printf (&servers, "nameserver %s\n", resolver);
  }
  if (servers.len == 0) /* docker's fallback when the host has none to give */
    sk_strbuf_puts (&servers, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
  struct {
    const sk_json *list;
    sk_strbuf *b;
    const char *word;
  } over[] = {{dsearch, &search, "search"}, {dopts, &options, "options"}};
  for (size_t k = 0; k < 2; k++) {
    if (!over[k].list)
      continue;
    sk_strbuf_release (over[k].b);
    *over[k].b = (sk_strbuf) SK_STRBUF_INIT;
    sk_strbuf_puts (over[k].b, over[k].word);
    for (size_t i = 0; i < json_object_array_length (over[k].list); i++)
      sk_strbuf_printf (over[k].b, " %s", json_object_get_string (json_object_array_get_idx (over[k].list, i)));
    sk_strbuf_putc (over[k].b, '\n');
  }
  sk_strbuf out = SK_STRBUF_INIT;
  sk_strbuf_printf (&out, "%s%s%s", search.buf ? search.buf : "", servers.buf ? servers.buf : "",
                    options.buf ? options.buf : "");
  sk_strbuf_release (&servers);
  sk_strbuf_release (&search);
  sk_strbuf_release (&options);
  return out.buf ? sk_strbuf_detach (&out) : strdup ("");
}

char *
sk_engine_extra_hosts (const sk_json *config, const char *gateway)
{
  const sk_json *list = hc_member (config, "ExtraHosts");
  sk_strbuf b = SK_STRBUF_INIT;
  for (size_t i = 0; list && i < json_object_array_length (list); i++) {
    const char *entry = json_object_get_string (json_object_array_get_idx (list, i));
    const char *sep = entry ? strchr (entry, ':') : NULL;
    if (sep == NULL)
      continue;
    const char *ip = sep + 1;
    if (strcmp (ip, "host-gateway") == 0) {
      if (gateway == NULL || !*gateway)
        continue;
      ip = gateway;
    }
    sk_strbuf_printf (&b, "%s\t%.*s\n", ip, (int) (sep - entry), entry);
  }
  return b.buf ? sk_strbuf_detach (&b) : strdup ("");
}

/* The pid of the resolver EXEC_ROOT/dns.pid names, if it still runs. */
static pid_t
dns_pid (const char *pid_path)
{
  _cleanup_free_ char *text = NULL, *comm = NULL;
  size_t len = 0;
  sk_err *ignored = NULL;
  if (sk_read_file (pid_path, &text, &len, &ignored) < 0) {
    sk_err_free (&ignored);
    return 0;
  }
  pid_t pid = (pid_t) atoi (text);
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/comm", (int) pid);
  if (pid <= 0 || sk_read_file (path, &comm, &len, &ignored) < 0) {
    sk_err_free (&ignored);
    return 0;
  }
  return strncmp (comm, "skiff-dns", 9) == 0 ? pid : 0;
}

int
sk_engine_dns_ensure (sk_engine *e, sk_err **err)
{
  /* the gateways of every user-defined network it serves */
  sk_network **list = NULL;
  size_t n = 0;
  if (sk_network_list (e->db, &list, &n, err) < 0)
    return -1;
  sk_strbuf addrs = SK_STRBUF_INIT;
  size_t n_addrs = 0;
  for (size_t i = 0; i < n; i++) {
    if (strcmp (list[i]->driver, "bridge") != 0 || sk_network_predefined (list[i]))
      continue;
    if (*list[i]->gateway)
      sk_strbuf_printf (&addrs, "%s\n", list[i]->gateway), n_addrs++;
    if (*list[i]->gateway6)
      sk_strbuf_printf (&addrs, "%s\n", list[i]->gateway6), n_addrs++;
  }
  sk_network_list_free (list, n);
  _cleanup_free_ char *pid_path = sk_path_join (e->exec_root, "dns.pid");
  _cleanup_free_ char *addrs_path = sk_path_join (e->exec_root, "dns.addrs");
  _cleanup_free_ char *lock_path = sk_path_join (e->exec_root, "dns.lock");
  /* one start of it at a time: concurrent runs find the one the first
   * started, instead of each starting one that cannot bind */
  _cleanup_close_ int lock = lock_path ? open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1;
  if (lock >= 0)
    while (flock (lock, LOCK_EX) < 0 && errno == EINTR)
      ;
  _cleanup_free_ char *had = NULL, *copy = NULL, *upstream = NULL;
  const char **argv = NULL;
  size_t len = 0;
  sk_err *ignored = NULL;
  int ret = 0;
  if (!pid_path || !addrs_path) {
    ret = sk_err_set (err, ENOMEM, "dns");
    goto out;
  }
  if (sk_read_file (addrs_path, &had, &len, &ignored) < 0)
    sk_err_free (&ignored);
  pid_t running = dns_pid (pid_path);
  if (running && had && addrs.buf && strcmp (had, addrs.buf) == 0)
    goto out;
  if (running) {
    /* another set of networks: it lets go of its sockets, a new one binds */
    kill (running, SIGTERM);
    for (int i = 0; i < 200 && kill (running, 0) == 0 && dns_pid (pid_path) == running; i++)
      usleep (5000);
  }
  if (n_addrs == 0)
    goto out;
  argv = calloc (2 * n_addrs + 10, sizeof *argv);
  copy = strdup (addrs.buf);
  if (argv == NULL || copy == NULL) {
    ret = sk_err_set (err, ENOMEM, "dns");
    goto out;
  }
  size_t k = 0;
  argv[k++] = e->dns;
  argv[k++] = "--data-root";
  argv[k++] = e->data_root;
  /* upstream: daemon.json's dns servers, else the host's */
  upstream = sk_path_join (e->exec_root, "dns.upstream");
  sk_strbuf up = SK_STRBUF_INIT;
  for (size_t i = 0; i < e->net.n_dns; i++)
    sk_strbuf_printf (&up, "nameserver %s\n", e->net.dns[i]);
  bool own = up.len > 0;
  if (own && (upstream == NULL || sk_write_file_replace (upstream, up.buf, up.len, 0644, err) < 0)) {
    sk_strbuf_release (&up);
    ret = upstream ? -1 : sk_err_set (err, ENOMEM, "dns");
    goto out;
  }
  sk_strbuf_release (&up);
  argv[k++] = "--upstream";
  argv[k++] = own ? upstream : "/etc/resolv.conf";
  argv[k++] = "--pid-file";
  argv[k++] = pid_path;
  char *save = NULL;
  for (char *a = strtok_r (copy, "\n", &save); a; a = strtok_r (NULL, "\n", &save)) {
    argv[k++] = "--listen";
    argv[k++] = a;
  }
  unlink (pid_path);
  if (sk_write_file_replace (addrs_path, addrs.buf, addrs.len, 0644, err) < 0) {
    ret = -1;
    goto out;
  }
  pid_t pid = fork ();
  if (pid == 0) {
    /* detached: its own session, no terminal, none of the caller's files */
    setsid ();
    if (fork () != 0)
      _exit (0);
    int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
      dup2 (null, 0);
      dup2 (null, 1);
      dup2 (null, 2);
    }
    close_range (3, ~0U, 0);
    execv (e->dns, (char *const *) argv);
    _exit (127);
  }
  if (pid < 0) {
    ret = sk_err_set (err, errno, "start skiff-dns");
    goto out;
  }
  waitpid (pid, NULL, 0);
  /* it writes its pid once every address is bound */
  for (int i = 0; i < 400 && dns_pid (pid_path) == 0; i++)
    usleep (5000);
  if (dns_pid (pid_path) == 0)
    ret = sk_err_set (err, EIO, "skiff-dns (`%s`) did not start: it could not serve %s", e->dns,
                      "the networks' gateways");
out:
  free (argv);
  sk_strbuf_release (&addrs);
  return ret;
}
