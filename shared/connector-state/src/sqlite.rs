//! `--state sqlite:PATH` (the default): one embedded SQLite file in WAL mode. It survives
//! restarts, and several processes on one host may share it: every primitive runs in an
//! `IMMEDIATE` transaction, so two processes never both win a claim. Commits are synchronous
//! (`synchronous = FULL`): a claim recorded before an upstream write is on disk before the write
//! is sent.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::backend::{Backend, Kind};
use crate::{StateError, millis, now_ms};

/// Sweep expired rows every this many writes.
const SWEEP_EVERY: u64 = 256;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS list_items (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    list TEXT NOT NULL,
    value TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS list_items_by_list ON list_items (list, seq);
";

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteBackend {
    path: PathBuf,
    conn: Arc<Mutex<Db>>,
}

#[derive(Debug)]
struct Db {
    conn: Connection,
    writes: u64,
}

fn err(e: impl std::fmt::Display) -> StateError {
    StateError::new("sqlite", e.to_string())
}

fn expiry(ttl: Duration) -> i64 {
    i64::try_from(now_ms().saturating_add(millis(ttl))).unwrap_or(i64::MAX)
}

fn now() -> i64 {
    i64::try_from(now_ms()).unwrap_or(i64::MAX)
}

impl SqliteBackend {
    /// Opens (creating if needed) the store at `path`; its directory is created too. Fails with a
    /// message naming the path when it cannot be created or written.
    pub fn open(path: &Path) -> Result<Self, StateError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                err(format!(
                    "cannot create the state directory {}: {e}; set --state-dir (MCP_STATE_DIR) to a writable directory",
                    dir.display()
                ))
            })?;
        }
        let conn = Connection::open(path).map_err(|e| {
            err(format!(
                "cannot open {}: {e}; set --state-dir (MCP_STATE_DIR) to a writable directory",
                path.display()
            ))
        })?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .and_then(|()| conn.pragma_update(None, "synchronous", "FULL"))
            .and_then(|()| conn.execute_batch(SCHEMA))
            .map_err(|e| {
                err(format!(
                    "cannot write {}: {e}; set --state-dir (MCP_STATE_DIR) to a writable directory",
                    path.display()
                ))
            })?;
        Ok(SqliteBackend {
            path: path.to_owned(),
            conn: Arc::new(Mutex::new(Db { conn, writes: 0 })),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on the connection on a blocking thread.
    async fn run<T: Send + 'static>(
        &self,
        write: bool,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StateError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut db = conn.lock();
            let out = f(&mut db.conn).map_err(err)?;
            if write {
                db.writes += 1;
                if db.writes.is_multiple_of(SWEEP_EVERY) {
                    let now = now();
                    db.conn
                        .execute("DELETE FROM kv WHERE expires_at_ms <= ?1", params![now])
                        .and_then(|_| {
                            db.conn.execute(
                                "DELETE FROM list_items WHERE expires_at_ms <= ?1",
                                params![now],
                            )
                        })
                        .map_err(err)?;
                }
            }
            Ok(out)
        })
        .await
        .map_err(|e| err(format!("the state worker stopped: {e}")))?
    }
}

fn live(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT value FROM kv WHERE key = ?1 AND expires_at_ms > ?2",
        params![key, now()],
        |row| row.get(0),
    )
    .optional()
}

fn upsert(conn: &Connection, key: &str, value: &str, ttl: Duration) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO kv (key, value, expires_at_ms) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at_ms = excluded.expires_at_ms",
        params![key, value, expiry(ttl)],
    )
    .map(|_| ())
}

#[async_trait]
impl Backend for SqliteBackend {
    fn kind(&self) -> Kind {
        Kind::Sqlite
    }

    fn describe(&self) -> String {
        format!("sqlite:{}", self.path.display())
    }

    async fn ping(&self) -> Result<(), StateError> {
        self.run(false, |c| c.query_row("SELECT 1", [], |_| Ok(())))
            .await
    }

    async fn get(&self, key: &str) -> Result<Option<String>, StateError> {
        let key = key.to_owned();
        self.run(false, move |c| live(c, &key)).await
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StateError> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.run(true, move |c| upsert(c, &key, &value, ttl)).await
    }

    async fn set_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<Option<String>, StateError> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.run(true, move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if let Some(existing) = live(&tx, &key)? {
                return Ok(Some(existing));
            }
            upsert(&tx, &key, &value, ttl)?;
            tx.commit()?;
            Ok(None)
        })
        .await
    }

    async fn swap_if(
        &self,
        key: &str,
        expected: &str,
        new: Option<&str>,
        ttl: Duration,
    ) -> Result<bool, StateError> {
        let (key, expected, new) = (key.to_owned(), expected.to_owned(), new.map(str::to_owned));
        self.run(true, move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if live(&tx, &key)?.as_deref() != Some(expected.as_str()) {
                return Ok(false);
            }
            match &new {
                Some(v) => upsert(&tx, &key, v, ttl)?,
                None => {
                    tx.execute("DELETE FROM kv WHERE key = ?1", params![key])?;
                }
            }
            tx.commit()?;
            Ok(true)
        })
        .await
    }

    async fn delete(&self, key: &str) -> Result<(), StateError> {
        let key = key.to_owned();
        self.run(true, move |c| {
            c.execute("DELETE FROM kv WHERE key = ?1", params![key])
                .map(|_| ())
        })
        .await
    }

    async fn push(
        &self,
        list: &str,
        value: &str,
        max_len: usize,
        ttl: Duration,
    ) -> Result<(), StateError> {
        let (list, value) = (list.to_owned(), value.to_owned());
        let keep = i64::try_from(max_len).unwrap_or(i64::MAX);
        self.run(true, move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let until = expiry(ttl);
            tx.execute(
                "INSERT INTO list_items (list, value, expires_at_ms) VALUES (?1, ?2, ?3)",
                params![list, value, until],
            )?;
            tx.execute(
                "UPDATE list_items SET expires_at_ms = ?2 WHERE list = ?1",
                params![list, until],
            )?;
            tx.execute(
                "DELETE FROM list_items WHERE list = ?1 AND seq NOT IN
                   (SELECT seq FROM list_items WHERE list = ?1 ORDER BY seq DESC LIMIT ?2)",
                params![list, keep],
            )?;
            tx.commit()
        })
        .await
    }

    async fn range(
        &self,
        list: &str,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<String>, StateError> {
        let list = list.to_owned();
        let (offset, limit) = (
            i64::try_from(offset).unwrap_or(i64::MAX),
            i64::try_from(limit).unwrap_or(i64::MAX),
        );
        self.run(false, move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT value FROM list_items WHERE list = ?1 AND expires_at_ms > ?2
                 ORDER BY seq DESC LIMIT ?3 OFFSET ?4",
            )?;
            stmt.query_map(params![list, now(), limit, offset], |row| row.get(0))?
                .collect()
        })
        .await
    }
}
