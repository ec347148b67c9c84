#!/usr/bin/env bash
# Run a command with a python3.12 first on PATH: `sam build` builds the python3.12 functions and layers with the
# python3.12 it finds on PATH (the Lambda runtime's version; the project itself runs on 3.11+).
#
#   scripts/with-python312.sh .venv/bin/sam build
#
# Where python3.12 comes from, first found wins:
#   1. PATH                                   (a system or CI-provided python3.12)
#   2. $PYENV_ROOT, /root/.pyenv and ~/.pyenv: versions/3.12*/bin (newest first)
#   3. `uv python find 3.12`                  (a uv-managed interpreter already installed)
#   4. `uv python install 3.12`               (downloads a standalone build; needs uv: UV=/path/to/uv or on PATH)
# Otherwise it stops with a message saying how to provide one.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 2
fi

is_312() {
  [ -x "$1" ] && "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 12) else 1)' 2>/dev/null
}

find_python312() {
  local candidate
  if candidate="$(command -v python3.12 2>/dev/null)" && is_312 "$candidate"; then
    echo "$candidate"
    return 0
  fi
  # PYTHON312_PYENV_ROOTS (space-separated) replaces the default pyenv roots (tests use it).
  local roots
  read -r -a roots <<<"${PYTHON312_PYENV_ROOTS:-${PYENV_ROOT:-} /root/.pyenv ${HOME:-/nonexistent}/.pyenv}"
  local root
  for root in "${roots[@]}"; do
    # Newest 3.12.x first.
    for candidate in $(ls -d "$root"/versions/3.12*/bin/python3.12 2>/dev/null | sort -rV); do
      if is_312 "$candidate"; then
        echo "$candidate"
        return 0
      fi
    done
  done
  local uv="${UV:-}"
  [ -z "$uv" ] && uv="$(command -v uv 2>/dev/null || true)"
  if [ -n "$uv" ]; then
    if candidate="$("$uv" python find 3.12 2>/dev/null)" && is_312 "$candidate"; then
      echo "$candidate"
      return 0
    fi
    echo "with-python312: no python3.12 found; installing one with uv (uv python install 3.12)" >&2
    if "$uv" python install 3.12 >&2 && candidate="$("$uv" python find 3.12 2>/dev/null)" && is_312 "$candidate"; then
      echo "$candidate"
      return 0
    fi
  fi
  return 1
}

if ! python312="$(find_python312)"; then
  cat >&2 <<'EOF'
with-python312: no python3.12 interpreter found (sam build needs one for the python3.12 runtime).
Looked on PATH, in ~/.pyenv/versions/3.12*, and with uv. Provide one, e.g.:
  uv python install 3.12        (then rerun; or set UV=/path/to/uv)
  pyenv install 3.12            (or apt-get install python3.12 where available)
EOF
  exit 1
fi

# sam looks for the executable named python3.12: a private folder holding only that name goes first on PATH, so the
# interpreter's neighbours (python3, pip, ...) never shadow the caller's tools.
bin_dir="$(mktemp -d)"
trap 'rm -rf "$bin_dir"' EXIT
ln -s "$python312" "$bin_dir/python3.12"
export PATH="$bin_dir:$PATH"
echo "with-python312: using $python312" >&2
"$@"
