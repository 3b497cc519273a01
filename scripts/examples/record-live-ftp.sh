#!/bin/sh
# Records the conformance fixtures r_live_ftp_* from real FTP traffic (vsftpd and a python ftplib
# client) through a real Linux router with the ftp helper (root only).
#
# The router assigns the ftp helper in the raw table (-j CT --helper ftp on the client side, TCP
# 21); the filter accepts the data connections the helper expects as RELATED
# (-m helper --helper ftp). The client fetches one file per mode on one control connection:
#   active   PORT a,b,c,d,p1,p2     the server connects back from port 20
#   passive  PASV / 227 reply       the client connects to the announced port
#   eprt     EPRT |1|addr|port|     (RFC 2428) as active
#   epsv     EPSV / 229 (|||port|)  (RFC 2428) as passive
# Variants:
#   routed   vsftpd on 10.0.2.2 (r_srv), no NAT: the helper expects, nothing is rewritten
#   masq_ext vsftpd on the internet (198.51.100.21) behind MASQUERADE, EPRT and EPSV: nf_nat_ftp
#            rewrites the EPRT address (the sequence numbers shift for the rest of the connection)
#            and the EPSV data connection is RELATED through the masqueraded expectation
# (examples/ftp-nat is the PORT / PASV run through MASQUERADE.)
#
# Each capture (the packets as they arrived at the router) is replayed through a fresh kernel
# router by scripts/conformance/record.ts (see scripts/examples/lib/live_fixture.py).
# Takes /tmp/ctkit-record.lock itself for the whole run: do not wrap it in flock.
#
# Usage: sudo scripts/examples/record-live-ftp.sh [routed|masq_ext ...]
#        (needs vsftpd, iptables (nf_tables), nftables, conntrack, tcpdump, ethtool,
#        /usr/bin/python3, node; LIVE_OUT=/tmp/x records into /tmp/x/NAME instead)
set -eu
. "$(dirname "$0")/lib/live_common.sh"
live_begin ftp "$@"
VARIANTS="${*:-routed masq_ext}"

mkdir -p "$WORK/pub" "$WORK/empty"
chmod 755 "$WORK/pub" "$WORK/empty"
printf 'hello from vsftpd, fetched through a router with the conntrack ftp helper\n' > "$WORK/pub/hello.txt"
chmod 644 "$WORK/pub/hello.txt"

rules() {  # $1 = routed | masq_ext
  cat <<'RULES'
# FTP through a router with the ftp helper (raw table CT --helper ftp on the client side).
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -i r_cli -p tcp -m tcp --dport 21 -j CT --helper ftp
COMMIT
RULES
  if [ "$1" = masq_ext ]; then
    OUTIF=r_wan
    masquerade_table
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
-A FORWARD -m conntrack --ctstate RELATED -m helper --helper ftp -j ACCEPT
-A FORWARD -m conntrack --ctstate INVALID -j DROP
-A FORWARD -i r_cli -o $OUTIF -p tcp -m tcp --dport 21 -j ACCEPT
COMMIT
RULES
}

APP="/usr/bin/python3 $LIB/netapp.py"
for v in $VARIANTS; do
  case $v in
    routed) SRV=10.0.2.2 SIDE=server ADDR="" MODES=active,passive,eprt,epsv
      DESC="FTP routed (no NAT) with the ftp helper (raw CT --helper ftp): a python ftplib client 10.0.1.2 fetches a file from vsftpd 10.0.2.2 in active (PORT), passive (PASV), EPRT and EPSV mode on one control connection; every data connection is RELATED through the helper's expectation, only the control connection's port 21 is open in FORWARD" ;;
    masq_ext) SRV=198.51.100.21 SIDE=wan ADDR="addr wan 198.51.100.21" MODES=eprt,epsv
      DESC="FTP through MASQUERADE with the ftp helper (raw CT --helper ftp, nf_nat_ftp), extended commands (RFC 2428): a python ftplib client 10.0.1.2 fetches a file from vsftpd 198.51.100.21 with EPRT (the helper rewrites the address to the masqueraded one, TCP sequence numbers shift) and EPSV (the data connection to the announced port is RELATED)" ;;
    *) echo "$0: unknown variant $v (routed, masq_ext)" >&2; exit 2 ;;
  esac
  vsftpd_conf "$SRV" "$WORK/pub" "$WORK/empty" "ctkit live FTP server" > "$WORK/vsftpd-$v.conf"
  rules "$v" > "$WORK/rules-$v.v4"
  PLAN="$ADDR
spawn $SIDE vsftpd $WORK/vsftpd-$v.conf
sleep 1
run client $APP ftp $SRV hello.txt --modes $MODES"
  printf '%s\n' "$PLAN" | /usr/bin/python3 "$LIB/live_fixture.py" --name "r_live_ftp_$v" --rules "$WORK/rules-$v.v4" --out "$OUT" \
    --description "$DESC" --tags ftp,helper,live --source "scripts/examples/record-live-ftp.sh (live traffic)"
done
