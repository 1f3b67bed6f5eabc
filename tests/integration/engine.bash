# The setting of the container tests: each test has its own data root,
# exec root, cgroup parent and default bridge (a daemon.json of its own, as
# SKIFF_DAEMON_CONFIG), and its teardown removes every container, shim,
# mount, cgroup, network and bridge it made. Loaded after helpers.

# the test's default bridge and its subnet, and the pool of network create:
# private ranges of the suite's own, one /24 per test
test_net() {
  BR="skt${SKIFF_TEST_CGROUP##*-}-$BATS_TEST_NUMBER"
  BR="${BR:0:15}"
  NET_PREFIX="10.213.$((BATS_TEST_NUMBER % 250))"
  FW_TABLE="skt_${SKIFF_TEST_CGROUP##*-}_$BATS_TEST_NUMBER"
  POOL="10.214.$((BATS_TEST_NUMBER % 250)).0/24"
}

# the test's daemon.json, for its $DR and $XR (skiff-dns forwards to the
# host's loopback, where nothing answers: no query leaves the host)
engine_conf() {
  printf '{"data-root": "%s", "exec-root": "%s", "cgroup-parent": "%s/%s", "bridge": "%s", "bip": "%s.1/24", "default-address-pools": [{"base": "%s", "size": 28}], "firewall-table": "%s", "dns": ["127.0.0.1"]}\n' \
    "$DR" "$XR" "$SKIFF_TEST_CGROUP" "${BATS_TEST_NUMBER}" "$BR" "$NET_PREFIX" "$POOL" "$FW_TABLE" > "$CONF"
}

setup() {
  DR="$BATS_TEST_TMPDIR/data"
  XR="$BATS_TEST_TMPDIR/run"
  CONF="$BATS_TEST_TMPDIR/daemon.json"
  test_net
  engine_conf
  export SKIFF_DAEMON_CONFIG="$CONF"
  BG_PIDS=() # background processes of the test, killed by teardown
}

# (a file with a teardown of its own calls engine_teardown from it)
teardown() { engine_teardown; }

engine_teardown() {
  local id pid
  for pid in "${BG_PIDS[@]}"; do kill -9 "$pid" 2> /dev/null || true; done
  for id in $("$SKIFF" ps -aq --no-trunc 2> /dev/null); do
    "$SKIFF" rm -f "$id" > /dev/null 2>&1 || true
  done
  # the networks it made, their bridges with them, and the default bridge
  local net
  for net in $("$SKIFF" network ls -q --filter type=custom 2> /dev/null); do
    "$SKIFF" network rm "$net" > /dev/null 2>&1 || true
  done
  # skiff-dns, which would go by itself a few seconds later
  [ -f "$XR/dns.pid" ] && kill "$(cat "$XR/dns.pid")" 2> /dev/null
  ip link del "$BR" 2> /dev/null || true
  nft delete table inet "$FW_TABLE" 2> /dev/null || true
  # every shim of this test gone, every mount under its data root
  for pid in $(shim_pids); do kill -9 "$pid" 2> /dev/null || true; done
  grep " $BATS_TEST_TMPDIR" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m"; done
  # what is left in this test's cgroups (a container whose shim was killed
  # above, when skiff itself could not remove it) killed by pid, then the
  # cgroups removed, deepest first (the runtime leaves the parent)
  local d i tree
  tree=$(find /sys/fs/cgroup/*/"$SKIFF_TEST_CGROUP/$BATS_TEST_NUMBER" \
    /sys/fs/cgroup/"$SKIFF_TEST_CGROUP/$BATS_TEST_NUMBER" -depth -type d 2> /dev/null)
  for d in $tree; do
    for pid in $(cat "$d/cgroup.procs" 2> /dev/null); do kill -9 "$pid" 2> /dev/null || true; done
  done
  for d in $tree; do
    for i in $(seq 50); do rmdir "$d" 2> /dev/null && break; [ -d "$d" ] || break; sleep 0.1; done
  done
  unset SKIFF_DAEMON_CONFIG
  return 0
}

# until CONDITION (a shell expression) holds, for up to 10 s
until_true() {
  local i
  for i in $(seq 100); do
    eval "$1" && return 0
    sleep 0.1
  done
  eval "$1"
}

sk() { "$SKIFF" "$@"; }

# the pids of this test's shims (their state dirs are under $XR)
shim_pids() {
  cat "$XR"/containers/*/shim.pid 2> /dev/null || true
}

# nothing of the container is left: no process of its cgroup, no mount, no
# state, no writable layer
assert_gone() { # ID
  local id=$1
  [ -z "$(grep "$id" /proc/self/mountinfo)" ] || { echo "mounted: $id"; return 1; }
  [ ! -e "$XR/containers/$id" ] || { echo "state left: $XR/containers/$id"; return 1; }
  [ ! -e "$DR/containers/$id" ] || { echo "bundle left"; return 1; }
  [ ! -e "$DR/overlay/containers/$id" ] || { echo "writable layer left"; return 1; }
  [ ! -e "$XR/runtime/$id" ] || { echo "runtime state left"; return 1; }
  local d
  for d in /sys/fs/cgroup/*/"$SKIFF_TEST_CGROUP/$BATS_TEST_NUMBER/$id" /sys/fs/cgroup/"$SKIFF_TEST_CGROUP/$BATS_TEST_NUMBER/$id"; do
    [ ! -e "$d" ] || { echo "cgroup left: $d"; return 1; }
  done
}

