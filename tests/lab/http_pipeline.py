#!/usr/bin/python3
"""http_pipeline.py: pipelined requests through an HTTP forward proxy.

Opens one connection to the proxy, sends N absolute-form GET requests for
http://HOST/uri/<i>?p=<seed>-<i> in a single write (pipelining, RFC 9112
9.3.2), then reads N responses and checks that they come back complete and
in order: status 200 and the body each request's URI (the lab origin's
/uri/ location answers its own request URI and a newline).

    http_pipeline.py --proxy IP:PORT [--host origin.lab.test] [--count 3]
                     [--timeout 10]

Prints "pipeline ok n=N" or "pipeline FAIL: reason"; exit 0 or 1.
Standard library only.
"""

import argparse
import os
import socket
import sys
import time


class Reader:
    def __init__(self, sock, deadline):
        self.sock = sock
        self.buf = b""
        self.deadline = deadline

    def _fill(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        self.sock.settimeout(left)
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("connection closed by the proxy")
        self.buf += data

    def line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("latin-1")

    def exactly(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data


def read_response(r):
    """One response: (status, headers dict lower-case, body)."""
    status_line = r.line()
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise ValueError("bad status line %r" % status_line)
    status = int(parts[1])
    headers = {}
    while True:
        line = r.line()
        if line == "":
            break
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = b""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            size = int(r.line().split(";")[0], 16)
            if size == 0:
                while r.line() != "":  # trailers
                    pass
                break
            body += r.exactly(size)
            r.exactly(2)
    elif "content-length" in headers:
        body = r.exactly(int(headers["content-length"]))
    else:
        raise ValueError("response without length (status %d)" % status)
    return status, headers, body


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--proxy", required=True, help="IP:PORT")
    ap.add_argument("--host", default="origin.lab.test")
    ap.add_argument("--count", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--source", default="", help="bind to this local address")
    a = ap.parse_args()
    ip, _, port = a.proxy.rpartition(":")
    seed = os.getpid()
    uris = ["/uri/%d?p=%d-%d" % (i, seed, i) for i in range(1, a.count + 1)]
    reqs = b"".join(
        ("GET http://%s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: http_pipeline\r\n\r\n" % (a.host, u, a.host)).encode()
        for u in uris
    )
    deadline = time.monotonic() + a.timeout
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if a.source:
            s.bind((a.source, 0))
        s.settimeout(a.timeout)
        s.connect((ip, int(port)))
        s.sendall(reqs)  # all requests in one write
        r = Reader(s, deadline)
        for i, u in enumerate(uris, 1):
            status, _, body = read_response(r)
            want = (u + "\n").encode()
            if status != 200:
                print("pipeline FAIL: response %d: status %d" % (i, status))
                return 1
            if body != want:
                print("pipeline FAIL: response %d out of order or wrong: got %r, want %r" % (i, body[:80], want))
                return 1
        s.close()
    except (OSError, EOFError, TimeoutError, ValueError) as e:
        print("pipeline FAIL: %s" % e)
        return 1
    print("pipeline ok n=%d" % a.count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
