//! The shell words `commands.sh` and its preflight share: how a value is quoted and how each
//! account's section of the script is named (its function, its `case` argument, its profile
//! variable).

use super::Setup;

/// `value` as one single-quoted shell word.
pub fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// The sections `commands.sh` has besides the hops', and the word its `case` runs them all by.
const OWN_SECTIONS: [&str; 3] = ["source", "destination", "all"];

/// The script's own section an app container named `name` would redefine (its function
/// `NAME_account`, its variable `NAME_PROFILE` or its `case` arm), if any.
pub fn reserved_section(name: &str) -> Option<&'static str> {
    let word = name.replace('-', "_");
    OWN_SECTIONS
        .into_iter()
        .find(|own| word.eq_ignore_ascii_case(own))
}

/// (shell function, section argument, profile variable) of hop `index`.
pub fn hop_section(setup: &Setup, index: usize) -> (String, String, String) {
    if setup.per_container() {
        let name = &setup.containers[index];
        let word = name.replace('-', "_");
        (
            format!("{word}_account"),
            name.clone(),
            format!("{}_PROFILE", word.to_ascii_uppercase()),
        )
    } else if index + 1 == setup.hops.len() {
        (
            "destination_account".into(),
            "destination".into(),
            "DESTINATION_PROFILE".into(),
        )
    } else {
        let n = index + 1;
        (
            format!("hop{n}_account"),
            format!("hop{n}"),
            format!("HOP{n}_PROFILE"),
        )
    }
}
