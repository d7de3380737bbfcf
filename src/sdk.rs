//! The client table: what each AWS SDK (and the AWS CLI) does with the variables and files that
//! point it at a container credentials endpoint, as data. It is the one place these platform
//! facts live: docs/SDKS.md's tables are rendered from it (a test keeps the file equal to
//! [`markdown`]), `tests/sdks.rs` measures every [`Evidence::Measured`] row against real
//! clients and fails when one no longer matches, and `rolehop check --clients` answers "which
//! account will each client here be in?" through [`predict`], which reads only this table.
//!
//! A row is measured here (the release named, run in a network namespace by tests/sdks.rs) or
//! read from the SDK's source (each such row names the files read; a cell nobody read is
//! `None` and renders as "not read"). Where an SDK's releases differ, each range has its row,
//! named "from X" when the change's release is known.

use std::path::Path;

use crate::source::{
    ENV_AUTHORIZATION_TOKEN, ENV_AUTHORIZATION_TOKEN_FILE, ENV_FULL_URI, ENV_RELATIVE_URI,
};

/// Where a row's facts come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// Run here by tests/sdks.rs, at the release in [`Sdk::release`].
    Measured,
    /// Read from these files of the SDK's source, not run.
    Read(&'static [&'static str]),
    /// A release between measured ones, run only by `scripts/sdk-bisect.sh`'s probe
    /// (tests/sdk-probe/): FULL_URI, the token file, a newline-ended file, the hosts and an empty
    /// RELATIVE_URI. Its other cells were not measured and say "not read".
    Probed,
}

/// Which container URI a client asks when both are set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum First {
    Relative,
    Full,
}

/// An empty `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` beside a `FULL_URI`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmptyRelative {
    /// Goes by whether the variable is set: asks `http://169.254.170.2` with an empty path.
    CountsAsSet,
    /// Counts it as unset and goes on to FULL_URI.
    CountsAsUnset,
    /// Refuses it and gets no credentials.
    Fails,
}

/// Which token a client sends when both the file and the variable are set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefers {
    File,
    Variable,
}

/// A token file whose content ends with a newline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Newline {
    /// Sends the token without it.
    Trimmed,
    /// Refuses to send it and fails.
    Refused,
    /// Falls back to an older provider that reads only the variable: sends the variable when
    /// it is set, else asks without any token (the JavaScript SDK v3).
    FallsBackToVariable,
}

/// When a long-lived client asks the container endpoint again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// One process per command, no cache: every process fetches (the AWS CLI v1).
    EveryProcess,
    /// `lo`–`hi` seconds before the credential's `Expiration` (`lo == hi` when fixed).
    Before(u32, u32),
}

/// The package and release a row is for, as an installed copy names itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Release {
    /// The package an installation is found by (a Python distribution, an npm package, a Go
    /// module, a gem).
    pub package: &'static str,
    /// The row holds from this release on (up to the next row of the same package).
    pub from: &'static str,
}

/// One client (an SDK in a range of releases) and what it does.
#[derive(Debug, Clone, Copy)]
pub struct Sdk {
    /// The name `check` reports and the table's first column shows.
    pub name: &'static str,
    /// The release(s) the row describes, as the table's second column shows.
    pub release: &'static str,
    /// How an installed copy is recognised and from which release the row holds.
    pub package: Option<Release>,
    pub evidence: Evidence,
    /// Uses `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` alone.
    pub relative_uri: bool,
    /// Uses `AWS_CONTAINER_CREDENTIALS_FULL_URI` (plain http to 127.0.0.1) alone.
    pub full_uri: Option<bool>,
    /// With FULL_URI, sends `AWS_CONTAINER_AUTHORIZATION_TOKEN` as `Authorization`.
    pub token_variable: Option<bool>,
    pub first: Option<First>,
    pub empty_relative: Option<EmptyRelative>,
    /// With RELATIVE_URI, sends `AWS_CONTAINER_AUTHORIZATION_TOKEN` to the ECS agent too.
    pub token_to_relative: Option<bool>,
    /// With FULL_URI, reads `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`.
    pub token_file: Option<bool>,
    /// Which of the two it sends when both are set.
    pub prefers: Option<Prefers>,
    pub newline: Option<Newline>,
    /// The plain-http FULL_URI hosts it uses, of those probed ([`PROBED_HOSTS`]).
    pub hosts: Option<&'static [&'static str]>,
    /// `AWS_PROFILE`'s `credential_process` wins over RELATIVE_URI.
    pub profile_over_container: Option<bool>,
    /// The same through `[default]`, with `AWS_PROFILE` unset.
    pub default_profile_over_container: Option<bool>,
    /// Reads `AWS_CONFIG_FILE` (and so a profile's `credential_process`) only when this
    /// variable is set to a true value; with it set, a named or `[default]` profile stands over
    /// the container provider (the profile cells say what the client does without it).
    pub config_file_needs: Option<&'static str>,
    /// What it does with `AWS_EC2_METADATA_SERVICE_ENDPOINT`.
    pub imds: Option<&'static str>,
    pub refresh: Option<Refresh>,
}

/// botocore's IMDS credential fetcher (`botocore/utils.py`,
/// `InstanceMetadataFetcher._evaluate_expiration`) rewrites a credential's expiry to
/// now + (refresh window + jitter) whenever no more than that is left, so it may be used past its
/// real expiry. The window is `ec2_credential_refresh_window`, which `create_credential_resolver`
/// (`botocore/credentials.py`) sets to `_DEFAULT_ADVISORY_REFRESH_TIMEOUT`, 15 * 60 s (read in
/// botocore 1.43.11 and in the AWS CLI v2's copy, aws-cli 2.36.7).
pub const BOTOCORE_IMDS_REFRESH_WINDOW_SECS: u64 = 15 * 60;
/// The largest jitter `_evaluate_expiration` adds to the window: `random.randint(120, 600)`
/// (inclusive).
pub const BOTOCORE_IMDS_JITTER_MAX_SECS: u64 = 600;
/// What rolehop adds on top: a client clock up to a minute ahead of rolehop's, and the time the
/// answer spends in flight.
pub const IMDS_MARGIN_SECS: u64 = 60;
/// The least time a credential must have left for rolehop to serve it over IMDS: with more than
/// window + largest jitter left, `_evaluate_expiration` never stretches it, whatever jitter it
/// draws; 900 + 600 + 60 = 1560 s (26 minutes).
pub const IMDS_MIN_REMAINING: std::time::Duration = std::time::Duration::from_secs(
    BOTOCORE_IMDS_REFRESH_WINDOW_SECS + BOTOCORE_IMDS_JITTER_MAX_SECS + IMDS_MARGIN_SECS,
);

/// The plain-http FULL_URI hosts tests/sdks.rs probes, in the table's order.
pub const PROBED_HOSTS: [&str; 8] = [
    "127.0.0.1",
    "127.0.0.2",
    "localhost",
    "::1",
    "169.254.170.2",
    "169.254.170.23",
    "fd00:ec2::23",
    "192.0.2.10",
];

const CURRENT_HOSTS: &[&str] = &[
    "127.0.0.1",
    "127.0.0.2",
    "localhost",
    "::1",
    "169.254.170.2",
    "169.254.170.23",
    "fd00:ec2::23",
];
const IMDS_V2: &str = "IMDSv2, token TTL 21600 s";

/// A row with every cell unread, for read rows to fill in.
const UNREAD: Sdk = Sdk {
    name: "",
    release: "",
    package: None,
    evidence: Evidence::Read(&[]),
    relative_uri: true,
    full_uri: None,
    token_variable: None,
    first: None,
    empty_relative: None,
    token_to_relative: None,
    token_file: None,
    prefers: None,
    newline: None,
    hosts: None,
    profile_over_container: None,
    default_profile_over_container: None,
    config_file_needs: None,
    imds: None,
    refresh: None,
};

/// The JavaScript SDK v3's default credential chain, whose release (not the client's: they part
/// after 3.7xx) decides what a JavaScript app does.
const JS_CHAIN: &str = "@aws-sdk/credential-provider-node";
/// The first release of [`JS_CHAIN`] that takes IPv6 FULL_URI hosts (::1, fd00:ec2::23),
/// found by `scripts/sdk-bisect.sh js`.
const JS_IPV6_FROM: &str = "3.575.0";

/// Every client, measured rows first (in docs/SDKS.md's order; the JavaScript SDK's probed row
/// between its measured ones), then the rows read from source.
pub const TABLE: &[Sdk] = &[
    Sdk {
        name: "AWS CLI v1",
        release: "awscli 1.45.11 (botocore 1.43.11)",
        package: Some(Release {
            package: "awscli",
            from: "1.30.0",
        }),
        refresh: Some(Refresh::EveryProcess),
        ..MEASURED_CURRENT
    },
    Sdk {
        name: "boto3",
        release: "boto3 1.43.11 (botocore 1.43.11)",
        package: Some(Release {
            package: "botocore",
            from: "1.32.0",
        }),
        refresh: Some(Refresh::Before(900, 900)),
        ..MEASURED_CURRENT
    },
    BOTOCORE_2023,
    Sdk {
        name: "Rust SDK",
        release: "aws-config 1.13.0",
        package: Some(Release {
            package: "aws-config",
            from: "1.13.0",
        }),
        empty_relative: Some(EmptyRelative::Fails),
        refresh: Some(Refresh::Before(5, 10)),
        ..MEASURED_CURRENT
    },
    Sdk {
        name: "JavaScript SDK v3",
        release: "@aws-sdk/client-sts 3.1177.0 (credential-provider-node 3.972.99)",
        package: Some(Release {
            package: JS_CHAIN,
            from: JS_IPV6_FROM,
        }),
        empty_relative: Some(EmptyRelative::CountsAsUnset),
        newline: Some(Newline::FallsBackToVariable),
        refresh: Some(Refresh::Before(300, 300)),
        ..MEASURED_CURRENT
    },
    Sdk {
        name: "JavaScript SDK v3 (2023)",
        release: "@aws-sdk/client-sts 3.350.0 (credential-provider-node 3.350.0)",
        package: Some(Release {
            package: JS_CHAIN,
            from: "3.350.0",
        }),
        empty_relative: Some(EmptyRelative::CountsAsUnset),
        token_file: Some(false),
        prefers: Some(Prefers::Variable),
        newline: Some(Newline::FallsBackToVariable),
        hosts: Some(&["127.0.0.1", "localhost"]),
        refresh: Some(Refresh::Before(300, 300)),
        ..MEASURED_CURRENT
    },
    Sdk {
        name: "JavaScript SDK v3 (from 3.503.1)",
        release: "@aws-sdk/credential-provider-node 3.503.1–3.572.0",
        package: Some(Release {
            package: JS_CHAIN,
            from: "3.503.1",
        }),
        evidence: Evidence::Probed,
        full_uri: Some(true),
        empty_relative: Some(EmptyRelative::CountsAsUnset),
        token_file: Some(true),
        newline: Some(Newline::FallsBackToVariable),
        hosts: Some(&[
            "127.0.0.1",
            "127.0.0.2",
            "localhost",
            "169.254.170.2",
            "169.254.170.23",
        ]),
        ..UNREAD
    },
    Sdk {
        name: "Ruby SDK (Debian 12)",
        release: "aws-sdk-core 3.168.1",
        package: Some(Release {
            package: "aws-sdk-core",
            from: "3.168.1",
        }),
        full_uri: Some(false),
        token_variable: None,
        empty_relative: Some(EmptyRelative::Fails),
        token_to_relative: Some(false),
        token_file: None,
        prefers: None,
        newline: None,
        hosts: Some(&[]),
        refresh: Some(Refresh::Before(300, 300)),
        ..MEASURED_CURRENT
    },
    Sdk {
        name: "Go SDK v1 (Debian 12)",
        release: "aws-sdk-go 1.44.133",
        package: Some(Release {
            package: "github.com/aws/aws-sdk-go",
            from: "1.44.133",
        }),
        first: Some(First::Full),
        empty_relative: Some(EmptyRelative::CountsAsUnset),
        token_file: Some(false),
        prefers: Some(Prefers::Variable),
        hosts: Some(&["127.0.0.1", "127.0.0.2", "localhost", "::1"]),
        profile_over_container: Some(false),
        default_profile_over_container: Some(false),
        config_file_needs: Some("AWS_SDK_LOAD_CONFIG"),
        refresh: Some(Refresh::Before(300, 300)),
        ..MEASURED_CURRENT
    },
    Sdk {
        name: "Go SDK v2 (Debian 12)",
        release: "aws-sdk-go-v2 config 1.17.10",
        package: Some(Release {
            package: "github.com/aws/aws-sdk-go-v2/config",
            from: "1.17.10",
        }),
        first: Some(First::Full),
        empty_relative: Some(EmptyRelative::CountsAsUnset),
        token_file: Some(false),
        prefers: Some(Prefers::Variable),
        hosts: Some(&["127.0.0.1", "127.0.0.2", "localhost", "::1"]),
        imds: Some("IMDSv2, token TTL 300 s"),
        refresh: Some(Refresh::Before(300, 300)),
        ..MEASURED_CURRENT
    },
    // Read, not run.
    Sdk {
        name: "Ruby SDK (from 3.171)",
        release: "aws-sdk-core 3.171–3.187",
        package: Some(Release {
            package: "aws-sdk-core",
            from: "3.171.0",
        }),
        evidence: Evidence::Read(&[
            "aws/aws-sdk-ruby gems/aws-sdk-core/lib/aws-sdk-core/ecs_credentials.rb (commit 0001955): URIs, the token variable, sent to either URI",
            "aws/aws-sdk-ruby gems/aws-sdk-core/lib/aws-sdk-core/ecs_credentials.rb (commits 0413064, 3.171.0, and 41f9ebc, 3.187.1; the same file in both): empty RELATIVE_URI (set, so an empty path), no token file",
            "aws/aws-sdk-ruby gems/aws-sdk-core/lib/aws-sdk-core/credential_provider_chain.rb (commits 0413064, 41f9ebc): the process provider, for AWS_PROFILE, else the default profile, before the container provider",
            "aws/aws-sdk-ruby gems/aws-sdk-core/lib/aws-sdk-core.rb (commits 0413064, 41f9ebc): the shared config read unless AWS_SDK_CONFIG_OPT_OUT",
            "aws/aws-sdk-ruby gems/aws-sdk-core/lib/aws-sdk-core/instance_profile_credentials.rb (commits 0413064, 41f9ebc): IMDS endpoint variable, token TTL",
            "aws/aws-sdk-ruby gems/aws-sdk-core/lib/aws-sdk-core/refreshing_credentials.rb (commits 0413064, 41f9ebc): refresh",
        ]),
        full_uri: Some(true),
        token_variable: Some(true),
        first: Some(First::Relative),
        // Set (Ruby's "" is true), so the provider asks with an empty path, which Net::HTTP
        // refuses: no credentials, as Debian's 3.168.1 was measured to do through the same code.
        empty_relative: Some(EmptyRelative::Fails),
        token_to_relative: Some(true),
        token_file: Some(false),
        prefers: Some(Prefers::Variable),
        profile_over_container: Some(true),
        default_profile_over_container: Some(true),
        imds: Some(IMDS_V2),
        // RefreshingCredentials' SYNC_EXPIRATION_LENGTH; the ECS provider turns async refresh off.
        refresh: Some(Refresh::Before(300, 300)),
        ..UNREAD
    },
    Sdk {
        name: "Ruby SDK (from 3.188)",
        release: "aws-sdk-core 3.188 and later",
        package: Some(Release {
            package: "aws-sdk-core",
            from: "3.188.0",
        }),
        evidence: Evidence::Read(&[
            "aws/aws-sdk-ruby gems/aws-sdk-core/lib/aws-sdk-core/ecs_credentials.rb (index copy with fetch_authorization_token_file): URIs, empty RELATIVE_URI (a path Net::HTTP refuses), token file and variable to either URI, stripping, hosts",
            "aws/aws-sdk-ruby gems/aws-sdk-core/lib/aws-sdk-core/credential_provider_chain.rb (commits e652c54, 3.188.0, and bac3491, 3.211.0): the process provider, for AWS_PROFILE, else the default profile, before the container provider",
            "aws/aws-sdk-ruby gems/aws-sdk-core/lib/aws-sdk-core.rb (commits e652c54, bac3491): the shared config read unless AWS_SDK_CONFIG_OPT_OUT",
            "aws/aws-sdk-ruby gems/aws-sdk-core/lib/aws-sdk-core/instance_profile_credentials.rb (commits e652c54, bac3491): IMDS endpoint variable, token TTL",
            "aws/aws-sdk-ruby gems/aws-sdk-core/lib/aws-sdk-core/refreshing_credentials.rb (commits e652c54, bac3491): refresh",
        ]),
        full_uri: Some(true),
        token_variable: Some(true),
        first: Some(First::Relative),
        empty_relative: Some(EmptyRelative::Fails),
        token_to_relative: Some(true),
        token_file: Some(true),
        prefers: Some(Prefers::File),
        newline: Some(Newline::Trimmed),
        // 127.0.0.0/8, ::1 and the ECS/EKS hosts, or a name all of whose addresses are those.
        hosts: Some(CURRENT_HOSTS),
        profile_over_container: Some(true),
        default_profile_over_container: Some(true),
        imds: Some(IMDS_V2),
        // RefreshingCredentials' SYNC_EXPIRATION_LENGTH; the ECS provider turns async refresh off.
        refresh: Some(Refresh::Before(300, 300)),
        ..UNREAD
    },
    Sdk {
        name: "Go SDK v1",
        release: "aws-sdk-go final release (commit 8d203cc)",
        package: Some(Release {
            package: "github.com/aws/aws-sdk-go",
            from: "1.0.0",
        }),
        evidence: Evidence::Read(&[
            "aws/aws-sdk-go aws/defaults/defaults.go",
            "aws/aws-sdk-go aws/credentials/endpointcreds/provider.go",
            "aws/aws-sdk-go aws/session/env_config.go",
            "aws/aws-sdk-go aws/defaults/defaults.go (index copy with isAllowedHost and the token file): FULL_URI first, so an empty RELATIVE_URI is not asked; the token (variable, or file) to either URI",
            "aws/aws-sdk-go aws/ec2metadata/service.go (index copy: defaultTTL 21600 s) and aws/session/env_config.go (index copy: ec2IMDSEndpointEnvKey): IMDS",
        ]),
        full_uri: Some(true),
        token_variable: Some(true),
        first: Some(First::Full),
        empty_relative: Some(EmptyRelative::CountsAsUnset),
        token_to_relative: Some(true),
        token_file: Some(true),
        prefers: Some(Prefers::File),
        newline: Some(Newline::Refused),
        hosts: Some(&[
            "127.0.0.1",
            "127.0.0.2",
            "localhost",
            "::1",
            "169.254.170.2",
            "169.254.170.23",
            "fd00:ec2::23",
        ]),
        config_file_needs: Some("AWS_SDK_LOAD_CONFIG"),
        imds: Some(IMDS_V2),
        refresh: Some(Refresh::Before(300, 300)),
        ..UNREAD
    },
    Sdk {
        name: "Go SDK v2 (early)",
        release: "aws-sdk-go-v2 config before v1.25.0 (read at commit ae85370)",
        package: Some(Release {
            package: "github.com/aws/aws-sdk-go-v2/config",
            from: "0.0.0",
        }),
        evidence: Evidence::Read(&[
            "aws/aws-sdk-go-v2 config/resolve_credentials.go (commit ae85370): FULL_URI first, so an empty RELATIVE_URI is not asked; the token variable to either URI",
        ]),
        full_uri: Some(true),
        token_variable: Some(true),
        first: Some(First::Full),
        empty_relative: Some(EmptyRelative::CountsAsUnset),
        token_to_relative: Some(true),
        token_file: Some(false),
        prefers: Some(Prefers::Variable),
        hosts: Some(&["127.0.0.1", "127.0.0.2", "localhost", "::1"]),
        profile_over_container: Some(true),
        default_profile_over_container: Some(true),
        ..UNREAD
    },
    Sdk {
        name: "Go SDK v2 (from config v1.25.0)",
        release: "aws-sdk-go-v2 config v1.25.0–v1.27.33",
        package: Some(Release {
            package: "github.com/aws/aws-sdk-go-v2/config",
            from: "1.25.0",
        }),
        evidence: Evidence::Read(&[
            "aws/aws-sdk-go-v2 config/CHANGELOG.md",
            "aws/aws-sdk-go-v2 config/resolve_credentials.go (and an index copy with the token file, FULL_URI first: the token to either URI, an empty RELATIVE_URI unset)",
            "aws/aws-sdk-go-v2 config/CHANGELOG.md, v1.25.0 (index copy): the token file and the EKS container host came in the same release",
            "moby/moby vendor/github.com/aws/aws-sdk-go-v2/config/resolve_credentials.go (commit 7ac688a; config v1.26.6 by its vendor/modules.txt): hosts (loopback, 169.254.170.2, 169.254.170.23, fd00:ec2::23, or a name all of whose addresses are those), FULL_URI first",
        ]),
        full_uri: Some(true),
        token_variable: Some(true),
        first: Some(First::Full),
        empty_relative: Some(EmptyRelative::CountsAsUnset),
        token_to_relative: Some(true),
        token_file: Some(true),
        prefers: Some(Prefers::File),
        newline: Some(Newline::Refused),
        // As from v1.27.34: loopback, the ECS/EKS hosts, or a name all of whose addresses are
        // those (an older index copy that takes loopback only reads no token file: pre-v1.25.0).
        hosts: Some(CURRENT_HOSTS),
        profile_over_container: Some(true),
        default_profile_over_container: Some(true),
        refresh: Some(Refresh::Before(300, 300)),
        ..UNREAD
    },
    Sdk {
        name: "Go SDK v2 (from config v1.27.34)",
        release: "aws-sdk-go-v2 config v1.27.34 and later",
        package: Some(Release {
            package: "github.com/aws/aws-sdk-go-v2/config",
            from: "1.27.34",
        }),
        evidence: Evidence::Read(&[
            "aws/aws-sdk-go-v2 config/CHANGELOG.md",
            "aws/aws-sdk-go-v2 config/resolve_credentials.go",
            "hashicorp/vault vendor/github.com/aws/aws-sdk-go-v2/config/resolve_credentials.go (commit 1350cae; config v1.28.4 by its go_module_metadata.go): RELATIVE_URI first, the token (file or variable) to either URI, hosts",
        ]),
        full_uri: Some(true),
        token_variable: Some(true),
        first: Some(First::Relative),
        empty_relative: Some(EmptyRelative::CountsAsUnset),
        token_to_relative: Some(true),
        token_file: Some(true),
        prefers: Some(Prefers::File),
        newline: Some(Newline::Refused),
        // Loopback (any 127.x, ::1), 169.254.170.2, 169.254.170.23, fd00:ec2::23, or a name all
        // of whose addresses are those.
        hosts: Some(CURRENT_HOSTS),
        profile_over_container: Some(true),
        default_profile_over_container: Some(true),
        refresh: Some(Refresh::Before(300, 300)),
        ..UNREAD
    },
    Sdk {
        name: "Java SDK v2",
        release: "aws-sdk-java-v2, current",
        package: None,
        evidence: Evidence::Read(&[
            "aws/aws-sdk-java-v2 core/auth/src/main/java/software/amazon/awssdk/auth/credentials/ContainerCredentialsProvider.java (index copy with getTokenValue): URIs, token file and variable, hosts",
            "aws/aws-sdk-java-v2 core/auth/src/main/java/software/amazon/awssdk/auth/credentials/DefaultCredentialsProvider.java (commit 0131c08): the profile provider before the container provider",
            "aws/aws-sdk-java-v2 core/auth/src/main/java/software/amazon/awssdk/auth/credentials/internal/ProfileCredentialsUtils.java (commit 09c61e2): a profile's credential_process",
            "aws/aws-sdk-java-v2 utils/src/main/java/software/amazon/awssdk/utils/SystemSetting.java (commit 1ffa908) and utils/internal/SystemSettingUtils.java (commit 012de41, and later index copies): an empty variable is present, so an empty RELATIVE_URI is used (http://169.254.170.2, which the IPv4 host rule allows)",
            "aws/aws-sdk-java-v2 core/auth/src/main/java/software/amazon/awssdk/auth/credentials/ProfileCredentialsProvider.java (commit 01496b9) and ProfileFileSystemSetting.java (index copy): the profile is AWS_PROFILE, else the default profile",
            "aws/aws-sdk-java-v2 core/auth/src/main/java/software/amazon/awssdk/auth/credentials/InstanceProfileCredentialsProvider.java (index copy with Ec2MetadataDisableV1Resolver): IMDSv2, token TTL 21600",
            "aws/aws-sdk-java-v2 core/auth/src/main/java/software/amazon/awssdk/auth/credentials/internal/Ec2MetadataConfigProvider.java (commit 20fe77a): AWS_EC2_METADATA_SERVICE_ENDPOINT overrides the endpoint",
            "aws/aws-sdk-java-v2 core/auth/src/main/java/software/amazon/awssdk/auth/credentials/internal/HttpCredentialsLoader.java (commit 416628c), core/regions/src/main/java/software/amazon/awssdk/regions/util/HttpResourcesUtils.java (commit 0c4ed76), core/regions/src/main/java/software/amazon/awssdk/regions/internal/util/ConnectionUtils.java (commit 2fbab23): the token file's content goes to HttpURLConnection.addRequestProperty, whose header check (the JDK's sun.net.www.protocol.http.HttpURLConnection, index copies) throws on a newline not followed by a space or tab, and the provider fails",
        ]),
        full_uri: Some(true),
        token_variable: Some(true),
        first: Some(First::Relative),
        empty_relative: Some(EmptyRelative::CountsAsSet),
        token_to_relative: Some(true),
        token_file: Some(true),
        prefers: Some(Prefers::Variable),
        newline: Some(Newline::Refused),
        // Loopback by resolution (every address), and the ECS/EKS IPv4 hosts in the default
        // (IPv4) endpoint mode; fd00:ec2::23 only with AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6.
        hosts: Some(&[
            "127.0.0.1",
            "127.0.0.2",
            "localhost",
            "::1",
            "169.254.170.2",
            "169.254.170.23",
        ]),
        profile_over_container: Some(true),
        default_profile_over_container: Some(true),
        imds: Some(IMDS_V2),
        ..UNREAD
    },
    Sdk {
        name: ".NET SDK",
        release: "aws-sdk-net (commits 1bc5d0d, 0934adc)",
        package: None,
        evidence: Evidence::Read(&[
            "aws/aws-sdk-net sdk/src/Core/Amazon.Runtime/Credentials/GenericContainerCredentials.cs",
            "aws/aws-sdk-net DefaultAWSCredentialsIdentityResolver.cs",
            "aws/aws-sdk-net sdk/src/Core/Amazon.Runtime/Credentials/Internal/IdentityResolvers/DefaultAWSCredentialsIdentityResolver.cs (commit 69556ab), with GenericContainerCredentials.cs (commit 1bc5d0d): an empty RELATIVE_URI counts as unset (IsNullOrEmpty in both), the token header the same for either URI",
            "aws/aws-sdk-net sdk/src/Core/Amazon.Util/EC2InstanceMetadata.cs (commit 97f2765) and DefaultInstanceProfileAWSCredentials.cs (index copy): IMDSv2, token TTL 21600, endpoint from AWS_EC2_METADATA_SERVICE_ENDPOINT",
        ]),
        full_uri: Some(true),
        token_variable: Some(true),
        first: Some(First::Relative),
        empty_relative: Some(EmptyRelative::CountsAsUnset),
        token_to_relative: Some(true),
        token_file: Some(true),
        prefers: Some(Prefers::File),
        hosts: Some(CURRENT_HOSTS),
        profile_over_container: Some(true),
        default_profile_over_container: Some(true),
        imds: Some(IMDS_V2),
        refresh: Some(Refresh::Before(900, 900)),
        ..UNREAD
    },
    Sdk {
        name: "PHP SDK",
        release: "aws-sdk-php, current",
        package: None,
        evidence: Evidence::Read(&[
            "aws/aws-sdk-php src/Credentials/EcsCredentialProvider.php (index copy, namespace Aws\\Credentials): URIs, empty RELATIVE_URI, token file and variable",
            "aws/aws-sdk-php src/Credentials/EcsCredentialProvider.php (index copy with public constants, isCompatibleUri) and src/Credentials/CredentialsUtils.php (index copy, isLoopBackAddress): hosts",
            "aws/aws-sdk-php src/Credentials/InstanceProfileProvider.php (index copy with ec2_metadata_v1_disabled) and src/Configuration/ConfigurationResolver.php (commit 0197cfc): IMDSv2, token TTL 21600, the endpoint from AWS_EC2_METADATA_SERVICE_ENDPOINT, plain http only to loopback",
        ]),
        full_uri: Some(true),
        token_variable: Some(true),
        first: Some(First::Relative),
        empty_relative: Some(EmptyRelative::CountsAsUnset),
        token_to_relative: Some(true),
        token_file: Some(true),
        prefers: Some(Prefers::File),
        // 169.254.170.2, 169.254.170.23, fd00:ec2::23 literally, or a host whose
        // gethostbyname() (IPv4 only; an IPv6 literal comes back unchanged) is 127.0.0.0/8 or ::1.
        hosts: Some(CURRENT_HOSTS),
        imds: Some("IMDSv2, token TTL 21600 s (a plain-http endpoint must be loopback)"),
        ..UNREAD
    },
    Sdk {
        name: "C++ SDK",
        release: "aws-sdk-cpp, current",
        package: None,
        evidence: Evidence::Read(&[
            "aws/aws-sdk-cpp src/aws-cpp-sdk-core/source/auth/GeneralHTTPCredentialsProvider.cpp (commit 0eb8317): URIs, empty RELATIVE_URI, token file and variable, hosts",
            "aws/aws-sdk-cpp src/aws-cpp-sdk-core/source/auth/AWSCredentialsProviderChain.cpp (commit 5f028bf): the profile and process providers before the container provider",
            "aws/aws-sdk-cpp src/aws-cpp-sdk-core/source/auth/AWSCredentialsProvider.cpp (commit 1d57672): the process provider's profile is AWS_DEFAULT_PROFILE, else AWS_PROFILE, else the default profile",
            "aws/aws-sdk-cpp src/aws-cpp-sdk-core/source/internal/AWSHttpResourceClient.cpp (commit 05a21b6): IMDS endpoint from AWS_EC2_METADATA_SERVICE_ENDPOINT, IMDSv2 token TTL 21600",
            "aws/aws-sdk-cpp AWSHttpResourceClient.h (index copy with SetToken), AWSHttpResourceClient.cpp (commit 05a21b6), StandardHttpRequest.cpp, StringUtils.cpp and HttpClientFactory.cpp (index copies): the token goes through StandardHttpRequest::SetHeaderValue, which trims whitespace, a trailing newline included",
        ]),
        full_uri: Some(true),
        token_variable: Some(true),
        first: Some(First::Relative),
        empty_relative: Some(EmptyRelative::CountsAsUnset),
        token_to_relative: Some(true),
        token_file: Some(true),
        prefers: Some(Prefers::File),
        newline: Some(Newline::Trimmed),
        // 127.0.0.x, ::1 and the ECS/EKS hosts literally; a name when every address it
        // resolves to is one of those.
        hosts: Some(CURRENT_HOSTS),
        profile_over_container: Some(true),
        default_profile_over_container: Some(true),
        imds: Some(IMDS_V2),
        ..UNREAD
    },
    Sdk {
        name: "AWS CLI v2",
        release: "aws-cli 2.36.7 (v2 branch, commit 73fb33b; its own copy of botocore)",
        package: None,
        evidence: Evidence::Read(&[
            "aws/aws-cli (v2) awscli/botocore/credentials.py: the chain, URIs, empty RELATIVE_URI, token file and variable, newline, refresh",
            "aws/aws-cli (v2) awscli/botocore/utils.py: hosts (ContainerMetadataFetcher), IMDS token TTL",
        ]),
        full_uri: Some(true),
        token_variable: Some(true),
        first: Some(First::Relative),
        empty_relative: Some(EmptyRelative::CountsAsSet),
        token_to_relative: Some(true),
        token_file: Some(true),
        prefers: Some(Prefers::File),
        newline: Some(Newline::Refused),
        hosts: Some(CURRENT_HOSTS),
        profile_over_container: Some(true),
        default_profile_over_container: Some(true),
        imds: Some(IMDS_V2),
        refresh: Some(Refresh::Before(900, 900)),
        ..UNREAD
    },
];

/// Where a package's releases changed what the table's rows say, found by measurement:
/// `scripts/sdk-bisect.sh` bisects the published releases with tests/sdk-probe/botocore_probe.py
/// and `tests/sdks.rs` (`release_boundaries_hold`) measures the two releases either side again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Boundary {
    /// The package whose releases were bisected, as installed (a Python distribution).
    pub package: &'static str,
    /// The last release that behaves as the `before` row says.
    pub last_before: &'static str,
    /// The first release that behaves as the `after` row says.
    pub from: &'static str,
    /// The row the releases up to `last_before` match (in the cells the probe measures).
    pub before: &'static str,
    /// The row the releases from `from` on match.
    pub after: &'static str,
    /// What changed there, in words.
    pub changed: &'static str,
}

/// Every boundary found (`scripts/sdk-bisect.sh botocore`, `js`). The AWS CLI v1 pins one botocore release (`awscli 1.30.0` requires
/// `botocore==1.32.0`), so its boundary is botocore's, measured through the botocore it installs.
pub const BOUNDARIES: &[Boundary] = &[
    Boundary {
        package: "botocore",
        last_before: "1.31.85",
        from: "1.32.0",
        before: "boto3 (2023)",
        after: "boto3",
        changed: "the token file is read (and refused when it ends in a newline); plain-http FULL_URI takes all of loopback, ::1, 169.254.170.23 and fd00:ec2::23",
    },
    Boundary {
        package: "awscli",
        last_before: "1.29.85",
        from: "1.30.0",
        before: "boto3 (2023)",
        after: "AWS CLI v1",
        changed: "the same, through the botocore each pins (1.31.85, 1.32.0)",
    },
    Boundary {
        package: JS_CHAIN,
        last_before: "3.503.0",
        from: "3.503.1",
        before: "JavaScript SDK v3 (2023)",
        after: "JavaScript SDK v3 (from 3.503.1)",
        changed: "the default chain tries fromHttp (the token file, else the variable) before fromContainerMetadata; plain-http FULL_URI takes 127.0.0.2 (all of loopback), 169.254.170.2 and 169.254.170.23",
    },
    Boundary {
        package: JS_CHAIN,
        last_before: "3.572.0",
        from: JS_IPV6_FROM,
        before: "JavaScript SDK v3 (from 3.503.1)",
        after: "JavaScript SDK v3",
        changed: "plain-http FULL_URI takes ::1 and fd00:ec2::23 too",
    },
];

/// The measured botocore rows share every cell but the release and the refresh.
const BOTOCORE_2023: Sdk = Sdk {
    name: "boto3 (2023)",
    release: "boto3 1.28.0 (botocore 1.31.0)",
    package: Some(Release {
        package: "botocore",
        from: "1.31.0",
    }),
    empty_relative: Some(EmptyRelative::CountsAsSet),
    token_file: Some(false),
    prefers: Some(Prefers::Variable),
    newline: None,
    hosts: Some(&["127.0.0.1", "localhost", "169.254.170.2"]),
    refresh: Some(Refresh::Before(900, 900)),
    ..MEASURED_CURRENT
};

/// What the current measured clients share; each row says where it differs.
const MEASURED_CURRENT: Sdk = Sdk {
    name: "",
    release: "",
    package: None,
    evidence: Evidence::Measured,
    relative_uri: true,
    full_uri: Some(true),
    token_variable: Some(true),
    first: Some(First::Relative),
    empty_relative: Some(EmptyRelative::CountsAsSet),
    token_to_relative: Some(true),
    token_file: Some(true),
    prefers: Some(Prefers::File),
    newline: Some(Newline::Refused),
    hosts: Some(CURRENT_HOSTS),
    profile_over_container: Some(true),
    default_profile_over_container: Some(true),
    config_file_needs: None,
    imds: Some(IMDS_V2),
    refresh: None,
};

/// The row named `name`.
pub fn row(name: &str) -> Option<&'static Sdk> {
    TABLE.iter().find(|s| s.name == name)
}

// ---------------------------------------------------------------------------------------------
// The table as docs/SDKS.md shows it.

/// The columns after the name, as docs/SDKS.md heads them.
pub const COLUMNS: [&str; 17] = [
    "Release",
    "RELATIVE_URI",
    "FULL_URI",
    "Token variable sent",
    "Both URIs set: asks",
    "Empty RELATIVE_URI and FULL_URI: asks",
    "Token variable sent to RELATIVE_URI",
    "Token file read",
    "File and variable: sends",
    "Token file ending in a newline",
    "Plain-http FULL_URI hosts accepted",
    "Profile and RELATIVE_URI: uses",
    "`[default]` profile, no AWS_PROFILE, and RELATIVE_URI: uses",
    "`AWS_EC2_METADATA_SERVICE_ENDPOINT`",
    "Refreshes a container credential",
    "Releases bisected",
    "Source",
];

const NOT_READ: &str = "not read";

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

impl Sdk {
    /// The cells after the name, in [`COLUMNS`]' order, without the last two (the releases
    /// bisected and the source): what tests/sdks.rs measures.
    pub fn cells(&self) -> Vec<String> {
        let read = |cell: Option<String>| cell.unwrap_or_else(|| NOT_READ.into());
        // A client that ignores FULL_URI has nothing to say about its token.
        let full = |cell: Option<String>| match self.full_uri {
            Some(false) => "-".into(),
            _ => read(cell),
        };
        let uses = |profile: bool| if profile { "profile" } else { "container" }.to_owned();
        vec![
            self.release.into(),
            yes_no(self.relative_uri),
            read(self.full_uri.map(yes_no)),
            full(self.token_variable.map(yes_no)),
            read(self.first.map(|f| {
                match f {
                    First::Relative => "RELATIVE_URI",
                    First::Full => "FULL_URI",
                }
                .into()
            })),
            read(self.empty_relative.map(|e| {
                match e {
                    EmptyRelative::CountsAsSet => {
                        "RELATIVE_URI (http://169.254.170.2 with an empty path)"
                    }
                    EmptyRelative::CountsAsUnset => "FULL_URI",
                    EmptyRelative::Fails => "neither (the client fails)",
                }
                .into()
            })),
            read(self.token_to_relative.map(yes_no)),
            full(self.token_file.map(yes_no)),
            full(self.prefers.map(|p| {
                match p {
                    Prefers::File => "file",
                    Prefers::Variable => "variable",
                }
                .into()
            })),
            match (self.token_file, self.newline) {
                // A client that reads no file sends the variable or nothing.
                (Some(false), _) => full(Some("the file is not read".into())),
                (_, n) => full(n.map(|n| {
                    match n {
                        Newline::Trimmed => "trimmed",
                        Newline::Refused => "refused (the client fails)",
                        Newline::FallsBackToVariable => {
                            "falls back: sends the variable, or no token when it is unset"
                        }
                    }
                    .into()
                })),
            },
            read(self.hosts.map(|h| {
                if h.is_empty() {
                    "none".into()
                } else {
                    h.join(", ")
                }
            })),
            read(self.profile_over_container.map(uses)),
            read(self.default_profile_over_container.map(uses)),
            read(self.imds.map(str::to_owned)),
            read(self.refresh.map(|r| match r {
                Refresh::EveryProcess => "every process fetches".into(),
                Refresh::Before(lo, hi) if lo == hi => format!("{lo} s before expiry"),
                Refresh::Before(lo, hi) => format!("{lo}–{hi} s before expiry"),
            })),
        ]
    }

    /// The releases [`BOUNDARIES`] say the row holds for; "-" for a row no bisection touched.
    fn releases_cell(&self) -> String {
        let mut said = Vec::new();
        for b in BOUNDARIES {
            if b.after == self.name {
                said.push(format!("from {} {}", b.package, b.from));
            }
            if b.before == self.name {
                said.push(format!("through {} {}", b.package, b.last_before));
            }
        }
        if said.is_empty() {
            "-".into()
        } else {
            said.join("; ")
        }
    }

    fn source_cell(&self) -> String {
        match self.evidence {
            Evidence::Measured => "measured by tests/sdks.rs".into(),
            Evidence::Probed => "probed by scripts/sdk-bisect.sh (FULL_URI, token file, newline, hosts, empty RELATIVE_URI); \"not read\": not measured".into(),
            Evidence::Read(files) => format!(
                "read, not run: {}",
                files
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// docs/SDKS.md's table: one row per client, rendered from [`TABLE`].
pub fn markdown() -> String {
    let mut out = format!("| Client | {} |\n", COLUMNS.join(" | "));
    out.push_str(&format!("|---|{}\n", "---|".repeat(COLUMNS.len())));
    for sdk in TABLE {
        let mut cells = sdk.cells();
        cells.push(sdk.releases_cell());
        cells.push(sdk.source_cell());
        out.push_str(&format!("| {} | {} |\n", sdk.name, cells.join(" | ")));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// What a client does in an environment.

/// Where a client's credentials come from, as `check --format json` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// Static keys or web identity from the process's variables.
    Environment,
    /// A profile of the config or credentials file.
    Profile,
    /// The ECS agent through `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`: the task role.
    ContainerRelative,
    /// `AWS_CONTAINER_CREDENTIALS_FULL_URI` (rolehop, when it points there).
    ContainerFull,
    /// The instance metadata service.
    Imds,
    /// No credentials: the client fails.
    None,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Environment => "environment",
            Source::Profile => "profile",
            Source::ContainerRelative => "container-relative",
            Source::ContainerFull => "container-full",
            Source::Imds => "imds",
            Source::None => "none",
        }
    }
}

/// The `Authorization` a client sends to the container endpoint it asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sends {
    /// The token file's content (without a trailing newline when the client trims it).
    TokenFile,
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
    TokenVariable,
    /// No `Authorization` header.
    NoToken,
}

/// What a client would do here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prediction {
    pub source: Source,
    /// For a container source: the token it sends.
    pub sends: Option<Sends>,
    /// The URL it asks, for a container source.
    pub url: Option<String>,
    /// Why, in words; and what the table does not say (cells not read) that this depends on.
    pub why: String,
    /// The prediction rests on a cell nobody read for this client.
    pub unread: bool,
    /// For a profile source: its `credential_process`, if it has one.
    pub profile_process: Option<String>,
}

/// The variables the chains read, for the environment half of a prediction.
const ENV_ACCESS_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
const ENV_SECRET_ACCESS_KEY: &str = "AWS_SECRET_ACCESS_KEY";
const ENV_ROLE_ARN: &str = "AWS_ROLE_ARN";
const ENV_WEB_IDENTITY_TOKEN_FILE: &str = "AWS_WEB_IDENTITY_TOKEN_FILE";
const ENV_PROFILE: &str = "AWS_PROFILE";
const ENV_CONFIG_FILE: &str = "AWS_CONFIG_FILE";
const ENV_SHARED_CREDENTIALS_FILE: &str = "AWS_SHARED_CREDENTIALS_FILE";
const ENV_METADATA_DISABLED: &str = "AWS_EC2_METADATA_DISABLED";
/// The ECS agent's address, which RELATIVE_URI is a path on.
pub const ECS_AGENT: &str = "http://169.254.170.2";

/// Keys that give a profile credentials (directly or by a provider the profile names).
const PROFILE_CREDENTIAL_KEYS: [&str; 6] = [
    "aws_access_key_id",
    "credential_process",
    "role_arn",
    "sso_session",
    "sso_start_url",
    "web_identity_token_file",
];

/// A profile that gives credentials: its name, the file, and its `credential_process`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundProfile {
    pub name: String,
    pub file: String,
    pub credential_process: Option<String>,
}

fn truthy(v: Option<String>) -> bool {
    v.is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true"))
}

/// A profile `AWS_PROFILE` asks for that no shared file has (the clients then fail).
struct MissingProfile(String);

/// The profile a client would use from the shared files, if any gives credentials, or the
/// missing profile `AWS_PROFILE` names.
fn profile(
    sdk: &Sdk,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<FoundProfile>, MissingProfile> {
    let named = env(ENV_PROFILE).filter(|p| !p.is_empty());
    let name = named.clone().unwrap_or_else(|| "default".into());
    let home = env("HOME").unwrap_or_default();
    let config_file = env(ENV_CONFIG_FILE).unwrap_or_else(|| format!("{home}/.aws/config"));
    let credentials_file =
        env(ENV_SHARED_CREDENTIALS_FILE).unwrap_or_else(|| format!("{home}/.aws/credentials"));
    let reads_config = sdk.config_file_needs.is_none_or(|var| truthy(env(var)));
    let config_header = if name == "default" {
        "default".to_owned()
    } else {
        format!("profile {name}")
    };
    let mut exists = false;
    let files = [
        (reads_config, config_file, config_header),
        (true, credentials_file, name.clone()),
    ];
    for (read, file, header) in files {
        if !read {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let Some(keys) = crate::config::file::section_keys(&text, &header) else {
            continue;
        };
        exists = true;
        if keys
            .iter()
            .any(|(k, _)| PROFILE_CREDENTIAL_KEYS.contains(&k.as_str()))
        {
            let credential_process = keys
                .iter()
                .find(|(k, _)| k == "credential_process")
                .map(|(_, v)| v.clone());
            return Ok(Some(FoundProfile {
                name,
                file,
                credential_process,
            }));
        }
    }
    // A client that does not read the config file (Go v1 without AWS_SDK_LOAD_CONFIG) looks
    // for the profile in the credentials file only and goes on down its chain without it.
    match named {
        Some(n) if !exists && reads_config => Err(MissingProfile(n)),
        _ => Ok(None),
    }
}

/// The host of an `http://` URL, without brackets or port; `None` for https or no host.
fn http_host(url: &str) -> Option<String> {
    let rest = url.strip_prefix("http://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    Some(host.to_ascii_lowercase())
}

/// Whether `sdk` uses FULL_URI `url`; `None` when its hosts were not read.
fn accepts(sdk: &Sdk, url: &str) -> Option<bool> {
    if url.starts_with("https://") {
        return Some(true);
    }
    let host = http_host(url)?;
    let hosts = sdk.hosts?;
    // A client that takes 127.0.0.2 takes the whole loopback block.
    let loopback_block = hosts.contains(&"127.0.0.2")
        && host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback());
    Some(hosts.contains(&host.as_str()) || loopback_block)
}

/// What `sdk` would do in the environment `env` gives (files named there are read from disk):
/// the first source of its chain that gives credentials.
pub fn predict(sdk: &Sdk, env: &dyn Fn(&str) -> Option<String>) -> Prediction {
    if let Some(p) = static_keys_or_web_identity(env) {
        return p;
    }
    if let Some(p) = profile_source(sdk, env) {
        return p;
    }
    let mut unread = false;
    if let Some(p) = container_provider(sdk, env, &mut unread) {
        return p;
    }
    instance_metadata(sdk, env, unread)
}

impl Prediction {
    /// A source that asks no container endpoint.
    fn of(source: Source, why: String, unread: bool) -> Self {
        Prediction {
            source,
            sends: None,
            url: None,
            why,
            unread,
            profile_process: None,
        }
    }
}

/// `name`'s value, unless unset or empty.
fn non_empty(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    env(name).filter(|v| !v.is_empty())
}

/// 1. Static keys and web identity, which every chain tries first.
fn static_keys_or_web_identity(env: &dyn Fn(&str) -> Option<String>) -> Option<Prediction> {
    let set = |name: &str| non_empty(env, name);
    if set(ENV_ACCESS_KEY_ID).is_some() && set(ENV_SECRET_ACCESS_KEY).is_some() {
        return Some(Prediction::of(
            Source::Environment,
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set: static keys come first in every chain".into(),
            false,
        ));
    }
    if set(ENV_ROLE_ARN).is_some() && set(ENV_WEB_IDENTITY_TOKEN_FILE).is_some() {
        return Some(Prediction::of(
            Source::Environment,
            "AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE are set: web identity comes before profiles and containers".into(),
            false,
        ));
    }
    None
}

/// 2. A profile, which every client measured uses over the container provider.
fn profile_source(sdk: &Sdk, env: &dyn Fn(&str) -> Option<String>) -> Option<Prediction> {
    let found = match profile(sdk, env) {
        Ok(found) => found?,
        Err(MissingProfile(name)) => {
            return Some(Prediction::of(
                Source::None,
                format!(
                    "AWS_PROFILE names profile {name}, which no config or credentials file here has: the client fails"
                ),
                false,
            ));
        }
    };
    // With the variable a client needs to read the config file set, its profiles stand
    // over the container provider (measured in Debian 12's Go SDK v1); the profile cells
    // say what it does without.
    let over = if sdk.config_file_needs.is_some_and(|var| truthy(env(var))) {
        Some(true)
    } else if env(ENV_PROFILE).is_some_and(|p| !p.is_empty()) {
        sdk.profile_over_container
    } else {
        sdk.default_profile_over_container
    };
    if over == Some(false) {
        return None;
    }
    let mut p = Prediction::of(
        Source::Profile,
        format!(
            "profile {} in {} gives credentials{}",
            found.name,
            found.file,
            if over.is_none() {
                " (where profiles stand in this client's chain was not read)"
            } else {
                ""
            }
        ),
        over.is_none(),
    );
    p.profile_process = found.credential_process;
    Some(p)
}

/// 3. The container provider: RELATIVE_URI or FULL_URI, in this client's order. Sets
///    `unread` when the answer rests on a cell nobody read.
fn container_provider(
    sdk: &Sdk,
    env: &dyn Fn(&str) -> Option<String>,
    unread: &mut bool,
) -> Option<Prediction> {
    let set = |name: &str| non_empty(env, name);
    let relative = env(ENV_RELATIVE_URI);
    let full = set(ENV_FULL_URI).filter(|_| sdk.full_uri != Some(false));
    if sdk.full_uri.is_none() && set(ENV_FULL_URI).is_some() {
        *unread = true;
    }
    let first = sdk.first.unwrap_or_else(|| {
        *unread = true;
        First::Relative
    });
    let ask_relative = |rel: String, unread| {
        let mut p = Prediction::of(
            Source::ContainerRelative,
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is set, and this client asks it before any FULL_URI"
                .into(),
            unread || sdk.token_to_relative.is_none(),
        );
        p.sends = Some(
            if set(ENV_AUTHORIZATION_TOKEN).is_some() && sdk.token_to_relative == Some(true) {
                Sends::TokenVariable
            } else {
                Sends::NoToken
            },
        );
        p.url = Some(format!("{ECS_AGENT}{rel}"));
        p
    };
    match (relative, full) {
        (Some(rel), Some(_)) if first == First::Relative && !rel.is_empty() => {
            Some(ask_relative(rel, *unread))
        }
        (Some(rel), full) if rel.is_empty() && (full.is_none() || first == First::Relative) => {
            match sdk.empty_relative {
                Some(EmptyRelative::CountsAsSet) => Some(ask_relative(rel, *unread)),
                Some(EmptyRelative::Fails) => Some(Prediction::of(
                    Source::None,
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is set but empty, which this client refuses: it gets no credentials".into(),
                    *unread,
                )),
                Some(EmptyRelative::CountsAsUnset) | None => {
                    *unread |= sdk.empty_relative.is_none();
                    full.map(|url| ask_full(sdk, env, url, *unread))
                }
            }
        }
        (Some(rel), None) => Some(ask_relative(rel, *unread)),
        (_, Some(url)) => Some(ask_full(sdk, env, url, *unread)),
        (None, None) => None,
    }
}

/// 4. IMDS, where the chain ends.
fn instance_metadata(sdk: &Sdk, env: &dyn Fn(&str) -> Option<String>, unread: bool) -> Prediction {
    if truthy(env(ENV_METADATA_DISABLED)) {
        Prediction::of(
            Source::None,
            "no source in the chain gives credentials (AWS_EC2_METADATA_DISABLED turns IMDS off)"
                .into(),
            unread,
        )
    } else {
        Prediction::of(
            Source::Imds,
            "no key, profile or container variable: the chain ends at the instance metadata service".into(),
            unread || sdk.imds.is_none(),
        )
    }
}

/// FULL_URI, once the chain reaches it: the host rule, then the token.
fn ask_full(
    sdk: &Sdk,
    env: &dyn Fn(&str) -> Option<String>,
    url: String,
    mut unread: bool,
) -> Prediction {
    let fail = |why: String, unread| Prediction::of(Source::None, why, unread);
    match accepts(sdk, &url) {
        Some(false) => {
            return fail(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI is plain http to a host this client refuses; use http://127.0.0.1 or http://localhost (every client that reads FULL_URI takes them)".to_owned(),
                unread,
            );
        }
        Some(true) => {}
        None => unread = true,
    }
    let var = non_empty(env, ENV_AUTHORIZATION_TOKEN);
    let sends_var = var.is_some() && sdk.token_variable != Some(false);
    let file = non_empty(env, ENV_AUTHORIZATION_TOKEN_FILE);
    let via = |sends: Sends, why: &str, unread| Prediction {
        source: Source::ContainerFull,
        sends: Some(sends),
        url: Some(url.clone()),
        why: format!(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI is set and no RELATIVE_URI outranks it; {why}"
        ),
        unread,
        profile_process: None,
    };
    let reads_file = match sdk.token_file {
        Some(r) => r,
        None => {
            unread |= file.is_some();
            true
        }
    };
    match file {
        Some(path) if reads_file => {
            if sends_var && sdk.prefers == Some(Prefers::Variable) {
                return via(
                    Sends::TokenVariable,
                    "this client sends the token variable when it is set, before the file",
                    unread,
                );
            }
            unread |= sdk.prefers.is_none() && sends_var;
            let Ok(content) = std::fs::read(Path::new(&path)) else {
                return fail(
                    format!("the token file {path} cannot be read: the client fails"),
                    unread,
                );
            };
            if content.ends_with(b"\n") || content.ends_with(b"\r") {
                return match sdk.newline {
                    Some(Newline::Trimmed) => via(
                        Sends::TokenFile,
                        "this client strips the token file's trailing newline",
                        unread,
                    ),
                    Some(Newline::Refused) => fail(
                        format!(
                            "the token file {path} ends with a newline, which this client refuses: it fails; write the token without one"
                        ),
                        unread,
                    ),
                    Some(Newline::FallsBackToVariable) if sends_var => via(
                        Sends::TokenVariable,
                        "the token file ends with a newline: this client falls back to a provider that sends the variable",
                        unread,
                    ),
                    Some(Newline::FallsBackToVariable) => via(
                        Sends::NoToken,
                        "the token file ends with a newline: this client falls back to a provider that reads only the variable, which is unset, and asks without a token",
                        unread,
                    ),
                    None => via(
                        Sends::TokenFile,
                        "the token file ends with a newline (what this client does with it was not read)",
                        true,
                    ),
                };
            }
            via(
                Sends::TokenFile,
                "it sends the token file's content",
                unread,
            )
        }
        _ if sends_var => via(Sends::TokenVariable, "it sends the token variable", unread),
        Some(_) => via(
            Sends::NoToken,
            "this client reads no token file and AWS_CONTAINER_AUTHORIZATION_TOKEN is unset: it asks without a token",
            unread,
        ),
        None => via(
            Sends::NoToken,
            "no token is set: it asks without one",
            unread,
        ),
    }
}

/// The 401 message for a container-credentials request without any token: the causes the
/// table knows (a client that reads only one of the token file and the variable while only the
/// other is set; a newline-ended file a client falls back from) and the fix.
pub fn missing_token_message() -> String {
    let names = |keep: &dyn Fn(&Sdk) -> bool| -> Vec<&'static str> {
        TABLE
            .iter()
            .filter(|s| s.full_uri == Some(true) && keep(s))
            .map(|s| s.name)
            .collect()
    };
    let only_variable = names(&|s| s.token_file == Some(false));
    let only_file = names(&|s| s.token_variable == Some(false) && s.token_file == Some(true));
    let falls_back =
        names(&|s| s.newline == Some(Newline::FallsBackToVariable) && s.token_file == Some(true));
    // The commonest first: a client (or curl) with neither set.
    let mut causes = vec!["neither is set in the client's environment".to_owned()];
    if !only_variable.is_empty() {
        causes.push(format!(
            "only {ENV_AUTHORIZATION_TOKEN_FILE} is set but the client reads only {ENV_AUTHORIZATION_TOKEN} ({})",
            only_variable.join(", ")
        ));
    }
    if !only_file.is_empty() {
        causes.push(format!(
            "only {ENV_AUTHORIZATION_TOKEN} is set but the client reads only {ENV_AUTHORIZATION_TOKEN_FILE} ({})",
            only_file.join(", ")
        ));
    }
    if !falls_back.is_empty() {
        causes.push(format!(
            "the token file ends with a newline and the client falls back to a provider that sends only the variable, which is unset ({})",
            falls_back.join(", ")
        ));
    }
    format!(
        "the request carried no token: set both {ENV_AUTHORIZATION_TOKEN_FILE} and {ENV_AUTHORIZATION_TOKEN} in the client's environment (rolehop exec --token-file does), with no newline at the token's end; likely causes: {}",
        causes.join("; or ")
    )
}

/// Compares dotted release numbers (`v1.27.34`, `3.1177.0`); non-numeric parts count as 0.
pub fn version_at_least(have: &str, from: &str) -> bool {
    let parse = |v: &str| -> Vec<u64> {
        v.trim_start_matches('v')
            .split(['.', '-', '+'])
            .take(3)
            .map(|p| p.parse().unwrap_or(0))
            .collect()
    };
    parse(have) >= parse(from)
}

/// The row for an installed `package` at `version`: the row of that package with the latest
/// `from` at or below it; the earliest row when it is older than all (flagged `false`).
pub fn row_for(package: &str, version: &str) -> Option<(&'static Sdk, bool)> {
    let rows: Vec<&Sdk> = TABLE
        .iter()
        .filter(|s| s.package.is_some_and(|p| p.package == package))
        .collect();
    let from = |s: &&Sdk| s.package.map(|p| p.from).unwrap_or_default();
    rows.iter()
        .filter(|s| version_at_least(version, from(s)))
        .max_by(|a, b| {
            if version_at_least(from(a), from(b)) {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Less
            }
        })
        .map(|s| (*s, true))
        .or_else(|| {
            rows.iter()
                .min_by(|a, b| {
                    if version_at_least(from(a), from(b)) {
                        std::cmp::Ordering::Greater
                    } else {
                        std::cmp::Ordering::Less
                    }
                })
                .map(|s| (*s, false))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/SDKS.md holds the table exactly as rendered here.
    #[test]
    fn docs_hold_the_table() {
        let doc = include_str!("../docs/SDKS.md");
        let rendered = markdown();
        assert!(
            doc.contains(&rendered),
            "docs/SDKS.md's table differs from src/sdk.rs; paste this between its table markers:\n{rendered}"
        );
    }

    /// The README and docs/SDKS.md name the table's boundaries and IMDS floor as the table has
    /// them: a bisection or a new floor that changes the data fails here until the prose follows.
    #[test]
    fn prose_says_what_the_table_says() {
        let readme = include_str!("../README.md");
        let doc = include_str!("../docs/SDKS.md");
        let minutes = IMDS_MIN_REMAINING.as_secs() / 60;
        let floor = format!("{minutes} minutes or less left");
        assert!(readme.contains(&floor), "README: {floor}");
        assert!(
            doc.contains(&format!("{minutes} minutes")),
            "docs/SDKS.md: {minutes} minutes"
        );
        let from = |package: &str| {
            BOUNDARIES
                .iter()
                .find(|b| b.package == package)
                .map(|b| b.from)
                .unwrap()
        };
        for said in [
            format!("botocore before {}", from("botocore")),
            format!("AWS CLI v1 before {}", from("awscli")),
            format!("JavaScript SDK v3 before {}", from(JS_CHAIN)),
        ] {
            assert!(readme.contains(&said), "README should say {said:?}");
        }
        for b in BOUNDARIES {
            assert!(
                doc.contains(b.from) && doc.contains(b.last_before),
                "docs/SDKS.md should name {} {} and {}",
                b.package,
                b.last_before,
                b.from
            );
        }
    }

    #[test]
    fn names_are_unique_and_read_rows_cite_files() {
        for (i, s) in TABLE.iter().enumerate() {
            assert!(TABLE[..i].iter().all(|o| o.name != s.name), "{}", s.name);
            if let Evidence::Read(files) = s.evidence {
                assert!(!files.is_empty(), "{} cites no source file", s.name);
            }
        }
    }

    #[test]
    fn installed_releases_find_their_rows() {
        let name = |p, v| row_for(p, v).map(|(s, within)| (s.name, within));
        assert_eq!(name("botocore", "1.43.11"), Some(("boto3", true)));
        assert_eq!(name("botocore", "1.35.0"), Some(("boto3", true)));
        assert_eq!(name("botocore", "1.32.0"), Some(("boto3", true)));
        assert_eq!(name("botocore", "1.31.85"), Some(("boto3 (2023)", true)));
        assert_eq!(name("awscli", "1.30.0"), Some(("AWS CLI v1", true)));
        let js = |v| name(JS_CHAIN, v);
        assert_eq!(js("3.503.0"), Some(("JavaScript SDK v3 (2023)", true)));
        assert_eq!(
            js("3.503.1"),
            Some(("JavaScript SDK v3 (from 3.503.1)", true))
        );
        assert_eq!(
            js("3.572.0"),
            Some(("JavaScript SDK v3 (from 3.503.1)", true))
        );
        assert_eq!(js("3.575.0"), Some(("JavaScript SDK v3", true)));
        assert_eq!(js("3.972.99"), Some(("JavaScript SDK v3", true)));
        assert_eq!(name("botocore", "1.20.0"), Some(("boto3 (2023)", false)));
        assert_eq!(
            name("github.com/aws/aws-sdk-go-v2/config", "v1.27.34"),
            Some(("Go SDK v2 (from config v1.27.34)", true))
        );
        assert_eq!(
            name("github.com/aws/aws-sdk-go-v2/config", "v1.27.33"),
            Some(("Go SDK v2 (from config v1.25.0)", true))
        );
        assert_eq!(
            name("github.com/aws/aws-sdk-go-v2/config", "v1.17.8"),
            Some(("Go SDK v2 (early)", true))
        );
    }

    #[test]
    fn the_missing_token_message_names_the_clients_that_read_one_source() {
        let m = missing_token_message();
        assert!(m.contains("boto3 (2023)"), "{m}");
        assert!(m.contains("JavaScript SDK v3 (2023)"), "{m}");
        assert!(m.contains("Go SDK v2 (early)"), "{m}");
        assert!(!m.contains("Ruby SDK (Debian 12)"), "{m}");
    }

    /// Each boundary names two rows of its package that it separates, at a release each holds.
    #[test]
    fn boundaries_separate_their_rows() {
        for b in BOUNDARIES {
            assert!(version_at_least(b.from, b.last_before) && b.from != b.last_before);
            let after = row(b.after).unwrap_or_else(|| panic!("no row {}", b.after));
            assert!(row(b.before).is_some(), "no row {}", b.before);
            assert_eq!(
                after.package.map(|p| (p.package, p.from)),
                Some((b.package, b.from)),
                "{} holds from the boundary",
                b.after
            );
            let before = row(b.before).and_then(|r| r.package).map(|p| p.package);
            if before == Some(b.package) {
                assert_eq!(
                    row_for(b.package, b.last_before).map(|r| r.0.name),
                    Some(b.before)
                );
            }
        }
    }

    /// The IMDS floor is botocore's largest stretch plus rolehop's margin: 26 minutes.
    #[test]
    fn the_imds_floor_outlasts_botocores_stretch() {
        assert_eq!(IMDS_MIN_REMAINING.as_secs(), 900 + 600 + 60);
        assert_eq!(crate::serve::imds::MIN_REMAINING, IMDS_MIN_REMAINING);
    }

    #[test]
    fn hosts_of_urls() {
        assert_eq!(http_host("http://[::1]:80/x").as_deref(), Some("::1"));
        assert_eq!(
            http_host("http://LOCALHOST:9911/v1").as_deref(),
            Some("localhost")
        );
        assert_eq!(http_host("https://x"), None);
        let boto_2023 = row("boto3 (2023)").unwrap();
        assert_eq!(accepts(boto_2023, "http://127.0.0.2/x"), Some(false));
        assert_eq!(
            accepts(row("boto3").unwrap(), "http://127.0.0.9/x"),
            Some(true)
        );
    }
}
