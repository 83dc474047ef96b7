#!/usr/bin/env python3
"""A raw SOCKS5 probe for lab-socks: send bytes, print what comes back.

usage: socks_probe.py HOST PORT HEX [HEX...]

Connects to HOST:PORT and, for each HEX argument in turn, sends those bytes
and reads what the server answers until it has been quiet for 0.3 s, it
closed, or 5 s passed.  Prints one line: the hex of every byte received,
then " closed" when the server closed (FIN or RST) or " open".  A HEX of
"-" sends nothing (just reads).  Exit status 0 unless the connection
itself failed.
"""
import select
import socket
import sys
import time


def read_some(s, deadline):
    """Bytes until quiet for 0.3 s, closed, or the deadline: (data, closed)."""
    out = b""
    while time.monotonic() < deadline:
        r, _, _ = select.select([s], [], [], 0.3)
        if not r:
            return out, False
        try:
            b = s.recv(65536)
        except ConnectionResetError:
            return out, True
        if not b:
            return out, True
        out += b
    return out, False


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    s = socket.create_connection((host, port), timeout=5)
    got = b""
    closed = False
    deadline = time.monotonic() + 5
    for h in sys.argv[3:]:
        if h != "-":
            try:
                s.sendall(bytes.fromhex(h))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
        b, closed = read_some(s, deadline)
        got += b
        if closed:
            break
    print(got.hex() + (" closed" if closed else " open"))
    s.close()


if __name__ == "__main__":
    main()
