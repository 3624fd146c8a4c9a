//! Server-rendered pages.

use crate::state::AppState;
use axum::Router;

/// The page routes.
pub fn router() -> Router<AppState> {
    Router::new()
}
