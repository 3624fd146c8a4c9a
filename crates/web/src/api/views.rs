//! Response bodies of the API.

use serde::Serialize;
use tenantry_app::users::UserDetail;
use tenantry_storage::accounts::Account;
use tenantry_storage::users::User;
use utoipa::ToSchema;

/// RFC 3339 UTC text of a Unix-milliseconds time.
pub use tenantry_domain::time::rfc3339 as ts;

/// A user as Administrators see them.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    #[schema(example = "usr_6d461e1ded3c26dfb2b5d6da")]
    pub id: String,
    #[schema(example = "Ana Lima")]
    pub name: String,
    #[schema(example = "ana@example.com")]
    pub email: String,
    #[schema(example = "ana.lima")]
    pub username: Option<String>,
    /// `administrator` or `member`.
    #[schema(example = "administrator")]
    pub role: String,
    /// `invited`, `active`, `locked` or `deactivated`.
    #[schema(example = "active")]
    pub status: String,
    /// Products whose license the user holds.
    #[schema(example = json!(["scheduling", "chat"]))]
    pub licenses: Vec<String>,
    /// What the user has connected (reported by products).
    #[schema(example = json!(["google_calendar"]))]
    pub integrations: Vec<String>,
    /// The live chat teams the user is in.
    #[schema(example = json!(["cht_5b0e0c1f9d2a4e6b8c3d7f10"]))]
    pub chat_team_ids: Vec<String>,
    #[schema(example = "Europe/Lisbon")]
    pub timezone: String,
    #[schema(example = "DD/MM/YYYY")]
    pub date_format: String,
    #[schema(example = "24h")]
    pub time_format: String,
    #[schema(example = "2026-11-29T09:14:03.120Z")]
    pub last_sign_in_at: Option<String>,
    #[schema(example = "2026-05-31T12:30:00.000Z")]
    pub created_at: String,
    /// Which emails about calls the user gets.
    pub notifications: NotificationsView,
    /// Each product's settings in force (defaults for what was never set).
    pub product_settings: ProductSettingsView,
}

/// Which emails about calls a user gets.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationsView {
    #[schema(example = true)]
    pub missed_calls: bool,
    #[schema(example = false)]
    pub voicemails: bool,
}

/// Each product's settings of a user, with defaults filled in.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductSettingsView {
    pub scheduling: SchedulingSettingsView,
    pub chat: ChatSettingsView,
    pub voice: VoiceSettingsView,
}

/// Scheduling settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct SchedulingSettingsView {
    /// Length of a new meeting, 5–480 minutes (default 30).
    #[schema(example = 45, minimum = 5, maximum = 480)]
    pub default_meeting_minutes: u32,
    /// Free time kept between meetings, 0–120 minutes (default 0).
    #[schema(example = 10, minimum = 0, maximum = 120)]
    pub buffer_minutes: u32,
}

/// Live chat settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatSettingsView {
    /// Conversations taken at once, 1–50 (default 3).
    #[schema(example = 5, minimum = 1, maximum = 50)]
    pub max_concurrent_chats: u32,
}

/// Voice settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct VoiceSettingsView {
    /// What people called see: `number` (the user's own, default), `company` or `withheld`.
    #[schema(example = "company")]
    pub caller_id: String,
    /// Where calls are forwarded (E.164); `null`: not forwarded.
    #[schema(example = "+442079460958")]
    pub call_forwarding: Option<String>,
}

impl From<&tenantry_domain::ProductSettings> for ProductSettingsView {
    fn from(p: &tenantry_domain::ProductSettings) -> Self {
        Self {
            scheduling: SchedulingSettingsView {
                default_meeting_minutes: p.scheduling.default_meeting_minutes,
                buffer_minutes: p.scheduling.buffer_minutes,
            },
            chat: ChatSettingsView { max_concurrent_chats: p.chat.max_concurrent_chats },
            voice: VoiceSettingsView {
                caller_id: p.voice.caller_id.as_str().to_owned(),
                call_forwarding: p.voice.call_forwarding.clone(),
            },
        }
    }
}

impl From<UserDetail> for UserView {
    fn from(d: UserDetail) -> Self {
        let u = d.user;
        Self {
            id: u.id.to_string(),
            name: u.name.to_string(),
            email: u.email.to_string(),
            username: u.username.map(|n| n.to_string()),
            role: u.role.as_str().to_owned(),
            status: u.status.as_str().to_owned(),
            licenses: d.licenses,
            integrations: d.integrations,
            chat_team_ids: d.chat_teams.into_iter().map(|t| t.id.to_string()).collect(),
            timezone: u.timezone.to_string(),
            date_format: u.date_format.as_str().to_owned(),
            time_format: u.time_format.as_str().to_owned(),
            last_sign_in_at: u.last_sign_in_at.map(ts),
            created_at: ts(u.created_at),
            notifications: NotificationsView {
                missed_calls: u.preferences.notifications.missed_calls,
                voicemails: u.preferences.notifications.voicemails,
            },
            product_settings: (&u.preferences.product_settings).into(),
        }
    }
}

/// The signed-in user's own record.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    #[schema(example = "usr_6d461e1ded3c26dfb2b5d6da")]
    pub id: String,
    #[schema(example = "acc_2ceeadc6fa699428be6135d9")]
    pub account_id: String,
    #[schema(example = "Ana Lima")]
    pub name: String,
    #[schema(example = "ana@example.com")]
    pub email: String,
    #[schema(example = "ana.lima")]
    pub username: Option<String>,
    #[schema(example = "administrator")]
    pub role: String,
    #[schema(example = "Europe/Lisbon")]
    pub timezone: String,
    #[schema(example = "DD/MM/YYYY")]
    pub date_format: String,
    #[schema(example = "24h")]
    pub time_format: String,
    /// The cell number in force (E.164) and whether it is verified; a new number counts once verified.
    pub phone: PhoneView,
    /// The 256 px profile picture; `null` when there is none (show initials).
    #[schema(example = "/api/v1/avatars/usr_6d461e1ded3c26dfb2b5d6da/3/256.png")]
    pub avatar_url: Option<String>,
    #[schema(value_type = Object)]
    pub notifications: tenantry_domain::settings::Notifications,
    #[schema(value_type = Object)]
    pub phone_settings: tenantry_domain::settings::PhoneSettings,
    #[schema(value_type = Object)]
    pub message_settings: tenantry_domain::settings::MessageSettings,
}

impl From<User> for MeView {
    fn from(u: User) -> Self {
        Self::from(&u)
    }
}

impl From<&User> for MeView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.as_str().to_owned(),
            account_id: u.account_id.as_str().to_owned(),
            name: u.name.as_str().to_owned(),
            email: u.email.as_str().to_owned(),
            username: u.username.as_ref().map(|n| n.as_str().to_owned()),
            role: u.role.as_str().to_owned(),
            timezone: u.timezone.as_str().to_owned(),
            date_format: u.date_format.as_str().to_owned(),
            time_format: u.time_format.as_str().to_owned(),
            avatar_url: tenantry_app::avatars::url(u.id.as_str(), u.avatar_version, 256),
            phone: PhoneView { number: u.phone_number.clone(), verified: u.phone_verified },
            notifications: u.preferences.notifications,
            phone_settings: u.preferences.phone_settings.clone(),
            message_settings: u.preferences.message_settings.clone(),
        }
    }
}

/// A cell number and whether it is verified.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhoneView {
    #[schema(example = "+14155552671")]
    pub number: Option<String>,
    pub verified: bool,
}

/// An account.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    #[schema(example = "acc_2ceeadc6fa699428be6135d9")]
    pub id: String,
    #[schema(example = "Acme")]
    pub name: String,
    #[schema(example = "compliance@acme.example")]
    pub compliance_bcc_email: Option<String>,
    #[schema(example = "PARTNER-2026")]
    pub partner_referral_code: Option<String>,
    #[schema(example = "2026-05-31T12:30:00.000Z")]
    pub created_at: String,
}

impl From<Account> for AccountView {
    fn from(a: Account) -> Self {
        Self {
            id: a.id.to_string(),
            name: a.name.to_string(),
            compliance_bcc_email: a.compliance_bcc_email,
            partner_referral_code: a.partner_referral_code,
            created_at: ts(a.created_at),
        }
    }
}

/// A page of users.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub data: Vec<UserView>,
    #[schema(example = "eyJuYW1lIjoiQnJ1bm8iLCJpZCI6InVzcl8uLi4ifQ")]
    pub next_cursor: Option<String>,
}
