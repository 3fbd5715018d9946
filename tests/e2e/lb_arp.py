#!/usr/bin/env python3
"""ARP and HTTP probes for tests/e2e/test_lb_announce.sh, run inside the lab's client namespace.

  lb_arp.py ask IFACE MYIP IP SECS     ARP-request IP once, print each distinct replying MAC
  lb_arp.py garp IFACE IP OUTFILE      append "TIME MAC" for every gratuitous ARP for IP (runs on)
  lb_arp.py na IFACE IP OUTFILE        append "TIME MAC DST FLAGS" for every Neighbor Advertisement
                                       (ICMPv6 136) whose target is IP (runs on); MAC is the frame's
                                       source, DST the IPv6 destination, FLAGS a subset of "RSO"
                                       (router, solicited, override) or "-"
  lb_arp.py http IP PORT PATH OUTFILE  GET every 50 ms (200 ms timeout); append "TIME BODY" when the
                                       body changes, "TIME -" when a request fails (IP may be IPv6)
"""
import socket
import struct
import sys
import time


def mac_of(sock):
    # (sysfs shows the namespace that mounted it, not ours: ask the bound socket)
    return sock.getsockname()[4][:6]


def fmt(mac):
    return ":".join(f"{b:02x}" for b in mac)


def arp_sock(iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
    s.bind((iface, 0x0806))
    return s


def parse(frame):
    if len(frame) < 42 or frame[12:14] != b"\x08\x06":
        return None
    htype, ptype, hlen, plen, op = struct.unpack("!HHBBH", frame[14:22])
    if htype != 1 or ptype != 0x0800 or hlen != 6 or plen != 4:
        return None
    return op, frame[22:28], frame[28:32], frame[32:38], frame[38:42]


def ask(iface, myip, ip, secs):
    s = arp_sock(iface)
    me = mac_of(s)
    tip = socket.inet_aton(ip)
    pkt = (b"\xff" * 6 + me + b"\x08\x06" +
           struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + me + socket.inet_aton(myip) + b"\x00" * 6 + tip)
    s.send(pkt)
    seen = set()
    end = time.time() + secs
    s.settimeout(0.05)
    while time.time() < end:
        try:
            frame = s.recv(2048)
        except socket.timeout:
            continue
        p = parse(frame)
        if p and p[0] == 2 and p[2] == tip and p[3] == me:
            seen.add(fmt(p[1]))
    for m in sorted(seen):
        print(m)


def garp(iface, ip, out):
    s = arp_sock(iface)
    tip = socket.inet_aton(ip)
    with open(out, "a", buffering=1) as f:
        while True:
            p = parse(s.recv(2048))
            if p and p[2] == tip and p[4] == tip:
                f.write(f"{time.time():.3f} {fmt(p[1])}\n")


def parse_na(frame):
    """(source MAC, IPv6 destination, target, flags) of an Ethernet frame carrying an NA, else None.
    NDP packets carry no extension headers (RFC 4861 s7.1: hop limit 255, next header ICMPv6)."""
    if len(frame) < 14 + 40 + 24 or frame[12:14] != b"\x86\xdd":
        return None
    ip6 = frame[14:]
    if ip6[0] >> 4 != 6 or ip6[6] != 58:
        return None
    icmp = ip6[40:]
    if icmp[0] != 136 or icmp[1] != 0:
        return None
    flags = "".join(c for c, bit in (("R", 0x80), ("S", 0x40), ("O", 0x20)) if icmp[4] & bit) or "-"
    return frame[6:12], ip6[24:40], icmp[8:24], flags


def na(iface, ip, out):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x86DD))
    s.bind((iface, 0x86DD))
    tip = socket.inet_pton(socket.AF_INET6, ip)
    with open(out, "a", buffering=1) as f:
        while True:
            p = parse_na(s.recv(2048))
            if p and p[2] == tip:
                dst = socket.inet_ntop(socket.AF_INET6, p[1])
                f.write(f"{time.time():.3f} {fmt(p[0])} {dst} {p[3]}\n")


def http(ip, port, path, out):
    last = None
    host = f"[{ip}]" if ":" in ip else ip
    req = f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode()
    with open(out, "a", buffering=1) as f:
        while True:
            t = time.time()
            body = "-"
            try:
                with socket.create_connection((ip, int(port)), timeout=0.2) as c:
                    c.settimeout(0.5)
                    c.sendall(req)
                    data = b""
                    while True:
                        d = c.recv(4096)
                        if not d:
                            break
                        data += d
                    body = data.split(b"\r\n\r\n", 1)[1].decode().strip() or "-"
            except (OSError, IndexError, UnicodeDecodeError):
                pass
            if body != last:
                f.write(f"{t:.3f} {body}\n")
                last = body
            time.sleep(max(0.0, 0.05 - (time.time() - t)))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "ask":
        ask(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]))
    elif cmd == "garp":
        garp(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "na":
        na(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "http":
        http(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
    else:
        sys.exit("unknown command")
