//! NATS authentication and TLS against a real nats-server: user/password, token,
//! NKey, and mutual TLS with a custom CA. Each case runs the daemon in JetStream mode
//! and checks an article went all the way through; a wrong secret must keep the
//! daemon unready and the file in the inbox.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;

/// A nats-server started from a config file; killed on drop.
struct ConfiguredServer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for ConfiguredServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start nats-server with `auth` (config text) added to a JetStream config; `None`
/// when the binary is missing outside CI (the harness prints why).
fn start_server(auth: &str, dir: tempfile::TempDir) -> Option<ConfiguredServer> {
    let bin = nats_server_bin()?;
    let port = free_port();
    let conf = dir.path().join("nats.conf");
    let store = dir.path().join("js");
    std::fs::write(
        &conf,
        format!(
            "listen: \"127.0.0.1:{port}\"\njetstream {{ store_dir: \"{}\" }}\n{auth}\n",
            store.display()
        ),
    )
    .expect("write nats.conf");
    let log_path = dir.path().join("nats.log");
    let log = std::fs::File::create(&log_path).expect("log");
    let mut child = Command::new(bin)
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn nats-server");
    let start = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        let exited = child.try_wait().ok().flatten().is_some();
        if exited || start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!(
                "nats-server did not start\n{}",
                std::fs::read_to_string(&log_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(ConfiguredServer {
        child,
        port,
        _dir: dir,
    })
}

/// Run the daemon with `env`, drop one article, and check it came out the other end.
fn article_goes_through(url: &str, env: &[(&str, &str)]) {
    let dirs = Dirs::new();
    let mut opts = DaemonOpts::new(Some(url.to_string()));
    for (k, v) in env {
        opts = opts.env(k, v);
    }
    let mut d = Daemon::start(&dirs, opts);
    d.wait_ready(Duration::from_secs(30));
    let files = articles(3, 0, 1);
    let want = total(&expected_outputs(&files));
    drop_files(&dirs.inbox, &files);
    let key = "wirefeed_stage_messages_processed_total{stage=\"classify\"}";
    wait_until(
        "article classified through NATS",
        Duration::from_secs(60),
        || {
            d.metrics()
                .lines()
                .any(|l| l.starts_with(key) && l.ends_with(&format!(" {want}")))
        },
    );
    wait_until("file moved to processed/", Duration::from_secs(10), || {
        file_names(&dirs.processed).len() == 1
    });
    d.assert_running();
}

/// With a wrong secret the daemon keeps retrying, is not ready, and takes nothing.
fn wrong_secret_is_not_ready(url: &str, env: &[(&str, &str)]) {
    let dirs = Dirs::new();
    let mut opts = DaemonOpts::new(Some(url.to_string()));
    for (k, v) in env {
        opts = opts.env(k, v);
    }
    let mut d = Daemon::start(&dirs, opts);
    drop_files(&dirs.inbox, &articles(4, 0, 1));
    // the listener comes up first (slowly on a loaded machine); from then on the
    // daemon must answer 503 on every probe while it cannot authenticate
    wait_until("metrics listener up", Duration::from_secs(30), || {
        http_get(d.metrics_port, "/healthz").is_some()
    });
    for _ in 0..6 {
        let status = http_get(d.metrics_port, "/readyz").map(|x| x.0);
        assert_eq!(
            status,
            Some(503),
            "unauthenticated daemon must not be ready"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(
        file_names(&dirs.inbox).len(),
        1,
        "the file must stay in the inbox"
    );
    d.assert_running();
}

#[test]
fn user_and_password() {
    let Some(s) = start_server(
        "authorization { user: \"wire\", password: \"s3cret-pw\" }",
        tempfile::tempdir().unwrap(),
    ) else {
        return;
    };
    let url = format!("nats://127.0.0.1:{}", s.port);
    article_goes_through(
        &url,
        &[
            ("WIREFEED_NATS_USER", "wire"),
            ("WIREFEED_NATS_PASSWORD", "s3cret-pw"),
        ],
    );
    wrong_secret_is_not_ready(
        &url,
        &[
            ("WIREFEED_NATS_USER", "wire"),
            ("WIREFEED_NATS_PASSWORD", "wrong"),
        ],
    );
}

#[test]
fn token() {
    let Some(s) = start_server(
        "authorization { token: \"t0ken-abc\" }",
        tempfile::tempdir().unwrap(),
    ) else {
        return;
    };
    let url = format!("nats://127.0.0.1:{}", s.port);
    article_goes_through(&url, &[("WIREFEED_NATS_TOKEN", "t0ken-abc")]);
    wrong_secret_is_not_ready(&url, &[("WIREFEED_NATS_TOKEN", "not-it")]);
}

#[test]
fn nkey() {
    let user = nkeys::KeyPair::new_user();
    let seed = user.seed().expect("seed");
    let Some(s) = start_server(
        &format!(
            "authorization {{ users: [ {{ nkey: \"{}\" }} ] }}",
            user.public_key()
        ),
        tempfile::tempdir().unwrap(),
    ) else {
        return;
    };
    let url = format!("nats://127.0.0.1:{}", s.port);
    article_goes_through(&url, &[("WIREFEED_NATS_NKEY", &seed)]);
    let other = nkeys::KeyPair::new_user().seed().expect("seed");
    wrong_secret_is_not_ready(&url, &[("WIREFEED_NATS_NKEY", &other)]);
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl (Debian package openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by it.
fn make_pki(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=wirefeed test CA",
            "-keyout",
            "ca-key.pem",
            "-out",
            "ca.pem",
        ],
    );
    // v3 extensions on both leaves: rustls rejects v1 certificates
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
    for who in ["server", "client"] {
        let (key, csr, pem) = (
            format!("{who}-key.pem"),
            format!("{who}.csr"),
            format!("{who}.pem"),
        );
        let subject = format!("/CN={who}");
        openssl(
            dir,
            &[
                "req", "-newkey", "rsa:2048", "-nodes", "-subj", &subject, "-keyout", &key, "-out",
                &csr,
            ],
        );
        let mut args = vec![
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca-key.pem",
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            &pem,
        ];
        let ext = format!("{who}.ext");
        args.extend(["-extfile", &ext]);
        openssl(dir, &args);
    }
}

#[test]
fn mutual_tls_with_a_custom_ca() {
    let dir = tempfile::tempdir().unwrap();
    make_pki(dir.path());
    let p = |f: &str| dir.path().join(f).display().to_string();
    let tls = format!(
        "tls {{ cert_file: \"{}\", key_file: \"{}\", ca_file: \"{}\", verify: true }}",
        p("server.pem"),
        p("server-key.pem"),
        p("ca.pem")
    );
    let (ca, cert, key) = (p("ca.pem"), p("client.pem"), p("client-key.pem"));
    let Some(s) = start_server(&tls, dir) else {
        return;
    };
    let url = format!("tls://127.0.0.1:{}", s.port);
    article_goes_through(
        &url,
        &[
            ("WIREFEED_NATS_TLS_REQUIRED", "true"),
            ("WIREFEED_NATS_TLS_CA_FILE", &ca),
            ("WIREFEED_NATS_TLS_CERT_FILE", &cert),
            ("WIREFEED_NATS_TLS_KEY_FILE", &key),
        ],
    );
    // without the client certificate the server refuses the connection
    wrong_secret_is_not_ready(
        &url,
        &[
            ("WIREFEED_NATS_TLS_REQUIRED", "true"),
            ("WIREFEED_NATS_TLS_CA_FILE", &ca),
        ],
    );
}

#[test]
fn daemon_started_before_the_broker_connects_when_it_comes_up() {
    let Some(bin) = nats_server_bin() else { return };
    let port = free_port();
    let dirs = Dirs::new();
    let url = format!("nats://127.0.0.1:{port}");
    let mut d = Daemon::start(&dirs, DaemonOpts::new(Some(url)));
    let files = articles(5, 0, 3);
    drop_files(&dirs.inbox, &files);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(http_get(d.metrics_port, "/readyz").map(|x| x.0), Some(503));
    let store = tempfile::tempdir().unwrap();
    let mut server = Command::new(bin)
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(store.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nats-server");
    d.wait_ready(Duration::from_secs(60));
    wait_until(
        "files processed after the late broker",
        Duration::from_secs(60),
        || file_names(&dirs.processed).len() == files.len(),
    );
    d.assert_running();
    let _ = server.kill();
    let _ = server.wait();
}

/// A NATS JWT (v2): `header.claims.signature`, base64url without padding, signed
/// with the issuer's NKey.
fn jwt(issuer: &nkeys::KeyPair, subject: &str, nats: serde_json::Value) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(br#"{"typ":"JWT","alg":"ed25519-nkey"}"#);
    let claims = serde_json::json!({
        "jti": blake3::hash(subject.as_bytes()).to_hex().to_string(),
        "iat": 1_700_000_000u64,
        "iss": issuer.public_key(),
        "sub": subject,
        "name": "wirefeed-test",
        "nats": nats,
    });
    let claims = b64.encode(claims.to_string());
    let signing_input = format!("{header}.{claims}");
    let sig = issuer.sign(signing_input.as_bytes()).expect("sign");
    format!("{signing_input}.{}", b64.encode(sig))
}

#[test]
fn creds_file_in_operator_mode() {
    let operator = nkeys::KeyPair::new_operator();
    let system = nkeys::KeyPair::new_account();
    let account = nkeys::KeyPair::new_account();
    let user = nkeys::KeyPair::new_user();
    // JetStream in operator mode needs a system account
    let op_jwt = jwt(
        &operator,
        &operator.public_key(),
        serde_json::json!({"type": "operator", "version": 2,
            "system_account": system.public_key()}),
    );
    let sys_jwt = jwt(
        &operator,
        &system.public_key(),
        serde_json::json!({"type": "account", "version": 2,
            "limits": {"subs": -1, "data": -1, "payload": -1, "imports": -1,
                       "exports": -1, "wildcards": true, "conn": -1, "leaf": -1}}),
    );
    let unlimited = serde_json::json!({
        "subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1,
        "wildcards": true, "conn": -1, "leaf": -1,
        "mem_storage": -1, "disk_storage": -1, "streams": -1, "consumer": -1
    });
    let acc_jwt = jwt(
        &operator,
        &account.public_key(),
        serde_json::json!({"type": "account", "version": 2, "limits": unlimited,
            "default_permissions": {"pub": {}, "sub": {}}}),
    );
    let user_jwt = jwt(
        &account,
        &user.public_key(),
        serde_json::json!({"type": "user", "version": 2, "pub": {}, "sub": {},
            "subs": -1, "data": -1, "payload": -1}),
    );
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("wirefeed.creds");
    std::fs::write(
        &creds,
        format!(
            "-----BEGIN NATS USER JWT-----\n{user_jwt}\n------END NATS USER JWT------\n\n\
             -----BEGIN USER NKEY SEED-----\n{}\n------END USER NKEY SEED------\n",
            user.seed().unwrap()
        ),
    )
    .unwrap();
    let conf = format!(
        "operator: \"{op_jwt}\"\nsystem_account: {sys}\nresolver: MEMORY\n\
         resolver_preload: {{ {sys}: \"{sys_jwt}\", {acc}: \"{acc_jwt}\" }}",
        sys = system.public_key(),
        acc = account.public_key()
    );
    let creds = creds.display().to_string();
    let Some(s) = start_server(&conf, dir) else {
        return;
    };
    let url = format!("nats://127.0.0.1:{}", s.port);
    article_goes_through(&url, &[("WIREFEED_NATS_CREDS_FILE", &creds)]);
    // a user key the account never signed is refused
    wrong_secret_is_not_ready(
        &url,
        &[(
            "WIREFEED_NATS_NKEY",
            &nkeys::KeyPair::new_user().seed().unwrap(),
        )],
    );
}
