//! The text of the emails Tenantry sends.

use tenantry_domain::OutgoingEmail;

/// The invitation email with its single-use link.
pub fn invitation(to: &str, name: &str, account_name: &str, inviter: Option<&str>, link: &str, expires_at: i64) -> OutgoingEmail {
    let expires = jiff::Timestamp::from_millisecond(expires_at).map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default();
    let by = inviter.map(|i| format!("{i} invited you")).unwrap_or_else(|| "You have been invited".to_owned());
    OutgoingEmail {
        to: to.to_owned(),
        subject: format!("You're invited to join {account_name} on Tenantry"),
        text: format!(
            "Hello {name},\n\n{by} to join {account_name} on Tenantry.\n\n\
             Set your password and sign in here:\n{link}\n\n\
             The link works once and expires on {expires}. If you did not expect this email, you can ignore it.\n"
        ),
    }
}
