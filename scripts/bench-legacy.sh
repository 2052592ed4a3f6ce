#!/usr/bin/env bash
# make bench: keysmith serve while 64 connections hammer Legacy passwords.
# Valid Basic, HMAC-SHA1 and Legacy requests (4 paced connections) are measured
# idle, then while a second wrk sends wrong passwords on 64 connections: for
# one known Legacy username (the one the valid Legacy requests use), and for a
# new unknown username on every request. BENCH_ROUNDS (3) interleaved rounds,
# medians of the p99 latencies and their ratio to idle (target <= 2x), and the
# peak RSS of serve over the whole run (VmHWM, target < 300 MiB).
DUR="${BENCH_DURATION:-5}"
ROUNDS="${BENCH_ROUNDS:-3}"
. "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
legacy_user=benchlegacy legacy_pass=Benchpass0rd
printf '%s\n' "$legacy_pass" | "$BIN" legacy create --username "$legacy_user" >/dev/null
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port/v1/messages/bench"

b64() { printf '%s' "$1" | base64 -w0; }
# Secrets go to node in its environment and to wrk in a 0600 Lua file, never
# in argv.
headers_lua() { # file header-lines...
	local f="$1"; shift
	(umask 077; : >"$f")
	for h in "$@"; do printf 'wrk.headers["%s"] = [[%s]]\n' "${h%%: *}" "${h#*: }" >>"$f"; done
}
# Valid traffic is paced (each connection waits PACE ms between requests, so
# about 4000/PACE requests/s in all): its p99 then shows what the hammer does
# to a request, not how a saturated closed loop queues.
PACE="${BENCH_PACE_MS:-2}"
headers_lua "$tmp/basic.lua" "Authorization: Basic $(K="$basic" node -e 'const k=JSON.parse(process.env.K); process.stdout.write(Buffer.from(k.key+":"+k.secret).toString("base64"))')"
headers_lua "$tmp/legacy.lua" "Authorization: Basic $(b64 "$legacy_user:$legacy_pass")"
headers_lua "$tmp/hammer-one.lua" "Authorization: Basic $(b64 "$legacy_user:Wrong0password")"
# A new lowercase username on every request: no throttle applies, every one
# costs an argon2id check (bounded by the verifier's slots).
cat >"$tmp/hammer-new.lua" <<'LUA'
local abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function b64(s)
	local out, pad = {}, (3 - #s % 3) % 3
	s = s .. string.rep("\0", pad)
	for i = 1, #s, 3 do
		local n = s:byte(i) * 65536 + s:byte(i + 1) * 256 + s:byte(i + 2)
		for j = 3, 0, -1 do
			local k = math.floor(n / 64 ^ j) % 64
			out[#out + 1] = abc:sub(k + 1, k + 1)
		end
	end
	local r = table.concat(out)
	return r:sub(1, #r - pad) .. string.rep("=", pad)
end
math.randomseed(os.time() + math.floor(os.clock() * 1e6))
local n = 0
request = function()
	n = n + 1
	local user = string.format("h%08x%d", math.random(0, 0x7fffffff), n)
	return wrk.format("GET", nil, { Authorization = "Basic " .. b64(user .. ":Wrong0password") })
end
LUA
sign_hmac() {
	local date auth
	read -r date auth < <(K="$hmac" node -e '
const k = JSON.parse(process.env.K); const c = require("crypto");
const date = new Date().toUTCString();
const sig = c.createHmac("sha1", k.secret).update(`date: ${date}\nGET /v1/messages/bench HTTP/1.1`).digest("base64");
console.log(date.replace(/ /g, "_") + " " + `hmac username="${k.key}", algorithm="hmac-sha1", headers="date request-line", signature="${sig}"`)')
	headers_lua "$tmp/hmac.lua" "Authorization: $auth" "Date: ${date//_/ }"
	echo "delay = function() return $PACE end" >>"$tmp/hmac.lua"
}
for f in basic legacy; do echo "delay = function() return $PACE end" >>"$tmp/$f.lua"; done

"$BIN" serve --listen "127.0.0.1:$port" >/dev/null 2>"$tmp/serve.log" &
ks_pid=$!
pids+=("$ks_pid")
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/keysmith/health" >/dev/null && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$port/keysmith/health" >/dev/null || { echo "FAIL: serve did not start" >&2; exit 1; }
# One accepted Legacy request first: a service pays argon2id once, then the
# verifier remembers its password.
curl -fs -H @- "$url" >/dev/null <<<"Authorization: Basic $(b64 "$legacy_user:$legacy_pass")" || { echo "FAIL: the Legacy password was refused" >&2; exit 1; }

# measure SCRIPT: prints "p99-ms non-2xx requests/s" of valid requests.
measure() {
	wrk -t1 -c4 -d"${DUR}s" --latency -s "$1" "$url" | awk '
		function ms(v) { n = v + 0; if (v ~ /us$/) return n / 1000; if (v ~ /ms$/) return n; if (v ~ /s$/) return n * 1000; return n }
		/Requests\/sec/ { r = $2 } $1 == "99%" { p = ms($2) } /Non-2xx/ { e = $NF }
		END { printf "%.3f %d %.0f\n", p, e, r }'
}
valid_round() { # phase
	sign_hmac
	for kind in basic hmac legacy; do echo "$1 $kind $(measure "$tmp/$kind.lua")" >>"$tmp/rows"; done
}
: >"$tmp/rows"
: >"$tmp/hammer"
for round in $(seq "$ROUNDS"); do
	valid_round idle
	for hammer in one new; do
		wrk -t1 -c64 -d"$((3 * DUR + 3))s" -s "$tmp/hammer-$hammer.lua" "$url" >"$tmp/hammer-out" &
		hp=$!
		sleep 1
		valid_round "$hammer"
		wait "$hp"
		echo "$hammer $(awk '/Requests\/sec/ { print $2 }' "$tmp/hammer-out")" >>"$tmp/hammer"
	done
done
hwm_kib="$(awk '/^VmHWM/ { print $2 }' "/proc/$ks_pid/status")"
rss_kib="$(awk '/^VmRSS/ { print $2 }' "/proc/$ks_pid/status")"
kill "$ks_pid"; wait "$ks_pid" 2>/dev/null || true

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "valid requests: wrk -t1 -c4 -d${DUR}s each, ${PACE} ms between requests on a connection; hammer: wrk -t1 -c64 of wrong Legacy passwords; $ROUNDS interleaved rounds, medians; serve with Go's default GOMAXPROCS ($(nproc) cores, shared with both wrk)" >&2
errors="$(awk '{ e += $4 } END { print e + 0 }' "$tmp/rows")"
for hammer in one new; do
	case "$hammer" in one) label="one known username (throttled)";; new) label="a new unknown username per request";; esac
	echo "hammer: $label, $(awk -v h="$hammer" '$1 == h { print $2 }' "$tmp/hammer" | median) refusals/s" >&2
	for kind in basic hmac legacy; do
		idle="$(awk -v k="$kind" '$1 == "idle" && $2 == k { print $3 }' "$tmp/rows" | median)"
		busy="$(awk -v h="$hammer" -v k="$kind" '$1 == h && $2 == k { print $3 }' "$tmp/rows" | median)"
		awk -v h="$hammer" -v k="$kind" -v a="$idle" -v b="$busy" 'BEGIN { r = b / a
			t = h == "one" ? sprintf("target <= 2.00: %s", r <= 2 ? "met" : "missed") : "worst case, no target"
			printf "  legacy-hammer %-3s %-6s p99 idle %7.3f ms, under hammer %7.3f ms, ratio %.2fx (%s)\n", h, k, a, b, r, t }' >&2
	done
done
awk -v h="$hwm_kib" -v r="$rss_kib" 'BEGIN { printf "  legacy-hammer serve peak RSS (VmHWM) %.1f MiB, at the end %.1f MiB (target < 300: %s)\n",
	h / 1024, r / 1024, (h / 1024 < 300 ? "met" : "missed") }' >&2
[ "$errors" -eq 0 ] || { echo "FAIL: keysmith refused $errors valid requests:" >&2; awk '$4 > 0 { print "  " $1 " " $2 ": " $4 }' "$tmp/rows" >&2; exit 1; }
for reason in throttled busy; do
	echo "  refusals logged with reason=\"$reason\": $(grep -c "reason=\"$reason\"" "$tmp/serve.log" || true)" >&2
done
