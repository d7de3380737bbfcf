//! The AWS regions rolehop knows, as data, and what to say about a name that is not one of them.
//!
//! Source: botocore 1.43.11, `botocore/data/partitions.json` (each partition's `regions`, the
//! `aws-global`-style pseudo-regions left out). `tests/setup.rs` holds this list to that file of
//! the botocore the tests install (tests/requirements.txt), so a new botocore with a new region
//! fails the test until the region is added here.
//!
//! AWS opens regions after a rolehop release, so a name that is not here is only refused when it
//! is one edit from a known one (a typo: `eu-wset-1`); otherwise it gets a warning.

use crate::suggest::edit_distance;

/// Every region of every partition in the source above, sorted.
pub const KNOWN: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-isoe-west-1",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eusc-de-east-1",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-iso-east-1",
    "us-iso-west-1",
    "us-isob-east-1",
    "us-isob-west-1",
    "us-isof-east-1",
    "us-isof-south-1",
    "us-west-1",
    "us-west-2",
];

/// What rolehop says about a region name it does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unknown {
    /// One edit from this known region: a typo.
    Misspelt(&'static str),
    /// Not close to any: perhaps newer than this rolehop.
    Unlisted,
}

/// `None` for a known region; else whether it is a typo of one.
pub fn unknown(region: &str) -> Option<Unknown> {
    if KNOWN.contains(&region) {
        return None;
    }
    Some(
        KNOWN
            .iter()
            .find(|known| edit_distance(region, known) == 1)
            .map_or(Unknown::Unlisted, |known| Unknown::Misspelt(known)),
    )
}

/// A `--region` that is one edit from a known region, refused: one sentence with the fix.
pub fn typo(flag: &str, region: &str) -> Option<String> {
    match unknown(region)? {
        Unknown::Misspelt(known) => Some(format!(
            "{flag} `{region}` is not an AWS region; did you mean {known}?"
        )),
        Unknown::Unlisted => None,
    }
}

/// A `--region` rolehop does not know and that is no typo: a warning, not a refusal.
pub fn warning(flag: &str, region: &str) -> Option<String> {
    match unknown(region)? {
        Unknown::Unlisted => Some(format!(
            "{flag} `{region}` is not a region this rolehop knows; it may be newer than rolehop {} (check the name, e.g. with aws ec2 describe-regions)",
            env!("CARGO_PKG_VERSION")
        )),
        Unknown::Misspelt(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_is_misspelt_a_far_name_is_unlisted_and_the_list_is_sorted() {
        assert_eq!(unknown("eu-west-1"), None);
        assert_eq!(unknown("eu-wset-1"), Some(Unknown::Misspelt("eu-west-1")));
        assert_eq!(unknown("us-east-7"), Some(Unknown::Misspelt("us-east-1")));
        assert_eq!(unknown("xx-moon-1"), Some(Unknown::Unlisted));
        let mut sorted = KNOWN.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, KNOWN);
    }
}
