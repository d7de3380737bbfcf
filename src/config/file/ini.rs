//! The INI layer of the AWS config syntax: `[section]` headers and `key = value` lines.

pub(super) struct Entry {
    pub(super) key: String,
    pub(super) value: String,
    pub(super) line: usize,
}

pub(super) struct Section {
    pub(super) header: String,
    pub(super) line: usize,
    pub(super) entries: Vec<Entry>,
}

/// The INI layer: sections of `key = value` lines. Comments start with `#` or `;`; an indented
/// line continues the previous value (how `s3 =` blocks and multi-line policies are written).
pub(super) fn sections(text: &str) -> Result<Vec<Section>, Vec<(usize, String)>> {
    let mut out: Vec<Section> = Vec::new();
    let mut errors = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if raw.starts_with([' ', '\t']) {
            match out.last_mut().and_then(|s| s.entries.last_mut()) {
                Some(entry) => {
                    entry.value.push('\n');
                    entry.value.push_str(trimmed);
                }
                None => errors.push((
                    line,
                    "an indented line continues nothing; remove the indentation".into(),
                )),
            }
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix('[') {
            match rest.strip_suffix(']') {
                Some(header) => out.push(Section {
                    header: header.split_whitespace().collect::<Vec<_>>().join(" "),
                    line,
                    entries: Vec::new(),
                }),
                None => errors.push((line, "section header is missing its closing `]`".into())),
            }
            continue;
        }
        let Some((key, value)) = trimmed.split_once('=') else {
            // Never echoed: a line pasted from a credentials file may be a secret key.
            errors.push((
                line,
                "expected `key = value` (the line is not shown, as it may hold a secret)".into(),
            ));
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        match out.last_mut() {
            Some(section) if !key.is_empty() => section.entries.push(Entry {
                key,
                value: value.trim().to_owned(),
                line,
            }),
            Some(_) => errors.push((
                line,
                "a line starts with `=`; expected `key = value`".into(),
            )),
            None => errors.push((
                line,
                format!("`{key}` comes before any [profile NAME] section"),
            )),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}
