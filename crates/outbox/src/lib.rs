//! The outbox worker: claims due messages, hands each to the [`Job`] registered for its kind,
//! retries transient failures with exponential back-off and gives up (status `dead`) after a
//! bounded number of attempts or on a permanent failure. Retries and back-off live here only;
//! a job just sends.

pub mod job;
pub mod mail;
pub mod outbound;
pub mod sms;
pub mod webhook;

use std::sync::Arc;
use std::time::Duration;
use tenantry_storage::{Db, outbox};
use tokio::sync::{Notify, watch};

pub use job::{Job, JobError, Jobs};
pub use mail::{EmailJob, Mailer};
pub use sms::{SmsJob, SmsSender};
pub use webhook::WebhookJob;

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
    /// How many messages are sent at once (claim loops; each claim is still exclusive).
    pub concurrency: usize,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_millis(500),
            lease: Duration::from_secs(60),
            max_attempts: 8,
            base_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(3600),
            concurrency: 8,
        }
    }
}

/// Delay before attempt `attempts + 1`, doubling from `base` up to `max`.
pub fn backoff(attempts: i64, base: Duration, max: Duration) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    base.saturating_mul(2u32.saturating_pow(exp)).min(max)
}

/// Sends what the outbox holds, through the jobs registered with [`Worker::with_job`].
pub struct Worker {
    db: Db,
    jobs: Jobs,
    config: WorkerConfig,
    wake: Arc<Notify>,
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

impl Worker {
    /// A worker over `db` with no jobs yet; `wake` is notified when a message is queued locally.
    /// A message whose kind has no job fails permanently.
    pub fn new(db: Db, config: WorkerConfig, wake: Arc<Notify>) -> Self {
        Self { db, jobs: Jobs::new(), config, wake }
    }

    /// Sends messages of `job.kind()` with `job`.
    pub fn with_job(mut self, job: Arc<dyn Job>) -> Self {
        self.jobs.register(job);
        self
    }

    /// The kinds this worker can send, sorted.
    pub fn kinds(&self) -> Vec<&'static str> {
        self.jobs.kinds()
    }

    /// Runs [`WorkerConfig::concurrency`] claim loops until `shutdown` turns true. Each message
    /// is claimed by one loop only (see `outbox::claim`), so running several, here or in other
    /// processes, never sends one twice.
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        let n = self.config.concurrency.max(1);
        let this = Arc::new(self);
        let mut loops = tokio::task::JoinSet::new();
        for _ in 0..n {
            loops.spawn(this.clone().claim_loop(shutdown.clone()));
        }
        while loops.join_next().await.is_some() {}
    }

    /// One claim loop: sends due messages one after the other, waiting for work when none is due.
    async fn claim_loop(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
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
        self.deliver(&msg).await?;
        Ok(true)
    }

    /// Runs the job for one claimed message, then records it sent (erasing its payload), queued
    /// again after its back-off, or dead. The payload is never recorded in the span.
    #[tracing::instrument(name = "outbox.deliver", skip_all, fields(id = %msg.id, kind = %msg.kind, attempt = msg.attempts))]
    async fn deliver(&self, msg: &outbox::Claimed) -> Result<(), tenantry_storage::StoreError> {
        match self.jobs.dispatch(&msg.kind, &msg.payload).await {
            Ok(()) => {
                outbox::mark_sent(&self.db, &msg.id, now_ms()).await?;
                metrics::counter!("tenantry_outbox_sent_total", "kind" => msg.kind.clone()).increment(1);
            }
            Err(JobError::RetryAt { at_ms, reason }) => {
                tracing::debug!(reason = %reason, "outbox: attempt failed, the job scheduled the next one");
                metrics::counter!("tenantry_outbox_failed_total", "kind" => msg.kind.clone()).increment(1);
                outbox::mark_failed(&self.db, &msg.id, &reason, Some(at_ms)).await?;
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
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::sync::Mutex;

    /// A job of kind `fake` that records payloads and answers each with the next scripted outcome
    /// (`Ok` once the script runs out).
    struct Scripted {
        calls: Mutex<Vec<String>>,
        outcomes: Mutex<Vec<Result<(), JobError>>>,
    }

    impl Scripted {
        fn new(mut outcomes: Vec<Result<(), JobError>>) -> Arc<Self> {
            outcomes.reverse();
            Arc::new(Self { calls: Mutex::new(Vec::new()), outcomes: Mutex::new(outcomes) })
        }

        fn calls(&self) -> Vec<String> {
            self.calls.lock().expect("lock").clone()
        }
    }

    #[async_trait::async_trait]
    impl Job for Scripted {
        fn kind(&self) -> &'static str {
            "fake"
        }

        async fn run(&self, payload: &str) -> Result<(), JobError> {
            self.calls.lock().expect("lock").push(payload.to_owned());
            self.outcomes.lock().expect("lock").pop().unwrap_or(Ok(()))
        }
    }

    /// A migrated SQLite database in a file removed when dropped.
    struct TempDb {
        db: Db,
        path: std::path::PathBuf,
    }

    impl Drop for TempDb {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
            }
        }
    }

    async fn temp_db() -> TempDb {
        let path = std::env::temp_dir().join(format!("tenantry-outbox-{}.db", tenantry_domain::token::random_hex(8)));
        let db = Db::connect(&format!("sqlite://{}", path.display()), 2).await.expect("connect");
        db.migrate().await.expect("migrate");
        TempDb { db, path }
    }

    async fn enqueue(db: &Db, kind: &str, payload: &str) {
        let mut conn = db.conn().await.expect("conn");
        outbox::enqueue(&mut conn, None, kind, payload, now_ms()).await.expect("enqueue");
    }

    async fn counts(db: &Db) -> Vec<(String, i64)> {
        outbox::counts(db).await.expect("counts")
    }

    fn worker(db: &Db, job: Arc<Scripted>, max_attempts: i64, base_backoff: Duration) -> Worker {
        let config = WorkerConfig { max_attempts, base_backoff, ..WorkerConfig::default() };
        Worker::new(db.clone(), config, Arc::new(Notify::new())).with_job(job)
    }

    #[tokio::test]
    async fn a_sent_message_goes_through_its_job_and_loses_its_payload() {
        let t = temp_db().await;
        let job = Scripted::new(vec![]);
        let worker = worker(&t.db, job.clone(), 3, Duration::ZERO);
        assert!(!worker.run_once().await.expect("run"), "nothing due");
        enqueue(&t.db, "fake", "p1").await;
        assert!(worker.run_once().await.expect("run"));
        assert_eq!(job.calls(), vec!["p1"]);
        assert_eq!(counts(&t.db).await, vec![("sent".to_owned(), 1)]);
        assert_eq!(outbox::payloads_kept(&t.db, "sent").await.expect("count"), 0);
    }

    #[tokio::test]
    async fn transient_failures_are_retried_after_back_off_until_dead() {
        let t = temp_db().await;
        let busy = || Err(JobError::Transient("busy".into()));
        let job = Scripted::new(vec![busy(), busy(), busy()]);
        let worker = worker(&t.db, job.clone(), 3, Duration::ZERO);
        enqueue(&t.db, "fake", "p").await;
        for attempt in 1..=2 {
            assert!(worker.run_once().await.expect("run"), "attempt {attempt}");
            assert_eq!(counts(&t.db).await, vec![("queued".to_owned(), 1)], "queued again after attempt {attempt}");
        }
        assert!(worker.run_once().await.expect("run"), "attempt 3");
        assert_eq!(counts(&t.db).await, vec![("dead".to_owned(), 1)], "dead after max attempts");
        assert!(!worker.run_once().await.expect("run"), "a dead message is not claimed");
        assert_eq!(job.calls().len(), 3);
        assert_eq!(outbox::payloads_kept(&t.db, "dead").await.expect("count"), 1, "a dead message keeps its body");
    }

    #[tokio::test]
    async fn a_retry_waits_for_its_back_off() {
        let t = temp_db().await;
        let job = Scripted::new(vec![Err(JobError::Transient("busy".into()))]);
        let worker = worker(&t.db, job.clone(), 3, Duration::from_secs(3600));
        enqueue(&t.db, "fake", "p").await;
        assert!(worker.run_once().await.expect("run"));
        assert!(!worker.run_once().await.expect("run"), "not retried before its back-off");
        assert_eq!(counts(&t.db).await, vec![("queued".to_owned(), 1)]);
        assert_eq!(job.calls().len(), 1);
    }

    #[tokio::test]
    async fn a_job_scheduling_its_own_retry_is_queued_at_that_time_whatever_its_attempts() {
        let t = temp_db().await;
        let at = |ms| Err(JobError::RetryAt { at_ms: now_ms() + ms, reason: "HTTP 500".into() });
        let job = Scripted::new(vec![at(0), at(0), at(3_600_000)]);
        let worker = worker(&t.db, job.clone(), 1, Duration::from_secs(3600));
        enqueue(&t.db, "fake", "p").await;
        for attempt in 1..=3 {
            assert!(worker.run_once().await.expect("run"), "attempt {attempt}, past max_attempts");
            assert_eq!(counts(&t.db).await, vec![("queued".to_owned(), 1)]);
        }
        assert!(!worker.run_once().await.expect("run"), "not before the time the job chose");
        assert_eq!(job.calls().len(), 3);
    }

    #[tokio::test]
    async fn a_permanent_failure_is_dead_at_once() {
        let t = temp_db().await;
        let job = Scripted::new(vec![Err(JobError::Permanent("bad recipient".into()))]);
        let worker = worker(&t.db, job.clone(), 3, Duration::ZERO);
        enqueue(&t.db, "fake", "p").await;
        assert!(worker.run_once().await.expect("run"));
        assert_eq!(counts(&t.db).await, vec![("dead".to_owned(), 1)]);
        assert_eq!(job.calls().len(), 1);
    }

    #[tokio::test]
    async fn a_message_of_an_unknown_kind_is_dead_at_once() {
        let t = temp_db().await;
        let job = Scripted::new(vec![]);
        let worker = worker(&t.db, job.clone(), 3, Duration::ZERO);
        assert_eq!(worker.kinds(), vec!["fake"]);
        enqueue(&t.db, "webhook", "w").await;
        assert!(worker.run_once().await.expect("run"));
        assert_eq!(counts(&t.db).await, vec![("dead".to_owned(), 1)]);
        assert!(job.calls().is_empty());
    }

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
