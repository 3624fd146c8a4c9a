//! Webhooks: the event types an endpoint may subscribe to (one list, used by the API, the pages
//! and the delivery fan-out), and how a subscription filter is read and stored.

/// The test event `POST /api/v1/webhooks/{id}/test` sends to one endpoint, whatever its filter.
pub const TEST_EVENT: &str = "webhook.test";

/// Every event type webhooks deliver, with what it means, in the order forms list them.
pub const EVENT_TYPES: &[(&str, &str)] = &[
    ("user.invited", "A user was invited"),
    ("user.activated", "A user accepted their invitation"),
    ("user.updated", "A user was changed"),
    ("user.deleted", "A user was deleted"),
    ("user.locked", "A user was locked out"),
    ("user.deactivated", "A user was deactivated"),
    ("user.reactivated", "A user was reactivated"),
    ("users.imported", "Users were imported"),
    ("license.assigned", "A license was assigned"),
    ("license.unassigned", "A license was unassigned"),
    ("booking_page.transferred", "A booking page changed owner"),
    ("booking_page.disabled", "A booking page was disabled"),
    ("security_policy.updated", "A security policy changed"),
    ("account.deleted", "The account was deleted"),
    (TEST_EVENT, "A test event sent from the webhook's page"),
];

/// Whether `name` is an event type webhooks deliver.
pub fn is_event_type(name: &str) -> bool {
    EVENT_TYPES.iter().any(|(t, _)| *t == name)
}

/// Reads a filter as sent: every name must be a known event type (the unknown ones are the
/// error); repeats count once; sorted. Empty means every event.
pub fn parse_event_types(raw: &[String]) -> Result<Vec<String>, Vec<String>> {
    let mut types: Vec<String> = Vec::with_capacity(raw.len());
    let mut unknown = Vec::new();
    for r in raw {
        let t = r.trim();
        if !is_event_type(t) {
            unknown.push(t.to_owned());
        } else if !types.iter().any(|k| k == t) {
            types.push(t.to_owned());
        }
    }
    if !unknown.is_empty() {
        return Err(unknown);
    }
    types.sort();
    Ok(types)
}

/// A filter as stored: `,a,b,` so that the fan-out matches a type with one `LIKE '%,type,%'`;
/// empty for every event.
pub fn store_filter(types: &[String]) -> String {
    if types.is_empty() { String::new() } else { format!(",{},", types.join(",")) }
}

/// A stored filter read back.
pub fn read_filter(stored: &str) -> Vec<String> {
    stored.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_checked_and_round_trip() {
        let raw = vec!["user.invited".to_owned(), "license.assigned".to_owned(), "user.invited".to_owned()];
        let types = parse_event_types(&raw).unwrap_or_default();
        assert_eq!(types, ["license.assigned", "user.invited"]);
        assert_eq!(store_filter(&types), ",license.assigned,user.invited,");
        assert_eq!(read_filter(&store_filter(&types)), types);
        assert_eq!(store_filter(&[]), "");
        assert!(read_filter("").is_empty());
        assert_eq!(parse_event_types(&["user.nope".to_owned()]), Err(vec!["user.nope".to_owned()]));
        assert!(is_event_type(TEST_EVENT));
    }
}
