#!/usr/bin/env bats
# ps --filter (docker's keys), ps -s and inspect -s, rm -v, --cidfile, stop
# and restart -s: docker's output and messages.

load helpers
load engine

@test "ps --filter: id, name, label, status, exited, ancestor, before, since" {
  sk create --name first --label tier=db --label keep busybox true > /dev/null
  sk run -d --name second --label tier=web busybox sleep 1000 > /dev/null
  sk run --name third busybox sh -c 'exit 3' || true
  sk run --name fourth busybox true > /dev/null
  second=$(sk inspect --format '{{.Id}}' second)
  names() { sk ps "$@" --format '{{.Names}}' | sort | tr '\n' ' '; }
  [ "$(names -a --filter id="${second:0:10}")" = "second " ]
  [ "$(names -a --filter name=ir)" = "first third " ]
  [ "$(names -a --filter name=^/f)" = "first fourth " ]
  [ "$(names -a --filter label=tier)" = "first second " ]
  [ "$(names -a --filter label=tier=web)" = "second " ]
  [ "$(names -a --filter label=keep --filter label=tier=web)" = "" ]
  # values of one key are alternatives
  [ "$(names -a --filter name=first --filter name=second)" = "first second " ]
  # a status filter lists stopped containers without -a, as docker
  [ "$(names --filter status=exited)" = "fourth third " ]
  [ "$(names --filter status=created)" = "first " ]
  [ "$(names --filter status=running)" = "second " ]
  [ "$(names -a --filter exited=3)" = "third " ]
  [ "$(names -a --filter exited=0)" = "fourth " ]
  [ "$(names -a --filter ancestor=busybox)" = "first fourth second third " ]
  [ "$(names -a --filter ancestor=alpine)" = "" ]
  [ "$(names -a --filter before=third)" = "first second " ]
  [ "$(names -a --filter since=second)" = "fourth third " ]
  [ "$(sk ps -aq --filter name=second --no-trunc)" = "$second" ]
}

@test "ps --filter: docker's messages for a bad filter" {
  run sk ps --filter foo=bar
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: invalid filter 'foo'" ]
  run sk ps --filter status=sleeping
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: invalid filter 'status=sleeping'" ]
  run sk ps --filter exited=x
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: invalid filter 'exited=x'" ]
  run sk ps --filter network=bridge
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: invalid filter 'network'" ]
  run sk ps --filter before=nosuch
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: No such container: nosuch" ]
  run sk ps --filter nothing
  [ "$status" -eq 125 ]
  [[ "$output" == 'skiff ps: invalid argument "nothing" for "-f, --filter" flag: bad format of filter (expected name=value)'* ]]
}

@test "ps -s and inspect -s: the writable layer's size and the virtual size with the image" {
  sk run --name sz busybox sh -c 'head -c 5000 /dev/zero > /big' > /dev/null
  run sk ps -a -s --format '{{.Names}} {{.Size}}'
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^"sz 5kB (virtual "[0-9.]+[kM]B")"$ ]]
  run sk ps -a -s
  [[ "${lines[0]}" == *"NAMES"*"SIZE" ]]
  [[ "${lines[1]}" == *"sz"*"5kB (virtual "* ]]
  # inspect -s: the same in bytes
  [ "$(sk inspect -s --format '{{.SizeRw}}' sz)" -eq 5000 ]
  [ "$(sk inspect -s --format '{{.SizeRootFs}}' sz)" -gt 5000 ]
  [ "$(sk inspect --format '{{json .}}' sz | jq 'has("SizeRw")')" = false ]
}

@test "rm -v is accepted; rm of a missing container is docker's message" {
  id=$(sk create --name vv busybox true)
  run sk rm -v vv
  [ "$status" -eq 0 ] && [ "$output" = vv ]
  assert_gone "$id"
  run sk rm -v vv
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: No such container: vv" ]
}

@test "--cidfile: the id written; an existing file refused before anything is made" {
  cid="$BATS_TEST_TMPDIR/cid"
  id=$(sk run -d --cidfile "$cid" busybox sleep 1000)
  [ "$(cat "$cid")" = "$id" ]
  run sk run -d --cidfile "$cid" --name second busybox sleep 1000
  [ "$status" -eq 125 ]
  [ "$output" = "skiff: Container ID file found, make sure the other container isn't running or delete $cid" ]
  [ "$(sk ps -aq | wc -l)" -eq 1 ]
  [ "$(cat "$cid")" = "$id" ]
  # a file that cannot be made: nothing made either
  run sk create --cidfile "$BATS_TEST_TMPDIR/no/such/dir/cid" busybox true
  [ "$status" -eq 125 ]
  [ "$output" = "skiff: failed to create the container ID file: open $BATS_TEST_TMPDIR/no/such/dir/cid: No such file or directory" ]
  [ "$(sk ps -aq | wc -l)" -eq 1 ]
  # a create that fails leaves no id file
  run sk create --cidfile "$BATS_TEST_TMPDIR/cid2" nosuchimage true
  [ "$status" -eq 125 ]
  [ ! -e "$BATS_TEST_TMPDIR/cid2" ]
  run sk create --cidfile "$BATS_TEST_TMPDIR/cid3" --name "bad name" busybox true
  [ "$status" -eq 125 ]
  [ ! -e "$BATS_TEST_TMPDIR/cid3" ]
}

@test "stop -s and restart -s: that signal in place of the stop signal; a bad one refused" {
  sk run -d --name sig busybox sh -c 'trap "echo got-usr1; exit 7" USR1; while :; do sleep 0.1; done' > /dev/null
  run sk stop -s USR1 -t 30 sig
  [ "$status" -eq 0 ] && [ "$output" = sig ]
  [ "$(sk inspect --format '{{.State.ExitCode}}' sig)" = 7 ]
  [ "$(sk logs sig)" = got-usr1 ]
  sk start sig > /dev/null
  run sk restart --signal SIGUSR1 -t 30 sig
  [ "$status" -eq 0 ] && [ "$output" = sig ]
  [ "$(sk inspect --format '{{.State.Status}} {{.RestartCount}}' sig)" = "running 1" ]
  [ "$(sk logs sig)" = "$(printf 'got-usr1\ngot-usr1')" ]
  run sk stop -s NOSUCH sig
  [ "$status" -eq 1 ]
  [ "$output" = "skiff: invalid signal: NOSUCH" ]
  [ "$(sk inspect --format '{{.State.Status}}' sig)" = running ]
}

@test "container prune --filter: until, label, label!=; docker's messages for a bad one" {
  sk create --name old --label keep=yes busybox true > /dev/null
  sk create --name plain busybox true > /dev/null
  sleep 1.1
  cut=$(date +%s)
  sk create --name new --label keep=no busybox true > /dev/null
  # all filters hold: created before the time, and not labelled keep=yes
  run sk container prune -f --filter until="$cut" --filter label!=keep=yes
  [ "$status" -eq 0 ]
  [[ "$output" == "Deleted Containers:"* ]]
  [ "$(sk ps -a --format '{{.Names}}' | sort | tr '\n' ' ')" = "new old " ]
  run sk container prune -f --filter label=keep=no
  [ "$status" -eq 0 ]
  [ "$(sk ps -a --format '{{.Names}}')" = old ]
  sk create --name other busybox true > /dev/null
  run sk container prune -f --filter label=keep
  [ "$(sk ps -a --format '{{.Names}}')" = other ]
  run sk container prune -f --filter color=red
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: invalid filter 'color'" ]
  run sk container prune -f --filter until=soon
  [ "$status" -eq 1 ]
  [ "$output" = 'Error response from daemon: failed to parse value as time or duration: "soon"' ]
  run sk container prune -f --filter nothing
  [ "$status" -eq 125 ]
  [ "$(sk ps -a --format '{{.Names}}')" = other ]
}
