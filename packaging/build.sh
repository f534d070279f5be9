#!/usr/bin/env bash
# Build the one-folder desktop bundle dist/inpaint-studio/ (Linux; macOS also gets "dist/Inpaint Studio.app").
#
# Run from anywhere in a clone, after the README's install command (which installs torch, PySide6, ...):
#     packaging/build.sh
# Then: dist/inpaint-studio/inpaint-studio            (the editor)
#       dist/inpaint-studio/inpaint-studio --self-test
#       dist/inpaint-studio/install-desktop-entry.sh   (Linux: add it to the application menu)
# Environment: PYTHON (default: python3 or python), PYINSTALLER_VERSION (default: a 6.x release).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$(command -v python3 || command -v python)}
if ! "$PYTHON" -c "import PyInstaller" 2>/dev/null; then
    echo "installing PyInstaller into $("$PYTHON" -c 'import sys; print(sys.prefix)')"
    "$PYTHON" -m pip install "pyinstaller${PYINSTALLER_VERSION:->=6.5,<7}"
fi
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN packaging/inpaint-studio.spec
echo "built: $(pwd)/dist/inpaint-studio/inpaint-studio ($(du -sh dist/inpaint-studio | cut -f1))"
