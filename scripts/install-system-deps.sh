#!/usr/bin/env bash
# System packages energylake needs beyond Python: Java 17 for local Spark (the Glue job's transforms)
# and Debian chromium at /usr/bin/chromium for the dashboard's browser test (Playwright drives it; never `playwright install`),
# and llvm-strip (Debian's llvm), which strips the aarch64 data layer's libraries on any host (sam build; GNU strip
# reads only its own architecture).
# Debian/Ubuntu; run as root (or with sudo). Safe to rerun: installs only what is missing.
set -euo pipefail
need=()
if ! command -v java >/dev/null 2>&1 || ! java -version 2>&1 | grep -qE 'version "(17|21)'; then
  need+=(openjdk-17-jre-headless)
fi
if [ ! -x /usr/bin/chromium ]; then
  need+=(chromium)
fi
if ! command -v llvm-strip >/dev/null 2>&1 && ! command -v aarch64-linux-gnu-strip >/dev/null 2>&1; then
  need+=(llvm)
fi
if [ ${#need[@]} -eq 0 ]; then
  echo "system dependencies present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
