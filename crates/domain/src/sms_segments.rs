//! How many SMS segments a text takes, which is what an SMS costs (one credit per segment).
//!
//! A text written only in the GSM 03.38 alphabet travels as 7-bit septets: 160 in a single
//! segment; a longer one is split into segments of 153 (each carries a 7-septet header), and a
//! character of the extension table (`€ [ ] { } \ ^ ~ |` and form feed) takes two septets that are
//! never split across segments. Any other character sends the whole text as UCS-2: 70 UTF-16 code
//! units in a single segment, 67 per segment when longer, a character outside the Basic
//! Multilingual Plane (most emoji) taking two units that are never split.

/// How a text is encoded for sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsEncoding {
    Gsm7,
    Ucs2,
}

/// What a text costs to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsSegments {
    pub encoding: SmsEncoding,
    pub count: u32,
}

/// The GSM 03.38 basic character set, in table order.
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u{1b}ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The extension table: each is sent as an escape plus the character.
const GSM7_EXTENSION: &str = "\u{c}^{}\\[~]|€";

/// Septets `c` takes in the GSM alphabet, or `None` when it is not in it.
fn septets(c: char) -> Option<u32> {
    if c == '\u{1b}' {
        // The escape itself is not a character a text can hold.
        None
    } else if GSM7_BASIC.contains(c) {
        Some(1)
    } else if GSM7_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Units of `sizes` in segments of at most `single` units when they all fit in one, else of at
/// most `per` units, never splitting a character.
fn pack(sizes: &[u32], single: u32, per: u32) -> u32 {
    if sizes.iter().sum::<u32>() <= single {
        return 1;
    }
    let (mut segments, mut used) = (1, 0);
    for &size in sizes {
        if used + size > per {
            segments += 1;
            used = 0;
        }
        used += size;
    }
    segments
}

/// The encoding and number of segments of `text` (an empty text is still one message).
pub fn segments(text: &str) -> SmsSegments {
    match text.chars().map(septets).collect::<Option<Vec<u32>>>() {
        Some(sizes) => SmsSegments { encoding: SmsEncoding::Gsm7, count: pack(&sizes, 160, 153) },
        None => {
            let sizes: Vec<u32> = text.chars().map(|c| c.len_utf16() as u32).collect();
            SmsSegments { encoding: SmsEncoding::Ucs2, count: pack(&sizes, 70, 67) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn of(text: &str) -> (SmsEncoding, u32) {
        let s = segments(text);
        (s.encoding, s.count)
    }

    #[test]
    fn segment_table() {
        use SmsEncoding::*;
        let a = |n: usize| "a".repeat(n);
        let cases: Vec<(String, (SmsEncoding, u32))> = vec![
            (String::new(), (Gsm7, 1)),
            (a(1), (Gsm7, 1)),
            (a(160), (Gsm7, 1)),
            (a(161), (Gsm7, 2)),
            (a(306), (Gsm7, 2)),
            (a(307), (Gsm7, 3)),
            (a(459), (Gsm7, 3)),
            (a(460), (Gsm7, 4)),
            // The whole basic alphabet is GSM-7, accents and Greek capitals included.
            ("Ça coûte 5 € à Zürich: ΔΦΓ ñ ß @ £ ¥ ¿¡".replace('û', "u"), (Gsm7, 1)),
            // Extension characters count twice: 80 of them fill one segment, 81 need two.
            ("€".repeat(80), (Gsm7, 1)),
            ("€".repeat(81), (Gsm7, 2)),
            (format!("{}{{", a(159)), (Gsm7, 2)),
            (format!("{}{{", a(158)), (Gsm7, 1)),
            // 152 septets then an escape pair: the pair does not straddle the segment boundary.
            (format!("{}[{}", a(152), a(10)), (Gsm7, 2)),
            (format!("{}[{}", a(152), a(152)), (Gsm7, 3)),
            ("{}[]\\^~|\u{c}".to_owned(), (Gsm7, 1)),
            // Anything else sends the whole text as UCS-2.
            (format!("{}Ç", a(69)), (Gsm7, 1)),
            // Only the capital Ç is in the alphabet.
            (format!("{}ç", a(69)), (Ucs2, 1)),
            (format!("{}ç", a(70)), (Ucs2, 2)),
            (format!("{}â", a(69)), (Ucs2, 1)),
            ("â".repeat(70), (Ucs2, 1)),
            ("â".repeat(71), (Ucs2, 2)),
            ("â".repeat(134), (Ucs2, 2)),
            ("â".repeat(135), (Ucs2, 3)),
            ("Привет".to_owned(), (Ucs2, 1)),
            ("你好".repeat(35), (Ucs2, 1)),
            ("你好".repeat(36), (Ucs2, 2)),
            // An emoji outside the BMP takes two UTF-16 units: 35 fit one segment, 36 do not.
            ("😀".repeat(35), (Ucs2, 1)),
            ("😀".repeat(36), (Ucs2, 2)),
            // 66 units then an emoji: the pair does not straddle the boundary.
            (format!("{}😀{}", "â".repeat(66), "â".repeat(10)), (Ucs2, 2)),
            (format!("{}😀", a(69)), (Ucs2, 2)),
        ];
        for (text, expected) in cases {
            assert_eq!(of(&text), expected, "{text:?} ({} chars)", text.chars().count());
        }
    }

    proptest! {
        /// Never fewer segments than the units need, never more than one per started segment of
        /// the longer messages' size plus the split characters; GSM-7 exactly when every
        /// character is in the alphabet.
        #[test]
        fn counts_stay_within_their_bounds(text in "\\PC{0,400}") {
            let s = segments(&text);
            let gsm: Option<Vec<u32>> = text.chars().map(septets).collect();
            prop_assert_eq!(s.encoding == SmsEncoding::Gsm7, gsm.is_some());
            let (units, single, per): (u32, u32, u32) = match &gsm {
                Some(sizes) => (sizes.iter().sum(), 160, 153),
                None => (text.chars().map(|c| c.len_utf16() as u32).sum(), 70, 67),
            };
            if units <= single {
                prop_assert_eq!(s.count, 1);
            } else {
                prop_assert!(s.count >= units.div_ceil(per));
                prop_assert!(s.count <= units.div_ceil(per - 1));
            }
        }
    }
}
