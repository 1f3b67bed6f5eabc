#!/usr/bin/env bats
# OCI hooks: each kind runs at its moment, with the state on stdin, in the
# right namespaces; failures and timeouts stop creation and leave nothing.

load helpers

teardown() {
  cleanup_containers
}

# a host hook that logs its name, its mount namespace and the state it got
make_hook() {
  HOOK="$BATS_TEST_TMPDIR/hook.sh"
  LOG="$BATS_TEST_TMPDIR/hooks.log"
  cat > "$HOOK" <<H
#!/bin/sh
echo "\$1 \$(readlink /proc/self/ns/mnt) \$(cat)" >> "$LOG"
H
  chmod +x "$HOOK"
}

hook_json() { # hook_json KIND [extra json fields]
  echo "{\"path\": \"$HOOK\", \"args\": [\"hook.sh\", \"$1\"]${2:+, $2}}"
}

@test "every hook runs in order, with the state on stdin" {
  make_hook
  new_bundle sleep 100
  update_config ".hooks = {
    \"prestart\": [$(hook_json prestart)],
    \"createRuntime\": [$(hook_json createRuntime)],
    \"createContainer\": [$(hook_json createContainer)],
    \"poststart\": [$(hook_json poststart)],
    \"poststop\": [$(hook_json poststop)]}"
  runtime create "$CID"
  runtime start "$CID"
  pid=$(runtime state "$CID" | jq .pid)
  runtime delete --force "$CID"
  run awk '{print $1}' "$LOG"
  [ "${lines[*]}" = "prestart createRuntime createContainer poststart poststop" ]
  host_mnt=$(readlink /proc/self/ns/mnt)
  # runtime-namespace hooks see the host's mount namespace, createContainer the container's
  [ "$(awk '$1 == "createRuntime" {print $2}' "$LOG")" = "$host_mnt" ]
  [ "$(awk '$1 == "createContainer" {print $2}' "$LOG")" != "$host_mnt" ]
  # the state on stdin
  state=$(awk '$1 == "createRuntime" {$1=""; $2=""; print}' "$LOG")
  echo "$state" | jq -e --arg id "$CID" --argjson pid "$pid" '.id == $id and .pid == $pid and .status == "creating" and .ociVersion == "1.2.0"'
  echo "$(awk '$1 == "poststart" {$1=""; $2=""; print}' "$LOG")" | jq -e '.status == "running"'
  echo "$(awk '$1 == "poststop" {$1=""; $2=""; print}' "$LOG")" | jq -e '.status == "stopped"'
}

@test "startContainer runs inside the container, before the process" {
  new_bundle cat /tmp/started
  update_config '.root.readonly = false | .mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}]
    | .hooks.startContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "cat > /tmp/started; echo in-container >> /tmp/started"]}]'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  # the state the hook read on stdin, then what it wrote after
  echo "${output%in-container}" | jq -e --arg id "$CID" '.id == $id and .status == "created"'
  [[ "$output" == *"}in-container" ]]
}

@test "a failing prestart hook stops create and leaves nothing behind" {
  new_bundle true
  update_config '.hooks.prestart = [{"path": "/bin/sh", "args": ["sh", "-c", "echo broken setup >&2; exit 3"]}]'
  before=$(suite_mounts)
  run runtime create "$CID"
  [ "$status" -ne 0 ]
  assert_one_line
  [ "$output" = "skiff-runtime: prestart hook \`/bin/sh\` exited with status 3: broken setup" ]
  assert_no_trace "$CID"
  [ "$(suite_mounts)" -eq "$before" ]
}

@test "a failing createContainer hook stops create" {
  new_bundle true
  update_config '.hooks.createContainer = [{"path": "/bin/false"}]'
  run runtime run "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"createContainer hook \`/bin/false\` exited with status 1"* ]]
  assert_no_trace "$CID"
}

@test "a hook that outlives its timeout is killed and create fails" {
  new_bundle true
  update_config '.hooks.createRuntime = [{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]'
  SECONDS=0
  run runtime run "$CID"
  [ "$status" -ne 0 ]
  [ "$SECONDS" -lt 10 ]
  [[ "$output" == *"createRuntime hook \`/bin/sleep\` timed out after 1 s"* ]]
  assert_no_trace "$CID"
  ! pgrep -f "sleep 30" -P $$ >/dev/null
}

@test "a failing poststart hook is a warning; the container runs on" {
  new_bundle sleep 100
  update_config '.hooks.poststart = [{"path": "/bin/false"}]'
  # the container holds stdio open: collect it in a file, not a pipe
  runtime run -d "$CID" > "$BATS_TEST_TMPDIR/out" 2>&1
  grep -q "warning: poststart hook \`/bin/false\` exited with status 1" "$BATS_TEST_TMPDIR/out"
  [ "$(state_status "$CID")" = running ]
}

@test "hooks get their env and args" {
  new_bundle true
  update_config ".hooks.poststop = [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"echo \$0 \$V > $BATS_TEST_TMPDIR/env\", \"arg0\"], \"env\": [\"V=from-env\"]}]"
  runtime run "$CID"
  [ "$(cat "$BATS_TEST_TMPDIR/env")" = "arg0 from-env" ]
}
