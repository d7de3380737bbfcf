//! IAM's condition operators as `check` knows them: the modifiers (`ForAllValues:`,
//! `ForAnyValue:`, `IfExists`), each base operator's negation and the comparison it makes. The
//! parser refuses an operator IAM would not save; the evaluator applies them.

/// A condition operator split into its base and its modifiers.
pub struct Operator<'a> {
    pub base: &'a str,
    pub for_all: bool,
    pub for_any: bool,
    pub if_exists: bool,
}

/// Splits `ForAllValues:`/`ForAnyValue:` and `IfExists` off an operator.
pub fn operator(raw: &str) -> Operator<'_> {
    let (for_all, for_any, rest) = if let Some(r) = raw.strip_prefix("ForAllValues:") {
        (true, false, r)
    } else if let Some(r) = raw.strip_prefix("ForAnyValue:") {
        (false, true, r)
    } else {
        (false, false, raw)
    };
    let (if_exists, base) = match rest.strip_suffix("IfExists") {
        Some(b) if b != "Null" => (true, b),
        _ => (false, rest),
    };
    Operator {
        base,
        for_all,
        for_any,
        if_exists,
    }
}

/// The operators `check` knows, as (name, negated, comparison).
pub fn comparison(base: &str) -> Option<(bool, &'static str)> {
    Some(match base {
        "StringEquals" => (false, "StringEquals"),
        "StringNotEquals" => (true, "StringEquals"),
        "StringEqualsIgnoreCase" => (false, "StringEqualsIgnoreCase"),
        "StringNotEqualsIgnoreCase" => (true, "StringEqualsIgnoreCase"),
        "StringLike" => (false, "StringLike"),
        "StringNotLike" => (true, "StringLike"),
        "ArnEquals" | "ArnLike" => (false, "ArnLike"),
        "ArnNotEquals" | "ArnNotLike" => (true, "ArnLike"),
        "NumericEquals" => (false, "NumericEquals"),
        "NumericNotEquals" => (true, "NumericEquals"),
        "NumericLessThan" => (false, "NumericLessThan"),
        "NumericLessThanEquals" => (false, "NumericLessThanEquals"),
        "NumericGreaterThan" => (false, "NumericGreaterThan"),
        "NumericGreaterThanEquals" => (false, "NumericGreaterThanEquals"),
        "DateEquals" => (false, "DateEquals"),
        "DateNotEquals" => (true, "DateEquals"),
        "DateLessThan" => (false, "DateLessThan"),
        "DateLessThanEquals" => (false, "DateLessThanEquals"),
        "DateGreaterThan" => (false, "DateGreaterThan"),
        "DateGreaterThanEquals" => (false, "DateGreaterThanEquals"),
        "Bool" => (false, "Bool"),
        "BinaryEquals" => (false, "BinaryEquals"),
        "IpAddress" => (false, "IpAddress"),
        "NotIpAddress" => (true, "IpAddress"),
        _ => return None,
    })
}

/// True when the operator is one IAM accepts (with its `ForAllValues:`/`ForAnyValue:` and
/// `IfExists` modifiers).
pub fn known_operator(raw: &str) -> bool {
    let op = operator(raw);
    op.base == "Null" || comparison(op.base).is_some()
}
