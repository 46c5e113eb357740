#!/usr/bin/env python3
"""Writes bench/results/config-<date>.md from what bench/config.sh measured (see its environment
exports) and prints it. Ratios are a tool's mean time over swcompose's on the same input."""
import json
import os
import re
from collections import OrderedDict

E = os.environ
SW = "swcompose"
DC2 = "Docker Compose v2.40.3"
PY = ["docker-compose 1.29.2 (Debian)", "podman-compose 1.6.0 (PyPI)"]

rows = OrderedDict()
with open(E["ROWS"]) as f:
    for line in f:
        inp, tool, cmd, status, value = line.rstrip("\n").split("\t")
        rows.setdefault(inp, OrderedDict())[tool] = (cmd, status, value)
tools = list(next(iter(rows.values())).keys())


def measure(status, value):
    """(mean s, stddev s or None, runs) or None."""
    if status == "ok":
        r = json.load(open(value))["results"][0]
        return r["mean"], r["stddev"], len(r["times"])
    if status == "single":
        return float(value), None, 1
    return None


def fmt(t):
    return f"{t * 1000:.1f} ms" if t < 1 else f"{t:.2f} s"


def cell(s):
    return s.replace("|", "\\|")


def sw_mean(inp):
    m = measure(*rows[inp][SW][1:])
    return m[0] if m else None


def ratio(inp, tool):
    """A number, or a string for a bound, or None."""
    base = sw_mean(inp)
    _, status, value = rows[inp][tool]
    if base is None:
        return None
    if status == "timeout":
        return f"> {float(value) / base:.0f}×"
    m = measure(status, value)
    return m[0] / base if m else None


def ratio_text(r):
    if r is None:
        return "—"
    return r if isinstance(r, str) else f"{r:.2f}×" if r < 10 else f"{r:.0f}×"


def short(inp, tool):
    _, status, value = rows[inp][tool]
    if status == "timeout":
        return f"timeout >{value} s"
    if status == "fail":
        return "no `config` command" if value.startswith("has no") else "cannot run"
    if status == "skip":
        return "not run"
    mean = measure(status, value)[0]
    r = ratio_text(ratio(inp, tool))
    return fmt(mean) + ("" if tool == SW else f" ({r})") + (" ¹" if status == "single" else "")


# ------------------------------------------------------------------ correctness
def diff(a, b, path="", out=None, limit=5):
    out = [] if out is None else out
    if len(out) >= limit:
        return out
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a:
                out.append(f"{path}.{k}: only in Docker Compose v2")
            elif k not in b:
                out.append(f"{path}.{k}: only in swcompose")
            else:
                diff(a[k], b[k], f"{path}.{k}", out, limit)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, f"{path}[{i}]", out, limit)
    elif a != b:
        out.append(f"{path}: swcompose {json.dumps(a)[:60]} vs {json.dumps(b)[:60]}")
    return out[:limit]


def expected_graph(inp):
    """The depends_on sets bench/gen-compose.py wrote for diamonds-N and chain-N."""
    shape, n = re.fullmatch(r"(diamonds|chain)-(\d+)", inp).groups()
    n = int(n)
    w = len(str(n))
    name = lambda i: f"s{i:0{w}d}"
    if shape == "chain":
        return {name(i): ({name(i - 1)} if i else set()) for i in range(n)}
    return {name(i): ({name(2 * (i // 2) - 2), name(2 * (i // 2) - 1)} if i >= 2 else set())
            for i in range(n)}


checks = []
with open(E["CHECKS"]) as f:
    for line in f:
        inp, file, sw_rc, dc_rc, sw_json, dc_json = line.rstrip("\n").split("\t")
        if sw_rc != "0":
            checks.append((inp, f"**swcompose failed** (exit {sw_rc}): "
                           + open(sw_json.replace(".json", ".err")).read().strip()[:200]))
            continue
        try:
            mine = json.load(open(sw_json))
        except ValueError as e:
            checks.append((inp, f"**swcompose printed invalid JSON**: {e}"))
            continue
        graph = ""
        if re.fullmatch(r"(diamonds|chain)-\d+", inp):
            got = {k: set((v.get("depends_on") or {}).keys())
                   for k, v in (mine.get("services") or {}).items()}
            graph = (f"; {len(got)} services, depends_on as generated" if got == expected_graph(inp)
                     else "; **services or depends_on differ from what was generated**")
        if dc_rc == "0":
            theirs = json.load(open(dc_json))
            if mine == theirs:
                checks.append((inp, "exit 0; JSON equal to Docker Compose v2's" + graph))
            else:
                checks.append((inp, "exit 0; **JSON differs from Docker Compose v2's**: "
                               + "; ".join(f"`{d}`" for d in diff(mine, theirs)) + graph))
        elif dc_rc in ("124", "137"):
            checks.append((inp, f"exit 0, valid JSON{graph}; not compared: Docker Compose v2 "
                           f"timed out after {E['TIMEOUT']} s"))
        elif dc_rc == "skip":
            checks.append((inp, f"exit 0, valid JSON{graph}; not compared: Docker Compose v2 not "
                           "run (it timed out on the small variant)"))
        else:
            checks.append((inp, f"exit 0, valid JSON{graph}; not compared: Docker Compose v2 "
                           f"exit {dc_rc}"))

# ------------------------------------------------------------------ goals
def goal_lines():
    out = []

    def verdict(ok):
        return "met" if ok else "**not met**"

    for inp in ("flink-sql-demo", "realistic-500"):
        r = ratio(inp, DC2)
        if isinstance(r, float):
            out.append(f"- faster than Docker Compose v2 on {inp}: {verdict(r > 1)} "
                       f"(Docker Compose v2 takes {r:.2f}× swcompose's time)")
        for t in PY:
            r = ratio(inp, t)
            if isinstance(r, float):
                out.append(f"- at least 10× faster than {t} on {inp}: {verdict(r >= 10)} ({r:.1f}×)")
    m = sw_mean("realistic-500")
    if m is not None:
        out.append(f"- realistic-500 under 100 ms: {verdict(m < 0.1)} ({fmt(m)})")
    for inp in ("diamonds-1000", "chain-1000"):
        m = sw_mean(inp)
        if m is not None:
            out.append(f"- {inp} in milliseconds (bar taken here: under 100 ms): "
                       f"{verdict(m < 0.1)} ({fmt(m)})")
    return out


# ------------------------------------------------------------------ the page
out = [f"# `swcompose config` against its peers, {E['DATE']}", ""]
out += [
    f"Produced by `{E['INVOCATION']}` (or `make bench`) at swcompose commit {E['COMMIT']}"
    + (" with uncommitted changes" if E["DIRTY"] else "") + f"; swcompose built with `{E['BUILD']}`.",
    "",
    f"- machine: {E['NPROC']} cores ({E['CPU'] or 'unknown CPU'}), {E['MEM']}, kernel {E['KERNEL']}; "
    f"load average before / after: {E['LOAD_BEFORE']} / {E['LOAD_AFTER']}; "
    f"swift-frontend processes running at the start: {E['BUSY'] or 0}",
    f"- {E['HF']}, `-N` (no shell), 1 warm-up run; each command in a clean environment "
    "(`env -i PATH=/usr/bin:/bin HOME=/root`) from the repository root, output to /dev/null",
    f"- a peer first runs once with a {E['TIMEOUT']} s timeout; ¹ marks a time from that single run "
    f"(slower than {E['SLOW']} s, not repeated)",
    "- ratio = the tool's mean time / swcompose's on the same input (above 1: swcompose is faster)",
    "- podman-compose runs with `--dry-run` (no podman here; `config` does not need it)",
    "- a peer runs diamonds-1000 (chain-1000) only if it finished diamonds-50 (chain-60) in time",
    "",
    "## Summary: mean time (ratio to swcompose)",
    "",
    "| input | " + " | ".join(cell(t) for t in tools) + " |",
    "|---|" + "---|" * len(tools),
]
for inp in rows:
    out.append(f"| {inp} | " + " | ".join(cell(short(inp, t)) for t in tools) + " |")
out += ["", "## Aims", ""] + goal_lines()
out += ["", "## Is swcompose's output right?", "",
        "`swcompose -f FILE config --format json` on each input; compared with "
        "`docker-compose -f FILE config --format json` (Docker Compose v2.40.3) as parsed JSON, key order ignored.",
        ""]
out += [f"- {inp}: {text}" for inp, text in checks]
out += ["", "## Every run", ""]
for inp, by_tool in rows.items():
    out += [f"### {inp}", "", "| tool | mean ± σ (runs) | ratio | command |", "|---|---|---|---|"]
    for tool, (cmd, status, value) in by_tool.items():
        if status == "timeout":
            t = f"timeout >{value} s"
        elif status in ("fail", "skip"):
            t = ("cannot run: " if status == "fail" else "") + value
        else:
            mean, sd, n = measure(status, value)
            t = fmt(mean) + (f" ± {fmt(sd)}" if sd is not None else "") + f" ({n})"
        out.append(f"| {cell(tool)} | {cell(t)} | {ratio_text(ratio(inp, tool))} | `{cell(cmd)}` |")
    out.append("")
text = "\n".join(out)
with open(E["RESULT"], "w") as f:
    f.write(text)
print(text)
