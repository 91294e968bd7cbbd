//! Unit tests of `${VAR}` expansion and the `OPENTRAIL_*` overrides.

use super::*;

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn check(text: &str, expected: Result<&str, &str>) {
    let env = env(&[("HOST", "0.0.0.0"), ("EMPTY", ""), ("_UNDER_1", "u")]);
    assert_eq!(expand(text, &env).as_deref(), expected.map_err(str::to_owned).as_deref(), "{text}");
}

#[test]
fn expands_variables_and_defaults() {
    check("plain", Ok("plain"));
    check("${HOST}:9471", Ok("0.0.0.0:9471"));
    check("${HOST:-127.0.0.1}", Ok("0.0.0.0"));
    check("${MISSING:-127.0.0.1}:1", Ok("127.0.0.1:1"));
    check("${EMPTY}", Ok(""));
    check("${EMPTY:-fallback}", Ok("fallback"));
    check("${MISSING:-}", Ok(""));
    check("${_UNDER_1}${HOST}", Ok("u0.0.0.0"));
    check("${MISSING:-a:-b}", Ok("a:-b"));
}

#[test]
fn dollars_are_literal_unless_they_open_a_variable() {
    check("cost $5", Ok("cost $5"));
    check("$", Ok("$"));
    check("a$$b", Ok("a$$b"));
    check("$${HOST}", Ok("${HOST}"));
    check("$$${HOST}", Ok("$${HOST}"));
    check("$ ${HOST}", Ok("$ 0.0.0.0"));
    check("${HOST}$", Ok("0.0.0.0$"));
}

#[test]
fn reports_unset_unterminated_and_bad_names() {
    check(
        "${MISSING}",
        Err(
            "uses `${MISSING}`, but `MISSING` is not set and no default is given (write `${MISSING:-default}`)",
        ),
    );
    check("${HOST", Err("has a `${` without a closing `}`"));
    check(
        "${HOST-x}",
        Err(
            "has `${HOST-x}`; write `${NAME}` or `${NAME:-default}` where NAME is letters, digits and `_`, not starting with a digit",
        ),
    );
    check(
        "${1X}",
        Err(
            "has `${1X}`; write `${NAME}` or `${NAME:-default}` where NAME is letters, digits and `_`, not starting with a digit",
        ),
    );
    check(
        "${}",
        Err(
            "has `${}`; write `${NAME}` or `${NAME:-default}` where NAME is letters, digits and `_`, not starting with a digit",
        ),
    );
}

#[test]
fn values_are_not_expanded_twice() {
    let env = env(&[("A", "${B}"), ("B", "b")]);
    assert_eq!(expand("${A}", &env).unwrap(), "${B}");
}

#[test]
fn overrides_skip_empty_values() {
    let mut table = toml::Table::new();
    table.insert("region".into(), toml::Value::String("eu-west-1".into()));
    let env = env(&[
        ("OPENTRAIL_REGION", ""),
        ("OPENTRAIL_LISTEN", "0.0.0.0:1"),
        ("OPENTRAIL_OTHER", "x"),
    ]);
    let applied = apply_overrides(&mut table, &env);
    assert_eq!(applied, vec![("listen", "OPENTRAIL_LISTEN")]);
    assert_eq!(table["region"].as_str(), Some("eu-west-1"));
    assert_eq!(table["listen"].as_str(), Some("0.0.0.0:1"));
    assert_eq!(table.len(), 2);
}
