//! The realtime hub: "write first, then publish". A change commits its rows and its event
//! row, then wakes the streams of its company, which read what is new from the event table —
//! the database stays the only source of truth. With PostgreSQL a wake is also sent as a
//! NOTIFY (carrying only ids), and every instance LISTENs, so several servers behave as one.
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::broadcast;
use uuid::Uuid;

const CHANNEL: &str = "leadline_events";

/// Something changed in this conversation of this company (nil ids: re-check everything).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wake {
    pub company_id: Uuid,
    pub conversation_id: Uuid,
}

impl Wake {
    pub fn everything() -> Self {
        Self {
            company_id: Uuid::nil(),
            conversation_id: Uuid::nil(),
        }
    }

    pub fn concerns_company(&self, company_id: Uuid) -> bool {
        self.company_id.is_nil() || self.company_id == company_id
    }

    pub fn concerns_conversation(&self, conversation_id: Uuid) -> bool {
        self.conversation_id.is_nil() || self.conversation_id == conversation_id
    }
}

fn sender() -> &'static broadcast::Sender<Wake> {
    static SENDER: OnceLock<broadcast::Sender<Wake>> = OnceLock::new();
    SENDER.get_or_init(|| broadcast::channel(4096).0)
}

/// A receiver of every wake of this process. A lagging receiver should re-check everything.
pub fn subscribe() -> broadcast::Receiver<Wake> {
    sender().subscribe()
}

/// Call after a commit: wakes this process's streams and, on PostgreSQL, every other
/// instance's. Failing to notify loses nothing (streams also re-check on their heartbeat).
pub async fn wake(db: &DatabaseConnection, company_id: Uuid, conversation_id: Uuid) {
    let _ = sender().send(Wake {
        company_id,
        conversation_id,
    });
    if db.get_database_backend() == DbBackend::Postgres {
        let stmt = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [
                CHANNEL.into(),
                format!("{company_id}:{conversation_id}").into(),
            ],
        );
        if let Err(e) = db.execute_raw(stmt).await {
            tracing::warn!(error = %e, "could not NOTIFY other instances");
        }
    }
}

/// On PostgreSQL: LISTENs for the wakes of every instance (this one's too) and passes them
/// on to this process's streams; reconnects after a failure and then wakes everything.
pub fn listen(url: String) -> tokio::task::JoinHandle<()> {
    use sea_orm::sqlx::postgres::PgListener;
    tokio::spawn(async move {
        loop {
            match PgListener::connect(&url).await {
                Ok(mut listener) => {
                    if let Err(e) = listener.listen(CHANNEL).await {
                        tracing::warn!(error = %e, "LISTEN failed");
                    } else {
                        let _ = sender().send(Wake::everything());
                        loop {
                            match listener.recv().await {
                                Ok(n) => {
                                    if let Some(w) = parse(n.payload()) {
                                        let _ = sender().send(w);
                                    }
                                }
                                Err(e) => {
                                    tracing::warn!(error = %e, "LISTEN connection lost");
                                    break;
                                }
                            }
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot connect to LISTEN"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
}

fn parse(payload: &str) -> Option<Wake> {
    let (company, conversation) = payload.split_once(':')?;
    Some(Wake {
        company_id: Uuid::parse_str(company).ok()?,
        conversation_id: Uuid::parse_str(conversation).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_junk_is_ignored() {
        let w = Wake {
            company_id: Uuid::now_v7(),
            conversation_id: Uuid::now_v7(),
        };
        assert_eq!(
            parse(&format!("{}:{}", w.company_id, w.conversation_id)),
            Some(w)
        );
        assert_eq!(parse("junk"), None);
        assert!(Wake::everything().concerns_company(w.company_id));
        assert!(!w.concerns_company(Uuid::now_v7()));
    }
}
