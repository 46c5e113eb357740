#!/usr/bin/env python3
"""A forward HTTP proxy for the image-store tests (loopback only).

    scripts/forward-proxy.py --port-file FILE --log FILE [--user U --password P]

Serves CONNECT tunnels and absolute-URI requests (GET http://host:port/path) the way
corporate proxies do, with one test twist: every upstream host is reached at 127.0.0.1
(same port), so a test can use made-up registry names and still keep its traffic on
loopback. With --user/--password it demands `Proxy-Authorization: Basic` (else 407).
Each request line is appended to the log. Standard library only.
"""
import argparse, base64, socket, socketserver, sys, threading

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--user")
    ap.add_argument("--password")
    a = ap.parse_args()
    want = None
    if a.user:
        want = "Basic " + base64.b64encode(f"{a.user}:{a.password or ''}".encode()).decode()
    lock = threading.Lock()

    def log(line):
        with lock, open(a.log, "a") as f:
            f.write(line + "\n")

    def pipe(src, dst):
        try:
            while True:
                d = src.recv(65536)
                if not d:
                    break
                dst.sendall(d)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            head = b""
            while b"\r\n\r\n" not in head:
                d = self.request.recv(65536)
                if not d:
                    return
                head += d
            raw, rest = head.split(b"\r\n\r\n", 1)
            lines = raw.decode("latin-1").split("\r\n")
            method, target, version = lines[0].split(" ", 2)
            headers = {}
            for l in lines[1:]:
                k, _, v = l.partition(":")
                headers[k.strip().lower()] = v.strip()
            log(f"{method} {target}")
            if want and headers.get("proxy-authorization") != want:
                self.request.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"swtest\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            if method == "CONNECT":
                port = int(target.rsplit(":", 1)[1])
                up = socket.create_connection(("127.0.0.1", port))
                self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                t = threading.Thread(target=pipe, args=(up, self.request), daemon=True)
                t.start()
                if rest:
                    up.sendall(rest)
                pipe(self.request, up)
                t.join()
                up.close()
                return
            if not target.startswith("http://"):
                self.request.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            hostport, _, path = target[len("http://"):].partition("/")
            port = int(hostport.rsplit(":", 1)[1]) if ":" in hostport else 80
            up = socket.create_connection(("127.0.0.1", port))
            out = [f"{method} /{path} {version}"] + [l for l in lines[1:] if not l.lower().startswith("proxy-")]
            up.sendall(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + rest)
            pipe(up, self.request)
            up.close()

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    srv = Server(("127.0.0.1", 0), Handler)
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()

if __name__ == "__main__":
    sys.exit(main())
