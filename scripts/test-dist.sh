#!/usr/bin/env bash
# Tests of the release files in dist/ (run by `make dist` and `make test-dist`):
#
#  1. SHA256SUMS matches; the Linux binary is a stripped x86-64 ELF that prints
#     the stamped version;
#  2. the .deb has the expected metadata and files, installs with dpkg -i on
#     this machine, `keysmith version` runs from PATH (/usr/bin) and prints the
#     stamped version, and the installed app passes the window smoke test
#     (scripts/smoke-window.sh); the verifier's systemd unit is installed,
#     verifies and is not enabled, its user and state directory exist;
#  3. the Windows exe and installer are valid PE files (scripts/pecheck, on Go's
#     debug/pe): machine, GUI subsystem, icon, manifest, version resource, the
#     stamped version (exe), the NSIS marker (installer);
#  4. prints the sizes.
#
# The package is removed again afterwards unless it was installed before the
# test or KEEP_INSTALLED=1. Needs root or sudo (dpkg -i).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="/usr/local/go/bin:$PATH"
OUT="$ROOT/dist"
ART="$ROOT/build/test-artifacts/dist"

pass() { printf 'PASS: %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"
	elif command -v sudo >/dev/null 2>&1; then sudo "$@"
	else fail "need root (or sudo) to run: $*"; fi
}

[ -s "$OUT/VERSION" ] || fail "dist/VERSION missing: run make dist"
VERSION="$(cat "$OUT/VERSION")"
NUMERIC="${VERSION%%+*}.0"
LINUX_BIN="$OUT/keysmith-$VERSION-linux-amd64"
DEB="$OUT/keysmith_${VERSION}_amd64.deb"
EXE="$OUT/keysmith-$VERSION-windows-amd64.exe"
INSTALLER="$OUT/Keysmith-$VERSION-amd64-installer.exe"
for f in "$LINUX_BIN" "$DEB" "$EXE" "$INSTALLER" "$OUT/SHA256SUMS"; do
	[ -s "$f" ] || fail "${f#"$ROOT"/} missing: run make dist"
done
echo "[test-dist] version $VERSION"

# ------------------------------------------------------------- 1. files
(cd "$OUT" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not match dist/"
[ "$(wc -l <"$OUT/SHA256SUMS")" -eq 4 ] || fail "SHA256SUMS should list 4 files"
pass "SHA256SUMS matches the 4 release files"

desc="$(file -b "$LINUX_BIN")"
[[ "$desc" == ELF\ 64-bit*x86-64* && "$desc" == *", stripped"* ]] || fail "linux binary: $desc"
got="$("$LINUX_BIN" version)"
[ "$got" = "keysmith $VERSION" ] || fail "linux binary: 'keysmith version' printed '$got', want 'keysmith $VERSION'"
pass "linux binary: stripped x86-64 ELF, prints '$got'"

# ------------------------------------------------------------- 2. .deb
field() { dpkg-deb -f "$DEB" "$1"; }
[ "$(field Package)" = keysmith ] || fail "deb: Package is '$(field Package)'"
[ "$(field Version)" = "$VERSION" ] || fail "deb: Version is '$(field Version)', want $VERSION"
[ "$(field Architecture)" = amd64 ] || fail "deb: Architecture is '$(field Architecture)'"
deps="$(field Depends)"
for d in libwebkit2gtk-4.1-0 libgtk-3-0; do
	[[ ", $deps," == *", $d"[,\ ]* ]] || fail "deb: Depends '$deps' lacks $d"
done
contents="$(dpkg-deb -c "$DEB")"
for p in ./usr/bin/keysmith ./usr/share/applications/keysmith.desktop \
	./usr/share/icons/hicolor/256x256/apps/keysmith.png ./usr/share/icons/hicolor/48x48/apps/keysmith.png \
	./usr/share/doc/keysmith/copyright ./lib/systemd/system/keysmith-serve.service ./etc/keysmith/serve.env; do
	grep -qE " $p\$" <<<"$contents" || fail "deb: $p missing"
done
grep -E ' \./usr/bin/keysmith$' <<<"$contents" | grep -q '^-rwxr-xr-x root/root' || fail "deb: /usr/bin/keysmith is not root-owned 0755"
if command -v desktop-file-validate >/dev/null 2>&1; then
	desktop-file-validate build/linux/keysmith.desktop || fail "keysmith.desktop does not validate"
fi
pass "deb: keysmith $VERSION amd64, Depends: $deps; binary, desktop entry, icons, copyright"

was_installed=0
if dpkg-query -W -f='${db:Status-Status}' keysmith 2>/dev/null | grep -qx installed; then was_installed=1; fi
cleanup() {
	local rc=$?
	if [ "$was_installed" -eq 0 ] && [ "${KEEP_INSTALLED:-}" != 1 ] &&
		dpkg-query -W -f='${db:Status-Status}' keysmith 2>/dev/null | grep -qx installed; then
		as_root dpkg -r keysmith >/dev/null && echo "[test-dist] removed the test install (KEEP_INSTALLED=1 keeps it)"
	fi
	exit "$rc"
}
trap cleanup EXIT
as_root env DEBIAN_FRONTEND=noninteractive dpkg -i "$DEB" >/dev/null || fail "dpkg -i $DEB failed"
[ "$(dpkg-query -W -f='${Version}' keysmith)" = "$VERSION" ] || fail "dpkg reports version $(dpkg-query -W -f='${Version}' keysmith)"
onpath="$(command -v keysmith || true)"
[ "$onpath" = /usr/bin/keysmith ] || fail "keysmith on PATH is '$onpath', want /usr/bin/keysmith"
got="$(keysmith version)"
[ "$got" = "keysmith $VERSION" ] || fail "installed: 'keysmith version' printed '$got'"
pass "dpkg -i: /usr/bin/keysmith on PATH prints '$got'"
getent passwd keysmith >/dev/null || fail "installed: no keysmith system user for the verifier service"
state="$(stat -c '%a %U' /var/lib/keysmith)"
[ "$state" = "700 keysmith" ] || fail "installed: /var/lib/keysmith is '$state', want '700 keysmith'"
ls /etc/systemd/system/*.wants/keysmith-serve.service >/dev/null 2>&1 && fail "installed: keysmith-serve.service is enabled; it must wait for the administrator"
systemd-analyze verify /lib/systemd/system/keysmith-serve.service || fail "installed: keysmith-serve.service does not verify"
pass "installed: keysmith-serve.service present and disabled, user keysmith, /var/lib/keysmith 0700"

mkdir -p "$ART"
SMOKE_ARTIFACTS="$ART" KEYSMITH_BIN=/usr/bin/keysmith bash scripts/smoke-window.sh || fail "installed app: window smoke test"
pass "installed app: window smoke test (screenshot ${ART#"$ROOT"/}/window-setup.png)"

# ------------------------------------------------------------- 3. Windows
go build -o "$ART/pecheck" ./scripts/pecheck || fail "go build ./scripts/pecheck"
out="$("$ART/pecheck" "$EXE" --machine amd64 --gui --icon --manifest --version "$NUMERIC" --contains "$VERSION")" || fail "exe: $out"
pass "exe: $out"
out="$("$ART/pecheck" "$INSTALLER" --machine i386 --gui --icon --manifest --version "$NUMERIC" --contains Nullsoft)" || fail "installer: $out"
pass "installer: $out"
echo "[test-dist] file(1): $(file -b "$EXE")"
echo "[test-dist] file(1): $(file -b "$INSTALLER")"

# ------------------------------------------------------------- 4. sizes
echo "[test-dist] sizes:"
for f in "$LINUX_BIN" "$DEB" "$EXE" "$INSTALLER"; do
	printf '  %12s bytes  %6s  %s\n' "$(stat -c %s "$f")" "$(numfmt --to=iec --suffix=B "$(stat -c %s "$f")")" "${f#"$ROOT"/}"
done
echo "PASS: test-dist ($VERSION)"
