//! The shared state handle: the store behind a lock, credentials and OAuth tokens, and the
//! rate limiter.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::{Value, json};

use crate::Options;
use crate::seed::{NO_BASIC_USER, seed};
use crate::store::{Caller, Row, SnError, Store};

/// Width of the rate-limit window.
const RATE_WINDOW: Duration = Duration::from_secs(1);

/// Handle on the mock's state, shared by its routes, its admin API and tests.
///
/// Cheap to clone: all clones share the same state.
#[derive(Debug, Clone)]
pub struct MockServiceNow {
    options: Arc<Options>,
    pub(crate) store: Arc<Mutex<Store>>,
    tokens: Arc<Mutex<Tokens>>,
    limiter: Arc<Mutex<VecDeque<Instant>>>,
}

#[derive(Debug, Default)]
struct Tokens {
    counter: u64,
    /// Access token → (user name, expiry).
    access: HashMap<String, (String, Instant)>,
    /// Refresh token → user name.
    refresh: HashMap<String, String>,
}

/// What the rate limiter decided for one request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Admission {
    pub limit: u32,
    pub remaining: u32,
    pub refused: bool,
}

/// Why authentication failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthFailure {
    /// No or wrong credentials.
    Invalid,
    /// Right password, but the user may not use basic auth.
    BasicNotAllowed(String),
}

/// A failed OAuth token request: status and body.
pub(crate) type OAuthError = (u16, Value);

impl MockServiceNow {
    /// Fresh seed state with these options.
    pub fn new(options: Options) -> Self {
        let store = seed(&options.username);
        Self {
            options: Arc::new(options),
            store: Arc::new(Mutex::new(store)),
            tokens: Arc::default(),
            limiter: Arc::default(),
        }
    }

    /// The options the mock runs with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Restores the seed, forgets issued tokens and clears the rate limiter.
    pub fn reset(&self) {
        *self.store.lock() = seed(&self.options.username);
        *self.tokens.lock() = Tokens::default();
        self.limiter.lock().clear();
    }

    /// How many records a table holds (0 for unknown tables).
    pub fn count(&self, table: &str) -> usize {
        self.store.lock().rows(table).len()
    }

    /// One record's stored values (every value a string; journals are in
    /// `sys_journal_field`), or `None`.
    pub fn record(&self, table: &str, sys_id: &str) -> Option<Value> {
        self.store.lock().find(table, sys_id).map(row_json)
    }

    /// Stored records of a table matching an encoded query, in the query's order.
    pub fn query(&self, table: &str, encoded_query: &str) -> Vec<Value> {
        let Some(def) = crate::schema::table(table) else {
            return Vec::new();
        };
        let store = self.store.lock();
        store
            .select(def, encoded_query)
            .into_iter()
            .map(row_json)
            .collect()
    }

    /// Makes every issued access token expire now (refresh tokens stay valid).
    pub fn expire_tokens(&self) {
        let now = Instant::now();
        for (_, expiry) in self.tokens.lock().access.values_mut() {
            *expiry = now;
        }
    }

    /// The caller for a user name, if the user exists and is active.
    fn caller(&self, user_name: &str) -> Option<Caller> {
        let store = self.store.lock();
        let row = store
            .rows("sys_user")
            .iter()
            .find(|u| u.get("user_name").is_some_and(|n| n == user_name))?;
        if row.get("active").is_some_and(|a| a == "false") {
            return None;
        }
        Some(Caller {
            user_name: user_name.to_owned(),
            sys_id: row.get("sys_id").cloned().unwrap_or_default(),
            read_only: row
                .get("roles")
                .is_some_and(|r| r.split(',').any(|role| role == "snc_read_only")),
        })
    }

    /// Checks a user name and password (every seeded user shares the configured password).
    fn password_user(&self, user_name: &str, password: &str) -> Option<Caller> {
        if password != self.options.password {
            return None;
        }
        self.caller(user_name)
    }

    pub(crate) fn basic(&self, user_name: &str, password: &str) -> Result<Caller, AuthFailure> {
        let caller = self
            .password_user(user_name, password)
            .ok_or(AuthFailure::Invalid)?;
        if user_name == NO_BASIC_USER {
            return Err(AuthFailure::BasicNotAllowed(user_name.to_owned()));
        }
        Ok(caller)
    }

    pub(crate) fn bearer(&self, token: &str) -> Option<Caller> {
        let user = {
            let tokens = self.tokens.lock();
            let (user, expiry) = tokens.access.get(token)?;
            if *expiry <= Instant::now() {
                return None;
            }
            user.clone()
        };
        self.caller(&user)
    }

    pub(crate) fn api_key(&self, key: &str) -> Option<Caller> {
        (key == self.options.api_key)
            .then(|| self.caller(&self.options.username))
            .flatten()
    }

    /// `POST /oauth_token.do`: the form fields, plus client credentials from a Basic header.
    pub(crate) fn issue_token(
        &self,
        form: &HashMap<String, String>,
        basic_client: Option<(String, String)>,
    ) -> Result<Value, OAuthError> {
        let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
        let (client_id, client_secret) = match basic_client {
            Some(pair) => pair,
            None => (
                field("client_id").to_owned(),
                field("client_secret").to_owned(),
            ),
        };
        if client_id != self.options.client_id || client_secret != self.options.client_secret {
            return Err((
                401,
                json!({"error": "invalid_client", "error_description": "access_denied"}),
            ));
        }
        let invalid_grant = || {
            (
                401,
                json!({"error": "invalid_grant", "error_description": "access_denied"}),
            )
        };
        let user = match field("grant_type") {
            "client_credentials" => self.options.username.clone(),
            "password" => {
                self.password_user(field("username"), field("password"))
                    .ok_or_else(invalid_grant)?
                    .user_name
            }
            "refresh_token" => self
                .tokens
                .lock()
                .refresh
                .get(field("refresh_token"))
                .cloned()
                .ok_or_else(invalid_grant)?,
            other => {
                return Err((
                    400,
                    json!({"error": "unsupported_grant_type", "error_description": format!("grant_type '{other}' is not supported")}),
                ));
            }
        };
        let mut tokens = self.tokens.lock();
        tokens.counter += 1;
        let n = tokens.counter;
        let access = format!(
            "mock-access-{n}-{}",
            &crate::store::sys_id(&format!("a{n}"))[..16]
        );
        let refresh = format!(
            "mock-refresh-{n}-{}",
            &crate::store::sys_id(&format!("r{n}"))[..16]
        );
        let ttl = Duration::from_secs(self.options.token_ttl_secs);
        tokens
            .access
            .insert(access.clone(), (user.clone(), Instant::now() + ttl));
        tokens.refresh.insert(refresh.clone(), user);
        Ok(json!({
            "access_token": access,
            "refresh_token": refresh,
            "scope": "useraccount",
            "token_type": "Bearer",
            "expires_in": self.options.token_ttl_secs,
        }))
    }

    /// Counts one API request against the per-second limit.
    pub(crate) fn admit(&self, now: Instant) -> Admission {
        let limit = self.options.rate_per_second;
        if limit == 0 {
            return Admission {
                limit: 0,
                remaining: 0,
                refused: false,
            };
        }
        let mut window = self.limiter.lock();
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= RATE_WINDOW)
        {
            window.pop_front();
        }
        let used = u32::try_from(window.len()).unwrap_or(u32::MAX);
        if used >= limit {
            return Admission {
                limit,
                remaining: 0,
                refused: true,
            };
        }
        window.push_back(now);
        Admission {
            limit,
            remaining: limit - used - 1,
            refused: false,
        }
    }

    /// Runs `f` with the store locked.
    pub(crate) fn with_store<T>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, SnError>,
    ) -> Result<T, SnError> {
        f(&mut self.store.lock())
    }
}

fn row_json(row: &Row) -> Value {
    Value::Object(
        row.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}
