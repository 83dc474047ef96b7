#!/usr/bin/python3
"""tcp_netem: a user-space stand-in for tc-netem, for kernels without sch_netem.

Standard library only.  Run it inside a peer's namespace (client or origin);
lib.sh's netem_set does, after adding iptables rules (mangle table) that send
the IPv4 packets of one device to NFQUEUE QUEUE:

  PREROUTING  -i DEV  (packets the peer receives: direction "in")
  POSTROUTING -o DEV  (packets the peer sends: direction "out")

Each packet gets, as netem would (same words, a subset of its grammar):

  loss P%        dropped with probability P
  duplicate P%   accepted, and a copy injected right after it with a raw socket
                 (marked MARK so the rules let it pass: a copy sent in
                 direction "in" is addressed to this host and arrives via lo)
  delay T [J]    delayed T (plus uniform jitter in [-J, +J]): the packet is
                 dropped at once and a copy sent with the raw socket after T
                 (netem too orphans the packets it holds: else they stay
                 charged to the sending socket, TCP small queues throttle a
                 kernel sender and an af_packet sender loses frames)
  reorder P%     (with delay) sent at once, ahead of the delayed ones, with
                 probability P
  limit N        at most N packets held (more are dropped; default 10000)

Times take us, ms or s.  Delay precision is about 1 ms (epoll timeouts), and
the work is per packet in Python: fine for the lab's tests (tens of thousands
of packets a second), not a benchmark tool.  The rules use --queue-bypass, so
if this process dies the traffic flows unimpaired rather than stopping.

  tcp_netem.py --queue N --mark M [--lifetime S] [--seed S] SPEC...
"""

import argparse
import errno
import heapq
import os
import random
import select
import signal
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET = 0
NFQNL_MSG_VERDICT = 1
NFQNL_MSG_CONFIG = 2
NFQA_PACKET_HDR = 1
NFQA_VERDICT_HDR = 2
NFQA_PAYLOAD = 10
NFQA_CFG_CMD = 1
NFQA_CFG_PARAMS = 2
NFQA_CFG_QUEUE_MAXLEN = 3
NFQNL_CFG_CMD_BIND = 1
NFQNL_CFG_CMD_UNBIND = 2
NFQNL_COPY_META = 1
NFQNL_COPY_PACKET = 2
NF_DROP = 0
NF_ACCEPT = 1
NLM_F_REQUEST = 1
NLM_F_ACK = 4
NLMSG_ERROR = 2
NLMSG_DONE = 3
SOL_NETLINK = 270
NETLINK_NO_ENOBUFS = 5
SO_RCVBUFFORCE = 33
SO_MARK = 36


def parse_time(t):
    t = t.strip().lower()
    for suf, f in (("us", 1e-6), ("ms", 1e-3), ("s", 1.0)):
        if t.endswith(suf):
            return float(t[: -len(suf)]) * f
    return float(t) * 1e-6  # netem's default unit is microseconds


def parse_pct(t):
    t = t.strip()
    if not t.endswith("%"):
        raise ValueError(f"percentage wanted, got '{t}'")
    v = float(t[:-1]) / 100.0
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"percentage out of range: '{t}'")
    return v


def parse_spec(words):
    spec = {"loss": 0.0, "duplicate": 0.0, "delay": 0.0, "jitter": 0.0,
            "reorder": 0.0, "limit": 10000}
    i = 0
    while i < len(words):
        w = words[i]
        if w == "loss":
            if i + 1 < len(words) and words[i + 1] == "random":
                i += 1
            spec["loss"] = parse_pct(words[i + 1])
            i += 2
        elif w == "duplicate":
            spec["duplicate"] = parse_pct(words[i + 1])
            i += 2
        elif w == "reorder":
            spec["reorder"] = parse_pct(words[i + 1])
            i += 2
        elif w == "limit":
            spec["limit"] = int(words[i + 1])
            i += 2
        elif w == "delay":
            spec["delay"] = parse_time(words[i + 1])
            i += 2
            if i < len(words) and words[i][:1].isdigit():
                spec["jitter"] = parse_time(words[i])
                i += 1
        else:
            raise ValueError(f"unsupported netem word '{w}' (have: loss, duplicate, delay, reorder, limit)")
    if spec["reorder"] and not spec["delay"]:
        raise ValueError("reorder needs a delay (as in netem)")
    return spec


def nla(atype, payload):
    ln = 4 + len(payload)
    return struct.pack("=HH", ln, atype) + payload + b"\0" * ((4 - ln % 4) % 4)


def nfmsg(mtype, queue, attrs, flags=NLM_F_REQUEST, seq=0):
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(queue)) + b"".join(attrs)
    return struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | mtype, flags, seq, 0) + body


def verdict_msg(queue, pid, v):
    return nfmsg(NFQNL_MSG_VERDICT, queue, [nla(NFQA_VERDICT_HDR, struct.pack("!II", v, pid))])


class Queue:
    def __init__(self, num, copy_packet, maxlen):
        self.num = num
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        try:
            self.s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 32 << 20)
        except OSError:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20)
        self.s.setsockopt(SOL_NETLINK, NETLINK_NO_ENOBUFS, 1)
        self.s.bind((0, 0))
        self.seq = 1
        self.config([nla(NFQA_CFG_CMD, struct.pack("=BBH", NFQNL_CFG_CMD_UNBIND, 0, 0))], ignore=True)
        self.config([nla(NFQA_CFG_CMD, struct.pack("=BBH", NFQNL_CFG_CMD_BIND, 0, 0))])
        mode = NFQNL_COPY_PACKET if copy_packet else NFQNL_COPY_META
        self.config([nla(NFQA_CFG_PARAMS, struct.pack("!IB", 0xFFFF if copy_packet else 0, mode))])
        self.config([nla(NFQA_CFG_QUEUE_MAXLEN, struct.pack("!I", maxlen))])
        self.s.setblocking(False)

    def config(self, attrs, ignore=False):
        self.seq += 1
        self.s.send(nfmsg(NFQNL_MSG_CONFIG, self.num, attrs, NLM_F_REQUEST | NLM_F_ACK, self.seq))
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            data = self.s.recv(65536)
            off = 0
            while off + 16 <= len(data):
                ln, mtype, _f, seq, _p = struct.unpack_from("=IHHII", data, off)
                if mtype == NLMSG_ERROR and seq == self.seq:
                    err = struct.unpack_from("=i", data, off + 16)[0]
                    if err and not ignore:
                        raise OSError(-err, f"nfqueue config of queue {self.num}: {os.strerror(-err)}")
                    return
                off += (ln + 3) & ~3
        raise OSError(errno.ETIMEDOUT, "no answer from nfnetlink_queue")

    def close(self):
        try:
            self.s.setblocking(True)
            self.s.settimeout(1)
            self.config([nla(NFQA_CFG_CMD, struct.pack("=BBH", NFQNL_CFG_CMD_UNBIND, 0, 0))], ignore=True)
        except OSError:
            pass
        self.s.close()


def parse_packets(data):
    """Yield (packet_id, hook, payload or None) of the NFQNL_MSG_PACKET messages in data."""
    off = 0
    n = len(data)
    while off + 16 <= n:
        ln, mtype = struct.unpack_from("=IH", data, off)
        if ln < 16 or off + ln > n:
            break
        if mtype == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
            a = off + 20  # nlmsghdr + nfgenmsg
            end = off + ln
            pid = None
            hook = 0
            payload = None
            while a + 4 <= end:
                alen, atype = struct.unpack_from("=HH", data, a)
                if alen < 4:
                    break
                atype &= 0x7FFF
                if atype == NFQA_PACKET_HDR:
                    pid, _proto, hook = struct.unpack_from("!IHB", data, a + 4)
                elif atype == NFQA_PAYLOAD:
                    payload = bytes(data[a + 4:a + alen])
                a += (alen + 3) & ~3
            if pid is not None:
                yield pid, hook, payload
        off += (ln + 3) & ~3


def main(argv):
    p = argparse.ArgumentParser(prog="tcp_netem.py")
    p.add_argument("--queue", type=int, required=True)
    p.add_argument("--mark", type=lambda x: int(x, 0), required=True)
    p.add_argument("--lifetime", type=float, default=3600.0)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--state-dir", default="", help="ignored: marks the command line (lab state dir)")
    p.add_argument("spec", nargs="+")
    a = p.parse_args(argv)
    try:
        spec = parse_spec(" ".join(a.spec).split())
    except (ValueError, IndexError) as e:
        print(f"tcp_netem: bad spec '{' '.join(a.spec)}': {e}", file=sys.stderr)
        return 64
    rng = random.Random(a.seed)
    need_raw = spec["duplicate"] > 0 or spec["delay"] > 0
    q = Queue(a.queue, need_raw, spec["limit"] + 1024)
    raw = None
    if need_raw:
        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        raw.setsockopt(socket.SOL_SOCKET, SO_MARK, a.mark)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    ep = select.epoll()
    ep.register(q.s.fileno(), select.EPOLLIN)
    end = time.monotonic() + a.lifetime
    held = []  # heap of (release_time, seq, copy to send, dup payload or None)
    seq = 0
    stats = {"packets": 0, "lost": 0, "duplicated": 0, "delayed": 0, "reordered": 0,
             "overflow": 0, "reinjected": 0, "inject_fail": 0, "verdict_fail": 0,
             "nobufs": 0}
    buf = bytearray(1 << 20)
    loss, dup, delay, jitter, reorder, limit = (spec[k] for k in
                                                ("loss", "duplicate", "delay", "jitter", "reorder", "limit"))
    print(f"tcp_netem queue {a.queue}: {spec}", flush=True)

    def inject(payload, what):
        if payload is None or len(payload) < 20:
            return
        dst = socket.inet_ntoa(payload[16:20])
        try:
            raw.sendto(payload, (dst, 0))
            stats[what] += 1
        except OSError:
            stats["inject_fail"] += 1

    while not stop:
        now = time.monotonic()
        if now >= end:
            break
        timeout = 0.2
        if held:
            timeout = max(0.0, min(timeout, held[0][0] - now))
        ep.poll(timeout)
        out = []
        dups = []
        for _ in range(64):
            try:
                nb = q.s.recv_into(buf)
            except BlockingIOError:
                break
            except OSError as e:
                if e.errno == errno.ENOBUFS:
                    stats["nobufs"] += 1
                    continue
                raise
            for pid, _hook, payload in parse_packets(memoryview(buf)[:nb]):
                stats["packets"] += 1
                if loss and rng.random() < loss:
                    stats["lost"] += 1
                    out.append(verdict_msg(a.queue, pid, NF_DROP))
                    continue
                d = payload if dup and rng.random() < dup else None
                if delay and not (reorder and rng.random() < reorder):
                    if len(held) >= limit:
                        stats["overflow"] += 1
                        out.append(verdict_msg(a.queue, pid, NF_DROP))
                        continue
                    t = delay
                    if jitter:
                        t = max(0.0, t + rng.uniform(-jitter, jitter))
                    seq += 1
                    # Free the packet now and send a copy later, whichever
                    # way it goes (netem orphans the packets it holds for the
                    # same reason).  Holding it would keep it charged to the
                    # sending socket: for a packet this host sends, TCP small
                    # queues would then allow only ~1 ms of data in flight;
                    # for one it receives over a veth, the remote sender's
                    # socket (or the appliance's af_packet ring) stays
                    # charged instead.  A copy sent in direction "in" is
                    # addressed to this host and arrives via lo.
                    out.append(verdict_msg(a.queue, pid, NF_DROP))
                    heapq.heappush(held, (time.monotonic() + t, seq, payload, d))
                    stats["delayed"] += 1
                    continue
                if delay:
                    # sent at once, ahead of the delayed ones, and the
                    # same way they go (a copy through the raw socket), so
                    # that only the emulated delay orders the two kinds
                    stats["reordered"] += 1
                    out.append(verdict_msg(a.queue, pid, NF_DROP))
                    dups.append(("reinjected", payload))
                    if d is not None:
                        dups.append(("duplicated", d))
                    continue
                out.append(verdict_msg(a.queue, pid, NF_ACCEPT))
                if d is not None:
                    dups.append(("duplicated", d))
        now = time.monotonic()
        while held and held[0][0] <= now:
            _t, _s, copy, d = heapq.heappop(held)
            dups.append(("reinjected", copy))
            if d is not None:
                dups.append(("duplicated", d))
        for i in range(0, len(out), 256):
            q.s.setblocking(True)
            try:
                q.s.send(b"".join(out[i:i + 256]))
            except OSError:
                stats["verdict_fail"] += 1
            q.s.setblocking(False)
        for what, d in dups:
            inject(d, what)
    # Let what is held go (unimpaired) before leaving: nothing stays stuck.
    for _t, _s, copy, _d in held:
        inject(copy, "reinjected")
    q.close()
    print("tcp_netem exit " + " ".join(f"{k}={v}" for k, v in stats.items()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
