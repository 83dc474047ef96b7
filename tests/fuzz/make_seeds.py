#!/usr/bin/env python3
"""Regenerate the seed corpora of tests/fuzz/corpus/ from the unit tests.

The HTTP seeds are cases of tests/unit/http (valid messages and the request
smuggling vectors), with the harness's control bytes in front; the config
seeds are the shipped configs and the test configs of tests/unit/conf; the
DNS and TCP seeds are built here.  Run it from anywhere; it rewrites the
files it owns (named after their case) and leaves others alone.

    tests/fuzz/make_seeds.py
"""
import os
import re
import struct

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), '..', '..'))
CORPUS = os.path.join(ROOT, 'tests', 'fuzz', 'corpus')


def c_unescape(lit):
    out = bytearray()
    i = 0
    simple = {'r': 13, 'n': 10, 't': 9, '\\': 92, '"': 34, "'": 39}
    while i < len(lit):
        c = lit[i]
        if c != '\\':
            out += c.encode('latin1')
            i += 1
            continue
        n = lit[i + 1]
        if n in simple:
            out.append(simple[n])
            i += 2
        elif n == 'x':
            m = re.match(r'[0-9a-fA-F]+', lit[i + 2:])
            out.append(int(m.group(0), 16) & 0xff)
            i += 2 + len(m.group(0))
        elif n in '01234567':
            m = re.match(r'[0-7]{1,3}', lit[i + 1:])
            out.append(int(m.group(0), 8))
            i += 1 + len(m.group(0))
        else:
            raise ValueError('escape ' + lit[i:i + 4])
    return bytes(out)


def tokens(src, i):
    """C string literals and identifiers from src[i] to the ')' or ';'
    that ends the expression; returns (tokens, end)."""
    toks = []
    depth = 0
    while True:
        c = src[i]
        if c == '"':
            j = i + 1
            while src[j] != '"':
                j += 2 if src[j] == '\\' else 1
            toks.append(('s', src[i + 1:j]))
            i = j + 1
            continue
        if c == '(':
            depth += 1
        elif c == ')':
            if depth == 0:
                return toks, i
            depth -= 1
        elif c == ';' and depth == 0:
            return toks, i
        elif c.isalpha() or c == '_':
            m = re.match(r'[A-Za-z_]\w*', src[i:])
            toks.append(('id', m.group(0)))
            i += len(m.group(0))
            continue
        i += 1


def join(toks, macros):
    out = b''
    for kind, v in toks:
        out += c_unescape(v) if kind == 's' else macros[v]
    return out


def string_macros(src):
    macros = {}
    for m in re.finditer(r'^#define (\w+)[ \t]+((?:.*\\\n)*.*)$', src, re.M):
        body = m.group(2).replace('\\\n', ' ')
        if not body.strip().startswith(('"', 'PORT', 'RESOLVER', 'LISTEN')):
            continue
        try:
            toks, _ = tokens(body + ';', 0)
            macros[m.group(1)] = join(toks, macros)
        except (KeyError, ValueError, IndexError):
            pass
    return macros


def cases(path, macros):
    src = open(path).read()
    for m in re.finditer(r'\{\s*"([^"]*)",\s*R\(', src):
        toks, end = tokens(src, m.end())
        yield m.group(1), join(toks, macros), src[end:src.find('}', end)]


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    fname = re.sub(r'[^A-Za-z0-9]+', '_', name).strip('_')
    with open(os.path.join(d, fname), 'wb') as f:
        f.write(data)


METHODS = {'HTTP_M_OTHER': 0, 'HTTP_M_GET': 1, 'HTTP_M_HEAD': 2,
           'HTTP_M_POST': 3, 'HTTP_M_PUT': 4, 'HTTP_M_DELETE': 5,
           'HTTP_M_CONNECT': 6, 'HTTP_M_OPTIONS': 7, 'HTTP_M_TRACE': 8,
           'HTTP_M_PATCH': 9}
HTTP_PARSE = '''get; post cl; post chunked; te case; te list; cl list same;
absolute; absolute ipv6; connect; options asterisk; connection list; expect;
pipelined; max headers; cl + te; te + cl; te chunked, identity;
te chunked twice; te space before colon; te folded; obs-fold; te xchunked;
te gzip only; te empty element; te in http/1.0; cl list differs;
cl plus sign; cl two differ; cl overflow; bare LF header; bare CR header;
CR CR LF; NUL in value; space before colon; two hosts; userinfo; 414;
431 head; resp cl; resp chunked; resp eof; resp 204; resp connect 200;
resp cl + te; resp 100'''


def http_seeds():
    h = {'H': b'Host: example.com\r\n'}
    want = {s.strip() for s in HTTP_PARSE.replace('\n', ' ').split(';')}
    for name, raw, rest in cases(
            os.path.join(ROOT, 'tests/unit/http/test_parse.c'), h):
        if name not in want:
            continue
        ctl = 0
        m = re.search(r'RESP\((\w+)\)', rest)
        if m:
            ctl |= 1 | METHODS[m.group(1)] << 1
        if 'small_lim' in rest:
            ctl |= 1 << 5
        elif 'tight_head_lim' in rest:
            ctl |= 2 << 5
        write('http_parse', name, bytes([ctl, 0x55, 0xaa]) + raw)
    # a head and a chunked body carrying a second, smuggled request
    write('http_parse', 'chunked body smuggle', bytes([0, 0x40, 0xc0]) +
          b'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'
          b'5\r\nhello\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n')
    write('http_parse', 'chunked ext trailer', bytes([0, 0x20, 0x90]) +
          b'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'
          b'5;a=b\r\nhello\r\n0\r\nX-T: 1\r\n\r\n')
    kinds = {'HTTP_BODY_LENGTH': 1, 'HTTP_BODY_NONE': 0,
             'HTTP_BODY_EOF': 3, 'HTTP_BODY_TUNNEL': 4}
    for name, raw, rest in cases(
            os.path.join(ROOT, 'tests/unit/http/test_body.c'), {}):
        m = re.search(r'\.kind = (\w+)', rest)
        ctl = kinds[m.group(1)] if m else 2
        if '.response = true' in rest:
            ctl |= 8
        if '.small = true' in rest:
            ctl |= 0x10
        m = re.search(r'\.cl = (\d+)', rest)
        cl = int(m.group(1)) - 1 if m else 0
        write('http_body', name, bytes([ctl, cl, 0x55, 0xaa]) + raw)


def conf_seeds():
    for f in ('gatehouse.conf', 'relay.conf'):
        write('conf', f, open(os.path.join(ROOT, 'config', f), 'rb').read())
    path = os.path.join(ROOT, 'tests/unit/conf/test_conf.c')
    src = re.sub(r'/\*.*?\*/', '', open(path).read(), flags=re.S)
    macros = string_macros(src)
    for m in re.finditer(r'static const char (\w+)\[\] =', src):
        try:
            toks, _ = tokens(src, m.end())
            write('conf', m.group(1), join(toks, macros))
        except (KeyError, ValueError):
            pass
    for name in ('PORT_IN', 'FWD_HEAD'):
        if name in macros:
            write('conf', name.lower(), macros[name])


def dns_name(s):
    out = b''
    for label in s.split('.'):
        out += bytes([len(label)]) + label.encode()
    return out + b'\0'


def dns_msg(id_, flags, qd, an, ns, body):
    return struct.pack('>HHHHHH', id_, flags, qd, an, ns, 0) + body


def dns_seeds():
    q = dns_name('www.example.com') + struct.pack('>HH', 1, 1)
    ptr = b'\xc0\x0c'

    def rr(typ, ttl, rdata, owner=ptr):
        return owner + struct.pack('>HHIH', typ, 1, ttl, len(rdata)) + rdata

    soa = (dns_name('ns.example.com') + dns_name('h.example.com') +
           struct.pack('>IIIII', 1, 2, 3, 4, 60))
    seeds = {
        'a': dns_msg(0x1234, 0x8180, 1, 1, 0, q + rr(1, 300, b'\x5d\xb8\xd8\x22')),
        'cname a': dns_msg(0x1234, 0x8180, 1, 2, 0, q +
                           rr(5, 60, b'\x01x' + ptr) +
                           rr(1, 60, b'\x01\x02\x03\x04', b'\x01x' + ptr)),
        'nxdomain soa': dns_msg(0x1234, 0x8183, 1, 0, 1, q +
                                rr(6, 600, soa, dns_name('example.com'))),
        'nodata': dns_msg(0x1234, 0x8180, 1, 0, 0, q),
        'servfail': dns_msg(0x1234, 0x8182, 1, 0, 0, q),
        'refused no question': dns_msg(0x1234, 0x8185, 0, 0, 0, b''),
        'truncated': dns_msg(0x1234, 0x8380, 1, 0, 0, q),
        'pointer loop': dns_msg(0x1234, 0x8180, 1, 1, 0, q +
                                rr(1, 60, b'\x01\x02\x03\x04', b'\xc0\x21')),
        'cname loop': dns_msg(0x1234, 0x8180, 1, 1, 0, q + rr(5, 60, ptr)),
        'upper case': dns_msg(0x1234, 0x8180, 1, 1, 0,
                              dns_name('WWW.Example.COM') +
                              struct.pack('>HH', 1, 1) +
                              rr(1, 5, b'\x0a\x00\x00\x01')),
    }
    for name, msg in seeds.items():
        write('dns_wire', name, b'\0' + msg)
    write('dns_wire', 'name literal', b'\0' + b'192.0.2.1')
    write('dns_wire', 'name host', b'\0' + b'Foo-1.Example.ORG.')


# fuzz_tcp records (see the comment at the top of tests/fuzz/fuzz_tcp.c)
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
MSS = b'\x02\x04\x05\xb4'
SYN_OPTS = MSS + b'\x04\x02\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x00' + \
    b'\x01\x03\x03\x07'


def seg(flags, flow, data=b'', opts=b'', seq=None, ack=None, wnd=None,
        ack_iss=False, op=0):
    sel = flow
    extra = b''
    if seq is not None:  # a delta from B's next sequence number
        sel |= 1 << 3
        extra += struct.pack('b', seq)
    if ack_iss:
        sel |= 3 << 5
    elif ack is not None:
        sel |= 1 << 5
        extra += struct.pack('b', ack)
    if wnd is not None:
        sel |= 0x80
        extra += struct.pack('>H', wnd)
    assert len(data) < 200
    return bytes([op, flags, sel]) + extra + bytes([len(opts)]) + opts + \
        bytes([len(data)]) + data


def big(flags, flow, n):
    """a pattern payload of n * 26 bytes (n 1..56)"""
    return bytes([0, flags, flow, 0, 199 + n])


def clock(ms10):
    return bytes([4, ms10])


def act(what, conn, n=0):
    return bytes([5, what | conn << 4, n])


def raw(flow, tcp_bytes, keep_ports=False):
    return bytes([6, flow | (8 if keep_ports else 0), len(tcp_bytes)]) + \
        tcp_bytes


def tcp_seeds():
    hs = seg(SYN, 0, opts=SYN_OPTS) + seg(ACK, 0)
    seeds = {
        'passive data fin': b'\0' + hs + seg(ACK | PSH, 0, b'hello') +
        act(0, 0, 2) + seg(ACK, 0) + seg(FIN | ACK, 0) + clock(100) +
        act(3, 0) + seg(ACK, 0),
        'active open': b'\0' + seg(SYN | ACK, 2, opts=MSS, ack_iss=True) +
        seg(ACK | PSH, 2, b'220 hi\r\n') + act(0, 4, 40) + clock(30) +
        seg(ACK, 2) + seg(RST, 2),
        'active refused': b'\0' + seg(RST | ACK, 2, ack_iss=True),
        'syn cookies': b'\x02' + seg(SYN, 0, opts=SYN_OPTS) +
        seg(SYN, 1, opts=MSS) + seg(ACK, 1) + seg(ACK | PSH, 1, b'GET /'),
        'closed port': b'\0' + seg(SYN, 3) + seg(ACK, 3, b'x'),
        'raw bad offset': b'\0' + hs + raw(0, bytes(12) + b'\xf0\x10' +
                                             bytes(6) + b'abc'),
        'raw short': b'\0' + raw(0, b'\x9c\x40\x00\x50\x00'),
        'out of order sack': b'\0' + hs + seg(ACK, 0, b'b' * 50, seq=50) +
        seg(ACK, 0, b'a' * 50, seq=-100) + seg(ACK, 0, b'c' * 10) +
        act(0, 0, 100) + seg(ACK, 0, opts=b'\x01\x01\x05\x0a' + bytes(8)),
        'zero window persist': b'\x01' + hs + seg(ACK, 0, wnd=0) +
        act(0, 0, 60) + clock(50) + clock(100) + clock(250) +
        seg(ACK, 0, wnd=4096) + act(1, 0),
        'rto backoff': b'\0' + hs + act(0, 0, 200) + clock(30) + clock(60) +
        clock(120) + clock(250) + clock(250) + clock(250),
        'rst in window': b'\0' + hs + seg(RST, 0, seq=10) + seg(RST, 0, seq=-10),
        'keepalive': b'\x08' + hs + clock(150) + clock(150) + clock(150) +
        clock(150),
        'bad checksum': b'\0' + seg(SYN, 0, op=7) + hs,
        'big segments': b'\0' + hs + big(ACK, 0, 56) + big(ACK | FIN, 0, 20) +
        act(2, 0) + seg(ACK, 0),
        'unlisten half open': b'\0' + seg(SYN, 0) + act(5, 0) + seg(ACK, 0) +
        act(5, 0) + seg(SYN, 1),
        'abort': b'\0' + hs + act(4, 0) + seg(ACK, 0, b'late'),
        'pool exhausted': b'\x10' + b''.join(
            seg(SYN, f, opts=MSS) + seg(ACK, f) for f in (0, 1, 4, 5, 6, 7)) +
        act(3, 0) + seg(FIN | ACK, 0) + clock(255),
    }
    for name, data in seeds.items():
        write('tcp', name, data)


if __name__ == '__main__':
    http_seeds()
    conf_seeds()
    dns_seeds()
    tcp_seeds()
