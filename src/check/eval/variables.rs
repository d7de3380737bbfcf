//! Policy variables (`${aws:PrincipalAccount}`, `${aws:username, 'default'}`, `${*}`),
//! substituted from the request context in documents of Version 2012-10-17.

use super::context::{Context, Key};
use crate::check::tri::Tri;

/// Literal `*` and `?` from `${*}` and `${?}` (policy variables), kept apart from globs.
pub(super) const LITERAL_STAR: char = '\u{E000}';
pub(super) const LITERAL_QUESTION: char = '\u{E001}';

/// Replaces `${key}` policy variables (Version 2012-10-17). `Err(Tri::False)` when a key is
/// absent without a default (the element matches nothing), `Err(Unknown)` with the key.
pub(super) fn substitute(
    text: &str,
    context: &Context,
    unknown: &mut Vec<String>,
) -> Result<String, Tri> {
    if !text.contains("${") {
        return Ok(text.to_owned());
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let inner = &rest[start + 2..start + end];
        rest = &rest[start + end + 1..];
        match inner {
            "*" => out.push(LITERAL_STAR),
            "?" => out.push(LITERAL_QUESTION),
            "$" => out.push('$'),
            _ => {
                let (key, default) = match inner.split_once(',') {
                    Some((k, d)) => (k.trim(), Some(d.trim().trim_matches('\'').to_owned())),
                    None => (inner.trim(), None),
                };
                match (context.get(key), default) {
                    (Key::Present(v), _) if v.len() == 1 => out.push_str(&v[0]),
                    (Key::Present(_), _) => return Err(Tri::False),
                    (Key::Absent, Some(d)) => out.push_str(&d),
                    (Key::Absent, None) => return Err(Tri::False),
                    (Key::Unknown(o) | Key::PresentUnknown(o), _) => {
                        unknown.push(o);
                        return Err(Tri::Unknown);
                    }
                }
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}
