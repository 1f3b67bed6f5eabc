#!/usr/bin/env bats
# containerd 1.6 and ctr run their containers on skiff-runtime: `ctr run
# --runc-binary` makes the runc v2 shim (containerd-shim-runc-v2) call
# skiff-runtime with runc's command line (--root, --log FILE --log-format json,
# create --bundle --pid-file [--console-socket], start, exec --process --detach,
# ps --format json, pause, resume, kill [--all], delete [--force]).
# containerd is started here with its own config, root, state and socket in
# $DAEMON_DIR (see daemons.bash). No image: `ctr run --rootfs` runs from an
# unpacked busybox rootfs that this file makes, so nothing is pulled or imported.

load daemons

setup_file() {
  daemons_require containerd ctr containerd-shim-runc-v2
  [ -z "$DAEMONS_SKIP" ] || return 0
  daemons_init containerd
  mkdir -p "$DAEMON_DIR/fifo"
  "$BATS_TEST_DIRNAME/../make-rootfs" "$DAEMON_DIR/rootfs"
  start_containerd
}

teardown_file() {
  [ -n "${CONTAINERD_PID:-}" ] || return 0
  if containerd_running; then remove_all_containers; fi
  stop_pid "$CONTAINERD_PID" containerd
  local p
  for p in $(daemon_processes); do stop_pid "$p" "process $p of containerd"; done
  daemons_leftovers
}

setup() {
  [ -z "$DAEMONS_SKIP" ] || skip "$DAEMONS_SKIP"
}

teardown() {
  daemons_errors_on_failure
  if containerd_running; then remove_all_containers; fi
}

containerd_running() {
  [ -n "${CONTAINERD_PID:-}" ] && [ "$(cat "/proc/$CONTAINERD_PID/comm" 2> /dev/null)" = containerd ]
}

ctrd() {
  ctr --address "$CONTAINERD_SOCK" "$@"
}

remove_all_containers() {
  local id
  for id in $(ctrd containers ls -q 2> /dev/null); do
    ctrd tasks delete --force "$id" > /dev/null 2>&1 || true
    ctrd containers delete "$id" > /dev/null 2>&1 || true
  done
}

# ctr_run [ctr run flags...] -- ID CMD...: ctr run on skiff-runtime, from the rootfs
ctr_run() {
  local flags=()
  while [ "$1" != -- ]; do
    flags+=("$1")
    shift
  done
  shift
  local id=$1
  shift
  ctrd run --runc-binary "$SKIFF_RUNTIME" --runc-root "$DAEMON_DIR/runtime" \
    --fifo-dir "$DAEMON_DIR/fifo" --cgroup "/$DAEMON_CGROUP/$id" "${flags[@]}" \
    --rootfs "$DAEMON_DIR/rootfs" "$id" "$@"
}

# skiff-runtime's own view of a container that ctr made (namespace "default")
skiff_state() {
  "$SKIFF_RUNTIME" --root "$DAEMON_DIR/runtime/default" state "$1"
}

task_status() { # task_status ID: RUNNING, PAUSED, STOPPED... from ctr task ls
  ctrd tasks ls | awk -v id="$1" '$1 == id {print $3}'
}

wait_task_status() {
  local i
  for i in $(seq 50); do
    [ "$(task_status "$1")" = "$2" ] && return 0
    sleep 0.1
  done
  echo "task $1 is $(task_status "$1"), not $2"
  return 1
}

@test "ctr run: the output and the exit code come back through skiff-runtime" {
  run ctr_run --rm -- c1 sh -c 'echo hello from pid $$; exit 3'
  [ "$status" -eq 3 ]
  [ "$output" = "hello from pid 1" ]
  [ -z "$(ctrd containers ls -q)" ]
  # skiff-runtime kept its state in the root the shim gave it, and removed it
  [ -d "$DAEMON_DIR/runtime/default" ]
  [ -z "$(ls "$DAEMON_DIR/runtime/default")" ]
}

@test "ctr run -d: the task runs, ctr task ls and skiff-runtime state agree" {
  ctr_run -d -- c2 sleep 100
  wait_task_status c2 RUNNING
  pid=$(ctrd tasks ls | awk '$1 == "c2" {print $2}')
  run skiff_state c2
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r .status)" = running ]
  [ "$(echo "$output" | jq -r .pid)" = "$pid" ]
  [ "$(echo "$output" | jq -r .bundle)" = "$DAEMON_DIR/state/io.containerd.runtime.v2.task/default/c2" ]
  # the process is the container's: its own pid namespace, in the cgroup asked
  [ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ]
  grep -q ":memory:/$DAEMON_CGROUP/c2\$" "/proc/$pid/cgroup"
}

@test "ctr task exec: output and exit code, in the task's namespaces" {
  ctr_run -d -- c3 sleep 100
  run ctrd tasks exec --fifo-dir "$DAEMON_DIR/fifo" --exec-id e1 c3 sh -c 'ps -o pid,args; exit 4'
  [ "$status" -eq 4 ]
  [[ "$output" == *"1 sleep 100"* ]]
  # and ctr task ps, from skiff-runtime ps --format json, lists the task's process
  pid=$(ctrd tasks ls | awk '$1 == "c3" {print $2}')
  run ctrd tasks ps c3
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | awk 'NR > 1 {print $1}')" = "$pid" ]
}

@test "ctr run -t and ctr task exec -t, through a real terminal" {
  run script -qec "ctr --address $CONTAINERD_SOCK run -t --rm --runc-binary $SKIFF_RUNTIME \
    --runc-root $DAEMON_DIR/runtime --fifo-dir $DAEMON_DIR/fifo --cgroup /$DAEMON_CGROUP/c4 \
    --rootfs $DAEMON_DIR/rootfs c4 sh -c 'tty; test -t 0 && echo stdin-is-a-tty; exit 6'" /dev/null
  [ "$status" -eq 6 ]
  [[ "$output" == *"/dev/pts/0"* ]]
  [[ "$output" == *"stdin-is-a-tty"* ]]
  ctr_run -d -- c4b sleep 100
  run script -qec "ctr --address $CONTAINERD_SOCK tasks exec -t --fifo-dir $DAEMON_DIR/fifo \
    --exec-id e1 c4b sh -c 'tty; exit 5'" /dev/null
  [ "$status" -eq 5 ]
  [[ "$output" == *"/dev/pts/"* ]]
}

@test "ctr run -t: what is typed on the terminal reaches the container's shell" {
  # script copies its stdin to the terminal
  run script -qec "ctr --address $CONTAINERD_SOCK run -t --rm --runc-binary $SKIFF_RUNTIME \
    --runc-root $DAEMON_DIR/runtime --fifo-dir $DAEMON_DIR/fifo --cgroup /$DAEMON_CGROUP/c5 \
    --rootfs $DAEMON_DIR/rootfs c5 sh" /dev/null <<< $'echo typed-$((6*7))\nexit 7'
  [ "$status" -eq 7 ]
  [[ "$output" == *"typed-42"* ]]
}

@test "ctr task pause and resume: PAUSED with the freezer FROZEN, then RUNNING" {
  ctr_run -d -- c6 sleep 100
  wait_task_status c6 RUNNING
  ctrd tasks pause c6
  [ "$(task_status c6)" = PAUSED ]
  [ "$(cat "/sys/fs/cgroup/freezer/$DAEMON_CGROUP/c6/freezer.state")" = FROZEN ]
  [ "$(skiff_state c6 | jq -r .status)" = paused ]
  ctrd tasks resume c6
  [ "$(task_status c6)" = RUNNING ]
  [ "$(cat "/sys/fs/cgroup/freezer/$DAEMON_CGROUP/c6/freezer.state")" = THAWED ]
}

@test "ctr task kill: the signal reaches the process, whose exit code ctr reports" {
  # the rootfs is shared: the file that says the trap is set is the task's own
  ctr_run -d -- c7 sh -c 'trap "exit 9" TERM; touch /tmp/c7-ready; while :; do sleep 0.1; done'
  wait_for test -e "$DAEMON_DIR/rootfs/tmp/c7-ready"
  ctrd tasks kill c7
  wait_task_status c7 STOPPED
  run ctrd tasks delete c7
  [ "$status" -eq 0 ]
  [[ "$output" == *"exit code 9"* ]]
}

@test "ctr task kill --all -s KILL stops every process; delete removes the rest" {
  ctr_run -d -- c8 sh -c 'sleep 100 & sleep 100 & wait'
  wait_task_status c8 RUNNING
  ctrd tasks exec -d --fifo-dir "$DAEMON_DIR/fifo" --exec-id e1 c8 sleep 100
  ctrd tasks kill --all --signal KILL c8
  wait_task_status c8 STOPPED
  [ "$(skiff_state c8 | jq -r .status)" = stopped ]
  ctrd tasks delete c8
  ctrd containers delete c8
  [ -z "$(ctrd containers ls -q)" ]
  # skiff-runtime's state, the cgroup and every process are gone
  [ ! -e "$DAEMON_DIR/runtime/default/c8" ]
  for d in /sys/fs/cgroup/*/"$DAEMON_CGROUP"/c8; do [ ! -e "$d" ]; done
  ! pgrep_root "$DAEMON_DIR/rootfs"
}

@test "ctr run --memory-limit and --cpus reach the cgroup" {
  ctr_run -d --memory-limit 67108864 --cpus 0.5 -- c9 sleep 100
  [ "$(cat "/sys/fs/cgroup/memory/$DAEMON_CGROUP/c9/memory.limit_in_bytes")" = 67108864 ]
  [ "$(cat "/sys/fs/cgroup/cpu/$DAEMON_CGROUP/c9/cpu.cfs_quota_us")" = 50000 ]
  [ "$(cat "/sys/fs/cgroup/cpu/$DAEMON_CGROUP/c9/cpu.cfs_period_us")" = 100000 ]
}

@test "a program that does not exist: ctr shows skiff-runtime's message from its JSON log" {
  run ctr_run --rm -- c10 no-such-program
  [ "$status" -ne 0 ]
  [[ "$output" == *'exec: `no-such-program`: executable file not found in $PATH'* ]]
  [ -z "$(ls "$DAEMON_DIR/runtime/default")" ]
}

@test "containerd stops, and nothing of it, its shims or their containers is left" {
  [ -z "$(ctrd tasks ls -q)" ]
  stop_pid "$CONTAINERD_PID" containerd
  # the shims exited with their tasks
  [ -z "$(daemon_processes)" ] || { ps -o pid,args -p "$(daemon_processes | tr '\n' ,)"; false; }
  ! pgrep_root "$DAEMON_DIR/rootfs"
  daemons_leftovers
  CONTAINERD_PID=
}
