#!/usr/bin/env bash
# Runs every Go fuzz target in the module for a budget of FUZZTIME, an
# execution count by default. Seed corpora always run as part of go test; this
# adds fresh random inputs. A count rather than a duration, because Go 1.26's
# coordinator can report a bare "context deadline exceeded" failure when a
# duration runs out on a loaded machine (go.dev/issue/75804, fixed in 1.27).
set -euo pipefail
fuzztime=${FUZZTIME:-150000x}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
grep -rl --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]+\(f \*testing\.F\)' . | sort | while read -r file; do
	dir=$(dirname "$file")
	grep -oE '^func Fuzz[A-Za-z0-9_]+' "$file" | sed 's/^func //' | while read -r target; do
		start=$SECONDS
		go test -tags ci -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$dir" >"$log" 2>&1 || { cat "$log"; exit 1; }
		echo "fuzz $dir $target ($fuzztime): $((SECONDS - start)) s"
	done
done
