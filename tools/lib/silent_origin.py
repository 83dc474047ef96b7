#!/usr/bin/python3
"""silent_origin.py: a TCP listener that accepts connections and never answers.

The "silent origin" of a lab (tools/lab up starts it in the origin namespace
on ORIGIN_IP:8081): a proxy's upstream connection succeeds, its request is
read and thrown away, and no byte ever comes back, so the proxy's upstream
read timeout must fire (lab test http_proxy: 504).

Bounded: it exits by itself after --lifetime seconds, holds at most
--max-conns connections (the oldest is closed to make room), and closes a
connection when its peer closes.  Standard library only.

    silent_origin.py --listen IP:PORT [--lifetime S] [--max-conns N]
                     [--pid-file F] [--tag TEXT]

--tag is ignored: tools/lab passes the lab's state dir so that the command
line names it (tools/lab down finds its processes that way).
"""

import argparse
import collections
import os
import selectors
import signal
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listen", required=True, help="IP:PORT")
    ap.add_argument("--lifetime", type=float, default=6 * 3600)
    ap.add_argument("--max-conns", type=int, default=2048)
    ap.add_argument("--pid-file")
    ap.add_argument("--tag", default="")
    a = ap.parse_args()
    host, _, port = a.listen.rpartition(":")

    stop = False

    def on_signal(_sig, _frm):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, int(port)))
    ls.listen(1024)
    ls.setblocking(False)
    if a.pid_file:
        with open(a.pid_file + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.replace(a.pid_file + ".tmp", a.pid_file)
    print("silent_origin listening on %s" % a.listen, flush=True)

    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ)
    conns = collections.OrderedDict()  # fd -> socket, oldest first
    accepted = 0
    deadline = time.monotonic() + a.lifetime
    while not stop:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        for key, _ in sel.select(timeout=min(left, 1.0)):
            s = key.fileobj
            if s is ls:
                try:
                    c, _ = ls.accept()
                except OSError:
                    continue
                accepted += 1
                c.setblocking(False)
                if len(conns) >= a.max_conns:
                    _, old = conns.popitem(last=False)
                    sel.unregister(old)
                    old.close()
                conns[c.fileno()] = c
                sel.register(c, selectors.EVENT_READ)
                continue
            try:
                data = s.recv(65536)  # read and forget: never answer
            except OSError:
                data = b""
            if not data:
                conns.pop(s.fileno(), None)
                sel.unregister(s)
                s.close()
    for c in conns.values():
        c.close()
    ls.close()
    if a.pid_file:
        try:
            os.unlink(a.pid_file)
        except OSError:
            pass
    print("silent_origin exit accepted=%d" % accepted, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
