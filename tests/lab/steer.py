#!/usr/bin/python3
"""Send TCP SYNs with known 4-tuples and say which worker owns each flow.

Run inside the client namespace with Debian's python:

  steer.py --iface eth0 --dst-mac MAC --src-ip CLIENT_IP --dst-ip INSIDE_IP
           --workers N [--count 2000] [--dport 9] [--expect FILE]

The owner of a flow is computed here independently of the appliance: the
Toeplitz hash (Microsoft RSS) of (src ip, dst ip, src port, dst port) with
the 40-byte key 0x6d,0x5a repeated (lib/common/gh_rss.h), then a 128-entry
redirection table whose entry i is worker i % N.  Writes "workerK COUNT"
lines (SYNs worker K must process) and "total COUNT".  The SYNs go to a
port with no listener, so whatever the appliance answers (nothing, or RST)
the kernel client sends nothing back.
"""

import argparse
import random
import socket
import struct
import sys
import time

KEY = bytes([0x6D, 0x5A] * 20)
RETA_SIZE = 128
BURST = 32
BURST_GAP_S = 0.001


def toeplitz(key, data):
    """The RSS Toeplitz hash of data (bytes) with key (bytes)."""
    k = int.from_bytes(key, "big")
    klen = len(key) * 8
    h = 0
    for i, byte in enumerate(data):
        for b in range(8):
            if byte & (0x80 >> b):
                bit = i * 8 + b
                h ^= (k >> (klen - 32 - bit)) & 0xFFFFFFFF
    return h


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def syn_frame(src_mac, dst_mac, src, dst, sport, dport, seq):
    ip_src, ip_dst = socket.inet_aton(src), socket.inet_aton(dst)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02,
                      65535, 0, 0)
    pseudo = ip_src + ip_dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0x4748, 0,
                     64, 6, 0, ip_src, ip_dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = (bytes.fromhex(dst_mac.replace(":", "")) +
           bytes.fromhex(src_mac.replace(":", "")) + b"\x08\x00")
    return eth + ip + tcp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iface", default="eth0")
    ap.add_argument("--dst-mac", required=True)
    ap.add_argument("--src-ip", required=True)
    ap.add_argument("--dst-ip", required=True)
    ap.add_argument("--workers", type=int, required=True)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--dport", type=int, default=9)
    ap.add_argument("--seed", type=int, default=4748)
    ap.add_argument("--expect")
    a = ap.parse_args()
    for ip in (a.src_ip, a.dst_ip):
        if not ip.startswith(("198.18.", "198.19.")):
            sys.exit("steer.py: addresses must be in 198.18.0.0/15")
    with open(f"/sys/class/net/{a.iface}/address") as fh:
        src_mac = fh.read().strip()
    rnd = random.Random(a.seed)
    sports = rnd.sample(range(1024, 65536), a.count)
    expect = [0] * a.workers
    frames = []
    for sport in sports:
        data = (socket.inet_aton(a.src_ip) + socket.inet_aton(a.dst_ip) +
                struct.pack("!HH", sport, a.dport))
        owner = (toeplitz(KEY, data) & (RETA_SIZE - 1)) % a.workers
        expect[owner] += 1
        frames.append(syn_frame(src_mac, a.dst_mac, a.src_ip, a.dst_ip,
                                sport, a.dport, rnd.getrandbits(32)))

    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.bind((a.iface, 0))
    sent = 0
    for i in range(0, len(frames), BURST):
        for b in frames[i:i + BURST]:
            sent += 1 if s.send(b) == len(b) else 0
        time.sleep(BURST_GAP_S)
    s.close()
    if sent != len(frames):
        sys.exit(f"steer.py: sent only {sent} of {len(frames)} frames")
    out = open(a.expect, "w") if a.expect else sys.stdout
    for k, n in enumerate(expect):
        print(f"worker{k} {n}", file=out)
    print("total", sent, file=out)
    if a.expect:
        out.close()


if __name__ == "__main__":
    main()
