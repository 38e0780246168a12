#!/usr/bin/env bash
# make test: every check, each once, and a table of where the time went.
#
#   packages   the Debian packages the tests need (apt, as root)
#   build      bin/knocker and bin/knocker-cli
#   winbuild   knocker.exe (scripts/windows-build.sh), beside everything up
#              to the Windows stage, at low priority
#   check      gofmt, go vet (three build configurations), staticcheck
#   suite      go test -race over every package, once: in a time zone 14 h
#              from UTC (no test may lean on the machine's zone), in a
#              private D-Bus session with gnome-keyring, with every start
#              of bin/knocker watched by the secrets audit, writing the
#              coverage profile and the window's screenshots
#   headless   the end-to-end tests with bin/knocker-cli, audited too
#   coverage   the floors for knock/ and app/profile, from the suite's profile
#   fuzz       every fuzz target, $FUZZTIME inputs each (scripts/fuzz.sh),
#              beside the Windows stage, at the lowest priority
#   windows    knocker.exe and its installer under Wine (scripts/windows-test.sh)
#   deb        the .deb, installed here and removed again (as root)
#
# The variables come from the Makefile: GO, TEST_DEPS, BIN, CLI, VERSION,
# FUZZTIME, FAR_ZONE.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${GO:=go}" "${BIN:=bin/knocker}" "${CLI:=bin/knocker-cli}" "${FAR_ZONE:=Pacific/Kiritimati}"
: "${VERSION:=$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
export VERSION
mkdir -p bin
artifacts=$PWD/bin/artifacts
cover=$PWD/bin/cover.out

names=() seconds=()
declare -A job_pid=() job_start=()
started=$SECONDS
report() {
	local code=$?
	# A failure leaves no stage running beside: each runs in a session of its own.
	for pid in "${job_pid[@]}"; do kill -- -"$pid" 2>/dev/null || true; done
	echo
	echo "make test: where the time went (stages marked beside ran at the same time as the others)"
	printf '  %-16s %8s\n' stage seconds
	local i
	for i in "${!names[@]}"; do
		printf '  %-16s %8s\n' "${names[$i]}" "${seconds[$i]}"
	done
	printf '  %-16s %8s\n' total $((SECONDS - started))
	[ "$code" -eq 0 ] || echo "make test: FAILED in stage ${current:-?}"
}
trap report EXIT

# stage NAME COMMAND... runs one stage and keeps its time.
stage() {
	current=$1
	shift
	echo "=== stage $current: $*"
	local start=$SECONDS
	"$@"
	names+=("$current")
	seconds+=($((SECONDS - start)))
}

# beside NAME COMMAND... starts a stage that runs beside those that follow,
# its output kept in bin/stage-NAME.log until collect shows it.
beside() {
	local name=$1
	shift
	echo "=== stage $name, beside the next ones (shown when done): $*"
	rm -f "bin/stage-$name.end"
	job_start[$name]=$(date +%s)
	setsid bash -c '"$@"; code=$?; date +%s >"$0"; exit $code' "bin/stage-$name.end" "$@" \
		>"bin/stage-$name.log" 2>&1 </dev/null &
	job_pid[$name]=$!
}

# collect NAME waits for a stage started beside, shows its output, keeps
# its time (to its own end) and fails as it did.
collect() {
	local name=$1 code=0
	current=$name
	wait "${job_pid[$name]}" || code=$?
	unset "job_pid[$name]"
	echo "=== stage $name (beside):"
	cat "bin/stage-$name.log"
	local end
	end=$(cat "bin/stage-$name.end" 2>/dev/null || date +%s)
	names+=("$name beside")
	seconds+=($((end - job_start[$name])))
	return $code
}

desktop=(env "KNOCKER_BIN=$PWD/$BIN" "KNOCKER_CLI_BIN=$PWD/$CLI")
headless=(env "KNOCKER_BIN=$PWD/$CLI" "KNOCKER_CLI_BIN=$PWD/$CLI")
audited=(scripts/with-keyring.sh scripts/secrets-audit.sh)

stage packages scripts/deps.sh $TEST_DEPS
cross=
if command -v x86_64-w64-mingw32-gcc >/dev/null; then
	cross=1
	beside winbuild nice -n 10 scripts/windows-build.sh
fi
stage build make -s build cli GO="$GO" VERSION="$VERSION"
stage check make -s check GO="$GO"
stage suite env TZ="$FAR_ZONE" KNOCKER_ARTIFACTS="$artifacts" "${desktop[@]}" "${audited[@]}" \
	"$GO" test -race -tags ci -count=1 -parallel 8 -coverprofile="$cover" ./...
stage headless "${headless[@]}" "${audited[@]}" "$GO" test -race -tags ci -count=1 -parallel 8 ./e2e/...
stage coverage scripts/coverage.sh "$cover"
# The Windows stage mostly waits on Wine, so the fuzzing goes beside it, at
# the lowest priority. Not beside the two suites: there it slowed them by
# half, and in one run of three the headless suite's gnome-keyring stopped
# answering under that load.
beside fuzz nice -n 19 env FUZZTIME="${FUZZTIME:-150000x}" scripts/fuzz.sh
if [ -n "$cross" ]; then
	collect winbuild
	stage windows env KNOCKER_EXE_BUILT=1 KNOCKER_ARTIFACTS="$artifacts" scripts/windows-test.sh
else
	stage windows env KNOCKER_ARTIFACTS="$artifacts" scripts/windows-test.sh # says what is missing
fi
stage deb env KNOCKER_PACKAGE_TEST=1 "${desktop[@]}" "$GO" test -count=1 -v ./e2e/deb/
collect fuzz
