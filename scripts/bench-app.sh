#!/usr/bin/env bash
# make bench, last step: the desktop app's cold start, size and memory next to
# two peers measured the same way in the same run, plus the figures the other
# bench steps saved, written to docs/benchmarks.md by scripts/bench-report.py.
#
#  Cold start  launch -> window mapped -> first non-blank paint -> settled
#              picture (Keysmith: the sign-in screen), under Xvfb, median of
#              BENCH_RUNS (9) runs, interleaved: Keysmith, a bare Wails window
#              (wails init -t vanilla, same Wails version and tags, built here
#              in a temp dir), KeePassXC (welcome screen). scripts/xwatch.py
#              launches each program and polls the display through libX11.
#  Size        the release files in dist/ (make dist).
#  Memory      PSS (/proc/PID/smaps_rollup) summed over the process and all
#              its descendants (WebKit's web and network processes), idle
#              BENCH_IDLE (10) s after: Keysmith signed in (typed with
#              xdotool), the bare window painted, KeePassXC with a database
#              open. Median of BENCH_MEM_RUNS (3).
#
# Env: KEYSMITH_BIN (default: the dist/ Linux binary), BENCH_BARE_BIN (reuse
# a bare Wails build), BENCH_OUT (saved outputs of the other steps, default
# build/bench), BENCH_REPORT (default docs/benchmarks.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="/usr/local/go/bin:$PATH"

# A private D-Bus session (Keysmith's single-instance lock lives on it); the
# bus daemon's chatter goes to build/bench/dbus.log, this script's to fd 3.
if [ -z "${KEYSMITH_BENCH_IN_DBUS:-}" ]; then
	command -v dbus-run-session >/dev/null 2>&1 || { echo "FAIL: dbus-run-session not found (make deps)"; exit 1; }
	export KEYSMITH_BENCH_IN_DBUS=1
	mkdir -p "${BENCH_OUT:-$ROOT/build/bench}"
	exec 3>&2
	exec dbus-run-session -- bash "${BASH_SOURCE[0]}" "$@" 2>"${BENCH_OUT:-$ROOT/build/bench}/dbus.log"
fi
if { true >&3; } 2>/dev/null; then exec 2>&3 3>&-; fi

RUNS="${BENCH_RUNS:-9}"
MEM_RUNS="${BENCH_MEM_RUNS:-3}"
IDLE="${BENCH_IDLE:-10}"
OUTDIR="${BENCH_OUT:-$ROOT/build/bench}"
REPORT="${BENCH_REPORT:-$ROOT/docs/benchmarks.md}"
WAILS="${WAILS:-$(go env GOPATH)/bin/wails}"
WAILS_VERSION=v2.11.0
PASSWORD='violet-Tractor-93-sunrise'

log() { printf '[bench-app] %s\n' "$*" >&2; }
die() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"
	elif command -v sudo >/dev/null 2>&1; then sudo "$@"
	else die "need root (or sudo) to run: $*"; fi
}

# KeePassXC is only a yardstick here; install it when missing.
if ! command -v keepassxc >/dev/null 2>&1; then
	log "installing keepassxc (the peer of the cold start and memory figures)"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=600 install keepassxc >/dev/null ||
		{ as_root apt-get -q update >/dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get -y -q install keepassxc >/dev/null; }
fi
for tool in Xvfb xdotool import tesseract keepassxc keepassxc-cli python3 "$WAILS"; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool not found (make deps)"
done

VERSION="$(cat dist/VERSION 2>/dev/null || true)"
[ -n "$VERSION" ] || die "dist/ is empty: run make dist (the sizes are those of the release files)"
LINUX_BIN="dist/keysmith-$VERSION-linux-amd64"
INSTALLER="dist/Keysmith-$VERSION-amd64-installer.exe"
for f in "$LINUX_BIN" "$INSTALLER" "dist/keysmith_${VERSION}_amd64.deb" "dist/keysmith-$VERSION-windows-amd64.exe"; do
	[ -s "$f" ] || die "$f missing: run make dist"
done
BIN="$(realpath "${KEYSMITH_BIN:-$LINUX_BIN}")"

TMP="$(mktemp -d /tmp/keysmith-bench.XXXXXX)"
RESULTS="$TMP/results.jsonl"
: >"$RESULTS"
XVFB_PID=""
LIVE=() # pids of programs under test still running

descendants() { # PID: the pid and all its descendants, parents first
	local queue=("$1") out=() p
	while [ "${#queue[@]}" -gt 0 ]; do
		p="${queue[0]}"; queue=("${queue[@]:1}")
		out+=("$p")
		for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do queue+=("$c"); done
	done
	echo "${out[@]}"
}
stop_tree() { # PID: TERM the program and its descendants, KILL after 5 s
	local pids p
	read -ra pids <<<"$(descendants "$1")"
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for _ in $(seq 50); do
		local alive=0
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ "$alive" -eq 0 ] && return 0
		sleep 0.1
	done
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	sleep 0.3
}
cleanup() {
	local rc=$? p
	for p in "${LIVE[@]}"; do stop_tree "$p"; done
	[ -z "$XVFB_PID" ] || { kill "$XVFB_PID" 2>/dev/null || true; wait "$XVFB_PID" 2>/dev/null || true; }
	if [ "$rc" -ne 0 ]; then
		mkdir -p "$OUTDIR"
		cp "$TMP"/*.log "$OUTDIR"/ 2>/dev/null || true
		log "failed; program logs copied to ${OUTDIR#"$ROOT"/}/"
	fi
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ bare Wails
BARE="${BENCH_BARE_BIN:-}"
BARE_SQLITE=""
if [ -z "$BARE" ]; then
	log "building the bare Wails window (wails init -t vanilla, $WAILS_VERSION, -tags webkit2_41)"
	(
		cd "$TMP"
		"$WAILS" init -n bare -t vanilla -q >"$TMP/bare-init.log" 2>&1
		cd bare
		go mod edit -require="github.com/wailsapp/wails/v2@$WAILS_VERSION"
		"$WAILS" build -trimpath -tags webkit2_41 -o bare >"$TMP/bare-build.log" 2>&1
	) || { tail -n 30 "$TMP"/bare-*.log >&2; die "the bare Wails build failed"; }
	BARE="$TMP/bare/build/bin/bare"
	# The floor of the required stack, for the size table: the same window
	# with modernc.org/sqlite (Keysmith's version) linked in and used.
	sqlite_version="$(go list -m -f '{{.Version}}' modernc.org/sqlite)"
	log "building the bare Wails window with modernc.org/sqlite $sqlite_version"
	(
		cd "$TMP/bare"
		cat >sqlite.go <<'GO'
package main

import (
	"database/sql"

	_ "modernc.org/sqlite"
)

func init() {
	if db, err := sql.Open("sqlite", ":memory:"); err == nil {
		db.Ping()
		db.Close()
	}
}
GO
		go get "modernc.org/sqlite@$sqlite_version" >"$TMP/bare-sqlite.log" 2>&1
		"$WAILS" build -s -trimpath -tags webkit2_41 -o bare-sqlite >>"$TMP/bare-sqlite.log" 2>&1
	) || { tail -n 30 "$TMP/bare-sqlite.log" >&2; die "the bare Wails + SQLite build failed"; }
	BARE_SQLITE="$TMP/bare/build/bin/bare-sqlite"
fi
[ -x "$BARE" ] || die "bare Wails binary $BARE missing"
bare_wails="$(cd "$(dirname "$BARE")/../.." 2>/dev/null && go list -m -f '{{.Version}}' github.com/wailsapp/wails/v2 2>/dev/null || echo "$WAILS_VERSION")"

# ------------------------------------------------------------------ display
mkdir -p "$TMP/xdg/cache" "$TMP/xdg/config" "$TMP/xdg/data" "$TMP/xdg/runtime" "$TMP/home"
chmod 700 "$TMP/xdg/runtime"
Xvfb -displayfd 3 -screen 0 1280x900x24 -nolisten tcp 3>"$TMP/displayfd" >"$TMP/xvfb.log" 2>&1 &
XVFB_PID=$!
for _ in $(seq 100); do [ -s "$TMP/displayfd" ] && break; sleep 0.1; done
[ -s "$TMP/displayfd" ] || die "Xvfb did not start"
DISPLAY=":$(tr -dc '0-9' <"$TMP/displayfd")"
export DISPLAY
export HOME="$TMP/home" XDG_CACHE_HOME="$TMP/xdg/cache" XDG_CONFIG_HOME="$TMP/xdg/config"
export XDG_DATA_HOME="$TMP/xdg/data" XDG_RUNTIME_DIR="$TMP/xdg/runtime"
export WEBKIT_DISABLE_DMABUF_RENDERER=1 NO_AT_BRIDGE=1 GTK_A11Y=none
log "Xvfb on $DISPLAY"

# Keysmith: an account made with the CLI, so the window opens on Sign in.
export KEYSMITH_DATA_DIR="$TMP/data"
printf '%s\n' "$PASSWORD" | "$BIN" init --account A --name A --email a@a.test >/dev/null
# KeePassXC: a database for the memory figure.
printf '%s\n%s\n' "$PASSWORD" "$PASSWORD" | keepassxc-cli db-create --set-password "$TMP/bench.kdbx" >/dev/null 2>&1 ||
	die "keepassxc-cli db-create failed"

# app -> command and window name
declare -A CMD=([keysmith]="$BIN" [bare]="$BARE" [keepassxc]="keepassxc")
declare -A WIN=([keysmith]='^Keysmith$' [bare]='^bare$' [keepassxc]='KeePassXC$')

launch() { # APP LOGNAME [xwatch options...] -- prints xwatch's JSON, records the pid
	local app="$1" name="$2"; shift 2
	local out pid
	# shellcheck disable=SC2086
	out="$(python3 scripts/xwatch.py --name "${WIN[$app]}" --log "$TMP/$name.log" "$@" -- ${CMD[$app]} ${ARGS:-})" || {
		pid="$(sed -n 's/.*"pid": \([0-9]*\).*/\1/p' <<<"$out")"
		[ -z "$pid" ] || stop_tree "$pid"
		tail -n 20 "$TMP/$name.log" >&2 || true
		die "$app: $out"
	}
	echo "$out"
}
pid_of() { sed -n 's/.*"pid": \([0-9]*\).*/\1/p' <<<"$1"; }
wid_of() { sed -n 's/.*"window": "\(0x[0-9a-f]*\)".*/\1/p' <<<"$1"; }
ocr() { # WID: the window's text, lower case, one line
	import -window "$1" "$TMP/ocr.png" 2>/dev/null || return 0
	convert "$TMP/ocr.png" -colorspace Gray -resize 200% "$TMP/ocr2.png"
	tesseract "$TMP/ocr2.png" - 2>/dev/null | tr '[:upper:]' '[:lower:]' | tr -s '[:space:]' ' '
}
pss_kb() { # PID: summed PSS of the process tree, the number of processes, and name=kB of each
	local total=0 n=0 p v each=""
	for p in $(descendants "$1"); do
		v="$(awk '/^Pss:/ {print $2}' /proc/"$p"/smaps_rollup 2>/dev/null || true)"
		[ -n "$v" ] || continue
		total=$((total + v)); n=$((n + 1))
		each+="$(tr -d ' ' </proc/"$p"/comm)=$v,"
	done
	echo "$total $n ${each%,}"
}

# ------------------------------------------------------------------ cold start
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
log "cold start: one unmeasured launch each, then $RUNS interleaved runs"
for app in keysmith bare keepassxc; do
	out="$(launch "$app" "warmup-$app")"
	if [ "$app" = keysmith ]; then
		text="$(ocr "$(wid_of "$out")")"
		[[ "$text" == *"sign in"* ]] || die "keysmith did not open on the sign-in screen (OCR: $text)"
	fi
	stop_tree "$(pid_of "$out")"
	sleep 1
done
for run in $(seq "$RUNS"); do
	for app in keysmith bare keepassxc; do
		out="$(launch "$app" "start-$app-$run")"
		stop_tree "$(pid_of "$out")"
		printf '{"kind":"start","app":"%s","run":%d,"x":%s}\n' "$app" "$run" "$out" >>"$RESULTS"
		log "start $app #$run: $out"
		sleep 1
	done
done

# ------------------------------------------------------------------ memory
log "memory: $MEM_RUNS interleaved runs, idle ${IDLE}s each"
for run in $(seq "$MEM_RUNS"); do
	for app in keysmith bare keepassxc; do
		case "$app" in
		keepassxc)
			printf '%s\n' "$PASSWORD" >"$TMP/kpx-pw"
			out="$(ARGS="--pw-stdin $TMP/bench.kdbx" launch keepassxc "mem-$app-$run" --stdin "$TMP/kpx-pw" --name 'bench.*KeePassXC$')"
			;;
		*) out="$(launch "$app" "mem-$app-$run")" ;;
		esac
		pid="$(pid_of "$out")"; wid="$(wid_of "$out")"
		LIVE=("$pid")
		state=open
		if [ "$app" = keysmith ]; then
			xdotool windowfocus --sync "$wid"
			xdotool type --delay 15 'a@a.test'
			xdotool key Tab
			xdotool type --delay 15 "$PASSWORD"
			xdotool key Return
			signed=0
			for _ in $(seq 40); do
				sleep 0.5
				text="$(ocr "$wid")"
				if [[ "$text" != *"sign in"* && "$text" == *"api settings"* ]]; then signed=1; break; fi
			done
			[ "$signed" -eq 1 ] || die "keysmith: not signed in after typing the password (OCR: $text)"
			state="signed-in"
		fi
		sleep "$IDLE"
		read -r kb n each <<<"$(pss_kb "$pid")"
		stop_tree "$pid"
		LIVE=()
		printf '{"kind":"mem","app":"%s","run":%d,"pss_kb":%d,"procs":%d,"each":"%s","state":"%s"}\n' "$app" "$run" "$kb" "$n" "$each" "$state" >>"$RESULTS"
		log "memory $app #$run: PSS ${kb} kB in $n processes ($each; $state)"
		sleep 1
	done
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# ------------------------------------------------------------------ report
mkdir -p "$(dirname "$REPORT")"
python3 scripts/bench-report.py "$RESULTS" "$REPORT" --version "$VERSION" --bench-out "$OUTDIR" \
	--bare "$BARE" --bare-sqlite "$BARE_SQLITE" --wails "$WAILS_VERSION" --bare-wails "$bare_wails" \
	--load-before "$load_before" --load-after "$load_after" --idle "$IDLE"
log "wrote ${REPORT#"$ROOT"/}"
sed -n '/^## Targets/,/^## Cold start/p' "$REPORT" | sed '$d'
