//! Matching a policy's patterns against the request: `*`/`?` globs (actions, resources,
//! `StringLike`) and ARNs field by field (`Resource`, `ArnLike`).

use super::variables::{LITERAL_QUESTION, LITERAL_STAR};

/// `*` and `?` globs; `case_insensitive` for actions.
pub fn glob(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = if case_insensitive {
        (
            pattern.to_lowercase().chars().collect(),
            text.to_lowercase().chars().collect(),
        )
    } else {
        (pattern.chars().collect(), text.chars().collect())
    };
    let same = |pc: char, tc: char| {
        pc == tc || (pc == LITERAL_STAR && tc == '*') || (pc == LITERAL_QUESTION && tc == '?')
    };
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && same(p[pi], t[ti]))) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// ARN matching (Resource, `ArnLike`): each of the six colon-separated fields separately, with
/// globs inside a field; the last field (the resource) holds any further colons.
pub fn arn_like(pattern: &str, arn: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let p: Vec<&str> = pattern.splitn(6, ':').collect();
    let a: Vec<&str> = arn.splitn(6, ':').collect();
    if p.len() != 6 || a.len() != 6 {
        return glob(pattern, arn, false);
    }
    p.iter().zip(&a).all(|(p, a)| glob(p, a, false))
}
