#!/usr/bin/env bash
# Installs Intel's multi-buffer crypto library (libcrypto_mb.so, from Intel Cryptography
# Primitives), with which ogw signs RS256 tokens up to eight at a time on CPUs with AVX-512
# IFMA (`token_rsa_multibuffer`, docs/config.md). ogw runs without it, signing one by one.
#   Debian 13+ / Ubuntu 24.04+: the distribution's package (libcrypto-mb11 or -12).
#   Debian 12: the shared library of Debian 13's package, checked against its pinned SHA-256
#   and unpacked into /usr/local/lib (it needs only libc and libssl3, which Debian 12 has).
set -euo pipefail
have() { ldconfig -p | grep -qE 'libcrypto_mb\.so\.1[12] '; }
if have; then echo "crypto_mb: already installed"; exit 0; fi
if [ "$(uname -m)" != x86_64 ]; then echo "crypto_mb: x86-64 only, nothing to do"; exit 0; fi
for pkg in libcrypto-mb12 libcrypto-mb11; do
  if apt-cache show "$pkg" >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null
    echo "crypto_mb: installed $pkg"; exit 0
  fi
done
DEB=libcrypto-mb11_2021.12.1-1_amd64.deb
SHA256=ca3d60b7eb5ba9ce200ff1ee47ac52b903a4b14753ee379ea42a1524ace31da7
URL="${DEBIAN_MIRROR:-http://deb.debian.org/debian}/pool/main/i/ipp-crypto/$DEB"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
curl -fsSL -o "$tmp/$DEB" "$URL"
echo "$SHA256  $tmp/$DEB" | sha256sum -c --quiet
dpkg-deb -x "$tmp/$DEB" "$tmp/x"
install -m 0644 "$tmp/x/usr/lib/x86_64-linux-gnu/libcrypto_mb.so.11.15" /usr/local/lib/
ln -sf libcrypto_mb.so.11.15 /usr/local/lib/libcrypto_mb.so.11
ldconfig
have && echo "crypto_mb: installed $DEB into /usr/local/lib"
