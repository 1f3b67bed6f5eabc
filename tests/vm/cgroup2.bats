#!/usr/bin/env bats
# Containers on a pure cgroup v2 host: what a user sees outside (the files of
# the container's cgroup, the kernel's log) and inside (its cgroup namespace).
# tests/vm/run runs this file in a VM booted with cgroup_no_v1=all, with the
# release build (everything there is ~40 times slower: keep loops short).
# Needs what tests/integration/helpers.bash needs: SKIFF_RUNTIME,
# SKIFF_TEST_WORK with a rootfs from tests/make-rootfs, SKIFF_TEST_CGROUP.

load ../integration/helpers

setup_file() {
  [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || skip "/sys/fs/cgroup is not cgroup2 (tests/vm/run boots a VM where it is)"
  grep -c . /proc/self/mountinfo > "$BATS_FILE_TMPDIR/mounts"
  # the config every test starts from, as new_bundle (helpers.bash) makes it
  "$SKIFF_RUNTIME" spec --bundle "$BATS_FILE_TMPDIR"
  jq '.process.terminal = false' "$BATS_FILE_TMPDIR/config.json" > "$BATS_FILE_TMPDIR/base.json"
}

teardown() {
  cleanup_containers
  # a process of the test's own, outside any container
  if [ -n "${OUTSIDER:-}" ]; then
    kill "$OUTSIDER" 2> /dev/null || true
    wait "$OUTSIDER" 2> /dev/null || true
  fi
  # what a test that expects a leak found: thawed, killed and removed, so that
  # the last test checks the others
  if [ -n "${SCRUB_CGROUP:-}" ] && [ -d "$CG" ]; then
    echo 0 > "$CG/cgroup.freeze"
    echo 1 > "$CG/cgroup.kill"
    wait_for cg_is cgroup.procs ""
    rmdir "$CG"
  fi
}

teardown_file() {
  rmdir "/sys/fs/cgroup/$CGROUP_PARENT" 2> /dev/null || true
}

# bundle JQ-FILTER ARG...: a new bundle in $BUNDLE for a container $CID whose
# cgroup is $CG and whose process runs ARGs (which may hold newlines), with
# JQ-FILTER applied to the config. Like new_bundle in helpers.bash, in one
# run of jq: jq takes ~0.7 s in the VM.
bundle() {
  local filter=$1
  shift
  BUNDLE="$BATS_TEST_TMPDIR/bundle"
  CID="t${BATS_TEST_NUMBER}-$$"
  CG="/sys/fs/cgroup/$CGROUP_PARENT/$CID"
  mkdir -p "$BUNDLE"
  ln -sfn "$ROOTFS" "$BUNDLE/rootfs"
  # each ARG as --arg aN: jq would take an ARG such as -c for its own option
  local -a named=()
  local i list=""
  for ((i = 1; i <= $#; i++)); do
    named+=(--arg "a$i" "${!i}")
    list+="${list:+, }\$a$i"
  done
  jq "${named[@]}" --arg path "/$CGROUP_PARENT/$CID" \
    ".linux.cgroupsPath = \$path | .process.args = [$list] | $filter" \
    "$BATS_FILE_TMPDIR/base.json" > "$BUNDLE/config.json"
  cd "$BUNDLE"
}

# cg_is FILE VALUE: the file of the container's cgroup (as the host sees it)
# holds VALUE. Reads with a builtin: an exec costs ~60 ms in the VM.
cg_is() {
  local v=""
  IFS= read -r -d '' v < "$CG/$1" || true
  v=${v%$'\n'}
  [ "$v" = "$2" ] || { echo "$CG/$1 is \`$v\`, not \`$2\`"; return 1; }
}

# cg_key FILE KEY: the value of KEY in a flat-keyed file such as memory.events
cg_key() {
  local k v
  while read -r k v; do
    [ "$k" = "$2" ] && { echo "$v"; return 0; }
  done < "$CG/$1"
  echo "no $2 in $CG/$1" >&2
  return 1
}

# the number of processes in the container's cgroup
cg_procs() {
  local p n=0
  while read -r p; do n=$((n + 1)); done < "$CG/cgroup.procs"
  echo "$n"
}

procs_are() {
  [ "$(cg_procs)" -eq "$1" ]
}

# A faster version of state_status (helpers.bash), without jq.
state_status() {
  local s
  s=$(runtime state "$1") || return 1
  [[ $s =~ \"status\":[[:space:]]*\"([a-z]+)\" ]] && echo "${BASH_REMATCH[1]}"
}

init_pid() {
  local s
  s=$(runtime state "$CID") || return 1
  [[ $s =~ \"pid\":[[:space:]]*([0-9]+) ]] && echo "${BASH_REMATCH[1]}"
}

# user + system CPU time of a process, in clock ticks
cpu_ticks() {
  local stat
  read -r stat < "/proc/$1/stat"
  set -- ${stat##*) }
  echo $((${12} + ${13}))
}

# ran_since PID TICKS: the process has used CPU since cpu_ticks said TICKS
ran_since() {
  [ "$(cpu_ticks "$1")" != "$2" ]
}

# try_detached [timeout SECS] ARGS...: `runtime ARGS` (a run -d or create),
# setting $status and $output (stderr, split into $lines) as bats' `run` does,
# without `run`: it would wait for the container's process, which keeps the
# runtime's stdout open.
try_detached() {
  local -a prefix=()
  [ "$1" != timeout ] || { prefix=(timeout "$2"); shift 2; }
  status=0
  # no fd 3 either: bats waits for all its holders
  "${prefix[@]}" "$SKIFF_RUNTIME" --root "$STATE_ROOT" "$@" < /dev/null > /dev/null 2> "$BATS_TEST_TMPDIR/stderr" 3>&- || status=$?
  output=$(< "$BATS_TEST_TMPDIR/stderr")
  mapfile -t lines <<< "$output"
  [ -n "$output" ] || lines=()
}

# refused PATTERN: `run` fails with one line matching PATTERN, leaving nothing
refused() {
  run runtime run "$CID"
  [ "$status" -ne 0 ] || { echo "exit status 0"; return 1; }
  [ "${#lines[@]}" -eq 1 ] || { echo "not one line: $output"; return 1; }
  [[ "$output" == $1 ]] || { echo "got: $output"; echo "want: $1"; return 1; }
  assert_no_trace "$CID"
}

@test "the VM is pure cgroup v2: /sys/fs/cgroup is cgroup2 and no v1 hierarchy exists" {
  [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]
  run awk '$3 == "cgroup"' /proc/self/mounts
  [ -z "$output" ]
  for c in cpuset cpu io memory pids; do
    [[ " $(< /sys/fs/cgroup/cgroup.controllers) " == *" $c "* ]]
  done
}

@test "a container with the default spec runs (its masked directories are empty)" {
  new_bundle sh -c 'echo "acpi=[$(ls -A /proc/acpi)] firmware=[$(ls -A /sys/firmware)]"'
  run runtime run "$CID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "acpi=[] firmware=[]" ]
}

@test "memory, cpu, cpuset, pids, blkio and hugetlb values reach the cgroup2 files" {
  bundle '.linux.resources += {
    "memory": {"limit": 67108864, "reservation": 33554432, "swap": 100663296},
    "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"},
    "pids": {"limit": 100}, "blockIO": {"weight": 500},
    "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}]}' sleep 100
  runtime run -d "$CID"
  cg_is memory.max 67108864
  cg_is memory.low 33554432
  # OCI's swap is memory + swap; memory.swap.max is the swap alone
  cg_is memory.swap.max 33554432
  # shares 2..262144 map onto weight 1..10000: 1 + (512 - 2) * 9999 / 262142
  cg_is cpu.weight 20
  cg_is cpu.max "50000 100000"
  cg_is cpuset.cpus 0
  cg_is cpuset.mems 0
  cg_is pids.max 100
  # blkio 10..1000 maps onto io.weight 1..10000: 1 + (500 - 10) * 9999 / 990
  cg_is io.weight "default 4950"
  cg_is hugetlb.2MB.max 4194304
  # the container's process is in that cgroup
  pid=$(init_pid)
  [ "$(< "/proc/$pid/cgroup")" = "0::/$CGROUP_PARENT/$CID" ]
  cg_is cgroup.procs "$pid"
  # and, from inside, may run on CPU 0 only
  run runtime exec "$CID" grep Cpus_allowed_list /proc/self/status
  [ "$(echo $output)" = "Cpus_allowed_list: 0" ]
}

@test "linux.resources.unified writes memory.high (and other files) as given" {
  bundle '.linux.resources.unified = {"memory.high": "50331648", "pids.max": "33"}' sleep 100
  runtime run -d "$CID"
  cg_is memory.high 50331648
  cg_is pids.max 33
  cg_is memory.max max
}

@test "a memory hog is OOM-killed at memory.max: the container exits 137" {
  bundle '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}' \
    dd if=/dev/zero of=/dev/null bs=64M count=1
  run runtime run "$CID"
  echo "$output"
  [ "$status" -eq 137 ]
  # the kernel's report: dd was killed because this cgroup was out of memory
  dmesg | grep "oom_memcg=/$CGROUP_PARENT/$CID,.*task=dd,"
  assert_no_trace "$CID"
}

@test "memory.high alone throttles a process above it but does not kill it" {
  # dd's 64 MiB buffer and the rest of the container go a little over
  # memory.high: the kernel reclaims and throttles, and dd finishes
  bundle '.linux.resources.unified = {"memory.high": "67108864"}' \
    sh -c 'dd if=/dev/zero of=/dev/null bs=64M count=1 2> /dev/null && echo survived; cat /sys/fs/cgroup/memory.events'
  run runtime run "$CID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = survived ]
  [[ $output =~ $'\n'high\ ([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -gt 0 ]
  [[ $output == *$'\n'"max 0"$'\n'* ]]
  [[ $output == *$'\n'"oom_kill 0"* ]]
}

@test "events reports an OOM kill in the container, which lives on" {
  bundle '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}' \
    sh -c 'dd if=/dev/zero of=/dev/null bs=64M count=1; exec sleep 100'
  runtime create "$CID"
  runtime events --interval 100ms "$CID" > "$BATS_TEST_TMPDIR/events" &
  events_pid=$!
  # events takes the OOM count to start from before the container runs
  wait_for grep -q '"type":"stats"' "$BATS_TEST_TMPDIR/events"
  runtime start "$CID"
  wait_for grep -q '"type":"oom"' "$BATS_TEST_TMPDIR/events"
  [ "$(cg_key memory.events oom_kill)" = 1 ]
  # the hog was killed, not the container's init
  [ "$(state_status "$CID")" = running ]
  # events ends by itself when the container stops
  runtime kill "$CID" KILL
  wait "$events_pid"
  [ "$(grep -c '"type":"oom"' "$BATS_TEST_TMPDIR/events")" -eq 1 ]
}

@test "a fork bomb stops at pids.max" {
  bundle '.linux.resources.pids = {"limit": 16}' \
    sh -c 'bomb() { bomb & bomb & wait; }; (bomb) 2> /dev/null & exec sleep 100'
  runtime run -d "$CID"
  wait_for grep -q "^max [1-9]" "$CG/pids.events"
  [ "$(< "$CG/pids.current")" -le 16 ]
  [ "$(cg_procs)" -le 16 ]
  [ "$(state_status "$CID")" = running ]
  runtime delete --force "$CID"
  assert_no_trace "$CID"
}

@test "inside, /sys/fs/cgroup is a read-only cgroup2 mount of the container's own cgroup" {
  bundle '.linux.resources += {"memory": {"limit": 67108864}, "pids": {"limit": 100}}' \
    sh -c 'cat /proc/self/cgroup
      grep " /sys/fs/cgroup " /proc/self/mounts | cut -d" " -f3
      cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max
      grep -qx 1 /sys/fs/cgroup/cgroup.procs && echo "pid 1 is in cgroup.procs"
      echo 5 > /sys/fs/cgroup/pids.max'
  run runtime run "$CID"
  echo "$output"
  [ "$status" -ne 0 ]
  # a cgroup namespace rooted at the container's cgroup
  [ "${lines[0]}" = "0::/" ]
  [ "${lines[1]}" = cgroup2 ]
  [ "${lines[2]}" = 67108864 ]
  [ "${lines[3]}" = 100 ]
  [ "${lines[4]}" = "pid 1 is in cgroup.procs" ]
  [[ "${lines[5]}" == *"Read-only file system"* ]]
}

@test "exec joins the container's cgroup" {
  bundle . sleep 100
  runtime run -d "$CID"
  run runtime exec "$CID" sh -c 'cat /proc/self/cgroup; cat /sys/fs/cgroup/pids.current; true'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "0::/" ]
  # sleep, sh and cat
  [ "${lines[1]}" = 3 ]
}

@test "update --memory and update --resources change the limits of a running container" {
  bundle '.linux.resources += {"memory": {"limit": 67108864}, "pids": {"limit": 100}}' sleep 100
  runtime run -d "$CID"
  runtime update --memory 50331648 "$CID"
  cg_is memory.max 50331648
  cg_is pids.max 100
  echo '{"pids": {"limit": 42}, "memory": {"limit": 41943040},
         "cpu": {"shares": 1024, "quota": 20000, "period": 100000},
         "unified": {"memory.high": "33554432"}}' |
    runtime update --resources - "$CID"
  cg_is pids.max 42
  cg_is memory.max 41943040
  cg_is cpu.weight 39
  cg_is cpu.max "20000 100000"
  cg_is memory.high 33554432
  # the container sees the new limit
  run runtime exec "$CID" cat /sys/fs/cgroup/pids.max
  [ "$output" = 42 ]
}

@test "pause freezes the container through cgroup.freeze and resume thaws it" {
  # a busy loop, held to 10% of a CPU
  bundle '.linux.resources.cpu = {"quota": 10000, "period": 100000}' sh -c 'while :; do :; done'
  runtime run -d "$CID"
  pid=$(init_pid)
  runtime pause "$CID"
  [ "$(state_status "$CID")" = paused ]
  cg_is cgroup.freeze 1
  [ "$(cg_key cgroup.events frozen)" = 1 ]
  before=$(cpu_ticks "$pid")
  sleep 0.5
  [ "$(cpu_ticks "$pid")" = "$before" ]
  runtime resume "$CID"
  [ "$(state_status "$CID")" = running ]
  cg_is cgroup.freeze 0
  [ "$(cg_key cgroup.events frozen)" = 0 ]
  wait_for ran_since "$pid" "$before"
}

@test "kill --all signals every process of the container" {
  bundle . sh -c 'sleep 100 & sleep 100 & wait'
  runtime run -d "$CID"
  wait_for procs_are 3
  pgrep_root "$ROOTFS"
  # KILL goes through cgroup.kill
  runtime kill --all "$CID" KILL
  wait_status "$CID" stopped
  cg_is cgroup.procs ""
  runtime delete "$CID"
  assert_no_trace "$CID"
  # another signal goes to each process: the init ignores TERM (it is PID 1
  # of its namespace), the sleeps die, so its wait returns and it exits
  runtime run -d "$CID"
  wait_for procs_are 3
  runtime kill --all "$CID" TERM
  wait_status "$CID" stopped
  runtime delete "$CID"
  assert_no_trace "$CID"
}

@test "events --stats reports pids.current, the limits and the usage" {
  bundle '.linux.resources += {"pids": {"limit": 50}, "memory": {"limit": 67108864}}' sleep 100
  runtime run -d "$CID"
  cg_is pids.current 1
  run runtime events --stats "$CID"
  echo "$output"
  [ "$status" -eq 0 ]
  echo "$output" | jq -e --arg id "$CID" '
    .type == "stats" and .id == $id and .data.pids.current == 1 and
    .data.pids.limit == 50 and .data.memory.usage.limit == 67108864 and
    .data.memory.usage.usage > 0 and .data.cpu.usage.total > 0'
}

@test "events --stats reports the pressure (PSI) of cpu, memory and io where the kernel gives it" {
  [ -r /sys/fs/cgroup/cpu.pressure ] && cat /sys/fs/cgroup/cpu.pressure > /dev/null 2>&1 ||
    skip "the kernel gives no PSI (CONFIG_PSI off, or psi=0)"
  bundle '.' sleep 100
  runtime run -d "$CID"
  run runtime events --stats "$CID"
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.data | [.cpu.psi, .memory.psi, .blkio.psi][]
    | (.some | has("avg10") and has("avg60") and has("avg300") and .total >= 0)'
  echo "$output" | jq -e '.data.memory.psi.full.total >= 0 and .data.blkio.psi.full.total >= 0'
}

@test "the shim reports an OOM kill as it happens (inotify on memory.events): the victim, its memory" {
  [ -x "${SKIFF_SHIM:-}" ] || skip "no skiff-shim"
  bundle '.linux.resources += {"memory": {"limit": 33554432}}' \
    sh -c 'sh -c "x=a; while :; do x=\$x\$x; done"; echo child-gone; exec sleep 100'
  SD="$BATS_TEST_TMPDIR/shim-state"
  "$SKIFF_SHIM" --id "$CID" --bundle "$BUNDLE" --runtime-root "$STATE_ROOT" --state-dir "$SD" \
    --log "$BATS_TEST_TMPDIR/log" --ready-fd 3 3> "$BATS_TEST_TMPDIR/ready" < /dev/null > /dev/null 2>&1 &
  SHIM=$!
  # (slow in the VM: up to a minute)
  local i
  for i in $(seq 600); do [ -s "$SD/oom.json" ] && break; sleep 0.1; done
  [ -s "$SD/oom.json" ]
  # the child was killed, the init lives on
  [ "$(state_status "$CID")" = running ]
  init=$(init_pid)
  echo "init $init, the report: $(cat "$SD/oom.json")" # shown should it fail
  # (the memory is memory.stat read when the event is seen: in the VM, 40
  # times slower, the victim's pages may be freed by then, so only its
  # shape is asserted here; oom.bats asserts the amount on the host)
  jq -e --argjson init "$init" '.Count == 1 and .Pid > 0 and .Pid != $init
    and (.Command | startswith("sh")) and (.Memory.Anon | type == "number")' "$SD/oom.json"
  runtime kill "$CID" KILL
  wait_for test -f "$SD/exit.json"
  wait "$SHIM"
  jq -e '.exit_code == 137 and .oom_killed == true' "$SD/exit.json"
}

@test "the eBPF device filter: a device no rule allows is EPERM, allowed ones work" {
  # both nodes are made (the default rules allow mknod); the rules allow
  # writing, not reading, the kmsg node, and nothing of the loop node
  mark="skiff-vm-test-$RANDOM$RANDOM"
  bundle '.linux.devices = [
      {"path": "/dev/loop-test", "type": "b", "major": 7, "minor": 200, "fileMode": 432},
      {"path": "/dev/kmsg-test", "type": "c", "major": 1, "minor": 11, "fileMode": 432}]
    | .linux.resources.devices = [{"allow": false, "access": "rwm"},
      {"allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"}]' \
    sh -c "head -c1 /dev/loop-test; echo x > /dev/null && echo 'null ok'
      echo '<6>$mark' > /dev/kmsg-test && echo 'kmsg write ok'"
  run runtime run "$CID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "head: /dev/loop-test: Operation not permitted" ]
  [ "${lines[1]}" = "null ok" ]
  [ "${lines[2]}" = "kmsg write ok" ]
  # the write reached the kernel's log
  dmesg | grep -q "$mark"
  # with read instead of write allowed, the write is refused
  update_config '.linux.resources.devices[1].access = "r"'
  run runtime run "$CID"
  echo "$output"
  [[ "${lines[2]}" == *"/dev/kmsg-test: Operation not permitted" ]]
}

@test "io.max throttles reads from a block device" {
  [ -r /sys/block/vda/dev ] || skip "the VM has no /dev/vda"
  IFS=: read -r maj min < /sys/block/vda/dev
  bundle ".linux.devices = [{\"path\": \"/dev/vda\", \"type\": \"b\", \"major\": $maj, \"minor\": $min}]
    | .linux.resources.devices += [{\"allow\": true, \"type\": \"b\", \"major\": $maj, \"minor\": $min, \"access\": \"r\"}]
    | .linux.resources.blockIO = {
        \"throttleReadBpsDevice\": [{\"major\": $maj, \"minor\": $min, \"rate\": 1048576}],
        \"throttleWriteIOPSDevice\": [{\"major\": $maj, \"minor\": $min, \"rate\": 100}]}" \
    dd if=/dev/vda of=/dev/null bs=256k count=8 iflag=direct
  runtime create "$CID"
  cg_is io.max "$maj:$min rbps=1048576 wbps=max riops=max wiops=100"
  start=$EPOCHREALTIME
  runtime start "$CID"
  wait_status "$CID" stopped
  end=$EPOCHREALTIME
  elapsed_ms=$(((${end/./} - ${start/./}) / 1000))
  # 2 MiB at 1 MiB/s: about 2 s (the first slice may go at once)
  echo "read 2 MiB in $elapsed_ms ms"
  [ "$elapsed_ms" -ge 1000 ]
  [[ $(< "$CG/io.stat") =~ $maj:$min\ rbytes=([0-9]+) ]]
  [ "${BASH_REMATCH[1]}" -ge 2097152 ]
}

@test "delete removes the container's cgroup, of a created and of a running container" {
  bundle . sh -c 'sleep 100 & sleep 100 & wait'
  runtime create "$CID"
  [ -d "$CG" ]
  runtime delete "$CID"
  [ ! -e "$CG" ]
  assert_no_trace "$CID"
  runtime run -d "$CID"
  wait_for procs_are 3
  runtime delete --force "$CID"
  [ ! -e "$CG" ]
  assert_no_trace "$CID"
}

@test "disableOOMKiller on cgroup v2 is a one-line error that names it, and leaves nothing" {
  bundle '.linux.resources.memory = {"limit": 67108864, "disableOOMKiller": true}' true
  refused "skiff-runtime: *linux.resources.memory.disableOOMKiller: not supported on cgroup v2*"
}

@test "other settings cgroup v2 cannot honour are one-line errors that name them" {
  bundle '.linux.resources.cpu = {"realtimeRuntime": 950000}' true
  refused "skiff-runtime: *linux.resources.cpu.realtimeRuntime: not supported on cgroup v2*"
  update_config 'del(.linux.resources.cpu) | .linux.resources.unified = {"memory.nosuch": "1"}'
  refused "skiff-runtime: *linux.resources.unified: \`memory.nosuch\` does not exist*"
  update_config 'del(.linux.resources.unified) | .linux.resources.memory = {"limit": 67108864, "swap": 33554432}'
  refused "skiff-runtime: *linux.resources.memory.swap: 33554432 is below memory.limit 67108864*"
}

@test "linux.resources.unified cannot move a process outside the container into its cgroup" {
  # a process outside any container, which the container's cgroup must not get
  sleep 1000 3>&- &
  OUTSIDER=$!
  outside=$(< "/proc/$OUTSIDER/cgroup")
  bundle ".linux.resources.unified = {\"cgroup.procs\": \"$OUTSIDER\"}" sleep 100
  try_detached run -d "$CID"
  echo "$output"
  echo "the outside process is in $(< "/proc/$OUTSIDER/cgroup")"
  runtime delete --force "$CID" 2> /dev/null || true
  kill -0 "$OUTSIDER" || { echo "delete --force killed the outside process"; return 1; }
  [ "$(< "/proc/$OUTSIDER/cgroup")" = "$outside" ]
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *"cgroup.procs"* ]]
  assert_no_trace "$CID"
}

@test "linux.resources.unified cgroup.freeze neither hangs run nor leaves anything after delete --force" {
  bundle '.linux.resources.unified = {"cgroup.freeze": "1"}' sleep 100
  SCRUB_CGROUP=1
  try_detached timeout 10 run -d "$CID"
  echo "$output"
  # whatever run did, delete --force leaves nothing
  runtime delete --force "$CID" || true
  if [ -d "$CG" ]; then
    echo "delete --force left $CG, with the processes: $(echo $(< "$CG/cgroup.procs"))"
    return 1
  fi
  [ "$status" -ne 124 ] || { echo "run hung (stopped after 10 s)"; return 1; }
  [ "$status" -ne 0 ]
  [[ "$output" == *"cgroup.freeze"* ]]
  assert_no_trace "$CID"
}

@test "the suite leaves no container, cgroup, process or mount behind" {
  run runtime list -q
  [ -z "$output" ]
  run find "/sys/fs/cgroup/$CGROUP_PARENT" -mindepth 1 -type d
  [ -z "$output" ]
  ! pgrep_root "$ROOTFS"
  [ "$(grep -c . /proc/self/mountinfo)" -eq "$(< "$BATS_FILE_TMPDIR/mounts")" ]
}
