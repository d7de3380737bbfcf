//! The ECS task metadata endpoint (v4): the task id that names rolehop's STS sessions, so
//! CloudTrail shows which task used the role.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::session::SessionName;

pub const ENV_METADATA_URI_V4: &str = "ECS_CONTAINER_METADATA_URI_V4";
const TIMEOUT: Duration = Duration::from_secs(2);
const MAX_BODY: usize = 256 * 1024;

/// Why the task id could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TaskIdError {
    #[error("{ENV_METADATA_URI_V4} is not a valid URL ({0})")]
    BadUrl(#[source] hyper::http::uri::InvalidUri),
    #[error("no answer within {}s", TIMEOUT.as_secs())]
    TimedOut,
    #[error("cannot read the task id from the ECS task metadata endpoint: status {0}")]
    Status(hyper::StatusCode),
    #[error(
        "cannot read the task id from the ECS task metadata endpoint: the response has no TaskARN"
    )]
    NoTaskArn,
    /// The request, the body or its JSON failed.
    #[error("cannot read the task id from the ECS task metadata endpoint: {0}")]
    Unreadable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Fetches `{metadata_uri}/task` and returns the last segment of its `TaskARN`
/// (`arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/TASKID`).
pub async fn task_id(metadata_uri: &str) -> Result<String, TaskIdError> {
    let url = format!("{}/task", metadata_uri.trim_end_matches('/'));
    let uri: hyper::Uri = url.parse().map_err(TaskIdError::BadUrl)?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let unreadable = |e: Box<dyn std::error::Error + Send + Sync>| TaskIdError::Unreadable(e);
    let fetch = async {
        let response = client.get(uri).await.map_err(|e| unreadable(Box::new(e)))?;
        if !response.status().is_success() {
            return Err(TaskIdError::Status(response.status()));
        }
        let body = Limited::new(response.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(unreadable)?
            .to_bytes();
        let task: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| unreadable(Box::new(e)))?;
        task_id_from_arn(task["TaskARN"].as_str().unwrap_or_default()).ok_or(TaskIdError::NoTaskArn)
    };
    tokio::time::timeout(TIMEOUT, fetch)
        .await
        .map_err(|_| TaskIdError::TimedOut)?
}

fn task_id_from_arn(arn: &str) -> Option<String> {
    let resource = arn.strip_prefix("arn:")?.splitn(5, ':').nth(4)?;
    let id = resource.strip_prefix("task/")?.rsplit('/').next()?;
    (!id.is_empty()).then(|| id.to_owned())
}

/// The ECS task id when running in a task, else `rolehop-HOSTNAME`, else `rolehop`.
pub async fn default_session_name() -> SessionName {
    if let Ok(uri) = std::env::var(ENV_METADATA_URI_V4) {
        match task_id(&uri).await {
            Ok(id) => return SessionName::sanitised(&id),
            Err(e) => tracing::warn!(error = %e, "using the host name as the session name"),
        }
    }
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty());
    match host {
        Some(h) => SessionName::sanitised(&format!("rolehop-{h}")),
        None => SessionName::sanitised("rolehop"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_ids_come_from_both_arn_formats() {
        assert_eq!(
            task_id_from_arn(
                "arn:aws:ecs:us-east-1:111122223333:task/prod/0123456789abcdef0123456789abcdef"
            )
            .as_deref(),
            Some("0123456789abcdef0123456789abcdef")
        );
        assert_eq!(
            task_id_from_arn(
                "arn:aws:ecs:us-east-1:111122223333:task/1dc5c17a-422b-4dc4-b493-371970c6c4d6"
            )
            .as_deref(),
            Some("1dc5c17a-422b-4dc4-b493-371970c6c4d6")
        );
        assert_eq!(
            task_id_from_arn("arn:aws:ecs:us-east-1:111122223333:cluster/prod"),
            None
        );
        assert_eq!(task_id_from_arn(""), None);
    }
}
