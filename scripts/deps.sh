#!/usr/bin/env bash
# Install everything Keysmith needs to build, run and test on Debian 12.
#
# Idempotent: apt is only called when a package is missing, the Wails CLI is
# only installed when missing (or the wrong version), and `npm ci` only runs
# when frontend/node_modules is missing or older than package-lock.json.
#
# Usage: scripts/deps.sh [--system] [--wails] [--frontend]   (default: all)
# Works as root (CI) or as a normal user with sudo.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WAILS_VERSION="${WAILS_VERSION:-v2.11.0}"

# Build: Go cgo + Wails/WebKitGTK 4.1.
PKGS_BUILD=(build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev)
# Window smoke test: virtual display, screenshots, window lookup, D-Bus session
# (Wails' single-instance lock on Linux uses the session bus).
# tesseract-ocr reads the setup screen text from the screenshot.
PKGS_SMOKE=(xvfb xauth imagemagick xdotool dbus dbus-x11 tesseract-ocr)
# Browser end-to-end tests and clipboard checks; fonts so pages render text.
PKGS_E2E=(chromium xclip fonts-dejavu-core)
# Windows installer (wails build -platform windows/amd64 -nsis).
PKGS_WIN=(nsis)
# Peers of the verifier tests: nginx (auth_request) and wrk (make bench).
PKGS_PEERS=(nginx wrk age keepassxc)
# systemd-analyze checks the verifier's unit (tests/server).
PKGS_UNIT=(systemd)
# Team mode's second engine. The Go tests run its binaries as throwaway
# clusters of their own (app/testkit/pgtest), never the system's cluster.
PKGS_DB=(postgresql)

log() { printf '[deps] %s\n' "$*"; }
die() { printf '[deps] ERROR: %s\n' "$*" >&2; exit 1; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root (or sudo) to run: $*"
	fi
}

is_installed() {
	dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed
}

install_system() {
	command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: this script supports Debian/Ubuntu only"
	local missing=() p
	for p in "${PKGS_BUILD[@]}" "${PKGS_SMOKE[@]}" "${PKGS_E2E[@]}" "${PKGS_WIN[@]}" "${PKGS_PEERS[@]}" "${PKGS_UNIT[@]}" "${PKGS_DB[@]}"; do
		is_installed "$p" || missing+=("$p")
	done
	if [ "${#missing[@]}" -eq 0 ]; then
		log "system packages: all present"
		return 0
	fi
	log "installing system packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Another apt/dpkg may be running (e.g. unattended upgrades): wait for the lock.
	local aptopts=(-y -q -o DPkg::Lock::Timeout=600)
	as_root env DEBIAN_FRONTEND=noninteractive apt-get "${aptopts[@]}" update
	as_root env DEBIAN_FRONTEND=noninteractive apt-get "${aptopts[@]}" install "${missing[@]}"
	for p in "${missing[@]}"; do
		is_installed "$p" || die "package $p still not installed"
	done
}

install_wails() {
	command -v go >/dev/null 2>&1 || die "go not found in PATH (expected /usr/local/go/bin)"
	local gobin wails
	gobin="$(go env GOBIN)"
	[ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
	wails="$gobin/wails"
	local have=""
	if [ -x "$wails" ]; then
		have="$("$wails" version 2>/dev/null || true)"
		have="${have%%$'\n'*}"
	fi
	if [ "$have" = "$WAILS_VERSION" ]; then
		log "wails CLI: $wails ($WAILS_VERSION) present"
		return 0
	fi
	log "installing wails CLI $WAILS_VERSION into $gobin"
	go install "github.com/wailsapp/wails/v2/cmd/wails@${WAILS_VERSION}"
	[ -x "$wails" ] || die "wails CLI not found at $wails after go install"
}

# npm_ci DIR installs DIR's node_modules from its lock file when they are
# missing or older than package-lock.json (npm writes
# node_modules/.package-lock.json on every install).
npm_ci() {
	local dir="$1" name="${1#"$ROOT"/}"
	if [ ! -f "$dir/package.json" ]; then
		log "$name/package.json missing: skipping npm ci"
		return 0
	fi
	command -v npm >/dev/null 2>&1 || die "npm not found in PATH"
	[ -f "$dir/package-lock.json" ] || die "$name/package-lock.json missing: npm ci needs it"
	local hidden="$dir/node_modules/.package-lock.json"
	if [ -f "$hidden" ] && ! [ "$dir/package-lock.json" -nt "$hidden" ]; then
		log "$name node_modules: up to date"
		return 0
	fi
	log "$name: npm ci"
	(cd "$dir" && npm ci --no-audit --no-fund)
}

install_frontend() {
	npm_ci "$ROOT/frontend"
	npm_ci "$ROOT/tests/sdk"
}

main() {
	local do_system=0 do_wails=0 do_frontend=0
	if [ "$#" -eq 0 ]; then
		do_system=1 do_wails=1 do_frontend=1
	fi
	while [ "$#" -gt 0 ]; do
		case "$1" in
		--system) do_system=1 ;;
		--wails) do_wails=1 ;;
		--frontend) do_frontend=1 ;;
		-h | --help)
			sed -n '2,10p' "$0"
			exit 0
			;;
		*) die "unknown option: $1" ;;
		esac
		shift
	done
	if [ "$do_system" -eq 1 ]; then install_system; fi
	if [ "$do_wails" -eq 1 ]; then install_wails; fi
	if [ "$do_frontend" -eq 1 ]; then install_frontend; fi
	log "done"
}

main "$@"
