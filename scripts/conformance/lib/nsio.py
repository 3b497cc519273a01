#!/usr/bin/python3
"""Packet I/O helper of the ctkit kernel recorder (scripts/conformance/record.ts).

Node has no AF_PACKET or raw sockets, so this small process does the socket work, in the
network namespaces the recorder created; the recorder drives it with JSON lines on stdin and
reads JSON lines from stdout.

  nsio.py ROUTER_NS SIDE=NS ...        e.g. nsio.py ckr_router client=ckr_client server=ckr_server

Sockets: one AF_PACKET socket per endpoint namespace, bound to its eth0 (send frames towards
the router; receive, with kernel timestamps, the frames the router transmits, skipping the
endpoint's own outgoing frames); in the router namespace raw IPv4/IPv6 sockets (packets "sent by
a local process", header included) and a UDP socket for marked sync packets.

Commands (stdin):
  {"op": "send", "side": S, "frame": HEX, "at": MONO|null}  ethernet frame out of S's eth0
  {"op": "local", "ip": HEX, "dst": ADDR, "at": MONO|null}  raw IP packet from the router
  {"op": "sync", "mark": N}                                 UDP to 127.0.0.1:9 with SO_MARK N
  {"op": "proc"}                                            the router's conntrack tables
  {"op": "ctdummy"}                                         insert and delete a dummy conntrack entry
                                                            (udp 192.0.2.251:9 -> 192.0.2.252:9, via ctnetlink)
  {"op": "quit"}
Answers (stdout): {"ev": "sent", "mono": T} after send/local/sync (T = CLOCK_MONOTONIC right after
the send; for local, "refused": the send error, e.g. EPERM when netfilter dropped it, or null), {"ev": "proc", "conntrack": [...], "expect": [...]}, {"ev": "error", "msg": ...}, and
whenever the router transmits a frame {"ev": "frame", "side": S, "ts": KERNEL_TS, "hex": HEX}.
Only the Python standard library is used.
"""
import ctypes
import json
import os
import select
import socket
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SO_TIMESTAMPNS = 35
SO_MARK = 36
LIBC = ctypes.CDLL("libc.so.6", use_errno=True)


def enter_netns(name):
    """move this process into the named network namespace (sockets opened later live there)"""
    fd = os.open(f"/var/run/netns/{name}", os.O_RDONLY)
    try:
        if LIBC.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns {name}: {os.strerror(err)}")
    finally:
        os.close(fd)


def open_sniffer(ns):
    enter_netns(ns)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.bind(("eth0", ETH_P_ALL))
    s.setblocking(False)
    return s


# ctnetlink (include/uapi/linux/netfilter/nfnetlink_conntrack.h)
NETLINK_NETFILTER = 12
NFNL_SUBSYS_CTNETLINK = 1
IPCTNL_MSG_CT_NEW, IPCTNL_MSG_CT_DELETE = 0, 2
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE = 0x1, 0x4, 0x200, 0x400
NLA_F_NESTED = 0x8000
CTA_TUPLE_ORIG, CTA_TUPLE_REPLY, CTA_TIMEOUT = 1, 2, 7
CTA_TUPLE_IP, CTA_TUPLE_PROTO = 1, 2
CTA_IP_V4_SRC, CTA_IP_V4_DST = 1, 2
CTA_PROTO_NUM, CTA_PROTO_SRC_PORT, CTA_PROTO_DST_PORT = 1, 2, 3


def nla(typ, payload):
    """one netlink attribute, padded to 4 bytes"""
    return struct.pack("=HH", 4 + len(payload), typ) + payload + b"\0" * ((-len(payload)) % 4)


def ct_tuple(typ, src, dst, sport, dport):
    ip = nla(CTA_TUPLE_IP | NLA_F_NESTED, nla(CTA_IP_V4_SRC, socket.inet_aton(src)) + nla(CTA_IP_V4_DST, socket.inet_aton(dst)))
    proto = nla(CTA_TUPLE_PROTO | NLA_F_NESTED, nla(CTA_PROTO_NUM, bytes([17])) +
                nla(CTA_PROTO_SRC_PORT, struct.pack(">H", sport)) + nla(CTA_PROTO_DST_PORT, struct.pack(">H", dport)))
    return nla(typ | NLA_F_NESTED, ip + proto)


class CtNetlink:
    """inserts / deletes the recorder's dummy conntrack entry (its events are the event barrier)"""
    A, B, PORT = "192.0.2.251", "192.0.2.252", 9

    def __init__(self):
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        self.s.bind((0, 0))
        self.seq = 0

    def request(self, msg_type, flags, attrs):
        self.seq += 1
        body = struct.pack("=BBH", socket.AF_INET, 0, 0) + attrs      # nfgenmsg
        hdr = struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_CTNETLINK << 8) | msg_type,
                          NLM_F_REQUEST | NLM_F_ACK | flags, self.seq, 0)
        self.s.send(hdr + body)
        ans = self.s.recv(65536)
        err = struct.unpack_from("=i", ans, 16)[0] if len(ans) >= 20 else 0
        return -err

    def dummy(self):
        orig = ct_tuple(CTA_TUPLE_ORIG, self.A, self.B, self.PORT, self.PORT)
        reply = ct_tuple(CTA_TUPLE_REPLY, self.B, self.A, self.PORT, self.PORT)
        e1 = self.request(IPCTNL_MSG_CT_NEW, NLM_F_CREATE | NLM_F_EXCL, orig + reply + nla(CTA_TIMEOUT, struct.pack(">I", 5)))
        e2 = self.request(IPCTNL_MSG_CT_DELETE, 0, orig)
        return e1, e2


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def wait_until(mono):
    if mono is None:
        return
    while True:
        d = mono - time.monotonic()
        if d <= 0:
            return
        time.sleep(d if d > 0.002 else 0)


def kernel_ts(anc):
    for lvl, typ, val in anc:
        if lvl == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS and len(val) >= 16:
            sec, nsec = struct.unpack("qq", val[:16])
            return sec + nsec / 1e9
    return time.time()


class Io:
    def __init__(self, router_ns, sides):
        self.sniff = {side: open_sniffer(ns) for side, ns in sides.items()}
        enter_netns(router_ns)
        self.raw4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        try:
            self.raw6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
        except OSError:
            self.raw6 = None
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.ct = CtNetlink()

    def read_frames(self, sock, side):
        while True:
            try:
                data, anc, _, addr = sock.recvmsg(65535, 64)
            except BlockingIOError:
                return
            if addr[2] == PACKET_OUTGOING:
                continue
            emit({"ev": "frame", "side": side, "ts": kernel_ts(anc), "hex": data.hex()})

    def command(self, c):
        op = c.get("op")
        if op == "send":
            wait_until(c.get("at"))
            self.sniff[c["side"]].send(bytes.fromhex(c["frame"]))
            emit({"ev": "sent", "mono": time.monotonic()})
        elif op == "local":
            ip = bytes.fromhex(c["ip"])
            wait_until(c.get("at"))
            if ip[0] >> 4 == 6 and self.raw6 is None:
                raise OSError("no IPv6 raw socket")
            try:
                if ip[0] >> 4 == 6:
                    self.raw6.sendto(ip, (c["dst"], 0, 0, 0))
                else:
                    self.raw4.sendto(ip, (c["dst"], 0))
                refused = None
            except OSError as e:      # EPERM: netfilter dropped it on the OUTPUT path; ENETUNREACH ...
                refused = e.strerror
            emit({"ev": "sent", "mono": time.monotonic(), "refused": refused})
        elif op == "sync":
            self.udp.setsockopt(socket.SOL_SOCKET, SO_MARK, int(c["mark"]))
            try:
                self.udp.sendto(b"sync", ("127.0.0.1", 9))
            except PermissionError:   # the probe table drops it on purpose
                pass
            emit({"ev": "sent", "mono": time.monotonic()})
        elif op == "proc":
            def lines(p):
                try:
                    return [l for l in open(p).read().splitlines() if l.strip()]
                except OSError:
                    return []
            # insert_failed summed over the CPUs: a packet that passed postrouting but
            # was dropped at confirmation (a clash) shows there.
            failed = 0
            stat = lines("/proc/net/stat/nf_conntrack")
            if stat:
                col = stat[0].split().index("insert_failed")
                failed = sum(int(l.split()[col], 16) for l in stat[1:])
            emit({"ev": "proc", "conntrack": lines("/proc/net/nf_conntrack"),
                  "expect": lines("/proc/net/nf_conntrack_expect"), "insert_failed": failed})
        elif op == "ctdummy":
            e1, e2 = self.ct.dummy()
            emit({"ev": "sent", "mono": time.monotonic(), "errors": [e1, e2]})
        elif op == "quit":
            sys.exit(0)
        else:
            raise ValueError(f"unknown op {op!r}")

    def loop(self):
        stdin = sys.stdin.fileno()
        os.set_blocking(stdin, False)
        buf = b""
        by_fd = {s.fileno(): (side, s) for side, s in self.sniff.items()}
        emit({"ev": "ready"})
        while True:
            r, _, _ = select.select([stdin] + list(by_fd), [], [])
            for fd in r:
                if fd != stdin:
                    side, s = by_fd[fd]
                    self.read_frames(s, side)
                    continue
                chunk = os.read(stdin, 1 << 16)
                if not chunk:
                    return
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if not line.strip():
                        continue
                    try:
                        self.command(json.loads(line))
                    except SystemExit:
                        raise
                    except Exception as e:      # report, keep serving
                        emit({"ev": "error", "msg": f"{type(e).__name__}: {e}"})
                    for side, s in self.sniff.items():   # frames that arrived meanwhile, in order
                        self.read_frames(s, side)


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sides = dict(a.split("=", 1) for a in sys.argv[2:])
    Io(sys.argv[1], sides).loop()


if __name__ == "__main__":
    main()
