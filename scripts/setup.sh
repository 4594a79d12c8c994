#!/usr/bin/env bash
# Brings a fresh machine to the point where the lessons run: Debian's Jupyter,
# the npm dependencies, the compiled lib, and a tslab kernelspec registered for
# this project only (under .jupyter/, never in the user's global Jupyter dirs).
# Each step is skipped when its result is already there, so re-running is cheap.
#
#   scripts/setup.sh          what the lessons need
#   scripts/setup.sh --test   also the real peers the interop tests talk to
#   scripts/setup.sh --bench  also the peers only the benchmarks use (Postfix, Dovecot)
#   scripts/setup.sh --hub    also JupyterHub, for a class (npm run hub)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

want_test=0
want_bench=0
want_hub=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test=1; want_hub=1 ;;
    --bench) want_test=1; want_bench=1; want_hub=1 ;;
    --hub) want_hub=1 ;;
  esac
done

say() { printf '[setup] %s\n' "$*"; }

# --- 1. Debian packages --------------------------------------------------------
# Jupyter comes from Debian because PyPI is out of reach on these machines; it runs
# on /usr/bin/python3 (a `python3` earlier on PATH may be a separate interpreter).
# fonts-dejavu-core: the fonts charts are drawn with when the kernel renders them to PNG.
# bubblewrap: the grading sandbox (applayer course autograde, validate, lint run every kernel in one).
apt_pkgs=(jupyter-notebook jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel fonts-dejavu-core bubblewrap)
if [ "$want_test" = 1 ]; then
  # Standard tools and servers the interop tests run against ours.
  # redis-server: the grading queue's tests start one on loopback.
  # transmission-daemon, python3-libtorrent: BitTorrent peers; isync (mbsync), fetchmail: IMAP STARTTLS and POP3 STLS clients.
  # ldnsutils (drill), dnsviz: DNSSEC judges of the signed zones our DNS server serves.
  apt_pkgs+=(socat netcat-openbsd bind9-dnsutils bind9 nsd knot unbound dnsperf ldnsutils dnsviz swaks libnet-ssleay-perl python3-aiosmtpd dovecot-imapd dovecot-pop3d chromium aria2 transmission-cli mktorrent opentracker tshark bind9-utils redis-server transmission-daemon python3-libtorrent isync fetchmail)
fi
if [ "$want_hub" = 1 ]; then
  # JupyterHub 3 and its proxy (node-configurable-http-proxy); its systemd unit stays stopped (policy-rc.d below).
  # iptables: the hub opens each student's kernel address to that student only (deploy/hub/classroom.py).
  apt_pkgs+=(jupyterhub iptables)
fi
if [ "$want_bench" = 1 ]; then
  apt_pkgs+=(postfix)
fi
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "[setup] missing Debian packages: ${missing[*]}" >&2
    echo "[setup] install them with: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Daemons (bind9, nsd, …) must not start on install: their packaged configs listen on
  # every interface. policy-rc.d exit 101 is Debian's way to say "do not start services".
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    say "created /usr/sbin/policy-rc.d (exit 101) so installed daemons stay stopped"
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- 2. npm dependencies ---------------------------------------------------------
# npm ci when the lock changed since the last install (or nothing is installed yet).
# The .bin/applayer check catches a node_modules made before the command's shim existed.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ ! -e node_modules/.bin/applayer ]; then
  say "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# --- 3. the lib --------------------------------------------------------------------
# Incremental tsc: about a second when nothing changed. Notebooks import the compiled
# lib/dist by package name ("applayer"), because tslab cannot import ../lib sources.
say "building lib (tsc -p lib/tsconfig.json)"
node node_modules/typescript/bin/tsc -p lib/tsconfig.json

# --- 4. the tslab kernelspec, for this project only --------------------------------
# The kernel must run *this* project's tslab: the lib's chart helper talks to the
# kernel through tslab's module state, so both must load the same tslab install.
# Every kernel starts with the orphan guard preloaded: when whatever started it (a
# Notebook server, nbconvert, a student's server on the hub) dies without stopping
# it, the kernel ends itself within a second instead of looping on unseen.
spec="$root/.jupyter/share/jupyter/kernels/tslab/kernel.json"
guard="$root/lib/dist/course/orphan-guard.js"
if [ ! -f "$spec" ] || ! grep -q "$root/node_modules/.bin/tslab" "$spec" || ! grep -q "$guard" "$spec"; then
  say "registering the tslab kernel under .jupyter/"
  node_modules/.bin/tslab install --python=/usr/bin/python3 --prefix "$root/.jupyter" \
    --binary "$root/node_modules/.bin/tslab" >/dev/null
  SPEC="$spec" GUARD="$guard" TSLAB="$root/node_modules/.bin/tslab" node -e '
    const fs = require("node:fs");
    const spec = JSON.parse(fs.readFileSync(process.env.SPEC, "utf8"));
    spec.argv = ["node", "--require", process.env.GUARD, process.env.TSLAB, "kernel", "--config-path", "{connection_file}"];
    fs.writeFileSync(process.env.SPEC, JSON.stringify(spec));'
fi
say "ready"
