#!/usr/bin/env bats
# Bad input: each gives a one-line error that names the thing and the cause,
# a non-zero exit, and leaves no state directory, cgroup, mount or process.

load helpers

setup() {
  MOUNTS_BEFORE=$(suite_mounts)
}

teardown() {
  cleanup_containers
}

# refused MESSAGE-PATTERN: runs `run` for $CID and checks the outcome
refused() {
  run runtime run "$CID"
  [ "$status" -ne 0 ] || { echo "exit status 0"; return 1; }
  assert_one_line
  [[ "$output" == skiff-runtime:\ * ]] || { echo "not a skiff-runtime error: $output"; return 1; }
  [[ "$output" == $1 ]] || { echo "got: $output"; echo "want: $1"; return 1; }
  assert_no_trace "$CID"
  [ "$(suite_mounts)" -eq "$MOUNTS_BEFORE" ] || { echo "a mount was left"; return 1; }
}

@test "a missing config.json" {
  new_bundle true
  rm "$BUNDLE/config.json"
  refused "*open \`$BUNDLE/config.json\`: No such file or directory"
}

@test "an unreadable config.json (a directory)" {
  new_bundle true
  rm "$BUNDLE/config.json"
  mkdir "$BUNDLE/config.json"
  refused "*read \`$BUNDLE/config.json\`: Is a directory"
}

@test "invalid JSON names the line and column" {
  new_bundle true
  printf '{\n  "ociVersion": "1.2.0",\n  "process": {,\n}\n' > "$BUNDLE/config.json"
  refused "*$BUNDLE/config.json: invalid JSON at line 3 column *"
}

@test "a value of the wrong type names its path" {
  new_bundle true
  update_config '.process.args = ["sh", 5]'
  refused "*config.json: process.args\[1\]: expected a string, got an integer"
  new_bundle true
  update_config '.linux.resources.memory.limit = "64m"'
  refused "*config.json: linux.resources.memory.limit: expected an integer, got a string"
}

@test "an unknown namespace type" {
  new_bundle true
  update_config '.linux.namespaces += [{"type": "bogus"}]'
  refused "*config.json: linux.namespaces\[6\].type: unknown namespace type \`bogus\`"
}

@test "an unknown capability" {
  new_bundle true
  update_config '.process.capabilities.bounding += ["CAP_TIME_TRAVEL"]'
  refused "*config.json: process.capabilities.bounding\[14\]: unknown capability \`CAP_TIME_TRAVEL\`"
}

@test "a missing rootfs" {
  new_bundle true
  rm "$BUNDLE/rootfs"
  refused "*rootfs \`$BUNDLE/rootfs\`: No such file or directory"
}

@test "a container id that is taken leaves the first container alone" {
  new_bundle sleep 100
  runtime run -d "$CID"
  pid=$(runtime state "$CID" | jq .pid)
  run runtime run "$CID"
  [ "$status" -ne 0 ]
  assert_one_line
  [ "$output" = "skiff-runtime: container \`$CID\` already exists" ]
  [ "$(state_status "$CID")" = running ]
  [ "$(runtime state "$CID" | jq .pid)" = "$pid" ]
  [ -d "$(cgroup_dir memory)" ]
}

@test "a container id with '/' or '..' is refused" {
  new_bundle true
  for id in a/b ../escape x..y .hidden ""; do
    run runtime run "$id"
    [ "$status" -ne 0 ]
    assert_one_line
    [[ "$output" == *"container id"* ]] || { echo "$output"; false; }
  done
  [ ! -e "$STATE_ROOT/../escape" ]
  [ ! -e "$STATE_ROOT/a" ]
}

@test "a program that does not exist in the rootfs" {
  new_bundle no-such-program
  refused "*exec: \`no-such-program\`: executable file not found in \$PATH"
  new_bundle /bin/no-such-program
  refused "*exec: \`/bin/no-such-program\`: No such file or directory"
}

@test "a program that does not exist fails create, not start" {
  new_bundle no-such-program
  run runtime create "$CID"
  [ "$status" -ne 0 ]
  assert_one_line
  assert_no_trace "$CID"
}

@test "a bind mount whose source does not exist" {
  new_bundle true
  update_config '.mounts += [{"destination": "/data", "type": "bind", "source": "/no/such/dir", "options": ["rbind"]}]'
  refused "*mount \`/data\`: bind source \`/no/such/dir\`: No such file or directory"
}

@test "linux.resources.unified may not set the cgroup's own files" {
  for key in cgroup.procs cgroup.freeze cgroup.kill cgroup.subtree_control; do
    new_bundle true
    update_config ".linux.resources.unified = {\"$key\": \"1\"}"
    refused "*linux.resources.unified: \`$key\` is not a resource: it cannot be set"
  done
}

@test "a relative cwd" {
  new_bundle true
  update_config '.process.cwd = "tmp"'
  refused "*config.json: process.cwd: \`tmp\` is not an absolute path"
}

@test "a memory limit the kernel refuses" {
  new_bundle true
  update_config '.linux.resources.memory = {"limit": 1048576, "swap": 524288}'
  run runtime run "$CID"
  [ "$status" -ne 0 ]
  assert_one_line
  assert_no_trace "$CID"
}

@test "a namespace path that does not exist" {
  new_bundle true
  update_config '.linux.namespaces |= map(if .type == "network" then .path = "/proc/999999999/ns/net" else . end)'
  refused "*linux.namespaces: network namespace \`/proc/999999999/ns/net\`: No such file or directory"
}

@test "an exec.fifo-less start of a stopped container and a kill of a stopped one" {
  new_bundle true
  runtime create "$CID"
  runtime start "$CID"
  wait_status "$CID" stopped
  run runtime kill "$CID" KILL
  [ "$status" -ne 0 ]
  [ "$output" = "skiff-runtime: container \`$CID\` is stopped" ]
  run runtime start "$CID"
  [ "$status" -ne 0 ]
  assert_one_line
}

@test "a runtime killed in the middle of create leaves what delete repairs" {
  new_bundle true
  update_config ".hooks.createRuntime = [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"echo \$\$ > $BATS_TEST_TMPDIR/hooked; exec sleep 30\"]}]"
  "$SKIFF_RUNTIME" --root "$STATE_ROOT" create "$CID" &
  creator=$!
  wait_for test -s "$BATS_TEST_TMPDIR/hooked"
  kill -KILL "$creator"
  wait "$creator" || true
  [ "$(state_status "$CID")" = creating ]
  # the container's process died with its runtime; the cgroup is still there
  [ -d "$(cgroup_dir memory)" ]
  runtime delete "$CID"
  assert_no_trace "$CID"
  # the hook outlived its runtime: end it by its pid
  kill "$(cat "$BATS_TEST_TMPDIR/hooked")"
}
