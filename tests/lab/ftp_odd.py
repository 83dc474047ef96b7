#!/usr/bin/env python3
"""A scripted FTP server for tests/lab/ftp.sh: the replies vsftpd never
sends.  Listens on HOST:PORT (the origin namespace); what it does depends
on the user the gateway logs in as:

  anonymous  530 to USER: the gateway answers 401 (no credentials given)
  bounce     EPSV refused (500), PASV names 198.18.255.254 (another
             address than the server's): the gateway must refuse (502)
             and never connect there
  multi      every reply multi-line, with digit-led lines and a bare LF
             inside; a real PASV data connection; RETR sends DATA (the
             bytes of ftp_odd.py's FILE argument)
  huge       a multi-line greeting answer longer than any bound (8 KiB)
  garbage    answers PASS with a line that is not an FTP reply

    ftp_odd.py HOST PORT FILE
"""
import socket
import socketserver
import sys

HOST, PORT, FILE = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(FILE, 'rb') as f:
    DATA = f.read()


class Session(socketserver.StreamRequestHandler):
    timeout = 20

    def send(self, text):
        self.wfile.write(text.encode('latin1'))
        self.wfile.flush()

    def handle(self):
        user = None
        data_srv = None
        self.send('220-odd lab FTP server\r\n213 a line that looks like a reply\r\n'
                  '220-still going\n220 ready\r\n')
        while True:
            line = self.rfile.readline(1024)
            if not line:
                return
            cmd, _, arg = line.decode('latin1').strip().partition(' ')
            cmd = cmd.upper()
            if cmd == 'USER':
                user = arg
                if user == 'anonymous':
                    self.send('530 no anonymous here\r\n')
                elif user == 'huge':
                    self.send('331-' + 'x' * 100 + '\r\n')
                    for _ in range(100):
                        self.send('331-' + 'y' * 100 + '\r\n')
                    self.send('331 end\r\n')
                elif user == 'multi':
                    self.send('331-password please\r\n 331 not the end\r\n331 go on\r\n')
                else:
                    self.send('331 password\r\n')
            elif cmd == 'PASS':
                if user == 'garbage':
                    self.send('HELLO THERE\r\n')
                elif user == 'multi':
                    self.send('230-welcome\r\n230-\r\n230 in\r\n')
                else:
                    self.send('230 in\r\n')
            elif cmd == 'TYPE':
                self.send('200 type set\r\n')
            elif cmd == 'SIZE':
                self.send('213-size\r\n213 %d\r\n' % len(DATA) if user == 'multi'
                          else '213 %d\r\n' % len(DATA))
            elif cmd == 'MDTM':
                self.send('213 20200101000000\r\n')
            elif cmd == 'EPSV':
                self.send('500 no EPSV here\r\n')
            elif cmd == 'PASV':
                if user == 'bounce':
                    self.send('227 Entering Passive Mode (198,18,255,254,117,48)\r\n')
                    continue
                data_srv = socket.socket()
                data_srv.bind((HOST, 0))
                data_srv.listen(1)
                data_srv.settimeout(20)
                p = data_srv.getsockname()[1]
                h = HOST.replace('.', ',')
                self.send('227-passive\r\n227 Entering Passive Mode (%s,%d,%d)\r\n'
                          % (h, p >> 8, p & 255))
            elif cmd == 'RETR' and data_srv is not None:
                conn, _ = data_srv.accept()
                self.send('150-opening\r\n150 here it comes\r\n')
                conn.sendall(DATA)
                conn.close()
                data_srv.close()
                data_srv = None
                self.send('226-done\r\n226 transfer complete\r\n')
            elif cmd == 'QUIT':
                self.send('221 bye\r\n')
                return
            else:
                self.send('502 not here\r\n')


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


Server((HOST, PORT), Session).serve_forever()
