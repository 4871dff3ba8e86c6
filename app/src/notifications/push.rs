//! Web Push (F5.2): a notification reaches a user's browser with no Leadline tab open, on a
//! phone too. Each browser's subscription is saved for its user; the VAPID key is made on
//! first start and kept in the database (`LEADLINE_VAPID_PRIVATE_KEY` overrides it); payloads
//! are encrypted as RFC 8291 says (`web-push-native`, pure Rust).
//!
//! One server of several sends (a lease in the database), from the shared batches of new
//! events, with the same rule as the event streams (`service::notice_for`), to users who
//! have no inbox tab in front. Sends go through a bounded queue, each with a timeout and a
//! few retries with backoff; a push service that is slow or down never slows the chat, and a
//! subscription the push service says is gone (404, 410) is deleted.
use super::service::{notice_for, Prefs};
use super::Switches;
use crate::backend::actor::Actor;
use crate::backend::entities::{company, lease, presence, push_subscription, server_key, user};
use crate::backend::realtime::fanout::{Fanout, Topic};
use crate::conversation::feed::{Batch, Item};
use crate::conversation::{AuthorKind, EventPayload};
use crate::error::AppError;
use base64ct::{Base64UrlUnpadded, Encoding};
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ActiveValue::Set,
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::{mpsc, Mutex, OnceCell};
use uuid::Uuid;
use web_push_native::jwt_simple::algorithms::{ECDSAP256PublicKeyLike, ES256KeyPair};
use web_push_native::{p256, Auth, WebPushBuilder};

/// How many pushes may wait to be sent; beyond that new ones are dropped (and logged).
const QUEUE: usize = 10_000;
/// Pushes sent at the same time.
const SENDERS: usize = 8;
/// How long one send may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Waits before the second and third tries.
const BACKOFF: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(5)];
/// How long a push service keeps a notification for an offline browser.
const TTL: Duration = Duration::from_secs(3600);
/// The lease that makes one server of several the sender.
const LEASE: &str = "web_push";
const LEASE_FOR: time::Duration = time::Duration::seconds(30);

/// This process's Web Push: its key (loaded once) and what endpoints it accepts.
#[derive(Default)]
pub struct Push {
    vapid: OnceCell<Arc<Vapid>>,
    /// Accept `http://` endpoints on loopback addresses (`LEADLINE_PUSH_LOOPBACK`, for tests
    /// with a local push service); otherwise only `https://`.
    pub allow_loopback: bool,
}

/// The server's VAPID key pair, and its public key as `applicationServerKey` wants it.
pub struct Vapid {
    pair: ES256KeyPair,
    pub public_key: String,
}

impl Push {
    pub fn new(allow_loopback: bool) -> Self {
        Self {
            vapid: OnceCell::new(),
            allow_loopback,
        }
    }

    /// The VAPID key: `LEADLINE_VAPID_PRIVATE_KEY` (base64url of the P-256 private scalar),
    /// else the one in the database, else a new one saved there (every server then uses it).
    pub async fn vapid(&self, db: &DatabaseConnection) -> Result<Arc<Vapid>, AppError> {
        self.vapid
            .get_or_try_init(|| async {
                let raw = match std::env::var("LEADLINE_VAPID_PRIVATE_KEY") {
                    Ok(k) if !k.trim().is_empty() => k.trim().to_string(),
                    _ => stored_key(db).await?,
                };
                let bytes = Base64UrlUnpadded::decode_vec(&raw).map_err(|_| {
                    tracing::error!("the VAPID private key is not base64url");
                    AppError::Internal
                })?;
                let pair = ES256KeyPair::from_bytes(&bytes).map_err(|_| {
                    tracing::error!("the VAPID private key is not a P-256 key");
                    AppError::Internal
                })?;
                let public = pair.public_key().public_key().to_bytes_uncompressed();
                Ok(Arc::new(Vapid {
                    public_key: Base64UrlUnpadded::encode_string(&public),
                    pair,
                }))
            })
            .await
            .cloned()
    }
}

async fn stored_key(db: &DatabaseConnection) -> Result<String, AppError> {
    if let Some(k) = server_key::Entity::find_by_id("vapid").one(db).await? {
        return Ok(k.value);
    }
    let fresh = Base64UrlUnpadded::encode_string(&ES256KeyPair::generate().to_bytes());
    // Two servers starting at once: the first insert wins and both read it back.
    let _ = server_key::Entity::insert(server_key::ActiveModel {
        name: Set("vapid".into()),
        value: Set(fresh),
    })
    .on_conflict(
        OnConflict::column(server_key::Column::Name)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    tracing::info!("made the Web Push (VAPID) key");
    Ok(server_key::Entity::find_by_id("vapid")
        .one(db)
        .await?
        .ok_or(AppError::Internal)?
        .value)
}

/// A browser's subscription, as `PushSubscription.toJSON()` gives it.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct Subscription {
    pub endpoint: String,
    pub keys: Keys,
}

#[derive(Clone, Debug, serde::Deserialize)]
pub struct Keys {
    pub p256dh: String,
    pub auth: String,
}

fn refused(message: &str) -> AppError {
    AppError::validation("subscription", message)
}

/// The endpoint, when it is one Leadline sends to: `https://`, or `http://` on a loopback
/// address when allowed.
pub fn endpoint_uri(raw: &str, allow_loopback: bool) -> Result<http::Uri, AppError> {
    let bad = || refused("The push endpoint must be an https:// address of a push service.");
    if raw.len() > 2000 {
        return Err(bad());
    }
    let uri: http::Uri = raw.parse().map_err(|_| bad())?;
    let host = uri.host().ok_or_else(bad)?;
    // Push services are public hosts on 443 (fcm.googleapis.com, web.push.apple.com,
    // updates.push.services.mozilla.com, *.notify.windows.com): an address, a local name or
    // another port would have the server knock on doors inside its own network.
    let public_name = host.parse::<std::net::IpAddr>().is_err()
        && !host.starts_with('[')
        && host.contains('.')
        && ![".localhost", ".local", ".internal", ".lan", ".home.arpa"]
            .iter()
            .any(|s| host.to_ascii_lowercase().ends_with(s))
        && uri.port_u16().is_none_or(|p| p == 443);
    match uri.scheme_str() {
        Some("https") if public_name || allow_loopback => Ok(uri),
        Some("http") if allow_loopback => {
            let loopback = host == "localhost"
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if loopback {
                Ok(uri)
            } else {
                Err(bad())
            }
        }
        _ => Err(bad()),
    }
}

/// Resolves push services' names to public addresses only: a name that points inside the
/// server's own network (a loopback, private, link-local or shared address) is refused when
/// Leadline connects, whatever the name looked like when it was saved.
struct PublicOnly {
    allow_loopback: bool,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_any = self.allow_loopback;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let all: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<std::net::SocketAddr> = all
                .into_iter()
                .filter(|a| allow_any || is_public(a.ip()))
                .collect();
            if public.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// An address on the public internet: not loopback, private, link-local, shared (CGNAT),
/// documentation, benchmarking, multicast, reserved or unspecified.
pub fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 198 && (b == 18 || b == 19)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first == 0x2001 && v6.segments()[1] == 0x0db8)
                || first == 0x0064
                || v6.segments()[..6] == [0, 0, 0, 0, 0, 0])
        }
    }
}

/// The browser's key and secret, decoded and checked.
fn browser_keys(keys: &Keys) -> Result<(p256::PublicKey, Auth), AppError> {
    let public = Base64UrlUnpadded::decode_vec(keys.p256dh.trim_end_matches('='))
        .ok()
        .and_then(|b| p256::PublicKey::from_sec1_bytes(&b).ok())
        .ok_or_else(|| refused("The subscription's p256dh key is not a P-256 public key."))?;
    let auth = Base64UrlUnpadded::decode_vec(keys.auth.trim_end_matches('='))
        .ok()
        .filter(|a| a.len() == 16)
        .ok_or_else(|| refused("The subscription's auth secret must be 16 bytes."))?;
    Ok((public, Auth::clone_from_slice(&auth)))
}

/// Saves this browser's subscription for the user (a browser signed in as someone else
/// before is now this user's).
pub async fn subscribe(
    db: &DatabaseConnection,
    actor: &Actor,
    s: &Subscription,
    allow_loopback: bool,
) -> Result<(), AppError> {
    endpoint_uri(&s.endpoint, allow_loopback)?;
    browser_keys(&s.keys)?;
    let txn = crate::backend::db::write_txn(db).await?;
    push_subscription::Entity::delete_many()
        .filter(push_subscription::Column::Endpoint.eq(s.endpoint.as_str()))
        .exec(&txn)
        .await?;
    push_subscription::Entity::insert(push_subscription::ActiveModel {
        id: Set(Uuid::now_v7()),
        company_id: Set(actor.company_id),
        user_id: Set(actor.user_id),
        endpoint: Set(s.endpoint.clone()),
        p256dh: Set(s.keys.p256dh.clone()),
        auth: Set(s.keys.auth.clone()),
        created_at: Set(OffsetDateTime::now_utc()),
    })
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Forgets this browser's subscription (the user's own only).
pub async fn unsubscribe(
    db: &DatabaseConnection,
    actor: &Actor,
    endpoint: &str,
) -> Result<(), AppError> {
    push_subscription::Entity::delete_many()
        .filter(push_subscription::Column::Endpoint.eq(endpoint))
        .filter(push_subscription::Column::UserId.eq(actor.user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// A deactivated user's browsers are told nothing more.
pub async fn forget_user(
    db: &impl sea_orm::ConnectionTrait,
    user_id: Uuid,
) -> Result<(), AppError> {
    push_subscription::Entity::delete_many()
        .filter(push_subscription::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// One push to send.
struct Job {
    subscription: push_subscription::Model,
    payload: String,
}

/// The sender of this process: it sends only while it holds the lease, from every batch of
/// new events the fan-out publishes.
pub async fn run(db: DatabaseConnection, fanout: Arc<Fanout<Batch>>, push: Arc<Push>) {
    let mut batches = fanout.subscribe(Topic::All);
    let (tx, rx) = mpsc::channel::<Job>(QUEUE);
    let rx = Arc::new(Mutex::new(rx));
    let client = match reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        // A push service answers; it never sends us elsewhere (a redirect to an address
        // would get past the resolver's check).
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(PublicOnly {
            allow_loopback: push.allow_loopback,
        }))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "Web Push is off: no HTTP client");
            return;
        }
    };
    let mut senders = Vec::new();
    for _ in 0..SENDERS {
        senders.push(tokio::spawn(sender(
            db.clone(),
            push.clone(),
            client.clone(),
            rx.clone(),
        )));
    }
    let holder = Uuid::now_v7().to_string();
    let mut leading = false;
    let mut renew = tokio::time::interval(Duration::from_secs(10));
    loop {
        tokio::select! {
            _ = renew.tick() => {
                leading = match hold(&db, &holder).await {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::warn!(error = %e, "the Web Push lease could not be renewed");
                        false
                    }
                };
            }
            batch = batches.recv() => match batch {
                Ok(batch) if leading => match plan(&db, &batch).await {
                    Ok(jobs) => {
                        for job in jobs {
                            if tx.try_send(job).is_err() {
                                tracing::warn!("Web Push queue full: a push was dropped");
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "Web Push: could not plan the pushes"),
                },
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(batches = n, "Web Push fell behind: pushes skipped");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    }
    for s in senders {
        s.abort();
    }
}

/// Takes or renews the lease; true while this process holds it.
async fn hold(db: &DatabaseConnection, holder: &str) -> Result<bool, AppError> {
    let now = OffsetDateTime::now_utc();
    let _ = lease::Entity::insert(lease::ActiveModel {
        name: Set(LEASE.into()),
        holder: Set(String::new()),
        until: Set(OffsetDateTime::UNIX_EPOCH),
    })
    .on_conflict(
        OnConflict::column(lease::Column::Name)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let taken = lease::Entity::update_many()
        .col_expr(lease::Column::Holder, Expr::value(holder))
        .col_expr(lease::Column::Until, Expr::value(now + LEASE_FOR))
        .filter(lease::Column::Name.eq(LEASE))
        .filter(
            Condition::any()
                .add(lease::Column::Holder.eq(holder))
                .add(lease::Column::Until.lt(now)),
        )
        .exec(db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Whether an event may make a notification at all (before anything is read).
fn may_notify(item: &Item) -> bool {
    match &item.payload {
        EventPayload::Conversation { change, .. } => change.is_some(),
        EventPayload::Message { message } => message.author == AuthorKind::Visitor,
        _ => false,
    }
}

/// The pushes a batch makes: for each subscribed user of the batch's companies, what the
/// event stream would tell them, unless one of their inbox tabs is in front.
async fn plan(db: &DatabaseConnection, batch: &Batch) -> Result<Vec<Job>, AppError> {
    let items: Vec<&Item> = batch.items.iter().filter(|i| may_notify(i)).collect();
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let companies: BTreeSet<Uuid> = items.iter().map(|i| i.company_id).collect();
    let subscriptions = push_subscription::Entity::find()
        .filter(push_subscription::Column::CompanyId.is_in(companies.iter().copied()))
        .order_by_asc(push_subscription::Column::CreatedAt)
        .all(db)
        .await?;
    if subscriptions.is_empty() {
        return Ok(Vec::new());
    }
    let user_ids: BTreeSet<Uuid> = subscriptions.iter().map(|s| s.user_id).collect();
    let users: Vec<user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids.iter().copied()))
        .filter(user::Column::Active.eq(true))
        .all(db)
        .await?;
    let switches: HashMap<Uuid, Switches> = company::Entity::find()
        .filter(company::Column::Id.is_in(companies.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| {
            let s = Switches {
                new_conversation: c.notify_new_conversation,
                assigned: c.notify_assigned,
                message: c.notify_message,
            };
            (c.id, s)
        })
        .collect();
    let now = OffsetDateTime::now_utc();
    let presence: HashMap<Uuid, presence::Model> = presence::Entity::find()
        .filter(presence::Column::UserId.is_in(user_ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.user_id, p))
        .collect();
    let mut jobs = Vec::new();
    for u in &users {
        let here = presence.get(&u.id);
        if here.and_then(|p| p.focused_until).is_some_and(|f| f > now) {
            continue;
        }
        let prefs = Prefs {
            company: switches.get(&u.company_id).copied().unwrap_or_default(),
            mine: Switches {
                new_conversation: u.notify_new_conversation,
                assigned: u.notify_assigned,
                message: u.notify_message,
            },
            online: here.is_some_and(|p| p.online),
        };
        for item in items.iter().filter(|i| i.company_id == u.company_id) {
            let Some(notice) = notice_for(&prefs, u.id, item, batch) else {
                continue;
            };
            let payload = serde_json::to_string(&notice).map_err(|_| AppError::Internal)?;
            for s in subscriptions.iter().filter(|s| s.user_id == u.id) {
                jobs.push(Job {
                    subscription: s.clone(),
                    payload: payload.clone(),
                });
            }
        }
    }
    Ok(jobs)
}

/// How one try went.
enum Sent {
    Done,
    /// The push service says the subscription is gone: delete it.
    Gone,
    /// Worth another try (timeout, 429, 5xx).
    Again(String),
    Failed(String),
}

async fn sender(
    db: DatabaseConnection,
    push: Arc<Push>,
    client: reqwest::Client,
    queue: Arc<Mutex<mpsc::Receiver<Job>>>,
) {
    loop {
        let Some(job) = queue.lock().await.recv().await else {
            return;
        };
        let vapid = match push.vapid(&db).await {
            Ok(v) => v,
            Err(_) => continue,
        };
        let contact = contact(&db).await;
        let mut attempt = 0;
        loop {
            match send_once(&client, &vapid, &contact, &job, push.allow_loopback).await {
                Sent::Done => break,
                Sent::Gone => {
                    tracing::info!(user = %job.subscription.user_id, "push subscription gone: deleted");
                    let _ = push_subscription::Entity::delete_by_id(job.subscription.id)
                        .exec(&db)
                        .await;
                    break;
                }
                Sent::Again(why) if attempt < BACKOFF.len() => {
                    tokio::time::sleep(BACKOFF[attempt]).await;
                    attempt += 1;
                    tracing::debug!(%why, attempt, "push: trying again");
                }
                Sent::Again(why) | Sent::Failed(why) => {
                    tracing::warn!(user = %job.subscription.user_id, %why, "push not delivered");
                    break;
                }
            }
        }
    }
}

/// Who runs this server, for the push services (RFC 8292 `sub`): `LEADLINE_VAPID_SUBJECT`,
/// else the first admin's email.
async fn contact(db: &DatabaseConnection) -> String {
    if let Ok(s) = std::env::var("LEADLINE_VAPID_SUBJECT") {
        if !s.trim().is_empty() {
            return s.trim().to_string();
        }
    }
    let first = user::Entity::find()
        .filter(user::Column::Role.eq("admin"))
        .order_by_asc(user::Column::CreatedAt)
        .one(db)
        .await
        .ok()
        .flatten();
    format!(
        "mailto:{}",
        first.map_or_else(|| "admin@localhost".to_string(), |u| u.email)
    )
}

async fn send_once(
    client: &reqwest::Client,
    vapid: &Vapid,
    contact: &str,
    job: &Job,
    allow_loopback: bool,
) -> Sent {
    let s = &job.subscription;
    let Ok(uri) = endpoint_uri(&s.endpoint, allow_loopback) else {
        return Sent::Gone;
    };
    let keys = Keys {
        p256dh: s.p256dh.clone(),
        auth: s.auth.clone(),
    };
    let Ok((public, auth)) = browser_keys(&keys) else {
        return Sent::Gone;
    };
    let request = match WebPushBuilder::new(uri, public, auth)
        .with_valid_duration(TTL)
        .with_vapid(&vapid.pair, contact)
        .build(job.payload.clone())
    {
        Ok(r) => r,
        Err(e) => return Sent::Failed(e.to_string()),
    };
    let (parts, body) = request.into_parts();
    let sent = client
        .post(parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_success() => Sent::Done,
        Ok(r) if matches!(r.status().as_u16(), 404 | 410) => Sent::Gone,
        Ok(r) if r.status().as_u16() == 429 || r.status().is_server_error() => {
            Sent::Again(r.status().to_string())
        }
        Ok(r) => Sent::Failed(r.status().to_string()),
        Err(e) => Sent::Again(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::{endpoint_uri, is_public, PublicOnly};
    use reqwest::dns::Resolve;
    use std::str::FromStr;

    #[test]
    fn only_public_addresses_are_reached() {
        for public in [
            "8.8.8.8",
            "142.250.74.10",
            "2606:4700::1111",
            "::ffff:8.8.4.4",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
        for inside in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "2001:db8::1",
        ] {
            assert!(!is_public(inside.parse().unwrap()), "{inside}");
        }
    }

    #[tokio::test]
    async fn a_name_that_points_inside_is_not_connected_to() {
        let strict = PublicOnly {
            allow_loopback: false,
        };
        let name = reqwest::dns::Name::from_str("localhost").unwrap();
        assert!(strict.resolve(name).await.is_err());
        let tests = PublicOnly {
            allow_loopback: true,
        };
        let name = reqwest::dns::Name::from_str("localhost").unwrap();
        let addrs: Vec<_> = tests.resolve(name).await.unwrap().collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()) && !addrs.is_empty());
    }

    #[test]
    fn only_public_push_services_on_443_are_endpoints() {
        for ok in [
            "https://fcm.googleapis.com/fcm/send/abc",
            "https://web.push.apple.com:443/QX",
            "https://updates.push.services.mozilla.com/wpush/v2/x",
        ] {
            assert!(endpoint_uri(ok, false).is_ok(), "{ok}");
        }
        for bad in [
            "https://127.0.0.1:9443/internal-admin",
            "https://10.0.0.1/push",
            "https://[::1]/push",
            "https://localhost/push",
            "https://intranet/push",
            "https://db.internal/push",
            "https://printer.local/push",
            "https://fcm.googleapis.com:8443/push",
            "http://fcm.googleapis.com/push",
            "ftp://fcm.googleapis.com/push",
        ] {
            assert!(endpoint_uri(bad, false).is_err(), "{bad}");
        }
        // A local push service in tests (LEADLINE_PUSH_LOOPBACK).
        assert!(endpoint_uri("http://127.0.0.1:4000/push/1", true).is_ok());
        assert!(endpoint_uri("http://10.0.0.1/push/1", true).is_err());
    }
}
