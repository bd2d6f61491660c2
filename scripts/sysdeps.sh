#!/usr/bin/env bash
# Install the Debian packages propsvc needs, where missing: Pango and HarfBuzz's subsetter for
# WeasyPrint, CJK fonts, Chromium for the browser tests, poppler-utils to read PDFs back.
set -u
PKGS=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fonts-wqy-zenhei chromium poppler-utils)
PY="${PYTHON:-python3}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
"$PY" -c 'import ensurepip, venv' 2>/dev/null || PKGS+=(python3-venv)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing system packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && { [ -t 0 ] || sudo -n true 2>/dev/null; }; then
  SUDO=(sudo)
else
  echo "WARNING: cannot install ${missing[*]} (not root, no sudo). Ask an administrator to run:" >&2
  echo "  apt-get install ${missing[*]}" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq || true
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
