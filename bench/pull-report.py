#!/usr/bin/env python3
"""Writes bench/results/pull-<date>.md from what bench/pull.sh measured (see its environment
exports) and prints it. Ratios: a peer's mean time over swcompose's, and swcompose's mean time
over the machine limit (the faster of the two limit forms)."""
import json
import os

E = os.environ
SW = "swcompose"
PEERS = ["podman pull", "skopeo copy + umoci unpack"]
LIMITS = ["limit, sequential", "limit, layers in parallel"]
BOUND = "bound: openssl + unpigz, layers in parallel"   # beside the limit, not the limit

rows = {}
order = []
with open(E["ROWS"]) as f:
    for line in f:
        label, cmd, status, value, check = line.rstrip("\n").split("\t")
        r = {"cmd": cmd, "status": status, "value": value, "check": check}
        if status == "ok":
            res = json.load(open(value))["results"][0]
            r.update(mean=res["mean"], sd=res["stddev"], n=len(res["times"]),
                     min=res["min"], max=res["max"], user=res.get("user"), system=res.get("system"))
        rows[label] = r
        order.append(label)
info = json.load(open(os.path.join(E["IMAGE"], "image.json")))


def mean(label):
    return rows.get(label, {}).get("mean")


def fmt(t):
    return f"{t * 1000:.0f} ms" if t < 1 else f"{t:.2f} s"


def mib(n):
    return f"{n / 2**20:.1f} MiB"


def cell(s):
    return s.replace("|", "\\|")


limit_label = min((l for l in LIMITS if mean(l) is not None), key=mean, default=None)
limit = mean(limit_label) if limit_label else None
sw = mean(SW)


def ratio_text(label):
    m = mean(label)
    if label == SW:
        return f"{sw / limit:.2f}× the limit" if sw and limit else "—"
    if label in PEERS:
        return f"{m / sw:.2f}×" if m and sw else "—"
    if label in LIMITS:
        return ("**the limit**" if label == limit_label else "") if m else "—"
    if label == BOUND:
        return f"swcompose: {sw / m:.2f}× this" if m and sw else "—"
    return "—"


out = [f"# `swcompose image pull` against its peers, {E['DATE']}", ""]
out += [
    f"Produced by `{E['INVOCATION']}` at swcompose commit {E['COMMIT']}"
    + (" with uncommitted changes in Sources/" if E["DIRTY"] else "")
    + f"; swcompose: {E['BUILD']}.",
    "",
    f"- machine: {E['NPROC']} cores ({E['CPU'] or 'unknown CPU'}), {E['MEM']}, kernel {E['KERNEL']}, "
    f"stores on {E['FS']}; load average before / after: {E['LOAD_BEFORE']} / {E['LOAD_AFTER']}; "
    f"Swift compiler/build/test processes running at the start: {E['BUSY'] or 0}, "
    f"most seen before a tool: {E['BUSY_MAX'] or 0}",
    f"- {E['V_HF']}, `-N`, 1 warm-up run and {E['RUNS']} timed runs per tool; before each run "
    "`--prepare` moves the tool's store aside (unmounting anything below it first) and runs `sync`, "
    "so every run starts from an empty store with no dirty pages left from the last one",
    "- old stores are moved aside, not deleted, before a run; they are deleted "
    + ("at the end" if E["KEEP_TRASH"] else "after each tool's runs")
    + (f", and a tool starts only once the last deletion is {E['SETTLE']} s old: this disk is ext4 "
       "without a journal, whose inode allocator skips (scanning) inodes deleted less than 60 s ago, "
       "which made unpacking right after a deletion 3-6× slower for every tool"
       if E["SETTLE"] != "0" else ""),
    f"- the image `{E['REF']}` is in a local registry ({E['V_REGISTRY']}, filesystem storage, "
    "plain HTTP on loopback); its blobs are in the page cache, as are the machine limit's",
    "- ratio: a peer's mean time / swcompose's (above 1: swcompose is faster); "
    "swcompose's mean time / the machine limit (the faster limit form)",
    "- machine limit (as the issue defines it): per layer blob `sha256sum` and `tar -xzf` from "
    "local disk, one layer after the other or all at once; the bound below it does the same with "
    "`openssl dgst -sha256` and `tar -I unpigz`, faster implementations of the same work, and is "
    "not used for the aims",
    "",
    "## Summary",
    "",
    "| tool | mean ± σ | min … max | user + sys CPU | ratio |",
    "|---|---|---|---|---|",
]
for label in order:
    r = rows[label]
    if r["status"] != "ok":
        out.append(f"| {cell(label)} | **failed**: {cell(r['value'])} | | | |")
        continue
    cpu = f"{fmt(r['user'])} + {fmt(r['system'])}" if r["user"] is not None else "—"
    sd = f" ± {fmt(r['sd'])}" if r["sd"] is not None else ""
    out.append(f"| {cell(label)} | {fmt(r['mean'])}{sd} ({r['n']} runs) | "
               f"{fmt(r['min'])} … {fmt(r['max'])} | {cpu} | {ratio_text(label)} |")

out += ["", "## Aims", ""]
peer_means = [(mean(p), p) for p in PEERS if mean(p) is not None]
if sw is None:
    out.append("- swcompose did not finish: no aim can be judged")
else:
    if peer_means:
        fastest, who = min(peer_means)
        ok = sw < fastest
        out.append(f"- faster than the fastest peer ({who}, {fmt(fastest)}): "
                   f"{'met' if ok else '**not met**'} (swcompose {fmt(sw)}; {who} takes "
                   f"{fastest / sw:.2f}× swcompose's time)")
    if limit is not None:
        ok = sw <= 1.5 * limit
        out.append(f"- within 1.5× of the machine limit ({limit_label}, {fmt(limit)}): "
                   f"{'met' if ok else '**not met**'} ({sw / limit:.2f}×)")
    b = mean(BOUND)
    if b is not None:
        out.append(f"- beside the aims: the same work with OpenSSL's SHA-256 and unpigz (zlib's inflate) "
                   f"instead of coreutils' sha256sum and GNU gzip takes {fmt(b)}; swcompose takes "
                   f"{sw / b:.2f}× that")

out += ["", "## The image", ""]
tot_c = sum(l["size"] for l in info["layers"])
tot_u = sum(l["uncompressed_size"] for l in info["layers"])
out += [
    f"Docker schema 2 manifest `{info['manifest']['digest']}`, amd64/linux: a `debootstrap "
    "--variant=minbase --include=python3,perl` Debian bookworm rootfs without package caches, "
    f"package lists or device nodes ({info['rootfs_entries']} entries), split by path into "
    "5 gzip (`gzip -n -6`) layers of GNU tar with numeric owners (`bench/make-pull-image.py`). "
    f"Total: {mib(tot_c)} compressed, {mib(tot_u)} of tar.",
    "",
    "| # | layer | paths | entries | tar | gzip |",
    "|---|---|---|---|---|---|",
]
for i, l in enumerate(info["layers"], 1):
    out.append(f"| {i} | {l['name']} | {cell(', '.join(l['paths']))} | {l['entries']} | "
               f"{mib(l['uncompressed_size'])} | {mib(l['size'])} |")

out += ["", "## Are the results complete?", "",
        "From one run of each tool before timing it (swcompose's layer directories are compared "
        "entry by entry with the source rootfs; the others are counted):", ""]
for label in order:
    r = rows[label]
    out.append(f"- {label}: " + (cell(r["check"]) if r["check"] else "not checked (it failed)"))

out += ["", "## Versions", "",
        f"- {E['SW_VERSION']}",
        f"- {E['V_PODMAN']} (storage driver overlay)",
        f"- {E['V_SKOPEO']}; {E['V_UMOCI']}",
        f"- {E['V_SHA']}; {E['V_TAR']}; {E['V_GZIP']}; {E['V_PIGZ']}; {E['V_OPENSSL']}",
        "", "## Commands", "",
        "Each runs from the repository root as `hyperfine -N --prepare 'bench/pull.sh __clean "
        "STORE' 'COMMAND'` (podman's prepare also makes its `TMPDIR`):", ""]
for label in order:
    out += [f"{label}:", "", "```sh", rows[label]["cmd"], "```", ""]
text = "\n".join(out)
with open(E["RESULT"], "w") as f:
    f.write(text)
print(text)
