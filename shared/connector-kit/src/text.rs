//! Upstream-authored text is untrusted data: strip what can hide
//! instructions (invisible and bidi control characters) and cut it to a
//! budget with a way to read on.

/// Removes control, zero-width and bidirectional-override characters (keeps
/// `\n` and `\t`).
pub fn sanitize(s: &str) -> String {
    s.chars().filter(|c| !is_hidden(*c)).collect()
}

fn is_hidden(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' |
        '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{00AD}' | '\u{E0000}'..='\u{E007F}')
        || (c.is_control() && c != '\n' && c != '\t')
}

/// Cuts `s` to at most `max` characters; returns the text and whether it was cut.
pub fn clip(s: &str, max: usize) -> (String, bool) {
    match s.char_indices().nth(max) {
        None => (s.to_owned(), false),
        Some((i, _)) => (format!("{}…", &s[..i]), true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_hidden_characters() {
        assert_eq!(sanitize("a\u{202E}b\u{200B}c\u{E0041}d\n"), "abcd\n");
    }

    #[test]
    fn clips_on_char_boundaries() {
        assert_eq!(clip("héllo", 2), ("hé…".to_owned(), true));
        assert_eq!(clip("hi", 5), ("hi".to_owned(), false));
    }
}
