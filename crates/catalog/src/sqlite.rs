//! SQLite plumbing the stores share: reading rows into typed values, inserting a row that must
//! be new, and telling a uniqueness conflict from other failures.
//!
//! Only the SQLite implementation of the store traits uses this; nothing here is part of the
//! stores' contracts.

use rusqlite::{Connection, OptionalExtension, Params, Row};

use crate::{Error, Result};

/// One feature's step of a numbered migration (applied in order by `schema`).
pub(crate) struct Migration {
    pub(crate) number: u32,
    pub(crate) sql: &'static str,
}

/// A value read from one row of a `SELECT` over [`FromRow::COLUMNS`].
pub(crate) trait FromRow: Sized {
    /// The columns [`FromRow::from_row`] reads, in its order.
    const COLUMNS: &'static str;
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self>;
}

/// Implements [`FromRow`] for a struct whose fields are columns of the same names: `COLUMNS`
/// lists them in the order given, and `from_row` reads them in that order.
macro_rules! from_row_by_field_names {
    ($type:ty { $($field:ident),+ $(,)? }) => {
        impl $crate::sqlite::FromRow for $type {
            const COLUMNS: &'static str = stringify!($($field),+);

            fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                let mut column_idx = 0;
                let mut next_column = || {
                    column_idx += 1;
                    column_idx - 1
                };
                // Fields are evaluated in the order written, which is the order of `COLUMNS`.
                Ok(Self { $($field: row.get(next_column())?),+ })
            }
        }
    };
}
pub(crate) use from_row_by_field_names;

/// Every row of `SELECT {T::COLUMNS} {from}`, where `from` is the rest of the query (`FROM …
/// WHERE … ORDER BY …`).
pub(crate) fn select<T: FromRow>(
    conn: &Connection,
    from: &str,
    params: impl Params,
) -> Result<Vec<T>> {
    let mut statement = conn.prepare_cached(&format!("SELECT {} {from}", T::COLUMNS))?;
    let rows = statement.query_map(params, T::from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The first row of `SELECT {T::COLUMNS} {from}`, if any.
pub(crate) fn select_one<T: FromRow>(
    conn: &Connection,
    from: &str,
    params: impl Params,
) -> Result<Option<T>> {
    Ok(conn.query_row(&format!("SELECT {} {from}", T::COLUMNS), params, T::from_row).optional()?)
}

/// Runs an `INSERT … ON CONFLICT DO NOTHING`; inserting nothing means the `what` called `name`
/// exists already.
pub(crate) fn insert_new(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    what: &'static str,
    name: &str,
) -> Result<()> {
    if conn.execute(sql, params)? == 0 {
        return Err(Error::AlreadyExists { what, name: name.to_owned() });
    }
    Ok(())
}

/// A uniqueness conflict becomes [`Error::AlreadyExists`]; any other failure stays SQLite's.
pub(crate) fn conflict_as_exists(err: rusqlite::Error, what: &'static str, name: &str) -> Error {
    match err {
        rusqlite::Error::SqliteFailure(e, _)
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Error::AlreadyExists { what, name: name.to_owned() }
        }
        other => Error::Sqlite(other),
    }
}

/// A `SELECT COUNT(*) …` as a `usize`.
pub(crate) fn count(conn: &Connection, sql: &str, params: impl Params) -> Result<usize> {
    let n: i64 = conn.query_row(sql, params, |row| row.get(0))?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Runs each statement with the same parameters, all in one transaction; the rows each changed.
pub(crate) fn execute_each(
    conn: &mut Connection,
    statements: &[&str],
    params: &[&dyn rusqlite::ToSql],
) -> Result<Vec<usize>> {
    let tx = conn.transaction()?;
    let mut changed = Vec::with_capacity(statements.len());
    for sql in statements {
        changed.push(tx.execute(sql, params)?);
    }
    tx.commit()?;
    Ok(changed)
}
