use super::*;

fn account() -> Account {
    Account { account_id: "123456789012".into(), name: "default".into() }
}

fn channel() -> Channel {
    Channel {
        channel_id: "01234567-89ab-cdef-0123-456789abcdef".into(),
        channel_arn:
            "arn:aws:cloudtrail:us-east-1:123456789012:channel/01234567-89ab-cdef-0123-456789abcdef"
                .into(),
        name: "default".into(),
        source: "Custom".into(),
        account_id: "123456789012".into(),
        region: "us-east-1".into(),
    }
}

#[test]
fn migrations_apply_once_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.sqlite");
    let catalog = Catalog::open(&path).unwrap();
    assert_eq!(catalog.schema_version().unwrap(), MIGRATIONS.len() as u32);
    catalog.create_account(&account(), 1).unwrap();
    drop(catalog);
    let catalog = Catalog::open(&path).unwrap();
    assert_eq!(catalog.accounts().unwrap(), vec![account()]);
}

#[test]
fn refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.sqlite");
    drop(Catalog::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = Catalog::open(&path).err().unwrap();
    assert!(err.to_string().contains("schema version 99 is newer"), "{err}");
}

#[test]
fn channels_by_arn_or_id() {
    let catalog = Catalog::open_in_memory().unwrap();
    catalog.create_account(&account(), 1).unwrap();
    catalog.create_channel(&channel(), 1).unwrap();
    assert_eq!(catalog.channel(&channel().channel_arn).unwrap(), Some(channel()));
    assert_eq!(catalog.channel(&channel().channel_id).unwrap(), Some(channel()));
    assert_eq!(catalog.channel("nope").unwrap(), None);
    let err = catalog.create_channel(&channel(), 2).unwrap_err();
    assert_eq!(err.to_string(), "channel `default` already exists");
}

#[test]
fn keys_need_an_existing_account() {
    let catalog = Catalog::open_in_memory().unwrap();
    let key = AccessKey {
        access_key_id: "AKIAEXAMPLE000000001".into(),
        secret_access_key: "secret".into(),
        account_id: "123456789012".into(),
        principal_type: "Root".into(),
        principal_arn: "arn:aws:iam::123456789012:root".into(),
        principal_id: "123456789012".into(),
        user_name: None,
        active: true,
    };
    assert!(catalog.create_access_key(&key, 1).is_err(), "foreign key must hold");
    catalog.create_account(&account(), 1).unwrap();
    catalog.create_access_key(&key, 1).unwrap();
    assert_eq!(catalog.access_keys().unwrap(), vec![key]);
    catalog.set_setting("default_region", "eu-west-1").unwrap();
    catalog.set_setting("default_region", "us-east-1").unwrap();
    assert_eq!(catalog.setting("default_region").unwrap().as_deref(), Some("us-east-1"));
}
