//! Migrations that have landed on main are never edited again (a database that applied one
//! would refuse to start, or silently differ): this pins the checksum of every one that exists.
//! A change of schema is a new migration file, listed here once it lands.

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    /// (file, contents, SHA-256 when it landed).
    const LANDED: &[(&str, &[u8], &str)] = &[
        (
            "migrations/postgres/0001_init.sql",
            include_bytes!("../migrations/postgres/0001_init.sql"),
            "6292fd71e8a4755bf2c23ce522224a5fbf8b91bb17600ae85c2a92aa1043e57b",
        ),
        (
            "migrations/postgres/0002_user_search.sql",
            include_bytes!("../migrations/postgres/0002_user_search.sql"),
            "5033182d43b1c72eec69688168416d5729af59d49a8e2871ad9ffddd22e6cc5d",
        ),
        (
            "migrations/postgres/0003_faster_user_search.sql",
            include_bytes!("../migrations/postgres/0003_faster_user_search.sql"),
            "def35c69a404d208722f6e0a63eb4b1a0d33d3edf74b641e7e5a9cc9dbc51ad0",
        ),
        (
            "migrations/postgres/0004_licenses_pages_audit.sql",
            include_bytes!("../migrations/postgres/0004_licenses_pages_audit.sql"),
            "7275b1de6006996a7d3fcfea59b51a890152e13466ce53af755f52f5d8c3f5ba",
        ),
        (
            "migrations/postgres/0005_security.sql",
            include_bytes!("../migrations/postgres/0005_security.sql"),
            "9e79b4f5fcfdbaaf8a06a5b9dd8d7222878e36834b64c60da7fdb691ee8fa8d0",
        ),
        (
            "migrations/postgres/0006_my_settings.sql",
            include_bytes!("../migrations/postgres/0006_my_settings.sql"),
            "796452fe6a7c5c877af90e178874ad1cd00e3c2d5a3cfa2c7935246dff5025a5",
        ),
        (
            "migrations/postgres/0007_sign_in_challenges.sql",
            include_bytes!("../migrations/postgres/0007_sign_in_challenges.sql"),
            "feacae64b60f82baeac1f0736735da9526f1e826641b015219a7935286d4ce4d",
        ),
        (
            "migrations/postgres/0008_deactivation.sql",
            include_bytes!("../migrations/postgres/0008_deactivation.sql"),
            "fc3777a19bb8247695d4f108e06d6fe60d7d9bd2e766e9fb9543f639dfad2798",
        ),
        (
            "migrations/postgres/0009_account_sections.sql",
            include_bytes!("../migrations/postgres/0009_account_sections.sql"),
            "d6df8ee754e1b7e51e93548dd28a81b497dd3e88105f74db7364eecb05e3615b",
        ),
        (
            "migrations/postgres/0010_hardening.sql",
            include_bytes!("../migrations/postgres/0010_hardening.sql"),
            "7e39d44a2a4f0dc73ac54fb7d01c4ee382035bc8066e252ecfa80813f2e0f2fc",
        ),
        (
            "migrations/postgres/0011_account_api_keys.sql",
            include_bytes!("../migrations/postgres/0011_account_api_keys.sql"),
            "1b2cefaf92721fae88831312e310ad8d063ce04ce28562747c3bde5a90af9cb4",
        ),
        (
            "migrations/postgres/0012_webhooks.sql",
            include_bytes!("../migrations/postgres/0012_webhooks.sql"),
            "1e6e66599420e168560cdf80b0c42cd15e11b673b8b6738b12e87f0c040a5a61",
        ),
        (
            "migrations/postgres/0013_oidc.sql",
            include_bytes!("../migrations/postgres/0013_oidc.sql"),
            "3f6d9759eb3575d4ac32a42f250b60a0cb159cc7dd7ac1f0ecceb487f9d1bf7b",
        ),
        (
            "migrations/postgres/0014_billing.sql",
            include_bytes!("../migrations/postgres/0014_billing.sql"),
            "781909605dc236fe90b32a319e8fc9c9b2e1a60a7c7c2adcf7e5b5e020314b4d",
        ),
        (
            "migrations/sqlite/0001_init.sql",
            include_bytes!("../migrations/sqlite/0001_init.sql"),
            "580dfde18791c0d85aa91161adfd3014979738493d6f1fb2eeec784ebef6b14a",
        ),
        (
            "migrations/sqlite/0002_user_search.sql",
            include_bytes!("../migrations/sqlite/0002_user_search.sql"),
            "cc4188d26912b5d32da375b2c8bbd3c492f39d3db0e2f8705ab7db0dc4dc1321",
        ),
        (
            "migrations/sqlite/0003_faster_user_search.sql",
            include_bytes!("../migrations/sqlite/0003_faster_user_search.sql"),
            "2d08ecbfc8567624d122c4be81b6ecc342cc3b9b0f73204cbeb1f78126a59fca",
        ),
        (
            "migrations/sqlite/0004_licenses_pages_audit.sql",
            include_bytes!("../migrations/sqlite/0004_licenses_pages_audit.sql"),
            "a04e2fd94f3eea37aff31c9a10de8aba2a88f89519c547bdc1a27bb54b4532b7",
        ),
        (
            "migrations/sqlite/0005_security.sql",
            include_bytes!("../migrations/sqlite/0005_security.sql"),
            "9e79b4f5fcfdbaaf8a06a5b9dd8d7222878e36834b64c60da7fdb691ee8fa8d0",
        ),
        (
            "migrations/sqlite/0006_my_settings.sql",
            include_bytes!("../migrations/sqlite/0006_my_settings.sql"),
            "a17222724e4de64404e138696f533eee7e30adf25881ac54c2848c15cf5474d8",
        ),
        (
            "migrations/sqlite/0007_sign_in_challenges.sql",
            include_bytes!("../migrations/sqlite/0007_sign_in_challenges.sql"),
            "feacae64b60f82baeac1f0736735da9526f1e826641b015219a7935286d4ce4d",
        ),
        (
            "migrations/sqlite/0008_deactivation.sql",
            include_bytes!("../migrations/sqlite/0008_deactivation.sql"),
            "fc3777a19bb8247695d4f108e06d6fe60d7d9bd2e766e9fb9543f639dfad2798",
        ),
        (
            "migrations/sqlite/0009_account_sections.sql",
            include_bytes!("../migrations/sqlite/0009_account_sections.sql"),
            "95c460e5a9b1f389f6902252f91368ef3d22e923cf31ef1e8f49d7821dca020b",
        ),
        (
            "migrations/sqlite/0010_hardening.sql",
            include_bytes!("../migrations/sqlite/0010_hardening.sql"),
            "88f14d8def21e99dade3b8b6366bd07a7286a89d21c8a730cc6d08f94dce1db0",
        ),
        (
            "migrations/sqlite/0011_account_api_keys.sql",
            include_bytes!("../migrations/sqlite/0011_account_api_keys.sql"),
            "1b2cefaf92721fae88831312e310ad8d063ce04ce28562747c3bde5a90af9cb4",
        ),
        (
            "migrations/sqlite/0012_webhooks.sql",
            include_bytes!("../migrations/sqlite/0012_webhooks.sql"),
            "1e6e66599420e168560cdf80b0c42cd15e11b673b8b6738b12e87f0c040a5a61",
        ),
        (
            "migrations/sqlite/0013_oidc.sql",
            include_bytes!("../migrations/sqlite/0013_oidc.sql"),
            "3f6d9759eb3575d4ac32a42f250b60a0cb159cc7dd7ac1f0ecceb487f9d1bf7b",
        ),
        (
            "migrations/sqlite/0014_billing.sql",
            include_bytes!("../migrations/sqlite/0014_billing.sql"),
            "781909605dc236fe90b32a319e8fc9c9b2e1a60a7c7c2adcf7e5b5e020314b4d",
        ),
    ];

    #[test]
    fn landed_migrations_are_never_edited() {
        for (file, contents, expected) in LANDED {
            let actual = hex::encode(Sha256::digest(contents));
            assert_eq!(&actual, expected, "{file} changed after it landed: add a new migration instead");
        }
    }

    #[test]
    fn both_databases_have_the_same_migrations() {
        let names = |engine: &str| -> Vec<&str> {
            LANDED.iter().filter_map(|(f, _, _)| f.strip_prefix(&format!("migrations/{engine}/"))).collect()
        };
        assert_eq!(names("sqlite"), names("postgres"));
    }
}
