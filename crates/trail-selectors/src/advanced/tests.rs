use super::*;

#[test]
fn fields_round_trip_their_spelling() {
    for &field in SelectorField::ALL {
        assert_eq!(SelectorField::parse(field.as_str()), Some(field));
    }
    assert_eq!(SelectorField::parse("resources.arn"), None);
    assert_eq!(SelectorField::parse("EventName"), None);
}

#[test]
fn every_trail_field_is_known_and_category_is_always_allowed() {
    for &category in TRAIL_CATEGORIES {
        let fields = trail_fields(category);
        assert!(fields.contains(&SelectorField::EventCategory), "{category}");
    }
    assert!(trail_fields(EventCategory::Insight).is_empty());
}

fn admits(selector: &AdvancedFieldSelector, value: Option<&str>) -> bool {
    selector.admits(value)
}

#[test]
fn operator_semantics() {
    let name = |op, values: &[&str]| AdvancedFieldSelector::new("eventName").with(op, values);
    // Values of one operator are alternatives.
    let equals = name(Operator::Equals, &["PutObject", "DeleteObject"]);
    assert!(admits(&equals, Some("DeleteObject")));
    assert!(!admits(&equals, Some("GetObject")));
    assert!(!admits(&equals, None));
    // Negative operators exclude every value, and pass a missing field.
    let not_equals = name(Operator::NotEquals, &["GetObject", "HeadObject"]);
    assert!(!admits(&not_equals, Some("HeadObject")));
    assert!(admits(&not_equals, Some("PutObject")));
    assert!(admits(&not_equals, None));
    let starts = name(Operator::StartsWith, &["Get", "List"]);
    assert!(admits(&starts, Some("ListObjects")));
    assert!(!admits(&starts, Some("PutObject")));
    let ends = name(Operator::EndsWith, &["Object"]);
    assert!(admits(&ends, Some("GetObject")));
    assert!(!admits(&ends, Some("GetObjects")));
    let not_starts = name(Operator::NotStartsWith, &["Get"]);
    assert!(!admits(&not_starts, Some("GetObject")));
    let not_ends = name(Operator::NotEndsWith, &["Acl"]);
    assert!(!admits(&not_ends, Some("GetObjectAcl")));
    assert!(admits(&not_ends, Some("GetObject")));
    // Different operators must all hold.
    let both = name(Operator::StartsWith, &["Get"]).with(Operator::NotEquals, &["GetObjectAcl"]);
    assert!(admits(&both, Some("GetObject")));
    assert!(!admits(&both, Some("GetObjectAcl")));
    assert!(!admits(&both, Some("PutObject")));
    // Exact and case-sensitive; no wildcards.
    assert!(!admits(&name(Operator::Equals, &["getobject"]), Some("GetObject")));
    assert!(!admits(&name(Operator::Equals, &["Get*"]), Some("GetObject")));
}

#[test]
fn operators_are_listed_in_model_order_and_counted() {
    let selector = AdvancedFieldSelector::new("eventName")
        .with(Operator::NotEndsWith, &["a"])
        .with(Operator::Equals, &["b", "c"]);
    let listed: Vec<Operator> = selector.operators().map(|(op, _)| op).collect();
    assert_eq!(listed, [Operator::Equals, Operator::NotEndsWith]);
    assert_eq!(selector.n_values(), 3);
}
