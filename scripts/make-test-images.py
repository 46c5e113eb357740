#!/usr/bin/env python3
"""Build the image-store test images offline and push them to a test registry.

    scripts/make-test-images.py --registry 127.0.0.1:PORT \
        [--auth-registry 127.0.0.1:PORT2 --user tester --password s3cret] --out DIR

Standard library only. Layers are built with tarfile from Debian's /bin/busybox
(busybox-static); zstd layers use the `zstd` CLI when present. Output is
deterministic: fixed mtimes, entries in a fixed (sorted) order, gzip mtime 0 and
no file name, compact JSON, so every digest is the same on every run with the
same busybox, zlib and zstd.

Pushes with the OCI distribution API (HEAD blob, POST uploads, PUT ?digest=,
PUT manifests). Writes:
  DIR/expected.json     what the tests compare against (schema in the file's
                        "schema" key and in EXPECTED_SCHEMA below)
  DIR/oci/              the same images as an OCI image layout (oci-layout,
                        index.json with org.opencontainers.image.ref.name =
                        "REPO:TAG", blobs/sha256/...), for offline tests
"""

import argparse
import base64
import gzip
import hashlib
import http.client
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import urllib.parse

BUSYBOX = "/bin/busybox"
MTIME = 1700000000          # 2023-11-14T22:13:20Z, every entry unless noted
SPECIAL_MTIME = 946684800   # 2000-01-01T00:00:00Z, /etc/mtime-file
CREATED = "2023-11-14T22:13:20Z"
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

MT_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MT_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MT_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
MT_DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"
MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MT_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
MT_OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
MT_OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
MT_INTOTO = "application/vnd.in-toto+json"

EXPECTED_SCHEMA = {
    "schema_version": "1",
    "registry / auth_registry": "host:port the images were pushed to (auth_registry null if not given)",
    "auth": "null or {registry, user, password, images: {REPO:TAG: manifest digest}}",
    "zstd": "true if the zstd layer was built (the `zstd` CLI was found)",
    "constants": "{mtime, special_mtime, created, busybox_sha256}",
    "oci_layout": "\"oci\": DIR/oci is an OCI image layout of every image; index.json ref.name = REPO:TAG",
    "images": {
        "REPO:TAG": {
            "repository": "swtest/busybox", "tag": "schema2",
            "kind": "manifest | index",
            "mediaType": "manifest media type as pushed (also the Content-Type the registry returns)",
            "digest": "sha256:... of the exact manifest bytes", "size": "bytes",
            "accept": "the Accept header to GET it by tag",
            "for kind manifest": {
                "platform": "{os, architecture[, variant]}",
                "config": "{mediaType, digest, size}",
                "layers": "[{mediaType, digest, size, diff_id, uncompressed_size, compression: gzip|zstd|none}]",
                "image_config": "the config blob's `config` object (Cmd, Env, WorkingDir, Labels)",
                "history": "the config blob's history (has empty_layer entries)",
                "tree": "merged rootfs after applying the layers with OCI whiteouts, see tree entry",
                "malicious": "evil images only: {attack, entries, must_not_exist[, must_survive], safe_outcomes}; "
                             "must_not_exist paths are host paths if absolute, else relative to the rootfs dir",
                "actual_layer_size": "evil:size-mismatch only: the real blob size (descriptor says one less)",
                "layers[].urls": "evil:foreign only: the foreign layer's URLs (its blob is not in the registry)",
            },
            "for kind index": {
                "manifests": "[{mediaType, digest, size, platform, annotations?, image?}] in index order; "
                             "image is the same object as a kind-manifest image (no repository/tag) "
                             "or null for the attestation entry",
            },
        },
    },
    "tree entry (key: absolute path, no trailing slash; no entry for /)": {
        "type": "file | dir | symlink | hardlink | char | block | fifo",
        "mode": "permission bits incl. setuid/setgid/sticky, int (e.g. 1023 = 0o1777)",
        "mode_octal": "same as a 4-digit octal string, e.g. \"1777\"",
        "uid / gid": "numeric owner (tar uname/gname are decoys: swtest/swtest for uid 1000)",
        "mtime": "tar mtime (directories' mtimes change when children are created: compare with care)",
        "size / sha256": "files and hardlinks (a hardlink's are its target's)",
        "link": "symlink: target as stored (relative or absolute); hardlink: absolute path of the target",
        "devmajor / devminor": "char and block devices",
        "layer": "0-based index of the layer that last wrote the entry",
    },
}


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def mode_octal(mode):
    return "%04o" % mode


# ---------------------------------------------------------------- tar layers

class E:
    """One tar entry. path is relative (no leading /) except in evil layers."""

    def __init__(self, path, kind, mode=0o644, data=b"", link="", uid=0, gid=0,
                 mtime=MTIME, devmajor=0, devminor=0, uname=None, gname=None):
        self.path, self.kind, self.mode, self.data, self.link = path, kind, mode, data, link
        self.uid, self.gid, self.mtime = uid, gid, mtime
        self.devmajor, self.devminor = devmajor, devminor
        self.uname = uname if uname is not None else ("root" if uid == 0 else "swtest")
        self.gname = gname if gname is not None else ("root" if gid == 0 else "swtest")


TAR_TYPES = {
    "file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
    "hardlink": tarfile.LNKTYPE, "char": tarfile.CHRTYPE, "block": tarfile.BLKTYPE,
    "fifo": tarfile.FIFOTYPE,
}


def d(path, mode=0o755, **kw):
    return E(path, "dir", mode, **kw)


def f(path, data, mode=0o644, **kw):
    return E(path, "file", mode, data=data, **kw)


def sl(path, target, **kw):
    return E(path, "symlink", 0o777, link=target, **kw)


def hl(path, target, **kw):
    return E(path, "hardlink", 0o755, link=target, **kw)


def build_tar(entries, sort=True):
    """Tar bytes (PAX format; plain ustar headers unless a name is long or
    non-ASCII). Python's tarfile keeps names as given: leading '/' and '..'
    are written verbatim, which the evil layers rely on."""
    if sort:
        entries = sorted(entries, key=lambda e: e.path)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for e in entries:
            ti = tarfile.TarInfo(e.path)
            ti.type = TAR_TYPES[e.kind]
            ti.mode = e.mode
            ti.uid, ti.gid = e.uid, e.gid
            ti.uname, ti.gname = e.uname, e.gname
            ti.mtime = int(e.mtime)
            if e.kind in ("symlink", "hardlink"):
                ti.linkname = e.link
            if e.kind in ("char", "block"):
                ti.devmajor, ti.devminor = e.devmajor, e.devminor
            if e.kind == "file":
                ti.size = len(e.data)
                tar.addfile(ti, io.BytesIO(e.data))
            else:
                ti.size = 0
                tar.addfile(ti)
    return buf.getvalue()


def gzip_bytes(data):
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=6) as gz:
        gz.write(data)
    return out.getvalue()


def zstd_available():
    return shutil.which("zstd") is not None


def zstd_bytes(data):
    return subprocess.run(["zstd", "-q", "-c", "-3", "--single-thread", "--no-progress"],
                          input=data, stdout=subprocess.PIPE, check=True).stdout


class Layer:
    def __init__(self, entries, compression="gzip", sort=True, created_by=""):
        self.tar = build_tar(entries, sort=sort)
        self.compression = compression
        if compression == "gzip":
            self.blob = gzip_bytes(self.tar)
        elif compression == "zstd":
            self.blob = zstd_bytes(self.tar)
        else:
            self.blob = self.tar
        self.digest = sha256(self.blob)
        self.diff_id = sha256(self.tar)
        self.created_by = created_by

    def media_type(self, docker):
        if docker:
            assert self.compression == "gzip"
            return MT_DOCKER_LAYER_GZIP
        return {"gzip": MT_OCI_LAYER_GZIP, "zstd": MT_OCI_LAYER_ZSTD,
                "none": MT_OCI_LAYER}[self.compression]

    def descriptor(self, docker):
        return {"mediaType": self.media_type(docker), "size": len(self.blob), "digest": self.digest}

    def describe(self, docker):
        d = self.descriptor(docker)
        d.update(diff_id=self.diff_id, uncompressed_size=len(self.tar), compression=self.compression)
        return d


# ------------------------------------------------- applying layers (expected)

def _norm(name):
    """Tar member name -> absolute path, for the good images only."""
    parts = [p for p in name.split("/") if p not in ("", ".")]
    assert ".." not in parts, name
    return "/" + "/".join(parts)


def _remove_tree(tree, path):
    tree.pop(path, None)
    prefix = path + "/"
    for p in [p for p in tree if p.startswith(prefix)]:
        del tree[p]


def apply_layers(tars):
    """Merged tree from uncompressed layer tars, OCI image-spec semantics:
    .wh.NAME removes NAME (and everything under it) from lower layers;
    .wh..wh..opq removes all lower-layer children of its directory; whiteouts
    never affect entries of their own layer; a non-directory replaces whatever
    was at its path (and a directory's subtree); a directory over a directory
    only updates metadata."""
    tree = {}
    for index, data in enumerate(tars):
        members = list(tarfile.open(fileobj=io.BytesIO(data), mode="r:"))
        # Pass 1: whiteouts against the lower layers only.
        for m in members:
            path = _norm(m.name)
            parent, base = path.rsplit("/", 1)
            if base == ".wh..wh..opq":
                prefix = (parent or "") + "/"
                for p in [p for p in tree if p.startswith(prefix)]:
                    del tree[p]
            elif base.startswith(".wh."):
                _remove_tree(tree, (parent or "") + "/" + base[len(".wh."):])
        # Pass 2: this layer's entries, in archive order.
        tf = tarfile.open(fileobj=io.BytesIO(data), mode="r:")
        for m in tf:
            path = _norm(m.name)
            base = path.rsplit("/", 1)[1]
            if base.startswith(".wh."):
                continue
            old = tree.get(path)
            if not (m.isdir() and old is not None and old["type"] == "dir"):
                _remove_tree(tree, path)
            e = {"mode": stat.S_IMODE(m.mode), "mode_octal": mode_octal(stat.S_IMODE(m.mode)),
                 "uid": m.uid, "gid": m.gid, "mtime": int(m.mtime), "layer": index}
            if m.isdir():
                e["type"] = "dir"
            elif m.isreg():
                body = tf.extractfile(m).read()
                e.update(type="file", size=len(body), sha256=hashlib.sha256(body).hexdigest())
            elif m.issym():
                e.update(type="symlink", link=m.linkname)
            elif m.islnk():
                target = _norm(m.linkname)
                t = tree[target]
                assert t["type"] in ("file", "hardlink"), (path, target)
                e.update(type="hardlink", link=target, size=t["size"], sha256=t["sha256"],
                         mode=t["mode"], mode_octal=t["mode_octal"], uid=t["uid"], gid=t["gid"],
                         mtime=t["mtime"])
            elif m.ischr() or m.isblk():
                e.update(type="char" if m.ischr() else "block",
                         devmajor=m.devmajor, devminor=m.devminor)
            elif m.isfifo():
                e["type"] = "fifo"
            else:
                raise ValueError("unexpected member type %r in %s" % (m.type, m.name))
            # Key order: type first, for readability.
            tree[path] = dict(sorted(e.items(), key=lambda kv: (kv[0] != "type", kv[0])))
    return dict(sorted(tree.items()))


# ------------------------------------------------------------- image content

LONG_NAME = "usr/share/swtest/" + "a-file-name-longer-than-the-100-byte-ustar-name-field-" + "x" * 60 + ".txt"


def busybox_layers():
    """The three shared layers (gzip), as Layer objects."""
    with open(BUSYBOX, "rb") as fh:
        bb = fh.read()
    l1 = [
        d("bin"),
        f("bin/busybox", bb, 0o755),
        sl("bin/sh", "busybox"),
        sl("bin/cat", "busybox"),
        sl("bin/ls", "/bin/busybox"),          # absolute symlink: resolve inside the rootfs
        hl("bin/hardcat", "bin/busybox"),
        d("etc"),
        f("etc/hostname", b"swtest\n"),
        f("etc/mtime-file", b"mtime is 2000-01-01T00:00:00Z\n", mtime=SPECIAL_MTIME),
        f("etc/empty", b""),
        f("platform", b"amd64"),
        d("tmp", 0o1777),
        d("var"), d("var/lib"),
        d("var/lib/app"),
        f("var/lib/app/a.txt", b"a\n"),
        f("var/lib/app/b.txt", b"b\n"),
        f("var/lib/app/owned.txt", b"owned by 1000:1000, mode 0640\n", 0o640, uid=1000, gid=1000),
        f("var/lib/app/setuid", b"#!/bin/sh\necho setuid\n", 0o4755),
        d("var/lib/gone"),
        f("var/lib/gone/file.txt", b"removed by layer 2 (.wh.gone)\n"),
        d("usr"), d("usr/share"), d("usr/share/swtest"),
        f(LONG_NAME, b"long name (PAX path header)\n"),
        f("usr/share/swtest/caf\u00e9.txt", b"non-ASCII name (PAX path header)\n"),
        sl("usr/share/swtest/longlink", LONG_NAME.rsplit("/", 1)[1]),  # > 100 bytes: PAX linkpath
    ]
    l2 = [
        f("var/lib/app/.wh.a.txt", b""),       # whiteout without parent-dir entries
        f("var/lib/.wh.gone", b""),            # whiteout of a whole directory
        d("opt"), d("opt/dir"),
        f("opt/dir/old.txt", b"old\n"),
        f("opt/keep.txt", b"outside the opaque dir\n"),
    ]
    l3 = [
        d("opt/dir", 0o750),                   # metadata change of an existing dir
        f("opt/dir/.wh..wh..opq", b""),
        f("opt/dir/new.txt", b"new\n"),
        d("srv"),
        E("srv/null", "char", 0o666, devmajor=1, devminor=3),
        E("srv/fifo", "fifo", 0o644),
    ]
    return [
        Layer(l1, created_by="ADD busybox rootfs"),
        Layer(l2, created_by="RUN rm /var/lib/app/a.txt && rm -r /var/lib/gone && echo old > /opt/dir/old.txt"),
        Layer(l3, created_by="RUN rm -r /opt/dir && mkdir -m 750 /opt/dir && echo new > /opt/dir/new.txt && mknod ..."),
    ]


def oci_extra_layers(with_zstd):
    extra = [Layer([d("opt"), f("opt/uncompressed.txt", b"from an uncompressed layer\n")],
                   compression="none", created_by="ADD uncompressed.txt /opt/")]
    if with_zstd:
        extra.append(Layer([d("opt"), f("opt/zstd.txt", b"from a zstd layer\n")],
                           compression="zstd", created_by="ADD zstd.txt /opt/"))
    return extra


def config_blob(layers, arch="amd64", variant=None, cmd=("sh",), labels=None):
    history = []
    for layer in layers:
        history.append({"created": CREATED, "created_by": layer.created_by or "layer"})
    history.append({"created": CREATED, "created_by": 'CMD ["sh"]', "empty_layer": True})
    cfg = {
        "architecture": arch,
        "os": "linux",
        "created": CREATED,
        "config": {
            "Env": [PATH_ENV],
            "Cmd": list(cmd),
            "WorkingDir": "/",
            "Labels": labels or {"org.swtest.fixture": "busybox"},
        },
        "rootfs": {"type": "layers", "diff_ids": [l.diff_id for l in layers]},
        "history": history,
    }
    if variant:
        cfg["variant"] = variant
    return json.dumps(cfg, sort_keys=True, separators=(",", ":")).encode()


def jdump(obj):
    return json.dumps(obj, indent=3).encode() + b"\n"


class Image:
    """A single-platform image: manifest bytes plus the blobs it needs."""

    def __init__(self, layers, docker, arch="amd64", variant=None, annotations=None, labels=None):
        self.layers, self.docker = layers, docker
        self.config = config_blob(layers, arch, variant, labels=labels)
        self.config_mt = MT_DOCKER_CONFIG if docker else MT_OCI_CONFIG
        self.platform = {"architecture": arch, "os": "linux"}
        if variant:
            self.platform["variant"] = variant
        m = {"schemaVersion": 2,
             "mediaType": MT_DOCKER_MANIFEST if docker else MT_OCI_MANIFEST,
             "config": {"mediaType": self.config_mt, "size": len(self.config),
                        "digest": sha256(self.config)},
             "layers": [l.descriptor(docker) for l in layers]}
        if annotations and not docker:
            m["annotations"] = annotations
        self.media_type = m["mediaType"]
        self.manifest = jdump(m)
        self.digest = sha256(self.manifest)

    def blobs(self):
        return [(l.digest, l.blob) for l in self.layers] + [(sha256(self.config), self.config)]

    def describe(self, with_tree=True):
        cfg = json.loads(self.config)
        out = {
            "kind": "manifest", "mediaType": self.media_type, "digest": self.digest,
            "size": len(self.manifest), "accept": self.media_type, "platform": self.platform,
            "config": {"mediaType": self.config_mt, "digest": sha256(self.config), "size": len(self.config)},
            "layers": [l.describe(self.docker) for l in self.layers],
            "image_config": cfg["config"], "history": cfg["history"],
        }
        if with_tree:
            out["tree"] = apply_layers([l.tar for l in self.layers])
        return out


class Index:
    def __init__(self, entries, docker, annotations=None):
        """entries: [(Image or (manifest_bytes, media_type, blobs), platform, annotations)]"""
        self.docker, self.entries = docker, entries
        self.media_type = MT_DOCKER_LIST if docker else MT_OCI_INDEX
        ms = []
        for img, platform, ann in entries:
            desc = {"mediaType": img.media_type, "size": len(img.manifest), "digest": img.digest,
                    "platform": platform}
            if ann:
                desc["annotations"] = ann
            ms.append(desc)
        m = {"schemaVersion": 2, "mediaType": self.media_type, "manifests": ms}
        if annotations and not docker:
            m["annotations"] = annotations
        self.manifest = jdump(m)
        self.digest = sha256(self.manifest)
        self.descs = ms

    def describe(self):
        out = {"kind": "index", "mediaType": self.media_type, "digest": self.digest,
               "size": len(self.manifest), "accept": self.media_type, "manifests": []}
        for (img, platform, ann), desc in zip(self.entries, self.descs):
            e = dict(desc)
            e["image"] = img.describe() if isinstance(img, Image) else None
            out["manifests"].append(e)
        return out


class RawManifest:
    """An arbitrary manifest (the attestation entry of the index)."""

    def __init__(self, obj, blobs):
        self.media_type = obj["mediaType"]
        self.manifest = jdump(obj)
        self.digest = sha256(self.manifest)
        self._blobs = blobs

    def blobs(self):
        return self._blobs


def attestation_manifest(subject):
    """Like BuildKit's provenance attestation: platform unknown/unknown in the
    index, an OCI manifest whose layer is in-toto JSON. Clients must skip it."""
    statement = json.dumps({"_type": "https://in-toto.io/Statement/v0.1",
                            "predicateType": "https://slsa.dev/provenance/v0.2",
                            "subject": [{"name": "swtest", "digest": {"sha256": subject.digest[7:]}}],
                            "predicate": {"builder": {"id": "make-test-images.py"}}},
                           sort_keys=True, separators=(",", ":")).encode()
    config = json.dumps({"architecture": "unknown", "os": "unknown", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": [sha256(statement)]}},
                        sort_keys=True, separators=(",", ":")).encode()
    obj = {"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
           "config": {"mediaType": MT_OCI_CONFIG, "digest": sha256(config), "size": len(config)},
           "layers": [{"mediaType": MT_INTOTO, "digest": sha256(statement), "size": len(statement),
                       "annotations": {"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"}}]}
    return RawManifest(obj, [(sha256(statement), statement), (sha256(config), config)])


# ------------------------------------------------------------ evil images

def evil_images():
    """name -> (list of layer entry lists, description). Entries are written in
    the given order (not sorted) with names verbatim."""
    return {
        "dotdot": ([[f("../../etc/swtest-escape", b"escaped via ..\n")]], {
            "attack": "entry name climbs out of the rootfs with ..",
            "entries": ["../../etc/swtest-escape"],
            "must_not_exist": ["../../etc/swtest-escape"],
            "safe_outcomes": ["reject the layer", "clamp into the rootfs as /etc/swtest-escape"],
        }),
        "absolute": ([[f("/etc/swtest-escape-abs", b"escaped via absolute name\n")]], {
            "attack": "absolute entry name (raw header, leading / kept)",
            "entries": ["/etc/swtest-escape-abs"],
            "must_not_exist": ["/etc/swtest-escape-abs"],
            "safe_outcomes": ["reject the layer", "strip the / and create /etc/swtest-escape-abs inside the rootfs"],
        }),
        "symlink": ([[sl("link", "/etc"), f("link/swtest-escape-sym", b"escaped through a symlink\n")]], {
            "attack": "absolute symlink to /etc, then a file written through it",
            "entries": ["link -> /etc", "link/swtest-escape-sym"],
            "must_not_exist": ["/etc/swtest-escape-sym"],
            "safe_outcomes": ["reject the layer",
                              "resolve the symlink inside the rootfs: creates <rootfs>/etc/swtest-escape-sym"],
        }),
        "symlink-rel": ([[sl("up", "../../.."), f("up/swtest-escape-rel", b"escaped through ../../..\n")]], {
            "attack": "relative symlink climbing out, then a file written through it",
            "entries": ["up -> ../../..", "up/swtest-escape-rel"],
            "must_not_exist": ["../../../swtest-escape-rel", "../../swtest-escape-rel", "../swtest-escape-rel"],
            "safe_outcomes": ["reject the layer",
                              "resolve the symlink inside the rootfs (.. stops at /): creates <rootfs>/swtest-escape-rel"],
        }),
        "hardlink": ([[hl("hl", "../../../etc/passwd")]], {
            "attack": "hardlink to a host file outside the rootfs via ..",
            "entries": ["hl => ../../../etc/passwd"],
            "must_not_exist": ["<rootfs>/hl sharing an inode with the host /etc/passwd"],
            "safe_outcomes": ["reject the layer",
                              "clamp the target into the rootfs: /etc/passwd is not in the layer, so fail"],
        }),
        # Extras beyond the brief.
        "hardlink-abs": ([[hl("hl", "/etc/passwd")]], {
            "attack": "hardlink to the absolute host path /etc/passwd",
            "entries": ["hl => /etc/passwd"],
            "must_not_exist": ["<rootfs>/hl sharing an inode with the host /etc/passwd"],
            "safe_outcomes": ["reject the layer", "resolve inside the rootfs: target missing, so fail"],
        }),
        "symlink-layers": ([[sl("link", "/etc")], [f("link/swtest-escape-layers", b"escaped across layers\n")]], {
            "attack": "layer 1 plants link -> /etc, layer 2 writes link/swtest-escape-layers",
            "entries": ["layer 0: link -> /etc", "layer 1: link/swtest-escape-layers"],
            "must_not_exist": ["/etc/swtest-escape-layers"],
            "safe_outcomes": ["reject the layer",
                              "resolve inside the rootfs: creates <rootfs>/etc/swtest-escape-layers"],
        }),
        "whiteout-escape": ([[f("../.wh.swtest-victim", b"")]], {
            "attack": "a whiteout whose name climbs out: deleting ../swtest-victim next to the rootfs",
            "entries": ["../.wh.swtest-victim"],
            "must_not_exist": [],
            "must_survive": ["../swtest-victim (create it next to the rootfs before applying)"],
            "safe_outcomes": ["reject the layer", "clamp: whiteout of /swtest-victim inside the rootfs (a no-op)"],
        }),
    }


# ---------------------------------------------------------------- registry

class Registry:
    def __init__(self, hostport, user=None, password=None):
        self.hostport = hostport
        self.auth = None
        if user is not None:
            self.auth = "Basic " + base64.b64encode(("%s:%s" % (user, password or "")).encode()).decode()
        self.conn = None

    def _conn(self):
        if self.conn is None:
            host, port = self.hostport.rsplit(":", 1)
            self.conn = http.client.HTTPConnection(host, int(port), timeout=60)
        return self.conn

    def request(self, method, url, body=None, headers=None):
        """url: path, or absolute URL on this registry. Returns (status, headers, body)."""
        if url.startswith("http://") or url.startswith("https://"):
            u = urllib.parse.urlsplit(url)
            if u.netloc != self.hostport:
                raise RuntimeError("registry sent us to another host: %s" % url)
            url = urllib.parse.urlunsplit(("", "", u.path, u.query, ""))
        h = dict(headers or {})
        if self.auth:
            h["Authorization"] = self.auth
        if body is not None:
            h["Content-Length"] = str(len(body))
        for attempt in (0, 1):
            try:
                c = self._conn()
                c.request(method, url, body=body, headers=h)
                r = c.getresponse()
                data = r.read()
                return r.status, r, data
            except (http.client.HTTPException, ConnectionError):
                self.conn = None
                if attempt:
                    raise

    def blob_exists(self, repo, digest):
        st, _, _ = self.request("HEAD", "/v2/%s/blobs/%s" % (repo, digest))
        return st == 200

    def push_blob(self, repo, digest, data):
        if self.blob_exists(repo, digest):
            return False
        st, r, body = self.request("POST", "/v2/%s/blobs/uploads/" % repo, body=b"")
        if st != 202:
            raise RuntimeError("POST uploads for %s: %d %s" % (repo, st, body[:300]))
        loc = r.getheader("Location")
        sep = "&" if "?" in loc else "?"
        st, r, body = self.request("PUT", loc + sep + "digest=" + urllib.parse.quote(digest),
                                   body=data, headers={"Content-Type": "application/octet-stream"})
        if st != 201:
            raise RuntimeError("PUT blob %s to %s: %d %s" % (digest, repo, st, body[:300]))
        got = r.getheader("Docker-Content-Digest")
        if got and got != digest:
            raise RuntimeError("registry stored %s as %s" % (digest, got))
        return True

    def push_manifest(self, repo, ref, manifest, media_type):
        st, r, body = self.request("PUT", "/v2/%s/manifests/%s" % (repo, ref), body=manifest,
                                   headers={"Content-Type": media_type})
        if st != 201:
            raise RuntimeError("PUT manifest %s:%s: %d %s" % (repo, ref, st, body[:500]))
        want = sha256(manifest)
        got = r.getheader("Docker-Content-Digest")
        if got != want:
            raise RuntimeError("manifest %s:%s digest %s, registry says %s" % (repo, ref, want, got))
        return got


def push_image(reg, repo, img, tag=None):
    for digest, data in img.blobs():
        reg.push_blob(repo, digest, data)
    return reg.push_manifest(repo, tag or img.digest, img.manifest, img.media_type)


def push_index(reg, repo, index, tag):
    for img, _, _ in index.entries:
        push_image(reg, repo, img)          # children by digest first
    return reg.push_manifest(repo, tag, index.manifest, index.media_type)


# ------------------------------------------------------------- OCI layout

class Layout:
    def __init__(self, root):
        self.root = root
        if os.path.isdir(root):
            shutil.rmtree(root)
        os.makedirs(os.path.join(root, "blobs", "sha256"))
        self.refs = []

    def blob(self, digest, data):
        if data is None:
            return
        p = os.path.join(self.root, "blobs", "sha256", digest[7:])
        if not os.path.exists(p):
            with open(p, "wb") as fh:
                fh.write(data)

    def add(self, ref, obj):
        if isinstance(obj, Index):
            for img, _, _ in obj.entries:
                self._img(img)
        else:
            self._img(obj)
        self.blob(obj.digest, obj.manifest)
        self.refs.append({"mediaType": obj.media_type, "digest": obj.digest, "size": len(obj.manifest),
                          "annotations": {"org.opencontainers.image.ref.name": ref}})

    def _img(self, img):
        for digest, data in img.blobs():
            self.blob(digest, data)
        self.blob(img.digest, img.manifest)

    def close(self):
        with open(os.path.join(self.root, "oci-layout"), "w") as fh:
            fh.write('{"imageLayoutVersion":"1.0.0"}')
        with open(os.path.join(self.root, "index.json"), "wb") as fh:
            fh.write(jdump({"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": self.refs}))


# ------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--registry", required=True, help="host:port of the plain registry")
    ap.add_argument("--auth-registry", help="host:port of the htpasswd registry (gets swtest/busybox:schema2)")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--out", required=True)
    ap.add_argument("--no-zstd", action="store_true", help="skip the zstd layer even if zstd is installed")
    args = ap.parse_args()
    if args.auth_registry and args.user is None:
        ap.error("--auth-registry needs --user and --password")
    if not os.path.isfile(BUSYBOX):
        sys.exit("make-test-images: %s missing (apt-get install busybox-static)" % BUSYBOX)
    with_zstd = zstd_available() and not args.no_zstd
    os.makedirs(args.out, exist_ok=True)

    base = busybox_layers()
    schema2 = Image(base, docker=True)
    oci = Image(base + oci_extra_layers(with_zstd), docker=False,
                annotations={"org.opencontainers.image.created": CREATED})
    oci_amd64 = Image(base, docker=False)   # the index's amd64 entry: gzip layers only
    arm_layer = Layer([f("platform", b"arm64"), d("etc"), f("etc/hostname", b"swtest-arm64\n")],
                      created_by="ADD platform /")
    arm_oci = Image([arm_layer], docker=False, arch="arm64", variant="v8",
                    labels={"org.swtest.fixture": "arm64"})
    arm_docker = Image([arm_layer], docker=True, arch="arm64", variant="v8",
                       labels={"org.swtest.fixture": "arm64"})
    att = attestation_manifest(oci_amd64)
    multi = Index([
        (oci_amd64, {"architecture": "amd64", "os": "linux"}, None),
        (arm_oci, {"architecture": "arm64", "os": "linux", "variant": "v8"}, None),
        (att, {"architecture": "unknown", "os": "unknown"},
         {"vnd.docker.reference.type": "attestation-manifest",
          "vnd.docker.reference.digest": oci_amd64.digest}),
    ], docker=False)
    multi_docker = Index([
        (schema2, {"architecture": "amd64", "os": "linux"}, None),
        (arm_docker, {"architecture": "arm64", "os": "linux", "variant": "v8"}, None),
    ], docker=True)

    reg = Registry(args.registry)
    layout = Layout(os.path.join(args.out, "oci"))
    images = {}

    def record(repo, tag, obj, desc):
        desc = dict(desc)
        desc = {"repository": repo, "tag": tag, **desc}
        images["%s:%s" % (repo, tag)] = desc
        layout.add("%s:%s" % (repo, tag), obj)

    push_image(reg, "swtest/busybox", schema2, "schema2")
    record("swtest/busybox", "schema2", schema2, schema2.describe())
    push_image(reg, "swtest/busybox", oci, "oci")
    record("swtest/busybox", "oci", oci, oci.describe())
    push_index(reg, "swtest/busybox", multi, "multi")
    record("swtest/busybox", "multi", multi, multi.describe())
    push_index(reg, "swtest/busybox", multi_docker, "multi-docker")
    record("swtest/busybox", "multi-docker", multi_docker, multi_docker.describe())

    evil = evil_images()
    for tag, (layer_lists, info) in evil.items():
        layers = [Layer(es, sort=False, created_by="evil " + tag) for es in layer_lists]
        img = Image(layers, docker=False, labels={"org.swtest.fixture": "evil-" + tag})
        push_image(reg, "swtest/evil", img, tag)
        desc = img.describe(with_tree=False)
        desc["malicious"] = info
        record("swtest/evil", tag, img, desc)

    # Manifest-level traps (the registry does not catch these).
    small = Layer([f("trap.txt", b"trap\n")], created_by="ADD trap.txt /")
    # Layer descriptor claims one byte less than the blob has: distribution
    # accepts it (it never checks descriptor sizes); clients must not.
    img = Image([small], docker=False, labels={"org.swtest.fixture": "evil-size-mismatch"})
    mobj = json.loads(img.manifest)
    mobj["layers"][0]["size"] -= 1
    raw = RawManifest(mobj, img.blobs())
    push_image(reg, "swtest/evil", raw, "size-mismatch")
    desc = img.describe(with_tree=False)
    desc.update(digest=raw.digest, size=len(raw.manifest))
    desc["layers"][0]["size"] -= 1
    desc["actual_layer_size"] = len(small.blob)
    desc["malicious"] = {
        "attack": "layer descriptor size is 1 byte smaller than the blob the registry serves",
        "entries": ["trap.txt"], "must_not_exist": [],
        "safe_outcomes": ["fail the pull with a size mismatch (stop reading at descriptor size, or compare)"],
    }
    record("swtest/evil", "size-mismatch", raw, desc)
    # Docker foreign layer: the blob is NOT in the registry; the manifest names
    # a loopback URL where nothing listens. Needs the registry's
    # validation.manifests.urls.allow (test-registry.sh sets it for 127.0.0.1).
    foreign = Layer([f("foreign.txt", b"foreign\n")], created_by="ADD foreign.txt /")
    fimg = Image([foreign], docker=True, labels={"org.swtest.fixture": "evil-foreign"})
    fobj = json.loads(fimg.manifest)
    fobj["layers"][0]["mediaType"] = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
    fobj["layers"][0]["urls"] = ["http://127.0.0.1:9/swtest-foreign-layer.tar.gz"]
    fraw = RawManifest(fobj, [(sha256(fimg.config), fimg.config)])
    try:
        push_image(reg, "swtest/evil", fraw, "foreign")
    except RuntimeError as err:
        print("note: foreign-layer manifest refused (%s); swtest/evil:foreign not pushed" % err, file=sys.stderr)
    else:
        desc = fimg.describe(with_tree=False)
        desc.update(digest=fraw.digest, size=len(fraw.manifest))
        desc["layers"][0]["mediaType"] = fobj["layers"][0]["mediaType"]
        desc["layers"][0]["urls"] = fobj["layers"][0]["urls"]
        desc["malicious"] = {
            "attack": "foreign (non-distributable) layer: blob absent from the registry, manifest names an external URL",
            "entries": ["foreign.txt"], "must_not_exist": [],
            "safe_outcomes": ["fail cleanly: the registry answers 404 BLOB_UNKNOWN for the layer digest; "
                              "fetching the URL (127.0.0.1:9, nothing listens) fails with connection refused"],
        }
        record("swtest/evil", "foreign", fraw, desc)

    auth = None
    if args.auth_registry:
        areg = Registry(args.auth_registry, args.user, args.password)
        dig = push_image(areg, "swtest/busybox", schema2, "schema2")
        auth = {"registry": args.auth_registry, "user": args.user, "password": args.password,
                "images": {"swtest/busybox:schema2": dig}}

    layout.close()
    expected = {
        "schema_version": 1,
        "schema": EXPECTED_SCHEMA,
        "registry": args.registry,
        "auth_registry": args.auth_registry,
        "auth": auth,
        "zstd": with_zstd,
        "constants": {"mtime": MTIME, "special_mtime": SPECIAL_MTIME, "created": CREATED,
                      "busybox_sha256": hashlib.sha256(open(BUSYBOX, "rb").read()).hexdigest()},
        "oci_layout": "oci",
        "images": images,
    }
    path = os.path.join(args.out, "expected.json")
    with open(path + ".tmp", "w") as fh:
        json.dump(expected, fh, indent=1, sort_keys=False)
        fh.write("\n")
    os.replace(path + ".tmp", path)
    for ref, desc in images.items():
        print("%-28s %s %s" % (ref, desc["digest"], desc["mediaType"]))
    print("wrote %s" % path)


if __name__ == "__main__":
    main()
