#!/bin/sh
# Installs what lmz needs to build and test on Debian 12 (run as root, or
# with sudo available). Safe to run again: installs only what is missing.
set -e
pkgs="build-essential cmake pkg-config clang libclang-rt-14-dev libzstd-dev liblzma-dev libxxhash-dev
      zstd xz-utils bzip2 gzip brotli gnuplot-nox valgrind python3 python3-pytest python3-distributed
      python3-numpy"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
