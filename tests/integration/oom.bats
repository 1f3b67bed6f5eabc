#!/usr/bin/env bats
# OOM, told properly: the shim notices each OOM kill as it happens (the v1
# eventfd or the v2 watch of memory.events), finds the victim in the kernel's
# report, writes STATE_DIR/oom.json and appends one oom event; inspect shows
# State.OOMKilled as docker, and State.OOMKill (Pid, Command, At, Memory).
# And stats' extra fields: the pressure (PSI) where a cgroup2 directory gives
# it, block I/O by device. Each test has its own data root, exec root and
# cgroup parent, and leaves nothing behind.

load helpers
load engine

now() { date +%s.%N; }

# the oom events of a container between two times, one name a line
ooms() { # SINCE UNTIL
  sk events --since "$1" --until "$2" --filter event=oom --format '{{.Action}} {{.Actor.Attributes.name}}'
}

# whether the host gives PSI for cgroups: a cgroup2 mount with pressure files
have_psi() {
  local m
  for m in $(awk '$9 == "cgroup2" {print $5}' /proc/self/mountinfo); do
    [ -r "$m/cpu.pressure" ] && cat "$m/cpu.pressure" > /dev/null 2>&1 && return 0
  done
  return 1
}

@test "oom: the init killed by the OOM killer: exit 137, OOMKilled, the victim, its memory, one oom event" {
  t0=$(now)
  run sk run --name hog -m 32m --memory-swap 32m busybox sh -c 'x=a; while :; do x="$x$x"; done'
  [ "$status" -eq 137 ]
  t1=$(now)
  run sk inspect --format '{{.State.Status}} {{.State.OOMKilled}} {{.State.ExitCode}}' hog
  [ "$output" = "exited true 137" ]
  sk inspect hog | jq -e '.[0].State.OOMKill | (.Pid > 0) and (.Command | startswith("sh"))
    and .Count == 1 and (.At | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$"))'
  # the breakdown at that moment: most of the limit is the shell's anonymous memory
  sk inspect hog | jq -e '.[0].State.OOMKill.Memory | (.Anon > 8*1048576) and (.Anon <= 33*1048576)
    and has("File") and has("ActiveAnon") and has("InactiveAnon") and has("ActiveFile")
    and has("InactiveFile") and (.ActiveAnon + .InactiveAnon <= .Anon + 1048576)'
  echo "# $(sk inspect --format '{{json .State.OOMKill}}' hog)" >&3
  # the time of the kill lies within the run
  at=$(sk inspect --format '{{.State.OOMKill.At}}' hog)
  at_s=$(date -d "$at" +%s)
  [ "$at_s" -ge "${t0%.*}" ] && [ "$at_s" -le "${t1%.*}" ]
  # one oom event for the one kill, none again at the exit
  run ooms "$t0" "$(now)"
  [ "$output" = "oom hog" ]
}

@test "oom: a child killed while the init lives on: reported at once, the container still running" {
  t0=$(now)
  id=$(sk run -d --name parent -m 32m --memory-swap 32m busybox \
    sh -c 'sh -c "x=a; while :; do x=\$x\$x; done"; echo child-gone; exec sleep 1000')
  until_true '[ -n "$(sk inspect --format "{{.State.OOMKill}}" parent 2> /dev/null | grep -v "<no value>")" ]'
  until_true 'sk logs parent | grep -q child-gone'
  run sk inspect --format '{{.State.Status}} {{.State.OOMKilled}}' parent
  [ "$output" = "running true" ]
  # the victim is the child, not the init
  init=$(sk inspect --format '{{.State.Pid}}' parent)
  sk inspect parent | jq -e --argjson init "$init" '.[0].State.OOMKill | .Pid > 0 and .Pid != $init
    and (.Command | startswith("sh")) and .Memory.Anon > 8*1048576'
  [ -s "$XR/containers/$id/oom.json" ]
  echo "# $(cat "$XR/containers/$id/oom.json")" >&3
  run ooms "$t0" "$(now)"
  [ "$output" = "oom parent" ]
  sk rm -f parent
  assert_gone "$id"
}

@test "oom: an exec'd process killed: reported, the container still running" {
  id=$(sk run -d --name target -m 32m --memory-swap 32m busybox sleep 1000)
  init=$(sk inspect --format '{{.State.Pid}}' target)
  run sk exec target sh -c 'x=a; while :; do x="$x$x"; done'
  [ "$status" -eq 137 ]
  until_true '[ -s "$XR/containers/$id/oom.json" ]'
  [ "$(sk inspect --format '{{.State.Status}} {{.State.OOMKilled}}' target)" = "running true" ]
  sk inspect target | jq -e --argjson init "$init" '.[0].State.OOMKill | .Count == 1 and .Pid > 0
    and .Pid != $init and (.Command | startswith("sh"))'
  sk rm -f target
  assert_gone "$id"
}

@test "oom: a container without a kill has no OOMKill and no oom event" {
  t0=$(now)
  sk run --name calm -m 32m busybox true
  run sk inspect --format '{{.State.OOMKilled}}' calm
  [ "$output" = false ]
  sk inspect calm | jq -e '.[0].State | has("OOMKill") | not'
  run ooms "$t0" "$(now)"
  [ -z "$output" ]
}

@test "oom: a restart of a container that was OOM-killed forgets the kill" {
  sk run --name again -m 32m --memory-swap 32m busybox sh -c 'x=a; while :; do x="$x$x"; done' || true
  [ "$(sk inspect --format '{{.State.OOMKilled}}' again)" = true ]
  # a second run that exits by itself (the same command would be killed again)
  sk rm again
  sk create --name again -m 32m busybox sh -c 'exit 0'
  sk start -a again
  run sk inspect --format '{{.State.OOMKilled}} {{.State.ExitCode}}' again
  [ "$output" = "false 0" ]
  sk inspect again | jq -e '.[0].State | has("OOMKill") | not'
}

@test "stats: block I/O by device after the container writes with O_DIRECT" {
  sk run -d --name writer busybox sh -c \
    'dd if=/dev/zero of=/direct bs=1M count=4 oflag=direct 2> /dev/null; echo written; exec sleep 1000'
  until_true 'sk logs writer | grep -q written'
  run sk stats --no-stream --format '{{json .}}' writer
  [ "$status" -eq 0 ]
  row=$output
  echo "$row" | jq -e '(.BlockIODevices | type) == "array" and (.BlockIOByDevice | type) == "string"'
  # the writable layer's device: the test's data root is on one
  dev=$(stat -c '%d' "$DR")
  maj=$((dev >> 8)) min=$((dev & 255))
  if [ -e "/sys/dev/block/$maj:$min" ]; then
    name=$(sed -n 's/^DEVNAME=//p' "/sys/dev/block/$maj:$min/uevent")
    # overlay over a partition: its disk may be the one counted
    echo "$row" | jq -e '[.BlockIODevices[] | select(.WriteBytes >= 4*1048576 and .WriteOps > 0)] | length >= 1'
    echo "$row" | jq -e '.BlockIODevices[] | select(.WriteBytes >= 4*1048576) | (.Device | length > 0) and .Major >= 0 and .Minor >= 0'
    [[ "$(echo "$row" | jq -r .BlockIOByDevice)" =~ [a-z0-9:]+\ [0-9.]+[kMG]?B\ /\ [0-9.]+[kMG]?B ]]
    echo "# written on $name ($maj:$min): $(echo "$row" | jq -c .BlockIOByDevice)" >&3
  fi
  # a format of the one field
  run sk stats --no-stream --format '{{.Name}} {{.BlockIOByDevice}}' writer
  [[ "$output" == "writer "* ]]
  sk rm -f writer
}

@test "stats: the pressure (PSI) where a cgroup2 directory gives it, \"--\" where not" {
  sk run -d --name busy busybox sleep 1000
  run sk stats --no-stream --format '{{json .}}' busy
  [ "$status" -eq 0 ]
  row=$output
  if have_psi; then
    for f in CPUPressure MemPressure IOPressure; do
      echo "$row" | jq -e --arg f "$f" '.[$f] | test("^[0-9]+\\.[0-9]{2}% / [0-9]+\\.[0-9]{2}%$")'
    done
    echo "$row" | jq -e '.PSI | (.cpu.some | has("avg10") and has("avg60") and has("avg300") and has("total"))
      and (.memory.full.total >= 0) and (.io.some.avg10 >= 0)'
  else
    echo "$row" | jq -e '.CPUPressure == "--" and .MemPressure == "--" and .IOPressure == "--" and .PSI == {}'
  fi
  run sk stats --no-stream --format '{{.MemPressure}}' busy
  [ "$status" -eq 0 ]
  [ -n "$output" ]
  # docker's default table stays docker's
  run sk stats --no-stream busy
  # (the columns as wide as what they hold: NET I/O counts the bridge's bytes)
  [ "$(echo "${lines[0]}" | tr -s ' ')" = "CONTAINER ID NAME CPU % MEM USAGE / LIMIT MEM % NET I/O BLOCK I/O PIDS" ]
  sk rm -f busy
}
