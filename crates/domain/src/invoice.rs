//! Invoices: amounts in integer minor units of their currency, so no amount is ever rounded
//! twice. A line's amount is quantity × unit amount; tax is the subtotal × the rate, rounded half
//! away from zero once; the total is subtotal + tax. Numbers are `TNT-000001`, gapless across the
//! installation.

use crate::ValidationErrors;

/// Largest absolute unit amount (10 billion minor units): a typo guard far above any real price.
pub const MAX_UNIT_AMOUNT: i64 = 10_000_000_000;
/// Largest quantity of one line.
pub const MAX_QUANTITY: i64 = 1_000_000;
/// Most lines on one invoice.
pub const MAX_LINES: usize = 200;
/// Longest line description, in characters.
pub const MAX_DESCRIPTION: usize = 500;

/// One line as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineInput {
    pub description: String,
    pub quantity: i64,
    pub unit_amount: i64,
}

/// One line with its amount.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Line {
    pub description: String,
    pub quantity: i64,
    pub unit_amount: i64,
    pub amount: i64,
}

/// An invoice's lines and totals, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    pub currency: String,
    pub lines: Vec<Line>,
    pub subtotal: i64,
    /// The tax rate in hundredths of a percent (19 % = 1900).
    pub tax_rate_basis_points: i64,
    pub tax: i64,
    pub total: i64,
}

/// Status of an invoice: `open` until the operator marks it `paid` or `void`, both final.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceStatus {
    Open,
    Paid,
    Void,
}

impl InvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Open => "open",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Void => "void",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(InvoiceStatus::Open),
            "paid" => Some(InvoiceStatus::Paid),
            "void" => Some(InvoiceStatus::Void),
            _ => None,
        }
    }

    /// Whether an invoice in this status may become `to` (setting the same status again is allowed).
    pub fn may_become(self, to: InvoiceStatus) -> bool {
        self == to || (self == InvoiceStatus::Open && to != InvoiceStatus::Open)
    }
}

/// The invoice number as shown: `TNT-000001`.
pub fn display_number(number: i64) -> String {
    format!("TNT-{number:06}")
}

/// Checks lines, currency and tax rate, and computes the amounts; every invalid field at once.
pub fn compute(currency: &str, lines: &[LineInput], tax_rate_percent: Option<f64>) -> Result<Totals, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let currency = currency.trim().to_ascii_uppercase();
    if !(currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase())) {
        errors.push("currency", "must be a three-letter ISO 4217 code, e.g. EUR");
    }
    if lines.is_empty() || lines.len() > MAX_LINES {
        errors.push("lines", format!("must hold 1 to {MAX_LINES} lines"));
    }
    let basis_points = match tax_rate_percent {
        None => 0,
        Some(p) if p.is_finite() && (0.0..=100.0).contains(&p) && ((p * 100.0).round() - p * 100.0).abs() < 1e-6 => {
            (p * 100.0).round() as i64
        }
        Some(_) => {
            errors.push("tax_rate_percent", "must be from 0 to 100 with at most two decimals");
            0
        }
    };
    let mut out = Vec::with_capacity(lines.len());
    let mut subtotal: i64 = 0;
    for (i, l) in lines.iter().enumerate() {
        let description = l.description.trim();
        if description.is_empty() || description.chars().count() > MAX_DESCRIPTION {
            errors.push(&format!("lines[{i}].description"), format!("must be 1 to {MAX_DESCRIPTION} characters"));
        }
        if !(1..=MAX_QUANTITY).contains(&l.quantity) {
            errors.push(&format!("lines[{i}].quantity"), format!("must be from 1 to {MAX_QUANTITY}"));
        }
        if l.unit_amount.abs() > MAX_UNIT_AMOUNT {
            errors.push(&format!("lines[{i}].unit_amount"), format!("must be within ±{MAX_UNIT_AMOUNT} minor units"));
        }
        // Within the bounds above these cannot overflow (10^6 × 10^10 × 200 < 2^63).
        let amount = l.quantity.clamp(0, MAX_QUANTITY) * l.unit_amount.clamp(-MAX_UNIT_AMOUNT, MAX_UNIT_AMOUNT);
        subtotal += amount;
        out.push(Line {
            description: description.to_owned(),
            quantity: l.quantity,
            unit_amount: l.unit_amount,
            amount,
        });
    }
    errors.into_result()?;
    let tax = round_half_away(i128::from(subtotal) * i128::from(basis_points), 10_000);
    Ok(Totals { currency, lines: out, subtotal, tax_rate_basis_points: basis_points, tax, total: subtotal + tax })
}

/// `n / d` rounded half away from zero (`d` > 0).
fn round_half_away(n: i128, d: i128) -> i64 {
    let q = (n.abs() + d / 2) / d;
    (if n < 0 { -q } else { q }) as i64
}

/// Digits after the decimal point of a currency's minor unit (ISO 4217; 2 for most).
pub fn minor_digits(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "UYI" | "VND"
        | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// An amount in minor units as text in its currency: `1,234.50 EUR`, `-5.00 USD`, `1,200 JPY`.
pub fn format_amount(amount: i64, currency: &str) -> String {
    let digits = minor_digits(currency);
    let scale = 10_i64.pow(digits);
    let (whole, frac) = (amount.unsigned_abs() / scale.unsigned_abs(), amount.unsigned_abs() % scale.unsigned_abs());
    let whole = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if amount < 0 { "-" } else { "" };
    if digits == 0 {
        format!("{sign}{grouped} {currency}")
    } else {
        format!("{sign}{grouped}.{frac:0width$} {currency}", width = digits as usize)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, clippy::panic)]
    use super::*;
    use proptest::prelude::*;

    fn line(q: i64, unit: i64) -> LineInput {
        LineInput { description: "Seats".into(), quantity: q, unit_amount: unit }
    }

    #[test]
    fn amounts_tax_and_total_in_minor_units() {
        let t = compute("eur", &[line(3, 1999), line(1, -500)], Some(19.0)).expect("valid");
        assert_eq!(t.currency, "EUR");
        assert_eq!(t.lines.iter().map(|l| l.amount).collect::<Vec<_>>(), [5997, -500]);
        assert_eq!((t.subtotal, t.tax_rate_basis_points, t.tax, t.total), (5497, 1900, 1044, 6541));
        // 5497 × 0.19 = 1044.43 → 1044; half rounds away from zero.
        let t = compute("USD", &[line(1, 50)], Some(1.0)).expect("valid");
        assert_eq!(t.tax, 1, "0.5 rounds up");
        let t = compute("USD", &[line(1, -50)], Some(1.0)).expect("valid");
        assert_eq!(t.tax, -1, "-0.5 rounds away from zero");
        let t = compute("USD", &[line(2, 1000)], Some(7.25)).expect("valid");
        assert_eq!((t.tax_rate_basis_points, t.tax, t.total), (725, 145, 2145));
        assert_eq!(compute("USD", &[line(1, 100)], None).expect("valid").tax, 0);
    }

    #[test]
    fn every_invalid_field_is_named() {
        let bad = [LineInput { description: " ".into(), quantity: 0, unit_amount: MAX_UNIT_AMOUNT + 1 }, line(1, 1)];
        let e = compute("euro", &bad, Some(100.5)).expect_err("invalid");
        let fields: Vec<String> = e.0.into_iter().map(|f| f.field).collect();
        assert_eq!(
            fields,
            ["currency", "tax_rate_percent", "lines[0].description", "lines[0].quantity", "lines[0].unit_amount"]
        );
        let e = compute("EUR", &[], Some(19.123)).expect_err("invalid");
        let fields: Vec<String> = e.0.into_iter().map(|f| f.field).collect();
        assert_eq!(fields, ["lines", "tax_rate_percent"]);
    }

    #[test]
    fn numbers_amounts_and_statuses_read_as_people_expect() {
        assert_eq!(display_number(1), "TNT-000001");
        assert_eq!(display_number(1_234_567), "TNT-1234567");
        assert_eq!(format_amount(123_450, "EUR"), "1,234.50 EUR");
        assert_eq!(format_amount(-500, "USD"), "-5.00 USD");
        assert_eq!(format_amount(1200, "JPY"), "1,200 JPY");
        assert_eq!(format_amount(1, "KWD"), "0.001 KWD");
        assert_eq!(format_amount(0, "EUR"), "0.00 EUR");
        use InvoiceStatus::*;
        assert!(Open.may_become(Paid) && Open.may_become(Void) && Paid.may_become(Paid));
        assert!(!Paid.may_become(Void) && !Void.may_become(Paid) && !Paid.may_become(Open));
    }

    proptest! {
        #[test]
        fn the_total_is_the_sum_of_the_lines_plus_the_rounded_tax(
            lines in proptest::collection::vec((1..=MAX_QUANTITY, -MAX_UNIT_AMOUNT..=MAX_UNIT_AMOUNT), 1..20),
            rate in 0_i64..=10_000,
        ) {
            let input: Vec<LineInput> = lines.iter().map(|&(q, u)| line(q, u)).collect();
            let t = compute("EUR", &input, Some(rate as f64 / 100.0)).expect("valid");
            let subtotal: i128 = lines.iter().map(|&(q, u)| i128::from(q) * i128::from(u)).sum();
            prop_assert_eq!(i128::from(t.subtotal), subtotal);
            let exact = subtotal * i128::from(rate);
            prop_assert!((i128::from(t.tax) * 10_000 - exact).abs() <= 5_000, "tax within half a minor unit");
            prop_assert_eq!(t.total, t.subtotal + t.tax);
        }
    }
}
