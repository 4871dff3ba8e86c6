//! Password hashing with argon2id on a bounded blocking pool, so a flood of logins
//! cannot starve the rest of the server (B6).
use crate::error::AppError;
use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use std::sync::Arc;
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
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
    /// `concurrency` hashes may run at once; the rest wait their turn.
    pub fn new(concurrency: usize) -> Self {
        let decoy = uuid::Uuid::new_v4().to_string();
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            decoy_hash: hash_now(&decoy)
                .expect("hashing a fixed-size random string cannot fail")
                .into(),
        }
    }

    pub async fn hash(&self, password: &str) -> Result<String, AppError> {
        let password = password.to_string();
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| AppError::Internal)?;
        tokio::task::spawn_blocking(move || hash_now(&password))
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
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| AppError::Internal)?;
        let matched = tokio::task::spawn_blocking(move || {
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
}
