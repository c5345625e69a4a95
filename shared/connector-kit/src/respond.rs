//! Small builders for tool answers, shared by every connector so answers
//! look alike: structured content plus a text block (some clients read only
//! text), and `isError` results that say what to do.

use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock};
use serde::Serialize;
use serde_json::Value;

/// An `isError` result with one text block.
pub fn tool_error(text: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(text.into())])
}

/// A result with structured content and a text block holding the sentence
/// and the same JSON.
pub fn structured(text: &str, value: &impl Serialize) -> CallToolResponse {
    let json = serde_json::to_value(value).unwrap_or(Value::Null);
    let mut r = CallToolResult::success(vec![ContentBlock::text(format!("{text}\n\n{json}"))]);
    r.structured_content = Some(json);
    r.into()
}

/// Parses a numeric offset cursor made by this server (`None` starts at 0).
pub fn offset_cursor(cursor: Option<&str>) -> Result<u64, CallToolResult> {
    match cursor {
        None => Ok(0),
        Some(c) => c.parse().map_err(|_| {
            tool_error("`cursor`: not a cursor from this tool; omit it to start from the beginning")
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structured_answers_carry_json_twice() {
        let CallToolResponse::Complete(r) = structured("Done.", &serde_json::json!({"id": 7}))
        else {
            panic!("complete expected");
        };
        assert_eq!(r.structured_content, Some(serde_json::json!({"id": 7})));
        assert!(r.content[0].as_text().unwrap().text.contains("{\"id\":7}"));
    }

    #[test]
    fn cursors_parse_or_explain() {
        assert_eq!(offset_cursor(None).unwrap(), 0);
        assert_eq!(offset_cursor(Some("40")).unwrap(), 40);
        let e = offset_cursor(Some("x")).unwrap_err();
        assert_eq!(e.is_error, Some(true));
    }
}
