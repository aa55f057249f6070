//! The `trail` binary as a user runs it: serve with demo data, send an event
//! with `trail log`, read it back with `trail get`, manage keys, stop with SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const KEY: &str = "trail_cli_test_key_0123456789abcdefghij";

struct Served {
    child: Child,
    url: String,
    dir: tempfile::TempDir,
}

/// A failing test must not leave its server running.
impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn trail() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trail"));
    c.env_remove("RUST_BACKTRACE").env("RUST_LOG", "warn");
    c
}

/// Starts `trail serve --demo` on a free port and waits for its address.
fn serve() -> Served {
    let dir = tempfile::tempdir().unwrap();
    let mut child = trail()
        .args([
            "serve",
            "--demo",
            "--demo-events",
            "3000",
            "--listen",
            "127.0.0.1:0",
        ])
        .env("TRAIL_DATA_DIR", dir.path())
        .env("TRAIL_BOOTSTRAP_API_KEY", KEY)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("server printed its address").unwrap();
        if let Some(rest) = line.strip_prefix("Trail is listening on ") {
            break rest.to_string();
        }
    };
    Served { child, url, dir }
}

fn run(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn log_get_admin_and_graceful_stop() {
    let mut s = serve();
    let remote = |c: &mut Command| {
        c.env("TRAIL_URL", &s.url).env("TRAIL_API_KEY", KEY);
    };

    let mut log = trail();
    log.args([
        "log",
        "--type",
        "query-created",
        "--resource",
        "query:42:Top 10 Customers",
        "--param",
        "rows=10",
    ]);
    log.args(["--actor", "user:alice@company.com"]);
    remote(&mut log);
    let (ok, out, err) = run(&mut log);
    assert!(ok, "{err}");
    let id = out.split_whitespace().next().unwrap().to_string();
    assert!(out.contains("seq 3001"), "after 3000 demo events: {out}");

    let mut show = trail();
    show.args(["show", &id]);
    remote(&mut show);
    let (ok, out, err) = run(&mut show);
    assert!(ok, "{err}");
    assert!(
        out.contains("Resource:  query \"Top 10 Customers\" (id 42)"),
        "{out}"
    );
    assert!(out.contains("rows = 10"), "{out}");

    let mut get = trail();
    get.args(["get", &id, "--json"]);
    remote(&mut get);
    let (ok, out, err) = run(&mut get);
    assert!(ok, "{err}");
    let event: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(event["resource"]["name"], "Top 10 Customers");
    assert_eq!(event["params"]["rows"], 10);
    assert_eq!(event["action"], "created");

    let mut search = trail();
    search.args([
        "search",
        "user:alice@company.com resource:\"Top 10 Customers\" action:created",
        "--json",
        "--limit",
        "5",
    ]);
    remote(&mut search);
    let (ok, out, err) = run(&mut search);
    assert!(ok, "{err}");
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(
        first["id"],
        id.as_str(),
        "the newest match is the event just logged"
    );

    let file = s.dir.path().join("export.csv");
    let mut export = trail();
    export
        .args([
            "export",
            "resource:\"Top 10 Customers\" action:created",
            "--format",
            "csv",
            "-o",
        ])
        .arg(&file);
    remote(&mut export);
    let (ok, _, err) = run(&mut export);
    assert!(ok, "{err}");
    let csv = std::fs::read_to_string(&file).unwrap();
    assert!(
        csv.starts_with("timestamp,user,action,resource,status,ip_address,"),
        "{csv}"
    );
    assert!(csv.contains(&id), "the logged event is in the export");
    assert!(err.contains("written to"), "{err}");

    let mut bad = trail();
    bad.args(["log", "--type", "log", "--status", "weird"]);
    remote(&mut bad);
    let (ok, _, err) = run(&mut bad);
    assert!(!ok);
    assert!(err.contains("status: unknown status \"weird\""), "{err}");
    assert!(!err.contains("backtrace"), "{err}");

    let db = s.dir.path().join("trail.db");
    let (ok, out, err) = run(trail()
        .args(["admin", "create-key", "--name", "ci", "--scope", "read"])
        .arg("--database")
        .arg(&db));
    assert!(ok, "{err}");
    let secret = out
        .lines()
        .find_map(|l| l.strip_prefix("Secret (shown only now): "))
        .unwrap()
        .to_string();
    let mut read = trail();
    read.args(["get", &id])
        .env("TRAIL_URL", &s.url)
        .env("TRAIL_API_KEY", &secret);
    assert!(run(&mut read).0, "the new read key works at once");
    let (_, listing, _) = run(trail()
        .args(["admin", "list-keys"])
        .arg("--database")
        .arg(&db));
    assert!(
        listing.contains("read") && !listing.contains(&secret),
        "{listing}"
    );

    // SIGTERM: the server stops cleanly.
    Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .unwrap();
    let status = s.child.wait().unwrap();
    assert!(status.success(), "{status}");
}

#[test]
fn bad_configuration_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("trail.toml");
    std::fs::write(&config, "listn = \"127.0.0.1:1\"\n").unwrap();
    let (ok, _, err) = run(trail().args(["serve", "--config"]).arg(&config));
    assert!(!ok);
    assert!(err.contains("unknown field `listn`"), "{err}");
    let (ok, _, err) = run(trail().args(["serve", "--listen", "nonsense"]));
    assert!(!ok);
    assert!(err.contains("--listen"), "{err}");
    // An empty bootstrap password would make an owner nobody can sign in as.
    let data = dir.path().join("data");
    let (ok, _, err) = run(trail()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env("TRAIL_BOOTSTRAP_PASSWORD", ""));
    assert!(!ok);
    assert!(
        err.contains("TRAIL_BOOTSTRAP_PASSWORD: password must be at least 12"),
        "{err}"
    );
}

#[test]
fn admin_manages_people_settings_and_keys_through_the_api() {
    let mut s = serve();
    let admin = |args: &[&str]| {
        let mut c = trail();
        c.arg("admin")
            .args(args)
            .env("TRAIL_URL", &s.url)
            .env("TRAIL_API_KEY", KEY);
        let (ok, out, err) = run(&mut c);
        assert!(ok, "trail admin {args:?}: {err}");
        out
    };
    admin(&[
        "users", "add", "carol", "--role", "member", "--name", "Carol",
    ]);
    assert!(admin(&["users", "list"]).contains("carol"));
    admin(&["groups", "add", "reviewers"]);
    admin(&["groups", "add", "qa", "--parent", "reviewers"]);
    admin(&["groups", "add-member", "qa", "carol"]);
    let groups = admin(&["groups", "list"]);
    assert!(
        groups
            .lines()
            .any(|l| l.starts_with("qa") && l.contains("reviewers") && l.contains("carol")),
        "{groups}"
    );
    assert_eq!(
        admin(&["redaction", "test", "login with password=hunter2"]).trim(),
        "login with password=[REDACTED]"
    );
    let settings = s.dir.path().join("logging.json");
    std::fs::write(
        &settings,
        r#"{"groups": {"reviewers": {"level": "verbose"}}}"#,
    )
    .unwrap();
    admin(&["logging", "set", settings.to_str().unwrap()]);
    let effective = admin(&["logging", "effective", "carol"]);
    assert!(effective.contains("\"reviewers\""), "{effective}");
    assert!(admin(&["users", "set-role", "carol", "admin"]).contains("carol is now admin"));
    let key = admin(&[
        "keys", "create", "--name", "carol's", "--scope", "read", "--user", "carol",
    ]);
    assert!(key.contains("Secret (shown only now): trail_"), "{key}");
    assert!(admin(&["keys", "list"]).contains("carol's"));

    let mut bad = trail();
    bad.args(["admin", "users", "add", "dave", "--role", "wizard"])
        .env("TRAIL_URL", &s.url)
        .env("TRAIL_API_KEY", KEY);
    let (ok, _, err) = run(&mut bad);
    assert!(!ok && err.contains("unknown role"), "{err}");
    let mut twice = trail();
    twice
        .args(["admin", "groups", "add", "qa"])
        .env("TRAIL_URL", &s.url)
        .env("TRAIL_API_KEY", KEY);
    let (ok, _, err) = run(&mut twice);
    assert!(!ok && err.contains("group \"qa\" already exists"), "{err}");
    s.child.kill().unwrap();
    s.child.wait().unwrap();
}
