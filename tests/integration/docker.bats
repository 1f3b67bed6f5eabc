#!/usr/bin/env bats
# dockerd 20.10 (Debian's docker.io) runs its containers on skiff-runtime:
# `--add-runtime skiff=PATH --default-runtime skiff` makes the runc v2 shim of
# its containerd call skiff-runtime with runc's command line. This file starts
# containerd and dockerd with test-private state only (see daemons.bash), no
# bridge and no firewall rules; every container runs with --network none. The
# image is the busybox rootfs of the suite, imported: nothing is pulled.

bats_require_minimum_version 1.5.0
load daemons

setup_file() {
  daemons_require containerd containerd-shim-runc-v2 dockerd "$DOCKER_BIN"
  [ -z "$DAEMONS_SKIP" ] || return 0
  daemons_init docker
  start_containerd
  start_dockerd
  tar -C "$ROOTFS" -c . | docker_cli import - skiff-test:latest > /dev/null
}

teardown_file() {
  [ -z "$DAEMONS_SKIP" ] || return 0
  stop_docker
  local p
  for p in $(daemon_processes); do stop_pid "$p" "process $p of docker"; done
  daemons_leftovers
}

setup() {
  [ -z "$DAEMONS_SKIP" ] || skip "$DAEMONS_SKIP"
}

teardown() {
  daemons_errors_on_failure
  if dockerd_running; then remove_all_containers; fi
}

dockerd_running() {
  [ -n "${DOCKERD_PID:-}" ] && [ "$(cat "/proc/$DOCKERD_PID/comm" 2> /dev/null)" = dockerd ]
}

remove_all_containers() {
  local ids
  ids=$(docker_cli ps -aq)
  [ -z "$ids" ] || docker_cli rm -f $ids > /dev/null
}

# stops dockerd, unmounts what it left, stops containerd
stop_docker() {
  if dockerd_running; then remove_all_containers; fi
  stop_pid "${DOCKERD_PID:-}" dockerd
  if [ -n "${CONTAINERD_PID:-}" ] && [ -e "/proc/$CONTAINERD_PID" ]; then
    unmount_daemon_dir
    stop_pid "$CONTAINERD_PID" containerd
  fi
}

drun() { # drun ARGS...: docker run on skiff-runtime (the default too) with no network
  docker_cli run --runtime skiff --network none "$@"
}

inspect() { # inspect FORMAT NAME
  docker_cli inspect --format "$1" "$2"
}

# the container's cgroup directory in one v1 hierarchy
cg() { # cg NAME CONTROLLER
  echo "/sys/fs/cgroup/$2/$DAEMON_CGROUP/$(inspect '{{.Id}}' "$1")"
}

# skiff-runtime's own state of a container: dockerd 20.10 gives the shim the
# root `<exec-root>/runtime-runc` for every runtime
skiff_state() {
  "$SKIFF_RUNTIME" --root "$DAEMON_DIR/exec/runtime-runc/skiff-docker" state "$(inspect '{{.Id}}' "$1")"
}

# a command line for script(1), which runs it on a real terminal
docker_line() {
  echo "DOCKER_CONFIG=$DAEMON_DIR/cli $DOCKER_BIN -H unix://$DOCKER_SOCK $*"
}

@test "docker run --rm: output and exit code, and nothing is left" {
  run drun --rm skiff-test sh -c 'echo out from pid $$; exit 3'
  [ "$status" -eq 3 ]
  [ "$output" = "out from pid 1" ]
  [ -z "$(docker_cli ps -aq)" ]
  [ -z "$(ls "$DAEMON_DIR/exec/runtime-runc/skiff-docker")" ]
  [ -z "$(ls -d /sys/fs/cgroup/memory/"$DAEMON_CGROUP"/*/ 2> /dev/null)" ]
}

@test "docker run -d: skiff-runtime runs it, and inspect and skiff-runtime state agree" {
  drun -d --name d1 skiff-test sleep 100
  [ "$(inspect '{{.HostConfig.Runtime}} {{.State.Status}}' d1)" = "skiff running" ]
  run skiff_state d1
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r .status)" = running ]
  pid=$(inspect '{{.State.Pid}}' d1)
  [ "$(echo "$output" | jq -r .pid)" = "$pid" ]
  [ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ]
  grep -qx "$pid" "$(cg d1 memory)/cgroup.procs"
}

@test "docker exec: output, exit code, user and cwd, in the container's namespaces" {
  drun -d --name e1 skiff-test sleep 100
  run docker_cli exec e1 sh -c 'ps -o pid,args; exit 7'
  [ "$status" -eq 7 ]
  [[ "$output" == *"1 sleep 100"* ]]
  run docker_cli exec -u 1000 -w /tmp e1 sh -c 'echo $(id -u) $(pwd)'
  [ "$status" -eq 0 ]
  [ "$output" = "1000 /tmp" ]
}

@test "docker run -it, through a real terminal: a tty that reads what is typed" {
  # script copies its stdin to the terminal
  run script -qec "$(docker_line run -it --rm --network none skiff-test sh)" /dev/null \
    <<< $'tty\necho typed-$((6*7))\nexit 4'
  [ "$status" -eq 4 ]
  [[ "$output" == *"/dev/pts/0"* ]]
  [[ "$output" == *"typed-42"* ]]
}

@test "docker exec -it, through a real terminal" {
  drun -d --name t1 skiff-test sleep 100
  run script -qec "$(docker_line exec -it t1 sh -c "'tty; test -t 0 && echo in-a-tty; exit 5'")" /dev/null
  [ "$status" -eq 5 ]
  [[ "$output" == *"/dev/pts/"* ]]
  [[ "$output" == *"in-a-tty"* ]]
}

@test "docker stop: TERM reaches the process; one that ignores it is killed after -t" {
  drun -d --name s1 skiff-test sh -c 'trap "exit 9" TERM; touch /ready; while :; do sleep 0.1; done'
  wait_for docker_cli exec s1 test -e /ready
  docker_cli stop s1
  [ "$(inspect '{{.State.Status}} {{.State.ExitCode}}' s1)" = "exited 9" ]
  drun -d --name s2 skiff-test sleep 100
  docker_cli stop -t 1 s2
  [ "$(inspect '{{.State.Status}} {{.State.ExitCode}}' s2)" = "exited 137" ]
}

@test "docker kill: KILL by default, or the signal asked" {
  drun -d --name k1 skiff-test sleep 100
  docker_cli kill k1
  run docker_cli wait k1
  [ "$output" = 137 ]
  [ "$(inspect '{{.State.ExitCode}}' k1)" = 137 ]
  drun -d --name k2 skiff-test sh -c 'trap "exit 12" USR1; touch /ready; while :; do sleep 0.1; done'
  wait_for docker_cli exec k2 test -e /ready
  docker_cli kill -s USR1 k2
  run docker_cli wait k2
  [ "$output" = 12 ]
}

@test "docker pause and unpause: paused with the freezer FROZEN, then running on" {
  drun -d --name p1 skiff-test sh -c 'i=0; while :; do i=$((i+1)); echo $i > /tmp/n.new; mv /tmp/n.new /tmp/n; sleep 0.05; done'
  docker_cli pause p1
  [ "$(inspect '{{.State.Status}} {{.State.Paused}}' p1)" = "paused true" ]
  [ "$(cat "$(cg p1 freezer)/freezer.state")" = FROZEN ]
  [ "$(skiff_state p1 | jq -r .status)" = paused ]
  run docker_cli exec p1 true
  [ "$status" -ne 0 ]
  [[ "$output" == *"is paused"* ]]
  docker_cli unpause p1
  [ "$(inspect '{{.State.Status}} {{.State.Paused}}' p1)" = "running false" ]
  n1=$(docker_cli exec p1 cat /tmp/n)
  sleep 0.3
  [ "$(docker_cli exec p1 cat /tmp/n)" -gt "$n1" ]
}

@test "docker run --memory: the cgroup limit, and the OOM kill that inspect reports" {
  drun -d --name m1 --memory 64m skiff-test sleep 100
  [ "$(cat "$(cg m1 memory)/memory.limit_in_bytes")" = 67108864 ]
  run drun --name m2 --memory 16m --memory-swap 16m skiff-test \
    sh -c 'x=$(head -c 100000000 /dev/zero | tr "\0" a); echo survived'
  [ "$status" -eq 137 ]
  [ "$(inspect '{{.State.ExitCode}} {{.State.OOMKilled}}' m2)" = "137 true" ]
}

@test "docker run --pids-limit: the cgroup limit holds inside" {
  drun -d --name l1 --pids-limit 10 skiff-test sleep 100
  [ "$(cat "$(cg l1 pids)/pids.max")" = 10 ]
  run docker_cli exec l1 sh -c 'for i in $(seq 20); do sleep 5 & done; wait'
  [[ "$output" == *"can't fork"* ]]
}

@test "docker run --cpus: the CFS quota and period" {
  drun -d --name u1 --cpus 0.5 skiff-test sleep 100
  [ "$(cat "$(cg u1 cpu)/cpu.cfs_quota_us")" = 50000 ]
  [ "$(cat "$(cg u1 cpu)/cpu.cfs_period_us")" = 100000 ]
}

@test "docker update changes the limits of a running container (skiff-runtime update)" {
  drun -d --name up1 --memory 64m skiff-test sleep 100
  docker_cli update --memory 128m --memory-swap 256m --pids-limit 30 --cpus 1.5 up1
  [ "$(cat "$(cg up1 memory)/memory.limit_in_bytes")" = 134217728 ]
  [ "$(cat "$(cg up1 pids)/pids.max")" = 30 ]
  [ "$(cat "$(cg up1 cpu)/cpu.cfs_quota_us")" = 150000 ]
}

@test "docker run --read-only: writing the root fails with EROFS, a --tmpfs is writable" {
  run drun --rm --read-only --tmpfs /scratch skiff-test sh -c 'touch /x; touch /scratch/y && echo tmpfs-ok'
  [ "$status" -eq 0 ]
  [[ "$output" == *"touch: /x: Read-only file system"* ]]
  [[ "$output" == *"tmpfs-ok"* ]]
}

@test "docker run --cap-drop: the effective set lacks what was dropped" {
  run drun --rm --cap-drop ALL skiff-test grep CapEff /proc/self/status
  [ "$output" = "CapEff:	0000000000000000" ]
  # Docker's 14 default capabilities less CHOWN (bit 0) and NET_RAW (bit 13)
  run drun --rm --cap-drop CHOWN --cap-drop NET_RAW skiff-test \
    sh -c 'grep CapEff /proc/self/status; chown 1000 /tmp'
  echo "$output"
  [ "$status" -ne 0 ]
  # stdout and stderr come through docker as two streams, in either order
  [[ "$output" == *"CapEff:	00000000a80405fa"* ]]
  [[ "$output" == *"Operation not permitted"* ]]
}

@test "docker run --ulimit: the limits reach the process" {
  run drun --rm --ulimit nofile=1024:20000 skiff-test sh -c 'echo $(ulimit -n) $(ulimit -Hn)'
  [ "$output" = "1024 20000" ]
}

@test "docker top lists the container's processes (skiff-runtime ps)" {
  drun -d --name top1 skiff-test sh -c 'sleep 100 & sleep 200'
  run docker_cli top top1
  [ "$status" -eq 0 ]
  [[ "$output" == *"sleep 100"* ]]
  [[ "$output" == *"sleep 200"* ]]
}

@test "a program that does not exist: exit code 127 and skiff-runtime's message" {
  run -127 drun --rm skiff-test no-such-program
  [[ "$output" == *'exec: `no-such-program`: executable file not found in $PATH'* ]]
}

@test "docker rm: the container, its cgroup and skiff-runtime's state are gone" {
  drun -d --name r1 skiff-test sleep 100
  id=$(inspect '{{.Id}}' r1)
  docker_cli rm -f r1
  run docker_cli inspect r1
  [ "$status" -ne 0 ]
  [ ! -e "$DAEMON_DIR/exec/runtime-runc/skiff-docker/$id" ]
  for d in /sys/fs/cgroup/*/"$DAEMON_CGROUP/$id"; do [ ! -e "$d" ]; done
  drun --name r2 skiff-test true
  docker_cli rm r2
  [ -z "$(docker_cli ps -aq)" ]
}

@test "docker run --privileged" {
  local bnd
  bnd=$(awk '/^CapBnd/ {print $2}' /proc/self/status)
  [ "$bnd" = 000001ffffffffff ] ||
    skip "root here lacks capabilities of its own (bounding set $bnd, no CAP_SYS_RESOURCE): a container cannot be given all of them, with runc as with skiff-runtime"
  run drun --rm --privileged skiff-test grep CapEff /proc/self/status
  [ "$output" = "CapEff:	000001ffffffffff" ]
}

@test "dockerd and containerd stop, and nothing of theirs is left" {
  [ -z "$(docker_cli ps -aq)" ]
  stop_docker
  [ -z "$(daemon_processes)" ] || { ps -o pid,args -p "$(daemon_processes | tr '\n' ,)"; false; }
  daemons_leftovers
}
