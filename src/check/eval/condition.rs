//! One condition of a statement: its operator (parsed, `check::operator`) applied to the
//! key's values in the request context, three-valued, with the comparisons each operator
//! makes (strings, ARNs, numbers, dates, IP ranges).

use std::net::IpAddr;

use super::context::{Context, Key};
use super::date::epoch;
use super::matching::{arn_like, glob};
use super::variables::{LITERAL_QUESTION, LITERAL_STAR, substitute};
use crate::check::operator::{Comparison, SetOperator, Test};
use crate::check::policy::Condition;
use crate::check::tri::Tri;

/// One condition (one key, its values ORed), with the unknown keys it hung on.
pub fn condition(cond: &Condition, context: &Context, unknown: &mut Vec<String>) -> Tri {
    condition_with(cond, context, unknown, true)
}

/// [`condition`], with policy variables on or off (off before Version 2012-10-17).
pub(super) fn condition_with(
    cond: &Condition,
    context: &Context,
    unknown: &mut Vec<String>,
    variables: bool,
) -> Tri {
    let op = &cond.operator;
    let actual = match context.get(&cond.key) {
        Key::PresentUnknown(_) if op.test == Test::Null => {
            let wants_absent = cond.values.iter().any(|v| v.eq_ignore_ascii_case("true"));
            return Tri::from(!wants_absent);
        }
        Key::Unknown(o) | Key::PresentUnknown(o) => {
            unknown.push(o);
            return Tri::Unknown;
        }
        Key::Absent => None,
        Key::Present(v) => Some(v),
    };
    let (comparison, negated) = match op.test {
        Test::Null => {
            let wants_absent = cond.values.iter().any(|v| v.eq_ignore_ascii_case("true"));
            return Tri::from(wants_absent == actual.is_none());
        }
        Test::Compare {
            comparison,
            negated,
        } => (comparison, negated),
        // An operator IAM does not know: IAM refuses the policy (policy.condition says so).
        Test::Unknown => return Tri::False,
    };
    let for_all = op.set == Some(SetOperator::ForAllValues);
    let for_any = op.set == Some(SetOperator::ForAnyValue);
    let Some(actual) = actual else {
        return Tri::from(op.if_exists || for_all || (negated && !for_any));
    };
    let mut wanted = Vec::new();
    let mut unknown_value = false;
    for v in &cond.values {
        if !variables {
            wanted.push(v.clone());
            continue;
        }
        match substitute(v, context, unknown) {
            Ok(s) => wanted.push(s),
            Err(Tri::Unknown) => unknown_value = true,
            Err(_) => {}
        }
    }
    // One context value against the policy's values (ORed), before negation.
    let hits = |a: &str| -> Tri {
        let hit = wanted.iter().any(|w| compare(comparison, a, w));
        if hit {
            Tri::True
        } else if unknown_value {
            Tri::Unknown
        } else {
            Tri::False
        }
    };
    let per_value = |a: &String| {
        let h = hits(a);
        if negated { h.negate() } else { h }
    };
    match op.set {
        Some(SetOperator::ForAllValues) => actual.iter().map(per_value).fold(Tri::True, Tri::and),
        Some(SetOperator::ForAnyValue) => actual.iter().map(per_value).fold(Tri::False, Tri::or),
        None => {
            let any = actual.iter().map(|a| hits(a)).fold(Tri::False, Tri::or);
            if negated { any.negate() } else { any }
        }
    }
}

/// One context value against one of the condition's values.
fn compare(comparison: Comparison, actual: &str, wanted: &str) -> bool {
    match comparison {
        Comparison::StringEquals => {
            actual
                == wanted
                    .replace(LITERAL_STAR, "*")
                    .replace(LITERAL_QUESTION, "?")
        }
        Comparison::StringEqualsIgnoreCase => actual.eq_ignore_ascii_case(wanted),
        Comparison::StringLike => glob(wanted, actual, false),
        Comparison::ArnLike => arn_like(wanted, actual),
        Comparison::Bool => actual.eq_ignore_ascii_case(wanted),
        Comparison::BinaryEquals => actual == wanted,
        Comparison::IpAddress => ip_in(actual, wanted),
        Comparison::Numeric(relation) => match (actual.parse::<f64>(), wanted.parse::<f64>()) {
            (Ok(a), Ok(w)) => a.partial_cmp(&w).is_some_and(|o| relation.holds(o)),
            _ => false,
        },
        Comparison::Date(relation) => match (epoch(actual), epoch(wanted)) {
            (Some(a), Some(w)) => relation.holds(a.cmp(&w)),
            _ => false,
        },
    }
}

fn ip_in(actual: &str, cidr: &str) -> bool {
    let (net, bits) = match cidr.split_once('/') {
        Some((n, b)) => (n, b.parse::<u32>().ok()),
        None => (cidr, None),
    };
    let (Ok(a), Ok(n)) = (actual.parse::<IpAddr>(), net.parse::<IpAddr>()) else {
        return false;
    };
    let (a, n, width) = match (a, n) {
        (IpAddr::V4(a), IpAddr::V4(n)) => (u32::from(a) as u128, u32::from(n) as u128, 32),
        (IpAddr::V6(a), IpAddr::V6(n)) => (u128::from(a), u128::from(n), 128),
        _ => return false,
    };
    let bits = bits.unwrap_or(width).min(width);
    if bits == 0 {
        return true;
    }
    let shift = width - bits;
    (a >> shift) == (n >> shift)
}
