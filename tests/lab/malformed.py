#!/usr/bin/python3
"""Send malformed frames to the appliance and say which drop counter each hits.

Run inside the client namespace with Debian's python (it has scapy):

  malformed.py --iface eth0 --dst-mac MAC --src-ip CLIENT_IP --dst-ip INSIDE_IP
               [--count 10000] [--expect FILE]

Every frame is built to be wrong in exactly one way and right in all others
(checksums valid unless the checksum is the fault), so it must raise exactly
one net.* drop counter of the appliance.  Scapy builds the templates; a raw
AF_PACKET socket sends the prebuilt bytes (much faster than sendp), paced in
small bursts so neither the veth backlog nor the af_packet ring overflows.
Writes "COUNTER N" lines (how many frames should have hit each counter) and
"total N" to --expect (default stdout).
"""

import argparse
import socket
import struct
import sys
import time

from scapy.all import ARP, ICMP, IP, Ether, Raw  # noqa: E402

BURST = 32          # frames per burst
BURST_GAP_S = 0.001  # pause between bursts


def csum(data):
    """The Internet checksum of data."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip_fix_csum(frame, ihl_bytes=20):
    """Recompute the IPv4 header checksum over ihl_bytes of frame (bytearray)."""
    frame[24:26] = b"\0\0"
    frame[24:26] = struct.pack("!H", csum(bytes(frame[14:14 + ihl_bytes])))
    return frame


def templates(eth_src, eth_dst, src, dst, not_us_ip):
    """[(counter, frame bytes)]: each frame wrong in exactly one way.

    The lab's subnets are /24: dst's subnet broadcast is x.y.z.255."""
    subnet_bcast = dst.rsplit(".", 1)[0] + ".255"
    eth = Ether(src=eth_src, dst=eth_dst)
    payload = Raw(b"gatehouse-malformed-" + b"x" * 12)

    def echo(**ip):
        fields = dict(src=src, dst=dst, ttl=64, id=0x4748)
        fields.update(ip)
        return bytearray(bytes(eth / IP(**fields) / ICMP(type=8, id=0x4748, seq=1) / payload))

    t = []

    # Ethernet: unicast to another MAC; EtherTypes we do not speak.
    t.append(("eth_not_ours",
              bytes(Ether(src=eth_src, dst="02:00:00:00:00:99") / IP(src=src, dst=dst) /
                    ICMP(type=8) / payload)))
    t.append(("eth_bad_src",
              bytes(Ether(src="01:00:5e:00:00:fb", dst=eth_dst) / IP(src=src, dst=dst) /
                    ICMP(type=8) / payload)))
    t.append(("eth_unknown_type", bytes(Ether(src=eth_src, dst=eth_dst, type=0x88B5) / Raw(b"\0" * 46))))
    t.append(("eth_unknown_type", bytes(Ether(src=eth_src, dst=eth_dst, type=0x86DD) / Raw(b"\x60" + b"\0" * 45))))
    t.append(("eth_unknown_type", bytes(Ether(src=eth_src, dst="ff:ff:ff:ff:ff:ff", type=0x88B6) / Raw(b"\1" * 46))))

    # ARP: wrong hardware type, protocol type, lengths, opcode; truncated.
    def arp(**kw):
        fields = dict(op=1, hwsrc=eth_src, psrc=src, pdst=dst)
        fields.update(kw)
        return bytearray(bytes(Ether(src=eth_src, dst="ff:ff:ff:ff:ff:ff") / ARP(**fields)))

    f = arp()
    f[14:16] = b"\x00\x06"  # hardware type IEEE 802
    t.append(("arp_bad", f))
    f = arp()
    f[16:18] = b"\x86\xdd"  # protocol type IPv6
    t.append(("arp_bad", f))
    f = arp()
    f[18] = 8  # hardware address length 8
    t.append(("arp_bad", f))
    f = arp()
    f[20:22] = b"\x00\x09"  # opcode 9
    t.append(("arp_bad", f))
    f = arp()
    t.append(("arp_bad", f[:14 + 20]))  # ARP header cut at 20 of 28 bytes
    # A sender claiming the appliance's own address: counted, not learned.
    t.append(("arp_addr_conflict", arp(psrc=dst, pdst=not_us_ip)))

    # IPv4 header.
    t.append(("ip_short", bytes(eth)[:12] + b"\x08\x00" + bytes(echo())[14:14 + 12]))
    t.append(("ip_short", bytes(Ether(src=eth_src, dst=eth_dst, type=0x0800))))
    f = echo()
    f[14] = (6 << 4) | 5  # version 6 in an IPv4 frame
    t.append(("ip_bad_version", ip_fix_csum(f)))
    f = echo()
    f[14] = (0 << 4) | 5
    t.append(("ip_bad_version", ip_fix_csum(f)))
    f = echo()
    f[14] = (4 << 4) | 3  # header length 12 bytes
    t.append(("ip_bad_hlen", ip_fix_csum(f)))
    f = bytearray(bytes(eth / IP(src=src, dst=dst, ttl=64) / ICMP(type=8)))  # 28 bytes of IP
    f[14] = (4 << 4) | 15  # header length 60 bytes > 28 in the frame
    t.append(("ip_bad_hlen", ip_fix_csum(f)))
    f = echo()
    f[16:18] = struct.pack("!H", 1000)  # total length beyond the frame
    t.append(("ip_bad_len", ip_fix_csum(f)))
    f = echo()
    f[16:18] = struct.pack("!H", len(f) - 14 + 1)  # one byte beyond the frame
    t.append(("ip_bad_len", ip_fix_csum(f)))
    f = echo()
    f[24:26] = struct.pack("!H", struct.unpack("!H", f[24:26])[0] ^ 0x5A5A)
    t.append(("ip_bad_csum", f))
    f = echo()
    f[24:26] = b"\0\0"
    if csum(bytes(f[14:34])) == 0:  # never a valid checksum by chance
        f[24:26] = b"\x12\x34"
    t.append(("ip_bad_csum", f))
    t.append(("ip_ttl_zero", echo(ttl=0)))
    t.append(("ip_options", echo(options=b"\x01\x01\x01\x00")))  # NOPs + EOL, IHL 6
    t.append(("ip_options", echo(options=b"\x94\x04\x00\x00")))  # router alert, IHL 6
    # No IP fragments here: DPDK 22.11's net_af_packet always joins its
    # sockets to a fanout group with PACKET_FANOUT_FLAG_DEFRAG, so the kernel
    # reassembles (or, for incomplete sets, silently drops) fragments before
    # the appliance can see them.  net.ip_fragment is proven exactly by the
    # unit tests (tests/unit/net/test_ipv4.c); see docs/lab.md.
    for bad in ("127.0.0.1", "0.0.0.0", "224.0.0.5", "255.255.255.255", dst):
        t.append(("ip_bad_src", echo(src=bad)))
    t.append(("ip_broadcast", echo(dst="255.255.255.255")))
    t.append(("ip_broadcast", echo(dst="224.0.0.1")))
    t.append(("ip_broadcast", echo(dst=subnet_bcast)))
    t.append(("ip_not_ours", echo(dst=not_us_ip)))
    for proto in (47, 50, 132):
        t.append(("ip_unknown_proto",
                  bytes(eth / IP(src=src, dst=dst, proto=proto) / Raw(b"\0" * 24))))

    # ICMP.
    t.append(("icmp_short", bytes(eth / IP(src=src, dst=dst, proto=1) / Raw(b"\x08\x00\xf7\xff"))))
    f = echo()
    f[36:38] = struct.pack("!H", struct.unpack("!H", f[36:38])[0] ^ 0x0F0F)
    t.append(("icmp_bad_csum", f))
    t.append(("icmp_other", bytes(eth / IP(src=src, dst=dst) / ICMP(type=13) / Raw(b"\0" * 12))))
    t.append(("icmp_other", bytes(eth / IP(src=src, dst=dst) / ICMP(type=15))))
    return [(c, bytes(b)) for c, b in t]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iface", default="eth0")
    ap.add_argument("--dst-mac", required=True, help="the appliance's inside MAC")
    ap.add_argument("--src-mac", help="default: the interface's own")
    ap.add_argument("--src-ip", required=True)
    ap.add_argument("--dst-ip", required=True)
    ap.add_argument("--not-us-ip", help="an on-link address not the appliance's")
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--expect", help="write the expected counts here")
    a = ap.parse_args()
    for ip in (a.src_ip, a.dst_ip):
        if not ip.startswith(("198.18.", "198.19.")):
            sys.exit("malformed.py: addresses must be in 198.18.0.0/15")
    src_mac = a.src_mac
    if not src_mac:
        with open(f"/sys/class/net/{a.iface}/address") as fh:
            src_mac = fh.read().strip()
    not_us = a.not_us_ip or a.dst_ip.rsplit(".", 1)[0] + ".77"

    tmpl = templates(src_mac, a.dst_mac, a.src_ip, a.dst_ip, not_us)
    frames = [tmpl[i % len(tmpl)] for i in range(a.count)]
    expect = {}
    for c, _ in frames:
        expect[c] = expect.get(c, 0) + 1

    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.bind((a.iface, 0))
    sent = 0
    t0 = time.monotonic()
    for i in range(0, len(frames), BURST):
        for _, b in frames[i:i + BURST]:
            sent += 1 if s.send(b) == len(b) else 0
        time.sleep(BURST_GAP_S)
    dt = time.monotonic() - t0
    s.close()
    if sent != len(frames):
        sys.exit(f"malformed.py: sent only {sent} of {len(frames)} frames")

    out = open(a.expect, "w") if a.expect else sys.stdout
    for c in sorted(expect):
        print(c, expect[c], file=out)
    print("total", sent, file=out)
    if a.expect:
        out.close()
    print(f"malformed.py: {sent} frames of {len(tmpl)} kinds sent in {dt:.2f}s",
          file=sys.stderr)


if __name__ == "__main__":
    main()
