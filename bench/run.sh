#!/usr/bin/env bash
# make bench: measures Knocker next to knock, nping and an empty Fyne app in
# one run and writes docs/bench.md and docs/delay-error.png.
#
#   KNOCKER_BIN   the binary to measure (default bin/knocker)
#   KNOCKER_CLI_BIN  the headless build beside it (default bin/knocker-cli)
#   BENCH_RUNS    runs per hyperfine command (default 20)
#   BENCH_SEQS    10-step sequences per sender and delay (default 20)
#   BENCH_OUT     report path (default docs/bench.md; the PNG goes next to it)
#   BENCH_GO=0    skip the Go benchmarks (for trying the script)
#
# Sections that need root (network namespaces, raw sockets) are skipped with
# a note in the report when not root. Packets go only to loopback and to
# addresses inside the two namespaces this script creates (10.213.99.0/24),
# which it removes on exit, failed or not.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=${KNOCKER_BIN:-$root/bin/knocker}
cli=${KNOCKER_CLI_BIN:-$root/bin/knocker-cli}
runs=${BENCH_RUNS:-20}
seqs=${BENCH_SEQS:-20}
out=${BENCH_OUT:-$root/docs/bench.md}
benchtool=$root/bin/benchtool
empty=$root/bin/emptywindow

need() { # need TOOL DEBIAN-PACKAGE
	command -v "$1" >/dev/null || { echo "bench: $1 not found; install Debian package $2 (scripts/deps.sh $2, as root)" >&2; exit 1; }
}
need hyperfine hyperfine
need knock knockd
need nping nmap
need tcpdump tcpdump
need socat socat
need gnuplot gnuplot-nox
need Xvfb xvfb
need xwininfo x11-utils
need dbus-run-session dbus
need ip iproute2
need nft nftables
need ssh-keygen openssh-client
need /usr/sbin/sshd openssh-server
[ -x "$bin" ] || { echo "bench: $bin missing; run make build" >&2; exit 1; }
[ -x "$cli" ] || { echo "bench: $cli missing; run make cli" >&2; exit 1; }

res=$(mktemp -d /tmp/knocker-bench.XXXXXX)
ns_c=kb-c-$$ ns_r=kb-r-$$
pids=()
cleanup() {
	set +e
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
	ip netns pids "$ns_r" 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns pids "$ns_c" 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns del "$ns_c" 2>/dev/null
	ip netns del "$ns_r" 2>/dev/null
	rm -rf "$res"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# Measure a private copy: bin/knocker may be rebuilt by someone else mid-run.
cp "$bin" "$res/knocker"
bin=$res/knocker
cp "$cli" "$res/knocker-cli"
cli=$res/knocker-cli
log() { echo "bench: $*" >&2; }

# The helpers are built like bin/knocker (make build): same toolchain, no release flags.
go build -o "$benchtool" ./bench/benchtool
go build -o "$empty" ./bench/emptywindow

{
	echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "kernel:  $(uname -srm)"
	echo "cpu:     $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores available"
	echo "memory:  $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
	echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at start; the cores are shared with other builds and tests"
	echo "go:      $(go version | cut -d' ' -f3-)"
	echo "knocker: $("$bin" version 2>&1 | head -1) ($(stat -c %s "$bin") bytes, built by make build, commit $(git rev-parse --short HEAD))"
	echo "         $("$cli" version 2>&1 | head -1) ($(stat -c %s "$cli") bytes, built by make cli)"
	echo "knock:   Debian knockd $(dpkg-query -W -f='${Version}' knockd 2>/dev/null)"
	echo "nping:   $(nping --version 2>&1 | grep -m1 -o 'Nping version [^ ]*')"
	echo "tools:   $(hyperfine --version), tcpdump $(tcpdump --version 2>&1 | grep -m1 -o '[0-9][0-9.]*')"
} >"$res/machine.txt"

# (a) Whole-process wall time of a one-step knock over loopback.
log "one-step knock: knocker send (both builds) vs knock -u vs nping ($runs runs each)"
echo "median of $runs runs after 3 warm-up runs, hyperfine without a shell (-N)" >"$res/wall.note"
hyperfine -N --style basic --warmup 3 --runs "$runs" --export-json "$res/wall.json" \
	--command-name "knocker send 127.0.0.1 40999:udp=test" "$bin send 127.0.0.1 40999:udp=test" \
	--command-name "knocker-cli send 127.0.0.1 40999:udp=test" "$cli send 127.0.0.1 40999:udp=test" \
	"knock -u 127.0.0.1 40999" \
	"nping --udp -p 40999 --data-string test -c 1 127.0.0.1" >&2

if [ "$(id -u)" -ne 0 ]; then
	for f in gaps-knocker-100ms gaps-knocker-10ms gaps-knock-100ms gaps-knock-10ms open banner-plain banner-knock banner-fresh relay scp proxy; do
		echo "needs root for network namespaces" >"$res/$f.skip"
	done
else
	# Two namespaces joined by a veth pair, with static neighbour entries so
	# no ARP exchange delays a first packet.
	ip netns add "$ns_c"
	ip netns add "$ns_r"
	ip link add kb0 netns "$ns_c" type veth peer name kb0 netns "$ns_r"
	ip -n "$ns_c" addr add 10.213.99.1/24 dev kb0
	ip -n "$ns_r" addr add 10.213.99.2/24 dev kb0
	for ns in "$ns_c" "$ns_r"; do
		ip -n "$ns" link set lo up
		ip -n "$ns" link set kb0 up
	done
	mac_c=$(ip -n "$ns_c" link show kb0 | awk '/link\/ether/ {print $2}')
	mac_r=$(ip -n "$ns_r" link show kb0 | awk '/link\/ether/ {print $2}')
	ip -n "$ns_c" neigh replace 10.213.99.2 lladdr "$mac_r" dev kb0 nud permanent
	ip -n "$ns_r" neigh replace 10.213.99.1 lladdr "$mac_c" dev kb0 nud permanent
	inc() { ip netns exec "$ns_c" "$@"; }
	inr() { ip netns exec "$ns_r" "$@"; }

	# (b) Inter-step delay accuracy, seen by tcpdump on the router's side.
	log "delay accuracy: $seqs sequences of 10 steps per sender at 100 ms and 10 ms"
	echo "Each sender ran $seqs sequences of 10 UDP steps (ports BASE+1..BASE+10) from one network namespace to another over a veth pair; tcpdump in the receiving namespace timestamped every datagram (nanosecond precision, kernel receive time). \`knocker send -u -d D\` and \`knock -u -d MS\` (Debian knockd's client), one sequence after another, 300 ms apart. Both send each step from a socket of its own (a new source port) as a datagram of one zero byte; Knocker opens each step's socket as its time comes, so that cost falls into every gap alike." >"$res/gaps.note"
	# Started directly, not through a function: a subshell would stand between
	# the pid and tcpdump.
	ip netns exec "$ns_r" tcpdump -i kb0 -n -l -tt --nano 'udp and dst portrange 41001-44010' >"$res/capture.txt" 2>"$res/tcpdump.err" &
	pids+=($!)
	for _ in $(seq 100); do grep -q 'listening on' "$res/tcpdump.err" 2>/dev/null && break; sleep 0.05; done
	ports() { seq $(($1 + 1)) $(($1 + 10)); }
	for i in $(seq "$seqs"); do
		inc "$bin" send -u -d 100ms 10.213.99.2 $(ports 41000) && sleep 0.3
		inc knock -u -d 100 10.213.99.2 $(ports 42000) && sleep 0.3
		inc "$bin" send -u -d 10ms 10.213.99.2 $(ports 43000) && sleep 0.3
		inc knock -u -d 10 10.213.99.2 $(ports 44000) >/dev/null && sleep 0.3
	done >/dev/null
	sleep 0.5
	kill -TERM "${pids[-1]}"
	wait "${pids[-1]}" || true
	unset 'pids[-1]'
	"$benchtool" gaps 100ms "$res/capture.txt" 41000 >"$res/gaps-knocker-100ms.json"
	"$benchtool" gaps 100ms "$res/capture.txt" 42000 >"$res/gaps-knock-100ms.json"
	"$benchtool" gaps 10ms "$res/capture.txt" 43000 >"$res/gaps-knocker-10ms.json"
	"$benchtool" gaps 10ms "$res/capture.txt" 44000 >"$res/gaps-knock-10ms.json"

	# (c) Knock to verified open against the rules knocker generates.
	log "knock to verified open against nftables"
	"$bin" router-config --format nftables --protect tcp/22 10.213.99.2 1234:udp=test >"$res/knock.nft"
	inr nft -f "$res/knock.nft"
	ip netns exec "$ns_r" "$benchtool" listen 10.213.99.2:22 >/dev/null &
	pids+=($!)
	for _ in $(seq 100); do inr ss -Hltn 'sport = :22' | grep -q . && break; sleep 0.05; done
	flush="ip netns exec $ns_r nft flush set ip knocker-knock allow"
	$flush
	if inc "$bin" send --verify 22 --verify-timeout 1s 10.213.99.2 1233:udp=test >/dev/null 2>&1; then
		echo "a wrong knock opened the port: the rule set does not work" >&2
		exit 1
	fi
	$flush
	inc "$bin" send --verify 22 10.213.99.2 1234:udp=test >/dev/null
	echo "before each run the allow set was flushed; a knock on the wrong port (1233) left tcp/22 closed (knocker send --verify exit 1), the right one opened it (exit 0)." >"$res/open-control.txt"
	echo "\`knocker router-config --format nftables --protect tcp/22 10.213.99.2 1234:udp=test\` loaded in the router namespace, a listener on 10.213.99.2:22; the client namespace runs \`knocker send\`, with \`--verify 22\` it knocks and then connects to tcp/22 (the rule set resets tcp/22 for addresses not on the list, so a closed port answers at once). Times include \`ip netns exec\` (hyperfine -N, $runs runs, allow set flushed before each)." >"$res/open.note"
	hyperfine -N --style basic --warmup 2 --runs "$runs" --prepare "$flush" --export-json "$res/open.json" \
		--command-name "knocker send 10.213.99.2 1234:udp=test --verify 22  (knock, then verified open)" \
		"ip netns exec $ns_c $bin send --verify 22 10.213.99.2 1234:udp=test" \
		--command-name "knocker send 10.213.99.2 1234:udp=test  (knock only)" \
		"ip netns exec $ns_c $bin send 10.213.99.2 1234:udp=test" >&2

	# (f) knocker proxy: from start to a ready SSH banner, the relay's
	# throughput, and scp through it. sshd listens on 2022 behind the rules
	# of a saved profile and on 2023 unguarded; benchtool serve is a data
	# service on 2024. The profile's steps are in a keyring of a private
	# D-Bus session.
	log "knocker proxy: time to an SSH banner, relay throughput, scp"
	ssh-keygen -q -t ed25519 -N "" -f "$res/ssh_host_key"
	ssh-keygen -q -t ed25519 -N "" -f "$res/id_bench"
	cat >"$res/sshd_config" <<-EOF
		Port 2022
		Port 2023
		ListenAddress 10.213.99.2
		HostKey $res/ssh_host_key
		AuthorizedKeysFile $res/id_bench.pub
		UsePAM no
		StrictModes no
		PidFile $res/sshd.pid
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		PermitRootLogin prohibit-password
		Subsystem sftp /usr/lib/openssh/sftp-server
	EOF
	mkdir -p /run/sshd
	ip netns exec "$ns_r" /usr/sbin/sshd -D -e -f "$res/sshd_config" 2>"$res/sshd.log" &
	pids+=($!)
	ip netns exec "$ns_r" "$benchtool" serve 10.213.99.2:2024 >/dev/null &
	pids+=($!)
	for _ in $(seq 100); do
		inr ss -Hltn 'sport = :2023' | grep -q . && inr ss -Hltn 'sport = :2024' | grep -q . && break
		sleep 0.05
	done
	cat >"$res/ssh-profile.json" <<-EOF
		{"version": 1, "profiles": [{"name": "bench-ssh", "host": "10.213.99.2", "timeout": "2h",
		 "verify": {"proto": "tcp", "port": 2022, "timeout": "3s"},
		 "steps": [{"proto": "udp", "port": 1235, "payload": "bench"}]}]}
	EOF
	head -c 200000000 /dev/urandom >"$res/scp.bin"
	echo "OpenSSH $(ssh -V 2>&1 | cut -d, -f1) (sshd Debian $(dpkg-query -W -f='${Version}' openssh-server 2>/dev/null)) in the router namespace on 10.213.99.2:2022, behind \`knocker router-config --format nftables bench-ssh\` (a saved one-step UDP profile, its steps in gnome-keyring in a private D-Bus session), and on :2023 unguarded; a wrong knock left :2022 refused. Banner times: from the start of the process (or of the connect, for the plain connection) to sshd's first line, $runs runs each, in the client namespace." >"$res/proxy.note"
	echo "\`scp\` (SFTP, cipher aes128-gcm@openssh.com) of a 200 MB random file to and from the router (to /dev/null), 9 runs each after an untimed round, the four commands in turn (benchtool alternate): direct to the unguarded :2023, and to :2022 through the Host block of \`knocker ssh-config bench-ssh\` (the last knock fresh, so the proxy connects at once)." >"$res/scp.note"
	KNOCKER_CONFIG_DIR=$res/knocker-config BIN=$bin BT=$benchtool NS_C=$ns_c NS_R=$ns_r RES=$res RUNS=$runs \
		scripts/with-keyring.sh bash -c '
		set -euo pipefail
		inc() { ip netns exec "$NS_C" "$@"; }
		"$BIN" import "$RES/ssh-profile.json" >/dev/null
		"$BIN" router-config --format nftables bench-ssh | ip netns exec "$NS_R" nft -f -
		flush="ip netns exec $NS_R nft flush set ip knocker-bench-ssh allow"
		inc "$BIN" send 10.213.99.2 1235:udp=bencH >/dev/null
		if inc "$BT" banner -n 1 -dial 10.213.99.2:2022 >/dev/null 2>&1; then
			echo "bench: a wrong knock opened tcp/2022: the rule set does not work" >&2
			exit 1
		fi
		inc "$BT" banner -n "$RUNS" -dial 10.213.99.2:2023 >"$RES/banner-plain.json"
		inc "$BT" banner -n "$RUNS" -prepare "$flush" -- "$BIN" proxy -q --always bench-ssh 10.213.99.2 2022 >"$RES/banner-knock.json"
		inc "$BT" banner -n "$RUNS" -- "$BIN" proxy -q bench-ssh 10.213.99.2 2022 >"$RES/banner-fresh.json"
		inc "$BT" relay -n 7 -size 200000000 -addr 10.213.99.2:2024 -- "$BIN" proxy -q bench-ssh 10.213.99.2 2024 >"$RES/relay.json"
		inc "$BT" relay -n 7 -size 200000000 -addr 10.213.99.2:2024 -- socat - TCP:10.213.99.2:2024 >"$RES/relay-socat.json"
		{
			"$BIN" ssh-config --alias proxied --user "$(id -un)" bench-ssh
			printf "Host direct\n\tHostName 10.213.99.2\n\tPort 2023\n\tUser %s\n" "$(id -un)"
			printf "Host *\n\tIdentityFile %s\n\tIdentitiesOnly yes\n\tUserKnownHostsFile %s\n" "$RES/id_bench" "$RES/known_hosts"
			printf "\tStrictHostKeyChecking accept-new\n\tBatchMode yes\n\tCiphers aes128-gcm@openssh.com\n"
		} >"$RES/ssh_config"
		scp="ip netns exec $NS_C scp -q -F $RES/ssh_config"
		"$BT" alternate -n 9 \
			"scp up, direct=$scp $RES/scp.bin direct:/dev/null" \
			"scp up, through knocker proxy=$scp $RES/scp.bin proxied:/dev/null" \
			"scp down, direct=$scp direct:$RES/scp.bin /dev/null" \
			"scp down, through knocker proxy=$scp proxied:$RES/scp.bin /dev/null" >"$RES/scp.json"
	' 2> >(grep -v 'Failed to set fd limit' >&2)
fi

# (d) GUI under Xvfb, each next to an empty Fyne app.
disp=
for n in $(seq 213 260); do
	[ -e /tmp/.X$n-lock ] || [ -e /tmp/.X11-unix/X$n ] || { disp=$n; break; }
done
log "GUI on Xvfb :$disp"
Xvfb ":$disp" -screen 0 1280x800x24 -nolisten tcp -noreset >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -e "/tmp/.X11-unix/X$disp" ] && break; sleep 0.05; done
export DISPLAY=:$disp
echo "Xvfb 1280×800×24 (software OpenGL through Mesa llvmpipe: no GPU), each app in a fresh D-Bus session with empty config, data and cache folders. Start = exec to the window being mapped (xwininfo polled every 5 ms) or, for tray mode, to the tray item registering with a StatusNotifierWatcher that benchtool provides; the page cache is warm. Each app settles for 3 s, then idle CPU is measured (utime+stime from /proc) for 30 s with a window, 10 s in the tray, and RSS is read at the end. The yardstick window holds one label at Knocker's size (920×580); its text loads Fyne's regular font. A Fyne button's text is bold, a second font (about 7 MiB): the row with a button is the floor for any window that has one; with a tray menu beside it, it is the yardstick of Knocker's window rows. The 10 profiles have fresh 2 h entries: countdowns run in the window, the scheduler only waits in the tray." >"$res/gui.note"
gui() { # gui NAME [benchtool gui args]
	local name=$1
	shift
	for try in 1 2; do
		# Only benchtool's own output goes to the JSON file: services the
		# bus starts on demand (gnome-keyring) print to the session's stdout.
		BENCH_JSON=$res/$name.json dbus-run-session -- sh -c 'exec "$0" "$@" >"$BENCH_JSON"' "$benchtool" gui "$@" 2>"$res/$name.err" && return
		log "$name failed (try $try): $(tail -1 "$res/$name.err")"
	done
	echo "failed: $(tail -1 "$res/$name.err")" >"$res/$name.skip"
	rm -f "$res/$name.json"
}
profiles10=$res/profiles-10.json
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
{
	echo '{"version": 1, "profiles": ['
	for i in $(seq 1 10); do
		sep=,; [ "$i" = 10 ] && sep=
		printf '{"id": "bench%02d", "name": "router %d", "host": "127.0.0.1", "timeout": "2h", "auto_refresh": true, "last_knocked": "%s"}%s\n' "$i" "$i" "$now" "$sep"
	done
	echo ']}'
} >"$profiles10"
gui gui-empty-window -idle 30s -title Empty -- "$empty"
gui gui-empty-button -idle 30s -title Empty -- "$empty" -button
gui gui-empty-button-tray -idle 30s -title Empty -- "$empty" -button -with-tray
gui gui-knocker-window -idle 30s -title Knocker -- "$bin"
BENCH_PROFILES=$profiles10 gui gui-knocker-window-10 -idle 30s -title Knocker -- "$bin"
gui gui-empty-tray -tray -title Empty -- "$empty" -tray
gui gui-knocker-tray -tray -title Knocker -- "$bin" --tray
BENCH_PROFILES=$profiles10 gui gui-knocker-tray-10 -tray -title Knocker -- "$bin" --tray

# (f) knocker keep with 10 profiles from a profile file (a server's
# setup), idle between re-knocks, in each build.
log "knocker keep: 10 profiles, idle"
keepfile=$res/keep-10.json
{
	echo '{"version": 2, "profiles": ['
	for i in $(seq 1 10); do
		sep=,; [ "$i" = 10 ] && sep=
		printf '{"name": "router %d", "host": "127.0.0.1", "timeout": "2h", "steps": [{"proto": "udp", "port": %d, "payload": "keep-%d"}]}%s\n' "$i" $((41990 + i)) "$i" "$sep"
	done
	echo ']}'
} >"$keepfile"
chmod 600 "$keepfile"
echo "\`KNOCKER_PROFILES=FILE knocker keep\` with 10 profiles (2 h entries, UDP knocks to 127.0.0.1): each knocks once at start, then waits for its re-knock in 1 h 48 min. RSS read 3 s after start, then user+system CPU over 30 s of idling (/proc), stopped with Ctrl+C." >"$res/keep.note"
names=()
for i in $(seq 1 10); do names+=("router $i"); done
for build in knocker-cli knocker; do
	exe=$cli
	[ "$build" = knocker ] && exe=$bin
	KNOCKER_PROFILES=$keepfile "$benchtool" idle -settle 3s -idle 30s -- "$exe" keep "${names[@]}" >"$res/keep-$build.json" 2>"$res/keep-$build.err" ||
		echo "failed: $(tail -1 "$res/keep-$build.err")" >"$res/keep-$build.skip"
done

# (e) The scheduler with 1000 auto-refresh profiles at rest.
log "scheduler: 1000 profiles idle"
"$benchtool" scale -n 1000 -idle 10s >"$res/scale.json"

# The Go benchmarks of every package (BENCH_GO=0 skips them, for trying the script).
log "go test -bench"
[ "${BENCH_GO:-1}" = 0 ] && echo "skipped (BENCH_GO=0)" >"$res/gobench.txt" || {
	KNOCKER_BIN=$bin go test -p 1 -tags ci -run '^$' -bench . -skip DelayAccuracy -benchmem ./... 2>&1
	go test -run '^$' -bench DelayAccuracy -benchtime 10x ./knock 2>&1
} | grep -Ev '^(goos|goarch|cpu|PASS|\?)' | grep -v 'no test files' >"$res/gobench.txt"

"$benchtool" report "$res" "$out"
png=$(dirname "$out")/delay-error.png
gnuplot <<GP
set terminal pngcairo size 900,540 font ",11" noenhanced
set output "$png"
set title "Inter-step delay error, 10-step UDP sequences, captured by tcpdump ($seqs sequences per line)"
set xlabel "|gap - delay| (microseconds, log scale)"
set ylabel "fraction of gaps with at most this error"
set logscale x
set xrange [1:*]
set yrange [0:1]
set grid
set key bottom right
titles = "$(cat "$res/delay-errors.titles")"
plot for [i=1:words(titles)] "$res/delay-errors.dat" index (i-1) using 1:2 with steps lw 2 title word(titles, i)
GP
log "wrote $out and $png"
