#!/usr/bin/env bats
# --ipc, --pid and --uts: host, container:NAME, and docker's IPC modes
# (private, shareable, none), seen from inside real containers.

load helpers
load engine

ns_of() { # NAME TYPE: the namespace of the container's init, from the host
  readlink "/proc/$(sk inspect --format '{{.State.Pid}}' "$1")/ns/$2"
}

@test "--ipc container:NAME: the same IPC namespace and /dev/shm as a shareable donor" {
  sk run -d --name donor --ipc shareable --shm-size 8m busybox sleep 1000 > /dev/null
  sk run -d --name joiner --ipc container:donor busybox sleep 1000 > /dev/null
  [ "$(ns_of donor ipc)" = "$(ns_of joiner ipc)" ]
  sk exec joiner sh -c 'echo from-joiner > /dev/shm/note'
  [ "$(sk exec donor cat /dev/shm/note)" = from-joiner ]
  sk exec donor sh -c 'echo from-donor > /dev/shm/back'
  [ "$(sk exec joiner cat /dev/shm/back)" = from-donor ]
  # the donor's size, a tmpfs
  [[ "$(sk exec joiner sh -c 'grep " /dev/shm " /proc/mounts')" == *"tmpfs"*"size=8192k"* ]]
  # another container with the default (private) IPC has its own
  sk run -d --name other busybox sleep 1000 > /dev/null
  [ "$(ns_of other ipc)" != "$(ns_of donor ipc)" ]
  [ -z "$(sk exec other ls /dev/shm)" ]
  # the joiner keeps running after the donor is gone, and rm leaves no mount
  donor=$(sk inspect --format '{{.Id}}' donor)
  sk rm -f donor > /dev/null
  assert_gone "$donor"
  [ "$(sk exec joiner cat /dev/shm/note)" = from-joiner ]
}

@test "--ipc container:NAME: docker's errors for a private, stopped or missing donor; nothing left" {
  sk run -d --name priv busybox sleep 1000 > /dev/null
  run sk run --rm --ipc container:priv busybox true
  [ "$status" -eq 125 ]
  [ "$output" = "skiff: container priv: non-shareable IPC (hint: use IpcMode:shareable for the donor container)" ]
  sk create --name stopped --ipc shareable busybox true > /dev/null
  run sk run --rm --ipc container:stopped busybox true
  [ "$status" -eq 125 ]
  [ "$output" = "skiff: cannot join IPC of a non running container: stopped" ]
  # the donor's IPC settings are its own
  sk run -d --name sdonor --ipc shareable busybox sleep 1000 > /dev/null
  run sk run --rm --ipc container:sdonor --sysctl kernel.shmmni=100 busybox true
  [ "$status" -eq 125 ]
  [ "$output" = "skiff: HostConfig.Sysctls: \`kernel.shmmni\` is not allowed in another container's IPC namespace (IpcMode container:)" ]
  sk rm -f sdonor > /dev/null
  run sk run --rm --ipc container:nosuch busybox true
  [ "$status" -eq 125 ]
  [ "$output" = "skiff: cannot join IPC of container nosuch: No such container: nosuch" ]
  # a created container starts once its donor runs
  sk create --name later --ipc container:stopped busybox sleep 1000 > /dev/null
  run sk start later
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: cannot join IPC of a non running container: stopped" ]
  [ "$(sk inspect --format '{{.State.Status}}' later)" = created ]
  sk start stopped > /dev/null || true
  # (busybox true ends at once: a donor that runs)
  sk rm -f stopped > /dev/null
  sk run -d --name stopped --ipc shareable busybox sleep 1000 > /dev/null
  run sk start later
  [ "$status" -eq 0 ]
  [ "$(ns_of later ipc)" = "$(ns_of stopped ipc)" ]
  [ "$(sk ps -aq | wc -l)" -eq 3 ]
}

@test "--pid container:NAME: the other container's processes; --pid host: the host's" {
  sk run -d --name pdonor busybox sleep 1000 > /dev/null
  run sk run --rm --pid container:pdonor busybox ps -o pid,args
  [ "$status" -eq 0 ]
  [[ "$output" == *"1 sleep 1000"* ]]
  sk run -d --name pjoin --pid container:pdonor busybox sleep 999 > /dev/null
  [ "$(ns_of pjoin pid)" = "$(ns_of pdonor pid)" ]
  [[ "$(sk exec pdonor ps -o args)" == *"sleep 999"* ]]
  run sk run --rm --pid host busybox cat /proc/1/comm
  [ "$status" -eq 0 ] && [ "$output" = "$(cat /proc/1/comm)" ]
  sk stop -t 0 pjoin > /dev/null
  sk stop -t 0 pdonor > /dev/null
  run sk run --rm --pid container:pdonor busybox true
  [ "$status" -eq 125 ]
  [ "$output" = "skiff: cannot join PID of a non running container: pdonor" ]
  run sk run --rm --pid container: busybox true
  [ "$status" -eq 125 ]
  [ "$output" = "skiff: --pid: invalid PID mode" ]
}

@test "--uts container:NAME: the other container's host name; --uts host: the host's" {
  sk run -d --name udonor --hostname named-donor busybox sleep 1000 > /dev/null
  run sk run --rm --uts container:udonor busybox sh -c 'hostname; cat /etc/hostname'
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'named-donor\nnamed-donor')" ]
  sk run -d --name ujoin --uts container:udonor busybox sleep 1000 > /dev/null
  [ "$(ns_of ujoin uts)" = "$(ns_of udonor uts)" ]
  # the joiner does not rename the donor
  [ "$(sk exec udonor hostname)" = named-donor ]
  run sk run --rm --uts host busybox sh -c 'hostname; cat /etc/hostname'
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '%s\n%s' "$(hostname)" "$(hostname)")" ]
  run sk run --rm --uts host --hostname x busybox true
  [ "$status" -eq 125 ]
  [ "$output" = "skiff: conflicting options: hostname and the UTS mode" ]
  run sk run --rm --uts container:udonor -h x busybox true
  [ "$status" -eq 125 ]
  [ "$output" = "skiff: conflicting options: hostname and the UTS mode" ]
  run sk run --rm --uts container:nosuch busybox true
  [ "$status" -eq 125 ]
  [ "$output" = "skiff: cannot join UTS of container nosuch: No such container: nosuch" ]
  run sk run --rm --uts private busybox true
  [ "$status" -eq 125 ]
  [ "$output" = "skiff: --uts: invalid UTS mode" ]
}

@test "--ipc host, none, private, shareable behave as docker's" {
  run sk run --rm --ipc host busybox readlink /proc/self/ns/ipc
  [ "$status" -eq 0 ] && [ "$output" = "$(readlink /proc/self/ns/ipc)" ]
  run sk run --rm --ipc private busybox readlink /proc/self/ns/ipc
  [ "$status" -eq 0 ] && [ "$output" != "$(readlink /proc/self/ns/ipc)" ]
  # none: an IPC namespace of its own, and no /dev/shm
  run sk run --rm --ipc none busybox sh -c 'readlink /proc/self/ns/ipc; grep -c " /dev/shm " /proc/mounts'
  [ "${lines[0]}" != "$(readlink /proc/self/ns/ipc)" ]
  [ "${lines[1]}" = 0 ]
  # shareable: a tmpfs of --shm-size, with nosuid, nodev, noexec
  run sk run --rm --ipc shareable --shm-size 4m busybox grep " /dev/shm " /proc/mounts
  [ "$status" -eq 0 ]
  [[ "$output" == "shm /dev/shm tmpfs rw,nosuid,nodev,noexec,"*"size=4096k"* ]]
  run sk run --rm --ipc sometimes busybox true
  [ "$status" -eq 125 ]
  [ "$output" = "skiff: --ipc: invalid IPC mode" ]
}
