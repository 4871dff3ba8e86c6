//! Event streams (SSE). A stream first catches up from the event table after its resume
//! point, then follows the shared fan-out's batches: every event carries `id: <event id>`,
//! a reconnect resumes after its Last-Event-ID, heartbeats keep proxies from closing an idle
//! stream, and nothing is missed or sent twice. A stream that lags behind the fan-out reads
//! from the table again, as a reconnect would.
use crate::error::AppError;
use axum::http::HeaderMap;
use axum::response::sse::{Event, Sse};
use futures::future::BoxFuture;
use futures::Stream;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::{error::RecvError, Receiver};
use tokio::time::Instant;

/// How often an idle stream sends a comment (and runs its reader's `tick`).
pub const HEARTBEAT: Duration = Duration::from_secs(15);

/// How far back a reconnecting stream is replayed, in events: past that, it is told to
/// `reset` (load its lists again) and starts from now, instead of replaying history.
pub const REPLAY_WINDOW: i64 = 1000;

/// How many event streams one user may hold open on one server (their tabs).
pub const STREAMS_PER_USER: usize = 20;

/// The open streams per key (a user, a client address) of this process, at most `limit`
/// each; a slot is given back when its stream ends.
pub struct StreamSlots<K: Hash + Eq + Clone> {
    limit: usize,
    open: std::sync::Mutex<std::collections::HashMap<K, usize>>,
}

/// One open stream's slot.
pub struct Slot<K: Hash + Eq + Clone> {
    slots: Arc<StreamSlots<K>>,
    key: K,
}

impl<K: Hash + Eq + Clone> StreamSlots<K> {
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            open: Default::default(),
        }
    }

    /// A slot for one more stream of `key`, unless it holds `limit` already.
    pub fn take(self: &Arc<Self>, key: K) -> Option<Slot<K>> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(key.clone()).or_insert(0);
        if *n >= self.limit {
            return None;
        }
        *n += 1;
        Some(Slot {
            slots: self.clone(),
            key,
        })
    }
}

impl<K: Hash + Eq + Clone> Drop for Slot<K> {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

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

/// What a reader reads from the table: a batch and the last event id read, or nothing new.
pub type Loaded<B> = BoxFuture<'static, Result<Option<(Arc<B>, i64)>, AppError>>;

/// One stream's view of the shared batches.
pub trait Reader: Send + Sync + 'static {
    type Batch: Send + Sync + 'static;
    /// This reader's events after `after`, read from the table (at the start and after
    /// lagging), with the last event id read; None when there is nothing newer.
    fn load(&self, after: i64) -> Loaded<Self::Batch>;
    /// Appends the events of `batch` after `after` that this reader may see; returns the new
    /// resume point. An error ends the stream (the reader lost access).
    fn pick(&self, batch: &Self::Batch, after: i64, out: &mut Vec<Sent>) -> Result<i64, AppError>;
    /// Runs on every heartbeat (presence leases, access checks); an error ends the stream.
    fn tick(&self) -> BoxFuture<'static, Result<(), AppError>>;
    /// Whether what was just picked asks for the heartbeat's checks now (read once: true
    /// clears it).
    fn recheck(&self) -> bool {
        false
    }
    /// When something held back (coalesced) is due to be sent, if anything is.
    fn deferred(&self) -> Option<Instant> {
        None
    }
    /// Appends what is held back and due now.
    fn flush(&self, _out: &mut Vec<Sent>) {}
}

/// An event as sent: its id, name and data (shared by every stream that sends it).
pub type Sent = (i64, &'static str, Arc<str>);

struct State<R: Reader> {
    reader: R,
    after: i64,
    live: Receiver<Arc<R::Batch>>,
    pending: VecDeque<Event>,
    catching_up: bool,
    next_tick: Instant,
    started: bool,
    ended: bool,
}

impl<R: Reader> State<R> {
    fn take(&mut self, picked: Vec<Sent>) {
        for (id, name, data) in picked {
            self.pending
                .push_back(Event::default().id(id.to_string()).event(name).data(&*data));
        }
    }

    /// The heartbeat's checks at once when what was picked asks for them (a session of the
    /// stream's user ended); on a refusal nothing picked is sent.
    async fn recheck(&mut self) -> Result<(), AppError> {
        if self.reader.recheck() {
            if let Err(e) = self.reader.tick().await {
                self.pending.clear();
                return Err(e);
            }
        }
        Ok(())
    }

    /// The reader lost access: say so once and end; a reconnect will be refused.
    fn deny(&mut self, e: AppError) -> Event {
        tracing::debug!(error = %e, "event stream ends");
        self.ended = true;
        let data = serde_json::to_string(&e).unwrap_or_default();
        Event::default().event("denied").data(data)
    }
}

/// A stream of `reader`'s events after `after`; `live` must be subscribed before the first
/// read from the table, so no batch falls between the two.
pub fn stream<R: Reader>(
    after: i64,
    live: Receiver<Arc<R::Batch>>,
    reader: R,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    stream_after(after, live, reader, Vec::new())
}

/// As `stream`, sending `first` before anything else (a `reset`).
pub fn stream_after<R: Reader>(
    after: i64,
    live: Receiver<Arc<R::Batch>>,
    reader: R,
    first: Vec<Event>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let state = State {
        reader,
        after,
        live,
        pending: first.into(),
        catching_up: true,
        next_tick: Instant::now() + HEARTBEAT,
        started: false,
        ended: false,
    };
    let s = futures::stream::unfold(state, |mut st| async move {
        if st.ended {
            return None;
        }
        if !st.started {
            st.started = true;
            // Reconnect after 1–3 s, so a restarted server is not hit by all at once.
            let jitter = 1000 + (rand::random::<u64>() % 2000);
            let hello = Event::default()
                .retry(Duration::from_millis(jitter))
                .comment("leadline");
            return Some((Ok(hello), st));
        }
        loop {
            if let Some(e) = st.pending.pop_front() {
                return Some((Ok(e), st));
            }
            if st.catching_up {
                match st.reader.load(st.after).await {
                    Ok(Some((batch, last))) => {
                        let mut picked = Vec::new();
                        match st.reader.pick(&batch, st.after, &mut picked) {
                            Ok(after) => st.after = after.max(last),
                            Err(e) => return Some((Ok(st.deny(e)), st)),
                        }
                        st.take(picked);
                        if let Err(e) = st.recheck().await {
                            return Some((Ok(st.deny(e)), st));
                        }
                    }
                    Ok(None) => st.catching_up = false,
                    Err(e) => return Some((Ok(st.deny(e)), st)),
                }
                continue;
            }
            let deferred = st.reader.deferred();
            tokio::select! {
                _ = tokio::time::sleep_until(deferred.unwrap_or(st.next_tick)), if deferred.is_some() => {
                    let mut flushed = Vec::new();
                    st.reader.flush(&mut flushed);
                    // Under the newest id sent: an id must never go back, or a reconnect
                    // would replay what came since.
                    let after = st.after;
                    st.take(flushed.into_iter().map(|(id, n, d)| (id.max(after), n, d)).collect());
                }
                _ = tokio::time::sleep_until(st.next_tick) => {
                    st.next_tick = Instant::now() + HEARTBEAT;
                    if let Err(e) = st.reader.tick().await {
                        return Some((Ok(st.deny(e)), st));
                    }
                    return Some((Ok(Event::default().comment("")), st));
                }
                batch = st.live.recv() => match batch {
                    Ok(batch) => {
                        let mut picked = Vec::new();
                        match st.reader.pick(&batch, st.after, &mut picked) {
                            Ok(after) => st.after = after,
                            Err(e) => return Some((Ok(st.deny(e)), st)),
                        }
                        st.take(picked);
                        if let Err(e) = st.recheck().await {
                            return Some((Ok(st.deny(e)), st));
                        }
                    }
                    Err(RecvError::Lagged(_)) => st.catching_up = true,
                    Err(RecvError::Closed) => return None,
                }
            }
        }
    });
    Sse::new(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::response::IntoResponse;
    use futures::StreamExt;
    use std::sync::Mutex;

    /// A table of event ids 1..; a batch is the ids it carries.
    struct Table(Arc<Mutex<Vec<i64>>>);

    impl Reader for Table {
        type Batch = Vec<i64>;
        fn load(&self, after: i64) -> Loaded<Vec<i64>> {
            // At most 3 per read, as the real readers page.
            let rows: Vec<i64> = self
                .0
                .lock()
                .unwrap()
                .iter()
                .copied()
                .filter(|id| *id > after)
                .take(3)
                .collect();
            Box::pin(async move { Ok(rows.last().copied().map(|last| (Arc::new(rows), last))) })
        }
        fn pick(&self, batch: &Vec<i64>, after: i64, out: &mut Vec<Sent>) -> Result<i64, AppError> {
            let mut last = after;
            for id in batch.iter().copied().filter(|id| *id > after) {
                out.push((id, "e", Arc::from(id.to_string())));
                last = id;
            }
            Ok(last)
        }
        fn tick(&self) -> BoxFuture<'static, Result<(), AppError>> {
            Box::pin(async { Ok(()) })
        }
    }

    fn ids(text: &str) -> Vec<i64> {
        text.lines()
            .filter_map(|l| l.strip_prefix("id: ").or_else(|| l.strip_prefix("id:")))
            .map(|n| n.trim().parse().unwrap())
            .collect()
    }

    /// A stream that fell behind the fan-out (its channel lagged) reads what it missed from
    /// the table, in order, once each, and then follows the live batches again.
    #[tokio::test]
    async fn a_stream_that_falls_behind_catches_up_from_the_table() {
        let table = Arc::new(Mutex::new(vec![1, 2]));
        let (tx, live) = tokio::sync::broadcast::channel::<Arc<Vec<i64>>>(4);
        let body = stream(0, live, Table(table.clone()))
            .into_response()
            .into_body();
        let mut frames = body.into_data_stream();
        let mut seen = String::new();
        while ids(&seen) != [1, 2] {
            let f = frames.next().await.unwrap().unwrap();
            seen.push_str(std::str::from_utf8(&f).unwrap());
        }
        // Twenty events commit while the stream is not polled: its channel of 4 lags.
        for id in 3..=22 {
            table.lock().unwrap().push(id);
            let _ = tx.send(Arc::new(vec![id]));
        }
        let want: Vec<i64> = (1..=22).collect();
        while ids(&seen) != want {
            let f = tokio::time::timeout(Duration::from_secs(5), frames.next())
                .await
                .expect("the stream catches up")
                .unwrap()
                .unwrap();
            seen.push_str(std::str::from_utf8(&f).unwrap());
            assert!(ids(&seen).len() <= want.len(), "{seen}");
        }
        // And then it is live again.
        table.lock().unwrap().push(23);
        tx.send(Arc::new(vec![23])).unwrap();
        while ids(&seen).last() != Some(&23) {
            let f = tokio::time::timeout(Duration::from_secs(5), frames.next())
                .await
                .expect("live again")
                .unwrap()
                .unwrap();
            seen.push_str(std::str::from_utf8(&f).unwrap());
        }
        assert_eq!(ids(&seen), (1..=23).collect::<Vec<_>>());
    }
}
