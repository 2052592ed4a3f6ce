#!/usr/bin/env bash
# make bench: keysmith serve under wrk on loopback, side by side with nginx
# answering `return 200`, in the same run. Prints requests/s and p99 latency
# of each and their ratios (compare ratios, not absolute figures: wrk shares
# the machine's cores).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN="${KEYSMITH_BIN:-$PWD/build/bin/keysmith}"
DUR="${BENCH_DURATION:-8s}"
CONNS="${BENCH_CONNECTIONS:-32}"
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
ks_port="$(free_port)"; ng_port="$(free_port)"
"$BIN" serve --listen "127.0.0.1:$ks_port" >/dev/null 2>"$tmp/serve.log" &
pids+=($!)
cat >"$tmp/nginx.conf" <<CONF
daemon off; worker_processes 1; pid $tmp/nginx.pid; error_log $tmp/nginx-error.log warn;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path $tmp/b; proxy_temp_path $tmp/p; fastcgi_temp_path $tmp/f; uwsgi_temp_path $tmp/u; scgi_temp_path $tmp/s;
  server { listen 127.0.0.1:$ng_port; location / { return 200 "ok\n"; } } }
CONF
nginx -c "$tmp/nginx.conf" -p "$tmp" &
pids+=($!)
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$ks_port/keysmith/health" >/dev/null && break; sleep 0.1; done

auth_basic="$(node -e 'const k=JSON.parse(process.argv[1]); process.stdout.write("Basic "+Buffer.from(k.key+":"+k.secret).toString("base64"))' "$basic")"
read -r date auth_hmac < <(node -e '
const k = JSON.parse(process.argv[1]); const c = require("crypto");
const date = new Date().toUTCString();
const sig = c.createHmac("sha1", k.secret).update(`date: ${date}\nGET /v1/messages/bench HTTP/1.1`).digest("base64");
console.log(date.replace(/ /g, "_") + " " + `hmac username="${k.key}", algorithm="hmac-sha1", headers="date request-line", signature="${sig}"`)' "$hmac")
date="${date//_/ }"

run() { # name url headers...
	local name="$1" url="$2"; shift 2
	local out; out="$(wrk -t2 -c"$CONNS" -d"$DUR" --latency "$@" "$url")"
	local rps p99 non2xx
	rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
	p99="$(awk '$1=="99%" {print $2}' <<<"$out")"
	non2xx="$(awk '/Non-2xx/ {print $NF}' <<<"$out")"
	printf '%-28s %12s req/s   p99 %8s   non-2xx %s\n' "$name" "$rps" "$p99" "${non2xx:-0}" >&2
	echo "$rps $p99"
}
to_ms() { awk -v v="$1" 'BEGIN { n=v+0; if (v ~ /us$/) n/=1000; else if (v ~ /ms$/) n=n; else if (v ~ /s$/) n*=1000; printf "%.3f", n }'; }

echo "wrk -t2 -c$CONNS -d$DUR on loopback (2 cores shared by wrk and the server)" >&2
read -r ng_rps ng_p99 < <(run "nginx return 200" "http://127.0.0.1:$ng_port/v1/messages/bench")
# Headers that carry a secret go to wrk in a 0600 Lua file, never in argv.
headers_lua() { # file header-lines...
	local f="$1"; shift
	(umask 077; : >"$f")
	for h in "$@"; do printf 'wrk.headers["%s"] = [[%s]]\n' "${h%%: *}" "${h#*: }" >>"$f"; done
}
headers_lua "$tmp/basic.lua" "Authorization: $auth_basic"
headers_lua "$tmp/hmac.lua" "Authorization: $auth_hmac" "Date: $date"
read -r kb_rps kb_p99 < <(run "keysmith serve, Basic" "http://127.0.0.1:$ks_port/v1/messages/bench" -s "$tmp/basic.lua")
read -r kh_rps kh_p99 < <(run "keysmith serve, HMAC-SHA1" "http://127.0.0.1:$ks_port/v1/messages/bench" -s "$tmp/hmac.lua")
for kind in Basic HMAC; do
	if [ "$kind" = Basic ]; then rps=$kb_rps; p99=$kb_p99; else rps=$kh_rps; p99=$kh_p99; fi
	awk -v k="$kind" -v a="$rps" -v b="$ng_rps" -v p="$(to_ms "$p99")" -v q="$(to_ms "$ng_p99")" \
		'BEGIN { printf "ratio %-5s throughput %.2f of nginx (target >= 0.50), p99 %.2fx nginx (target <= 1.50)\n", k, a/b, p/q }'
done
grep -c ' accepted method=' "$tmp/serve.log" >/dev/null || { echo "FAIL: keysmith accepted nothing" >&2; exit 1; }
