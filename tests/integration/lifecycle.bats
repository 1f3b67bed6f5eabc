#!/usr/bin/env bats
# The container lifecycle through runc's verbs: create, start, state, kill,
# delete, run, pause, resume, ps, list, exec, events.

load helpers

teardown() {
  cleanup_containers
}

@test "run in the foreground passes the exit code on and deletes the container" {
  new_bundle sh -c 'echo out; echo err >&2; exit 42'
  run runtime run "$CID"
  [ "$status" -eq 42 ]
  [[ "$output" == *out* ]] && [[ "$output" == *err* ]]
  assert_no_trace "$CID"
}

@test "run: a process killed by a signal exits with 128 + the signal" {
  new_bundle sleep 100
  # PID 1 cannot be killed from inside its namespace: kill it from outside
  (sleep 1; runtime kill "$CID" KILL) &
  run runtime run "$CID"
  [ "$status" -eq 137 ]
  assert_no_trace "$CID"
}

@test "create, start, state, kill, delete" {
  new_bundle sleep 100
  runtime create --pid-file "$BATS_TEST_TMPDIR/pid" "$CID"
  [ "$(state_status "$CID")" = created ]
  pid=$(runtime state "$CID" | jq .pid)
  [ "$pid" -gt 0 ]
  [ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$pid" ]
  # the process waits, not yet running sleep
  [ "$(readlink /proc/$pid/exe)" != /bin/busybox ] || [ "$(cat /proc/$pid/comm)" != sleep ]
  runtime start "$CID"
  [ "$(state_status "$CID")" = running ]
  [ "$(cat /proc/$pid/comm)" = sleep ]
  runtime kill "$CID" KILL
  wait_status "$CID" stopped
  runtime delete "$CID"
  assert_no_trace "$CID"
}

@test "state is the OCI state document" {
  new_bundle sleep 100
  update_config '.annotations = {"org.example.key": "value"}'
  runtime create "$CID"
  run runtime state "$CID"
  [ "$status" -eq 0 ]
  echo "$output" | jq -e --arg id "$CID" --arg b "$BUNDLE" '
    .ociVersion == "1.2.0" and .id == $id and .status == "created" and .pid > 0 and
    .bundle == $b and (.rootfs | endswith("/rootfs")) and
    (.created | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")) and
    .annotations["org.example.key"] == "value"'
}

@test "state and delete of a container that does not exist are one-line errors" {
  run runtime state nosuch
  [ "$status" -ne 0 ]
  [ "$output" = "skiff-runtime: container \`nosuch\` does not exist" ]
  run runtime delete nosuch
  [ "$status" -ne 0 ]
  assert_one_line
}

@test "delete --force of a container that does not exist succeeds quietly, as runc's" {
  # podman runs it after a failed create, containerd's shim after every task
  run runtime delete --force nosuch
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  run runtime delete --force "bad/id"
  [ "$status" -ne 0 ]
  run runtime delete --force "../bad"
  [ "$status" -ne 0 ]
}

@test "start refuses a container that is not created" {
  new_bundle sleep 100
  runtime run -d "$CID"
  run runtime start "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"it is running, not created"* ]]
}

@test "run -d detaches and the container keeps running" {
  new_bundle sleep 100
  runtime run -d --pid-file "$BATS_TEST_TMPDIR/pid" "$CID"
  [ "$(state_status "$CID")" = running ]
  pid=$(cat "$BATS_TEST_TMPDIR/pid")
  [ "$(cat /proc/$pid/comm)" = sleep ]
}

@test "delete refuses a running container, --force kills it" {
  new_bundle sleep 100
  runtime run -d "$CID"
  pid=$(runtime state "$CID" | jq .pid)
  run runtime delete "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"that is not stopped: running"* ]]
  [ -d /proc/$pid ]
  runtime delete --force "$CID"
  assert_no_trace "$CID"
}

@test "delete removes a created container that never started" {
  new_bundle sleep 100
  runtime create "$CID"
  runtime delete "$CID"
  assert_no_trace "$CID"
}

@test "kill takes signal names and numbers" {
  new_bundle sh -c 'trap "echo got-usr1 > /tmp/sig" USR1; trap "exit 3" TERM; while true; do sleep 0.1; done'
  update_config '.root.readonly = false | .mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}]'
  runtime run -d "$CID"
  runtime kill "$CID" SIGUSR1
  wait_for runtime exec "$CID" test -f /tmp/sig
  runtime kill "$CID" 15
  wait_status "$CID" stopped
  run runtime kill "$CID" NOTASIGNAL
  [ "$status" -ne 0 ]
  [ "$output" = "skiff-runtime: unknown signal \`NOTASIGNAL\`" ]
}

@test "kill --all reaches every process; a plain kill only the init" {
  new_bundle sh -c 'sleep 100 & sleep 100 & wait; echo done'
  runtime run -d "$CID"
  wait_count "$CID" 3
  # PID 1 of a pid namespace ignores signals it has no handler for
  runtime kill "$CID" TERM
  sleep 0.2
  [ "$(runtime ps --format json "$CID" | jq length)" -eq 3 ]
  runtime kill --all "$CID" KILL
  wait_status "$CID" stopped
}

@test "pause freezes every process and resume thaws them" {
  new_bundle sleep 100
  runtime run -d "$CID"
  runtime pause "$CID"
  [ "$(state_status "$CID")" = paused ]
  if is_cgroup2; then
    [ "$(cat "$(cgroup_dir freezer)/cgroup.freeze")" = 1 ]
  else
    [ "$(cat "$(cgroup_dir freezer)/freezer.state")" = FROZEN ]
  fi
  run runtime pause "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"is paused, not running"* ]]
  runtime resume "$CID"
  [ "$(state_status "$CID")" = running ]
}

@test "kill KILL of a paused container kills it: the cgroup is thawed, as runc's" {
  new_bundle sh -c 'sleep 100 & sleep 100'
  runtime run -d "$CID"
  wait_count "$CID" 2
  runtime pause "$CID"
  runtime kill "$CID" KILL
  wait_status "$CID" stopped
  # and its other process, frozen too, went with its pid namespace
  wait_for sh -c "[ -z \"\$(cat '$(cgroup_dir pids)/cgroup.procs')\" ]"
  runtime delete "$CID"
  assert_no_trace "$CID"
}

@test "ps lists the container's processes as JSON and as ps's table" {
  new_bundle sh -c 'sleep 100 & wait'
  runtime run -d "$CID"
  pid=$(runtime state "$CID" | jq .pid)
  wait_count "$CID" 2
  runtime ps --format json "$CID" | jq -e --argjson p "$pid" 'index($p) != null'
  run runtime ps "$CID"
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == *PID* ]]
  [ "${#lines[@]}" -eq 3 ]
  echo "$output" | grep -q "sleep 100"
}

@test "list shows containers with their status" {
  new_bundle sleep 100
  runtime create "$CID"
  run runtime list
  [ "$status" -eq 0 ]
  echo "$output" | grep -E "^$CID +[0-9]+ +created +$BUNDLE"
  run runtime list --format json
  echo "$output" | jq -e --arg id "$CID" 'map(select(.id == $id))[0].status == "created"'
  run runtime list -q
  echo "$output" | grep -qx "$CID"
}

@test "exec runs in the container's namespaces and cgroup and passes its exit code on" {
  new_bundle sleep 100
  runtime run -d "$CID"
  pid=$(runtime state "$CID" | jq .pid)
  run runtime exec "$CID" sh -c 'echo $$; for n in pid net mnt; do readlink /proc/self/ns/$n; done; hostname; exit 7'
  [ "$status" -eq 7 ]
  [ "${lines[1]}" = "$(readlink /proc/$pid/ns/pid)" ]
  [ "${lines[2]}" = "$(readlink /proc/$pid/ns/net)" ]
  [ "${lines[3]}" = "$(readlink /proc/$pid/ns/mnt)" ]
  [ "${lines[4]}" = skiff ]
  # a process id inside the container's pid namespace
  [ "${lines[0]}" -lt 100 ]
}

@test "exec --env --cwd --user --cap" {
  new_bundle sleep 100
  runtime run -d "$CID"
  run runtime exec --env FOO=bar --cwd /tmp --user 1000:1000 "$CID" sh -c 'echo $FOO; pwd; id -u; id -g'
  [ "$status" -eq 0 ]
  [ "${lines[*]}" = "bar /tmp 1000 1000" ]
  run runtime exec --cap CAP_SYS_ADMIN "$CID" grep CapEff /proc/self/status
  # CAP_SYS_ADMIN is bit 21: Docker's default set plus it
  [ "$output" = "CapEff:	00000000a82425fb" ]
}

@test "exec --process runs a whole process document" {
  new_bundle sleep 100
  runtime run -d "$CID"
  cat > "$BATS_TEST_TMPDIR/p.json" <<'P'
{"args": ["sh", "-c", "echo $X; id -u"], "env": ["X=from-process", "PATH=/bin"], "cwd": "/", "user": {"uid": 65534, "gid": 65534}}
P
  run runtime exec --process "$BATS_TEST_TMPDIR/p.json" "$CID"
  [ "$status" -eq 0 ]
  [ "${lines[*]}" = "from-process 65534" ]
}

@test "exec --preserve-fds passes extra descriptors, and only those" {
  new_bundle sleep 100
  runtime run -d "$CID"
  echo through-fd-3 > "$BATS_TEST_TMPDIR/in"
  run runtime exec --preserve-fds 1 "$CID" sh -c 'cat <&3; ls /proc/self/fd' 3<"$BATS_TEST_TMPDIR/in" 4</dev/null
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = through-fd-3 ]
  # 0-2, the preserved 3, and 4 for ls's own listing: the 4 given here is not passed
  [ "${lines[*]:1}" = "0 1 2 3 4" ]
}

@test "exec --detach returns at once and writes the pid file" {
  new_bundle sleep 100
  runtime run -d "$CID"
  runtime exec --detach --pid-file "$BATS_TEST_TMPDIR/p" "$CID" sleep 50
  p=$(cat "$BATS_TEST_TMPDIR/p")
  [ "$(cat /proc/$p/comm)" = sleep ]
  runtime ps --format json "$CID" | jq -e --argjson p "$p" 'index($p) != null'
}

@test "exec into a stopped container, or of a missing program, is a one-line error" {
  new_bundle sleep 100
  runtime run -d "$CID"
  run runtime exec "$CID" /no/such/program
  [ "$status" -ne 0 ]
  assert_one_line
  [[ "$output" == *"/no/such/program"*"No such file or directory" ]]
  runtime kill "$CID" KILL
  wait_status "$CID" stopped
  run runtime exec "$CID" true
  [ "$status" -ne 0 ]
  [[ "$output" == *"it is stopped" ]]
}

@test "events --stats prints the container's statistics as JSON" {
  new_bundle sleep 100
  update_config '.linux.resources.pids = {"limit": 50}'
  runtime run -d "$CID"
  run runtime events --stats "$CID"
  [ "$status" -eq 0 ]
  echo "$output" | jq -e --arg id "$CID" '.type == "stats" and .id == $id and .data.pids.current == 1 and .data.pids.limit == 50 and .data.memory.usage.usage > 0'
}

@test "delete takes several containers" {
  new_bundle sleep 100
  runtime create "$CID"
  update_config ".linux.cgroupsPath = \"/$CGROUP_PARENT/${CID}x\""
  runtime create "${CID}x"
  runtime delete "$CID" "${CID}x"
  assert_no_trace "$CID"
  assert_no_trace "${CID}x"
}
