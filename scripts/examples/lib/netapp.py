#!/usr/bin/python3
"""Small network applications for recording ctkit's bundled examples.

Run inside the endpoint namespaces of the recording topology (scripts/examples/lib/record_live.py);
every packet they cause is sent and received by the real kernel's sockets, nothing is crafted.
Only the Python standard library is used.

  netapp.py ping DST [-c N] [-i SEC] [-W SEC] [-I SRC]      ICMP echo (raw socket, like ping(8))
  netapp.py dns SERVER NAME [-t SEC] [-r TRIES] [-b SRC]   one A query over UDP, retried like a stub resolver
  netapp.py ssh-server ADDR [PORT]                         an SSH-like banner service (sshd stand-in)
  netapp.py ssh-client HOST [PORT] [-b SRC]                connects, exchanges banners, says goodbye
  netapp.py scan HOST PORTS [-t SEC] [-b SRC]              TCP connect scan (PORTS like 21,23,25)
  netapp.py udp-probe HOST PORTS [-t SEC] [-b SRC]         one datagram per port, ICMP errors reported
  netapp.py ftp HOST FILE [--modes active,passive,epsv,eprt] anonymous login, FILE fetched once per mode (ftplib)

Exit status 0 when the exchange worked (scan: a port was open; udp-probe: a port answered), 1 when it
did not (timeouts, refused), 2 on usage errors.
"""
import argparse
import os
import random
import select
import socket
import struct
import sys
import time

SSH_SERVER_BANNER = b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u5\r\n"
SSH_CLIENT_BANNER = b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u5\r\n"


def say(*a):
    print(*a, flush=True)


def icmp_checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def cmd_ping(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    if a.source:
        s.bind((a.source, 0))
    ident = os.getpid() & 0xFFFF
    got = 0
    for seq in range(1, a.count + 1):
        payload = struct.pack("!d", time.time()) + bytes(range(0x10, 0x38))
        hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
        pkt = struct.pack("!BBHHH", 8, 0, icmp_checksum(hdr + payload), ident, seq) + payload
        t0 = time.monotonic()
        s.sendto(pkt, (a.dst, 0))
        answered = False
        while not answered:
            left = a.wait - (time.monotonic() - t0)
            if left <= 0:
                break
            r, _, _ = select.select([s], [], [], left)
            if not r:
                break
            data, src = s.recvfrom(4096)
            ihl = (data[0] & 15) * 4
            typ, code, _, rid, rseq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
            if typ == 0 and rid == ident and rseq == seq:
                answered = True
                got += 1
                say(f"reply from {src[0]}: icmp_seq={seq} time={(time.monotonic() - t0) * 1000:.2f} ms")
        if not answered:
            say(f"no reply for icmp_seq={seq}")
        if seq < a.count:
            time.sleep(a.interval)
    say(f"{a.count} sent, {got} received")
    return 0 if got == a.count else 1


def dns_query(name, qid):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", 1, 1)


def dns_answers(msg):
    qd, an = struct.unpack("!HH", msg[4:8])
    off = 12

    def skip_name(o):
        while True:
            n = msg[o]
            if n == 0:
                return o + 1
            if n & 0xC0 == 0xC0:
                return o + 2
            o += n + 1
    for _ in range(qd):
        off = skip_name(off) + 4
    res = []
    for _ in range(an):
        off = skip_name(off)
        typ, _, ttl, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        off += 10
        if typ == 1 and rdlen == 4:
            res.append(socket.inet_ntoa(msg[off:off + 4]))
        off += rdlen
    return res


def cmd_dns(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.source or "0.0.0.0", 0))
    qid = random.randrange(1, 0xFFFF)
    q = dns_query(a.name, qid)
    for attempt in range(1, a.tries + 1):
        s.sendto(q, (a.server, 53))
        t0 = time.monotonic()
        while True:
            left = a.timeout - (time.monotonic() - t0)
            r, _, _ = select.select([s], [], [], max(left, 0))
            if not r:
                break
            msg, src = s.recvfrom(4096)
            if src[0] == a.server and len(msg) >= 12 and struct.unpack("!H", msg[:2])[0] == qid:
                rcode = msg[3] & 15
                say(f"{a.name}: rcode={rcode} A={dns_answers(msg)} (attempt {attempt})")
                return 0 if rcode == 0 else 1
        say(f"{a.name}: no answer from {a.server} within {a.timeout}s (attempt {attempt})")
    return 1


def cmd_ssh_server(a):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.addr, a.port))
    ls.listen(8)
    say(f"listening on {a.addr}:{a.port}")
    while True:
        c, peer = ls.accept()
        c.settimeout(10)
        try:
            c.sendall(SSH_SERVER_BANNER)
            line = b""
            while not line.endswith(b"\n"):
                chunk = c.recv(256)
                if not chunk:
                    break
                line += chunk
            say(f"{peer[0]}:{peer[1]} says {line.strip()!r}")
            # the real sshd would start key exchange here; this stand-in only says goodbye
            while True:
                chunk = c.recv(256)
                if not chunk:
                    break
                c.sendall(b"ok " + chunk)
        except OSError as e:
            say(f"{peer}: {e}")
        finally:
            c.close()


def cmd_ssh_client(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(a.timeout)
    if a.source:
        s.bind((a.source, 0))
    try:
        s.connect((a.host, a.port))
        banner = s.recv(256)
        say(f"server banner {banner.strip()!r}")
        s.sendall(SSH_CLIENT_BANNER)
        time.sleep(0.2)
        s.sendall(b"exit\n")
        say(f"server says {s.recv(256).strip()!r}")
        s.shutdown(socket.SHUT_WR)
        while s.recv(256):
            pass
        return 0
    except OSError as e:
        say(f"{a.host}:{a.port}: {e}")
        return 1
    finally:
        s.close()


def ports(spec):
    return [int(p) for p in spec.split(",") if p]


def cmd_scan(a):
    opened = 0
    for p in ports(a.ports):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(a.timeout)
        if a.source:
            s.bind((a.source, 0))
        try:
            s.connect((a.host, p))
            say(f"{a.host}:{p} open")
            opened += 1
        except ConnectionRefusedError:
            say(f"{a.host}:{p} closed (reset)")
        except (socket.timeout, TimeoutError):
            say(f"{a.host}:{p} filtered (no answer)")
        except OSError as e:
            say(f"{a.host}:{p} {e}")
        finally:
            s.close()
        time.sleep(a.gap)
    return 0 if opened else 1


def cmd_udp_probe(a):
    answered = 0
    for p in ports(a.ports):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(a.timeout)
        if a.source:
            s.bind((a.source, 0))
        s.connect((a.host, p))
        try:
            s.send(b"\x00probe\n")
            data = s.recv(2048)
            say(f"{a.host}:{p}/udp answered {len(data)} bytes")
            answered += 1
        except ConnectionRefusedError:
            say(f"{a.host}:{p}/udp closed (ICMP port unreachable)")
        except (socket.timeout, TimeoutError):
            say(f"{a.host}:{p}/udp open|filtered (no answer)")
        except OSError as e:
            say(f"{a.host}:{p}/udp {e}")
        finally:
            s.close()
        time.sleep(a.gap)
    return 0 if answered else 1


def ftp_extended(f, mode, name, timeout):
    """RETR over a data connection set up with EPSV or EPRT (RFC 2428), which ftplib only uses on IPv6."""
    f.voidcmd("TYPE I")
    if mode == "epsv":
        host, port = ftplib_parse229(f.sendcmd("EPSV"), f.sock.getpeername())
        conn = socket.create_connection((host, port), timeout=timeout)
        f.sendcmd(f"RETR {name}")
    else:
        addr = f.sock.getsockname()[0]
        srv = socket.create_server((addr, 0))
        srv.settimeout(timeout)
        f.voidcmd(f"EPRT |1|{addr}|{srv.getsockname()[1]}|")
        f.sendcmd(f"RETR {name}")
        conn, _ = srv.accept()
        srv.close()
    data = b""
    while True:
        b = conn.recv(65536)
        if not b:
            break
        data += b
    conn.close()
    say(f.voidresp())
    return len(data)


def ftplib_parse229(resp, peer):
    import ftplib
    return ftplib.parse229(resp, peer)


def cmd_ftp(a):
    import ftplib
    f = ftplib.FTP(timeout=a.timeout)
    say(f.connect(a.host, 21))
    say(f.login())
    for mode in a.modes.split(","):
        if mode in ("epsv", "eprt"):
            say(f"{mode}: {a.file} = {ftp_extended(f, mode, a.file, a.timeout)} bytes")
            continue
        if mode not in ("active", "passive"):
            raise SystemExit(f"ftp: unknown mode {mode!r} (active, passive, epsv, eprt)")
        f.set_pasv(mode == "passive")
        chunks = []
        say(f.retrbinary(f"RETR {a.file}", chunks.append))
        say(f"{mode}: {a.file} = {sum(map(len, chunks))} bytes")
    say(f.quit())
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("ping")
    p.add_argument("dst")
    p.add_argument("-c", "--count", type=int, default=1)
    p.add_argument("-i", "--interval", type=float, default=0.5)
    p.add_argument("-W", "--wait", type=float, default=1.0)
    p.add_argument("-I", "--source")
    p.set_defaults(fn=cmd_ping)
    p = sub.add_parser("dns")
    p.add_argument("server")
    p.add_argument("name")
    p.add_argument("-t", "--timeout", type=float, default=2.0)
    p.add_argument("-r", "--tries", type=int, default=1)
    p.add_argument("-b", "--source")
    p.set_defaults(fn=cmd_dns)
    p = sub.add_parser("ssh-server")
    p.add_argument("addr")
    p.add_argument("port", type=int, nargs="?", default=22)
    p.set_defaults(fn=cmd_ssh_server)
    p = sub.add_parser("ssh-client")
    p.add_argument("host")
    p.add_argument("port", type=int, nargs="?", default=22)
    p.add_argument("-b", "--source")
    p.add_argument("-t", "--timeout", type=float, default=5.0)
    p.set_defaults(fn=cmd_ssh_client)
    for name, fn in (("scan", cmd_scan), ("udp-probe", cmd_udp_probe)):
        p = sub.add_parser(name)
        p.add_argument("host")
        p.add_argument("ports")
        p.add_argument("-t", "--timeout", type=float, default=1.0)
        p.add_argument("-g", "--gap", type=float, default=0.1)
        p.add_argument("-b", "--source")
        p.set_defaults(fn=fn)
    p = sub.add_parser("ftp")
    p.add_argument("host")
    p.add_argument("file")
    p.add_argument("--modes", default="active,passive")
    p.add_argument("-t", "--timeout", type=float, default=10.0)
    p.set_defaults(fn=cmd_ftp)
    a = ap.parse_args()
    sys.exit(a.fn(a))


if __name__ == "__main__":
    main()
