/* Unit tests: CIDR arithmetic (src/network/ipam.c) and the network store
 * (src/network/networks.c): the predefined networks as the settings have
 * them, subnets from the pools, and addresses given out, in a database in
 * a temporary directory. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "db/db.h"
#include "network/ipam.h"
#include "network/networks.h"
#include "util/fs.h"

typedef struct {
  char dir[256], path[300];
  sk_db *db;
} fixture;

static int
setup (void **state)
{
  fixture *f = calloc (1, sizeof *f);
  const char *tmp = getenv ("TMPDIR");
  snprintf (f->dir, sizeof f->dir, "%s/skiff-net-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (mkdtemp (f->dir) == NULL)
    return -1;
  snprintf (f->path, sizeof f->path, "%s/skiff.db", f->dir);
  sk_err *err = NULL;
  if (sk_db_open (f->path, &f->db, &err) < 0)
    return -1;
  /* endpoints name containers: two of them, made by hand */
  if (sk_db_exec (f->db,
                  "INSERT INTO images (id, top_layer, created, size, added) VALUES ('img', NULL, 0, 0, 0);"
                  "INSERT INTO containers (id, name, image, config, created) VALUES "
                  "('c1', 'one', 'img', '{}', 0), ('c2', 'two', 'img', '{}', 0), ('c3', 'three', 'img', '{}', 0)",
                  &err) < 0) {
    fprintf (stderr, "setup: %s\n", err->msg);
    return -1;
  }
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  fixture *f = *state;
  sk_db_close (f->db);
  sk_err *err = NULL;
  sk_remove_tree_at (AT_FDCWD, f->dir, &err);
  sk_err_free (&err);
  free (f);
  return 0;
}

static void
ok (int r, sk_err *err)
{
  if (r < 0)
    fail_msg ("%s", err ? err->msg : "failed");
}

static void
fails_with (int r, sk_err **err, const char *part)
{
  assert_int_equal (r, -1);
  assert_non_null (*err);
  if (strstr ((*err)->msg, part) == NULL)
    fail_msg ("`%s` lacks `%s`", (*err)->msg, part);
  sk_err_free (err);
}

static void
test_cidr (void **state)
{
  (void) state;
  sk_cidr a, b, n;
  sk_err *err = NULL;
  char text[SK_ADDR_TEXT];
  ok (sk_cidr_parse ("10.1.0.0/16", true, "subnet", &a, &err), err);
  ok (sk_cidr_parse ("10.1.200.0/24", true, "subnet", &b, &err), err);
  assert_true (sk_cidr_overlap (&a, &b));
  assert_true (sk_cidr_contains (&a, &b));
  ok (sk_cidr_parse ("10.2.0.0/16", true, "subnet", &b, &err), err);
  assert_false (sk_cidr_overlap (&a, &b));
  assert_true (sk_cidr_nth (&a, 258, &n));
  sk_cidr_format (&n, false, text);
  assert_string_equal (text, "10.1.1.2");
  assert_int_equal (sk_cidr_offset (&a, &n), 258);
  assert_int_equal (sk_cidr_size (&a), 65536);
  assert_false (sk_cidr_nth (&a, 65536, &n));
  ok (sk_cidr_parse ("fd00:1::/64", true, "subnet", &a, &err), err);
  assert_true (sk_cidr_nth (&a, 0x1ff, &n));
  sk_cidr_format (&n, false, text);
  assert_string_equal (text, "fd00:1::1ff");
  fails_with (sk_cidr_parse ("10.1.0.1/16", true, "subnet", &a, &err), &err, "the subnet is 10.1.0.0/16");
  fails_with (sk_cidr_parse ("10.1.0.0/33", true, "subnet", &a, &err), &err, "CIDR form");
  fails_with (sk_cidr_parse ("10.1.0.0", true, "subnet", &a, &err), &err, "CIDR form");
  fails_with (sk_cidr_parse ("10.1.0.0/1x", true, "subnet", &a, &err), &err, "CIDR form");
  fails_with (sk_addr_parse ("300.1.1.1", "gateway", &a, &err), &err, "not an IP address");
}

static void
test_defaults (void **state)
{
  fixture *f = *state;
  sk_err *err = NULL;
  sk_net_settings none = {0};
  ok (sk_networks_init (f->db, &none, &err), err);
  sk_network *n = NULL;
  ok (sk_network_find (f->db, "bridge", &n, &err), err);
  assert_string_equal (n->subnet, "172.17.0.0/16");
  assert_string_equal (n->gateway, "172.17.0.1");
  assert_string_equal (n->bridge, "skiff0");
  char *id = strdup (n->id);
  sk_network_free (n);
  ok (sk_network_find (f->db, "host", &n, &err), err);
  assert_string_equal (n->driver, "host");
  sk_network_free (n);
  ok (sk_network_find (f->db, "none", &n, &err), err);
  assert_string_equal (n->driver, "null");
  sk_network_free (n);
  /* new settings, no container on it: taken, the id kept */
  sk_net_settings s = {.bridge = "br9", .bip = "10.9.8.1/24"};
  ok (sk_networks_init (f->db, &s, &err), err);
  ok (sk_network_find (f->db, "bridge", &n, &err), err);
  assert_string_equal (n->subnet, "10.9.8.0/24");
  assert_string_equal (n->gateway, "10.9.8.1");
  assert_string_equal (n->bridge, "br9");
  assert_string_equal (n->id, id);
  /* an id prefix finds it too */
  sk_network *p = NULL;
  char prefix[8];
  snprintf (prefix, sizeof prefix, "%.6s", id);
  ok (sk_network_find (f->db, prefix, &p, &err), err);
  assert_string_equal (p->name, "bridge");
  sk_network_free (p);
  fails_with (sk_network_delete (f->db, n, &err), &err, "pre-defined network");
  sk_network_free (n);
  free (id);
  fails_with (sk_network_find (f->db, "nosuch", &n, &err), &err, "network nosuch not found");
}

static void
test_pools_and_addresses (void **state)
{
  fixture *f = *state;
  sk_err *err = NULL;
  sk_net_pool pool;
  ok (sk_cidr_parse ("10.77.0.0/16", true, "pool", &pool.base, &err), err);
  pool.size = 24;
  sk_net_settings s = {.bip = "10.76.0.1/24", .pools = &pool, .n_pools = 1};
  ok (sk_networks_init (f->db, &s, &err), err);
  sk_network *a = NULL, *b = NULL;
  sk_network_spec sa = {.name = "a"}, sb = {.name = "b"};
  ok (sk_network_create (f->db, &s, &sa, &a, &err), err);
  ok (sk_network_create (f->db, &s, &sb, &b, &err), err);
  assert_string_equal (a->subnet, "10.77.0.0/24");
  assert_string_equal (a->gateway, "10.77.0.1");
  assert_string_equal (b->subnet, "10.77.1.0/24");
  assert_int_equal (strncmp (a->bridge, "sk-", 3), 0);
  /* a subnet asked for that meets one: refused */
  const char *over[] = {"10.77.1.128/25"};
  sk_network_spec sc = {.name = "c", .subnets = over, .n_subnets = 1};
  fails_with (sk_network_create (f->db, &s, &sc, NULL, &err), &err, "Pool overlaps");
  sk_network_spec dup = {.name = "a"};
  fails_with (sk_network_create (f->db, &s, &dup, NULL, &err), &err, "already exists");
  /* addresses: the lowest free one, never the gateway; a freed one again */
  sk_endpoint *e1 = NULL, *e2 = NULL, *e3 = NULL;
  ok (sk_endpoint_add (f->db, a, "c1", NULL, NULL, NULL, NULL, &e1, &err), err);
  ok (sk_endpoint_add (f->db, a, "c2", NULL, NULL, NULL, NULL, &e2, &err), err);
  assert_string_equal (e1->ip, "10.77.0.2");
  assert_string_equal (e2->ip, "10.77.0.3");
  assert_string_equal (e1->mac, "02:42:0a:4d:00:02");
  assert_string_equal (e1->ifname, "eth0");
  fails_with (sk_endpoint_add (f->db, a, "c3", "10.77.0.3", NULL, NULL, NULL, NULL, &err), &err,
              "Address already in use");
  fails_with (sk_endpoint_add (f->db, a, "c3", "10.77.0.1", NULL, NULL, NULL, NULL, &err), &err,
              "no configured subnet");
  fails_with (sk_endpoint_add (f->db, a, "c3", "10.78.0.9", NULL, NULL, NULL, NULL, &err), &err,
              "no configured subnet");
  fails_with (sk_endpoint_add (f->db, a, "c1", NULL, NULL, NULL, NULL, NULL, &err), &err,
              "already exists");
  fails_with (sk_network_delete (f->db, a, &err), &err, "active endpoints");
  ok (sk_endpoint_remove (f->db, a->id, "c1", &err), err);
  ok (sk_endpoint_add (f->db, a, "c3", NULL, NULL, NULL, NULL, &e3, &err), err);
  assert_string_equal (e3->ip, "10.77.0.2");
  /* a second network of c2: eth1 */
  sk_endpoint *e4 = NULL;
  ok (sk_endpoint_add (f->db, b, "c2", NULL, NULL, NULL, NULL, &e4, &err), err);
  assert_string_equal (e4->ifname, "eth1");
  /* removing the container gives its addresses back */
  ok (sk_db_exec (f->db, "DELETE FROM containers WHERE id = 'c2'", &err), err);
  sk_endpoint **list = NULL;
  size_t n = 0;
  ok (sk_endpoints_on (f->db, a->id, &list, &n, &err), err);
  assert_int_equal (n, 1);
  sk_endpoint_list_free (list, n);
  sk_endpoint_free (e1);
  sk_endpoint_free (e2);
  sk_endpoint_free (e3);
  sk_endpoint_free (e4);
  sk_network_free (a);
  sk_network_free (b);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_cidr),
      cmocka_unit_test_setup_teardown (test_defaults, setup, teardown),
      cmocka_unit_test_setup_teardown (test_pools_and_addresses, setup, teardown),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
