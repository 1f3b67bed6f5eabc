#!/usr/bin/env bats
# skiff-runtime run by an unprivileged user: a user namespace (its own id, or
# its subordinate ids through newuidmap/newgidmap), no cgroup unless one is
# delegated. The file makes a test user, with subordinate ids, and removes it.

load helpers

setup_file() {
  export RL_USER="skrl$$"
  export RL_HOME="$SKIFF_TEST_WORK/rootless-home"
  local f
  for f in subuid subgid; do
    # kept to be put back; absent, made for usermod and removed at the end
    if [ -e "/etc/$f" ]; then cp -p "/etc/$f" "$SKIFF_TEST_WORK/$f.before"; else : > "/etc/$f"; fi
  done
  useradd --no-create-home --home-dir "$RL_HOME" --shell /bin/sh "$RL_USER"
  mkdir -p "$RL_HOME"
  chown "$RL_USER:$RL_USER" "$RL_HOME"
  usermod --add-subuids 400000-465535 --add-subgids 400000-465535 "$RL_USER"
}

teardown_file() {
  local uid
  uid=$(id -u "$RL_USER" 2>/dev/null) || uid=
  # whatever the user left running: its processes, by pid
  if [ -n "$uid" ]; then
    for p in $(pgrep -u "$uid"); do kill -KILL "$p" 2>/dev/null || true; done
  fi
  userdel "$RL_USER" 2>/dev/null || true
  # /etc/subuid and /etc/subgid as they were (or gone, if they were not there)
  local f
  for f in subuid subgid; do
    if [ -e "$SKIFF_TEST_WORK/$f.before" ]; then
      cp -p "$SKIFF_TEST_WORK/$f.before" "/etc/$f"
    else
      rm -f "/etc/$f"
    fi
  done
  rm -rf "$RL_HOME" "/tmp/skiff-runtime-$uid"
}

teardown() {
  # the user's containers
  as_user "$SKIFF_RUNTIME" list -q 2>/dev/null | while read -r id; do
    as_user "$SKIFF_RUNTIME" delete --force "$id" > /dev/null 2>&1 || true
  done
}

as_user() {
  setpriv --reuid "$RL_USER" --regid "$RL_USER" --init-groups \
    env HOME="$RL_HOME" XDG_RUNTIME_DIR= ASAN_OPTIONS="$ASAN_OPTIONS" "$@"
}

# a bundle the user owns, from `spec --rootless` run as that user
rl_bundle() {
  RL_BUNDLE="$RL_HOME/b$BATS_TEST_NUMBER"
  rm -rf "$RL_BUNDLE"
  as_user mkdir -p "$RL_BUNDLE"
  as_user "$SKIFF_RUNTIME" spec --rootless --bundle "$RL_BUNDLE"
  ln -s "$ROOTFS" "$RL_BUNDLE/rootfs"
  CID="rl${BATS_TEST_NUMBER}-$$"
  local json
  json=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)
  rl_config ".process.terminal = false | .process.args = $json
    | .mounts += [{\"destination\": \"/tmp\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"}]"
}

# edits the user's config.json (as root, then given back to the user)
rl_config() {
  jq "$1" "$RL_BUNDLE/config.json" > "$RL_BUNDLE/c" && mv "$RL_BUNDLE/c" "$RL_BUNDLE/config.json"
  chown "$RL_USER:$RL_USER" "$RL_BUNDLE/config.json"
}

@test "an unprivileged user runs a container: root inside, itself outside" {
  rl_bundle sh -c 'id -u; cat /proc/self/uid_map; hostname; echo $$; touch /tmp/x && echo wrote'
  run as_user sh -c "cd '$RL_BUNDLE' && '$SKIFF_RUNTIME' run '$CID'"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  [ "$(echo ${lines[1]})" = "0 $(id -u "$RL_USER") 1" ]
  [ "${lines[2]}" = skiff ]
  [ "${lines[3]}" = 1 ]
  [ "${lines[4]}" = wrote ]
}

@test "subordinate ids are mapped through newuidmap and newgidmap" {
  uid=$(id -u "$RL_USER") gid=$(id -g "$RL_USER")
  rl_bundle sh -c 'cat /proc/self/uid_map /proc/self/gid_map; id -u; sleep 100'
  rl_config ".linux.uidMappings = [{\"containerID\": 0, \"hostID\": $uid, \"size\": 1}, {\"containerID\": 1, \"hostID\": 400000, \"size\": 65536}]
    | .linux.gidMappings = [{\"containerID\": 0, \"hostID\": $gid, \"size\": 1}, {\"containerID\": 1, \"hostID\": 400000, \"size\": 65536}]
    | .process.user = {\"uid\": 1000, \"gid\": 1000}"
  as_user sh -c "cd '$RL_BUNDLE' && '$SKIFF_RUNTIME' run -d '$CID' > out 2>&1"
  pid=$(as_user "$SKIFF_RUNTIME" state "$CID" | jq .pid)
  # uid 1000 in the container is the subordinate id 400999 on the host
  [ "$(awk '/^Uid:/ {print $2}' /proc/$pid/status)" = 400999 ]
  run cat "$RL_BUNDLE/out"
  [ "$(echo ${lines[1]})" = "1 400000 65536" ]
  [ "${lines[-1]}" = 1000 ]
}

@test "without a delegated cgroup the container runs without one, and says so for limits" {
  rl_bundle sh -c 'cat /proc/self/cgroup | head -1; echo ran'
  rl_config '.linux.resources = {"memory": {"limit": 67108864}}'
  run as_user sh -c "cd '$RL_BUNDLE' && '$SKIFF_RUNTIME' run '$CID'"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"warning: linux.resources are ignored: no cgroup may be made here"* ]]
  [[ "$output" == *ran* ]]
}

@test "the whole lifecycle as the user: create, start, exec, kill, delete" {
  rl_bundle sleep 100
  as_user sh -c "cd '$RL_BUNDLE' && '$SKIFF_RUNTIME' create '$CID'"
  [ "$(as_user "$SKIFF_RUNTIME" state "$CID" | jq -r .status)" = created ]
  as_user "$SKIFF_RUNTIME" start "$CID"
  [ "$(as_user "$SKIFF_RUNTIME" state "$CID" | jq -r .status)" = running ]
  run as_user "$SKIFF_RUNTIME" exec "$CID" sh -c 'id -u; readlink /proc/1/ns/pid; readlink /proc/self/ns/pid'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  [ "${lines[1]}" = "${lines[2]}" ]
  as_user "$SKIFF_RUNTIME" kill "$CID" KILL
  for i in $(seq 50); do [ "$(as_user "$SKIFF_RUNTIME" state "$CID" | jq -r .status)" = stopped ] && break; sleep 0.1; done
  as_user "$SKIFF_RUNTIME" delete "$CID"
  run as_user "$SKIFF_RUNTIME" list -q
  [ -z "$output" ]
  # its state lived in its own directory, not in /run/skiff-runtime
  [ -d "/tmp/skiff-runtime-$(id -u "$RL_USER")" ]
  [ ! -e "/run/skiff-runtime/$CID" ]
}

@test "the id maps are written however quickly the child runs: twenty creates in a row" {
  # the child must not judge from its own euid, which turns 0 once the
  # runtime has written its uid_map, whether the maps are still to come
  rl_bundle true
  for i in $(seq 20); do
    as_user sh -c "cd '$RL_BUNDLE' && '$SKIFF_RUNTIME' create '$CID-$i'"
    as_user "$SKIFF_RUNTIME" delete --force "$CID-$i"
  done
}

@test "an unprivileged user cannot map ids it was not given" {
  rl_bundle true
  rl_config '.linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 1}]'
  run as_user sh -c "cd '$RL_BUNDLE' && '$SKIFF_RUNTIME' run '$CID'"
  [ "$status" -ne 0 ]
  assert_one_line
  [[ "$output" == *"linux.uidMappings: newuidmap: uid range [0-1) -> [0-1) not allowed"* ]]
  run as_user "$SKIFF_RUNTIME" list -q
  [ -z "$output" ]
}
