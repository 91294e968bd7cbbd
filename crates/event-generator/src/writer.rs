//! A tiny streaming JSON writer: members go straight into the output buffer in the order
//! they are written, with the record model's string escaping.

use cloudtrail_model::json::write_str;

/// Writes one JSON object's members; created open, closed by the caller's closure returning.
pub(crate) struct Obj<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

/// Writes one JSON array's items.
pub(crate) struct Arr<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

/// Writes a whole object into `out`.
pub(crate) fn object(out: &mut Vec<u8>, f: impl FnOnce(&mut Obj<'_>)) {
    out.push(b'{');
    let mut obj = Obj { out, first: true };
    f(&mut obj);
    obj.out.push(b'}');
}

impl Obj<'_> {
    fn key(&mut self, name: &str) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        write_str(name, self.out);
        self.out.push(b':');
    }

    pub(crate) fn str(&mut self, name: &str, value: &str) {
        self.key(name);
        write_str(value, self.out);
    }

    pub(crate) fn bool(&mut self, name: &str, value: bool) {
        self.key(name);
        self.out.extend_from_slice(if value { b"true" } else { b"false" });
    }

    pub(crate) fn num(&mut self, name: &str, value: u64) {
        self.key(name);
        self.out.extend_from_slice(value.to_string().as_bytes());
    }

    /// Writes `json` verbatim as the member's value; it must be valid compact JSON.
    pub(crate) fn raw(&mut self, name: &str, json: &str) {
        debug_assert!(cloudtrail_model::json::parse(json.as_bytes()).is_ok(), "{json}");
        self.key(name);
        self.out.extend_from_slice(json.as_bytes());
    }

    pub(crate) fn null(&mut self, name: &str) {
        self.key(name);
        self.out.extend_from_slice(b"null");
    }

    pub(crate) fn obj(&mut self, name: &str, f: impl FnOnce(&mut Obj<'_>)) {
        self.key(name);
        object(self.out, f);
    }

    pub(crate) fn arr(&mut self, name: &str, f: impl FnOnce(&mut Arr<'_>)) {
        self.key(name);
        self.out.push(b'[');
        let mut arr = Arr { out: &mut *self.out, first: true };
        f(&mut arr);
        self.out.push(b']');
    }
}

impl Arr<'_> {
    fn sep(&mut self) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
    }

    pub(crate) fn obj(&mut self, f: impl FnOnce(&mut Obj<'_>)) {
        self.sep();
        object(self.out, f);
    }

    pub(crate) fn str(&mut self, value: &str) {
        self.sep();
        write_str(value, self.out);
    }
}
