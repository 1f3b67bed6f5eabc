#!/usr/bin/env bats
# `skiff run` on a pure cgroup v2 host: the limits of the run flags in the
# container's cgroup files, skiff's own --memory-high (the soft limit that
# only throttles, which cgroup v1 does not have) and the pressure (PSI) the
# kernel gives there. tests/vm/run runs this file in the VM with the release
# build; everything is ~40 times slower there: few containers per test.

bats_require_minimum_version 1.5.0
load ../integration/helpers
load ../integration/engine

setup_file() {
  [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || skip "/sys/fs/cgroup is not cgroup2 (tests/vm/run boots a VM where it is)"
  [ -x "${SKIFF:-}" ] || skip "SKIFF is not set"
}

# until_true with the VM's pace: up to 2 minutes
until_slow() {
  local i
  for i in $(seq 240); do
    eval "$1" && return 0
    sleep 0.5
  done
  eval "$1"
}

teardown_file() {
  rmdir "/sys/fs/cgroup/$SKIFF_TEST_CGROUP" 2> /dev/null || true
}

@test "run --memory-high: memory.high in the container's own cgroup, memory.max from --memory, both in inspect" {
  run sk run --name soft --memory 64m --memory-high 32m --pids-limit 50 --cpus 0.5 busybox \
    sh -c 'cat /sys/fs/cgroup/memory.high /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 33554432 ]
  [ "${lines[1]}" = 67108864 ]
  [ "${lines[2]}" = 50 ]
  [ "${lines[3]}" = "50000 100000" ]
  run sk inspect --format '{{.HostConfig.MemoryHigh}} {{.HostConfig.Memory}}' soft
  [ "$output" = "33554432 67108864" ]
}

@test "run --memory-high: going over it throttles and reclaims, and kills nothing" {
  # 48 MiB of page cache (the VM's disk, read through) against a 16 MiB soft
  # limit: reclaimed, nothing killed
  [ -b /dev/vda ] || skip "the VM has no disk"
  sk run -d --name over --memory-high 16m --device /dev/vda busybox sh -c \
    'dd if=/dev/vda of=/dev/null bs=1M count=48 2> /dev/null; echo done; sleep 600'
  until_slow '[ "$(sk logs over)" = done ]'
  id=$(sk inspect --format '{{.Id}}' over)
  cg=/sys/fs/cgroup/$SKIFF_TEST_CGROUP/$BATS_TEST_NUMBER/$id
  # the kernel counted the breaches of memory.high, and no OOM kill
  [ "$(awk '$1 == "high" {print $2}' "$cg/memory.events")" -gt 0 ]
  [ "$(awk '$1 == "oom_kill" {print $2}' "$cg/memory.events")" = 0 ]
  [ "$(cat "$cg/memory.current")" -le $((24 * 1024 * 1024)) ]
  [ "$(sk inspect --format '{{.State.Status}} {{.State.OOMKilled}}' over)" = "running false" ]
}

@test "run: bad --memory-high values get docker-style messages and make nothing" {
  run sk run --memory-high nonsense busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"invalid argument \"nonsense\" for \"--memory-high\" flag"* ]]
  [ -z "$(sk ps -aq)" ]
}
