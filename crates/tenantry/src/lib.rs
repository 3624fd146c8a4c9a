//! Wires storage, the web layer and the outbox worker into one running server.

pub mod avatar_store;
pub mod config;
pub mod jobs;

use anyhow::Context as _;
use config::{Config, MetricsAt, Signup};
use secrecy::ExposeSecret;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use tenantry_app::hashing::Hasher;
use tenantry_app::{App, Clock};
use tenantry_outbox::{
    BackchannelLogoutJob, EmailJob, Mailer, ProductEmailJob, SmsJob, SmsSender, WebhookJob, Worker, WorkerConfig,
};
use tenantry_storage::Db;
use tenantry_web::{AppState, WebConfig};
use tokio::sync::{Notify, watch};

/// The process-wide Prometheus recorder (installed once, even when tests start many servers).
pub fn metrics_handle() -> Option<metrics_exporter_prometheus::PrometheusHandle> {
    static HANDLE: OnceLock<Option<metrics_exporter_prometheus::PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| match metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder() {
            Ok(h) => Some(h),
            Err(e) => {
                tracing::warn!(error = %e, "metrics recorder not installed");
                None
            }
        })
        .clone()
}

/// Opens the database named by the configuration, creating the data folder, and migrates it.
pub async fn open_db(config: &Config) -> anyhow::Result<Db> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data folder {}", config.data_dir.display()))?;
    let db = Db::connect(&config.database_url(), config.database_max_connections)
        .await
        .context("connecting to the database")?;
    db.migrate().await.context("applying migrations")?;
    Ok(db)
}

/// The mailer the configuration asks for.
pub fn mailer(config: &Config) -> anyhow::Result<Mailer> {
    Ok(match &config.smtp_url {
        Some(url) => Mailer::smtp(url.expose_secret(), &config.mail_from)?,
        None => Mailer::files(config.data_dir.join("mail"), &config.mail_from)?,
    })
}

/// The SMS transport the configuration asks for.
pub fn sms_sender(config: &Config) -> anyhow::Result<SmsSender> {
    Ok(match &config.sms_url {
        Some(url) => SmsSender::http(
            url.expose_secret(),
            config.sms_authorization.as_ref().map(|a| a.expose_secret().to_owned()),
            config.sms_body_template.clone(),
        )
        .map_err(anyhow::Error::msg)?,
        None => SmsSender::files(config.data_dir.join("sms")).context("creating the SMS folder")?,
    })
}

/// Application state for `db` under `config`, with links based on `public_url`.
pub fn state(config: &Config, public_url: String, db: Db, clock: Clock, wake: Arc<Notify>) -> anyhow::Result<AppState> {
    let app_config = tenantry_app::Config {
        public_url,
        signup: match config.signup {
            Signup::Open => tenantry_app::SignupMode::Open,
            Signup::Closed => tenantry_app::SignupMode::Closed,
            Signup::Verify => tenantry_app::SignupMode::Verify,
        },
        sms_daily_limit: i64::from(config.sms_daily_limit),
        sms_regions: config.sms_regions()?,
        session_cache_ms: i64::from(config.session_cache_ms),
        rate_limit_per_ip: config.rate_limit_per_ip,
        rate_limit_sign_in_per_account: config.rate_limit_sign_in_per_account,
        catalog: config.catalog()?,
        trial_seats: i64::from(config.trial_seats),
        trial_sms_credits: i64::from(config.trial_sms_credits),
        operator_token_hash: config.operator_token.as_ref().map(|t| tenantry_domain::TokenHash::of(t.expose_secret())),
    };
    let secrets =
        tenantry_app::secrets::SecretBox::new(&config.secret_key().context("reading or creating the secret key")?);
    let parallelism = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let avatars: Arc<dyn tenantry_app::avatars::AvatarFiles> =
        match config.avatar_store.as_deref().filter(|s| !s.is_empty()) {
            Some(url) => Arc::new(avatar_store::AvatarStore::s3(url).context("TENANTRY_AVATAR_STORE")?),
            None => Arc::new(
                avatar_store::AvatarStore::folder(&config.data_dir.join("avatars"))
                    .context("creating the avatars folder")?,
            ),
        };
    // CRM connection tests: 10 s, to public addresses or those the operator allows.
    let outbound: Arc<dyn tenantry_app::outbound::Outbound> = Arc::new(tenantry_outbox::outbound::HttpOutbound::new(
        config.allow_private_targets()?,
        std::time::Duration::from_secs(10),
    ));
    let app = App::new(tenantry_app::Parts {
        db,
        config: app_config,
        hasher: Hasher::new(parallelism)?,
        clock,
        outbox_wake: wake,
        secrets,
        avatars,
        outbound,
    });
    let web = WebConfig {
        trusted_proxies: config.trusted_proxy_ips()?,
        upgrade_url: config.upgrade_url().map(str::to_owned),
        sales_url: config.sales_url().map(str::to_owned),
        metrics_elsewhere: config.metrics_at()? != MetricsAt::Main,
    };
    Ok(AppState::new(app, web, metrics_handle()))
}

/// How long requests under way may still take once the server is told to stop.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// A server started by [`start`].
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
    worker: Option<tokio::task::JoinHandle<()>>,
    /// Writes counted API requests; flushes once more when stopping.
    flusher: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops serving and the worker, waiting for both.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.server.await;
        let _ = self.flusher.await;
        if let Some(w) = self.worker {
            let _ = w.await;
        }
    }

    /// Waits until the server ends (after a signal).
    pub async fn wait(self) {
        let _ = self.server.await;
        let _ = self.flusher.await;
        if let Some(w) = self.worker {
            let _ = w.await;
        }
    }

    /// A handle that stops the server.
    pub fn shutdown_handle(&self) -> watch::Sender<bool> {
        self.shutdown.clone()
    }
}

/// Options for [`start`] that tests change.
pub struct StartOptions {
    pub clock: Clock,
    pub worker: Option<WorkerConfig>,
}

impl Default for StartOptions {
    fn default() -> Self {
        Self { clock: Clock::default(), worker: Some(WorkerConfig::default()) }
    }
}

/// Opens the database, migrates, and serves the API, the pages and (unless off) the outbox worker.
pub async fn start(config: &Config, options: StartOptions) -> anyhow::Result<Running> {
    let listener =
        tokio::net::TcpListener::bind(config.listen).await.with_context(|| format!("binding {}", config.listen))?;
    let addr = listener.local_addr()?;
    let db = open_db(config).await?;
    let wake = Arc::new(Notify::new());
    let state = state(config, config.public_url_for(addr), db.clone(), options.clock.clone(), wake.clone())?;
    let (shutdown, rx) = watch::channel(false);
    let worker = match options.worker {
        Some(mut worker_config) => {
            worker_config.lease = std::time::Duration::from_secs(config.outbox_lease_seconds);
            let mailer = mailer(config)?;
            tracing::info!(mail = %mailer.describe(), "outbox worker started");
            let sms = sms_sender(config)?;
            tracing::info!(sms = %sms.describe(), "SMS transport");
            let mailer = Arc::new(mailer);
            let sms_log = db.clone();
            let worker = Worker::new(db, worker_config, wake)
                .with_clock(options.clock)
                .with_job(Arc::new(EmailJob::new(mailer.clone())))
                .with_job(Arc::new(ProductEmailJob::new(mailer)))
                .with_job(Arc::new(SmsJob::new(Arc::new(sms)).with_log(sms_log)))
                .with_job(Arc::new(jobs::ResetRequestJob::new(state.app().clone())))
                .with_job(Arc::new(BackchannelLogoutJob::new(
                    state.app().clone(),
                    Arc::new(tenantry_outbox::outbound::HttpOutbound::new(
                        config.allow_private_targets()?,
                        tenantry_outbox::oidc_logout::TIMEOUT,
                    )),
                )))
                .with_job(Arc::new(WebhookJob::new(
                    state.app().clone(),
                    Arc::new(tenantry_outbox::outbound::HttpOutbound::new(
                        config.allow_private_targets()?,
                        tenantry_outbox::webhook::TIMEOUT,
                    )),
                    config.webhook_retry_schedule()?,
                )));
            Some(tokio::spawn(worker.run(rx.clone())))
        }
        None => None,
    };
    if let MetricsAt::Own(at) = config.metrics_at()? {
        let listener =
            tokio::net::TcpListener::bind(at).await.with_context(|| format!("binding metrics_listen {at}"))?;
        tracing::info!(address = %at, "metrics served on their own address");
        let metrics = tenantry_web::metrics_app(state.clone());
        let mut rx_metrics = rx.clone();
        tokio::spawn(async move {
            let stop = async move {
                let _ = rx_metrics.wait_for(|stop| *stop).await;
            };
            if let Err(e) = axum::serve(listener, metrics).with_graceful_shutdown(stop).await {
                tracing::error!(error = %e, "metrics server failed");
            }
        });
    }
    let flusher = tokio::spawn(tenantry_app::request_counter::run_flusher(state.app().clone(), rx.clone()));
    let app = tenantry_web::app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let (mut rx_server, mut rx_grace) = (rx.clone(), rx);
    let server = tokio::spawn(async move {
        let stop = async move {
            let _ = rx_server.wait_for(|stop| *stop).await;
        };
        // Once stopping, no new connection is taken and requests under way may finish, for
        // SHUTDOWN_GRACE at most: a request still running then is cut.
        let serving = axum::serve(listener, app).with_graceful_shutdown(stop);
        let grace = async move {
            let _ = rx_grace.wait_for(|stop| *stop).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        };
        tokio::select! {
            served = serving => if let Err(e) = served {
                tracing::error!(error = %e, "server failed");
            },
            () = grace => tracing::warn!(grace = ?SHUTDOWN_GRACE, "requests still under way when stopping: cut"),
        }
    });
    Ok(Running { addr, state, shutdown, server, worker, flusher })
}
