#!/usr/bin/env bash
# Window smoke test for the production binary (run by `make smoke`).
#
#  1. starts a private Xvfb display and a private D-Bus session bus,
#  2. runs build/bin/keysmith with a fresh KEYSMITH_DATA_DIR,
#  3. waits for a visible window named "Keysmith", waits for the first paint,
#     screenshots it to build/test-artifacts/window-setup.png and checks the
#     picture is not blank and (OCR) shows the setup screen text,
#  4. starts a second instance with the same data dir and checks it exits
#     within SMOKE_SECOND_TIMEOUT seconds and that exactly one window remains.
#
# Env: KEYSMITH_BIN (default build/bin/keysmith), SMOKE_TIMEOUT (window wait,
# default 60), SMOKE_SECOND_TIMEOUT (default 10), SMOKE_EXPECT_TEXT (text the
# first screen must show, found by OCR with tesseract; default "Welcome to
# Keysmith", empty disables), SMOKE_KEEP_TMP=1 keeps the temp dir,
# SMOKE_ARTIFACTS (screenshots and logs; default build/test-artifacts).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Run the whole test inside its own D-Bus session: Wails' single-instance lock
# on Linux is a name on the session bus, so both instances must share one bus,
# and it must not be the user's real bus (a running Keysmith would interfere).
if [ -z "${KEYSMITH_SMOKE_IN_DBUS:-}" ]; then
	command -v dbus-run-session >/dev/null 2>&1 || { echo "FAIL: dbus-run-session not found (apt-get install dbus; run make deps)"; exit 1; }
	export KEYSMITH_SMOKE_IN_DBUS=1
	exec dbus-run-session -- bash "${BASH_SOURCE[0]}" "$@"
fi

BIN="${KEYSMITH_BIN:-$ROOT/build/bin/keysmith}"
ART="${SMOKE_ARTIFACTS:-$ROOT/build/test-artifacts}"
WINDOW_TIMEOUT="${SMOKE_TIMEOUT:-60}"
SECOND_TIMEOUT="${SMOKE_SECOND_TIMEOUT:-10}"
SHOT="$ART/window-setup.png"
# Text the first screen must show (checked by OCR); empty disables the check.
EXPECT_TEXT="${SMOKE_EXPECT_TEXT-Welcome to Keysmith}"
TITLE_RE='^Keysmith$'

pass() { printf 'PASS: %s\n' "$*"; }
info() { printf '[smoke] %s\n' "$*"; }
fail() {
	printf 'FAIL: %s\n' "$*"
	for f in "$ART"/smoke-app1.log "$ART"/smoke-app2.log "$ART"/smoke-xvfb.log; do
		if [ -s "$f" ]; then
			printf -- '--- last lines of %s ---\n' "${f#"$ROOT"/}"
			tail -n 30 "$f"
		fi
	done
	exit 1
}

for tool in Xvfb xdotool import convert; do
	command -v "$tool" >/dev/null 2>&1 || fail "$tool not found (run make deps)"
done
[ -x "$BIN" ] || fail "binary $BIN not found (run make build)"
[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || fail "no D-Bus session bus"

mkdir -p "$ART"
rm -f "$SHOT" "$ART"/smoke-*.log "$ART"/window-*.png
TMP="$(mktemp -d /tmp/keysmith-smoke.XXXXXX)"
DATA_DIR="$TMP/data"
mkdir -p "$DATA_DIR" "$TMP/xdg/cache" "$TMP/xdg/config" "$TMP/xdg/data" "$TMP/xdg/runtime"
chmod 700 "$TMP/xdg/runtime"

XVFB_PID=""
APP1_PID=""
APP2_PID=""
cleanup() {
	local rc=$?
	for pid in "$APP2_PID" "$APP1_PID"; do
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
			kill "$pid" 2>/dev/null || true
			for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
			kill -9 "$pid" 2>/dev/null || true
		fi
	done
	if [ -n "$XVFB_PID" ] && kill -0 "$XVFB_PID" 2>/dev/null; then
		kill "$XVFB_PID" 2>/dev/null || true
		wait "$XVFB_PID" 2>/dev/null || true
	fi
	if [ "${SMOKE_KEEP_TMP:-}" = 1 ]; then
		info "kept $TMP"
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. virtual display: Xvfb picks a free display number itself (-displayfd).
Xvfb -displayfd 3 -screen 0 1280x900x24 -nolisten tcp 3>"$TMP/displayfd" >"$ART/smoke-xvfb.log" 2>&1 &
XVFB_PID=$!
for _ in $(seq 1 100); do
	[ -s "$TMP/displayfd" ] && break
	kill -0 "$XVFB_PID" 2>/dev/null || fail "Xvfb exited at start"
	sleep 0.1
done
DISPLAY_NUM="$(tr -dc '0-9' <"$TMP/displayfd")"
[ -n "$DISPLAY_NUM" ] || fail "Xvfb did not report a display within 10 s"
export DISPLAY=":$DISPLAY_NUM"
info "Xvfb on $DISPLAY, D-Bus session ${DBUS_SESSION_BUS_ADDRESS%%,*}"

# Isolate the app from the user's files: fresh data dir and XDG dirs.
export KEYSMITH_DATA_DIR="$DATA_DIR"
export XDG_CACHE_HOME="$TMP/xdg/cache" XDG_CONFIG_HOME="$TMP/xdg/config"
export XDG_DATA_HOME="$TMP/xdg/data" XDG_RUNTIME_DIR="$TMP/xdg/runtime"
# No GPU under Xvfb: avoid WebKit's DMA-BUF renderer (blank windows otherwise).
export WEBKIT_DISABLE_DMABUF_RENDERER="${WEBKIT_DISABLE_DMABUF_RENDERER:-1}"
export NO_AT_BRIDGE=1 GTK_A11Y=none

count_windows() {
	# xdotool exits 1 when nothing matches.
	{ xdotool search --onlyvisible --name "$TITLE_RE" 2>/dev/null || true; } | grep -c . || true
}

# --- 2. first instance.
"$BIN" >"$ART/smoke-app1.log" 2>&1 &
APP1_PID=$!
info "started $BIN (pid $APP1_PID), data dir $DATA_DIR"

# --- 3. window appears.
WID=""
deadline=$((SECONDS + WINDOW_TIMEOUT))
while [ "$SECONDS" -lt "$deadline" ]; do
	if ! kill -0 "$APP1_PID" 2>/dev/null; then
		set +e
		wait "$APP1_PID"
		rc1=$?
		set -e
		APP1_PID=""
		fail "keysmith exited before showing a window (exit status $rc1)"
	fi
	WID="$(xdotool search --onlyvisible --name "$TITLE_RE" 2>/dev/null | head -n1 || true)"
	[ -n "$WID" ] && break
	sleep 0.25
done
[ -n "$WID" ] || fail "no visible window named Keysmith within ${WINDOW_TIMEOUT}s"
title="$(xdotool getwindowname "$WID")"
[ "$title" = "Keysmith" ] || fail "window title is '$title', want 'Keysmith'"
pass "window 'Keysmith' appeared (id $WID) after ${SECONDS}s"

# --- first paint: poll screenshots of the window until it is not blank.
stddev=0
colors=0
is_painted() {
	import -window "$WID" "$SHOT" 2>/dev/null || return 1
	stddev="$(convert "$SHOT" -colorspace Gray -format '%[fx:standard_deviation]' info: 2>/dev/null || echo 0)"
	colors="$(convert "$SHOT" -format '%k' info: 2>/dev/null || echo 0)"
	# Blank = (almost) one colour. Text and widgets give many colours and contrast.
	awk -v s="$stddev" -v c="$colors" 'BEGIN { exit !(s > 0.02 && c >= 16) }'
}
painted=0
deadline=$((SECONDS + 30))
sleep 1
while [ "$SECONDS" -lt "$deadline" ]; do
	kill -0 "$APP1_PID" 2>/dev/null || fail "keysmith exited while waiting for the first paint"
	if is_painted; then
		# Give fonts/styles a moment to settle, then take the final picture.
		sleep 1.5
		is_painted || true
		painted=1
		break
	fi
	sleep 0.5
done
import -window root "$ART/window-root.png" 2>/dev/null || true
[ "$painted" -eq 1 ] || fail "window still blank after 30s (stddev=$stddev colors=$colors), see ${SHOT#"$ROOT"/}"
geom="$(identify -format '%wx%h' "$SHOT" 2>/dev/null || echo '?')"
pass "window painted: ${SHOT#"$ROOT"/} ${geom}, stddev=$stddev, colors=$colors"

# --- setup screen content: OCR the screenshot (tesseract) for the expected text.
if [ -n "$EXPECT_TEXT" ]; then
	command -v tesseract >/dev/null 2>&1 || fail "tesseract not found (apt-get install tesseract-ocr; run make deps)"
	want="$(printf '%s' "$EXPECT_TEXT" | tr '[:upper:]' '[:lower:]' | tr -s '[:space:]' ' ')"
	found=0
	ocr_all=""
	# Try light-on-dark and dark-on-light renderings, upscaled for small fonts.
	for neg in "" "-negate"; do
		# shellcheck disable=SC2086
		convert "$SHOT" -colorspace Gray $neg -resize 200% "$TMP/ocr.png"
		ocr="$(tesseract "$TMP/ocr.png" - 2>/dev/null | tr '[:upper:]' '[:lower:]' | tr -s '[:space:]' ' ' || true)"
		ocr_all+="$ocr "
		if [[ "$ocr" == *"$want"* ]]; then found=1; break; fi
	done
	printf '%s\n' "$ocr_all" >"$ART/window-setup.ocr.txt"
	[ "$found" -eq 1 ] || fail "setup screen text '$EXPECT_TEXT' not found by OCR in ${SHOT#"$ROOT"/} (OCR text in ${ART#"$ROOT"/}/window-setup.ocr.txt)"
	pass "setup screen shows '$EXPECT_TEXT' (OCR)"
fi

# --- 4. second instance must hand over to the first and exit.
start=$SECONDS
"$BIN" >"$ART/smoke-app2.log" 2>&1 &
APP2_PID=$!
exited=0
while [ $((SECONDS - start)) -le "$SECOND_TIMEOUT" ]; do
	if ! kill -0 "$APP2_PID" 2>/dev/null; then exited=1; break; fi
	sleep 0.2
done
if [ "$exited" -ne 1 ]; then
	n="$(count_windows)"
	fail "second instance (pid $APP2_PID) still running after ${SECOND_TIMEOUT}s ($n Keysmith windows visible)"
fi
set +e
wait "$APP2_PID"
rc2=$?
set -e
APP2_PID=""
pass "second instance exited after $((SECONDS - start))s (exit status $rc2)"

sleep 1
kill -0 "$APP1_PID" 2>/dev/null || fail "first instance died when the second one started"
n="$(count_windows)"
[ "$n" -eq 1 ] || fail "expected exactly 1 Keysmith window, found $n"
pass "exactly one Keysmith window; first instance still running"

echo "PASS: smoke-window (screenshot ${SHOT#"$ROOT"/})"
