//! Spotting payment card numbers where none belong. Tenantry keeps payment methods as a payment
//! provider's token plus brand, last four digits and expiry; a body that holds what looks like a
//! whole card number (13–19 digits, single spaces or dashes between groups allowed, passing the
//! Luhn check) is refused before it is stored or logged anywhere.

/// Whether `text` holds anything that looks like a card number.
pub fn contains_card_number(text: &str) -> bool {
    digit_runs(text).iter().any(|digits| (13..=19).contains(&digits.len()) && luhn(digits))
}

/// The Luhn check over ASCII digits.
pub fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut n = u32::from(d - b'0');
        if !i.is_multiple_of(2) {
            n *= 2;
            if n > 9 {
                n -= 9;
            }
        }
        sum += n;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

/// Runs of digits, joined across single spaces or dashes between them ("4242 4242-4242 4242"),
/// as they would be typed.
fn digit_runs(text: &str) -> Vec<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut runs = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_digit() {
            current.push(b);
        } else if (b == b' ' || b == b'-') && !current.is_empty() && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            // A separator inside a number: keep going.
        } else if !current.is_empty() {
            runs.push(std::mem::take(&mut current));
        }
        i += 1;
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn test_card_numbers_are_found_in_any_common_spelling() {
        for text in [
            "4242424242424242",
            "4242 4242 4242 4242",
            "4242-4242-4242-4242",
            r#"{"provider_token":"tok_1","brand":"visa","note":"4000056655665556"}"#,
            r#"{"last4": 4242424242424242}"#,
            "card 5555555555554444 exp 12/30",
            "378282246310005",     // American Express, 15 digits
            "6011111111111117",    // Discover
            "4222222222222",       // 13 digits
            "6200000000000000000", // 19 digits
        ] {
            assert!(contains_card_number(text), "{text}");
        }
    }

    #[test]
    fn other_numbers_are_not_card_numbers() {
        for text in [
            "",
            "4242",
            r#"{"provider_token":"tok_visa","brand":"visa","last4":"4242","exp_month":12,"exp_year":2030}"#,
            "4242424242424241",     // fails Luhn
            "424242424242",         // 12 digits
            "42424242424242424242", // 20 digits
            "+1 415 555 0100",      // a phone number
            "order 2026-11-29 12:00, invoice TNT-000001",
            "4242  4242 4242 4242", // a double space ends the number: two short runs
        ] {
            assert!(!contains_card_number(text), "{text}");
        }
    }

    proptest! {
        /// Any valid-Luhn number of 13–19 digits is found whatever surrounds it.
        #[test]
        fn any_luhn_number_is_found(body in proptest::collection::vec(0u8..10, 12..=18), before in "[a-z\"{: ]{0,10}", after in "[a-z\"}, ]{0,10}") {
            let mut digits: Vec<u8> = body.iter().map(|d| b'0' + d).collect();
            // The check digit that makes it pass.
            let check = (0..10u8).find(|c| { let mut d = digits.clone(); d.push(b'0' + c); luhn(&d) }).unwrap_or(0);
            digits.push(b'0' + check);
            let text = format!("{before}{}{after}", String::from_utf8(digits).unwrap_or_default());
            prop_assert!(contains_card_number(&text));
        }

        #[test]
        fn never_panics(text in "\\PC{0,200}") {
            let _ = contains_card_number(&text);
        }
    }
}
