//! Integration tests: the validation table, the matching table, wire and storage goldens, and
//! property tests, all through the public API.

mod matching;
mod props;
mod records;
mod round_trip;
mod validation;

use cloudtrail_model::json::{self, Value};
use trail_selectors::{SelectorError, Selectors};

/// Parses a PutEventSelectors request body and hands its two selector members to
/// [`Selectors::from_request`], as the API server does.
fn put_event_selectors(body: &str) -> Result<Selectors, SelectorError> {
    let request = parse_json(body);
    let object = request.as_object().expect("request body is an object");
    Selectors::from_request(object.get("EventSelectors"), object.get("AdvancedEventSelectors"))
}

fn parse_json(text: &str) -> Value {
    json::parse(text.as_bytes()).unwrap_or_else(|err| panic!("bad test JSON: {err}\n{text}"))
}
