//! Opaque list cursors: the keyset position of the last row, as URL-safe base64 of JSON.

use crate::{Error, Result};
use base64::Engine as _;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The cursor for a keyset position.
pub fn encode<T: Serialize>(position: &T) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_string(position).unwrap_or_default())
}

/// The keyset position in a cursor this API issued; anything else is a 400 naming `cursor`.
pub fn decode<T: DeserializeOwned>(cursor: &str) -> Result<T> {
    let bad = || Error::BadField("cursor", "is not a cursor this API issued".to_owned());
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

/// Reads a list request's `limit` (1–200, default 50) and `cursor` (a keyset position this API
/// issued), each refusal naming its parameter.
pub fn page_request<T: DeserializeOwned>(limit: Option<&str>, cursor: Option<&str>) -> Result<(i64, Option<T>)> {
    let limit = match limit.filter(|l| !l.is_empty()) {
        None => 50,
        Some(l) => match l.parse::<i64>() {
            Ok(n) if (1..=200).contains(&n) => n,
            _ => return Err(Error::invalid("limit", "must be a whole number between 1 and 200")),
        },
    };
    let position = cursor.filter(|c| !c.is_empty()).map(decode).transpose()?;
    Ok((limit, position))
}
