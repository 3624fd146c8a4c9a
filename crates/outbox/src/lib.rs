//! The outbox worker: claims due messages, hands each to the [`Job`] registered for its kind,
//! retries transient failures with exponential back-off and gives up (status `dead`) after a
//! bounded number of attempts or on a permanent failure. Retries and back-off live here only;
//! a job just sends.

pub mod job;
pub mod mail;
pub mod oidc_logout;
pub mod outbound;
pub mod sms;
pub mod webhook;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tenantry_app::Clock;
use tenantry_storage::{Db, outbox};
use tokio::sync::{Notify, Semaphore, mpsc, watch};
use tokio::task::JoinSet;

pub use job::{Job, JobError, Jobs};
pub use mail::{EmailJob, Mailer, ProductEmailJob};
pub use oidc_logout::BackchannelLogoutJob;
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
    /// How many messages are sent at once.
    pub concurrency: usize,
    /// Most messages taken by one claim statement.
    pub batch: usize,
    /// On shutdown, how long sends under way may still finish; the claims of those that do not
    /// are handed back for another worker (or the next start).
    pub drain: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_millis(500),
            lease: Duration::from_secs(60),
            max_attempts: 8,
            base_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(3600),
            concurrency: 64,
            batch: 32,
            drain: Duration::from_secs(10),
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
    clock: Clock,
}

/// How handling a claimed message ended.
enum Handled {
    /// The job succeeded; the message is still to be marked sent.
    Sent,
    /// The failure is recorded (queued again or dead).
    Recorded,
}

impl Worker {
    /// A worker over `db` with no jobs yet; `wake` is notified when a message is queued locally.
    /// A message whose kind has no job fails permanently.
    pub fn new(db: Db, config: WorkerConfig, wake: Arc<Notify>) -> Self {
        Self { db, jobs: Jobs::new(), config, wake, clock: Clock::default() }
    }

    /// Reads the time from `clock` (the application's, so a test that moves it moves the queue too).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
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

    fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    fn lease_ms(&self) -> i64 {
        i64::try_from(self.config.lease.as_millis()).unwrap_or(i64::MAX / 2)
    }

    /// Claims due messages in batches and sends up to [`WorkerConfig::concurrency`] at once until
    /// `shutdown` turns true; then lets the sends under way finish for [`WorkerConfig::drain`]
    /// and hands back the claims of the rest. A claim is exclusive (see `outbox::claim`), so
    /// workers here or in other processes never send one message twice. Messages sent are marked
    /// so in batches by one task, as they complete.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let n = self.config.concurrency.max(1);
        let this = Arc::new(self);
        let permits = Arc::new(Semaphore::new(n));
        let (sent_tx, sent_rx) = mpsc::unbounded_channel::<String>();
        let marker = tokio::spawn(this.clone().mark_sent_loop(sent_rx));
        let under_way: Arc<Mutex<HashSet<String>>> = Arc::default();
        let mut sends = JoinSet::new();
        loop {
            if *shutdown.borrow() {
                break;
            }
            while sends.try_join_next().is_some() {}
            let free = permits.available_permits();
            if free == 0 {
                tokio::select! {
                    permit = permits.clone().acquire_owned() => drop(permit),
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            let limit = free.min(this.config.batch.max(1));
            let claimed = match outbox::claim(&this.db, this.now(), this.lease_ms(), limit).await {
                Ok(claimed) => claimed,
                Err(e) => {
                    tracing::error!(error = %e, "outbox: claiming failed");
                    Vec::new()
                }
            };
            let full = claimed.len() == limit;
            for msg in claimed {
                let Ok(permit) = permits.clone().try_acquire_owned() else { break };
                lock(&under_way).insert(msg.id.clone());
                let (this, sent_tx, under_way) = (this.clone(), sent_tx.clone(), under_way.clone());
                sends.spawn(async move {
                    let _permit = permit;
                    match this.handle(&msg).await {
                        Ok(Handled::Sent) => {
                            let _ = sent_tx.send(msg.id.clone());
                        }
                        Ok(Handled::Recorded) => {}
                        Err(e) => tracing::error!(error = %e, id = %msg.id, "outbox: recording an attempt failed"),
                    }
                    lock(&under_way).remove(&msg.id);
                });
            }
            if full {
                // More may be due: claim again as soon as a send slot is free.
                continue;
            }
            tokio::select! {
                _ = this.wake.notified() => {}
                _ = tokio::time::sleep(this.config.poll_interval) => {}
                _ = shutdown.changed() => {}
            }
        }
        if tokio::time::timeout(this.config.drain, async { while sends.join_next().await.is_some() {} }).await.is_err()
        {
            sends.abort_all();
            while sends.join_next().await.is_some() {}
        }
        drop(sent_tx);
        let _ = marker.await;
        let left: Vec<String> = lock(&under_way).drain().collect();
        if !left.is_empty() {
            match outbox::release(&this.db, &left).await {
                Ok(n) => tracing::info!(released = n, "outbox: handed back the claims of unfinished sends"),
                Err(e) => tracing::error!(error = %e, "outbox: handing back claims failed; their leases will run out"),
            }
        }
    }

    /// Marks sent messages in batches: whatever completed while the last batch was written.
    async fn mark_sent_loop(self: Arc<Self>, mut sent: mpsc::UnboundedReceiver<String>) {
        let mut ids = Vec::new();
        while sent.recv_many(&mut ids, 500).await > 0 {
            // A message left unmarked is claimed again once its lease runs out: a webhook
            // delivery sees it was already made, an email goes out twice. So try hard.
            for attempt in 1..=5u32 {
                match outbox::mark_sent_many(&self.db, &ids, self.now()).await {
                    Ok(()) => break,
                    Err(e) => {
                        tracing::error!(error = %e, attempt, "outbox: marking messages sent failed");
                        tokio::time::sleep(Duration::from_millis(200) * attempt).await;
                    }
                }
            }
            ids.clear();
        }
    }

    /// Claims and handles one due message; `false` when none was due.
    pub async fn run_once(&self) -> Result<bool, tenantry_storage::StoreError> {
        let Some(msg) = outbox::claim(&self.db, self.now(), self.lease_ms(), 1).await?.pop() else {
            return Ok(false);
        };
        if let Handled::Sent = self.handle(&msg).await? {
            outbox::mark_sent_many(&self.db, std::slice::from_ref(&msg.id), self.now()).await?;
        }
        Ok(true)
    }

    /// Runs the job for one claimed message; records a failure as queued again after its
    /// back-off, or dead. The payload is never recorded in the span.
    #[tracing::instrument(name = "outbox.deliver", skip_all, fields(id = %msg.id, kind = %msg.kind, attempt = msg.attempts))]
    async fn handle(&self, msg: &outbox::Claimed) -> Result<Handled, tenantry_storage::StoreError> {
        match self.jobs.dispatch(&msg.kind, &msg.id, &msg.payload).await {
            Ok(()) => {
                metrics::counter!("tenantry_outbox_sent_total", "kind" => msg.kind.clone()).increment(1);
                return Ok(Handled::Sent);
            }
            Err(JobError::RetryAt { at_ms, reason }) => {
                tracing::debug!(reason = %reason, "outbox: attempt failed, the job scheduled the next one");
                metrics::counter!("tenantry_outbox_failed_total", "kind" => msg.kind.clone()).increment(1);
                outbox::mark_failed(&self.db, &msg.id, &reason, Some(at_ms)).await?;
            }
            Err(e) => {
                let retry_at = (msg.attempts < self.config.max_attempts && e.is_transient()).then(|| {
                    let delay = backoff(msg.attempts, self.config.base_backoff, self.config.max_backoff);
                    self.now() + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2)
                });
                tracing::warn!(error = %e, dead = retry_at.is_none(), "outbox: delivery failed");
                metrics::counter!("tenantry_outbox_failed_total", "kind" => msg.kind.clone()).increment(1);
                outbox::mark_failed(&self.db, &msg.id, &e.to_string(), retry_at).await?;
                if retry_at.is_none() {
                    self.jobs.gave_up(&msg.kind, &msg.id, &msg.payload).await;
                }
            }
        }
        Ok(Handled::Recorded)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn now_ms() -> i64 {
        jiff::Timestamp::now().as_millisecond()
    }

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

        async fn run(&self, _id: &str, payload: &str) -> Result<(), JobError> {
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

    /// A job that never finishes.
    struct Stuck;

    #[async_trait::async_trait]
    impl Job for Stuck {
        fn kind(&self) -> &'static str {
            "fake"
        }

        async fn run(&self, _id: &str, _payload: &str) -> Result<(), JobError> {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(())
        }
    }

    async fn wait_for(db: &Db, want: Vec<(String, i64)>) {
        for _ in 0..500 {
            if counts(db).await == want {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the outbox never reached {want:?}: {:?}", counts(db).await);
    }

    #[tokio::test]
    async fn a_claim_takes_a_batch_oldest_first_and_no_message_twice() {
        let t = temp_db().await;
        for i in 0..5 {
            let mut conn = t.db.conn().await.expect("conn");
            outbox::enqueue(&mut conn, None, "fake", &format!("p{i}"), now_ms() - 1000 + i).await.expect("enqueue");
        }
        let first = outbox::claim(&t.db, now_ms(), 60_000, 3).await.expect("claim");
        let mut payloads: Vec<_> = first.iter().map(|m| m.payload.clone()).collect();
        payloads.sort();
        assert_eq!(payloads, ["p0", "p1", "p2"], "the three oldest");
        assert!(first.iter().all(|m| m.attempts == 1));
        let rest = outbox::claim(&t.db, now_ms(), 60_000, 10).await.expect("claim");
        assert_eq!(rest.len(), 2, "the claimed three are not due again while their lease runs");
        assert!(outbox::claim(&t.db, now_ms(), 60_000, 10).await.expect("claim").is_empty());
        let later = outbox::claim(&t.db, now_ms() + 61_000, 60_000, 10).await.expect("claim");
        assert_eq!(later.len(), 5, "every lease ran out");
    }

    #[tokio::test]
    async fn the_running_worker_sends_each_message_once_and_stops_when_told() {
        let t = temp_db().await;
        for i in 0..300 {
            enqueue(&t.db, "fake", &format!("p{i}")).await;
        }
        let job = Scripted::new(vec![]);
        let config = WorkerConfig { concurrency: 16, batch: 8, ..WorkerConfig::default() };
        let worker = Worker::new(t.db.clone(), config, Arc::new(Notify::new())).with_job(job.clone());
        let (stop, rx) = watch::channel(false);
        let running = tokio::spawn(worker.run(rx));
        wait_for(&t.db, vec![("sent".to_owned(), 300)]).await;
        stop.send(true).expect("stop");
        tokio::time::timeout(Duration::from_secs(5), running).await.expect("stops").expect("joins");
        let mut calls = job.calls();
        calls.sort();
        calls.dedup();
        assert_eq!(calls.len(), 300, "every message sent once");
        assert_eq!(job.calls().len(), 300);
        assert_eq!(outbox::payloads_kept(&t.db, "sent").await.expect("count"), 0);
    }

    #[tokio::test]
    async fn stopping_hands_back_the_claims_of_sends_that_do_not_finish() {
        let t = temp_db().await;
        for i in 0..3 {
            enqueue(&t.db, "fake", &format!("p{i}")).await;
        }
        let config = WorkerConfig { drain: Duration::from_millis(100), ..WorkerConfig::default() };
        let worker = Worker::new(t.db.clone(), config, Arc::new(Notify::new())).with_job(Arc::new(Stuck));
        let (stop, rx) = watch::channel(false);
        let running = tokio::spawn(worker.run(rx));
        wait_for(&t.db, vec![("running".to_owned(), 3)]).await;
        stop.send(true).expect("stop");
        tokio::time::timeout(Duration::from_secs(5), running).await.expect("stops after the drain").expect("joins");
        assert_eq!(counts(&t.db).await, vec![("queued".to_owned(), 3)], "claims handed back");
        let again = outbox::claim(&t.db, now_ms(), 60_000, 10).await.expect("claim");
        assert_eq!(again.len(), 3, "due again at once, not after the lease");
        assert!(again.iter().all(|m| m.attempts == 1), "the unfinished attempt is not counted");
    }

    #[tokio::test]
    async fn the_worker_reads_the_time_from_the_clock_it_is_given() {
        let t = temp_db().await;
        let job = Scripted::new(vec![]);
        let ahead = Clock::fixed(|| jiff::Timestamp::now().as_millisecond() + 3_600_000);
        let worker = worker(&t.db, job.clone(), 3, Duration::ZERO).with_clock(ahead);
        let mut conn = t.db.conn().await.expect("conn");
        outbox::enqueue(&mut conn, None, "fake", "later", now_ms() + 1_800_000).await.expect("enqueue");
        drop(conn);
        assert!(worker.run_once().await.expect("run"), "due by the worker's clock, an hour ahead");
        assert_eq!(job.calls(), vec!["later"]);
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
