//! Shared helpers: environment maps and fixture loading (fixtures are compiled in, so tests
//! never touch the file system or the process environment).

use std::collections::BTreeMap;

use settings::Settings;

pub(crate) const SAMPLE: &str = include_str!("../fixtures/opentrail.toml");
pub(crate) const AUTHZ: &str = include_str!("../fixtures/authz.toml");

pub(crate) fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect()
}

/// The environment the sample needs: one secret per `${...}` in it.
pub(crate) fn sample_env() -> BTreeMap<String, String> {
    env(&[
        ("MANAGEMENT_ROOT_SECRET", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        ("ALICE_SECRET", "aliceAliceAliceAliceAliceAliceAlice+/123"),
        ("CI_DEPLOYER_SECRET", "ciDeployerSecretciDeployerSecretciDeploy"),
        ("AUDITOR_OLD_SECRET", "auditorOldSecretauditorOldSecretauditorO"),
        ("AUDITOR_SECRET", "auditorNewSecretauditorNewSecretauditorN"),
    ])
}

pub(crate) fn load(text: &str) -> Result<Settings, settings::Error> {
    Settings::from_toml(text, &BTreeMap::new())
}
