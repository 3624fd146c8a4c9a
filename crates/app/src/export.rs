//! My data (GDPR Articles 15 and 20): everything stored about the signed-in user, as JSON.
//! Secrets never appear: not the password hash, TOTP seed, recovery codes, key or token hashes.

use crate::{App, Error, Principal, Result, user_detail::detail};
use serde_json::{Value, json};
use tenantry_domain::time::rfc3339 as ts;
use tenantry_storage::{accounts, api_keys, audit, booking_pages, phones, sessions, usage, users};

/// Most audit events an export carries (newest first).
const MAX_AUDIT: i64 = 10_000;

/// Everything Tenantry keeps about `me`.
#[tracing::instrument(skip_all, fields(user_id = %me.user.id))]
pub async fn export(state: &App, me: &Principal) -> Result<Value> {
    let now = state.now();
    let mut conn = state.db.conn().await?;
    let user = users::get(&mut conn, &me.user.account_id, &me.user.id).await?.ok_or(Error::NotFound)?;
    let account = accounts::get(&mut conn, &me.user.account_id).await?.ok_or(Error::NotFound)?;
    let detail = detail(&mut conn, user).await?;
    let u = &detail.user;
    let sessions: Vec<Value> = sessions::list_for_user(&mut conn, &u.id, now)
        .await?
        .into_iter()
        .map(|s| json!({"id": s.id, "created_at": ts(s.created_at), "last_seen_at": ts(s.last_seen_at), "ip": s.ip, "user_agent": s.user_agent}))
        .collect();
    let pages: Vec<Value> = booking_pages::of_owner(&mut conn, &u.id)
        .await?
        .into_iter()
        .map(
            |p| json!({"id": p.id, "name": p.name, "slug": p.slug, "enabled": p.enabled, "disabled_reason": p.disabled_reason, "created_at": ts(p.created_at)}),
        )
        .collect();
    let api_key = api_keys::of_user(&mut conn, &u.id)
        .await?
        .map(|k| json!({"prefix": k.prefix, "created_at": ts(k.created_at), "last_used_at": k.last_used_at.map(ts)}));
    let usage: Vec<Value> = usage::history_of_user(&mut conn, &u.id)
        .await?
        .into_iter()
        .map(|(cycle, metric, quantity)| json!({"cycle_start": ts(cycle), "metric": metric, "quantity": quantity}))
        .collect();
    let sms: Vec<Value> = phones::sms_of_user(&mut conn, &u.id)
        .await?
        .into_iter()
        .map(|s| json!({"to": s.to_number, "purpose": s.purpose, "created_at": ts(s.created_at)}))
        .collect();
    let events: Vec<Value> = audit::about_user(&mut conn, &u.account_id, u.id.as_str(), MAX_AUDIT)
        .await?
        .into_iter()
        .map(|e| {
            // The user's own address only: another person's (an Administrator acting on them) is
            // that person's data.
            let ip = if e.actor_id.as_deref() == Some(u.id.as_str()) { e.ip } else { None };
            let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str::<Value>(&s).ok());
            json!({"id": e.id, "actor_id": e.actor_id, "action": e.action, "target_type": e.target_type, "target_id": e.target_id,
                   "before": parse(e.before_json), "after": parse(e.after_json), "ip": ip, "created_at": ts(e.created_at)})
        })
        .collect();
    Ok(json!({
        "exported_at": ts(now),
        "profile": {
            "id": u.id.as_str(), "name": u.name, "email": u.email, "username": u.username, "role": u.role.as_str(),
            "status": u.status.as_str(), "timezone": u.timezone, "date_format": u.date_format.as_str(),
            "time_format": u.time_format.as_str(), "created_at": ts(u.created_at), "last_sign_in_at": u.last_sign_in_at.map(ts),
            "phone": {"number": u.phone_number, "verified": u.phone_verified},
        },
        "account": {"id": account.id, "name": account.name},
        "settings": u.preferences,
        "licenses": detail.licenses,
        "integrations": detail.integrations,
        "sessions": sessions,
        "booking_pages": pages,
        "api_key": api_key,
        "usage": usage,
        "sms": sms,
        "audit_events": events,
    }))
}
