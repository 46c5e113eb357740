#!/usr/bin/env python3
"""A fault-injecting HTTP proxy in front of a test registry (stdlib only).

    scripts/fault-proxy.py --upstream 127.0.0.1:PORT --port-file FILE \
        [--token-user tester --token-password s3cret] [--token-ttl 300] \
        [--upstream-user U --upstream-password P] [--port N]

Listens on 127.0.0.1 (a free port unless --port), writes the port to FILE
(atomically) once it accepts connections, logs one line per request to stderr,
and exits 0 on SIGTERM/SIGINT.

Faults are chosen by path segments the test puts in front of the repository:

    GET /v2/fault-500once/swtest/busybox/blobs/sha256:...
        -> upstream GET /v2/swtest/busybox/blobs/sha256:...

Several may be stacked (/v2/fault-429once/fault-corrupt/swtest/...). Location
headers from upstream (upload URLs) are rewritten to the proxy, prefix kept.
"First time" is per (method, path without query) and per proxy process;
POST /_fault/reset forgets it (and the log).

    fault-500once     first request answers 500 UNKNOWN, later ones forward
    fault-429once     first request answers 429 TOOMANYREQUESTS, Retry-After: 0
    fault-reset       first request: connection closed with a TCP RST, no answer
    fault-eof         first request: connection closed (FIN) without an answer
    fault-truncate    first GET answered 200/206: full Content-Length header,
                      half the body, then the connection is closed
    fault-corrupt     every blob GET body (200/206) has one byte flipped
    fault-corruptmanifest  same for every manifest GET body
    fault-redirect    every blob GET answers 307 to
                      http://127.0.0.1:P/redirected/REPO/blobs/DIGEST?X-Amz-...
                      which serves the blob without auth (like S3 presigned
                      URLs); Range is honoured there too
    public            (token mode) the repository may be pulled anonymously

Range headers are forwarded as they are (the registry answers 206).

With --token-user, the proxy demands Bearer tokens the way Docker Hub does:
401 + WWW-Authenticate: Bearer realm="http://127.0.0.1:P/token",service="swtest",
scope="repository:NAME:pull" (NAME as the client addressed it, prefixes
included; "pull,push" for writes). GET /token?service=swtest&scope=... with
the right Basic credentials grants what is asked; anonymous requests get pull
on repositories whose name has the public segment (public/swtest/busybox) and
an empty grant otherwise (then the registry answers 401 insufficient_scope, as
Docker Hub does); wrong credentials get 401. Tokens expire after --token-ttl.

Control endpoints (no auth): GET /_fault/log (JSON list of requests seen),
POST /_fault/reset.
"""

import argparse
import base64
import datetime
import http.client
import http.server
import io
import json
import os
import re
import secrets
import signal
import socket
import struct
import sys
import threading
import time
import urllib.parse

FAULTS = {"500once", "429once", "reset", "eof", "truncate", "corrupt", "corruptmanifest", "redirect"}
ONCE = {"500once", "429once", "reset", "eof"}
HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
       "trailers", "transfer-encoding", "upgrade", "content-length", "host"}
REPO_RE = re.compile(r"^(.+?)/(manifests|blobs|tags)(/.*)?$")


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.seen = set()         # (fault, method, path) already faulted once
        self.log = []
        self.tokens = {}          # token -> {"expires": t, "access": {name: set(actions)}, "user": u}
        self.port = None

    def first(self, fault, method, path):
        with self.lock:
            key = (fault, method, path)
            if key in self.seen:
                return False
            self.seen.add(key)
            return True

    def record(self, entry):
        with self.lock:
            self.log.append(entry)
            if len(self.log) > 10000:
                del self.log[:5000]


def error_body(code, message, detail=None):
    e = {"code": code, "message": message}
    if detail is not None:
        e["detail"] = detail
    return json.dumps({"errors": [e]}).encode()


def parse_v2(path):
    """'/v2/fault-x/public/swtest/busybox/blobs/..' ->
    (faults, public, prefix_segments, upstream_path, client_repo, upstream_repo, kind, rest)"""
    segs = path[len("/v2/"):].split("/") if path.startswith("/v2/") else []
    faults, public, i = [], False, 0
    while i < len(segs) and (segs[i].startswith("fault-") or segs[i] == "public"):
        if segs[i] == "public":
            public = True
        else:
            faults.append(segs[i][len("fault-"):])
        i += 1
    prefix = segs[:i]
    tail = "/".join(segs[i:])
    upstream_path = "/v2/" + tail
    client_repo = upstream_repo = kind = rest = None
    m = REPO_RE.match(tail)
    if m:
        upstream_repo = m.group(1)
        client_repo = "/".join(prefix + [upstream_repo])
        rest = (m.group(3) or "").lstrip("/")
        kind = m.group(2)
        if kind == "blobs" and rest.startswith("uploads"):
            kind = "uploads"
    return faults, public, prefix, upstream_path, client_repo, upstream_repo, kind, rest


def repo_is_public(name):
    segs = name.split("/")
    for s in segs:
        if s == "public":
            return True
        if not s.startswith("fault-"):
            return False
    return False


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "swtest-fault-proxy/1"
    sys_version = ""

    # ------------------------------------------------------------ plumbing
    def log_request(self, code="-", size="-"):
        pass  # one line per request is written by _log

    def log_message(self, fmt, *args):
        sys.stderr.write("fault-proxy: %s\n" % (fmt % args))

    def _log(self, status, note=""):
        st = self.server.state
        line = '%s "%s" %s%s' % (self.client_address[0], self.requestline, status, (" [%s]" % note) if note else "")
        sys.stderr.write("fault-proxy: " + line + "\n")
        sys.stderr.flush()
        st.record({"method": self.command, "path": self.path, "status": status, "note": note,
                   "range": self.headers.get("Range"), "authorization": self.headers.get("Authorization") is not None,
                   "time": time.time()})

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                line = self.rfile.readline()
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, status, body=b"", headers=(), note="", content_type="application/json; charset=utf-8"):
        self.send_response(status)
        have_ct = False
        for k, v in headers:
            if k.lower() == "content-type":
                have_ct = True
            self.send_header(k, v)
        if body and not have_ct:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Docker-Distribution-Api-Version", "registry/2.0")
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)
        self._log(status, note)

    def _abort(self, rst, note):
        """Drop the connection without (the rest of) an answer: RST or FIN."""
        self.close_connection = True
        try:
            self.wfile.flush()
        except (OSError, ValueError):
            pass
        try:
            if rst:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                self.connection.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        self._log("-", note)
        # Close every reference now so the RST/FIN goes out at once; leave
        # harmless stand-ins for the base class's final flush.
        for fobj in (self.wfile, self.rfile):
            try:
                fobj.close()
            except (OSError, ValueError):
                pass
        try:
            self.connection.close()
        except OSError:
            pass
        self.wfile = io.BytesIO()
        self.rfile = io.BytesIO()

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass

    def _upstream(self, method, path, body, extra_headers=None, drop_auth=False):
        args = self.server.state.args
        host, port = args.upstream.rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=120)
        headers = {}
        for k, v in self.headers.items():
            if k.lower() in HOP:
                continue
            if drop_auth and k.lower() == "authorization":
                continue
            headers[k] = v
        if args.upstream_user is not None:
            headers["Authorization"] = "Basic " + base64.b64encode(
                ("%s:%s" % (args.upstream_user, args.upstream_password or "")).encode()).decode()
        headers.update(extra_headers or {})
        headers["Host"] = args.upstream
        if body or method in ("PUT", "POST", "PATCH"):
            headers["Content-Length"] = str(len(body))
        conn.request(method, path, body=body or None, headers=headers)
        resp = conn.getresponse()
        data = resp.read() if method != "HEAD" else b""
        hdrs = resp.getheaders()
        conn.close()
        return resp.status, hdrs, data

    def _rewrite_location(self, loc, prefix):
        args = self.server.state.args
        u = urllib.parse.urlsplit(loc)
        if u.netloc and u.netloc != args.upstream:
            return loc                   # somewhere else entirely: leave it
        path = u.path
        if path.startswith("/v2/") and prefix:
            path = "/v2/" + "/".join(prefix) + "/" + path[len("/v2/"):]
        return urllib.parse.urlunsplit(("http", "127.0.0.1:%d" % self.server.state.port, path, u.query, ""))

    # ------------------------------------------------------------- token auth
    def _challenge(self, repo, write, error=None):
        st = self.server.state
        realm = "http://127.0.0.1:%d/token" % st.port
        value = 'Bearer realm="%s",service="swtest"' % realm
        action = "pull,push" if write else "pull"
        if repo:
            value += ',scope="repository:%s:%s"' % (repo, action)
        if error:
            value += ',error="%s"' % error
        detail = [{"Type": "repository", "Class": "", "Name": repo, "Action": action}] if repo else None
        self._send(401, error_body("UNAUTHORIZED", "authentication required", detail),
                   [("WWW-Authenticate", value)], note="auth: %s" % (error or "no token"))

    def _authorized(self, repo, write):
        """True, or sends the 401 and returns False."""
        st = self.server.state
        if st.args.token_user is None:
            return True
        auth = self.headers.get("Authorization", "")
        if not auth.lower().startswith("bearer "):
            self._challenge(repo, write)
            return False
        tok = auth.split(None, 1)[1].strip()
        with st.lock:
            info = st.tokens.get(tok)
        if info is None or info["expires"] < time.time():
            self._challenge(repo, write, "invalid_token")
            return False
        if repo is None:
            return True
        need = {"pull", "push"} if write else {"pull"}
        if not need <= info["access"].get(repo, set()):
            self._challenge(repo, write, "insufficient_scope")
            return False
        return True

    def _token(self, query):
        st = self.server.state
        q = urllib.parse.parse_qs(query, keep_blank_values=True)
        service = q.get("service", ["swtest"])[0]
        if service != "swtest":
            return self._send(400, json.dumps({"details": "unknown service %r" % service}).encode(), note="token: bad service")
        user = None
        auth = self.headers.get("Authorization", "")
        if auth:
            if not auth.lower().startswith("basic "):
                return self._send(401, json.dumps({"details": "basic credentials expected"}).encode(),
                                  [("WWW-Authenticate", 'Basic realm="swtest-token"')], note="token: not basic")
            try:
                u, _, p = base64.b64decode(auth.split(None, 1)[1]).decode().partition(":")
            except Exception:
                u, p = None, None
            if u != st.args.token_user or p != st.args.token_password:
                return self._send(401, json.dumps({"details": "incorrect username or password"}).encode(),
                                  [("WWW-Authenticate", 'Basic realm="swtest-token"')], note="token: bad credentials")
            user = u
        access = {}
        granted = []
        for scope in q.get("scope", []):
            for one in scope.split(" "):
                parts = one.split(":")
                if len(parts) < 3 or parts[0] != "repository":
                    continue
                name, actions = ":".join(parts[1:-1]), set(parts[-1].split(","))
                if user is None:
                    actions = {"pull"} & actions if repo_is_public(name) else set()
                else:
                    actions = actions & {"pull", "push", "delete", "*"}
                    if "*" in actions:
                        actions |= {"pull", "push", "delete"}
                if actions:
                    access.setdefault(name, set()).update(actions)
                    granted.append("%s:%s" % (name, ",".join(sorted(actions))))
        tok = "swtest-" + secrets.token_urlsafe(24)
        ttl = st.args.token_ttl
        with st.lock:
            st.tokens[tok] = {"expires": time.time() + ttl, "access": access, "user": user}
        issued = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = json.dumps({"token": tok, "access_token": tok, "expires_in": ttl, "issued_at": issued}).encode()
        self._send(200, body, note="token: %s %s" % (user or "anonymous", " ".join(granted) or "(nothing)"))

    # --------------------------------------------------------------- serving
    def do_GET(self):
        self._handle()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _handle(self):
        try:
            self._dispatch()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as exc:  # keep serving; tell the client
            self.log_message("error on %s: %r", self.requestline, exc)
            try:
                self._send(502, error_body("UNKNOWN", "proxy error: %s" % exc), note="proxy error")
            except OSError:
                self.close_connection = True

    def _dispatch(self):
        st = self.server.state
        u = urllib.parse.urlsplit(self.path)
        path = u.path
        body = self._body()
        if path == "/_fault/log":
            with st.lock:
                data = json.dumps(st.log).encode()
            return self._send(200, data, note="control")
        if path == "/_fault/reset":
            with st.lock:
                st.seen.clear()
                st.log.clear()
            return self._send(200, b"{}", note="control")
        if path == "/token":
            if self.command != "GET":
                return self._send(405, json.dumps({"details": "use GET"}).encode(), [("Allow", "GET")], note="token")
            return self._token(u.query)
        if path.startswith("/redirected/"):
            up = "/v2/" + path[len("/redirected/"):]
            status, hdrs, data = self._upstream(self.command, up, body, drop_auth=True)
            note = "redirected" + (" (client sent Authorization)" if self.headers.get("Authorization") else "")
            return self._relay(status, hdrs, data, [], [], "blobs", note)
        if not (path == "/v2" or path.startswith("/v2/")):
            return self._send(404, error_body("NOT_FOUND", "not a registry path"), note="unknown path")

        faults, public, prefix, up_path, repo, up_repo, kind, rest = parse_v2(path)
        bad = [x for x in faults if x not in FAULTS]
        if bad:
            return self._send(400, error_body("UNSUPPORTED", "unknown fault %s" % ",".join(bad)), note="bad fault")
        # Faults that replace the answer, before auth (a flaky front end).
        for fault in faults:
            if fault in ONCE and st.first(fault, self.command, path):
                if fault == "500once":
                    return self._send(500, error_body("UNKNOWN", "injected fault 500once"), note=fault)
                if fault == "429once":
                    return self._send(429, error_body("TOOMANYREQUESTS", "injected fault 429once"),
                                      [("Retry-After", "0")], note=fault)
                if fault == "reset":
                    return self._abort(True, fault)
                if fault == "eof":
                    return self._abort(False, fault)
        write = self.command not in ("GET", "HEAD")
        if not self._authorized(repo, write):
            return
        if "redirect" in faults and kind == "blobs" and self.command == "GET":
            loc = "http://127.0.0.1:%d/redirected/%s/blobs/%s?X-Amz-Expires=300&X-Amz-Signature=swtest" % (
                st.port, up_repo, rest)
            return self._send(307, b"", [("Location", loc)], note="redirect")
        query = ("?" + u.query) if u.query else ""
        token_mode = st.args.token_user is not None
        status, hdrs, data = self._upstream(self.command, up_path + query, body, drop_auth=token_mode)
        self._relay(status, hdrs, data, faults, prefix, kind,
                    ("forwarded, faults " + ",".join(faults)) if faults else "forwarded")

    def _relay(self, status, hdrs, data, faults, prefix, kind, note):
        st = self.server.state
        out = []
        for k, v in hdrs:
            lk = k.lower()
            if lk in HOP or lk == "docker-distribution-api-version":
                continue
            if lk == "location":
                v = self._rewrite_location(v, prefix)
            out.append((k, v))
        has_body = self.command == "GET" and status in (200, 206) and data
        if has_body and (("corrupt" in faults and kind == "blobs") or
                         ("corruptmanifest" in faults and kind == "manifests")):
            b = bytearray(data)
            b[len(b) // 2] ^= 0xFF
            data = bytes(b)
            note += " flipped byte %d" % (len(b) // 2)
        if has_body and "truncate" in faults and st.first("truncate", self.command, self.path.split("?")[0]):
            self.send_response(status)
            for k, v in out:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Docker-Distribution-Api-Version", "registry/2.0")
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            return self._abort(False, note + " truncated %d/%d" % (len(data) // 2, len(data)))
        if self.command == "HEAD":
            # Keep the upstream Content-Length for HEAD.
            self.send_response(status)
            for k, v in hdrs:
                lk = k.lower()
                if lk in HOP and lk != "content-length":
                    continue
                if lk == "docker-distribution-api-version":
                    continue
                if lk == "location":
                    v = self._rewrite_location(v, prefix)
                self.send_header(k, v)
            self.send_header("Docker-Distribution-Api-Version", "registry/2.0")
            self.end_headers()
            return self._log(status, note)
        self._send(status, data, out, note=note)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description="fault-injecting proxy for registry tests")
    ap.add_argument("--upstream", required=True, help="host:port of the registry")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--token-user")
    ap.add_argument("--token-password")
    ap.add_argument("--token-ttl", type=int, default=300)
    ap.add_argument("--upstream-user")
    ap.add_argument("--upstream-password")
    args = ap.parse_args()
    if args.token_user is not None and args.token_password is None:
        ap.error("--token-user needs --token-password")

    server = Server(("127.0.0.1", args.port), Handler)
    server.state = State(args)
    server.state.port = server.server_address[1]

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as fh:
        fh.write("%d\n" % server.state.port)
    os.replace(tmp, args.port_file)
    sys.stderr.write("fault-proxy: listening on 127.0.0.1:%d -> %s%s\n" % (
        server.state.port, args.upstream, " (token auth)" if args.token_user else ""))
    sys.stderr.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    sys.stderr.write("fault-proxy: stopped\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
