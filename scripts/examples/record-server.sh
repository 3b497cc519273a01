#!/bin/sh
# Records examples/server from real traffic through a real Linux router (root only).
#
# A server (10.0.2.2, on r_srv) behind its firewall: SSH (22) and HTTP (80) open to everyone,
# ping allowed, every other port rejected the polite way (TCP: reset; anything else: ICMP port
# unreachable). A LAN client (10.0.1.2) and an internet client (203.0.113.2) use the services;
# a scanner (192.0.2.66) probes TCP and UDP ports. No NAT: the router only filters.
#
# Usage: sudo scripts/examples/record-server.sh    (needs python3-scapy, iptables, nftables,
#        conntrack, tcpdump, ethtool, curl, /usr/bin/python3)
set -eu
NAME=server
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LIB="$ROOT/scripts/examples/lib"
OUT="${EXAMPLES_OUT:-$ROOT/examples}/$NAME"      # EXAMPLES_OUT=/tmp/x: record elsewhere
WORK=/tmp/ctkit-examples/$NAME
[ "$(id -u)" = 0 ] || { echo "$0: needs root" >&2; exit 1; }
export ORC_PREFIX="${ORC_PREFIX:-exm}"
rm -rf "$WORK" && mkdir -p "$WORK/www"
printf '<html><body><h1>server</h1></body></html>\n' > "$WORK/www/index.html"

cat > "$WORK/rules.v4" <<'RULES'
# server: the firewall of the server 10.0.2.2 (on r_srv). SSH and HTTP are open, ping is allowed,
# everything else is rejected: TCP with a reset, the rest with ICMP port unreachable.
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:SERVER - [0:0]
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -m conntrack --ctstate INVALID -j DROP
-A FORWARD -d 10.0.2.2/32 -o r_srv -j SERVER
-A FORWARD -i r_srv -j ACCEPT
-A SERVER -p tcp -m tcp --dport 22 -j ACCEPT
-A SERVER -p tcp -m tcp --dport 80 -j ACCEPT
-A SERVER -p icmp -m icmp --icmp-type 8 -j ACCEPT
-A SERVER -p tcp -j REJECT --reject-with tcp-reset
-A SERVER -j REJECT --reject-with icmp-port-unreachable
COMMIT
RULES

APP="/usr/bin/python3 $LIB/netapp.py"
/usr/bin/python3 "$LIB/record_live.py" --name "$NAME" --out "$OUT" --rules "$WORK/rules.v4" \
  --description "server firewall: SSH and HTTP open, ping allowed, everything else rejected (TCP reset / ICMP port unreachable); clients from the LAN and the internet, a TCP and UDP port scan" \
  --tags example,server <<PLAN
addr wan 192.0.2.66
spawn server $APP ssh-server 10.0.2.2 22
spawn server /usr/bin/python3 -m http.server 80 --bind 10.0.2.2 --directory $WORK/www
sleep 1
# clients: an SSH session and a web page from the LAN, a web page and a ping from the internet
run client $APP ssh-client 10.0.2.2 22
run client curl -sS -m 5 -o /dev/null http://10.0.2.2/
run wan curl -sS -m 5 -o /dev/null http://10.0.2.2/
run wan $APP ping 10.0.2.2 -c 1
# a scanner: TCP connect scan (22 and 80 open, the others reset), then UDP probes (ICMP errors)
run wan $APP scan 10.0.2.2 21,22,23,25,80,443,3306,8080 -t 1 -b 192.0.2.66
fail wan $APP udp-probe 10.0.2.2 53,123,161 -t 1 -b 192.0.2.66
PLAN
