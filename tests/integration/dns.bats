#!/usr/bin/env bats
# skiff-dns, the embedded DNS responder of user-defined networks, against
# the real skiff: containers ask it on their networks' gateways with
# busybox's nslookup. Its upstream is a fake server of the test's own on a
# loopback address of the host; nothing else is ever asked.

load helpers
load engine

: "${SKIFF_DNS:?set by tests/run}"

# a loopback address of this test's own for the fake upstream server
UP_ADDR() { echo "127.53.$((BATS_TEST_NUMBER % 250)).1"; }

gateway() { # NETWORK
  sk network inspect "$1" | jq -r '.[0].IPAM.Config[] | select(.Gateway | contains(".")) | .Gateway'
}

ip_on() { # CONTAINER NETWORK
  sk inspect "$1" | jq -r --arg n "$2" '.[0].NetworkSettings.Networks[$n].IPAddress'
}

# skiff-dns in the background, its pid in DNS_PID once its pid file is
# written (it writes it once every address is bound). The one the engine
# started for the test's containers goes first, and this one takes its
# place (its pid file, the addresses it serves), so that a later start of
# a container does not replace it.
start_dns() {
  local old
  old=$(cat "$XR/dns.pid" 2> /dev/null) || true
  if [ -n "$old" ]; then
    kill "$old" 2> /dev/null || true
    until_true "! kill -0 $old 2> /dev/null"
  fi
  rm -f "$XR/dns.pid"
  local n
  for n in $(sk network ls --filter type=custom --format '{{.Name}}' | LC_ALL=C sort); do
    sk network inspect --format '{{json .IPAM.Config}}' "$n" | jq -r '.[].Gateway'
  done > "$XR/dns.addrs"
  "$SKIFF_DNS" --data-root "$DR" --pid-file "$XR/dns.pid" "$@" \
    2> "$BATS_TEST_TMPDIR/dns.err" 3>&- &
  DNS_PID=$!
  BG_PIDS+=("$DNS_PID")
  until_true "[ -s '$XR/dns.pid' ] || ! kill -0 $DNS_PID 2> /dev/null"
  [ "$(cat "$XR/dns.pid")" = "$DNS_PID" ]
}

# A fake upstream DNS server on UDP ADDR:53: every A query is answered
# 198.51.100.7 (a documentation address: only data, never a destination),
# and its name is written to $BATS_TEST_TMPDIR/upstream.log.
start_upstream() { # ADDR
  cat > "$BATS_TEST_TMPDIR/upstream.py" << 'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
log = open(sys.argv[2], "a", buffering=1)
print("ready", file=log)
while True:
    q, peer = s.recvfrom(4096)
    i, labels = 12, []
    while q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode()); i += 1 + q[i]
    qtype = struct.unpack("!H", q[i + 1:i + 3])[0]
    print(".".join(labels), qtype, file=log)
    question = q[12:i + 5]
    answers = b""
    if qtype == 1:
        answers = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([198, 51, 100, 7])
    hdr = q[:2] + struct.pack("!HHHHH", 0x8180, 1, 1 if answers else 0, 0, 0)
    s.sendto(hdr + question + answers, peer)
EOF
  python3 "$BATS_TEST_TMPDIR/upstream.py" "$1" "$BATS_TEST_TMPDIR/upstream.log" 3>&- &
  BG_PIDS+=("$!")
  UP_PID=$!
  until_true "grep -q ready '$BATS_TEST_TMPDIR/upstream.log' 2> /dev/null"
}

# nslookup NAME at SERVER in CONTAINER, A records only
lookup() { # CONTAINER NAME SERVER
  sk exec "$1" nslookup -type=a "$2" "$3"
}

@test "dns: names, aliases, short id, hostname and NAME.NETWORK answer the addresses on the shared network" {
  sk network create n1 > /dev/null
  sk network create n2 > /dev/null
  gw1=$(gateway n1)
  gw2=$(gateway n2)
  web=$(sk run -d --name web --network n1 --network-alias www --hostname webhost busybox sleep 1000)
  sk run -d --name cli --network n1 busybox sleep 1000 > /dev/null
  sk run -d --name other --network n2 busybox sleep 1000 > /dev/null
  # the alias reached the endpoint
  [ "$(sk inspect web | jq -c '.[0].NetworkSettings.Networks.n1.Aliases')" = '["www"]' ]
  webip=$(ip_on web n1)
  start_dns --listen "$gw1" --listen "$gw2"

  for name in web WEB web. www "${web:0:12}" webhost web.n1 WeB.N1.; do
    run lookup cli "$name" "$gw1"
    echo "$name: $output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"Address: $webip"* ]]
  done
  # itself, too
  run lookup cli cli "$gw1"
  [[ "$output" == *"Address: $(ip_on cli n1)"* ]]
  # the full id is no name (Docker's rule)
  run lookup cli "$web" "$gw1"
  [[ "$output" != *"Address: $webip"* ]]
  # other, on n2 only, shares no network with web: no upstream, NXDOMAIN
  run lookup other web "$gw2"
  echo "$output"
  [[ "$output" == *"can't find web: NXDOMAIN"* ]]
  run lookup other www "$gw2"
  [[ "$output" == *"NXDOMAIN"* ]]
  # an unknown name, no upstream: NXDOMAIN
  run lookup cli nosuch.example "$gw1"
  [[ "$output" == *"NXDOMAIN"* ]]
  # cli asking at n2's gateway (the host routes it there) is no endpoint of n2
  run lookup cli web "$gw2"
  [[ "$output" == *"REFUSED"* ]]
  # nor is the host
  run busybox nslookup -type=a web "$gw1"
  [[ "$output" == *"REFUSED"* ]]
  # a stopped container has no name any more: answered from the database at once
  sk stop -t 0 web > /dev/null
  run lookup cli web "$gw1"
  [[ "$output" == *"NXDOMAIN"* ]]
  sk start web > /dev/null
  run lookup cli web "$gw1"
  [[ "$output" == *"Address: $webip"* ]]
  kill -0 "$DNS_PID"
  # for the record (a sanitizer build takes more)
  echo "# skiff-dns serving: $(grep VmRSS /proc/$DNS_PID/status)" >&3
}

@test "dns: TCP queries are answered, with the length prefix" {
  sk network create n1 > /dev/null
  gw1=$(gateway n1)
  sk run -d --name web --network n1 busybox sleep 1000 > /dev/null
  start_dns --listen "$gw1"
  # from the host, which is no container: REFUSED, over TCP
  run python3 -c '
import socket, struct, sys
q = struct.pack("!HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0) + b"\x03web\x00" + struct.pack("!HH", 1, 1)
s = socket.create_connection((sys.argv[1], 53), timeout=5)
s.sendall(struct.pack("!H", len(q)) + q)
n = struct.unpack("!H", s.recv(2))[0]
r = b""
while len(r) < n: r += s.recv(n - len(r))
print(hex(struct.unpack("!H", r[:2])[0]), r[3] & 15)' "$gw1"
  [ "$status" -eq 0 ]
  [ "$output" = "0x4242 5" ]
}

@test "dns: unknown names go upstream; never from an internal network; SERVFAIL when upstream is silent" {
  sk network create n1 > /dev/null
  sk network create --internal n3 > /dev/null
  gw1=$(gateway n1)
  gw3=$(gateway n3)
  up=$(UP_ADDR)
  start_upstream "$up"
  # a loopback server works from the host's namespace; one of its own listen
  # addresses would be a loop and is skipped
  printf 'search example\nnameserver %s\nnameserver %s\n' "$gw1" "$up" > "$BATS_TEST_TMPDIR/resolv.conf"
  sk run -d --name cli --network n1 busybox sleep 1000 > /dev/null
  sk run -d --name inner --network n3 busybox sleep 1000 > /dev/null
  start_dns --listen "$gw1" --listen "$gw3" --upstream "$BATS_TEST_TMPDIR/resolv.conf"

  run lookup cli outside.test "$gw1"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Address: 198.51.100.7"* ]]
  grep -q '^outside.test 1$' "$BATS_TEST_TMPDIR/upstream.log"
  # a container's own name is never asked upstream, for no type
  run lookup cli cli "$gw1"
  sk exec cli nslookup -type=mx cli "$gw1" || true
  ! grep -q '^cli ' "$BATS_TEST_TMPDIR/upstream.log"
  # the internal network's names are answered, the rest is not forwarded
  run lookup inner inner "$gw3"
  [[ "$output" == *"Address: $(ip_on inner n3)"* ]]
  run lookup inner secret.test "$gw3"
  echo "$output"
  [[ "$output" == *"can't find secret.test: NXDOMAIN"* ]]
  ! grep -q secret "$BATS_TEST_TMPDIR/upstream.log"
  # upstream gone: SERVFAIL (nothing listens: refused at once)
  kill "$UP_PID"
  wait "$UP_PID" 2> /dev/null || true
  run lookup cli gone.test "$gw1"
  echo "$output"
  [[ "$output" == *"SERVFAIL"* ]]
}

@test "dns: exits by itself when no container runs on its networks, and on SIGTERM" {
  sk network create n1 > /dev/null
  gw1=$(gateway n1)
  sk run -d --name web --network n1 busybox sleep 1000 > /dev/null
  start_dns --listen "$gw1" --check-interval 200
  sleep 1
  kill -0 "$DNS_PID"
  sk rm -f web > /dev/null
  until_true "! kill -0 $DNS_PID 2> /dev/null"
  rc=0
  wait "$DNS_PID" || rc=$?
  [ "$rc" -eq 0 ]
  [ ! -e "$XR/dns.pid" ]
  [ ! -s "$BATS_TEST_TMPDIR/dns.err" ]

  sk run -d --name web --network n1 busybox sleep 1000 > /dev/null
  start_dns --listen "$gw1"
  kill -TERM "$DNS_PID"
  rc=0
  wait "$DNS_PID" || rc=$?
  [ "$rc" -eq 0 ]
  [ ! -e "$XR/dns.pid" ]
}

@test "dns: bad arguments and addresses it cannot bind give one line and a non-zero exit" {
  sk network ls > /dev/null # makes the database
  check() { # EXPECTED-TEXT ARGS...
    local want=$1
    shift
    run "$SKIFF_DNS" "$@"
    echo "$output"
    [ "$status" -ne 0 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == "skiff-dns: "*"$want"* ]]
  }
  check "--data-root is required" --listen 127.0.0.1
  check "at least one --listen" --data-root "$DR"
  check "\`bogus\` is not an IP address" --data-root "$DR" --listen bogus
  check "unknown option \`--bogus\`" --bogus
  check "needs a value" --data-root
  check "unexpected argument" --data-root "$DR" --listen 127.0.0.1 extra
  check "given twice" --data-root "$DR" --listen 127.0.0.1 --listen 127.0.0.1
  check "--port \`0\` is not a valid number" --data-root "$DR" --listen 127.0.0.1 --port 0
  check "skiff.db" --data-root "$BATS_TEST_TMPDIR/nothing" --listen "$(UP_ADDR)"
  check "open upstream servers" --data-root "$DR" --listen "$(UP_ADDR)" --upstream /nonexistent
  # an address of no interface here (nothing is sent to it)
  check "listen on udp 192.0.2.1:53: Cannot assign requested address" --data-root "$DR" --listen 192.0.2.1
  # a port already taken
  start_upstream "$(UP_ADDR)"
  check "listen on udp $(UP_ADDR):53: Address already in use" --data-root "$DR" --listen "$(UP_ADDR)"
  # and no pid file was left
  run "$SKIFF_DNS" --data-root "$DR" --listen 192.0.2.1 --pid-file "$BATS_TEST_TMPDIR/p"
  [ "$status" -ne 0 ]
  [ ! -e "$BATS_TEST_TMPDIR/p" ]
}
