//! The shared fan-out of one server process. One reader (`crate::conversation::feed::run`)
//! reads new events from the table once per wake and publishes them here as one batch,
//! already prepared; every open stream of a topic (a company's agents, one conversation's
//! visitor) receives the same `Arc` and only filters it, without touching the database. The
//! cost of an event does not grow with the number of open streams.
//!
//! A stream that falls behind (its client reads slowly) is not waited for: its receiver
//! lags, and it catches up from the table by its last event id, as a reconnect does.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, Notify};
use uuid::Uuid;

/// Who a batch concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Every agent stream of the company.
    Company(Uuid),
    /// The visitor's stream of one conversation.
    Conversation(Uuid),
    /// Every batch (the Web Push sender).
    All,
}

impl Topic {
    /// How many batches a stream may be behind before it reads from the table instead.
    fn capacity(self) -> usize {
        match self {
            Topic::Company(_) | Topic::All => 1024,
            Topic::Conversation(_) => 16,
        }
    }
}

pub struct Fanout<B> {
    topics: Mutex<HashMap<Topic, broadcast::Sender<Arc<B>>>>,
    /// Woken by the hub: something new may be in the table.
    pub kick: Arc<Notify>,
}

impl<B: Send + Sync + 'static> Default for Fanout<B> {
    fn default() -> Self {
        Self {
            topics: Mutex::new(HashMap::new()),
            kick: Arc::new(Notify::new()),
        }
    }
}

impl<B: Send + Sync + 'static> Fanout<B> {
    /// Receives every batch published to `topic` from now on.
    pub fn subscribe(&self, topic: Topic) -> broadcast::Receiver<Arc<B>> {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        topics
            .entry(topic)
            .or_insert_with(|| broadcast::channel(topic.capacity()).0)
            .subscribe()
    }

    /// Hands `batch` to every stream of these topics (topics nobody listens to cost nothing).
    pub fn publish(&self, batch: &Arc<B>, topics: impl IntoIterator<Item = Topic>) {
        let topics_held = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        for t in topics {
            if let Some(tx) = topics_held.get(&t) {
                let _ = tx.send(batch.clone());
            }
        }
    }

    /// Forgets the topics whose streams have all ended.
    pub fn prune(&self) {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        topics.retain(|_, tx| tx.receiver_count() > 0);
    }

    /// How many topics have a stream (for tests and the load report).
    pub fn topic_count(&self) -> usize {
        self.topics.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_reaches_the_streams_of_its_topics_only() {
        let f: Fanout<u32> = Fanout::default();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let mut company = f.subscribe(Topic::Company(a));
        let mut company_too = f.subscribe(Topic::Company(a));
        let mut other = f.subscribe(Topic::Conversation(b));
        f.publish(&Arc::new(7), [Topic::Company(a), Topic::Company(b)]);
        assert_eq!(*company.try_recv().unwrap(), 7);
        assert_eq!(*company_too.try_recv().unwrap(), 7);
        assert!(other.try_recv().is_err());
        drop((company, company_too));
        f.prune();
        assert_eq!(f.topic_count(), 1);
    }

    #[test]
    fn a_stream_that_falls_behind_lags_instead_of_holding_others_back() {
        let f: Fanout<u32> = Fanout::default();
        let c = Uuid::now_v7();
        let mut slow = f.subscribe(Topic::Conversation(c));
        for i in 0..40 {
            f.publish(&Arc::new(i), [Topic::Conversation(c)]);
        }
        assert!(matches!(
            slow.try_recv(),
            Err(broadcast::error::TryRecvError::Lagged(_))
        ));
    }
}
