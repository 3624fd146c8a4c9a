//! The outbox worker: claims due messages, sends them, retries with exponential back-off and
//! gives up (status `dead`) after a bounded number of attempts.

pub mod mail;
pub mod sms;

use std::sync::Arc;
use std::time::Duration;
use tenantry_domain::{OutgoingEmail, OutgoingSms};
use tenantry_storage::{Db, outbox};
use tokio::sync::{Notify, watch};

pub use mail::{MailError, Mailer};
pub use sms::SmsSender;

/// How the worker paces itself.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// How long to wait for new work when the queue is empty (a local enqueue wakes it sooner).
    pub poll_interval: Duration,
    /// How long a claim is held before another worker may take the message over.
    pub lease: Duration,
    /// Attempts before a message is marked dead.
    pub max_attempts: i64,
    /// Delay before the first retry; doubled on each further attempt.
    pub base_backoff: Duration,
    /// Longest delay between retries.
    pub max_backoff: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_millis(500),
            lease: Duration::from_secs(60),
            max_attempts: 8,
            base_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(3600),
        }
    }
}

/// Delay before attempt `attempts + 1`, doubling from `base` up to `max`.
pub fn backoff(attempts: i64, base: Duration, max: Duration) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    base.saturating_mul(2u32.saturating_pow(exp)).min(max)
}

/// Sends what the outbox holds.
pub struct Worker {
    db: Db,
    mailer: Arc<Mailer>,
    sms: Option<Arc<SmsSender>>,
    config: WorkerConfig,
    wake: Arc<Notify>,
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

impl Worker {
    /// A worker over `db` sending mail with `mailer`; `wake` is notified when a message is queued locally.
    pub fn new(db: Db, mailer: Arc<Mailer>, config: WorkerConfig, wake: Arc<Notify>) -> Self {
        Self { db, mailer, sms: None, config, wake }
    }

    /// Sends SMS messages with `sms` (without one they fail permanently).
    pub fn with_sms(mut self, sms: Arc<SmsSender>) -> Self {
        self.sms = Some(sms);
        self
    }

    /// Runs until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                return;
            }
            match self.run_once().await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => tracing::error!(error = %e, "outbox: claiming failed"),
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.config.poll_interval) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// Claims and handles one due message; `false` when none was due.
    pub async fn run_once(&self) -> Result<bool, tenantry_storage::StoreError> {
        let lease = i64::try_from(self.config.lease.as_millis()).unwrap_or(i64::MAX);
        let Some(msg) = outbox::claim(&self.db, now_ms(), lease).await? else {
            return Ok(false);
        };
        let span = tracing::info_span!("outbox.deliver", id = %msg.id, kind = %msg.kind, attempt = msg.attempts);
        let _guard = span.enter();
        let result = self.deliver(&msg.kind, &msg.payload).await;
        match result {
            Ok(()) => {
                outbox::mark_sent(&self.db, &msg.id, now_ms()).await?;
                metrics::counter!("tenantry_outbox_sent_total", "kind" => msg.kind.clone()).increment(1);
            }
            Err(e) => {
                let retry_at = (msg.attempts < self.config.max_attempts && e.is_transient()).then(|| {
                    let delay = backoff(msg.attempts, self.config.base_backoff, self.config.max_backoff);
                    now_ms() + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2)
                });
                tracing::warn!(error = %e, dead = retry_at.is_none(), "outbox: delivery failed");
                metrics::counter!("tenantry_outbox_failed_total", "kind" => msg.kind.clone()).increment(1);
                outbox::mark_failed(&self.db, &msg.id, &e.to_string(), retry_at).await?;
            }
        }
        Ok(true)
    }

    async fn deliver(&self, kind: &str, payload: &str) -> Result<(), MailError> {
        match kind {
            OutgoingEmail::KIND => {
                let email: OutgoingEmail = serde_json::from_str(payload)
                    .map_err(|e| MailError::Permanent(format!("unreadable payload: {e}")))?;
                self.mailer.send(&email).await
            }
            OutgoingSms::KIND => {
                let sms: OutgoingSms = serde_json::from_str(payload)
                    .map_err(|e| MailError::Permanent(format!("unreadable payload: {e}")))?;
                match &self.sms {
                    Some(sender) => sender.send(&sms).await,
                    None => Err(MailError::Permanent("no SMS transport configured".to_owned())),
                }
            }
            other => Err(MailError::Permanent(format!("unknown message kind {other}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let (b, m) = (Duration::from_secs(5), Duration::from_secs(60));
        assert_eq!(backoff(1, b, m), Duration::from_secs(5));
        assert_eq!(backoff(2, b, m), Duration::from_secs(10));
        assert_eq!(backoff(3, b, m), Duration::from_secs(20));
        assert_eq!(backoff(10, b, m), Duration::from_secs(60));
        assert_eq!(backoff(i64::MAX, b, m), Duration::from_secs(60));
    }
}
