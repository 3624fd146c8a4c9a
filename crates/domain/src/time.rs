//! Times are Unix milliseconds inside Tenantry; this is their text form for people and APIs.

/// RFC 3339 UTC text of a Unix-milliseconds time (empty if out of range).
pub fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.to_string()).unwrap_or_default()
}

use crate::{DateFormat, TimeFormat, TimeZoneName};

/// How one person reads dates and times: their time zone, date format and clock.
#[derive(Debug, Clone)]
pub struct LocalTime {
    zone: jiff::tz::TimeZone,
    date: DateFormat,
    clock: TimeFormat,
}

impl LocalTime {
    pub fn new(zone: &TimeZoneName, date: DateFormat, clock: TimeFormat) -> Self {
        // A stored zone name was checked against the same bundled database; UTC is the fallback.
        let zone = jiff::tz::db().get(zone.as_str()).unwrap_or(jiff::tz::TimeZone::UTC);
        Self { zone, date, clock }
    }

    fn date_pattern(&self) -> &'static str {
        match self.date {
            DateFormat::Iso => "%Y-%m-%d",
            DateFormat::Us => "%m/%d/%Y",
            DateFormat::European => "%d/%m/%Y",
            DateFormat::Dotted => "%d.%m.%Y",
        }
    }

    fn zoned(&self, ms: i64) -> Option<jiff::Zoned> {
        jiff::Timestamp::from_millisecond(ms).ok().map(|t| t.to_zoned(self.zone.clone()))
    }

    /// The date of a Unix-milliseconds time in this person's zone and format (`05/31/2026`).
    pub fn date(&self, ms: i64) -> String {
        self.zoned(ms).map(|z| z.strftime(self.date_pattern()).to_string()).unwrap_or_default()
    }

    /// The time of day on this person's clock (`14:30` or `2:30 PM`).
    pub fn time(&self, ms: i64) -> String {
        let pattern = match self.clock {
            TimeFormat::H24 => "%H:%M",
            TimeFormat::H12 => "%-I:%M %p",
        };
        self.zoned(ms).map(|z| z.strftime(pattern).to_string()).unwrap_or_default()
    }

    /// Date, time and the zone's abbreviation (`05/31/2026 2:30 PM CEST`).
    pub fn date_time(&self, ms: i64) -> String {
        let zone = self.zoned(ms).map(|z| z.strftime("%Z").to_string()).unwrap_or_default();
        format!("{} {} {zone}", self.date(ms), self.time(ms)).trim_end().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-05-31T12:30:00Z
    const T: i64 = 1_780_230_600_000;

    #[test]
    fn dates_and_times_follow_the_persons_settings() {
        let berlin = TimeZoneName::parse("Europe/Berlin").unwrap_or_else(|_| unreachable!());
        let us = LocalTime::new(&berlin, DateFormat::Us, TimeFormat::H12);
        assert_eq!(us.date_time(T), "05/31/2026 2:30 PM CEST");
        let dotted = LocalTime::new(&berlin, DateFormat::Dotted, TimeFormat::H24);
        assert_eq!(dotted.date_time(T), "31.05.2026 14:30 CEST");
        let utc = TimeZoneName::parse("UTC").unwrap_or_else(|_| unreachable!());
        let iso = LocalTime::new(&utc, DateFormat::Iso, TimeFormat::H24);
        assert_eq!(iso.date(T), "2026-05-31");
        assert_eq!(iso.time(T), "12:30");
    }
}
