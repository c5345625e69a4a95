//! An rmcp client with the knobs tests need.

use std::process::Stdio;

use anyhow::{Context, bail};
use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult,
    ElicitationAction, ElicitationCapability, Implementation, ProtocolVersion,
};
use rmcp::service::{
    ClientLifecycleMode, ClientServiceExt, RequestContext, RoleClient, RunningService,
};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{ClientHandler, ErrorData};
use serde_json::{Value, json};

/// Which protocol era the client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Era {
    /// `initialize` handshake, 2025-11-25.
    Legacy,
    /// `server/discover`, per-request `_meta`, 2026-07-28.
    Modern,
}

/// How the client answers elicitation requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elicit {
    /// The client does not declare elicitation.
    Unsupported,
    /// Declares it and approves.
    Approve,
    /// Declares it and declines.
    Decline,
}

/// Client settings.
#[derive(Debug, Clone, Copy)]
pub struct ClientOptions {
    /// Protocol era.
    pub era: Era,
    /// Elicitation behaviour.
    pub elicit: Elicit,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            era: Era::Legacy,
            elicit: Elicit::Unsupported,
        }
    }
}

#[derive(Debug, Clone)]
struct Handler {
    elicit: Elicit,
    seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl ClientHandler for Handler {
    fn get_info(&self) -> ClientConfig {
        let mut caps = ClientCapabilities::default();
        if self.elicit != Elicit::Unsupported {
            caps.elicitation = Some(ElicitationCapability::new());
        }
        ClientConfig::new(caps, Implementation::new("connector-testkit", "0.1.0"))
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        if let ElicitRequestParams::FormElicitationParams { message, .. } = &request {
            self.seen.lock().expect("poisoned").push(message.clone());
        }
        Ok(match self.elicit {
            Elicit::Approve => {
                ElicitResult::new(ElicitationAction::Accept).with_content(json!({"approve": true}))
            }
            _ => ElicitResult::new(ElicitationAction::Decline),
        })
    }
}

/// A connected client.
#[derive(Debug)]
pub struct Client {
    service: RunningService<RoleClient, Handler>,
    seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    _state_dir: Option<tempfile::TempDir>,
}

/// A tool result, flattened for assertions.
#[derive(Debug, Clone)]
pub struct ToolResult {
    /// `isError`.
    pub is_error: bool,
    /// All text blocks joined with newlines.
    pub text: String,
    /// `structuredContent` (Null if absent).
    pub structured: Value,
}

impl Client {
    /// Starts `bin` with `args` and `env` as a child process and connects over stdio.
    pub async fn stdio(
        bin: &str,
        args: &[&str],
        env: &[(&str, &str)],
        opts: ClientOptions,
    ) -> anyhow::Result<Self> {
        let mut cmd = tokio::process::Command::new(bin);
        cmd.args(args)
            .envs(env.iter().copied())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        if std::env::var_os("TESTKIT_SHOW_STDERR").is_some() {
            cmd.stderr(Stdio::inherit());
        }
        let state_dir = crate::process::own_state_dir(&mut cmd, args, env)?;
        let transport = TokioChildProcess::new(cmd).context("spawning the connector")?;
        let mut client = Self::connect(transport, opts).await?;
        client._state_dir = state_dir;
        Ok(client)
    }

    /// Connects over streamable HTTP to `url`, optionally with a bearer token.
    pub async fn http(
        url: &str,
        bearer: Option<&str>,
        opts: ClientOptions,
    ) -> anyhow::Result<Self> {
        let mut config = StreamableHttpClientTransportConfig::with_uri(url.to_owned());
        if let Some(token) = bearer {
            config = config.auth_header(token.to_owned());
        }
        Self::connect(StreamableHttpClientTransport::from_config(config), opts).await
    }

    async fn connect<T, E, A>(transport: T, opts: ClientOptions) -> anyhow::Result<Self>
    where
        T: rmcp::transport::IntoTransport<RoleClient, E, A>,
        E: std::error::Error + Send + Sync + 'static,
    {
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let handler = Handler {
            elicit: opts.elicit,
            seen: seen.clone(),
        };
        let mode = match opts.era {
            Era::Legacy => ClientLifecycleMode::Initialize,
            Era::Modern => ClientLifecycleMode::Discover {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            },
        };
        let service = handler
            .serve_with_lifecycle(transport, mode)
            .await
            .context("connecting the MCP client")?;
        Ok(Client {
            service,
            seen,
            _state_dir: None,
        })
    }

    /// Every tool (all pages).
    pub async fn list_all_tools(&self) -> anyhow::Result<Vec<rmcp::model::Tool>> {
        Ok(self.service.peer().list_all_tools().await?)
    }

    /// Calls `name` with `args` (a JSON object), driving MRTR rounds.
    pub async fn call(&self, name: &str, args: Value) -> anyhow::Result<ToolResult> {
        let Value::Object(map) = args else {
            bail!("arguments must be a JSON object")
        };
        let params = CallToolRequestParams::new(name.to_owned()).with_arguments(map);
        let r = self.service.call_tool(params).await?;
        let text = r
            .content
            .iter()
            .filter_map(|c| c.as_text().map(|t| t.text.clone()))
            .collect::<Vec<_>>()
            .join("\n");
        Ok(ToolResult {
            is_error: r.is_error == Some(true),
            text,
            structured: r.structured_content.unwrap_or(Value::Null),
        })
    }

    /// Calls a write tool twice: once for the preview, then again with the
    /// confirmation token it returned. Returns (preview, result).
    pub async fn call_confirmed(
        &self,
        name: &str,
        args: Value,
    ) -> anyhow::Result<(ToolResult, ToolResult)> {
        let preview = self.call(name, args.clone()).await?;
        let Some(token) = preview.structured["confirmation_token"].as_str() else {
            bail!("no confirmation token in the preview: {}", preview.text);
        };
        let mut args = args;
        args["confirmation_token"] = Value::String(token.to_owned());
        let result = self.call(name, args).await?;
        Ok((preview, result))
    }

    /// Messages of elicitation requests this client has answered.
    pub fn elicitations(&self) -> Vec<String> {
        self.seen.lock().expect("poisoned").clone()
    }

    /// The raw rmcp peer.
    pub fn peer(&self) -> &rmcp::service::Peer<RoleClient> {
        self.service.peer()
    }

    /// Closes the connection.
    pub async fn close(self) -> anyhow::Result<()> {
        self.service.cancel().await?;
        Ok(())
    }
}
