#!/bin/sh
# Add Inpaint Studio to the desktop's application menu (Linux, per user, no root needed).
# Run it from the unpacked bundle:  ./install-desktop-entry.sh   (undo: ./install-desktop-entry.sh --remove)
# It installs resources/inpaint-studio.desktop with Exec pointing at this bundle's executable, and the
# app icon in the hicolor theme sizes, under ${XDG_DATA_HOME:-~/.local/share}.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
APPS="$DATA/applications"
ICONS="$DATA/icons/hicolor"
if [ "${1:-}" = "--remove" ]; then
    rm -f "$APPS/inpaint-studio.desktop" "$ICONS"/*/apps/inpaint-studio.png
    echo "removed Inpaint Studio from the application menu"
    exit 0
fi
RES="$HERE/resources"
[ -d "$RES" ] || RES="$HERE/_internal/resources"
mkdir -p "$APPS"
sed -e "s|^Exec=inpaint-studio|Exec=\"$HERE/inpaint-studio\"|" -e "s|^TryExec=.*|TryExec=$HERE/inpaint-studio|" \
    "$RES/inpaint-studio.desktop" > "$APPS/inpaint-studio.desktop"
for png in "$RES"/icons/inpaint-studio-*.png; do
    size=$(basename "$png" .png | sed 's/.*-//')
    mkdir -p "$ICONS/${size}x${size}/apps"
    cp "$png" "$ICONS/${size}x${size}/apps/inpaint-studio.png"
done
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$APPS" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q "$ICONS" || true
echo "installed $APPS/inpaint-studio.desktop (Exec: $HERE/inpaint-studio)"
