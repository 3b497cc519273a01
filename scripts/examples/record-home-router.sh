#!/bin/sh
# Records examples/home-router from real traffic through a real Linux router (root only).
#
# A home router: LAN r_cli 10.0.1.0/24 (two hosts, 10.0.1.2 and 10.0.1.100), a DMZ r_srv
# 10.0.2.0/24 (web server 10.0.2.2), the internet on r_wan (router address 203.0.113.1; an
# internet web server and DNS resolver at 198.51.100.10; a remote visitor at 192.0.2.50).
# MASQUERADE for everything leaving on r_wan, a port forward 203.0.113.1:8080 -> 10.0.2.2:80,
# stateful INPUT/FORWARD with default DROP. Traffic: DNS lookups and curl from both LAN hosts,
# pings, a visitor's curl through the port forward, and unsolicited packets from the internet.
#
# Usage: sudo scripts/examples/record-home-router.sh    (needs python3-scapy, iptables, nftables,
#        conntrack, tcpdump, ethtool, curl, dnsmasq, /usr/bin/python3)
set -eu
NAME=home-router
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LIB="$ROOT/scripts/examples/lib"
OUT="${EXAMPLES_OUT:-$ROOT/examples}/$NAME"      # EXAMPLES_OUT=/tmp/x: record elsewhere
WORK=/tmp/ctkit-examples/$NAME
[ "$(id -u)" = 0 ] || { echo "$0: needs root" >&2; exit 1; }
export ORC_PREFIX="${ORC_PREFIX:-exm}"
rm -rf "$WORK" && mkdir -p "$WORK/internet" "$WORK/dmz"
printf '<html><body><h1>www.example.test</h1></body></html>\n' > "$WORK/internet/index.html"
printf '<html><body><h1>my home server</h1></body></html>\n' > "$WORK/dmz/index.html"

cat > "$WORK/rules.v4" <<'RULES'
# home-router: LAN r_cli 10.0.1.0/24, DMZ r_srv 10.0.2.0/24, internet on r_wan (203.0.113.1).
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
# port forward: http://203.0.113.1:8080/ from the internet is the DMZ web server's port 80
-A PREROUTING -i r_wan -d 203.0.113.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.0.2.2:80
# everything that leaves for the internet takes the router's address
-A POSTROUTING -o r_wan -j MASQUERADE
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -m conntrack --ctstate INVALID -j DROP
-A INPUT -i r_cli -p icmp -m icmp --icmp-type 8 -j ACCEPT
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -m conntrack --ctstate INVALID -j DROP
-A FORWARD -i r_cli -o r_wan -j ACCEPT
-A FORWARD -i r_wan -o r_srv -d 10.0.2.2/32 -p tcp -m tcp --dport 80 -m conntrack --ctstate DNAT -j ACCEPT
COMMIT
RULES

APP="/usr/bin/python3 $LIB/netapp.py"
/usr/bin/python3 "$LIB/record_live.py" --name "$NAME" --out "$OUT" --rules "$WORK/rules.v4" \
  --description "home router: MASQUERADE for two LAN hosts (DNS, HTTP, ping), a port forward to a DMZ web server used from the internet, unsolicited internet packets dropped" \
  --tags example,home-router <<PLAN
addr client 10.0.1.100
addr wan 198.51.100.10
addr wan 192.0.2.50
spawn wan /usr/bin/python3 -m http.server 80 --bind 198.51.100.10 --directory $WORK/internet
spawn wan dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces --listen-address=198.51.100.10 --address=/www.example.test/198.51.100.10 --user=root --pid-file=$WORK/dnsmasq.pid
spawn server /usr/bin/python3 -m http.server 80 --bind 10.0.2.2 --directory $WORK/dmz
sleep 1
# LAN host 10.0.1.2: look up www.example.test, fetch the page, ping the router and the web server
run client $APP dns 198.51.100.10 www.example.test -b 10.0.1.2
run client curl -sS -m 5 -o /dev/null --interface 10.0.1.2 http://198.51.100.10/
run client $APP ping 10.0.1.1 -c 2 -i 0.3 -I 10.0.1.2
run client $APP ping 198.51.100.10 -c 2 -i 0.3 -I 10.0.1.2
# LAN host 10.0.1.100: the same lookup and page
run client $APP dns 198.51.100.10 www.example.test -b 10.0.1.100
run client curl -sS -m 5 -o /dev/null --interface 10.0.1.100 http://198.51.100.10/
# a visitor on the internet uses the port forward
run wan curl -sS -m 5 -o /dev/null --interface 192.0.2.50 http://203.0.113.1:8080/
# unsolicited packets from the internet: all dropped, nobody answers
fail wan $APP scan 203.0.113.1 22 -t 1.5 -b 192.0.2.50
fail wan $APP ping 203.0.113.1 -c 1 -W 1 -I 192.0.2.50
fail wan $APP udp-probe 203.0.113.1 53 -t 1 -b 192.0.2.50
fail wan $APP scan 10.0.1.2 445 -t 1.5 -b 192.0.2.50
PLAN
