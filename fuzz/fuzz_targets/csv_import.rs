//! The user import's reading of a CSV file (`import::parse`, no database): never panics, and what
//! it answers is consistent: every row it names is a line of the file after the header, valid rows
//! come in file order, hold re-parsable emails and only the catalogue's products, once each.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenantry_app::import::{self, MAX_ROWS};
use tenantry_domain::{Catalog, EmailAddress};

fuzz_target!(|data: &[u8]| {
    let catalog = Catalog::default();
    let Ok(parsed) = import::parse(&catalog, data) else { return };
    // Lines of the file: line breaks are `\r\n`, `\n` or a lone `\r`.
    let mut lines = 1u64;
    let mut previous = 0u8;
    for &b in data {
        if b == b'\r' || (b == b'\n' && previous != b'\r') {
            lines += 1;
        }
        previous = b;
    }
    assert!(parsed.candidates.len() + parsed.errors.len() <= MAX_ROWS * 4);
    for row in parsed.candidates.iter().map(|c| c.row).chain(parsed.errors.iter().map(|e| e.row)) {
        assert!((2..=lines).contains(&row), "row {row} of a file of {lines} lines");
    }
    assert!(parsed.candidates.windows(2).all(|w| w[0].row < w[1].row), "valid rows out of order");
    assert!(parsed.errors.windows(2).all(|w| w[0].row <= w[1].row), "errors out of order");
    for c in &parsed.candidates {
        assert_eq!(EmailAddress::parse(c.email.as_str()).as_ref(), Ok(&c.email));
        for (i, p) in c.licenses.iter().enumerate() {
            assert_eq!(catalog.get(p.key.as_str()), Some(p));
            assert!(c.licenses[..i].iter().all(|q| q.key != p.key), "{:?} listed twice", p.key);
        }
    }
    for e in &parsed.errors {
        assert!(!e.field.is_empty() && !e.message.is_empty());
    }
});
