//! Errors as a person reads them: the error's own sentence first, then the causes its
//! `source()` chain gives, short: `sentence (cause: a: b)`. Never Rust's `Debug` form, which
//! the SDK's `DisplayErrorContext` appends (`DispatchFailure(DispatchFailure { source: ... })`):
//! every log line, error and HTTP body a person reads goes through here.

use std::error::Error;

/// The most causes shown: the deepest say what actually failed (`Connection refused`).
const MAX_CAUSES: usize = 4;
/// The longest one cause is shown.
const MAX_CAUSE_CHARS: usize = 160;

/// `err`'s sentence followed by its causes: `sentence (cause: a: b)`, or the sentence alone.
pub fn sentence(err: &(dyn Error + 'static)) -> String {
    with_causes(&err.to_string(), err.source())
}

/// `sentence` followed by the causes of `cause` (itself included).
/// A cause the sentence already shows (an error whose own sentence quotes its cause, or a
/// fetch failure whose message was built with its causes) is not repeated.
pub fn with_causes(sentence: &str, cause: Option<&(dyn Error + 'static)>) -> String {
    let mut causes = causes(cause);
    causes.retain(|c| !sentence.contains(c.as_str()));
    if causes.is_empty() {
        sentence.to_owned()
    } else {
        format!("{sentence} (cause: {})", causes.join(": "))
    }
}

/// The texts of `first` and the errors below it, each once: a text an error above already holds
/// (the SDK's `dispatch failure` wraps a `DispatchFailure` saying the same) is not repeated; a
/// text that looks like a `Debug` dump is left out.
pub fn causes(first: Option<&(dyn Error + 'static)>) -> Vec<String> {
    let mut texts: Vec<String> = Vec::new();
    let mut next = first;
    while let Some(e) = next {
        let text = e.to_string();
        let text = text.trim();
        if !text.is_empty() && !looks_like_debug(text) {
            texts.push(shorten(text));
        }
        next = e.source();
    }
    // An inner text the outer one already holds (`tcp connect error: Connection refused` above
    // `Connection refused`) says nothing more.
    let mut kept: Vec<String> = Vec::new();
    for t in texts {
        if !kept.iter().any(|outer| outer.contains(t.as_str())) {
            kept.push(t);
        }
    }
    let skip = kept.len().saturating_sub(MAX_CAUSES);
    kept.split_off(skip)
}

/// True for a text in Rust's `Debug` shape (`Name { field: ... }`, `Name(Inner(...))`).
pub fn looks_like_debug(text: &str) -> bool {
    text.contains(" { ") || text.contains("})") || text.contains("(Some(")
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_CAUSE_CHARS {
        return text.to_owned();
    }
    let cut: String = text.chars().take(MAX_CAUSE_CHARS).collect();
    format!("{cut}...")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("{text}")]
    struct Layer {
        text: &'static str,
        #[source]
        below: Option<Box<Layer>>,
    }

    fn chain(texts: &[&'static str]) -> Layer {
        let mut below = None;
        for text in texts.iter().rev() {
            below = Some(Box::new(Layer { text, below }));
        }
        *below.unwrap()
    }

    #[test]
    fn the_sentence_comes_first_and_each_cause_once() {
        let e = chain(&[
            "cannot reach STS",
            "dispatch failure",
            "dispatch failure",
            "io error",
            "tcp connect error: Connection refused (os error 111)",
            "Connection refused (os error 111)",
        ]);
        assert_eq!(
            sentence(&e),
            "cannot reach STS (cause: dispatch failure: io error: tcp connect error: Connection refused (os error 111))"
        );
        assert_eq!(sentence(&chain(&["alone"])), "alone");
        assert_eq!(
            sentence(&chain(&["not JSON (expected value)", "expected value"])),
            "not JSON (expected value)"
        );
    }

    #[test]
    fn a_debug_dump_is_never_shown_and_long_causes_are_cut() {
        let e = chain(&[
            "failed",
            "DispatchFailure(DispatchFailure { source: ConnectorError { kind: Io })",
            "refused",
        ]);
        assert_eq!(sentence(&e), "failed (cause: refused)");
        let long: &'static str = "x".repeat(400).leak();
        let shown = sentence(&chain(&["failed", long]));
        assert!(shown.len() < 200, "{shown}");
    }
}
