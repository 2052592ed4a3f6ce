#!/usr/bin/env bash
# Release builds (run by `make dist`) into dist/:
#
#   keysmith-VERSION-linux-amd64          stripped production binary (Linux)
#   keysmith_VERSION_amd64.deb            Debian package built with dpkg-deb
#   keysmith-VERSION-windows-amd64.exe    cross-built Windows exe
#   Keysmith-VERSION-amd64-installer.exe  NSIS installer (icon, version info, manifest)
#   SHA256SUMS, VERSION
#
# VERSION comes from git: a tag vX.Y.Z gives X.Y.Z, commits after it give
# X.Y.Z+N.gSHA, no tag gives <wails.json productVersion>+SHA; a dirty tree adds
# .dirty. It is stamped into both binaries with
# -ldflags "-X keysmith/app/version.Version=VERSION" (`keysmith version`).
# The Windows version resources are numeric (X.Y.Z.0) and come from wails.json
# info.productVersion, which must match the tag's X.Y.Z.
#
# Usage: scripts/dist.sh [--print-version]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="/usr/local/go/bin:$PATH"
WAILS="${WAILS:-$(go env GOPATH)/bin/wails}"
GO_TAGS=webkit2_41
OUT="$ROOT/dist"

log() { printf '[dist] %s\n' "$*"; }
die() { printf '[dist] FAIL: %s\n' "$*" >&2; exit 1; }

base_version() { # info.productVersion of wails.json
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["info"]["productVersion"])' wails.json
}

version() {
	local base desc dirty="" v
	base="$(base_version)"
	desc="$(git describe --tags --always --dirty --match 'v[0-9]*' 2>/dev/null)" || die "not a git repository"
	if [[ "$desc" == *-dirty ]]; then dirty=.dirty; desc="${desc%-dirty}"; fi
	if [[ "$desc" =~ ^v([0-9]+\.[0-9]+\.[0-9]+)$ ]]; then
		v="${BASH_REMATCH[1]}"
		[ -z "$dirty" ] || v="$v+dirty"
	elif [[ "$desc" =~ ^v([0-9]+\.[0-9]+\.[0-9]+)-([0-9]+)-(g[0-9a-f]+)$ ]]; then
		v="${BASH_REMATCH[1]}+${BASH_REMATCH[2]}.${BASH_REMATCH[3]}$dirty"
	else # no tag: describe printed the abbreviated commit
		v="$base+$desc$dirty"
	fi
	# Semver build metadata and Debian versions both accept [0-9A-Za-z.+].
	[[ "$v" =~ ^[0-9]+\.[0-9]+\.[0-9]+(\+[0-9A-Za-z.]+)?$ ]] || die "unexpected version '$v' (git describe: $desc)"
	printf '%s\n' "$v"
}

if [ "${1:-}" = --print-version ]; then version; exit 0; fi
[ "$#" -eq 0 ] || die "usage: scripts/dist.sh [--print-version]"

VERSION="$(version)"
BASE="$(base_version)"
[ "${VERSION%%+*}" = "$BASE" ] ||
	die "the tag says ${VERSION%%+*} but wails.json info.productVersion is $BASE: bump wails.json before tagging (the Windows version resources come from it)"
for tool in dpkg-deb makensis convert objdump python3 sha256sum; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool not found (run make deps)"
done
[ -x "$WAILS" ] || die "wails CLI not found at $WAILS (run make deps)"

LDFLAGS="-X keysmith/app/version.Version=$VERSION"
log "version $VERSION (Windows version resources $BASE.0)"
rm -rf "$OUT"
mkdir -p "$OUT"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT

# ------------------------------------------------------------------ builds
# Production mode adds -ldflags "-w -s" (stripped) and, on Windows,
# "-H windowsgui"; -trimpath keeps build paths out of the binaries.
log "wails build linux/amd64"
"$WAILS" build -m -trimpath -tags "$GO_TAGS" -ldflags "$LDFLAGS" -o keysmith
log "wails build windows/amd64 -nsis (frontend already built: -s)"
rm -f build/bin/keysmith.exe build/bin/Keysmith-amd64-installer.exe
"$WAILS" build -m -s -trimpath -platform windows/amd64 -nsis -ldflags "$LDFLAGS" -o keysmith.exe
for f in build/bin/keysmith build/bin/keysmith.exe build/bin/Keysmith-amd64-installer.exe; do
	[ -s "$f" ] || die "wails build did not produce $f"
done

LINUX_BIN="$OUT/keysmith-$VERSION-linux-amd64"
install -m 0755 build/bin/keysmith "$LINUX_BIN"
file -b "$LINUX_BIN" | grep -q ', stripped' || die "$LINUX_BIN is not stripped: $(file -b "$LINUX_BIN")"
install -m 0644 build/bin/keysmith.exe "$OUT/keysmith-$VERSION-windows-amd64.exe"
install -m 0644 build/bin/Keysmith-amd64-installer.exe "$OUT/Keysmith-$VERSION-amd64-installer.exe"

# ------------------------------------------------------------------ .deb
log "Debian package"
PKG="$STAGE/pkg"
# Reproducible timestamps: the commit time (dpkg-deb clamps to it too).
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}"
install -D -m 0755 "$LINUX_BIN" "$PKG/usr/bin/keysmith"
install -D -m 0644 build/linux/keysmith.desktop "$PKG/usr/share/applications/keysmith.desktop"
for size in 16 24 32 48 64 128 256 512; do
	dir="$PKG/usr/share/icons/hicolor/${size}x${size}/apps"
	mkdir -p "$dir"
	convert build/appicon.png -resize "${size}x${size}" -strip "PNG32:$dir/keysmith.png"
done
install -D -m 0644 LICENSE "$PKG/usr/share/doc/keysmith/copyright"
# The verifier as a system service: installed disabled, settings in
# /etc/keysmith (a conffile: an upgrade keeps the administrator's edits).
install -D -m 0644 build/linux/keysmith-serve.service "$PKG/lib/systemd/system/keysmith-serve.service"
install -D -m 0644 build/linux/serve.env "$PKG/etc/keysmith/serve.env"

# Lowest glibc the binary links against (the other libraries: the two
# runtime packages below pull in the rest of GTK/WebKit).
glibc="$(objdump -T "$LINUX_BIN" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n1)"
maint="$(python3 -c 'import json,sys; a=json.load(open(sys.argv[1])).get("author",{}); print("%s <%s>" % (a.get("name","Keysmith authors"), a.get("email") or "noreply@keysmith.invalid"))' wails.json)"
mkdir -p "$PKG/DEBIAN"
cat >"$PKG/DEBIAN/control" <<EOF
Package: keysmith
Version: $VERSION
Architecture: amd64
Maintainer: $maint
Installed-Size: $(du -sk --exclude=DEBIAN "$PKG" | cut -f1)
Depends: libc6 (>= $glibc), libgtk-3-0, libwebkit2gtk-4.1-0, adduser
Section: utils
Priority: optional
Description: manage a messaging account's users and API credentials
 Keysmith is a single-binary desktop app for administrators of small
 businesses: users and roles, Basic, HMAC and Legacy API credentials whose
 secret is shown once, a hash-chained audit log, and keysmith serve, a
 local endpoint that verifies credentials as the MessageMedia SDKs send them.
 The same binary is the command line (keysmith help).
EOF
for f in postinst prerm postrm; do install -m 0755 "build/linux/debian/$f" "$PKG/DEBIAN/$f"; done
install -m 0644 build/linux/debian/conffiles "$PKG/DEBIAN/conffiles"
(cd "$PKG" && find usr lib -type f -print0 | sort -z | xargs -0 md5sum) >"$PKG/DEBIAN/md5sums"
find "$PKG" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
DEB="$OUT/keysmith_${VERSION}_amd64.deb"
dpkg-deb --root-owner-group -Zxz --build "$PKG" "$DEB" >/dev/null

# ------------------------------------------------------------------ sums
printf '%s\n' "$VERSION" >"$OUT/VERSION"
(cd "$OUT" && sha256sum -- keysmith* Keysmith* >SHA256SUMS)
log "dist/ ($VERSION):"
(cd "$OUT" && for f in *; do printf '  %10s  %s\n' "$(numfmt --to=iec --suffix=B "$(stat -c %s "$f")")" "$f"; done)
