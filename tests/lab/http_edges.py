#!/usr/bin/python3
"""http_edges.py: the forward proxy's edges, from a raw socket.

Each case opens its own connection to the proxy and checks what comes back:
  bad requests   TE with CL (smuggling) -> 400, a Content-Length over the
                 proxy's max-request-body-bytes (100 MiB) -> 413, origin-form -> 400,
                 request line over the limit -> 414, header section over
                 the limit -> 431, TRACE -> 405, an unknown method -> 501,
                 HTTP/2.0 -> 505; with --own IP, the proxy's own address,
                 loopback, a private, a multicast and the outside subnet's
                 broadcast destination -> 403
                 (never connected to: nothing leaves for them)
  chunked_too_large  a chunked upload over max-request-body-bytes -> 413
  head_then_get  HEAD and GET pipelined: the HEAD answer has no body and
                 the GET answer follows it intact
  half_close     a request followed by our FIN still gets its whole answer
  abort          a download reset by the client after 4 MB (the proxy must
                 let go of both legs; the caller checks the gauges)

    http_edges.py --proxy IP:PORT [--host origin.lab.test] [--timeout 10]

Prints one "ok NAME ..." line per case, or "FAIL NAME: reason" and exits 1.
Standard library only.
"""

import argparse
import socket
import struct
import sys


def connect(proxy, timeout):
    host, port = proxy.rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=timeout)


def read_all(s):
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            return data
        data += d


def status_of(data):
    line = data.split(b"\r\n", 1)[0]
    parts = line.split(b" ")
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        return None
    return int(parts[1])


def fail(name, why):
    print(f"FAIL {name}: {why}")
    sys.exit(1)


def bad_requests(a):
    h = a.host.encode()
    cases = [
        ("te_with_cl", b"POST http://" + h + b"/upload HTTP/1.1\r\nHost: " + h +
         b"\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", 400),
        ("body_too_large", b"POST http://" + h + b"/upload HTTP/1.1\r\nHost: " + h +
         b"\r\nContent-Length: 200000000\r\n\r\n", 413),
        ("origin_form", b"GET /1k.bin HTTP/1.1\r\nHost: " + h + b"\r\n\r\n", 400),
        ("long_line", b"GET http://" + h + b"/" + b"a" * 9000 + b" HTTP/1.1\r\n", 414),
        ("big_head", b"GET http://" + h + b"/ HTTP/1.1\r\nHost: " + h +
         b"\r\nX-Big: " + b"b" * 40000 + b"\r\n\r\n", 431),
        ("trace", b"TRACE http://" + h + b"/ HTTP/1.1\r\nHost: " + h + b"\r\n\r\n", 405),
        ("unknown_method", b"BREW http://" + h + b"/ HTTP/1.1\r\nHost: " + h + b"\r\n\r\n", 501),
        ("http2_line", b"GET http://" + h + b"/ HTTP/2.0\r\nHost: " + h + b"\r\n\r\n", 505),
    ]
    if a.own:
        # The lab's subnets are /24: the outside one's broadcast address
        # (issue 10: it was sent a SYN to ff:ff:ff:ff:ff:ff).
        bcast = a.own.rsplit(".", 1)[0] + ".255"
        for name, ip in (("own_address", a.own), ("loopback", "127.0.0.1"),
                         ("private", "10.1.2.3"), ("multicast", "224.0.0.1"),
                         ("broadcast", bcast)):
            cases.append((name, b"GET http://" + ip.encode() + b"/ HTTP/1.1\r\nHost: " +
                          ip.encode() + b"\r\n\r\n", 403))
    for name, req, want in cases:
        s = connect(a.proxy, a.timeout)
        s.sendall(req)
        data = read_all(s)
        s.close()
        got = status_of(data)
        if got != want:
            fail(name, f"status {got}, want {want}: {data[:80]!r}")
        if b"Gatehouse" not in data and b"gatehouse" not in data:
            fail(name, "the error page does not name Gatehouse")
        print(f"ok {name} {got}")


def chunked_too_large(a):
    """A chunked body has no length up front: the proxy counts it as it
    passes and answers 413 once it is over max-request-body-bytes."""
    import select
    h = a.host.encode()
    s = connect(a.proxy, a.timeout)
    s.sendall(b"POST http://" + h + b"/upload HTTP/1.1\r\nHost: " + h +
              b"\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"100000\r\n" + b"z" * 0x100000 + b"\r\n"  # 1 MiB
    sent = 0
    data = b""
    while sent < 120 * 0x100000:
        r, w, _ = select.select([s], [s], [], a.timeout)
        if r:
            data = s.recv(65536)
            break
        if not w:
            fail("chunked_too_large", "neither readable nor writable")
        try:
            s.sendall(chunk)
        except OSError:
            break
        sent += 0x100000
    if not data:
        s.settimeout(a.timeout)
        data = s.recv(65536)
    s.close()
    if status_of(data) != 413:
        fail("chunked_too_large", f"after {sent} bytes: {data[:80]!r}")
    print(f"ok chunked_too_large 413 after {sent >> 20} MiB sent")


def head_then_get(a):
    h = a.host.encode()
    s = connect(a.proxy, a.timeout)
    s.sendall(b"HEAD http://" + h + b"/1k.bin HTTP/1.1\r\nHost: " + h + b"\r\n\r\n"
              b"GET http://" + h + b"/1k.bin HTTP/1.1\r\nHost: " + h +
              b"\r\nConnection: close\r\n\r\n")
    data = read_all(s)
    s.close()
    first, _, rest = data.partition(b"\r\n\r\n")
    if status_of(first) != 200 or status_of(rest) != 200:
        fail("head_then_get", f"want two 200s, got {data[:200]!r}")
    head2, _, body = rest.partition(b"\r\n\r\n")
    if len(body) != 1024:
        fail("head_then_get", f"the GET body is {len(body)} bytes, want 1024")
    print("ok head_then_get HEAD without body, GET 1024 bytes after it")


def half_close(a):
    h = a.host.encode()
    s = connect(a.proxy, a.timeout)
    s.sendall(b"GET http://" + h + b"/1k.bin HTTP/1.1\r\nHost: " + h + b"\r\n\r\n")
    s.shutdown(socket.SHUT_WR)
    data = read_all(s)
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    if status_of(head) != 200 or len(body) != 1024:
        fail("half_close", f"status {status_of(head)}, {len(body)} body bytes")
    print("ok half_close whole answer after our FIN")


def abort(a):
    h = a.host.encode()
    s = connect(a.proxy, a.timeout)
    s.sendall(b"GET http://" + h + b"/1g.bin HTTP/1.1\r\nHost: " + h + b"\r\n\r\n")
    got = 0
    while got < 4 * 1000 * 1000:
        d = s.recv(65536)
        if not d:
            fail("abort", f"closed after {got} bytes")
        got += len(d)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()  # RST
    print(f"ok abort reset after {got} bytes")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--proxy", required=True)
    ap.add_argument("--host", default="origin.lab.test")
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--own", default="", help="an address of the proxy (403 as a destination)")
    a = ap.parse_args()
    try:
        bad_requests(a)
        chunked_too_large(a)
        head_then_get(a)
        half_close(a)
        abort(a)
    except OSError as e:
        fail("socket", str(e))


if __name__ == "__main__":
    main()
