#!/usr/bin/python3
"""reverse_edges.py: malformed requests a reverse listener must refuse,
as the forward listener does (Http11Probe-style), from a raw socket.

Each case opens its own connection, sends its bytes and reads the status
line of the answer, which must be the expected error (and never a
server's answer: no request may reach a pool).

    reverse_edges.py --site IP:PORT --host www.lab.test [--timeout 10]

Prints one "ok NAME STATUS" line per case, or "FAIL NAME: reason" and
exits 1.  Standard library only.
"""

import argparse
import socket
import sys


def status_of(site, data, timeout):
    host, port = site.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=timeout)
    try:
        s.sendall(data)
        got = b""
        while b"\r\n" not in got and len(got) < 4096:
            d = s.recv(4096)
            if not d:
                break
            got += d
    finally:
        s.close()
    line = got.split(b"\r\n", 1)[0]
    parts = line.split(b" ")
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        return None
    return int(parts[1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--site", required=True)
    ap.add_argument("--host", required=True)
    ap.add_argument("--timeout", type=float, default=10)
    a = ap.parse_args()
    h = a.host.encode()
    cases = [
        ("te_and_cl", b"POST / HTTP/1.1\r\nHost: " + h +
         b"\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"0\r\n\r\n", 400),
        ("two_hosts", b"GET / HTTP/1.1\r\nHost: " + h + b"\r\nHost: " + h +
         b"\r\n\r\n", 400),
        ("no_host", b"GET / HTTP/1.1\r\n\r\n", 400),
        ("bad_host", b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
        ("space_before_colon", b"GET / HTTP/1.1\r\nHost : " + h +
         b"\r\n\r\n", 400),
        ("obs_fold", b"GET / HTTP/1.1\r\nHost: " + h +
         b"\r\nX-A: 1\r\n  2\r\n\r\n", 400),
        ("two_lengths", b"POST / HTTP/1.1\r\nHost: " + h +
         b"\r\nContent-Length: 5, 6\r\n\r\nhello", 400),
        ("negative_length", b"POST / HTTP/1.1\r\nHost: " + h +
         b"\r\nContent-Length: -1\r\n\r\n", 400),
        ("bare_cr", b"GET / HTTP/1.1\r\nHost: " + h +
         b"\r\nX-A: 1\r2\r\n\r\n", 400),
        ("long_line", b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: " +
         h + b"\r\n\r\n", 414),
        ("big_head", b"GET / HTTP/1.1\r\nHost: " + h + b"\r\n" +
         b"".join(b"X-F%d: %s\r\n" % (i, b"v" * 1000) for i in range(40)) +
         b"\r\n", 431),
        ("trace", b"TRACE / HTTP/1.1\r\nHost: " + h + b"\r\n\r\n", 405),
        ("unknown_method", b"BREW / HTTP/1.1\r\nHost: " + h + b"\r\n\r\n",
         501),
        ("http2_version", b"GET / HTTP/2.0\r\nHost: " + h + b"\r\n\r\n",
         505),
        ("connect", b"CONNECT " + h + b":443 HTTP/1.1\r\nHost: " + h +
         b":443\r\n\r\n", 405),
    ]
    for name, data, want in cases:
        try:
            got = status_of(a.site, data, a.timeout)
        except OSError as e:
            print("FAIL %s: %s" % (name, e))
            return 1
        if got != want:
            print("FAIL %s: status %s, want %d" % (name, got, want))
            return 1
        print("ok %s %d" % (name, got))
    return 0


if __name__ == "__main__":
    sys.exit(main())
