#!/usr/bin/env python3
"""Add expected output subjects to an expectation file (compose-test.sh).

Reads `wirefeed process` JSON lines (ninjs documents: "uri" is
urn:wirefeed:article:<id>, "subjects" holds urn:wirefeed:topic:<topic> for each
matched topic) and merges {article_id: ["wire.out.<topic>", …]} into the
expectation JSON (wire.out.unclassified for an article with no topic). An
article id seen twice (two input files with one id) is an error: the test could
not tell their outputs apart.

Usage: expected_out.py ONESHOT.jsonl EXPECTED.json
"""
import json
import sys

ARTICLE = "urn:wirefeed:article:"
TOPIC = "urn:wirefeed:topic:"


def main():
    src, dst = sys.argv[1], sys.argv[2]
    with open(dst, encoding="utf-8") as f:
        expected = json.load(f)
    added = 0
    with open(src, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            doc = json.loads(line)
            uri = doc.get("uri", "")
            if not uri.startswith(ARTICLE):
                sys.exit(f"{src}:{n}: uri {uri!r} is not {ARTICLE}<id>")
            aid = uri[len(ARTICLE):]
            topics = sorted(
                s["uri"][len(TOPIC):]
                for s in doc.get("subjects", [])
                if s.get("uri", "").startswith(TOPIC)
            )
            subjects = [f"wire.out.{t}" for t in topics] or ["wire.out.unclassified"]
            if aid in expected:
                sys.exit(f"{src}:{n}: article id {aid} appears twice")
            expected[aid] = subjects
            added += 1
    if added == 0:
        sys.exit(f"{src}: no article")
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(expected, f)
    by = {}
    for subjects in expected.values():
        for s in subjects:
            by[s] = by.get(s, 0) + 1
    print(f"   expected: {len(expected)} articles; per subject: {dict(sorted(by.items()))}")


if __name__ == "__main__":
    main()
