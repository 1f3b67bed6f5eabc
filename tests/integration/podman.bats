#!/usr/bin/env bats
# podman runs its containers on skiff-runtime (`podman --runtime PATH`), with
# conmon as its monitor, as a user would: run, exec, a terminal, stop, kill,
# pause, limits, inspect, rm. Podman uses only what this file makes under
# $SKIFF_TEST_WORK/podman: its own root, runroot, tmpdir, containers.conf,
# registries.conf, storage.conf and policy.json; the image is imported from the
# suite's busybox rootfs (no pull, no network: every container has
# --network none). The last test takes it all down and checks that the host is
# as it was.
#
# Two facts of these machines: root has no CAP_SYS_RESOURCE and a hard limit of
# 20000 open files, so podman's default rlimits (nofile 1048576) fail with any
# runtime and every container gets --ulimit; crun 1.8, podman's default
# runtime, refuses the hybrid cgroup layout (skiff-runtime is given anyway).

load helpers
bats_require_minimum_version 1.5.0

PM_DIR="$SKIFF_TEST_WORK/podman"
PM="$PM_DIR/podman"  # podman with this file's flags and environment
IMAGE=localhost/skiff-test:latest
PM_CGROUP="/$CGROUP_PARENT/podman"
RUN_OPTS=(--network none --cgroup-parent "$PM_CGROUP"
  --ulimit nofile=20000:20000 --ulimit nproc=32768:32768)

pm() { "$PM" "$@"; }
pm_run() { "$PM" run "${RUN_OPTS[@]}" "$@"; }

# What podman may touch on the host outside $PM_DIR, to compare before and after.
host_state() {
  local d
  for d in /var/lib/containers /run/containers /run/libpod /etc/cni/net.d /var/lib/cni /run/cni \
    /run/netns /etc/containers; do
    if [ -e "$d" ]; then find "$d" -maxdepth 3 | sort; fi
  done
  # podman 4.3 runs `state` without its --runtime-flag options, so the runtime
  # keeps podman's containers in its default root: none may be left there
  # (its seccomp cache is no container's; teardown_file removes what it made)
  if [ -d /run/skiff-runtime ]; then
    find /run/skiff-runtime -mindepth 1 -maxdepth 1 ! -name .seccomp-cache | sort
  fi
  ls /dev/shm
  ip -o link show | awk -F': ' '{print $2}' | sort
  ip netns list
  if command -v iptables-save >/dev/null; then iptables-save | grep -v '^#' || true; fi
  if command -v ip6tables-save >/dev/null; then ip6tables-save | grep -v '^#' || true; fi
  if command -v nft >/dev/null; then nft list ruleset; fi
}

write_config() {
  mkdir -p "$PM_DIR/tmp" "$PM_DIR/tmp-files" "$PM_DIR/hooks.d" "$PM_DIR/networks" "$PM_DIR/var-lib/containers"
  cat > "$PM_DIR/containers.conf" <<EOF
[containers]
log_driver = "k8s-file"
netns = "none"
seccomp_profile = "/usr/share/containers/seccomp.json"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PM_DIR/events.log"
tmp_dir = "$PM_DIR/tmp"
image_copy_tmp_dir = "$PM_DIR/tmp-files"
lock_type = "file"
hooks_dir = ["$PM_DIR/hooks.d"]
# podman reads the errors of the runtimes listed here from their --log file
# (--log-format=json), as it does for runc and crun
runtime_supports_json = ["crun", "runc", "skiff-runtime"]
[network]
network_config_dir = "$PM_DIR/networks"
EOF
  # the same without runtime_supports_json: podman reads errors from conmon
  grep -v '^runtime_supports_json\|^# podman reads\|^# (--log-format' "$PM_DIR/containers.conf" > "$PM_DIR/containers-text-log.conf"
  # and with the limits of these machines for every container (a pod's infra)
  sed 's/^\[containers\]$/&\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]/' \
    "$PM_DIR/containers.conf" > "$PM_DIR/containers-pod.conf"
  echo 'unqualified-search-registries = []' > "$PM_DIR/registries.conf"
  printf '[storage]\ndriver = "%s"\ngraphroot = "%s"\nrunroot = "%s"\n' \
    "$PM_DRIVER" "$PM_DIR/root" "$PM_DIR/runroot" > "$PM_DIR/storage.conf"
  echo '{"default": [{"type": "insecureAcceptAnything"}]}' > "$PM_DIR/policy.json"
  cat > "$PM" <<EOF
#!/bin/sh
export CONTAINERS_CONF="\${CONTAINERS_CONF:-$PM_DIR/containers.conf}"
export CONTAINERS_REGISTRIES_CONF="$PM_DIR/registries.conf"
export CONTAINERS_STORAGE_CONF="$PM_DIR/storage.conf"
export TMPDIR="$PM_DIR/tmp-files"
# conmon 2.1.6 writes an "oom" file into its working directory, podman's
cd "$PM_DIR/tmp-files" || exit 1
exec podman --root "$PM_DIR/root" --runroot "$PM_DIR/runroot" --tmpdir "$PM_DIR/tmp" \\
  --storage-driver "$PM_DRIVER" --cgroup-manager cgroupfs --events-backend file \\
  --network-config-dir "$PM_DIR/networks" --default-mounts-file "$PM_DIR/mounts.conf" \\
  --runtime "$SKIFF_RUNTIME" "\$@"
EOF
  chmod +x "$PM"
}

setup_file() {
  command -v podman >/dev/null && command -v conmon >/dev/null ||
    skip "podman and conmon are not installed (scripts/install-deps installs them)"
  mkdir -p "$PM_DIR"
  host_state > "$PM_DIR/host-before"
  [ -e /run/skiff-runtime ] || touch "$PM_DIR/no-runtime-root"
  [ -e /run/skiff-runtime/.seccomp-cache ] || touch "$PM_DIR/no-seccomp-cache"
  # overlay when this filesystem takes it, else vfs
  export PM_DRIVER=overlay
  write_config
  if ! "$PM" info > "$PM_DIR/probe" 2>&1; then
    rm -rf "$PM_DIR/root" "$PM_DIR/runroot"
    PM_DRIVER=vfs
    write_config
  fi
  # The image, from the suite's busybox rootfs. podman 4.3 writes the blob-info
  # cache of every copy to /var/lib/containers/cache for root, and no flag or
  # setting moves it: the import runs in a private mount namespace where
  # /var/lib is this file's own directory.
  tar -C "$ROOTFS" -c . | unshare --mount --propagation private sh -c \
    'mount --bind "$1/var-lib" /var/lib && exec "$2" import --signature-policy "$1/policy.json" - "$3"' \
    sh "$PM_DIR" "$PM" "$IMAGE" > "$PM_DIR/import.out" 2>&1
}

teardown() {
  pm pod rm --all --force --time 0 > /dev/null 2>&1 || true
  pm rm --all --force --time 0 > /dev/null 2>&1 || true
  rm -f "$PM_DIR"/hooks.d/*.json
  if [ -n "${TMUX_SOCK:-}" ]; then tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true; fi
  if [ -n "${HOLD_PID:-}" ]; then kill "$HOLD_PID" 2>/dev/null || true; fi
}

# Whatever the tests left, even after a failure: podman's own reset (it
# unmounts its overlay mounts), then its directories and its cgroups; then
# what is still there is reported.
teardown_file() {
  [ -x "$PM" ] || return 0
  pm pod rm --all --force --time 0 > /dev/null 2>&1 || true
  pm rm --all --force --time 0 > /dev/null 2>&1 || true
  pm system reset --force > /dev/null 2>&1 || true
  local i d left=""
  for i in $(seq 50); do
    [ -z "$(pm_processes)" ] && break
    sleep 0.1
  done
  # the cgroups below this file's parent, deepest first (rmdir takes empty ones only)
  for d in /sys/fs/cgroup/*"$PM_CGROUP" /sys/fs/cgroup"$PM_CGROUP"; do
    if [ -d "$d" ]; then find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true; fi
  done
  if grep " $PM_DIR" /proc/self/mountinfo >&2; then left="$left mounts"; fi
  if [ -n "$(pm_processes)" ]; then left="$left processes: $(pm_processes | tr '\n' ' ')"; fi
  if ls -d /sys/fs/cgroup/*"$PM_CGROUP" /sys/fs/cgroup"$PM_CGROUP" 2>/dev/null >&2; then left="$left cgroups"; fi
  # the runtime's default root and its cache, when podman's runs made them
  if [ -e "$PM_DIR/no-seccomp-cache" ]; then rm -rf /run/skiff-runtime/.seccomp-cache; fi
  if [ -e "$PM_DIR/no-runtime-root" ]; then rmdir /run/skiff-runtime 2>/dev/null || true; fi
  [ -n "$left" ] || rm -rf "$PM_DIR"
  [ -z "$left" ] || { echo "podman left:$left" >&2; return 1; }
}

ctr_cgroup() { # ctr_cgroup ID CONTROLLER: the container's cgroup directory on the host
  if is_cgroup2; then
    echo "/sys/fs/cgroup$PM_CGROUP/libpod-$1"
  else
    echo "/sys/fs/cgroup/$2$PM_CGROUP/libpod-$1"
  fi
}

# slow_wait CMD...: wait_for with 20 s, for what podman, conmon and the ASan
# build do on a loaded machine
slow_wait() {
  local i
  for i in $(seq 200); do
    if "$@"; then return 0; fi
    sleep 0.1
  done
  "$@"
}

inspect() { # inspect CONTAINER FORMAT
  pm inspect --format "$2" "$1"
}

# processes of this file's podman: conmon and podman's cleanup, found by their command line
pm_processes() {
  local p
  for p in /proc/[0-9]*; do
    [ "$p" = "/proc/$$" ] && continue
    tr '\0' ' ' 2>/dev/null < "$p/cmdline" | grep -q -- "$PM_DIR/" && echo "${p#/proc/}"
  done
  true
}

@test "podman info shows skiff-runtime as the OCI runtime, the image is local" {
  run pm info --format '{{.Host.OCIRuntime.Path}} {{.Host.CgroupManager}} {{.Store.GraphDriverName}} {{.Host.EventLogger}}'
  [ "$status" -eq 0 ]
  [ "$output" = "$SKIFF_RUNTIME cgroupfs $PM_DRIVER file" ]
  run pm info --format '{{.Host.OCIRuntime.Version}}'
  [[ "${lines[0]}" == "skiff-runtime version "* ]]
  run pm images --format '{{.Repository}}:{{.Tag}}'
  [ "$output" = "$IMAGE" ]
  # the blob-info cache of the import went to this file's directory
  [ -f "$PM_DIR/var-lib/containers/cache/blob-info-cache-v1.boltdb" ]
}

@test "run --rm: output, exit code, and nothing left of the container" {
  run pm_run --rm "$IMAGE" sh -c 'echo out; echo err >&2; echo pid=$$; exit 42'
  [ "$status" -eq 42 ]
  [[ "$output" == *out* ]] && [[ "$output" == *err* ]]
  # the container's own pid namespace
  [[ "$output" == *pid=1* ]]
  run pm ps --all --quiet
  [ -z "$output" ]
  [ -z "$(ls -d /sys/fs/cgroup/*"$PM_CGROUP"/libpod-* /sys/fs/cgroup"$PM_CGROUP"/libpod-* 2>/dev/null)" ]
}

@test "run -d: the container runs in its cgroup, podman ps and logs show it" {
  id=$(pm_run -d "$IMAGE" sh -c 'echo started; exec sleep 1001')
  run inspect "$id" '{{.State.Status}} {{.State.Running}}'
  [ "$output" = "running true" ]
  pid=$(inspect "$id" '{{.State.Pid}}')
  [ "$(cat /proc/$pid/comm)" = sleep ] || slow_wait sh -c "[ \"\$(cat /proc/$pid/comm)\" = sleep ]"
  grep -qx "$pid" "$(ctr_cgroup "$id" pids)/cgroup.procs"
  run pm ps --format '{{.ID}} {{.Status}}'
  [[ "$output" == "${id:0:12} Up "* ]]
  slow_wait sh -c "'$PM' logs '$id' | grep -qx started"
}

@test "exec: output, exit code, user, and the container's namespaces" {
  id=$(pm_run -d "$IMAGE" sleep 1002)
  pid=$(inspect "$id" '{{.State.Pid}}')
  run pm exec "$id" sh -c 'echo from-exec; readlink /proc/self/ns/pid; exit 7'
  [ "$status" -eq 7 ]
  [ "${lines[0]}" = from-exec ]
  [ "${lines[1]}" = "$(readlink /proc/$pid/ns/pid)" ]
  run pm exec --user 1000:1000 --workdir /tmp --env FOO=bar "$id" sh -c 'id -u; id -g; pwd; echo $FOO'
  [ "$status" -eq 0 ]
  [ "${lines[*]}" = "1000 1000 /tmp bar" ]
  # detached: it runs in the container while podman returns
  pm exec --detach "$id" sleep 1003
  slow_wait sh -c "'$PM' top '$id' args | grep -q 'sleep 1003'"
}

# in_terminal ROWS COLS COMMAND: runs COMMAND on a terminal of that size
# (script(1)), whose input stays open as a person's would: at the end of its
# input podman -it may let go of the container's output before it is shown
in_terminal() {
  exec {hold}< <(exec sleep 1000)
  HOLD_PID=$!
  run script -qec "stty rows $1 cols $2; $3" /dev/null <&$hold
  kill "$HOLD_PID"
  HOLD_PID=
  exec {hold}<&-
}

@test "run -it and exec -it get a terminal of their own, through script(1)" {
  command -v script >/dev/null || skip "script(1) is not installed (bsdutils)"
  # podman sends the terminal's size to conmon, which applies it when it can,
  # for exec only once the process runs: the process waits for it (so with runc)
  wait_size='tty; test -t 0 && echo stdin-is-a-tty; for i in $(seq 200); do s=$(stty size 2>/dev/null); case "$s" in ""|"0 0") sleep 0.1 ;; *) break ;; esac; done; echo "size $s"; exit $1'
  in_terminal 30 100 "$PM run ${RUN_OPTS[*]} --rm -it $IMAGE sh -c $(printf %q "$wait_size") sh 5"
  [ "$status" -eq 5 ]
  [[ "$output" == *"/dev/pts/0"* ]]
  [[ "$output" == *"stdin-is-a-tty"* ]]
  [[ "$output" == *"size 30 100"* ]]
  id=$(pm_run -d "$IMAGE" sleep 1004)
  in_terminal 20 90 "$PM exec -it $id sh -c $(printf %q "$wait_size") sh 6"
  [ "$status" -eq 6 ]
  [[ "$output" == *"/dev/pts/"* ]]
  [[ "$output" == *"size 20 90"* ]]
}

@test "run -it: an interactive shell reads what is typed in tmux" {
  command -v tmux >/dev/null || skip "tmux is not installed"
  TMUX_SOCK="$BATS_TEST_TMPDIR/tmux.sock"
  tmux -S "$TMUX_SOCK" new-session -d -x 100 -y 30 \
    "$PM run ${RUN_OPTS[*]} --name tty-shell -it $IMAGE sh; echo podman-exited-\$?; sleep 100"
  slow_wait sh -c "tmux -S '$TMUX_SOCK' capture-pane -p | grep -q '^/ #'"
  tmux -S "$TMUX_SOCK" send-keys 'echo typed-$((6*7)); stty size' Enter
  slow_wait sh -c "tmux -S '$TMUX_SOCK' capture-pane -p | grep -qx 'typed-42'"
  slow_wait sh -c "tmux -S '$TMUX_SOCK' capture-pane -p | grep -qx '30 100'"
  tmux -S "$TMUX_SOCK" send-keys 'exit 4' Enter
  slow_wait sh -c "tmux -S '$TMUX_SOCK' capture-pane -p | grep -qx 'podman-exited-4'"
  [ "$(inspect tty-shell '{{.State.ExitCode}}')" = 4 ]
}

@test "stop: the stop signal first, SIGKILL after the timeout" {
  id=$(pm_run -d "$IMAGE" sh -c 'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.1; done')
  slow_wait sh -c "'$PM' logs '$id' | grep -qx ready"
  pm stop --time 10 "$id"
  [ "$(inspect "$id" '{{.State.Status}} {{.State.ExitCode}}')" = "exited 7" ]
  pm logs "$id" | grep -qx got-term
  # PID 1 without a handler ignores SIGTERM: SIGKILL comes after 1 s
  id=$(pm_run -d "$IMAGE" sleep 1005)
  start=$(date +%s%N)
  pm stop --time 1 "$id"
  elapsed=$((($(date +%s%N) - start) / 1000000))
  [ "$elapsed" -ge 900 ]
  [ "$(inspect "$id" '{{.State.Status}} {{.State.ExitCode}}')" = "exited 137" ]
}

@test "kill: SIGKILL by default, or the signal asked for" {
  id=$(pm_run -d "$IMAGE" sleep 1006)
  pm kill "$id"
  pm wait "$id"
  [ "$(inspect "$id" '{{.State.ExitCode}}')" = 137 ]
  id=$(pm_run -d "$IMAGE" sh -c 'trap "exit 12" USR1; echo ready; while :; do sleep 0.1; done')
  slow_wait sh -c "'$PM' logs '$id' | grep -qx ready"
  pm kill --signal USR1 "$id"
  run pm wait "$id"
  [ "$output" = 12 ]
}

@test "stop of a container in the host's pid namespace reaches all its processes (kill --all)" {
  id=$(pm_run -d --pid host "$IMAGE" sh -c 'sleep 1007 & sleep 1008 & wait')
  slow_wait sh -c "[ \$(wc -l < '$(ctr_cgroup "$id" pids)/cgroup.procs') -eq 3 ]"
  pids=$(cat "$(ctr_cgroup "$id" pids)/cgroup.procs")
  pm stop --time 5 "$id"
  for p in $pids; do
    [ ! -d "/proc/$p" ] || [ "$(awk '/^State:/ {print $2}' /proc/$p/status)" = Z ]
  done
}

@test "pause freezes the container and inspect shows it, unpause thaws it, kill kills it" {
  id=$(pm_run -d "$IMAGE" sh -c 'i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done')
  pm pause "$id"
  [ "$(inspect "$id" '{{.State.Status}} {{.State.Paused}}')" = "paused true" ]
  if is_cgroup2; then
    [ "$(cat "$(ctr_cgroup "$id" freezer)/cgroup.freeze")" = 1 ]
  else
    [ "$(cat "$(ctr_cgroup "$id" freezer)/freezer.state")" = FROZEN ]
  fi
  pid=$(inspect "$id" '{{.State.Pid}}')
  before=$(cat /proc/$pid/root/tmp/count)
  sleep 0.3
  [ "$(cat /proc/$pid/root/tmp/count)" = "$before" ]
  pm unpause "$id"
  [ "$(inspect "$id" '{{.State.Status}} {{.State.Paused}}')" = "running false" ]
  slow_wait sh -c "[ \"\$(cat /proc/$pid/root/tmp/count)\" != '$before' ]"
  run pm exec "$id" echo thawed
  [ "$output" = thawed ]
  # kill of a paused container: it dies (conmon reports the exit to podman
  # on its own time: waited for, on a loaded machine)
  pm pause "$id"
  pm kill "$id"
  killed() { [ "$(inspect "$id" '{{.State.Status}} {{.State.ExitCode}}')" = "exited 137" ]; }
  slow_wait killed
}

@test "--memory, --pids-limit and --cpus reach the container's cgroup and hold inside" {
  id=$(pm_run -d --memory 64m --pids-limit 42 --cpus 1.5 "$IMAGE" sleep 1009)
  if is_cgroup2; then
    [ "$(cat "$(ctr_cgroup "$id")/memory.max")" = 67108864 ]
    [ "$(cat "$(ctr_cgroup "$id")/pids.max")" = 42 ]
    [ "$(cat "$(ctr_cgroup "$id")/cpu.max")" = "150000 100000" ]
  else
    [ "$(cat "$(ctr_cgroup "$id" memory)/memory.limit_in_bytes")" = 67108864 ]
    [ "$(cat "$(ctr_cgroup "$id" pids)/pids.max")" = 42 ]
    [ "$(cat "$(ctr_cgroup "$id" cpu)/cpu.cfs_quota_us")" = 150000 ]
    [ "$(cat "$(ctr_cgroup "$id" cpu)/cpu.cfs_period_us")" = 100000 ]
  fi
  [ "$(inspect "$id" '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.NanoCpus}}')" = "67108864 42 1500000000" ]
  # the memory limit kills what goes past it, the pids limit refuses forks
  run pm_run --rm --memory 16m --memory-swap 16m "$IMAGE" tail /dev/zero
  [ "$status" -eq 137 ]
  # (the sleeps end with their pid namespace when sh, its init, exits)
  run pm_run --rm --pids-limit 5 "$IMAGE" sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 1010 & done'
  [[ "$output" == *"can't fork"* ]]
}

@test "--read-only: the root refuses writes (EROFS), /tmp is a writable tmpfs" {
  run pm_run --rm --read-only "$IMAGE" sh -c 'touch /x; touch /tmp/y && echo tmp-writable'
  [[ "$output" == *"touch: /x: Read-only file system"* ]]
  [[ "$output" == *tmp-writable* ]]
  # --tmpfs over a directory of the image starts with its files (tmpcopyup)
  run pm_run --rm --read-only --tmpfs /etc "$IMAGE" sh -c 'head -1 /etc/passwd; touch /etc/new && echo etc-writable'
  [ "${lines[0]}" = "root:x:0:0:root:/root:/bin/sh" ]
  [ "${lines[1]}" = etc-writable ]
}

@test "--cap-drop removes capabilities from the process (CapEff) and what they allow" {
  run pm_run --rm "$IMAGE" sh -c 'grep CapEff /proc/self/status; touch /f && chown 1000 /f && echo chown-ok'
  eff=$(echo "${lines[0]}" | awk '{print $2}')
  (( (0x$eff & 1) == 1 ))  # CAP_CHOWN is among podman's defaults
  [ "${lines[1]}" = chown-ok ]
  run pm_run --rm --cap-drop chown "$IMAGE" sh -c 'grep CapEff /proc/self/status; touch /f && chown 1000 /f'
  [ "$status" -ne 0 ]
  # stdout and stderr reach podman through two pipes, in either order
  [ "$(echo "$output" | awk '/^CapEff/ {print $2}')" = "$(printf %016x $((0x$eff & ~1)))" ]
  [[ "$output" == *"Operation not permitted"* ]]
  run pm_run --rm --cap-drop all "$IMAGE" grep -E '^Cap(Eff|Prm|Bnd)' /proc/self/status
  [ "$(echo $output)" = "CapPrm: 0000000000000000 CapEff: 0000000000000000 CapBnd: 0000000000000000" ]
}

@test "inspect shows the exit code; a missing or non-executable program is podman's 127 and 126" {
  id=$(pm_run -d "$IMAGE" sh -c 'exit 42')
  run pm wait "$id"
  [ "$output" = 42 ]
  [ "$(inspect "$id" '{{.State.ExitCode}} {{.State.Status}}')" = "42 exited" ]
  # the runtime's message reaches the user, read from its --log file (JSON) or from conmon
  for conf in containers.conf containers-text-log.conf; do
    run -127 env CONTAINERS_CONF="$PM_DIR/$conf" "$PM" run "${RUN_OPTS[@]}" --rm "$IMAGE" /no/such
    [[ "$output" == *'exec: `/no/such`: No such file or directory'* ]]
    [[ "$output" != *"does not exist"* ]] && [[ "$output" != *"level=error"* ]]
    run -126 env CONTAINERS_CONF="$PM_DIR/$conf" "$PM" run "${RUN_OPTS[@]}" --rm "$IMAGE" /etc/passwd
    [[ "$output" == *"Permission denied"* ]]
  done
}

@test "rm removes the container: podman forgets it, the runtime's state and the cgroup go" {
  id=$(pm_run -d "$IMAGE" sleep 1011)
  [ -d "/run/skiff-runtime/$id" ]
  cg=$(ctr_cgroup "$id" memory)
  [ -d "$cg" ]
  run pm rm "$id"
  [ "$status" -ne 0 ]  # running: refused without --force
  pm rm --force --time 0 "$id"
  run pm ps --all --quiet
  [ -z "$output" ]
  [ ! -e "/run/skiff-runtime/$id" ]
  [ ! -e "$cg" ]
}

@test "a user namespace (--uidmap): root inside is 100000 outside" {
  id=$(pm_run -d --uidmap 0:100000:65536 --gidmap 0:100000:65536 "$IMAGE" sleep 1012)
  pid=$(inspect "$id" '{{.State.Pid}}')
  [ "$(awk '/^Uid:/ {print $2}' /proc/$pid/status)" = 100000 ]
  run pm exec "$id" sh -c 'id -u; cat /proc/self/uid_map'
  [ "${lines[0]}" = 0 ]
  [ "$(echo ${lines[1]})" = "0 100000 65536" ]
}

@test "update changes the limits of a running container" {
  id=$(pm_run -d --memory 64m "$IMAGE" sleep 1013)
  pm update --memory 128m --cpus 0.5 "$id"
  if is_cgroup2; then
    [ "$(cat "$(ctr_cgroup "$id")/memory.max")" = 134217728 ]
  else
    [ "$(cat "$(ctr_cgroup "$id" memory)/memory.limit_in_bytes")" = 134217728 ]
    [ "$(cat "$(ctr_cgroup "$id" cpu)/cpu.cfs_quota_us")" = 50000 ]
  fi
}

@test "a pod: its containers join the infra container's namespaces" {
  # podman 4.3's pod create has no --ulimit for the infra container: this
  # test's containers.conf gives every container the same limits instead
  export CONTAINERS_CONF="$PM_DIR/containers-pod.conf"
  pm pod create --name pod1 --infra-image "$IMAGE" --infra-command 'sleep 1014' \
    --network none --cgroup-parent "$PM_CGROUP" --share ipc,uts,net,pid > /dev/null
  pm pod start pod1 > /dev/null
  infra=$(pm pod inspect --format '{{.InfraContainerID}}' pod1)
  ipid=$(inspect "$infra" '{{.State.Pid}}')
  run pm run --rm --pod pod1 --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 "$IMAGE" sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; for n in pid net ipc uts; do readlink /proc/self/ns/$n; done'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "sleep 1014 " ]
  i=1
  for n in pid net ipc uts; do
    [ "${lines[$i]}" = "$(readlink /proc/$ipid/ns/$n)" ] || { echo "$n: ${lines[$i]}"; false; }
    i=$((i + 1))
  done
  pod=$(pm pod inspect --format '{{.ID}}' pod1)
  pm pod rm --force --time 0 pod1 > /dev/null
  # podman removes the pod's cgroup from the hierarchies it manages, not from
  # name=systemd and cgroup2, where the runtime made it as the parent of the
  # containers' (so with runc): empty, it is removed here
  for d in /sys/fs/cgroup/*"$PM_CGROUP/$pod" /sys/fs/cgroup"$PM_CGROUP/$pod"; do
    [ -d "$d" ] || continue
    [ -z "$(find "$d" -mindepth 1 -type d)" ]
    rmdir "$d"
  done
}

@test "OCI hooks from podman's hooks directory run at their stages, with the state on stdin" {
  cat > "$BATS_TEST_TMPDIR/hook.sh" <<EOF
#!/bin/sh
state=\$(cat)
echo "\$1 \$(echo "\$state" | sed 's/.*"status":"\([a-z]*\)".*/\1/') \$(readlink /proc/self/ns/mnt)" >> "$BATS_TEST_TMPDIR/hooks.log"
EOF
  chmod +x "$BATS_TEST_TMPDIR/hook.sh"
  for stage in prestart createRuntime createContainer poststart poststop; do
    cat > "$PM_DIR/hooks.d/$stage.json" <<EOF
{"version": "1.0.0", "hook": {"path": "$BATS_TEST_TMPDIR/hook.sh", "args": ["hook.sh", "$stage"]},
 "when": {"annotations": {"skiff.test.hook": "$BATS_TEST_NUMBER"}}, "stages": ["$stage"]}
EOF
  done
  run pm_run --rm --annotation skiff.test.hook="$BATS_TEST_NUMBER" "$IMAGE" readlink /proc/self/ns/mnt
  rm -f "$PM_DIR"/hooks.d/*.json
  [ "$status" -eq 0 ]
  ctr_mnt=$output
  host_mnt=$(readlink /proc/self/ns/mnt)
  run cat "$BATS_TEST_TMPDIR/hooks.log"
  # the runtime runs all but poststop, which podman runs itself
  [ "${lines[0]}" = "prestart creating $host_mnt" ]
  [ "${lines[1]}" = "createRuntime creating $host_mnt" ]
  [ "${lines[2]}" = "createContainer creating $ctr_mnt" ]
  [ "${lines[3]}" = "poststart running $host_mnt" ]
  [ "${lines[4]}" = "poststop stopped $host_mnt" ]
}

@test "podman left nothing on the host: no mount, cgroup, process, state, link or rule" {
  pm rm --all --force --time 0
  pm rmi --all
  pm system reset --force
  slow_wait sh -c "[ -z \"\$(grep ' $PM_DIR' /proc/self/mountinfo)\" ]"
  grep " $PM_DIR" /proc/self/mountinfo && { echo "mounts left"; false; }
  # conmon and podman's cleanup processes are gone
  for i in $(seq 50); do
    left=$(pm_processes)
    [ -z "$left" ] && break
    sleep 0.1
  done
  [ -z "$left" ] || { ps -o pid,args -p "$(echo $left | tr ' ' ,)"; false; }
  # the containers' cgroups are gone; the conmon cgroup podman made is emptied and removed
  for d in /sys/fs/cgroup/*"$PM_CGROUP"/conmon /sys/fs/cgroup"$PM_CGROUP"/conmon \
    /sys/fs/cgroup/*"$PM_CGROUP" /sys/fs/cgroup"$PM_CGROUP"; do
    [ -d "$d" ] || continue
    [ -z "$(find "$d" -mindepth 1 -type d)" ] || { echo "cgroups left in $d"; false; }
    rmdir "$d"
  done
  # nothing new under /var/lib/containers, /run/containers, /run/libpod, CNI, the
  # runtime's default root; no link, netns, iptables or nft rule
  host_state > "$PM_DIR/host-after"
  diff "$PM_DIR/host-before" "$PM_DIR/host-after"
}
