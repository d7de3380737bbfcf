//! The text form of a report: the summary, each hop's decision and what decided it, then the
//! findings, failures first, each fix with what it changes, the corrected policy, its file and command.

use super::{DecisiveEffect, Hop, Report};
use crate::check::eval::Part;
use crate::check::findings::{Finding, Status};

pub(super) fn render(report: &Report) -> String {
    let mut out = format!("rolehop check: {}\n", report.summary());
    for hop in &report.hops {
        out.push_str(&hop_lines(hop));
    }
    let mut sorted: Vec<&Finding> = report.findings.iter().collect();
    sorted.sort_by_key(|f| f.status);
    let mut shown: Vec<&str> = Vec::new();
    for f in sorted {
        out.push_str(&format!(
            "\n{} {:<28} {}\n",
            label(f.status),
            f.id.as_str(),
            f.message
        ));
        if let Some(fix) = &f.fix {
            // Several findings of one part share its corrected policy: show it once.
            if shown.contains(&fix.file.as_str()) {
                out.push_str(&format!("     the fix: the corrected {} above\n", fix.file));
                continue;
            }
            shown.push(&fix.file);
            out.push_str("     the fix:\n");
            for change in &fix.changes {
                out.push_str(&format!("        - {change}\n"));
            }
            out.push_str(&format!(
                "     the whole policy, corrected (rolehop check --fix writes it to {}):\n",
                fix.file
            ));
            out.push_str(&indent(
                &serde_json::to_string_pretty(&fix.policy).unwrap_or_default(),
                8,
            ));
            out.push_str(&format!("     apply it with:\n        {}\n", fix.command));
        }
    }
    out
}

fn label(status: Status) -> &'static str {
    match status {
        Status::Pass => "PASS",
        Status::Fail => "FAIL",
        Status::Warn => "WARN",
        Status::Unknown => "UNKNOWN",
    }
}

/// The decision and what decided it.
fn hop_lines(hop: &Hop) -> String {
    let mut line = format!(
        "decision: {}: {} -> sts:AssumeRole on {}\n",
        hop.decision.as_str().to_uppercase(),
        hop.principal.as_deref().unwrap_or("the source role"),
        hop.role_arn,
    );
    for action in &hop.actions {
        let name = action.action;
        for d in &action.decisive {
            let part = match d.part {
                Part::Scp(l) => format!("SCPs, level {l}"),
                Part::Rcp(l) => format!("RCPs, level {l}"),
                Part::PermissionsBoundary => "permissions boundary".into(),
                Part::SessionPolicy => "session policy".into(),
                Part::Identity => "identity policies".into(),
                Part::Trust => "trust policy".into(),
            };
            let at = match &d.statement {
                Some(s) => format!("{} {s}", d.policy),
                None => format!("no statement of {} allows it", d.policy),
            };
            let how = match d.effect {
                DecisiveEffect::Allow => "allowed",
                DecisiveEffect::Deny => "denied explicitly",
                DecisiveEffect::ImplicitDeny => "denied",
            };
            line.push_str(&format!("  {name}: {how} by the {part}: {at}\n"));
        }
        for key in &action.unknown {
            line.push_str(&format!("  {name}: depends on {key}\n"));
        }
    }
    line
}

fn indent(text: &str, by: usize) -> String {
    text.lines()
        .map(|l| format!("{}{l}\n", " ".repeat(by)))
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::check::findings::{Finding, FindingId, Status};
    use crate::check::report::Report;

    #[test]
    fn an_unknown_finding_says_unknown() {
        let report = Report::of_findings(vec![Finding::new(
            FindingId::OnlineAssume,
            Status::Unknown,
            "not known".into(),
        )]);
        let text = report.to_text();
        assert!(text.contains("\nUNKNOWN online.assume"), "{text}");
        assert!(!text.contains('?'), "{text}");
    }
}
