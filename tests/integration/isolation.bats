#!/usr/bin/env bats
# What the container's process sees of itself: namespaces, id maps, hostname,
# capabilities, limits, privileges. Each test reads it from inside, and where it
# can, compares with what the host sees.

load helpers

teardown() {
  cleanup_containers
  # SIGKILL: unshare --fork ignores SIGTERM while it waits for its child
  if [ -n "${NS_HOLDER:-}" ]; then kill -KILL "$NS_HOLDER"; wait "$NS_HOLDER" 2>/dev/null || true; fi
}

@test "the container has its own pid, network, uts, ipc, mount and cgroup namespaces" {
  new_bundle sh -c 'echo $$; for n in pid net uts ipc mnt cgroup; do readlink /proc/self/ns/$n; done; ls /sys/class/net; cat /proc/self/cgroup'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1 ]
  i=1
  for n in pid net uts ipc mnt cgroup; do
    [ "${lines[$i]}" != "$(readlink /proc/self/ns/$n)" ] || { echo "$n shared with the host"; false; }
    i=$((i + 1))
  done
  # only loopback in a new network namespace
  [ "${lines[7]}" = lo ]
  # a cgroup namespace rooted at the container's cgroup
  echo "${lines[@]:8}" | grep -q ':/$'
  ! echo "${lines[@]:8}" | grep -q "$CID"
}

@test "hostname and domainname are the container's own" {
  new_bundle sh -c 'hostname; cat /proc/sys/kernel/domainname'
  update_config '.hostname = "box-1" | .domainname = "example.test"'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = box-1 ]
  [ "${lines[1]}" = example.test ]
  [ "$(hostname)" != box-1 ]
}

@test "a user namespace with id maps: root inside is 100000 outside" {
  new_bundle sh -c 'cat /proc/self/uid_map /proc/self/gid_map; id -u; touch /tmp/f && stat -c %u /tmp/f; sleep 100'
  update_config '.linux.namespaces += [{"type": "user"}]
    | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    | .mounts |= map(select(.destination != "/sys/fs/cgroup"))
    | .mounts |= map(if .destination == "/sys" then {"destination": "/sys", "type": "none", "source": "/sys", "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]} else . end)
    | .mounts |= map(if .destination == "/dev/pts" then .options -= ["gid=5"] else . end)
    | .mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}]'
  runtime run -d "$CID" > "$BATS_TEST_TMPDIR/out"
  pid=$(runtime state "$CID" | jq .pid)
  # seen from the host, the process belongs to uid 100000
  [ "$(stat -c %u /proc/$pid)" = 100000 ]
  [ "$(awk '/^Uid:/ {print $2}' /proc/$pid/status)" = 100000 ]
  run runtime exec "$CID" sh -c 'cat /proc/self/uid_map; id -u'
  [ "$(echo ${lines[0]})" = "0 100000 65536" ]
  [ "${lines[1]}" = 0 ]
}

@test "create and start with a user namespace: its root opens exec.fifo" {
  new_bundle sh -c 'id -u; cat /proc/self/uid_map'
  update_config '.linux.namespaces += [{"type": "user"}]
    | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    | .mounts |= map(select(.destination != "/sys/fs/cgroup"))
    | .mounts |= map(if .destination == "/sys" then {"destination": "/sys", "type": "none", "source": "/sys", "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]} else . end)
    | .mounts |= map(if .destination == "/dev/pts" then .options -= ["gid=5"] else . end)'
  runtime create "$CID" > "$BATS_TEST_TMPDIR/out"
  [ "$(state_status "$CID")" = created ]
  runtime start "$CID"
  wait_status "$CID" stopped
  run cat "$BATS_TEST_TMPDIR/out"
  [ "${lines[0]}" = 0 ]
  [ "$(echo ${lines[1]})" = "0 100000 65536" ]
}

@test "a user namespace that maps nothing to root fails with a clear error" {
  new_bundle true
  update_config '.linux.namespaces += [{"type": "user"}]
    | .linux.uidMappings = [{"containerID": 1000, "hostID": 100000, "size": 1}]
    | .linux.gidMappings = [{"containerID": 1000, "hostID": 100000, "size": 1}]'
  run runtime run "$CID"
  [ "$status" -ne 0 ]
  assert_one_line
  [[ "$output" == *"become root in the user namespace"* ]]
  assert_no_trace "$CID"
}

@test "a network namespace given by path is joined" {
  # a network namespace held by a process of ours (no /run/netns mount needed)
  unshare --net sh -c 'ip link add sktest0 type veth peer name sktest1 && exec sleep 1000' &
  NS_HOLDER=$!
  wait_for nsenter --net=/proc/$NS_HOLDER/ns/net ip link show sktest0
  new_bundle sh -c 'readlink /proc/self/ns/net; ls /sys/class/net'
  update_config ".linux.namespaces |= map(if .type == \"network\" then .path = \"/proc/$NS_HOLDER/ns/net\" else . end)"
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "$(readlink /proc/$NS_HOLDER/ns/net)" ]
  echo "$output" | grep -qx sktest0
}

@test "a pid namespace given by path is joined (the container is not its init)" {
  unshare --pid --fork --kill-child --mount-proc sleep 1000 &
  NS_HOLDER=$!
  wait_for pgrep -P "$NS_HOLDER" sleep
  inner=$(pgrep -P "$NS_HOLDER" sleep)
  new_bundle sh -c 'echo $$; cat /proc/1/comm'
  update_config ".linux.namespaces |= map(if .type == \"pid\" then .path = \"/proc/$inner/ns/pid\" else . end)"
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" -gt 1 ]
  [ "${lines[1]}" = sleep ]
}

@test "a user namespace given by path is joined, with its id maps" {
  unshare --user sleep 1000 &
  NS_HOLDER=$!
  wait_for sh -c "[ \"\$(readlink /proc/$NS_HOLDER/ns/user)\" != \"\$(readlink /proc/self/ns/user)\" ]"
  echo "0 200000 65536" > /proc/$NS_HOLDER/uid_map
  echo "0 200000 65536" > /proc/$NS_HOLDER/gid_map
  new_bundle sh -c 'cat /proc/self/uid_map; id -u; readlink /proc/self/ns/user'
  update_config ".linux.namespaces += [{\"type\": \"user\", \"path\": \"/proc/$NS_HOLDER/ns/user\"}]
    | .mounts |= map(select(.destination != \"/sys/fs/cgroup\"))"
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "$(echo ${lines[0]})" = "0 200000 65536" ]
  [ "${lines[1]}" = 0 ]
  [ "${lines[2]}" = "$(readlink /proc/$NS_HOLDER/ns/user)" ]
}

@test "ipc and uts namespaces given by path are joined" {
  unshare --ipc --uts sh -c 'hostname holder-host; exec sleep 1000' &
  NS_HOLDER=$!
  wait_for sh -c "[ \"\$(nsenter --uts=/proc/$NS_HOLDER/ns/uts hostname)\" = holder-host ]"
  new_bundle sh -c 'hostname; readlink /proc/self/ns/ipc'
  update_config ".hostname = null | .linux.namespaces |= map(if .type == \"uts\" then .path = \"/proc/$NS_HOLDER/ns/uts\" elif .type == \"ipc\" then .path = \"/proc/$NS_HOLDER/ns/ipc\" else . end)"
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = holder-host ]
  [ "${lines[1]}" = "$(readlink /proc/$NS_HOLDER/ns/ipc)" ]
}

@test "a time namespace shifts the monotonic and boot clocks" {
  [ -e /proc/self/ns/time ] || skip "this kernel has no time namespaces"
  new_bundle cut -d. -f1 /proc/uptime
  update_config '.linux.namespaces += [{"type": "time"}] | .linux.timeOffsets = {"boottime": {"secs": 86400000, "nanosecs": 0}, "monotonic": {"secs": 86400000, "nanosecs": 0}}'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  host=$(cut -d. -f1 /proc/uptime)
  [ "$output" -ge $((host + 86400000 - 5)) ]
}

@test "a container sharing the host's pid namespace sees the host's processes" {
  new_bundle sh -c 'echo $$; test -d /proc/1'
  update_config '.linux.namespaces |= map(select(.type != "pid"))'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" -gt 1 ]
}

@test "capabilities: the five sets are exactly what config.json asks" {
  new_bundle grep ^Cap /proc/self/status
  update_config '.process.capabilities = {"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
    "effective": ["CAP_KILL"], "permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
    "inheritable": ["CAP_NET_BIND_SERVICE"], "ambient": ["CAP_NET_BIND_SERVICE"]}'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  # CAP_CHOWN=0, CAP_KILL=5, CAP_NET_BIND_SERVICE=10; ambient caps join permitted and effective at exec
  [ "${lines[0]}" = "CapInh:	0000000000000400" ]
  [ "${lines[1]}" = "CapPrm:	0000000000000420" ]
  [ "${lines[2]}" = "CapEff:	0000000000000420" ]
  [ "${lines[3]}" = "CapBnd:	0000000000000421" ]
  [ "${lines[4]}" = "CapAmb:	0000000000000400" ]
}

@test "a non-root user gets no capability it was not given" {
  new_bundle grep ^Cap /proc/self/status
  update_config '.process.user = {"uid": 1000, "gid": 1000}'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "CapInh:	0000000000000000" ]
  [ "${lines[1]}" = "CapPrm:	0000000000000000" ]
  [ "${lines[2]}" = "CapEff:	0000000000000000" ]
  [ "${lines[4]}" = "CapAmb:	0000000000000000" ]
}

@test "user, groups and umask" {
  new_bundle sh -c 'id -u; id -g; cat /proc/self/status | grep ^Groups; umask'
  update_config '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [5, 65534], "umask": 63}'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1000 ]
  [ "${lines[1]}" = 1000 ]
  [ "$(echo ${lines[2]})" = "Groups: 5 65534" ]
  [ "${lines[3]}" = 0077 ]
}

@test "rlimits are set, and one above the host's hard limit is refused clearly" {
  new_bundle sh -c 'ulimit -n; ulimit -Hn; ulimit -s'
  update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1000}, {"type": "RLIMIT_STACK", "soft": 4194304, "hard": 4194304}]'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "${lines[*]}" = "512 1000 4096" ]
  hard=$(ulimit -Hn)
  update_config ".process.rlimits = [{\"type\": \"RLIMIT_NOFILE\", \"soft\": $((hard * 2)), \"hard\": $((hard * 2))}]"
  # CAP_SYS_RESOURCE is bit 24 of the capability mask
  (( (0x$(awk '/^CapEff/ {print $2}' /proc/self/status) >> 24) & 1 )) && skip "this host may raise rlimits (CAP_SYS_RESOURCE)"
  run runtime run "$CID"
  [ "$status" -ne 0 ]
  assert_one_line
  [[ "$output" == *"RLIMIT_NOFILE hard limit $((hard * 2)) is above the current $hard"* ]]
  assert_no_trace "$CID"
}

@test "noNewPrivileges and oomScoreAdj" {
  new_bundle sh -c 'grep NoNewPrivs /proc/self/status; cat /proc/self/oom_score_adj'
  update_config '.process.noNewPrivileges = true | .process.oomScoreAdj = 500'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "$(echo ${lines[0]})" = "NoNewPrivs: 1" ]
  [ "${lines[1]}" = 500 ]
  update_config '.process.noNewPrivileges = false'
  run runtime run "$CID"
  [ "$(echo ${lines[0]})" = "NoNewPrivs: 0" ]
}

@test "personality LINUX32 makes uname report a 32-bit machine" {
  new_bundle uname -m
  update_config '.linux.personality = {"domain": "LINUX32"}'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "$output" = i686 ]
}

@test "sysctls are written in the container's namespaces only" {
  new_bundle sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni'
  update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmni": "1234"}'
  host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "${lines[*]}" = "1 1234" ]
  [ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_fwd" ]
  update_config '.linux.sysctl = {"kernel.panic": "1"}'
  run runtime run "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"sysctl \`kernel.panic\` is not in a namespace of the container" ]]
  assert_no_trace "$CID"
}

@test "apparmorProfile and selinuxLabel are ignored with a warning" {
  new_bundle true
  update_config '.process.apparmorProfile = "docker-default" | .process.selinuxLabel = "system_u:system_r:container_t:s0"'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [[ "$output" == *"apparmorProfile \`docker-default\` is ignored"* ]]
  [[ "$output" == *"selinuxLabel is ignored"* ]]
}

@test "the environment is passed and HOME comes from /etc/passwd" {
  new_bundle sh -c 'echo $FOO; echo $HOME'
  update_config '.process.env = ["PATH=/bin", "FOO=bar baz"] | .process.user = {"uid": 1000, "gid": 1000}'
  run runtime run "$CID"
  [ "${lines[0]}" = "bar baz" ]
  [ "${lines[1]}" = /home/user ]
}

@test "the cwd is entered, and made when missing" {
  new_bundle pwd
  update_config '.process.cwd = "/home/user" | .root.readonly = false'
  run runtime run "$CID"
  [ "$output" = /home/user ]
}

@test "no file descriptor but stdio and --preserve-fds reaches the container" {
  new_bundle ls /proc/self/fd
  run runtime run "$CID" 5>/dev/null 6>/dev/null
  [ "$status" -eq 0 ]
  # 0 1 2, and 3 for the listing itself
  [ "${lines[*]}" = "0 1 2 3" ]
  new_bundle sh -c 'ls /proc/self/fd; cat <&3'
  echo preserved > "$BATS_TEST_TMPDIR/in"
  run runtime run --preserve-fds 1 "$CID" 3<"$BATS_TEST_TMPDIR/in" 4>/dev/null
  [ "$status" -eq 0 ]
  [ "${lines[*]}" = "0 1 2 3 4 preserved" ] || [ "${lines[*]}" = "0 1 2 3 preserved" ]
  ! echo "${lines[*]}" | grep -q " 5 "
}
