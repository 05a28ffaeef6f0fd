#!/usr/bin/env python3
"""Check wirefeed's output stream against expected articles (compose-test.sh).

Needs nats-py (PyPI). Reads the WIREFEED_OUT stream message by message (direct
stream get, so nothing is consumed or acked) and checks that every expected
(article id, subject) pair is there exactly once and that nothing else is.

  nats_check.py out --servers nats://127.0.0.1:P[,…] --expected FILE --timeout S

FILE is JSON: {"article_id": ["wire.out.topic", …], …}. It waits until the
stream holds at least as many messages as expected (bounded by --timeout), then
keeps watching for --settle seconds (late duplicates would show up there), reads
everything and compares. Exit 0 only on an exact match; prints a summary line
and every mismatch.

  nats_check.py streams --servers …   prints stream name, messages, replicas as JSON
"""
import argparse
import asyncio
import collections
import json
import sys
import time

import nats
from nats.js.errors import NotFoundError

OUT_STREAM = "WIREFEED_OUT"
DLQ_STREAM = "WIREFEED_DLQ"


async def connect(servers):
    return await nats.connect(
        servers=servers.split(","),
        connect_timeout=5,
        max_reconnect_attempts=60,
        reconnect_time_wait=1,
        allow_reconnect=True,
    )


async def stream_state(js, name):
    try:
        info = await js.stream_info(name)
        return info.state.messages, info.state.first_seq, info.state.last_seq
    except NotFoundError:
        return 0, 0, 0


async def read_all(js, name, first, last):
    msgs = []
    for seq in range(first, last + 1):
        for attempt in range(5):
            try:
                m = await js.get_msg(name, seq)
                msgs.append(m)
                break
            except NotFoundError:
                break  # deleted sequence (not expected for WIREFEED_OUT)
            except Exception:
                if attempt == 4:
                    raise
                await asyncio.sleep(0.5)
    return msgs


async def cmd_out(a):
    with open(a.expected, encoding="utf-8") as f:
        expected = {k: sorted(v) for k, v in json.load(f).items()}
    want_total = sum(len(v) for v in expected.values())
    nc = await connect(a.servers)
    js = nc.jetstream(timeout=10)
    deadline = time.monotonic() + a.timeout
    n = 0
    last_report = 0.0
    while time.monotonic() < deadline:
        try:
            n, _, _ = await stream_state(js, OUT_STREAM)
        except Exception as e:  # a node restarting: keep trying until the deadline
            print(f"  (stream info failed: {e}; retrying)", flush=True)
            await asyncio.sleep(1)
            continue
        if n >= want_total:
            break
        if time.monotonic() - last_report > 10:
            print(f"  {OUT_STREAM}: {n}/{want_total} messages", flush=True)
            last_report = time.monotonic()
        await asyncio.sleep(0.5)
    # Settle: anything published late (a duplicate after a redelivery) lands now.
    await asyncio.sleep(a.settle)
    n, first, last = await stream_state(js, OUT_STREAM)
    msgs = await read_all(js, OUT_STREAM, first, last) if n else []
    dlq, _, _ = await stream_state(js, DLQ_STREAM)
    await nc.close()

    seen = collections.Counter()
    no_id = 0
    for m in msgs:
        aid = (m.headers or {}).get("Wirefeed-Article-Id")
        if not aid:
            no_id += 1
            continue
        seen[(aid, m.subject)] += 1
    problems = []
    missing = dup = 0
    for aid, subjects in expected.items():
        for s in subjects:
            c = seen.get((aid, s), 0)
            if c == 0:
                missing += 1
                problems.append(f"missing: {aid} on {s}")
            elif c > 1:
                dup += 1
                problems.append(f"duplicate: {aid} on {s} x{c}")
    unexpected = [(k, c) for k, c in seen.items() if k[1] not in expected.get(k[0], [])]
    for (aid, s), c in unexpected:
        known = aid in expected
        problems.append(
            f"unexpected: {aid} on {s} x{c}"
            + (f" (expected on {expected[aid]})" if known else " (unknown article)")
        )
    if no_id:
        problems.append(f"{no_id} messages without a Wirefeed-Article-Id header")
    print(
        f"{OUT_STREAM}: {len(msgs)} messages for {len(expected)} articles "
        f"({want_total} expected deliveries): {missing} missing, {dup} duplicated, "
        f"{len(unexpected)} unexpected; {DLQ_STREAM}: {dlq} messages"
    )
    for p in problems[:40]:
        print("  " + p)
    if len(problems) > 40:
        print(f"  … and {len(problems) - 40} more")
    return 1 if problems else 0


async def cmd_streams(a):
    nc = await connect(a.servers)
    js = nc.jetstream(timeout=10)
    out = {}
    for name in ("WIREFEED_PIPELINE", OUT_STREAM, DLQ_STREAM):
        try:
            info = await js.stream_info(name)
            out[name] = {
                "messages": info.state.messages,
                "replicas": info.config.num_replicas,
                "retention": str(info.config.retention),
            }
        except NotFoundError:
            out[name] = None
    await nc.close()
    print(json.dumps(out))
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("out")
    o.add_argument("--servers", required=True)
    o.add_argument("--expected", required=True)
    o.add_argument("--timeout", type=float, default=120)
    o.add_argument("--settle", type=float, default=5)
    s = sub.add_parser("streams")
    s.add_argument("--servers", required=True)
    a = ap.parse_args()
    fn = {"out": cmd_out, "streams": cmd_streams}[a.cmd]
    return asyncio.run(asyncio.wait_for(fn(a), timeout=getattr(a, "timeout", 60) + 120))


if __name__ == "__main__":
    sys.exit(main())
