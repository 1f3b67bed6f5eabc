#!/usr/bin/env bats
# Interactive containers: run -i, -t, -it, start -a -i, attach (its detach
# keys, --no-stdin), through the shim's attach socket; the socket only root
# reaches; the first output of a quick container is never lost. Each test has
# its own data root, exec root and cgroup parent, and leaves nothing behind.

load helpers
load engine

# on a terminal of its own (script), COMMAND fed what INPUT prints; the
# terminal's output without its carriage returns in $output
on_tty() { # INPUT COMMAND
  run bash -c "{ $1; } | script -qec '$2' /dev/null"
  output=${output//$'\r'/}
}

# no shim, no attach socket left once every container ended
assert_clean() {
  until_true '[ -z "$(for p in $(shim_pids); do [ -e /proc/$p ] && [ "$(cat /proc/$p/comm)" = skiff-shim ] && echo $p; done)" ]'
  [ -z "$(find "$XR" -name '*.sock' 2> /dev/null)" ] || { find "$XR" -name '*.sock'; return 1; }
}

@test "run -i: the caller's stdin to the container, closed at its end" {
  run bash -c "echo hello | $SKIFF run -i busybox cat"
  [ "$status" -eq 0 ]
  [ "$output" = hello ]
  run bash -c "printf 'a\nb\nc\n' | $SKIFF run -i --rm busybox sh -c 'wc -l; echo err >&2; exit 5'"
  [ "$status" -eq 5 ]
  [[ "$output" == *3*err* ]]
  # without -i the container's stdin is empty, as docker's
  run bash -c "echo hello | $SKIFF run busybox cat"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  assert_clean
}

@test "run -i: the output of a quick container is never lost" {
  for i in $(seq 20); do
    run sk run -i --rm busybox echo hi < /dev/null
    [ "$status" -eq 0 ] || { echo "run $i: $status $output"; return 1; }
    [ "$output" = hi ] || { echo "run $i: '$output'"; return 1; }
  done
  on_tty "sleep 1" "$SKIFF run -it --rm busybox echo hi"
  [ "$status" -eq 0 ]
  [ "$output" = hi ]
  assert_clean
}

@test "run -t: a terminal of the caller's size, its output one stdout stream" {
  on_tty "sleep 1" "stty rows 33 cols 101; $SKIFF run -t --name tty1 busybox sh -c \"tty; stty size; echo err >&2\""
  [ "$status" -eq 0 ]
  [ "$output" = $'/dev/pts/0\n33 101\nerr' ]
  run sk logs tty1
  [[ "$output" == *"/dev/pts/0"* ]]
  id=$(sk inspect --format '{{.Id}}' tty1)
  [ "$(jq -r .stream "$DR/containers/$id/$id-json.log" | sort -u)" = stdout ]
  assert_clean
}

@test "run -it: what is typed goes to the container's shell; its exit code" {
  on_tty "sleep 1; printf 'echo from-tty; exit 4\r'" "$SKIFF run -it --rm busybox sh"
  [ "$status" -eq 4 ]
  [[ "$output" == *$'\nfrom-tty'* ]]
  # -it on something that is not a terminal: docker's error, nothing created
  run bash -c "echo x | $SKIFF run -it busybox true"
  [ "$status" -eq 1 ]
  [ "$output" = "skiff: the input device is not a TTY" ]
  [ -z "$(sk ps -aq)" ]
  assert_clean
}

@test "detach keys leave the container running; attach reconnects, sized, and sees new output" {
  export LOOP='i=0; while :; do echo tick $i; stty size; i=$((i+1)); sleep 0.2; done'
  on_tty "sleep 1; printf '\020\021'; sleep 0.5" "$SKIFF run -it --name loop busybox sh -c \"\$LOOP\""
  [ "$status" -eq 0 ]
  [[ "$output" == *"tick 0"* ]]
  [ "$(sk inspect --format '{{.State.Running}}' loop)" = true ]
  last=$(sk logs loop | grep -c tick)
  # a new terminal size comes with the attach; other keys to detach
  on_tty "sleep 1.5; printf '\001x'" "stty rows 21 cols 77; $SKIFF attach --detach-keys ctrl-a,x loop"
  [ "$status" -eq 0 ]
  [[ "$output" == *"21 77"* ]]
  n=$(printf '%s\n' "$output" | grep tick | tail -1 | awk '{print $2}')
  [ "$n" -ge "$last" ]
  [ "$(sk inspect --format '{{.State.Running}}' loop)" = true ]
  # a wrong key sequence, a stopped container: docker's errors
  run sk attach --detach-keys ctrl-1 loop
  [ "$status" -ne 0 ]
  [[ "$output" == *"Invalid detach keys (ctrl-1) provided"* ]]
  run sk run -i --detach-keys ctrl-1 --name never busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"Invalid detach keys (ctrl-1) provided"* ]]
  ! sk ps -a --format '{{.Names}}' | grep -qx never || false
  sk rm -f loop
  sk create --name stopped busybox true
  run sk attach stopped
  [ "$status" -eq 1 ]
  [[ "$output" == *"You cannot attach to a stopped container, start it first"* ]]
  assert_clean
}

@test "run -it: a new size of the caller's terminal reaches the container's (SIGWINCH)" {
  cat > "$BATS_TEST_TMPDIR/winch.sh" << 'EOF'
stty rows 20 cols 70
"$SKIFF" run -it --name winch busybox sh -c 'trap "stty size" WINCH; stty size; while :; do sleep 0.1; done' < /dev/tty &
sleep 1.5
stty rows 50 cols 60
sleep 1
"$SKIFF" rm -f winch > /dev/null
wait
EOF
  on_tty "sleep 4" "bash $BATS_TEST_TMPDIR/winch.sh"
  [[ "$output" == *$'20 70\n50 60'* ]]
  assert_clean
}

@test "start -a -i: stdin to a created container; attach --no-stdin; sig-proxy" {
  sk create -i --name cat1 busybox sh -c 'cat; exit 3'
  run bash -c "echo data | $SKIFF start -a -i cat1"
  [ "$status" -eq 3 ]
  [ "$output" = data ]
  # an attach without stdin sees the output; SIGTERM goes to the container
  mkfifo "$BATS_TEST_TMPDIR/in"
  exec 7<> "$BATS_TEST_TMPDIR/in"
  sk run -d -i --name sp busybox sh -c 'trap "echo caught; exit 9" TERM; echo ready; while :; do sleep 0.1; done'
  "$SKIFF" attach --no-stdin sp < "$BATS_TEST_TMPDIR/in" > "$BATS_TEST_TMPDIR/out" &
  bg=$!
  BG_PIDS+=("$bg")
  sleep 0.5
  kill -TERM "$bg"
  code=0
  wait "$bg" || code=$?
  exec 7>&-
  [ "$code" -eq 9 ]
  grep -q caught "$BATS_TEST_TMPDIR/out"
  assert_clean
}

@test "the attach socket: a file only root reaches, outside every container" {
  sk run -d -it --name sock1 --network host busybox sleep 30
  id=$(sk inspect --format '{{.Id}}' sock1)
  sock="$XR/containers/$id/attach.sock"
  [ "$(stat -c '%F %a %U' "$sock")" = "socket 600 root" ]
  # a socket of the filesystem: never one of the abstract namespace, which
  # a container sharing the host's network could reach
  ! grep -q '@.*attach' /proc/net/unix || false
  run sk run --rm --network host busybox sh -c "cat /proc/net/unix; ls $XR"
  [ "$status" -ne 0 ]
  ! printf '%s\n' "$output" | grep -q '@.*attach' || false
  # listed by the name it was bound with, which leads nowhere in the container
  printf '%s\n' "$output" | grep -q '/proc/self/fd/[0-9]*/attach\.sock'
  [[ "$output" == *"No such file or directory"* ]]
  sk rm -f sock1
  assert_clean
}
