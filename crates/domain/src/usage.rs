//! What products report per user (minutes, messages, groups) and what Tenantry counts itself
//! (API requests), per billing cycle.

use crate::role::UnknownVariant;
use jiff::{Timestamp, ToSpan, tz::TimeZone};
use std::str::FromStr;

/// A usage metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Call minutes (reported by products).
    Minutes,
    /// Messages sent (reported by products).
    Messages,
    /// Groups (reported by products).
    Groups,
    /// Authenticated API requests (counted by Tenantry).
    ApiRequests,
}

impl Metric {
    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Minutes => "minutes",
            Metric::Messages => "messages",
            Metric::Groups => "groups",
            Metric::ApiRequests => "api_requests",
        }
    }
}

impl FromStr for Metric {
    type Err = UnknownVariant;
    /// Products may report the first three; API requests are Tenantry's own count.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "minutes" => Ok(Metric::Minutes),
            "messages" => Ok(Metric::Messages),
            "groups" => Ok(Metric::Groups),
            _ => Err(UnknownVariant::new("minutes, messages, groups")),
        }
    }
}

/// The start of the billing cycle that contains `now`: cycles are calendar months (UTC) counted
/// from `anchor`, the subscription's cycle start. A day the month lacks (the 31st) falls on its last day.
pub fn current_cycle_start(anchor_ms: i64, now_ms: i64) -> i64 {
    let (Ok(anchor), Ok(now)) = (Timestamp::from_millisecond(anchor_ms), Timestamp::from_millisecond(now_ms)) else {
        return anchor_ms;
    };
    if now <= anchor {
        return anchor_ms;
    }
    let anchor = anchor.to_zoned(TimeZone::UTC);
    let now = now.to_zoned(TimeZone::UTC);
    let months = i64::from(now.year() - anchor.year()) * 12 + i64::from(now.month() - anchor.month());
    // Adding to the anchor each time (never to the previous cycle) keeps day 31 from drifting to 28.
    let start = |m: i64| anchor.checked_add(m.months()).map(|z| z.timestamp().as_millisecond()).unwrap_or(anchor_ms);
    let mut m = months.max(0);
    while m > 0 && start(m) > now_ms {
        m -= 1;
    }
    start(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ms(s: &str) -> i64 {
        s.parse::<Timestamp>().map(|t| t.as_millisecond()).unwrap_or_default()
    }

    #[test]
    fn cycles_are_calendar_months_from_the_anchor() {
        let anchor = ms("2026-01-31T10:00:00Z");
        assert_eq!(
            current_cycle_start(anchor, ms("2026-01-31T09:00:00Z")),
            anchor,
            "before the anchor: the first cycle"
        );
        assert_eq!(current_cycle_start(anchor, ms("2026-02-15T00:00:00Z")), anchor);
        assert_eq!(
            current_cycle_start(anchor, ms("2026-02-28T10:00:00Z")),
            ms("2026-02-28T10:00:00Z"),
            "the 31st falls on February's last day"
        );
        assert_eq!(current_cycle_start(anchor, ms("2026-03-30T00:00:00Z")), ms("2026-02-28T10:00:00Z"));
        assert_eq!(
            current_cycle_start(anchor, ms("2026-03-31T10:00:00Z")),
            ms("2026-03-31T10:00:00Z"),
            "back on the 31st: no drift"
        );
        assert_eq!(current_cycle_start(anchor, ms("2027-01-31T10:00:01Z")), ms("2027-01-31T10:00:00Z"));
        assert_eq!("api_requests".parse::<Metric>().ok(), None, "products cannot report API requests");
        assert_eq!("minutes".parse::<Metric>(), Ok(Metric::Minutes));
    }

    proptest! {
        #[test]
        fn the_cycle_contains_now(anchor in 0i64..4_000_000_000_000, offset in 0i64..400_000_000_000) {
            let now = anchor + offset;
            let start = current_cycle_start(anchor, now);
            prop_assert!(start <= now && start >= anchor);
            // The next cycle has not begun: one more month from the anchor lies after now.
            let months = {
                let a = Timestamp::from_millisecond(anchor).unwrap_or_default().to_zoned(TimeZone::UTC);
                let s = Timestamp::from_millisecond(start).unwrap_or_default().to_zoned(TimeZone::UTC);
                i64::from(s.year() - a.year()) * 12 + i64::from(s.month() - a.month())
            };
            let next = Timestamp::from_millisecond(anchor).unwrap_or_default().to_zoned(TimeZone::UTC).checked_add((months + 1).months()).map(|z| z.timestamp().as_millisecond()).unwrap_or(i64::MAX);
            prop_assert!(next > now, "start {start} next {next} now {now}");
        }
    }
}
