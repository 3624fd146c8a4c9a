//! SMS transports: a folder of `.txt` files (the embedded default) or an HTTP SMS provider that
//! takes a POST (JSON `{to, body}` by default; the body template and an `Authorization` header are
//! configurable).

use crate::job::{Job, JobError, parse_payload};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tenantry_domain::OutgoingSms;

/// The default HTTP body: `{"to": …, "body": …}`.
pub const DEFAULT_TEMPLATE: &str = r#"{"to":{{to}},"body":{{body}}}"#;

/// Where SMS goes.
pub enum SmsSender {
    /// Each message written as a file into a folder.
    Files { dir: PathBuf },
    /// Each message POSTed to a provider.
    Http { client: reqwest::Client, url: String, authorization: Option<String>, template: String },
}

impl SmsSender {
    /// A folder transport; creates the folder.
    pub fn files(dir: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        Ok(SmsSender::Files { dir })
    }

    /// An HTTP transport. `template` is the request body, with `{{to}}` and `{{body}}` replaced by
    /// JSON strings; `authorization` is sent as the `Authorization` header.
    pub fn http(url: &str, authorization: Option<String>, template: Option<String>) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| format!("SMS HTTP client: {e}"))?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err("sms_url must start with http:// or https://".to_owned());
        }
        Ok(SmsSender::Http {
            client,
            url: url.to_owned(),
            authorization,
            template: template.unwrap_or_else(|| DEFAULT_TEMPLATE.to_owned()),
        })
    }

    /// A short description for the start-up log (never the URL, which may hold credentials).
    pub fn describe(&self) -> String {
        match self {
            SmsSender::Files { dir } => format!("files in {}", dir.display()),
            SmsSender::Http { .. } => "HTTP provider".to_owned(),
        }
    }

    /// Sends one message.
    pub async fn send(&self, sms: &OutgoingSms) -> Result<(), JobError> {
        match self {
            SmsSender::Files { dir } => {
                let name = format!(
                    "{}-{}.txt",
                    jiff::Timestamp::now().as_millisecond(),
                    tenantry_domain::token::random_hex(6)
                );
                let tmp = dir.join(format!(".{name}.tmp"));
                let text = format!("To: {}\n\n{}\n", sms.to, sms.body);
                tokio::fs::write(&tmp, text).await.map_err(|e| JobError::Transient(e.to_string()))?;
                tokio::fs::rename(&tmp, dir.join(&name)).await.map_err(|e| JobError::Transient(e.to_string()))?;
                Ok(())
            }
            SmsSender::Http { client, url, authorization, template } => {
                let body = render(template, sms);
                let mut req = client.post(url).header(reqwest::header::CONTENT_TYPE, "application/json").body(body);
                if let Some(a) = authorization {
                    req = req.header(reqwest::header::AUTHORIZATION, a);
                }
                let res = req.send().await.map_err(|e| JobError::Transient(format!("SMS provider: {e}")))?;
                let status = res.status();
                if status.is_success() {
                    Ok(())
                } else if status.is_server_error() || status.as_u16() == 429 {
                    Err(JobError::Transient(format!("SMS provider answered {status}")))
                } else {
                    Err(JobError::Permanent(format!("SMS provider answered {status}")))
                }
            }
        }
    }
}

/// Sends the outbox's text messages ([`OutgoingSms::KIND`]) with an [`SmsSender`].
pub struct SmsJob {
    sender: Arc<SmsSender>,
    /// Where the SMS log is, to mark a message that was given up.
    log: Option<tenantry_storage::Db>,
}

impl SmsJob {
    /// A job sending with `sender`.
    pub fn new(sender: Arc<SmsSender>) -> Self {
        Self { sender, log: None }
    }

    /// Marks the SMS log row of each message given up as `failed` in `db`.
    pub fn with_log(mut self, db: tenantry_storage::Db) -> Self {
        self.log = Some(db);
        self
    }
}

#[async_trait::async_trait]
impl Job for SmsJob {
    fn kind(&self) -> &'static str {
        OutgoingSms::KIND
    }

    // Neither the number nor the body (which may hold a one-time code) goes into the span.
    #[tracing::instrument(name = "outbox.sms", skip_all, fields(kind = OutgoingSms::KIND, payload_bytes = payload.len()))]
    async fn run(&self, _id: &str, payload: &str) -> Result<(), JobError> {
        let sms: OutgoingSms = parse_payload(payload)?;
        self.sender.send(&sms).await
    }

    /// The SMS log row of a message given up says `failed`.
    async fn gave_up(&self, _id: &str, payload: &str) {
        let (Some(db), Ok(sms)) = (&self.log, serde_json::from_str::<OutgoingSms>(payload)) else { return };
        let Some(log_id) = sms.log_id else { return };
        let marked = match db.conn().await {
            Ok(mut conn) => tenantry_storage::phones::mark_failed(&mut conn, &log_id).await,
            Err(e) => Err(e),
        };
        if let Err(e) = marked {
            tracing::warn!(error = %e, "the SMS log could not be marked failed");
        }
    }
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// The request body: the template with `{{to}}` and `{{body}}` as JSON strings.
pub fn render(template: &str, sms: &OutgoingSms) -> String {
    template.replace("{{to}}", &json_string(&sms.to)).replace("{{body}}", &json_string(&sms.body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_template_is_json() {
        let sms = OutgoingSms { to: "+15555550100".into(), body: "code \"123\"\n".into(), log_id: None };
        let v: serde_json::Value = serde_json::from_str(&render(DEFAULT_TEMPLATE, &sms)).unwrap_or_default();
        assert_eq!(v["to"], "+15555550100");
        assert_eq!(v["body"], "code \"123\"\n");
    }
}
