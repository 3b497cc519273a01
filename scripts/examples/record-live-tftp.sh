#!/bin/sh
# Records the conformance fixtures r_live_tftp_routed and r_live_tftp_masq from real TFTP traffic
# through a real Linux router (root only).
#
# tftpd-hpa (in.tftpd run directly in a server namespace, not the system service) serves a
# directory; tftp-hpa in the LAN namespace (10.0.1.2) fetches two files (RRQ: 700 bytes = two
# blocks, 1024 bytes = two full blocks and an empty one), asks for a missing file (the ERROR
# packet comes from the server's new port too) and uploads one (WRQ, 600 bytes). The router
# assigns the tftp helper in the raw table (-j CT --helper tftp on the client side, UDP 69); the
# helper expects the server's answer from a new port to the client's port, which the filter
# accepts as RELATED (-m helper --helper tftp). Two variants:
#   r_live_tftp_routed  server 10.0.2.2 on r_srv, no NAT
#   r_live_tftp_masq    server 198.51.100.21 on the internet behind r_wan, MASQUERADE (nf_nat_tftp:
#                       the expectation is for the masqueraded port and is DNATed to the client)
#   r_live_tftp_snat_port  SNAT of the requests to 203.0.113.1:20000 (one port: the expectation's
#                       port differs from the client's, nf_nat_follow_master DNATs the answers back
#                       to the client's port); a get from 198.51.100.21 and a put to a second
#                       server 198.51.100.22 (the two requests share the translated port)
#
# Each capture (the packets as they arrived at the router) is then replayed through a fresh
# kernel router by scripts/conformance/record.ts (see scripts/examples/lib/live_fixture.py).
# Takes /tmp/ctkit-record.lock itself for the whole run: do not wrap it in flock.
#
# Usage: sudo scripts/examples/record-live-tftp.sh [routed|masq|snat_port ...]
#        (needs tftpd-hpa, tftp-hpa, iptables (nf_tables), nftables, conntrack, tcpdump, ethtool,
#        /usr/bin/python3, node; LIVE_OUT=/tmp/x records into /tmp/x/NAME instead)
set -eu
. "$(dirname "$0")/lib/live_common.sh"
live_begin tftp "$@"
VARIANTS="${*:-routed masq snat_port}"

mkdir -p "$WORK/srv" "$WORK/cli"
chmod 755 "$WORK/cli"
python3 - "$WORK" <<'PY'
import sys
w = sys.argv[1]
open(f"{w}/srv/hello.txt", "w").write("".join(f"line {i:02d} of hello.txt, served by tftpd-hpa to the ctkit live tftp fixture\n" for i in range(9))[:700])
open(f"{w}/srv/block.bin", "wb").write(bytes((i * 7) & 0xff for i in range(1024)))
open(f"{w}/cli/upload.txt", "w").write("".join(f"upload line {i:02d} sent by tftp-hpa with a WRQ through the router\n" for i in range(10))[:600])
PY
chown -R tftp:tftp "$WORK/srv" && chmod 775 "$WORK/srv" && chmod 644 "$WORK/srv"/*

rules() {  # $1 = routed | masq | snat_port
  cat <<'RULES'
# TFTP through a router with the tftp helper (raw table CT --helper tftp on the client side).
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -i r_cli -p udp -m udp --dport 69 -j CT --helper tftp
COMMIT
RULES
  if [ "$1" != routed ]; then
    if [ "$1" = masq ]; then
      NAT="-A POSTROUTING -o r_wan -j MASQUERADE"
    else
      NAT="-A POSTROUTING -o r_wan -p udp -m udp --dport 69 -j SNAT --to-source 203.0.113.1:20000
-A POSTROUTING -o r_wan -j SNAT --to-source 203.0.113.1"
    fi
    cat <<RULES
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
$NAT
COMMIT
RULES
    OUTIF=r_wan
  else
    OUTIF=r_srv
  fi
  cat <<RULES
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT
-A FORWARD -m conntrack --ctstate RELATED -m helper --helper tftp -j ACCEPT
-A FORWARD -m conntrack --ctstate INVALID -j DROP
-A FORWARD -i r_cli -o $OUTIF -j ACCEPT
COMMIT
RULES
}

for v in $VARIANTS; do
  case $v in
    routed) SRV=10.0.2.2 SIDE=server ADDR="" DESC="TFTP routed (no NAT) with the tftp helper (raw CT --helper tftp): tftp-hpa 10.0.1.2 gets two files from tftpd-hpa 10.0.2.2 (RRQ), asks for a missing one (ERROR) and puts one (WRQ); the server answers from a new port, RELATED through the helper's expectation" ;;
    masq) SRV=198.51.100.21 SIDE=wan ADDR="addr wan 198.51.100.21" DESC="TFTP through MASQUERADE with the tftp helper (raw CT --helper tftp, nf_nat_tftp): tftp-hpa 10.0.1.2 gets two files from tftpd-hpa 198.51.100.21 (RRQ), asks for a missing one (ERROR) and puts one (WRQ); the server answers from a new port to the masqueraded port, RELATED and DNATed back to the client" ;;
    snat_port) SRV=198.51.100.21 SIDE=wan ADDR="addr wan 198.51.100.21" DESC="TFTP through SNAT to one port (203.0.113.1:20000) with the tftp helper (raw CT --helper tftp, nf_nat_tftp): tftp-hpa 10.0.1.2 gets a file from tftpd-hpa 198.51.100.21 (RRQ) and puts one to tftpd-hpa 198.51.100.22 (WRQ); the expectations are for port 20000, the servers' answers from new ports are RELATED and DNATed back to the client's ports" ;;
    *) echo "$0: unknown variant $v (routed, masq, snat_port)" >&2; exit 2 ;;
  esac
  rm -f "$WORK/srv/upload.txt" "$WORK/cli/hello.txt" "$WORK/cli/block.bin"
  rules "$v" > "$WORK/rules-$v.v4"
  TFTP="cd $WORK/cli && tftp -m binary"
  if [ "$v" = snat_port ]; then
    PLAN="$ADDR
addr wan 198.51.100.22
spawn wan in.tftpd -L -a 198.51.100.21:69 -s -c -u tftp $WORK/srv
spawn wan in.tftpd -L -a 198.51.100.22:69 -s -c -u tftp $WORK/srv
sleep 0.5
run client $TFTP 198.51.100.21 -c get block.bin && cmp block.bin $WORK/srv/block.bin
run client $TFTP 198.51.100.22 -c put upload.txt
sleep 0.3
run wan cmp $WORK/srv/upload.txt $WORK/cli/upload.txt"
  else
    PLAN="$ADDR
spawn $SIDE in.tftpd -L -a $SRV:69 -s -c -u tftp $WORK/srv
sleep 0.5
run client $TFTP $SRV -c get hello.txt && cmp hello.txt $WORK/srv/hello.txt
run client $TFTP $SRV -c get block.bin && cmp block.bin $WORK/srv/block.bin
run client $TFTP $SRV -c get missing.txt 2>&1 | grep 'File not found'
run client $TFTP $SRV -c put upload.txt
sleep 0.3
run $SIDE cmp $WORK/srv/upload.txt $WORK/cli/upload.txt"
  fi
  printf '%s\n' "$PLAN" | /usr/bin/python3 "$LIB/live_fixture.py" --name "r_live_tftp_$v" --rules "$WORK/rules-$v.v4" --out "$OUT" \
    --description "$DESC" --tags tftp,helper,live --source "scripts/examples/record-live-tftp.sh (live traffic)"
done
