//! What the request context implies about keys nobody gave, each rule with the AWS
//! documentation it rests on, and the keys the user states absent (`--absent KEY`). One place:
//! the engine only sees the resulting absent keys.
//!
//! Source: IAM User Guide, "AWS global condition context keys": `aws:SourceIp` — "If the request
//! comes from a host that uses an Amazon VPC endpoint, then the aws:SourceIp key is not
//! present" (`aws:VpcSourceIp` carries the address then); `aws:SourceVpc`, `aws:SourceVpce` and
//! `aws:VpcSourceIp` are present only when the request is made through a VPC endpoint.

/// The keys present when a request comes through a VPC endpoint (lower-cased).
const VPC_ENDPOINT_KEYS: [&str; 3] = ["aws:sourcevpce", "aws:sourcevpc", "aws:vpcsourceip"];
/// The key present only when it does not.
const SOURCE_IP: &str = "aws:sourceip";

/// A key both given with `--context` and stated absent with `--absent`: a usage error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0} is both given with --context and stated absent with --absent; keep one")]
pub struct GivenAndAbsent(pub String);

/// The keys absent on this call: those stated with `--absent`, and those the rules above imply
/// from the keys given with `--context`. A key both given and stated absent is the caller's
/// usage error, named here.
pub fn absent_keys(
    given: &[(String, String)],
    stated: &[String],
) -> Result<Vec<String>, GivenAndAbsent> {
    let given: Vec<String> = given.iter().map(|(k, _)| k.to_ascii_lowercase()).collect();
    if let Some(k) = stated
        .iter()
        .find(|k| given.contains(&k.to_ascii_lowercase()))
    {
        return Err(GivenAndAbsent(k.clone()));
    }
    let mut absent: Vec<String> = stated.iter().map(|k| k.to_ascii_lowercase()).collect();
    let through_endpoint = VPC_ENDPOINT_KEYS
        .iter()
        .any(|k| given.iter().any(|g| g == k));
    if through_endpoint && !given.iter().any(|g| g == SOURCE_IP) {
        absent.push(SOURCE_IP.into());
    }
    if given.iter().any(|g| g == SOURCE_IP) && !through_endpoint {
        absent.extend(VPC_ENDPOINT_KEYS.iter().map(|k| k.to_string()));
    }
    absent.sort();
    absent.dedup();
    Ok(absent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(k: &str) -> Vec<(String, String)> {
        vec![(k.into(), "x".into())]
    }

    #[test]
    fn a_vpc_endpoint_call_has_no_source_ip_and_the_reverse() {
        assert_eq!(
            absent_keys(&given("aws:SourceVpce"), &[]).unwrap(),
            ["aws:sourceip"]
        );
        assert_eq!(
            absent_keys(&given("aws:SourceIp"), &[]).unwrap(),
            ["aws:sourcevpc", "aws:sourcevpce", "aws:vpcsourceip"]
        );
    }

    #[test]
    fn a_key_given_and_absent_is_refused() {
        let err = absent_keys(&given("aws:PrincipalOrgID"), &["aws:principalorgid".into()]);
        let err = err.unwrap_err();
        assert_eq!(err, GivenAndAbsent("aws:principalorgid".into()));
        assert!(err.to_string().contains("--absent"), "{err}");
    }
}
