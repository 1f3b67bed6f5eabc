# Daemons of the engine tests (containerd.bats, docker.bats): started by the
# test file as background processes with test-private state only, stopped by
# their pid, and checked to leave nothing behind.
#
# They run in a mount namespace of their own (unshare --propagation slave: the
# host's mounts reach it, none of theirs leave it) whose /run is an empty
# tmpfs, because containerd 1.6 puts its shims' sockets in /run/containerd/s
# whatever its config says. Everything else of theirs is in $DAEMON_DIR.

load helpers

# daemons_require BIN...: in setup_file, sets DAEMONS_SKIP (what is missing)
# when a program is not installed; each test's setup skips with it (bats 1.8
# cannot skip from setup_file)
daemons_require() {
  export DAEMONS_SKIP=""
  local b
  for b in "$@"; do
    command -v "$b" > /dev/null && continue
    DAEMONS_SKIP="$b is not installed (scripts/install-deps installs Debian's containerd and docker.io)"
    return 0
  done
}

# daemons_init NAME: $DAEMON_DIR, $DAEMON_CGROUP (the cgroup parent of their
# containers, inside the suite's) and a snapshot of the host to compare with.
daemons_init() {
  DAEMON_DIR="$SKIFF_TEST_WORK/$1"
  DAEMON_CGROUP="$CGROUP_PARENT/$1"
  export DAEMON_DIR DAEMON_CGROUP
  rm -rf "$DAEMON_DIR"
  mkdir -p "$DAEMON_DIR"
  host_snapshot > "$BATS_FILE_TMPDIR/host.before"
}

# What a daemon could leave on the host, outside of its own directory: links,
# network namespaces, firewall rules, the default paths of docker and
# containerd.
host_snapshot() {
  ip -o link show | awk -F': ' '{print "link " $2}' | sed 's/@.*//' | sort
  ip netns list | sed 's/^/netns /' | sort
  local t
  for t in iptables-save ip6tables-save iptables-legacy-save ip6tables-legacy-save; do
    command -v "$t" > /dev/null && "$t" 2> /dev/null | grep -v '^#' | sed "s/^/$t /"
  done
  command -v nft > /dev/null && nft list ruleset | sed 's/^/nft /'
  for t in /var/lib/docker /var/lib/containerd /run/containerd /run/docker /run/docker.sock \
    /run/docker.pid /etc/docker/key.json /sys/fs/cgroup/*/docker /sys/fs/cgroup/*/default \
    /sys/fs/cgroup/*/skiff-docker; do
    [ -e "$t" ] && echo "path $t"
  done
  true
}

# In a test's teardown: when the test failed, the daemons' last errors
daemons_errors_on_failure() {
  [ -z "${BATS_TEST_COMPLETED:-}" ] || return 0
  local f
  for f in "$DAEMON_DIR"/*.log; do
    [ -e "$f" ] || continue
    echo "last errors in $(basename "$f"):"
    grep -E 'level=(error|fatal)' "$f" | tail -n 5 | cut -c1-400
  done
  true
}

# in_daemon_ns CMD...: CMD in the daemons' mount namespace
in_daemon_ns() {
  : "${CONTAINERD_PID:?}"
  nsenter -t "$CONTAINERD_PID" -m -- "$@"
}

# start_containerd: containerd with its config, root, state, sockets and logs in
# $DAEMON_DIR, the CRI plugin disabled. Sets CONTAINERD_PID and CONTAINERD_SOCK.
start_containerd() {
  local d="$DAEMON_DIR"
  CONTAINERD_SOCK="$d/containerd.sock"
  cat > "$d/containerd.toml" << EOF
version = 2
root = "$d/root"
state = "$d/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs"]
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"
[debug]
  level = "debug"
[plugins."io.containerd.internal.v1.opt"]
  path = "$d/opt"
EOF
  # fd 3 is bats' own: a daemon holding it would make bats wait for it
  unshare --mount --propagation slave -- sh -c \
    'mount -t tmpfs -o mode=0755,size=16m skiff-test-run /run && exec containerd --config "$1"' \
    sh "$d/containerd.toml" > "$d/containerd.log" 2>&1 3>&- &
  CONTAINERD_PID=$!
  export CONTAINERD_PID CONTAINERD_SOCK
  local i
  for i in $(seq 100); do
    ctr --address "$CONTAINERD_SOCK" version > /dev/null 2>&1 && return 0
    kill -0 "$CONTAINERD_PID" 2> /dev/null || break
    sleep 0.1
  done
  echo "containerd did not start; the end of its log:"
  tail -n 20 "$d/containerd.log"
  return 1
}

# wait_gone PID SECONDS: waits for a process to exit (a zombie counts as gone)
wait_gone() {
  local i
  for i in $(seq $(($2 * 10))); do
    [ -e "/proc/$1" ] || return 0
    [ "$(awk '{print $3}' "/proc/$1/stat" 2> /dev/null)" = Z ] && return 0
    sleep 0.1
  done
  return 1
}

# stop_pid PID NAME: TERM, then KILL after 30 s; reaped when it is our child
stop_pid() {
  [ -n "$1" ] && [ -e "/proc/$1" ] || return 0
  kill -TERM "$1" 2> /dev/null || true
  if ! wait_gone "$1" 30; then
    echo "$2 did not exit on TERM: killed"
    kill -KILL "$1" 2> /dev/null || true
    wait_gone "$1" 10
  fi
  wait "$1" 2> /dev/null || true
}

# The processes whose command line names $DAEMON_DIR: the daemons, their
# shims (`-address $DAEMON_DIR/containerd.sock`), what they run from there.
daemon_processes() {
  : "${DAEMON_DIR:?}"
  local p
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" = "$$" ] && continue
    tr '\0' ' ' 2> /dev/null < "$p/cmdline" | grep -qF "$DAEMON_DIR" && echo "${p#/proc/}"
  done
  true
}

# After the daemons stopped: mounts they left in their namespace are gone with
# it; this removes their cgroup parent and directory, and prints what is left.
daemons_leftovers() {
  : "${DAEMON_DIR:?}" "${DAEMON_CGROUP:?}"
  local left="" d
  [ -z "$(daemon_processes)" ] || left="$left; processes: $(daemon_processes | tr '\n' ' ')"
  grep -F " $SKIFF_TEST_WORK" /proc/self/mountinfo | grep -qF "$DAEMON_DIR" &&
    left="$left; mounts under $DAEMON_DIR"
  for d in /sys/fs/cgroup/*/"$DAEMON_CGROUP" /sys/fs/cgroup/"$DAEMON_CGROUP"; do
    [ -d "$d" ] || continue
    rmdir "$d" 2> /dev/null || left="$left; cgroup $d: $(ls -d "$d"/*/ 2> /dev/null | tr '\n' ' ')"
  done
  local new
  new=$(host_snapshot | diff "$BATS_FILE_TMPDIR/host.before" - | grep '^[<>]' || true)
  [ -z "$new" ] || left="$left; changed on the host: $(echo "$new" | tr '\n' ' ')"
  [ -z "$left" ] || { echo "left behind${left}"; return 1; }
  rm -rf "$DAEMON_DIR"
}

# start_dockerd: dockerd in the daemons' namespace, on the containerd there,
# with its data root, exec root, socket, pid file and key in $DAEMON_DIR, no
# bridge and no firewall rules, skiff-runtime as its default runtime, its
# containers' cgroups under $DAEMON_CGROUP. Sets DOCKERD_PID and DOCKER_SOCK.
start_dockerd() {
  local d="$DAEMON_DIR" driver=vfs
  DOCKER_SOCK="$d/docker.sock"
  # overlay2 when the kernel has overlayfs and the data root is not on one
  if grep -qw overlay /proc/filesystems && [ "$(stat -fc %T "$d")" != overlayfs ]; then
    driver=overlay2
  fi
  # dockerd 20.10 writes its trust key to /etc/docker/key.json unless told
  echo "{\"deprecated-key-path\": \"$d/key.json\"}" > "$d/daemon.json"
  # nsenter execs dockerd: $! is dockerd's pid (a function would be a subshell)
  nsenter -t "$CONTAINERD_PID" -m -- dockerd --config-file "$d/daemon.json" --data-root "$d/data" --exec-root "$d/exec" \
    -H "unix://$DOCKER_SOCK" --pidfile "$d/docker.pid" \
    --containerd "$CONTAINERD_SOCK" --containerd-namespace skiff-docker \
    --containerd-plugins-namespace skiff-docker-plugins \
    --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    --userland-proxy=false --add-runtime "skiff=$SKIFF_RUNTIME" --default-runtime "${DOCKERD_RUNTIME:-skiff}" \
    --storage-driver "$driver" --exec-opt native.cgroupdriver=cgroupfs \
    --cgroup-parent "/$DAEMON_CGROUP" --log-level debug > "$d/dockerd.log" 2>&1 3>&- &
  DOCKERD_PID=$!
  export DOCKERD_PID DOCKER_SOCK
  local i
  for i in $(seq 200); do
    if [ -S "$DOCKER_SOCK" ] && docker_cli version > /dev/null 2>&1; then
      [ "$(cat "$d/docker.pid")" = "$DOCKERD_PID" ] && return 0
      echo "dockerd's pid file says $(cat "$d/docker.pid"), not $DOCKERD_PID"
      return 1
    fi
    kill -0 "$DOCKERD_PID" 2> /dev/null || break
    sleep 0.1
  done
  echo "dockerd did not start; the end of its log:"
  tail -n 20 "$d/dockerd.log"
  return 1
}

# the docker CLI of Debian's docker.io, on the test's dockerd, with its own config
DOCKER_BIN=/usr/bin/docker
docker_cli() {
  DOCKER_CONFIG="$DAEMON_DIR/cli" "$DOCKER_BIN" -H "unix://$DOCKER_SOCK" "$@"
}

# After dockerd stopped: unmounts what it left under $DAEMON_DIR in the
# daemons' namespace (its data root, which it bind-mounts on itself)
unmount_daemon_dir() {
  : "${DAEMON_DIR:?}"
  local m
  for m in $(in_daemon_ns findmnt -rn -o TARGET | grep "^$DAEMON_DIR" | sort -r); do
    in_daemon_ns umount "$m"
  done
}
