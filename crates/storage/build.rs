//! `sqlx::migrate!` embeds the migration folders at compile time: rebuild when one changes.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
