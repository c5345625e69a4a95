//! The tools, one file per toolset:
//!
//! | toolset | tools |
//! |---|---|
//! | `hooks` | `list_hooks`, `trigger_hook` |
//! | `deliveries` | `list_deliveries`, `get_delivery` |
//! | `search` | `search`, `fetch` (the ChatGPT deep-research pair) |

pub mod deliveries;
pub mod hooks;
pub mod search;

use connector_kit::ToolSpec;
use connector_kit::confirm::Effect;

/// Every tool's toolset and effect; the kit derives annotations and tiers.
pub const SPECS: &[ToolSpec] = &[
    ToolSpec::read("list_hooks", "hooks"),
    ToolSpec::new("trigger_hook", "hooks", Effect::Send),
    ToolSpec::read("list_deliveries", "deliveries"),
    ToolSpec::read("get_delivery", "deliveries"),
    ToolSpec::read("search", "search"),
    ToolSpec::read("fetch", "search"),
];
