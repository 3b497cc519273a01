#!/bin/sh
# Records the conformance fixtures r_live_traceroute_* from real TTL-expiring traffic through a
# real Linux router (root only).
#
# The LAN client (10.0.1.2) runs traceroute (UDP probes by default, ICMP echo with -I, TCP SYN
# with -T) and ping with a small TTL through a router with a stateful FORWARD (policy DROP,
# ESTABLISHED / RELATED accepted, new connections only from the LAN). A probe with TTL 1 expires
# AT the router: the router itself sends the time exceeded error (a locally generated ICMP error,
# RELATED to the probe's unconfirmed connection). For a hop beyond the router the WAN endpoint
# (203.0.113.2) forwards to a host behind it (198.51.100.50, namespace lv_far, built by
# scripts/examples/lib/live_more.py: the shared live tools have no such hop): a probe with TTL 2
# expires in the WAN endpoint, whose time exceeded error comes back through the router RELATED
# and is un-NATed there (outer destination and the quoted packet's source), and the final hop
# answers with a port unreachable (UDP), an echo reply (ICMP), a SYN-ACK (TCP to a listener, the
# client's stack then resets it) or a RST (TCP to a closed port).
#   r_live_traceroute_masq      UDP and ICMP traceroute to 198.51.100.50 and ping -t 1 / -t 2
#                               through MASQUERADE
#   r_live_traceroute_tcp_masq  TCP SYN traceroute to a listener (python3 -m http.server) and to a
#                               closed port on 198.51.100.50 through MASQUERADE
#   r_live_traceroute_routed    UDP, ICMP and TCP traceroute to the server 10.0.2.2 (one hop: the
#                               router), ping -t 1, no NAT
#
# Each capture (the packets as they arrived at the router) is then replayed through a fresh
# kernel router by scripts/conformance/record.ts (see scripts/examples/lib/live_fixture.py).
# Takes /tmp/ctkit-record.lock itself for the whole run: do not wrap it in flock.
#
# Usage: sudo scripts/examples/record-live-traceroute.sh [masq|tcp_masq|routed ...]
#        (needs traceroute, iputils-ping, iptables (nf_tables), nftables, conntrack, tcpdump,
#        ethtool, python3-scapy (/usr/bin/python3), node; LIVE_OUT=/tmp/x records into /tmp/x/NAME instead)
set -eu
. "$(dirname "$0")/lib/live_common.sh"
live_begin traceroute "$@"
VARIANTS="${*:-masq tcp_masq routed}"
FAR=198.51.100.50
mkdir -p "$WORK/www"
echo "hello from the far host" > "$WORK/www/index.html"

rules() {  # $1 = masq | routed
  if [ "$1" = masq ]; then
    masquerade_table
  fi
  cat <<'RULES'
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -m conntrack --ctstate INVALID -j DROP
-A FORWARD -i r_cli -o r_wan -j ACCEPT
-A FORWARD -i r_cli -o r_srv -j ACCEPT
COMMIT
RULES
}

# the traceroute output must show these hops: hops N:ADDRESS ... < OUTPUT
cat > "$WORK/hops" <<'SH'
#!/bin/sh
out=$(cat)
echo "$out"
for h in "$@"; do
  echo "$out" | grep -Eq "^ *${h%%:*} +${h#*:} " || { echo "missing hop $h"; exit 1; }
done
SH
chmod 755 "$WORK/hops"
tr() {  # $1 = traceroute options and target, $2... = expected hops N:ADDRESS
  o=$1; shift
  echo "traceroute -n -N 1 -q 2 -w 2 -m 5 $o 2>&1 | $WORK/hops $*"
}

for v in $VARIANTS; do
  case $v in
    masq)
      rules masq > "$WORK/rules-$v.v4"
      DESC="traceroute through MASQUERADE and a stateful FORWARD (policy DROP): UDP probes (traceroute -q 2) and ICMP echo probes (traceroute -I) from 10.0.1.2 to 198.51.100.50, one hop behind the WAN endpoint 203.0.113.2; TTL 1 expires at the router (the router's own time exceeded, RELATED), TTL 2 at 203.0.113.2 (its time exceeded about the masqueraded probe comes back RELATED and is un-NATed), TTL 3 reaches the host (port unreachable / echo reply); then ping -t 1 and ping -t 2"
      TAGS=traceroute,ttl,icmp,icmp-error,nat,masquerade,udp,live
      PLAN="far $FAR
sleep 0.3
run client $(tr "$FAR" 1:10.0.1.1 2:203.0.113.2 3:$FAR)
sleep 0.3
run client $(tr "-I $FAR" 1:10.0.1.1 2:203.0.113.2 3:$FAR)
sleep 0.3
run client ping -n -c 1 -W 1 -t 1 $FAR | grep 'Time to live exceeded'
sleep 0.3
run client ping -n -c 1 -W 1 -t 2 $FAR | grep 'From 203.0.113.2 .*Time to live exceeded'" ;;
    tcp_masq)
      rules masq > "$WORK/rules-$v.v4"
      DESC="TCP SYN traceroute (traceroute -T -q 2) through MASQUERADE and a stateful FORWARD (policy DROP) from 10.0.1.2 to 198.51.100.50, one hop behind the WAN endpoint 203.0.113.2: to port 8080 (python3 -m http.server listening: SYN-ACK, the client's stack answers RST) and to the closed port 81 (RST from the host); TTL 1 expires at the router, TTL 2 at 203.0.113.2 (time exceeded RELATED, un-NATed); every probe comes from a new source port (a new connection each)"
      TAGS=traceroute,ttl,icmp-error,nat,masquerade,tcp,live
      PLAN="far $FAR
spawn far /usr/bin/python3 -m http.server 8080 --bind $FAR --directory $WORK/www
sleep 0.5
run client $(tr "-T -p 8080 $FAR" 1:10.0.1.1 2:203.0.113.2 3:$FAR)
sleep 0.3
run client $(tr "-T -p 81 $FAR" 1:10.0.1.1 2:203.0.113.2 3:$FAR)" ;;
    routed)
      rules routed > "$WORK/rules-$v.v4"
      DESC="traceroute routed (no NAT) through a stateful FORWARD (policy DROP) from 10.0.1.2 to the server 10.0.2.2 behind r_srv: UDP probes, ICMP echo probes (-I) and TCP SYN probes to a listener (-T -p 8000; the client's stack resets the SYN-ACK), two per TTL; TTL 1 expires at the router (its own time exceeded, RELATED to the never-confirmed probe), TTL 2 reaches the server (port unreachable / echo reply / SYN-ACK, RELATED / ESTABLISHED); then, 1.5 s later (the router's time exceeded errors are rate limited per destination: the six above used the burst), ping -t 1"
      TAGS=traceroute,ttl,icmp,icmp-error,udp,tcp,live
      PLAN="spawn server /usr/bin/python3 -m http.server 8000 --bind 10.0.2.2 --directory $WORK/www
sleep 0.5
run client $(tr "10.0.2.2" 1:10.0.1.1 2:10.0.2.2)
sleep 0.3
run client $(tr "-I 10.0.2.2" 1:10.0.1.1 2:10.0.2.2)
sleep 0.3
run client $(tr "-T -p 8000 10.0.2.2" 1:10.0.1.1 2:10.0.2.2)
# the router's time exceeded errors to 10.0.1.2 are rate limited (net.ipv4.icmp_ratelimit: a burst
# of 6, then one a second): the six above used the burst, so wait for a token
sleep 1.5
run client ping -n -c 1 -W 1 -t 1 10.0.2.2 | grep 'From 10.0.1.1 .*Time to live exceeded'" ;;
    *) echo "$0: unknown variant $v (masq, tcp_masq, routed)" >&2; exit 2 ;;
  esac
  printf '%s\n' "$PLAN" | /usr/bin/python3 "$LIB/live_fixture.py" --name "r_live_traceroute_$v" --rules "$WORK/rules-$v.v4" --out "$OUT" \
    --description "$DESC" --tags "$TAGS" --source "scripts/examples/record-live-traceroute.sh (live traffic)"
done
