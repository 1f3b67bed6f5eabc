#!/usr/bin/env bats
# skiff events: the event log the engine and the shims append to, read as
# docker's `events` reads it: create, start, die with its exit code, kill
# with its signal, stop, destroy, oom; --since and --until, --filter,
# --format, following the log as it grows; lines of concurrent writers
# never mixed; the die of a container whose shim was killed. Each test has
# its own data root, exec root and cgroup parent, and leaves nothing behind.

load helpers
load engine

now() { date +%s.%N; }

# the events between two times, one "ACTION NAME [ATTRIBUTE]" a line
actions() { # SINCE UNTIL [ATTRIBUTE] [more flags]
  local since=$1 until=$2 attr=${3:-}
  shift 3 2> /dev/null || shift $#
  local fmt='{{.Action}} {{.Actor.Attributes.name}}'
  [ -n "$attr" ] && fmt="$fmt {{.Actor.Attributes.$attr}}"
  sk events --since "$since" --until "$until" --format "$fmt" "$@"
}

@test "events: a run's create, start and die with its exit code, in order, within --since and --until" {
  t0=$(now)
  run sk run --name one busybox sh -c 'exit 3'
  [ "$status" -eq 3 ]
  t1=$(now)
  sk run --name two busybox true
  t2=$(now)
  run actions "$t0" "$t1" exitCode
  [ "$status" -eq 0 ]
  [ "$output" = "create one <no value>
start one <no value>
die one 3" ]
  # the other bound: only the second container's
  run actions "$t1" "$t2" exitCode
  [ "$output" = "create two <no value>
start two <no value>
die two 0" ]
  # durations are that long ago; an --until in the past ends at once
  run actions 1m 0s
  [ "${#lines[@]}" -eq 6 ]
  # RFC 3339 bounds (UTC, a local date): a window of the past leaves nothing
  run sk events --since 2000-01-01T00:00:00Z --until 2000-01-02
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  # docker's line: local time with nanoseconds, type, action, id, sorted attributes
  id=$(sk inspect --format '{{.Id}}' one)
  run env TZ=UTC "$SKIFF" events --since "$t0" --until "$t1" --filter event=die
  [[ "$output" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z\ container\ die\ $id\ \(exitCode=3,\ image=busybox,\ name=one\)$ ]]
  run env TZ=Asia/Kolkata "$SKIFF" events --since "$t0" --until "$t1" --filter event=create
  [[ "$output" =~ ^[0-9-]{10}T[0-9:]{8}\.[0-9]{9}\+05:30\ container\ create\ $id\ \(image=busybox,\ name=one\)$ ]]
}

@test "events: kill -s with its signal, stop (kill, die, stop), rm (destroy)" {
  sk run -d --name kk busybox sleep 1000
  t0=$(now)
  sk kill -s USR1 kk
  sk kill kk
  sk wait kk
  sk run -d --name ss busybox sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
  sleep 0.5
  sk stop -t 5 ss
  sk rm kk ss
  t1=$(now)
  run actions "$t0" "$t1" signal
  [ "$output" = "kill kk 10
kill kk 9
die kk <no value>
create ss <no value>
start ss <no value>
kill ss 15
die ss <no value>
stop ss <no value>
destroy kk <no value>
destroy ss <no value>" ]
  run actions "$t0" "$t1" exitCode --filter event=die
  [ "$output" = "die kk 137
die ss 0" ]
}

@test "events: --filter by event, container (name or id prefix), image and type; several values of one key" {
  t0=$(now)
  sk run --name alpha busybox true
  sk run --name beta busybox sh -c 'exit 1' || true
  t1=$(now)
  run actions "$t0" "$t1" "" --filter event=die
  [ "$output" = "die alpha
die beta" ]
  run actions "$t0" "$t1" "" --filter container=beta
  [ "$output" = "create beta
start beta
die beta" ]
  id=$(sk inspect --format '{{.Id}}' alpha)
  run actions "$t0" "$t1" "" --filter "container=${id:0:12}" --filter event=start
  [ "$output" = "start alpha" ]
  run actions "$t0" "$t1" "" --filter container=alpha --filter container=beta --filter event=create
  [ "$output" = "create alpha
create beta" ]
  run actions "$t0" "$t1" "" --filter image=busybox --filter type=container --filter event=die
  [ "${#lines[@]}" -eq 2 ]
  run actions "$t0" "$t1" "" --filter image=busybox:latest
  [ -z "$output" ] # the image as it was named: busybox
  run actions "$t0" "$t1" "" --filter type=image
  [ -z "$output" ]
  # docker's messages for bad filters and times; exit 1
  run sk events --filter nonsense
  [ "$status" -eq 1 ]
  [ "$output" = "skiff: bad format of filter (expected name=value)" ]
  run sk events --filter colour=red
  [ "$status" -eq 1 ]
  [ "$output" = "skiff: invalid filter 'colour'" ]
  run sk events --since yesterday
  [ "$status" -eq 1 ]
  [ "$output" = 'skiff: invalid value for "since": failed to parse value as time or duration: "yesterday"' ]
  run sk events --since 20 --until 10
  [ "$status" -eq 1 ]
  [[ "$output" == *'`since` time (20.000000000) cannot be after `until` time (10.000000000)' ]]
}

@test "events: --format with docker's fields, {{json .}} the event as docker sends it" {
  t0=$(now)
  sk run --name fmt busybox true
  t1=$(now)
  id=$(sk inspect --format '{{.Id}}' fmt)
  run sk events --since "$t0" --until "$t1" --filter event=start --format '{{.Status}} {{.ID}} {{.From}} {{.Type}} {{.Scope}} {{.Actor.ID}}'
  [ "$output" = "start $id busybox container local $id" ]
  run sk events --since "$t0" --until "$t1" --filter event=die --format '{{json .}}'
  [ "${#lines[@]}" -eq 1 ]
  echo "$output" | jq -e --arg id "$id" '.status == "die" and .id == $id and .from == "busybox" and
    .Type == "container" and .Action == "die" and .Actor.ID == $id and
    .Actor.Attributes == {"exitCode": "0", "image": "busybox", "name": "fmt"} and
    .scope == "local" and (.time | type) == "number" and .timeNano / 1e9 - .time < 1'
  # the keys in docker's order
  [ "$(echo "$output" | jq -c 'keys_unsorted')" = '["status","id","from","Type","Action","Actor","scope","time","timeNano"]' ]
  run sk events --since "$t0" --until "$t1" --filter event=die --format json
  echo "$output" | jq -e '.Action == "die"'
  run sk events --since "$t0" --until "$t1" --format '{{.Nope}}'
  [ "$status" -eq 1 ]
}

@test "events: followed as they come, until --until or until interrupted; without bounds only new ones" {
  sk run --name before busybox true
  local fmt='{{.Action}} {{.Actor.Attributes.name}}'
  since=$(now)
  until=$(($(date +%s) + 4))
  # not through sk: $! is then skiff itself
  "$SKIFF" events --since "$since" --until "$until" --format "$fmt" > "$BATS_TEST_TMPDIR/bounded" &
  BG_PIDS+=($!)
  "$SKIFF" events --format "$fmt" > "$BATS_TEST_TMPDIR/endless" &
  BG_PIDS+=($!)
  sleep 1
  sk run --name during busybox true
  expected="create during
start during
die during"
  wait "${BG_PIDS[0]}"
  # it ended by itself once --until passed (within a second of it)
  [ "$(date +%s)" -le $((until + 1)) ]
  [ "$(cat "$BATS_TEST_TMPDIR/bounded")" = "$expected" ]
  # the other goes on until interrupted, having shown only what came after it started
  for i in $(seq 50); do [ "$(wc -l < "$BATS_TEST_TMPDIR/endless")" -ge 3 ] && break; sleep 0.1; done
  kill -0 "${BG_PIDS[1]}"
  kill -INT "${BG_PIDS[1]}"
  [ "$(cat "$BATS_TEST_TMPDIR/endless")" = "$expected" ]
  # --until alone: everything logged before it, as docker
  run sk events --until "$since" --format "$fmt"
  [ "$output" = "create before
start before
die before" ]
}

@test "events: ten containers run at once; every line of the log one valid event" {
  t0=$(now)
  local pids=() i
  for i in $(seq 10); do
    sk run --name "c${i}x" busybox sh -c 'echo hi' > /dev/null &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i"; done
  t1=$(now)
  # every line is one JSON object of an event
  run jq -e -c 'select(.Type != "container" or (.Actor.ID | length) != 64 or .timeNano == null)' "$DR/events.log"
  [ -z "$output" ]
  [ "$(wc -l < "$DR/events.log")" -eq 30 ]
  [ "$(jq -s 'length' "$DR/events.log")" -eq 30 ]
  for a in create start die; do
    run actions "$t0" "$t1" "" --filter "event=$a"
    [ "${#lines[@]}" -eq 10 ]
  done
  # each container's own events in order
  for i in $(seq 10); do
    run actions "$t0" "$t1" exitCode --filter "container=c${i}x"
    [ "$output" = "create c${i}x <no value>
start c${i}x <no value>
die c${i}x 0" ]
  done
}

@test "events: a shim killed without a word: a die with exit code 255 once a command reads the container" {
  id=$(sk run -d --name orphan busybox sleep 1000)
  t0=$(now)
  shim=$(cat "$XR/containers/$id/shim.pid")
  kill -9 "$shim"
  until_gone() { ! kill -0 "$shim" 2> /dev/null; }
  for i in $(seq 50); do until_gone && break; sleep 0.1; done
  # nothing yet: no command has read it
  run actions "$t0" "$(now)" exitCode
  [ -z "$output" ]
  # commands reading it at once: one of them tells of it
  local pids=() p
  for i in $(seq 4); do
    sk inspect orphan > /dev/null &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  run sk ps -a --format '{{.Names}} {{.Status}}'
  [[ "$output" == "orphan Exited (255)"* ]]
  run actions "$t0" "$(now)" exitCode
  [ "$output" = "die orphan 255" ]
  # recorded once: reading it again adds nothing
  sk inspect orphan > /dev/null
  run actions "$t0" "$(now)" exitCode
  [ "$output" = "die orphan 255" ]
}

@test "events: a container killed by the OOM killer: oom before die" {
  t0=$(now)
  run sk run --name hog -m 8m --memory-swap 8m busybox sh -c 'x=a; while :; do x="$x$x"; done'
  [ "$status" -eq 137 ]
  t1=$(now)
  run actions "$t0" "$t1" exitCode --filter event=oom --filter event=die
  [ "$output" = "oom hog <no value>
die hog 137" ]
}
