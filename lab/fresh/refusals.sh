#!/usr/bin/env bash
# Run by lab/fresh/guest.sh before anything is installed: npm test's prerequisites step must refuse clearly, never
# skip in silence, where it cannot install (scripts/prerequisites.js). Two cases a person meets:
#   - not root: one message naming what is missing, that root is needed, and the command that installs it;
#   - root, but no apt-get (a Debian without apt, another distribution): the same, saying apt-get is not there.
# Each must end npm test with a non-zero exit before any build or suite runs.
set -euo pipefail
cd /root/smallworld

fail() {
	echo "refusals.sh: $*" >&2
	exit 1
}
# $1: what the case is; $2...: the command. Fills $out with what it printed; fails if it exited 0.
out=''
expect_refusal() {
	local what=$1
	shift
	if out=$("$@" 2>&1); then
		printf '%s\n' "$out" >&2
		fail "npm test $what exited 0"
	fi
	grep -q 'npm test cannot run yet' <<<"$out" || fail "npm test $what: no clear message: $out"
	grep -q 'Debian package chromium is not installed' <<<"$out" || fail "npm test $what does not name chromium: $out"
	grep -q 'tsc -p' <<<"$out" && fail "npm test $what went on to build: $out"
	return 0
}

# Not root: the checkout must be readable by the user, as it would be in their own home.
chmod o+rx /root
expect_refusal 'as a user' setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/tmp/nobody-home npm test
chmod o-rx /root
grep -q 'needs root' <<<"$out" || fail "npm test as a user does not say it needs root: $out"
grep -q 'sudo npm test' <<<"$out" || fail "npm test as a user does not give the command: $out"
grep -q 'apt-get install -y .*chromium' <<<"$out" || fail "npm test as a user gives no install command: $out"
echo "as a user: refused, naming root and what is missing"

# Root without apt-get: moved aside for this case only, put back whatever happens.
apt=/usr/bin/apt-get
mv "$apt" "$apt.away"
trap 'mv "$apt.away" "$apt"' EXIT
expect_refusal 'without apt-get' npm test
mv "$apt.away" "$apt"
trap - EXIT
grep -q 'apt-get is not available' <<<"$out" || fail "npm test without apt-get does not say so: $out"
grep -q "package manager" <<<"$out" || fail "npm test without apt-get does not say how to install: $out"
grep -q 'sudo npm test' <<<"$out" && fail "npm test without apt-get suggests sudo npm test, which cannot help: $out"
echo "without apt-get: refused, naming apt-get and what is missing"
