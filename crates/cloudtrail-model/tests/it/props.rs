//! Property tests: arbitrary bytes never panic the parser; any JSON tree survives a
//! write/parse round trip and reads the same to an independent parser.

use cloudtrail_model::json::{self, Number, Object, Value};
use cloudtrail_model::{LogFile, Record, parse_and_validate};
use proptest::prelude::*;

fn arb_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        (any::<i32>(), 0u32..1000, -30i32..30).prop_map(|(i, f, e)| format!("{i}.{f}e{e:+}")),
        (0u32..100000).prop_map(|f| format!("0.{f:05}")),
    ]
    .prop_map(|text| Value::Number(Number::from_text(&text).unwrap()))
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        arb_number(),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            // Unique names: serde_json, the independent reader, merges duplicates.
            prop::collection::btree_map(any::<String>(), inner, 0..8).prop_map(|members| {
                Value::Object(Object::from_members(members.into_iter().collect()))
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = json::parse(&bytes);
        let _ = Record::parse(&bytes);
        let _ = LogFile::parse(&bytes);
        let _ = parse_and_validate(&bytes);
    }

    #[test]
    fn json_shaped_bytes_never_panic(text in r#"[\{\}\[\]",:0-9a-zA-Z\\. eE+-]{0,200}"#) {
        let _ = json::parse(text.as_bytes());
        let _ = parse_and_validate(text.as_bytes());
    }

    #[test]
    fn trees_roundtrip(value in arb_value()) {
        let text = value.to_json();
        prop_assert_eq!(value.encoded_len(), text.len());
        prop_assert_eq!(&json::parse(text.as_bytes()).unwrap(), &value);
        // serde_json reads the same strings (escaping is standard JSON).
        let theirs: serde_json::Value = serde_json::from_str(&text).unwrap();
        let ours_again = json::parse(serde_json::to_string(&theirs).unwrap().as_bytes()).unwrap();
        prop_assert_eq!(strings_of(&ours_again), strings_of(&value));
    }

    #[test]
    fn records_roundtrip(members in prop::collection::vec((prop::sample::select(Record::FIELD_NAMES.to_vec()), arb_value()), 0..12)) {
        let object = Object::from_members(members.into_iter().map(|(k, v)| (k.to_owned(), v)).collect());
        let text = Value::Object(object).to_json();
        let record = Record::parse(text.as_bytes()).unwrap();
        prop_assert_eq!(String::from_utf8(record.to_json_bytes()).unwrap(), text.clone());
        let _ = parse_and_validate(text.as_bytes());
    }
}

fn strings_of(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(s) => out.push(s.clone()),
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            Value::Object(o) => o.iter().for_each(|(k, v)| {
                out.push(k.to_owned());
                walk(v, out)
            }),
            _ => {}
        }
    }
    walk(value, &mut out);
    out
}
