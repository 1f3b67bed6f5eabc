#!/usr/bin/env bats
# Container logs through skiff: the json-file and local drivers, their
# options as docker takes them, rotation and compression, a fast writer
# whose every line comes back in order, and a disk that fills up.

bats_require_minimum_version 1.5.0
load helpers
load engine

# engine.bash's teardown also unmounts the small tmpfs of the full-disk tests
# (it is under the test's directory), after the containers on it are gone.

# a numbered line per record: 1..N, each once, in order
assert_numbered() { # FILE N
  local n
  n=$(wc -l < "$1")
  [ "$n" -eq "$2" ] || { echo "$n lines, not $2"; return 1; }
  seq 1 "$2" | sed 's/^/line /' | cmp - "$1"
}

@test "local: a compact log, read back by logs with its flags; inspect shows the driver" {
  id=$(sk run -d --log-driver local busybox sh -c 'echo one; echo two >&2; sleep 1.2; printf three')
  [ "$(sk wait "$id")" = 0 ]
  f="$DR/containers/$id/$id-local.log"
  [ -s "$f" ]
  # not JSON: the records are binary, the text is in them as written
  ! grep -q '"log"' "$f"
  grep -q two "$f"
  [ "$(sk logs "$id" 2> /dev/null)" = "$(printf 'one\nthree')" ]
  [ "$(sk logs "$id" 2>&1 > /dev/null)" = two ]
  [ "$(sk logs --tail 1 "$id")" = three ]
  [ "$(sk logs -n 2 "$id" 2>&1 | sort | head -1)" = three ]
  run sk logs -t "$id"
  [[ "${lines[0]}" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z\ one$ ]]
  # --since and --until split at the pause
  t1=$(sk logs -t "$id" 2> /dev/null | head -1 | cut -d' ' -f1)
  [ "$(sk logs --until "$t1" "$id" 2> /dev/null)" = one ]
  [ "$(sk logs --since 1m "$id" 2> /dev/null | head -1)" = one ]
  run sk inspect --format '{{.HostConfig.LogConfig.Type}}' "$id"
  [ "$output" = local ]
  run sk inspect --format '{{json .HostConfig.LogConfig}}' "$id"
  [ "$(echo "$output" | jq -r .Type)" = local ]
  [ "$(sk inspect --format '{{.LogPath}}' "$id")" = "$f" ]
}

@test "local: an attached run prints the output as it comes; logs -f follows it until the container exits" {
  run sk run --rm --log-driver local busybox sh -c 'echo hi; sleep 0.5; echo there; exit 4'
  [ "$status" -eq 4 ]
  [ "$output" = "$(printf 'hi\nthere')" ]
  id=$(sk run -d --log-driver local busybox sh -c 'echo a; sleep 1; echo b')
  run timeout 20 "$SKIFF" logs -f "$id"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'a\nb')" ]
}

@test "start -a prints what this run writes, not what earlier runs left in the log" {
  sk run --name twice busybox echo hi > /dev/null
  run sk start -a twice
  [ "$status" -eq 0 ]
  [ "$output" = hi ]
  [ "$(sk logs twice)" = "$(printf 'hi\nhi')" ]
}

@test "rotation waits while a reader opens the log's files, up to twice the maximum size" {
  id=$(sk create --log-opt max-size=10k --log-opt max-file=20 busybox \
    sh -c 'seq 1 1000 | sed "s/^/line /"; sleep 1000')
  f="$DR/containers/$id/$id-json.log"
  # a reader holding the directory's lock as logs does while it opens
  # them: a process of its own, which holds it until it is killed
  dir=$(dirname "$f")
  (
    exec {fd}< "$dir"
    flock -s "$fd"
    exec sleep 1000
  ) > /dev/null 2>&1 3>&- &
  lock=$!
  BG_PIDS+=("$lock")
  until_true "! flock -n -x '$dir' true"
  sk start "$id"
  until_true "[ \"\$(sk logs $id | wc -l)\" -eq 1000 ]"
  # each file grew to twice the size before it was rotated all the same
  size=$(stat -c %s "$f.1")
  [ "$size" -gt 10240 ] && [ "$size" -le 20480 ]
  kill "$lock"
  wait "$lock" || true
  sk logs "$id" > "$BATS_TEST_TMPDIR/out"
  assert_numbered "$BATS_TEST_TMPDIR/out" 1000
  # unlocked, the files are rotated at the maximum size again
  sk exec "$id" sh -c 'seq 1001 2000 | sed "s/^/line /" > /proc/1/fd/1'
  until_true "[ \"\$(sk logs $id | wc -l)\" -eq 2000 ]"
  size=$(stat -c %s "$f.1")
  [ "$size" -le 10240 ]
  sk logs "$id" > "$BATS_TEST_TMPDIR/out"
  assert_numbered "$BATS_TEST_TMPDIR/out" 2000
}

# logs -f --tail N: the last N lines, then only what comes after them,
# however often the log rotates meanwhile
tail_then_follow() { # DRIVER OPTS...
  id=$(sk run -d "$@" --log-opt max-size=10k --log-opt max-file=50 busybox \
    sh -c 'seq 1 1000 | sed "s/^/line /"; sleep 2; seq 1001 3000 | sed "s/^/line /"')
  until_true "[ \"\$(sk logs $id | wc -l)\" -eq 1000 ]"
  "$SKIFF" logs -f --tail 0 "$id" > "$BATS_TEST_TMPDIR/none" &
  BG_PIDS+=($!)
  "$SKIFF" logs -f --tail 5 "$id" > "$BATS_TEST_TMPDIR/five" &
  BG_PIDS+=($!)
  [ "$(sk wait "$id")" = 0 ]
  wait "${BG_PIDS[-2]}" "${BG_PIDS[-1]}"
  [ "$(cat "$BATS_TEST_TMPDIR/none")" = "$(seq 1001 3000 | sed 's/^/line /')" ]
  [ "$(cat "$BATS_TEST_TMPDIR/five")" = "$(seq 996 3000 | sed 's/^/line /')" ]
}

@test "logs -f --tail: the last lines, then what follows them across rotations (json-file and local)" {
  tail_then_follow --log-driver json-file
  tail_then_follow --log-driver local --log-opt compress=false
  tail_then_follow --log-driver local
}

@test "log-opt: the keys each driver takes, docker's message for the others" {
  run sk create --log-driver local --log-opt tag=x busybox true
  [ "$status" -eq 125 ]
  assert_one_line
  [[ "$output" == *"unknown log opt 'tag' for local log driver"* ]]
  run sk create --log-opt nosuch=1 busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"unknown log opt 'nosuch' for json-file log driver"* ]]
  run sk create --log-driver local --log-opt compress=maybe busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"compress"* ]]
  run sk create --log-driver none --log-opt max-size=1m busybox true
  [ "$status" -eq 125 ]
  [ -z "$(sk ps -aq)" ]
  id=$(sk create busybox true)
  [ "$(sk inspect --format '{{json .HostConfig.LogConfig}}' "$id")" = '{"Type":"json-file","Config":{}}' ]
  id=$(sk create --log-opt max-size=1m --log-opt max-file=2 --log-opt compress=true --log-opt tag=x busybox true)
  [ "$(sk inspect --format '{{json .HostConfig.LogConfig.Config}}' "$id" | jq -c -S .)" = '{"compress":"true","max-file":"2","max-size":"1m","tag":"x"}' ]
  id=$(sk create --log-driver local --log-opt max-size=1m --log-opt max-file=9 --log-opt compress=false busybox true)
  [ "$(sk inspect --format '{{.HostConfig.LogConfig.Type}}' "$id")" = local ]
}

@test "local: rotated files are gzipped (compress=false keeps them plain), and all are read" {
  id=$(sk run -d --log-driver local --log-opt max-size=20k --log-opt max-file=50 busybox \
    sh -c 'seq 1 5000 | sed "s/^/line /"')
  [ "$(sk wait "$id")" = 0 ]
  f="$DR/containers/$id/$id-local.log"
  [ -f "$f.1.gz" ] && [ -f "$f.2.gz" ] && [ ! -e "$f.1" ]
  gzip -t "$f.1.gz"
  sk logs "$id" > "$BATS_TEST_TMPDIR/out"
  assert_numbered "$BATS_TEST_TMPDIR/out" 5000
  [ "$(sk logs --tail 3 "$id")" = "$(printf 'line 4998\nline 4999\nline 5000')" ]
  # --tail found from the end of the current file, or counted through the
  # rotated ones when it reaches into them
  [ "$(sk logs --tail 1000 "$id")" = "$(seq 4001 5000 | sed 's/^/line /')" ]
  [ -z "$(sk logs --tail 0 "$id")" ]
  [ "$(sk logs --tail 99999 "$id" | wc -l)" -eq 5000 ]
  id=$(sk run -d --log-driver local --log-opt max-size=20k --log-opt max-file=50 --log-opt compress=false busybox \
    sh -c 'seq 1 5000 | sed "s/^/line /"')
  [ "$(sk wait "$id")" = 0 ]
  f="$DR/containers/$id/$id-local.log"
  [ -f "$f.1" ] && [ ! -e "$f.1.gz" ]
  sk logs "$id" > "$BATS_TEST_TMPDIR/out"
  assert_numbered "$BATS_TEST_TMPDIR/out" 5000
  # json-file with compress: the same, in docker's format
  id=$(sk run -d --log-opt max-size=20k --log-opt max-file=50 --log-opt compress=true busybox \
    sh -c 'seq 1 5000 | sed "s/^/line /"')
  [ "$(sk wait "$id")" = 0 ]
  f="$DR/containers/$id/$id-json.log"
  [ -f "$f.1.gz" ]
  zcat "$f.1.gz" | head -1 | jq -e '.stream == "stdout"'
  sk logs "$id" > "$BATS_TEST_TMPDIR/out"
  assert_numbered "$BATS_TEST_TMPDIR/out" 5000
}

# 10,000 numbered lines a second for 10 s (a burst of 10,000 each second)
FAST='i=0; while [ $i -lt 10 ]; do seq $((i * 10000 + 1)) $((i * 10000 + 10000)) | sed "s/^/line /"; sleep 1; i=$((i + 1)); done'

# Every line back from logs and from logs -f, in order. The follower may
# fall several rotations behind (a loaded machine): it reads the log again
# from where it was, every file of one moment (rotation waits while a
# reader opens them).
fast_writer() { # DRIVER OPTS...
  id=$(sk run -d "$@" busybox sh -c "$FAST")
  "$SKIFF" logs -f "$id" > "$BATS_TEST_TMPDIR/followed" &
  BG_PIDS+=($!)
  [ "$(sk wait "$id")" = 0 ]
  sk logs "$id" > "$BATS_TEST_TMPDIR/out"
  assert_numbered "$BATS_TEST_TMPDIR/out" 100000
  # logs -f ends when the container has
  until_true "! kill -0 ${BG_PIDS[-1]} 2> /dev/null"
  assert_numbered "$BATS_TEST_TMPDIR/followed" 100000
}

@test "json-file: 10,000 lines a second for 10 s, rotated, every line back in order" {
  fast_writer --log-opt max-size=1m --log-opt max-file=20
  f="$DR/containers/$id/$id-json.log"
  [ -f "$f.3" ]
}

@test "local: 10,000 lines a second for 10 s, rotated and compressed, every line back in order" {
  fast_writer --log-driver local --log-opt max-size=256k --log-opt max-file=30
  f="$DR/containers/$id/$id-local.log"
  [ -f "$f.3.gz" ]
}

# ---- a full disk ----

# the data root on a tmpfs of its own, the image in it, then filled up to
# leave FREE kilobytes
small_data_root() { # FREE
  SMALL="$BATS_TEST_TMPDIR/small"
  mkdir "$SMALL"
  mount -t tmpfs -o size=96m skiff-test-small "$SMALL"
  DR="$SMALL/data"
  engine_conf
  sk run --rm busybox true
  local avail
  avail=$(df -k --output=avail "$SMALL" | tail -1)
  [ "$avail" -gt "$1" ]
  fallocate -l $(((avail - $1) * 1024)) "$SMALL/fill"
}

@test "full disk: run fails with one line and makes nothing; it works again once there is room" {
  small_data_root 0
  run sk run -d --name full busybox sleep 100
  [ "$status" -eq 125 ]
  assert_one_line
  [[ "$output" == *"No space left on device"* ]]
  [ -z "$(sk ps -aq)" ]
  [ -z "$(ls -A "$DR/containers")" ]
  [ -z "$(ls -A "$XR/containers" 2> /dev/null)" ]
  [ -z "$(grep "$SMALL/" /proc/self/mountinfo)" ]
  [ -z "$(find /sys/fs/cgroup/*/"$SKIFF_TEST_CGROUP/$BATS_TEST_NUMBER" /sys/fs/cgroup/"$SKIFF_TEST_CGROUP/$BATS_TEST_NUMBER" -mindepth 1 -type d 2> /dev/null)" ]
  # a little room, not enough for a container: the same
  rm "$SMALL/fill"
  fallocate -l $((($(df -k --output=avail "$SMALL" | tail -1) - 256) * 1024)) "$SMALL/fill"
  run sk run -d --name full busybox sleep 100
  [ "$status" -eq 125 ]
  assert_one_line
  [ -z "$(sk ps -aq)" ]
  [ -z "$(ls -A "$DR/containers")" ]
  rm "$SMALL/fill"
  [ "$(sk run --name full busybox echo room)" = room ]
}

# a container writing numbered lines for ever (with random numbers in them,
# which gzip cannot shrink much), its log filling the disk
filling_log() { # RUN-OPTS...
  id=$(sk run -d "$@" busybox sh -c 'trap "exit 0" TERM; i=0; while :; do i=$((i + 1)); echo "line $i $RANDOM $RANDOM $RANDOM $RANDOM $RANDOM $RANDOM $RANDOM $RANDOM $RANDOM $RANDOM"; done')
  # the log takes the disk down to the room it leaves to others (1 MiB of
  # this 96 MiB filesystem), and no further
  until_true '[ "$(df -k --output=avail "$SMALL" | tail -1)" -le 1100 ]'
  shim=$(cat "$XR/containers/$id/shim.pid")
  # full: the container and its shim run on, the output read and dropped,
  # and the last of the disk never taken (sampled for a second)
  for i in $(seq 10); do
    [ "$(df -k --output=avail "$SMALL" | tail -1)" -gt 512 ]
    sleep 0.1
  done
  kill -0 "$shim"
  [ "$(sk inspect --format '{{.State.Status}}' "$id")" = running ]
  # what was kept reads back whole and in order
  sk logs "$id" > "$BATS_TEST_TMPDIR/before"
  [ -s "$BATS_TEST_TMPDIR/before" ]
  ! grep -v -E -x 'line [0-9]+( [0-9]+){10}' "$BATS_TEST_TMPDIR/before"
  awk '{print $2}' "$BATS_TEST_TMPDIR/before" | sort -n -c
  last=$(tail -1 "$BATS_TEST_TMPDIR/before" | awk '{print $2}')
  # room again: the log grows again, with lines written meanwhile missing
  rm "$SMALL/fill"
  until_true '[ "$(sk logs "$id" | tail -1 | awk "{print \$2}")" -gt $((last + 1000)) ]'
  sk logs "$id" > "$BATS_TEST_TMPDIR/after"
  ! grep -v -E -x 'line [0-9]+( [0-9]+){10}' "$BATS_TEST_TMPDIR/after"
  awk '{print $2}' "$BATS_TEST_TMPDIR/after" | sort -n -c
  # lines are missing after the last kept while full: the container wrote on
  awk -v last="$last" '$2 == last + 1 {next_kept = 1} END {exit next_kept}' "$BATS_TEST_TMPDIR/after"
  # the store took no harm: every command works
  sk stop -t 5 "$id"
  [ "$(sk inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$id")" = "exited 0" ]
  [ "$(sk run --rm busybox echo fine)" = fine ]
  sk rm "$id"
  [ -z "$(sk ps -aq)" ]
}

@test "full disk: a json-file log stops growing, no record torn, the container runs on" {
  small_data_root 2048
  filling_log --log-opt max-size=512k --log-opt max-file=10
}

@test "full disk: a local log, rotated and compressed, the same" {
  small_data_root 2048
  filling_log --log-driver local --log-opt max-size=256k --log-opt max-file=20
}

@test "local: the shim's memory stays small through rotations and their compression (release build)" {
  id=$(SKIFF_SHIM="$SKIFF_SHIM_RELEASE" sk run -d --log-driver local --log-opt max-size=64k --log-opt max-file=5 \
    busybox sh -c 'seq 1 50000 | sed "s/^/line /"; echo done; sleep 100')
  until_true "sk logs --tail 1 $id | grep -qx done"
  f="$DR/containers/$id/$id-local.log"
  until_true "[ -f $f.4.gz ]"
  shim=$(cat "$XR/containers/$id/shim.pid")
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$shim/status")
  echo "# skiff-shim VmRSS after rotations: $rss kB ($(grep -E '^Rss(Anon|File)' "/proc/$shim/status" | tr -s ' \t' ' ' | tr '\n' ' '))" >&3
  # its own memory (the compressing is a child's); the file-backed pages
  # are the executable's code, shared with every other shim
  [ "$(awk '/^RssAnon:/ {print $2}' "/proc/$shim/status")" -lt 1024 ]
  [ "$rss" -lt 2048 ]
  sk logs "$id" | tail -2 | head -1 | grep -qx 'line 50000'
}
