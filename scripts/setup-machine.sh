#!/usr/bin/env bash
# Makes this machine ready for the harness: Debian packages and the daemons it talks to
# (pcscd with the vpcd driver, PostgreSQL). Idempotent and quick when all is there.
# As root it installs and starts what is missing; otherwise it stops at once, naming
# what is missing and the command that adds it.
set -euo pipefail

updated=
# ensure_packages WHAT [apt-get options] -- PACKAGE...: install what is missing (root), or stop
# and say what to run.
ensure_packages() {
  local what=$1; shift
  local opts=()
  while [ "$1" != "--" ]; do opts+=("$1"); shift; done; shift
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "medcard setup: missing Debian packages for $what: ${missing[*]}" >&2
    echo "  add them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "medcard setup: installing ${missing[*]}" >&2
  [ -n "$updated" ] || { apt-get update -qq; updated=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${opts[@]}" "${missing[@]}" >/dev/null
  # A pcscd started before the vpcd driver was installed does not know its readers.
  # Stop that one by its pid file, not every process of that name.
  if [[ " ${missing[*]} " == *" vsmartcard-vpcd "* ]] && [ -s /run/pcscd/pcscd.pid ]; then
    kill "$(cat /run/pcscd/pcscd.pid)" 2>/dev/null || true
    sleep 0.5
  fi
}

ensure_packages "the card rigs" -- pcscd vsmartcard-vpcd vsmartcard-vpicc python3-pycryptodome libpcsclite-dev pcsc-tools opensc socat udev
# native/sscard (libsscard.so, built at npm ci): a C compiler, make, pkg-config and pcsc-lite's headers.
ensure_packages "native/sscard" -- gcc libc6-dev make pkg-config libpcsclite-dev
# native/sscard as a Windows DLL (SSCardDriver.dll, x86_64 and i686) run under Wine with the
# pcsc-lite bridge of native/sscard/wine-winscard (test/sscard/windows-dll.test.ts): mingw,
# Wine 8.0 and its Winelib tools. About 300 MB to download.
ensure_packages "the Windows DLL under Wine" --no-install-recommends -- gcc-mingw-w64-x86-64 gcc-mingw-w64-i686 wine wine64 wine64-tools
# Certification (medcard certify): a terminal under test written in Python, as test/compliance has one.
ensure_packages "a terminal under test in Python" -- python3-pyscard

# The Allure report: a CJK font (without one, Chinese renders as empty boxes; the report
# ships only Latin fonts) and the headless browser test/cli/report-browser.test.ts uses.
ensure_packages "the HTML report" --no-install-recommends -- fonts-wqy-microhei chromium

if ! pgrep -x pcscd >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "medcard setup: pcscd is not running; start it with: sudo pcscd" >&2
    exit 1
  fi
  pcscd
  for _ in $(seq 1 50); do [ -S /run/pcscd/pcscd.comm ] && break; sleep 0.1; done
fi

if command -v pg_lsclusters >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "medcard setup: PostgreSQL is not answering on 127.0.0.1:5432; start it with: sudo pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start" >&2
    exit 1
  fi
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
fi

# Containers (issue 9): Debian's docker.io (the engine) and debootstrap (the base image; no
# registry is reachable, so images are built locally by `medcard images build`). dockerd is
# started in the background when `docker info` does not answer.
ensure_packages "the container rigs" --no-install-recommends -- docker.io debootstrap
if [ -z "${DOCKER_HOST:-}" ] && ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "medcard setup: no Docker Engine answers; start it with: sudo dockerd &" >&2
    exit 1
  fi
  echo "medcard setup: starting dockerd (log: /var/log/medcard-dockerd.log)" >&2
  # setsid: a session of its own, so dockerd outlives the shell (and process group) that started it.
  setsid nohup dockerd >/var/log/medcard-dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 1 100); do docker info >/dev/null 2>&1 && break; sleep 0.2; done
  docker info >/dev/null 2>&1 || { echo "medcard setup: dockerd did not start; see /var/log/medcard-dockerd.log" >&2; exit 1; }
fi
