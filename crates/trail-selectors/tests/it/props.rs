//! Property tests: arbitrary JSON never panics the request parser or the storage loader, and
//! whatever is accepted round-trips through storage and the response.

use cloudtrail_model::Record;
use cloudtrail_model::json::{Number, Object, Value};
use proptest::prelude::*;
use trail_selectors::Selectors;

/// Member names and strings that steer generated values towards the interesting paths.
const WORDS: &[&str] = &[
    "ReadWriteType",
    "IncludeManagementEvents",
    "DataResources",
    "ExcludeManagementEventSources",
    "Type",
    "Values",
    "Name",
    "FieldSelectors",
    "Field",
    "Equals",
    "StartsWith",
    "EndsWith",
    "NotEquals",
    "NotStartsWith",
    "NotEndsWith",
    "All",
    "ReadOnly",
    "WriteOnly",
    "AWS::S3::Object",
    "AWS::Lambda::Function",
    "AWS::DynamoDB::Table",
    "arn:aws:s3",
    "arn:aws:s3:::amzn-s3-demo-bucket/",
    "arn:aws:lambda",
    "kms.amazonaws.com",
    "eventCategory",
    "Management",
    "Data",
    "NetworkActivity",
    "resources.type",
    "resources.ARN",
    "readOnly",
    "true",
    "false",
    "eventSource",
    "eventName",
    "errorCode",
    "VpceAccessDenied",
    "",
];

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(WORDS).prop_map(str::to_owned),
        1 => any::<String>(),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| Value::Number(Number::from_i64(n))),
        word().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((word(), inner), 0..8)
                .prop_map(|members| Value::Object(Object::from_members(members))),
        ]
    })
}

fn strings(options: &'static [&'static str], max: usize) -> impl Strategy<Value = Value> {
    prop::collection::vec(proptest::sample::select(options), 0..max)
        .prop_map(|items| Value::Array(items.into_iter().map(Value::from).collect()))
}

/// Adds `name: value` to `members` when `value` is `Some`.
fn push(members: &mut Vec<(String, Value)>, name: &str, value: Option<Value>) {
    if let Some(value) = value {
        members.push((name.to_owned(), value));
    }
}

/// A basic selector built from mostly valid parts.
fn plausible_basic_selector() -> impl Strategy<Value = Value> {
    let data_resource = (
        proptest::sample::select(
            &[
                "AWS::S3::Object",
                "AWS::Lambda::Function",
                "AWS::DynamoDB::Table",
                "AWS::S3::Bucket",
            ][..],
        ),
        strings(
            &[
                "arn:aws:s3",
                "arn:aws:s3:::amzn-s3-demo-bucket/",
                "arn:aws:s3:::b/x",
                "arn:aws:lambda",
                "arn:aws:lambda:us-west-2:111111111111:function:helloworld",
                "arn:aws:dynamodb",
                "arn:aws:dynamodb:us-east-1:123456789012:table/Music",
                "arn:aws:s3:::*",
            ],
            4,
        ),
    )
        .prop_map(|(resource_type, values)| {
            Value::Object(Object::from_members(vec![
                ("Type".to_owned(), Value::from(resource_type)),
                ("Values".to_owned(), values),
            ]))
        });
    (
        proptest::option::of(proptest::sample::select(
            &["All", "ReadOnly", "WriteOnly", "all"][..],
        )),
        proptest::option::of(any::<bool>()),
        proptest::option::of(prop::collection::vec(data_resource, 0..3)),
        proptest::option::of(strings(
            &["kms.amazonaws.com", "rdsdata.amazonaws.com", "s3.amazonaws.com"],
            3,
        )),
    )
        .prop_map(|(rwt, ime, data_resources, exclude)| {
            let mut members = Vec::new();
            push(&mut members, "ReadWriteType", rwt.map(Value::from));
            push(&mut members, "IncludeManagementEvents", ime.map(Value::Bool));
            push(&mut members, "DataResources", data_resources.map(Value::Array));
            push(&mut members, "ExcludeManagementEventSources", exclude);
            Value::Object(Object::from_members(members))
        })
}

fn field_selector(field: &'static str, operator: &'static str, values: &[&'static str]) -> Value {
    let values = Value::Array(values.iter().map(|value| Value::from(*value)).collect());
    Value::Object(Object::from_members(vec![
        ("Field".to_owned(), Value::from(field)),
        (operator.to_owned(), values),
    ]))
}

/// A field selector of any field, operator and value: mostly invalid somewhere.
fn random_field_selector() -> impl Strategy<Value = Value> {
    (
        proptest::sample::select(
            &[
                "resources.type",
                "resources.ARN",
                "readOnly",
                "eventName",
                "eventSource",
                "errorCode",
                "userIdentity.arn",
                "eventTime",
                "eventCategory",
            ][..],
        ),
        proptest::sample::select(
            &["Equals", "StartsWith", "EndsWith", "NotEquals", "NotStartsWith", "NotEndsWith"][..],
        ),
        proptest::sample::select(
            &[
                "AWS::S3::Object",
                "arn:aws:s3:::amzn-s3-demo-bucket/",
                "true",
                "false",
                "GetObject",
                "kms.amazonaws.com",
                "ec2.amazonaws.com",
                "VpceAccessDenied",
            ][..],
        ),
    )
        .prop_map(|(field, operator, value)| field_selector(field, operator, &[value]))
}

/// Field selectors valid for a category, to add to its `eventCategory` one.
fn valid_field_selectors(category: &'static str) -> BoxedStrategy<Vec<Value>> {
    let pick = |options: Vec<Value>| proptest::sample::select(options);
    match category {
        "Management" => prop::collection::vec(
            pick(vec![
                field_selector("readOnly", "Equals", &["true"]),
                field_selector("readOnly", "Equals", &["false"]),
                field_selector("eventSource", "NotEquals", &["kms.amazonaws.com"]),
            ]),
            0..3,
        )
        .boxed(),
        "Data" => (
            pick(vec![
                field_selector("resources.type", "Equals", &["AWS::S3::Object"]),
                field_selector("resources.type", "Equals", &["AWS::Lambda::Function"]),
                field_selector("resources.type", "Equals", &["AWS::SNS::Topic"]),
            ]),
            prop::collection::vec(
                pick(vec![
                    field_selector("eventName", "NotEquals", &["GetObject", "HeadObject"]),
                    field_selector("eventName", "StartsWith", &["Put"]),
                    field_selector("resources.ARN", "StartsWith", &["arn:aws:s3:::b/"]),
                    field_selector("resources.ARN", "NotEndsWith", &[".tmp"]),
                    field_selector("readOnly", "Equals", &["false"]),
                    field_selector("userIdentity.arn", "EndsWith", &["HumanRole"]),
                    field_selector("sessionCredentialFromConsole", "Equals", &["true"]),
                ]),
                0..3,
            ),
        )
            .prop_map(|(resource_type, mut rest)| {
                rest.insert(0, resource_type);
                rest
            })
            .boxed(),
        _ => prop::collection::vec(
            pick(vec![
                field_selector("errorCode", "Equals", &["VpceAccessDenied"]),
                field_selector("vpcEndpointId", "NotEquals", &["vpce-0123456789abcdef0"]),
                field_selector("eventName", "StartsWith", &["Describe"]),
            ]),
            0..3,
        )
        .prop_map(|mut rest| {
            rest.insert(0, field_selector("eventSource", "Equals", &["ec2.amazonaws.com"]));
            rest
        })
        .boxed(),
    }
}

/// An advanced selector built from mostly valid parts, sometimes with one random field
/// selector mixed in.
fn plausible_advanced_selector() -> impl Strategy<Value = Value> {
    let category = proptest::sample::select(&["Management", "Data", "NetworkActivity"][..]);
    (
        proptest::option::of(word()),
        category.prop_flat_map(|category| (Just(category), valid_field_selectors(category))),
        proptest::option::weighted(0.2, random_field_selector()),
    )
        .prop_map(|(name, (category, mut field_selectors), noise)| {
            field_selectors.insert(0, field_selector("eventCategory", "Equals", &[category]));
            field_selectors.extend(noise);
            let mut members = Vec::new();
            push(&mut members, "Name", name.map(Value::String));
            members.push(("FieldSelectors".to_owned(), Value::Array(field_selectors)));
            Value::Object(Object::from_members(members))
        })
}

/// A PutEventSelectors request's two members, built from mostly valid parts.
fn plausible_request() -> impl Strategy<Value = (Option<Value>, Option<Value>)> {
    prop_oneof![
        prop::collection::vec(plausible_basic_selector(), 1..7)
            .prop_map(|items| (Some(Value::Array(items)), None)),
        prop::collection::vec(plausible_advanced_selector(), 1..4)
            .prop_map(|items| (None, Some(Value::Array(items)))),
    ]
}

/// Checks the invariants of whatever `from_request` accepted.
fn check_accepted(selectors: &Selectors) {
    assert_eq!(selectors.validate(), Ok(()));
    let stored = selectors.to_storage();
    assert_eq!(Selectors::from_storage(&stored).as_ref(), Ok(selectors));
    let members = selectors.to_response_members();
    let (name, value) = &members[0];
    let again = match *name {
        "EventSelectors" => Selectors::from_request(Some(value), None),
        _ => Selectors::from_request(None, Some(value)),
    };
    assert_eq!(again.as_ref(), Ok(selectors));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_json_never_panics(basic in proptest::option::of(json_value()),
                                   advanced in proptest::option::of(json_value())) {
        if let Ok(selectors) = Selectors::from_request(basic.as_ref(), advanced.as_ref()) {
            check_accepted(&selectors);
        }
    }

    #[test]
    fn arbitrary_selector_lists_never_panic(items in prop::collection::vec(json_value(), 0..7),
                                            advanced in any::<bool>()) {
        let list = Value::Array(items);
        let result = if advanced {
            Selectors::from_request(None, Some(&list))
        } else {
            Selectors::from_request(Some(&list), None)
        };
        if let Ok(selectors) = result {
            check_accepted(&selectors);
        }
    }

    #[test]
    fn plausible_requests_round_trip((basic, advanced) in plausible_request()) {
        if let Ok(selectors) = Selectors::from_request(basic.as_ref(), advanced.as_ref()) {
            check_accepted(&selectors);
        }
    }

    #[test]
    fn arbitrary_storage_text_never_panics(text in any::<String>()) {
        let _ = Selectors::from_storage(&text);
    }

    #[test]
    fn matching_arbitrary_records_never_panics(record in json_value(), selectors in json_value()) {
        let Value::Object(record) = record else { return Ok(()) };
        let record = Record::from_object(record);
        // Stored selectors are not re-validated, so match with whatever parses structurally.
        for text in [
            format!(r#"{{"version":1,"EventSelectors":{}}}"#, selectors.to_json()),
            format!(r#"{{"version":1,"AdvancedEventSelectors":{}}}"#, selectors.to_json()),
        ] {
            if let Ok(selectors) = Selectors::from_storage(&text) {
                let _ = selectors.matches(&record);
            }
        }
        let _ = Selectors::default_for_new_trail().matches(&record);
    }
}

/// The plausible generator must reach both answers often, or the round-trip property above
/// tests nothing.
#[test]
fn plausible_requests_are_often_accepted_and_often_rejected() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let strategy = plausible_request();
    let (mut n_basic, mut n_advanced, mut n_rejected) = (0, 0, 0);
    for _ in 0..2000 {
        let (basic, advanced) = strategy.new_tree(&mut runner).expect("generates").current();
        match Selectors::from_request(basic.as_ref(), advanced.as_ref()) {
            Ok(Selectors::Basic(_)) => n_basic += 1,
            Ok(Selectors::Advanced(_)) => n_advanced += 1,
            Err(_) => n_rejected += 1,
        }
    }
    assert!(n_basic >= 100, "{n_basic} basic accepted");
    assert!(n_advanced >= 100, "{n_advanced} advanced accepted");
    assert!(n_rejected >= 100, "{n_rejected} rejected");
}
