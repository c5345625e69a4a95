//! Markdown ↔ ADF (placeholder until the converter lands).
