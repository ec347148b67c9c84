#!/usr/bin/env bash
# System packages energylake needs beyond Python: Java 17 for local Spark (the Glue job's transforms)
# and Debian chromium at /usr/bin/chromium for the dashboard's browser test (Playwright drives it; never `playwright install`).
# Debian/Ubuntu; run as root (or with sudo). Safe to rerun: installs only what is missing.
set -euo pipefail
need=()
if ! command -v java >/dev/null 2>&1 || ! java -version 2>&1 | grep -qE 'version "(17|21)'; then
  need+=(openjdk-17-jre-headless)
fi
if [ ! -x /usr/bin/chromium ]; then
  need+=(chromium)
fi
if [ ${#need[@]} -eq 0 ]; then
  echo "system dependencies present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
