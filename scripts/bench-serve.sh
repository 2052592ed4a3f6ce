#!/usr/bin/env bash
# make bench: keysmith serve under wrk on loopback, side by side with nginx
# answering `return 200`, in the same run: BENCH_ROUNDS (7) interleaved rounds
# of nginx, Basic and HMAC, medians of requests/s and p99 latency, and their
# ratios; and the same serve on the account's twin in PostgreSQL (a throwaway
# cluster from scripts/pgcluster on this machine), so the engines compare in
# one run. Twice: with one core each (nginx worker_processes 1, GOMAXPROCS=1)
# and with all cores each (nginx auto, Go's default). Compare ratios, not
# absolute figures: wrk shares the machine's cores.
DUR="${BENCH_DURATION:-5s}"
ROUNDS="${BENCH_ROUNDS:-7}"
CONNS="${BENCH_CONNECTIONS:-32}"
. "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
ks_port="$(free_port)"; ng_port="$(free_port)"

headers_lua "$tmp/basic.lua" "Authorization: $(basic_auth)"

# The twin account on PostgreSQL: its own keys, served by a second serve.
go build -o "$tmp/pgcluster" ./scripts/pgcluster
coproc PG { exec "$tmp/pgcluster"; }
pids+=("$PG_PID")
read -r pg_url <&"${PG[0]}"
read -r _ <&"${PG[0]}" # ready
pg_dir="$tmp/pgdata"
printf '%s\n' "$KEYSMITH_PASSWORD" | KEYSMITH_DATA_DIR="$pg_dir" "$BIN" init --account Bench --name Bench --email "$KEYSMITH_EMAIL" --database "$pg_url" >/dev/null
pg_basic="$(KEYSMITH_DATA_DIR="$pg_dir" "$BIN" keys create --type basic --name bench --json)"
pg_hmac="$(KEYSMITH_DATA_DIR="$pg_dir" "$BIN" keys create --type hmac --name bench --json)"
pg_port="$(free_port)"
headers_lua "$tmp/pgbasic.lua" "Authorization: $(basic="$pg_basic" basic_auth)"

# start_servers WORKERS: nginx with that many worker processes and keysmith
# serve with GOMAXPROCS set to the same number ("auto": nginx's auto, Go's
# default of one per core).
start_servers() {
	local workers="$1"
	cat >"$tmp/nginx.conf" <<CONF
daemon off; worker_processes $workers; pid $tmp/nginx.pid; error_log $tmp/nginx-error.log warn;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path $tmp/b; proxy_temp_path $tmp/p; fastcgi_temp_path $tmp/f; uwsgi_temp_path $tmp/u; scgi_temp_path $tmp/s;
  server { listen 127.0.0.1:$ng_port; location / { return 200 "ok\n"; } } }
CONF
	nginx -c "$tmp/nginx.conf" -p "$tmp" &
	ng_pid=$!
	if [ "$workers" = auto ]; then
		"$BIN" serve --listen "127.0.0.1:$ks_port" >/dev/null 2>>"$tmp/serve.log" &
	else
		GOMAXPROCS="$workers" "$BIN" serve --listen "127.0.0.1:$ks_port" >/dev/null 2>>"$tmp/serve.log" &
	fi
	ks_pid=$!
	if [ "$workers" = auto ]; then
		KEYSMITH_DATA_DIR="$pg_dir" "$BIN" serve --listen "127.0.0.1:$pg_port" >/dev/null 2>>"$tmp/serve.log" &
	else
		KEYSMITH_DATA_DIR="$pg_dir" GOMAXPROCS="$workers" "$BIN" serve --listen "127.0.0.1:$pg_port" >/dev/null 2>>"$tmp/serve.log" &
	fi
	pg_pid=$!
	pids+=("$ng_pid" "$ks_pid" "$pg_pid")
	for _ in $(seq 50); do
		curl -fs "http://127.0.0.1:$ks_port/keysmith/health" >/dev/null && curl -fs "http://127.0.0.1:$pg_port/keysmith/health" >/dev/null &&
			curl -fs "http://127.0.0.1:$ng_port/" >/dev/null && return
		sleep 0.1
	done
	echo "FAIL: the servers did not start" >&2; exit 1
}
stop_servers() {
	kill "$ng_pid" "$ks_pid" "$pg_pid" 2>/dev/null || true
	wait "$ng_pid" "$ks_pid" "$pg_pid" 2>/dev/null || true
}

# measure URL [wrk args]: prints "requests/s p99-ms non-2xx"
measure() {
	local url="$1"; shift
	wrk -t2 -c"$CONNS" -d"$DUR" --latency "$@" "$url" | awk '
		function ms(v) { n = v + 0; if (v ~ /us$/) return n / 1000; if (v ~ /ms$/) return n; if (v ~ /s$/) return n * 1000; return n }
		/Requests\/sec/ { r = $2 } $1 == "99%" { p = ms($2) } /Non-2xx/ { e = $NF }
		END { printf "%.0f %.3f %d\n", r, p, e }'
}

echo "wrk -t2 -c$CONNS -d$DUR on loopback, $ROUNDS interleaved rounds (nginx, Basic, HMAC on SQLite, Basic, HMAC on PostgreSQL), medians; 2 cores shared by wrk and the server" >&2
for workers in 1 auto; do
	start_servers "$workers"
	: >"$tmp/rows"
	for round in $(seq "$ROUNDS"); do
		echo "nginx $(measure "http://127.0.0.1:$ng_port/v1/messages/bench")" >>"$tmp/rows"
		echo "basic $(measure "http://127.0.0.1:$ks_port/v1/messages/bench" -s "$tmp/basic.lua")" >>"$tmp/rows"
		sign_hmac
		echo "hmac $(measure "http://127.0.0.1:$ks_port/v1/messages/bench" -s "$tmp/hmac.lua")" >>"$tmp/rows"
		echo "pgbasic $(measure "http://127.0.0.1:$pg_port/v1/messages/bench" -s "$tmp/pgbasic.lua")" >>"$tmp/rows"
		hmac="$pg_hmac" sign_hmac
		echo "pghmac $(measure "http://127.0.0.1:$pg_port/v1/messages/bench" -s "$tmp/hmac.lua")" >>"$tmp/rows"
	done
	stop_servers
	if [ "$workers" = 1 ]; then
		echo "one core each: nginx worker_processes 1, keysmith serve with GOMAXPROCS=1" >&2
	else
		echo "all cores each: nginx worker_processes auto, keysmith serve with Go's default GOMAXPROCS" >&2
	fi
	declare -A rps p99
	for who in nginx basic hmac pgbasic pghmac; do
		rps[$who]="$(awk -v w="$who" '$1 == w { print $2 }' "$tmp/rows" | median)"
		p99[$who]="$(awk -v w="$who" '$1 == w { print $3 }' "$tmp/rows" | median)"
		errors="$(awk -v w="$who" '$1 == w { e += $4 } END { print e + 0 }' "$tmp/rows")"
		runs="$(awk -v w="$who" '$1 == w { printf "%s%s", sep, $2; sep = ", " }' "$tmp/rows") req/s; p99 $(awk -v w="$who" '$1 == w { printf "%s%s", sep, $3; sep = ", " }' "$tmp/rows") ms"
		case "$who" in nginx) label="nginx return 200";; basic) label="keysmith serve, Basic";; hmac) label="keysmith serve, HMAC-SHA1";;
			pgbasic) label="serve on PostgreSQL, Basic";; pghmac) label="serve on PostgreSQL, HMAC";; esac
		printf '  %-27s %8s req/s   p99 %7s ms   non-2xx %s   (runs: %s)\n' "$label" "${rps[$who]}" "${p99[$who]}" "$errors" "$runs" >&2
		[ "$who" = nginx ] || [ "$errors" -eq 0 ] || { echo "FAIL: keysmith refused valid requests" >&2; exit 1; }
	done
	for who in basic hmac pgbasic pghmac; do
		awk -v k="$who" -v a="${rps[$who]}" -v b="${rps[nginx]}" -v p="${p99[$who]}" -v q="${p99[nginx]}" '
			BEGIN { t = a / b; l = p / q
			printf "  ratio %-5s throughput %.2f of nginx (target >= 0.50: %s), p99 %.2fx nginx (target <= 1.50: %s)\n",
				k, t, (t >= 0.5 ? "met" : "missed"), l, (l <= 1.5 ? "met" : "missed") }' >&2
	done
done
grep -c ' accepted method=' "$tmp/serve.log" >/dev/null || { echo "FAIL: keysmith accepted nothing" >&2; exit 1; }
