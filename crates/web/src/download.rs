//! Downloads streamed a chunk at a time, so a long export is never held in memory.

use axum::body::Body;
use std::future::Future;
use tracing::Instrument;

/// Where a download is.
enum Step<C> {
    Header,
    /// The next chunk starts at this cursor (none: from the start).
    Rows(Option<C>),
    Done,
}

/// A CSV body: `header`, then the chunks `next` gives, each from the cursor the one before
/// handed back, until one hands back none. A failed chunk cuts the download short (the client
/// sees an incomplete transfer) and is logged as `what` failing. The body is read after the
/// handler has returned, outside the request's scope and span: each chunk is made in them again,
/// so its log lines name the request.
pub fn csv<C, F, Fut>(what: &'static str, header: &'static str, next: F) -> Body
where
    C: Send + 'static,
    F: Fn(Option<C>) -> Fut + Send + 'static,
    Fut: Future<Output = tenantry_app::Result<(String, Option<C>)>> + Send + 'static,
{
    let span = tracing::Span::current();
    let request = crate::request_log::current();
    let chunks = futures_util::stream::unfold((Step::Header, next), move |(step, next)| {
        let chunk = async move {
            match step {
                Step::Header => Some((Ok(header.to_owned()), (Step::Rows(None), next))),
                Step::Rows(cursor) => match next(cursor).await {
                    Ok((text, more)) => Some((Ok(text), (more.map_or(Step::Done, |c| Step::Rows(Some(c))), next))),
                    Err(e) => {
                        tracing::error!(error = %e, "{what} failed");
                        Some((Err(std::io::Error::other("the export failed")), (Step::Done, next)))
                    }
                },
                Step::Done => None,
            }
        }
        .instrument(span.clone());
        let request = request.clone();
        async move {
            match request {
                Some(request) => crate::request_log::scope(request, chunk).await,
                None => chunk.await,
            }
        }
    });
    Body::from_stream(chunks)
}
