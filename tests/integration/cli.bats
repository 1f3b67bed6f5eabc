#!/usr/bin/env bats
# skiff-runtime's command line: version, help, spec, features, usage errors.

load helpers

setup() {
  mkdir -p "$BATS_TEST_TMPDIR/b"
}

@test "--version names the runtime, the spec and libseccomp" {
  run "$SKIFF_RUNTIME" --version
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" =~ ^skiff-runtime\ version\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
  [ "${lines[1]}" = "spec: 1.2.0" ]
  [[ "${lines[2]}" =~ ^libseccomp:\ 2\. ]]
}

@test "--help lists every runc command" {
  run "$SKIFF_RUNTIME" --help
  [ "$status" -eq 0 ]
  for c in create start run state kill delete exec ps list pause resume update spec features events; do
    echo "$output" | grep -q "^  $c " || { echo "missing $c"; false; }
  done
}

@test "an unknown command is a one-line error" {
  run "$SKIFF_RUNTIME" frobnicate
  [ "$status" -ne 0 ]
  [ "$output" = "skiff-runtime: unknown command \`frobnicate\` (see \`skiff-runtime --help\`)" ]
}

@test "spec writes Docker's defaults: 14 capabilities, masked and read-only paths" {
  run "$SKIFF_RUNTIME" spec --bundle "$BATS_TEST_TMPDIR/b"
  [ "$status" -eq 0 ]
  c="$BATS_TEST_TMPDIR/b/config.json"
  [ "$(jq -r .ociVersion "$c")" = "1.2.0" ]
  [ "$(jq '.process.capabilities.bounding | length' "$c")" -eq 14 ]
  [ "$(jq -r '.process.capabilities.effective | sort | join(",")' "$c")" = \
    "CAP_AUDIT_WRITE,CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FOWNER,CAP_FSETID,CAP_KILL,CAP_MKNOD,CAP_NET_BIND_SERVICE,CAP_NET_RAW,CAP_SETFCAP,CAP_SETGID,CAP_SETPCAP,CAP_SETUID,CAP_SYS_CHROOT" ]
  jq -e '.linux.maskedPaths | index("/proc/kcore")' "$c"
  jq -e '.linux.readonlyPaths | index("/proc/sys")' "$c"
  [ "$(jq -r '[.linux.namespaces[].type] | sort | join(",")' "$c")" = "cgroup,ipc,mount,network,pid,uts" ]
}

@test "spec refuses to overwrite a config.json" {
  "$SKIFF_RUNTIME" spec --bundle "$BATS_TEST_TMPDIR/b"
  echo '{"mine": true}' > "$BATS_TEST_TMPDIR/b/config.json"
  run "$SKIFF_RUNTIME" spec --bundle "$BATS_TEST_TMPDIR/b"
  [ "$status" -ne 0 ]
  [[ "$output" == *"config.json\` already exists: remove it first" ]]
  [ "$(jq -r .mine "$BATS_TEST_TMPDIR/b/config.json")" = true ]
}

@test "spec --rootless maps the caller and adds a user namespace" {
  run "$SKIFF_RUNTIME" spec --rootless --bundle "$BATS_TEST_TMPDIR/b"
  [ "$status" -eq 0 ]
  c="$BATS_TEST_TMPDIR/b/config.json"
  jq -e '.linux.namespaces | map(.type) | index("user")' "$c"
  [ "$(jq '.linux.uidMappings[0].hostID' "$c")" -eq "$(id -u)" ]
  [ "$(jq '.linux.uidMappings[0].containerID' "$c")" -eq 0 ]
}

@test "features reports the namespaces, hooks, cgroup versions and seccomp" {
  run "$SKIFF_RUNTIME" features
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.ociVersionMax == "1.2.0"'
  echo "$output" | jq -e '.linux.namespaces | length == 8'
  echo "$output" | jq -e '.hooks | index("createContainer")'
  echo "$output" | jq -e '.linux.cgroup.v1 and .linux.cgroup.v2'
  echo "$output" | jq -e '.linux.seccomp.enabled and (.linux.seccomp.actions | index("SCMP_ACT_ERRNO"))'
  echo "$output" | jq -e '.linux.capabilities | index("CAP_SYS_ADMIN")'
}

@test "--systemd-cgroup fails clearly where systemd is not running" {
  [ ! -d /run/systemd/system ] || skip "systemd is running on this host"
  new_bundle true
  run runtime --systemd-cgroup run "$CID"
  [ "$status" -ne 0 ]
  assert_one_line
  [[ "$output" == *"--systemd-cgroup: systemd is not running on this host"* ]]
  assert_no_trace "$CID"
}

@test "--log with --log-format json writes JSON lines that containerd can read" {
  new_bundle true
  run runtime --log "$BATS_TEST_TMPDIR/log.json" --log-format json run bad/id
  [ "$status" -ne 0 ]
  jq -e '.level == "error" and (.msg | test("container id")) and (.time | test("Z$"))' "$BATS_TEST_TMPDIR/log.json"
}

@test "list shows nothing under an empty root, in every format" {
  run "$SKIFF_RUNTIME" --root "$BATS_TEST_TMPDIR/empty" list
  [ "$status" -eq 0 ]
  [ "${lines[0]%% *}" = "ID" ]
  [ "${#lines[@]}" -eq 1 ]
  run "$SKIFF_RUNTIME" --root "$BATS_TEST_TMPDIR/empty" list --format json
  [ "$output" = "[]" ]
  run "$SKIFF_RUNTIME" --root "$BATS_TEST_TMPDIR/empty" list -q
  [ -z "$output" ]
  run "$SKIFF_RUNTIME" list --format yaml
  [ "$status" -ne 0 ]
}

@test "--debug shows where the time of a run goes" {
  new_bundle true
  run runtime --debug run "$CID"
  [ "$status" -eq 0 ]
  [[ "$output" == *"debug: cloned at "*" us"* ]]
  [[ "$output" == *"debug: child: exec at "* ]]
  [[ "$output" == *"debug: deleted at "* ]]
}

@test "--log with the text format writes level and message" {
  run "$SKIFF_RUNTIME" --root "$STATE_ROOT" --log "$BATS_TEST_TMPDIR/log.txt" --log-format text state nosuch
  [ "$status" -ne 0 ]
  grep -qx "error: container \`nosuch\` does not exist" "$BATS_TEST_TMPDIR/log.txt"
  run "$SKIFF_RUNTIME" --log-format xml list
  [ "$status" -ne 0 ]
  assert_one_line
}
