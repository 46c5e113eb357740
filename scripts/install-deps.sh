#!/usr/bin/env bash
# Installs what building and testing swcompose needs on Debian bookworm, only where missing.
set -euo pipefail
need=()
command -v python3 >/dev/null 2>&1 || need+=(python3)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
command -v git >/dev/null 2>&1 || need+=(git)
command -v make >/dev/null 2>&1 || need+=(make)
# Headers of the C libraries the image store loads at run time (dlopen): libarchive, OpenSSL.
[ -f /usr/include/archive.h ] || need+=(libarchive-dev)
[ -f /usr/include/openssl/evp.h ] || need+=(libssl-dev)
# The image-store tests: a real registry, htpasswd, busybox for the test images, zstd layers.
[ -x /usr/bin/docker-registry ] || need+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || need+=(apache2-utils)
[ -x /bin/busybox ] || need+=(busybox-static)
command -v zstd >/dev/null 2>&1 || need+=(zstd)
# The TLS tests make a private CA and certificates; gzip compresses a test archive.
[ -x /usr/bin/openssl ] || need+=(openssl)
command -v gzip >/dev/null 2>&1 || need+=(gzip)
# Interoperability of image archives: skopeo (containers/image, as podman) reads and writes them.
[ -x /usr/bin/skopeo ] || need+=(skopeo)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "install as root: apt-get install ${need[*]}" >&2; exit 1; fi
  echo "installing ${need[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if ! command -v swift >/dev/null 2>&1 && [ ! -x /opt/swift/usr/bin/swift ]; then
  echo "Swift 6 is needed: install a Swift toolchain (https://swift.org/install) to /opt/swift" >&2
  exit 1
fi
