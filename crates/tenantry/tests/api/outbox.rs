//! The outbox: exactly-once delivery across workers, retries and dead messages.

use crate::db_tests;
use crate::helpers::*;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tenantry_domain::OutgoingEmail;
use tenantry_outbox::{EmailJob, Mailer, Worker, WorkerConfig};
use tenantry_storage::{Db, outbox};
use tokio::sync::{Notify, watch};

db_tests!(two_workers_deliver_500_emails_exactly_once, failing_messages_back_off_and_end_dead);

async fn migrated_db(b: Backend, dir: &std::path::Path) -> (String, Db) {
    let url = fresh_database(b, dir).await;
    let db = Db::connect(&url, 8).await.expect("connect");
    db.migrate().await.expect("migrate");
    (url, db)
}

async fn two_workers_deliver_500_emails_exactly_once(b: Backend) {
    let dir = tempfile::tempdir().expect("dir");
    let (url, db) = migrated_db(b, dir.path()).await;
    let mut tx = db.begin().await.expect("begin");
    let now = jiff::Timestamp::now().as_millisecond();
    for i in 0..500 {
        let email = OutgoingEmail {
            to: format!("r{i}@example.com"),
            subject: format!("Message {i}"),
            text: "hello".to_owned(),
        };
        outbox::enqueue(&mut tx, None, OutgoingEmail::KIND, &serde_json::to_string(&email).expect("json"), now)
            .await
            .expect("enqueue");
    }
    tenantry_storage::commit(tx).await.expect("commit");

    let smtp = SmtpServer::start();
    let (stop, rx) = watch::channel(false);
    let mut handles = Vec::new();
    for _ in 0..2 {
        // Each worker has its own pool, as two nodes would.
        let node_db = Db::connect(&url, 4).await.expect("connect");
        let mailer = Arc::new(Mailer::smtp(&smtp.url(), "Tenantry <no-reply@tenantry.localhost>").expect("mailer"));
        let config = WorkerConfig { poll_interval: Duration::from_millis(20), ..WorkerConfig::default() };
        let worker = Worker::new(node_db, config, Arc::new(Notify::new())).with_job(Arc::new(EmailJob::new(mailer)));
        handles.push(tokio::spawn(worker.run(rx.clone())));
    }
    for _ in 0..1200 {
        if smtp.received.lock().expect("lock").len() >= 500 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Give a duplicate the chance to show up before counting.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = stop.send(true);
    for h in handles {
        h.await.expect("worker ends");
    }
    let received = smtp.received.lock().expect("lock").clone();
    assert_eq!(received.len(), 500, "every message sent once, none twice");
    let recipients: HashSet<String> = received.iter().flat_map(|m| m.to.clone()).collect();
    assert_eq!(recipients.len(), 500);
    assert_eq!(outbox::counts(&db).await.expect("counts"), vec![("sent".to_owned(), 500)]);
    assert_eq!(
        outbox::payloads_kept(&db, "sent").await.expect("count"),
        0,
        "sent bodies (and the links in them) are erased"
    );
}

async fn failing_messages_back_off_and_end_dead(b: Backend) {
    let dir = tempfile::tempdir().expect("dir");
    let (_, db) = migrated_db(b, dir.path()).await;
    let mut conn = db.conn().await.expect("conn");
    let email = OutgoingEmail { to: "r@example.com".to_owned(), subject: "s".to_owned(), text: "t".to_owned() };
    let now = jiff::Timestamp::now().as_millisecond();
    outbox::enqueue(&mut conn, None, OutgoingEmail::KIND, &serde_json::to_string(&email).expect("json"), now)
        .await
        .expect("enqueue");
    drop(conn);
    // Nothing listens on the discard port: every attempt fails with a temporary error.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let mailer = Arc::new(
        Mailer::smtp(&format!("smtp://127.0.0.1:{port}"), "Tenantry <no-reply@tenantry.localhost>").expect("mailer"),
    );
    let config = WorkerConfig {
        max_attempts: 3,
        base_backoff: Duration::from_millis(200),
        max_backoff: Duration::from_secs(1),
        ..WorkerConfig::default()
    };
    let worker = Worker::new(db.clone(), config, Arc::new(Notify::new())).with_job(Arc::new(EmailJob::new(mailer)));

    assert!(worker.run_once().await.expect("run"), "first attempt");
    assert!(!worker.run_once().await.expect("run"), "not retried before its back-off");
    assert_eq!(outbox::counts(&db).await.expect("counts"), vec![("queued".to_owned(), 1)]);
    let mut attempts = 1;
    for _ in 0..100 {
        if worker.run_once().await.expect("run") {
            attempts += 1;
        }
        if outbox::counts(&db).await.expect("counts") == vec![("dead".to_owned(), 1)] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(attempts, 3);
    assert_eq!(outbox::counts(&db).await.expect("counts"), vec![("dead".to_owned(), 1)], "dead after max attempts");
    assert_eq!(
        outbox::payloads_kept(&db, "dead").await.expect("count"),
        1,
        "a dead message keeps its body for a retry"
    );
}
