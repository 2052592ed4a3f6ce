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
port="$(free_port)"
url="http://127.0.0.1:$port/v1/messages/bench"

b64() { printf '%s' "$1" | base64 -w0; }
# Valid traffic is paced (each connection waits PACE ms between requests, so
# about 4000/PACE requests/s in all): its p99 then shows what the hammer does
# to a request, not how a saturated closed loop queues.
PACE="${BENCH_PACE_MS:-2}"
headers_lua "$tmp/basic.lua" "Authorization: $(basic_auth)"
headers_lua "$tmp/legacy.lua" "Authorization: Basic $(b64 "$legacy_user:$legacy_pass")"
headers_lua "$tmp/hammer-one.lua" "Authorization: Basic $(b64 "$legacy_user:Wrong0password")"
for f in basic legacy; do echo "delay = function() return $PACE end" >>"$tmp/$f.lua"; done
# The hammers: one known username (throttled), and a new one per request.
declare -A hammer_lua=([one]="$tmp/hammer-one.lua" [new]="scripts/bench-legacy-hammer.lua")

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
	echo "delay = function() return $PACE end" >>"$tmp/hmac.lua"
	for kind in basic hmac legacy; do echo "$1 $kind $(measure "$tmp/$kind.lua")" >>"$tmp/rows"; done
}
: >"$tmp/rows"
: >"$tmp/hammer"
for round in $(seq "$ROUNDS"); do
	valid_round idle
	for hammer in one new; do
		wrk -t1 -c64 -d"$((3 * DUR + 3))s" -s "${hammer_lua[$hammer]}" "$url" >"$tmp/hammer-out" &
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
