#!/bin/sh
# Records examples/ftp-nat from real traffic through a real Linux router (root only).
#
# FTP through NAT with the conntrack ftp helper: a LAN client (10.0.1.2) behind MASQUERADE
# fetches a file from vsftpd on the internet (198.51.100.21) twice, once in active mode (PORT: the
# helper rewrites the client's private address in the command and expects the server's data
# connection from port 20) and once in passive mode (PASV: the helper expects the client's data
# connection to the port in the server's 227 reply). The raw table assigns the helper
# (-j CT --helper ftp); the filter accepts the data connections as RELATED.
#
# Usage: sudo scripts/examples/record-ftp-nat.sh    (needs python3-scapy, iptables, nftables,
#        conntrack, tcpdump, ethtool, vsftpd, /usr/bin/python3)
set -eu
NAME=ftp-nat
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LIB="$ROOT/scripts/examples/lib"
OUT="${EXAMPLES_OUT:-$ROOT/examples}/$NAME"      # EXAMPLES_OUT=/tmp/x: record elsewhere
WORK=/tmp/ctkit-examples/$NAME
[ "$(id -u)" = 0 ] || { echo "$0: needs root" >&2; exit 1; }
export ORC_PREFIX="${ORC_PREFIX:-exm}"
rm -rf "$WORK" && mkdir -p "$WORK/pub" "$WORK/empty"
chmod 755 /tmp/ctkit-examples "$WORK" "$WORK/pub" "$WORK/empty"
printf 'hello from the ftp server of ctkit example ftp-nat\n' > "$WORK/pub/hello.txt"
chmod 644 "$WORK/pub/hello.txt"
. "$LIB/live_common.sh"
vsftpd_conf 198.51.100.21 "$WORK/pub" "$WORK/empty" "ctkit example FTP server" > "$WORK/vsftpd.conf"

cat > "$WORK/rules.v4" <<'RULES'
# ftp-nat: LAN r_cli 10.0.1.0/24 behind MASQUERADE on r_wan (203.0.113.1), FTP with the ftp helper.
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
# FTP control connections from the LAN get the ftp helper (no automatic helper assignment)
-A PREROUTING -i r_cli -p tcp -m tcp --dport 21 -j CT --helper ftp
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -o r_wan -j MASQUERADE
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT
# data connections the ftp helper expects (active: from the server; passive: to it)
-A FORWARD -m conntrack --ctstate RELATED -m helper --helper ftp -j ACCEPT
-A FORWARD -m conntrack --ctstate INVALID -j DROP
-A FORWARD -i r_cli -o r_wan -j ACCEPT
COMMIT
RULES

APP="/usr/bin/python3 $LIB/netapp.py"
/usr/bin/python3 "$LIB/record_live.py" --name "$NAME" --out "$OUT" --rules "$WORK/rules.v4" \
  --description "FTP through MASQUERADE with the ftp helper (raw table CT --helper ftp): vsftpd on the internet, a LAN client fetching a file in active (PORT) and passive (PASV) mode; data connections RELATED" \
  --tags example,ftp-nat <<PLAN
addr wan 198.51.100.21
spawn wan vsftpd $WORK/vsftpd.conf
sleep 1
run client $APP ftp 198.51.100.21 hello.txt --modes active,passive
PLAN
