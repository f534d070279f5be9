"""Bundle size on disk and cold start to the first painted window, for the PyInstaller bundle vs the source install.

Usage (after ``packaging/build.sh``; needs Debian's ``xvfb``, optionally ``xdotool``):
    python benchmarks/bundle.py [--bundle dist/inpaint-studio] [--runs 3] [--photo resources/sample.jpg]
                                [--screenshot dist/bundle-screenshot.png] [--no-source]

How start-up is timed: each launch gets its own fresh Xvfb screen (black root, ``-br``) whose framebuffer
Xvfb keeps in a file (``-fbdir``, XWD format). The clock runs from ``Popen`` until that framebuffer shows
the window painted (at least ``--min-painted`` non-black pixels, i.e. the window's own pixels, not a
mapped-but-empty frame); ``mapped`` is when ``xdotool search --onlyvisible --name "Inpaint Studio"``
first finds the window (if xdotool is installed). The first bundle launch after a build is the coldest
(the OS file cache does not hold its 700+ MB yet; caches are not dropped, that needs root and disturbs the
machine); the table shows it and the median over all runs. The baseline in the same run is the source
install (``python -m editor``), so the ratio says what freezing costs or saves.

With ``--photo resources/sample.jpg --mask resources/sample-mask.png --then-xdotool "mousemove 1388 41 click 1"
--then-screenshot PATH`` it also clicks the editor's Inpaint button and saves the result (a GUI smoke test).

Targets (issue 5): bundle <= 900 MB on disk, <= 5 s to the first painted window under Xvfb.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SCREEN = (1920, 1080)
TARGET_MB, TARGET_S = 900, 5.0


def folder_size(path: Path) -> tuple[float, float, int]:
    """(apparent MB, on-disk MB from allocated blocks, file count) of a folder; symlinks are not followed."""
    apparent = blocks = count = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            st = os.lstat(os.path.join(root, name))
            apparent += st.st_size
            blocks += getattr(st, "st_blocks", 0) * 512 or st.st_size
            count += 1
    return apparent / 2**20, blocks / 2**20, count


def read_xwd(path: Path) -> np.ndarray:
    """Decode Xvfb's ``-fbdir`` screen file (XWD, 24/32-bit TrueColor ZPixmap) to uint8 (H, W, 3) RGB."""
    data = path.read_bytes()
    f = struct.unpack(">25I", data[:100])
    header_size, width, height, byte_order, bpp, bpl, ncolors = f[0], f[4], f[5], f[7], f[11], f[12], f[19]
    masks = f[14:17]
    if bpp != 32:
        raise ValueError(f"unsupported XWD bits per pixel {bpp}")
    offset = header_size + ncolors * 12
    raw = np.frombuffer(data, dtype="<u4" if byte_order == 0 else ">u4", count=height * bpl // 4, offset=offset)
    px = raw.reshape(height, bpl // 4)[:, :width]
    out = np.empty((height, width, 3), np.uint8)
    for i, mask in enumerate(masks):
        shift = (mask & -mask).bit_length() - 1
        out[..., i] = (px & mask) >> shift
    return out


def _red_pixels(rgb: np.ndarray) -> int:
    """Saturated-red pixels on screen: the sample's no-entry sign and the red hole overlay, gone after inpainting."""
    r, g, b = (rgb[..., i].astype(np.int16) for i in range(3))
    return int(((r > 150) & (g < 100) & (b < 100)).sum())


class VirtualScreen:
    """A private Xvfb display with its framebuffer in a file (so pixels can be read without a grab tool)."""

    def __init__(self, size: tuple[int, int] = SCREEN) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="inpaint-xvfb-"))
        for display in range(91, 160):
            if not Path(f"/tmp/.X11-unix/X{display}").exists() and not Path(f"/tmp/.X{display}-lock").exists():
                break
        self.display = f":{display}"
        self.proc = subprocess.Popen(
            ["Xvfb", self.display, "-screen", "0", f"{size[0]}x{size[1]}x24", "-fbdir", str(self.dir), "-br",
             "-nolisten", "tcp", "-noreset"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.fb = self.dir / "Xvfb_screen0"
        deadline = time.monotonic() + 10
        while not (self.fb.exists() and Path(f"/tmp/.X11-unix/X{display}").exists()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Xvfb did not start (apt-get install -y xvfb)")
            time.sleep(0.02)

    def pixels(self) -> np.ndarray:
        return read_xwd(self.fb)

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def time_start(cmd: list[str], *, min_painted: int, timeout: float, screenshot: Path | None = None,
               settle: float = 2.0, extra_env: dict | None = None, then_keys: str | None = None,
               then_wait: float = 10.0, then_screenshot: Path | None = None) -> dict:
    """Launch ``cmd`` on a fresh virtual screen; seconds to window mapped and to first paint."""
    screen = VirtualScreen()
    xdotool = shutil.which("xdotool")
    env = dict(os.environ, DISPLAY=screen.display, QT_QPA_PLATFORM="xcb")
    env.pop("WAYLAND_DISPLAY", None)
    env.update(extra_env or {})
    # a fresh settings folder each launch: no restored geometry or recent files skews the timing
    cfg = Path(tempfile.mkdtemp(prefix="inpaint-cfg-"))
    env.update(XDG_CONFIG_HOME=str(cfg), XDG_DATA_HOME=str(cfg), XDG_CACHE_HOME=str(cfg))
    result = {"mapped": None, "painted": None, "exit": None}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=str(cfg))
    try:
        while time.perf_counter() - t0 < timeout:
            if proc.poll() is not None:
                result["exit"] = proc.returncode
                break
            now = time.perf_counter() - t0
            if result["mapped"] is None and xdotool:
                found = subprocess.run([xdotool, "search", "--onlyvisible", "--name", "Inpaint Studio"],
                                       env=env, capture_output=True, text=True)
                if found.stdout.strip():
                    result["mapped"] = now
            if result["painted"] is None:
                painted = int(np.count_nonzero(screen.pixels().any(axis=-1)))
                if painted >= min_painted:
                    result["painted"] = time.perf_counter() - t0
                    if result["mapped"] is None and not xdotool:
                        result["mapped"] = result["painted"]
            if result["painted"] is not None and (result["mapped"] is not None or not xdotool):
                break
            time.sleep(0.01)
        if screenshot is not None and result["painted"] is not None:
            time.sleep(settle)  # let the first frames settle (icons, photo) before the picture
            from PIL import Image
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            first = screen.pixels()
            Image.fromarray(first).save(screenshot)
            result["red_before"] = _red_pixels(first)
            if then_keys and xdotool and then_screenshot is not None:
                # e.g. "mousemove 1388 41 click 1" (the toolbar's Inpaint at 1920x1080; keys sent by xdotool
                # without a window manager do not reach Qt's shortcuts here, clicks do)
                subprocess.run([xdotool, *shlex.split(then_keys)], env=env, check=False)
                time.sleep(then_wait)
                second = screen.pixels()
                Image.fromarray(second).save(then_screenshot)
                result["red_after"] = _red_pixels(second)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
        screen.close()
        shutil.rmtree(cfg, ignore_errors=True)
    if result["painted"] is None:
        result["output"] = out[-2000:]
    return result


def _fmt(x: float | None) -> str:
    return "   -  " if x is None else f"{x:6.2f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bundle", type=Path, default=REPO / "dist" / "inpaint-studio")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--photo", type=Path, default=None, help="open this photo (default: empty editor)")
    ap.add_argument("--screenshot", type=Path, default=None, help="PNG of the bundle's window (last run)")
    ap.add_argument("--mask", type=Path, default=None, help="hole mask opened with --photo (white = hole)")
    ap.add_argument("--then-xdotool", dest="then_keys", default=None, metavar="ARGS",
                    help="after the screenshot, run xdotool ARGS (e.g. 'mousemove 1388 41 click 1') ...")
    ap.add_argument("--then-wait", type=float, default=10.0, help="... wait this many seconds ...")
    ap.add_argument("--then-screenshot", type=Path, default=None, help="... and save this second screenshot")
    ap.add_argument("--no-source", action="store_true", help="skip the source-install baseline")
    ap.add_argument("--min-painted", type=int, default=40_000, help="non-black pixels that count as painted")
    ap.add_argument("--timeout", type=float, default=60.0)
    args = ap.parse_args(argv)

    exe = args.bundle / ("inpaint-studio.exe" if os.name == "nt" else "inpaint-studio")
    if not exe.is_file():
        print(f"error: no bundle at {exe} (run packaging/build.sh)", file=sys.stderr)
        return 2
    if not shutil.which("Xvfb"):
        print("error: Xvfb not found (apt-get install -y xvfb xdotool)", file=sys.stderr)
        return 2
    apparent, disk, count = folder_size(args.bundle)
    print(f"bundle {args.bundle}: {disk:.0f} MB on disk ({apparent:.0f} MB apparent, {count} files); "
          f"target <= {TARGET_MB} MB: {'ok' if disk <= TARGET_MB else 'OVER'}")

    extra = ["open", str(args.photo.resolve())] if args.photo else []
    if args.photo and args.mask:
        extra += ["--mask", str(args.mask.resolve())]
    variants = [("bundle", [str(exe.resolve())] + extra, {})]
    if not args.no_source:  # this checkout, whether or not it is pip-installed
        path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        variants.append(("source", [sys.executable, "-m", "editor"] + extra, {"PYTHONPATH": path}))
    rows = {}
    for name, cmd, extra_env in variants:
        runs = []
        for i in range(args.runs):
            last_bundle = name == "bundle" and i == args.runs - 1
            r = time_start(cmd, min_painted=args.min_painted, timeout=args.timeout,
                           screenshot=args.screenshot if last_bundle else None, extra_env=extra_env,
                           then_keys=args.then_keys if last_bundle else None, then_wait=args.then_wait,
                           then_screenshot=args.then_screenshot)
            if r["painted"] is None:
                print(f"error: {name} run {i + 1}: no painted window within {args.timeout:.0f} s "
                      f"(exit code {r['exit']}); its output:\n{r.get('output', '')}", file=sys.stderr)
                return 1
            runs.append(r)
        rows[name] = runs

    print(f"\ncold start to the first painted window under Xvfb ({SCREEN[0]}x{SCREEN[1]}), "
          f"{'photo ' + args.photo.name if args.photo else 'empty editor'}, {args.runs} runs each")
    print(f"{'install':<8} {'first mapped':>12} {'first painted':>13} {'median painted':>14} {'max painted':>11}")
    med = {}
    for name, runs in rows.items():
        painted = [r["painted"] for r in runs]
        med[name] = statistics.median(painted)
        print(f"{name:<8} {_fmt(runs[0]['mapped']):>12} {_fmt(runs[0]['painted']):>13} {_fmt(med[name]):>14} "
              f"{_fmt(max(painted)):>11}")
    if "source" in med:
        print(f"ratio bundle/source (median painted): {med['bundle'] / med['source']:.2f}")
    worst = max(r["painted"] for r in rows["bundle"])
    print(f"target <= {TARGET_S:.0f} s to the first painted window: {'ok' if worst <= TARGET_S else 'OVER'} "
          f"(slowest bundle run {worst:.2f} s)")
    if args.screenshot:
        print(f"screenshot: {args.screenshot}")
    if args.then_keys and args.then_screenshot:
        last = rows["bundle"][-1]
        print(f"after 'xdotool {args.then_keys}' and {args.then_wait:.0f} s: {args.then_screenshot}; saturated-red "
              f"pixels on screen {last.get('red_before')} -> {last.get('red_after')} (the sign and hole overlay)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
