//! Three-valued truth for `check`'s evaluation: a condition on a key nobody gave is neither
//! true nor false, and the verdicts built from it stay `unknown` rather than guessed.

use serde::Serialize;

/// Three-valued truth: a condition on an unknowable key is neither true nor false.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tri {
    True,
    False,
    Unknown,
}

impl Tri {
    /// `Some(true)`, `Some(false)`, or `None` for unknown.
    pub fn as_bool(self) -> Option<bool> {
        match self {
            Tri::True => Some(true),
            Tri::False => Some(false),
            Tri::Unknown => None,
        }
    }

    /// Serialises as a JSON boolean, or `null` for unknown (the report's `passes`).
    pub fn serialize_as_bool<S: serde::Serializer>(t: &Tri, s: S) -> Result<S::Ok, S::Error> {
        t.as_bool().serialize(s)
    }

    pub fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::False, _) | (_, Tri::False) => Tri::False,
            (Tri::Unknown, _) | (_, Tri::Unknown) => Tri::Unknown,
            _ => Tri::True,
        }
    }

    pub fn or(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::True, _) | (_, Tri::True) => Tri::True,
            (Tri::Unknown, _) | (_, Tri::Unknown) => Tri::Unknown,
            _ => Tri::False,
        }
    }

    pub fn negate(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        }
    }

    pub fn from(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }
}
