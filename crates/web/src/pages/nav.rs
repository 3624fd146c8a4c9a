//! The two settings areas and their sections, in the order the navigation shows them.
//!
//! Account settings follows the product's list (Users, Live chat teams, Contact fields, CRM,
//! API & Webhooks, Billing, Security, Compliance, Settings, Chatbot and form privacy, then
//! Booking pages and Audit log). API & Webhooks has two tabs (API keys, Webhooks) under one
//! navigation entry; Billing has five (Licenses, SMS, Payment methods, Notifications, Invoices).

/// Where a page belongs: its section is marked in the navigation, whose area it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    // Account settings (Administrators)
    Users,
    ChatTeams,
    ContactFields,
    Crm,
    ApiWebhooks,
    Billing,
    Security,
    Compliance,
    AccountSettings,
    Privacy,
    BookingPages,
    AuditLog,
    // My settings (everyone)
    Profile,
    PasswordTwoStep,
    Phone,
    Email,
    Notifications,
    ApiKey,
    Usage,
    Sessions,
    MyData,
}

/// One of the two settings areas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Account,
    Me,
}

impl Area {
    pub fn title(self) -> &'static str {
        match self {
            Area::Account => "Account settings",
            Area::Me => "My settings",
        }
    }

    /// The sections of the area, in navigation order.
    pub fn sections(self) -> &'static [Section] {
        use Section::*;
        match self {
            Area::Account => &[
                Users,
                ChatTeams,
                ContactFields,
                Crm,
                ApiWebhooks,
                Billing,
                Security,
                Compliance,
                AccountSettings,
                Privacy,
                BookingPages,
                AuditLog,
            ],
            Area::Me => &[Profile, PasswordTwoStep, Phone, Email, Notifications, ApiKey, Usage, Sessions, MyData],
        }
    }
}

impl Section {
    pub fn area(self) -> Area {
        use Section::*;
        match self {
            Users | ChatTeams | ContactFields | Crm | ApiWebhooks | Billing | Security | Compliance
            | AccountSettings | Privacy | BookingPages | AuditLog => Area::Account,
            Profile | PasswordTwoStep | Phone | Email | Notifications | ApiKey | Usage | Sessions | MyData => Area::Me,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Section::Users => "Users",
            Section::ChatTeams => "Live chat teams",
            Section::ContactFields => "Contact fields",
            Section::Crm => "CRM",
            Section::ApiWebhooks => "API & Webhooks",
            Section::Billing => "Billing",
            Section::Security => "Security",
            Section::Compliance => "Compliance",
            Section::Privacy => "Chatbot and form privacy",
            Section::AccountSettings => "Settings",
            Section::BookingPages => "Booking pages",
            Section::AuditLog => "Audit log",
            Section::Profile => "Profile",
            Section::PasswordTwoStep => "Password and two-step",
            Section::Phone => "Phone",
            Section::Email => "Email",
            Section::Notifications => "Notifications",
            Section::ApiKey => "API key",
            Section::Usage => "Plan and usage",
            Section::Sessions => "Sessions",
            Section::MyData => "My data",
        }
    }

    pub fn href(self) -> &'static str {
        match self {
            Section::Users => "/users",
            Section::ChatTeams => "/account/chat-teams",
            Section::ContactFields => "/account/contact-fields",
            Section::Crm => "/account/crm",
            Section::ApiWebhooks => "/account/api-keys",
            Section::Billing => "/account/billing",
            Section::Security => "/security",
            Section::Compliance => "/account/compliance",
            Section::Privacy => "/account/privacy",
            Section::AccountSettings => "/account/settings",
            Section::BookingPages => "/booking-pages",
            Section::AuditLog => "/account/audit",
            Section::Profile => "/me",
            Section::PasswordTwoStep => "/me/two-step",
            Section::Phone => "/me/phone",
            Section::Email => "/me/email",
            Section::Notifications => "/me/notifications",
            Section::ApiKey => "/me/api-key",
            Section::Usage => "/me/usage",
            Section::Sessions => "/me/sessions",
            Section::MyData => "/me/data",
        }
    }
}

/// One link of the section navigation.
#[derive(Debug, Clone)]
pub struct NavLink {
    pub label: &'static str,
    pub href: &'static str,
    pub current: bool,
}

/// The navigation a page shows: its area's sections, or none when the viewer may not see that
/// area (a Member on a page that Administrators find under Account settings, e.g. Booking pages).
pub fn links(section: Section, is_admin: bool) -> Option<(&'static str, Vec<NavLink>)> {
    let area = section.area();
    if area == Area::Account && !is_admin {
        return None;
    }
    let links =
        area.sections().iter().map(|s| NavLink { label: s.label(), href: s.href(), current: *s == section }).collect();
    Some((area.title(), links))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_section_is_listed_once_in_its_own_area() {
        for area in [Area::Account, Area::Me] {
            for s in area.sections() {
                assert_eq!(s.area(), area, "{s:?}");
                assert_eq!(area.sections().iter().filter(|x| *x == s).count(), 1);
            }
        }
    }

    #[test]
    fn members_do_not_see_the_account_area() {
        assert!(links(Section::BookingPages, false).is_none());
        let me = links(Section::Sessions, false);
        assert_eq!(me.as_ref().map(|(title, _)| *title), Some("My settings"));
        let current: Vec<_> = me.iter().flat_map(|(_, l)| l).filter(|l| l.current).map(|l| l.href).collect();
        assert_eq!(current, ["/me/sessions"]);
    }
}
