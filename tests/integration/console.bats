#!/usr/bin/env bats
# process.terminal: the pty goes to the --console-socket, or is proxied by a
# foreground run; consoleSize sets its size.

load helpers

teardown() {
  cleanup_containers
  [ -z "${RECV:-}" ] || { kill "$RECV" 2>/dev/null; wait "$RECV" 2>/dev/null; } || true
}

start_recvtty() { # start_recvtty INPUT: console socket at $SOCK, output in $TTYOUT
  SOCK="$BATS_TEST_TMPDIR/console.sock"
  TTYOUT="$BATS_TEST_TMPDIR/tty.out"
  "$SKIFF_HELPERS/recvtty" "$SOCK" "$1" > "$TTYOUT" &
  RECV=$!
  wait_for test -S "$SOCK"
}

@test "the terminal goes to the console socket, with the size asked" {
  new_bundle sh -c 'tty; stty size; echo TERM=$TERM'
  update_config '.process.terminal = true | .process.consoleSize = {"height": 40, "width": 120}'
  start_recvtty ""
  runtime run -d --console-socket "$SOCK" "$CID"
  wait "$RECV"
  RECV=
  run cat "$TTYOUT"
  [[ "${lines[0]}" == "pty: /dev/pts/"* ]]
  [[ "$output" == *"/dev/pts/0"* ]]
  [[ "$output" == *"40 120"* ]]
  [[ "$output" == *"TERM=xterm"* ]]
}

@test "an interactive shell reads what is typed on its terminal" {
  new_bundle sh
  update_config '.process.terminal = true'
  start_recvtty $'echo typed-$((6*7))\nexit 5\n'
  runtime create --console-socket "$SOCK" "$CID"
  runtime start "$CID"
  wait "$RECV"
  RECV=
  grep -q "typed-42" "$TTYOUT"
  wait_status "$CID" stopped
}

@test "exec --tty gives the new process its own terminal" {
  new_bundle sleep 100
  runtime run -d "$CID"
  start_recvtty ""
  runtime exec --tty --detach --console-socket "$SOCK" "$CID" sh -c 'tty; test -t 0 && echo is-a-tty'
  wait "$RECV"
  RECV=
  grep -q "is-a-tty" "$TTYOUT"
  grep -q "^/dev/pts/" "$TTYOUT"
}

@test "a foreground run proxies the terminal" {
  new_bundle sh -c 'tty; echo exit-soon; exit 3'
  update_config '.process.terminal = true'
  run script -qec "$SKIFF_RUNTIME --root $STATE_ROOT run $CID" /dev/null
  [ "$status" -eq 3 ]
  [[ "$output" == *"/dev/pts/0"* ]]
  [[ "$output" == *"exit-soon"* ]]
  assert_no_trace "$CID"
}

@test "a terminal without a console socket to receive it is refused when detached" {
  new_bundle true
  update_config '.process.terminal = true'
  run runtime create "$CID"
  [ "$status" -ne 0 ]
  assert_one_line
  [[ "$output" == *"process.terminal is set but no --console-socket was given"* ]]
  assert_no_trace "$CID"
  run runtime run -d "$CID"
  [ "$status" -ne 0 ]
  assert_no_trace "$CID"
}

@test "a console socket nobody listens on is a one-line error" {
  new_bundle true
  update_config '.process.terminal = true'
  run runtime create --console-socket "$BATS_TEST_TMPDIR/nobody.sock" "$CID"
  [ "$status" -ne 0 ]
  assert_one_line
  [[ "$output" == *"--console-socket"*"nobody.sock"*"No such file or directory" ]]
  assert_no_trace "$CID"
}
