#!/usr/bin/env bash
# Smoke test of the image-store fixtures: two registries, the test images,
# the fault proxy (plain and token mode). Everything lives in one mktemp dir
# and is stopped by pid and removed at the end, pass or fail.
#
#   scripts/test-fixtures-smoke.sh          # prints "N passed, M failed"; exit 1 on any failure
#   KEEP=1 scripts/test-fixtures-smoke.sh   # keep the temp dir (processes are still stopped)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/swtest-fixtures.XXXXXX")

stop_pid() { # PIDFILE: TERM the pid, wait for it, KILL after 5s
  local f=$1 pid i
  [ -s "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true   # our own child: reap it
  rm -f "$f"
}

cleanup() {
  local rc=$?
  set +e
  for p in "$tmp"/proxy-pid "$tmp"/token-proxy-pid "$tmp"/ttl-proxy-pid; do stop_pid "$p"; done
  "$here/test-registry.sh" stop "$tmp/reg"
  if [ "$rc" -ne 0 ]; then
    for log in "$tmp"/*.log "$tmp"/reg/*.log; do
      [ -f "$log" ] && { echo "--- tail $log" >&2; tail -n 15 "$log" >&2; }
    done
  fi
  if [ -n "${KEEP:-}" ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$here/test-registry.sh" start "$tmp/reg" >"$tmp/start.out"
reg=127.0.0.1:$(cat "$tmp/reg/port")
areg=127.0.0.1:$(cat "$tmp/reg/auth-port")

python3 "$here/make-test-images.py" --registry "$reg" --auth-registry "$areg" \
  --user tester --password s3cret --out "$tmp/out" >"$tmp/images.out"
# Second run: pushes are idempotent and every digest must come out the same.
python3 "$here/make-test-images.py" --registry "$reg" --out "$tmp/out2" >/dev/null

start_proxy() { # NAME ARGS...
  local name=$1; shift
  python3 "$here/fault-proxy.py" --port-file "$tmp/$name-port" "$@" \
    </dev/null 2>"$tmp/$name.log" &
  echo $! >"$tmp/$name-pid"
  local i
  for i in $(seq 1 100); do [ -s "$tmp/$name-port" ] && return 0; sleep 0.1; done
  echo "fault-proxy $name did not start" >&2; return 1
}
start_proxy proxy --upstream "$reg"
start_proxy token-proxy --upstream "$reg" --token-user tester --token-password s3cret
start_proxy ttl-proxy --upstream "$reg" --token-user tester --token-password s3cret --token-ttl 1

python3 - "$tmp" "$here" <<'PYEOF'
import base64, gzip, hashlib, http.client, importlib.util, io, json, os, re, socket, subprocess, sys, tarfile, time

tmp, here = sys.argv[1], sys.argv[2]
spec = importlib.util.spec_from_file_location("mti", os.path.join(here, "make-test-images.py"))
mti = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mti)

exp = json.load(open(os.path.join(tmp, "out", "expected.json")))
exp2 = json.load(open(os.path.join(tmp, "out2", "expected.json")))
REG = exp["registry"]
AREG = exp["auth_registry"]
PROXY = "127.0.0.1:" + open(os.path.join(tmp, "proxy-port")).read().strip()
TPROXY = "127.0.0.1:" + open(os.path.join(tmp, "token-proxy-port")).read().strip()
TTLPROXY = "127.0.0.1:" + open(os.path.join(tmp, "ttl-proxy-port")).read().strip()
ALL_ACCEPT = ", ".join([mti.MT_OCI_INDEX, mti.MT_DOCKER_LIST, mti.MT_OCI_MANIFEST, mti.MT_DOCKER_MANIFEST])
BASIC = "Basic " + base64.b64encode(b"tester:s3cret").decode()

passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: %s %s" % (name, detail))


def req(hostport, method, path, headers=None, body=None):
    """-> (status, headers dict (lower-case keys), body) or raises on a connection error."""
    host, port = hostport.rsplit(":", 1)
    c = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        c.close()


def errcode(body):
    try:
        return json.loads(body)["errors"][0]["code"]
    except Exception:
        return None


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def decompress(blob, compression):
    if compression == "gzip":
        return gzip.decompress(blob)
    if compression == "zstd":
        return subprocess.run(["zstd", "-d", "-q", "-c"], input=blob, stdout=subprocess.PIPE, check=True).stdout
    return blob


def url_path(u):
    m = re.match(r"^https?://[^/]+(/.*)$", u)
    return m.group(1) if m else u


# ------------------------------------------------------- determinism, layout
def digests(e):
    out = {}
    for ref, d in e["images"].items():
        out[ref] = (d["digest"], [l["digest"] for l in d.get("layers", [])], d.get("config", {}).get("digest"))
    return out
check("second run gives identical digests", digests(exp) == digests(exp2))
check("second run gives identical trees",
      {k: v.get("tree") for k, v in exp["images"].items()} == {k: v.get("tree") for k, v in exp2["images"].items()})
layout = json.load(open(os.path.join(tmp, "out", "oci", "index.json")))
check("OCI layout lists every image", len(layout["manifests"]) == len(exp["images"]))
for m in layout["manifests"]:
    p = os.path.join(tmp, "out", "oci", "blobs", "sha256", m["digest"][7:])
    check("layout blob %s" % m["annotations"]["org.opencontainers.image.ref.name"],
          os.path.isfile(p) and sha(open(p, "rb").read()) == m["digest"])

# ------------------------------------------------------------ the registry
def fetch_manifest(hostport, repo, ref, accept, headers=None):
    h = {"Accept": accept}
    h.update(headers or {})
    return req(hostport, "GET", "/v2/%s/manifests/%s" % (repo, ref), h)


def verify_image(ref, repo, d, hostport=REG):
    """d: a kind-manifest description."""
    st, h, body = fetch_manifest(hostport, repo, d["digest"], d["accept"])
    check("%s by digest" % ref, st == 200 and sha(body) == d["digest"], "%d" % st)
    m = json.loads(body)
    st, h, cfg = req(hostport, "GET", "/v2/%s/blobs/%s" % (repo, d["config"]["digest"]))
    check("%s config blob" % ref, st == 200 and sha(cfg) == d["config"]["digest"])
    cfg = json.loads(cfg)
    check("%s config platform" % ref, cfg["architecture"] == d["platform"]["architecture"] and cfg["os"] == "linux")
    if "malicious" in d and "urls" in d["layers"][0]:
        st, h, b = req(hostport, "GET", "/v2/%s/blobs/%s" % (repo, d["layers"][0]["digest"]))
        check("%s foreign layer blob absent" % ref, st == 404 and errcode(b) == "BLOB_UNKNOWN", "%d" % st)
        return None
    tars = []
    for i, l in enumerate(d["layers"]):
        st, h, blob = req(hostport, "GET", "/v2/%s/blobs/%s" % (repo, l["digest"]))
        check("%s layer %d blob" % (ref, i), st == 200 and sha(blob) == l["digest"], "%d" % st)
        if "actual_layer_size" in d:
            check("%s layer size really differs" % ref, len(blob) == d["actual_layer_size"] != l["size"])
        else:
            check("%s layer %d size" % (ref, i), len(blob) == l["size"])
        tar = decompress(blob, l["compression"])
        check("%s layer %d diff_id" % (ref, i), sha(tar) == l["diff_id"] == cfg["rootfs"]["diff_ids"][i])
        tars.append(tar)
    if "tree" in d:
        check("%s tree from pulled blobs" % ref, mti.apply_layers(tars) == d["tree"])
    return tars


for ref, d in exp["images"].items():
    repo, tag = ref.rsplit(":", 1)
    st, h, body = fetch_manifest(REG, repo, tag, d["accept"])
    check("%s by tag" % ref, st == 200 and sha(body) == d["digest"] and h.get("docker-content-digest") == d["digest"]
          and h.get("content-type") == d["mediaType"], "%d %s" % (st, h.get("content-type")))
    st, h, _ = req(REG, "HEAD", "/v2/%s/manifests/%s" % (repo, tag), {"Accept": ALL_ACCEPT})
    check("%s HEAD with all types" % ref, st == 200 and h.get("docker-content-digest") == d["digest"])
    if d["kind"] == "manifest":
        verify_image(ref, repo, d)
    else:
        for e in d["manifests"]:
            st, h, body = fetch_manifest(REG, repo, e["digest"], e["mediaType"])
            check("%s child %s" % (ref, e["platform"]), st == 200 and sha(body) == e["digest"])
            if e["image"]:
                verify_image("%s@%s" % (ref, e["platform"]["architecture"]), repo, e["image"])

# Hand-written facts about the merged trees (independent of apply_layers).
t = exp["images"]["swtest/busybox:schema2"]["tree"]
bb = hashlib.sha256(open("/bin/busybox", "rb").read()).hexdigest()
check("tree: a.txt whited out", "/var/lib/app/a.txt" not in t and "/var/lib/app/b.txt" in t)
check("tree: directory whiteout", not any(p.startswith("/var/lib/gone") for p in t))
check("tree: opaque dir", "/opt/dir/old.txt" not in t and "/opt/dir/new.txt" in t and "/opt/keep.txt" in t
      and t["/opt/dir"]["mode"] == 0o750)
check("tree: no whiteout files left", not any("/.wh." in p for p in t))
check("tree: /tmp 1777", t["/tmp"] == dict(t["/tmp"], type="dir", mode=0o1777, mode_octal="1777"))
check("tree: owned file", t["/var/lib/app/owned.txt"]["uid"] == 1000 and t["/var/lib/app/owned.txt"]["gid"] == 1000
      and t["/var/lib/app/owned.txt"]["mode"] == 0o640)
check("tree: busybox", t["/bin/busybox"]["sha256"] == bb and t["/bin/sh"] == dict(t["/bin/sh"], type="symlink", link="busybox"))
check("tree: hardlink", t["/bin/hardcat"]["type"] == "hardlink" and t["/bin/hardcat"]["link"] == "/bin/busybox"
      and t["/bin/hardcat"]["sha256"] == bb)
check("tree: mtime", t["/etc/mtime-file"]["mtime"] == 946684800 and t["/etc/hostname"]["mtime"] == 1700000000)
check("tree: char device", t["/srv/null"]["type"] == "char" and (t["/srv/null"]["devmajor"], t["/srv/null"]["devminor"]) == (1, 3))
check("tree: /platform amd64", t["/platform"]["sha256"] == hashlib.sha256(b"amd64").hexdigest())
to = exp["images"]["swtest/busybox:oci"]["tree"]
check("oci tree has the extra layers", "/opt/uncompressed.txt" in to and (("/opt/zstd.txt" in to) == exp["zstd"]))
mts = [l["mediaType"] for l in exp["images"]["swtest/busybox:oci"]["layers"]]
check("oci layer media types", mts[:3] == [mti.MT_OCI_LAYER_GZIP] * 3 and mti.MT_OCI_LAYER in mts
      and ((mti.MT_OCI_LAYER_ZSTD in mts) == exp["zstd"]))
multi = exp["images"]["swtest/busybox:multi"]["manifests"]
arm = [e for e in multi if e["platform"]["architecture"] == "arm64"][0]["image"]["tree"]
check("multi arm64 /platform", arm["/platform"]["sha256"] == hashlib.sha256(b"arm64").hexdigest())
check("multi has attestation entry", multi[-1]["platform"] == {"architecture": "unknown", "os": "unknown"})

# Evil layers carry their names verbatim.
def raw_names(ref):
    d = exp["images"][ref]
    names = []
    for l in d["layers"]:
        st, h, blob = req(REG, "GET", "/v2/swtest/evil/blobs/%s" % l["digest"])
        tar = decompress(blob, l["compression"])
        names += [m.name for m in tarfile.open(fileobj=io.BytesIO(tar))]
        names += [tar[0:100].rstrip(b"\0").decode()]
    return names
check("evil:absolute raw header starts with /", "/etc/swtest-escape-abs" in raw_names("swtest/evil:absolute"))
check("evil:dotdot name kept", "../../etc/swtest-escape" in raw_names("swtest/evil:dotdot"))
check("evil:symlink entries", raw_names("swtest/evil:symlink")[:2] == ["link", "link/swtest-escape-sym"])

# Distribution's answers the client has to cope with.
st, h, b = fetch_manifest(REG, "swtest/busybox", "does-not-exist", ALL_ACCEPT)
check("unknown tag: 404 MANIFEST_UNKNOWN", st == 404 and errcode(b) == "MANIFEST_UNKNOWN", "%d %s" % (st, b))
st, h, b = fetch_manifest(REG, "swtest/no-such-repo", "latest", ALL_ACCEPT)
check("unknown repo: 404 MANIFEST_UNKNOWN", st == 404 and errcode(b) == "MANIFEST_UNKNOWN", "%d %s" % (st, b))
st, h, b = req(REG, "GET", "/v2/swtest/busybox/blobs/sha256:" + "0" * 64)
check("unknown blob: 404 BLOB_UNKNOWN", st == 404 and errcode(b) == "BLOB_UNKNOWN", "%d %s" % (st, b))
st, h, b = fetch_manifest(REG, "swtest/busybox", "oci", mti.MT_DOCKER_MANIFEST)
check("OCI manifest without OCI Accept: 404", st == 404 and errcode(b) == "MANIFEST_UNKNOWN", "%d" % st)
st, h, b = fetch_manifest(REG, "swtest/busybox", "multi", mti.MT_OCI_MANIFEST)
check("OCI index without index Accept: 404", st == 404 and errcode(b) == "MANIFEST_UNKNOWN", "%d" % st)
st, h, b = req(REG, "GET", "/v2/swtest/busybox/manifests/schema2")
check("schema2 without Accept: converted to schema1",
      st == 200 and h.get("content-type") == "application/vnd.docker.distribution.manifest.v1+prettyjws", h.get("content-type"))
st, h, b = fetch_manifest(REG, "swtest/busybox", "multi-docker", mti.MT_DOCKER_MANIFEST)
check("manifest list with only schema2 Accept: the amd64 manifest",
      st == 200 and h.get("docker-content-digest") == exp["images"]["swtest/busybox:schema2"]["digest"])
layer = exp["images"]["swtest/busybox:schema2"]["layers"][1]
st, h, b = req(REG, "GET", "/v2/swtest/busybox/blobs/%s" % layer["digest"], {"Range": "bytes=10-19"})
check("registry honours Range", st == 206 and len(b) == 10 and h.get("content-range") == "bytes 10-19/%d" % layer["size"])
cfgd = exp["images"]["swtest/busybox:schema2"]["config"]
bad = json.dumps({"schemaVersion": 2, "mediaType": mti.MT_OCI_MANIFEST,
                  "config": dict(cfgd, mediaType=mti.MT_OCI_CONFIG),
                  "layers": [{"mediaType": mti.MT_OCI_LAYER_GZIP, "size": 1, "digest": "sha256:" + "0" * 64}]}).encode()
st, h, b = req(REG, "PUT", "/v2/swtest/busybox/manifests/probe-missing", {"Content-Type": mti.MT_OCI_MANIFEST}, bad)
check("manifest naming a missing blob: 400 MANIFEST_BLOB_UNKNOWN", st == 400 and errcode(b) == "MANIFEST_BLOB_UNKNOWN", "%d %s" % (st, b))

# -------------------------------------------------------- the auth registry
st, h, b = req(AREG, "GET", "/v2/")
check("auth registry: 401 Basic challenge", st == 401 and h.get("www-authenticate", "").startswith("Basic realm="), h.get("www-authenticate"))
st, h, b = req(AREG, "GET", "/v2/", {"Authorization": BASIC})
check("auth registry: 200 with credentials", st == 200)
st, h, b = req(AREG, "GET", "/v2/", {"Authorization": "Basic " + base64.b64encode(b"tester:wrong").decode()})
check("auth registry: 401 with a wrong password", st == 401)
st, h, b = fetch_manifest(AREG, "swtest/busybox", "schema2", mti.MT_DOCKER_MANIFEST, {"Authorization": BASIC})
check("auth registry: schema2 pulled", st == 200 and sha(b) == exp["auth"]["images"]["swtest/busybox:schema2"])
st, h, b = fetch_manifest(AREG, "swtest/busybox", "schema2", mti.MT_DOCKER_MANIFEST)
check("auth registry: manifest needs credentials", st == 401)

# ------------------------------------------------------------ fault proxy
L = exp["images"]["swtest/busybox:schema2"]["layers"][0]   # the 1 MB busybox layer
BL = "/swtest/busybox/blobs/" + L["digest"]


def blob_via(prefix, headers=None, hostport=PROXY):
    return req(hostport, "GET", "/v2" + ("/" + prefix if prefix else "") + BL, headers)

st, h, b = blob_via("")
check("proxy: plain blob", st == 200 and sha(b) == L["digest"])
st, h, b = blob_via("fault-500once")
check("proxy 500once: first 500", st == 500 and errcode(b) == "UNKNOWN")
st, h, b = blob_via("fault-500once")
check("proxy 500once: then 200", st == 200 and sha(b) == L["digest"])
st, h, b = blob_via("fault-429once")
check("proxy 429once: first 429 Retry-After 0", st == 429 and h.get("retry-after") == "0")
st, h, b = blob_via("fault-429once")
check("proxy 429once: then 200", st == 200 and sha(b) == L["digest"])
for fault, excs in (("reset", (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError)),
                    ("eof", (http.client.RemoteDisconnected,))):
    try:
        blob_via("fault-" + fault)
        check("proxy %s: first fails" % fault, False, "got an answer")
    except excs as e:
        check("proxy %s: first fails" % fault, True)
    st, h, b = blob_via("fault-" + fault)
    check("proxy %s: then 200" % fault, st == 200 and sha(b) == L["digest"])
try:
    blob_via("fault-truncate")
    check("proxy truncate: first is short", False, "full body")
except http.client.IncompleteRead as e:
    check("proxy truncate: first is short", len(e.partial) == L["size"] // 2 and e.expected == L["size"] - L["size"] // 2)
st, h, b = blob_via("fault-truncate", {"Range": "bytes=%d-" % (L["size"] // 2)})
check("proxy truncate: resume with Range", st == 206 and len(b) == L["size"] - L["size"] // 2)
st, h, b = blob_via("fault-truncate")
check("proxy truncate: then full", st == 200 and sha(b) == L["digest"])
st, h, b = blob_via("")
good = b
st, h, b = blob_via("fault-corrupt")
check("proxy corrupt: same length, one byte off", st == 200 and len(b) == len(good)
      and sum(1 for x, y in zip(b, good) if x != y) == 1)
st, h, b2 = blob_via("fault-corrupt")
check("proxy corrupt: every time", b2 == b)
st, h, b = blob_via("fault-corrupt", {"Range": "bytes=0-99"})
check("proxy corrupt: Range too", st == 206 and len(b) == 100 and b != good[:100])
st, h, b = blob_via("", {"Range": "bytes=100-199"})
check("proxy forwards Range", st == 206 and b == good[100:200])
st, h, b = blob_via("fault-redirect")
loc = h.get("location", "")
check("proxy redirect: 307 to /redirected/", st == 307 and "/redirected/swtest/busybox/blobs/" in loc, "%d %s" % (st, loc))
st, h, b = req(PROXY, "GET", url_path(loc))
check("proxy redirect: target serves blob", st == 200 and sha(b) == L["digest"])
st, h, b = req(PROXY, "GET", url_path(loc), {"Range": "bytes=5-9"})
check("proxy redirect: target honours Range", st == 206 and b == good[5:10])
st, h, b = req(PROXY, "HEAD", "/v2/fault-redirect" + BL)
check("proxy HEAD keeps Content-Length", st == 200 and h.get("content-length") == str(L["size"]))
check("proxy redirect: HEAD not redirected", st == 200 and h.get("content-length") == str(L["size"]))
M = exp["images"]["swtest/busybox:oci"]
st, h, b = fetch_manifest(PROXY, "fault-500once/swtest/busybox", "oci", M["accept"])
st2, h2, b2 = fetch_manifest(PROXY, "fault-500once/swtest/busybox", "oci", M["accept"])
check("proxy 500once on a manifest", st == 500 and st2 == 200 and sha(b2) == M["digest"])
st, h, b = fetch_manifest(PROXY, "fault-corruptmanifest/swtest/busybox", M["digest"], M["accept"])
check("proxy corruptmanifest", st == 200 and len(b) == M["size"] and sha(b) != M["digest"])
st, h, b = fetch_manifest(PROXY, "fault-429once/fault-corrupt/swtest/busybox", "oci", M["accept"])
st2, h2, b2 = fetch_manifest(PROXY, "fault-429once/fault-corrupt/swtest/busybox", "oci", M["accept"])
check("proxy stacked faults (manifest not corrupted by fault-corrupt)", st == 429 and st2 == 200 and sha(b2) == M["digest"])
st, h, b = blob_via("fault-nonsense")
check("proxy unknown fault: 400", st == 400)
# A push through the proxy: upload Location rewritten with the prefix kept.
data = b"pushed through the fault proxy\n"
st, h, b = req(PROXY, "POST", "/v2/fault-500once/swtest/pushed/blobs/uploads/", {"Content-Length": "0"}, b"")
check("proxy push: POST 500 first", st == 500)
st, h, b = req(PROXY, "POST", "/v2/fault-500once/swtest/pushed/blobs/uploads/", {"Content-Length": "0"}, b"")
loc = h.get("location", "")
check("proxy push: Location rewritten", st == 202 and loc.startswith("http://%s/v2/fault-500once/swtest/pushed/blobs/uploads/" % PROXY), loc)
put = url_path(loc) + ("&" if "?" in loc else "?") + "digest=" + sha(data)
st, h, b = req(PROXY, "PUT", put, {"Content-Type": "application/octet-stream"}, data)
check("proxy push: PUT 500 first", st == 500)
st, h, b = req(PROXY, "PUT", put, {"Content-Type": "application/octet-stream"}, data)
check("proxy push: PUT 201", st == 201 and h.get("docker-content-digest") == sha(data), "%d %s" % (st, b[:200]))
check("proxy push: blob upstream", req(REG, "HEAD", "/v2/swtest/pushed/blobs/" + sha(data))[0] == 200)
st, h, b = req(PROXY, "GET", "/_fault/log")
log = json.loads(b)
check("proxy log", any(e["note"] == "500once" for e in log) and any(e.get("range") for e in log))

# ------------------------------------------------------ token-auth proxy
def challenge(h):
    return dict(re.findall(r'(\w+)="([^"]*)"', h.get("www-authenticate", ""))), h.get("www-authenticate", "")

st, h, b = req(TPROXY, "GET", "/v2/")
c, raw = challenge(h)
check("token: /v2/ 401 Bearer", st == 401 and raw.startswith("Bearer ") and c.get("realm") == "http://%s/token" % TPROXY
      and c.get("service") == "swtest" and "scope" not in c, raw)
st, h, b = fetch_manifest(TPROXY, "swtest/busybox", "schema2", mti.MT_DOCKER_MANIFEST)
c, raw = challenge(h)
check("token: manifest 401 with scope", st == 401 and c.get("scope") == "repository:swtest/busybox:pull"
      and errcode(b) == "UNAUTHORIZED", raw)


def get_token(hostport, scope, auth=None):
    path = "/token?service=swtest&scope=" + scope
    return req(hostport, "GET", path, {"Authorization": auth} if auth else {})

st, h, b = get_token(TPROXY, "repository:swtest/busybox:pull", "Basic " + base64.b64encode(b"tester:nope").decode())
check("token: wrong password 401", st == 401)
st, h, b = get_token(TPROXY, "repository:swtest/busybox:pull", BASIC)
tok = json.loads(b) if st == 200 else {}
check("token: issued", st == 200 and tok.get("token") and tok.get("access_token") == tok.get("token")
      and tok.get("expires_in") == 300)
bearer = {"Authorization": "Bearer " + tok.get("token", "")}
d = exp["images"]["swtest/busybox:schema2"]
st, h, b = fetch_manifest(TPROXY, "swtest/busybox", "schema2", d["accept"], bearer)
check("token: manifest with Bearer", st == 200 and sha(b) == d["digest"])
st, h, b = req(TPROXY, "GET", "/v2/swtest/busybox/blobs/" + d["config"]["digest"], bearer)
check("token: blob with Bearer", st == 200 and sha(b) == d["config"]["digest"])
st, h, b = fetch_manifest(TPROXY, "swtest/evil", "dotdot", mti.MT_OCI_MANIFEST, bearer)
c, raw = challenge(h)
check("token: other repo insufficient_scope", st == 401 and c.get("error") == "insufficient_scope"
      and c.get("scope") == "repository:swtest/evil:pull", raw)
st, h, b = req(TPROXY, "POST", "/v2/swtest/busybox/blobs/uploads/", dict(bearer, **{"Content-Length": "0"}), b"")
c, raw = challenge(h)
check("token: push needs pull,push", st == 401 and c.get("scope") == "repository:swtest/busybox:pull,push", raw)
st, h, b = fetch_manifest(TPROXY, "swtest/busybox", "schema2", d["accept"], {"Authorization": "Bearer bogus"})
check("token: bogus token invalid_token", st == 401 and challenge(h)[0].get("error") == "invalid_token")
st, h, b = get_token(TPROXY, "repository:swtest/busybox:pull")
anon = json.loads(b)["token"] if st == 200 else ""
st, h, b = fetch_manifest(TPROXY, "swtest/busybox", "schema2", d["accept"], {"Authorization": "Bearer " + anon})
check("token: anonymous private repo refused", st == 401 and challenge(h)[0].get("error") == "insufficient_scope")
st, h, b = get_token(TPROXY, "repository:public/swtest/busybox:pull")
check("token: anonymous public token", st == 200)
anon = json.loads(b).get("token", "") if st == 200 else ""
st, h, b = fetch_manifest(TPROXY, "public/swtest/busybox", "schema2", d["accept"], {"Authorization": "Bearer " + anon})
check("token: anonymous public pull", st == 200 and sha(b) == d["digest"])
st, h, b = req(TPROXY, "GET", "/v2/public/swtest/busybox/blobs/" + d["config"]["digest"])
c, raw = challenge(h)
check("token: public still needs a token", st == 401 and c.get("scope") == "repository:public/swtest/busybox:pull", raw)
# faults + tokens: the scope names the repository as addressed.
p = "fault-500once/swtest/busybox"
st1 = fetch_manifest(TPROXY, p, "schema2", d["accept"])[0]
st2, h, b = fetch_manifest(TPROXY, p, "schema2", d["accept"])
c, raw = challenge(h)
st, hh, tb = get_token(TPROXY, c.get("scope", ""), BASIC)
st3, h, b = fetch_manifest(TPROXY, p, "schema2", d["accept"], {"Authorization": "Bearer " + json.loads(tb)["token"]})
check("token + fault: 500, 401, 200", (st1, st2, st3) == (500, 401, 200) and c.get("scope") == "repository:%s:pull" % p)
st, h, b = get_token(TTLPROXY, "repository:swtest/busybox:pull", BASIC)
short = json.loads(b)["token"]
st1 = fetch_manifest(TTLPROXY, "swtest/busybox", "schema2", d["accept"], {"Authorization": "Bearer " + short})[0]
time.sleep(1.3)
st2, h, b = fetch_manifest(TTLPROXY, "swtest/busybox", "schema2", d["accept"], {"Authorization": "Bearer " + short})
check("token: expiry", st1 == 200 and st2 == 401 and challenge(h)[0].get("error") == "invalid_token")

print("fixtures: %d passed, %d failed" % (passed, failed))
with open(os.path.join(tmp, "result"), "w") as fh:
    fh.write("%d %d\n" % (passed, failed))
sys.exit(1 if failed else 0)
PYEOF

# The proxies must exit cleanly (status 0) on TERM.
for name in proxy token-proxy ttl-proxy; do
  pid=$(cat "$tmp/$name-pid")
  kill -TERM "$pid"
  rc=0; wait "$pid" || rc=$?
  rm -f "$tmp/$name-pid"
  if [ "$rc" -ne 0 ]; then echo "FAIL: fault-proxy $name exited $rc" >&2; exit 1; fi
done
regpid=$(cat "$tmp/reg/pid"); authpid=$(cat "$tmp/reg/auth-pid")
"$here/test-registry.sh" stop "$tmp/reg"
for pid in "$regpid" "$authpid"; do
  if [ -r "/proc/$pid/stat" ] && [ "$(sed -e 's/^.*) //' "/proc/$pid/stat" | cut -c1)" != Z ]; then
    echo "FAIL: registry pid $pid still running" >&2; exit 1
  fi
done
read -r npass nfail <"$tmp/result"
echo "fixtures: processes stopped"
echo "fixtures: $npass passed, $nfail failed"
