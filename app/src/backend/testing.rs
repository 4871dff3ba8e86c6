//! Fresh databases for tests: a SQLite file always, a PostgreSQL schema too when
//! `LEADLINE_TEST_POSTGRES_URL` is set. Each test gets its own.
use super::authz::Actor;
use super::db;
use super::passwords::Passwords;
use crate::account::{service as accounts, Role};
use crate::domain::{EmailAddress, Name, NewPassword};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use std::path::PathBuf;

pub struct TestDatabase {
    pub url: String,
    pub schema: Option<String>,
    dir: Option<PathBuf>,
}

impl TestDatabase {
    pub fn kind(&self) -> &'static str {
        if self.schema.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    }

    /// The SQLite database in `file` (kept: the caller owns it).
    pub fn sqlite_file(file: &std::path::Path) -> Self {
        Self {
            url: format!("sqlite://{}", file.display()),
            schema: None,
            dir: None,
        }
    }

    pub fn sqlite() -> Self {
        let dir = std::env::temp_dir().join(format!("leadline-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("the temp directory is writable");
        Self {
            url: format!("sqlite://{}/test.db", dir.display()),
            schema: None,
            dir: Some(dir),
        }
    }

    /// A fresh schema on the test PostgreSQL server, or None when none is configured.
    pub async fn postgres() -> Option<Self> {
        let url = std::env::var("LEADLINE_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())?;
        let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
        let admin = db::connect(&url, None)
            .await
            .expect("LEADLINE_TEST_POSTGRES_URL answers");
        admin
            .execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
            .await
            .expect("can create a schema");
        admin.close().await.ok();
        Some(Self {
            url,
            schema: Some(schema),
            dir: None,
        })
    }

    /// SQLite, and PostgreSQL when configured.
    pub async fn all() -> Vec<Self> {
        let mut all = vec![Self::sqlite()];
        all.extend(Self::postgres().await);
        all
    }

    /// Connects and migrates.
    pub async fn connect(&self) -> DatabaseConnection {
        let conn = db::connect(&self.url, self.schema.as_deref())
            .await
            .expect("test database connects");
        db::migrate(&conn).await.expect("migrations run");
        conn
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Runs setup on `db` (company "Acme"); returns its first admin.
pub async fn company(db: &DatabaseConnection) -> Actor {
    accounts::setup(
        db,
        &Passwords::new(1),
        accounts::Setup {
            company_name: Name::parse("Acme").expect("a valid name"),
            admin_name: Name::parse("Ada Admin").expect("a valid name"),
            email: EmailAddress::parse("ada@example.com").expect("a valid email"),
            password: NewPassword::parse("admin-password").expect("a valid password"),
        },
    )
    .await
    .expect("setup runs on a fresh database")
    .into()
}

/// Adds a regular user (password "user-password") to the admin's company.
pub async fn regular_user(
    db: &DatabaseConnection,
    admin: &Actor,
    email: &str,
    can_manage_chatbot: bool,
) -> Actor {
    let row = accounts::add_user(
        db,
        &Passwords::new(1),
        admin,
        accounts::NewUser {
            name: Name::parse("Rey Regular").expect("a valid name"),
            email: EmailAddress::parse(email).expect("a valid email"),
            password: NewPassword::parse("user-password").expect("a valid password"),
            role: Role::Regular,
            can_manage_chatbot,
        },
    )
    .await
    .expect("the admin adds a user");
    Actor {
        user_id: uuid::Uuid::parse_str(&row.id).expect("ids are uuids"),
        company_id: admin.company_id,
        name: row.name,
        email: row.email,
        role: Role::Regular,
        can_manage_chatbot,
    }
}

/// A second company with its own admin (`email`, password "other-password"): setup makes
/// one company, the schema holds many, and nothing of one may reach the other.
pub async fn second_company(db: &DatabaseConnection, email: &str) -> Actor {
    use crate::backend::entities::company;
    use sea_orm::{ActiveValue::Set, EntityTrait};
    let company_id = uuid::Uuid::now_v7();
    company::Entity::insert(company::ActiveModel {
        id: Set(company_id),
        name: Set("Other Co".into()),
        created_at: Set(time::OffsetDateTime::now_utc()),
        default_country: Set(None),
        ..Default::default()
    })
    .exec(db)
    .await
    .expect("a second company");
    // Its first admin is added as if by an admin of that company.
    let founder = Actor {
        user_id: uuid::Uuid::now_v7(),
        company_id,
        name: "Founder".into(),
        email: "founder@other.example".into(),
        role: Role::Admin,
        can_manage_chatbot: true,
    };
    let row = accounts::add_user(
        db,
        &Passwords::new(1),
        &founder,
        accounts::NewUser {
            name: Name::parse("Otto Other").expect("a valid name"),
            email: EmailAddress::parse(email).expect("a valid email"),
            password: NewPassword::parse("other-password").expect("a valid password"),
            role: Role::Admin,
            can_manage_chatbot: true,
        },
    )
    .await
    .expect("the second company's admin");
    Actor {
        user_id: uuid::Uuid::parse_str(&row.id).expect("ids are uuids"),
        company_id,
        name: row.name,
        email: row.email,
        role: Role::Admin,
        can_manage_chatbot: true,
    }
}

/// The start of a PNG whose header declares `width` × `height` pixels and holds nothing
/// else (an upload that would take gigabytes to decode if it were believed).
pub fn png_header_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    png
}

/// PNG's chunk checksum.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for b in bytes {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
