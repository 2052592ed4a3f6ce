# Sourced by the make bench scripts: a throwaway account for keysmith serve.
# Sets BIN, tmp (removed on exit, with every pid in pids killed first), the
# signed-in environment, and $basic and $hmac (keys create --json output).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN="${KEYSMITH_BIN:-$PWD/build/bin/keysmith}"
tmp="$(mktemp -d)"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

export KEYSMITH_DATA_DIR="$tmp/data" KEYSMITH_EMAIL=bench@acme.test KEYSMITH_PASSWORD='violet-Tractor-93-sunrise'
printf '%s\n' "$KEYSMITH_PASSWORD" | "$BIN" init --account Bench --name Bench --email "$KEYSMITH_EMAIL" >/dev/null
basic="$("$BIN" keys create --type basic --name bench --json)"
hmac="$("$BIN" keys create --type hmac --name bench --json)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
