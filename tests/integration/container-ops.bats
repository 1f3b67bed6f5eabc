#!/usr/bin/env bats
# pause, unpause, rename, restart, top, container prune: docker's output and
# messages, against real containers; nothing left behind.

load helpers
load engine

@test "pause and unpause: the processes frozen and thawed; docker's messages otherwise" {
  id=$(sk run -d --name pp busybox sh -c 'i=0; while :; do i=$((i+1)); echo $i > /tmp/n; sleep 0.05; done')
  run sk pause pp
  [ "$status" -eq 0 ] && [ "$output" = pp ]
  [ "$(sk inspect --format '{{.State.Status}} {{.State.Paused}}' pp)" = "paused true" ]
  [[ "$(sk ps --format '{{.Status}}')" == *"(Paused)" ]]
  pid=$(sk inspect --format '{{.State.Pid}}' pp)
  a=$(cat /proc/$pid/root/tmp/n); sleep 0.5; b=$(cat /proc/$pid/root/tmp/n)
  [ "$a" = "$b" ]
  run sk pause pp
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: container $id is already paused" ]
  run sk unpause pp
  [ "$status" -eq 0 ] && [ "$output" = pp ]
  until_true "[ \"\$(cat /proc/$pid/root/tmp/n)\" != \"$b\" ]"
  [ "$(sk events --since 0 --until "$(date +%s.%N)" --filter event=pause --filter event=unpause --format '{{.Action}}' | tr '\n' ' ')" = "pause unpause " ]
  run sk unpause pp
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: container $id is not paused" ]
  # a paused container is stopped all the same
  sk pause pp
  run sk stop -t 1 pp
  [ "$status" -eq 0 ]
  run sk pause pp
  [ "$output" = "Error response from daemon: container $id is not running" ]
}

@test "rename: the new name everywhere; a taken or bad name refused" {
  sk create --name aa busybox true > /dev/null
  id=$(sk create --name bb busybox true)
  run sk rename bb cc
  [ "$status" -eq 0 ]
  [ "$(sk inspect --format '{{.Name}}' "$id")" = /cc ]
  run sk rename cc aa
  [ "$status" -eq 1 ]
  [[ "$output" == *'Conflict. The container name "/aa" is already in use by container'* ]]
  run sk rename cc 'no good'
  [ "$status" -eq 1 ]
  [[ "$output" == *"Invalid container name (no good)"* ]]
  run sk rename cc cc
  [ "$output" = "Error response from daemon: Renaming a container with the same name as its current name" ]
  # the rename event names the old name
  [ "$(sk events --since 0 --until "$(date +%s.%N)" --filter event=rename --format '{{.Actor.Attributes.oldName}} {{.Actor.Attributes.name}}')" = "bb cc" ]
  run sk rename nosuch dd
  [ "$output" = "Error response from daemon: No such container: nosuch" ]
}

@test "restart: a new process, the count kept; top lists the container's processes only" {
  sk run -d --name rr busybox sh -c 'sleep 1000 & sleep 1001'
  pid1=$(sk inspect --format '{{.State.Pid}}' rr)
  run sk restart -t 0 rr
  [ "$status" -eq 0 ] && [ "$output" = rr ]
  pid2=$(sk inspect --format '{{.State.Pid}}' rr)
  [ "$pid1" != "$pid2" ]
  [ "$(sk inspect --format '{{.RestartCount}} {{.State.Running}}' rr)" = "1 true" ]
  until_true "[ \"\$(sk top rr | grep -c 'sleep 10')\" = 2 ]"
  run sk top rr
  [[ "${lines[0]}" == UID*PID*PPID*CMD ]]
  # the shell ran its last command in its own place: two sleeps, and nothing else
  [ "${#lines[@]}" -eq 3 ]
  [[ "$output" != *"skiff top"* ]]
  run sk top rr -o pid,comm
  [[ "${lines[0]}" == *PID*COMMAND* ]]
  sk stop -t 0 rr
  run sk top rr
  [ "$status" -eq 1 ]
  [[ "$output" == *"is not running"* ]]
}

@test "container prune: the stopped ones go, the running one stays; their writable layers' size counted" {
  sk run --name done1 busybox sh -c 'head -c 2000000 /dev/zero > /big'
  sk create --name made busybox true > /dev/null
  sk run -d --name up busybox sleep 1000 > /dev/null
  run sk container prune -f
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "Deleted Containers:" ]
  [ "${#lines[@]}" -eq 4 ]
  [ "${lines[3]}" = "Total reclaimed space: 2MB" ]
  [ "$(sk ps -a --format '{{.Names}}')" = up ]
}

@test "stats --no-stream: docker's columns, the CPU of a busy container, the memory limit, the breakdown docker lacks" {
  sk run -d --name busy -m 64m busybox sh -c 'while :; do :; done' > /dev/null
  sk run -d --name idle busybox sleep 1000 > /dev/null
  run sk stats --no-stream
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == "CONTAINER ID"*"NAME"*"CPU %"*"MEM USAGE / LIMIT"*"MEM %"*"NET I/O"*"BLOCK I/O"*"PIDS" ]]
  [ "${#lines[@]}" -eq 3 ]
  run sk stats --no-stream --format '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}' busy
  [ "${#lines[@]}" -eq 1 ]
  read -r name cpu used slash limit pids <<< "$output"
  [ "$name" = busy ] && [ "$limit" = 64MiB ] && [ "$pids" = 1 ]
  # a shell spinning: most of a CPU between the two samples
  [ "${cpu%%.*}" -ge 30 ]
  run sk stats --no-stream --format '{{.MemAnon}} {{.MemFile}} {{.MemInactiveFile}}' idle
  [[ "$output" =~ ^[0-9]+\ [0-9]+\ [0-9]+$ ]]
  run sk stats --no-stream nosuch
  [ "$status" -eq 1 ]
  [ "$output" = "skiff: No such container: nosuch" ]
}
