//! Unit tests: parsing, printing, evaluation and the regex engine, with property tests against
//! simple reference implementations.

use proptest::prelude::*;

use super::*;

#[track_caller]
fn check(pattern: &str, message: &str, expected: bool) {
    let parsed = Pattern::parse(pattern).unwrap_or_else(|e| panic!("`{pattern}`: {e}"));
    assert_eq!(parsed.matches(message), expected, "`{pattern}` on `{message}`");
    assert_eq!(parsed.matches_event(&Event::parse(message)), expected, "`{pattern}` (event)");
    let set = PatternSet::new(vec![parsed.clone()]);
    let mut matched = Vec::new();
    set.matching(&Event::parse(message), &mut matched);
    assert_eq!(!matched.is_empty(), expected, "`{pattern}` (set)");
    let printed = Pattern::parse(&parsed.to_string()).expect("printed pattern parses");
    assert_eq!(printed, parsed, "`{pattern}` printed as `{parsed}`");
}

#[track_caller]
fn check_error(pattern: &str, expected: &str) {
    match Pattern::parse(pattern) {
        Ok(parsed) => panic!("`{pattern}` parsed as `{parsed}`"),
        Err(e) => assert_eq!(e.to_string(), expected, "`{pattern}`"),
    }
}

#[track_caller]
fn check_print(pattern: &str, expected: &str) {
    let parsed = Pattern::parse(pattern).unwrap_or_else(|e| panic!("`{pattern}`: {e}"));
    assert_eq!(parsed.to_string(), expected);
}

// ---------- classification and terms (§2, §4) ----------

#[test]
fn blank_patterns_match_everything() {
    for pattern in ["", " ", "\t\r\n "] {
        assert_eq!(Pattern::parse(pattern).unwrap().ast(), &Ast::MatchAll);
        check(pattern, "", true);
        check(pattern, "anything", true);
    }
}

#[test]
fn terms() {
    check("ERROR", "xERRORx", true);
    check("ERROR WARN", "WARN ERROR", true);
    check("ERROR WARN", "ERROR", false);
    check("-ERROR", "fine", true);
    check("-ERROR -WARN", "WARN", false);
    check("?ERROR ?WARN", "WARN", true);
    check("?ERROR ?WARN", "INFO", false);
    check("?ERROR -WARN", "INFO", true);
    check("?ERROR -WARN", "WARN", false);
    check("\"a b\"", "xa by", true);
    check("\"a b\"", "a  b", false);
    check("-\"a b\"", "a b", false);
    check("?\"a b\" ?c", "a b", true);
    check("\" \"", "nospace", true);
    check("\"\"", "", true);
    check("-\" \"", "anything", false);
    check("%a+b% c", "aab c", true);
    check("-%^x%", "xy", false);
    check("a\"b", "a\"b", true);
    check("\"say \\\"hi\\\"\"", "say \"hi\"", true);
    check("\"back\\\\slash\"", "back\\slash", true);
    check("- ?", "a - b ?", true);
    check("- ?", "a - b", false);
    check("--x", "-x", false);
    check("--x", "x", true);
    check("é", "café", true);
}

#[test]
fn term_syntax_errors() {
    check_error(
        "\"abc",
        "at byte 4: expected `\"` closing the quoted string, found end of pattern",
    );
    check_error("\"a\"b", "at byte 3: expected whitespace between terms, found `b`");
    check_error("%ab", "at byte 3: expected `%` closing the regex, found end of pattern");
    check_error("%a%b", "at byte 3: expected whitespace between terms, found `b`");
    check_error("%%", "at byte 1: expected a non-empty regex between `%` and `%`, found `%`");
}

// ---------- JSON patterns (§6) ----------

const USERS: &str = r#"{"user":{"id":1,"email":"John.Stiles@example.com"},"users":[{"id":2,"email":"John.Doe@example.com"},{"id":3}],"actions":["GET","PUT"],"n":1e3,"s":"60","t":true,"f":false,"z":null,"e":{},"a.b":"dot","esc":"a\"b\u00e9"}"#;

#[test]
fn json_selectors() {
    check("{ $.user.id = 1 }", USERS, true);
    check("{ $.users[0].email = \"John.Doe@example.com\" }", USERS, true);
    check("{ $.users[1].email NOT EXISTS }", USERS, true);
    check("{ $.users[2] NOT EXISTS }", USERS, true);
    check("{ $.users[*].id = 3 }", USERS, true);
    check("{ $.users[*].id != 3 }", USERS, true);
    check("{ $.actions[*] = PUT }", USERS, true);
    check("{ $.user.* = 1 }", USERS, true);
    check("{ $.user[*] = 1 }", USERS, false);
    check("{ $.actions.* = PUT }", USERS, false);
    check("{ $.['a.b'] = dot }", USERS, true);
    check("{ $.[\"a.b\"] = dot }", USERS, true);
    check("{ $.user['id'] = 1 }", USERS, true);
    check("{ $.a.b = dot }", USERS, false);
    check("{ $.user.id.x NOT EXISTS }", USERS, true);
    check("{ $.actions[0].x NOT EXISTS }", USERS, true);
    check("{ $.users[99999999999] NOT EXISTS }", USERS, true);
    check("{ $.esc = \"a\\\"bé\" }", USERS, true);
    check("{ $.esc = *é }", USERS, true);
}

#[test]
fn json_comparisons() {
    check("{ $.n = 1000 }", USERS, true);
    check("{ $.n = \"1e3\" }", USERS, true);
    check("{ $.n = \"1000\" }", USERS, false);
    check("{ $.n >= 1e3 }", USERS, true);
    check("{ $.n = 1* }", USERS, true);
    check("{ $.s > 59.5 }", USERS, true);
    check("{ $.s = 60.0 }", USERS, true);
    check("{ $.user.email != 5 }", USERS, true);
    check("{ $.user.email = 5 }", USERS, false);
    check("{ $.user.email < 5 }", USERS, false);
    check("{ $.user != 1 }", USERS, false);
    check("{ $.t = true }", USERS, false);
    check("{ $.t != true }", USERS, false);
    check("{ $.t IS TRUE && $.f IS FALSE && $.z IS NULL }", USERS, true);
    check("{ $.z != 1 }", USERS, false);
    check("{ $.missing != 1 }", USERS, false);
    check("{ $.z NOT EXISTS }", USERS, false);
    check("{ $.e NOT EXISTS }", USERS, false);
    check("{ $.user.email = %^John\\.S% }", USERS, true);
    check("{ $.user.email != %^John\\.S% }", USERS, false);
    check("{ $.user.id = %^1$% }", USERS, true);
    check("{ $.user.email = *example.com }", USERS, true);
    check("{ $.user.email = John* }", USERS, true);
    check("{ $.user.email = *Stiles* }", USERS, true);
    check("{ $.user.email = J*n.Stiles@example.com }", USERS, false);
    check("{ $.user.email = \"*\" }", USERS, true);
    check("{ $.user.email = ** }", USERS, true);
    check("{ $.missing = * }", USERS, false);
}

#[test]
fn json_logic_and_precedence() {
    check("{ $.t IS TRUE || $.f IS TRUE && $.z IS TRUE }", USERS, true);
    check("{ ($.t IS TRUE || $.f IS TRUE) && $.z IS TRUE }", USERS, false);
    check("{($.user.id=1)&&($.n=1000)}", USERS, true);
    check("{ (($.user.id = 2) || ($.user.id = 1)) && (($.s = 60)) }", USERS, true);
}

#[test]
fn json_patterns_need_a_json_object() {
    for message in ["", "not json", "[1]", "{\"a\":1} x", "{\"a\":1,}", "{\"a\":01}", "{'a':1}"] {
        check("{ $.a NOT EXISTS }", message, false);
        check("{ $.a = 1 }", message, false);
    }
    check("{ $.a NOT EXISTS }", " {} ", true);
}

#[test]
fn json_syntax_errors() {
    check_error(
        "{ $.a = 1",
        "at byte 9: expected `}` closing the JSON pattern, found end of pattern",
    );
    check_error("{", "at byte 1: expected `}` closing the JSON pattern, found end of pattern");
    check_error("{}", "at byte 1: expected `(` or a selector starting with `$.`, found `}`");
    check_error("{ ($.a = 1 }", "at byte 11: expected `&&`, `||` or `)`, found `}`");
    check_error(
        "{ $.a = 1) }",
        "at byte 9: expected `&&`, `||` or `}` closing the JSON pattern, found `)`",
    );
    check_error("{ $.a = \"x }", "at byte 11: expected `\"` closing the quoted string, found `}`");
    check_error("{ $.a = %x }", "at byte 11: expected `%` closing the regex, found `}`");
    check_error(
        "{ $.a == 1 }",
        "at byte 7: expected a value (a quoted string, a %regex%, a number or an unquoted string), found `=`",
    );
    check_error(
        "{ $.a IS NOT NULL }",
        "at byte 9: expected `NULL`, `TRUE` or `FALSE` after `IS`, found `NOT`",
    );
    check_error(
        "{ $.a EXISTS }",
        "at byte 6: expected `=`, `!=`, `<`, `<=`, `>`, `>=`, `IS` or `NOT EXISTS`, found `EXISTS`",
    );
    check_error(
        "{ $.a is null }",
        "at byte 6: expected `=`, `!=`, `<`, `<=`, `>`, `>=`, `IS` or `NOT EXISTS`, found `is`",
    );
    check_error(
        "{ $.a IS Null }",
        "at byte 9: expected `NULL`, `TRUE` or `FALSE` after `IS`, found `Null`",
    );
    check_error("{ $.a NOT NULL }", "at byte 10: expected `EXISTS` after `NOT`, found `NULL`");
    check_error(
        "{ $.a > \"5\" }",
        "at byte 8: expected a number after a relational operator, found `\"`",
    );
    check_error(
        "{ $.a > abc }",
        "at byte 8: expected a number after a relational operator, found `abc`",
    );
    check_error(
        "{ $.a <= %5% }",
        "at byte 9: expected a number after a relational operator, found `%`",
    );
    check_error("{ a = 1 }", "at byte 2: expected `(` or a selector starting with `$.`, found `a`");
    check_error(
        "{ $a = 1 }",
        "at byte 3: expected `.` after `$` (a selector starts with `$.`), found `a`",
    );
    check_error(
        "{ $[0] = 1 }",
        "at byte 3: expected `.` after `$` (a selector starts with `$.`), found `[`",
    );
    check_error(
        "{ $.a[x] = 1 }",
        "at byte 6: expected an index, `*` or a quoted key after `[`, found `x`",
    );
    check_error("{ $.a[0 = 1 }", "at byte 7: expected `]`, found ` `");
    check_error(
        "{ $.['a = 1 }",
        "at byte 12: expected the quote closing the bracketed key, found `}`",
    );
    check_error(
        "{ $.a = 1 & $.b = 2 }",
        "at byte 10: expected `&&`, `||` or `}` closing the JSON pattern, found `&`",
    );
    check_error(
        "{ $.a = 1 && }",
        "at byte 13: expected `(` or a selector starting with `$.`, found `}`",
    );
    check_error(
        "{ $.a = x,y }",
        "at byte 9: expected `&&`, `||` or `}` closing the JSON pattern, found `,`",
    );
}

#[test]
fn json_quotas() {
    check_error(
        "{ $.a = %x% || $.b = %y% || $.c = %z% }",
        "at byte 34: expected at most 2 regex literals in a JSON or space-delimited pattern, found 3",
    );
    check_error(
        "{ $.a[*].b[*] = 1 }",
        "at byte 10: expected at most 1 wildcard in a selector, found 2",
    );
    check_error("{ $.*.* = 1 }", "at byte 5: expected at most 1 wildcard in a selector, found 2");
    check_error(
        "{ $.a[*] = 1 || $.b[*] = 1 || $.c.* = 1 || $.d[*] = 1 }",
        "at byte 43: expected at most 3 selectors with a wildcard in a pattern, found 4",
    );
    check("{ $.a[*] = 1 || $.b[*] = 1 || $.c.* = 1 || $.d = %x% || $.e = %y% }", "{}", false);
}

#[test]
fn pattern_length_is_bounded() {
    let longest = format!("{{ $.a = \"{}\" }}", "x".repeat(limits::PATTERN_CHARS_MAX - 12));
    assert_eq!(longest.chars().count(), limits::PATTERN_CHARS_MAX);
    assert!(Pattern::parse(&longest).is_ok());
    let too_long = format!("{{ $.a = \"{}\" }}", "é".repeat(limits::PATTERN_CHARS_MAX - 11));
    let e = Pattern::parse(&too_long).unwrap_err();
    assert_eq!(e.expected, Expected::Limit(Limit::PatternChars));
    assert_eq!(e.found, Found::Count(1025));
    // The offset of the 1025th character, the closing `}`.
    assert_eq!(e.offset, too_long.len() - 1);
    assert_eq!(
        Pattern::parse(&"a".repeat(2000)).unwrap_err().to_string(),
        "at byte 1024: expected at most 1024 characters in a pattern, found 2000"
    );
}

#[test]
fn deepest_nesting_parses_prints_and_evaluates() {
    let depth = (limits::PATTERN_CHARS_MAX - 10) / 2;
    let text = format!("{{{}$.a=1{}}}", "(".repeat(depth), ")".repeat(depth));
    assert!(text.len() <= limits::PATTERN_CHARS_MAX);
    let pattern = Pattern::parse(&text).unwrap();
    assert!(pattern.matches(r#"{"a":1}"#));
    assert_eq!(pattern.to_string(), "{ $.a = 1 }");
    // Alternating operators keep every level in the tree and in the printed text.
    let mut nested = String::from("$.a=1");
    while nested.len() < limits::PATTERN_CHARS_MAX - 40 {
        nested = format!("($.b=2||{nested})&&$.c=3");
    }
    let pattern = Pattern::parse(&format!("{{{nested}}}")).unwrap();
    assert!(pattern.matches(r#"{"a":1,"c":3}"#));
    assert!(!pattern.matches(r#"{"a":1}"#));
    let printed = pattern.to_string();
    assert_eq!(printed.len(), nested.len() + 2, "compact when spaced is too long");
    assert_eq!(Pattern::parse(&printed).unwrap(), pattern);
}

// ---------- space-delimited patterns (§7) ----------

const APACHE: &str =
    r#"127.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534"#;

#[test]
fn delimited_binding() {
    check("[]", "", true);
    check("[ ]", "anything", true);
    check("[a]", "", false);
    check("[a]", "x", true);
    check("[a = x]", "x y z", false);
    check("[a = \"x y z\"]", "x y z", true);
    check("[a, b = \"y z\"]", "x y z", true);
    check("[a, b = \"\\\"y\\\" z\"]", "x \"y\" z", true);
    check("[a, b = y]", "x \"y\"", true);
    check("[...]", "", true);
    check("[..., a = z]", "x y z", true);
    check("[..., a = z]", "z", true);
    check("[..., a]", "", false);
    check("[a = x, ..., b = z]", "x z", true);
    check("[a = x, ..., b = z]", "x", false);
    check("[a = x, ...]", "x", true);
    check("[, , c = z]", "x y z", true);
    check("[a, b, c]", "x  y\tz", true);
    check("[a = \"unterminated tail\"]", "\"unterminated tail", true);
    check("[a, b = \"bracketed\"]", "x [bracketed", true);
    check("[a, b = 1 || b = 2, c]", "x 2 y", true);
    check("[a, b != 1 && b != 2, c]", "x 2 y", false);
    check("[a, b > 1.5 && b <= 2e0, c]", "x 2 y", true);
    check("[a, b = %^[0-9]+$%, c]", "x 22 y", true);
    check("[a, b != %^[0-9]+$%, c]", "x 22 y", false);
    check(
        "[ip, user, username, timestamp, request = *.html*, status_code = 4*, bytes]",
        APACHE,
        true,
    );
    check("[a, b, c, d, e, f = 404, g > 1000]", APACHE, true);
    check("[a, b, c, d, e, f != 404, g]", APACHE, false);
}

#[test]
fn delimited_syntax_errors() {
    check_error(
        "[a, b",
        "at byte 5: expected `]` closing the space-delimited pattern, found end of pattern",
    );
    check_error("[..., ...]", "at byte 6: expected at most 1 `...` in a pattern, found 2");
    check_error(
        "[a, b = 1 && c = 2]",
        "at byte 13: expected a condition on `b`, the entry's own field, found `c`",
    );
    check_error(
        "[a, b IS NULL]",
        "at byte 6: expected `=`, `!=`, `<`, `<=`, `>` or `>=`, found `I`",
    );
    check_error("[a, (b = 1)]", "at byte 4: expected a field name, `...` or `,`, found `(`");
    check_error("[a b]", "at byte 3: expected `=`, `!=`, `<`, `<=`, `>` or `>=`, found `b`");
    check_error("[a, .., b]", "at byte 4: expected `...`, found `.`");
    check_error(
        "[a = %x%, b = %y%, c = %z%]",
        "at byte 23: expected at most 2 regex literals in a JSON or space-delimited pattern, found 3",
    );
}

#[test]
fn extracted_values_follow_the_documented_example() {
    let pattern = Pattern::parse("[..., request=*.html*, status_code=4*,]").unwrap();
    let event = Event::parse(APACHE);
    let found = pattern.find(&event).unwrap();
    let values = found.extracted_values();
    let expected = [
        ("$1", "127.0.0.1"),
        ("$2", "Prod"),
        ("$3", "frank"),
        ("$4", "10/Oct/2000:13:25:15 -0700"),
        ("$request", "GET /index.html HTTP/1.0"),
        ("$status_code", "404"),
        ("$7", "1534"),
    ];
    let values: Vec<(&str, &str)> = values.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(values, expected);
    let bytes = FieldRef::parse("$7").unwrap();
    assert_eq!(found.metric_value(&MetricValue::Field(bytes)), Some(1534.0));
    let status = FieldRef::parse("$status_code").unwrap();
    assert_eq!(found.resolve(&status).unwrap().dimension_value(), Some("404"));
    assert!(found.resolve(&FieldRef::parse("$5").unwrap()).is_none());
}

#[test]
fn the_last_entry_absorbs_the_rest_of_the_line() {
    let pattern = Pattern::parse("[level, message]").unwrap();
    let line = "ERROR  \"disk\" full [now]  ";
    let event = Event::parse(line);
    let found = pattern.find(&event).unwrap();
    let values = found.extracted_values();
    assert_eq!(values[1], ("$message".to_owned(), "\"disk\" full [now]".to_owned()));
    let pattern = Pattern::parse("[level, ]").unwrap();
    let found = pattern.find(&event).unwrap();
    let keys: Vec<String> = found.extracted_values().into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["$level", "$2", "$3", "$4"]);
}

// ---------- metric field references (§10) ----------

#[test]
fn field_references() {
    assert_eq!(FieldRef::parse("$.a.b[0]").unwrap().to_string(), "$.a.b[0]");
    assert_eq!(FieldRef::parse("$name").unwrap(), FieldRef::Named("name".into()));
    assert_eq!(FieldRef::parse("$7").unwrap(), FieldRef::Positional(7));
    assert_eq!(FieldRef::parse("$1x").unwrap(), FieldRef::Named("1x".into()));
    assert_eq!(
        FieldRef::parse("$.a[*]").unwrap_err().to_string(),
        "at byte 0: expected a selector without wildcards, found `$.a[*]`"
    );
    assert_eq!(
        FieldRef::parse("$0").unwrap_err().to_string(),
        "at byte 1: expected a field position from 1 to 4294967295, found `0`"
    );
    assert_eq!(
        FieldRef::parse("latency").unwrap_err().to_string(),
        "at byte 0: expected a field reference: `$.selector`, `$name` or `$N`, found `l`"
    );
    assert_eq!(
        FieldRef::parse("$.a b").unwrap_err().to_string(),
        "at byte 3: expected end of the field reference, found ` `"
    );
    assert!(FieldRef::parse(&format!("$.{}", "a".repeat(253))).is_ok());
    assert_eq!(
        FieldRef::parse(&format!("$.{}", "a".repeat(254))).unwrap_err().expected,
        Expected::Limit(Limit::DimensionValueChars)
    );
    assert_eq!(MetricValue::parse("1.5").unwrap().to_string(), "1.5");
    assert!(matches!(MetricValue::parse("$.latency").unwrap(), MetricValue::Field(_)));
    assert_eq!(
        MetricValue::parse(&format!("$.{}", "a".repeat(99))).unwrap_err().expected,
        Expected::Limit(Limit::MetricValueChars)
    );
}

#[test]
fn metric_values_and_dimensions() {
    let pattern = Pattern::parse("{ $.latency = * }").unwrap();
    let value = |message: &str, field: &str| {
        let event = Event::parse(message);
        let found = pattern.find(&event)?;
        found.metric_value(&MetricValue::parse(field).unwrap())
    };
    assert_eq!(value(r#"{"latency":50}"#, "$.latency"), Some(50.0));
    assert_eq!(value(r#"{"latency":"2.5e1"}"#, "$.latency"), Some(25.0));
    assert_eq!(value(r#"{"latency":"fast"}"#, "$.latency"), None);
    assert_eq!(value(r#"{"latency":50}"#, "$.missing"), None);
    assert_eq!(value(r#"{"latency":50}"#, "3"), Some(3.0));
    assert_eq!(value(r#"{"latency":50,"t":true}"#, "$.t"), None);
    assert_eq!(value(r#"{"latency":null}"#, "$.latency"), None);
    let event = Event::parse(r#"{"latency":50.10,"name":"a\u0041","o":{},"b":false}"#);
    let found = pattern.find(&event).unwrap();
    let resolve = |field: &str| found.resolve(&FieldRef::parse(field).unwrap());
    assert_eq!(resolve("$.latency").unwrap().dimension_value(), Some("50.10"));
    assert_eq!(resolve("$.name").unwrap().dimension_value(), Some("aA"));
    assert_eq!(resolve("$.o").unwrap().kind(), ValueKind::Object);
    assert_eq!(resolve("$.o").unwrap().dimension_value(), None);
    assert_eq!(resolve("$.b").unwrap().text(), "false");
    assert!(found.extracted_values().is_empty());
    assert!(pattern.supports(&FieldRef::parse("$.x").unwrap()));
    assert!(!pattern.supports(&FieldRef::parse("$x").unwrap()));
    let delimited = Pattern::parse("[a, b]").unwrap();
    assert!(delimited.supports(&FieldRef::parse("$b").unwrap()));
    assert!(delimited.supports(&FieldRef::parse("$3").unwrap()));
    assert!(!delimited.supports(&FieldRef::parse("$c").unwrap()));
    assert!(!Pattern::parse("ERROR").unwrap().supports(&FieldRef::parse("$.a").unwrap()));
}

#[test]
fn oversized_events_match_nothing() {
    let big = format!("{{\"a\":\"{}\"}}", "x".repeat(limits::EVENT_BYTES_MAX));
    let event = Event::parse(&big);
    assert!(event.is_oversized());
    for pattern in ["", "a", "{ $.a = * }", "[a]"] {
        let pattern = Pattern::parse(pattern).unwrap();
        assert!(!pattern.matches(&big));
        assert!(!pattern.matches_event(&event));
        assert!(pattern.find(&event).is_none());
    }
    let fits = format!("{{\"a\":\"{}\"}}", "x".repeat(limits::EVENT_BYTES_MAX - 8));
    assert!(Pattern::parse("{ $.a = x* }").unwrap().matches(&fits));
}

#[test]
fn has_regex() {
    assert!(Pattern::parse("%a%").unwrap().has_regex());
    assert!(Pattern::parse("{ $.a = 1 || $.b != %x% }").unwrap().has_regex());
    assert!(Pattern::parse("[a = 1 || a = %x%]").unwrap().has_regex());
    assert!(!Pattern::parse("{ $.a = \"%x%\" }").unwrap().has_regex());
    assert!(!Pattern::parse("a%b%").unwrap().has_regex());
}

// ---------- events (§6.1) ----------

#[test]
fn event_json_reading() {
    let valid = [
        "{}",
        " { } ",
        r#"{"a":[1,-0,0.5,1e5,1E-5,-1.5e+3,true,false,null,"",{},[]]}"#,
        r#"{"a":"\"\\\/\b\f\n\r\t\u0041\ud83d\ude00\ud800"}"#,
        "{\"a\":\"é\u{1F600}\"}",
        "{\"a\" :\t1 ,\n\"b\"\r: [ 1 , 2 ] }",
    ];
    for text in valid {
        assert!(Event::parse(text).is_json_object(), "{text}");
    }
    let invalid = [
        "",
        "[]",
        "1",
        "\"x\"",
        "{",
        "}",
        "{\"a\"}",
        "{\"a\":}",
        "{\"a\":1,}",
        "{,}",
        "{\"a\":[1,]}",
        "{\"a\":01}",
        "{\"a\":1.}",
        "{\"a\":.5}",
        "{\"a\":+1}",
        "{\"a\":1e}",
        "{\"a\":-}",
        "{\"a\":tru}",
        "{\"a\":nul}",
        "{\"a\":\"\u{1}\"}",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\\u12G4\"}",
        "{\"a\":\"abc}",
        "{a:1}",
        "{\"a\":1}{}",
        "{\"a\":1} x",
        "{\"a\":[}",
        "{\"a\":{]}",
        "{\"a\":1 \"b\":2}",
        "{'a':1}",
        "{\"a\":NaN}",
    ];
    for text in invalid {
        assert!(!Event::parse(text).is_json_object(), "{text}");
    }
}

#[test]
fn deeply_nested_events_do_not_overflow() {
    let depth = 100_000;
    let text = format!("{{\"a\":{}1{}}}", "[".repeat(depth), "]".repeat(depth));
    let event = Event::parse(&text);
    assert!(event.is_json_object());
    assert!(!Pattern::parse("{ $.a[0][0][0] NOT EXISTS }").unwrap().matches_event(&event));
    assert!(!Pattern::parse("{ $.a[*][0][0] NOT EXISTS }").unwrap().matches_event(&event));
    assert!(Pattern::parse("{ $.a[0][1] NOT EXISTS }").unwrap().matches_event(&event));
    let unbalanced = format!("{{\"a\":{}", "[".repeat(depth));
    assert!(!Event::parse(&unbalanced).is_json_object());
}

#[test]
fn duplicate_keys_keep_the_last_value() {
    check("{ $.a = 2 }", r#"{"a":1,"a":2}"#, true);
    check("{ $.a = 1 }", r#"{"a":1,"a":2}"#, false);
    check("{ $.o.a = 2 }", r#"{"o":{"a":1,"a":2}}"#, true);
    check("{ $.o.a = 1 }", r#"{"o":{"a":1,"a":2}}"#, false);
    check("{ $.a = 2 }", r#"{"a":1,"\u0061":2}"#, true);
    check("{ $.abcdefghijklmnopq = 2 }", r#"{"abcdefghijklmnopq":1,"abcdefghijklmnopq":2}"#, true);
    check("{ $.abcdefghijklmnopq = 1 }", r#"{"abcdefghijklmnopq":1,"abcdefghijklmnopq":2}"#, false);
}

#[test]
fn long_and_escaped_names_and_values() {
    let text = r#"{"abcdefghijklmnopqrstu":"vwxyzabcdefghijklmnopq","abcdefghijklmnopqrstv":"x","k\"q":"v\u0041"}"#;
    check("{ $.abcdefghijklmnopqrstu = vwxyzabcdefghijklmnopq }", text, true);
    check("{ $.abcdefghijklmnopqrstu = vwxyzabcdefghijklmnopr }", text, false);
    check("{ $.abcdefghijklmnopqrstv = x }", text, true);
    check("{ $.['k\"q'] = vA }", text, true);
    check("{ $.['k\"q'] = vA || $.['k\"q'] = x }", text, true);
    check("{ $.['k\"q'] != vA }", text, false);
    check(
        "{ $.abcdefghijklmnopqrstu = a || $.abcdefghijklmnopqrstu = vwxyzabcdefghijklmnopq }",
        text,
        true,
    );
}

// ---------- regex (§5) ----------

#[test]
fn regex_syntax() {
    let ok = [
        "a",
        "^a$",
        "a|b|",
        "[a-z]",
        "[^a-z]",
        "[]a]",
        "[^]a]",
        "[a-]",
        "[-a]",
        "[\\]]",
        "[\\d\\s]",
        "\\x25",
        "\\x3a",
        "a{2}",
        "a{2,}",
        "a{,2}",
        "a{2,3}",
        "a*?",
        "a+?",
        "a??",
        "a{1,2}?",
        "}",
        "]",
        "a b",
        ":_#=@/;,-",
        "\\^\\$\\?\\[\\]\\{\\}\\|\\\\\\*\\+\\.\\:\\_\\#\\=\\@\\/\\;\\,\\-",
        "[$^.*+?{}|]",
    ];
    for body in ok {
        assert!(Regex::new(body).is_ok(), "{body}: {}", Regex::new(body).unwrap_err());
    }
    let bad = [
        ("", "at byte 0: expected a non-empty regex, found end of pattern"),
        (
            "(a)",
            "at byte 0: expected a letter, a digit, a space, one of `:_#=@/;,-` or a regex operator, found `(`",
        ),
        (
            "a!",
            "at byte 1: expected a letter, a digit, a space, one of `:_#=@/;,-` or a regex operator, found `!`",
        ),
        (
            "é",
            "at byte 0: expected a letter, a digit, a space, one of `:_#=@/;,-` or a regex operator, found `é`",
        ),
        (
            "a\tb",
            "at byte 1: expected a letter, a digit, a space, one of `:_#=@/;,-` or a regex operator, found `\\t`",
        ),
        (
            "\\p",
            "at byte 1: expected `d`, `D`, `s`, `S`, `w`, `W`, `x` followed by two hex digits, or an operator or symbol, found `p`",
        ),
        (
            "\\",
            "at byte 1: expected `d`, `D`, `s`, `S`, `w`, `W`, `x` followed by two hex digits, or an operator or symbol, found end of pattern",
        ),
        ("\\x8F", "at byte 2: expected two hex digits of an ASCII code after `\\x`, found `8`"),
        ("\\xZ1", "at byte 2: expected two hex digits of an ASCII code after `\\x`, found `Z`"),
        (
            "*a",
            "at byte 0: expected a character, `.`, a class or an escape before a quantifier, found `*`",
        ),
        (
            "a|+",
            "at byte 2: expected a character, `.`, a class or an escape before a quantifier, found `+`",
        ),
        (
            "^*",
            "at byte 1: expected a character, `.`, a class or an escape before a quantifier, found `*`",
        ),
        (
            "a**",
            "at byte 2: expected a character, `.`, a class or an escape before a quantifier, found `*`",
        ),
        (
            "a*?+",
            "at byte 3: expected a character, `.`, a class or an escape before a quantifier, found `+`",
        ),
        ("a{", "at byte 2: expected a digit, `,` or `}`, found end of pattern"),
        ("a{}", "at byte 2: expected a repetition count between `{` and `}`, found `}`"),
        ("a{,}", "at byte 3: expected a repetition count before or after `,`, found `}`"),
        ("a{1,2", "at byte 5: expected a digit or `}`, found end of pattern"),
        (
            "a{3,2}",
            "at byte 1: expected a repetition minimum no larger than its maximum, found `{3,2}`",
        ),
        ("a{1001}", "at byte 2: expected a repetition count of at most 1000, found 1001"),
        ("[a", "at byte 2: expected `]` closing the character class, found end of pattern"),
        ("[[]", "at byte 1: expected `\\[` (a `[` inside a class must be escaped), found `[`"),
        ("[a--]", "at byte 3: expected a range end other than an unescaped `-`, found `-`"),
        ("[z-a]", "at byte 3: expected a range end no smaller than its start, found `a`"),
        ("[a-\\d]", "at byte 3: expected a single character ending the range, found `\\`"),
        (
            "[(]",
            "at byte 1: expected a letter, a digit, a space, one of `:_#=@/;,-^$?{}|*+.` or an escape in a class, found `(`",
        ),
    ];
    for (body, message) in bad {
        match Regex::new(body) {
            Ok(_) => panic!("{body} accepted"),
            Err(e) => assert_eq!(e.to_string(), message, "{body}"),
        }
    }
    assert!(Regex::new(&"a{1000}".repeat(2)).is_ok());
    assert_eq!(
        Regex::new(&"a{1000}".repeat(3)).unwrap_err().to_string(),
        "at byte 14: expected a regex of at most 2048 positions once repetitions are unrolled, found 3001"
    );
    check_error(
        "x %a\\%b%",
        "at byte 5: expected `d`, `D`, `s`, `S`, `w`, `W`, `x` followed by two hex digits, or an operator or symbol, found `%`",
    );
}

#[test]
fn regex_matching() {
    let cases = [
        ("AUTHORIZED", "UNAUTHORIZED", true),
        ("^a", "ba", false),
        ("a$", "ab", false),
        ("a$", "ba\n", false),
        ("^$", "", true),
        ("^a|b$", "xb", true),
        ("a|", "zzz", true),
        (".", "\n", false),
        ("[^a]", "\n", true),
        ("[^a]", "é", true),
        ("\\W", "é", true),
        ("\\w", "é", false),
        ("a.c", "aéc", true),
        ("\\s", "\r", false),
        ("\\S", "\r", true),
        ("\\d{3}", "12a345", true),
        ("\\d{4}", "12a345", false),
        ("x{0}", "", true),
        ("^a{2,3}$", "aaaa", false),
        ("^a{,3}$", "aaa", true),
        ("^a{2,}$", "aaaaaaa", true),
        ("ab*?c", "abbbc", true),
        ("[\\x41-\\x43]", "B", true),
        ("\\x25", "100%", true),
        ("a^b", "a^b", false),
        ("a\\^b", "a^b", true),
        ("^(?)", "", false),
    ];
    for (body, subject, expected) in cases {
        let Ok(regex) = Regex::new(body) else {
            assert!(!expected, "{body} rejected");
            continue;
        };
        assert_eq!(regex.is_match(subject), expected, "%{body}% on {subject:?}");
    }
    let wide = Regex::new(&format!("^{}b", "a?".repeat(300))).unwrap();
    assert!(wide.is_match(&format!("{}b", "a".repeat(300))));
    assert!(!wide.is_match(&format!("{}b", "a".repeat(301))));
    assert!(wide.is_match("b"));
    let many = Regex::new(&"x|".repeat(100)).unwrap();
    assert!(many.is_match(""));
}

/// A naive backtracking matcher for the regex subset produced by `regex_body`, to check the
/// bit-parallel NFA against.
fn reference_match(body: &str, subject: &str) -> bool {
    #[derive(Clone, Debug)]
    enum Atom {
        Class(Vec<char>, bool),
        Any,
        Start,
        End,
    }
    fn atom_matches(atom: &Atom, c: char) -> bool {
        match atom {
            Atom::Class(chars, negated) => chars.contains(&c) != *negated,
            Atom::Any => c != '\n',
            Atom::Start | Atom::End => false,
        }
    }
    fn parse(alternative: &str) -> Vec<(Atom, usize, usize)> {
        let chars: Vec<char> = alternative.chars().collect();
        let mut items = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let atom = match chars[i] {
                '^' => Atom::Start,
                '$' => Atom::End,
                '.' => Atom::Any,
                '\\' => {
                    i += 1;
                    Atom::Class(('0'..='9').collect(), chars[i] == 'D')
                }
                '[' => {
                    let negated = chars[i + 1] == '^';
                    let start = if negated { i + 2 } else { i + 1 };
                    let end = start + chars[start..].iter().position(|&c| c == ']').unwrap();
                    i = end;
                    Atom::Class(chars[start..end].to_vec(), negated)
                }
                c => Atom::Class(vec![c], false),
            };
            i += 1;
            let (min, max) = match chars.get(i) {
                Some('*') => (0, usize::MAX),
                Some('+') => (1, usize::MAX),
                Some('?') => (0, 1),
                Some('{') => {
                    let end = i + chars[i..].iter().position(|&c| c == '}').unwrap();
                    let inside: String = chars[i + 1..end].iter().collect();
                    i = end;
                    let (m, n) = inside.split_once(',').unwrap();
                    (m.parse().unwrap_or(0), n.parse().unwrap_or(usize::MAX))
                }
                _ => {
                    items.push((atom, 1, 1));
                    continue;
                }
            };
            i += 1;
            items.push((atom, min, max));
        }
        items
    }
    fn run(items: &[(Atom, usize, usize)], subject: &[char], pos: usize) -> bool {
        let Some(((atom, min, max), rest)) = items.split_first() else { return true };
        match atom {
            Atom::Start => return pos == 0 && run(rest, subject, pos),
            Atom::End => return pos == subject.len() && run(rest, subject, pos),
            _ => {}
        }
        let mut count = 0;
        let mut at = pos;
        loop {
            if count >= *min && run(rest, subject, at) {
                return true;
            }
            if count == *max || at >= subject.len() || !atom_matches(atom, subject[at]) {
                return false;
            }
            count += 1;
            at += 1;
        }
    }
    let subject: Vec<char> = subject.chars().collect();
    body.split('|').any(|alternative| {
        let items = parse(alternative);
        (0..=subject.len()).any(|start| run(&items, &subject, start))
    })
}

fn regex_body() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        Just("a".to_owned()),
        Just("b".to_owned()),
        Just(".".to_owned()),
        Just("[ab]".to_owned()),
        Just("[^a]".to_owned()),
        Just("\\d".to_owned()),
        Just("\\D".to_owned()),
    ];
    let quantifier = prop_oneof![
        3 => Just(String::new()),
        1 => Just("*".to_owned()),
        1 => Just("+".to_owned()),
        1 => Just("?".to_owned()),
        1 => (0usize..3, 0usize..3).prop_map(|(m, n)| format!("{{{m},{}}}", m + n)),
        1 => (0usize..3).prop_map(|m| format!("{{{m},}}")),
    ];
    let item = prop_oneof![
        8 => (atom, quantifier).prop_map(|(a, q)| a + &q),
        1 => Just("^".to_owned()),
        1 => Just("$".to_owned()),
    ];
    let alternative = prop::collection::vec(item, 1..5).prop_map(|items| items.concat());
    prop::collection::vec(alternative, 1..3).prop_map(|alternatives| alternatives.join("|"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn regex_agrees_with_a_backtracking_reference(
        body in regex_body(),
        subject in "[ab1\n é]{0,8}",
    ) {
        let regex = Regex::new(&body).unwrap();
        prop_assert_eq!(regex.is_match(&subject), reference_match(&body, &subject), "%{}% on {:?}", body, subject);
    }
}

// ---------- printing ----------

#[test]
fn printing_is_canonical() {
    check_print(
        "{($.eventName=ConsoleLogin)&&($.errorMessage=\"Failed authentication\")}",
        "{ $.eventName = ConsoleLogin && $.errorMessage = \"Failed authentication\" }",
    );
    check_print("{ $.a = 1 || ($.b = 2 || $.c = 3) }", "{ $.a = 1 || ($.b = 2 || $.c = 3) }");
    check_print("{ ($.a = 1 && $.b = 2) || $.c = 3 }", "{ $.a = 1 && $.b = 2 || $.c = 3 }");
    check_print("{ $.a = 1 && ($.b = 2 && $.c = 3) }", "{ $.a = 1 && ($.b = 2 && $.c = 3) }");
    check_print(
        "{ $.a = \"400\" && $.b = \"x y\" && $.c = \"a\\\"b\" && $.d = \"\" }",
        "{ $.a = \"400\" && $.b = \"x y\" && $.c = \"a\\\"b\" && $.d = \"\" }",
    );
    check_print(
        "{ $.a = +1E3 && $.b = *.html* && $.c = %x\\.y% }",
        "{ $.a = +1E3 && $.b = *.html* && $.c = %x\\.y% }",
    );
    check_print("{ $.['a.b'].[\"it's\"][0].*.c-d = x }", "{ $.['a.b'][\"it's\"][0].*.c-d = x }");
    check_print(
        "{ $.a = x\\y && $.b = é && $.c = a{b} && $.d = ' }",
        "{ $.a = x\\y && $.b = é && $.c = a{b} && $.d = ' }",
    );
    check_print("a {b - ?", "a {b - ?");
    check_print("{ $.a[*] IS NULL || $.b NOT   EXISTS }", "{ $.a[*] IS NULL || $.b NOT EXISTS }");
    check_print(
        "[ ..., request=*.html*, status_code=4*,]",
        "[..., request = *.html*, status_code = 4*, ]",
    );
    check_print("[w1=ERROR||w1=WARN&&w1!=X, w2]", "[w1 = ERROR || w1 = WARN && w1 != X, w2]");
    check_print("  ERROR   -\"a b\" ?%x% \"-y\" \"{z\" ", "ERROR -\"a b\" ?%x% \"-y\" {z");
    check_print("\"{z\" a", "\"{z\" a");
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just('a'),
            Just('Z'),
            Just('0'),
            Just(' '),
            Just('"'),
            Just('\\'),
            Just('-'),
            Just('?'),
            Just('%'),
            Just('{'),
            Just('['),
            Just('*'),
            Just('.'),
            Just(','),
            Just(')'),
            Just('é'),
            Just('\t'),
            Just('='),
            Just('$'),
            Just('\''),
        ],
        0..6,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn number() -> impl Strategy<Value = Number> {
    prop::sample::select(vec!["0", "-1", "+1000", "55.5", "1e-3", "1E+3", ".5", "5.", "10e3"])
        .prop_map(|text| Number::parse(text).unwrap())
}

fn regex() -> impl Strategy<Value = Regex> {
    prop::sample::select(vec!["a", "^a|b$", "[a-c]+", "\\d{2,}", "x\\x25", "b, c", "\\%"])
        .prop_filter_map("valid", |body| Regex::new(body).ok())
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => text().prop_map(Value::String),
        1 => number().prop_map(Value::Number),
        1 => regex().prop_map(Value::Regex),
    ]
}

fn comparison() -> impl Strategy<Value = Comparison> {
    prop_oneof![
        value().prop_map(Comparison::Eq),
        value().prop_map(Comparison::Ne),
        number().prop_map(Comparison::Lt),
        number().prop_map(Comparison::Le),
        number().prop_map(Comparison::Gt),
        number().prop_map(Comparison::Ge),
    ]
}

fn selector() -> impl Strategy<Value = Selector> {
    let name = prop_oneof![
        prop::sample::select(vec!["a", "eventName", "x-y_z", "1"]).prop_map(str::to_owned),
        text().prop_filter("printable", |key| !(key.contains('\'') && key.contains('"'))),
    ];
    let step = prop_oneof![
        name.clone().prop_map(Step::Member),
        (0u32..3).prop_map(Step::Index),
        Just(Step::AnyMember),
        Just(Step::AnyIndex),
    ];
    let first = prop_oneof![3 => name.prop_map(Step::Member), 1 => Just(Step::AnyMember)];
    (first, prop::collection::vec(step, 0..3))
        .prop_map(|(first, rest)| Selector { steps: std::iter::once(first).chain(rest).collect() })
        .prop_filter("one wildcard", |selector| {
            selector.steps.iter().filter(|s| matches!(s, Step::AnyMember | Step::AnyIndex)).count()
                <= 1
        })
}

fn condition() -> impl Strategy<Value = Condition> {
    let test = prop_oneof![
        4 => comparison().prop_map(Test::Compare),
        1 => Just(Test::IsNull),
        1 => Just(Test::IsTrue),
        1 => Just(Test::IsFalse),
        1 => Just(Test::NotExists),
    ];
    (selector(), test).prop_map(|(selector, test)| Condition { selector, test })
}

fn json_expr() -> impl Strategy<Value = BoolExpr<Condition>> {
    condition().prop_map(BoolExpr::Leaf).prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(BoolExpr::Or),
            prop::collection::vec(inner, 2..4).prop_map(BoolExpr::And),
        ]
    })
}

fn entries() -> impl Strategy<Value = Vec<Entry>> {
    let name = "[a-z_0-9]{1,4}";
    let leaf = comparison().prop_map(BoolExpr::Leaf);
    let all = prop::collection::vec(leaf, 1..3).prop_map(|mut leaves| {
        if leaves.len() == 1 { leaves.remove(0) } else { BoolExpr::And(leaves) }
    });
    let condition = prop::collection::vec(all, 1..3)
        .prop_map(|mut ands| if ands.len() == 1 { ands.remove(0) } else { BoolExpr::Or(ands) });
    let entry = prop_oneof![
        1 => Just(Entry::Ellipsis),
        1 => Just(Entry::Unnamed),
        4 => (name, prop::option::of(condition))
            .prop_map(|(name, condition)| Entry::Field { name, condition }),
    ];
    prop::collection::vec(entry, 0..5).prop_filter("printable", |entries| {
        entries.iter().filter(|e| matches!(e, Entry::Ellipsis)).count() <= 1
            && !matches!(entries.as_slice(), [Entry::Unnamed])
    })
}

fn ast() -> impl Strategy<Value = Ast> {
    let term_text = prop_oneof![3 => text().prop_map(TermText::Literal), 1 => regex().prop_map(TermText::Regex)];
    let kind =
        prop_oneof![Just(TermKind::Include), Just(TermKind::Exclude), Just(TermKind::Optional)];
    let term = (kind, term_text).prop_map(|(kind, text)| Term { kind, text });
    prop_oneof![
        Just(Ast::MatchAll),
        prop::collection::vec(term, 1..5).prop_map(Ast::Terms),
        json_expr().prop_map(Ast::Json),
        entries().prop_map(Ast::Delimited),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn printed_trees_parse_back_to_themselves(ast in ast()) {
        let printed = ast.to_string();
        match Pattern::parse(&printed) {
            Ok(parsed) => {
                prop_assert_eq!(parsed.ast(), &ast, "printed as `{}`", printed);
                prop_assert_eq!(parsed.to_string(), printed);
            }
            // Trees over a quota or the length limit do not parse, and say so.
            Err(e) => prop_assert!(
                matches!(
                    e.expected,
                    Expected::Limit(
                        Limit::RegexesPerPattern
                            | Limit::WildcardSelectorsPerPattern
                            | Limit::PatternChars
                    )
                ),
                "`{}`: {}", printed, e
            ),
        }
    }
}

// ---------- JSON evaluation against a reference (§6.4) ----------

/// A JSON value that remembers its number spellings, with a reference evaluator written
/// directly from the tables of §6.4.
#[derive(Debug, Clone)]
enum Json {
    Null,
    Bool(bool),
    Number(&'static str),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(text) => out.push_str(text),
            Json::String(s) => {
                out.push('"');
                for c in s.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        'é' => out.push_str("\\u00e9"),
                        c => out.push(c),
                    }
                }
                out.push('"');
            }
            Json::Array(items) => {
                out.push('[');
                for (idx, item) in items.iter().enumerate() {
                    if idx > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Object(members) => {
                out.push('{');
                for (idx, (key, value)) in members.iter().enumerate() {
                    if idx > 0 {
                        out.push(',');
                    }
                    Json::String(key.clone()).write(out);
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }

    fn select<'a>(&'a self, steps: &[Step], out: &mut Vec<&'a Json>) {
        let Some((step, rest)) = steps.split_first() else {
            out.push(self);
            return;
        };
        match (step, self) {
            (Step::Member(name), Json::Object(members)) => {
                if let Some((_, value)) = members.iter().rev().find(|(key, _)| key == name) {
                    value.select(rest, out);
                }
            }
            (Step::Index(index), Json::Array(items)) => {
                if let Some(item) = items.get(*index as usize) {
                    item.select(rest, out);
                }
            }
            (Step::AnyMember, Json::Object(members)) => {
                for (_, value) in members {
                    value.select(rest, out);
                }
            }
            (Step::AnyIndex, Json::Array(items)) => {
                for item in items {
                    item.select(rest, out);
                }
            }
            _ => {}
        }
    }

    fn holds(&self, condition: &Condition) -> bool {
        let mut nodes = Vec::new();
        self.select(&condition.selector.steps, &mut nodes);
        let numeric = |node: &Json| match node {
            Json::Number(text) => text.parse::<f64>().ok(),
            Json::String(s) => number::numeric_value(s),
            _ => None,
        };
        let text = |node: &Json| match node {
            Json::Number(text) => Some(text.to_string()),
            Json::String(s) => Some(s.clone()),
            _ => None,
        };
        let wildcard = |pattern: &str, text: &str| -> bool {
            let lead = pattern.starts_with('*');
            let trail = pattern.ends_with('*') && pattern.len() > 1;
            if pattern == "*" {
                true
            } else if lead && trail {
                text.contains(&pattern[1..pattern.len() - 1])
            } else if lead {
                text.ends_with(&pattern[1..])
            } else if trail {
                text.starts_with(&pattern[..pattern.len() - 1])
            } else {
                text == pattern
            }
        };
        let equals = |node: &Json, value: &Value| -> Option<bool> {
            let text = text(node)?;
            Some(match value {
                Value::String(s) => wildcard(s, &text),
                Value::Number(n) => numeric(node) == Some(n.value()),
                Value::Regex(r) => r.is_match(&text),
            })
        };
        match &condition.test {
            Test::NotExists => nodes.is_empty(),
            Test::IsNull => nodes.iter().any(|n| matches!(n, Json::Null)),
            Test::IsTrue => nodes.iter().any(|n| matches!(n, Json::Bool(true))),
            Test::IsFalse => nodes.iter().any(|n| matches!(n, Json::Bool(false))),
            Test::Compare(comparison) => nodes.iter().any(|node| match comparison {
                Comparison::Eq(value) => equals(node, value) == Some(true),
                Comparison::Ne(Value::Number(n)) => {
                    text(node).is_some() && numeric(node) != Some(n.value())
                }
                Comparison::Ne(value) => equals(node, value) == Some(false),
                Comparison::Lt(n) => numeric(node).is_some_and(|x| x < n.value()),
                Comparison::Le(n) => numeric(node).is_some_and(|x| x <= n.value()),
                Comparison::Gt(n) => numeric(node).is_some_and(|x| x > n.value()),
                Comparison::Ge(n) => numeric(node).is_some_and(|x| x >= n.value()),
            }),
        }
    }

    fn eval(&self, expr: &BoolExpr<Condition>) -> bool {
        match expr {
            BoolExpr::Or(operands) => operands.iter().any(|e| self.eval(e)),
            BoolExpr::And(operands) => operands.iter().all(|e| self.eval(e)),
            BoolExpr::Leaf(condition) => self.holds(condition),
        }
    }
}

const KEYS: [&str; 3] = ["a", "b", "abcdefghijklmnopqrs"];
const STRINGS: [&str; 7] = ["x", "", "1", "1e3", "é\"x", "abcdefghijklmnopqrsé", "x y"];
const NUMBERS: [&str; 5] = ["1", "1.0", "1000", "1e3", "-5"];

fn json_value() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        prop::sample::select(NUMBERS.to_vec()).prop_map(Json::Number),
        prop::sample::select(STRINGS.to_vec()).prop_map(|s| Json::String(s.to_owned())),
    ];
    leaf.prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Json::Array),
            prop::collection::vec(
                (prop::sample::select(KEYS.to_vec()).prop_map(str::to_owned), inner),
                0..4
            )
            .prop_map(Json::Object),
        ]
    })
}

fn small_condition() -> impl Strategy<Value = Condition> {
    let key = prop::sample::select(KEYS.to_vec()).prop_map(|k| Step::Member(k.to_owned()));
    let step = prop_oneof![
        3 => key.clone(),
        2 => (0u32..2).prop_map(Step::Index),
        1 => Just(Step::AnyMember),
        1 => Just(Step::AnyIndex),
    ];
    let selector = (key, prop::collection::vec(step, 0..2))
        .prop_map(|(first, rest)| Selector { steps: std::iter::once(first).chain(rest).collect() })
        .prop_filter("one wildcard", |s| {
            s.steps.iter().filter(|s| matches!(s, Step::AnyMember | Step::AnyIndex)).count() <= 1
        });
    let string = prop::sample::select(vec![
        "x",
        "*",
        "1*",
        "*e3",
        "*x*",
        "",
        "1e3",
        "x y",
        "é\"x",
        "abcdefghijklmnopqrsé",
    ])
    .prop_map(|s| Value::String(s.to_owned()));
    let num = prop::sample::select(vec!["1", "1000", "-5", "1e3", "0.5"])
        .prop_map(|n| Number::parse(n).unwrap());
    let value = prop_oneof![
        3 => string,
        2 => num.clone().prop_map(Value::Number),
        1 => Just(Value::Regex(Regex::new("^1|y$").unwrap())),
    ];
    let test = prop_oneof![
        3 => value.clone().prop_map(|v| Test::Compare(Comparison::Eq(v))),
        2 => value.prop_map(|v| Test::Compare(Comparison::Ne(v))),
        1 => num.clone().prop_map(|n| Test::Compare(Comparison::Lt(n))),
        1 => num.prop_map(|n| Test::Compare(Comparison::Ge(n))),
        1 => Just(Test::IsNull),
        1 => Just(Test::IsTrue),
        1 => Just(Test::NotExists),
    ];
    (selector, test).prop_map(|(selector, test)| Condition { selector, test })
}

fn small_expr() -> impl Strategy<Value = BoolExpr<Condition>> {
    small_condition().prop_map(BoolExpr::Leaf).prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..5).prop_map(BoolExpr::Or),
            prop::collection::vec(inner, 2..4).prop_map(BoolExpr::And),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn json_evaluation_agrees_with_the_reference(
        members in prop::collection::vec((prop::sample::select(KEYS.to_vec()), json_value()), 0..4),
        exprs in prop::collection::vec(small_expr(), 1..4),
    ) {
        let event = Json::Object(members.into_iter().map(|(k, v)| (k.to_owned(), v)).collect());
        let mut text = String::new();
        event.write(&mut text);
        let parsed = Event::parse(&text);
        prop_assert!(parsed.is_json_object(), "{}", text);
        let patterns: Vec<Pattern> = exprs.iter().map(|e| Pattern::from_ast(Ast::Json(e.clone()))).collect();
        let mut expected = Vec::new();
        for (idx, (expr, pattern)) in exprs.iter().zip(&patterns).enumerate() {
            let want = event.eval(expr);
            prop_assert_eq!(pattern.matches_event(&parsed), want, "`{}` on {}", pattern, text);
            if want {
                expected.push(idx);
            }
        }
        let mut matched = Vec::new();
        PatternSet::new(patterns).matching(&parsed, &mut matched);
        prop_assert_eq!(matched, expected);
    }
}

#[test]
fn prepared_and_direct_wildcard_matching_agree() {
    let patterns = ["*", "**", "***", "a", "*a", "a*", "*a*", "a*b", "*a*b*", "", "é*", "*é"];
    let texts = ["", "a", "aa", "ab", "ba", "a*b", "*", "**", "é", "xéy", "bab"];
    for pattern in patterns {
        let prepared = eval::TextMatcher::new(pattern);
        for text in texts {
            assert_eq!(
                prepared.matches(text),
                eval::wildcard_match(pattern, text),
                "`{pattern}` on `{text}`"
            );
        }
    }
}

#[test]
fn string_scanning_finds_the_first_special_byte() {
    let special = |b: u8| b == b'"' || b == b'\\' || b < 0x20;
    let fillers = [b'a', b' ', b'!', b'#', 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xc3, 0xff];
    for filler in fillers {
        for value in 0..=255u8 {
            for at in 0..8 {
                let mut word = [filler; 8];
                word[at] = value;
                let flags = json::special_flags(u64::from_le_bytes(word));
                let expected = word.iter().position(|&b| special(b));
                let found = (flags != 0).then(|| flags.trailing_zeros() as usize / 8);
                assert_eq!(found, expected, "{word:02x?}");
            }
        }
    }
}

#[test]
fn pattern_sets_beyond_their_cache_agree_with_single_patterns() {
    // 20 distinct selectors (more than the cache's slots) and 80 exact-string tests on one
    // selector (more than a slot's 64 shared bits), plus other kinds of patterns.
    let mut texts: Vec<String> =
        (0..20).map(|k| format!("{{ $.k{k} = v{k} || $.k{k} = w }}")).collect();
    texts.extend((0..80).map(|n| format!("{{ $.name = n{n} || $.name = \"n{}\" }}", n + 1)));
    texts.extend(
        ["{ $.name != n3 }", "{ $.name = n* }", "n7", "[a]", "{ $.k1 = %^v% }"].map(String::from),
    );
    let patterns: Vec<Pattern> = texts.iter().map(|text| Pattern::parse(text).unwrap()).collect();
    let set = PatternSet::new(patterns.clone());
    let mut matched = Vec::new();
    let events = [
        r#"{"name":"n3","k1":"v1","k19":"w"}"#,
        r#"{"name":"n80","k5":"v5"}"#,
        r#"{"name":"n\u0037","k0":1}"#,
        r#"{"name":7}"#,
        r#"{"k3":["v3"]}"#,
        "n7 is not json",
    ];
    for text in events {
        let event = Event::parse(text);
        set.matching(&event, &mut matched);
        let expected: Vec<usize> =
            (0..patterns.len()).filter(|&i| patterns[i].matches(text)).collect();
        assert_eq!(matched, expected, "{text}");
        assert!(!matched.is_empty(), "{text}");
    }
}
