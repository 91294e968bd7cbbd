//! The machinery that makes typed structs lossless: `Field<T>` (absent, typed, or kept as
//! the raw JSON value when its type is not the documented one), the `FromJson`/`ToJson`
//! conversions, and the `json_object!` macro that generates a struct which remembers member
//! order and unknown members.

use crate::json::{self, Object, Value};

/// One documented member of a CloudTrail JSON object.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Field<T> {
    /// The member is not in the document.
    #[default]
    Absent,
    /// The member is present with its documented JSON type.
    Present(T),
    /// The member is present with another JSON type; kept verbatim so nothing is lost, and
    /// reported by validation.
    Mistyped(Value),
}

impl<T> Field<T> {
    pub fn get(&self) -> Option<&T> {
        match self {
            Field::Present(v) => Some(v),
            _ => None,
        }
    }

    pub fn get_mut(&mut self) -> Option<&mut T> {
        match self {
            Field::Present(v) => Some(v),
            _ => None,
        }
    }

    pub fn is_absent(&self) -> bool {
        matches!(self, Field::Absent)
    }

    pub fn is_present(&self) -> bool {
        !self.is_absent()
    }
}

impl<T: FromJson> Field<T> {
    pub fn from_value(value: Value) -> Field<T> {
        match T::from_json(value) {
            Ok(typed) => Field::Present(typed),
            Err(raw) => Field::Mistyped(raw),
        }
    }
}

impl Field<String> {
    pub fn as_deref(&self) -> Option<&str> {
        self.get().map(String::as_str)
    }
}

impl<T: ToJson> Field<T> {
    /// Writes the member's value; returns false (writing nothing) when absent.
    pub(crate) fn write_value(&self, out: &mut Vec<u8>) {
        match self {
            Field::Absent => {}
            Field::Present(v) => v.write_json(out),
            Field::Mistyped(raw) => json::write_value(raw, out),
        }
    }

    pub(crate) fn to_value(&self) -> Option<Value> {
        match self {
            Field::Absent => None,
            Field::Present(v) => Some(v.to_value()),
            Field::Mistyped(raw) => Some(raw.clone()),
        }
    }
}

/// Conversion from a JSON value; gives the value back untouched when the type does not fit.
pub trait FromJson: Sized {
    fn from_json(value: Value) -> Result<Self, Value>;
}

/// Conversion to JSON, exactly reproducing what `FromJson` consumed.
pub trait ToJson {
    fn write_json(&self, out: &mut Vec<u8>);
    fn to_value(&self) -> Value;
}

impl FromJson for String {
    fn from_json(value: Value) -> Result<Self, Value> {
        match value {
            Value::String(s) => Ok(s),
            other => Err(other),
        }
    }
}

impl ToJson for String {
    fn write_json(&self, out: &mut Vec<u8>) {
        json::write_str(self, out);
    }
    fn to_value(&self) -> Value {
        Value::String(self.clone())
    }
}

impl FromJson for bool {
    fn from_json(value: Value) -> Result<Self, Value> {
        match value {
            Value::Bool(b) => Ok(b),
            other => Err(other),
        }
    }
}

impl ToJson for bool {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(if *self { b"true" } else { b"false" });
    }
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
}

impl FromJson for Object {
    fn from_json(value: Value) -> Result<Self, Value> {
        match value {
            Value::Object(o) => Ok(o),
            other => Err(other),
        }
    }
}

impl ToJson for Object {
    fn write_json(&self, out: &mut Vec<u8>) {
        json::write_object(self, out);
    }
    fn to_value(&self) -> Value {
        Value::Object(self.clone())
    }
}

/// `null` or an object (`requestParameters`, `responseElements`).
impl FromJson for Option<Object> {
    fn from_json(value: Value) -> Result<Self, Value> {
        match value {
            Value::Null => Ok(None),
            Value::Object(o) => Ok(Some(o)),
            other => Err(other),
        }
    }
}

impl ToJson for Option<Object> {
    fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            None => out.extend_from_slice(b"null"),
            Some(o) => json::write_object(o, out),
        }
    }
    fn to_value(&self) -> Value {
        match self {
            None => Value::Null,
            Some(o) => Value::Object(o.clone()),
        }
    }
}

impl<T: FromJson + ToJson> FromJson for Vec<T> {
    fn from_json(value: Value) -> Result<Self, Value> {
        let Value::Array(items) = value else { return Err(value) };
        let mut typed = Vec::with_capacity(items.len());
        let mut rest = items.into_iter();
        while let Some(item) = rest.next() {
            match T::from_json(item) {
                Ok(t) => typed.push(t),
                Err(raw) => {
                    // Rebuild the array exactly: converted items back to values, then the
                    // offending item and everything after it untouched.
                    let mut values: Vec<Value> = typed.iter().map(ToJson::to_value).collect();
                    values.push(raw);
                    values.extend(rest);
                    return Err(Value::Array(values));
                }
            }
        }
        Ok(typed)
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.push(b'[');
        for (idx, item) in self.iter().enumerate() {
            if idx > 0 {
                out.push(b',');
            }
            item.write_json(out);
        }
        out.push(b']');
    }
    fn to_value(&self) -> Value {
        Value::Array(self.iter().map(ToJson::to_value).collect())
    }
}

/// Where a member sits in the document's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    /// The documented member with this index in the struct's `FIELD_NAMES`.
    Known(u8),
    /// The unknown member with this index in the struct's `extra` list.
    Extra(u32),
}

/// Generates a lossless typed struct for one JSON object shape.
///
/// Each documented member becomes a `pub Field<T>`; members in the document that are not
/// documented (or are a repeated documented name) go to `extra`. Serialising writes members
/// in the order they were parsed; members set later (absent when parsed) follow, in
/// declaration order, then unknown members added later.
macro_rules! json_object {
    (
        $(#[$meta:meta])*
        pub struct $name:ident ($keys:ident) {
            $( $(#[$fmeta:meta])* $json:literal => $field:ident : $ty:ty, )*
        }
    ) => {
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[derive(Clone, Copy)]
        #[repr(u8)]
        enum $keys { $( $field, )* }

        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $crate::typed::Field<$ty>, )*
            extra: Vec<(String, $crate::json::Value)>,
            order: Vec<$crate::typed::Slot>,
            /// Bit `i` set: documented member `i` has a place in `order`.
            ordered_mask: u64,
            /// `extra[..n_extra_ordered]` have a place in `order`.
            n_extra_ordered: u32,
        }

        impl $name {
            /// JSON member names of the documented fields, in declaration order.
            pub const FIELD_NAMES: &'static [&'static str] = &[$($json),*];

            /// Builds the typed view of an object, keeping everything.
            pub fn from_object(object: $crate::json::Object) -> Self {
                let members = object.into_members();
                let mut this = Self::default();
                this.order.reserve(members.len());
                for (name, value) in members {
                    match name.as_str() {
                        $(
                            $json if this.$field.is_absent() => {
                                this.$field = $crate::typed::Field::from_value(value);
                                this.order.push($crate::typed::Slot::Known($keys::$field as u8));
                                this.ordered_mask |= 1u64 << ($keys::$field as u8);
                            }
                        )*
                        _ => {
                            let idx = this.extra.len() as u32;
                            this.order.push($crate::typed::Slot::Extra(idx));
                            this.extra.push((name, value));
                            this.n_extra_ordered = idx + 1;
                        }
                    }
                }
                this
            }

            /// Members not documented for this object (or repeated names), in document order.
            pub fn extra(&self) -> &[(String, $crate::json::Value)] {
                &self.extra
            }

            /// Adds an undocumented member; it is written after all others.
            pub fn push_extra(&mut self, name: impl Into<String>, value: $crate::json::Value) {
                self.extra.push((name.into(), value));
            }

            /// Names of members in serialisation order (present ones only).
            pub fn member_names(&self) -> Vec<&str> {
                let mut names = Vec::new();
                self.for_each_member(|name, _| names.push(name));
                names
            }

            fn for_each_member<'s>(
                &'s self,
                mut visit: impl FnMut(&'s str, $crate::typed::MemberRef<'s>),
            ) {
                for slot in &self.order {
                    match *slot {
                        $crate::typed::Slot::Known(key) => self.visit_known(key, &mut visit),
                        $crate::typed::Slot::Extra(idx) => {
                            let (name, value) = &self.extra[idx as usize];
                            visit(name, $crate::typed::MemberRef::Raw(value));
                        }
                    }
                }
                for key in 0..Self::FIELD_NAMES.len() as u8 {
                    if self.ordered_mask & (1u64 << key) == 0 {
                        self.visit_known(key, &mut visit);
                    }
                }
                for (name, value) in &self.extra[self.n_extra_ordered as usize..] {
                    visit(name, $crate::typed::MemberRef::Raw(value));
                }
            }

            fn visit_known<'s>(
                &'s self,
                key: u8,
                visit: &mut impl FnMut(&'s str, $crate::typed::MemberRef<'s>),
            ) {
                $(
                    if key == $keys::$field as u8 {
                        if self.$field.is_present() {
                            visit($json, $crate::typed::MemberRef::Typed(&self.$field));
                        }
                        return;
                    }
                )*
            }

            /// Appends the compact JSON text of this object.
            pub fn write_json(&self, out: &mut Vec<u8>) {
                out.push(b'{');
                let mut first = true;
                self.for_each_member(|name, member| {
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    $crate::json::write_str(name, out);
                    out.push(b':');
                    member.write(out);
                });
                out.push(b'}');
            }

            /// The object as a JSON tree.
            pub fn to_object(&self) -> $crate::json::Object {
                let mut object = $crate::json::Object::new();
                self.for_each_member(|name, member| object.push(name, member.to_value()));
                object
            }
        }

        const _: () = assert!($name::FIELD_NAMES.len() <= 64);

        impl $crate::typed::FromJson for $name {
            fn from_json(value: $crate::json::Value) -> Result<Self, $crate::json::Value> {
                match value {
                    $crate::json::Value::Object(object) => Ok(Self::from_object(object)),
                    other => Err(other),
                }
            }
        }

        impl $crate::typed::ToJson for $name {
            fn write_json(&self, out: &mut Vec<u8>) {
                $name::write_json(self, out);
            }
            fn to_value(&self) -> $crate::json::Value {
                $crate::json::Value::Object(self.to_object())
            }
        }
    };
}

pub(crate) use json_object;

/// A member seen while walking a generated struct: typed or raw.
pub(crate) enum MemberRef<'a> {
    Typed(&'a dyn DynField),
    Raw(&'a Value),
}

impl MemberRef<'_> {
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        match self {
            MemberRef::Typed(field) => field.write_dyn(out),
            MemberRef::Raw(value) => json::write_value(value, out),
        }
    }

    pub(crate) fn to_value(&self) -> Value {
        match self {
            MemberRef::Typed(field) => field.to_value_dyn(),
            MemberRef::Raw(value) => (*value).clone(),
        }
    }
}

/// Object-safe view of a `Field<T>` for the generated walkers.
pub(crate) trait DynField {
    fn write_dyn(&self, out: &mut Vec<u8>);
    fn to_value_dyn(&self) -> Value;
}

impl<T: ToJson> DynField for Field<T> {
    fn write_dyn(&self, out: &mut Vec<u8>) {
        self.write_value(out);
    }
    fn to_value_dyn(&self) -> Value {
        self.to_value().unwrap_or(Value::Null)
    }
}
