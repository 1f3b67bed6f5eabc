#!/bin/bash
# Runs a command inside a throwaway QEMU virtual machine whose kernel boots
# with cgroup_no_v1=all, so /sys/fs/cgroup is a pure cgroup v2 hierarchy even
# when the host uses cgroup v1 or the hybrid layout.
#
#   tests/vm/vm.sh build
#       makes the boot files (see below) in the cache, unless they are current
#   tests/vm/vm.sh run [--share DIR]... [--timeout SECS] [--] CMD [ARG...]
#       boots the VM, runs CMD with bash in the current directory, powers off,
#       and exits with CMD's exit status. The console (kernel messages and
#       CMD's output) goes to stdout. 125 means the VM gave no exit status
#       (it could not start, crashed or timed out); the reason is on stderr.
#
# Inside the VM:
#   - the kernel is the host's Debian kernel (/boot/vmlinuz-*, package
#     linux-image-amd64). `build` extracts its uncompressed vmlinux, which QEMU
#     boots through the PVH entry point: decompressing the bzImage under
#     software emulation costs seconds;
#   - the root file system is an overlay: the host's / shared read-only over
#     virtio-9p, below a tmpfs that takes the VM's writes and vanishes with it.
#     So the host's programs and libraries run in the VM unchanged;
#   - the project directory (and each --share DIR) is shared read-write at the
#     same path, so binaries built on the host run there and files the VM
#     writes there show up on the host (owned by root);
#   - /sys/fs/cgroup is cgroup2; /proc, /sys, /dev, /dev/pts, /dev/shm, /run
#     and /tmp are the VM's own; there is no network card, only lo;
#   - /dev/vda is a 64 MiB disk that reads zeros and drops writes, so that the
#     block-IO cgroup files have a device to name.
# The initramfs that builds this root is busybox-static plus the few kernel
# modules the Debian kernel has as modules (virtio PCI and block, 9p, overlayfs).
#
# Environment:
#   SKIFF_VM_CACHE    where the boot files go
#                     (default ${XDG_CACHE_HOME:-~/.cache}/skiff-vm)
#   SKIFF_VM_KERNEL   kernel version to boot (default: the newest in /boot
#                     that has its modules in /lib/modules)
#   SKIFF_VM_ACCEL    tcg, kvm or auto (default auto: KVM only when kvm_intel
#                     or kvm_amd is loaded, else software emulation)
#   SKIFF_VM_MEM      memory in MiB (default 1024)
#   SKIFF_VM_SMP      virtual CPUs (default 1: under emulation on a small host
#                     one is faster than two)
#   SKIFF_VM_TIMEOUT  seconds before the VM is killed (default 600)
#   SKIFF_VM_VERBOSE  1: show the kernel's boot messages
#   SKIFF_VM_QEMU     the QEMU program (default qemu-system-x86_64)
#
# Nothing here touches the host's cgroups, mounts or processes: QEMU reads the
# host's files (the root share is read-only) and writes only to the cache and
# the shared directories.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
self="$top/tests/vm/vm.sh"
cache=${SKIFF_VM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/skiff-vm}
mem=${SKIFF_VM_MEM:-1024}
smp=${SKIFF_VM_SMP:-1}
accel=${SKIFF_VM_ACCEL:-auto}
vm_timeout=${SKIFF_VM_TIMEOUT:-600}
qemu=${SKIFF_VM_QEMU:-qemu-system-x86_64}

# modules the initramfs loads to build the root; their dependencies are added
boot_modules="virtio_pci 9pnet_virtio 9p overlay virtio_blk"

die() {
  echo "vm.sh: $*" >&2
  exit 125
}

# The kernel version to boot: the newest one with both image and modules.
pick_kernel() {
  if [ -n "${SKIFF_VM_KERNEL:-}" ]; then
    echo "$SKIFF_VM_KERNEL"
    return
  fi
  local k v best=""
  for k in /boot/vmlinuz-*; do
    [ -r "$k" ] || continue
    v=${k#/boot/vmlinuz-}
    [ -r "/lib/modules/$v/modules.dep" ] && best=$(printf '%s\n%s\n' "$best" "$v" | sed '/^$/d' | sort -V | tail -n1)
  done
  [ -n "$best" ] || die "no kernel with modules in /boot and /lib/modules (install linux-image-amd64: scripts/install-deps)"
  echo "$best"
}

kver=$(pick_kernel)
kernel=/boot/vmlinuz-$kver

# What the boot files are made from: this script, the kernel and busybox.
# A change to any of them makes `build` start over.
cache_key() {
  local bb
  bb=$(command -v busybox) || die "busybox is not installed (package busybox-static)"
  {
    echo "$kver"
    stat -Lc '%n %s %Y' "$kernel" "$bb"
    sha256sum < "$self"
  } | sha256sum | cut -d' ' -f1
}

# Copies a module into dir, uncompressed (busybox insmod takes plain .ko).
copy_module() {
  local ko=$1 dir=$2 name
  name=$(basename "$ko")
  case "$ko" in
    *.ko) cp "$ko" "$dir/$name" ;;
    *.ko.xz) xz -dc "$ko" > "$dir/${name%.xz}" ;;
    *.ko.gz) gzip -dc "$ko" > "$dir/${name%.gz}" ;;
    *.ko.zst) zstd -qdc "$ko" > "$dir/${name%.zst}" ;;
    *) die "unknown module file $ko" ;;
  esac
  basename "$name" | sed 's/\.\(xz\|gz\|zst\)$//'
}

# Stage 1 is /init in the initramfs (busybox sh). It builds the VM's root
# under /newroot and hands over to stage 2 there.
write_stage1() {
  cat > "$1" <<'EOF'
#!/bin/sh
# Stage 1 of the test VM: load the modules, build the root, switch to it.
export PATH=/bin
die() { echo "vm stage 1: $*" > /dev/console; poweroff -f; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do
  insmod "/modules/$m" || die "insmod $m failed"
done < /modules/order
# root = overlay of the host's / (9p, read-only) under a tmpfs
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=262144,cache=loose hostroot /host \
  || die "cannot mount the host's root"
mount -t tmpfs -o mode=0755 tmpfs /upper
mkdir /upper/data /upper/work
mount -t overlay -o lowerdir=/host,upperdir=/upper/data,workdir=/upper/work overlay /newroot \
  || die "cannot mount the overlay root"
r=/newroot
mount --move /proc $r/proc
mount --move /sys $r/sys
mount --move /dev $r/dev
mkdir -p $r/dev/pts $r/dev/shm
ln -s /proc/self/fd $r/dev/fd
ln -s /proc/self/fd/0 $r/dev/stdin
ln -s /proc/self/fd/1 $r/dev/stdout
ln -s /proc/self/fd/2 $r/dev/stderr
mount -t devpts -o newinstance,ptmxmode=0666 devpts $r/dev/pts
mount -t tmpfs -o mode=1777 tmpfs $r/dev/shm
mount -t tmpfs -o mode=0755 tmpfs $r/run
mount -t tmpfs -o mode=1777 tmpfs $r/tmp
mount -t cgroup2 -o nsdelegate cgroup2 $r/sys/fs/cgroup || die "cannot mount cgroup2"
# the exchange directory (command, exit status, list of shares), then the shares
mkdir -p $r/run/vm
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 xchg $r/run/vm \
  || die "cannot mount the exchange directory"
while read -r tag path; do
  mkdir -p "$r$path"
  mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=mmap "$tag" "$r$path" \
    || die "cannot mount $path"
done < $r/run/vm/shares
hostname skiff-vm
ip link set lo up
mkdir -p $r/run/vm-boot
cp /bin/busybox /stage2 $r/run/vm-boot/
exec switch_root $r /run/vm-boot/stage2
EOF
}

# Stage 2 is PID 1 on the new root: it runs the command and powers off.
write_stage2() {
  cat > "$1" <<'EOF'
#!/run/vm-boot/busybox sh
# Stage 2 of the test VM: run the command, record its status, power off.
bb=/run/vm-boot/busybox
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8
$bb stty -onlcr 2> /dev/null
/bin/bash /run/vm/cmd < /dev/null > /dev/console 2>&1
echo $? > /run/vm/status
$bb sync
$bb poweroff -f
EOF
}

# Builds under a lock, so that two runs at once do not build over each other.
cmd_build() {
  mkdir -p "$cache"
  (
    flock 9
    build_unlocked
  ) 9> "$cache/lock"
}

build_unlocked() {
  local key
  key=$(cache_key)
  if [ -r "$cache/key" ] && [ "$(cat "$cache/key")" = "$key" ]; then
    return 0
  fi
  echo "vm.sh: building the boot files for kernel $kver in $cache" >&2
  local v
  for v in cpio gzip xz readelf modprobe; do
    command -v "$v" > /dev/null || die "$v is missing (scripts/install-deps installs it)"
  done
  [ -r "$kernel" ] || die "cannot read $kernel"

  local tree="$cache/tree"
  rm -rf "$tree" "$cache/key"
  mkdir -p "$tree"/{bin,dev,proc,sys,host,upper,newroot,modules}
  cp "$(command -v busybox)" "$tree/bin/busybox"
  local a
  for a in $("$tree/bin/busybox" --list); do
    [ "$a" = busybox ] || ln -s busybox "$tree/bin/$a"
  done

  # the modules in load order, each once
  local m ko
  for m in $boot_modules; do
    modprobe -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
  done | awk '!seen[$0]++' | while read -r ko; do
    copy_module "$ko" "$tree/modules"
  done > "$tree/modules/order"

  write_stage1 "$tree/init"
  write_stage2 "$tree/stage2"
  chmod 755 "$tree/init" "$tree/stage2"
  (cd "$tree" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) > "$cache/initramfs.tmp"
  mv "$cache/initramfs.tmp" "$cache/initramfs.cpio.gz"
  rm -rf "$tree"

  # The bzImage holds an XZ-compressed ELF vmlinux; with a PVH entry note
  # (Xen note type 0x12, CONFIG_PVH) QEMU can boot it directly.
  rm -f "$cache/vmlinux"
  local off
  off=$(LC_ALL=C grep -abo $'\xfd7zXZ' "$kernel" | head -n1 | cut -d: -f1 || true)
  if [ -n "$off" ]; then
    # the compressed data is followed by other bytes: xz complains, the output is whole
    tail -c +"$((off + 1))" "$kernel" | xz -dc > "$cache/vmlinux.tmp" 2> /dev/null || true
    if readelf -n "$cache/vmlinux.tmp" 2> /dev/null | grep -q 'Xen.*(0x00000012)'; then
      mv "$cache/vmlinux.tmp" "$cache/vmlinux"
    fi
    rm -f "$cache/vmlinux.tmp"
  fi
  [ -r "$cache/vmlinux" ] || echo "vm.sh: no PVH vmlinux in $kernel; booting the bzImage (slower)" >&2
  echo "$key" > "$cache/key"
}

accel_args() {
  case $accel in
    tcg) echo "-accel tcg,thread=multi -cpu max" ;;
    kvm) echo "-accel kvm -cpu host" ;;
    auto)
      # /dev/kvm alone is not enough: some nested hosts offer a KVM that a
      # stock kernel cannot boot on
      if [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
        echo "-accel kvm -cpu host"
      else
        echo "-accel tcg,thread=multi -cpu max"
      fi
      ;;
    *) die "SKIFF_VM_ACCEL must be tcg, kvm or auto, not $accel" ;;
  esac
}

cmd_run() {
  local -a shares=("$top")
  while [ $# -gt 0 ]; do
    case $1 in
      --share) shares+=("$(realpath "$2")"); shift 2 ;;
      --timeout) vm_timeout=$2; shift 2 ;;
      --) shift; break ;;
      *) break ;;
    esac
  done
  [ $# -gt 0 ] || die "usage: vm.sh run [--share DIR]... [--timeout SECS] [--] CMD [ARG...]"
  command -v "$qemu" > /dev/null || die "$qemu is missing (package qemu-system-x86: scripts/install-deps)"
  cmd_build

  local x
  x=$(mktemp -d "$cache/run.XXXXXX")
  qpid=""
  # shellcheck disable=SC2064
  trap "[ -z \"\$qpid\" ] || kill \$qpid 2> /dev/null; rm -rf '$x'" EXIT
  trap 'exit 130' INT TERM

  # the command, run by bash in the VM from the same directory if it exists there
  {
    printf 'cd %q 2> /dev/null || cd /\n' "$PWD"
    printf 'exec'
    printf ' %q' "$@"
    printf '\n'
  } > "$x/cmd"

  # (a comma in a QEMU option value is written twice)
  local -a virtfs=(
    -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
    -virtfs "local,path=${x//,/,,},mount_tag=xchg,security_model=none"
  )
  : > "$x/shares"
  local i=0 d
  for d in "${shares[@]}"; do
    [ "$d" != / ] || die "cannot share / read-write"
    virtfs+=(-virtfs "local,path=${d//,/,,},mount_tag=rw$i,security_model=none,multidevs=remap")
    echo "rw$i $d" >> "$x/shares"
    i=$((i + 1))
  done

  local -a boot
  if [ -r "$cache/vmlinux" ]; then
    # qboot: a tiny firmware that boots the PVH kernel quickly and quietly
    boot=(-kernel "$cache/vmlinux")
    [ -r /usr/share/qemu/qboot.rom ] && boot+=(-bios /usr/share/qemu/qboot.rom)
  else
    boot=(-kernel "$kernel")
  fi
  local quiet="quiet loglevel=1"
  [ "${SKIFF_VM_VERBOSE:-0}" = 1 ] && quiet=""

  # timeout runs in its own process group, which a ^C at the terminal does not
  # reach: the EXIT trap stops it (and it stops QEMU)
  # shellcheck disable=SC2046
  timeout -k 10 "$vm_timeout" "$qemu" $(accel_args) \
    -machine pc -m "$mem" -smp "$smp" \
    -nodefaults -no-user-config -nographic -serial stdio -monitor none -no-reboot \
    "${boot[@]}" -initrd "$cache/initramfs.cpio.gz" \
    -append "console=ttyS0 $quiet cgroup_no_v1=all panic=-1 mitigations=off tsc=reliable" \
    "${virtfs[@]}" \
    -blockdev driver=null-co,node-name=scratch,size=67108864,read-zeroes=on \
    -device virtio-blk-pci,drive=scratch < /dev/null &
  qpid=$!
  local qrc=0
  wait "$qpid" || qrc=$?
  qpid=""
  if [ -s "$x/status" ]; then
    return "$(cat "$x/status")"
  fi
  case $qrc in
    124 | 137) echo "vm.sh: the VM did not finish within ${vm_timeout}s and was stopped" >&2 ;;
    0) echo "vm.sh: the VM powered off without an exit status (see the console above)" >&2 ;;
    *) echo "vm.sh: $qemu failed with status $qrc" >&2 ;;
  esac
  return 125
}

case ${1:-} in
  build) cmd_build ;;
  run)
    shift
    cmd_run "$@"
    ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
