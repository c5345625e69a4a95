//! Toolset `companies`: find companies and read one with its contacts and
//! open deals.

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::CallToolResult;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Crm;
use crate::client::ObjectKind;
use crate::tools::{ID_PATTERN, RecordOut, RecordPage, SearchArgs, default_properties};

/// Arguments of `get_company`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetArgs {
    /// Company id.
    #[schemars(regex(pattern = ID_PATTERN))]
    pub id: String,
    /// Properties to return besides the curated ones.
    #[serde(default)]
    #[schemars(length(max = 30))]
    pub properties: Vec<String>,
}

/// A company with its contacts and open deals.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CompanyDetail {
    /// The company.
    pub company: RecordOut,
    /// Associated contacts.
    pub contacts: Vec<RecordOut>,
    /// Associated deals that are not closed (won or lost).
    pub open_deals: Vec<RecordOut>,
}

#[tool_router(router = companies_tools, vis = "pub(crate)")]
impl Crm {
    /// Use this to find companies by property filters (e.g. industry EQ
    /// COMPUTER_SOFTWARE, domain EQ acme.com) and/or free text (name, domain).
    #[tool(name = "search_companies", title = "Search companies")]
    async fn search_companies(
        &self,
        Parameters(args): Parameters<SearchArgs>,
    ) -> Result<Json<RecordPage>, CallToolResult> {
        self.run_search(ObjectKind::Companies, args).await
    }

    /// Use this to read one company with its contacts and open deals.
    #[tool(name = "get_company", title = "Get a company")]
    async fn get_company(
        &self,
        Parameters(args): Parameters<GetArgs>,
    ) -> Result<Json<CompanyDetail>, CallToolResult> {
        let kind = ObjectKind::Companies;
        let mut props: Vec<&str> = default_properties(kind).to_vec();
        props.extend(args.properties.iter().map(String::as_str));
        let company = self
            .client
            .get(kind, &args.id, &props, &[])
            .await
            .map_err(|e| e.to_tool_result())?;
        let contacts = self
            .associated_records(kind, &company.id, ObjectKind::Contacts)
            .await
            .map_err(|e| e.to_tool_result())?;
        let deals = self
            .open_deals(&company.id)
            .await
            .map_err(|e| e.to_tool_result())?;
        Ok(Json(CompanyDetail {
            company: self.record_out(kind, &company),
            contacts: contacts
                .iter()
                .map(|r| self.record_out(ObjectKind::Contacts, r))
                .collect(),
            open_deals: deals,
        }))
    }
}

impl Crm {
    /// A company's deals in stages that are not closed, stage ids shown with labels.
    pub(crate) async fn open_deals(
        &self,
        company_id: &str,
    ) -> Result<Vec<RecordOut>, connector_kit::UpstreamError> {
        let deals = self
            .associated_records(ObjectKind::Companies, company_id, ObjectKind::Deals)
            .await?;
        if deals.is_empty() {
            return Ok(Vec::new());
        }
        let pipelines = self.client.pipelines().await?;
        Ok(deals
            .iter()
            .filter(|d| {
                let stage = d.prop("dealstage").unwrap_or("");
                !pipelines
                    .iter()
                    .flat_map(|p| &p.stages)
                    .any(|s| s.id == stage && s.is_closed())
            })
            .map(|d| self.deal_out(d, &pipelines))
            .collect())
    }
}
