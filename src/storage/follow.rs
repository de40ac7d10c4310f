//! What a node needs to follow the `responses` table: one consistent bulk read at
//! start, then, every few hundred milliseconds, the rows stored since (by any node).
//!
//! Ids come from a sequence. On SQLite one writer holds the lock from its first insert
//! to its commit, so ids commit in order and "everything above the last id read" is
//! exact. On PostgreSQL transactions commit in any order: a row with a small id can
//! become visible after a larger one was read. Every response row carries the id of its
//! transaction (`txid`), assigned before its row id (see the migration), so a row the
//! reader has passed by id belongs to a transaction its snapshot did not see finished:
//! one it lists as in progress, or one at or above its `xmax` (PostgreSQL does not list
//! a running transaction whose id is above every finished one). The position keeps
//! both, and the next read picks up their rows once they commit.

use entity::response;
use futures_util::TryStreamExt;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};
use sipas_domain::campaign::Channel;

use super::{Storage, StorageError};

/// Where a follower stands in one campaign's responses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Position {
    /// Every row with an id up to this one has been read, except rows of the
    /// transactions the last read's snapshot had not seen finish.
    pub seen_upto: i64,
    /// What the last read's snapshot had not seen finish (PostgreSQL): rows of those
    /// transactions may still appear at or below `seen_upto`, and are read when they
    /// commit.
    pub unfinished: ReadSnapshot,
}

impl Position {
    /// Moves past what a read returned, keeping the transactions its snapshot had not
    /// seen finish (every other transaction had committed or aborted by then, and its
    /// rows, if any, were in the read).
    pub fn advance(&mut self, rows: &[StoredResponse], snapshot: &ReadSnapshot) {
        if let Some(max) = rows.iter().map(|r| r.id).max() {
            self.seen_upto = self.seen_upto.max(max);
        }
        self.unfinished = snapshot.clone();
    }
}

/// The transactions a read transaction's snapshot had not seen finish (PostgreSQL;
/// SQLite has none: its one writer commits ids in order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadSnapshot {
    /// Listed as in progress.
    pub in_progress: Vec<i64>,
    /// Every transaction from this id up (`xmax`): not yet begun, or running.
    pub from: Option<i64>,
}

/// Takes the snapshot of a transaction from [`Storage::read_snapshot`]; must be its
/// first statement, so the snapshot reported is the one every later read sees.
pub async fn snapshot(db: &impl ConnectionTrait) -> Result<ReadSnapshot, StorageError> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(ReadSnapshot::default());
    }
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_current_snapshot()::text AS s",
        ))
        .await?
        .ok_or_else(|| StorageError::Invalid("no snapshot".into()))?;
    let text: String = row.try_get("", "s")?;
    parse_snapshot(&text)
}

/// `xmin:xmax:xip,xip,…` → the in-progress list and `xmax`.
fn parse_snapshot(text: &str) -> Result<ReadSnapshot, StorageError> {
    let bad = || StorageError::Invalid(format!("unexpected snapshot {text:?}"));
    let mut parts = text.split(':');
    let (_xmin, xmax, xip) = (
        parts.next().ok_or_else(bad)?,
        parts.next().ok_or_else(bad)?,
        parts.next().ok_or_else(bad)?,
    );
    let from = Some(xmax.parse::<i64>().map_err(|_| bad())?);
    let in_progress = xip
        .split(',')
        .filter(|x| !x.is_empty())
        .map(|x| x.parse::<i64>().map_err(|_| bad()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ReadSnapshot { in_progress, from })
}

/// A stored response as a follower reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub id: i64,
    pub unit_id: i32,
    pub service_point_id: i32,
    /// `None` for a row whose channel is not one the service knows (damage).
    pub channel: Option<Channel>,
    /// One digit per criterion, `'0'` = no answer.
    pub answers: String,
    /// Not excluded (as a bot): it counts in the scores.
    pub counted: bool,
}

/// A campaign's rows stored since `position`: those above it in id order, then the
/// late ones below it in id order.
pub async fn read_new(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    position: &Position,
) -> Result<Vec<StoredResponse>, StorageError> {
    // Two simple reads rather than one with an OR, so each stays on its index however
    // large the table: the rows above the position, and (PostgreSQL) the rows of
    // transactions the last snapshot had not seen finish. The second names only the
    // campaign and transaction ids, so `(campaign_id, txid)` is the one index that fits
    // it even with stale statistics; its rows above the position, which the first read
    // returns too, are dropped here.
    let mut rows = rows_where(
        db,
        Condition::all()
            .add(response::Column::CampaignId.eq(campaign_id))
            .add(response::Column::Id.gt(position.seen_upto)),
        true,
    )
    .await?;
    let unfinished = &position.unfinished;
    if let Some(from) = unfinished.from {
        let mut late = Condition::any().add(response::Column::Txid.gte(from));
        if !unfinished.in_progress.is_empty() {
            late = late.add(response::Column::Txid.is_in(unfinished.in_progress.iter().copied()));
        }
        let mut late = rows_where(
            db,
            Condition::all()
                .add(response::Column::CampaignId.eq(campaign_id))
                .add(late),
            false,
        )
        .await?;
        late.retain(|r| r.id <= position.seen_upto);
        late.sort_unstable_by_key(|r| r.id);
        rows.extend(late);
    }
    Ok(rows)
}

/// The rows that meet `condition`; in id order when `ordered` (an `ORDER BY id` can
/// draw the planner to the `(campaign_id, id)` index, so the late read sorts its own).
async fn rows_where(
    db: &impl ConnectionTrait,
    condition: Condition,
    ordered: bool,
) -> Result<Vec<StoredResponse>, StorageError> {
    let mut query = response::Entity::find()
        .select_only()
        .column(response::Column::Id)
        .column(response::Column::UnitId)
        .column(response::Column::ServicePointId)
        .column(response::Column::Channel)
        .column(response::Column::Answers)
        .column(response::Column::Exclusion)
        .filter(condition);
    if ordered {
        query = query.order_by_asc(response::Column::Id);
    }
    let rows: Vec<(i64, i32, i32, String, String, Option<String>)> =
        query.into_tuple().all(db).await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, unit_id, service_point_id, channel, answers, exclusion)| StoredResponse {
                id,
                unit_id,
                service_point_id,
                channel: Channel::parse(&channel),
                answers,
                counted: exclusion.is_none(),
            },
        )
        .collect())
}

/// Counted responses of one stratum and channel, as the bulk read gives them.
pub struct CountedResponses<'a> {
    pub campaign_id: i32,
    pub unit_id: i32,
    pub service_point_id: i32,
    pub channel: Channel,
    /// Each response's answers (one digit per criterion), separated by commas.
    pub answers: &'a str,
}

/// Ids per block of the bulk read: each block is grouped by stratum in the database,
/// so rows cross the driver a few hundred at a time, not one by one.
const SCAN_BLOCK: i64 = 100_000;

/// One consistent view of every stored response, which several tasks can read in
/// parts at once: on PostgreSQL they share an exported snapshot; on SQLite every row
/// up to the largest id seen has committed.
pub struct BulkRead {
    storage: Storage,
    /// Holds the exported snapshot open until the parts are read (PostgreSQL).
    holder: Option<DatabaseTransaction>,
    snapshot_id: Option<String>,
    ids: Option<(i64, i64)>,
    position: Position,
}

impl BulkRead {
    pub async fn begin(storage: &Storage) -> Result<Self, StorageError> {
        let postgres = storage.backend() == DbBackend::Postgres;
        let txn = storage.read_snapshot().await?;
        let read = snapshot(&txn).await?;
        let snapshot_id = if postgres {
            let row = txn
                .query_one_raw(Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT pg_export_snapshot() AS id",
                ))
                .await?
                .ok_or_else(|| StorageError::Invalid("no exported snapshot".into()))?;
            Some(row.try_get::<String>("", "id")?)
        } else {
            None
        };
        let bounds: Option<(Option<i64>, Option<i64>)> = response::Entity::find()
            .select_only()
            .column_as(response::Column::Id.min(), "min")
            .column_as(response::Column::Id.max(), "max")
            .into_tuple()
            .one(&txn)
            .await?;
        let ids = match bounds {
            Some((Some(min), Some(max))) => Some((min, max)),
            _ => None,
        };
        let position = Position {
            seen_upto: ids.map_or(0, |(_, max)| max),
            unfinished: read,
        };
        let holder = if postgres {
            Some(txn)
        } else {
            txn.commit().await?;
            None
        };
        Ok(Self {
            storage: storage.clone(),
            holder,
            snapshot_id,
            ids,
            position,
        })
    }

    /// Where following continues after this read.
    pub fn position(&self) -> &Position {
        &self.position
    }

    /// `parts` id ranges `[from, to)` covering every row of the read.
    pub fn parts(&self, parts: i64) -> Vec<(i64, i64)> {
        let Some((min, max)) = self.ids else {
            return Vec::new();
        };
        let step = (max - min) / parts.max(1) + 1;
        (0..parts.max(1))
            .map(|p| (min + p * step, (min + (p + 1) * step).min(max + 1)))
            .filter(|(from, to)| from < to)
            .collect()
    }

    /// Reads the counted responses with ids in `[from, to)`, grouped by stratum and
    /// channel, through `fold`, in no particular order (the statistics are sums).
    pub async fn fold(
        &self,
        (from, to): (i64, i64),
        mut fold: impl FnMut(CountedResponses<'_>) -> Result<(), StorageError>,
    ) -> Result<u64, StorageError> {
        use sea_orm::sqlx::{self, Row};
        let sql_err = |e: sqlx::Error| StorageError::Unavailable(e.to_string());
        let blocks: Vec<(i64, i64)> = (from..to)
            .step_by(SCAN_BLOCK as usize)
            .map(|start| (start, (start + SCAN_BLOCK).min(to)))
            .collect();
        let mut groups = 0u64;
        macro_rules! apply {
            ($row:expr) => {{
                let row = $row;
                let channel: &str = row.try_get(3).map_err(sql_err)?;
                // A damaged row is left aside (and said), never a reason not to start.
                let Some(channel) = Channel::parse(channel) else {
                    tracing::error!(
                        channel,
                        "stored responses with an unknown channel; not counted"
                    );
                    continue;
                };
                fold(CountedResponses {
                    campaign_id: row.try_get(0).map_err(sql_err)?,
                    unit_id: row.try_get(1).map_err(sql_err)?,
                    service_point_id: row.try_get(2).map_err(sql_err)?,
                    channel,
                    answers: row.try_get(4).map_err(sql_err)?,
                })?;
                groups += 1;
            }};
        }
        match &self.snapshot_id {
            Some(snapshot_id) => {
                let pool = self.storage.db().get_postgres_connection_pool();
                let mut tx = pool.begin().await.map_err(sql_err)?;
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(&mut *tx)
                    .await
                    .map_err(sql_err)?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SET TRANSACTION SNAPSHOT '{}'",
                    snapshot_id.replace('\'', "")
                )))
                .execute(&mut *tx)
                .await
                .map_err(sql_err)?;
                for (first, last) in blocks {
                    let mut rows = sqlx::query(IDS_PG).bind(first).bind(last).fetch(&mut *tx);
                    while let Some(row) = rows.try_next().await.map_err(sql_err)? {
                        apply!(row);
                    }
                }
                tx.commit().await.map_err(sql_err)?;
            }
            None => {
                let pool = self.storage.db().get_sqlite_connection_pool();
                for (first, last) in blocks {
                    let mut rows = sqlx::query(IDS_SQLITE).bind(first).bind(last).fetch(pool);
                    while let Some(row) = rows.try_next().await.map_err(sql_err)? {
                        apply!(row);
                    }
                }
            }
        }
        Ok(groups)
    }

    /// Releases the exported snapshot.
    pub async fn finish(self) -> Result<(), StorageError> {
        if let Some(txn) = self.holder {
            txn.commit().await?;
        }
        Ok(())
    }
}

const IDS_SQLITE: &str = "SELECT campaign_id, unit_id, service_point_id, channel, \
    group_concat(answers, ',') FROM responses WHERE id >= ? AND id < ? AND exclusion IS NULL \
    GROUP BY campaign_id, unit_id, service_point_id, channel";
const IDS_PG: &str = "SELECT campaign_id, unit_id, service_point_id, channel, \
    string_agg(answers, ',') FROM responses WHERE id >= $1 AND id < $2 AND exclusion IS NULL \
    GROUP BY campaign_id, unit_id, service_point_id, channel";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_snapshots() {
        assert_eq!(
            parse_snapshot("10:20:").unwrap().in_progress,
            Vec::<i64>::new()
        );
        assert_eq!(
            parse_snapshot("10:20:12,15").unwrap().in_progress,
            vec![12, 15]
        );
        assert!(parse_snapshot("garbage").is_err());
    }

    fn row(id: i64) -> StoredResponse {
        StoredResponse {
            id,
            unit_id: 1,
            service_point_id: 1,
            channel: Some(Channel::DeskQr),
            answers: "5".into(),
            counted: true,
        }
    }

    #[test]
    fn a_position_keeps_what_was_unfinished() {
        let mut p = Position::default();
        let running = ReadSnapshot {
            in_progress: vec![7],
            from: Some(9),
        };
        p.advance(&[row(3), row(5)], &running);
        assert_eq!(
            p,
            Position {
                seen_upto: 5,
                unfinished: running
            }
        );
        // Nothing new, and transaction 7 finished without rows of this campaign.
        let later = ReadSnapshot {
            in_progress: vec![],
            from: Some(12),
        };
        p.advance(&[], &later);
        assert_eq!(
            p,
            Position {
                seen_upto: 5,
                unfinished: later
            }
        );
        // A late row below the position does not move it back.
        p.advance(&[row(4)], &ReadSnapshot::default());
        assert_eq!(p.seen_upto, 5);
    }
}
