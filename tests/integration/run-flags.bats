#!/usr/bin/env bats
# The flags of `skiff run` reach the container: what its processes see
# inside (limits, capabilities, user, environment, files) and the kernel's
# files of its cgroup outside. Unit tests check each flag's parsing and the
# config.json it makes; these check the whole path on the real kernel.

bats_require_minimum_version 1.5.0
load helpers
load engine

# the container's cgroup directory of a v1 controller, or of cgroup2
ccg() { # CONTROLLER NAME
  local id
  id=$(sk inspect --format '{{.Id}}' "$2")
  if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
    echo "/sys/fs/cgroup/$SKIFF_TEST_CGROUP/$BATS_TEST_NUMBER/$id"
  else
    echo "/sys/fs/cgroup/$1/$SKIFF_TEST_CGROUP/$BATS_TEST_NUMBER/$id"
  fi
}

v1() { [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ]; }

@test "resource flags: memory, cpu, cpuset, pids and blkio values in the container's cgroup files" {
  v1 || skip "the cgroup v1 files (tests/vm/engine.bats checks cgroup v2's)"
  sk run -d --name lim --memory 64m --memory-swap 128m --memory-reservation 32m --cpus 0.5 \
    --cpu-shares 512 --cpuset-cpus 0 --pids-limit 50 --blkio-weight 300 --oom-score-adj 500 \
    busybox sleep 600
  [ "$(cat "$(ccg memory lim)/memory.limit_in_bytes")" = 67108864 ]
  [ "$(cat "$(ccg memory lim)/memory.soft_limit_in_bytes")" = 33554432 ]
  if [ -e "$(ccg memory lim)/memory.memsw.limit_in_bytes" ]; then
    [ "$(cat "$(ccg memory lim)/memory.memsw.limit_in_bytes")" = 134217728 ]
  fi
  [ "$(cat "$(ccg cpu lim)/cpu.cfs_quota_us")" = 50000 ]
  [ "$(cat "$(ccg cpu lim)/cpu.cfs_period_us")" = 100000 ]
  [ "$(cat "$(ccg cpu lim)/cpu.shares")" = 512 ]
  [ "$(cat "$(ccg cpuset lim)/cpuset.cpus")" = 0 ]
  [ "$(cat "$(ccg pids lim)/pids.max")" = 50 ]
  d=$(ccg blkio lim)
  if [ -e "$d/blkio.weight" ]; then [ "$(cat "$d/blkio.weight")" = 300 ]; else [ "$(awk '{print $NF}' "$d/blkio.bfq.weight")" = 300 ]; fi
  # the container's own processes carry the oom score adjustment
  [ "$(sk exec lim cat /proc/1/oom_score_adj)" = 500 ]
  run sk inspect --format '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.CpusetCpus}}' lim
  [ "$output" = "67108864 500000000 50 0" ]
}

@test "resource flags: a pids limit stops a fork bomb's growth; the memory limit OOM-kills" {
  run sk run --pids-limit 5 busybox sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 30 & done; wait'
  [[ "$output" == *"can't fork"* ]] || [[ "$output" == *"Resource temporarily unavailable"* ]]
  run sk run --name hog --memory 16m --memory-swap 16m busybox sh -c 'x=$(head -c 64m /dev/zero | tr "\0" a); echo survived'
  [ "$status" -eq 137 ]
  [ "$(sk inspect --format '{{.State.OOMKilled}}' hog)" = true ]
}

@test "block I/O throttles of --device-read-bps and --device-write-iops reach the kernel" {
  v1 || skip "cgroup v1 files"
  dev=""
  for b in /sys/block/*; do
    case "$(basename "$b")" in loop*|ram*|zram*) continue ;; esac
    [ -b "/dev/$(basename "$b")" ] && dev=$(basename "$b") && break
  done
  [ -n "$dev" ] || skip "no block device on this machine"
  sk run -d --name io --device-read-bps "/dev/$dev:1mb" --device-write-iops "/dev/$dev:100" busybox sleep 600
  majmin=$(cat "/sys/block/$dev/dev")
  grep -qx "$majmin 1048576" "$(ccg blkio io)/blkio.throttle.read_bps_device"
  grep -qx "$majmin 100" "$(ccg blkio io)/blkio.throttle.write_iops_device"
}

@test "--memory-high on cgroup v1: refused in one line, exit 125, nothing made" {
  v1 || skip "cgroup v2 has memory.high (tests/vm/engine.bats)"
  run sk run --name soft --memory-high 32m busybox true
  [ "$status" -eq 125 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *"MemoryHigh: needs cgroup v2"* ]]
  [ -z "$(sk ps -aq)" ]
  [ -z "$(ls "$DR/containers" 2> /dev/null)" ]
}

@test "--ulimit: the limits inside; the defaults work on a host with a low hard limit; more than the host grants is refused clearly" {
  run sk run --ulimit nofile=1024:2048 busybox sh -c 'ulimit -n; ulimit -Hn'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1024 ]
  [ "${lines[1]}" = 2048 ]
  # no --ulimit: whatever this host grants works
  run sk run busybox sh -c 'ulimit -n'
  [ "$status" -eq 0 ]
  hard=$(ulimit -Hn)
  run sk run --name toomuch --ulimit nofile=$((hard + 1)):$((hard + 1)) busybox true
  [ "$status" -eq 125 ]
  [ "$output" = "skiff: HostConfig.Ulimits[0]: nofile: hard limit $((hard + 1)) is above this host's hard limit $hard" ]
  [ "$(sk ps -aq | wc -l)" -eq 2 ]
  [ "$(ls "$DR/containers" | wc -l)" -eq 2 ]
  run sk run --ulimit bogus=1 busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"invalid ulimit type: bogus"* ]]
}

@test "security flags: capabilities, no-new-privileges, seccomp, privileged" {
  capeff() { sk run "$@" busybox awk '/^CapEff/ {print $2}' /proc/self/status; }
  default=$(capeff)
  dropped=$(capeff --cap-drop NET_RAW)
  [ "$default" != "$dropped" ]
  # CAP_NET_RAW is bit 13
  [ $((0x$default >> 13 & 1)) -eq 1 ]
  [ $((0x$dropped >> 13 & 1)) -eq 0 ]
  added=$(capeff --cap-add SYS_ADMIN)
  [ $((0x$added >> 21 & 1)) -eq 1 ]
  [ "$(capeff --cap-drop ALL)" = 0000000000000000 ]
  [ "$(sk run --security-opt no-new-privileges busybox awk '/^NoNewPrivs/ {print $2}' /proc/self/status)" = 1 ]
  [ "$(sk run busybox awk '/^Seccomp:/ {print $2}' /proc/self/status)" = 2 ]
  [ "$(sk run --security-opt seccomp=unconfined busybox awk '/^Seccomp:/ {print $2}' /proc/self/status)" = 0 ]
  # --privileged: every capability, the host's devices, no seccomp
  [ "$(sk run --privileged busybox awk '/^Seccomp:/ {print $2}' /proc/self/status)" = 0 ]
  sk run --privileged busybox test -e /dev/kmsg
  run sk run busybox test -e /dev/kmsg
  [ "$status" -eq 1 ]
  # a seccomp profile from a file: mkdir refused with EPERM
  cat > "$BATS_TEST_TMPDIR/prof.json" << 'JSON'
{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
JSON
  run sk run --security-opt "seccomp=$BATS_TEST_TMPDIR/prof.json" busybox mkdir /tmp/x
  [ "$status" -ne 0 ]
  [[ "$output" == *"Operation not permitted"* ]]
  run sk run --security-opt seccomp=/nonexistent/profile.json busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"/nonexistent/profile.json"* ]]
}

@test "filesystem flags: --read-only with --tmpfs, --shm-size, --device, --sysctl" {
  run sk run --read-only --tmpfs /scratch:size=1m busybox sh -c 'touch /x 2>&1; touch /scratch/y && echo ok'
  [[ "$output" == *"Read-only file system"* ]]
  [[ "$output" == *ok ]]
  [ "$(sk run --shm-size 8m busybox df -k /dev/shm | awk 'NR == 2 {print $2}')" = 8192 ]
  run sk run --device /dev/null:/dev/mynull busybox sh -c 'echo hi > /dev/mynull && echo written'
  [ "$output" = written ]
  [ "$(sk run --sysctl kernel.msgmax=4096 busybox cat /proc/sys/kernel/msgmax)" = 4096 ]
  run sk run --sysctl kernel.hostname=x busybox true
  [ "$status" -eq 125 ]
}

@test "process flags: user, groups, workdir, environment, hostname, entrypoint, labels, stop signal" {
  [ "$(sk run -u 1000:1000 --group-add 10 busybox id)" = "uid=1000 gid=1000 groups=10(wheel)" ] ||
    [ "$(sk run -u 1000:1000 --group-add 10 busybox id -G)" = "1000 10" ]
  [ "$(sk run -u nobody busybox id -un)" = nobody ]
  [ "$(sk run -w /tmp/new busybox pwd)" = /tmp/new ]
  printf 'A=from-file\n# a comment\nB\n' > "$BATS_TEST_TMPDIR/env"
  [ "$(B=from-host sk run --env-file "$BATS_TEST_TMPDIR/env" -e C=c busybox sh -c 'echo $A $B $C')" = "from-file from-host c" ]
  [ "$(sk run --hostname box busybox hostname)" = box ]
  [ "$(sk run --entrypoint echo busybox hi)" = hi ]
  sk create --name meta --label a=b --stop-signal SIGUSR1 --stop-timeout 3 busybox true
  run sk inspect --format '{{.Config.Labels.a}} {{.Config.StopSignal}} {{.Config.StopTimeout}}' meta
  [ "$output" = "b SIGUSR1 3" ]
  run sk run -u nosuchuser busybox true
  [ "$status" -ne 0 ]
  [[ "$output" == *nosuchuser* ]]
}
