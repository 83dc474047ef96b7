#!/usr/bin/env python3
"""SOCKS5 load for tools/bench socks: connect rate and bulk throughput.

usage:
  socks_load.py rate PROXY:PORT DST_IP:PORT PATH SECONDS CONCURRENCY
  socks_load.py bulk PROXY:PORT DST_IP:PORT PATH SECONDS

rate: CONCURRENCY asyncio tasks, each in a loop for SECONDS: a new TCP
connection to the proxy, greeting (method 00), CONNECT to DST (ATYP 1),
then "GET PATH HTTP/1.0" through the tunnel, the whole response read to
the origin's close, the connection closed.  A session counts when its
reply was 00 and the response started "HTTP/1.1 200"; anything else is an
error.  Prints "sessions=N seconds=S rate=R errors=E".

bulk: one SOCKS session; GET PATH (a large file) read for SECONDS.
Prints "bytes=N seconds=S MBps=R".
"""
import asyncio
import socket
import struct
import sys
import time


def addr(s):
    h, p = s.rsplit(":", 1)
    return h, int(p)


async def socks_open(proxy, dst):
    r, w = await asyncio.open_connection(*proxy)
    ip, port = dst
    w.write(b"\x05\x01\x00" + b"\x05\x01\x00\x01" + socket.inet_aton(ip) +
            struct.pack("!H", port))
    head = await r.readexactly(2 + 10)
    if head[:2] != b"\x05\x00" or head[3] != 0:
        w.close()
        raise RuntimeError("socks reply %s" % head.hex())
    return r, w


async def one_session(proxy, dst, path):
    r, w = await socks_open(proxy, dst)
    w.write(b"GET %s HTTP/1.0\r\nHost: origin\r\n\r\n" % path.encode())
    data = await r.read()  # to EOF, bounded by the object
    w.close()
    if not data.startswith(b"HTTP/1.1 200"):
        raise RuntimeError("response %r" % data[:40])


async def rate(proxy, dst, path, seconds, conc):
    done = 0
    errors = 0
    end = time.monotonic() + seconds

    async def worker():
        nonlocal done, errors
        while time.monotonic() < end:
            try:
                await asyncio.wait_for(one_session(proxy, dst, path), 5)
                done += 1
            except (OSError, RuntimeError, asyncio.TimeoutError,
                    asyncio.IncompleteReadError):
                errors += 1
                await asyncio.sleep(0.01)

    t0 = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(conc)))
    dt = time.monotonic() - t0
    print("sessions=%d seconds=%.2f rate=%.0f errors=%d" %
          (done, dt, done / dt, errors))


async def bulk(proxy, dst, path, seconds):
    r, w = await socks_open(proxy, dst)
    w.write(b"GET %s HTTP/1.0\r\nHost: origin\r\n\r\n" % path.encode())
    n = 0
    t0 = time.monotonic()
    end = t0 + seconds
    while time.monotonic() < end:
        b = await r.read(1 << 20)
        if not b:
            break
        n += len(b)
    dt = time.monotonic() - t0
    w.close()
    print("bytes=%d seconds=%.2f MBps=%.1f" % (n, dt, n / dt / 1e6))


def main():
    mode = sys.argv[1]
    proxy, dst, path = addr(sys.argv[2]), addr(sys.argv[3]), sys.argv[4]
    seconds = float(sys.argv[5])
    if mode == "rate":
        asyncio.run(rate(proxy, dst, path, seconds, int(sys.argv[6])))
    elif mode == "bulk":
        asyncio.run(bulk(proxy, dst, path, seconds))
    else:
        sys.exit("mode: rate or bulk")


if __name__ == "__main__":
    main()
