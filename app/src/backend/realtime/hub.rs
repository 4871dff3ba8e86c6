//! Wakes: "write first, then publish". A change commits its rows and its event row, then
//! wakes the fan-out of every server process, which reads what is new from the event table —
//! the database stays the only source of truth. On SQLite (one process) `wake` is an
//! in-process signal. On PostgreSQL the event table's trigger queues a `NOTIFY` (no
//! payload) that is delivered at commit, and every process (this one too) receives it
//! through its own LISTEN, so several servers behave as one; `wake` has nothing to do.
use sea_orm::{DatabaseConnection, DbBackend};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{broadcast, Notify};

const CHANNEL: &str = "leadline_events";

fn local() -> &'static broadcast::Sender<()> {
    static SENDER: OnceLock<broadcast::Sender<()>> = OnceLock::new();
    // A wake only says "read the table": a receiver that lags just reads once.
    SENDER.get_or_init(|| broadcast::channel(16).0)
}

/// Call after a commit that wrote events. Failing to wake loses nothing: the fan-out also
/// reads the table every second.
pub async fn wake(db: &DatabaseConnection) {
    if db.get_database_backend() != DbBackend::Postgres {
        let _ = local().send(());
    }
}

/// Passes every wake meant for this process to `kick`: in-process wakes on SQLite; on
/// PostgreSQL the LISTEN connection (reconnected after a failure, then kicking once, since
/// wakes may have been missed meanwhile).
pub fn forward(database_url: Option<String>, kick: Arc<Notify>) -> tokio::task::JoinHandle<()> {
    match database_url {
        None => {
            let mut wakes = local().subscribe();
            tokio::spawn(async move {
                loop {
                    match wakes.recv().await {
                        Ok(()) | Err(broadcast::error::RecvError::Lagged(_)) => kick.notify_one(),
                        Err(broadcast::error::RecvError::Closed) => return,
                    }
                }
            })
        }
        Some(url) => tokio::spawn(listen(url, kick)),
    }
}

async fn listen(url: String, kick: Arc<Notify>) {
    use sea_orm::sqlx::postgres::PgListener;
    loop {
        match PgListener::connect(&url).await {
            Ok(mut listener) => {
                if let Err(e) = listener.listen(CHANNEL).await {
                    tracing::warn!(error = %e, "LISTEN failed");
                } else {
                    kick.notify_one();
                    loop {
                        match listener.recv().await {
                            Ok(_) => kick.notify_one(),
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
}
