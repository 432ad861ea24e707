#!/usr/bin/env bash
# `npm start` until its page answers, then stop it (by its process group). Run in a network namespace of its
# own by lab/fresh/guest.sh. Fails unless the page answers and the log names the setup code, within 240 s.
set -euo pipefail
ip link set lo up
out=$(mktemp)
setsid npm start >"$out" 2>&1 &
pid=$!
stop() {
	kill -TERM -- "-$pid" 2>/dev/null || true
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	kill -KILL -- "-$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
trap stop EXIT

# The page and the first-visit form, as a browser would ask for them; the setup code as the log gives it.
if node --input-type=module - "$out" <<'EOF'; then
import { readFileSync } from 'node:fs';
const deadline = Date.now() + 240_000;
const get = async (path) => {
  const response = await fetch(`http://127.0.0.1:8300${path}`, { redirect: 'manual' });
  return { status: response.status, location: response.headers.get('location'), body: await response.text() };
};
for (;;) {
  try {
    const home = await get('/');
    const setup = await get('/setup');
    const log = readFileSync(process.argv[2], 'utf8');
    const code = /"setupCode":"([^"]+)"/.exec(log)?.[1];
    if (home.status < 400 && setup.status === 200 && code) {
      console.log(`GET / -> ${home.status}${home.location ? ` ${home.location}` : ''}; GET /setup -> 200; setup code in the log: ${code}`);
      process.exit(0);
    }
  } catch {
    // not listening yet
  }
  if (Date.now() > deadline) {
    console.error('the page did not answer within 240 s');
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 1000));
}
EOF
	rc=0
else
	rc=1
fi
echo "---- npm start's output ----"
cat "$out"
exit "$rc"
