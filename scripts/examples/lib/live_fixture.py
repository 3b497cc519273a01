#!/usr/bin/python3
"""Records a kernel-conformance fixture (test/fixtures/conformance/NAME) from real application
traffic through a real Linux router.

    live_fixture.py --name NAME --rules RULES.v4 --description TEXT --tags a,b [--out ROOT] < PLAN
                    [--rules6 RULES.v6 --ipv6] [--sysctl K=V ...]

1. Live traffic: the shared conformance tools' live.py builds the router and the endpoint
   namespaces (named ${ORC_PREFIX:-lv}_router / _client / _server / _wan: r_cli 10.0.1.1/24,
   r_srv 10.0.2.1/24, r_wan 203.0.113.1/24, default route via 203.0.113.254; client 10.0.1.2,
   server 10.0.2.2, wan 203.0.113.2 plus the plan's `addr` addresses, permanent neighbour
   entries, offloads off), loads RULES into the router and runs tcpdump on its three interfaces
   while the PLAN's daemons and clients talk through it (plan format: record_live.py, with
   live_more.py's additions: IPv6 addresses, `far` hosts one hop beyond the WAN endpoint).
   --ipv6 adds fd00:1::1/64, fd00:2::1/64, fd00:3::1/64 (endpoints ::2, default route via
   fd00:3::fe, no DAD / router solicitations / MLD on the wires) and --rules6 loads an
   ip6tables-restore ruleset; --sysctl sets router sysctls (net.netfilter.nf_conntrack_max, global
   on this kernel, needs ORC_ALLOW_GLOBAL_CT_MAX=1 and CKR_ALLOW_GLOBAL_CT_MAX=1 and no other
   network namespace).
2. The frames that ARRIVED at the router (with their arrival interface and their time offsets)
   become a scenario of this project's recorder (a JSON scenario: packets as hex), which
   `scripts/conformance/record.ts` replays through a fresh kernel router (namespaces
   ${CKR_PREFIX:-ckl}_*, the same addressing plan: every address of the live run is one of the
   recorder's endpoint addresses, raw hosts or off-link WAN hosts) twice and packages as the
   fixture (capture.pcapng, host.json, rules.v4, kernel.json, meta.json).
3. live.pcapng (both directions, Ethernet, live timestamps) and live_check.json (how many of the
   packets the live router sent the replay reproduces byte for byte, and whether the final
   conntrack tables agree) are written next to them.

Root only. Takes no lock itself: the calling script holds /tmp/ctkit-record.lock for the whole
run (live traffic and recording), so that no other recording runs at the same time.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
os.environ.setdefault("ORC_PREFIX", "lv")
sys.path.insert(0, HERE)

import record_live as RL  # noqa: E402  (private_etc; imports the shared tools)
import live  # noqa: E402
import live_more as LM  # noqa: E402  (parse_plan, add_address, far hosts, both address families)
import nforacle as N  # noqa: E402

MAX_PACKETS = 80


def run_plan(L, far, plan, failures):
    for kind, side, arg, n in plan:
        if kind == "sleep":
            time.sleep(arg)
        elif kind == "addr":
            LM.add_address(side, arg)
            print(f"   addr  {side:<6} {arg}")
        elif kind == "far":
            far.add(*arg)
            print(f"   far   {arg[0]}" + (f" (WAN endpoint's route mtu {arg[1]})" if arg[1] else ""))
        elif kind == "spawn":
            far.spawn(arg) if side == "far" else L.spawn(side, arg)
            print(f"   spawn {side:<6} {arg}")
        else:
            rc, out = far.run(arg) if side == "far" else L.run(side, arg)
            ok = (rc == 0) if kind == "run" else (rc not in (0, None))
            print(f"   {kind:<5} {side:<6} {arg}\n         -> rc={rc} {'ok' if ok else 'UNEXPECTED'}")
            for line in out.strip().splitlines()[-8:]:
                print(f"         | {line}")
            if not ok:
                failures.append(f"plan line {n}: {kind} {side} {arg}: rc={rc}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True)
    ap.add_argument("--rules", help="iptables-restore text (rules.v4; optional with --rules6)")
    ap.add_argument("--rules6", help="ip6tables-restore text (rules.v6)")
    ap.add_argument("--ipv6", action="store_true", help="IPv6 addresses on the router and the endpoints")
    ap.add_argument("--sysctl", action="append", default=[], help="K=V: a router sysctl (live run and replay)")
    ap.add_argument("--description", required=True)
    ap.add_argument("--tags", default="")
    ap.add_argument("--source", default="scripts/examples (live traffic)", help="meta.json source")
    ap.add_argument("--out", default=os.path.join(ROOT, "test", "fixtures", "conformance"))
    ap.add_argument("--work", default="/tmp/ctkit-live")
    a = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("live_fixture.py: needs root (network namespaces)")
    plan = LM.parse_plan(sys.stdin.read())
    if not a.rules and not a.rules6:
        raise SystemExit("live_fixture.py: give --rules and/or --rules6")
    rules = open(a.rules).read() if a.rules else None
    rules6 = open(a.rules6).read() if a.rules6 else None
    if rules6 and not a.ipv6:
        raise SystemExit("--rules6 needs --ipv6")
    sysctls = {}
    for kv in a.sysctl:
        k, _, v = kv.partition("=")
        sysctls[k] = int(v) if v.lstrip("-").isdigit() else v
    os.makedirs(a.work, exist_ok=True)

    print(f"== {a.name}: live traffic through {N.NS_R}")
    failures = []
    RL.private_etc(True)
    LM.private_etc_far(True)
    far = LM.Far(a.ipv6)
    try:
        with live.LiveCapture(rules=rules, sysctls=sysctls, ipv6=a.ipv6) as L:
            if rules6:
                N.sh("ip6tables-restore", ns=N.NS_R, inp=rules6)
            try:
                run_plan(L, far, plan, failures)
            finally:
                far.stop()
            daemons = [(p.args[-1], p) for p in L.procs + far.procs]
    finally:
        LM.remove()
        LM.private_etc_far(False)
        RL.private_etc(False)
    for cmd, p in daemons:
        txt = p.stdout.read() if p.stdout else ""
        if txt.strip():
            print(f"   daemon output ({cmd[:70]}):\n" + "\n".join(f"         | {l}" for l in txt.strip().splitlines()[-10:]))
    if failures:
        raise SystemExit("the live traffic did not go as planned:\n  " + "\n  ".join(failures))

    inbound = L.inbound()
    stray = LM.stray_frames(L.frames, LM.own_addresses(plan, a.ipv6))
    if stray:
        raise SystemExit("packets with addresses outside the scenario's hosts crossed the router:\n  " + "\n  ".join(stray[:10]))
    if not inbound or len(inbound) >= MAX_PACKETS:
        raise SystemExit(f"{len(inbound)} packets arrived at the router: want 1..{MAX_PACKETS - 1}")
    print(f"== {len(inbound)} packets arrived at the router, {len(L.frames) - len(inbound)} left it")
    for f in L.frames:
        print(f"   {f['ts'] - L.frames[0]['ts']:8.4f} {f['iface']:<5} {'out' if f['out'] else 'in ':<3} {N.describe_ip(f['ip'])}")

    # the recorder's scenario: exactly the packets that arrived, on their interface, at their offsets
    t0 = inbound[0]["ts"]
    scen = {
        "name": a.name,
        "description": a.description,
        "tags": sorted(set(t for t in a.tags.split(",") if t) | {"live"}),
        **({"iptables": rules} if rules else {}),
        **({"ip6tables": rules6} if rules6 else {}),
        **({"ipv6": True} if a.ipv6 else {}),
        **({"sysctls": sysctls} if sysctls else {}),
        "steps": [{"iface": f["iface"], "packet": f["ip"].hex(), "at": round(f["ts"] - t0, 6)} for f in inbound],
    }
    spath = os.path.join(a.work, f"{a.name}.json")
    with open(spath, "w") as fh:
        json.dump(scen, fh, indent=1)
    env = dict(os.environ)
    env.setdefault("CKR_PREFIX", "ckl")
    print(f"== recording {spath} through the kernel with scripts/conformance/record.ts (CKR_PREFIX={env['CKR_PREFIX']})")
    rc = subprocess.run(["npx", "tsx", "scripts/conformance/record.ts", spath, "-o", a.out], cwd=ROOT, env=env).returncode
    if rc != 0:
        raise SystemExit(f"record.ts failed (exit {rc})")
    d = os.path.join(a.out, a.name)
    mpath = os.path.join(d, "meta.json")
    meta = json.load(open(mpath))
    meta["source"] = a.source
    with open(mpath, "w") as fh:
        fh.write(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")

    chk = L.save(d)
    print(f"== live check: {chk['live_outbound_reproduced_by_replay']}/{chk['live_outbound_packets']} packets the live "
          f"router sent are reproduced by the replay; final conntrack same as live (timeouts ignored): "
          f"{chk['final_conntrack_same_as_live (timeouts ignored)']}")
    for l in chk["live_outbound_not_reproduced"]:
        print(f"   not reproduced: {l}")
    for l in chk["live_only_conntrack"]:
        print(f"   live only: {l}")
    for l in chk["replay_only_conntrack"]:
        print(f"   replay only: {l}")
    k = json.load(open(os.path.join(d, "kernel.json")))
    verdicts = {}
    for p in k["packets"]:
        verdicts[p["verdict"]] = verdicts.get(p["verdict"], 0) + 1
    print(f"== {d}: {len(k['packets'])} packets {verdicts}, {len(k['conntrack'])} conntrack entries, "
          f"{len(k['expect'])} expectations")


if __name__ == "__main__":
    main()
