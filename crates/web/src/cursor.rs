//! Opaque list cursors: the keyset position of the last row, as URL-safe base64 of JSON.

use crate::error::{AppError, AppResult};
use base64::Engine as _;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The cursor for a keyset position.
pub fn encode<T: Serialize>(position: &T) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_string(position).unwrap_or_default())
}

/// The keyset position in a cursor this API issued; anything else is a 400 naming `cursor`.
pub fn decode<T: DeserializeOwned>(cursor: &str) -> AppResult<T> {
    let bad = || AppError::BadField("cursor", "is not a cursor this API issued".to_owned());
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    serde_json::from_slice::<T>(&bytes).map_err(|_| bad())
}

/// Cuts rows fetched with `limit + 1` down to `limit`, answering the cursor of the next page
/// (the keyset position of the last row kept) when there was one more row.
pub fn paginate<T, K: Serialize>(mut rows: Vec<T>, limit: i64, position: impl Fn(&T) -> K) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(0);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = if more { rows.last().map(|r| encode(&position(r))) } else { None };
    (rows, next)
}
