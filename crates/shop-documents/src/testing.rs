//! Test support: the engine's [`Sql`] on real SQLite.

use crate::engine::{Sql, SqlError};
use crate::sql::SqlValue;

/// The engine on real SQLite (rusqlite's bundled build, with JSON1 and FTS5), reached the
/// way Spin offers it: one statement at a time.
pub struct Sqlite(pub rusqlite::Connection);

impl Sql for Sqlite {
    fn run(&self, statement: &str, params: &[SqlValue]) -> Result<Vec<Vec<SqlValue>>, SqlError> {
        use rusqlite::types::{Value as V, ValueRef};
        let params: Vec<V> = params
            .iter()
            .map(|p| match p {
                SqlValue::Null => V::Null,
                SqlValue::Integer(i) => V::Integer(*i),
                SqlValue::Real(r) => V::Real(*r),
                SqlValue::Text(t) => V::Text(t.clone()),
            })
            .collect();
        let failed = |e: rusqlite::Error| SqlError::Failed(e.to_string());
        let mut stmt = self.0.prepare(statement).map_err(failed)?;
        let columns = stmt.column_count();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params), |row| {
                (0..columns)
                    .map(|i| {
                        Ok(match row.get_ref(i)? {
                            ValueRef::Null => SqlValue::Null,
                            ValueRef::Integer(i) => SqlValue::Integer(i),
                            ValueRef::Real(r) => SqlValue::Real(r),
                            ValueRef::Text(t) => SqlValue::Text(String::from_utf8_lossy(t).into_owned()),
                            ValueRef::Blob(_) => SqlValue::Null,
                        })
                    })
                    .collect()
            })
            .map_err(failed)?;
        rows.collect::<Result<_, _>>().map_err(failed)
    }
}
