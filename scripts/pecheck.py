#!/usr/bin/env python3
"""Check that a file is a valid Windows PE executable (make test-dist).

    pecheck.py FILE [--machine amd64|i386] [--gui] [--version X.Y.Z.W]
               [--icon] [--manifest] [--contains TEXT]...

Reads the MZ header, the PE signature at e_lfanew, the COFF and optional
headers, the section table and the resource directory, and checks what is
asked: the machine, the GUI subsystem, an icon group (RT_GROUP_ICON), a
manifest (RT_MANIFEST), the fixed file and product version of the version
resource (VS_FIXEDFILEINFO), and byte strings in the file (TEXT is searched as
ASCII and as UTF-16LE). Prints a one-line summary; exits 1 on the first failure.
"""
import argparse
import struct
import sys

MACHINES = {0x8664: "amd64", 0x14C: "i386", 0xAA64: "arm64"}
SUBSYSTEMS = {2: "gui", 3: "console"}
RT_ICON, RT_GROUP_ICON, RT_VERSION, RT_MANIFEST = 3, 14, 16, 24


def fail(msg):
    print("FAIL: %s" % msg)
    sys.exit(1)


def parse(data):
    if data[:2] != b"MZ":
        fail("no MZ header")
    (lfanew,) = struct.unpack_from("<I", data, 0x3C)
    if data[lfanew:lfanew + 4] != b"PE\0\0":
        fail("no PE signature at 0x%x" % lfanew)
    machine, nsect, _, _, _, optsize, chars = struct.unpack_from("<HHIIIHH", data, lfanew + 4)
    opt = lfanew + 24
    (magic,) = struct.unpack_from("<H", data, opt)
    if magic not in (0x10B, 0x20B):
        fail("unknown optional header magic 0x%x" % magic)
    (subsystem,) = struct.unpack_from("<H", data, opt + 68)
    ddir = opt + (96 if magic == 0x10B else 112)
    rsrc_rva, rsrc_size = struct.unpack_from("<II", data, ddir + 2 * 8)
    sections = []
    for i in range(nsect):
        name, vsize, va, rawsize, rawptr = struct.unpack_from("<8sIIII", data, opt + optsize + 40 * i)
        sections.append((name.rstrip(b"\0").decode("latin-1"), va, max(vsize, rawsize), rawptr, rawsize))

    def off(rva):
        for _, va, size, rawptr, rawsize in sections:
            if va <= rva < va + size and rva - va < rawsize:
                return rawptr + rva - va
        return None

    resources = {}  # type id -> list of (data offset, size)
    base = off(rsrc_rva) if rsrc_rva else None

    def walk(dir_off, depth, typ):
        _, _, _, _, nnamed, nid = struct.unpack_from("<IIHHHH", data, base + dir_off)
        for i in range(nnamed + nid):
            name, target = struct.unpack_from("<II", data, base + dir_off + 16 + 8 * i)
            t = typ if depth else (None if name & 0x80000000 else name)
            if target & 0x80000000:
                walk(target & 0x7FFFFFFF, depth + 1, t)
            else:
                rva, size = struct.unpack_from("<II", data, base + target)
                resources.setdefault(t, []).append((off(rva), size))

    if base is not None:
        walk(0, 0, None)
    return {
        "pe": "PE32+" if magic == 0x20B else "PE32",
        "machine": MACHINES.get(machine, hex(machine)),
        "subsystem": SUBSYSTEMS.get(subsystem, str(subsystem)),
        "dll": bool(chars & 0x2000),
        "sections": [s[0] for s in sections],
        "resources": resources,
    }


def fixed_version(data, res):
    for o, size in res.get(RT_VERSION, []):
        i = data.find(struct.pack("<I", 0xFEEF04BD), o, o + size)
        if i < 0:
            continue
        fms, fls, pms, pls = struct.unpack_from("<IIII", data, i + 8)
        v = lambda ms, ls: "%d.%d.%d.%d" % (ms >> 16, ms & 0xFFFF, ls >> 16, ls & 0xFFFF)
        return v(fms, fls), v(pms, pls)
    return None, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--machine")
    ap.add_argument("--gui", action="store_true")
    ap.add_argument("--version", help="fixed file and product version, X.Y.Z.W")
    ap.add_argument("--icon", action="store_true")
    ap.add_argument("--manifest", action="store_true")
    ap.add_argument("--contains", action="append", default=[])
    o = ap.parse_args()
    data = open(o.file, "rb").read()
    pe = parse(data)
    res = pe["resources"]
    if pe["dll"]:
        fail("%s is a DLL" % o.file)
    if o.machine and pe["machine"] != o.machine:
        fail("machine is %s, want %s" % (pe["machine"], o.machine))
    if o.gui and pe["subsystem"] != "gui":
        fail("subsystem is %s, want gui" % pe["subsystem"])
    if o.icon and not (res.get(RT_GROUP_ICON) and res.get(RT_ICON)):
        fail("no icon resource")
    if o.manifest:
        m = res.get(RT_MANIFEST)
        if not m or b"<assembly" not in data[m[0][0]:m[0][0] + m[0][1]]:
            fail("no manifest resource")
    fv, pv = fixed_version(data, res)
    if o.version and (fv, pv) != (o.version, o.version):
        fail("version resource file %s product %s, want %s" % (fv, pv, o.version))
    for text in o.contains:
        if text.encode() not in data and text.encode("utf-16-le") not in data:
            fail("%r not found in the file" % text)
    kinds = {RT_ICON: "icon", RT_GROUP_ICON: "icon-group", RT_VERSION: "version", RT_MANIFEST: "manifest"}
    print("ok: %s %s %s, sections %s, resources [%s], version %s%s" % (
        pe["pe"], pe["machine"], pe["subsystem"], ",".join(pe["sections"]),
        ",".join(sorted({kinds.get(k, str(k)) for k in res})), fv,
        "".join(", contains %r" % t for t in o.contains)))


if __name__ == "__main__":
    main()
