#!/usr/bin/env bats
# skiff's firewall (src/network/firewall.c, driven by tests/helpers/fw)
# against the real kernel. The host is the real host (the root network
# namespace); the test makes what skiff's engine would make, with ip and
# sysctl, and namespaces of its own around it:
#
#   a1 (.2), a2 (.3) --- bridge A 10.N.1.1/24 ---+
#   b1 (.2) ----------- bridge B 10.N.2.1/24 ---+-- host
#   nb (10.N.3.2/30) --- veth 10.N.3.1/30 -------+   (routes 10.N.0.0/16 and 127.0.0.0/8 via the host)
#
# Every container and the neighbour serve http on port 80; /cgi-bin/ip answers
# "NAME CLIENT_ADDRESS", so a test sees who answered and what source address
# it saw. Traffic stays between these namespaces and the host.

FW="${SKIFF_HELPERS:?set by tests/run}/fw"

# published ports (checked free in setup_file)
PW=18080 # on every address, to a2
PL=18081 # on 127.0.0.1, to a2
PH=18082 # on the host's address facing the neighbour, to a1
PS=18083 # the host's own service on 127.0.0.1 (no container)

setup_file() {
  [ "$(id -u)" = 0 ] || skip "needs root"
  command -v nft >/dev/null || skip "needs nft (the witness)"
  export P="skt$$" # interface and namespace names: at most 15 bytes
  export TABLE="skiff_test_$$"
  export FWD_BEFORE
  FWD_BEFORE=$(sysctl -n net.ipv4.ip_forward)
  local n used
  used="$(ip -4 addr show) $(ip -4 route show table all)"
  for n in 213 214 215 216 217 218 219; do
    case "$used" in *" 10.$n."*) continue ;; esac
    export N=$n
    break
  done
  [ -n "${N:-}" ] || skip "no free 10.N.0.0/16 for the test's networks"
  for port in $PW $PL $PH $PS; do
    ! ss -Htln "sport = :$port" | grep -q . || skip "port $port is in use on the host"
  done
  export BRA="${P}A" BRB="${P}B"
  make_topology
}

make_topology() {
  sysctl -qw net.ipv4.ip_forward=1
  local br sub
  for br in "$BRA:1" "$BRB:2"; do
    sub=${br#*:} br=${br%:*}
    ip link add "$br" type bridge
    ip addr add "10.$N.$sub.1/24" dev "$br"
    # what skiff's engine does to its bridges
    sysctl -qw "net.ipv4.conf.$br.route_localnet=1"
    [ ! -e "/proc/sys/net/ipv6/conf/$br/accept_ra" ] || sysctl -qw "net.ipv6.conf.$br.accept_ra=0"
    ip link set "$br" up
  done
  container a1 "$BRA" "10.$N.1.2" "10.$N.1.1"
  container a2 "$BRA" "10.$N.1.3" "10.$N.1.1"
  container b1 "$BRB" "10.$N.2.2" "10.$N.2.1"
  # a hostile one: its loopback down and 127.0.0.0/8 routed to the host
  container a3 "$BRA" "10.$N.1.4" "10.$N.1.1" hostile

  ip netns add "${P}nb"
  ip link add "${P}n" type veth peer name eth0 netns "${P}nb"
  ip addr add "10.$N.3.1/30" dev "${P}n"
  ip link set "${P}n" up
  # This host link takes 127.0.0.0/8 as a destination (as on a host with
  # net.ipv4.conf.all.route_localnet=1, which kube-proxy sets): only skiff's
  # rules stand between the neighbour and the host's loopback services.
  sysctl -qw "net.ipv4.conf.${P}n.route_localnet=1"
  ip -n "${P}nb" addr add "10.$N.3.2/30" dev eth0
  ip -n "${P}nb" link set eth0 up
  # the neighbour's own loopback stays down, so that 127.0.0.0/8 is routed
  # to the host like any other prefix
  ip -n "${P}nb" route add "10.$N.0.0/16" via "10.$N.3.1"
  ip -n "${P}nb" route add 127.0.0.0/8 via "10.$N.3.1"
  # and takes 127.0.0.0/8 as a source, as an attacker's machine would
  ip netns exec "${P}nb" sysctl -qw net.ipv4.conf.eth0.route_localnet=1
  serve nb "${P}nb" 0.0.0.0:80

  # the host's own service on its loopback
  serve host "" "127.0.0.1:$PS"
}

# container NAME BRIDGE ADDRESS GATEWAY: a network namespace on the bridge
container() {
  local ns="${P}$1"
  ip netns add "$ns"
  ip link add "$ns" type veth peer name eth0 netns "$ns"
  ip link set "$ns" master "$2"
  ip link set "$ns" type bridge_slave hairpin on
  ip link set "$ns" up
  ip -n "$ns" addr add "$3/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route add default via "$4"
  if [ "${5:-}" = hostile ]; then
    ip -n "$ns" route add 127.0.0.0/8 via "$4"
    ip netns exec "$ns" sysctl -qw net.ipv4.conf.eth0.route_localnet=1
    return 0
  fi
  ip -n "$ns" link set lo up
  serve "$1" "$ns" 0.0.0.0:80
}

# serve NAME NETNS [ADDR:]PORT: busybox httpd whose /cgi-bin/ip prints
# "NAME CLIENT_ADDRESS"
serve() {
  local www="$BATS_FILE_TMPDIR/www-$1"
  mkdir -p "$www/cgi-bin"
  printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n%s %%s\\n" "$REMOTE_ADDR"\n' "$1" \
    > "$www/cgi-bin/ip"
  chmod 755 "$www/cgi-bin/ip"
  if [ -n "$2" ]; then
    ip netns exec "$2" busybox httpd -f -p "$3" -h "$www" 3>&- &
  else
    busybox httpd -f -p "$3" -h "$www" 3>&- &
  fi
  echo $! >> "$BATS_FILE_TMPDIR/pids"
  local i port=${3##*:}
  for i in $(seq 50); do
    if [ -n "$2" ]; then
      ip netns exec "$2" ss -Htln "sport = :$port" | grep -q . && return 0
    else
      ss -Htln "sport = :$port" | grep -q . && return 0
    fi
    sleep 0.1
  done
  echo "httpd of $1 did not start" >&2
  return 1
}

teardown_file() {
  [ -n "${P:-}" ] || return 0
  local pid ns
  if [ -f "$BATS_FILE_TMPDIR/pids" ]; then
    while read -r pid; do
      kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done < "$BATS_FILE_TMPDIR/pids"
  fi
  for ns in a1 a2 a3 b1 nb; do
    ip netns del "${P}$ns" 2>/dev/null # takes the veth pairs with it
  done
  ip link del "$BRA" 2>/dev/null
  ip link del "$BRB" 2>/dev/null
  nft delete table inet "$TABLE" 2>/dev/null
  [ -z "${FWD_BEFORE:-}" ] || sysctl -qw "net.ipv4.ip_forward=$FWD_BEFORE"
  true
}

# the description of the test's networks and ports, and any more ITEMs
apply() {
  "$FW" apply "$TABLE" \
    net "$BRA" "10.$N.1.0/24" - normal \
    net "$BRB" "10.$N.2.0/24" - "${B_KIND:-normal}" \
    port tcp - $PW "10.$N.1.3" - 80 "$BRA" \
    port tcp 127.0.0.1 $PL "10.$N.1.3" - 80 "$BRA" \
    port tcp "10.$N.3.1" $PH "10.$N.1.2" - 80 "$BRA" \
    "$@"
}

# get [NETNS] ADDR:PORT: what /cgi-bin/ip answers, in 2 seconds at most
get() {
  local ns=""
  [ $# -lt 2 ] || { ns=$1; shift; }
  if [ -n "$ns" ]; then
    ip netns exec "${P}$ns" curl -sS --noproxy '*' --max-time 2 "http://$1/cgi-bin/ip"
  else
    curl -sS --noproxy '*' --max-time 2 "http://$1/cgi-bin/ip"
  fi
}

# unreachable [NETNS] ADDR:PORT
unreachable() {
  run get "$@"
  if [ "$status" -eq 0 ]; then
    echo "$* answered: $output" >&2
    return 1
  fi
}

@test "firewall: a port published on every address: from the host, the neighbour (its address kept) and a container (hairpin)" {
  apply
  # from the host's loopback: masqueraded to the bridge's address on the way in
  [ "$(get 127.0.0.1:$PW)" = "a2 10.$N.1.1" ]
  # from the host's address: that address
  [ "$(get 10.$N.3.1:$PW)" = "a2 10.$N.3.1" ]
  # from another machine: its own address, no proxy in between
  [ "$(get nb 10.$N.3.1:$PW)" = "a2 10.$N.3.2" ]
  # hairpin, to another container and to itself, through the host's addresses
  [ "$(get a1 10.$N.1.1:$PW)" = "a2 10.$N.1.1" ]
  [ "$(get a2 10.$N.3.1:$PW)" = "a2 10.$N.1.1" ]
  # from the other network, to a published port
  # (masqueraded on its way out of its network)
  [ "$(get b1 10.$N.2.1:$PW)" = "a2 10.$N.1.1" ]

  # the kernel's view
  run nft list table inet "$TABLE"
  [ "$status" -eq 0 ]
  [[ "$output" == *"ip daddr != 127.0.0.0/8 fib daddr type local tcp dport $PW dnat ip to 10.$N.1.3:80"* ]]
  [[ "$output" == *"meta nfproto ipv4 fib daddr type local tcp dport $PW dnat ip to 10.$N.1.3:80"* ]]
  [[ "$output" == *"iifname \"$BRA\" icmpv6 type nd-router-advert drop"* ]]
}

@test "firewall: a port published on one address: only there; on 127.0.0.1 the host's alone, also for a neighbour routing 127.0.0.0/8 here" {
  # the witness that the neighbour really reaches the host's loopback
  # without skiff's rules (the host link takes 127.0.0.0/8)
  "$FW" remove "$TABLE"
  [ "$(get nb 127.0.0.1:$PS)" = "host 10.$N.3.2" ]
  [ "$(get a3 127.0.0.1:$PS)" = "host 10.$N.1.4" ]

  apply
  [ "$(get 127.0.0.1:$PL)" = "a2 10.$N.1.1" ]
  unreachable 10.$N.3.1:$PL
  unreachable nb 127.0.0.1:$PL
  unreachable nb 10.$N.3.1:$PL
  # nor a port published on every address, through 127.0.0.1
  unreachable nb 127.0.0.1:$PW
  # nor a service of the host's own loopback (CVE-2020-8558)
  unreachable nb 127.0.0.1:$PS
  # nor from a container that routes 127.0.0.0/8 to the host, whose bridge
  # has route_localnet on
  unreachable a3 "127.0.0.1:$PS"

  # published on 10.N.3.1: there, not on the bridge's address nor loopback
  [ "$(get nb 10.$N.3.1:$PH)" = "a1 10.$N.3.2" ]
  [ "$(get 10.$N.3.1:$PH)" = "a1 10.$N.3.1" ]
  unreachable nb "10.$N.1.1:$PH"
  unreachable "127.0.0.1:$PH"
}

@test "firewall: a container's own address is not reachable from outside the host, published or not" {
  # the witness: without skiff's rules the host forwards to it
  "$FW" remove "$TABLE"
  [ "$(get nb 10.$N.1.3:80)" = "a2 10.$N.3.2" ]

  apply
  unreachable nb "10.$N.1.3:80" # a2 has a published port
  unreachable nb "10.$N.1.2:80" # a1 too, on one address
  unreachable nb "10.$N.2.2:80" # b1 has none
  # the host itself reaches them (as docker's host does)
  [ "$(get 10.$N.1.2:80)" = "a1 10.$N.1.1" ]
}

@test "firewall: containers on two networks cannot reach each other; on one they can" {
  "$FW" remove "$TABLE"
  [ "$(get a1 10.$N.2.2:80)" = "b1 10.$N.1.2" ]

  apply
  unreachable a1 "10.$N.2.2:80"
  unreachable b1 "10.$N.1.2:80"
  [ "$(get a1 10.$N.1.3:80)" = "a2 10.$N.1.2" ]
}

@test "firewall: a normal network goes out masqueraded; an internal one has no way out" {
  apply
  # the neighbour sees the host's address, not the container's
  [ "$(get b1 10.$N.3.2:80)" = "nb 10.$N.3.1" ]
  [ "$(get a1 10.$N.3.2:80)" = "nb 10.$N.3.1" ]

  B_KIND=internal apply
  unreachable b1 "10.$N.3.2:80"
  unreachable b1 "10.$N.1.2:80"
  unreachable a1 "10.$N.2.2:80"
  # inside it, as before; and the normal network still goes out
  [ "$(get a1 10.$N.3.2:80)" = "nb 10.$N.3.1" ]
  run nft list chain inet "$TABLE" postrouting
  [[ "$output" != *"10.$N.2.0/24 masquerade"* ]]
}

@test "firewall: a flushed, deleted or edited table is restored exactly; applying twice changes nothing" {
  apply
  local want
  want=$(nft list table inet "$TABLE")
  # 2 DNAT rules for the port on every address, 1 for 127.0.0.1, 2 for 10.N.3.1
  [ "$(grep -c 'dnat ip to' <<< "$want")" -eq 5 ]

  apply
  [ "$(nft list table inet "$TABLE")" = "$want" ]

  nft flush table inet "$TABLE"
  [ "$(nft list table inet "$TABLE" | grep -c dnat)" -eq 0 ]
  apply
  [ "$(nft list table inet "$TABLE")" = "$want" ]
  [ "$(get nb 10.$N.3.1:$PW)" = "a2 10.$N.3.2" ]

  nft delete table inet "$TABLE"
  apply
  [ "$(nft list table inet "$TABLE")" = "$want" ]

  nft add rule inet "$TABLE" forward accept
  nft insert rule inet "$TABLE" prerouting ip daddr 10.$N.3.1 tcp dport 9 dnat ip to 10.$N.1.2:80
  nft delete chain inet "$TABLE" input
  apply
  [ "$(nft list table inet "$TABLE")" = "$want" ]
  [ "$(nft list tables | grep -c "inet $TABLE\$")" -eq 1 ]
}

# bad MESSAGE ITEM-WORDS...: applying the test's networks and these is an
# error of one line with MESSAGE in it, and the table is as it was ($want)
bad() {
  local msg=$1
  shift
  run "$FW" apply "$TABLE" net "$BRA" "10.$N.1.0/24" - normal "$@"
  [ "$status" -eq 1 ] || { echo "no failure for: $*"; return 1; }
  [ "${#lines[@]}" -eq 1 ] || { echo "not one line: $output"; return 1; }
  [[ "$output" == "fw: "*"$msg"* ]] || { echo "got: $output"; return 1; }
  [ "$(nft list table inet "$TABLE")" = "$want" ]
}

@test "firewall: bad inputs are one-line errors that change nothing" {
  apply
  local want
  want=$(nft list table inet "$TABLE")
  bad "interface name \`br0;drop\`" net "br0;drop" "10.$N.9.0/24" - normal
  bad "\`10.$N.1.300\` is not an IPv4 address" port tcp - 18090 "10.$N.1.300" - 80 "$BRA"
  bad "\`10.$N.1.2 drop\` is not an IPv4 address" port tcp - 18090 "10.$N.1.2 drop" - 80 "$BRA"
  bad "\`10.$N.9.0/40\` is not an IPv4 subnet" net "${P}C" "10.$N.9.0/40" - normal
  bad "host port 0 is out of range" port tcp - 0 "10.$N.1.2" - 80 "$BRA"
  bad "host port 70000 is out of range" port tcp - 70000 "10.$N.1.2" - 80 "$BRA"
  bad "container port 0 is out of range" port udp - 18090 "10.$N.1.2" - 0 "$BRA"
  bad "protocol 99 is not tcp or udp" port 99 - 18090 "10.$N.1.2" - 80 "$BRA"
  bad "\`127.0.0.1 drop\` is not an IP address" port tcp "127.0.0.1 drop" 18090 "10.$N.1.2" - 80 "$BRA"
  bad "\`${P}Z\` is not one of the networks" port tcp - 18090 "10.$N.1.2" - 80 "${P}Z"
  # a table name that would be nft syntax
  run "$FW" apply "x;flush ruleset"
  [ "$status" -eq 1 ]
  [[ "$output" == *"table name \`x;flush ruleset\` is invalid"* ]]
  [ "$(nft list table inet "$TABLE")" = "$want" ]
}

@test "firewall: remove takes the table away; an absent table is fine" {
  apply
  "$FW" remove "$TABLE"
  run nft list table inet "$TABLE"
  [ "$status" -ne 0 ]
  "$FW" remove "$TABLE"
  # an empty description still makes the table and its base chains
  "$FW" apply "$TABLE"
  run nft list table inet "$TABLE"
  [[ "$output" == *"type nat hook prerouting priority dstnat; policy accept;"* ]]
  [[ "$output" == *"type filter hook forward priority filter; policy accept;"* ]]
}

@test "firewall: apply time for 5 networks and 20 ports" {
  local args=() i
  for i in 1 2 3 4 5; do
    args+=(net "${P}x$i" "10.$N.$((10 + i)).0/24" "fd00:$N:$i::/64" normal)
  done
  for i in $(seq 20); do
    local k=$(((i % 5) + 1))
    args+=(port tcp - $((19000 + i)) "10.$N.$((10 + k)).$((i + 1))" "fd00:$N:$k::$((i + 1))" 80 "${P}x$k")
  done
  run "$FW" --repeat 20 apply "$TABLE" "${args[@]}"
  [ "$status" -eq 0 ]
  echo "# $output" >&3
  [ "$(nft list table inet "$TABLE" | grep -c 'dnat ip6 to')" -eq 40 ]
}
