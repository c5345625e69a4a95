//! The MCP server a connector becomes: rmcp's `ServerHandler`, with argument
//! validation, the caller's identity and MRTR state handed to tools, metrics,
//! and only the `tools` capability declared.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use connector_confirm::RoundTrip;
use rmcp::ErrorData;
use rmcp::ServerHandler;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::{
    CacheScope, CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock,
    GetPromptRequestMethod, GetPromptRequestParams, GetPromptResponse, Implementation,
    ListPromptsRequestMethod, ListPromptsResult, ListResourceTemplatesRequestMethod,
    ListResourceTemplatesResult, ListResourcesRequestMethod, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ProtocolVersion, ReadResourceRequestMethod, ReadResourceRequestParams,
    ReadResourceResponse, ResultType, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::{RequestContext, RoleServer};
use serde_json::Value;

use crate::connector::Connector;
use crate::metrics::Metrics;
use crate::policy::Selection;

/// A connector, mounted: cheap to clone (one per HTTP request in stateless mode).
pub struct McpServer<C: Connector> {
    inner: Arc<Inner<C>>,
}

struct Inner<C: Connector> {
    connector: C,
    router: ToolRouter<C>,
    /// Per-tool argument validators, compiled on the tool's first call so a
    /// cold start pays nothing for tools it never uses.
    validators: HashMap<String, OnceLock<Option<jsonschema::Validator>>>,
    selection: Selection,
    metrics: Arc<Metrics>,
}

impl<C: Connector> Clone for McpServer<C> {
    fn clone(&self) -> Self {
        McpServer {
            inner: self.inner.clone(),
        }
    }
}

impl<C: Connector> std::fmt::Debug for McpServer<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpServer")
            .field("connector", &C::NAME)
            .finish_non_exhaustive()
    }
}

impl<C: Connector> McpServer<C> {
    /// Mounts `connector` with its policy-filtered `router`.
    pub fn new(
        connector: C,
        router: ToolRouter<C>,
        selection: Selection,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Self> {
        let validators = router
            .list_all()
            .into_iter()
            .map(|t| (t.name.to_string(), OnceLock::new()))
            .collect();
        Ok(McpServer {
            inner: Arc::new(Inner {
                connector,
                router,
                validators,
                selection,
                metrics,
            }),
        })
    }

    /// Compiles every tool's input schema now (validators are otherwise
    /// compiled lazily on first call); `doctor` reports the result.
    pub fn check_schemas(&self) -> Result<usize, String> {
        for tool in self.inner.router.list_all() {
            let schema = Value::Object((*tool.input_schema).clone());
            jsonschema::options()
                .should_validate_formats(true)
                .build(&schema)
                .map_err(|e| format!("tool {}: invalid input schema: {e}", tool.name))?;
        }
        Ok(self.inner.validators.len())
    }

    /// The enabled tools, sorted by name.
    pub fn tools(&self) -> Vec<Tool> {
        self.inner.router.list_all()
    }

    /// The policy selection (specs of enabled tools).
    pub fn selection(&self) -> &Selection {
        &self.inner.selection
    }

    /// The connector itself (for `doctor`).
    pub fn connector(&self) -> &C {
        &self.inner.connector
    }

    /// Validates arguments against the tool's input schema; the error names
    /// every offending field.
    fn validate(&self, name: &str, args: &Value) -> Result<(), String> {
        let Some(slot) = self.inner.validators.get(name) else {
            return Ok(());
        };
        let compiled = slot.get_or_init(|| {
            let schema = self.inner.router.get(name).map(|t| Value::Object((*t.input_schema).clone()))?;
            match jsonschema::options().should_validate_formats(true).build(&schema) {
                Ok(v) => Some(v),
                Err(e) => {
                    // A connector bug: the schema comes from its own types.
                    // Arguments are still checked by deserialization.
                    tracing::error!(tool = name, error = %e, "invalid input schema; argument pre-validation disabled for this tool");
                    None
                }
            }
        });
        let Some(validator) = compiled else {
            return Ok(());
        };
        let problems: Vec<String> = validator
            .iter_errors(args)
            .take(8)
            .map(|e| {
                let path = e.instance_path().to_string();
                let field = if path.is_empty() {
                    "arguments".to_owned()
                } else {
                    path.trim_start_matches('/').replace('/', ".")
                };
                format!("`{field}`: {e}")
            })
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "Invalid arguments for {name}: {}",
                problems.join("; ")
            ))
        }
    }
}

fn cache_hints(ctx: &RequestContext<RoleServer>) -> (Option<u64>, Option<CacheScope>) {
    let modern = ctx
        .protocol_version()
        .is_some_and(|v| v >= ProtocolVersion::V_2026_07_28);
    (modern.then_some(0), modern.then_some(CacheScope::Public))
}

impl<C: Connector> ServerHandler for McpServer<C> {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(C::BINARY, C::VERSION))
            .with_instructions(C::INSTRUCTIONS.to_owned())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let (ttl_ms, cache_scope) = cache_hints(&context);
        Ok(ListToolsResult {
            result_type: Some(ResultType::COMPLETE),
            tools: self.inner.router.list_all(),
            meta: None,
            next_cursor: None,
            ttl_ms,
            cache_scope,
        })
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.inner.router.get(name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        mut context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let started = Instant::now();
        let name = request.name.to_string();
        if !self.inner.router.has_route(&name) {
            return Err(ErrorData::invalid_params(
                format!("unknown tool {name:?}"),
                None,
            ));
        }
        let args = Value::Object(request.arguments.clone().unwrap_or_default());
        if let Err(msg) = self.validate(&name, &args) {
            self.inner
                .metrics
                .record_call(&name, "invalid", started.elapsed());
            return Ok(CallToolResult::error(vec![ContentBlock::text(msg)]).into());
        }
        context.extensions.insert(RoundTrip {
            request_state: request.request_state.clone(),
            input_responses: request.input_responses.clone(),
        });
        let tcc = ToolCallContext::new(&self.inner.connector, request, context);
        let result = self.inner.router.call(tcc).await;
        let outcome = match &result {
            Ok(CallToolResponse::Complete(r)) if r.is_error == Some(true) => "error",
            Ok(CallToolResponse::InputRequired(_)) => "input_required",
            Ok(_) => "ok",
            Err(_) => "protocol_error",
        };
        self.inner
            .metrics
            .record_call(&name, outcome, started.elapsed());
        result
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Err(ErrorData::method_not_found::<ListPromptsRequestMethod>())
    }

    async fn get_prompt(
        &self,
        _request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        Err(ErrorData::method_not_found::<GetPromptRequestMethod>())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Err(ErrorData::method_not_found::<ListResourcesRequestMethod>())
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Err(ErrorData::method_not_found::<
            ListResourceTemplatesRequestMethod,
        >())
    }

    async fn read_resource(
        &self,
        _request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        Err(ErrorData::method_not_found::<ReadResourceRequestMethod>())
    }
}
