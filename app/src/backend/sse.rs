//! Event streams (SSE) that replay from the event table and then follow the hub: every
//! event carries `id: <event id>`, a reconnect resumes after its Last-Event-ID, heartbeats
//! keep proxies from closing an idle stream, and nothing is missed or sent twice.
use super::hub::{self, Wake};
use crate::error::AppError;
use axum::http::HeaderMap;
use axum::response::sse::{Event, Sse};
use futures::Stream;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// How often an idle stream sends a comment (and re-checks the table).
pub const HEARTBEAT: Duration = Duration::from_secs(15);

/// Where a stream resumes: the `Last-Event-ID` header of a reconnecting browser, else the
/// `after` the page got with its first view; None when neither says.
pub fn resume_point(headers: &HeaderMap, after: Option<i64>) -> Option<i64> {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .or(after)
        .map(|a| a.max(0))
}

/// One event for the stream: its id always advances the stream; `None` events (ones this
/// reader may not see) are skipped without being sent.
pub type Batch = Vec<(i64, Option<(&'static str, String)>)>;

struct State<F> {
    after: i64,
    pending: VecDeque<Event>,
    wakes: tokio::sync::broadcast::Receiver<Wake>,
    fetch: F,
    /// Called on every heartbeat (presence leases).
    started: bool,
    failed: bool,
}

/// A stream of the events after `after` that `fetch` returns, woken by the hub when `wakes`
/// says a change may concern this reader; `tick` runs on every heartbeat.
pub fn stream<F, Fut, W, T, TFut>(
    after: i64,
    wakes: W,
    fetch: F,
    tick: T,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>>
where
    F: Fn(i64) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Batch, AppError>> + Send,
    W: Fn(&Wake) -> bool + Send + 'static,
    T: Fn() -> TFut + Send + 'static,
    TFut: Future<Output = ()> + Send,
{
    let state = State {
        after,
        pending: VecDeque::new(),
        wakes: hub::subscribe(),
        fetch,
        started: false,
        failed: false,
    };
    let s = futures::stream::unfold((state, wakes, tick), |(mut st, wakes, tick)| async move {
        if st.failed {
            return None;
        }
        if !st.started {
            st.started = true;
            // Reconnect after 1–3 s, so a restarted server is not hit by all at once.
            let jitter = 1000 + (rand::random::<u64>() % 2000);
            let hello = Event::default()
                .retry(Duration::from_millis(jitter))
                .comment("leadline");
            return Some((Ok(hello), (st, wakes, tick)));
        }
        loop {
            if let Some(e) = st.pending.pop_front() {
                return Some((Ok(e), (st, wakes, tick)));
            }
            match (st.fetch)(st.after).await {
                Ok(batch) if !batch.is_empty() => {
                    for (id, item) in batch {
                        st.after = st.after.max(id);
                        if let Some((name, data)) = item {
                            st.pending.push_back(
                                Event::default().id(id.to_string()).event(name).data(data),
                            );
                        }
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    // The reader lost access (closed session, deleted conversation…):
                    // say so once and end; the browser will reconnect and be refused.
                    tracing::debug!(error = %e, "event stream ends");
                    st.failed = true;
                    let data = serde_json::to_string(&e).unwrap_or_default();
                    return Some((
                        Ok(Event::default().event("denied").data(data)),
                        (st, wakes, tick),
                    ));
                }
            }
            // Nothing new: wait for a wake that concerns us, or the heartbeat.
            let deadline = tokio::time::sleep(HEARTBEAT);
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    _ = &mut deadline => {
                        tick().await;
                        return Some((Ok(Event::default().comment("")), (st, wakes, tick)));
                    }
                    w = st.wakes.recv() => match w {
                        Ok(w) if wakes(&w) => break,
                        Ok(_) => continue,
                        Err(RecvError::Lagged(_)) => break,
                        Err(RecvError::Closed) => return None,
                    }
                }
            }
        }
    });
    Sse::new(s)
}
