#!/usr/bin/env bash
# Start throwaway services, run the whole suite, stop the services even on failure.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh start || { echo "could not start PostgreSQL/Redis" >&2; exit 1; }
trap 'scripts/services.sh stop' EXIT
# shellcheck disable=SC1091
. .services/env
export PYTHONDONTWRITEBYTECODE=1
# Some parametrisations iterate sets: a fixed hash seed makes every xdist worker collect the same order.
export PYTHONHASHSEED=0
# Two workers (the CI machine has two cores); each gets its own database, named after its pid.
.venv/bin/python -m pytest -n "${HF_TEST_WORKERS:-2}" "$@"
status=$?
if [ "$status" = "5" ]; then echo "pytest collected no tests" >&2; fi
exit "$status"
