#!/bin/sh
# Records the conformance fixtures r_live_ipv6_* from real IPv6 traffic (ICMPv6 included) through
# a real Linux router with an ip6tables stateful firewall (root only).
#
# The router, the LAN client and the server get the recorder's IPv6 plan (fd00:1::1/64 r_cli,
# fd00:2::1/64 r_srv, fd00:3::1/64 r_wan, endpoints ::2, default route via fd00:3::fe, permanent
# neighbour entries, no DAD, router solicitations or MLD on the wires). FORWARD (policy DROP)
# accepts ESTABLISHED / RELATED and new connections from the LAN; INPUT (policy DROP) only
# ESTABLISHED / RELATED.
#   r_live_ipv6_routed  client fd00:1::2 -> server fd00:2::2, no NAT: ping -6, curl over IPv6 to
#                       python3 -m http.server --bind ::, curl to port 8081 REJECTed by the router
#                       (icmp6-adm-prohibited, the router's own ICMPv6 error), traceroute -6 (UDP:
#                       hop limit 1 expires at the router, the server's port unreachable comes back
#                       RELATED) and ping -6 -t 1
#   r_live_ipv6_masq    ip6tables MASQUERADE to fd00:3::1 towards 2001:db8:51::50, a host one hop
#                       beyond the WAN endpoint (fd00:3::2 forwards to it; namespace lv_far, built
#                       by scripts/examples/lib/live_more.py): ping -6, traceroute -6 (hop limit 2
#                       expires at fd00:3::2, whose time exceeded error is RELATED and un-NATed),
#                       and curl POSTing 3000 bytes to an HTTP server there while the WAN
#                       endpoint's route to the far link has MTU 1280: fd00:3::2 answers the
#                       client's full-size segment with a packet too big (RELATED, un-NATed: outer
#                       destination and the quoted packet's source), the client retransmits in
#                       smaller segments
#
# Each capture (the packets as they arrived at the router) is then replayed through a fresh
# kernel router by scripts/conformance/record.ts (see scripts/examples/lib/live_fixture.py).
# Takes /tmp/ctkit-record.lock itself for the whole run: do not wrap it in flock.
#
# Usage: sudo scripts/examples/record-live-ipv6.sh [routed|masq ...]
#        (needs iputils-ping, traceroute, curl, ip6tables (nf_tables), nftables, conntrack, tcpdump,
#        ethtool, python3-scapy (/usr/bin/python3), node; LIVE_OUT=/tmp/x records into /tmp/x/NAME instead)
set -eu
. "$(dirname "$0")/lib/live_common.sh"
live_begin ipv6 "$@"
VARIANTS="${*:-routed masq}"
FAR=2001:db8:51::50
mkdir -p "$WORK/www"
echo "hello over IPv6" > "$WORK/www/index.html"
/usr/bin/python3 -c "import sys; sys.stdout.write(''.join('upload line %03d, sent by curl over IPv6 through the router\n' % i for i in range(60))[:3000])" > "$WORK/upload.txt"
# an HTTP server that takes a POST body (http.server answers POST with 501) and says how long it was
cat > "$WORK/post_server.py" <<'PY'
import http.server, socket, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        msg = f"received {len(body)} bytes\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(msg)))
        self.end_headers()
        self.wfile.write(msg)
class S(http.server.HTTPServer):
    address_family = socket.AF_INET6
S((sys.argv[1], int(sys.argv[2])), H).serve_forever()
PY

rules6() {  # $1 = routed | masq
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
-A FORWARD -i r_cli -p tcp -m tcp --dport 8081 -j REJECT --reject-with icmp6-adm-prohibited
-A FORWARD -i r_cli -o r_srv -j ACCEPT
-A FORWARD -i r_cli -o r_wan -j ACCEPT
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

for v in $VARIANTS; do
  case $v in
    routed)
      DESC="IPv6 routed (no NAT) through an ip6tables stateful FORWARD (policy DROP): ping -6 from fd00:1::2 to the server fd00:2::2, curl over IPv6 to python3 -m http.server (bound to ::), curl to port 8081 REJECTed by the router with icmp6-adm-prohibited, traceroute -6 (UDP probes: hop limit 1 expires at the router, its own time exceeded; hop limit 2 reaches the server, whose port unreachable comes back RELATED), ping -6 -t 1"
      TAGS=ipv6,icmpv6,icmp-error,ip6tables,reject,tcp,udp,traceroute,live
      PLAN="spawn server /usr/bin/python3 -m http.server 8000 --bind :: --directory $WORK/www
sleep 0.5
run client ping -6 -n -c 2 -i 0.2 fd00:2::2
sleep 0.2
run client curl -6 -sS -m 5 http://[fd00:2::2]:8000/ | grep 'hello over IPv6'
sleep 0.2
run client curl -6 -sS -m 5 http://[fd00:2::2]:8081/ 2>&1 | grep -i 'couldn.t connect\|unreachable'
sleep 0.2
run client traceroute -6 -n -N 1 -q 1 -w 2 -m 4 fd00:2::2 2>&1 | $WORK/hops 1:fd00:1::1 2:fd00:2::2
sleep 0.2
run client ping -6 -n -c 1 -W 1 -t 1 fd00:2::2 | grep -i 'From fd00:1::1 .*Time exceeded'" ;;
    masq)
      DESC="IPv6 through ip6tables MASQUERADE (to fd00:3::1) and a stateful FORWARD (policy DROP) to 2001:db8:51::50, one hop beyond the WAN endpoint fd00:3::2: ping -6, traceroute -6 (UDP probes: hop limit 1 expires at the router, 2 at fd00:3::2 whose time exceeded comes back RELATED and un-NATed, 3 reaches the host: port unreachable), then curl POSTs 3000 bytes to an HTTP server on the far host while the WAN endpoint's route to it has MTU 1280: fd00:3::2 answers the full-size segment with an ICMPv6 packet too big (MTU 1280) about the masqueraded packet, RELATED and un-NATed to fd00:1::2, and the client sends the data again in smaller segments"
      TAGS=ipv6,icmpv6,icmp-error,ip6tables,nat,masquerade,nat66,pmtu,tcp,udp,traceroute,live
      PLAN="far $FAR mtu 1280
spawn far /usr/bin/python3 $WORK/post_server.py :: 8080
sleep 0.5
run client ping -6 -n -c 2 -i 0.2 $FAR
sleep 0.2
run client traceroute -6 -n -N 1 -q 1 -w 2 -m 4 $FAR 2>&1 | $WORK/hops 1:fd00:1::1 2:fd00:3::2 3:$FAR
sleep 0.2
run client curl -6 -sS -m 5 --data-binary @$WORK/upload.txt -H 'Expect:' http://[$FAR]:8080/ | grep 'received 3000 bytes'" ;;
    *) echo "$0: unknown variant $v (routed, masq)" >&2; exit 2 ;;
  esac
  rules6 "$v" > "$WORK/rules-$v.v6"
  printf '%s\n' "$PLAN" | /usr/bin/python3 "$LIB/live_fixture.py" --name "r_live_ipv6_$v" --ipv6 --rules6 "$WORK/rules-$v.v6" --out "$OUT" \
    --description "$DESC" --tags "$TAGS" --source "scripts/examples/record-live-ipv6.sh (live traffic)"
done
