#!/usr/bin/python3
"""tcpx: deterministic TCP streams with SHA-256 checks, for the kernel peers of the lab.

Standard library only; run with /usr/bin/python3 (or any python >= 3.9).

  tcpx.py serve  --listen IP:PORT --mode echo|sink|source|sha [--bytes N] [--seed S]
                 [--pattern seeded|repeat] [--lifetime SECONDS] [--cc ALGO]
  tcpx.py client --connect IP:PORT [--send N] [--recv N] [--seed S] [--timeout T]
                 [--expect auto|echo|source|sha|none] [--streams K] [--duration D]
                 [--pattern seeded|repeat] [--cc ALGO]
  tcpx.py many   --connect IP:PORT --conns C [--payload P] [--seed S] [--timeout T]
                 [--connect-burst B]

The data: stream(seed, N) is the first N bytes of the concatenation of
random.Random(seed).randbytes(65536) blocks ("seeded"); "repeat" is the first
such block repeated (no generation cost: for benchmarks).  Both ends build it
the same way, so the receiver knows what it should get.

serve modes (one event loop, any number of connections):
  echo    send back every byte received; after the client's FIN, finish and close
  sink    read and discard until FIN, then close
  sha     read until FIN, then answer "SHA256HEX BYTES\\n" of what was read and close
  source  send stream(seed, --bytes) (0 = until the client closes), then shut down
          writing; read and discard whatever the client sends

client: each of --streams connections sends stream(seed + i, --send), half-closes
(shutdown SHUT_WR) after the last byte, reads until the server's FIN and checks
what came back:
  echo    the same bytes it sent (SHA-256 of both compared)
  source  stream(seed, --recv) (the server's --seed: the same for every stream)
  sha     the server's "SHA256HEX BYTES" line matches what was sent
  none    nothing to check (bytes counted)
  auto    echo when --send > 0 and --recv > 0, source when only --recv, sha when only --send
With --duration D it sends (--send > 0) and/or reads (--recv > 0) for D seconds
then closes, without checks: a throughput probe.

many: C concurrent connections, each sending a small payload only after all have
connected (so C are open at once), half-closing and checking the echo.

Every run ends with one line "tcpx RESULT key=value ..." on stdout (RESULT ok,
mismatch, timeout or error) and exits 0 only when it is ok: 1 mismatch,
2 timeout, 3 connection error, 64 usage.
"""

import argparse
import errno
import hashlib
import os
import random
import resource
import selectors
import signal
import socket
import sys
import time

BLOCK = 65536
CHUNK = 262144
EXIT_OK, EXIT_MISMATCH, EXIT_TIMEOUT, EXIT_CONN, EXIT_USAGE = 0, 1, 2, 3, 64


class Stream:
    """stream(seed, n): produces the bytes in order, in pieces of any size."""

    def __init__(self, seed, total, pattern="seeded"):
        self.rng = random.Random(seed)
        self.total = total  # None: endless
        self.pos = 0
        self.pattern = pattern
        self.buf = b""
        self.off = 0
        if pattern == "repeat":
            block = self.rng.randbytes(BLOCK)
            self.rep = block * (CHUNK // BLOCK)

    def remaining(self):
        return None if self.total is None else self.total - self.pos

    def peek(self, n):
        """Up to n next bytes (not consumed), b"" at the end."""
        rem = self.remaining()
        if rem is not None:
            n = min(n, rem)
        if n <= 0:
            return b""
        if self.pattern == "repeat":
            o = self.pos % BLOCK
            return memoryview(self.rep)[o:o + min(n, len(self.rep) - o)]
        if self.off >= len(self.buf):
            parts = []
            for _ in range(max(1, CHUNK // BLOCK)):
                parts.append(self.rng.randbytes(BLOCK))
            self.buf = b"".join(parts)
            self.off = 0
        return memoryview(self.buf)[self.off:self.off + n]

    def advance(self, n):
        self.pos += n
        if self.pattern != "repeat":
            self.off += n


def stream_sha(seed, n, pattern="seeded"):
    s = Stream(seed, n, pattern)
    h = hashlib.sha256()
    while True:
        b = s.peek(CHUNK)
        if not b:
            return h.hexdigest()
        h.update(b)
        s.advance(len(b))


def addr(text):
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"want IP:PORT, got '{text}'")
    return host, int(port)


def size(text):
    mult = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    t = text.strip().lower()
    f = 1
    if t and t[-1] in mult:
        f = mult[t[-1]]
        t = t[:-1]
    try:
        v = int(t) * f
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad size '{text}'") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"negative size '{text}'")
    return v


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
    except (ValueError, OSError):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def set_cc(sock, cc):
    """Congestion control of one socket (TCP_CONGESTION), when asked."""
    if cc:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())


def result(status, **kv):
    fields = " ".join(f"{k}={v}" for k, v in kv.items())
    print(f"tcpx {status} {fields}", flush=True)


def mbps(n, secs):
    return f"{n / secs / 1e6:.2f}" if secs > 0 else "0"


# ------------------------------------------------------------------ serve ---

class SConn:
    __slots__ = ("sock", "mode", "out", "outoff", "eof", "hash", "nread", "src",
                 "wdone", "events")

    def __init__(self, sock, mode, src):
        self.sock = sock
        self.mode = mode
        self.out = bytearray()
        self.outoff = 0
        self.eof = False
        self.hash = hashlib.sha256() if mode == "sha" else None
        self.nread = 0
        self.src = src
        self.wdone = False
        self.events = 0


def serve(a):
    raise_nofile(1 << 20)
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    set_cc(lsock, a.cc)
    lsock.bind(a.listen)
    lsock.listen(65535)
    lsock.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(lsock, selectors.EVENT_READ, None)
    deadline = time.monotonic() + a.lifetime
    stats = {"accepted": 0, "closed": 0}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    print(f"tcpx listening {a.listen[0]}:{a.listen[1]} mode={a.mode}", flush=True)

    def setev(c, ev):
        if ev == c.events:
            return
        if c.events == 0:
            sel.register(c.sock, ev, c)
        elif ev == 0:
            sel.unregister(c.sock)
        else:
            sel.modify(c.sock, ev, c)
        c.events = ev

    def close(c):
        setev(c, 0)
        c.sock.close()
        stats["closed"] += 1

    def want(c):
        ev = 0
        if not c.eof and (c.mode != "echo" or len(c.out) - c.outoff < 4 * CHUNK):
            ev |= selectors.EVENT_READ
        pending = len(c.out) - c.outoff > 0
        if pending or (c.src is not None and not c.wdone):
            ev |= selectors.EVENT_WRITE
        return ev

    def finish_if_done(c):
        pending = len(c.out) - c.outoff
        if c.mode == "source":
            if c.wdone and c.eof:
                close(c)
                return True
            return False
        if c.eof and pending == 0:
            close(c)
            return True
        return False

    while not stop and time.monotonic() < deadline:
        for key, ev in sel.select(timeout=0.5):
            c = key.data
            if c is None:
                for _ in range(256):
                    try:
                        s, _peer = lsock.accept()
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError as e:
                        if e.errno in (errno.EMFILE, errno.ENFILE):
                            break
                        raise
                    s.setblocking(False)
                    set_cc(s, a.cc)
                    src = None
                    if a.mode == "source":
                        src = Stream(a.seed, a.bytes or None, a.pattern)
                    nc = SConn(s, a.mode, src)
                    stats["accepted"] += 1
                    setev(nc, want(nc))
                continue
            try:
                if ev & selectors.EVENT_READ and not c.eof:
                    d = c.sock.recv(CHUNK)
                    if not d:
                        c.eof = True
                        if c.mode == "sha":
                            c.out += f"{c.hash.hexdigest()} {c.nread}\n".encode()
                    else:
                        c.nread += len(d)
                        if c.mode == "echo":
                            c.out += d
                        elif c.mode == "sha":
                            c.hash.update(d)
                if ev & selectors.EVENT_WRITE:
                    if len(c.out) - c.outoff > 0:
                        n = c.sock.send(memoryview(c.out)[c.outoff:])
                        c.outoff += n
                        if c.outoff == len(c.out):
                            c.out = bytearray()
                            c.outoff = 0
                        elif c.outoff > 4 * CHUNK:
                            del c.out[:c.outoff]
                            c.outoff = 0
                    elif c.src is not None and not c.wdone:
                        b = c.src.peek(CHUNK)
                        if b:
                            n = c.sock.send(b)
                            c.src.advance(n)
                        if not c.src.peek(1):
                            c.sock.shutdown(socket.SHUT_WR)
                            c.wdone = True
                if not finish_if_done(c):
                    setev(c, want(c))
            except (ConnectionError, OSError):
                close(c)
    for key in list(sel.get_map().values()):
        if key.data is not None:
            key.data.sock.close()
    lsock.close()
    print(f"tcpx server-exit accepted={stats['accepted']} closed={stats['closed']}", flush=True)
    return EXIT_OK


# ----------------------------------------------------------------- client ---

class CConn:
    def __init__(self, i, a, expect):
        self.i = i
        self.seed = a.seed + i
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        set_cc(self.sock, a.cc)
        self.expect = expect
        self.endless = a.duration is not None
        self.src = Stream(self.seed, None if self.endless else a.send, a.pattern) \
            if (a.send > 0 or (self.endless and a.send)) else None
        self.sent = 0
        self.recvd = 0
        self.shut = a.send == 0  # nothing to send: half-close at once
        self.eof = False
        self.verify = not self.endless and expect != "none"
        self.shash = hashlib.sha256() if self.verify and expect in ("echo", "sha") else None
        self.rhash = hashlib.sha256() if self.verify and expect in ("echo", "source") else None
        self.rtext = bytearray() if expect == "sha" else None
        self.connected = False
        self.err = None
        self.events = 0


def expect_of(a):
    if a.expect != "auto":
        return a.expect
    if a.send > 0 and a.recv > 0:
        return "echo"
    if a.recv > 0:
        return "source"
    if a.send > 0:
        return "sha"
    return "none"


def client(a):
    expect = expect_of(a)
    if a.duration is not None:
        expect = "none"
    raise_nofile(a.streams * 2 + 64)
    sel = selectors.DefaultSelector()
    t0 = time.monotonic()
    deadline = t0 + a.timeout
    stop_at = t0 + a.duration if a.duration is not None else None
    conns = [CConn(i, a, expect) for i in range(a.streams)]
    for c in conns:
        try:
            c.sock.connect_ex(a.connect)
        except OSError as e:
            result("error", reason=f"connect:{e.strerror}")
            return EXIT_CONN
        c.events = selectors.EVENT_WRITE
        sel.register(c.sock, c.events, c)
    active = len(conns)
    timed_out = False

    def setev(c, ev):
        if ev == c.events:
            return
        if ev == 0:
            sel.unregister(c.sock)
        elif c.events == 0:
            sel.register(c.sock, ev, c)
        else:
            sel.modify(c.sock, ev, c)
        c.events = ev

    while active:
        now = time.monotonic()
        if now >= deadline:
            timed_out = True
            break
        if stop_at is not None and now >= stop_at:
            break
        limit = deadline if stop_at is None else min(deadline, stop_at)
        for key, ev in sel.select(timeout=min(0.5, max(0.0, limit - now))):
            c = key.data
            try:
                if not c.connected:
                    err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        raise OSError(err, os.strerror(err))
                    c.connected = True
                    if c.shut:
                        c.sock.shutdown(socket.SHUT_WR)
                if ev & selectors.EVENT_READ:
                    d = c.sock.recv(CHUNK)
                    if not d:
                        c.eof = True
                    else:
                        c.recvd += len(d)
                        if c.rhash is not None:
                            c.rhash.update(d)
                        if c.rtext is not None and len(c.rtext) < 200:
                            c.rtext += d
                if ev & selectors.EVENT_WRITE and not c.shut:
                    b = c.src.peek(CHUNK)
                    if b:
                        n = c.sock.send(b)
                        if c.shash is not None:
                            c.shash.update(b[:n])
                        c.src.advance(n)
                        c.sent += n
                    if not c.src.peek(1):
                        c.sock.shutdown(socket.SHUT_WR)
                        c.shut = True
            except (ConnectionError, OSError) as e:
                c.err = e.strerror or str(e)
                c.eof = True
            if c.eof:
                setev(c, 0)
                c.sock.close()
                active -= 1
            else:
                setev(c, selectors.EVENT_READ | (0 if c.shut else selectors.EVENT_WRITE))
    secs = time.monotonic() - t0
    sent = sum(c.sent for c in conns)
    recvd = sum(c.recvd for c in conns)
    for c in conns:
        if not c.eof:
            c.sock.close()
    info = dict(streams=a.streams, expect=expect, sent=sent, recv=recvd,
                seconds=f"{secs:.3f}", send_MBps=mbps(sent, secs), recv_MBps=mbps(recvd, secs))
    errs = [c for c in conns if c.err]
    if errs:
        result("error", **info, sha="unchecked", reason=errs[0].err.replace(" ", "_"),
               failed_streams=len(errs))
        return EXIT_CONN
    if timed_out:
        result("timeout", **info, sha="unchecked", timeout=a.timeout)
        return EXIT_TIMEOUT
    if a.duration is not None:
        result("ok", **info, sha="skipped")
        return EXIT_OK
    bad = []
    for c in conns:
        why = None
        if expect in ("echo", "sha") and c.sent != a.send:
            why = f"sent {c.sent} of {a.send}"
        elif expect == "echo":
            if c.recvd != c.sent:
                why = f"got {c.recvd} bytes back for {c.sent}"
            elif c.rhash.digest() != c.shash.digest():
                why = "echoed bytes differ"
        elif expect == "source":
            if c.recvd != a.recv:
                why = f"got {c.recvd} bytes, want {a.recv}"
            elif c.rhash.hexdigest() != stream_sha(a.seed, a.recv, a.pattern):
                why = "received bytes differ from stream(seed)"
        elif expect == "sha":
            want = f"{c.shash.hexdigest()} {c.sent}\n".encode()
            if bytes(c.rtext) != want:
                why = "server digest " + bytes(c.rtext[:80]).decode(errors="replace").strip()
        if a.recv and expect in ("echo", "source") and c.recvd != a.recv and why is None:
            why = f"got {c.recvd} bytes, want {a.recv}"
        if why:
            bad.append(f"stream{c.i}:{why}")
    if bad:
        result("mismatch", **info, sha="mismatch", bad_streams=len(bad),
               first=bad[0].replace(" ", "_"))
        return EXIT_MISMATCH
    result("ok", **info, sha="ok")
    return EXIT_OK


# ------------------------------------------------------------------- many ---

def many(a):
    C = a.conns
    have = raise_nofile(C + 256)
    if have < C + 16:
        result("error", reason=f"RLIMIT_NOFILE={have}_too_small_for_{C}")
        return EXIT_CONN
    ep = select_epoll()
    t0 = time.monotonic()
    deadline = t0 + a.timeout
    rng = random.Random(a.seed)
    payloads = [rng.randbytes(a.payload) for _ in range(min(C, 64))]
    socks = {}
    state = {}  # fd -> [sock, idx, phase, got]
    CONNECTING, WAITING, SENDING, READING, DONE, FAILED = range(6)
    next_i = 0
    pending = 0
    established = 0
    max_open = 0
    completed = 0
    failed = 0
    first_err = ""
    go = False

    def open_one(i):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex(a.connect)
        fd = s.fileno()
        socks[fd] = s
        state[fd] = [s, i, CONNECTING, bytearray(), 0]
        ep.register(fd, select_EPOLLOUT)

    def drop(fd, ok):
        nonlocal completed, failed
        st = state.pop(fd)
        try:
            ep.unregister(fd)
        except OSError:
            pass
        st[0].close()
        socks.pop(fd, None)
        if ok:
            completed += 1
        else:
            failed += 1

    def start_send(fd):
        st = state[fd]
        st[2] = SENDING
        ep.modify(fd, select_EPOLLOUT)

    while (next_i < C or state) and time.monotonic() < deadline:
        while next_i < C and pending < a.connect_burst:
            try:
                open_one(next_i)
            except OSError as e:
                first_err = first_err or f"socket:{e.strerror}"
                failed += 1
                next_i += 1
                continue
            next_i += 1
            pending += 1
        if not go and next_i >= C and pending == 0:
            go = True
            for fd, st in state.items():
                if st[2] == WAITING:
                    start_send(fd)
        for fd, ev in ep.poll(0.2, 4096):
            st = state.get(fd)
            if st is None:
                continue
            s, i, phase = st[0], st[1], st[2]
            try:
                if phase == CONNECTING:
                    pending -= 1
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        raise OSError(err, os.strerror(err))
                    established += 1
                    max_open = max(max_open, established)
                    st[2] = WAITING
                    ep.modify(fd, 0)
                    if go:
                        start_send(fd)
                elif phase == SENDING:
                    p = payloads[i % len(payloads)]
                    n = s.send(memoryview(p)[st[4]:])
                    st[4] += n
                    if st[4] >= len(p):
                        s.shutdown(socket.SHUT_WR)
                        st[2] = READING
                        ep.modify(fd, select_EPOLLIN)
                elif phase == READING:
                    d = s.recv(65536)
                    if d:
                        st[3] += d
                        if len(st[3]) > a.payload:
                            raise OSError(0, "too many bytes back")
                    else:
                        established -= 1
                        ok = bytes(st[3]) == payloads[i % len(payloads)]
                        if not ok:
                            first_err = first_err or f"conn{i}:echo_mismatch_len{len(st[3])}"
                        drop(fd, ok)
            except (ConnectionError, OSError) as e:
                if phase == CONNECTING:
                    pass  # pending already decremented
                else:
                    established -= 1
                first_err = first_err or f"conn{i}:{(e.strerror or str(e)).replace(' ', '_')}"
                drop(fd, False)
    secs = time.monotonic() - t0
    left = len(state)
    for fd in list(state):
        state[fd][0].close()
    info = dict(conns=C, completed=completed, failed=failed, unfinished=left,
                max_open=max_open, payload=a.payload, seconds=f"{secs:.3f}",
                conns_per_s=f"{completed / secs:.0f}" if secs > 0 else "0")
    if first_err:
        info["first_error"] = first_err
    if completed == C:
        result("ok", **info)
        return EXIT_OK
    if left:
        result("timeout", **info)
        return EXIT_TIMEOUT
    result("mismatch" if "mismatch" in first_err else "error", **info)
    return EXIT_MISMATCH if "mismatch" in first_err else EXIT_CONN


def select_epoll():
    return select_mod.epoll()


import select as select_mod  # noqa: E402

select_EPOLLIN = select_mod.EPOLLIN
select_EPOLLOUT = select_mod.EPOLLOUT


# ------------------------------------------------------------------- main ---

def usage(msg):
    print(f"tcpx.py: {msg}", file=sys.stderr)
    return EXIT_USAGE


def main(argv):
    p = argparse.ArgumentParser(prog="tcpx.py", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--listen", type=addr, required=True)
    s.add_argument("--mode", choices=["echo", "sink", "source", "sha"], required=True)
    s.add_argument("--bytes", type=size, default=0, help="source: bytes per connection (0 = endless)")
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--pattern", choices=["seeded", "repeat"], default="seeded")
    s.add_argument("--lifetime", type=float, default=3600.0, help="exit after this many seconds")
    s.add_argument("--cc", default="", help="TCP congestion control of its sockets (default: the kernel's)")
    s.add_argument("--tag", default="", help="ignored: marks the command line (lab state dir)")
    c = sub.add_parser("client")
    c.add_argument("--connect", type=addr, required=True)
    c.add_argument("--send", type=size, default=0)
    c.add_argument("--recv", type=size, default=0)
    c.add_argument("--seed", type=int, default=1)
    c.add_argument("--timeout", type=float, default=60.0)
    c.add_argument("--expect", choices=["auto", "echo", "source", "sha", "none"], default="auto")
    c.add_argument("--streams", type=int, default=1)
    c.add_argument("--duration", type=float, default=None,
                   help="send/read for this many seconds, no checks (throughput probe)")
    c.add_argument("--pattern", choices=["seeded", "repeat"], default="seeded")
    c.add_argument("--cc", default="", help="TCP congestion control of its sockets (default: the kernel's)")
    m = sub.add_parser("many")
    m.add_argument("--connect", type=addr, required=True)
    m.add_argument("--conns", type=int, required=True)
    m.add_argument("--payload", type=size, default=1024)
    m.add_argument("--seed", type=int, default=1)
    m.add_argument("--timeout", type=float, default=60.0)
    m.add_argument("--connect-burst", type=int, default=512,
                   help="connects in flight at once")
    try:
        a = p.parse_args(argv)
    except SystemExit as e:
        return EXIT_USAGE if e.code else EXIT_OK
    if a.cmd == "serve":
        return serve(a)
    if a.cmd == "client":
        if a.streams < 1 or a.streams > 10000:
            return usage("--streams takes 1..10000")
        if a.duration is not None:
            if a.duration <= 0 or a.duration > a.timeout:
                return usage("--duration must be > 0 and <= --timeout")
            a.send = 1 if a.send else 0  # endless: only whether to send
        return client(a)
    if a.conns < 1 or a.conns > 100000:
        return usage("--conns takes 1..100000")
    return many(a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
