//! The account invariants, as pure functions named after the rule they keep. Storage
//! transactions gather the counts under the account's lock and call these before writing.

use crate::product::SubscriptionStatus;

/// A change refused because it would break one of the account's rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleViolation {
    /// The account would have no Administrator left.
    #[error(
        "An account must keep at least one Administrator who has signed in: promote another user first (invited Administrators count once they accept)."
    )]
    LastAdministrator,
    /// Every purchased seat of the product is taken.
    #[error(
        "No free {product} seat: all {purchased} purchased seats are assigned (0 free). Unassign a license or buy more seats."
    )]
    NoFreeSeat { product: String, purchased: i64 },
    /// A paid account would have no Administrator holding a license.
    #[error(
        "A paid account must keep at least one Administrator with a license: assign a license to another Administrator first."
    )]
    LastLicensedAdministrator,
    /// Fewer seats than are assigned.
    #[error(
        "{product} has {assigned} assigned licenses: seats cannot go below that ({purchased} asked). Unassign licenses first."
    )]
    SeatsBelowAssigned { product: String, purchased: i64, assigned: i64 },
    /// A booking page cannot be enabled while its owner has no scheduling license.
    #[error("The owner of this booking page has no scheduling license: assign one before enabling the page.")]
    OwnerHasNoSchedulingLicense,
}

impl RuleViolation {
    /// A stable name for the rule (clients and pages may key on it).
    pub fn code(&self) -> &'static str {
        match self {
            RuleViolation::LastAdministrator => "last_administrator",
            RuleViolation::NoFreeSeat { .. } => "no_free_seat",
            RuleViolation::LastLicensedAdministrator => "last_licensed_administrator",
            RuleViolation::SeatsBelowAssigned { .. } => "seats_below_assigned",
            RuleViolation::OwnerHasNoSchedulingLicense => "owner_has_no_scheduling_license",
        }
    }
}

/// Rule 1: a license is assigned only while a purchased seat of its product is free.
/// `assigned` is how many are assigned before this one.
pub fn ensure_a_seat_is_free(product: &str, purchased: i64, assigned: i64) -> Result<(), RuleViolation> {
    if assigned < purchased {
        Ok(())
    } else {
        Err(RuleViolation::NoFreeSeat { product: product.to_owned(), purchased })
    }
}

/// Rule 1, from the seller's side: purchased seats never drop below the licenses assigned.
pub fn ensure_seats_cover_assignments(product: &str, purchased: i64, assigned: i64) -> Result<(), RuleViolation> {
    if purchased >= assigned {
        Ok(())
    } else {
        Err(RuleViolation::SeatsBelowAssigned { product: product.to_owned(), purchased, assigned })
    }
}

/// Rule 2: with a paid subscription, at least one Administrator holds a license.
/// `licensed_admins_after` is how many the change leaves.
pub fn ensure_a_licensed_administrator_remains(
    status: SubscriptionStatus, licensed_admins_after: i64,
) -> Result<(), RuleViolation> {
    if status != SubscriptionStatus::Paid || licensed_admins_after >= 1 {
        Ok(())
    } else {
        Err(RuleViolation::LastLicensedAdministrator)
    }
}

/// Rule 3: an account always keeps at least one Administrator: `admins_after` is how many the change leaves.
/// Only Administrators who count (see [`counts_as_administrator`]) are counted.
pub fn ensure_an_administrator_remains(admins_after: i64) -> Result<(), RuleViolation> {
    if admins_after >= 1 { Ok(()) } else { Err(RuleViolation::LastAdministrator) }
}

/// Whether a user counts toward rule 3: an Administrator who has signed in (`active`). Invited
/// Administrators may never accept, and deactivated ones cannot sign in, so neither keeps the
/// account administered.
pub fn counts_as_administrator(role: crate::Role, status: crate::UserStatus) -> bool {
    role == crate::Role::Administrator && status == crate::UserStatus::Active
}

/// Rule 3 for demoting, deleting or deactivating `user` (`(role, status)`): `counting` is how many
/// Administrators count now; refused when none would be left.
pub fn ensure_an_administrator_remains_without(
    counting: i64, user: (crate::Role, crate::UserStatus),
) -> Result<(), RuleViolation> {
    ensure_an_administrator_remains(counting - i64::from(counts_as_administrator(user.0, user.1)))
}

/// Rule 4: who inherits a deleted user's booking pages — the acting Administrator, else the
/// oldest remaining Administrator. `admins_oldest_first` may include the deleted user and the actor.
pub fn heir_of_owned_resources<'a, T: PartialEq>(
    deleted: &T, actor: Option<(&'a T, bool)>, admins_oldest_first: &'a [T],
) -> Option<&'a T> {
    if let Some((actor, is_admin)) = actor
        && is_admin
        && actor != deleted
    {
        return Some(actor);
    }
    admins_oldest_first.iter().find(|a| *a != deleted)
}

/// Rule 5: unassigning this product's license disables the user's booking pages.
pub fn unassigning_disables_booking_pages(product: &crate::ProductKey) -> bool {
    product.is_scheduling()
}

/// Rule 5: a booking page may be enabled only while its owner holds a scheduling license.
pub fn ensure_the_owner_may_have_enabled_pages(owner_has_scheduling_license: bool) -> Result<(), RuleViolation> {
    if owner_has_scheduling_license { Ok(()) } else { Err(RuleViolation::OwnerHasNoSchedulingLicense) }
}

/// Why a booking page is disabled.
pub mod disabled_reason {
    /// Its owner's scheduling license was unassigned.
    pub const LICENSE_UNASSIGNED: &str = "license_unassigned";
    /// It was created while its owner had no scheduling license.
    pub const NO_LICENSE: &str = "no_license";
    /// Its owner or an Administrator switched it off.
    pub const DISABLED_BY_USER: &str = "disabled_by_user";
}

#[cfg(test)]
mod tests {
    #![allow(clippy::panic)]
    use super::*;
    use crate::ProductKey;
    use SubscriptionStatus::*;

    #[test]
    fn every_rule_accepts_and_refuses_with_its_message() {
        // (rule, result, expected refusal code or None, a phrase the message must hold)
        type Case = (&'static str, Result<(), RuleViolation>, Option<&'static str>, &'static str);
        let cases: Vec<Case> = vec![
            ("seat free", ensure_a_seat_is_free("chat", 3, 2), None, ""),
            (
                "no seat",
                ensure_a_seat_is_free("chat", 3, 3),
                Some("no_free_seat"),
                "all 3 purchased seats are assigned (0 free)",
            ),
            ("no seats bought", ensure_a_seat_is_free("voice", 0, 0), Some("no_free_seat"), "No free voice seat"),
            ("seats cover", ensure_seats_cover_assignments("chat", 2, 2), None, ""),
            (
                "seats below",
                ensure_seats_cover_assignments("chat", 1, 2),
                Some("seats_below_assigned"),
                "chat has 2 assigned licenses",
            ),
            ("paid, one left", ensure_a_licensed_administrator_remains(Paid, 1), None, ""),
            (
                "paid, none left",
                ensure_a_licensed_administrator_remains(Paid, 0),
                Some("last_licensed_administrator"),
                "paid account",
            ),
            ("trial, none left", ensure_a_licensed_administrator_remains(Trial, 0), None, ""),
            ("canceled, none left", ensure_a_licensed_administrator_remains(Canceled, 0), None, ""),
            ("admin remains", ensure_an_administrator_remains(1), None, ""),
            ("no admin", ensure_an_administrator_remains(0), Some("last_administrator"), "at least one Administrator"),
            ("licensed owner", ensure_the_owner_may_have_enabled_pages(true), None, ""),
            (
                "unlicensed owner",
                ensure_the_owner_may_have_enabled_pages(false),
                Some("owner_has_no_scheduling_license"),
                "scheduling license",
            ),
        ];
        for (name, result, code, phrase) in cases {
            match (result, code) {
                (Ok(()), None) => {}
                (Err(v), Some(code)) => {
                    assert_eq!(v.code(), code, "{name}");
                    assert!(v.to_string().contains(phrase), "{name}: {v}");
                }
                (other, code) => panic!("{name}: got {other:?}, expected {code:?}"),
            }
        }
    }

    #[test]
    fn only_signed_in_administrators_count() {
        use crate::{Role, UserStatus};
        assert!(counts_as_administrator(Role::Administrator, UserStatus::Active));
        for s in [UserStatus::Invited, UserStatus::Locked, UserStatus::Deactivated] {
            assert!(!counts_as_administrator(Role::Administrator, s), "{s:?}");
        }
        assert!(!counts_as_administrator(Role::Member, UserStatus::Active));
        // The only signed-in Administrator, with invited co-Administrators (not counted): refused.
        let last = ensure_an_administrator_remains_without(1, (Role::Administrator, UserStatus::Active));
        assert_eq!(last.map_err(|e| e.code()), Err("last_administrator"));
        // Removing an invited (or deactivated) Administrator leaves the signed-in one.
        assert!(ensure_an_administrator_remains_without(1, (Role::Administrator, UserStatus::Invited)).is_ok());
        assert!(ensure_an_administrator_remains_without(1, (Role::Administrator, UserStatus::Deactivated)).is_ok());
        assert!(ensure_an_administrator_remains_without(2, (Role::Administrator, UserStatus::Active)).is_ok());
    }

    #[test]
    fn the_heir_is_the_acting_administrator_else_the_oldest() {
        let admins = ["old", "mid", "new"];
        assert_eq!(heir_of_owned_resources(&"mid", Some((&"new", true)), &admins), Some(&"new"));
        assert_eq!(heir_of_owned_resources(&"mid", Some((&"member", false)), &admins), Some(&"old"));
        assert_eq!(heir_of_owned_resources(&"old", None, &admins), Some(&"mid"), "the deleted user never inherits");
        assert_eq!(heir_of_owned_resources(&"old", Some((&"old", true)), &admins), Some(&"mid"));
        assert_eq!(heir_of_owned_resources(&"only", None, &["only"]), None);
    }

    #[test]
    fn only_the_scheduling_license_governs_booking_pages() {
        assert!(unassigning_disables_booking_pages(&ProductKey::from_trusted("scheduling".into())));
        assert!(!unassigning_disables_booking_pages(&ProductKey::from_trusted("chat".into())));
    }
}
