# Sourced by scripts/run and scripts/test: make .venv with Python 3.11+ and install the project
# (with the given extra) whenever pyproject.toml has changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "Python 3.11 or newer is needed (found $("$PYTHON" --version 2>&1)); set PYTHON=..." >&2
  exit 1
}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
stamp=".venv/.installed-$1-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  if [ "$1" = "dev" ]; then spec=".[dev]"; else spec="."; fi
  .venv/bin/python -m pip install --quiet -e "$spec"
  rm -f .venv/.installed-"$1"-*
  touch "$stamp"
fi
