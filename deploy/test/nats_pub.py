#!/usr/bin/env python3
"""Publish one message with headers to a NATS server (standard library only).

prometheus-check.sh uses it to put one undecodable message straight onto
wire.raw, past the watcher's pre-check, so the clean stage fails it and
dead-letters it: that is what makes wirefeed_stage_messages_failed_total and
wirefeed_dead_letters_total exist in the scrape, so the error panels and the
error-ratio alert are evaluated on real series.

Usage: nats_pub.py HOST:PORT SUBJECT PAYLOAD_FILE [HEADER=VALUE ...]
Waits for the server's PONG after the publish (so it was processed); 10 s timeout.
"""
import json
import socket
import sys


def main():
    hostport, subject, payload_file, *hdr_args = sys.argv[1:]
    host, port = hostport.rsplit(":", 1)
    with open(payload_file, "rb") as f:
        payload = f.read()
    hdrs = "NATS/1.0\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in (h.split("=", 1) for h in hdr_args)
    ) + "\r\n"
    hb = hdrs.encode()
    s = socket.create_connection((host, int(port)), timeout=10)
    f = s.makefile("rb")
    info = f.readline()
    if not info.startswith(b"INFO"):
        sys.exit(f"unexpected greeting: {info[:80]!r}")
    connect = {"verbose": False, "pedantic": False, "headers": True, "name": "wirefeed-test"}
    s.sendall(b"CONNECT " + json.dumps(connect).encode() + b"\r\n")
    s.sendall(f"HPUB {subject} {len(hb)} {len(hb) + len(payload)}\r\n".encode() + hb + payload + b"\r\nPING\r\n")
    while True:
        line = f.readline()
        if not line:
            sys.exit("connection closed before PONG")
        if line.startswith(b"-ERR"):
            sys.exit(f"server error: {line.decode().strip()}")
        if line.startswith(b"PONG"):
            break
    s.close()


if __name__ == "__main__":
    main()
