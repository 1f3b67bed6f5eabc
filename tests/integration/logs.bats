#!/usr/bin/env bats
# Container logs through skiff: the json-file and local drivers, their
# options as docker takes them, rotation and compression, a fast writer
# whose every line comes back in order, and a disk that fills up.

bats_require_minimum_version 1.5.0
load helpers
load engine

teardown_tmpfs() {
  if [ -n "${SMALL:-}" ] && mountpoint -q "$SMALL"; then umount -l "$SMALL"; fi
}

teardown() {
  # the containers first (their data root may be on the small tmpfs)
  local id pid
  for pid in "${BG_PIDS[@]}"; do kill -9 "$pid" 2> /dev/null || true; done
  for id in $("$SKIFF" ps -aq --no-trunc 2> /dev/null); do
    "$SKIFF" rm -f "$id" > /dev/null 2>&1 || true
  done
  for pid in $(shim_pids); do kill -9 "$pid" 2> /dev/null || true; done
  grep " $BATS_TEST_TMPDIR" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m"; done
  teardown_tmpfs
  local d
  for d in /sys/fs/cgroup/*/"$SKIFF_TEST_CGROUP/$BATS_TEST_NUMBER"/* /sys/fs/cgroup/"$SKIFF_TEST_CGROUP/$BATS_TEST_NUMBER"/*; do
    [ -d "$d" ] && rmdir "$d" 2> /dev/null
  done
  for d in /sys/fs/cgroup/*/"$SKIFF_TEST_CGROUP/$BATS_TEST_NUMBER" /sys/fs/cgroup/"$SKIFF_TEST_CGROUP/$BATS_TEST_NUMBER"; do
    [ -d "$d" ] && rmdir "$d" 2> /dev/null
  done
  unset SKIFF_DAEMON_CONFIG
  return 0
}

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
}

@test "local: logs -f follows the output until the container exits" {
  id=$(sk run -d --log-driver local busybox sh -c 'echo a; sleep 1; echo b')
  run timeout 20 "$SKIFF" logs -f "$id"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'a\nb')" ]
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

fast_writer() { # DRIVER OPTS...: every line back from logs and from logs -f, in order
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
