//! IAM's condition operators as `check` knows them: the set modifiers (`ForAllValues:`,
//! `ForAnyValue:`), `IfExists`, each base operator's negation and the comparison it makes. A
//! condition's operator is parsed once, into [`Operator`]; the parser refuses one IAM would
//! not save (`Test::Unknown`) and the evaluator applies the rest by their type.

use std::fmt;

/// An ordering test of `Numeric*` and `Date*` operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Equals,
    LessThan,
    LessThanEquals,
    GreaterThan,
    GreaterThanEquals,
}

impl Relation {
    /// Does `order` (actual against wanted) satisfy the relation?
    pub fn holds(self, order: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Relation::Equals => order == Equal,
            Relation::LessThan => order == Less,
            Relation::LessThanEquals => order != Greater,
            Relation::GreaterThan => order == Greater,
            Relation::GreaterThanEquals => order != Less,
        }
    }
}

/// What a (non-negated) base operator compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    /// `ArnEquals` and `ArnLike` match alike.
    ArnLike,
    Numeric(Relation),
    Date(Relation),
    Bool,
    BinaryEquals,
    IpAddress,
}

/// What a condition tests, its modifiers aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Test {
    /// `Null`: whether the key is absent.
    Null,
    /// A comparison of the key's values with the condition's, `negated` for the `...Not...`
    /// operators.
    Compare {
        comparison: Comparison,
        negated: bool,
    },
    /// An operator IAM does not know (IAM refuses the policy; it matches nothing).
    Unknown,
}

/// How a multi-valued key's values combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOperator {
    ForAllValues,
    ForAnyValue,
}

/// A condition operator, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    pub test: Test,
    pub set: Option<SetOperator>,
    pub if_exists: bool,
    /// As written, e.g. `ForAnyValue:StringEqualsIfExists`, for messages.
    written: String,
}

impl Operator {
    pub fn parse(written: &str) -> Self {
        let (set, rest) = if let Some(r) = written.strip_prefix("ForAllValues:") {
            (Some(SetOperator::ForAllValues), r)
        } else if let Some(r) = written.strip_prefix("ForAnyValue:") {
            (Some(SetOperator::ForAnyValue), r)
        } else {
            (None, written)
        };
        // `Null` takes no `IfExists`: `NullIfExists` is no operator.
        let (if_exists, base) = match rest.strip_suffix("IfExists") {
            Some(b) if b != "Null" => (true, b),
            _ => (false, rest),
        };
        Operator {
            test: test(base),
            set,
            if_exists,
            written: written.to_owned(),
        }
    }

    /// True when IAM accepts the operator.
    pub fn is_known(&self) -> bool {
        self.test != Test::Unknown
    }
}

impl From<&str> for Operator {
    fn from(written: &str) -> Self {
        Operator::parse(written)
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.written)
    }
}

/// The base operators IAM knows.
fn test(base: &str) -> Test {
    use Comparison::*;
    use Relation::*;
    let (comparison, negated) = match base {
        "Null" => return Test::Null,
        "StringEquals" => (StringEquals, false),
        "StringNotEquals" => (StringEquals, true),
        "StringEqualsIgnoreCase" => (StringEqualsIgnoreCase, false),
        "StringNotEqualsIgnoreCase" => (StringEqualsIgnoreCase, true),
        "StringLike" => (StringLike, false),
        "StringNotLike" => (StringLike, true),
        "ArnEquals" | "ArnLike" => (ArnLike, false),
        "ArnNotEquals" | "ArnNotLike" => (ArnLike, true),
        "NumericEquals" => (Numeric(Equals), false),
        "NumericNotEquals" => (Numeric(Equals), true),
        "NumericLessThan" => (Numeric(LessThan), false),
        "NumericLessThanEquals" => (Numeric(LessThanEquals), false),
        "NumericGreaterThan" => (Numeric(GreaterThan), false),
        "NumericGreaterThanEquals" => (Numeric(GreaterThanEquals), false),
        "DateEquals" => (Date(Equals), false),
        "DateNotEquals" => (Date(Equals), true),
        "DateLessThan" => (Date(LessThan), false),
        "DateLessThanEquals" => (Date(LessThanEquals), false),
        "DateGreaterThan" => (Date(GreaterThan), false),
        "DateGreaterThanEquals" => (Date(GreaterThanEquals), false),
        "Bool" => (Bool, false),
        "BinaryEquals" => (BinaryEquals, false),
        "IpAddress" => (IpAddress, false),
        "NotIpAddress" => (IpAddress, true),
        _ => return Test::Unknown,
    };
    Test::Compare {
        comparison,
        negated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modifiers_split_off_and_unknown_operators_stay_unknown() {
        let op = Operator::parse("ForAnyValue:StringNotLikeIfExists");
        assert_eq!(op.set, Some(SetOperator::ForAnyValue));
        assert!(op.if_exists);
        assert_eq!(
            op.test,
            Test::Compare {
                comparison: Comparison::StringLike,
                negated: true
            }
        );
        assert_eq!(op.to_string(), "ForAnyValue:StringNotLikeIfExists");
        assert_eq!(Operator::parse("ForAllValues:Null").test, Test::Null);
        assert!(!Operator::parse("NullIfExists").is_known());
        assert!(!Operator::parse("StringEqualz").is_known());
    }
}
