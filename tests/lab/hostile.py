#!/usr/bin/python3
"""hostile.py: a hostile origin and a hostile client for the forward proxy
(issue 10), standard library only.

  hostile.py origin --listen IP:PORT --log FILE [--lifetime S]
      Serves scripted answers by path and appends every byte each
      connection sent to FILE (so a test can see what reached the origin):
        /interim-bad-chunk  nine "100 Continue", a chunked 200 with a bad
                            chunk line, then FIN (it aborted the appliance)
        /many-interim       300 "102 Processing", then 200 "hello"
        /conn-cl            200 with "Connection: Content-Length"
        anything else       200 "ok"
      Prints "hostile_origin listening" once ready; exits after S seconds.

  hostile.py client --proxy IP:PORT --origin IP:PORT [--mbufs-cmd CMD]
      Runs the cases below against the proxy and prints "ok NAME ..." per
      case, or "FAIL NAME: why" and exits 1:
        smuggle_connection_cl  POST with "Connection: Content-Length" and a
                               request in its body -> 400
        interim_bad_chunk      the origin above: the connection just ends
        many_interim           300 interim heads relayed, then the answer
        conn_cl                the client keeps Content-Length: 5
        drip                   a head sent one byte a segment (TCP_NODELAY):
                               with --mbufs-cmd (prints the appliance's
                               mbufs in use), the growth must stay small
"""

import argparse
import os
import socket
import subprocess
import sys
import threading
import time

INTERIM_N = 300


def fail(name, why):
    print(f"FAIL {name}: {why}", flush=True)
    sys.exit(1)


# ------------------------------------------------------------------ origin

def origin_answer(path):
    if path == "/interim-bad-chunk":
        return (b"HTTP/1.1 100 Continue\r\n\r\n" * 9 +
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"ZZZ\r\n"), True
    if path == "/many-interim":
        return (b"HTTP/1.1 102 Processing\r\n\r\n" * INTERIM_N +
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"), False
    if path == "/conn-cl":
        return (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
                b"Connection: Content-Length, X-Hop\r\nX-Hop: 1\r\n\r\nhello"), False
    return b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", False


def origin_conn(c, log, lock):
    c.settimeout(30)
    buf = b""
    try:
        while True:
            d = c.recv(65536)
            if not d:
                break
            with lock:
                with open(log, "ab") as f:
                    f.write(d)
            buf += d
            while b"\r\n\r\n" in buf:
                head, buf = buf.split(b"\r\n\r\n", 1)
                line = head.split(b"\r\n", 1)[0].split(b" ")
                path = line[1].decode("latin-1") if len(line) > 1 else "/"
                data, close = origin_answer(path)
                c.sendall(data)
                if close:
                    return
    except OSError:
        pass
    finally:
        c.close()


def origin(a):
    host, port = a.listen.rsplit(":", 1)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(port)))
    s.listen(64)
    s.settimeout(1)
    lock = threading.Lock()
    print("hostile_origin listening", flush=True)
    end = time.time() + a.lifetime
    while time.time() < end:
        try:
            c, _ = s.accept()
        except socket.timeout:
            continue
        threading.Thread(target=origin_conn, args=(c, a.log, lock), daemon=True).start()


# ------------------------------------------------------------------ client

def connect(a):
    host, port = a.proxy.rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=a.timeout)


def read_until_close(s, limit=4 << 20):
    data = b""
    try:
        while len(data) < limit:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except (ConnectionResetError, socket.timeout):
        pass
    return data


def read_until(s, marker, limit=4 << 20):
    data = b""
    while marker not in data and len(data) < limit:
        d = s.recv(65536)
        if not d:
            break
        data += d
    return data


def smuggle_connection_cl(a):
    smuggled = b"GET /admin HTTP/1.1\r\nHost: internal\r\n\r\n"
    req = (b"POST http://" + a.origin.encode() + b"/smuggle HTTP/1.1\r\nHost: x\r\n"
           b"Content-Length: " + str(len(smuggled)).encode() +
           b"\r\nConnection: Content-Length\r\n\r\n" + smuggled)
    s = connect(a)
    s.sendall(req)
    data = read_until_close(s)
    s.close()
    if not data.startswith(b"HTTP/1.1 400 "):
        fail("smuggle_connection_cl", f"answer {data[:60]!r}, want 400")
    print("ok smuggle_connection_cl 400", flush=True)


def interim_bad_chunk(a):
    s = connect(a)
    s.sendall(b"GET http://" + a.origin.encode() + b"/interim-bad-chunk HTTP/1.1\r\n"
              b"Host: x\r\n\r\n")
    data = read_until_close(s)
    s.close()
    n = data.count(b"HTTP/1.1 100 Continue\r\n")
    print(f"ok interim_bad_chunk: {n} interim heads, then the connection ended", flush=True)


def many_interim(a):
    s = connect(a)
    s.sendall(b"GET http://" + a.origin.encode() + b"/many-interim HTTP/1.1\r\n"
              b"Host: x\r\n\r\n")
    data = read_until(s, b"\r\n\r\nhello")
    s.close()
    n = data.count(b"HTTP/1.1 102 Processing\r\n")
    if n != INTERIM_N or not data.endswith(b"\r\n\r\nhello"):
        fail("many_interim", f"{n} interim heads, ends {data[-40:]!r}")
    print(f"ok many_interim: {n} interim heads, then the answer", flush=True)


def conn_cl(a):
    s = connect(a)
    s.sendall(b"GET http://" + a.origin.encode() + b"/conn-cl HTTP/1.1\r\nHost: x\r\n\r\n")
    data = read_until(s, b"\r\n\r\nhello")
    s.close()
    if b"\r\nContent-Length: 5\r\n" not in data or b"X-Hop" in data:
        fail("conn_cl", f"head {data[:200]!r}")
    print("ok conn_cl: Content-Length kept, X-Hop dropped", flush=True)


def mbufs(a):
    out = subprocess.run(a.mbufs_cmd, shell=True, capture_output=True, text=True,
                         timeout=10).stdout
    return int(out.strip())


def drip(a, n=2000):
    s = connect(a)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    base = mbufs(a) if a.mbufs_cmd else 0
    s.sendall(b"GET http://" + a.origin.encode() + b"/drip HTTP/1.1\r\nX-Drip: ")
    for _ in range(n):
        s.send(b"d")
        time.sleep(0.0002)
    time.sleep(0.3)
    grew = (mbufs(a) - base) if a.mbufs_cmd else 0
    s.sendall(b"\r\nHost: x\r\n\r\n")
    data = read_until(s, b"\r\n\r\nok")
    s.close()
    if not data.startswith(b"HTTP/1.1 200 "):
        fail("drip", f"answer {data[:60]!r}")
    if a.mbufs_cmd and grew > 64:
        fail("drip", f"{n} one-byte segments: the appliance holds {grew} more mbufs")
    print(f"ok drip: {n} one-byte segments, mbufs in use +{grew}, then 200", flush=True)


def client(a):
    for case in (smuggle_connection_cl, interim_bad_chunk, many_interim, conn_cl, drip):
        case(a)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("origin")
    o.add_argument("--listen", required=True)
    o.add_argument("--log", required=True)
    o.add_argument("--lifetime", type=int, default=300)
    c = sub.add_parser("client")
    c.add_argument("--proxy", required=True)
    c.add_argument("--origin", required=True, help="IP:PORT of the hostile origin")
    c.add_argument("--mbufs-cmd", default="")
    c.add_argument("--timeout", type=float, default=10)
    a = ap.parse_args()
    if a.cmd == "origin":
        origin(a)
    else:
        client(a)
    os._exit(0)


if __name__ == "__main__":
    main()
