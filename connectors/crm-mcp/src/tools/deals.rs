//! Toolset `deals`: find and read deals, see the pipelines, move a deal to
//! another stage.

use connector_kit::confirm::{Effect, Gate, WriteOutcome, WritePlan};
use rmcp::handler::server::tool::schema_for_output;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{CallToolResponse, CallToolResult};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, json};

use crate::Crm;
use crate::client::{ObjectKind, Pipeline, Record};
use crate::tools::contacts::RecordRef;
use crate::tools::{ID_PATTERN, RecordOut, RecordPage, SearchArgs, default_properties, tool_error};

/// Arguments of `get_deal`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetArgs {
    /// Deal id.
    #[schemars(regex(pattern = ID_PATTERN))]
    pub id: String,
    /// Properties to return besides the curated ones.
    #[serde(default)]
    #[schemars(length(max = 30))]
    pub properties: Vec<String>,
}

/// One stage change.
#[derive(Debug, Serialize, JsonSchema)]
pub struct StageChange {
    /// Stage id.
    pub stage: String,
    /// Stage label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// When the deal entered the stage (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// A deal with its stage history, contacts and companies.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DealDetail {
    /// The deal (`pipeline_label` and `dealstage_label` added to its properties).
    pub deal: RecordOut,
    /// Stage changes, newest first.
    pub stage_history: Vec<StageChange>,
    /// Associated contacts.
    pub contacts: Vec<RecordOut>,
    /// Associated companies.
    pub companies: Vec<RecordOut>,
}

/// Arguments of `update_deal_stage`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StageArgs {
    /// Deal id.
    #[schemars(regex(pattern = ID_PATTERN))]
    pub id: String,
    /// The new stage: its id or label (see `list_pipelines`), e.g. `Contract Sent`.
    #[schemars(length(min = 1, max = 100))]
    pub stage: String,
    /// The token from the preview (after the user approved it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_token: Option<String>,
}

/// Arguments of `list_pipelines`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelinesArgs {}

/// The deal pipelines.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PipelineList {
    /// Pipelines with their stages in order.
    pub pipelines: Vec<PipelineOut>,
}

/// One pipeline.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PipelineOut {
    /// Pipeline id (the `pipeline` property).
    pub id: String,
    /// Label.
    pub label: String,
    /// Stages in order.
    pub stages: Vec<StageOut>,
}

/// One stage.
#[derive(Debug, Serialize, JsonSchema)]
pub struct StageOut {
    /// Stage id (the `dealstage` property).
    pub id: String,
    /// Label.
    pub label: String,
    /// True for closed (won or lost) stages.
    pub closed: bool,
    /// Win probability, 0-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
}

#[tool_router(router = deals_tools, vis = "pub(crate)")]
impl Crm {
    /// Use this to find deals by property filters (e.g. dealstage EQ
    /// contractsent, amount GT 10000, closedate BETWEEN two dates) and/or free text.
    #[tool(name = "search_deals", title = "Search deals")]
    async fn search_deals(
        &self,
        Parameters(args): Parameters<SearchArgs>,
    ) -> Result<Json<RecordPage>, CallToolResult> {
        self.run_search(ObjectKind::Deals, args).await
    }

    /// Use this to read one deal with its stage history (labels and dates),
    /// contacts and companies.
    #[tool(name = "get_deal", title = "Get a deal")]
    async fn get_deal(
        &self,
        Parameters(args): Parameters<GetArgs>,
    ) -> Result<Json<DealDetail>, CallToolResult> {
        let kind = ObjectKind::Deals;
        let mut props: Vec<&str> = default_properties(kind).to_vec();
        props.extend(args.properties.iter().map(String::as_str));
        let deal = self
            .client
            .get(kind, &args.id, &props, &["dealstage"])
            .await
            .map_err(|e| e.to_tool_result())?;
        let pipelines = self
            .client
            .pipelines()
            .await
            .map_err(|e| e.to_tool_result())?;
        let contacts = self
            .associated_records(kind, &deal.id, ObjectKind::Contacts)
            .await
            .map_err(|e| e.to_tool_result())?;
        let companies = self
            .associated_records(kind, &deal.id, ObjectKind::Companies)
            .await
            .map_err(|e| e.to_tool_result())?;
        let stage_history = deal
            .properties_with_history
            .get("dealstage")
            .into_iter()
            .flatten()
            .filter_map(|h| {
                let stage = h.value.clone()?;
                Some(StageChange {
                    label: stage_label(&pipelines, &stage),
                    stage,
                    at: h.timestamp.clone(),
                })
            })
            .collect();
        Ok(Json(DealDetail {
            deal: self.deal_out(&deal, &pipelines),
            stage_history,
            contacts: contacts
                .iter()
                .map(|r| self.record_out(ObjectKind::Contacts, r))
                .collect(),
            companies: companies
                .iter()
                .map(|r| self.record_out(ObjectKind::Companies, r))
                .collect(),
        }))
    }

    /// Use this to see the deal pipelines and their stages (ids, labels,
    /// closed or open, probability).
    #[tool(name = "list_pipelines", title = "List deal pipelines")]
    async fn list_pipelines(
        &self,
        Parameters(_args): Parameters<PipelinesArgs>,
    ) -> Result<Json<PipelineList>, CallToolResult> {
        let pipelines = self
            .client
            .pipelines()
            .await
            .map_err(|e| e.to_tool_result())?;
        Ok(Json(PipelineList {
            pipelines: pipelines
                .into_iter()
                .map(|p| PipelineOut {
                    stages: p
                        .stages
                        .iter()
                        .map(|s| StageOut {
                            id: s.id.clone(),
                            label: s.label.clone(),
                            closed: s.is_closed(),
                            probability: s.probability(),
                        })
                        .collect(),
                    id: p.id,
                    label: p.label,
                })
                .collect(),
        }))
    }

    /// Use this to move a deal to another stage of its pipeline (by stage id
    /// or label). The stage is checked against the deal's pipeline first; the
    /// preview shows the stage before → after; confirm like every write.
    #[tool(name = "update_deal_stage", title = "Move a deal to a stage", output_schema = schema_for_output::<WriteOutcome<RecordRef>>())]
    async fn update_deal_stage(
        &self,
        Parameters(args): Parameters<StageArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let kind = ObjectKind::Deals;
        let deal = match self
            .client
            .get(kind, &args.id, &["dealname", "pipeline", "dealstage"], &[])
            .await
        {
            Ok(d) => d,
            Err(e) => return Ok(e.to_tool_result().into()),
        };
        let pipelines = match self.client.pipelines().await {
            Ok(p) => p,
            Err(e) => return Ok(e.to_tool_result().into()),
        };
        let pipeline_id = deal.prop("pipeline").unwrap_or("default");
        let Some(pipeline) = pipelines.iter().find(|p| p.id == pipeline_id) else {
            return Ok(tool_error(format!(
                "deal {} is in pipeline {pipeline_id:?}, which the CRM does not list",
                deal.id
            ))
            .into());
        };
        let wanted = args.stage.trim();
        let Some(stage) = pipeline
            .stages
            .iter()
            .find(|s| s.id == wanted || s.label.eq_ignore_ascii_case(wanted))
        else {
            let allowed: Vec<String> = pipeline
                .stages
                .iter()
                .map(|s| format!("\"{}\" (id {})", s.label, s.id))
                .collect();
            return Ok(tool_error(format!(
                "`stage`: {wanted:?} is not a stage of the deal's pipeline \"{}\"; allowed values: {}. Nothing was written.",
                pipeline.label,
                allowed.join(", ")
            ))
            .into());
        };
        let before = deal.prop("dealstage").unwrap_or("");
        let before_label = stage_label(&pipelines, before).unwrap_or_else(|| before.to_owned());
        let title = crate::tools::title_of(kind, &deal);
        let plan = WritePlan::new(
            "crm",
            "update_deal_stage",
            Effect::Update,
            format!("deal {}", deal.id),
            format!(
                "Move the deal \"{title}\" from {before_label} to {} ({})",
                stage.label, pipeline.label
            ),
        )
        .scope("deals")
        .change(
            "dealstage",
            Some(json!(before_label)),
            Some(json!(stage.label)),
        );
        let confirmed = match self.kit.guard.confirm(&ctx, &args, plan).await {
            Gate::Proceed(c) => c,
            Gate::Respond(answer) => return Ok(answer),
        };
        let mut props = Map::new();
        props.insert("dealstage".into(), json!(stage.id));
        let result = self
            .kit
            .guard
            .execute(confirmed, async |c| {
                self.client
                    .update(c, kind, &deal.id, &props)
                    .await
                    .map(|r| r.id)
            })
            .await;
        Ok(match result {
            Ok(id) => self.changed(kind, &id, &format!("Moved to {}: deal", stage.label)),
            Err(e) => e.to_tool_result().into(),
        })
    }
}

impl Crm {
    /// A deal with `pipeline_label` and `dealstage_label` added.
    pub(crate) fn deal_out(&self, deal: &Record, pipelines: &[Pipeline]) -> RecordOut {
        let mut out = self.record_out(ObjectKind::Deals, deal);
        if let Some(p) = deal
            .prop("pipeline")
            .and_then(|id| pipelines.iter().find(|p| p.id == id))
        {
            out.properties
                .insert("pipeline_label".into(), json!(p.label));
        }
        if let Some(l) = deal
            .prop("dealstage")
            .and_then(|s| stage_label(pipelines, s))
        {
            out.properties.insert("dealstage_label".into(), json!(l));
        }
        out
    }
}

/// The label of a stage id, in any pipeline.
fn stage_label(pipelines: &[Pipeline], stage: &str) -> Option<String> {
    pipelines
        .iter()
        .flat_map(|p| &p.stages)
        .find(|s| s.id == stage)
        .map(|s| s.label.clone())
}
