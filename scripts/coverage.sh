#!/usr/bin/env bash
# Enforces a statement-coverage floor on the packages whose logic everything
# else trusts: the knock engine (knock/, the package itself) and the profile
# model (app/profile). COVERAGE_FLOOR overrides the floor (percent).
set -euo pipefail
cd "$(dirname "$0")/.."
floor=${COVERAGE_FLOOR:-80}
pkgs=(./knock ./app/profile)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
for pkg in "${pkgs[@]}"; do
	profile=$dir/$(echo "$pkg" | tr -c 'a-zA-Z0-9\n' _).out
	if ! go test -tags ci -count=1 -covermode=set -coverprofile="$profile" "$pkg" >"$dir/log" 2>&1; then
		cat "$dir/log" >&2
		echo "coverage: tests of $pkg failed" >&2
		exit 1
	fi
	total=$(go tool cover -func="$profile" | awk '/^total:/ {sub("%", "", $3); print $3}')
	if awk -v t="$total" -v f="$floor" 'BEGIN { exit !(t + 0 < f + 0) }'; then
		echo "coverage: $pkg $total% is below the floor of $floor%" >&2
		fail=1
	else
		echo "coverage: $pkg $total% (floor $floor%)"
	fi
done
exit $fail
