//! What `check`'s exit code says, so that a pipeline step `rolehop check ... && deploy` never
//! passes a setup whose AssumeRole is not known to be allowed:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | allowed (or no AssumeRole asked) and nothing failed or warned |
//! | 1 | the AssumeRole is denied, or any check failed |
//! | 2 | allowed (or no AssumeRole asked), nothing failed, something warned |
//! | 3 | the decision is unknown: nothing failed, but something it needs is not known |
//! | 64 | usage error (`cli::exit::USAGE`, before any report) |
//!
//! A run that asks no AssumeRole question (only `--task-definition`, say) has no decision and
//! exits by its findings alone; its `unknown` findings are listed, not counted.

use super::findings::Status;
use super::verdict::Verdict;

/// Allowed, or no decision asked, and nothing failed or warned.
pub const CLEAN: u8 = 0;
/// Denied, or something failed.
pub const FAILED: u8 = 1;
/// Nothing failed, something warned.
pub const WARNED: u8 = 2;
/// The decision is unknown and nothing failed.
pub const UNDECIDED: u8 = 3;

/// The exit code of a report with this decision (`None`: no AssumeRole was asked about) and
/// these finding statuses.
pub fn code(decision: Option<Verdict>, statuses: impl IntoIterator<Item = Status>) -> u8 {
    let statuses: Vec<Status> = statuses.into_iter().collect();
    if decision == Some(Verdict::Denied) || statuses.contains(&Status::Fail) {
        FAILED
    } else if decision == Some(Verdict::Unknown) {
        UNDECIDED
    } else if statuses.contains(&Status::Warn) {
        WARNED
    } else {
        CLEAN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_decision_is_never_clean_and_a_failure_outranks_it() {
        assert_eq!(code(Some(Verdict::Unknown), []), UNDECIDED);
        assert_eq!(code(Some(Verdict::Unknown), [Status::Warn]), UNDECIDED);
        assert_eq!(
            code(Some(Verdict::Unknown), [Status::Warn, Status::Fail]),
            FAILED
        );
        assert_eq!(code(Some(Verdict::Denied), [Status::Pass]), FAILED);
        assert_eq!(code(Some(Verdict::Allowed), [Status::Pass]), CLEAN);
        assert_eq!(code(Some(Verdict::Allowed), [Status::Warn]), WARNED);
    }

    #[test]
    fn without_a_decision_the_findings_decide_and_unknowns_are_listed() {
        assert_eq!(code(None, [Status::Unknown, Status::Pass]), CLEAN);
        assert_eq!(code(None, [Status::Unknown, Status::Warn]), WARNED);
        assert_eq!(code(None, [Status::Fail]), FAILED);
    }
}
