use super::*;

fn check_roundtrip(input: &str) {
    let value = parse(input.as_bytes()).unwrap();
    assert_eq!(value.to_json(), input);
    assert_eq!(value.encoded_len(), input.len());
}

fn check_error(input: &[u8], expected: &str) {
    let err = parse(input).unwrap_err();
    assert_eq!(err.to_string(), expected);
}

#[test]
fn keeps_number_text_order_and_duplicates() {
    check_roundtrip(r#"{"b":1.666275403e+12,"a":0.0000882145,"b":-0,"c":[1E5,2.50]}"#);
}

#[test]
fn escapes_like_python() {
    check_roundtrip(r#"{"s":"q\"b\\n\n\t\r\b\f\u0001é/\u001f€"}"#);
    let value = parse(br#""\/\u00e9\ud83d\ude00""#).unwrap();
    assert_eq!(value, Value::String("/é😀".into()));
    assert_eq!(value.to_json(), "\"/é😀\"");
}

#[test]
fn errors_name_offset_and_path() {
    check_error(
        br#"{"a":{"b":[1,tru]}}"#,
        "invalid JSON at byte 16 (`$.a.b[1]`): unexpected character `]`",
    );
    check_error(b"{\"a\":\"x\xff\"}", "invalid JSON at byte 7 (`$.a`): invalid UTF-8");
    check_error(
        br#"{"a":"\ud800"}"#,
        "invalid JSON at byte 12 (`$.a`): string escape is an unpaired UTF-16 surrogate",
    );
    check_error(br#"{"a":01}"#, "invalid JSON at byte 6 (`$`): unexpected character `1`");
    check_error(br#"{"a":1.}"#, "invalid JSON at byte 7 (`$.a`): invalid number");
    check_error(br#"{} x"#, "invalid JSON at byte 3 (`$`): trailing characters after the value");
    check_error(b"", "invalid JSON at byte 0 (`$`): unexpected end of input");
    check_error(
        br#"{"a b":[{"c":"#,
        "invalid JSON at byte 13 (`$[\"a b\"][0].c`): unexpected end of input",
    );
}

#[test]
fn depth_is_bounded() {
    let ok = "[".repeat(limits::JSON_DEPTH_MAX) + &"]".repeat(limits::JSON_DEPTH_MAX);
    assert!(parse(ok.as_bytes()).is_ok());
    let deep = "[".repeat(limits::JSON_DEPTH_MAX + 1) + &"]".repeat(limits::JSON_DEPTH_MAX + 1);
    let err = parse(deep.as_bytes()).unwrap_err();
    assert_eq!(err.kind, ParseErrorKind::TooDeep);
    // Far deeper input must not overflow the stack either.
    let very_deep = "[".repeat(1_000_000);
    assert_eq!(parse(very_deep.as_bytes()).unwrap_err().kind, ParseErrorKind::TooDeep);
}
