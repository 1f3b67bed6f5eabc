#!/usr/bin/env bats
# skiff's container commands against the real kernel, daemonless: run,
# create, start, ps, logs, stop, kill, wait, rm, inspect; one skiff-shim per
# container that outlives the command; docker's output and exit codes; and
# an image in use that rmi refuses. Each test has its own data root, exec
# root and cgroup parent (daemon.json), and leaves nothing behind.

bats_require_minimum_version 1.5.0
load helpers
load engine

@test "run: the command's output, its exit code; the container then listed as exited, its log kept" {
  run sk run --name hello busybox echo hello world
  [ "$status" -eq 0 ]
  [ "$output" = "hello world" ]
  run sk ps -a --format '{{.Names}} {{.Status}} {{.Command}} {{.Image}}'
  [[ "$output" =~ ^hello\ Exited\ \(0\)\ .*\ ago\ \"echo\ hello\ world\"\ busybox$ ]]
  run sk logs hello
  [ "$output" = "hello world" ]
  run sk inspect --format '{{.State.Status}} {{.State.ExitCode}} {{.Name}} {{json .Config.Cmd}} {{.Path}}' hello
  [ "$output" = 'exited 0 /hello ["echo","hello","world"] echo' ]
  # the record's json-file log is docker's format
  id=$(sk inspect --format '{{.Id}}' hello)
  [[ "$id" =~ ^[0-9a-f]{64}$ ]]
  jq -e '.log == "hello world\n" and .stream == "stdout" and (.time | test("^[0-9-]{10}T[0-9:.]+Z$"))' \
    "$DR/containers/$id/$id-json.log"
  run sk run busybox sh -c 'echo out; echo err >&2; exit 3'
  [ "$status" -eq 3 ]
  [[ "$output" == *out* ]] && [[ "$output" == *err* ]]
  [ -z "$(sk run busybox sh -c 'echo err >&2' 2> /dev/null)" ]
  [ "$(sk run busybox sh -c 'echo err >&2' 2>&1 > /dev/null)" = err ]
}

@test "logs --since and --until keep what came between; --log-driver none keeps no log" {
  id=$(sk run -d busybox sh -c 'echo before; sleep 1.5; echo after')
  until_true "sk logs $id | grep -q before"
  mid=$(date +%s.%N)
  [ "$(sk wait "$id")" = 0 ]
  [ "$(sk logs --since "$mid" "$id")" = after ]
  [ "$(sk logs --until "$mid" "$id")" = before ]
  [ "$(sk logs --since 1m -n 1 "$id")" = after ]
  run sk logs --since yesterday "$id"
  [ "$status" -eq 1 ]
  [ "$output" = 'skiff: invalid value for "since": failed to parse value as time or duration: "yesterday"' ]
  id=$(sk run -d --log-driver none busybox echo unseen)
  [ "$(sk wait "$id")" = 0 ]
  run sk logs "$id"
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: configured logging driver does not support reading" ]
  [ ! -e "$DR/containers/$id/$id-json.log" ]
}

@test "exit codes: 127 for a command not found, 126 for one not executable, 125 for skiff's own errors" {
  run -127 sk run busybox /nosuch
  [ "$status" -eq 127 ]
  assert_one_line
  [[ "$output" == *"/nosuch"* ]]
  run sk run busybox /etc/passwd
  [ "$status" -eq 126 ]
  assert_one_line
  run sk run --frobnicate busybox true
  [ "$status" -eq 125 ]
  run sk run nosuch/image:1 true
  [ "$status" -eq 125 ]
  [[ "$output" == *"Unable to find image 'nosuch/image:1' locally"* ]]
  # the containers that could not start stay, created, as docker leaves them
  [ "$(sk ps -a --format '{{.Status}}' | grep -c Created)" -eq 2 ]
}

@test "run -d: the id at once, the container up, outliving the command; stop, wait, logs" {
  run sk run -d --name sleeper busybox sh -c 'echo started; trap "echo bye; exit 7" TERM; while :; do sleep 0.1; done'
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^[0-9a-f]{64}$ ]]
  id=$output
  run sk ps --format '{{.ID}} {{.Names}} {{.Status}}'
  [[ "$output" =~ ^${id:0:12}\ sleeper\ Up\  ]]
  # the shim is not the CLI's child: the container runs on after it
  shim=$(cat "$XR/containers/$id/shim.pid")
  [ "$(awk '{print $4}' "/proc/$shim/stat")" != "$$" ]
  [ "$(sk inspect --format '{{.State.Running}}' sleeper)" = true ]
  pid=$(sk inspect --format '{{.State.Pid}}' sleeper)
  [ -d "/proc/$pid" ]
  until_true "sk logs sleeper | grep -q started"
  run sk stop sleeper
  [ "$status" -eq 0 ]
  [ "$output" = sleeper ]
  run sk wait sleeper
  [ "$output" = 7 ]
  run sk logs sleeper
  [ "${lines[0]}" = started ] && [ "${lines[1]}" = bye ]
  [ ! -d "/proc/$pid" ]
  # no mount of its rootfs while it is stopped
  [ -z "$(grep "$id" /proc/self/mountinfo)" ]
  # started again: the same container, running
  run sk start sleeper
  [ "$output" = sleeper ]
  [ "$(sk inspect --format '{{.State.Status}}' sleeper)" = running ]
  sk rm -f sleeper
  assert_gone "$id"
}

@test "kill, stop -t, rm: docker's messages and exit codes" {
  id=$(sk run -d busybox sleep 1000)
  run sk rm "$id"
  [ "$status" -eq 1 ]
  name=$(sk inspect --format '{{.Name}}' "$id")
  [ "$output" = "Error response from daemon: cannot remove container \"$name\": container is running: stop the container before removing or force remove" ]
  # sleep as PID 1 ignores SIGTERM: stop -t 1 ends with SIGKILL
  run sk stop -t 1 "${id:0:8}"
  [ "$status" -eq 0 ]
  [ "$(sk inspect --format '{{.State.ExitCode}}' "$id")" = 137 ]
  run sk kill "$id"
  [ "$status" -eq 1 ]
  [[ "$output" == *"is not running"* ]]
  run sk rm "$id"
  [ "$output" = "$id" ]
  assert_gone "$id"
  run sk rm nosuch
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: No such container: nosuch" ]
  # a signal the process handles (an init ignores those it does not)
  id=$(sk run -d busybox sh -c 'trap "exit 9" USR1; while :; do sleep 0.1; done')
  run sk kill -s USR1 "$id"
  [ "$status" -eq 0 ]
  [ "$output" = "$id" ]
  run sk wait "$id"
  [ "$output" = 9 ]
  sk rm "$id"
}

@test "names: given or made up, unique; a name in use is docker's conflict, and nothing is made" {
  sk create --name web busybox true > /dev/null
  run sk create --name web busybox true
  [ "$status" -eq 125 ]
  id=$(sk inspect --format '{{.Id}}' web)
  [ "$output" = "skiff: Conflict. The container name \"/web\" is already in use by container \"$id\". You have to remove (or rename) that container to be able to reuse that name." ]
  [ "$(sk ps -aq | wc -l)" -eq 1 ]
  [ "$(ls "$DR/containers" | wc -l)" -eq 1 ]
  run sk create --name 'bad name!' busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"Invalid container name (bad name!)"* ]]
  made=$(sk create busybox true)
  [[ "$(sk inspect --format '{{.Name}}' "$made")" =~ ^/[a-z]+_[a-z]+[0-9]*$ ]]
}

@test "rmi: an image a container uses is refused; -f only untags it; prune keeps it; after rm it goes" {
  sk run --name user busybox true
  img=$(sk image inspect --format '{{.Id}}' busybox)
  run sk rmi busybox
  [ "$status" -eq 1 ]
  [[ "$output" == "Error: conflict: unable to remove repository reference \"busybox\" (must force) - container "*" is using its referenced image ${img:7:12}" ]]
  run sk rmi "${img:7:12}"
  [ "$status" -eq 1 ]
  [[ "$output" == *"(must be forced) - image is being used by stopped container"* ]]
  run sk image prune -af
  [ "$status" -eq 0 ]
  [ "$(sk image inspect --format '{{.Id}}' "$img")" = "$img" ]
  run sk rmi -f busybox
  [ "$status" -eq 0 ]
  [ "$output" = "Untagged: busybox:latest" ]
  # the image stays, untagged, for its container, which still runs
  [ "$(sk images -q --no-trunc)" = "$img" ]
  run sk start -a user
  [ "$status" -eq 0 ]
  id=$(sk run -d "$img" sleep 1000)
  run sk rmi -f "$img"
  [ "$status" -eq 1 ]
  [[ "$output" == *"(cannot be forced) - image is being used by running container ${id:0:12}"* ]]
  sk rm -f "$id" user > /dev/null
  run sk rmi "$img"
  [ "$status" -eq 0 ]
  [ -z "$(sk images -q)" ]
}

@test "run --rm: the container goes when it ends" {
  run sk run --rm busybox sh -c 'echo bye; exit 4'
  [ "$status" -eq 4 ]
  [ "$output" = bye ]
  [ -z "$(sk ps -aq)" ]
  [ -z "$(ls "$DR/containers")" ]
}

@test "run -d --rm, start of a --rm container, stop of one: removed by its shim once it stops, anonymous volumes too" {
  id=$(sk run -d --rm -v /anon -v keep:/k busybox sh -c 'sleep 0.3')
  until_true "[ -z \"\$(sk ps -aq)\" ]"
  assert_gone "$id"
  [ "$(sk volume ls -q)" = keep ] # the anonymous one went, the named one stayed
  # wait: its exit code, though the container goes as it ends
  id=$(sk run -d --rm busybox sh -c 'sleep 0.5; exit 7')
  [ "$(sk wait "$id")" = 7 ]
  until_true "[ -z \"\$(sk ps -aq)\" ]"
  id=$(sk create --rm busybox true)
  sk start "$id" > /dev/null
  until_true "[ -z \"\$(sk ps -aq)\" ]"
  assert_gone "$id"
  id=$(sk run -d --rm busybox sleep 100)
  sk stop -t 1 "$id" > /dev/null
  until_true "[ -z \"\$(sk ps -aq)\" ]"
  assert_gone "$id"
  # start -a: the client that waited removes it, after its exit code
  id=$(sk create --rm busybox sh -c 'exit 5')
  run sk start -a "$id"
  [ "$status" -eq 5 ]
  [ -z "$(sk ps -aq)" ]
  # rm -f of --rm containers while their shims remove them too: each
  # removed once, no error, one destroy event each
  t0=$(date +%s.%N)
  ids=()
  for i in $(seq 8); do ids+=("$(sk run -d --rm busybox sleep 100)"); done
  run sk rm -f "${ids[@]}"
  [ "$status" -eq 0 ]
  until_true "[ -z \"\$(sk ps -aq)\" ]"
  for id in "${ids[@]}"; do assert_gone "$id"; done
  [ "$(sk events --since "$t0" --until "$(date +%s.%N)" --filter event=destroy --format '{{.ID}}' | sort | uniq -d)" = "" ]
  [ "$(sk events --since "$t0" --until "$(date +%s.%N)" --filter event=destroy --format '{{.ID}}' | wc -l)" -eq 8 ]
}

@test "--init: tini as PID 1 runs the command, passes its exit code and signals on" {
  run sk run --rm --init busybox sh -c 'cat /proc/1/comm; echo $$; exit 3'
  [ "$status" -eq 3 ]
  [ "${lines[0]}" = docker-init ]
  [ "${lines[1]}" != 1 ]
  # the init binary is the host's, read-only in the container
  run sk run --rm --init busybox sh -c 'echo x > /sbin/docker-init'
  [ "$status" -ne 0 ]
  # stop's SIGTERM reaches the command through the init
  sk run -d --init --name ini busybox sh -c 'trap "exit 5" TERM; while :; do sleep 0.1; done' > /dev/null
  sk stop -t 5 ini > /dev/null
  [ "$(sk inspect --format '{{.State.ExitCode}}' ini)" = 5 ]
}

@test "the command killed during an attached run: the container runs on, and its exit is recorded" {
  sk run --name bg busybox sh -c 'sleep 1; echo done; exit 5' > "$BATS_TEST_TMPDIR/out" &
  cli=$!
  until_true "[ \"\$(sk inspect --format '{{.State.Status}}' bg 2>/dev/null)\" = running ]"
  kill -9 "$cli"
  wait "$cli" || true
  run sk wait bg
  [ "$output" = 5 ]
  [ "$(sk logs bg)" = done ]
}

@test "a shim killed: the container is reported exited with an error, and rm -f still cleans it up" {
  id=$(sk run -d busybox sleep 1000)
  pid=$(sk inspect --format '{{.State.Pid}}' "$id")
  kill -9 "$(cat "$XR/containers/$id/shim.pid")"
  until_true "[ \"\$(sk inspect --format '{{.State.Status}}' $id)\" = exited ]"
  run sk inspect --format '{{.State.ExitCode}} {{.State.Error}}' "$id"
  [[ "$output" == "255 skiff-shim "*", the container's monitor, died" ]]
  run sk rm -f "$id"
  [ "$status" -eq 0 ]
  until_true "[ ! -d /proc/$pid ]"
  assert_gone "$id"
}

@test "fifty run -d at once from separate processes: all start, each with its own name and id" {
  sk image inspect busybox > /dev/null
  for i in $(seq 50); do
    sk run -d busybox sleep 1000 > "$BATS_TEST_TMPDIR/id.$i" 2> "$BATS_TEST_TMPDIR/err.$i" &
  done
  wait
  cat "$BATS_TEST_TMPDIR"/err.* >&2
  [ "$(cat "$BATS_TEST_TMPDIR"/id.* | grep -cE '^[0-9a-f]{64}$')" -eq 50 ]
  [ "$(sk ps -q | wc -l)" -eq 50 ]
  [ "$(sk ps --format '{{.Names}}' | sort -u | wc -l)" -eq 50 ]
  sk rm -f $(cat "$BATS_TEST_TMPDIR"/id.*) > /dev/null
  [ -z "$(sk ps -aq)" ]
}

@test "ps: docker's quoted command, cut at 20 characters unless --no-trunc" {
  sk create --name long busybox sh -c 'echo "ünïcödé and more words"' > /dev/null
  [ "$(sk ps -a --format '{{.Command}}')" = '"sh -c echo \"ünïcödé…"' ]
  [ "$(sk ps -a --no-trunc --format '{{.Command}}')" = '"sh -c echo \"ünïcödé and more words\""' ]
  [ "$(sk ps -a --format '{{.Image}}')" = busybox ]
}

@test "the database's write-ahead log stays small over many commands" {
  for i in $(seq 100); do sk create busybox true > /dev/null; done
  [ "$(sk ps -aq | wc -l)" -eq 100 ]
  # folded into the database every 128 pages: never much more than 512 kB
  [ "$(stat -c %s "$DR/skiff.db-wal")" -lt $((1024 * 1024)) ]
}
