//! The API's JSON answers: what axum's `Json` does, into a first buffer sized for a typical
//! answer. axum's starts at 128 bytes and doubles as it fills, so a 500-byte user was copied
//! three times on its way out (BENCHMARKS.md, issue 12).

use crate::error::AppError;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A JSON answer (`Content-Type: application/json`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

/// Bytes reserved before serializing: most single objects fit; lists grow from here.
const FIRST_BUFFER: usize = 1024;

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        let mut body = Vec::with_capacity(FIRST_BUFFER);
        match serde_json::to_writer(&mut body, &self.0) {
            Ok(()) => ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response(),
            // Only a view that cannot be JSON (a map with non-string keys) fails: a defect, logged.
            Err(e) => AppError::from(anyhow::Error::new(e).context("serializing an answer")).into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::collections::BTreeMap;

    async fn body(res: Response) -> String {
        String::from_utf8(axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap().to_vec()).unwrap()
    }

    #[tokio::test]
    async fn answers_are_json_of_any_size_and_a_view_that_cannot_be_json_is_a_problem() {
        let res = Json(serde_json::json!({"name": "Ana \"A\" Ñ"})).into_response();
        assert_eq!(res.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(body(res).await, r#"{"name":"Ana \"A\" Ñ"}"#);
        let long: Vec<String> = (0..500).map(|i| format!("item-{i}")).collect();
        let text = body(Json(&long).into_response()).await;
        assert!(text.len() > FIRST_BUFFER);
        assert_eq!(serde_json::from_str::<Vec<String>>(&text).unwrap(), long);
        let bad: BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into();
        let res = Json(bad).into_response();
        assert_eq!(res.status(), axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(res.headers()[header::CONTENT_TYPE], "application/problem+json");
    }
}
