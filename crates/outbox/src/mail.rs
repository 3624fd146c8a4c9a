//! Email transports: a folder of `.eml` files (the embedded default) or SMTP.

use crate::job::{Job, JobError, parse_payload};
use lettre::address::{Address, Envelope};
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;
use std::sync::Arc;
use tenantry_domain::{OutgoingEmail, ProductEmail};

/// Where email goes.
pub enum Mailer {
    /// Each message written as an `.eml` file into a folder.
    Files { dir: PathBuf, from: Mailbox },
    /// Each message sent over SMTP.
    Smtp { transport: AsyncSmtpTransport<Tokio1Executor>, from: Mailbox },
}

/// Configuration mistakes found when building a mailer.
#[derive(Debug, thiserror::Error)]
pub enum MailerConfigError {
    #[error("invalid sender address: {0}")]
    From(String),
    #[error("invalid SMTP URL: {0}")]
    Url(String),
    #[error("cannot create the mail folder: {0}")]
    Folder(#[from] std::io::Error),
}

impl Mailer {
    /// A folder mailer; creates the folder.
    pub fn files(dir: PathBuf, from: &str) -> Result<Self, MailerConfigError> {
        std::fs::create_dir_all(&dir)?;
        Ok(Mailer::Files { dir, from: parse_from(from)? })
    }

    /// An SMTP mailer from `smtp://[user:pass@]host:port[?tls=starttls]` or `smtps://…` (implicit TLS).
    pub fn smtp(url: &str, from: &str) -> Result<Self, MailerConfigError> {
        // lettre spells STARTTLS `tls=required`; accept the common name too.
        let url = url.replace("tls=starttls", "tls=required");
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            .map_err(|e| MailerConfigError::Url(e.to_string()))?
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build();
        Ok(Mailer::Smtp { transport, from: parse_from(from)? })
    }

    /// A short description for the start-up log (never the credentials).
    pub fn describe(&self) -> String {
        match self {
            Mailer::Files { dir, .. } => format!("files in {}", dir.display()),
            Mailer::Smtp { .. } => "SMTP".to_owned(),
        }
    }

    fn build(&self, email: &OutgoingEmail, id: &str) -> Result<Message, JobError> {
        self.compose(&email.to, &email.subject, &email.text, None, id)
    }

    /// A message to `to`; with `html`, a multipart/alternative of the text and the HTML.
    fn compose(&self, to: &str, subject: &str, text: &str, html: Option<&str>, id: &str) -> Result<Message, JobError> {
        let from = match self {
            Mailer::Files { from, .. } | Mailer::Smtp { from, .. } => from.clone(),
        };
        let to: Mailbox = to.parse().map_err(|e| JobError::Permanent(format!("recipient: {e}")))?;
        // The outbox message's id makes the Message-ID: a message sent again after a crash
        // carries the same one, so mail systems and people can tell it is a repeat.
        let message_id = format!("<{id}@{}>", from.email.domain());
        let builder = Message::builder().message_id(Some(message_id)).from(from).to(to).subject(subject);
        let built = match html {
            None => builder.header(ContentType::TEXT_PLAIN).body(readable_body(text)),
            Some(html) => builder.multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(readable_body(text)))
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html.to_owned())),
            ),
        };
        built.map_err(|e| JobError::Permanent(e.to_string()))
    }

    /// Sends the outbox message `id`, an email, with the Message-ID `<id@sender's domain>`.
    pub async fn send(&self, email: &OutgoingEmail, id: &str) -> Result<(), JobError> {
        let message = self.build(email, id)?;
        self.deliver(message, None).await
    }

    /// Sends the outbox message `id`, a product's email; its `bcc` is added to the envelope only.
    pub async fn send_product(&self, email: &ProductEmail, id: &str) -> Result<(), JobError> {
        let message = self.compose(&email.to, &email.subject, &email.text, email.html.as_deref(), id)?;
        let hidden = match &email.bcc {
            Some(bcc) => Some(bcc.parse::<Address>().map_err(|e| JobError::Permanent(format!("bcc: {e}")))?),
            None => None,
        };
        self.deliver(message, hidden).await
    }

    /// Hands `message` over, to its header recipients plus `hidden` (envelope only).
    async fn deliver(&self, message: Message, hidden: Option<Address>) -> Result<(), JobError> {
        match self {
            Mailer::Files { dir, .. } => {
                let name = format!(
                    "{}-{}.eml",
                    jiff::Timestamp::now().as_millisecond(),
                    tenantry_domain::token::random_hex(6)
                );
                let tmp = dir.join(format!(".{name}.tmp"));
                let io = |e: std::io::Error| JobError::Transient(e.to_string());
                if let Some(hidden) = &hidden {
                    // The envelope beside the message, as an SMTP server would have received it.
                    let recipients: Vec<String> =
                        message.envelope().to().iter().chain([hidden]).map(ToString::to_string).collect();
                    let envelope = dir.join(format!("{name}.envelope"));
                    tokio::fs::write(&envelope, recipients.join("\n") + "\n").await.map_err(io)?;
                }
                // Written aside then renamed, so a reader never sees half a message.
                tokio::fs::write(&tmp, message.formatted()).await.map_err(io)?;
                tokio::fs::rename(&tmp, dir.join(&name)).await.map_err(io)?;
                Ok(())
            }
            Mailer::Smtp { transport, .. } => {
                let sent = match hidden {
                    None => transport.send(message).await,
                    Some(hidden) => {
                        let header = message.envelope();
                        let mut to = header.to().to_vec();
                        to.push(hidden);
                        let envelope = Envelope::new(header.from().cloned(), to)
                            .map_err(|e| JobError::Permanent(format!("envelope: {e}")))?;
                        transport.send_raw(&envelope, &message.formatted()).await
                    }
                };
                match sent {
                    Ok(_) => Ok(()),
                    Err(e) if e.is_permanent() => Err(JobError::Permanent(e.to_string())),
                    Err(e) => Err(JobError::Transient(e.to_string())),
                }
            }
        }
    }
}

/// Sends the outbox's email messages ([`OutgoingEmail::KIND`]) with a [`Mailer`].
pub struct EmailJob {
    mailer: Arc<Mailer>,
}

impl EmailJob {
    /// A job sending with `mailer`.
    pub fn new(mailer: Arc<Mailer>) -> Self {
        Self { mailer }
    }
}

#[async_trait::async_trait]
impl Job for EmailJob {
    fn kind(&self) -> &'static str {
        OutgoingEmail::KIND
    }

    // Neither the recipient nor the body (which may hold a sign-in link) goes into the span.
    #[tracing::instrument(name = "outbox.email", skip_all, fields(kind = OutgoingEmail::KIND, payload_bytes = payload.len()))]
    async fn run(&self, id: &str, payload: &str) -> Result<(), JobError> {
        let email: OutgoingEmail = parse_payload(payload)?;
        self.mailer.send(&email, id).await
    }
}

/// Sends the outbox's product email messages ([`ProductEmail::KIND`]) with a [`Mailer`].
pub struct ProductEmailJob {
    mailer: Arc<Mailer>,
}

impl ProductEmailJob {
    /// A job sending with `mailer`.
    pub fn new(mailer: Arc<Mailer>) -> Self {
        Self { mailer }
    }
}

#[async_trait::async_trait]
impl Job for ProductEmailJob {
    fn kind(&self) -> &'static str {
        ProductEmail::KIND
    }

    // Neither the recipients nor the body go into the span.
    #[tracing::instrument(name = "outbox.product_email", skip_all, fields(kind = ProductEmail::KIND, payload_bytes = payload.len()))]
    async fn run(&self, id: &str, payload: &str) -> Result<(), JobError> {
        let email: ProductEmail = parse_payload(payload)?;
        self.mailer.send_product(&email, id).await
    }
}

/// The body as plain 7- or 8-bit text when its lines allow it (RFC 5322: under 998 bytes), so
/// links stay whole for a person reading the `.eml` file; otherwise lettre's quoted-printable.
fn readable_body(text: &str) -> Body {
    let crlf = text.replace("\r\n", "\n").replace('\n', "\r\n");
    if crlf.split("\r\n").all(|line| line.len() < 998) {
        let encoding =
            if crlf.is_ascii() { ContentTransferEncoding::SevenBit } else { ContentTransferEncoding::EightBit };
        Body::dangerous_pre_encoded(crlf.into_bytes(), encoding)
    } else {
        Body::new(crlf)
    }
}

fn parse_from(from: &str) -> Result<Mailbox, MailerConfigError> {
    from.parse().map_err(|e: lettre::address::AddressError| MailerConfigError::From(e.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn long_links_stay_whole_and_lines_end_in_crlf() {
        let mailer =
            Mailer::Files { dir: PathBuf::from("/nonexistent"), from: parse_from("T <t@example.com>").expect("from") };
        let link = format!("https://accounts.example.com/invitations/tiv_{}", "a".repeat(64));
        let email = OutgoingEmail {
            to: "José <jose@example.com>".into(),
            subject: "Olá".into(),
            text: format!("Olá José,\n{link}\n"),
        };
        let formatted = String::from_utf8(mailer.build(&email, "msg_1").expect("builds").formatted()).expect("utf-8");
        assert!(formatted.contains(&format!("{link}\r\n")), "{formatted}");
        assert!(formatted.contains("Content-Transfer-Encoding: 8bit"));
    }

    #[test]
    fn the_message_id_is_the_outbox_message_s_the_same_on_every_attempt() {
        let mailer =
            Mailer::Files { dir: PathBuf::from("/nonexistent"), from: parse_from("T <t@example.com>").expect("from") };
        let email = OutgoingEmail { to: "jo@example.com".into(), subject: "Hi".into(), text: "Hi\n".into() };
        for _ in 0..2 {
            let formatted =
                String::from_utf8(mailer.build(&email, "msg_0a1b").expect("builds").formatted()).expect("utf-8");
            assert!(formatted.contains("Message-ID: <msg_0a1b@example.com>\r\n"), "{formatted}");
        }
    }
}
