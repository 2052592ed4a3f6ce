# Sourced by the make bench scripts: a throwaway account for keysmith serve.
# Sets BIN, tmp (removed on exit, with every pid in pids killed first), the
# signed-in environment, and $basic and $hmac (keys create --json output);
# defines the helpers both serve benchmarks use.
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
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Secrets go to node in its environment and to wrk in a 0600 Lua file, never
# in argv.
headers_lua() { # file header-lines...
	local f="$1"; shift
	(umask 077; : >"$f")
	for h in "$@"; do printf 'wrk.headers["%s"] = [[%s]]\n' "${h%%: *}" "${h#*: }" >>"$f"; done
}
basic_auth() { # the Authorization header value of the Basic key
	KEY_JSON="$basic" node -e 'const k=JSON.parse(process.env.KEY_JSON); process.stdout.write("Basic "+Buffer.from(k.key+":"+k.secret).toString("base64"))'
}
# sign_hmac: $tmp/hmac.lua with a fresh SDK-style signature of the HMAC key,
# so its date stays well inside the allowed skew however many rounds run.
sign_hmac() {
	local date auth
	read -r date auth < <(KEY_JSON="$hmac" node -e '
const k = JSON.parse(process.env.KEY_JSON); const c = require("crypto");
const date = new Date().toUTCString();
const sig = c.createHmac("sha1", k.secret).update(`date: ${date}\nGET /v1/messages/bench HTTP/1.1`).digest("base64");
console.log(date.replace(/ /g, "_") + " " + `hmac username="${k.key}", algorithm="hmac-sha1", headers="date request-line", signature="${sig}"`)')
	headers_lua "$tmp/hmac.lua" "Authorization: $auth" "Date: ${date//_/ }"
}
