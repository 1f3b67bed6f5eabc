#!/usr/bin/env bats
# The known runtime escapes, each attempted from inside a container (or by a
# racing attacker on the host's side of a shared directory), asserting that it
# failed and that the host is unchanged.

load helpers

setup() {
  RUNTIME_SUM=$(sha256sum "$SKIFF_RUNTIME" | cut -d' ' -f1)
}

teardown() {
  cleanup_containers
  if [ -n "${SWAPPER:-}" ]; then kill "$SWAPPER" 2>/dev/null; wait "$SWAPPER" 2>/dev/null || true; fi
  [ "$(sha256sum "$SKIFF_RUNTIME" | cut -d' ' -f1)" = "$RUNTIME_SUM" ] || { echo "THE RUNTIME BINARY CHANGED"; return 1; }
}

# a private copy of the test rootfs, with the static syscall helper in it
own_rootfs() {
  OWN="$BATS_TEST_TMPDIR/rootfs"
  cp -a "$ROOTFS" "$OWN"
  cp "$SKIFF_HELPERS/sc" "$OWN/bin/sc"
  ln -sfn "$OWN" "$BUNDLE/rootfs"
}

with_tmp() {
  update_config '.mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}]'
}

add_caps() { # add_caps CAP...: to the bounding, effective and permitted sets
  local c
  for c in "$@"; do
    update_config ".process.capabilities.bounding += [\"$c\"] | .process.capabilities.effective += [\"$c\"] | .process.capabilities.permitted += [\"$c\"]"
  done
}

# ---- CVE-2019-5736: the runtime's binary, reached through /proc/PID/exe ----

@test "a created container's init cannot be used to write the runtime binary, even with CAP_SYS_PTRACE" {
  new_bundle sleep 100
  # a directory shared with the host, so that the host can signal without
  # running the runtime (which would make the binary busy)
  shared="$BATS_TEST_TMPDIR/shared"
  mkdir -p "$shared"
  update_config ".mounts += [{\"destination\": \"/shared\", \"type\": \"bind\", \"source\": \"$shared\", \"options\": [\"bind\"]}]"
  runtime create "$CID"
  # an attacker in the container keeps the init's exe open, waits until the
  # init has become the container's program, then writes through that fd
  runtime exec --detach --cap CAP_SYS_PTRACE "$CID" sh -c '
    exec 3</proc/1/exe || { echo open-failed > /shared/result; exit; }
    echo opened > /shared/opened
    while [ ! -e /shared/go ]; do sleep 0.05; done
    for i in 1 2 3 4 5; do
      if echo PWNED >> /proc/self/fd/3; then echo written > /shared/result; exit; fi 2>/shared/err
      grep -q busy /shared/err || break
      sleep 0.2
    done
    echo refused > /shared/result'
  wait_for test -e "$shared/opened"
  runtime start "$CID"
  touch "$shared/go"
  wait_for test -e "$shared/result"
  cat "$shared/result" "$shared/err"
  [ "$(cat "$shared/result")" = refused ]
  grep -q -e "Read-only file system" -e "Operation not permitted" "$shared/err"
}

@test "exec: the runtime's process in the container cannot be used to write the runtime binary" {
  # an attacker with CAP_SYS_PTRACE watches /proc for the runtime's process
  # that exec sends into the container, opens its /proc/PID/exe and writes
  new_bundle sleep 100
  own_rootfs
  cp "$SKIFF_HELPERS/exe-watch" "$OWN/bin/exe-watch"
  add_caps CAP_SYS_PTRACE
  with_tmp
  runtime run -d "$CID" > /dev/null
  read -r dev ino < <(stat -L -c '%d %i' "$SKIFF_RUNTIME")
  runtime exec --detach "$CID" sh -c "exe-watch $dev $ino 60 > /tmp/watch.out 2>&1"
  pid=$(runtime state "$CID" | jq .pid)
  out="/proc/$pid/root/tmp/watch.out"
  for i in $(seq 300); do
    [ -s "$out" ] && break
    runtime exec "$CID" true
  done
  echo "# exe-watch, after $i execs: $(cat "$out")" >&3
  [[ "$(cat "$out")" == "caught "* ]]
  [[ "$(cat "$out")" != *written* ]]
  grep -q -e "Read-only file system" -e "Operation not permitted" "$out"
}

@test "without CAP_SYS_PTRACE the runtime's process in the container cannot even be opened" {
  new_bundle sleep 100
  runtime create "$CID"
  run runtime exec "$CID" sh -c 'cat /proc/1/exe > /dev/null'
  [ "$status" -ne 0 ]
  [[ "$output" == *"Permission denied"* ]]
}

@test "the runtime's own process in a container runs from a read-only mount or a sealed copy" {
  new_bundle sleep 100
  runtime create "$CID"
  pid=$(runtime state "$CID" | jq .pid)
  # what a process that reached /proc/PID/exe would get to write to
  python3 - "$pid" <<'PY'
import os, sys, fcntl
pid = sys.argv[1]
fd = os.open(f"/proc/{pid}/exe", os.O_RDONLY)
ro = os.fstatvfs(fd).f_flag & os.ST_RDONLY
try:
    sealed = fcntl.fcntl(fd, 1034) & 0x0008  # F_GET_SEALS, F_SEAL_WRITE
except OSError:
    sealed = 0
assert ro or sealed, "the runtime runs from a writable file"
PY
}

# ---- CVE-2024-21626: leaked descriptors and a cwd outside the root ----

@test "no descriptor but stdio reaches the container, for run and for exec" {
  new_bundle sh -c 'ls -l /proc/self/fd; sleep 100'
  runtime run -d "$CID" > "$BATS_TEST_TMPDIR/out" 2>&1
  run runtime exec "$CID" sh -c 'ls /proc/1/fd; echo --; ls /proc/self/fd'
  [ "$status" -eq 0 ]
  [ "$(echo $output)" = "0 1 2 -- 0 1 2 3" ]
}

@test "a cwd through /proc/self/fd/N, leaked or not, is refused" {
  for n in 3 4 5 6 7 8 9 10; do
    new_bundle pwd
    update_config ".process.cwd = \"/proc/self/fd/$n\""
    run runtime run "$CID"
    [ "$status" -ne 0 ] || { echo "cwd /proc/self/fd/$n was accepted: $output"; return 1; }
    assert_one_line
    assert_no_trace "$CID"
  done
  new_bundle sleep 100
  runtime run -d "$CID"
  for n in 3 4 5 6 7 8; do
    run runtime exec --cwd "/proc/self/fd/$n" "$CID" pwd
    [ "$status" -ne 0 ] || { echo "exec --cwd /proc/self/fd/$n was accepted: $output"; return 1; }
  done
}

@test "a cwd that is a symlink to the host's filesystem stays inside the root" {
  new_bundle pwd
  own_rootfs
  ln -s /proc/self/fd/3 "$OWN/leak"
  ln -s "$BATS_TEST_TMPDIR" "$OWN/hostdir"
  update_config '.process.cwd = "/hostdir"'
  run runtime run "$CID"
  # /hostdir resolves inside the container's root, not to the host's directory
  [ "$status" -eq 0 ] && [ "$output" = "$BATS_TEST_TMPDIR" ] || [ "$status" -ne 0 ]
  [ ! -e "$BATS_TEST_TMPDIR/hostdir" ]
  update_config '.process.cwd = "/leak"'
  run runtime run "$CID"
  [ "$status" -ne 0 ]
}

# ---- CVE-2021-30465 / CVE-2024-45310: mount targets swapped for symlinks ----

@test "a mount target swapped for a symlink to the host while containers start never escapes" {
  new_bundle true
  own_rootfs
  victim="$BATS_TEST_TMPDIR/victim"
  mkdir -p "$victim" "$OWN/vol"
  ln -s "$victim" "$OWN/vol-link"
  update_config '.mounts += [{"destination": "/vol/sub", "type": "tmpfs", "source": "tmpfs"},
    {"destination": "/vol/file", "type": "bind", "source": "/etc/hostname", "options": ["bind", "ro"]}]'
  "$SKIFF_HELPERS/swapper" "$OWN/vol" "$OWN/vol-link" 8 > "$BATS_TEST_TMPDIR/swaps" &
  SWAPPER=$!
  for i in $(seq 40); do
    runtime run "$CID" > /dev/null 2>&1 || true
    assert_no_trace "$CID" > /dev/null || runtime delete --force "$CID" 2>/dev/null || true
  done
  wait "$SWAPPER"
  SWAPPER=
  cat "$BATS_TEST_TMPDIR/swaps"
  # nothing was mounted on the host's directory and nothing was made in it
  ! grep -q "$victim" /proc/self/mountinfo
  [ -z "$(ls -A "$victim")" ]
}

# ---- the 2025 maskedPaths and console races ----

@test "masked paths use a verified /dev/null, never what the image put there" {
  canary="$BATS_TEST_TMPDIR/canary"
  echo untouched > "$canary"
  new_bundle sh -c 'cat /proc/keys /proc/timer_list 2>/dev/null | wc -c; echo x > /dev/null; stat -c "%t:%T" /dev/null'
  own_rootfs
  # the image's /dev/null points at a host file, and no tmpfs is put on /dev
  ln -sf "$canary" "$OWN/dev/null"
  update_config '.mounts |= map(select(.destination != "/dev" and .destination != "/dev/pts" and .destination != "/dev/shm" and .destination != "/dev/mqueue")) | .root.readonly = false'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  [ "${lines[1]}" = "1:3" ]
  [ "$(cat "$canary")" = untouched ]
}

@test "the console is a pty the runtime made and checked" {
  new_bundle sh -c 'tty; stat -c %t "$(tty)"'
  update_config '.process.terminal = true
    | .linux.devices = [{"path": "/dev/ptmx", "type": "c", "major": 1, "minor": 3}]'
  SOCK="$BATS_TEST_TMPDIR/c.sock"
  "$SKIFF_HELPERS/recvtty" "$SOCK" "" > "$BATS_TEST_TMPDIR/tty" &
  recv=$!
  wait_for test -S "$SOCK"
  runtime run -d --console-socket "$SOCK" "$CID"
  wait "$recv"
  # a pts device (major 136 = 0x88), not the /dev/null the config named ptmx
  grep -q "^/dev/pts/0" "$BATS_TEST_TMPDIR/tty"
  grep -q "^88" "$BATS_TEST_TMPDIR/tty"
}

# ---- CVE-2022-29162 / CVE-2022-27650: inheritable and ambient capabilities ----

@test "no inheritable or ambient capability reaches a non-root process, by run or by exec --cap" {
  new_bundle sh -c 'grep -E "^Cap(Inh|Amb)" /proc/self/status; sleep 100'
  update_config '.process.user = {"uid": 1000, "gid": 1000}'
  runtime run -d "$CID" > "$BATS_TEST_TMPDIR/out"
  run runtime exec --user 1000:1000 --cap CAP_NET_RAW --cap CAP_SYS_ADMIN "$CID" grep -E "^Cap(Inh|Prm|Eff|Amb)" /proc/self/status
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "CapInh:	0000000000000000" ]
  [ "${lines[1]}" = "CapPrm:	0000000000000000" ]
  [ "${lines[2]}" = "CapEff:	0000000000000000" ]
  [ "${lines[3]}" = "CapAmb:	0000000000000000" ]
  grep -qx "CapInh:	0000000000000000" "$BATS_TEST_TMPDIR/out"
  grep -qx "CapAmb:	0000000000000000" "$BATS_TEST_TMPDIR/out"
  # a setuid-root binary cannot bring inheritable capabilities back either
  run runtime exec "$CID" grep CapBnd /proc/self/status
  [ "${lines[0]}" = "CapBnd:	00000000a80425fb" ]
}

# ---- the default seccomp profile ----

@test "the default profile refuses namespaces, mount, keyctl, bpf, kexec, perf and modules" {
  new_bundle sh -c 'for c in "unshare 0x10000000" "unshare 0x20000" "mount 0 0 0 0 0" "umount2 0 0" "keyctl 0" "add_key 0" "bpf 0 0 0" "kexec_load 0 0 0 0" "perf_event_open 0 0 0 0 0" "init_module 0 0 0" "finit_module 0 0 0" "swapon 0 0" "reboot 0 0 0 0" "open_by_handle_at 0 0 0" "setns 0 0" "pivot_root 0 0" "socket 40 1 0" "clone 0x10000000" "userfaultfd 0"; do echo "$c: $(sc $c)"; done; echo "clone3: $(sc clone3 0 0)"; echo "999: $(sc 999)"; echo "getpid: $(sc getpid)"'
  own_rootfs
  add_caps CAP_SYS_ADMIN CAP_SYS_MODULE CAP_SYS_BOOT
  run runtime run "$CID"
  echo "$output"
  for c in "unshare 0x10000000" "unshare 0x20000" "mount 0 0 0 0 0" "umount2 0 0" "keyctl 0" "add_key 0" "bpf 0 0 0" "kexec_load 0 0 0 0" "perf_event_open 0 0 0 0 0" "init_module 0 0 0" "finit_module 0 0 0" "swapon 0 0" "reboot 0 0 0 0" "open_by_handle_at 0 0 0" "setns 0 0" "pivot_root 0 0" "socket 40 1 0" "clone 0x10000000" "userfaultfd 0"; do
    echo "$output" | grep -qx "$c: EPERM" || { echo "not refused with EPERM: $c"; return 1; }
  done
  # clone3 and system calls the profile does not know: ENOSYS, so that programs fall back
  echo "$output" | grep -qx "clone3: ENOSYS"
  echo "$output" | grep -qx "999: ENOSYS"
  echo "$output" | grep -q "^getpid: ok"
}

@test "the default profile lets ordinary programs run" {
  new_bundle sh -c 'mkdir /tmp/d && cd /tmp/d && echo hi > f && cat f && ls -l | wc -l && sleep 0.1 & wait; uname -m; setarch linux32 true 2>/dev/null; echo done'
  with_tmp
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = hi ]
  [ "${lines[-1]}" = done ]
}
