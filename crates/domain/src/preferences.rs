//! Date and time display settings.

use serde::{Deserialize, Serialize};

/// An IANA time zone name known to the bundled time-zone database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZoneName(String);

/// A time zone name that is not in the IANA database.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not a known IANA time zone (e.g. Europe/Berlin)")]
pub struct UnknownTimeZone;

impl TimeZoneName {
    /// Accepts only names of the IANA database (`Europe/Berlin`, `UTC`).
    pub fn parse(s: &str) -> Result<Self, UnknownTimeZone> {
        let s = s.trim();
        if s.is_empty() || s.len() > 64 {
            return Err(UnknownTimeZone);
        }
        jiff::tz::db().get(s).map(|_| Self(s.to_owned())).map_err(|_| UnknownTimeZone)
    }
    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How dates are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DateFormat {
    #[serde(rename = "YYYY-MM-DD")]
    Iso,
    #[serde(rename = "MM/DD/YYYY")]
    Us,
    #[serde(rename = "DD/MM/YYYY")]
    European,
    #[serde(rename = "DD.MM.YYYY")]
    Dotted,
}

/// How times are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TimeFormat {
    #[serde(rename = "24h")]
    H24,
    #[serde(rename = "12h")]
    H12,
}

impl DateFormat {
    /// All formats, for pickers.
    pub const ALL: [DateFormat; 4] = [DateFormat::Iso, DateFormat::Us, DateFormat::European, DateFormat::Dotted];
}

wire_names!(DateFormat, "YYYY-MM-DD, MM/DD/YYYY, DD/MM/YYYY, DD.MM.YYYY", {
    Iso => "YYYY-MM-DD", Us => "MM/DD/YYYY", European => "DD/MM/YYYY", Dotted => "DD.MM.YYYY",
});
wire_names!(TimeFormat, "24h, 12h", { H24 => "24h", H12 => "12h" });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zones() {
        assert!(TimeZoneName::parse("Europe/Berlin").is_ok());
        assert!(TimeZoneName::parse("UTC").is_ok());
        assert!(TimeZoneName::parse("Mars/Olympus").is_err());
        assert!(TimeZoneName::parse("").is_err());
        assert!(TimeZoneName::parse("../../etc/passwd").is_err());
    }

    #[test]
    fn formats_round_trip() {
        for f in DateFormat::ALL {
            assert_eq!(f.as_str().parse::<DateFormat>(), Ok(f));
        }
        assert_eq!("12h".parse::<TimeFormat>(), Ok(TimeFormat::H12));
        assert!("25h".parse::<TimeFormat>().is_err());
    }
}
