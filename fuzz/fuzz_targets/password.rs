//! The password policy: a policy made of fuzzed numbers is judged by `validate` exactly by its
//! bounds, and a fuzzed password's violations agree with its profile's (the profile is what is
//! kept to judge it later), whatever the policy.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenantry_domain::password::{MAX_EXPIRATION_DAYS, MAX_HISTORY, MAX_PASSWORD_CHARS, MIN_POLICY_LENGTH};
use tenantry_domain::{Password, PasswordContext, PasswordPolicy, PasswordRule};

fuzz_target!(|input: (u16, u8, u32, u32, i64, i64, &str, &str, Option<&str>)| {
    let (min_length, flags, expiration_days, history_count, changed_at, now, raw, email, username) = input;
    let policy = PasswordPolicy {
        min_length: usize::from(min_length),
        require_lowercase: flags & 1 != 0,
        require_uppercase: flags & 2 != 0,
        require_digit: flags & 4 != 0,
        require_symbol: flags & 8 != 0,
        expiration_days,
        history_count,
    };
    let in_bounds = (MIN_POLICY_LENGTH..=MAX_PASSWORD_CHARS).contains(&policy.min_length)
        && policy.expiration_days <= MAX_EXPIRATION_DAYS
        && policy.history_count <= MAX_HISTORY;
    assert_eq!(policy.validate().is_ok(), in_bounds, "{policy:?}");

    let password = Password::new(raw.to_owned());
    let profile = password.profile();
    assert_eq!(profile.length, raw.chars().count());
    assert!(profile.classes < 16);
    let by_profile = policy.profile_violations(&profile);
    let who = PasswordContext { email, username };
    let full = policy.violations(&password, &who);
    let own: Vec<PasswordRule> = full
        .iter()
        .filter(|r| !matches!(r, PasswordRule::SameAsEmail | PasswordRule::SameAsUsername | PasswordRule::Common))
        .cloned()
        .collect();
    assert_eq!(own, by_profile, "{policy:?} {profile:?}");
    assert_eq!(by_profile.contains(&PasswordRule::TooShort(policy.min_length)), profile.length < policy.min_length);
    assert_eq!(by_profile.contains(&PasswordRule::TooLong), profile.length > MAX_PASSWORD_CHARS);
    // A stricter policy never lets through what a laxer one refuses.
    let lax = PasswordPolicy { require_lowercase: false, require_uppercase: false, ..policy.clone() };
    assert!(lax.profile_violations(&profile).iter().all(|r| by_profile.contains(r)));

    let _ = policy.is_expired(Some(changed_at), now);
    assert!(!policy.is_expired(None, now));
});
