//! Structural checks of the deployment assets under `deploy/`: the Grafana
//! dashboard and provisioning, the Prometheus alert rules and scrape configs, and
//! the compose files. The key check: every metric name any PromQL expression uses
//! is one `src/metrics.rs` exports, so renaming a metric without updating the
//! dashboard and alerts fails here (in plain `cargo test`, no Prometheus needed;
//! `deploy/test/prometheus-check.sh` then runs the same expressions against a real
//! Prometheus scraping a real daemon).
//!
//! No YAML crate: the alert file is read with a small line-based extraction of
//! `- alert:` / `expr:` (plain or `|` block) entries, which is all these checks
//! need; `promtool check rules` validates the full YAML in the shell check.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    let p = root().join(rel);
    fs::read_to_string(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

/// Metric names exported by `src/metrics.rs`: every `pub const X: &str = "wirefeed_…"`.
/// Returns const name → metric name.
fn exported_metrics() -> BTreeMap<String, String> {
    let src = read("src/metrics.rs");
    let re = regex::Regex::new(r#"pub const ([A-Z_]+): &str = "(wirefeed_[a-z0-9_]+)";"#).unwrap();
    let map: BTreeMap<String, String> = re
        .captures_iter(&src)
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect();
    assert!(
        map.len() >= 10,
        "found only {} metric constants in src/metrics.rs; has its format changed?",
        map.len()
    );
    map
}

/// The metric names that are histograms (`describe_histogram!(CONST, …)`).
fn histogram_metrics(exported: &BTreeMap<String, String>) -> BTreeSet<String> {
    let src = read("src/metrics.rs");
    let re = regex::Regex::new(r"describe_histogram!\(\s*([A-Z_]+)\s*,").unwrap();
    let hist: BTreeSet<String> = re
        .captures_iter(&src)
        .map(|c| {
            exported
                .get(&c[1])
                .unwrap_or_else(|| panic!("describe_histogram! of unknown constant {}", &c[1]))
                .clone()
        })
        .collect();
    assert!(!hist.is_empty(), "no histogram found in src/metrics.rs");
    hist
}

/// Every series name a scrape of wirefeed can contain: counters and gauges as
/// named, histograms only as `_bucket`, `_sum` and `_count` (the bare histogram
/// name is not a series). Plus Prometheus's own `up`.
fn allowed_series() -> BTreeSet<String> {
    let exported = exported_metrics();
    let hist = histogram_metrics(&exported);
    let mut allowed = BTreeSet::new();
    for name in exported.values() {
        if hist.contains(name) {
            for suffix in ["_bucket", "_sum", "_count"] {
                allowed.insert(format!("{name}{suffix}"));
            }
        } else {
            allowed.insert(name.clone());
        }
    }
    // Prometheus's synthetic scrape-health series. (No NATS exporter is shipped,
    // so no exporter metric is allowed; add its names here if one is added.)
    allowed.insert("up".to_string());
    allowed
}

const KEYWORDS: &[&str] = &["and", "or", "unless", "bool", "offset", "inf", "nan"];
/// Aggregation operators may be followed by a grouping clause instead of `(`.
const AGGREGATORS: &[&str] = &[
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
    "limitk",
    "limit_ratio",
];
const GROUPING: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];

/// Metric names referenced by one PromQL expression: identifiers that are not
/// function calls, keywords, aggregation grouping lists, label matchers `{…}`,
/// ranges `[…]`, strings or Grafana `$variables`.
fn promql_metric_names(expr: &str) -> Vec<String> {
    let chars: Vec<char> = expr.chars().collect();
    let mut names = Vec::new();
    let mut i = 0;
    // Skip to the char after the bracket matching chars[i] (an opener).
    fn skip_balanced(chars: &[char], mut i: usize, open: char, close: char) -> usize {
        let mut depth = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '"' || c == '\'' || c == '`' {
                i = skip_string(chars, i);
                continue;
            }
            if c == open {
                depth += 1;
            } else if c == close {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            i += 1;
        }
        i
    }
    fn skip_string(chars: &[char], i: usize) -> usize {
        let q = chars[i];
        let mut j = i + 1;
        while j < chars.len() && chars[j] != q {
            if chars[j] == '\\' && q != '`' {
                j += 1;
            }
            j += 1;
        }
        j + 1
    }
    let is_start = |c: char| c.is_ascii_alphabetic() || c == '_' || c == ':';
    let is_cont = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    while i < chars.len() {
        let c = chars[i];
        if c == '"' || c == '\'' || c == '`' {
            i = skip_string(&chars, i);
        } else if c == '{' {
            i = skip_balanced(&chars, i, '{', '}');
        } else if c == '[' {
            i = skip_balanced(&chars, i, '[', ']');
        } else if c == '$' {
            // Grafana variable: $name or ${name}
            i += 1;
            if i < chars.len() && chars[i] == '{' {
                i = skip_balanced(&chars, i, '{', '}');
            } else {
                while i < chars.len() && is_cont(chars[i]) {
                    i += 1;
                }
            }
        } else if c.is_ascii_digit() || c == '.' {
            // Number or duration (5m, 1e3, 0.95): not a name.
            while i < chars.len() && (is_cont(chars[i]) || chars[i] == '.') {
                i += 1;
            }
        } else if is_start(c) {
            let start = i;
            while i < chars.len() && is_cont(chars[i]) {
                i += 1;
            }
            let ident: String = chars[start..i].iter().collect();
            let mut j = i;
            while j < chars.len() && chars[j].is_whitespace() {
                j += 1;
            }
            let next = chars.get(j).copied();
            if GROUPING.contains(&ident.as_str()) {
                if next == Some('(') {
                    i = skip_balanced(&chars, j, '(', ')');
                }
            } else if KEYWORDS.contains(&ident.as_str())
                || AGGREGATORS.contains(&ident.as_str())
                || next == Some('(')
            {
                // operator keyword, or a function / aggregation call
            } else {
                names.push(ident);
            }
        } else {
            i += 1;
        }
    }
    names
}

/// (where, expr) for every target of every panel of the dashboard.
fn dashboard_exprs(dash: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for p in all_panels(dash) {
        let title = p["title"].as_str().unwrap_or("?").to_string();
        for t in p["targets"].as_array().into_iter().flatten() {
            if let Some(e) = t["expr"].as_str() {
                out.push((format!("dashboard panel {title:?}"), e.to_string()));
            }
        }
    }
    out
}

/// Panels, including those nested in collapsed rows.
fn all_panels(dash: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for p in dash["panels"].as_array().into_iter().flatten() {
        if p["type"] == "row" {
            out.extend(p["panels"].as_array().into_iter().flatten());
        } else {
            out.push(p);
        }
    }
    out
}

fn dashboard() -> Value {
    serde_json::from_str(&read("deploy/grafana/dashboards/wirefeed.json"))
        .expect("deploy/grafana/dashboards/wirefeed.json is not valid JSON")
}

/// One alerting or recording rule, as read from the YAML.
#[derive(Debug)]
struct Rule {
    name: String,
    expr: String,
    has_summary: bool,
    has_for: bool,
}

/// Line-based extraction of the rules in a Prometheus rules file.
fn alert_rules(text: &str) -> Vec<Rule> {
    let lines: Vec<&str> = text.lines().collect();
    let mut rules: Vec<Rule> = Vec::new();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let t = line.trim_start();
        if let Some(name) = t
            .strip_prefix("- alert:")
            .or_else(|| t.strip_prefix("- record:"))
        {
            rules.push(Rule {
                name: name.trim().to_string(),
                expr: String::new(),
                has_summary: false,
                has_for: false,
            });
        } else if let Some(rest) = t.strip_prefix("expr:") {
            let rule = rules.last_mut().expect("expr: before any - alert:");
            let rest = rest.trim();
            if rest == "|" || rest == ">" || rest == "|-" || rest == ">-" {
                let base = indent(line);
                let mut body = Vec::new();
                while i + 1 < lines.len()
                    && (lines[i + 1].trim().is_empty() || indent(lines[i + 1]) > base)
                {
                    i += 1;
                    body.push(lines[i].trim());
                }
                rule.expr = body.join(" ").trim().to_string();
            } else {
                rule.expr = rest.trim_matches('"').trim_matches('\'').to_string();
            }
        } else if t.starts_with("summary:") {
            if let Some(r) = rules.last_mut() {
                r.has_summary = true;
            }
        } else if t.starts_with("for:") {
            if let Some(r) = rules.last_mut() {
                r.has_for = true;
            }
        }
        i += 1;
    }
    rules
}

fn alerts() -> Vec<Rule> {
    alert_rules(&read("deploy/prometheus/alerts.yml"))
}

/// Every PromQL expression shipped: dashboard targets and alert rules.
fn all_exprs() -> Vec<(String, String)> {
    let mut v = dashboard_exprs(&dashboard());
    v.extend(
        alerts()
            .into_iter()
            .map(|r| (format!("alert {}", r.name), r.expr)),
    );
    v
}

/// The names in `expr` that are not series wirefeed (or Prometheus) produces.
fn unknown_names(expr: &str, allowed: &BTreeSet<String>) -> Vec<String> {
    promql_metric_names(expr)
        .into_iter()
        .filter(|n| !allowed.contains(n))
        .collect()
}

#[test]
fn extractor_finds_metric_names_and_ignores_the_rest() {
    let e = r#"histogram_quantile(0.95, sum by (stage, le) (rate(wirefeed_stage_processing_seconds_bucket{stage="clean", job=~"wire.*"}[$__rate_interval])))"#;
    assert_eq!(
        promql_metric_names(e),
        vec!["wirefeed_stage_processing_seconds_bucket"]
    );
    let e = "sum(increase(a_total[30m])) > 0 and on() sum(increase(b_total[30m] offset 5m)) == bool 0 or vector(0)";
    assert_eq!(promql_metric_names(e), vec!["a_total", "b_total"]);
    let e = "sum by (stage) (rate(x[5m])) / ignoring(error_type) group_left sum without (instance) (y) unless up == 0";
    assert_eq!(promql_metric_names(e), vec!["x", "y", "up"]);
    assert_eq!(
        promql_metric_names(r#"count by (version) (wirefeed_build_info{version!="0"})"#),
        vec!["wirefeed_build_info"]
    );
}

#[test]
fn a_renamed_or_bare_histogram_metric_is_rejected() {
    // What a stale dashboard would contain after a rename in src/metrics.rs.
    let allowed = allowed_series();
    assert_eq!(
        unknown_names("rate(wirefeed_files_detected[5m])", &allowed),
        vec!["wirefeed_files_detected"]
    );
    // A histogram's bare name is no series: only _bucket/_sum/_count exist.
    assert_eq!(
        unknown_names("rate(wirefeed_end_to_end_latency_seconds[5m])", &allowed),
        vec!["wirefeed_end_to_end_latency_seconds"]
    );
    assert!(unknown_names(
        "rate(wirefeed_end_to_end_latency_seconds_bucket[5m]) + up",
        &allowed
    )
    .is_empty());
    // A counter gets no histogram suffixes.
    assert_eq!(
        unknown_names("wirefeed_files_detected_total_count", &allowed),
        vec!["wirefeed_files_detected_total_count"]
    );
}

#[test]
fn every_promql_metric_is_exported_by_src_metrics_rs() {
    let allowed = allowed_series();
    let exprs = all_exprs();
    assert!(
        exprs.len() > 10,
        "too few expressions found: {}",
        exprs.len()
    );
    let mut bad = Vec::new();
    for (place, e) in &exprs {
        let names = promql_metric_names(e);
        if names.is_empty() {
            bad.push(format!("{place}: no metric in expression {e:?}"));
        }
        for n in unknown_names(e, &allowed) {
            bad.push(format!(
                "{place}: metric {n:?} is not exported by src/metrics.rs (expr: {e})"
            ));
        }
    }
    assert!(bad.is_empty(), "unknown metrics:\n{}", bad.join("\n"));
}

#[test]
fn every_exported_metric_is_on_the_dashboard() {
    // A metric added to src/metrics.rs should be seen somewhere.
    let exported = exported_metrics();
    let hist = histogram_metrics(&exported);
    let used: BTreeSet<String> = dashboard_exprs(&dashboard())
        .iter()
        .flat_map(|(_, e)| promql_metric_names(e))
        .collect();
    let missing: Vec<&String> = exported
        .values()
        .filter(|m| {
            if hist.contains(*m) {
                !used.contains(&format!("{m}_bucket"))
            } else {
                !used.contains(*m)
            }
        })
        .collect();
    assert!(
        missing.is_empty(),
        "metrics exported but on no dashboard panel: {missing:?}"
    );
}

#[test]
fn stage_label_values_are_known_stages() {
    let src = read("src/metrics.rs");
    let stages_line = src
        .lines()
        .find(|l| l.contains("pub const STAGES"))
        .expect("STAGES in src/metrics.rs");
    let stages: Vec<String> = regex::Regex::new(r#""([a-z]+)""#)
        .unwrap()
        .captures_iter(stages_line)
        .map(|c| c[1].to_string())
        .collect();
    let re = regex::Regex::new(r#"stage\s*=\s*"([^"]*)""#).unwrap();
    for (place, e) in all_exprs() {
        for c in re.captures_iter(&e) {
            assert!(
                stages.contains(&c[1].to_string()),
                "{place}: stage {:?} is not one of {stages:?}",
                &c[1]
            );
        }
    }
}

#[test]
fn dashboard_is_a_valid_grafana_dashboard() {
    let d = dashboard();
    assert_eq!(d["uid"].as_str(), Some("wirefeed-overview"), "uid");
    assert!(
        d["uid"].as_str().unwrap().len() <= 40,
        "Grafana uids are at most 40 chars"
    );
    assert!(d["title"].as_str().is_some_and(|t| !t.is_empty()), "title");
    let sv = d["schemaVersion"]
        .as_u64()
        .expect("schemaVersion is a number");
    assert!(sv >= 30, "schemaVersion {sv} is older than Grafana 8");
    // Provisioned dashboards must not carry a numeric id of another instance.
    assert!(d["id"].is_null(), "dashboard id must be null/absent");

    let ds_uid = provisioned_datasource_uid();
    let panels = all_panels(&d);
    assert!(panels.len() >= 8, "only {} panels", panels.len());
    let mut ids = BTreeSet::new();
    for p in &panels {
        let title = p["title"].as_str().unwrap_or_default();
        assert!(!title.is_empty(), "panel without title: {p}");
        let id = p["id"].as_u64().unwrap_or_else(|| panic!("{title}: no id"));
        assert!(ids.insert(id), "{title}: duplicate panel id {id}");
        assert!(p["type"].is_string(), "{title}: no type");
        for k in ["x", "y", "w", "h"] {
            assert!(p["gridPos"][k].is_u64(), "{title}: gridPos.{k}");
        }
        assert!(p["gridPos"]["x"].as_u64().unwrap() + p["gridPos"]["w"].as_u64().unwrap() <= 24);
        assert_eq!(
            p["datasource"]["type"], "prometheus",
            "{title}: datasource type"
        );
        assert_eq!(
            p["datasource"]["uid"].as_str(),
            Some(ds_uid.as_str()),
            "{title}: datasource uid must be the provisioned one"
        );
        let targets = p["targets"]
            .as_array()
            .unwrap_or_else(|| panic!("{title}: no targets"));
        assert!(!targets.is_empty(), "{title}: empty targets");
        let mut refs = BTreeSet::new();
        for t in targets {
            let expr = t["expr"].as_str().unwrap_or_default();
            assert!(!expr.trim().is_empty(), "{title}: target without expr");
            let r = t["refId"].as_str().unwrap_or_default();
            assert!(
                !r.is_empty() && refs.insert(r.to_string()),
                "{title}: refId"
            );
            // A target's datasource, where set, is the panel's.
            if !t["datasource"].is_null() {
                assert_eq!(
                    t["datasource"], p["datasource"],
                    "{title}: target datasource"
                );
            }
            // Balanced brackets: a cheap guard against hand-edit slips
            // (prometheus-check.sh parses every expression for real).
            for (o, c) in [('(', ')'), ('{', '}'), ('[', ']')] {
                assert_eq!(
                    expr.matches(o).count(),
                    expr.matches(c).count(),
                    "{title}: unbalanced {o}{c} in {expr}"
                );
            }
        }
    }

    // The required views.
    let exprs: Vec<String> = dashboard_exprs(&d).into_iter().map(|(_, e)| e).collect();
    let has = |needle: &str| exprs.iter().any(|e| e.contains(needle));
    for q in ["0.5", "0.95", "0.99"] {
        assert!(
            exprs
                .iter()
                .any(|e| e.starts_with(&format!("histogram_quantile({q},"))
                    && e.contains("wirefeed_end_to_end_latency_seconds_bucket")),
            "end-to-end latency p{q} panel"
        );
    }
    assert!(
        has("wirefeed_stage_processing_seconds_bucket"),
        "stage durations"
    );
    assert!(
        has("sum by (stage) (rate(wirefeed_stage_messages_processed_total"),
        "throughput per stage"
    );
    assert!(has("wirefeed_stage_backlog_messages"), "backlog");
    assert!(has("sum by (topic)"), "articles per topic");
    assert!(has("sum by (language)"), "articles per language");
    assert!(has("wirefeed_dead_letters_total") && has("wirefeed_stage_messages_failed_total"));
    assert!(has("wirefeed_nats_connected"), "NATS connection");
}

fn provisioned_datasource_uid() -> String {
    let text = read("deploy/grafana/provisioning/datasources/prometheus.yml");
    assert!(
        text.contains("apiVersion: 1"),
        "datasource provisioning apiVersion"
    );
    assert!(text.contains("type: prometheus"));
    assert!(
        text.contains("url: http://prometheus:9090"),
        "datasource must point at the compose service prometheus:9090"
    );
    text.lines()
        .find_map(|l| l.trim().strip_prefix("uid:"))
        .map(|u| u.trim().to_string())
        .expect("datasource uid")
}

#[test]
fn grafana_provisioning_matches_the_compose_mounts() {
    let prov = read("deploy/grafana/provisioning/dashboards/wirefeed.yml");
    assert!(prov.contains("apiVersion: 1") && prov.contains("type: file"));
    let path = prov
        .lines()
        .find_map(|l| l.trim().strip_prefix("path:"))
        .map(|p| p.trim().to_string())
        .expect("dashboard provider path");
    for f in [
        "deploy/docker-compose.yml",
        "deploy/docker-compose.cluster.yml",
    ] {
        let c = read(f);
        assert!(
            c.contains(&format!("./grafana/dashboards:{path}")),
            "{f} must mount deploy/grafana/dashboards at {path}"
        );
        assert!(
            c.contains("./grafana/provisioning:/etc/grafana/provisioning"),
            "{f}"
        );
        assert!(
            c.contains("GF_AUTH_ANONYMOUS_ENABLED: \"true\""),
            "{f}: anonymous viewing"
        );
        assert!(
            c.contains("GF_AUTH_ANONYMOUS_ORG_ROLE: Viewer"),
            "{f}: read-only"
        );
        assert!(
            c.contains(&format!("{path}/wirefeed.json")),
            "{f}: home dashboard path"
        );
    }
    assert!(Path::new(&root().join("deploy/grafana/dashboards/wirefeed.json")).exists());
}

#[test]
fn alert_rules_cover_the_required_conditions() {
    let rules = alerts();
    let by_name: BTreeMap<&str, &Rule> = rules.iter().map(|r| (r.name.as_str(), r)).collect();
    assert_eq!(by_name.len(), rules.len(), "duplicate alert names");
    for r in &rules {
        assert!(!r.expr.is_empty(), "{}: empty expr", r.name);
        assert!(r.has_summary, "{}: no summary annotation", r.name);
    }
    let expr = |n: &str| {
        &by_name
            .get(n)
            .unwrap_or_else(|| panic!("alert {n} missing"))
            .expr
    };
    assert!(expr("WirefeedDeadLetters").contains("wirefeed_dead_letters_total"));
    assert!(expr("WirefeedDeadLetters").ends_with("> 0"));
    let backlog = by_name["WirefeedBacklogGrowing"];
    assert!(
        backlog
            .expr
            .contains("wirefeed_stage_backlog_messages[10m]")
            && backlog.has_for
    );
    let idle = expr("WirefeedNoArticlesProcessed");
    assert!(idle.contains("wirefeed_files_detected_total[30m]") && idle.contains("[30m])) == 0"));
    assert_eq!(
        expr("WirefeedNatsDisconnected"),
        "wirefeed_nats_connected == 0"
    );
    let ratio = expr("WirefeedStageErrorRatio");
    assert!(ratio.contains("wirefeed_stage_messages_failed_total") && ratio.contains(" / "));
    assert_eq!(expr("WirefeedTargetDown"), "up == 0");
    let breaking = expr("WirefeedBreakingStory");
    assert!(
        breaking.contains("increase(wirefeed_story_alerts_total[10m])")
            && breaking.ends_with("> 0"),
        "{breaking}"
    );
}

#[test]
fn prometheus_configs_scrape_the_metrics_port_and_load_the_rules() {
    for f in [
        "deploy/prometheus/prometheus.yml",
        "deploy/prometheus/prometheus.cluster.yml",
    ] {
        let c = read(f);
        assert!(c.contains("port: 9464"), "{f}: scrape wirefeed on 9464");
        assert!(c.contains("- alerts.yml"), "{f}: load alerts.yml");
        assert!(
            c.contains("job_name: wirefeed"),
            "{f}: job wirefeed (dashboard filters on it)"
        );
    }
    // The cluster config's DNS names are the cluster file's wirefeed services.
    let cluster = read("deploy/docker-compose.cluster.yml");
    for svc in ["watcher", "clean", "tag", "classify"] {
        assert!(
            cluster.contains(&format!("\n  {svc}:\n")),
            "cluster service {svc}"
        );
    }
    assert!(read("deploy/prometheus/prometheus.cluster.yml")
        .contains("names: [watcher, clean, tag, classify]"));
}

#[test]
fn compose_files_follow_the_deployment_contract() {
    let single = read("deploy/docker-compose.yml");
    let cluster = read("deploy/docker-compose.cluster.yml");
    for (f, c) in [
        ("docker-compose.yml", &single),
        ("docker-compose.cluster.yml", &cluster),
    ] {
        // Pinned images, replaceable through the environment.
        for img in [
            "${NATS_IMAGE:-nats:2.10.",
            "${WIREFEED_IMAGE:-",
            "${PROMETHEUS_IMAGE:-prom/prometheus:v2.",
            "${GRAFANA_IMAGE:-grafana/grafana:10.",
        ] {
            assert!(c.contains(img), "{f}: image {img}");
        }
        assert!(!c.contains(":latest"), "{f}: unpinned image");
        assert!(
            c.contains(r#"["CMD", "wirefeed", "healthcheck", "http://127.0.0.1:9464/readyz"]"#),
            "{f}: wirefeed health check on /readyz"
        );
        assert!(
            c.contains("http://127.0.0.1:8222/healthz"),
            "{f}: nats health check"
        );
        assert!(c.contains("restart: unless-stopped"), "{f}");
        assert!(c.contains("dockerfile: deploy/Dockerfile"), "{f}");
        assert!(
            !c.contains("container_name"),
            "{f}: container_name prevents --scale"
        );
        assert!(
            !c.contains("CMD-SHELL"),
            "{f}: stand-in images have no shell"
        );
    }
    assert!(single.contains("WIREFEED_NATS_URL: nats://nats:4222"));
    assert!(cluster.contains("WIREFEED_NATS_REPLICAS: \"3\""));
    assert!(cluster.contains("WIREFEED_ROLE: watcher"));
    for role in ["clean", "tag", "classify"] {
        let at = cluster
            .find(&format!("WIREFEED_ROLE: {role}\n"))
            .unwrap_or_else(|| panic!("role {role}"));
        let rest = &cluster[at..];
        let replicas: u32 = rest
            .lines()
            .find_map(|l| l.trim().strip_prefix("replicas:"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(1);
        assert!(replicas >= 2, "{role}: {replicas} replicas");
    }
    let routes = read("deploy/nats/nats-cluster.conf");
    for n in ["nats-1", "nats-2", "nats-3"] {
        assert!(
            routes.contains(&format!("nats-route://{n}:6222")),
            "route to {n}"
        );
        assert!(
            cluster.contains(&format!("NATS_SERVER_NAME: {n}")),
            "{n} server name"
        );
    }
    let dockerfile = read("deploy/Dockerfile");
    assert!(dockerfile.contains("FROM rust:1.") && dockerfile.contains(" AS builder"));
    assert!(dockerfile.contains("USER 10001"), "non-root runtime user");
    assert!(
        dockerfile.contains(r#"ENTRYPOINT ["wirefeed"]"#) && dockerfile.contains(r#"CMD ["run"]"#)
    );
}
