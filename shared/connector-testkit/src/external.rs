//! Plumbing shared by the helpers that run external servers (redis-server, nginx): free
//! ports, finding a binary, and killing a process for good.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::process::Child;

/// A TCP port on 127.0.0.1 that was free a moment ago: binds port 0, reads the port the
/// kernel chose and closes the listener. Another process may take it in between (rare); the
/// helpers that choose their own port retry on another one.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding 127.0.0.1:0")
}

/// `name` from `PATH`, else `fallback` if that file exists; the error says which Debian
/// package to install.
pub(crate) fn locate(name: &str, fallback: &str, package: &str) -> anyhow::Result<PathBuf> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .chain([PathBuf::from(fallback)])
        .find(|p| p.is_file())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{name} not found on PATH or at {fallback}: {}",
                install_hint(package)
            )
        })
}

/// Fails, naming the package to install, unless `bin` is a file.
pub(crate) fn ensure_exists(bin: &Path, package: &str) -> anyhow::Result<()> {
    if bin.is_file() {
        return Ok(());
    }
    anyhow::bail!("{} not found: {}", bin.display(), install_hint(package))
}

fn install_hint(package: &str) -> String {
    format!("install Debian's {package} package (apt-get install {package})")
}

/// A file's contents, or a note that it could not be read (for error messages).
pub(crate) fn read_lossy(path: &Path) -> String {
    std::fs::read(path).map_or_else(
        |e| format!("({} unreadable: {e})", path.display()),
        |b| String::from_utf8_lossy(&b).into_owned(),
    )
}

/// SIGKILLs `child` and reaps it (≤ 5 s) without an async context, so that the port and the
/// process are gone once a helper is dropped.
pub(crate) fn kill_and_reap(child: &mut Child) {
    if child.start_kill().is_err() {
        return; // already reaped
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_binary_missing_from_path_names_the_package() {
        let err = super::locate("testkit-no-such-server", "/nonexistent/x", "some-pkg")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "testkit-no-such-server not found on PATH or at /nonexistent/x: \
             install Debian's some-pkg package (apt-get install some-pkg)"
        );
    }
}
