//! What the worker runs: one [`Job`] per message kind, kept in a [`Jobs`] registry. The worker
//! claims a message, hands its payload to the job registered for its kind, and does the retries,
//! back-off and dead-lettering itself; a job only sends and says whether a failure may pass.

use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::Arc;

/// A failed run; transient ones are retried with back-off, permanent ones make the message dead.
/// A job with a schedule of its own (webhook deliveries) answers [`JobError::RetryAt`]: the
/// worker queues the message again at that time, whatever its attempts, and the job answers
/// [`JobError::Permanent`] when it gives up.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("temporary failure: {0}")]
    Transient(String),
    #[error("permanent failure: {0}")]
    Permanent(String),
    #[error("failed, next attempt scheduled: {reason}")]
    RetryAt {
        /// When to run again, Unix milliseconds.
        at_ms: i64,
        reason: String,
    },
}

impl JobError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, JobError::Transient(_) | JobError::RetryAt { .. })
    }
}

/// Sends the messages of one kind (the outbox's `kind` column).
#[async_trait::async_trait]
pub trait Job: Send + Sync {
    /// The message kind this job sends, e.g. [`tenantry_domain::OutgoingEmail::KIND`].
    fn kind(&self) -> &'static str;

    /// Sends one message from its stored payload. `id` is the outbox message's id, the same on
    /// every attempt: a job passes it on where the receiver can tell a repeat by it (an email's
    /// `Message-ID`), as a worker that dies between sending and recording sends again.
    async fn run(&self, id: &str, payload: &str) -> Result<(), JobError>;

    /// Called once when the message is given up (dead): no attempt follows.
    async fn gave_up(&self, _id: &str, _payload: &str) {}
}

/// Reads a JSON payload; one that cannot be read never will be, so the failure is permanent.
pub fn parse_payload<T: DeserializeOwned>(payload: &str) -> Result<T, JobError> {
    serde_json::from_str(payload).map_err(|e| JobError::Permanent(format!("unreadable payload: {e}")))
}

/// The jobs a worker runs, by message kind.
#[derive(Clone, Default)]
pub struct Jobs {
    by_kind: HashMap<&'static str, Arc<dyn Job>>,
}

impl Jobs {
    /// No jobs: every message fails permanently as of an unknown kind.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `job` for messages of its kind (replacing a job registered earlier for that kind).
    pub fn register(&mut self, job: Arc<dyn Job>) {
        self.by_kind.insert(job.kind(), job);
    }

    /// The kinds with a job, sorted (for the start-up log).
    pub fn kinds(&self) -> Vec<&'static str> {
        let mut kinds: Vec<_> = self.by_kind.keys().copied().collect();
        kinds.sort_unstable();
        kinds
    }

    /// Runs the job registered for `kind`; a kind without one fails permanently.
    pub async fn dispatch(&self, kind: &str, id: &str, payload: &str) -> Result<(), JobError> {
        match self.by_kind.get(kind) {
            Some(job) => job.run(id, payload).await,
            None => Err(JobError::Permanent(format!("unknown message kind {kind}"))),
        }
    }

    /// Tells the job registered for `kind` that its message `id` was given up.
    pub async fn gave_up(&self, kind: &str, id: &str, payload: &str) {
        if let Some(job) = self.by_kind.get(kind) {
            job.gave_up(id, payload).await;
        }
    }
}

impl std::fmt::Debug for Jobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jobs").field("kinds", &self.kinds()).finish()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::sync::Mutex;

    /// Records the payloads it is given and answers with a fixed outcome.
    struct Recording {
        kind: &'static str,
        calls: Mutex<Vec<String>>,
        outcome: fn() -> Result<(), JobError>,
    }

    impl Recording {
        fn new(kind: &'static str, outcome: fn() -> Result<(), JobError>) -> Arc<Self> {
            Arc::new(Self { kind, calls: Mutex::new(Vec::new()), outcome })
        }

        fn calls(&self) -> Vec<String> {
            self.calls.lock().expect("lock").clone()
        }
    }

    #[async_trait::async_trait]
    impl Job for Recording {
        fn kind(&self) -> &'static str {
            self.kind
        }

        async fn run(&self, _id: &str, payload: &str) -> Result<(), JobError> {
            self.calls.lock().expect("lock").push(payload.to_owned());
            (self.outcome)()
        }
    }

    #[tokio::test]
    async fn dispatches_by_kind_to_the_registered_job() {
        let email = Recording::new("email", || Ok(()));
        let sms = Recording::new("sms", || Err(JobError::Transient("busy".into())));
        let mut jobs = Jobs::new();
        jobs.register(email.clone());
        jobs.register(sms.clone());
        assert_eq!(jobs.kinds(), vec!["email", "sms"]);

        jobs.dispatch("email", "msg_1", "e1").await.expect("email sent");
        let err = jobs.dispatch("sms", "msg_1", "s1").await.expect_err("sms fails");
        assert!(err.is_transient());
        jobs.dispatch("email", "msg_1", "e2").await.expect("email sent");

        assert_eq!(email.calls(), vec!["e1", "e2"]);
        assert_eq!(sms.calls(), vec!["s1"]);
    }

    #[tokio::test]
    async fn an_unknown_kind_fails_permanently_without_running_a_job() {
        let email = Recording::new("email", || Ok(()));
        let mut jobs = Jobs::new();
        jobs.register(email.clone());
        let err = jobs.dispatch("webhook", "msg_1", "w").await.expect_err("no job");
        assert!(!err.is_transient());
        assert_eq!(err.to_string(), "permanent failure: unknown message kind webhook");
        assert!(email.calls().is_empty());
    }

    #[tokio::test]
    async fn a_later_registration_replaces_the_job_of_its_kind() {
        let first = Recording::new("email", || Ok(()));
        let second = Recording::new("email", || Ok(()));
        let mut jobs = Jobs::new();
        jobs.register(first.clone());
        jobs.register(second.clone());
        jobs.dispatch("email", "msg_1", "e").await.expect("sent");
        assert!(first.calls().is_empty());
        assert_eq!(second.calls(), vec!["e"]);
    }

    #[test]
    fn an_unreadable_payload_is_a_permanent_failure() {
        let err = parse_payload::<tenantry_domain::OutgoingEmail>("{not json").expect_err("unreadable");
        assert!(!err.is_transient());
        assert!(err.to_string().starts_with("permanent failure: unreadable payload: "), "{err}");
    }
}
