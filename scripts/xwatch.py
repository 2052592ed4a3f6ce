#!/usr/bin/env python3
"""Launch a GUI program and time its window on the current X display (make bench).

    xwatch.py --name REGEX [--log FILE] [--stdin FILE] [--settle S] [--timeout S] -- CMD [ARGS...]

Starts CMD and polls the display directly through libX11 (ctypes, no process
per poll): every --map-interval ms for a viewable window whose name
(_NET_WM_NAME or WM_NAME) matches REGEX, then every --paint-interval ms grabs
the window's pixels (XGetImage) until they are not blank, then keeps grabbing
for --settle seconds. Prints one JSON line, times in ms from just before the
program was started:

  mapped       the window is viewable (mapped)
  first_paint  first grab that is not blank (>= 16 distinct colours; a fresh
               window is one background colour)
  complete     first grab identical to the settled picture: any picture seen
               in the last --settle-tail seconds (a blinking caret gives two)

The program is left running; its pid is in the JSON ("pid"). Blank is judged
like scripts/smoke-window.sh: an empty window has one colour, text gives many.
"""
import argparse
import ctypes
import ctypes.util
import json
import os
import re
import subprocess
import sys
import time
import zlib

X = ctypes.cdll.LoadLibrary(ctypes.util.find_library("X11") or "libX11.so.6")
Window = ctypes.c_ulong
Atom = ctypes.c_ulong


class XWindowAttributes(ctypes.Structure):
    _fields_ = [
        ("x", ctypes.c_int), ("y", ctypes.c_int), ("width", ctypes.c_int), ("height", ctypes.c_int),
        ("border_width", ctypes.c_int), ("depth", ctypes.c_int), ("visual", ctypes.c_void_p),
        ("root", Window), ("class_", ctypes.c_int), ("bit_gravity", ctypes.c_int),
        ("win_gravity", ctypes.c_int), ("backing_store", ctypes.c_int),
        ("backing_planes", ctypes.c_ulong), ("backing_pixel", ctypes.c_ulong),
        ("save_under", ctypes.c_int), ("colormap", ctypes.c_ulong), ("map_installed", ctypes.c_int),
        ("map_state", ctypes.c_int), ("all_event_masks", ctypes.c_long),
        ("your_event_mask", ctypes.c_long), ("do_not_propagate_mask", ctypes.c_long),
        ("override_redirect", ctypes.c_int), ("screen", ctypes.c_void_p),
    ]


class XImage(ctypes.Structure):  # leading fields only; we never allocate one
    _fields_ = [
        ("width", ctypes.c_int), ("height", ctypes.c_int), ("xoffset", ctypes.c_int),
        ("format", ctypes.c_int), ("data", ctypes.c_void_p), ("byte_order", ctypes.c_int),
        ("bitmap_unit", ctypes.c_int), ("bitmap_bit_order", ctypes.c_int), ("bitmap_pad", ctypes.c_int),
        ("depth", ctypes.c_int), ("bytes_per_line", ctypes.c_int), ("bits_per_pixel", ctypes.c_int),
    ]


X.XOpenDisplay.restype = ctypes.c_void_p
X.XOpenDisplay.argtypes = [ctypes.c_char_p]
X.XDefaultRootWindow.restype = Window
X.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
X.XQueryTree.argtypes = [ctypes.c_void_p, Window, ctypes.POINTER(Window), ctypes.POINTER(Window),
                         ctypes.POINTER(ctypes.POINTER(Window)), ctypes.POINTER(ctypes.c_uint)]
X.XFree.argtypes = [ctypes.c_void_p]
X.XFetchName.argtypes = [ctypes.c_void_p, Window, ctypes.POINTER(ctypes.c_char_p)]
X.XGetWindowAttributes.argtypes = [ctypes.c_void_p, Window, ctypes.POINTER(XWindowAttributes)]
X.XInternAtom.restype = Atom
X.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
X.XGetWindowProperty.argtypes = [
    ctypes.c_void_p, Window, Atom, ctypes.c_long, ctypes.c_long, ctypes.c_int, Atom,
    ctypes.POINTER(Atom), ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_ulong),
    ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_void_p)]
X.XGetImage.restype = ctypes.POINTER(XImage)
X.XGetImage.argtypes = [ctypes.c_void_p, Window, ctypes.c_int, ctypes.c_int, ctypes.c_uint,
                        ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
X.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]

# MIT-SHM: the server copies the window into shared memory instead of sending
# it over the socket (a grab then costs ~1 ms instead of ~20 ms per 3 MB).
try:
    XEXT = ctypes.cdll.LoadLibrary(ctypes.util.find_library("Xext") or "libXext.so.6")
    LIBC = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
except OSError:
    XEXT = None


class XShmSegmentInfo(ctypes.Structure):
    _fields_ = [("shmseg", ctypes.c_ulong), ("shmid", ctypes.c_int), ("shmaddr", ctypes.c_void_p),
                ("readOnly", ctypes.c_int)]


if XEXT:
    XEXT.XShmQueryExtension.argtypes = [ctypes.c_void_p]
    XEXT.XShmCreateImage.restype = ctypes.POINTER(XImage)
    XEXT.XShmCreateImage.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                                     ctypes.c_void_p, ctypes.POINTER(XShmSegmentInfo), ctypes.c_uint, ctypes.c_uint]
    XEXT.XShmAttach.argtypes = [ctypes.c_void_p, ctypes.POINTER(XShmSegmentInfo)]
    XEXT.XShmDetach.argtypes = [ctypes.c_void_p, ctypes.POINTER(XShmSegmentInfo)]
    XEXT.XShmGetImage.argtypes = [ctypes.c_void_p, Window, ctypes.POINTER(XImage), ctypes.c_int, ctypes.c_int,
                                  ctypes.c_ulong]
    LIBC.shmget.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int]
    LIBC.shmat.restype = ctypes.c_void_p
    LIBC.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
    LIBC.shmdt.argtypes = [ctypes.c_void_p]
    LIBC.shmctl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
IPC_PRIVATE, IPC_CREAT, IPC_RMID = 0, 0o1000, 0

# Windows come and go while we look: ignore X errors (the default handler exits).
ERROR_HANDLER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)(lambda d, e: 0)
X.XSetErrorHandler(ERROR_HANDLER)

IS_VIEWABLE, Z_PIXMAP, ALL_PLANES = 2, 2, 0xFFFFFFFF


class Display:
    def __init__(self):
        self.d = X.XOpenDisplay(None)
        if not self.d:
            sys.exit("xwatch: cannot open display %r" % os.environ.get("DISPLAY"))
        self.root = X.XDefaultRootWindow(self.d)
        self.net_wm_name = X.XInternAtom(self.d, b"_NET_WM_NAME", 0)
        self.utf8 = X.XInternAtom(self.d, b"UTF8_STRING", 0)
        self.shm = bool(XEXT) and bool(XEXT.XShmQueryExtension(self.d))
        self.shm_key = None  # (width, height, depth) of the current shared image
        self.shm_img = None
        self.shm_info = XShmSegmentInfo()

    def children(self, w):
        root, parent, kids, n = Window(), Window(), ctypes.POINTER(Window)(), ctypes.c_uint()
        if not X.XQueryTree(self.d, w, ctypes.byref(root), ctypes.byref(parent), ctypes.byref(kids), ctypes.byref(n)):
            return []
        out = [kids[i] for i in range(n.value)]
        if kids:
            X.XFree(kids)
        return out

    def name(self, w):
        typ, fmt, n, after, data = Atom(), ctypes.c_int(), ctypes.c_ulong(), ctypes.c_ulong(), ctypes.c_void_p()
        if X.XGetWindowProperty(self.d, w, self.net_wm_name, 0, 1024, 0, self.utf8, ctypes.byref(typ),
                                ctypes.byref(fmt), ctypes.byref(n), ctypes.byref(after), ctypes.byref(data)) == 0 and data.value:
            s = ctypes.string_at(data.value, n.value).decode("utf-8", "replace")
            X.XFree(data)
            if s:
                return s
        p = ctypes.c_char_p()
        if X.XFetchName(self.d, w, ctypes.byref(p)) and p.value is not None:
            s = p.value.decode("latin-1")
            return s
        return ""

    def attrs(self, w):
        a = XWindowAttributes()
        if not X.XGetWindowAttributes(self.d, w, ctypes.byref(a)):
            return None
        return a

    def find(self, pattern):
        """A viewable window (any depth) whose name matches pattern."""
        stack = self.children(self.root)
        while stack:
            w = stack.pop()
            a = self.attrs(w)
            if a is None or a.map_state != IS_VIEWABLE:
                continue
            if pattern.search(self.name(w)) and a.width > 1 and a.height > 1:
                return w, a
            stack.extend(self.children(w))
        return None, None

    def _shm_image(self, a):
        key = (a.width, a.height, a.depth)
        if self.shm_key == key:
            return self.shm_img
        self._shm_free()
        info = self.shm_info
        img = XEXT.XShmCreateImage(self.d, a.visual, a.depth, Z_PIXMAP, None, ctypes.byref(info), a.width, a.height)
        if not img:
            return None
        size = img.contents.bytes_per_line * img.contents.height
        info.shmid = LIBC.shmget(IPC_PRIVATE, size, IPC_CREAT | 0o600)
        if info.shmid < 0:
            X.XFree(img)
            return None
        info.shmaddr = LIBC.shmat(info.shmid, None, 0)
        LIBC.shmctl(info.shmid, IPC_RMID, None)  # freed once both sides detach
        info.readOnly = 0
        img.contents.data = info.shmaddr
        XEXT.XShmAttach(self.d, ctypes.byref(info))
        X.XSync(self.d, 0)
        self.shm_key, self.shm_img = key, img
        return img

    def _shm_free(self):
        if self.shm_img:
            XEXT.XShmDetach(self.d, ctypes.byref(self.shm_info))
            X.XSync(self.d, 0)
            LIBC.shmdt(self.shm_info.shmaddr)
            X.XFree(self.shm_img)
            self.shm_img, self.shm_key = None, None

    def grab(self, w):
        """(checksum of the pixels, distinct colours of a sample, width, height) or None."""
        a = self.attrs(w)
        if a is None or a.map_state != IS_VIEWABLE:
            return None
        img = self._shm_image(a) if self.shm else None
        if img and XEXT.XShmGetImage(self.d, w, img, 0, 0, ALL_PLANES):
            im = img.contents
            raw = memoryview((ctypes.c_char * (im.bytes_per_line * im.height)).from_address(im.data)).cast("B")
        else:
            img = X.XGetImage(self.d, w, 0, 0, a.width, a.height, ALL_PLANES, Z_PIXMAP)
            if not img:
                return None
            im = img.contents
            raw = ctypes.string_at(im.data, im.bytes_per_line * im.height)
            X.XFree(im.data)
            X.XFree(img)
        digest = "%08x" % zlib.adler32(raw)
        # A sample of ~1 pixel in 97 is plenty to tell one colour from text.
        px = memoryview(raw).cast("I") if im.bits_per_pixel == 32 else memoryview(raw)
        colours = len(set(px[::97]))
        return digest, colours, a.width, a.height


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True, help="regular expression for the window name")
    ap.add_argument("--log", default=os.devnull, help="the program's stdout+stderr")
    ap.add_argument("--stdin", default=os.devnull, help="file the program reads as standard input")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--map-interval", type=float, default=5, help="ms between window searches")
    ap.add_argument("--paint-interval", type=float, default=15, help="ms between screen grabs")
    ap.add_argument("--settle", type=float, default=3.0, help="s to keep grabbing after the first paint")
    ap.add_argument("--settle-tail", type=float, default=1.0, help="s at the end that define the settled picture")
    ap.add_argument("--no-paint", action="store_true", help="only wait for the window to be mapped")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    o = ap.parse_args()
    cmd = o.cmd[1:] if o.cmd[:1] == ["--"] else o.cmd
    if not cmd:
        ap.error("no command")
    pattern = re.compile(o.name)
    dpy = Display()
    res = {"cmd": cmd[0]}

    def ms(t):
        return round((t - t0) * 1000, 1)

    def check_alive():
        if proc.poll() is not None:
            res["error"] = "exited with status %d" % proc.returncode
            print(json.dumps(res))
            sys.exit(1)

    log = open(o.log, "ab")
    stdin = open(o.stdin, "rb")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=stdin)
    res["pid"] = proc.pid
    deadline = t0 + o.timeout
    win = None
    while time.monotonic() < deadline:
        win, a = dpy.find(pattern)
        if win:
            res["mapped"] = ms(time.monotonic())
            res["window"] = "0x%x" % win
            break
        check_alive()
        time.sleep(o.map_interval / 1000)
    if not win:
        res["error"] = "no window matching %r within %ss" % (o.name, o.timeout)
        print(json.dumps(res))
        sys.exit(1)
    if o.no_paint:
        print(json.dumps(res))
        return
    frames = []  # (t, digest)
    first = None
    while time.monotonic() < deadline:
        t = time.monotonic()
        g = dpy.grab(win)
        if g:
            digest, colours, w, h = g
            if first is None and colours >= 16:
                first = t
                res["first_paint"] = ms(t)
            if first is not None:
                frames.append((t, digest))
                if t - first >= o.settle:
                    res["size"] = "%dx%d" % (w, h)
                    break
        check_alive()
        time.sleep(o.paint_interval / 1000)
    if first is None:
        res["error"] = "window still blank after %ss" % o.timeout
        print(json.dumps(res))
        sys.exit(1)
    end = frames[-1][0]
    settled = {d for t, d in frames if t >= end - o.settle_tail}
    res["complete"] = ms(next(t for t, d in frames if d in settled))
    res["settled_pictures"] = len(settled)
    res["grabs"] = len(frames)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
