//! A throwaway nginx (single process, `master_process off`) in a temp dir, serving an
//! `http`-context config template (upstream and server blocks) with `${NAME}` placeholders.
//!
//! ```ignore
//! let port = free_port();
//! let nginx = Nginx::start(
//!     Path::new("tests/fixtures/lb.conf"),
//!     &[("NGINX_LISTEN_PORT", &port.to_string()), ("SUITE_UPSTREAM_A", "127.0.0.1:1234")],
//! )
//! .await?;
//! let body = reqwest::get(format!("{}/", nginx.url())).await?.text().await?;
//! ```

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tempfile::TempDir;
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use crate::external::{ensure_exists, kill_and_reap, locate, read_lossy};

const PACKAGE: &str = "nginx";

/// A running nginx; killed (and reaped) on drop. With `master_process off` it is a single
/// process, so nothing stays behind.
#[derive(Debug)]
pub struct Nginx {
    child: Child,
    port: u16,
    dir: TempDir,
}

impl Nginx {
    /// Renders `template` with `vars` (see below), wraps it in a minimal main config
    /// (pid, logs and temp paths in a temp dir), runs `nginx` (from `PATH`, or
    /// `/usr/sbin/nginx`) and waits (≤ 10 s) until the port of the first `listen` directive
    /// accepts connections.
    ///
    /// Each `${NAME}` in the template is replaced by the value of `NAME` in `vars`. A
    /// placeholder in capitals (`${[A-Z0-9_]+}`) left without a value is an error; nginx's
    /// own variables (`$host`, `${host}`) are left as they are. The access log lines read
    /// `$remote_addr "$request" $status upstream=$upstream_addr`.
    pub async fn start(template: &Path, vars: &[(&str, &str)]) -> anyhow::Result<Self> {
        Self::start_with(
            &locate("nginx", "/usr/sbin/nginx", PACKAGE)?,
            template,
            vars,
        )
        .await
    }

    pub(crate) async fn start_with(
        bin: &Path,
        template: &Path,
        vars: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        ensure_exists(bin, PACKAGE)?;
        let text = std::fs::read_to_string(template)
            .with_context(|| format!("reading {}", template.display()))?;
        let site =
            render(&text, vars).with_context(|| format!("rendering {}", template.display()))?;
        let port = listen_port(&site)
            .with_context(|| format!("{}: no `listen PORT;` directive", template.display()))?;

        let dir = tempfile::Builder::new().prefix("testkit-nginx").tempdir()?;
        let d = dir.path().display();
        std::fs::write(dir.path().join("site.conf"), site)?;
        let main = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\n\
             error_log {d}/error.log info;\nevents {{ worker_connections 256; }}\nhttp {{\n\
             \x20   log_format testkit '$remote_addr \"$request\" $status upstream=$upstream_addr';\n\
             \x20   access_log {d}/access.log testkit;\n\
             \x20   client_body_temp_path {d}/client_body;\n\
             \x20   proxy_temp_path {d}/proxy;\n\
             \x20   fastcgi_temp_path {d}/fastcgi;\n\
             \x20   uwsgi_temp_path {d}/uwsgi;\n\
             \x20   scgi_temp_path {d}/scgi;\n\
             \x20   include {d}/site.conf;\n}}\n"
        );
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, main)?;
        let out = File::create(dir.path().join("stderr.log"))?;
        // `-e` keeps nginx away from the packaged /var/log/nginx/error.log during startup.
        let mut child = Command::new(bin)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("spawning {}", bin.display()))?;

        let logs = |dir: &Path| {
            format!(
                "{}{}",
                read_lossy(&dir.join("stderr.log")),
                read_lossy(&dir.join("error.log"))
            )
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = child.try_wait()? {
                bail!(
                    "nginx exited ({status}) at startup; its logs:\n{}",
                    logs(dir.path())
                );
            }
            if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Ok(Nginx { child, port, dir });
            }
            if Instant::now() > deadline {
                kill_and_reap(&mut child);
                bail!(
                    "nginx did not accept connections on port {port} within 10 s; its logs:\n{}",
                    logs(dir.path())
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port nginx listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The access log so far (written unbuffered, one line per request).
    pub fn access_log(&self) -> String {
        read_lossy(&self.path("access.log"))
    }

    /// The error log so far.
    pub fn error_log(&self) -> String {
        read_lossy(&self.path("error.log"))
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        kill_and_reap(&mut self.child);
    }
}

/// Replaces each `${NAME}` by its value; fails on capitalised placeholders without one.
fn render(template: &str, vars: &[(&str, &str)]) -> anyhow::Result<String> {
    let mut out = String::with_capacity(template.len());
    let mut missing = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let name = rest[2..]
            .split('}')
            .next()
            .filter(|_| rest[2..].contains('}'));
        match name {
            Some(name)
                if !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_') =>
            {
                match vars.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => missing.push(name),
                }
                rest = &rest[name.len() + 3..];
            }
            _ => {
                out.push_str("${");
                rest = &rest[2..];
            }
        }
    }
    out.push_str(rest);
    if !missing.is_empty() {
        bail!("no value given for ${{{}}}", missing.join("}, ${"));
    }
    Ok(out)
}

/// The port of the first `listen` directive (`listen 8080;`, `listen 127.0.0.1:8080 …;`).
fn listen_port(config: &str) -> Option<u16> {
    let uncommented: String = config
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let spaced = uncommented.replace(['{', '}', ';'], " ; ");
    let words: Vec<&str> = spaced.split_whitespace().collect();
    let at = (0..words.len()).find(|&i| words[i] == "listen" && (i == 0 || words[i - 1] == ";"))?;
    words.get(at + 1)?.rsplit(':').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_fills_placeholders_and_leaves_nginx_variables() {
        let t = "listen ${PORT}; proxy_set_header Host $host; set $x \"${host}\";";
        assert_eq!(
            render(t, &[("PORT", "8080")]).unwrap(),
            "listen 8080; proxy_set_header Host $host; set $x \"${host}\";"
        );
        let err = render("${A} ${B} ${C}", &[("B", "b")])
            .unwrap_err()
            .to_string();
        assert_eq!(err, "no value given for ${A}, ${C}");
    }

    #[test]
    fn listen_port_reads_the_first_listen_directive() {
        assert_eq!(
            listen_port("server {\n  listen 127.0.0.1:8080 default_server;\n}"),
            Some(8080)
        );
        assert_eq!(listen_port("  listen 9000;\n listen 9001;"), Some(9000));
        assert_eq!(listen_port("server { listen [::1]:81; }"), Some(81));
        assert_eq!(listen_port("# listen 1;\nserver { access_log off; }"), None);
    }

    #[tokio::test]
    async fn a_missing_binary_names_the_package() {
        let err = Nginx::start_with(Path::new("/nonexistent/nginx"), Path::new("x.conf"), &[])
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("/nonexistent/nginx not found") && err.contains("apt-get install nginx"),
            "{err}"
        );
    }

    /// With `master_process off` nginx is one process: no worker to leave behind.
    #[tokio::test]
    async fn nginx_runs_as_a_single_process_and_is_reaped_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let template = dir.path().join("site.conf");
        let conf = "server { listen 127.0.0.1:${PORT}; location / { return 200 \"ok\"; } }";
        std::fs::write(&template, conf).unwrap();
        let port = crate::free_port().to_string();
        let nginx = Nginx::start(&template, &[("PORT", &port)]).await.unwrap();
        let pid = nginx.child.id().unwrap();
        let children: Vec<String> = std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("stat")).ok())
            .filter(|stat| {
                // pid (comm) state ppid …
                let after_comm = stat.rsplit_once(')').map_or("", |(_, r)| r);
                after_comm.split_whitespace().nth(1) == Some(&*pid.to_string())
            })
            .collect();
        assert!(
            children.is_empty(),
            "nginx has child processes: {children:?}"
        );
        drop(nginx);
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "nginx {pid} is still there"
        );
    }
}
