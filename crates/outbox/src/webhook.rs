//! Webhook deliveries: the job of kind `webhook` sends one delivery (the payload is its id) per
//! Standard Webhooks — `webhook-id` (the event's id, the same on every attempt),
//! `webhook-timestamp`, `webhook-signature` (`v1,<base64 HMAC-SHA256>`, and a second one for 24 h
//! after a rotation) over the body `{type, timestamp, data}` — through the outbound guard, and
//! records the attempt on the delivery. It keeps its own retry schedule and hands the worker the
//! next attempt's time ([`JobError::RetryAt`]), or gives up.

use crate::job::{Job, JobError};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tenantry_app::App;
use tenantry_app::outbound::{Outbound, Reply};
use tenantry_app::webhooks::Secret;
use tenantry_storage::webhook_deliveries::{self, Attempt, ToSend};

/// The delays before each attempt: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
pub const DEFAULT_SCHEDULE: &str = "0s,5s,5m,30m,2h,5h,10h,10h";
/// How long a receiver has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(15);
/// After failing this long without a success, an endpoint is disabled and its Administrators told.
pub const FAILING_LIMIT_MS: i64 = 5 * 24 * 3600 * 1000;
/// Longest `Retry-After` honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Reads a schedule: comma-separated durations such as `0s,500ms,5m,2h` (the first is the
/// delay before the first attempt, which is always made at once).
pub fn parse_schedule(text: &str) -> Result<Vec<Duration>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim) {
        let (digits, unit) = part.split_at(part.find(|c: char| !c.is_ascii_digit()).unwrap_or(part.len()));
        let n: u64 = digits.parse().map_err(|_| format!("{part:?} is not a duration such as 5s, 5m or 2h"))?;
        let d = match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.saturating_mul(60)),
            "h" => Duration::from_secs(n.saturating_mul(3600)),
            "d" => Duration::from_secs(n.saturating_mul(86400)),
            _ => return Err(format!("{part:?} is not a duration such as 5s, 5m or 2h")),
        };
        out.push(d);
    }
    if out.is_empty() || out.len() > 50 {
        return Err("needs 1 to 50 durations".to_owned());
    }
    Ok(out)
}

/// `delay` ±20 %.
fn jitter(delay: Duration) -> Duration {
    let r = u32::from_str_radix(&tenantry_domain::token::random_hex(2), 16).unwrap_or(0x8000);
    // 0.8 + 0.4 * r / 65535
    let factor = 0.8 + 0.4 * f64::from(r) / 65535.0;
    delay.mul_f64(factor)
}

/// A `Retry-After` value: seconds, or an HTTP date.
fn retry_after(value: &str, now_ms: i64) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
    }
    let at = jiff::fmt::rfc2822::parse(value).ok()?.timestamp().as_millisecond();
    let ms = u64::try_from(at - now_ms).ok()?;
    Some(Duration::from_millis(ms).min(MAX_RETRY_AFTER))
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2)
}

fn transient(e: impl std::fmt::Display) -> JobError {
    JobError::Transient(e.to_string())
}

/// A request's body and headers.
type Request = (Vec<u8>, Vec<(&'static str, String)>);

/// Sends webhook deliveries.
pub struct WebhookJob {
    app: App,
    outbound: Arc<dyn Outbound>,
    schedule: Vec<Duration>,
}

impl WebhookJob {
    /// Deliveries through `outbound`, retried on `schedule` (see [`parse_schedule`]).
    pub fn new(app: App, outbound: Arc<dyn Outbound>, schedule: Vec<Duration>) -> Self {
        Self { app, outbound, schedule }
    }

    /// The body and headers of a delivery, signed with every valid secret.
    fn request(&self, d: &ToSend, now: i64) -> Result<Request, JobError> {
        let data: serde_json::Value = serde_json::from_str(&d.event_data).unwrap_or(serde_json::Value::Null);
        let timestamp =
            jiff::Timestamp::from_millisecond(d.event_created_at).map(|t| t.to_string()).unwrap_or_default();
        let body = serde_json::to_vec(&serde_json::json!({"type": d.event_type, "timestamp": timestamp, "data": data}))
            .map_err(|e| JobError::Permanent(e.to_string()))?;
        let ts = now.div_euclid(1000);
        let mut signatures =
            vec![Secret::open(&self.app, &d.secret_sealed).map_err(transient)?.sign(&d.event_id, ts, &body)];
        if let (Some(previous), Some(until)) = (&d.previous_secret_sealed, d.previous_secret_until)
            && until > now
        {
            signatures.push(Secret::open(&self.app, previous).map_err(transient)?.sign(&d.event_id, ts, &body));
        }
        let headers = vec![
            ("content-type", "application/json".to_owned()),
            ("webhook-id", d.event_id.clone()),
            ("webhook-timestamp", ts.to_string()),
            ("webhook-signature", signatures.join(" ")),
        ];
        Ok((body, headers))
    }

    /// Records an attempt that ended the delivery or scheduled another, with the endpoint's state.
    async fn record(
        &self, d: &ToSend, outcome: &Result<Reply, String>, elapsed: i64, now: i64,
    ) -> Result<Result<(), JobError>, tenantry_app::Error> {
        let attempts = d.attempts + 1;
        let (code, body) = match outcome {
            Ok(r) => (Some(i64::from(r.status)), Some(r.body_prefix.as_str())),
            Err(_) => (None, None),
        };
        let mut attempt = Attempt {
            status: "failed",
            attempts,
            status_code: code,
            response_ms: Some(elapsed),
            response_body: body,
            error: None,
            next_attempt_at: None,
        };
        let mut tx = self.app.db.begin().await?;
        let mut disabled_for = None;
        let result = match outcome {
            Ok(r) if (200..300).contains(&r.status) => {
                attempt.status = "succeeded";
                webhook_deliveries::endpoint_succeeded(&mut tx, &d.endpoint_id).await?;
                Ok(())
            }
            Ok(r) if r.status == 410 => {
                attempt.error = Some("HTTP 410 Gone: the endpoint is disabled");
                disabled_for = Some("The endpoint answered 410 Gone.");
                Ok(())
            }
            _ => {
                let reason = match outcome {
                    Ok(r) if (300..400).contains(&r.status) => {
                        format!("HTTP {} (redirects are not followed)", r.status)
                    }
                    Ok(r) => format!("HTTP {}", r.status),
                    Err(e) => e.clone(),
                };
                let since = webhook_deliveries::endpoint_failed(&mut tx, &d.endpoint_id, now).await?;
                let index = usize::try_from(attempts).unwrap_or(usize::MAX);
                if now - since >= FAILING_LIMIT_MS {
                    disabled_for = Some("Every delivery failed for 5 days.");
                    Err(JobError::Permanent(reason))
                } else if let Some(delay) = self.schedule.get(index) {
                    let mut delay = jitter(*delay);
                    if let Ok(Reply { retry_after: Some(v), .. }) = outcome
                        && let Some(asked) = retry_after(v, now)
                    {
                        delay = delay.max(asked);
                    }
                    let at = now + ms(delay);
                    attempt.status = "pending";
                    attempt.next_attempt_at = Some(at);
                    Err(JobError::RetryAt { at_ms: at, reason })
                } else {
                    Err(JobError::Permanent(format!("{reason}; gave up after {attempts} attempts")))
                }
            }
        };
        let error_text = match (&result, outcome) {
            (Err(JobError::RetryAt { reason, .. } | JobError::Permanent(reason)), _) => Some(reason.clone()),
            _ => None,
        };
        if attempt.error.is_none() {
            attempt.error = error_text.as_deref();
        }
        webhook_deliveries::record_attempt(&mut tx, &d.id, &attempt, now).await?;
        if let Some(reason) = disabled_for
            && webhook_deliveries::disable_endpoint(&mut tx, &d.endpoint_id, reason, now).await?
        {
            tracing::warn!(endpoint_id = %d.endpoint_id, reason, "webhook endpoint disabled");
            if reason.starts_with("Every") {
                self.tell_administrators(&mut tx, d, now).await?;
            }
        }
        tenantry_storage::commit(tx).await?;
        Ok(result)
    }

    /// Emails the account's Administrators that an endpoint was disabled after 5 days of failures.
    async fn tell_administrators(
        &self, conn: &mut tenantry_storage::Conn, d: &ToSend, now: i64,
    ) -> Result<(), tenantry_app::Error> {
        let admins = tenantry_storage::webhooks::administrator_emails(conn, &d.account_id).await?;
        let page = format!("{}/account/webhooks/{}", self.app.config.public_url, d.endpoint_id);
        for (email, name) in admins {
            let mail = tenantry_domain::OutgoingEmail {
                to: email,
                subject: "A webhook endpoint was disabled".to_owned(),
                text: format!(
                    "Hello {name},\n\nEvery delivery to the webhook endpoint {} failed for 5 days, so Tenantry \
                     disabled it and stopped sending to it.\n\nFix the receiver, then enable the endpoint again: {page}\n",
                    d.url
                ),
            };
            tenantry_app::queue_email(conn, Some(&d.account_id), &mail, now).await?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Job for WebhookJob {
    fn kind(&self) -> &'static str {
        tenantry_storage::webhooks::KIND
    }

    #[tracing::instrument(name = "webhook.deliver", skip_all)]
    async fn run(&self, _id: &str, payload: &str) -> Result<(), JobError> {
        let d = {
            let mut conn = self.app.db.conn().await.map_err(transient)?;
            match webhook_deliveries::to_send(&mut conn, payload).await.map_err(transient)? {
                // The endpoint (and so the delivery) was deleted: nothing to send.
                None => return Ok(()),
                Some(d) if d.status != "pending" => return Ok(()),
                Some(d) if d.enabled == 0 => {
                    webhook_deliveries::stop(&mut conn, &d.id, "The endpoint is disabled.", self.app.now())
                        .await
                        .map_err(transient)?;
                    return Ok(());
                }
                Some(d) => d,
            }
        };
        let now = self.app.now();
        let (body, headers) = self.request(&d, now)?;
        let started = Instant::now();
        let outcome = self.outbound.post(&d.url, &headers, body, TIMEOUT).await.map_err(|e| e.to_string());
        let elapsed = ms(started.elapsed());
        let now = self.app.now();
        let result = self.record(&d, &outcome, elapsed, now).await.map_err(transient)?;
        if result.is_ok() {
            metrics::counter!("tenantry_webhook_deliveries_total", "outcome" => "ended").increment(1);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn schedules_are_read() {
        let s = parse_schedule(DEFAULT_SCHEDULE).unwrap();
        assert_eq!(s.len(), 8);
        assert_eq!(s[2], Duration::from_secs(300));
        assert_eq!(s[7], Duration::from_secs(36000));
        assert_eq!(
            parse_schedule("0s, 1s,500ms").unwrap(),
            [Duration::ZERO, Duration::from_secs(1), Duration::from_millis(500)]
        );
        assert!(parse_schedule("5x").is_err());
        assert!(parse_schedule("").is_err());
    }

    #[test]
    fn jitter_stays_within_a_fifth() {
        for _ in 0..200 {
            let d = jitter(Duration::from_secs(100));
            assert!(d >= Duration::from_secs(80) && d <= Duration::from_secs(120), "{d:?}");
        }
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        assert_eq!(retry_after("3", 0), Some(Duration::from_secs(3)));
        assert_eq!(retry_after("999999", 0), Some(MAX_RETRY_AFTER));
        let now = jiff::Timestamp::from_second(784111777).unwrap().as_millisecond();
        assert_eq!(retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now), Some(Duration::from_secs(10)));
        assert_eq!(retry_after("soon", now), None);
    }
}
