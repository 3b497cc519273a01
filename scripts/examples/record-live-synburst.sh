#!/bin/sh
# Records the conformance fixtures r_live_synburst_* from real traffic against a small
# nf_conntrack_max (root only).
#
# nf_conntrack_max is read-only inside a network namespace on this kernel: the only knob is the
# initial namespace's value, the limit every namespace shares. The script lowers it for the live
# run and for the kernel replay (ORC_ALLOW_GLOBAL_CT_MAX=1 / CKR_ALLOW_GLOBAL_CT_MAX=1: the shared
# live tools and scripts/conformance/record.ts refuse unless no other named network namespace
# exists and the initial namespace tracks nothing) and they restore it afterwards. It refuses to
# start while other network namespaces exist.
#   r_live_synburst_connect  nf_conntrack_max=8: a python client opens 12 TCP connections at once
#                            from 10.0.1.2 to a listening server 10.0.2.2:8080 (routed, stateful
#                            FORWARD): 8 complete (ASSURED, nothing early_drop may evict), the SYNs
#                            of the other 4 find the table full and are dropped before they get a
#                            conntrack state, and so are their retransmissions one second later;
#                            after 2.5 s the client aborts everything (RST)
#   r_live_synburst_hping    nf_conntrack_max=6: hping3 -S sends 12 SYNs 50 ms apart (new source
#                            port each) to the listener: the first 6 get a SYN-ACK, which the
#                            client's stack answers with a RST (entries in CLOSE, not ASSURED); then
#                            the table is full: the kernel's early_drop (it searches only the new
#                            tuple's few hash buckets) evicted nothing when recorded, the later SYNs
#                            were dropped (a rare eviction would show in live_check.json and the
#                            two replay runs)
#
# Each capture (the packets as they arrived at the router) is then replayed through a fresh
# kernel router by scripts/conformance/record.ts (see scripts/examples/lib/live_fixture.py).
# Takes /tmp/ctkit-record.lock itself for the whole run: do not wrap it in flock.
#
# Usage: sudo scripts/examples/record-live-synburst.sh [connect|hping ...]
#        (needs hping3, iptables (nf_tables), nftables, conntrack, tcpdump, ethtool,
#        python3-scapy (/usr/bin/python3), node; LIVE_OUT=/tmp/x records into /tmp/x/NAME instead)
set -eu
. "$(dirname "$0")/lib/live_common.sh"
live_begin synburst "$@"
export ORC_ALLOW_GLOBAL_CT_MAX=1 CKR_ALLOW_GLOBAL_CT_MAX=1
VARIANTS="${*:-connect hping}"
others=$(ip netns list | awk '{print $1}' | grep -v -e "^${ORC_PREFIX}_" -e "^${CKR_PREFIX}_" || true)
if [ -n "$others" ]; then
  echo "$0: other network namespaces exist ($(echo $others)): nf_conntrack_max is global, not lowering it" >&2
  exit 1
fi
CTMAX_BEFORE=$(cat /proc/sys/net/netfilter/nf_conntrack_max)
restore() {
  now=$(cat /proc/sys/net/netfilter/nf_conntrack_max)
  if [ "$now" != "$CTMAX_BEFORE" ]; then
    echo "$0: restoring nf_conntrack_max $now -> $CTMAX_BEFORE" >&2
    echo "$CTMAX_BEFORE" > /proc/sys/net/netfilter/nf_conntrack_max
  fi
}
trap restore EXIT INT TERM

# a listener that accepts everything and keeps the connections open
cat > "$WORK/server.py" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(64)
keep = []
while True:
    c, _ = s.accept()
    keep.append(c)
PY
# N connections at once (non-blocking connect), wait, then abort them all (RST: SO_LINGER 0)
cat > "$WORK/client.py" <<'PY'
import select, socket, struct, sys, time
host, port, n, wait = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
socks = []
for _ in range(n):
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.setblocking(False)
    c.connect_ex((host, port))
    socks.append(c)
end = time.monotonic() + wait
done = set()
while time.monotonic() < end:
    _, w, _ = select.select([], [c for c in socks if c not in done], [], max(0.0, end - time.monotonic()))
    for c in w:
        if c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            done.add(c)
print(f"{len(done)} of {n} connections established")
for c in socks:
    c.close()
PY

rules() {
  cat <<'RULES'
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -m conntrack --ctstate INVALID -j DROP
-A FORWARD -i r_cli -o r_srv -p tcp -m tcp --syn -j ACCEPT
COMMIT
RULES
}
rules > "$WORK/rules.v4"

for v in $VARIANTS; do
  case $v in
    connect)
      MAX=8
      DESC="nf_conntrack_max=8 (the global limit, lowered for the recording): a python client opens 12 TCP connections at once from 10.0.1.2 to a listener on 10.0.2.2:8080 through a stateful FORWARD (policy DROP, SYNs from the LAN accepted): 8 complete (ASSURED: nothing early_drop may evict), the SYNs of the other 4 find the table full and are dropped before they get a conntrack state, and so are their retransmissions one second later; after 2.5 s the client aborts every connection (RST, CLOSE)"
      PLAN="spawn server /usr/bin/python3 $WORK/server.py 10.0.2.2 8080
sleep 0.5
run client /usr/bin/python3 $WORK/client.py 10.0.2.2 8080 12 2.5 | grep '^8 of 12 connections established'" ;;
    hping)
      MAX=6
      DESC="nf_conntrack_max=6 (the global limit, lowered for the recording): hping3 -S sends 12 SYNs 50 ms apart (a new source port each) from 10.0.1.2 to a listener on 10.0.2.2:8080 through a stateful FORWARD (policy DROP, SYNs from the LAN accepted): the first 6 are NEW and answered with a SYN-ACK, which the client's stack resets (entries in CLOSE, not ASSURED); then the table is full: early_drop, which only searches the new tuple's few hash buckets, evicts nothing, and the other 6 SYNs are dropped before they get a conntrack state"
      PLAN="spawn server /usr/bin/python3 $WORK/server.py 10.0.2.2 8080
sleep 0.5
run client hping3 -S -p 8080 -c 12 -i u50000 10.0.2.2 2>&1 | grep '12 packets transmitted'
sleep 0.3" ;;
    *) echo "$0: unknown variant $v (connect, hping)" >&2; exit 2 ;;
  esac
  printf '%s\n' "$PLAN" | /usr/bin/python3 "$LIB/live_fixture.py" --name "r_live_synburst_$v" --rules "$WORK/rules.v4" --out "$OUT" \
    --sysctl "net.netfilter.nf_conntrack_max=$MAX" \
    --description "$DESC" --tags "tcp,table-full,early-drop,live" --source "scripts/examples/record-live-synburst.sh (live traffic)"
done
