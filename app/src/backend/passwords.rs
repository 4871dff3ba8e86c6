//! Password hashing with argon2id on a bounded pool of its own threads, so a flood of
//! logins cannot starve the rest of the server (B6): at most half the cores hash at once,
//! at the lowest scheduling priority (nice 19), so a chat message never waits behind a
//! hash; and past a bounded queue a flood is refused at once (429) instead of queueing.
use crate::error::AppError;
use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// How many sign-ins may wait for the pool; past that a flood is refused at once (429)
/// instead of queueing without end (B6).
const MAX_WAITING: usize = 64;

#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// The hashing threads' queue.
    pool: std::sync::mpsc::SyncSender<Job>,
    /// Hashes waiting for or holding a permit, and how many may.
    queued: Arc<std::sync::atomic::AtomicUsize>,
    max_waiting: usize,
    /// Verified against when the email is unknown, so that path costs as much as a wrong password.
    decoy_hash: Arc<str>,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords").finish_non_exhaustive()
    }
}

fn hash_now(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

impl Passwords {
    /// `concurrency` hashes may run at once; the rest wait their turn, up to a bound.
    pub fn new(concurrency: usize) -> Self {
        let decoy = uuid::Uuid::new_v4().to_string();
        let concurrency = concurrency.max(1);
        Self {
            permits: Arc::new(Semaphore::new(concurrency)),
            pool: start_pool(concurrency),
            queued: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
            max_waiting: MAX_WAITING,
            decoy_hash: hash_now(&decoy)
                .expect("hashing a fixed-size random string cannot fail")
                .into(),
        }
    }

    /// For a server with `cores` cores: hashing may use half of them (at least one), so a
    /// flood of sign-ins always leaves the chat a core (B6).
    pub fn for_cores(cores: usize) -> Self {
        Self::new((cores / 2).max(1))
    }

    /// Runs `f` on a hashing thread.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, &'static str> {
        let (done, answer) = tokio::sync::oneshot::channel();
        self.pool
            .send(Box::new(move || {
                let _ = done.send(f());
            }))
            .map_err(|_| "the hashing pool is gone")?;
        answer.await.map_err(|_| "the hashing job was lost")
    }

    /// A turn on the pool, or 429 when too many are already waiting.
    async fn turn(&self) -> Result<Turn, AppError> {
        use std::sync::atomic::Ordering;
        if self.queued.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
            self.queued.fetch_sub(1, Ordering::AcqRel);
            return Err(AppError::TooManyRequests(
                "Too many sign-ins at once. Try again in a moment.".into(),
            ));
        }
        let queued = self.queued.clone();
        let permit = self.permits.clone().acquire_owned().await;
        let turn = Turn {
            _permit: permit.ok(),
            queued,
        };
        match turn._permit {
            Some(_) => Ok(turn),
            None => Err(AppError::Internal),
        }
    }

    pub async fn hash(&self, password: &str) -> Result<String, AppError> {
        let password = password.to_string();
        let _turn = self.turn().await?;
        self.run(move || hash_now(&password))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "hashing task failed");
                AppError::Internal
            })?
            .map_err(|e| {
                tracing::error!(error = %e, "hashing failed");
                AppError::Internal
            })
    }

    /// True when `password` matches `hash`; with no hash (unknown user) it does the same work and
    /// answers false.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, AppError> {
        let known = hash.is_some();
        let hash = hash.unwrap_or(&self.decoy_hash).to_string();
        let password = password.to_string();
        let _turn = self.turn().await?;
        let matched = self
            .run(move || {
                let parsed = PasswordHash::new(&hash)?;
                Ok::<bool, argon2::password_hash::Error>(
                    Argon2::default()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok(),
                )
            })
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "verify task failed");
                AppError::Internal
            })?
            .map_err(|e| {
                tracing::error!(error = %e, "stored hash unreadable");
                AppError::Internal
            })?;
        Ok(known && matched)
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// `n` threads that run hashing jobs at the lowest priority.
fn start_pool(n: usize) -> std::sync::mpsc::SyncSender<Job> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Job>(MAX_WAITING);
    let rx = Arc::new(std::sync::Mutex::new(rx));
    for i in 0..n {
        let rx = rx.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("leadline-hash-{i}"))
            .spawn(move || {
                lowest_priority();
                loop {
                    let job = match rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start a hashing thread");
        }
    }
    tx
}

/// Nice 19 for the calling thread (Linux applies it to the thread alone).
fn lowest_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid has no preconditions; setpriority only changes this thread's nice value.
    unsafe {
        let tid = libc::gettid();
        if libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 19) != 0 {
            tracing::debug!("could not lower the hashing thread's priority");
        }
    }
}

/// A permit of the pool; leaving the queue when dropped.
struct Turn {
    _permit: Option<tokio::sync::OwnedSemaphorePermit>,
    queued: Arc<std::sync::atomic::AtomicUsize>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.queued
            .fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let p = Passwords::new(2);
        let h = p.hash("correct horse").await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(p.verify("correct horse", Some(&h)).await.unwrap());
        assert!(!p.verify("wrong horse", Some(&h)).await.unwrap());
        assert!(!p.verify("correct horse", None).await.unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_flood_past_the_queue_bound_is_refused_not_queued() {
        let mut p = Passwords::new(1);
        p.max_waiting = 4;
        let h = p.hash("correct horse").await.unwrap();
        let tries: Vec<_> = (0..44)
            .map(|_| {
                let (p, h) = (p.clone(), h.clone());
                tokio::spawn(async move { p.verify("wrong", Some(&h)).await })
            })
            .collect();
        let mut refused = 0;
        for t in tries {
            match t.await.unwrap() {
                Ok(false) => {}
                Err(AppError::TooManyRequests(_)) => refused += 1,
                other => panic!("{other:?}"),
            }
        }
        assert!(refused >= 40, "refused {refused}");
        // The queue drains: a sign-in afterwards gets its turn.
        assert!(p.verify("correct horse", Some(&h)).await.unwrap());
    }
}
