#!/bin/sh
# Records the conformance fixtures r_live_sip_routed and r_live_sip_masq from a real SIP call
# through a real Linux router (root only).
#
# sipp (sip-tester) places one call from the LAN (UAC 10.0.1.2:5060, media port 16000) to a sipp
# UAS (its built-in `uas` scenario, media port 6000 with -rtp_echo): INVITE with SDP, 180, 200 OK
# with SDP, ACK, ten RTP packets from the caller (the RFC 2833 DTMF pcap that comes with sipp,
# played with play_pcap_audio) echoed back by the UAS, BYE, 200 OK. The router assigns the sip
# helper in the raw table (-j CT --helper sip on the client side, UDP 5060); the helper expects the
# media of both SDP bodies (RTP and RTCP), the filter accepts it as RELATED (-m helper --helper
# sip), and BYE removes the expectations left. Two variants:
#   r_live_sip_routed  UAS 10.0.2.2 on r_srv, no NAT
#   r_live_sip_masq    UAS 198.51.100.21 on the internet behind r_wan, MASQUERADE: nf_nat_sip
#                      rewrites the caller's addresses in the SIP headers and the SDP (Via, From,
#                      Contact, o=, c=, Content-Length) to the router's, and back in the answers
#   r_live_sip_tcp_masq  the same call with SIP over TCP (sipp -t t1; -p tcp --dport 5060 -j CT
#                      --helper sip): the rewrites change the length of the TCP stream, so the
#                      helper also adjusts the sequence numbers of the rest of the connection
#   r_live_sip_snat_port  the call of r_live_sip_masq through SNAT of the signalling to one port
#                      (203.0.113.1:20000): nf_nat_sip rewrites addresses and ports (Via, From,
#                      Contact 10.0.1.2:5060 -> 203.0.113.1:20000, and back in the answers)
#   r_live_sip_register_masq  the other way round, through MASQUERADE: the LAN phone (sipp,
#                      register.xml) REGISTERs 10.0.1.2:5060 with a registrar on 198.51.100.21:5060
#                      (sipp, registrar.xml, answers 200 OK with the Contact and Expires: 600);
#                      nf_nat_sip rewrites the Contact to 203.0.113.1:5060 and the helper expects
#                      signalling from the registrar to it (permanent, activated by the 200 OK). A
#                      caller on the registrar's host, from port 5070, then calls 203.0.113.1:5060
#                      (INVITE with SDP): RELATED through that expectation, DNATed to the phone (a
#                      sipp UAS with -rtp_echo), the request URI rewritten to it, the answers'
#                      Contact and SDP rewritten to 203.0.113.1; RTP both ways, BYE, 200. The
#                      registration's expectation outlives the call.
#
# Each capture (the packets as they arrived at the router) is then replayed through a fresh
# kernel router by scripts/conformance/record.ts (see scripts/examples/lib/live_fixture.py).
# Takes /tmp/ctkit-record.lock itself for the whole run: do not wrap it in flock.
#
# Usage: sudo scripts/examples/record-live-sip.sh [routed|masq|tcp_masq|snat_port|register_masq ...]
#        (needs sip-tester, iptables (nf_tables), nftables, conntrack, tcpdump, ethtool,
#        /usr/bin/python3, node; LIVE_OUT=/tmp/x records into /tmp/x/NAME instead)
set -eu
. "$(dirname "$0")/lib/live_common.sh"
live_begin sip "$@"
VARIANTS="${*:-routed masq tcp_masq snat_port register_masq}"
DTMF=/usr/share/sip-tester/dtmf_2833_1.pcap
[ -r "$DTMF" ] || { echo "$0: $DTMF missing (apt-get install sip-tester)" >&2; exit 1; }

# the caller: sipp's uac_pcap scenario, with a short RTP stream (10 packets) and no pauses to speak of
cat > "$WORK/uac.xml" <<XML
<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="ctkit live sip caller">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag09[call_number]
      To: [service] <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Subject: ctkit live fixture
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8 101
      a=rtpmap:8 PCMA/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-11,16
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rtd="true"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag09[call_number]
      To: [service] <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Subject: ctkit live fixture
      Content-Length: 0
    ]]>
  </send>
  <nop>
    <action>
      <exec play_pcap_audio="$DTMF"/>
    </action>
  </nop>
  <pause milliseconds="600"/>
  <send retrans="500">
    <![CDATA[
      BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag09[call_number]
      To: [service] <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Subject: ctkit live fixture
      Content-Length: 0
    ]]>
  </send>
  <recv response="200"/>
</scenario>
XML

# the phone's registration (register_masq)
cat > "$WORK/register.xml" <<'XML'
<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="ctkit live sip register">
  <send retrans="500">
    <![CDATA[
      REGISTER sip:[remote_ip] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:alice@[remote_ip]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:alice@[remote_ip]>
      Call-ID: [call_id]
      CSeq: 1 REGISTER
      Contact: <sip:alice@[local_ip]:[local_port]>
      Expires: 600
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="200"/>
</scenario>
XML
# the registrar: accepts one registration, echoing the Contact
cat > "$WORK/registrar.xml" <<'XML'
<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="ctkit live sip registrar">
  <recv request="REGISTER"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      [last_Contact:]
      Expires: 600
      Content-Length: 0
    ]]>
  </send>
</scenario>
XML

rules() {  # $1 = routed | masq | tcp_masq | snat_port | register_masq
  P=udp
  [ "$1" = tcp_masq ] && P=tcp
  cat <<RULES
# A SIP call through a router with the sip helper (raw table CT --helper sip on the client side).
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -i r_cli -p $P -m $P --dport 5060 -j CT --helper sip
COMMIT
RULES
  if [ "$1" != routed ]; then
    if [ "$1" = snat_port ]; then
      NAT="-A POSTROUTING -o r_wan -p udp -m udp --dport 5060 -j SNAT --to-source 203.0.113.1:20000
-A POSTROUTING -o r_wan -j SNAT --to-source 203.0.113.1"
    else
      NAT="-A POSTROUTING -o r_wan -j MASQUERADE"
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
# media the sip helper expects (RTP/RTCP of either SDP body)
-A FORWARD -m conntrack --ctstate RELATED -m helper --helper sip -j ACCEPT
-A FORWARD -m conntrack --ctstate INVALID -j DROP
-A FORWARD -i r_cli -o $OUTIF -j ACCEPT
COMMIT
RULES
}

for v in $VARIANTS; do
  case $v in
    routed) SRV=10.0.2.2 SIDE=server ADDR="" DESC="A SIP call routed (no NAT) with the sip helper (raw CT --helper sip, UDP 5060): sipp UAC 10.0.1.2 calls a sipp UAS 10.0.2.2 (INVITE with SDP, 180, 200 OK with SDP, ACK, 10 RTP packets echoed back, BYE, 200); the helper expects RTP/RTCP for both SDP bodies, the caller's RTP is RELATED, the BYE removes the expectations" ;;
    masq|tcp_masq|snat_port|register_masq) SRV=198.51.100.21 SIDE=wan ADDR="addr wan 198.51.100.21" DESC="A SIP call through MASQUERADE with the sip helper (raw CT --helper sip, nf_nat_sip): sipp UAC 10.0.1.2 calls a sipp UAS 198.51.100.21 (INVITE with SDP, 180, 200 OK with SDP, ACK, 10 RTP packets echoed back, BYE, 200); the caller's addresses in the SIP headers and SDP are rewritten to 203.0.113.1 and back, the media expected and RELATED" ;;
    *) echo "$0: unknown variant $v (routed, masq, tcp_masq, snat_port, register_masq)" >&2; exit 2 ;;
  esac
  T=u1
  if [ "$v" = tcp_masq ]; then
    T=t1
    DESC="A SIP call over TCP through MASQUERADE with the sip helper (raw -p tcp --dport 5060 CT --helper sip, nf_nat_sip): sipp UAC 10.0.1.2 calls a sipp UAS 198.51.100.21 over one TCP connection (INVITE with SDP, 180, 200 OK with SDP, ACK, BYE, 200) with 10 RTP packets echoed back over UDP; the caller's addresses in the SIP headers and SDP are rewritten to 203.0.113.1 and back, which changes the stream's length: the TCP sequence numbers are adjusted; the media expected and RELATED"
  fi
  if [ "$v" = snat_port ]; then
    DESC="A SIP call through SNAT to one port with the sip helper (raw CT --helper sip, nf_nat_sip; SNAT of UDP 5060 to 203.0.113.1:20000): sipp UAC 10.0.1.2:5060 calls a sipp UAS 198.51.100.21 (INVITE with SDP, 180, 200 OK with SDP, ACK, 10 RTP packets echoed back, BYE, 200); addresses and ports in Via, From, Contact (10.0.1.2:5060 -> 203.0.113.1:20000) and the SDP addresses are rewritten and back, the media expected and RELATED"
  fi
  SIPP="cd $WORK && exec sipp -t $T -nostdin -trace_msg"
  if [ "$v" = register_masq ]; then
    DESC="SIP registration and an incoming call through MASQUERADE with the sip helper (raw CT --helper sip, nf_nat_sip): sipp 10.0.1.2:5060 REGISTERs with 198.51.100.21:5060 (Contact rewritten to 203.0.113.1:5060, a permanent signalling expectation activated by the 200 OK); a caller 198.51.100.21:5070 then INVITEs 203.0.113.1:5060: RELATED through that expectation, DNATed to the phone, request URI, Contact and SDP rewritten; 10 RTP packets echoed back, BYE, 200; the registration's expectation remains"
    PLAN="$ADDR
spawn wan $SIPP -sf $WORK/registrar.xml -i $SRV -p 5060 -m 1 -timeout 30 -message_file $WORK/registrar.log
sleep 0.5
run client $SIPP -sf $WORK/register.xml -i 10.0.1.2 -p 5060 -m 1 -timeout 10 -timeout_error -message_file $WORK/register.log $SRV:5060
sleep 0.3
spawn client $SIPP -sn uas -i 10.0.1.2 -p 5060 -mi 10.0.1.2 -mp 16000 -rtp_echo -m 1 -timeout 30 -message_file $WORK/phone.log
sleep 0.5
run wan $SIPP -sf $WORK/uac.xml -i $SRV -p 5070 -mi $SRV -mp 6000 -m 1 -timeout 20 -timeout_error -message_file $WORK/caller.log 203.0.113.1:5060
sleep 0.5"
  else
    PLAN="$ADDR
spawn $SIDE $SIPP -sn uas -i $SRV -p 5060 -mi $SRV -mp 6000 -rtp_echo -m 1 -timeout 30 -message_file $WORK/uas-$v.log
sleep 0.5
run client $SIPP -sf $WORK/uac.xml -i 10.0.1.2 -p 5060 -mi 10.0.1.2 -mp 16000 -m 1 -timeout 20 -timeout_error -message_file $WORK/uac-$v.log $SRV:5060
sleep 0.5"
  fi
  rules "$v" > "$WORK/rules-$v.v4"
  printf '%s\n' "$PLAN" | /usr/bin/python3 "$LIB/live_fixture.py" --name "r_live_sip_$v" --rules "$WORK/rules-$v.v4" --out "$OUT" \
    --description "$DESC" --tags sip,helper,live --source "scripts/examples/record-live-sip.sh (live traffic)"
done
