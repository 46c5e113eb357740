#!/usr/bin/env bash
# Throwaway OCI registries for the image-store tests (offline, loopback only).
#
#   scripts/test-registry.sh start DIR   # two registries under DIR, ports/pids in DIR
#   scripts/test-registry.sh stop DIR    # kills only the pids recorded in DIR
#
# start writes:
#   DIR/port, DIR/pid            plain registry (no auth), http://127.0.0.1:$(cat DIR/port)
#   DIR/auth-port, DIR/auth-pid  registry with htpasswd Basic auth (user tester, password s3cret)
#   DIR/config.yml, DIR/auth/config.yml, DIR/auth/htpasswd, DIR/*.log, DIR/data, DIR/auth/data
# Both are Debian's /usr/bin/docker-registry (distribution 2.8) started by hand;
# the packaged systemd service and /var/lib/docker-registry are never touched.
# Works without a terminal (CI=true, no stdin).
set -euo pipefail

AUTH_USER=tester
AUTH_PASSWORD=s3cret

die() { echo "test-registry: $*" >&2; exit 1; }

ensure_packages() {
  local need=()
  [ -x /usr/bin/docker-registry ] || need+=(docker-registry)
  command -v htpasswd >/dev/null 2>&1 || need+=(apache2-utils)
  [ -x /bin/busybox ] && dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
  command -v python3 >/dev/null 2>&1 || need+=(python3)
  command -v zstd >/dev/null 2>&1 || need+=(zstd)
  [ ${#need[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "need root to apt-get install ${need[*]}"
  echo "test-registry: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Only refresh the lists when a candidate is missing (fresh machine).
  if ! apt-get install -y -qq --no-install-recommends "${need[@]}" </dev/null >/dev/null 2>&1; then
    apt-get update -qq </dev/null >/dev/null
    apt-get install -y -qq --no-install-recommends "${need[@]}" </dev/null >/dev/null
  fi
  # The package may have enabled its own service; we never start or stop it.
}

free_port() {
  python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

# wait_up URL PID LOG: until GET URL gives any HTTP status (200 or 401).
wait_up() {
  local url=$1 pid=$2 log=$3 i
  for i in $(seq 1 100); do
    if ! alive "$pid"; then
      echo "--- $log" >&2; tail -n 30 "$log" >&2 || true
      die "registry pid $pid exited during startup"
    fi
    if python3 - "$url" <<'EOF' 2>/dev/null
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=1).read()
except urllib.error.HTTPError as e:
    sys.exit(0 if e.code == 401 else 1)
except Exception:
    sys.exit(1)
EOF
    then return 0; fi
    sleep 0.1
  done
  echo "--- $log" >&2; tail -n 30 "$log" >&2 || true
  die "registry at $url did not answer within 10s"
}

write_config() { # FILE DATA PORT [HTPASSWD]
  local file=$1 data=$2 port=$3 htp=${4:-}
  {
    echo "version: 0.1"
    echo "log:"
    echo "  level: info"
    echo "  accesslog:"
    echo "    disabled: false"
    echo "  fields:"
    echo "    service: swtest-registry"
    echo "storage:"
    echo "  filesystem:"
    echo "    rootdirectory: $data"
    echo "  delete:"
    echo "    enabled: true"
    echo "  maintenance:"
    echo "    uploadpurging:"
    echo "      enabled: false"
    echo "http:"
    echo "  addr: 127.0.0.1:$port"
    echo "  secret: swtest-fixture-secret"
    echo "  headers:"
    echo "    X-Content-Type-Options: [nosniff]"
    # Accept foreign/non-distributable layers whose URLs point at loopback
    # (distribution rejects every foreign layer URL unless allowed here).
    echo "validation:"
    echo "  manifests:"
    echo "    urls:"
    echo "      allow:"
    echo "        - '^http://127\\.0\\.0\\.1(:[0-9]+)?/'"
    if [ -n "$htp" ]; then
      echo "auth:"
      echo "  htpasswd:"
      echo "    realm: swtest-basic-realm"
      echo "    path: $htp"
    fi
  } >"$file"
}

# start_one NAME CONFIG LOG PORTFILE PIDFILE
start_one() {
  local config=$1 log=$2 portfile=$3 pidfile=$4 port=$5 pid
  if [ -s "$pidfile" ] && alive "$(cat "$pidfile")" && is_registry "$(cat "$pidfile")"; then
    die "a registry is already running from $pidfile (pid $(cat "$pidfile")); stop it first"
  fi
  # No setsid/nohup games: a plain background child with its stdio detached
  # survives this script and is the registry process itself ($! is its pid).
  /usr/bin/docker-registry serve "$config" </dev/null >>"$log" 2>&1 &
  pid=$!
  echo "$pid" >"$pidfile"
  wait_up "http://127.0.0.1:$port/v2/" "$pid" "$log"
  echo "$port" >"$portfile"
}

cmd_start() {
  local dir=$1
  ensure_packages
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  mkdir -p "$dir/data" "$dir/auth/data"

  local port auth_port
  port=$(free_port)
  write_config "$dir/config.yml" "$dir/data" "$port"
  start_one "$dir/config.yml" "$dir/registry.log" "$dir/port" "$dir/pid" "$port"

  htpasswd -Bbn "$AUTH_USER" "$AUTH_PASSWORD" >"$dir/auth/htpasswd"
  auth_port=$(free_port)
  write_config "$dir/auth/config.yml" "$dir/auth/data" "$auth_port" "$dir/auth/htpasswd"
  start_one "$dir/auth/config.yml" "$dir/auth-registry.log" "$dir/auth-port" "$dir/auth-pid" "$auth_port"

  echo "registry      http://127.0.0.1:$port  (pid $(cat "$dir/pid"))"
  echo "auth registry http://127.0.0.1:$auth_port  (pid $(cat "$dir/auth-pid"), $AUTH_USER/$AUTH_PASSWORD)"
}

# alive PID: true while PID exists and is not a zombie (an orphan's zombie may
# linger if PID 1 does not reap).
alive() {
  local st
  [ -r "/proc/$1/stat" ] || return 1
  st=$(sed -e 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# is_registry PID: the pid still runs docker-registry (guards against pid reuse).
is_registry() {
  tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q 'docker-registry serve'
}

stop_pidfile() {
  local pidfile=$1 pid i
  [ -s "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  case $pid in ''|*[!0-9]*) rm -f "$pidfile"; return 0;; esac
  if alive "$pid" && is_registry "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then
      kill -KILL "$pid" 2>/dev/null || true
      for i in $(seq 1 50); do alive "$pid" || break; sleep 0.1; done
    fi
    alive "$pid" && die "pid $pid from $pidfile did not exit"
  fi
  rm -f "$pidfile"
}

cmd_stop() {
  local dir=$1
  [ -d "$dir" ] || return 0
  stop_pidfile "$dir/auth-pid"
  stop_pidfile "$dir/pid"
  rm -f "$dir/port" "$dir/auth-port"
}

case ${1:-} in
  start) [ $# -eq 2 ] || die "usage: $0 start DIR"; cmd_start "$2" ;;
  stop)  [ $# -eq 2 ] || die "usage: $0 stop DIR"; cmd_stop "$2" ;;
  *) echo "usage: $0 start DIR | stop DIR" >&2; exit 2 ;;
esac
