use super::*;
use crate::advanced::{AdvancedFieldSelector, Operator};
use crate::basic::{DataResource, ReadWriteType};

#[test]
fn default_selectors() {
    let selectors = Selectors::default_for_new_trail();
    assert!(selectors.is_default_for_new_trail());
    assert_eq!(selectors.validate(), Ok(()));
    let mut custom = selectors.clone();
    if let Selectors::Basic(list) = &mut custom {
        list[0].read_write_type = ReadWriteType::WriteOnly;
    }
    assert!(!custom.is_default_for_new_trail());
}

#[test]
fn storage_round_trips_both_kinds() {
    let basic = Selectors::Basic(vec![EventSelector {
        read_write_type: ReadWriteType::ReadOnly,
        include_management_events: false,
        data_resources: vec![DataResource {
            resource_type: "AWS::S3::Object".into(),
            values: vec!["arn:aws:s3:::b\"ucket/\u{1}ü".into()],
        }],
        exclude_management_event_sources: vec![],
    }]);
    let advanced = Selectors::Advanced(vec![AdvancedEventSelector {
        name: Some(String::new()),
        field_selectors: vec![
            AdvancedFieldSelector::new("eventCategory").with(Operator::Equals, &["Data"]),
            AdvancedFieldSelector::new("eventName")
                .with(Operator::NotEndsWith, &["x"])
                .with(Operator::StartsWith, &["y", "z"]),
        ],
    }]);
    for selectors in [basic, advanced, Selectors::default_for_new_trail()] {
        let text = selectors.to_storage();
        assert_eq!(Selectors::from_storage(&text), Ok(selectors), "{text}");
    }
}

#[test]
fn storage_rejects_what_it_did_not_write() {
    let version =
        |text: &str| matches!(Selectors::from_storage(text), Err(StorageError::Version { .. }));
    let malformed =
        |text: &str| matches!(Selectors::from_storage(text), Err(StorageError::Malformed(_)));
    assert!(matches!(Selectors::from_storage("{"), Err(StorageError::Json(_))));
    assert!(malformed("[]"));
    assert!(version(r#"{"EventSelectors":[]}"#));
    assert!(version(r#"{"version":2,"EventSelectors":[]}"#));
    assert!(version(r#"{"version":"1","EventSelectors":[]}"#));
    assert!(malformed(r#"{"version":1}"#));
    assert!(malformed(r#"{"version":1,"EventSelectors":[],"AdvancedEventSelectors":[]}"#));
    assert!(malformed(r#"{"version":1,"EventSelectors":[{"ReadWriteType":"Sometimes"}]}"#));
    assert!(malformed(r#"{"version":1,"AdvancedEventSelectors":[{"Name":"n"}]}"#));
    // Rules are not re-checked on load: six selectors stay loadable.
    let six = format!(r#"{{"version":1,"EventSelectors":[{}]}}"#, ["{}"; 6].join(","));
    assert!(matches!(Selectors::from_storage(&six), Ok(Selectors::Basic(list)) if list.len() == 6));
}
