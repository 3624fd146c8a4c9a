//! An invoice as a PDF, rendered in-process (krilla) with a font built into the binary, so it
//! looks the same on a machine with no fonts installed: the account's name, the invoice number,
//! date and status, one row per line, and the subtotal, tax and total.

use crate::{Error, Result};
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule};
use krilla::text::{Font, TextDirection};
use tenantry_domain::invoice::{display_number, format_amount};
use tenantry_storage::invoices::Invoice;

/// DejaVu Sans (Bitstream Vera licence, see assets/fonts/LICENSE): wide Unicode coverage.
static FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");

const WIDTH: f32 = 595.0; // A4, in points
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
const LINES_PER_PAGE: usize = 28;

/// An approximate advance, in ems, of DejaVu Sans: exact for digits and the separators amounts
/// use, close enough elsewhere to right-align a column.
fn em_width(c: char) -> f32 {
    match c {
        '0'..='9' => 0.636,
        ',' | '.' | ' ' => 0.3179, // 651 of 2048 units
        '-' => 0.361,
        'A'..='Z' => 0.70,
        _ => 0.60,
    }
}

fn text_width(text: &str, size: f32) -> f32 {
    text.chars().map(em_width).sum::<f32>() * size
}

/// Cuts a description to what fits a column, with an ellipsis.
fn fit(text: &str, width: f32, size: f32) -> String {
    if text_width(text, size) <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    for c in text.chars() {
        if text_width(&out, size) + (em_width(c) + 0.6) * size > width {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

struct Writer {
    font: Font,
}

impl Writer {
    fn text(&self, surface: &mut krilla::surface::Surface<'_>, x: f32, y: f32, size: f32, text: &str) {
        surface.draw_text(Point::from_xy(x, y), self.font.clone(), size, text, false, TextDirection::Auto);
    }

    fn right(&self, surface: &mut krilla::surface::Surface<'_>, right_x: f32, y: f32, size: f32, text: &str) {
        self.text(surface, right_x - text_width(text, size), y, size, text);
    }
}

fn rule(surface: &mut krilla::surface::Surface<'_>, y: f32) {
    let mut pb = PathBuilder::new();
    pb.move_to(MARGIN, y);
    pb.line_to(WIDTH - MARGIN, y);
    pb.line_to(WIDTH - MARGIN, y + 0.8);
    pb.line_to(MARGIN, y + 0.8);
    pb.close();
    if let Some(path) = pb.finish() {
        surface.set_fill(Some(Fill {
            paint: rgb::Color::new(160, 160, 160).into(),
            opacity: NormalizedF32::ONE,
            rule: FillRule::NonZero,
        }));
        surface.draw_path(&path);
        surface.set_fill(Some(Fill::default()));
    }
}

/// The date of a Unix-millisecond instant as `YYYY-MM-DD` (UTC).
fn date(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.strftime("%Y-%m-%d").to_string()).unwrap_or_default()
}

/// Renders `invoice` of the account `account_name`.
pub fn render(invoice: &Invoice, account_name: &str) -> Result<Vec<u8>> {
    let font = Font::new(FONT.into(), 0).ok_or_else(|| Error::unexpected("the built-in font does not load"))?;
    let w = Writer { font };
    let mut document = Document::new();
    let number = display_number(invoice.number);
    let money = |amount: i64| format_amount(amount, &invoice.currency);
    let pages: Vec<&[tenantry_domain::invoice::Line]> =
        if invoice.lines.is_empty() { vec![&[]] } else { invoice.lines.chunks(LINES_PER_PAGE).collect() };
    let page_count = pages.len();
    let (qty_x, unit_x, amount_x) = (WIDTH - MARGIN - 250.0, WIDTH - MARGIN - 110.0, WIDTH - MARGIN);
    for (index, lines) in pages.into_iter().enumerate() {
        let settings = PageSettings::from_wh(WIDTH, HEIGHT).ok_or_else(|| Error::unexpected("page size"))?;
        let mut page = document.start_page_with(settings);
        let mut s = page.surface();
        let mut y = MARGIN + 20.0;
        w.text(&mut s, MARGIN, y, 22.0, "Invoice");
        w.right(&mut s, WIDTH - MARGIN, y, 12.0, &number);
        y += 30.0;
        w.text(&mut s, MARGIN, y, 12.0, &format!("Billed to: {}", fit(account_name, 330.0, 12.0)));
        w.right(&mut s, WIDTH - MARGIN, y, 10.0, &format!("Date: {}", date(invoice.issued_at)));
        y += 18.0;
        w.right(&mut s, WIDTH - MARGIN, y, 10.0, &format!("Status: {}", invoice.status));
        y += 30.0;
        w.text(&mut s, MARGIN, y, 9.5, "Description");
        w.right(&mut s, qty_x, y, 9.5, "Qty");
        w.right(&mut s, unit_x, y, 9.5, "Unit price");
        w.right(&mut s, amount_x, y, 9.5, "Amount");
        y += 8.0;
        rule(&mut s, y);
        y += 16.0;
        for line in lines {
            w.text(&mut s, MARGIN, y, 10.0, &fit(&line.description, qty_x - MARGIN - 50.0, 10.0));
            w.right(&mut s, qty_x, y, 10.0, &line.quantity.to_string());
            w.right(&mut s, unit_x, y, 10.0, &money(line.unit_amount));
            w.right(&mut s, amount_x, y, 10.0, &money(line.amount));
            y += 18.0;
        }
        if index + 1 == page_count {
            rule(&mut s, y - 8.0);
            y += 10.0;
            let rate = invoice.tax_rate_basis_points;
            let tax_label = format!("Tax ({}.{:02} %)", rate / 100, rate % 100);
            for (label, amount, size) in [
                ("Subtotal", invoice.subtotal, 10.0),
                (tax_label.as_str(), invoice.tax, 10.0),
                ("Total", invoice.total, 12.0),
            ] {
                w.right(&mut s, unit_x, y, size, label);
                w.right(&mut s, amount_x, y, size, &money(amount));
                y += 18.0;
            }
        } else {
            w.right(&mut s, amount_x, y + 4.0, 9.0, "continued on the next page");
        }
        w.text(&mut s, MARGIN, HEIGHT - MARGIN, 8.0, &format!("{number} · page {} of {page_count}", index + 1));
        s.finish();
        page.finish();
    }
    document.finish().map_err(|e| Error::unexpected(format!("the invoice PDF could not be written: {e:?}")))
}
