#!/usr/bin/env bash
# Benchmarks `swcompose image pull` against its peers on this machine, in one run, with
# hyperfine: pull + unpack of a ~200 MB, 5-layer Debian image from a local registry into a cold
# store, and the machine's limit (sha256sum + tar -xzf of the same layers from local disk).
# Reports bench/results/pull-<date>.md (also printed). How to run it and read it: bench/README.md.
#
# Peers (apt packages, installed here when missing; Debian bookworm, as root):
#   podman pull        podman 4.3 (containers/storage, overlay driver)
#   skopeo + umoci     skopeo copy docker:// -> oci:, then umoci unpack, as one command
#   machine limit      sha256sum and tar -xzf of each layer blob, sequential and all layers at once
#   (a faster bound)   the same with openssl dgst -sha256 and tar -I unpigz (apt: pigz), reported
#                      beside the limit, not as it
#
# The image is built offline once and cached in .build-bench/pull/ (rootfs/: debootstrap
# --variant=minbase bookworm with python3 and perl; image/: bench/make-pull-image.py build).
# Delete .build-bench/pull/rootfs (or image) to rebuild it.
#
# Environment: BENCH_RUNS (default 5): timed runs per tool, after 1 warm-up run;
#              BENCH_MIRROR: Debian mirror for debootstrap (default: the one apt uses);
#              BENCH_SWIFTFLAGS: `swift build` flags (default --static-swift-stdlib);
#              SWCOMPOSE_BIN: time this binary (default .build-bench/swift/release/swcompose,
#                built with swift build -c release when missing).
# Writes only to .build-bench/ and bench/results/pull-<date>.md (and, while running, the
# registry's loopback port). Every store is removed on exit, after unmounting anything a tool
# left mounted below it; the registry is stopped.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
P=$ROOT/.build-bench/pull

say() { printf '[bench pull] %s\n' "$*" >&2; }
die() { printf '[bench pull] error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- stores and their removal
# `bench/pull.sh __clean DIR... [--mkdir DIR...]` (hyperfine's --prepare, and after tools):
# unmounts whatever is mounted at or below each DIR (deepest first), moves DIR into TRASH
# (one rename), then syncs so that one run's dirty pages are not written back during the
# next. Only directories under .build-bench/pull/.
#
# Stores are not deleted before a run but only after a tool's runs (or all at the end, when
# there is room), and the next tool waits until the deletion is BENCH_SETTLE seconds old: on
# ext4 without a journal (this VM's disk) the inode allocator skips inodes deleted less than
# 60 s ago (fs/ext4/ialloc.c, recently_deleted(); 360 s while their inode table is dirty),
# scanning for each new file, which made every cold unpack 3-6× slower right after the last
# store was removed. Nobody pulls right after deleting 10,000 files, so the numbers leave it out.
TRASH=$P/trash
STAMP=$P/deleted-at
clean_dirs() {
  local dir mnt
  for dir in "$@"; do
    case $dir in "$P"/?*) ;; *) die "__clean: $dir is not under $P" ;; esac
    case $dir in *..*) die "__clean: $dir has .." ;; esac
    # mountinfo field 5 is the mount point (space, tab, newline and \ octal-escaped).
    while read -r mnt; do
      [ -n "$mnt" ] || continue
      umount "$mnt" 2>/dev/null || umount -l "$mnt" || die "__clean: cannot unmount $mnt"
    done < <(awk -v d="$dir" '{ m = $5; gsub(/\\040/, " ", m) }
                 index(m, d) == 1 && (length(m) == length(d) || substr(m, length(d) + 1, 1) == "/") {
                   print length(m) "\t" m }' /proc/self/mountinfo | sort -rn | cut -f2-)
    if [ -e "$dir" ]; then
      mkdir -p "$TRASH"
      mv -- "$dir" "$TRASH/${dir##*/}.$(date +%s%N)"
    fi
  done
  sync
}
empty_trash() {
  [ -d "$TRASH" ] || return 0
  rm -rf -- "$TRASH"
  sync
  date +%s >"$STAMP"
}
if [ "${1:-}" = __clean ]; then  # __clean DIR... [--mkdir DIR...]: also makes these afterwards
  shift
  dirs=() made=()
  while [ $# -gt 0 ] && [ "$1" != --mkdir ]; do dirs+=("$1"); shift; done
  [ $# -gt 0 ] && shift && made=("$@")
  clean_dirs "${dirs[@]}"
  for dir in "${made[@]}"; do
    case $dir in "$P"/?*) mkdir -p -- "$dir" ;; *) die "__clean: $dir is not under $P" ;; esac
  done
  exit 0
fi
[ $# -eq 0 ] || die "usage: bench/pull.sh (no arguments; see the environment variables in its header)"

export PATH=/opt/swift/usr/bin:$PATH
RUNS=${BENCH_RUNS:-5}
case $RUNS in ''|*[!0-9]*|0) die "BENCH_RUNS must be a positive integer, not '$RUNS'" ;; esac
SWIFTFLAGS=${BENCH_SWIFTFLAGS---static-swift-stdlib}
DATE=$(date -u +%Y-%m-%d)
RESULT=bench/results/pull-$DATE.md
REG=$P/registry
STORES=$P/stores
WORK=$P/run
ROWS=$WORK/rows.tsv
NAME=bench/debian:latest
CLEAN_ENV=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root)
[ "$(id -u)" -eq 0 ] || die "run as root: podman and umoci unpack keep the layers' owners"

# ---------------------------------------------------------------- installs (only when missing)
apt_need=()
for t in hyperfine podman skopeo umoci debootstrap python3; do
  command -v "$t" >/dev/null 2>&1 || [ -x "/usr/sbin/$t" ] || apt_need+=("$t")
done
command -v gzip >/dev/null 2>&1 || apt_need+=(gzip)
command -v unpigz >/dev/null 2>&1 || apt_need+=(pigz)
command -v openssl >/dev/null 2>&1 || apt_need+=(openssl)
if [ ${#apt_need[@]} -gt 0 ]; then
  say "installing from apt: ${apt_need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null >/dev/null || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${apt_need[@]}" </dev/null >/dev/null \
    || die "apt-get install ${apt_need[*]} failed"
fi

# containers/image (podman, skopeo) keeps a blob-info cache in /var/lib/containers/cache when
# run as root, whatever --root says; it does not make a cold pull faster. If it is not there
# now, it is removed on exit, so the machine is left as it was.
CI_CACHE=/var/lib/containers/cache
CI_CACHE_NEW=
[ -e /var/lib/containers ] || CI_CACHE_NEW=/var/lib/containers
[ -n "$CI_CACHE_NEW" ] || [ -e "$CI_CACHE" ] || CI_CACHE_NEW=$CI_CACHE

REG_STARTED=
cleanup() {
  local rc=$?
  set +e
  [ -d "$STORES" ] && clean_dirs "$STORES" >/dev/null 2>&1
  empty_trash
  if [ -n "$REG_STARTED" ]; then scripts/test-registry.sh stop "$REG" >/dev/null 2>&1 || say "warning: could not stop the registry in $REG"; fi
  [ -n "$CI_CACHE_NEW" ] && rm -rf -- "$CI_CACHE_NEW"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$P" bench/results
[ -d "$STORES" ] && clean_dirs "$STORES"
empty_trash
rm -rf "$WORK"
mkdir -p "$WORK/json" "$WORK/probe" "$STORES"

# See "stores and their removal" above: wait where deleting files slows down creating them.
dev=$(df --output=source "$P" | tail -n 1)
if [ -n "${BENCH_SETTLE:-}" ]; then
  SETTLE=$BENCH_SETTLE
elif [ "$(cat "/sys/fs/ext4/${dev##*/}/journal_task" 2>/dev/null)" = "<none>" ]; then
  SETTLE=61
else
  SETTLE=0
fi
case $SETTLE in ''|*[!0-9]*) die "BENCH_SETTLE must be a number of seconds, not '$SETTLE'" ;; esac
settle() {
  local left
  [ -f "$STAMP" ] || return 0
  left=$(( $(cat "$STAMP") + SETTLE - $(date +%s) ))
  [ "$left" -gt 0 ] || return 0
  say "waiting ${left} s: files were deleted less than $SETTLE s ago (ext4 without a journal on ${dev})"
  sleep "$left"
}
# Room to keep every run's store until the end (about 350 MB each, 5 tools, RUNS + 2 runs)?
need_mb=$(( 5 * (RUNS + 2) * 400 + 4096 ))
avail_mb=$(df --output=avail -BM "$P" | tail -n 1 | tr -dc 0-9)
KEEP_TRASH=
[ "$avail_mb" -gt "$need_mb" ] && KEEP_TRASH=1

# ---------------------------------------------------------------- swcompose
if [ -n "${SWCOMPOSE_BIN:-}" ]; then
  SW=$SWCOMPOSE_BIN
  [ -x "$SW" ] || die "SWCOMPOSE_BIN=$SW is not executable"
  BUILD="given as SWCOMPOSE_BIN"
else
  SW=.build-bench/swift/release/swcompose
  if [ ! -x "$SW" ]; then
    command -v swift >/dev/null 2>&1 || die "swift not found (expected /opt/swift/usr/bin/swift)"
    say "building swcompose (release) in .build-bench/swift"
    # shellcheck disable=SC2086  # SWIFTFLAGS is a list of flags
    timeout 1800 swift build -c release --product swcompose --scratch-path .build-bench/swift $SWIFTFLAGS \
        >"$WORK/swift-build.log" 2>&1 \
      || { tail -n 30 "$WORK/swift-build.log" >&2; die "swift build -c release failed (log: $WORK/swift-build.log)"; }
    [ -x "$SW" ] || die "swift build succeeded but $SW is missing"
    BUILD="swift build -c release --product swcompose --scratch-path .build-bench/swift${SWIFTFLAGS:+ $SWIFTFLAGS}"
  else
    BUILD="existing .build-bench/swift release build of $(date -u -r "$SW" '+%Y-%m-%d %H:%M UTC')"
    if [ -n "$(find Sources Package.swift -newer "$SW" -type f 2>/dev/null | head -n 1)" ]; then
      say "warning: $SW is older than some of Sources/; timing it anyway (delete it to rebuild)"
      BUILD="$BUILD (older than some of Sources/)"
    fi
  fi
fi
case $SW in /*) ;; *) SW=$ROOT/$SW ;; esac

# ---------------------------------------------------------------- the image (cached)
mirror() {
  if [ -n "${BENCH_MIRROR:-}" ]; then echo "$BENCH_MIRROR"; return; fi
  python3 - <<'EOF'
import glob, re
cands = []
for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
    try:
        for line in open(path):
            line = re.sub(r"\[[^]]*\]", " ", line.split("#", 1)[0]).split()
            if len(line) >= 3 and line[0] == "deb" and line[2] == "bookworm":
                cands.append(line[1])
    except OSError:
        pass
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for stanza in re.split(r"\n\s*\n", open(path).read()):
        fields = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line[0].isspace():
                continue
            k, v = line.split(":", 1)
            fields[k.strip().lower()] = v.split()
        if "deb" in fields.get("types", []) and "bookworm" in fields.get("suites", []) \
                and fields.get("enabled", ["yes"])[0] != "no":
            cands += fields.get("uris", [])
print(cands[0] if cands else "http://deb.debian.org/debian")
EOF
}

ROOTFS=$P/rootfs
IMAGE=$P/image
if [ ! -d "$ROOTFS" ]; then
  MIRROR=$(mirror)
  say "debootstrap bookworm (minbase + python3, perl) from $MIRROR into $ROOTFS (once; about a minute)"
  rm -rf "$ROOTFS.tmp" "$IMAGE"
  debootstrap --variant=minbase --include=python3,perl --arch=amd64 bookworm "$ROOTFS.tmp" "$MIRROR" \
      >"$P/debootstrap.log" 2>&1 \
    || { tail -n 20 "$P/debootstrap.log" >&2; clean_dirs "$ROOTFS.tmp"; die "debootstrap failed (log: $P/debootstrap.log)"; }
  # What Docker's debian images leave out too: package caches and lists, device nodes.
  rm -rf "$ROOTFS.tmp"/var/cache/apt/archives/*.deb "$ROOTFS.tmp"/var/cache/apt/*.bin \
         "$ROOTFS.tmp"/var/lib/apt/lists/* "$ROOTFS.tmp"/dev/* "$ROOTFS.tmp"/tmp/*
  if grep -q " $ROOTFS.tmp" /proc/self/mountinfo; then clean_dirs "$ROOTFS.tmp"; die "debootstrap left mounts below $ROOTFS.tmp"; fi
  mv "$ROOTFS.tmp" "$ROOTFS"
  date +%s >"$STAMP"  # debootstrap and the rm -rf above deleted files
fi
if [ ! -f "$IMAGE/image.json" ]; then
  say "building the image from $ROOTFS into $IMAGE"
  rm -rf "$IMAGE"
  python3 bench/make-pull-image.py build --rootfs "$ROOTFS" --out "$IMAGE" || die "building the image failed"
fi
LAYERS_DIR=$IMAGE/layers
[ "$(find "$LAYERS_DIR" -name '*.tar.gz' | wc -l)" -eq 5 ] || die "expected 5 layer blobs in $LAYERS_DIR; delete $IMAGE to rebuild"

# ---------------------------------------------------------------- registry
scripts/test-registry.sh stop "$REG" >/dev/null 2>&1 || true
rm -rf "$REG"
say "starting a registry in $REG"
REG_STARTED=1
scripts/test-registry.sh start "$REG" >"$WORK/registry-start.log" 2>&1 \
  || { cat "$WORK/registry-start.log" >&2; die "scripts/test-registry.sh start failed"; }
PORT=$(cat "$REG/port")
REF=127.0.0.1:$PORT/$NAME
python3 bench/make-pull-image.py push --image "$IMAGE" --registry "127.0.0.1:$PORT" --name "$NAME" \
  || die "pushing the image to 127.0.0.1:$PORT failed"

# ---------------------------------------------------------------- tools
D_SW=$STORES/swcompose D_PM=$STORES/podman D_SU=$STORES/skopeo-umoci
D_LS=$STORES/limit-sequential D_LP=$STORES/limit-parallel D_LF=$STORES/bound-fast-tools
# The machine limit: per layer blob, sha256sum and tar -xzf (gzip is a child of tar) into a
# directory of its own; one layer after the other, or all five at once with the hash next to
# the unpack. A third form, reported beside the limit but not as it, does the same with faster
# tools: OpenSSL's SHA-256 (SHA-NI where the CPU has it; coreutils 9.1 has its own) and unpigz
# (zlib's inflate, with reading, writing and the CRC on threads of their own) instead of gzip.
# shellcheck disable=SC2016  # $ in single quotes is for the sh -c inside
LIMIT_SEQ="sh -c 'for b in $LAYERS_DIR/*.tar.gz; do d=$D_LS/\$(basename \$b .tar.gz); mkdir -p \$d && sha256sum \$b >/dev/null && tar --numeric-owner -xzf \$b -C \$d || exit 1; done'"
# shellcheck disable=SC2016
LIMIT_PAR="sh -c 'p=; for b in $LAYERS_DIR/*.tar.gz; do (d=$D_LP/\$(basename \$b .tar.gz); mkdir -p \$d && { sha256sum \$b >/dev/null & h=\$!; tar --numeric-owner -xzf \$b -C \$d && wait \$h; }) & p=\"\$p \$!\"; done; r=0; for i in \$p; do wait \$i || r=1; done; exit \$r'"
# shellcheck disable=SC2016
BOUND_FAST="sh -c 'p=; for b in $LAYERS_DIR/*.tar.gz; do (d=$D_LF/\$(basename \$b .tar.gz); mkdir -p \$d && { openssl dgst -sha256 \$b >/dev/null & h=\$!; tar --numeric-owner -I unpigz -xf \$b -C \$d && wait \$h; }) & p=\"\$p \$!\"; done; r=0; for i in \$p; do wait \$i || r=1; done; exit \$r'"
# Per tool: label, store dir, command (run by hyperfine -N, i.e. without a shell), and a
# directory to make after the clean before each run (or "").
LABELS=() DIRS=() CMDS=() PREPS=()
tool() { LABELS+=("$1"); DIRS+=("$2"); CMDS+=("$3"); PREPS+=("$4"); }
tool "swcompose" "$D_SW" "${CLEAN_ENV[*]} $SW image pull --root $D_SW -q $REF" ""
tool "podman pull" "$D_PM" "${CLEAN_ENV[*]} TMPDIR=$D_PM/tmp podman --root $D_PM/root --runroot $D_PM/run --tmpdir $D_PM/libpod --events-backend none --cgroup-manager cgroupfs --storage-driver overlay pull --tls-verify=false -q $REF" "$D_PM/tmp"
tool "skopeo copy + umoci unpack" "$D_SU" "${CLEAN_ENV[*]} sh -c 'skopeo copy --src-tls-verify=false docker://$REF oci:$D_SU/oci:latest && umoci unpack --image $D_SU/oci:latest $D_SU/bundle'" "$D_SU"
tool "limit, sequential" "$D_LS" "$LIMIT_SEQ" ""
tool "limit, layers in parallel" "$D_LP" "$LIMIT_PAR" ""
tool "bound: openssl + unpigz, layers in parallel" "$D_LF" "$BOUND_FAST" ""

# One line per tool: label, command, status (ok|fail), hyperfine json or error, check.
: >"$ROWS"
row() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$ROWS"; }
mounts_below() { awk '{ print $5 }' /proc/self/mountinfo | grep -c "^$1" || true; }

check_result() { # label dir: one line saying whether the unpacked result is complete
  local label=$1 d=$2 n
  case $label in
    swcompose)
      python3 bench/make-pull-image.py verify --image "$IMAGE" --layers "$d/images/layers" 2>&1 | head -n 25 | tr '\n' ' ' ;;
    "podman pull")
      n=$(find "$d"/root/overlay/*/diff -mindepth 1 2>/dev/null | wc -l)
      printf '%s entries in %s layer diff directories, %s mounts left below the store' \
        "$n" "$(find "$d"/root/overlay -mindepth 2 -maxdepth 2 -name diff | wc -l)" "$(mounts_below "$d")" ;;
    "skopeo copy + umoci unpack")
      n=$(find "$d/bundle/rootfs" -mindepth 1 2>/dev/null | wc -l)
      printf '%s entries in bundle/rootfs (source rootfs: %s)' "$n" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rootfs_entries"])' "$IMAGE/image.json")" ;;
    limit*|bound*)
      n=$(find "$d" -mindepth 2 2>/dev/null | wc -l)
      printf '%s entries in 5 layer directories' "$n" ;;
  esac
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
swift_busy() { pgrep -c -f '(^|/)(swift-frontend|swift-build|swift-test|[^ ]*\.xctest)( |$)' || true; }
BUSY=$(swift_busy) BUSY_MAX=$BUSY
if awk -v l="${LOAD_BEFORE%% *}" -v n="$(nproc)" 'BEGIN{exit !(l > n / 2)}'; then
  say "warning: load average $LOAD_BEFORE on $(nproc) cores: numbers will be noisy"
fi
for i in "${!LABELS[@]}"; do
  label=${LABELS[$i]} dir=${DIRS[$i]} cmd=${CMDS[$i]} prep=${PREPS[$i]}
  slug=$(printf '%s' "$label" | tr -c 'A-Za-z0-9.\n-' '_')
  prepare="bench/pull.sh __clean $dir${prep:+ --mkdir $prep}"
  [ -n "$KEEP_TRASH" ] || empty_trash
  settle
  b=$(swift_busy); [ "$b" -le "$BUSY_MAX" ] || BUSY_MAX=$b
  [ "$b" -eq 0 ] || say "warning: $b Swift compiler/build/test processes running: numbers will be noisy"
  say "$label: one checked run"
  $prepare || die "preparing for $label failed: $prepare"
  # shellcheck disable=SC2086  # split like hyperfine -N does; the sh -c commands need eval
  if ! eval "$cmd" >"$WORK/probe/$slug.out" 2>"$WORK/probe/$slug.err"; then
    msg=$(grep -v '^\s*$' "$WORK/probe/$slug.err" | tail -n 3 | tr '\n' ' ' | cut -c1-300)
    row "$label" "$cmd" fail "exit non-zero: $msg" ""
    say "$label failed: $msg"
    continue
  fi
  check=$(check_result "$label" "$dir")
  say "$label: $check"
  say "$label: hyperfine, $RUNS runs"
  json=$WORK/json/$slug.json
  if hyperfine -N --style basic --warmup 1 --runs "$RUNS" --prepare "$prepare" --export-json "$json" \
      -n "$label" "$cmd" >"$WORK/probe/$slug.hyperfine" 2>&1; then
    row "$label" "$cmd" ok "$json" "$check"
  else
    row "$label" "$cmd" fail "hyperfine failed: $(tail -n 2 "$WORK/probe/$slug.hyperfine" | tr '\n' ' ' | cut -c1-300)" "$check"
  fi
  clean_dirs "$dir"
done
clean_dirs "$STORES"
empty_trash
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
version() { "$@" 2>&1 | head -n 1; }
export ROWS RESULT DATE BUILD BUSY BUSY_MAX LOAD_BEFORE LOAD_AFTER RUNS IMAGE REF SETTLE KEEP_TRASH
export SW_VERSION="swcompose $(version "$SW" --version)"
export V_PODMAN=$(version podman --version) V_SKOPEO=$(version skopeo --version) V_UMOCI=$(version umoci --version)
export V_TAR=$(version tar --version) V_GZIP=$(version gzip --version) V_SHA=$(version sha256sum --version)
export V_PIGZ=$(version pigz --version) V_OPENSSL=$(version openssl version)
export V_HF=$(hyperfine --version) V_REGISTRY=$(version /usr/bin/docker-registry --version)
export NPROC=$(nproc) KERNEL=$(uname -r) CPU=$(lscpu 2>/dev/null | sed -n 's/^Model name:\s*//p' | head -n 1)
export MEM=$(free -g | awk '/^Mem:/{print $2 " GiB"}') FS=$(df -T "$P" | awk 'NR==2{print $2}')
export COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
export DIRTY=$(git status --porcelain -- Sources Package.swift 2>/dev/null | head -c1)
export INVOCATION="${BENCH_RUNS:+BENCH_RUNS=$BENCH_RUNS }${SWCOMPOSE_BIN:+SWCOMPOSE_BIN=$SWCOMPOSE_BIN }bench/pull.sh"
python3 bench/pull-report.py
say "written $RESULT (raw hyperfine JSON in ${WORK#"$ROOT"/}/json/)"
