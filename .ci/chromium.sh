#!/usr/bin/env bash
# Debian's Chromium for the browser tests of the HTML report (tests/test_report.py).
# Idempotent; needs root (CI runs as root). Playwright's own browser download does not work
# here, so the tests launch this binary through Playwright's executable_path.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
/usr/bin/chromium --version >&2
