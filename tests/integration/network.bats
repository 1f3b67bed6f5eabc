#!/usr/bin/env bats
# Networks: the default bridge, none, host and container:NAME modes,
# network create/ls/inspect/rm/prune, addresses from IPAM. Each test has
# its own default bridge and subnet (engine.bash); traffic goes only
# between the host and the test's containers.

load helpers
load engine

# a bridge name of this test's own for network create
user_bridge() {
  local b="skn${SKIFF_TEST_CGROUP##*-}$1"
  echo "${b:0:15}"
}

@test "default bridge: an address of its subnet, a route out through its gateway, no IPv6 at all" {
  run sk run --rm busybox ip -4 -o addr show eth0
  [ "$status" -eq 0 ]
  [[ "$output" == *"inet $NET_PREFIX.2/24 "* ]]
  run sk run --rm busybox ip route
  [[ "$output" == *"default via $NET_PREFIX.1 dev eth0"* ]]
  # the host's view: the bridge with the gateway's address
  ip -o -4 addr show dev "$BR" | grep -q "inet $NET_PREFIX.1/24"
  [ "$(cat /proc/sys/net/ipv4/conf/$BR/route_localnet)" = 1 ]
  [ "$(cat /proc/sys/net/ipv6/conf/$BR/accept_ra)" = 0 ]
  # on a network without IPv6 the container has none, link-local included
  run sk run --rm busybox sh -c 'ip -6 -o addr; cat /proc/sys/net/ipv6/conf/eth0/disable_ipv6'
  [ "$output" = 1 ]
}

@test "default bridge: containers reach each other and the host reaches them" {
  id=$(sk run -d --hostname web busybox httpd -f -p 80 -h /etc)
  ip=$(sk inspect --format '{{.NetworkSettings.IPAddress}}' "$id")
  [ "$ip" = "$NET_PREFIX.2" ]
  until_true "curl -s -m 2 http://$ip/hostname > /dev/null"
  run curl -s -m 5 "http://$ip/hostname"
  [ "$output" = web ]
  # (busybox's nc: its static wget crashes)
  run sk run --rm busybox sh -c "printf 'GET /hostname HTTP/1.0\r\n\r\n' | nc -w 5 $ip 80 | tail -1"
  [ "$status" -eq 0 ]
  [ "$output" = web ]
}

@test "inspect: the addresses while it runs; stop removes its namespace and veth, start brings the same address back, rm gives it up" {
  id=$(sk run -d busybox sleep 1000)
  sk inspect --format '{{json .NetworkSettings}}' "$id" > "$BATS_TEST_TMPDIR/ns.json"
  jq -e --arg p "$NET_PREFIX" --arg key "$XR/netns/$id" '
    .IPAddress == ($p + ".2") and .Gateway == ($p + ".1") and .IPPrefixLen == 24 and
    .Networks.bridge.IPAddress == ($p + ".2") and .Networks.bridge.Gateway == ($p + ".1") and
    (.MacAddress | test("^02:42:0a:d5:")) and .SandboxKey == $key and
    (.Networks.bridge.NetworkID | length) == 64' "$BATS_TEST_TMPDIR/ns.json"
  # its veth on the host, in the bridge; the MAC inside is the one shown
  [ "$(ip -o link show master "$BR" | wc -l)" -eq 1 ]
  [ "$(sk exec "$id" cat /sys/class/net/eth0/address)" = "$(sk inspect --format '{{.NetworkSettings.MacAddress}}' "$id")" ]
  id2=$(sk run -d busybox sleep 1000)
  [ "$(sk inspect --format '{{.NetworkSettings.IPAddress}}' "$id2")" = "$NET_PREFIX.3" ]
  sk stop -t 0 "$id" > /dev/null
  [ ! -e "$XR/netns/$id" ]
  [ "$(ip -o link show master "$BR" | wc -l)" -eq 1 ]
  [ -z "$(sk inspect --format '{{.NetworkSettings.IPAddress}}' "$id")" ]
  sk start "$id" > /dev/null
  [ "$(sk inspect --format '{{.NetworkSettings.IPAddress}}' "$id")" = "$NET_PREFIX.2" ]
  sk rm -f "$id" > /dev/null
  [ ! -e "$XR/netns/$id" ]
  [ "$(ip -o link show master "$BR" | wc -l)" -eq 1 ]
  # the address is free again: the next container gets it
  id3=$(sk run -d busybox sleep 1000)
  [ "$(sk inspect --format '{{.NetworkSettings.IPAddress}}' "$id3")" = "$NET_PREFIX.2" ]
}

@test "/etc/hosts names the container on its address; none has lo alone; host the host's links; container:NAME another's" {
  run sk run --rm --hostname web busybox cat /etc/hosts
  [[ "$output" == *"$NET_PREFIX.2	web"* ]]
  run sk run --rm --network none busybox ip -o link
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *"lo:"* ]]
  run sk run --rm --network host busybox ip -o link show "$BR"
  [ "$status" -eq 0 ]
  sk run -d --name donor busybox sleep 1000 > /dev/null
  run sk run --rm --network container:donor busybox ip -4 -o addr show eth0
  [[ "$output" == *"inet $NET_PREFIX.2/24 "* ]]
  sk stop -t 0 donor > /dev/null
  run sk run --rm --network container:donor busybox true
  [ "$status" -eq 125 ]
  assert_one_line
  [[ "$output" == *"cannot join network of a non running container: donor"* ]]
}

@test "network create, ls, inspect, rm: docker's output; the bridge is made and removed with the network" {
  b=$(user_bridge a)
  id=$(sk network create --subnet 10.215.7.0/24 --gateway 10.215.7.254 --ip-range 10.215.7.128/25 \
    --label team=a -o com.docker.network.bridge.name="$b" n1)
  [[ "$id" =~ ^[0-9a-f]{64}$ ]]
  ip -o -4 addr show dev "$b" | grep -q "inet 10.215.7.254/24"
  run sk network ls
  [ "${lines[0]}" = "$(printf 'NETWORK ID     NAME      DRIVER    SCOPE')" ]
  [[ "$output" == *"${id:0:12}   n1        bridge    local"* ]]
  [[ "$output" == *"   bridge    bridge    local"* ]]
  [[ "$output" == *"   host      host      local"* ]]
  [[ "$output" == *"   none      null      local"* ]]
  [ "$(sk network ls -q --filter type=custom)" = "${id:0:12}" ]
  [ "$(sk network ls --no-trunc -q --filter name=n1)" = "$id" ]
  [ "$(sk network ls --format '{{.Name}} {{.Driver}}' --filter label=team=a)" = "n1 bridge" ]
  sk network inspect n1 > "$BATS_TEST_TMPDIR/n1.json"
  jq -e --arg id "$id" --arg b "$b" '.[0] | .Name == "n1" and .Id == $id and .Driver == "bridge" and
    .Scope == "local" and .IPAM.Config == [{"Subnet": "10.215.7.0/24", "IPRange": "10.215.7.128/25",
    "Gateway": "10.215.7.254"}] and .Labels == {"team": "a"} and
    .Options["com.docker.network.bridge.name"] == $b and .Internal == false and .EnableIPv6 == false' \
    "$BATS_TEST_TMPDIR/n1.json"
  # a container on it: an address of the range; --ip one of the subnet's
  c1=$(sk run -d --network n1 busybox sleep 1000)
  [ "$(sk inspect --format '{{.NetworkSettings.Networks.n1.IPAddress}}' "$c1")" = 10.215.7.128 ]
  run sk run --rm --network n1 busybox ip route
  [[ "$output" == *"default via 10.215.7.254 dev eth0"* ]]
  c2=$(sk run -d --network n1 --ip 10.215.7.20 busybox sleep 1000)
  [ "$(sk inspect --format '{{.NetworkSettings.Networks.n1.IPAddress}}' "$c2")" = 10.215.7.20 ]
  [ "$(sk network inspect --format '{{json .Containers}}' n1 | jq length)" = 2 ]
  # not while containers are on it
  run sk network rm n1
  [ "$status" -eq 1 ]
  assert_one_line
  [[ "$output" == "Error response from daemon: error while removing network: network n1 id $id has active endpoints" ]]
  sk rm -f "$c1" "$c2" > /dev/null
  run sk network rm n1
  [ "$status" -eq 0 ]
  [ "$output" = n1 ]
  ! ip link show "$b" 2> /dev/null
  run sk network inspect n1
  [ "$status" -eq 1 ]
  [ "${lines[-1]}" = "Error response from daemon: network n1 not found" ]
}

@test "network create: a subnet from the pools when none is given; prune removes the unused ones" {
  n2=$(sk network create n2)
  [ "$(sk network inspect --format '{{json .IPAM.Config}}' n2 | jq -r '.[0] | .Subnet + " " + .Gateway')" = \
    "${POOL%.0/24}.0/28 ${POOL%.0/24}.1" ]
  sk network create n3 > /dev/null
  [ "$(sk network inspect --format '{{json .IPAM.Config}}' n3 | jq -r '.[0].Subnet')" = "${POOL%.0/24}.16/28" ]
  c=$(sk run -d --network n3 busybox sleep 1000)
  [ "$(sk inspect --format '{{.NetworkSettings.Networks.n3.IPAddress}}' "$c")" = "${POOL%.0/24}.18" ]
  run sk network prune -f
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'Deleted Networks:\nn2')" ]
  [ "$(sk network ls --format '{{.Name}}' --filter type=custom)" = n3 ]
  b2=$(jq -r '.[0].Options["com.docker.network.bridge.name"]' <<< "$(sk network inspect n3)")
  ip link show "$b2" > /dev/null
}

@test "network and address errors: one line, a non-zero exit, nothing made" {
  sk network create --subnet 10.215.8.0/24 taken > /dev/null
  links=$(ip -o link show | wc -l)
  nets=$(sk network ls -q | wc -l)
  for args in "--subnet 10.215.8.0/25 over" "--subnet 10.215.8.1/24 hostbits" "--subnet nonsense bad" \
    "--subnet 10.215.9.0/24 --gateway 10.215.10.1 gw" "--subnet 10.215.9.0/24 --ip-range 10.215.10.0/25 range" \
    "taken" "--driver overlay ov" "bridge" "-o com.docker.network.bridge.name=bad;name semi" \
    "--ipv6 v6nosubnet" "-o nosuch=1 opt"; do
    run sk network create $args
    [ "$status" -eq 1 ]
    assert_one_line
    [[ "$output" == "Error response from daemon: "* ]] || [[ "$output" == *"unknown bridge network option"* ]]
  done
  run sk network create --subnet 10.215.8.0/25 over
  [[ "$output" == *"Pool overlaps with other one on this address space"* ]]
  run sk network create taken
  [[ "$output" == *"network with name taken already exists"* ]]
  [ "$(ip -o link show | wc -l)" -eq "$links" ]
  [ "$(sk network ls -q | wc -l)" -eq "$nets" ]
  for n in bridge host none; do
    run sk network rm "$n"
    [ "$status" -eq 1 ]
    [[ "$output" == *"$n is a pre-defined network and cannot be removed"* ]]
  done
  # addresses: --ip only on user-defined networks, in the subnet, free
  before=$(sk ps -aq | wc -l)
  run sk run --rm --ip "$NET_PREFIX.9" busybox true
  [ "$status" -eq 125 ]
  assert_one_line
  [[ "$output" == *"user specified IP address is supported on user defined networks only"* ]]
  run sk run --rm --network taken --ip 10.215.99.9 busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"no configured subnet or ip-range contain the IP address 10.215.99.9"* ]]
  run sk run --rm --network nosuch busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"network nosuch not found"* ]]
  sk run -d --network taken --ip 10.215.8.9 busybox sleep 1000 > /dev/null
  run sk run -d --network taken --ip 10.215.8.9 busybox sleep 1000
  [ "$status" -eq 125 ]
  assert_one_line
  [[ "$output" == *"Address already in use"* ]]
  [ "$(sk ps -aq | wc -l)" -eq $((before + 1)) ]
}

@test "IPAM: 50 concurrent runs on one network get 50 different addresses" {
  sk network create --subnet 10.215.11.0/24 par > /dev/null
  for i in $(seq 50); do
    sk run -d --network par busybox sleep 1000 > /dev/null 3>&- &
  done
  wait
  [ "$(sk ps -q | wc -l)" -eq 50 ]
  sk network inspect --format '{{json .Containers}}' par | jq -r '.[].IPv4Address' > "$BATS_TEST_TMPDIR/ips"
  [ "$(wc -l < "$BATS_TEST_TMPDIR/ips")" -eq 50 ]
  [ "$(sort -u "$BATS_TEST_TMPDIR/ips" | wc -l)" -eq 50 ]
  [ "$(ip -o link show master "$(jq -r '.[0].Options["com.docker.network.bridge.name"]' <<< "$(sk network inspect par)")" | wc -l)" -eq 50 ]
}

# ---- published ports and the firewall ----

# ports of this test's own: 18000 + 10 per test
test_ports() {
  HP=$((18000 + BATS_TEST_NUMBER * 10))
}

# GET /hostname of a busybox httpd at ADDR:PORT from the host
get() { curl -s -m 3 "http://$1/hostname"; }

# from inside a new container on NETWORK: GET /hostname of ADDR PORT
get_from() { # NETWORK ADDR PORT
  sk run --rm --network "$1" busybox sh -c "printf 'GET /hostname HTTP/1.0\r\n\r\n' | nc -w 3 $2 $3 | tail -1"
}

@test "-p: a published port answers on the host's loopback and its own addresses and to other containers; inspect, port and ps show it" {
  test_ports
  id=$(sk run -d --name web --hostname web -p "127.0.0.1:$HP:80" -p "$((HP + 1)):80" -p 80 busybox httpd -f -p 80 -h /etc)
  until_true "[ \"\$(get 127.0.0.1:$((HP + 1)))\" = web ]"
  [ "$(get "127.0.0.1:$HP")" = web ]
  # the bridge's gateway is one of the host's addresses: the wildcard port answers there
  [ "$(get "$NET_PREFIX.1:$((HP + 1))")" = web ]
  # the port on 127.0.0.1 is on 127.0.0.1 alone
  [ -z "$(get "$NET_PREFIX.1:$HP")" ]
  # another container through the host's address (hairpin)
  [ "$(get_from bridge "$NET_PREFIX.1" $((HP + 1)))" = web ]
  # the ephemeral one: in the kernel's range, answering too
  eph=$(sk port web 80/tcp | sed -n 's/^0.0.0.0:\([0-9]*\)$/\1/p' | grep -v "^$((HP + 1))$")
  read -r lo hi < /proc/sys/net/ipv4/ip_local_port_range
  [ "$eph" -ge "$lo" ] && [ "$eph" -le "$hi" ]
  [ "$(get "127.0.0.1:$eph")" = web ]
  sk inspect --format '{{json .NetworkSettings.Ports}}' web | jq -e --arg a "$HP" --arg b "$((HP + 1))" --arg c "$eph" \
    '.["80/tcp"] | map(.HostIp + ":" + .HostPort) | sort == (["127.0.0.1:" + $a, "0.0.0.0:" + $b, "0.0.0.0:" + $c] | sort)'
  [[ "$(sk ps --format '{{.Ports}}' --filter name=web)" == *"127.0.0.1:$HP->80/tcp"* ]]
  # the kernel's view: skiff's table DNATs to the container
  nft list table inet "$FW_TABLE" | grep -q "dnat ip to $NET_PREFIX.2:80"
  # a container port range to a host port range; udp (busybox has no UDP
  # client: the kernel's rule is the witness)
  sk run -d --name rng --hostname rng -p "$((HP + 3))-$((HP + 4)):90-91" -p "$((HP + 5)):53/udp" busybox sh -c \
    'httpd -p 90 -h /etc; httpd -f -p 91 -h /etc' > /dev/null
  [ "$(sk port rng 91)" = "0.0.0.0:$((HP + 4))" ]
  [ "$(sk port rng 53/udp)" = "0.0.0.0:$((HP + 5))" ]
  until_true "[ \"\$(get 127.0.0.1:$((HP + 4)))\" = rng ]"
  [ "$(get "127.0.0.1:$((HP + 3))")" = rng ]
  nft list table inet "$FW_TABLE" | grep -q "udp dport $((HP + 5)) dnat ip to $NET_PREFIX.3:53"
  sk rm -f rng > /dev/null
  # udp traffic: a server of the host's python in the container's network
  # namespace (busybox has no UDP tool), a datagram to the published port
  cid=$(sk run -d -p "$((HP + 6)):5353/udp" busybox sleep 1000)
  nsenter --net="$XR/netns/$cid" python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5353))
while True:
    d, a = s.recvfrom(100)
    s.sendto(d.upper(), a)' 3>&- &
  BG_PIDS+=($!)
  until_true "nsenter --net='$XR/netns/$cid' ss -lun | grep -q ':5353 '"
  reply=$(python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(b"hello", ("127.0.0.1", int(sys.argv[1])))
print(s.recvfrom(100)[0].decode())' "$((HP + 6))")
  [ "$reply" = HELLO ]
  sk rm -f "$cid" > /dev/null
  # -P: every exposed port to an ephemeral one; --mac-address as asked
  sk run -d --name all --hostname all -P --expose 80 --expose 81 --mac-address 02:42:aa:bb:cc:dd busybox httpd -f -p 80 -h /etc > /dev/null
  p80=$(sk port all 80 | sed 's/.*://')
  [ -n "$(sk port all 81)" ]
  until_true "[ \"\$(get 127.0.0.1:$p80)\" = all ]"
  [ "$(sk inspect --format '{{.NetworkSettings.MacAddress}}' all)" = 02:42:aa:bb:cc:dd ]
  sk rm -f all > /dev/null
  # rm takes the rules away with it
  sk rm -f web > /dev/null
  ! nft list table inet "$FW_TABLE" | grep -q "dport $((HP + 1))"
  [ -z "$(get "127.0.0.1:$((HP + 1))")" ]
}

@test "-p: a port held by another container or by a process of the host is refused at start; the container stays created" {
  test_ports
  sk run -d --name first -p "$HP:80" busybox sleep 1000 > /dev/null
  run sk run -d --name second -p "$HP:80" busybox sleep 1000
  [ "$status" -eq 125 ]
  assert_one_line
  [[ "$output" == *"Bind for 0.0.0.0:$HP failed: port is already allocated"* ]]
  [ "$(sk inspect --format '{{.State.Status}}' second)" = created ]
  # a range: the next free port of it
  sk run -d --name third -p "$HP-$((HP + 2)):80" busybox sleep 1000 > /dev/null
  [ "$(sk port third 80)" = "0.0.0.0:$((HP + 1))" ]
  # the host's own listener
  busybox nc -l -p $((HP + 5)) > /dev/null 2>&1 3>&- &
  BG_PIDS+=($!)
  until_true "ss -ltn | grep -q ':$((HP + 5)) '"
  run sk run -d -p "$((HP + 5)):80" busybox sleep 1000
  [ "$status" -eq 125 ]
  [[ "$output" == *"Bind for 0.0.0.0:$((HP + 5)) failed: port is already allocated"* ]]
  # a stopped container's port is free again
  sk stop -t 0 first > /dev/null
  sk start second > /dev/null
  [ "$(sk port second 80)" = "0.0.0.0:$HP" ]
}

# A neighbour: a network namespace joined to the host by a veth pair, which
# routes the containers' subnets and 127.0.0.0/8 to the host (as a hostile
# machine on the same link could: its own loopback down, 127.0.0.0/8 taken
# as a source and a destination on both ends of the link, as on a host
# with route_localnet set, which kube-proxy does)
neighbour() {
  NB="sknb${SKIFF_TEST_CGROUP##*-}"
  NB="${NB:0:12}"
  local n=$((BATS_TEST_NUMBER % 250))
  HOST_ADDR=10.216.$n.1
  NB_ADDR=10.216.$n.2
  ip netns add "$NB"
  ip link add "${NB}h" type veth peer name eth0 netns "$NB"
  ip addr add "$HOST_ADDR/30" dev "${NB}h"
  ip link set "${NB}h" up
  sysctl -qw "net.ipv4.conf.${NB}h.route_localnet=1"
  ip -n "$NB" addr add "$NB_ADDR/30" dev eth0
  ip -n "$NB" link set eth0 up
  ip netns exec "$NB" sysctl -qw net.ipv4.conf.eth0.route_localnet=1
  ip -n "$NB" route add default via "$HOST_ADDR"
  ip -n "$NB" route add 127.0.0.0/8 via "$HOST_ADDR"
}

neighbour_gone() {
  [ -n "${NB:-}" ] || return 0
  ip netns del "$NB" 2> /dev/null || true
  ip link del "${NB}h" 2> /dev/null || true
}

teardown() {
  engine_teardown
  neighbour_gone
}

@test "security: from a neighbour, a published port answers on the host's address with the client's address kept; 127.0.0.1 ports and container addresses do not" {
  test_ports
  neighbour
  # a page that tells who asked
  sk run -d --name who -p "127.0.0.1:$HP:80" -p "$((HP + 1)):80" busybox sh -c \
    'mkdir -p /w/cgi-bin && printf "#!/bin/sh\necho\necho \$REMOTE_ADDR\n" > /w/cgi-bin/who && chmod +x /w/cgi-bin/who && httpd -f -p 80 -h /w' > /dev/null
  until_true "curl -s -m 2 http://127.0.0.1:$((HP + 1))/cgi-bin/who | grep -q ."
  # (httpd's socket is IPv6's: an IPv4 client shows as [::ffff:ADDRESS])
  run ip netns exec "$NB" curl -s -m 3 "http://$HOST_ADDR:$((HP + 1))/cgi-bin/who"
  [ "$status" -eq 0 ]
  [ "$output" = "[::ffff:$NB_ADDR]" ]
  # the port on 127.0.0.1: not from the neighbour, even routed to the host
  run ip netns exec "$NB" curl -s -m 3 "http://127.0.0.1:$HP/cgi-bin/who"
  [ "$status" -ne 0 ]
  run ip netns exec "$NB" curl -s -m 3 "http://$HOST_ADDR:$HP/cgi-bin/who"
  [ "$status" -ne 0 ]
  # the container's own address, on the published port or any other
  ip netns exec "$NB" ip route add "$NET_PREFIX.0/24" via "$HOST_ADDR"
  run ip netns exec "$NB" curl -s -m 3 "http://$NET_PREFIX.2:80/cgi-bin/who"
  [ "$status" -ne 0 ]
  # while the host itself reaches it
  [ "$(curl -s -m 3 "http://$NET_PREFIX.2:80/cgi-bin/who")" = "[::ffff:$NET_PREFIX.1]" ]
  # a service of the host on its loopback: the neighbour reaches it
  # without skiff's table (the witness), not with it
  busybox httpd -f -p "127.0.0.1:$((HP + 2))" -h /etc > /dev/null 2>&1 3>&- &
  BG_PIDS+=($!)
  until_true "curl -s -m 2 -o /dev/null http://127.0.0.1:$((HP + 2))/hostname"
  nft delete table inet "$FW_TABLE"
  ip netns exec "$NB" curl -s -m 3 -o /dev/null "http://127.0.0.1:$((HP + 2))/hostname"
  sk network reload
  run ip netns exec "$NB" curl -s -m 3 -o /dev/null "http://127.0.0.1:$((HP + 2))/hostname"
  [ "$status" -ne 0 ]
  # loopback forwarding is on skiff's bridge only, never for all links
  [ "$(cat /proc/sys/net/ipv4/conf/$BR/route_localnet)" = 1 ]
  [ "$(cat /proc/sys/net/ipv4/conf/all/route_localnet)" = 0 ]
}

@test "security: skiff's table flushed or deleted: published ports fail closed until network reload (or the next run) puts every rule back, once" {
  test_ports
  sk run -d --name web --hostname web -p "$HP:80" busybox httpd -f -p 80 -h /etc > /dev/null
  until_true "[ \"\$(get 127.0.0.1:$HP)\" = web ]"
  nft list table inet "$FW_TABLE" > "$BATS_TEST_TMPDIR/before"
  nft flush table inet "$FW_TABLE"
  [ -z "$(get "127.0.0.1:$HP")" ]
  sk network reload
  [ "$(get "127.0.0.1:$HP")" = web ]
  diff "$BATS_TEST_TMPDIR/before" <(nft list table inet "$FW_TABLE")
  nft delete table inet "$FW_TABLE"
  [ -z "$(get "127.0.0.1:$HP")" ]
  sk run --rm busybox true
  [ "$(get "127.0.0.1:$HP")" = web ]
  diff "$BATS_TEST_TMPDIR/before" <(nft list table inet "$FW_TABLE")
  # applied again: the same rules, none twice
  sk network reload
  diff "$BATS_TEST_TMPDIR/before" <(nft list table inet "$FW_TABLE")
}

@test "isolation: two user networks do not reach each other; an internal one has no way out and no default route" {
  test_ports
  neighbour
  sk network create --subnet 10.217.1.0/24 na > /dev/null
  sk network create --subnet 10.217.2.0/24 nb > /dev/null
  sk network create --internal --subnet 10.217.3.0/24 ni > /dev/null
  sk run -d --name aa --hostname a --network na busybox httpd -f -p 80 -h /etc > /dev/null
  a=$(sk inspect --format '{{.NetworkSettings.Networks.na.IPAddress}}' aa)
  until_true "[ \"\$(get $a:80)\" = a ]"
  # from its own network: yes; from the other: no
  [ "$(get_from na "$a" 80)" = a ]
  [ -z "$(get_from nb "$a" 80)" ]
  [ -z "$(get_from ni "$a" 80)" ]
  # the neighbour's server, which says who asked: reached from na,
  # masqueraded (it sees the host's address), not from ni
  mkdir -p "$BATS_TEST_TMPDIR/nbw/cgi-bin"
  printf '#!/bin/sh\necho\necho $REMOTE_ADDR\n' > "$BATS_TEST_TMPDIR/nbw/cgi-bin/who"
  chmod +x "$BATS_TEST_TMPDIR/nbw/cgi-bin/who"
  ip netns exec "$NB" busybox httpd -p 8099 -h "$BATS_TEST_TMPDIR/nbw" 3>&- &
  until_true "ip netns exec $NB ss -ltn | grep -q ':8099 '"
  BG_PIDS+=($(ip netns pids "$NB"))
  run sk run --rm --network na busybox sh -c "printf 'GET /cgi-bin/who HTTP/1.0\r\n\r\n' | nc -w 3 $NB_ADDR 8099 | tail -1"
  [[ "$output" =~ ^(\[::ffff:)?$HOST_ADDR\]?$ ]]
  run sk run --rm --network ni busybox sh -c "ip route; printf 'GET /cgi-bin/who HTTP/1.0\r\n\r\n' | nc -w 3 $NB_ADDR 8099 | tail -1"
  [[ "$output" != *"$HOST_ADDR"* ]]
  [[ "$output" != *default* ]]
}

@test "kill -9 of skiff in the middle of run: the next command leaves no namespace or veth of a container that does not run" {
  local i pid n
  for i in 1 2 3 4 5; do
    "$SKIFF" run -d busybox sleep 1000 > /dev/null 2>&1 3>&- &
    pid=$!
    # as soon as its namespace is there (before its shim has it, mostly)
    for n in $(seq 20000); do
      [ -n "$(ls "$XR/netns" 2> /dev/null)" ] && [ "$(ls "$XR/netns" | wc -l)" -ge "$i" ] && break
      kill -0 "$pid" 2> /dev/null || break
    done
    kill -9 "$pid" 2> /dev/null || true
    wait "$pid" || true
  done
  # the next command
  sk network ls > /dev/null
  running=$(sk ps -q --no-trunc | sort)
  [ "$(ls "$XR/netns" | sort)" = "$running" ]
  [ "$(ip -o link show master "$BR" | wc -l)" -eq "$(echo -n "$running" | grep -c .)" ]
  # what was left created starts as any other
  for id in $(sk ps -aq --no-trunc --filter status=created); do
    sk start "$id" > /dev/null
  done
  [ "$(sk ps -q | wc -l)" -eq "$(sk ps -aq | wc -l)" ]
  [ "$(ip -o link show master "$BR" | wc -l)" -eq "$(sk ps -q | wc -l)" ]
}

@test "dns: on a user-defined network containers find each other by name, alias and short id, and nothing across networks" {
  sk network create --subnet 10.218.1.0/24 d1 > /dev/null
  sk network create --subnet 10.218.2.0/24 d2 > /dev/null
  id=$(sk run -d --name web --network d1 --network-alias www busybox sleep 1000)
  sk run -d --name other --network d2 busybox sleep 1000 > /dev/null
  # resolv.conf: the network's resolver, on its gateway
  run sk run --rm --network d1 --dns-search example.test busybox cat /etc/resolv.conf
  [ "$output" = "$(printf 'search example.test\nnameserver 10.218.1.1')" ]
  for name in web www "${id:0:12}" web.d1 WEB; do
    run sk run --rm --network d1 busybox nslookup "$name"
    [ "$status" -eq 0 ]
    [[ "$output" == *"Address: 10.218.1.2"* ]]
  done
  run sk run --rm --network d2 busybox nslookup web
  [ "$status" -ne 0 ]
  [[ "$output" != *"10.218.1.2"* ]]
  # one resolver for the host, which goes when nothing needs it
  pid=$(cat "$XR/dns.pid")
  [ "$(cat /proc/$pid/comm)" = skiff-dns ]
  sk rm -f web other > /dev/null
  until_true "! kill -0 $pid 2> /dev/null"
}

@test "--dns, --dns-search, --dns-option and --add-host reach the container's files; the default bridge has the host's servers" {
  run sk run --rm --dns 10.219.0.53 --dns-search a.test --dns-search b.test --dns-option ndots:2 \
    --add-host db:10.219.0.7 --add-host gw:host-gateway busybox sh -c 'cat /etc/resolv.conf; grep -E "[[:space:]](db|gw)$" /etc/hosts'
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'search a.test b.test\nnameserver 10.219.0.53\noptions ndots:2\n10.219.0.7\tdb\n%s.1\tgw' "$NET_PREFIX")" ]
  # the default bridge: the host's servers, without its loopback ones
  grep '^nameserver' /etc/resolv.conf | grep -v -e ' 127\.' -e ' ::1$' > "$BATS_TEST_TMPDIR/want" || true
  [ -s "$BATS_TEST_TMPDIR/want" ] || printf 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n' > "$BATS_TEST_TMPDIR/want"
  diff "$BATS_TEST_TMPDIR/want" <(sk run --rm busybox grep '^nameserver' /etc/resolv.conf)
}

@test "IPv6: a network made with --ipv6 and a subnet gives its containers an address and a route; they reach each other over it" {
  sk network create --ipv6 --subnet 10.222.1.0/24 --subnet fd00:5c1f:1::/64 six > /dev/null
  sk network inspect six | jq -e '.[0].EnableIPv6 == true and
    (.[0].IPAM.Config | map(.Subnet + " " + .Gateway)) == ["10.222.1.0/24 10.222.1.1", "fd00:5c1f:1::/64 fd00:5c1f:1::1"]'
  sk run -d --name web6 --hostname web6 --network six busybox httpd -f -p 80 -h /etc > /dev/null
  ip6=$(sk inspect --format '{{.NetworkSettings.Networks.six.GlobalIPv6Address}}' web6)
  [ "$ip6" = "fd00:5c1f:1::2" ]
  [ "$(sk inspect --format '{{.NetworkSettings.Networks.six.IPv6Gateway}}' web6)" = "fd00:5c1f:1::1" ]
  run sk run --rm --network six busybox sh -c "ip -6 route; printf 'GET /hostname HTTP/1.0\r\n\r\n' | nc -w 3 $ip6 80 | tail -1"
  [ "$status" -eq 0 ]
  [[ "$output" == *"default via fd00:5c1f:1::1 dev eth0"* ]]
  [ "${lines[-1]}" = web6 ]
  # the host reaches it on its bridge
  [ "$(curl -s -m 3 "http://[$ip6]/hostname")" = web6 ]
}

@test "network connect and disconnect: a running container on a second network at once, with its names there; the link gone again" {
  sk network create --subnet 10.223.1.0/24 c1 > /dev/null
  sk network create --subnet 10.223.2.0/24 c2 > /dev/null
  sk run -d --name srv --hostname srv --network c1 busybox httpd -f -p 80 -h /etc > /dev/null
  run sk run --rm --network c2 busybox nslookup srv
  [[ "$output" != *"Address: 10.223"* ]]
  sk network connect --alias web2 --ip 10.223.2.50 c2 srv
  [ "$(sk inspect --format '{{.NetworkSettings.Networks.c2.IPAddress}}' srv)" = 10.223.2.50 ]
  [ "$(sk exec srv ip -4 -o addr show eth1 | awk '{print $4}')" = 10.223.2.50/24 ]
  [ "$(get_from c2 10.223.2.50 80)" = srv ]
  run sk run --rm --network c2 busybox nslookup web2
  [[ "$output" == *"Address: 10.223.2.50"* ]]
  run sk network connect c2 srv
  [ "$status" -eq 1 ]
  assert_one_line
  [ "$output" = "Error response from daemon: endpoint with name srv already exists in network c2" ]
  sk network disconnect c2 srv
  ! sk exec srv ip link show eth1 2> /dev/null
  [ "$(sk inspect --format '{{json .NetworkSettings.Networks}}' srv | jq -c keys)" = '["c1"]' ]
  [ -z "$(get_from c2 10.223.2.50 80)" ]
  run sk network disconnect c2 srv
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: container srv is not connected to network c2" ]
  run sk network connect c2 nosuch
  [ "$status" -eq 1 ]
  [[ "$output" == *"No such container: nosuch"* ]]
  sk run -d --name lone --network none busybox sleep 1000 > /dev/null
  run sk network connect c2 lone
  [ "$status" -eq 1 ]
  [[ "$output" == *"cannot be connected to any other network"* ]]
  # a stopped container: on the network from its next start
  sk stop -t 0 srv > /dev/null
  sk network connect c2 srv
  sk start srv > /dev/null
  [ "$(sk exec srv cat /sys/class/net/eth1/operstate)" = up ]
}
