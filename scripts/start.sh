#!/usr/bin/env bash
# Starts classic Jupyter Notebook on 127.0.0.1 in notebooks/, with this project's
# tslab kernel (found through JUPYTER_PATH, so the user's Jupyter config is untouched).
# Jupyter prints the URL with its token; open it in a browser.
set -euo pipefail
cd "$(dirname "$0")/.."
export JUPYTER_PATH="$(pwd)/.jupyter/share/jupyter"
args=(--ip=127.0.0.1 --port="${PORT:-8888}" --no-browser --notebook-dir="$(pwd)/notebooks")
[ "$(id -u)" = 0 ] && args+=(--allow-root)
echo "[start] Jupyter Notebook with the TypeScript (tslab) kernel; stop with Ctrl-C"
exec /usr/bin/python3 -m jupyter notebook "${args[@]}"
