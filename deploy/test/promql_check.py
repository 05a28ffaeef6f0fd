#!/usr/bin/env python3
"""Evaluate every PromQL expression wirefeed ships against a live Prometheus.

Used by deploy/test/prometheus-check.sh (and compose-test.sh). Standard library
only. For each expression of the Grafana dashboard and of the alert rules (read
back from Prometheus's /api/v1/rules, i.e. the shipped alerts.yml as Prometheus
loaded it):

  * it must evaluate (HTTP 200, status "success") through /api/v1/query;
  * every metric name it references must exist in what Prometheus scraped
    (/api/v1/label/__name__/values);
  * every dashboard panel must return data from at least one of its targets;
  * every alert rule must be healthy (evaluated without error).

Grafana's interval variables are replaced by fixed durations first
($__rate_interval -> 1m). Exits 1 with one line per failure.

Usage: promql_check.py PROMETHEUS_URL DASHBOARD_JSON
"""
import json
import re
import sys
import urllib.parse
import urllib.request

GRAFANA_VARS = {
    "$__rate_interval": "1m",
    "${__rate_interval}": "1m",
    "$__interval": "15s",
    "${__interval}": "15s",
    "$__range": "1h",
    "${__range}": "1h",
}
KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}
GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
# Aggregation operators may be followed by a grouping clause instead of "(".
AGGREGATORS = {
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
    "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio",
}


def metric_names(expr):
    """Metric names in a PromQL expression (same rules as tests/deploy_assets.rs):
    identifiers that are not calls, keywords, grouping lists, label matchers,
    ranges, strings, numbers or Grafana variables."""
    names, i, n = [], 0, len(expr)

    def skip_string(i):
        q, j = expr[i], i + 1
        while j < n and expr[j] != q:
            j += 2 if expr[j] == "\\" and q != "`" else 1
        return j + 1

    def skip_balanced(i, o, c):
        depth = 0
        while i < n:
            ch = expr[i]
            if ch in "\"'`":
                i = skip_string(i)
                continue
            if ch == o:
                depth += 1
            elif ch == c:
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        return i

    ident_start = re.compile(r"[A-Za-z_:]")
    ident = re.compile(r"[A-Za-z0-9_:]*")
    while i < n:
        ch = expr[i]
        if ch in "\"'`":
            i = skip_string(i)
        elif ch == "{":
            i = skip_balanced(i, "{", "}")
        elif ch == "[":
            i = skip_balanced(i, "[", "]")
        elif ch == "$":
            i += 1
            if i < n and expr[i] == "{":
                i = skip_balanced(i, "{", "}")
            else:
                i = ident.match(expr, i).end()
        elif ch.isdigit() or ch == ".":
            i = re.compile(r"[A-Za-z0-9_:.]*").match(expr, i).end()
        elif ident_start.match(ch):
            end = ident.match(expr, i + 1).end()
            word = expr[i:end]
            j = end
            while j < n and expr[j].isspace():
                j += 1
            nxt = expr[j] if j < n else ""
            i = end
            if word in GROUPING:
                if nxt == "(":
                    i = skip_balanced(j, "(", ")")
            elif word in KEYWORDS or word in AGGREGATORS or nxt == "(":
                pass
            else:
                names.append(word)
        else:
            i += 1
    return names


def substitute(expr):
    for k, v in GRAFANA_VARS.items():
        expr = expr.replace(k, v)
    return expr


def api(base, path, params=None):
    url = base.rstrip("/") + path
    if params:
        url += "?" + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:  # 400/422 carry a JSON error body
        try:
            return json.load(e)
        except Exception:
            return {"status": "error", "error": f"HTTP {e.code}"}


def dashboard_panels(path):
    with open(path, encoding="utf-8") as f:
        dash = json.load(f)
    for p in dash.get("panels", []):
        if p.get("type") == "row":
            yield from p.get("panels", [])
        else:
            yield p


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    prom, dash_path = sys.argv[1], sys.argv[2]
    failures, passed = [], 0

    scraped = set(api(prom, "/api/v1/label/__name__/values")["data"])

    def check_expr(place, expr):
        """Evaluate; check names. Returns the result list (None on error)."""
        nonlocal passed
        q = substitute(expr)
        res = api(prom, "/api/v1/query", {"query": q})
        ok = True
        if res.get("status") != "success":
            failures.append(f"{place}: does not evaluate: {res.get('error')} | {q}")
            ok = False
        missing = sorted({m for m in metric_names(q) if m not in scraped})
        if missing:
            failures.append(f"{place}: metric(s) not in the scrape: {', '.join(missing)} | {q}")
            ok = False
        if ok:
            passed += 1
        return res.get("data", {}).get("result") if ok else None

    # Dashboard: every target evaluates; every panel shows data.
    panels = list(dashboard_panels(dash_path))
    for p in panels:
        title = p.get("title", "?")
        any_data = False
        for t in p.get("targets", []):
            result = check_expr(f"panel {title!r} target {t.get('refId')}", t["expr"])
            if result:
                any_data = True
        if any_data:
            passed += 1
        else:
            failures.append(f"panel {title!r}: no target returned data")

    # Alert rules, as Prometheus loaded them from the shipped alerts.yml.
    rules = [
        r
        for g in api(prom, "/api/v1/rules")["data"]["groups"]
        for r in g["rules"]
    ]
    if len(rules) < 6:
        failures.append(f"Prometheus loaded only {len(rules)} rules from alerts.yml")
    for r in rules:
        place = f"alert {r.get('name')}"
        check_expr(place, r["query"])
        if r.get("health") != "ok":
            failures.append(f"{place}: rule health {r.get('health')!r}: {r.get('lastError')}")
        else:
            passed += 1

    for f in failures:
        print(f"FAIL {f}")
    print(f"promql: {len(panels)} panels, {len(rules)} alert rules, {len(scraped)} scraped metric names")
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
