#!/usr/bin/env bats
# update (limits of running and stopped containers) and port: docker's
# output and messages, against real containers and their cgroups.

load helpers
load engine

# the file of the container's cgroup in a controller (cgroup v1 or hybrid)
cg() { # NAME CONTROLLER FILE
  local id
  id=$(sk inspect --format '{{.Id}}' "$1")
  cat "/sys/fs/cgroup/$2/$SKIFF_TEST_CGROUP/$BATS_TEST_NUMBER/$id/$3"
}

@test "update: a running container's cgroup changed at once, the names printed, inspect shows the limits" {
  [ -d /sys/fs/cgroup/memory ] || skip "cgroup v1 memory controller"
  sk run -d --name up1 -m 64m busybox sleep 1000 > /dev/null
  sk run -d --name up2 busybox sleep 1000 > /dev/null
  run sk update --cpus 0.5 --pids-limit 50 --cpu-shares 512 --cpuset-cpus 0 up1 up2
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'up1\nup2')" ]
  for c in up1 up2; do
    [ "$(cg $c cpu cpu.cfs_quota_us)" = 50000 ]
    [ "$(cg $c cpu cpu.cfs_period_us)" = 100000 ]
    [ "$(cg $c cpu cpu.shares)" = 512 ]
    [ "$(cg $c pids pids.max)" = 50 ]
    [ "$(cg $c cpuset cpuset.cpus)" = 0 ]
    [ "$(sk inspect --format '{{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.CpuShares}} {{.HostConfig.CpusetCpus}}' $c)" = "500000000 50 512 0" ]
  done
  # memory with its swap limit; a memory limit alone within the swap limit the container has
  run sk update -m 100m --memory-swap 200m --memory-reservation 50m up1
  [ "$status" -eq 0 ] && [ "$output" = up1 ]
  [ "$(cg up1 memory memory.limit_in_bytes)" = 104857600 ]
  [ "$(cg up1 memory memory.soft_limit_in_bytes)" = 52428800 ]
  if [ -e "/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes" ]; then
    [ "$(cg up1 memory memory.memsw.limit_in_bytes)" = 209715200 ]
  fi
  run sk update -m 150m up1
  [ "$status" -eq 0 ]
  [ "$(cg up1 memory memory.limit_in_bytes)" = 157286400 ]
  [ "$(sk inspect --format '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.MemoryReservation}}' up1)" = "157286400 209715200 52428800" ]
  # -1: no pids limit again
  run sk update --pids-limit -1 up1
  [ "$status" -eq 0 ]
  [ "$(cg up1 pids pids.max)" = max ]
  # --blkio-weight where the kernel has it
  if [ -e "/sys/fs/cgroup/blkio/blkio.weight" ] || [ -e "/sys/fs/cgroup/blkio/blkio.bfq.weight" ]; then
    run sk update --blkio-weight 300 up2
    [ "$status" -eq 0 ]
    [ "$(sk inspect --format '{{.HostConfig.BlkioWeight}}' up2)" = 300 ]
  fi
  # a paused container too
  sk pause up2 > /dev/null
  run sk update --cpu-shares 256 up2
  [ "$status" -eq 0 ] && [ "$output" = up2 ]
  [ "$(cg up2 cpu cpu.shares)" = 256 ]
  sk unpause up2 > /dev/null
  # an update event for each
  [ "$(sk events --since 0 --until "$(date +%s.%N)" --filter event=update --format '{{.Actor.Attributes.name}}' | sort | uniq | tr '\n' ' ')" = "up1 up2 " ]
}

@test "update: a stopped container keeps the limits for its next start; --restart stored" {
  [ -d /sys/fs/cgroup/memory ] || skip "cgroup v1 memory controller"
  sk create --name st busybox sleep 1000 > /dev/null
  run sk update -m 32m --memory-swap 64m --cpu-quota 20000 --cpu-period 100000 --restart on-failure:3 st
  [ "$status" -eq 0 ] && [ "$output" = st ]
  [ "$(sk inspect --format '{{.HostConfig.Memory}} {{.HostConfig.CpuQuota}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}' st)" = "33554432 20000 on-failure:3" ]
  sk start st > /dev/null
  [ "$(cg st memory memory.limit_in_bytes)" = 33554432 ]
  [ "$(cg st cpu cpu.cfs_quota_us)" = 20000 ]
  # and after a stop and a restart too
  run sk update --cpu-quota 30000 st
  [ "$status" -eq 0 ]
  sk stop -t 0 st > /dev/null
  sk start st > /dev/null
  [ "$(cg st cpu cpu.cfs_quota_us)" = 30000 ]
}

@test "update: updates at once from separate processes each keep what the others stored" {
  sk create --name many busybox true > /dev/null
  pids=()
  sk update --cpu-shares 512 many > /dev/null & pids+=($!)
  sk update --pids-limit 77 many > /dev/null & pids+=($!)
  sk update --memory-reservation 20m many > /dev/null & pids+=($!)
  sk update --cpu-quota 30000 many > /dev/null & pids+=($!)
  sk update --restart always many > /dev/null & pids+=($!)
  sk update --cpuset-cpus 0 many > /dev/null & pids+=($!)
  for p in "${pids[@]}"; do wait "$p"; done
  [ "$(sk inspect --format '{{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}} {{.HostConfig.MemoryReservation}} {{.HostConfig.CpuQuota}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.CpusetCpus}}' many)" = "512 77 20971520 30000 always 0" ]
}

@test "update: docker's messages for bad values and conflicts; nothing changed then" {
  sk run -d --name bad -m 64m --cpus 1 busybox sleep 1000 > /dev/null
  id=$(sk inspect --format '{{.Id}}' bad)
  before=$(sk inspect --format '{{json .HostConfig}}' bad)
  run sk update -m 1m bad
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: Cannot update container $id: Minimum memory limit allowed is 6MB" ]
  run sk update -m 300m bad
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: Cannot update container $id: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time" ]
  run sk update -m 300m --memory-swap 200m bad
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: Cannot update container $id: Minimum memoryswap limit should be larger than memory limit, see usage" ]
  run sk update --memory-reservation 100m bad
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: Cannot update container $id: Minimum memory limit can not be less than memory reservation limit, see usage" ]
  run sk update --cpu-period 50000 bad
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: Cannot update container $id: Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set" ]
  run sk update --blkio-weight 5 bad
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: Cannot update container $id: Range of blkio weight is from 10 to 1000" ]
  run sk update --cpus 1000 bad
  [ "$status" -eq 1 ]
  [[ "$output" == "Error response from daemon: Cannot update container $id: Range of CPUs is from 0.01 to "*" CPUs available" ]]
  run sk update --cpuset-cpus 3-1 bad
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: Cannot update container $id: Invalid value 3-1 for cpuset cpus" ]
  run sk update --cpuset-cpus 99999 bad
  [ "$status" -eq 1 ]
  [[ "$output" == "Error response from daemon: Cannot update container $id: Requested CPUs are not available - requested 99999, available: "* ]]
  run sk update --cpuset-cpus 0-x bad
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: Cannot update container $id: Invalid value 0-x for cpuset cpus" ]
  run sk update --cpuset-cpus "0,$(nproc)" bad
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: Cannot update container $id: Requested CPUs are not available - requested 0,$(nproc), available: $(cat /sys/devices/system/cpu/online)" ]
  run sk update --cpuset-mems 3 bad
  [ "$status" -eq 1 ]
  [[ "$output" == "Error response from daemon: Cannot update container $id: Requested memory nodes are not available - requested 3, available: "* ]]
  run sk update -m 12x bad
  [ "$status" -eq 125 ]
  [[ "$output" == "skiff update: invalid argument \"12x\" for \"-m, --memory\" flag: invalid suffix: 'x'"* ]]
  run sk update --restart sometimes bad
  [ "$status" -eq 125 ]
  [[ "$output" == *"invalid restart policy: unknown policy 'sometimes'"* ]]
  run sk update bad
  [ "$status" -eq 1 ]
  [ "$output" = "skiff: you must provide one or more flags when using this command" ]
  run sk update --cpus 0.5
  [ "$status" -eq 125 ]
  run sk update --cpu-shares 100 nosuch bad
  [ "$status" -eq 1 ]
  [ "${lines[0]}" = "Error response from daemon: No such container: nosuch" ]
  [ "${lines[1]}" = bad ]
  # the failed updates changed nothing (the last one only CpuShares)
  [ "$(sk inspect --format '{{json .HostConfig}}' bad | jq -c 'del(.CpuShares)')" = "$(echo "$before" | jq -c .)" ]
  sk run -d --rm --name auto busybox sleep 1000 > /dev/null
  run sk update --restart always auto
  [ "$status" -eq 1 ]
  [[ "$output" == *"Restart policy cannot be updated because AutoRemove is enabled for the container" ]]
}

@test "run --cpuset-cpus and --cpuset-mems: what the host does not have is docker's message" {
  run sk run --rm --cpuset-cpus 99999 busybox true
  [ "$status" -eq 125 ]
  [ "$output" = "skiff: Requested CPUs are not available - requested 99999, available: $(cat /sys/devices/system/cpu/online)" ]
  run sk run --rm --cpuset-cpus 1-0 busybox true
  [ "$status" -eq 125 ]
  [ "$output" = "skiff: Invalid value 1-0 for cpuset cpus" ]
  run sk run --rm --cpuset-mems 63 busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == "skiff: Requested memory nodes are not available - requested 63, available: "* ]]
  [ -z "$(sk ps -aq)" ]
  run sk run --rm --cpuset-cpus 0 busybox cat /sys/fs/cgroup/cpuset/cpuset.cpus
  [ "$status" -eq 0 ] && [ "$output" = 0 ]
}

@test "update: --memory-high refused with a clear error where the memory controller is on cgroup v1" {
  [ -d /sys/fs/cgroup/memory ] || skip "cgroup v1 memory controller"
  sk run -d --name mh busybox sleep 1000 > /dev/null
  id=$(sk inspect --format '{{.Id}}' mh)
  run sk update --memory-high 10m mh
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: Cannot update container $id: HostConfig.MemoryHigh: needs cgroup v2 (this host's memory controller is on cgroup v1)" ]
  [ "$(sk inspect --format '{{.HostConfig.MemoryHigh}}' mh)" = "<no value>" ]
}

@test "update: a memory limit below what the container uses, which the kernel refuses, is a clear error" {
  [ -d /sys/fs/cgroup/memory ] || skip "cgroup v1 memory controller"
  grep -q partition /proc/swaps && skip "swap on: the kernel swaps out instead of refusing"
  grep -q file /proc/swaps && skip "swap on: the kernel swaps out instead of refusing"
  sk run -d --name hog -m 128m busybox sh -c 'dd if=/dev/zero of=/dev/shm/fill bs=1M count=40 2>/dev/null; touch /tmp/full; sleep 1000' > /dev/null
  id=$(sk inspect --format '{{.Id}}' hog)
  pid=$(sk inspect --format '{{.State.Pid}}' hog)
  until_true "[ -e /proc/$pid/root/tmp/full ]"
  run sk update -m 10m --memory-swap 20m hog
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: Cannot update container $id: the memory limit 10485760 is below what the container uses now, and the kernel could not reclaim the difference (device or resource busy)" ]
  # the record keeps the old limit, and the container runs on
  [ "$(sk inspect --format '{{.HostConfig.Memory}} {{.State.Status}}' hog)" = "134217728 running" ]
}

@test "port: nothing published lists nothing; docker's errors for a port, a bad port, a missing container" {
  sk run -d --name pt --expose 80 busybox sleep 1000 > /dev/null
  run sk port pt
  [ "$status" -eq 0 ] && [ -z "$output" ]
  run sk port pt 80
  [ "$status" -eq 1 ]
  [ "$output" = "Error: No public port '80/tcp' published for pt" ]
  run sk port pt 53/udp
  [ "$status" -eq 1 ]
  [ "$output" = "Error: No public port '53/udp' published for pt" ]
  run sk port pt abc
  [ "$status" -eq 1 ]
  [ "$output" = 'Error: invalid port (abc): strconv.ParseUint: parsing "abc": invalid syntax' ]
  run sk port pt 70000
  [ "$status" -eq 1 ]
  [ "$output" = 'Error: invalid port (70000): strconv.ParseUint: parsing "70000": value out of range' ]
  run sk port nosuch
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: No such container: nosuch" ]
  run sk port
  [ "$status" -eq 125 ]
  run sk container port pt 1 2
  [ "$status" -eq 125 ]
  # what port reads: NetworkSettings.Ports as inspect shows it (exposed, unbound)
  [ "$(sk inspect --format '{{json .NetworkSettings.Ports}}' pt)" = '{"80/tcp":null}' ]
  # ps shows the exposed ports, a run of them as a range, as docker's PORTS
  [ "$(sk ps --format '{{.Ports}}' --filter name=pt)" = 80/tcp ]
  sk run -d --name many --expose 7000-7002 --expose 53/udp --expose 9000 busybox sleep 1000 > /dev/null
  [ "$(sk ps --format '{{.Ports}}' --filter name=many)" = "7000-7002/tcp, 9000/tcp, 53/udp" ]
  sk stop -t 0 many > /dev/null
  [ "$(sk ps -a --format '{{.Ports}}' --filter name=many)" = "" ]
  # on the default bridge: its address there
  [ "$(sk inspect --format '{{.NetworkSettings.IPAddress}}' pt)" = "$NET_PREFIX.2" ]
}
