//! The text of the emails Tenantry sends.

use tenantry_domain::{AccountName, EmailAddress, OutgoingEmail, PersonName};

/// The invitation email with its single-use link.
pub fn invitation(
    to: &EmailAddress, name: &PersonName, account_name: &AccountName, inviter: Option<&PersonName>, link: &str,
    expires_at: i64,
) -> OutgoingEmail {
    let expires = jiff::Timestamp::from_millisecond(expires_at)
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    let by = inviter.map(|i| format!("{i} invited you")).unwrap_or_else(|| "You have been invited".to_owned());
    OutgoingEmail {
        to: to.to_string(),
        subject: format!("You're invited to join {account_name} on Tenantry"),
        text: format!(
            "Hello {name},\n\n{by} to join {account_name} on Tenantry.\n\n\
             Set your password and sign in here:\n{link}\n\n\
             The link works once and expires on {expires}. If you did not expect this email, you can ignore it.\n"
        ),
    }
}

/// Tells a user they were locked out, and how to get back in.
pub fn locked_out(to: &EmailAddress, name: &PersonName, reset_page: &str) -> OutgoingEmail {
    OutgoingEmail {
        to: to.to_string(),
        subject: "Your Tenantry account is locked".to_owned(),
        text: format!(
            "Hello {name},\n\nThere were too many failed attempts to sign in to your account, so it is now locked: \
             signing in is refused, even with the right password.\n\n\
             To unlock it, reset your password here:\n{reset_page}\n\n\
             or ask an Administrator of your account to unlock you. If the failed attempts were not yours, \
             someone may be guessing your password: choose a new, strong one.\n"
        ),
    }
}

/// The password reset link (when the user has no verified cell number).
pub fn password_reset(to: &EmailAddress, name: &PersonName, link: &str) -> OutgoingEmail {
    OutgoingEmail {
        to: to.to_string(),
        subject: "Reset your Tenantry password".to_owned(),
        text: format!(
            "Hello {name},\n\nSomeone asked to reset the password of your Tenantry account. To choose a new one, open:\n{link}\n\n\
             The link works once and expires in 10 minutes. If it was not you, ignore this email: your password stays as it is.\n"
        ),
    }
}

fn when(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
}

/// The link that confirms a new email address, sent to that address.
pub fn email_change_link(to: &EmailAddress, name: &PersonName, link: &str, expires_at: i64) -> OutgoingEmail {
    OutgoingEmail {
        to: to.to_string(),
        subject: "Confirm your new email address for Tenantry".to_owned(),
        text: format!(
            "Hello {name},\n\nYou asked to sign in to Tenantry with this address from now on. Confirm it here:\n{link}\n\n\
             The link works once and expires on {}. Until you follow it, nothing changes. \
             If you did not ask for this, ignore this email.\n",
            when(expires_at)
        ),
    }
}

/// Tells the old address that the sign-in email changed.
pub fn email_changed_notice(to: &EmailAddress, name: &PersonName, new_email: &EmailAddress) -> OutgoingEmail {
    OutgoingEmail {
        to: to.to_string(),
        subject: "Your Tenantry email address was changed".to_owned(),
        text: format!(
            "Hello {name},\n\nThe email address you sign in to Tenantry with was changed to {new_email}. \
             This address will no longer receive messages about your account.\n\n\
             If you did not make this change, contact an Administrator of your account at once.\n"
        ),
    }
}

/// A notice to the account's address after a change to how it signs in or recovers, so that its
/// owner learns of a change they did not make. `what` says what changed, in a sentence.
pub fn security_notice(to: &EmailAddress, name: &PersonName, subject: &str, what: &str) -> OutgoingEmail {
    OutgoingEmail {
        to: to.to_string(),
        subject: subject.to_owned(),
        text: format!(
            "Hello {name},\n\n{what}\n\nIf this was you, there is nothing to do. If it was not, reset your \
             password at once and tell an Administrator of your account: someone else may be signed in as you.\n"
        ),
    }
}

/// The link that makes a signed-up account (`TENANTRY_SIGNUP=verify`).
pub fn sign_up_link(to: &EmailAddress, name: &PersonName, account_name: &str, link: &str) -> OutgoingEmail {
    OutgoingEmail {
        to: to.to_string(),
        subject: "Confirm your Tenantry sign-up".to_owned(),
        text: format!(
            "Hello {name},\n\nTo create the account {account_name} and become its first Administrator, \
             open this link within 24 hours:\n{link}\n\nIf you did not sign up, ignore this message: nothing is created.\n"
        ),
    }
}

/// Sent instead of a sign-up link when the address already signs in somewhere, so the answer to
/// the sign-up tells nobody that it does.
pub fn sign_up_attempt(to: &EmailAddress, sign_in: &str) -> OutgoingEmail {
    OutgoingEmail {
        to: to.to_string(),
        subject: "Someone tried to sign up with your address".to_owned(),
        text: format!(
            "Hello,\n\nSomeone tried to create a new Tenantry account with this email address, which already \
             has one. Nothing was created and nothing changed.\n\nTo use your account, sign in here:\n{sign_in}\n\n\
             If it was not you, you can ignore this message.\n"
        ),
    }
}
