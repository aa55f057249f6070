//! Builds the browser app in `web/` with npm and Vite into `OUT_DIR`, then
//! writes `assets.rs`: a table of every built file (bytes embedded with
//! `include_bytes!`, content type, ETag). Cargo reruns this only when the app's
//! sources or package files change, so Rust-only rebuilds never run npm.
//!
//! `npm ci` runs only when `web/node_modules` is missing or was installed from
//! another `package-lock.json`: a stamp in node_modules records the lockfile
//! this script installed from, and npm's own record of an install
//! (`node_modules/.package-lock.json`) newer than the lockfile counts too, so
//! that an `npm ci` run by hand (as scripts/test-all.sh does) is not repeated.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

/// What Vite 8 needs: Node.js ^20.19.0 or >= 22.12.0.
const NODE_NEEDED: &str = "Node.js 20.19+ (or 22.12+) with npm";
/// The files and folders of web/ that the build reads.
const INPUTS: &[&str] = &[
    "src",
    "public",
    "index.html",
    "package.json",
    "package-lock.json",
    "vite.config.ts",
    "tsconfig.json",
    "tsconfig.node.json",
];
const STAMP: &str = "node_modules/.trail-installed-lock";

fn main() {
    let manifest = PathBuf::from(env("CARGO_MANIFEST_DIR"));
    let web = manifest.join("../../web");
    let web = web
        .canonicalize()
        .unwrap_or_else(|e| fail(&format!("the web app is missing: {} ({e})", web.display())));
    for input in INPUTS {
        println!("cargo:rerun-if-changed={}", web.join(input).display());
    }
    println!("cargo:rerun-if-env-changed=NPM");
    let out = PathBuf::from(env("OUT_DIR"));
    let dist = out.join("web");
    let npm = npm_program();
    check_node(&npm);
    ensure_dependencies(&web, &npm);
    build(&web, &npm, &dist);
    let table = asset_table(&dist);
    fs::write(out.join("assets.rs"), table)
        .unwrap_or_else(|e| fail(&format!("cannot write assets.rs: {e}")));
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| fail(&format!("cargo did not set {name}")))
}

/// Stops the build with a message cargo shows as it is.
fn fail(message: &str) -> ! {
    eprintln!("\nerror: trail-web: {message}\n");
    std::process::exit(1);
}

fn npm_program() -> String {
    std::env::var("NPM").unwrap_or_else(|_| {
        if cfg!(windows) {
            "npm.cmd".into()
        } else {
            "npm".into()
        }
    })
}

/// Runs `program args…` in `dir` with npm's output on stderr (cargo reads the
/// build script's stdout for directives), failing with `what` if it fails.
fn run(dir: &Path, program: &str, args: &[&str], envs: &[(&str, &Path)], what: &str) {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(dir).stdout(std::io::stderr());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    match cmd.status() {
        Ok(s) if s.success() => {}
        Ok(s) => fail(&format!("{what} failed ({s}); its output is above")),
        Err(e) => fail(&format!(
            "cannot run {program} ({e}). Building Trail's web app needs {NODE_NEEDED}: \
             install it (https://nodejs.org, or Debian's nodejs and npm packages), \
             or set NPM to the npm to use"
        )),
    }
}

/// Fails early and clearly when Node.js is missing or too old for Vite.
fn check_node(npm: &str) {
    let version = Command::new("node").arg("--version").output();
    let text = match version {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        _ => fail(&format!(
            "Node.js was not found (ran `node --version`). Building Trail's web app needs \
             {NODE_NEEDED}: install it (https://nodejs.org, or Debian's nodejs and npm packages), \
             or set NPM to the npm to use (now {npm:?})"
        )),
    };
    let mut parts = text
        .trim_start_matches('v')
        .split('.')
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    let supported = (major == 20 && minor >= 19) || (major == 22 && minor >= 12) || major >= 23;
    if !supported {
        fail(&format!(
            "Node.js {text} is too old to build Trail's web app: it needs {NODE_NEEDED}"
        ));
    }
}

/// `npm ci` unless node_modules was installed from this very lockfile.
fn ensure_dependencies(web: &Path, npm: &str) {
    let lock = fs::read(web.join("package-lock.json"))
        .unwrap_or_else(|e| fail(&format!("cannot read web/package-lock.json: {e}")));
    let want = format!("{:016x}", fnv1a(&lock));
    let installed = || {
        fs::read_to_string(web.join(STAMP)).is_ok_and(|s| s.trim() == want)
            || newer(
                &web.join("node_modules/.package-lock.json"),
                &web.join("package-lock.json"),
            )
    };
    if installed() {
        return;
    }
    // Builds of several profiles or target dirs may run at once; one installs.
    let _guard = InstallLock::take(&web.join(".npm-install.lock"));
    if installed() {
        return;
    }
    run(
        web,
        npm,
        &[
            "ci",
            "--include=dev",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ],
        &[],
        "npm ci (installing the web app's packages from web/package-lock.json)",
    );
    fs::write(web.join(STAMP), &want)
        .unwrap_or_else(|e| fail(&format!("cannot write {STAMP}: {e}")));
}

/// Whether `a` exists and was modified after `b`.
fn newer(a: &Path, b: &Path) -> bool {
    let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    matches!((modified(a), modified(b)), (Some(a), Some(b)) if a > b)
}

/// Type-checks and bundles the app into `dist` (vite.config.ts reads TRAIL_WEB_OUT_DIR).
fn build(web: &Path, npm: &str, dist: &Path) {
    run(
        web,
        npm,
        &["run", "build", "--silent"],
        &[("TRAIL_WEB_OUT_DIR", dist)],
        "npm run build (type-checking and bundling web/)",
    );
    if !dist.join("index.html").is_file() {
        fail(&format!(
            "npm run build left no index.html in {}",
            dist.display()
        ));
    }
}

/// A directory used as a lock: creating it is atomic. A lock older than the
/// longest install is left over from a killed build and is taken over.
struct InstallLock(PathBuf);

impl InstallLock {
    fn take(path: &Path) -> InstallLock {
        let stale = Duration::from_secs(15 * 60);
        let started = SystemTime::now();
        loop {
            match fs::create_dir(path) {
                Ok(()) => return InstallLock(path.to_path_buf()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let age = fs::metadata(path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .unwrap_or_default();
                    if age > stale {
                        let _ = fs::remove_dir(path);
                    } else if started.elapsed().unwrap_or_default() > stale {
                        fail(&format!("{} is held by another build", path.display()));
                    } else {
                        std::thread::sleep(Duration::from_millis(500));
                    }
                }
                Err(e) => fail(&format!("cannot create {}: {e}", path.display())),
            }
        }
    }
}

impl Drop for InstallLock {
    fn drop(&mut self) {
        let _ = fs::remove_dir(&self.0);
    }
}

/// The Rust source of the table of built files, sorted by URL path.
fn asset_table(dist: &Path) -> String {
    let mut files = Vec::new();
    walk(dist, &mut files);
    let mut rows: Vec<(String, PathBuf)> = files
        .into_iter()
        .filter(|p| p.extension().is_none_or(|e| e != "br"))
        .map(|p| {
            let rel = p.strip_prefix(dist).expect("under dist");
            let url: Vec<_> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect();
            (format!("/{}", url.join("/")), p)
        })
        .collect();
    rows.sort();
    let mut out = String::from("pub static ASSETS: &[Asset] = &[\n");
    for (url, file) in rows {
        let body = fs::read(&file)
            .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", file.display())));
        let br = PathBuf::from(format!("{}.br", file.display()));
        let brotli = if br.is_file() {
            format!("Some(include_bytes!({:?}))", br.display().to_string())
        } else {
            "None".into()
        };
        let _ = writeln!(
            out,
            "    Asset {{ path: {url:?}, body: include_bytes!({file:?}), brotli: {brotli}, \
             content_type: {ct:?}, etag: {etag:?}, immutable: {immutable} }},",
            file = file.display().to_string(),
            ct = content_type(&url),
            etag = format!("\"{:016x}\"", fnv1a(&body)),
            immutable = url.starts_with("/assets/"),
        );
    }
    out.push_str("];\n");
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries =
        fs::read_dir(dir).unwrap_or_else(|e| fail(&format!("cannot list {}: {e}", dir.display())));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit('.').next().unwrap_or_default();
    match ext {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        "webmanifest" => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

/// FNV-1a, 64 bits: enough to tell versions of a file apart for ETags, with no dependency.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}
