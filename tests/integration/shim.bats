#!/usr/bin/env bats
# skiff-shim, the parent of one container: started as the engine starts it,
# against the real kernel, with a runtime root and state of its own.

load helpers

setup() {
  : "${SKIFF_SHIM:?set by tests/run}"
  RT="$BATS_TEST_TMPDIR/runtime"
  SD="$BATS_TEST_TMPDIR/shim-state"
  LOG="$BATS_TEST_TMPDIR/container.log"
  READY="$BATS_TEST_TMPDIR/ready"
  SHIM_BIN="$SKIFF_SHIM"
}

teardown() {
  local p id
  if [ -f "$SD/shim.pid" ]; then
    p=$(cat "$SD/shim.pid")
    if grep -q skiff-shim "/proc/$p/cmdline" 2>/dev/null; then kill -KILL "$p"; fi
  fi
  for id in $("$SKIFF_RUNTIME" --root "$RT" list -q 2>/dev/null); do
    "$SKIFF_RUNTIME" --root "$RT" delete --force "$id" >/dev/null 2>&1 || true
  done
  if [ -n "${BUNDLE:-}" ] && mountpoint -q "$BUNDLE/rootfs" 2>/dev/null; then
    umount -l "$BUNDLE/rootfs"
  fi
}

# start_shim [SHIM OPTIONS]: starts the shim for $BUNDLE as the engine does,
# its ready fd a file; waits for the report line and sets SHIM_PID (the pid
# of the shim process) and CPID (the container's, from "ok PID")
start_shim() {
  rm -f "$READY"
  "$SHIM_BIN" --id "$CID" --bundle "$BUNDLE" --runtime-root "$RT" --state-dir "$SD" \
    --log "$LOG" --ready-fd 3 "$@" 3>"$READY" </dev/null >/dev/null 2>&1 &
  SHIM_PID=$!
  wait_for sh -c "[ -n \"\$(cat '$READY')\" ]" || { echo "no report on the ready fd"; return 1; }
  REPORT=$(cat "$READY")
  CPID=""
  if [[ "$REPORT" == "ok "* ]]; then CPID=${REPORT#ok }; fi
}

# wait_exit [SECONDS]: waits until the container exited and the shim with
# it (10 s by default); fails unless the shim exited 0
wait_exit() {
  local i
  for i in $(seq $((${1:-10} * 20))); do
    [ -f "$SD/exit.json" ] && ! kill -0 "$SHIM_PID" 2>/dev/null && break
    sleep 0.05
  done
  [ -f "$SD/exit.json" ] || { echo "no exit.json"; return 1; }
  wait "$SHIM_PID"
}

# the records of one stream, the "log" values joined
stream_text() {
  jq -j --arg s "$1" 'select(.stream == $s) | .log' "$LOG"
}

# nothing of the container or its shim is left
assert_nothing_left() {
  ! kill -0 "$SHIM_PID" 2>/dev/null || { echo "the shim still runs"; return 1; }
  # (the runtime's cache of compiled seccomp profiles stays)
  local left
  left=$(ls -A "$RT" 2>/dev/null | grep -v '^\.seccomp-cache$' || true)
  [ -z "$left" ] || { echo "runtime state left: $left"; return 1; }
  local d
  for d in /sys/fs/cgroup/*/"$CGROUP_PARENT/$CID" /sys/fs/cgroup/"$CGROUP_PARENT/$CID"; do
    [ ! -e "$d" ] || { echo "cgroup $d left behind"; return 1; }
  done
  ! pgrep_root "$ROOTFS" || { echo "a process rooted in the test rootfs is left"; return 1; }
  ! grep -q " $BUNDLE/rootfs " /proc/self/mountinfo || { echo "the rootfs is still mounted"; return 1; }
}

@test "shim: output goes to the json-file log, the exit code to exit.json" {
  new_bundle sh -c 'echo hello; echo oops >&2; printf "no newline"; exit 3'
  start_shim
  [[ "$REPORT" =~ ^ok\ [0-9]+$ ]]
  wait_exit
  [ "$(wc -l < "$LOG")" -eq 3 ]
  jq -e -s '
    .[0] == {log: "hello\n", stream: "stdout", time: .[0].time} and
    .[1] == {log: "oops\n", stream: "stderr", time: .[1].time} and
    .[2] == {log: "no newline", stream: "stdout", time: .[2].time} and
    all(.[]; .time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9}Z$"))' "$LOG"
  jq -e '.exit_code == 3 and .signal == 0 and .oom_killed == false and
         (.finished_at | test("^[0-9-]{10}T[0-9:]{8}\\.[0-9]{9}Z$"))' "$SD/exit.json"
  [ "$(cat "$SD/shim.pid")" = "$SHIM_PID" ]
  assert_nothing_left
}

@test "shim: the ready fd names the container's pid; killed by SIGKILL is 137" {
  new_bundle sleep 1000
  start_shim
  [ -n "$CPID" ]
  [ "$("$SKIFF_RUNTIME" --root "$RT" state "$CID" | jq .pid)" = "$CPID" ]
  [ "$(cat "/proc/$CPID/comm")" = sleep ]
  # the container's process is the shim's child
  [ "$(awk '{print $4}' "/proc/$CPID/stat")" = "$SHIM_PID" ]
  "$SKIFF_RUNTIME" --root "$RT" kill "$CID" KILL
  wait_exit
  jq -e '.exit_code == 137 and .signal == 9' "$SD/exit.json"
  assert_nothing_left
}

@test "shim: a program not found is err 127, and nothing is left" {
  new_bundle nosuchprogram
  start_shim
  [ "$REPORT" = 'err 127 exec: `nosuchprogram`: executable file not found in $PATH' ]
  wait "$SHIM_PID" && st=0 || st=$?
  [ "$st" -ne 0 ]
  [ ! -e "$SD/exit.json" ] && [ ! -e "$SD/shim.pid" ]
  assert_nothing_left
}

@test "shim: a program that cannot be executed is err 126" {
  new_bundle /etc/passwd
  start_shim
  [[ "$REPORT" == "err 126 exec: \`/etc/passwd\`: Permission denied" ]]
  wait "$SHIM_PID" && st=0 || st=$?
  [ "$st" -ne 0 ]
  new_bundle /no/such/file
  start_shim
  [[ "$REPORT" == "err 127 "* ]]
  new_bundle sh -c 'exit 0'
  update_config '.process.cwd = "/etc/passwd"'
  start_shim
  [[ "$REPORT" == "err 125 "* ]]
  # the report comes before the shim's exit
  wait "$SHIM_PID" || true
  assert_nothing_left
}

@test "shim: detached, it outlives the kill -9 of what started it" {
  new_bundle sleep 1000
  # a launcher that starts the shim and stays
  bash -c '"$@" 3>"'"$READY"'" </dev/null >/dev/null 2>&1 & echo $! > "'"$BATS_TEST_TMPDIR"'/shim-pid"; exec sleep 1000' \
    launcher "$SHIM_BIN" --id "$CID" --bundle "$BUNDLE" --runtime-root "$RT" --state-dir "$SD" \
    --log "$LOG" --ready-fd 3 &
  launcher=$!
  wait_for sh -c "grep -q '^ok ' '$READY'"
  SHIM_PID=$(cat "$BATS_TEST_TMPDIR/shim-pid")
  CPID=$(sed 's/^ok //' "$READY")
  [ "$(cat "$SD/shim.pid")" = "$SHIM_PID" ]
  kill -KILL "$launcher"
  wait "$launcher" || true
  sleep 0.3
  kill -0 "$SHIM_PID"
  kill -0 "$CPID"
  # a session of its own, cwd /, stdio /dev/null, a subreaper, no fd of ours
  [ "$(ps -o sid= -p "$SHIM_PID" | tr -d ' ')" = "$SHIM_PID" ]
  [ "$(readlink "/proc/$SHIM_PID/cwd")" = / ]
  for fd in 0 1 2; do [ "$(readlink "/proc/$SHIM_PID/fd/$fd")" = /dev/null ]; done
  # and besides: the log, the two pipes, a signalfd and the attach socket,
  # what watches for OOM kills (an epoll of an eventfd or inotify watch and a
  # timer, /dev/kmsg, the cgroup's directory), nothing it inherited
  for fd in "/proc/$SHIM_PID"/fd/*; do
    t=$(readlink "$fd")
    case "$t" in
      /dev/null|"$LOG"|pipe:*|"anon_inode:[signalfd]"|socket:*) ;;
      "anon_inode:[eventpoll]"|"anon_inode:[eventfd]"|anon_inode:inotify|"anon_inode:[timerfd]") ;;
      /dev/kmsg|/sys/fs/cgroup/*) ;;
      *) echo "the shim holds $fd: $t"; false ;;
    esac
  done
  "$SKIFF_RUNTIME" --root "$RT" kill "$CID" KILL
  wait_for test -f "$SD/exit.json"
  wait_for sh -c "! kill -0 $SHIM_PID 2>/dev/null"
  jq -e '.exit_code == 137' "$SD/exit.json"
  assert_nothing_left
}

@test "shim: SIGTERM to the shim reaches the container; SIGINT and SIGHUP do not stop it" {
  new_bundle sh -c 'trap "echo got TERM; exit 7" TERM; while :; do sleep 0.1; done'
  start_shim
  sleep 0.3
  kill -INT "$SHIM_PID"
  kill -HUP "$SHIM_PID"
  sleep 0.2
  kill -0 "$SHIM_PID"
  kill -TERM "$SHIM_PID"
  wait_exit
  jq -e '.exit_code == 7 and .signal == 0' "$SD/exit.json"
  [ "$(stream_text stdout)" = "got TERM" ]
  assert_nothing_left
}

@test "shim: the log rotates at --log-max-size, keeping --log-max-file files" {
  new_bundle sh -c 'i=0; while [ $i -lt 300 ]; do echo "line $i of the output of this container"; i=$((i+1)); done'
  start_shim --log-max-size 2000 --log-max-file 3
  wait_exit
  [ -f "$LOG" ] && [ -f "$LOG.1" ] && [ -f "$LOG.2" ] && [ ! -e "$LOG.3" ]
  for f in "$LOG" "$LOG.1" "$LOG.2"; do
    [ "$(stat -c %s "$f")" -le 2000 ]
    [ "$(stat -c %s "$f")" -gt 1800 ] || [ "$f" = "$LOG" ]
  done
  # oldest to newest: the last lines of the output, none lost between files
  cat "$LOG.2" "$LOG.1" "$LOG" | jq -j .log > "$BATS_TEST_TMPDIR/kept"
  first=$(head -1 "$BATS_TEST_TMPDIR/kept" | awk '{print $2}')
  n=$(wc -l < "$BATS_TEST_TMPDIR/kept")
  [ $((first + n)) -eq 300 ]
  for i in $(seq "$first" 299); do echo "line $i of the output of this container"; done |
    diff - "$BATS_TEST_TMPDIR/kept"
}

@test "shim: one log file kept is emptied at max-size; --log-driver none writes none" {
  new_bundle sh -c 'i=0; while [ $i -lt 100 ]; do echo "line $i"; i=$((i+1)); done'
  start_shim --log-max-size 300
  wait_exit
  [ ! -e "$LOG.1" ]
  [ "$(stat -c %s "$LOG")" -le 300 ]
  [ "$(tail -1 "$LOG" | jq -r .log)" = "line 99" ]
  rm -f "$LOG"
  start_shim --log-driver none
  wait_exit
  [ ! -e "$LOG" ]
  jq -e '.exit_code == 0' "$SD/exit.json"
}

@test "shim: 100k lines on each stream arrive whole and in order" {
  new_bundle sh -c 'seq 1 100000 & seq 1 100000 >&2; wait'
  start_shim
  wait_exit
  [ "$(wc -l < "$LOG")" -eq 200000 ]
  seq 1 100000 > "$BATS_TEST_TMPDIR/expected"
  stream_text stdout | cmp - "$BATS_TEST_TMPDIR/expected"
  stream_text stderr | cmp - "$BATS_TEST_TMPDIR/expected"
}

@test "shim: 10000 lines a second for 10 s all arrive in order" {
  new_bundle sh -c 'i=0; while [ $i -lt 100 ]; do seq $((i*1000+1)) $((i*1000+1000)); usleep 100000; i=$((i+1)); done'
  start_shim
  wait_exit 40
  seq 1 100000 | cmp - <(stream_text stdout)
}

@test "shim: a line longer than 16 KiB is cut into records without a newline" {
  new_bundle sh -c 'head -c 40000 /dev/zero | tr "\0" a; echo; echo next'
  start_shim
  wait_exit
  jq -e -s 'map(.log | length) == [16384, 16384, 7233, 5] and
            (.[0].log | endswith("a")) and .[2].log[-1:] == "\n" and .[3].log == "next\n"' "$LOG"
}

@test "shim: control characters, quotes, backslashes and invalid UTF-8 are escaped" {
  new_bundle sh -c 'printf "a\001\"b\\\\c\td<&>\377\303\251\n"'
  start_shim
  wait_exit
  grep -qF '{"log":"a\u0001\"b\\c\td\u003c\u0026\u003e\ufffdé\n","stream":"stdout"' "$LOG"
  [ "$(jq -r .log "$LOG")" = "$(printf 'a\001"b\\c\td<&>\357\277\275\303\251')" ]
}

@test "shim: the rootfs mount is gone when the container exits" {
  new_bundle true
  rm "$BUNDLE/rootfs"
  mkdir "$BUNDLE/rootfs"
  mount --bind -o ro "$ROOTFS" "$BUNDLE/rootfs"
  start_shim
  wait_exit
  jq -e '.exit_code == 0' "$SD/exit.json"
  ! mountpoint -q "$BUNDLE/rootfs"
  assert_nothing_left
}

@test "shim: resident memory of a running shim (release build)" {
  [ -x "${SKIFF_SHIM_RELEASE:-}" ] || skip "no release build"
  SHIM_BIN="$SKIFF_SHIM_RELEASE"
  new_bundle sh -c 'echo started; sleep 1000'
  start_shim
  wait_for grep -q started "$LOG"
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$SHIM_PID/status")
  echo "# skiff-shim VmRSS: $rss kB ($(grep -E '^Rss(Anon|File)' "/proc/$SHIM_PID/status" | tr -s ' \t' ' ' | tr '\n' ' '))" >&3
  [ "$rss" -lt 2048 ]
  "$SKIFF_RUNTIME" --root "$RT" kill "$CID" KILL
  wait_exit
  assert_nothing_left
}

@test "shim: a wrong command line is err 125 on the ready fd, before anything is made" {
  new_bundle true
  run "$SHIM_BIN" --id "$CID" --bundle relative/bundle --runtime-root "$RT" --state-dir "$SD" \
    --log "$LOG" --ready-fd 3 3>"$READY"
  [ "$status" -eq 2 ]
  [[ "$output" == *"\`relative/bundle\` is not an absolute path"* ]]
  [[ "$(cat "$READY")" == "err 125 "* ]]
  run "$SHIM_BIN" --id "$CID" --bundle "$BUNDLE" --runtime-root "$RT" --state-dir "$SD" \
    --log "$LOG" --log-driver syslog
  [ "$status" -eq 2 ]
  [[ "$output" == *"--log-driver must be json-file, local or none"* ]]
  [ ! -e "$SD" ] && [ ! -e "$LOG" ]
}
