//! The names roles are served under: `/v1/credentials/{name}`, a profile of the config file,
//! `--role` of the client commands. One rule for all of them.

use crate::arn::is_iam_name_char;

/// The name under which flag-defined roles are served (`/v1/credentials` and
/// `/v1/credentials/default`).
pub const DEFAULT_ROLE: &str = "default";

/// The longest name a role can be served under (IAM's own limit on a session name).
pub const MAX_LEN: usize = 64;

/// True when `name` can be served: 1 to [`MAX_LEN`] letters, digits and `+ = , . @ _ -`.
pub fn is_servable(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_LEN && name.chars().all(is_iam_name_char)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn served_names_are_iam_names_of_at_most_64_characters() {
        assert!(is_servable(DEFAULT_ROLE));
        assert!(is_servable("team.app@prod-1_a+b=c,d"));
        assert!(is_servable(&"a".repeat(64)));
        assert!(!is_servable(""));
        assert!(!is_servable(&"a".repeat(65)));
        assert!(!is_servable("a/b"));
        assert!(!is_servable("has space"));
    }
}
