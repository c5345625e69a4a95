//! What a tool does to the world, and what follows from it: the four MCP
//! annotations and the risk tier.

use rmcp::model::ToolAnnotations;
use serde::{Deserialize, Serialize};

/// The effect a tool has on the system of record. Every tool declares exactly
/// one; annotations and tier are derived from it, never written by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Reads only. Never writes, never needs confirmation.
    Read,
    /// Adds a record (issue, comment, note). Additive, not idempotent.
    Create,
    /// Sets fields on an existing record. Overwrites, but setting the same
    /// value twice has the same result.
    Update,
    /// Deletes, merges or otherwise destroys. High impact.
    Destructive,
    /// Sends something that cannot be taken back (a webhook, an email, a
    /// customer-visible comment).
    Send,
}

impl Effect {
    /// True for every effect that changes the upstream.
    pub fn is_write(self) -> bool {
        !matches!(self, Effect::Read)
    }

    /// The tier a tool with this effect gets unless its spec says otherwise.
    pub fn default_tier(self) -> Tier {
        match self {
            Effect::Read => Tier::InternalRead,
            Effect::Create | Effect::Update | Effect::Send => Tier::Write,
            Effect::Destructive => Tier::HighImpact,
        }
    }

    /// All four MCP hints, set explicitly (clients and app reviews treat a
    /// missing hint as a defect; the protocol defaults are the unsafe ones).
    pub fn annotations(self, title: &str) -> ToolAnnotations {
        let (read_only, destructive, idempotent, open_world) = match self {
            Effect::Read => (true, false, true, false),
            Effect::Create => (false, false, false, true),
            Effect::Update => (false, true, true, true),
            Effect::Destructive => (false, true, true, true),
            Effect::Send => (false, true, false, true),
        };
        ToolAnnotations::with_title(title)
            .read_only(read_only)
            .destructive(destructive)
            .idempotent(idempotent)
            .open_world(open_world)
    }

    /// Lower-case name, as used in config files and `tools` output.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Read => "read",
            Effect::Create => "create",
            Effect::Update => "update",
            Effect::Destructive => "destructive",
            Effect::Send => "send",
        }
    }
}

impl std::fmt::Display for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Risk tier: 1 public read, 2 internal read, 3 confirmed write, 4 high-impact
/// write. A deployment sets the highest tier it allows (`--max-tier`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(into = "u8", try_from = "u8")]
pub enum Tier {
    /// Public data.
    PublicRead = 1,
    /// Internal data.
    InternalRead = 2,
    /// A write that a human confirms.
    Write = 3,
    /// Deletes, merges, irreversible or wide-reaching writes.
    HighImpact = 4,
}

impl Tier {
    /// The tier as its number.
    pub fn number(self) -> u8 {
        self as u8
    }
}

impl From<Tier> for u8 {
    fn from(t: Tier) -> u8 {
        t as u8
    }
}

impl TryFrom<u8> for Tier {
    type Error = String;
    fn try_from(n: u8) -> Result<Self, String> {
        match n {
            1 => Ok(Tier::PublicRead),
            2 => Ok(Tier::InternalRead),
            3 => Ok(Tier::Write),
            4 => Ok(Tier::HighImpact),
            other => Err(format!("tier must be 1, 2, 3 or 4, not {other}")),
        }
    }
}

impl std::str::FromStr for Tier {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let n: u8 = s
            .trim()
            .parse()
            .map_err(|_| format!("tier must be 1-4, not {s:?}"))?;
        Tier::try_from(n)
    }
}

impl std::fmt::Display for Tier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.number())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_effect_sets_all_four_hints() {
        for e in [
            Effect::Read,
            Effect::Create,
            Effect::Update,
            Effect::Destructive,
            Effect::Send,
        ] {
            let a = e.annotations("T");
            assert!(a.read_only_hint.is_some(), "{e}");
            assert!(a.destructive_hint.is_some(), "{e}");
            assert!(a.idempotent_hint.is_some(), "{e}");
            assert!(a.open_world_hint.is_some(), "{e}");
            assert_eq!(a.read_only_hint, Some(!e.is_write()));
        }
    }

    #[test]
    fn reads_are_not_destructive_and_sends_are() {
        assert_eq!(Effect::Read.annotations("x").destructive_hint, Some(false));
        assert_eq!(Effect::Send.annotations("x").destructive_hint, Some(true));
        assert_eq!(
            Effect::Create.annotations("x").destructive_hint,
            Some(false)
        );
    }

    #[test]
    fn tiers_parse_and_order() {
        assert_eq!("4".parse::<Tier>().unwrap(), Tier::HighImpact);
        assert!("5".parse::<Tier>().is_err());
        assert!(Tier::Write < Tier::HighImpact);
        assert_eq!(Effect::Destructive.default_tier(), Tier::HighImpact);
    }
}
