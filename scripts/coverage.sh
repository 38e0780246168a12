#!/usr/bin/env bash
# Enforces a statement-coverage floor on the packages whose logic everything
# else trusts: the knock engine (knock/, the package itself) and the profile
# model (app/profile), each covered by its own tests.
#
#   scripts/coverage.sh PROFILE   read a profile that a run of the suite wrote
#                                 (go test -coverprofile over ./..., as make test does)
#   scripts/coverage.sh           run the two packages' tests for it
#
# COVERAGE_FLOOR overrides the floor (percent).
set -euo pipefail
cd "$(dirname "$0")/.."
floor=${COVERAGE_FLOOR:-80}
module=$(go list -m)
pkgs=(knock app/profile)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
profile=${1:-}
if [ -z "$profile" ]; then
	profile=$dir/all.out
	if ! go test -tags ci -count=1 -covermode=set -coverprofile="$profile" "${pkgs[@]/#/./}" >"$dir/log" 2>&1; then
		cat "$dir/log" >&2
		echo "coverage: the tests failed" >&2
		exit 1
	fi
fi
[ -s "$profile" ] || { echo "coverage: no profile at $profile" >&2; exit 1; }
fail=0
for pkg in "${pkgs[@]}"; do
	# The package's own files only: knock/, not knock/routerconf/.
	part=$dir/$(echo "$pkg" | tr / _).out
	{
		head -1 "$profile"
		grep -E "^${module//./\\.}/${pkg}/[^/]+\.go:" "$profile" || true
	} >"$part"
	if [ "$(wc -l <"$part")" -le 1 ]; then
		echo "coverage: the profile holds nothing of ./$pkg (did its tests run?)" >&2
		exit 1
	fi
	total=$(go tool cover -func="$part" | awk '/^total:/ {sub("%", "", $3); print $3}')
	if awk -v t="$total" -v f="$floor" 'BEGIN { exit !(t + 0 < f + 0) }'; then
		echo "coverage: ./$pkg $total% is below the floor of $floor%" >&2
		fail=1
	else
		echo "coverage: ./$pkg $total% (floor $floor%)"
	fi
done
exit $fail
