#!/usr/bin/env bash
# Inside the fresh root file system (lab/fresh/run.sh): the README's two commands, as a new user types them.
set -euo pipefail
cd /root/smallworld

t0=$SECONDS
say() { printf '[guest %4ds] %s\n' $((SECONDS - t0)) "$*"; }

say "Node.js $(node --version), npm $(npm --version); $(. /etc/os-release && echo "$PRETTY_NAME")"

# 0. Before anything is installed: npm test refuses clearly where it cannot install (not root; no apt-get).
say "npm test as a user, then without apt-get: both must refuse with what is missing and how to install it"
bash lab/fresh/refusals.sh

# 1. npm ci && npm start, until the page answers. npm start runs in a network namespace of its own (loopback
#    only): the README's port 8300 is fixed and another checkout on this host may be using it.
say "npm ci"
npm ci
say "npm start (until http://127.0.0.1:8300/ answers)"
unshare --net bash lab/fresh/start-until-page.sh
say "npm start served the page and stopped"

# 2. The test command, which must bring its own prerequisites.
say "npm test"
npm test
say "npm test passed"
