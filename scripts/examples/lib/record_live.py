#!/usr/bin/python3
"""Records one of ctkit's bundled examples from real traffic through a real Linux router.

    record_live.py --name NAME --out examples/NAME --rules RULES.v4 [--sysctl K=V ...] < PLAN

Uses the shared conformance recorder (../shared/conformance/tools beside the repository, or $CONFORMANCE_TOOLS):
live.py builds the router namespace (r_cli 10.0.1.1/24, r_srv 10.0.2.1/24, r_wan 203.0.113.1/24,
default route via 203.0.113.254) and one endpoint namespace per side (client 10.0.1.2, server
10.0.2.2, wan 203.0.113.2), loads the ruleset, and runs tcpdump on every router interface while
the PLAN's applications talk through the router. The frames that ARRIVED at the router become
capture.pcapng; ctcorpus then replays exactly those packets through a fresh router with the same
host and ruleset (twice, to find nondeterministic fields) and records the kernel's verdicts,
conntrack states, rule hits, events, transmitted packets and final tables in kernel.json.
live.pcapng (both directions, as seen live) and live_check.json (how far the replay reproduces
what the live router sent) are kept next to them.

PLAN: one step a line, '#' starts a comment, $VARS are the caller's business (here-document):

    addr SIDE ADDRESS          give the endpoint of SIDE one more address (a second LAN host, an
                               internet server) and let it through the endpoint's ingress filter
    spawn SIDE COMMAND         start a daemon in the endpoint namespace of SIDE (stopped at the end)
    run SIDE COMMAND           run a client; it must exit 0
    fail SIDE COMMAND          run a client; it must exit non-zero (traffic the firewall stops)
    sleep SECONDS

SIDE is client, server or wan. Namespaces are ${ORC_PREFIX:-exm}_router/_client/_server/_wan;
nothing leaves them. Root only.
"""
import argparse
import json
import os
import shutil
import socket
import sys
import time

TOOLS = os.environ.get("CONFORMANCE_TOOLS", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "conformance", "tools"))
os.environ.setdefault("ORC_PREFIX", "exm")
sys.path.insert(0, TOOLS)

import ctcorpus as C  # noqa: E402
import live  # noqa: E402
import nforacle as N  # noqa: E402


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
        elif kind in ("addr", "spawn", "run", "fail") and len(words) == 3 and words[1] in N.SIDES:
            steps.append((kind, words[1], words[2], n))
        else:
            raise SystemExit(f"plan line {n}: cannot read {raw!r}")
    return steps


def add_address(side, addr):
    s = N.SIDES[side]
    ip = addr.split("/")[0]
    N.sh(f"ip -n {s['ns']} addr add {ip}/32 dev eth0")
    # the endpoint's netdev ingress filter only lets its own address in: accept this one too
    N.sh(f"nft insert rule netdev orc_ep ing ip daddr {ip} accept", ns=s["ns"])


def private_etc(create):
    """/etc/netns/NS/{resolv.conf,hosts}: `ip netns exec` mounts them over /etc in the endpoint
    namespaces, so that name lookups the applications make on their own (python's http.server
    resolves its address with getfqdn()) stay on the namespace's loopback instead of sending
    queries for the machine's resolver through the router."""
    for s in N.SIDES.values():
        d = f"/etc/netns/{s['ns']}"
        if create:
            os.makedirs(d, exist_ok=True)
            open(f"{d}/resolv.conf", "w").write("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
            open(f"{d}/hosts", "w").write("127.0.0.1 localhost\n")
        else:
            shutil.rmtree(d, ignore_errors=True)
    if not create and os.path.isdir("/etc/netns") and not os.listdir("/etc/netns"):
        os.rmdir("/etc/netns")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rules", help="iptables-restore text")
    ap.add_argument("--nft", help="nft -f text")
    ap.add_argument("--sysctl", action="append", default=[])
    ap.add_argument("--description", default="")
    ap.add_argument("--tags", default="")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--attempts", type=int, default=4, help="replay recordings to try until two runs agree")
    ap.add_argument("--plan", help="plan file (default: stdin)")
    a = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("record_live.py: needs root (network namespaces)")
    plan = parse_plan(open(a.plan).read() if a.plan else sys.stdin.read())
    rules = open(a.rules).read() if a.rules else None
    nft = open(a.nft).read() if a.nft else None
    sysctls = {}
    for kv in a.sysctl:
        k, v = kv.split("=", 1)
        sysctls[k] = int(v) if v.lstrip("-").isdigit() else v

    print(f"== {a.name}: live traffic through {N.NS_R}")
    failures = []
    private_etc(True)
    try:
        live_traffic(a, plan, rules, nft, sysctls, failures)
    finally:
        private_etc(False)


def live_traffic(a, plan, rules, nft, sysctls, failures):
    with live.LiveCapture(rules=rules, nft=nft, sysctls=sysctls) as L:
        for kind, side, arg, n in plan:
            if kind == "sleep":
                time.sleep(arg)
                continue
            if kind == "addr":
                add_address(side, arg)
                print(f"   addr  {side:<6} {arg}")
                continue
            if kind == "spawn":
                L.spawn(side, arg)
                print(f"   spawn {side:<6} {arg}")
                continue
            rc, out = L.run(side, arg)
            ok = (rc == 0) if kind == "run" else (rc not in (0, None))
            print(f"   {kind:<5} {side:<6} {arg}\n         -> rc={rc} {'ok' if ok else 'UNEXPECTED'}")
            for l in out.strip().splitlines()[-6:]:
                print(f"         | {l}")
            if not ok:
                failures.append(f"plan line {n}: {kind} {side} {arg}: rc={rc}")
        daemons = [(p.args[-1], p) for p in L.procs]
    for cmd, p in daemons:
        txt = p.stdout.read() if p.stdout else ""
        if txt.strip():
            print(f"   daemon output ({cmd[:60]}):\n" + "\n".join(f"         | {l}" for l in txt.strip().splitlines()[-8:]))
    if failures:
        raise SystemExit("the live traffic did not go as planned:\n  " + "\n  ".join(failures))

    inbound = L.inbound()
    own = {s["eip"] for s in N.SIDES.values()} | {s["rip"] for s in N.SIDES.values()} | {x.split("/")[0] for k, _, x, _ in plan if k == "addr"}
    stray = [N.describe_ip(f["ip"]) for f in L.frames
             if f["ip"][0] >> 4 != 4 or not {socket.inet_ntoa(f["ip"][12:16]), socket.inet_ntoa(f["ip"][16:20])} <= own]
    if stray:
        raise SystemExit("packets with addresses outside the example's hosts crossed the router:\n  " + "\n  ".join(stray[:10]))
    print(f"== {len(inbound)} packets arrived at the router, {len(L.frames) - len(inbound)} left it; "
          f"replaying them through a fresh router ({a.runs} runs)")
    sc = L.scenario(a.name, a.description, [t for t in a.tags.split(",") if t])
    os.makedirs(a.out, exist_ok=True)
    # The recorder attributes conntrack events to packets by time; now and then an event is read
    # after the next packet was sent and lands on the wrong one, which the two runs then disagree
    # on. Such a recording is repeated (the capture stays the same) until the runs agree.
    for attempt in range(1, a.attempts + 1):
        meta, warnings = C.record(sc, a.out, runs=a.runs, log=sys.stdout,
                                  meta_extra={"source": f"scripts/examples/record-{a.name}.sh (live traffic)"})
        unstable = meta["nondeterministic"].get("fields") or meta["nondeterministic"].get("notes")
        if not unstable or a.runs < 2:
            break
        print(f"== the replay runs disagree on {unstable}: recording again ({attempt}/{a.attempts})")
    else:
        raise SystemExit(f"the replay runs kept disagreeing ({unstable}); {a.out} is left as the last attempt wrote it")
    chk = L.save(a.out)
    print(f"== live check: {chk['live_outbound_reproduced_by_replay']}/{chk['live_outbound_packets']} packets the live "
          f"router sent are reproduced by the replay; final conntrack same as live (timeouts ignored): "
          f"{chk['final_conntrack_same_as_live (timeouts ignored)']}")
    for l in chk["live_outbound_not_reproduced"]:
        print(f"   not reproduced: {l}")
    for l in chk["live_only_conntrack"]:
        print(f"   live only: {l}")
    for l in chk["replay_only_conntrack"]:
        print(f"   replay only: {l}")
    k = json.load(open(os.path.join(a.out, "kernel.json")))
    verdicts = {}
    for p in k["packets"]:
        verdicts[p["verdict"]] = verdicts.get(p["verdict"], 0) + 1
    print(f"== {a.out}: {len(k['packets'])} packets {verdicts}, {len(k['conntrack'])} conntrack entries, "
          f"{len(k['expect'])} expectations; tags {meta['tags']}")


if __name__ == "__main__":
    main()
