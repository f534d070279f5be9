#!/usr/bin/env bash
# Build the bundle from this checkout, then prove it works: the bundle's --self-test (no display), its size,
# and the cold start to the first painted window under Xvfb (benchmarks/bundle.py), with a screenshot.
#
#     packaging/build_and_selftest.sh              # full: build + self-test + size + start time
#     SKIP_BUILD=1 packaging/build_and_selftest.sh  # re-check an existing dist/inpaint-studio
#
# Needs Debian's xvfb (+ xdotool) and Qt's xcb libraries for the start-time part:
#     apt-get install -y xvfb xdotool libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 \
#                        libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0
# Exit status: non-zero if the build, the self-test or the start-up failed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$(command -v python3 || command -v python)}
BUNDLE=dist/inpaint-studio
if [ -z "${SKIP_BUILD:-}" ]; then
    echo "== build ($(date -u +%H:%M:%S) UTC)"
    start=$(date +%s)
    packaging/build.sh
    echo "build took $(( $(date +%s) - start )) s"
fi
echo "== self-test of the bundle (no display)"
( unset DISPLAY WAYLAND_DISPLAY; cd /tmp && "$OLDPWD/$BUNDLE/inpaint-studio" --self-test )
echo "== size"
du -sh "$BUNDLE"
du -sh "$BUNDLE"/_internal/* 2>/dev/null | sort -h | tail -8
if command -v Xvfb >/dev/null 2>&1; then
    echo "== cold start to the first painted window (Xvfb)"
    "$PYTHON" benchmarks/bundle.py --bundle "$BUNDLE" --runs "${RUNS:-3}" --screenshot dist/bundle-screenshot.png
    echo "== GUI smoke test: open the sample with its mask, click the toolbar's Inpaint (its position in the 1920x1080 layout)"
    "$PYTHON" benchmarks/bundle.py --bundle "$BUNDLE" --runs 1 --no-source --photo resources/sample.jpg \
        --mask resources/sample-mask.png --screenshot dist/bundle-sample.png \
        --then-xdotool "mousemove 1388 41 click 1" --then-wait 15 --then-screenshot dist/bundle-inpainted.png \
        | tail -n 2
else
    echo "== cold start skipped: Xvfb not installed (apt-get install -y xvfb xdotool)"
fi
