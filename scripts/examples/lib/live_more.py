#!/usr/bin/python3
"""What live_fixture.py adds to the shared live tools (../../../../shared/conformance/tools/live.py)
without editing them: IPv6 endpoint addresses, hosts BEYOND the WAN endpoint, and the address
check for both families.

Plan lines (a superset of record_live.py's):

    addr SIDE ADDRESS        one more address of the endpoint of SIDE (IPv4 or IPv6), let through
                             the endpoint's ingress filter
    far ADDRESS [mtu N]      a host beyond the WAN endpoint: namespace ${ORC_PREFIX}_far, linked to
                             the WAN endpoint by a veth (WAN side 198.51.100.1/24 and
                             2001:db8:51::1/64, the far host any other address of those prefixes);
                             the WAN endpoint forwards between the router and it (one more hop: a
                             TTL / hop limit of 2 from the LAN expires there, and the WAN endpoint
                             203.0.113.2 / fd00:3::2 sends the time exceeded error). `mtu N` gives
                             the WAN endpoint's route to that host an MTU (a larger packet draws a
                             fragmentation needed / packet too big error from 203.0.113.2 / fd00:3::2)
    spawn SIDE COMMAND       a daemon in the namespace of SIDE (client, server, wan, far)
    run SIDE COMMAND         a client that must exit 0
    fail SIDE COMMAND        a client that must exit non-zero
    sleep SECONDS

The router's replay (scripts/conformance/record.ts) needs none of this: the far host and the WAN
endpoint's extra addresses are off-link hosts behind the router's default route; only the
packets that arrived at the router's interfaces are replayed.
"""
import ipaddress
import os
import shutil
import signal
import subprocess
import time

import nforacle as N

FAR_NS = f"{N.PFX}_far"
FAR_LINK4 = ("198.51.100.1", 24)
FAR_LINK6 = ("2001:db8:51::1", 64)
FAR_WAN_MAC = "02:00:00:00:04:01"
FAR_MAC = "02:00:00:00:04:02"
SIDE_NAMES = tuple(N.SIDES) + ("far",)


def parse_plan(text):
    steps = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = line.split(None, 2)
        kind = words[0]
        if kind == "sleep" and len(words) == 2:
            steps.append(("sleep", None, float(words[1]), n))
        elif kind == "far" and len(words) >= 2:
            rest = line.split()[1:]
            mtu = None
            if len(rest) == 3 and rest[1] == "mtu" and rest[2].isdigit():
                mtu = int(rest[2])
            elif len(rest) != 1:
                raise SystemExit(f"plan line {n}: want `far ADDRESS [mtu N]`, got {raw!r}")
            ipaddress.ip_address(rest[0])
            steps.append(("far", "far", (rest[0], mtu), n))
        elif kind == "addr" and len(words) == 3 and words[1] in N.SIDES:
            ipaddress.ip_address(words[2].split("/")[0])
            steps.append((kind, words[1], words[2], n))
        elif kind in ("spawn", "run", "fail") and len(words) == 3 and words[1] in SIDE_NAMES:
            steps.append((kind, words[1], words[2], n))
        else:
            raise SystemExit(f"plan line {n}: cannot read {raw!r} (want addr|far|spawn|run|fail SIDE ... or sleep S)")
    return steps


def is6(addr):
    return ":" in addr


def add_address(side, addr):
    """One more address on the endpoint of SIDE, accepted by its netdev ingress filter."""
    s = N.SIDES[side]
    ip = addr.split("/")[0]
    if is6(ip):
        N.sh(f"ip -n {s['ns']} addr add {ip}/128 dev eth0 nodad")
        N.sh(f"nft insert rule netdev orc_ep ing ip6 daddr {ip} accept", ns=s["ns"])
    else:
        N.sh(f"ip -n {s['ns']} addr add {ip}/32 dev eth0")
        N.sh(f"nft insert rule netdev orc_ep ing ip daddr {ip} accept", ns=s["ns"])


class Far:
    """The namespace beyond the WAN endpoint (built on the first `far` line)."""

    def __init__(self, ipv6):
        self.ipv6 = ipv6
        self.built = False
        self.addrs = []
        self.procs = []

    def build(self):
        wan = N.SIDES["wan"]["ns"]
        remove()
        N.sh(f"ip netns add {FAR_NS}")
        N.sh(f"ip -n {FAR_NS} link set lo up")
        if self.ipv6:
            N.sh("sysctl -qw " + " ".join(f"net.ipv6.conf.{w}.{kv}" for w in ("all", "default")
                                          for kv in ("accept_dad=0", "dad_transmits=0", "accept_ra=0", "router_solicitations=0")), ns=FAR_NS)
        else:
            N.sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1", ns=FAR_NS)
        N.sh(f"ip link add w_far netns {wan} address {FAR_WAN_MAC} type veth peer name eth0 netns {FAR_NS} address {FAR_MAC}")
        a4, p4 = FAR_LINK4
        N.sh(f"ip -n {wan} addr add {a4}/{p4} dev w_far")
        N.sh(f"ip -n {wan} link set w_far up")
        N.sh(f"ip -n {FAR_NS} link set eth0 up")
        N.sh(f"ip -n {FAR_NS} route add default via {a4} dev eth0 onlink")
        N.sh(f"ip -n {FAR_NS} neigh replace {a4} lladdr {FAR_WAN_MAC} dev eth0 nud permanent")
        N.sh("sysctl -qw net.ipv4.ip_forward=1", ns=wan)
        # the WAN endpoint forwards towards the far link: let those packets past its ingress filter
        N.sh(f"nft insert rule netdev orc_ep ing ip daddr {ipaddress.ip_network(f'{a4}/{p4}', strict=False)} accept", ns=wan)
        if self.ipv6:
            a6, p6 = FAR_LINK6
            N.sh(f"ip -n {wan} addr add {a6}/{p6} dev w_far nodad")
            N.sh(f"ip -n {FAR_NS} -6 route add default via {a6} dev eth0 onlink")
            N.sh(f"ip -n {FAR_NS} neigh replace {a6} lladdr {FAR_WAN_MAC} dev eth0 nud permanent")
            N.sh("sysctl -qw net.ipv6.conf.all.forwarding=1", ns=wan)
            N.sh(f"nft insert rule netdev orc_ep ing ip6 daddr {ipaddress.ip_network(f'{a6}/{p6}', strict=False)} accept", ns=wan)
            # the far host's own multicast chatter stays off the wire (it never crosses the router anyway)
            N.sh("nft -f -", ns=FAR_NS, inp="""table inet orc_epo { chain out { type filter hook output priority 0;
              icmpv6 type { mld-listener-report, mld2-listener-report, nd-router-solicit, nd-neighbor-solicit } drop
          }
        }
""")
        for ns, dev in ((wan, "w_far"), (FAR_NS, "eth0")):
            N.sh(f"ethtool -K {dev} tx off rx off tso off gso off gro off", ns=ns, check=False)
        self.built = True

    def add(self, addr, mtu):
        if not self.built:
            self.build()
        wan = N.SIDES["wan"]["ns"]
        net = ipaddress.ip_network(f"{FAR_LINK6[0]}/{FAR_LINK6[1]}" if is6(addr) else f"{FAR_LINK4[0]}/{FAR_LINK4[1]}", strict=False)
        if ipaddress.ip_address(addr) not in net:
            raise SystemExit(f"far host {addr} is not in {net}, the far link's prefix")
        if is6(addr) and not self.ipv6:
            raise SystemExit(f"far host {addr}: IPv6 needs the --ipv6 topology")
        plen = FAR_LINK6[1] if is6(addr) else FAR_LINK4[1]
        N.sh(f"ip -n {FAR_NS} addr add {addr}/{plen} dev eth0" + (" nodad" if is6(addr) else ""))
        N.sh(f"ip -n {wan} neigh replace {addr} lladdr {FAR_MAC} dev w_far nud permanent")
        if mtu:
            # a host route with a locked MTU (forwarding ignores an unlocked route MTU, see
            # ip_dst_mtu_maybe_forward; the host route wins over the connected prefix)
            N.sh(f"ip -n {wan} route replace {addr}/{128 if is6(addr) else 32} dev w_far mtu lock {mtu}")
        self.addrs.append(addr)

    def spawn(self, cmd, wait=0.5):
        p = subprocess.Popen(["ip", "netns", "exec", FAR_NS, "sh", "-c", cmd], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.procs.append(p)
        time.sleep(wait)
        return p

    def run(self, cmd, timeout=30):
        try:
            p = subprocess.run(["ip", "netns", "exec", FAR_NS, "sh", "-c", cmd], capture_output=True, text=True, timeout=timeout)
            return p.returncode, p.stdout + p.stderr
        except subprocess.TimeoutExpired as e:
            return None, f"(timed out after {timeout}s) {e.stdout or ''}"

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=3)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def remove():
    if FAR_NS in N.sh("ip netns list", check=False).split():
        N.sh(f"ip netns del {FAR_NS}", check=False)


def private_etc_far(create):
    """as record_live.private_etc, for the far namespace"""
    d = f"/etc/netns/{FAR_NS}"
    if create:
        os.makedirs(d, exist_ok=True)
        open(f"{d}/resolv.conf", "w").write("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        open(f"{d}/hosts", "w").write("127.0.0.1 localhost\n")
    else:
        shutil.rmtree(d, ignore_errors=True)


def addresses(ip):
    """(source, destination) of an IPv4 or IPv6 packet as text, or None"""
    if len(ip) >= 20 and ip[0] >> 4 == 4:
        return str(ipaddress.IPv4Address(ip[12:16])), str(ipaddress.IPv4Address(ip[16:20]))
    if len(ip) >= 40 and ip[0] >> 4 == 6:
        return str(ipaddress.IPv6Address(ip[8:24])), str(ipaddress.IPv6Address(ip[24:40]))
    return None


def own_addresses(plan, ipv6):
    own = {s["eip"] for s in N.SIDES.values()} | {s["rip"] for s in N.SIDES.values()}
    if ipv6:
        own |= {s["eip6"] for s in N.SIDES.values()} | {s["rip6"] for s in N.SIDES.values()}
    for kind, _, arg, _ in plan:
        if kind == "addr":
            own.add(arg.split("/")[0])
        elif kind == "far":
            own.add(arg[0])
    return {str(ipaddress.ip_address(a)) for a in own}


def stray_frames(frames, own):
    """descriptions of the frames with an address that is not one of the scenario's hosts (IPv6
    link-local / multicast chatter, anything the replay topology could not reproduce)"""
    out = []
    for f in frames:
        sd = addresses(f["ip"])
        if sd is None or not set(sd) <= own:
            out.append(N.describe_ip(f["ip"]))
    return out
