#!/bin/sh
# Records examples/broken-firewall from real traffic through a real Linux router (root only).
#
# An office firewall between a LAN (r_cli, 10.0.1.0/24) and a server network (r_srv,
# 10.0.2.0/24): LAN hosts may use the servers, the servers may not open connections. The rule
# meant to let the servers' replies back in sits AFTER the DROP for traffic from r_srv, so it
# never matches: every reply is dropped. A LAN client tries HTTP (curl), DNS (dnsmasq) and ping.
#
# Usage: sudo scripts/examples/record-broken-firewall.sh      (from anywhere; needs python3-scapy,
#        iptables, nftables, conntrack, tcpdump, ethtool, curl, dnsmasq, /usr/bin/python3)
set -eu
NAME=broken-firewall
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LIB="$ROOT/scripts/examples/lib"
OUT="${EXAMPLES_OUT:-$ROOT/examples}/$NAME"      # EXAMPLES_OUT=/tmp/x: record elsewhere
WORK=/tmp/ctkit-examples/$NAME
[ "$(id -u)" = 0 ] || { echo "$0: needs root" >&2; exit 1; }
export ORC_PREFIX="${ORC_PREFIX:-exm}"
rm -rf "$WORK" && mkdir -p "$WORK/www"
printf '<html><body><h1>intranet</h1></body></html>\n' > "$WORK/www/index.html"

cat > "$WORK/rules.v4" <<'RULES'
# broken-firewall: LAN (r_cli) may use the servers on r_srv; the servers may not open connections.
# The mistake: rule 3 (replies of allowed connections) comes after rule 2 (drop all from r_srv),
# so the servers' answers are dropped and nothing the LAN starts ever completes.
# The fix: move rule 3 to the top of FORWARD.
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -i r_cli -o r_srv -j ACCEPT
-A FORWARD -i r_srv -j DROP
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
RULES

/usr/bin/python3 "$LIB/record_live.py" --name "$NAME" --out "$OUT" --rules "$WORK/rules.v4" \
  --description "broken firewall: the ESTABLISHED,RELATED rule comes after a DROP, so replies never pass: HTTP never connects, DNS gets no answer, pings are lost" \
  --tags example,broken-firewall <<PLAN
spawn server /usr/bin/python3 -m http.server 80 --bind 10.0.2.2 --directory $WORK/www
spawn server dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces --listen-address=10.0.2.2 --address=/intranet.example.test/10.0.2.2 --user=root --pid-file=$WORK/dnsmasq.pid
sleep 1
# the services work (checked inside the server namespace, no router involved)
run server curl -sS -m 2 -o /dev/null http://10.0.2.2/
run server /usr/bin/python3 $LIB/netapp.py dns 10.0.2.2 intranet.example.test -t 1
# through the router: the requests pass, the answers are dropped
fail client curl -sS -m 4 --connect-timeout 3 http://10.0.2.2/
fail client /usr/bin/python3 $LIB/netapp.py dns 10.0.2.2 intranet.example.test -t 3 -r 2
fail client /usr/bin/python3 $LIB/netapp.py ping 10.0.2.2 -c 2 -i 0.5 -W 1
PLAN
