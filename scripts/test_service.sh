#!/usr/bin/env bash
# The live service from outside, in a throwaway venv (pinned PyPI packages):
# 1. the dashboard in headless Chromium (Debian's package, installed when missing; Playwright
#    drives it): rendered numbers equal the API's, the page follows the replay, alerts appear
#    (scripts/test_dashboard.py; screenshots in target/screenshots);
# 2. schemathesis fuzzes `ballast serve` on the replay demo from its own OpenAPI document with
#    a read-write token and fails on any 5xx (a fixed number of examples per operation);
# 3. the bounded load test (crates/ballast-server/examples/load_test.rs, release build, 60 s).
# Part of README's test command; uses the debug binary `cargo test --workspace` built (builds it
# if missing).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/target/debug/ballast"
(cd "$root" && cargo build -q --locked -p ballast-cli)  # a no-op when up to date
tmp="$(mktemp -d)"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing Debian's chromium (the browser test)"
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is missing: install Debian's package (apt-get install chromium)" >&2
    exit 1
  fi
fi

echo "== schemathesis and playwright: installing them in a throwaway venv"
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q --disable-pip-version-check schemathesis==4.32.5 playwright==1.65.2

echo "== the dashboard in headless Chromium"
"$tmp/venv/bin/python" "$root/scripts/test_dashboard.py" "$bin" "${BALLAST_SCREENSHOTS:-$root/target/screenshots}"

db="$tmp/desk.db"
rw="$("$bin" token create --scope read-write --db "$db" | sed -n 's/^token: //p')"
(cd "$root" && exec "$bin" serve examples/derivatives.toml --listen 127.0.0.1:0 --db "$db" \
  --feed replay --speed 3600 >"$tmp/serve.log" 2>&1) &
pid=$!
addr=""
for _ in $(seq 300); do
  addr="$(sed -n 's|^Ballast is serving on http://\([^ ]*\).*|\1|p' "$tmp/serve.log")"
  [ -n "$addr" ] && break
  sleep 0.1
done
if [ -z "$addr" ]; then
  echo "ballast serve did not start:" >&2
  cat "$tmp/serve.log" >&2
  exit 1
fi
# the first risk round (VaR and margin) has finished: no 503 while it runs
"$tmp/venv/bin/python" - "$addr" "$rw" <<'PY'
import sys, time, urllib.error, urllib.request
addr, token = sys.argv[1], sys.argv[2]
req = urllib.request.Request(f"http://{addr}/api/books/derivatives/risk", headers={"Authorization": f"Bearer {token}"})
for _ in range(300):
    try:
        if urllib.request.urlopen(req, timeout=10).status == 200:
            break
    except urllib.error.HTTPError:
        pass
    time.sleep(0.1)
else:
    sys.exit("the first risk round did not finish in 30 s")
PY

echo "== schemathesis against http://$addr/api/openapi.json"
# (run from the scratch folder: schemathesis keeps a cache in its working directory)
cd "$tmp"
"$tmp/venv/bin/st" run "http://$addr/api/openapi.json" \
  --checks not_a_server_error \
  -H "Authorization: Bearer $rw" \
  --max-examples 40 \
  --request-timeout 20 \
  --seed 42 \
  --no-color
kill -0 "$pid" 2>/dev/null || {
  echo "the service died during the run:" >&2
  cat "$tmp/serve.log" >&2
  exit 1
}
echo "schemathesis: no server error"

echo "== load test: 10,000 ticks/s, 200 API requests/s, 20 WebSocket clients for 60 s (release build)"
(cd "$root" && cargo run --release -q --locked -p ballast-server --example load_test -- --seconds 60)
