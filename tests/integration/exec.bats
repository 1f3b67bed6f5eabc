#!/usr/bin/env bats
# skiff exec against the real kernel, in containers of `skiff run -d`:
# output and exit codes, the container's environment, working directory and
# user with exec's flags over them, --privileged, -d, -i, -t on a real pty,
# docker's messages for what cannot be run. Each test has its own data root,
# exec root and cgroup parent (daemon.json), and leaves nothing behind.

bats_require_minimum_version 1.5.0
load helpers
load engine

# a running container named ctr (sleeping), with flags of run before the image
start_c() {
  sk run -d --name ctr "$@" busybox sleep 1000 > /dev/null
}

# removes ctr and checks that nothing of it is left, exec'd processes included
remove_c() {
  local id
  id=$(sk inspect --format '{{.Id}}' ctr)
  sk rm -f ctr > /dev/null
  assert_gone "$id"
}

@test "exec: the command's output and exit code; 128+signal when it is killed" {
  start_c
  run sk exec ctr echo hello world
  [ "$status" -eq 0 ]
  [ "$output" = "hello world" ]
  run sk exec ctr sh -c 'echo before; exit 3'
  [ "$status" -eq 3 ]
  [ "$output" = "before" ]
  run sk exec ctr sh -c 'kill -9 $$'
  [ "$status" -eq 137 ]
  run sk exec ctr sh -c 'kill -TERM $$'
  [ "$status" -eq 143 ]
  # `container exec` is the same command
  run sk container exec ctr sh -c 'exit 4'
  [ "$status" -eq 4 ]
  remove_c
}

@test "exec: stdout and stderr go to the caller, apart, not to the container's log" {
  start_c
  sk exec ctr sh -c 'echo to-out; echo to-err >&2' > "$BATS_TEST_TMPDIR/out" 2> "$BATS_TEST_TMPDIR/err"
  [ "$(cat "$BATS_TEST_TMPDIR/out")" = "to-out" ]
  [ "$(cat "$BATS_TEST_TMPDIR/err")" = "to-err" ]
  run sk logs ctr
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  remove_c
}

@test "exec: it runs in the container: its pid namespace, its root, its cgroup" {
  start_c
  run sk exec ctr ps -o pid,comm
  [ "$status" -eq 0 ]
  [[ "$output" == *"    1 sleep"* ]]
  id=$(sk inspect --format '{{.Id}}' ctr)
  run sk exec ctr cat /etc/hostname
  [ "$output" = "${id:0:12}" ]
  run sk exec ctr cat /proc/self/cgroup
  [[ "$output" == *"$id"* ]] || [[ "$output" == "0::/" ]]
  remove_c
}

@test "exec: the container's environment, with -e and --env-file over it" {
  start_c -e FROM_RUN=1 -e OVER=run -e GONE=x
  printf 'FROM_FILE=f\nOVER=file\n' > "$BATS_TEST_TMPDIR/env"
  export PASSED=from-caller
  run sk exec -e OVER=exec -e NEW=n -e PASSED --env-file "$BATS_TEST_TMPDIR/env" -e GONE ctr env
  [ "$status" -eq 0 ]
  [[ "$output" == *"FROM_RUN=1"* ]]
  [[ "$output" == *"OVER=exec"* ]]
  [[ "$output" == *"NEW=n"* ]]
  [[ "$output" == *"FROM_FILE=f"* ]]
  [[ "$output" == *"PASSED=from-caller"* ]]
  [[ "$output" == *"PATH=/usr/local/sbin:"* ]]
  [[ "$output" != *"GONE"* ]]
  [[ "$output" != *"TERM="* ]]
  run sk exec -e =x ctr true
  [ "$status" -eq 125 ]
  [[ "$output" == *"invalid environment variable: =x"* ]]
  remove_c
}

@test "exec: the container's working directory, or -w" {
  start_c -w /etc
  run sk exec ctr pwd
  [ "$output" = "/etc" ]
  run sk exec -w /tmp ctr pwd
  [ "$output" = "/tmp" ]
  run sk exec --workdir /usr/bin ctr pwd
  [ "$output" = "/usr/bin" ]
  remove_c
}

@test "exec: -u by name and by number, through the container's /etc/passwd and /etc/group" {
  start_c
  run sk exec ctr id
  [ "$output" = "uid=0(root) gid=0(root) groups=0(root)" ] || [ "$output" = "uid=0(root) gid=0(root)" ]
  run sk exec -u nobody ctr id
  [ "$status" -eq 0 ]
  [[ "$output" == "uid=65534(nobody) gid=65534(nogroup)"* ]]
  run sk exec -u 65534 ctr id -u
  [ "$output" = "65534" ]
  run sk exec -u 65534 ctr id -g
  [ "$output" = "65534" ]
  run sk exec --user 1234:nogroup ctr id
  [[ "$output" == "uid=1234 gid=65534(nogroup)"* ]]
  run sk exec -u nobody:0 ctr id -g
  [ "$output" = "0" ]
  # the user's home from its passwd entry
  run sk exec -u nobody ctr sh -c 'echo $HOME'
  [ "$output" = "/nonexistent" ]
  run sk exec -u nosuch ctr id
  [ "$status" -ne 0 ]
  [[ "$output" == *"unable to find user nosuch: no matching entries in passwd file"* ]]
  remove_c
}

@test "exec: a user of the container (run -u) is exec's by default" {
  start_c -u nobody
  run sk exec ctr id -u
  [ "$output" = "65534" ]
  run sk exec -u root ctr id -u
  [ "$output" = "0" ]
  remove_c
}

@test "exec: --privileged has every capability of the host's bounding set" {
  start_c
  run sk exec ctr grep CapEff /proc/self/status
  [ "$output" = "$(printf 'CapEff:\t00000000a80425fb')" ]
  host=$(awk '/^CapBnd/ {print $2}' /proc/self/status)
  run sk exec --privileged ctr grep CapEff /proc/self/status
  [ "$output" = "$(printf 'CapEff:\t%s' "$host")" ]
  run sk exec --privileged ctr grep CapBnd /proc/self/status
  [ "$output" = "$(printf 'CapBnd:\t%s' "$host")" ]
  remove_c
}

@test "exec: a container that is not running, or none" {
  sk create --name ctr busybox true > /dev/null
  id=$(sk inspect --format '{{.Id}}' ctr)
  run sk exec ctr true
  [ "$status" -eq 1 ]
  [[ "$output" == *"container $id is not running" ]]
  sk start ctr > /dev/null
  sk wait ctr > /dev/null
  run sk exec ctr true
  [ "$status" -eq 1 ]
  [[ "$output" == *"container $id is not running" ]]
  run sk exec nosuch true
  [ "$status" -eq 1 ]
  [[ "$output" == *"No such container: nosuch" ]]
  run sk exec ctr
  [ "$status" -eq 125 ]
  [[ "$output" == *"requires at least 2 arguments"* ]]
  sk rm ctr > /dev/null
}

@test "exec: a command not found is 127, one that cannot be executed 126, with docker's messages" {
  start_c
  run -127 sk exec ctr nosuch
  [[ "$output" == *'OCI runtime exec failed: exec failed: unable to start container process: exec: "nosuch": executable file not found in $PATH: unknown' ]]
  run -127 sk exec ctr /no/such/file
  run sk exec ctr /etc/passwd
  [ "$status" -eq 126 ]
  [[ "$output" == *'exec: "/etc/passwd": permission denied: unknown' ]]
  run sk exec ctr /etc
  [ "$status" -eq 126 ]
  # the container is untouched
  run sk exec ctr echo still
  [ "$output" = "still" ]
  remove_c
}

@test "exec -d: returns at once, the process runs on in the container" {
  start_c
  start=$(date +%s)
  run sk exec -d ctr sh -c 'echo started > /tmp/mark; echo not-shown; exec sleep 999'
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [ $(($(date +%s) - start)) -lt 5 ]
  until_true '[ "$(sk exec ctr cat /tmp/mark 2> /dev/null)" = started ]'
  run sk exec ctr ps -o comm,args
  [[ "$output" == *"sleep 999"* ]]
  # still there a while later
  sleep 1
  run sk exec ctr ps -o args
  [[ "$output" == *"sleep 999"* ]]
  # -d with -t: accepted
  run sk exec -dt ctr sleep 998
  [ "$status" -eq 0 ]
  until_true 'sk exec ctr ps -o args | grep -q "sleep 998"'
  # and it goes with the container
  remove_c
}

@test "exec -i: stdin passed through; without -i the command reads nothing" {
  start_c
  run bash -c 'printf "hi\nthere\n" | "$SKIFF" exec -i ctr cat'
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'hi\nthere')" ]
  run bash -c 'echo hi | "$SKIFF" exec ctr cat'
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  run bash -c 'seq 1000 | "$SKIFF" exec --interactive ctr wc -l'
  [ "$output" = "1000" ]
  remove_c
}

@test "exec -t: a pseudo-terminal in the container, relayed to the caller's" {
  start_c
  run script -qec "$SKIFF exec -t ctr sh -c 'tty; echo \$TERM; exit 6'" /dev/null
  [ "$status" -eq 6 ]
  output=${output//$'\r'/}
  [[ "$output" =~ /dev/pts/[0-9]+ ]]
  [[ "$output" == *xterm* ]]
  # the caller's window size; its terminal restored afterwards
  run script -qec "stty rows 33 cols 101; $SKIFF exec -it ctr stty size; stty -a" /dev/null < <(sleep 3)
  [ "$status" -eq 0 ]
  [[ "$output" == *"33 101"* ]]
  [[ "$output" == *" icanon"* ]]
  [[ "$output" == *" echo "* ]]
  # stdin typed in the terminal reaches the command
  run script -qec "$SKIFF exec -it ctr sh -c 'read line; echo got-\$line'" /dev/null < <(sleep 1; echo typed; sleep 2)
  [ "$status" -eq 0 ]
  [[ "$output" == *"got-typed"* ]]
  remove_c
}

@test "exec -it: refused when stdin is not a terminal, as docker" {
  start_c
  run bash -c 'echo | "$SKIFF" exec -it ctr true'
  [ "$status" -eq 1 ]
  [ "$output" = "the input device is not a TTY" ]
  remove_c
}
