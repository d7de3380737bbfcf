//! `rolehop check --task-definition` for the unmodified-image wiring (docs/WIRING.md): the
//! volume a `rolehop publish` container fills holds the binary every app container runs through
//! `credential_process`, with that app's token in its environment. A container other than the
//! publisher that mounts the volume writable (a `mountPoints` entry without `readOnly: true`,
//! or `volumesFrom` the publisher without it) could replace that binary and collect the tokens
//! of every container that runs it: a failure. Nothing is reported without a publisher.

use serde_json::Value;

use super::container_def;
use super::findings::{Finding, FindingId, Status};

const ID: FindingId = FindingId::EcsPublishedVolume;

/// The volumes a `rolehop publish DIR` container mounts at DIR (or above it).
fn published_volumes(publisher: &Value) -> Vec<&str> {
    let Some(dir) = publisher["command"][1].as_str() else {
        return Vec::new();
    };
    publisher["mountPoints"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| {
            m["containerPath"].as_str().is_some_and(|path| {
                let path = path.trim_end_matches('/');
                dir == path || dir.starts_with(&format!("{path}/")) || path.is_empty()
            })
        })
        .filter_map(|m| m["sourceVolume"].as_str())
        .collect()
}

fn is_publisher(container: &Value) -> bool {
    container["command"][0] == "publish"
}

/// The findings for a task definition's text (invalid JSON is reported by `ecs`).
pub fn task_definition(file: &str, text: &str) -> Vec<Finding> {
    let Ok(td) = container_def::parse(text) else {
        return Vec::new();
    };
    let containers = container_def::containers(&td);
    let mut out = Vec::new();
    for publisher in containers.iter().filter(|c| is_publisher(c)) {
        let publisher_name = publisher["name"].as_str().unwrap_or("?");
        let volumes = published_volumes(publisher);
        for app in containers.iter().filter(|c| !is_publisher(c)) {
            let name = app["name"].as_str().unwrap_or("?");
            let writable_mounts = app["mountPoints"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|m| m["readOnly"] != true)
                .filter_map(|m| m["sourceVolume"].as_str())
                .filter(|v| volumes.contains(v));
            for volume in writable_mounts {
                out.push(Finding::new(
                    ID,
                    Status::Fail,
                    format!("{file}: container {name} mounts {volume}, the volume {publisher_name} publishes rolehop into, writable: it could replace the binary other containers run with their tokens; set \"readOnly\": true on that mount"),
                ));
            }
            let writable_from = app["volumesFrom"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|v| v["sourceContainer"] == publisher["name"] && v["readOnly"] != true);
            if writable_from {
                out.push(Finding::new(
                    ID,
                    Status::Fail,
                    format!("{file}: container {name} takes {publisher_name}'s volumes through volumesFrom without readOnly, so it could replace the binary other containers run with their tokens; set \"readOnly\": true there"),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn td(app: Value) -> String {
        json!({"containerDefinitions": [
            {"name": "rolehop", "command": ["serve"]},
            {"name": "rolehop-publish",
             "command": ["publish", "/rolehop-shared", "--endpoint", "http://127.0.0.1:9911"],
             "mountPoints": [{"sourceVolume": "shared", "containerPath": "/rolehop-shared", "readOnly": false}]},
            app,
        ]})
        .to_string()
    }

    fn report(text: &str) -> Vec<(Status, String)> {
        task_definition("td.json", text)
            .into_iter()
            .map(|f| (f.status, f.message))
            .collect()
    }

    #[test]
    fn a_writable_mount_of_the_published_volume_fails() {
        for mount in [
            json!({"sourceVolume": "shared", "containerPath": "/rolehop-shared", "readOnly": false}),
            json!({"sourceVolume": "shared", "containerPath": "/elsewhere"}),
        ] {
            let r = report(&td(json!({"name": "app", "mountPoints": [mount]})));
            assert_eq!(r.len(), 1, "{r:?}");
            assert_eq!(r[0].0, Status::Fail);
            assert!(r[0].1.contains("container app mounts shared"), "{r:?}");
            assert!(r[0].1.contains("\"readOnly\": true"), "{r:?}");
        }
        let r = report(&td(
            json!({"name": "app", "volumesFrom": [{"sourceContainer": "rolehop-publish"}]}),
        ));
        assert_eq!(r.len(), 1, "{r:?}");
        assert!(r[0].1.contains("volumesFrom without readOnly"), "{r:?}");
    }

    #[test]
    fn read_only_mounts_and_other_volumes_pass() {
        let app = json!({"name": "app",
            "mountPoints": [{"sourceVolume": "shared", "containerPath": "/rolehop-shared", "readOnly": true},
                            {"sourceVolume": "scratch", "containerPath": "/tmp"}],
            "volumesFrom": [{"sourceContainer": "rolehop-publish", "readOnly": true}]});
        assert!(report(&td(app)).is_empty());
        assert!(report("not json").is_empty());
        let shipped = include_str!("../../task-definitions/fargate-unmodified-image.json");
        assert!(report(shipped).is_empty(), "{:?}", report(shipped));
    }
}
