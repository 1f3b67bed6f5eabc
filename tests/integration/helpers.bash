# Shared by the integration tests. Each test gets its own bundle (config.json
# from `skiff-runtime spec`, adjusted with jq) over one read-only busybox rootfs,
# its own container ids and a cgroup parent that the suite removes at the end.

: "${SKIFF_RUNTIME:?set by tests/run}"
: "${SKIFF_TEST_WORK:?set by tests/run}"
ROOTFS="$SKIFF_TEST_WORK/rootfs"
STATE_ROOT="$SKIFF_TEST_WORK/state"
CGROUP_PARENT="${SKIFF_TEST_CGROUP:-skiff-test}"

runtime() {
  "$SKIFF_RUNTIME" --root "$STATE_ROOT" "$@"
}

# A new bundle in $BUNDLE with the default spec, no terminal, and `args`.
new_bundle() {
  BUNDLE="$BATS_TEST_TMPDIR/bundle"
  mkdir -p "$BUNDLE"
  rm -f "$BUNDLE/config.json"
  "$SKIFF_RUNTIME" spec --bundle "$BUNDLE"
  ln -sfn "$ROOTFS" "$BUNDLE/rootfs"
  CID="t${BATS_TEST_NUMBER}-$$"
  update_config ".process.terminal = false | .linux.cgroupsPath = \"/$CGROUP_PARENT/$CID\""
  if [ $# -gt 0 ]; then set_args "$@"; fi
  cd "$BUNDLE"
}

# update_config JQ-FILTER: edits $BUNDLE/config.json in place
update_config() {
  local tmp="$BUNDLE/config.json.tmp"
  jq "$1" "$BUNDLE/config.json" > "$tmp" && mv "$tmp" "$BUNDLE/config.json"
}

set_args() {
  local json
  json=$(printf '%s\n' "$@" | jq -R . | jq -s .)
  update_config ".process.args = $json"
}

# the container's process runs sh -c SCRIPT
set_script() {
  set_args sh -c "$1"
}

# Every container this test made is deleted, whatever happened.
cleanup_containers() {
  local id
  for id in $("$SKIFF_RUNTIME" --root "$STATE_ROOT" list -q 2>/dev/null); do
    "$SKIFF_RUNTIME" --root "$STATE_ROOT" delete --force "$id" >/dev/null 2>&1 || true
  done
}

# Asserts that nothing of container $1 is left: state, cgroup, processes.
assert_no_trace() {
  local id=$1
  [ ! -e "$STATE_ROOT/$id" ] || { echo "state directory of $id left behind"; return 1; }
  local d
  for d in /sys/fs/cgroup/*/"$CGROUP_PARENT/$id" /sys/fs/cgroup/"$CGROUP_PARENT/$id"; do
    [ ! -e "$d" ] || { echo "cgroup $d left behind"; return 1; }
  done
  ! pgrep_root "$ROOTFS" || { echo "a process rooted in the test rootfs is left"; return 1; }
}

# true when some process has its root at the given directory. Compared by
# device and inode: for a process that did pivot_root in its own mount
# namespace, as a container's do, readlink of /proc/PID/root gives "/".
# (A builtin test, no exec per process: that matters in the cgroup v2 VM.)
pgrep_root() {
  local p
  for p in /proc/[0-9]*; do
    [ "$p/root" -ef "$1" ] && return 0
  done
  return 1
}

# the container's cgroup directory in one v1 hierarchy, or the v2 one
cgroup_dir() {
  local ctrl=$1
  if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
    echo "/sys/fs/cgroup/$CGROUP_PARENT/$CID"
  else
    echo "/sys/fs/cgroup/$ctrl/$CGROUP_PARENT/$CID"
  fi
}

is_cgroup2() {
  [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]
}

# wait_for CMD...: retries for up to 5 s. The arguments are expanded once,
# before the first try: to wait on a value, use wait_for sh -c '...'.
wait_for() {
  local i
  for i in $(seq 50); do
    if "$@"; then return 0; fi
    sleep 0.1
  done
  "$@"
}

state_status() {
  runtime state "$1" | jq -r .status
}

# one line, no more: the error messages of skiff are one line
assert_one_line() {
  [ "$(printf '%s\n' "$output" | grep -c .)" -eq 1 ] || { echo "not one line: $output"; return 1; }
}

# wait_status ID STATUS: waits until the container has that status
wait_status() {
  local i
  for i in $(seq 50); do
    [ "$(state_status "$1")" = "$2" ] && return 0
    sleep 0.1
  done
  echo "container $1 is $(state_status "$1"), not $2"
  return 1
}

# wait_count ID N: waits until the container has N processes
wait_count() {
  local i
  for i in $(seq 50); do
    [ "$(runtime ps --format json "$1" | jq length)" -eq "$2" ] && return 0
    sleep 0.1
  done
  echo "container $1 has $(runtime ps --format json "$1" | jq length) processes, not $2"
  return 1
}

# the number of mounts on the host that belong to this suite (its work dir,
# which holds the rootfs, the state and bats' own temporary dirs): other
# processes of the machine may mount and unmount as they please meanwhile
suite_mounts() {
  grep -c -e "$SKIFF_TEST_WORK" -e skiff /proc/self/mountinfo || true
}
