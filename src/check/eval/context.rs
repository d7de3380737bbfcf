//! The request context of one AssumeRole: the caller (a role session), the call rolehop
//! makes, and what is known of each condition key — present with its values, absent, or
//! unknown with where its value would come from (docs/CHECK.md, "Conditions are
//! three-valued").

use std::collections::{BTreeMap, HashMap};

use super::date::iso8601;
use crate::check::action::StsAction;

/// What a request context knows about one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Present(Vec<String>),
    Absent,
    /// Not given: the text says where its value comes from.
    Unknown(String),
    /// In the request, with a value not known here (an external id from a secret): `Null`
    /// decides on it, a comparison does not. The text says where the value comes from.
    PresentUnknown(String),
}

/// The caller of AssumeRole: a role session.
#[derive(Debug, Clone)]
pub struct Caller {
    /// `arn:aws:iam::ACCOUNT:role/PATH/NAME`: what `aws:PrincipalArn` holds.
    pub role_arn: String,
    pub account: String,
    /// The session's own name, when known: its ARN is `arn:aws:sts::A:assumed-role/NAME/SESSION`.
    pub session_name: Option<String>,
}

impl Caller {
    pub fn of_role(role_arn: &str) -> Self {
        Caller {
            role_arn: role_arn.to_owned(),
            account: account_of(role_arn).to_owned(),
            session_name: None,
        }
    }

    pub(super) fn role_name(&self) -> &str {
        self.role_arn.rsplit('/').next().unwrap_or_default()
    }
}

pub fn account_of(arn: &str) -> &str {
    crate::arn::account_field(arn).unwrap_or_default()
}

/// The AssumeRole call rolehop makes.
#[derive(Debug, Clone, Default)]
pub struct AssumeRole {
    pub role_arn: String,
    pub external_id: Option<String>,
    /// The RoleSessionName of the new session.
    pub session_name: Option<String>,
    pub session_tags: bool,
    pub source_identity: bool,
}

impl AssumeRole {
    /// The actions IAM authorizes for this call: AssumeRole, plus TagSession with tags and
    /// SetSourceIdentity with a source identity.
    pub fn actions(&self) -> Vec<StsAction> {
        StsAction::of_call(self.session_tags, self.source_identity)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Lower-cased key → what is known.
    keys: HashMap<String, Key>,
    /// Lower-cased prefixes (`aws:principaltag/`) under which every key not in `keys` is
    /// absent: `--absent 'aws:PrincipalTag/*'`, or online once the caller's tags were read.
    absent_prefixes: Vec<String>,
}

/// Where the values of keys nobody gave come from (for UNKNOWN messages).
fn origin(key: &str) -> String {
    let k = key.to_ascii_lowercase();
    let from = if k == "aws:principalorgid" || k == "aws:principalorgpaths" {
        "the source account's organization (aws organizations describe-organization, run in that account; its path: list-parents, run by the management account)"
    } else if k == "aws:resourceorgid" || k == "aws:resourceorgpaths" {
        "the destination account's organization (aws organizations describe-organization, run in that account)"
    } else if k.starts_with("aws:principaltag/") {
        "the source role's tags (aws iam list-role-tags) or the calling session's tags"
    } else if k.starts_with("aws:requesttag/") || k == "aws:tagkeys" {
        "the session tags rolehop passes (ROLEHOP_TAGS / tags in the config)"
    } else if k.starts_with("aws:resourcetag/") {
        "the destination role's tags (aws iam list-role-tags in its account)"
    } else if k == "aws:requestedregion" {
        "the region of rolehop's STS endpoint (AWS_REGION of the task)"
    } else if k == "aws:sourceip" {
        "the address the STS call leaves from (the task's NAT or public IP)"
    } else if k == "aws:sourcevpce" || k == "aws:sourcevpc" || k == "aws:vpcsourceip" {
        "the network path of the STS call (an STS VPC endpoint and its VPC, if the task uses one)"
    } else if k == "sts:rolesessionname" {
        "the session name rolehop uses (--session-name / ROLEHOP_SESSION_NAME)"
    } else if k == "sts:sourceidentity" {
        "the source identity rolehop passes (ROLEHOP_SOURCE_IDENTITY)"
    } else if k == "aws:userid" {
        "the source role's unique id (aws iam get-role, RoleId) and the calling session's name"
    } else {
        "the request: give it with --context KEY=VALUE"
    };
    format!("{key} (from {from})")
}

impl Context {
    /// These keys are in the request with values not known here: (key, where the value
    /// comes from).
    pub fn with_hidden(mut self, hidden: &[(String, String)]) -> Self {
        for (k, from) in hidden {
            self.keys.insert(
                k.to_ascii_lowercase(),
                Key::PresentUnknown(format!("{k} (from {from})")),
            );
        }
        self
    }

    /// These keys (lower-cased) are known absent from the request (`infer::absent_keys`).
    /// A key ending in `/*` states every key under that prefix absent but those given.
    pub fn with_absent(mut self, absent: &[String]) -> Self {
        for k in absent {
            let k = k.to_ascii_lowercase();
            match k.strip_suffix('*').filter(|p| p.ends_with('/')) {
                Some(prefix) => self.absent_prefixes.push(prefix.to_owned()),
                None => {
                    self.keys.insert(k, Key::Absent);
                }
            }
        }
        self
    }

    /// The keys of the AssumeRole `call` made by `caller`, then `given` (`--context`) over them.
    pub fn assume_role(
        caller: Option<&Caller>,
        call: &AssumeRole,
        given: &[(String, String)],
    ) -> Self {
        let mut keys = HashMap::new();
        let mut set = |k: &str, v: Key| {
            keys.insert(k.to_owned(), v);
        };
        if let Some(c) = caller {
            set("aws:principalarn", Key::Present(vec![c.role_arn.clone()]));
            set(
                "aws:principalaccount",
                Key::Present(vec![c.account.clone()]),
            );
            set(
                "aws:principaltype",
                Key::Present(vec!["AssumedRole".into()]),
            );
        }
        set(
            "aws:principalisawsservice",
            Key::Present(vec!["false".into()]),
        );
        set("aws:securetransport", Key::Present(vec!["true".into()]));
        set("aws:viaawsservice", Key::Present(vec!["false".into()]));
        if !call.role_arn.is_empty() {
            set(
                "aws:resourceaccount",
                Key::Present(vec![account_of(&call.role_arn).to_owned()]),
            );
        }
        set(
            "sts:externalid",
            call.external_id
                .clone()
                .map_or(Key::Absent, |id| Key::Present(vec![id])),
        );
        if let Some(name) = &call.session_name {
            set("sts:rolesessionname", Key::Present(vec![name.clone()]));
        }
        // Only calls made by AWS services, or by other kinds of principal, carry these.
        for k in [
            "aws:sourceaccount",
            "aws:sourcearn",
            "aws:sourceorgid",
            "aws:sourceorgpaths",
            "aws:principalservicename",
            "aws:principalservicenameslist",
            "aws:calledvia",
            "aws:calledviafirst",
            "aws:calledvialast",
            "aws:multifactorauthpresent",
            "aws:multifactorauthage",
            "aws:username",
            "aws:federatedprovider",
            "sts:transitivetagkeys",
        ] {
            set(k, Key::Absent);
        }
        if !call.session_tags {
            set("aws:tagkeys", Key::Absent);
        }
        if !call.source_identity {
            set("sts:sourceidentity", Key::Absent);
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        set("aws:epochtime", Key::Present(vec![now.to_string()]));
        set("aws:currenttime", Key::Present(vec![iso8601(now as i64)]));
        let mut given_keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in given {
            given_keys
                .entry(k.to_ascii_lowercase())
                .or_default()
                .push(v.clone());
        }
        for (k, v) in given_keys {
            keys.insert(k, Key::Present(v));
        }
        Self {
            keys,
            absent_prefixes: Vec::new(),
        }
    }

    pub fn get(&self, key: &str) -> Key {
        let lower = key.to_ascii_lowercase();
        if let Some(k) = self.keys.get(&lower) {
            return k.clone();
        }
        if lower.starts_with("aws:requesttag/")
            && self.keys.get("aws:tagkeys") == Some(&Key::Absent)
        {
            return Key::Absent;
        }
        if self.absent_prefixes.iter().any(|p| lower.starts_with(p)) {
            return Key::Absent;
        }
        Key::Unknown(origin(key))
    }
}
