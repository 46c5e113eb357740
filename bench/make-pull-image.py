#!/usr/bin/env python3
"""The image bench/pull.sh pulls: a debootstrap'd Debian rootfs as a 5-layer Docker schema 2 image.

    bench/make-pull-image.py build  --rootfs DIR --out DIR
    bench/make-pull-image.py push   --image DIR --registry 127.0.0.1:PORT [--name bench/debian:latest]
    bench/make-pull-image.py verify --image DIR --layers STORE/images/layers
    bench/make-pull-image.py count  DIR...

build splits the rootfs by path into five layers (in this order, base first):
    base       everything not below: the directory skeleton, top-level symlinks, etc, var, ...
    usr-lib-x86_64-linux-gnu  usr/lib/x86_64-linux-gnu (shared libraries, perl's XS modules)
    usr-lib    the rest of usr/lib (python3.11, apt, ...)
    usr-share  usr/share
    usr-bin    usr/bin, usr/sbin, usr/libexec
and writes each with GNU tar (--format=gnu --numeric-owner --no-recursion, entries sorted by
name, mtimes kept), compressed with `gzip -n -6`. OUT gets:
    blobs/sha256/HEX        layer blobs, the config and the manifest
    layers/N-NAME.tar.gz    hard links to the layer blobs, in image order (for the machine limit)
    manifest.json, config.json
    image.json              digests, sizes and entry counts (bench/pull-report.py reads it)
    entries.json            every layer's entries with type, mode, owner, size, link, sha256
                            (what verify compares an unpacked store against)
A hard link whose other name lands in a different layer is stored there as a copy (tar only
links to names already in the same archive), which is also what a layer diff would do.

push uploads with scripts/make-test-images.py's Registry (HEAD, POST, monolithic PUT per blob,
then PUT manifest). verify compares swcompose's unpacked layer directories (found by chain ID)
entry by entry with entries.json. count prints the number of entries below each DIR.
Standard library plus GNU tar and gzip.
"""

import argparse
import hashlib
import importlib.util
import json
import os
import stat
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MT_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MT_CONFIG = "application/vnd.docker.container.image.v1+json"
MT_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"

# (name, path prefixes); the first layer takes whatever no other one does. A path belongs to
# the most specific prefix equal to it or above it.
LAYERS = [
    ("base", []),
    ("usr-lib-x86_64-linux-gnu", ["usr/lib/x86_64-linux-gnu"]),
    ("usr-lib", ["usr/lib"]),
    ("usr-share", ["usr/share"]),
    ("usr-bin", ["usr/bin", "usr/sbin", "usr/libexec"]),
]


def die(msg):
    sys.exit("make-pull-image: error: " + msg)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return "sha256:" + h.hexdigest()


def jdump(obj):
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def layer_of(path):
    best, best_len = 0, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (path == p or path.startswith(p + "/")) and len(p) > best_len:
                best, best_len = i, len(p)
    return best


def walk(rootfs):
    """Relative paths of every entry below rootfs (not rootfs itself), sorted."""
    out = []
    for dirpath, dirnames, filenames in os.walk(rootfs):
        rel = os.path.relpath(dirpath, rootfs)
        for n in dirnames + filenames:
            out.append(n if rel == "." else rel + "/" + n)
    out.sort()
    return out


def describe(full, st):
    """The entry as verify compares it: type, permission bits, owner, and per type size+sha256
    (files), target (symlinks) or device numbers."""
    m = st.st_mode
    e = {"mode": stat.S_IMODE(m), "uid": st.st_uid, "gid": st.st_gid}
    if stat.S_ISDIR(m):
        e["type"] = "dir"
    elif stat.S_ISREG(m):
        e.update(type="file", size=st.st_size, sha256=sha256_file(full)[7:])
    elif stat.S_ISLNK(m):
        e.update(type="symlink", link=os.readlink(full))
        del e["mode"]  # symlink permission bits mean nothing on Linux
    elif stat.S_ISCHR(m) or stat.S_ISBLK(m):
        e.update(type="char" if stat.S_ISCHR(m) else "block",
                 major=os.major(st.st_rdev), minor=os.minor(st.st_rdev))
    elif stat.S_ISFIFO(m):
        e["type"] = "fifo"
    else:
        e["type"] = "other"
    return e


def cmd_build(args):
    rootfs = os.path.abspath(args.rootfs)
    out = os.path.abspath(args.out)
    if not os.path.isdir(rootfs):
        die("no rootfs at %s" % rootfs)
    blobs = os.path.join(out, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)
    os.makedirs(os.path.join(out, "layers"), exist_ok=True)

    paths = walk(rootfs)
    lists = [[] for _ in LAYERS]
    for p in paths:
        lists[layer_of(p)].append(p)

    layers, entries = [], []
    for i, ((name, prefixes), names) in enumerate(zip(LAYERS, lists)):
        if not names:
            die("layer %s would be empty" % name)
        t0 = time.time()
        listfile = os.path.join(out, "layers", "%d-%s.list" % (i + 1, name))
        with open(listfile, "wb") as f:
            f.write(b"\0".join(os.fsencode(n) for n in names) + b"\0")
        tarpath = os.path.join(out, "layer.tar")
        subprocess.run(["tar", "--create", "--file", tarpath, "--format=gnu", "--numeric-owner",
                        "-C", rootfs, "--no-recursion", "--null", "--verbatim-files-from",
                        "--files-from", listfile], check=True)
        diff_id = sha256_file(tarpath)
        usize = os.path.getsize(tarpath)
        gzpath = tarpath + ".gz"
        with open(gzpath, "wb") as gz:
            subprocess.run(["gzip", "-n", "-6", "-c", tarpath], stdout=gz, check=True)
        os.unlink(tarpath)
        digest = sha256_file(gzpath)
        size = os.path.getsize(gzpath)
        blob = os.path.join(blobs, digest[7:])
        os.replace(gzpath, blob)
        link = os.path.join(out, "layers", "%d-%s.tar.gz" % (i + 1, name))
        if os.path.lexists(link):
            os.unlink(link)
        os.link(blob, link)

        # What the layer holds, for verify: every entry, and which ones tar stored as hard
        # links of each other (same inode within the layer).
        ents, inodes = {}, {}
        for n in names:
            full = os.path.join(rootfs, n)
            st = os.lstat(full)
            ents[n] = describe(full, st)
            if stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
                inodes.setdefault((st.st_dev, st.st_ino), []).append(n)
        links = [g for g in inodes.values() if len(g) > 1]
        entries.append({"entries": ents, "hardlinks": links})
        layers.append({"name": name, "paths": prefixes or ["(everything else)"], "digest": digest,
                       "size": size, "diff_id": diff_id, "uncompressed_size": usize,
                       "entries": len(names), "file": os.path.relpath(link, out)})
        print("layer %d %-26s %6d entries %10d bytes tar %10d bytes gzip  (%.1f s)"
              % (i + 1, name, len(names), usize, size, time.time() - t0), file=sys.stderr)

    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(os.stat(rootfs).st_mtime))
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": created,
        "config": {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "Cmd": ["bash"],
        },
        "rootfs": {"type": "layers", "diff_ids": [l["diff_id"] for l in layers]},
        "history": [{"created": created,
                     "created_by": "debootstrap --variant=minbase bookworm, layer %s: %s"
                                   % (l["name"], ", ".join(l["paths"]))} for l in layers],
    }
    config_bytes = jdump(config)
    config_digest = "sha256:" + hashlib.sha256(config_bytes).hexdigest()
    with open(os.path.join(blobs, config_digest[7:]), "wb") as f:
        f.write(config_bytes)
    manifest = {
        "schemaVersion": 2,
        "mediaType": MT_MANIFEST,
        "config": {"mediaType": MT_CONFIG, "size": len(config_bytes), "digest": config_digest},
        "layers": [{"mediaType": MT_LAYER, "size": l["size"], "digest": l["digest"]} for l in layers],
    }
    manifest_bytes = json.dumps(manifest, indent=3).encode()
    manifest_digest = "sha256:" + hashlib.sha256(manifest_bytes).hexdigest()
    with open(os.path.join(blobs, manifest_digest[7:]), "wb") as f:
        f.write(manifest_bytes)
    with open(os.path.join(out, "manifest.json"), "wb") as f:
        f.write(manifest_bytes)
    with open(os.path.join(out, "config.json"), "wb") as f:
        f.write(config_bytes)
    with open(os.path.join(out, "entries.json"), "w") as f:
        json.dump(entries, f, separators=(",", ":"))
    info = {
        "manifest": {"digest": manifest_digest, "size": len(manifest_bytes), "mediaType": MT_MANIFEST},
        "config": {"digest": config_digest, "size": len(config_bytes)},
        "layers": layers,
        "entries": sum(l["entries"] for l in layers),
        "rootfs_entries": len(paths),
    }
    tmp = os.path.join(out, "image.json.tmp")
    with open(tmp, "w") as f:
        json.dump(info, f, indent=1)
    os.replace(tmp, os.path.join(out, "image.json"))  # last: its presence means the image is complete
    print("image %s: %d layers, %d bytes compressed, %d bytes of tar"
          % (manifest_digest, len(layers), sum(l["size"] for l in layers),
             sum(l["uncompressed_size"] for l in layers)), file=sys.stderr)


def load_registry_class():
    path = os.path.join(ROOT, "scripts", "make-test-images.py")
    spec = importlib.util.spec_from_file_location("make_test_images", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.Registry


def cmd_push(args):
    info = json.load(open(os.path.join(args.image, "image.json")))
    repo, _, tag = args.name.rpartition(":")
    if not repo:
        die("--name must be REPO:TAG")
    reg = load_registry_class()(args.registry)
    blobs = os.path.join(args.image, "blobs", "sha256")
    for d in [l["digest"] for l in info["layers"]] + [info["config"]["digest"]]:
        with open(os.path.join(blobs, d[7:]), "rb") as f:
            data = f.read()
        reg.push_blob(repo, d, data)
    with open(os.path.join(args.image, "manifest.json"), "rb") as f:
        manifest = f.read()
    got = reg.push_manifest(repo, tag, manifest, info["manifest"]["mediaType"])
    if got != info["manifest"]["digest"]:
        die("registry stored the manifest as %s, expected %s" % (got, info["manifest"]["digest"]))
    print("pushed %s/%s:%s %s" % (args.registry, repo, tag, got), file=sys.stderr)


def chain_ids(diff_ids):
    out = []
    for d in diff_ids:
        out.append(d if not out else "sha256:" + hashlib.sha256(("%s %s" % (out[-1], d)).encode()).hexdigest())
    return out


def cmd_verify(args):
    info = json.load(open(os.path.join(args.image, "image.json")))
    expected = json.load(open(os.path.join(args.image, "entries.json")))
    chains = chain_ids([l["diff_id"] for l in info["layers"]])
    problems, total, implicit = [], 0, 0

    def problem(msg):
        if len(problems) < 20:
            problems.append(msg)
        else:
            problems.append(None)

    for i, (layer, chain, exp) in enumerate(zip(info["layers"], chains, expected)):
        diff = os.path.join(args.layers, chain[7:], "diff")
        if not os.path.isdir(diff):
            problem("layer %d (%s): no directory %s" % (i + 1, layer["name"], diff))
            continue
        got = walk(diff)
        total += len(got)
        want = exp["entries"]
        parents = set()
        for p in want:
            while "/" in p:
                p = p.rsplit("/", 1)[0]
                parents.add(p)
        for p in got:
            if p in want:
                continue
            full = os.path.join(diff, p)
            if p in parents and os.path.isdir(full) and not os.path.islink(full):
                implicit += 1  # a parent directory the layer does not list: created to hold it
            else:
                problem("layer %d (%s): unexpected entry %s" % (i + 1, layer["name"], p))
        gotset = set(got)
        for p, e in want.items():
            if p not in gotset:
                problem("layer %d (%s): missing %s" % (i + 1, layer["name"], p))
                continue
            full = os.path.join(diff, p)
            have = describe(full, os.lstat(full))
            if have != e:
                diffs = ["%s %r, expected %r" % (k, have.get(k), e.get(k))
                         for k in sorted(set(have) | set(e)) if have.get(k) != e.get(k)]
                problem("layer %d (%s): %s: %s" % (i + 1, layer["name"], p, "; ".join(diffs)))
        for group in exp["hardlinks"]:
            inos = {os.lstat(os.path.join(diff, p)).st_ino for p in group if p in gotset}
            if len(inos) > 1:
                problem("layer %d (%s): %s are not hard links of each other"
                        % (i + 1, layer["name"], ", ".join(group)))
    listed = info["entries"]
    if problems:
        shown = [p for p in problems if p is not None]
        more = " (and more)" if None in problems else ""
        print("DIFFERENT: %d problems%s:\n  %s" % (len(shown), more, "\n  ".join(shown)))
        sys.exit(1)
    print("identical: %d entries in %d layers, each with the same type, mode, owner, size, sha256 "
          "or target as in the source rootfs; hard links kept; %d more are parent directories "
          "created to hold them (%d entries in all, whiteouts: none)"
          % (listed, len(info["layers"]), implicit, total))


def cmd_count(args):
    for d in args.dirs:
        print("%d %s" % (len(walk(d)), d))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--rootfs", required=True)
    b.add_argument("--out", required=True)
    p = sub.add_parser("push")
    p.add_argument("--image", required=True)
    p.add_argument("--registry", required=True, help="host:port")
    p.add_argument("--name", default="bench/debian:latest")
    v = sub.add_parser("verify")
    v.add_argument("--image", required=True)
    v.add_argument("--layers", required=True, help="directory holding CHAINID/diff")
    c = sub.add_parser("count")
    c.add_argument("dirs", nargs="+")
    args = ap.parse_args()
    {"build": cmd_build, "push": cmd_push, "verify": cmd_verify, "count": cmd_count}[args.cmd](args)


if __name__ == "__main__":
    main()
