#!/usr/bin/env python3
"""Writes the generated Compose files that bench/config.sh times `config` on.

Usage: gen-compose.py SHAPE N OUT
  realistic N   N services as a real project looks: image, ports, environment (with
                interpolation), named and bind volumes, networks, a healthcheck on the shared
                database, and depends_on forming short stacks of diamonds: one shared `db`, then
                groups of 10 (a group root on `db`, then 3 stacked diamonds root -> 2 sides ->
                junction -> 2 sides -> ...). Path counts stay small (2^3 per group).
  diamonds N    The pathological shape: N/2 levels of 2 services, each service depending on both
                services of the level above (N=50 -> 25 stacked diamonds). A graph walk that
                follows every path instead of visiting each service once takes 2^(N/2) steps.
  chain N       s0 <- s1 <- ... <- s(N-1) (zero-padded): each service depends on the one before.

No top-level `name:` (Compose 1.29 rejects it): the project is named after the file's directory.
Only the standard library; the YAML is written by hand so nothing needs installing.
"""
import os
import sys


def name(prefix, i, width):
    return f"{prefix}{i:0{width}d}"


def deps_block(deps, long_syntax=False):
    if not deps:
        return []
    if long_syntax:
        out = ["    depends_on:"]
        for d, cond in deps:
            out += [f"      {d}:", f"        condition: {cond}"]
        return out
    return ["    depends_on:"] + [f"      - {d}" for d, _ in deps]


def realistic(n):
    width = len(str(n))

    def svcname(i):  # index 0 is the shared database, the root of group 0
        return "db" if i == 0 else name("svc-", i, width)

    lines = ["services:"]
    lines += [
        "  db:",
        "    image: postgres:16.4-bookworm",
        "    ports:",
        '      - "5432:5432"',
        "    environment:",
        "      POSTGRES_USER: app",
        "      POSTGRES_PASSWORD: ${DB_PASSWORD:-secret}",
        "      POSTGRES_DB: app",
        "    volumes:",
        "      - db-data:/var/lib/postgresql/data",
        "    healthcheck:",
        '      test: ["CMD", "pg_isready", "-U", "app"]',
        "      interval: 5s",
        "      timeout: 3s",
        "      retries: 10",
        "    networks: [backend]",
    ]
    volumes = ["db-data"]
    for i in range(1, n):
        svc = svcname(i)
        j = i % 10  # position inside its group of 10
        base = i - j
        if j == 0:
            deps = [("db", "service_healthy")]
        elif j % 3 != 0:  # a side of a diamond: depends on the junction above it
            deps = [(svcname(base + 3 * (j // 3)), "service_started")]
        else:  # a junction: depends on the two sides above it
            deps = [(svcname(i - 1), "service_started"), (svcname(i - 2), "service_started")]
        vol = f"data-{i:0{width}d}"
        volumes.append(vol)
        lines += [
            f"  {svc}:",
            f"    image: registry.example.com/team/{svc}:1.{i % 7}.{i % 13}",
            "    restart: unless-stopped",
            "    ports:",
            f'      - "{10000 + i}:8080"',
            f'      - "127.0.0.1:{20000 + i}:9090/tcp"',
            "    environment:",
            f"      SERVICE_NAME: {svc}",
            "      LOG_LEVEL: ${LOG_LEVEL:-info}",
            f"      DATABASE_URL: postgres://app:${{DB_PASSWORD:-secret}}@db:5432/app_{i}",
            f"      HTTP_PORT: \"8080\"",
            f"      UPSTREAM: http://{deps[0][0]}:8080",
            "    volumes:",
            f"      - {vol}:/var/lib/{svc}",
            f"      - ./config/{svc}:/etc/{svc}:ro",
            "    networks: [backend, frontend]",
            "    labels:",
            "      com.example.team: platform",
            f"      com.example.group: \"{i // 10}\"",
        ]
        lines += deps_block(deps, long_syntax=(j % 3 == 0))
    lines += ["networks:", "  backend: {}", "  frontend: {}", "volumes:"]
    lines += [f"  {v}: {{}}" for v in volumes]
    return lines


def diamonds(n):
    if n % 2:
        raise SystemExit("diamonds: N must be even (levels of 2)")
    width = len(str(n))
    lines = ["services:"]
    for i in range(n):
        level = i // 2
        lines += [f"  {name('s', i, width)}:", "    image: busybox:1.36"]
        if level > 0:
            lines += deps_block([(name("s", 2 * level - 2, width), ""),
                                 (name("s", 2 * level - 1, width), "")])
    return lines


def chain(n):
    width = len(str(n))
    lines = ["services:"]
    for i in range(n):
        lines += [f"  {name('s', i, width)}:", "    image: busybox:1.36"]
        if i > 0:
            lines += deps_block([(name("s", i - 1, width), "")])
    return lines


def main(argv):
    shapes = {"realistic": realistic, "diamonds": diamonds, "chain": chain}
    if len(argv) != 4 or argv[1] not in shapes:
        sys.stderr.write(__doc__)
        return 2
    try:
        n = int(argv[2])
    except ValueError:
        sys.stderr.write(f"N must be a number, got {argv[2]!r}\n")
        return 2
    if n < 1:
        sys.stderr.write("N must be at least 1\n")
        return 2
    text = "\n".join(shapes[argv[1]](n)) + "\n"
    out = argv[3]
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
