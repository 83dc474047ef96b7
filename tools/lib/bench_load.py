#!/usr/bin/python3
"""Load generators of `tools/bench all` (tools/lib/benchall.sh), standard library only.

  bench_load.py openloop HOST:PORT PATH --host H --rate R --seconds S [--conns C]
      Open-loop latency: request i is due at t0 + i/R, whatever happened to
      the ones before it (a fixed timetable, as wrk2 does).  Its latency is
      measured from that due time, not from when a connection was free to
      send it, so a stall of the proxy shows up in every request that was
      due during it (no coordinated omission).  C keep-alive connections
      (default 64) take the due requests in turn; a request whose connection
      is still busy waits in the queue, and that wait is part of its
      latency.  Prints one line: key=value (sent, done, errors, late_ms_max:
      how far the generator itself fell behind its timetable, p50_us,
      p99_us, p999_us, max_us, rate).

  bench_load.py connect PROXY:PORT TARGET:PORT --seconds S
      CONNECT tunnel throughput: one CONNECT through an HTTP proxy to
      TARGET (a tcpx source that sends without end), then read for S
      seconds.  Prints bytes=, seconds=, MBps=.

  bench_load.py idle HOST:PORT --conns N --src IP[,IP...] --hold S
      Open N TCP connections to HOST:PORT from the given source addresses
      (round robin, the kernel picks ports), send nothing, hold them S
      seconds, then close.  Prints "established=N" once all are up (or the
      attempt gave up), then "closed" at the end.  One process holds what
      its RLIMIT_NOFILE allows; benchall.sh starts several for more.
"""

import argparse
import asyncio
import math
import select
import socket
import sys
import time


def addr(s):
    host, _, port = s.rpartition(":")
    return host, int(port)


def pct(sorted_vals, p):
    if not sorted_vals:
        return 0.0
    k = max(0, min(len(sorted_vals) - 1, math.ceil(p / 100.0 * len(sorted_vals)) - 1))
    return sorted_vals[k]


async def read_response(reader):
    """Read one HTTP/1.1 response (Content-Length body); return the status."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:].strip())
    if length:
        await reader.readexactly(length)
    return status


async def openloop(a):
    host, port = addr(a.target)
    req = (f"GET {a.path} HTTP/1.1\r\nHost: {a.host}\r\nUser-Agent: gatehouse-bench-openloop\r\n\r\n").encode()
    queue = asyncio.Queue()
    lat = []
    stats = {"errors": 0, "done": 0, "late": 0.0}

    async def conn_task():
        reader = writer = None
        while True:
            due = await queue.get()
            if due is None:
                break
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                writer.write(req)
                status = await asyncio.wait_for(read_response(reader), 10)
                if status != 200:
                    stats["errors"] += 1
                else:
                    lat.append(time.monotonic() - due)
                    stats["done"] += 1
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError):
                stats["errors"] += 1
                if writer is not None:
                    writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    tasks = [asyncio.ensure_future(conn_task()) for _ in range(a.conns)]
    interval = 1.0 / a.rate
    total = int(a.rate * a.seconds)
    t0 = time.monotonic() + 0.05
    for i in range(total):
        due = t0 + i * interval
        now = time.monotonic()
        if due > now:
            await asyncio.sleep(due - now)
        else:
            stats["late"] = max(stats["late"], now - due)
        queue.put_nowait(due)
    for _ in tasks:
        queue.put_nowait(None)
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), 30)
    except asyncio.TimeoutError:
        pass
    elapsed = time.monotonic() - t0
    lat.sort()
    us = [v * 1e6 for v in (pct(lat, 50), pct(lat, 99), pct(lat, 99.9), lat[-1] if lat else 0.0)]
    print(f"sent={total} done={stats['done']} errors={stats['errors']} "
          f"late_ms_max={stats['late'] * 1e3:.2f} p50_us={us[0]:.0f} p99_us={us[1]:.0f} "
          f"p999_us={us[2]:.0f} max_us={us[3]:.0f} rate={stats['done'] / elapsed:.0f}")
    return 0 if stats["done"] > 0 else 1


def connect_bulk(a):
    phost, pport = addr(a.proxy)
    s = socket.create_connection((phost, pport), timeout=10)
    s.sendall(f"CONNECT {a.target} HTTP/1.1\r\nHost: {a.target}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            print("error=closed before the CONNECT answer", file=sys.stderr)
            return 1
        head += chunk
    line = head.split(b"\r\n", 1)[0]
    if b" 200" not in line[:13]:
        print(f"error=CONNECT answered {line.decode(errors='replace')}", file=sys.stderr)
        return 1
    got = len(head) - head.index(b"\r\n\r\n") - 4
    buf = bytearray(1 << 18)
    view = memoryview(buf)
    t0 = time.monotonic()
    end = t0 + a.seconds
    while True:
        n = s.recv_into(view)
        if n == 0:
            break
        got += n
        if time.monotonic() >= end:
            break
    secs = time.monotonic() - t0
    s.close()
    print(f"bytes={got} seconds={secs:.3f} MBps={got / secs / 1e6:.2f}")
    return 0


def idle(a):
    host, port = addr(a.target)
    srcs = a.src.split(",")
    socks = []
    deadline = time.monotonic() + a.connect_timeout
    i = 0
    # Non-blocking connects in waves of 500, so a slow accept queue does
    # not stop the others.
    while i < a.conns and time.monotonic() < deadline:
        wave = []
        for _ in range(min(500, a.conns - i)):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            # IP_BIND_ADDRESS_NO_PORT (24): the port is chosen at connect
            # time, per destination, not reserved by bind.
            s.setsockopt(socket.IPPROTO_IP, getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24), 1)
            try:
                s.bind((srcs[i % len(srcs)], 0))
            except OSError:
                s.close()
                i += 1
                continue
            s.setblocking(False)
            s.connect_ex((host, port))
            wave.append(s)
            i += 1
        # Wait for this wave to finish its handshakes (writable); poll,
        # not select: the descriptors go far past FD_SETSIZE.
        t_wave = time.monotonic() + 5
        poller = select.poll()
        by_fd = {s.fileno(): s for s in wave}
        for fd in by_fd:
            poller.register(fd, select.POLLOUT)
        while by_fd and time.monotonic() < t_wave:
            for fd, _ in poller.poll(200):
                s = by_fd.pop(fd)
                poller.unregister(fd)
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    socks.append(s)
                else:
                    s.close()
        wave = list(by_fd.values())
        for s in wave:
            s.close()
    print(f"established={len(socks)} wanted={a.conns}", flush=True)
    time.sleep(a.hold)
    for s in socks:
        s.close()
    print("closed", flush=True)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("openloop")
    o.add_argument("target")
    o.add_argument("path")
    o.add_argument("--host", default="www.lab.test")
    o.add_argument("--rate", type=float, required=True)
    o.add_argument("--seconds", type=float, required=True)
    o.add_argument("--conns", type=int, default=64)
    c = sub.add_parser("connect")
    c.add_argument("proxy")
    c.add_argument("target")
    c.add_argument("--seconds", type=float, required=True)
    i = sub.add_parser("idle")
    i.add_argument("target")
    i.add_argument("--conns", type=int, required=True)
    i.add_argument("--src", required=True)
    i.add_argument("--hold", type=float, required=True)
    i.add_argument("--connect-timeout", type=float, default=60)
    a = p.parse_args()
    if a.cmd == "openloop":
        if a.rate <= 0 or a.seconds <= 0 or a.conns < 1:
            p.error("--rate, --seconds and --conns must be positive")
        return asyncio.run(openloop(a))
    if a.cmd == "connect":
        return connect_bulk(a)
    return idle(a)


if __name__ == "__main__":
    sys.exit(main())
