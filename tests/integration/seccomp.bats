#!/usr/bin/env bats
# linux.seccomp: the configured errno comes back, conditions on arguments hold,
# kill actions kill, and exec'd processes get the same filter.

load helpers

teardown() {
  cleanup_containers
}

@test "a rule returns its errnoRet; the default action lets the rest through" {
  new_bundle sh -c 'mkdir /tmp/x; echo rc=$?; hostname h 2>&1; echo ok'
  update_config '.root.readonly = false | .mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}]
    | .process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"] | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]
    | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
      "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
                   {"names": ["sethostname"], "action": "SCMP_ACT_ERRNO"}]}'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Function not implemented"* ]]
  [[ "$output" == *"rc=1"* ]]
  [[ "$output" == *"Operation not permitted"* ]]
  [[ "$output" == *ok ]]
}

@test "argument conditions: chmod to 0777 refused, other modes allowed" {
  new_bundle sh -c 'touch /tmp/f; chmod 777 /tmp/f; echo rc=$?; chmod 750 /tmp/f; echo rc=$?; stat -c %a /tmp/f'
  update_config '.root.readonly = false | .mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}]
    | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "args": [{"index": 1, "value": 511, "op": "SCMP_CMP_EQ"}]},
                   {"names": ["fchmodat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "args": [{"index": 2, "value": 511, "op": "SCMP_CMP_EQ"}]}]}'
  run runtime run "$CID"
  [[ "$output" == *"Permission denied"* ]]
  [[ "$output" == *"rc=1"* ]]
  [[ "$output" == *"rc=0"* ]]
  [ "${lines[-1]}" = 750 ]
}

@test "SCMP_ACT_KILL_PROCESS kills the process with SIGSYS" {
  new_bundle sh -c 'echo before; exec sync'
  update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["sync"], "action": "SCMP_ACT_KILL_PROCESS"}]}'
  run runtime run "$CID"
  [ "$status" -eq 159 ]
  [ "$output" = before ]
}

@test "exec'd processes get the container's filter" {
  new_bundle sleep 100
  update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO", "errnoRet": 95}]}'
  runtime run -d "$CID"
  run runtime exec "$CID" sh -c 'grep Seccomp: /proc/self/status; /bin/pwd'
  [[ "$output" == *"Seccomp:	2"* ]]
  [[ "$output" == *"not supported"* ]]
}

@test "with noNewPrivileges off the filter is loaded while still privileged" {
  new_bundle sh -c 'grep -E "NoNewPrivs|Seccomp:" /proc/self/status; id -u'
  update_config '.process.noNewPrivileges = false | .process.user = {"uid": 1000, "gid": 1000}
    | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG"], "syscalls": [{"names": ["swapon"], "action": "SCMP_ACT_ERRNO"}]}'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "$(echo ${lines[0]})" = "NoNewPrivs: 0" ]
  [ "$(echo ${lines[1]})" = "Seccomp: 2" ]
  [ "${lines[2]}" = 1000 ]
}

@test "a bad profile is refused before anything is made" {
  new_bundle true
  update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_VAX"]}'
  run runtime run "$CID"
  [ "$status" -ne 0 ]
  assert_one_line
  [[ "$output" == *"architectures: unknown architecture \`SCMP_ARCH_VAX\`"* ]]
  assert_no_trace "$CID"
  update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_DANCE"}'
  run runtime run "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"linux.seccomp.defaultAction: unknown action \`SCMP_ACT_DANCE\`"* ]]
  assert_no_trace "$CID"
}

@test "a profile libseccomp would never finish building is given up on, with nothing made" {
  # two rules for setpriority (the conditions on arg 4 are alternatives) that
  # share `arg 0 != 1`: libseccomp 2.5.4 loops forever adding the second
  new_bundle true
  update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["setpriority"],
    "action": "SCMP_ACT_LOG", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_NE"},
      {"index": 4, "value": 5, "op": "SCMP_CMP_GT"}, {"index": 4, "value": 18446744073709551615, "op": "SCMP_CMP_EQ"}]}]}'
  run timeout 120 "$SKIFF_RUNTIME" --root "$STATE_ROOT" run "$CID"
  [ "$status" -ne 0 ] && [ "$status" -ne 124 ]
  assert_one_line
  [[ "$output" == *"linux.seccomp: libseccomp did not finish building the filter in 20 s"* ]]
  assert_no_trace "$CID"
  # the same alternatives without the shared condition build at once
  update_config 'del(.linux.seccomp.syscalls[0].args[0])'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
}

@test "SCMP_ACT_NOTIFY hands the listener to the agent at listenerPath, with the state" {
  sock="$BATS_TEST_TMPDIR/agent.sock"
  "$SKIFF_HELPERS/seccomp-agent" "$sock" "$BATS_TEST_TMPDIR/state.json" 42 &
  agent=$!
  wait_for test -S "$sock"
  new_bundle sh -c 'mkdir /tmp/x; echo rc=$?; echo still-running'
  update_config ".root.readonly = false | .mounts += [{\"destination\": \"/tmp\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"}]
    | .linux.seccomp = {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$sock\", \"listenerMetadata\": \"from-the-test\",
        \"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"
  run runtime run "$CID"
  wait "$agent"
  [ "$status" -eq 0 ]
  # the agent answered ENOMSG (42)
  [[ "$output" == *"No message of desired type"* ]]
  [[ "$output" == *"still-running"* ]]
  jq -e --arg id "$CID" '.fds == ["seccompFd"] and .pid > 0 and .metadata == "from-the-test" and .state.id == $id' "$BATS_TEST_TMPDIR/state.json"
}

@test "SCMP_ACT_NOTIFY without a listenerPath is refused before anything is made" {
  new_bundle true
  update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}'
  run runtime run "$CID"
  [ "$status" -ne 0 ]
  assert_one_line
  [[ "$output" == *"linux.seccomp.listenerPath is required with SCMP_ACT_NOTIFY" ]]
  assert_no_trace "$CID"
}
