#!/usr/bin/env bats
# Resource limits on this host's cgroup layout (v1 or hybrid; pure cgroup v2 is
# covered by tests/vm/cgroup2.bats in a VM): the values reach the kernel's files,
# the hard limits hold from inside, update changes them live.

load helpers

setup() {
  is_cgroup2 && skip "pure cgroup v2: see tests/vm/cgroup2.bats"
  true
}

teardown() {
  cleanup_containers
}

cg() { # cg CONTROLLER FILE: a file of the container's cgroup
  cat "$(cgroup_dir "$1")/$2"
}

@test "memory, cpu, cpuset, pids and blkio values reach the cgroup files" {
  new_bundle sleep 100
  update_config '.linux.resources = {"memory": {"limit": 67108864, "reservation": 33554432, "swappiness": 10},
    "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"},
    "pids": {"limit": 64}, "blockIO": {"weight": 300}}'
  runtime run -d "$CID"
  [ "$(cg memory memory.limit_in_bytes)" = 67108864 ]
  [ "$(cg memory memory.soft_limit_in_bytes)" = 33554432 ]
  [ "$(cg memory memory.swappiness)" = 10 ]
  [ "$(cg cpu cpu.shares)" = 512 ]
  [ "$(cg cpu cpu.cfs_quota_us)" = 50000 ]
  [ "$(cg cpu cpu.cfs_period_us)" = 100000 ]
  [ "$(cg cpuset cpuset.cpus)" = 0 ]
  [ "$(cg pids pids.max)" = 64 ]
  d=$(cgroup_dir blkio)
  if [ -e "$d/blkio.weight" ]; then [ "$(cat "$d/blkio.weight")" = 300 ]; else [ "$(cat "$d/blkio.bfq.weight" | awk '{print $NF}')" = 300 ]; fi
  # and from inside: the process may only run on CPU 0
  run runtime exec "$CID" grep Cpus_allowed_list /proc/self/status
  [ "$(echo $output)" = "Cpus_allowed_list: 0" ]
}

@test "the memory limit OOM-kills inside the container only" {
  new_bundle dd if=/dev/zero of=/dev/null bs=200M count=1
  update_config '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
  run runtime run "$CID"
  [ "$status" -eq 137 ]
  # the runtime itself, and this shell, were not touched
  [ -d /proc/$$ ]
  assert_no_trace "$CID"
}

@test "the OOM kill is counted and events reports it" {
  new_bundle sh -c 'sleep 1; dd if=/dev/zero of=/dev/null bs=200M count=1; sleep 100'
  update_config '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
  runtime run -d "$CID" > /dev/null
  timeout 20 "$SKIFF_RUNTIME" --root "$STATE_ROOT" events --interval 200ms "$CID" > "$BATS_TEST_TMPDIR/events" &
  events=$!
  wait_for grep -q '"type":"oom"' "$BATS_TEST_TMPDIR/events"
  kill "$events"
  grep -q "oom_kill [1-9]" "$(cgroup_dir memory)/memory.oom_control"
  grep '"type":"oom"' "$BATS_TEST_TMPDIR/events" | head -1 | jq -e --arg id "$CID" '.id == $id'
  grep '"type":"stats"' "$BATS_TEST_TMPDIR/events" | head -1 | jq -e '.data.memory.usage.limit == 33554432'
}

@test "disableOOMKiller turns the OOM killer off for the container" {
  new_bundle sleep 100
  update_config '.linux.resources.memory = {"limit": 33554432, "disableOOMKiller": true}'
  runtime run -d "$CID"
  grep -qx "oom_kill_disable 1" "$(cgroup_dir memory)/memory.oom_control"
}

@test "pids.max stops a fork bomb; the host stays responsive" {
  new_bundle sh -c 'bomb() { bomb & bomb & wait; }; bomb'
  update_config '.linux.resources.pids = {"limit": 32}'
  runtime run -d "$CID" 2>/dev/null
  sleep 2
  [ "$(cg pids pids.current)" -le 32 ]
  grep -q "max [1-9]" "$(cgroup_dir pids)/pids.events"
  # the host can still fork
  run echo still-responsive
  [ "$output" = still-responsive ]
  runtime delete --force "$CID"
  assert_no_trace "$CID"
}

@test "hugepage limits go to whichever hierarchy has hugetlb" {
  [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2 MB huge pages on this kernel"
  name=2MB
  new_bundle sleep 100
  update_config ".linux.resources.hugepageLimits = [{\"pageSize\": \"$name\", \"limit\": 4194304}]"
  runtime run -d "$CID"
  if [ -e "/sys/fs/cgroup/hugetlb/$CGROUP_PARENT/$CID" ]; then
    [ "$(cat /sys/fs/cgroup/hugetlb/$CGROUP_PARENT/$CID/hugetlb.$name.limit_in_bytes)" = 4194304 ]
  else
    [ "$(cat /sys/fs/cgroup/unified/$CGROUP_PARENT/$CID/hugetlb.$name.max)" = 4194304 ]
  fi
}

@test "a v2-only resource on a host whose memory controller is v1 is a clear error" {
  new_bundle true
  update_config '.linux.resources.unified = {"memory.high": "33554432"}'
  run runtime run "$CID"
  [ "$status" -ne 0 ]
  assert_one_line
  [[ "$output" == *"memory.high"* ]]
  assert_no_trace "$CID"
}

@test "update changes the limits of a running container" {
  new_bundle sleep 100
  update_config '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 64}, "cpu": {"quota": 50000, "period": 100000}}'
  runtime run -d "$CID"
  runtime update --memory 128m --pids-limit 10 --cpu-quota 20000 "$CID"
  [ "$(cg memory memory.limit_in_bytes)" = 134217728 ]
  [ "$(cg pids pids.max)" = 10 ]
  [ "$(cg cpu cpu.cfs_quota_us)" = 20000 ]
  echo '{"memory": {"limit": 100000000}, "pids": {"limit": 20}}' > "$BATS_TEST_TMPDIR/r.json"
  runtime update --resources "$BATS_TEST_TMPDIR/r.json" "$CID"
  [ "$(cg pids pids.max)" = 20 ]
  # the kernel rounds to pages
  [ "$(cg memory memory.limit_in_bytes)" = 99999744 ]
  echo '{"pids": {"limit": 30}}' | runtime update -r - "$CID"
  [ "$(cg pids pids.max)" = 30 ]
}

@test "update: every flag reaches its cgroup file" {
  new_bundle sleep 100
  update_config '.linux.resources = {"memory": {"limit": 67108864, "swap": 134217728}, "cpu": {"shares": 512, "quota": 20000, "period": 100000}}'
  runtime run -d "$CID"
  runtime update --memory 64m --memory-swap 256m --memory-reservation 32m --cpu-shares 256 \
    --cpu-period 50000 --cpu-quota 25000 --cpuset-cpus 0 --blkio-weight 200 "$CID"
  [ "$(cg memory memory.memsw.limit_in_bytes)" = 268435456 ]
  [ "$(cg memory memory.soft_limit_in_bytes)" = 33554432 ]
  [ "$(cg cpu cpu.shares)" = 256 ]
  [ "$(cg cpu cpu.cfs_period_us)" = 50000 ]
  [ "$(cg cpu cpu.cfs_quota_us)" = 25000 ]
  [ "$(cg cpuset cpuset.cpus)" = 0 ]
  d=$(cgroup_dir blkio)
  if [ -e "$d/blkio.weight" ]; then [ "$(cat "$d/blkio.weight")" = 200 ]; else [ "$(awk '{print $NF}' "$d/blkio.bfq.weight")" = 200 ]; fi
}

@test "block I/O throttles reach the kernel for a real block device" {
  dev=""
  for b in /sys/block/*; do
    case "$(basename "$b")" in loop*|ram*|zram*) continue ;; esac
    dev=$(cat "$b/dev") && break
  done
  [ -n "$dev" ] || skip "no block device on this machine"
  maj=${dev%:*} min=${dev#*:}
  new_bundle sleep 100
  update_config ".linux.resources.blockIO = {\"throttleReadBpsDevice\": [{\"major\": $maj, \"minor\": $min, \"rate\": 1048576}],
    \"throttleWriteIOPSDevice\": [{\"major\": $maj, \"minor\": $min, \"rate\": 100}]}"
  runtime run -d "$CID"
  grep -qx "$dev 1048576" "$(cgroup_dir blkio)/blkio.throttle.read_bps_device"
  grep -qx "$dev 100" "$(cgroup_dir blkio)/blkio.throttle.write_iops_device"
}

@test "update refuses bad values and stopped containers with one-line errors" {
  new_bundle sleep 100
  runtime run -d "$CID"
  run runtime update --memory lots "$CID"
  [ "$status" -ne 0 ]
  assert_one_line
  echo '{"memory": {"limit": "x"}}' > "$BATS_TEST_TMPDIR/r.json"
  run runtime update --resources "$BATS_TEST_TMPDIR/r.json" "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"memory.limit: expected an integer, got a string" ]]
  runtime kill "$CID" KILL
  wait_status "$CID" stopped
  run runtime update --pids-limit 5 "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"is stopped" ]]
}

@test "events --stats reports cpu, memory, pids and blkio" {
  new_bundle sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 100'
  runtime run -d "$CID"
  sleep 1
  run runtime events --stats "$CID"
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.data.cpu.usage.total > 0 and (.data.cpu.usage.percpu | length) > 0'
  echo "$output" | jq -e '.data.memory.usage.usage > 0 and (.data.memory.raw | has("cache") or has("file"))'
  echo "$output" | jq -e '.data.pids.current >= 1'
}
