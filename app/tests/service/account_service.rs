//! Service tests for accounts, on SQLite and (when configured) PostgreSQL.
#![cfg(feature = "ssr")]
use app::account::{service, Role, BAD_LOGIN};
use app::backend::{authz::Actor, entities::session, passwords::Passwords, testing::TestDatabase};
use app::domain::{EmailAddress, Name, NewPassword};
use app::AppError;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, PaginatorTrait};

fn setup_input(email: &str) -> service::Setup {
    service::Setup {
        company_name: Name::parse("Acme").unwrap(),
        admin_name: Name::parse("Ada Admin").unwrap(),
        email: EmailAddress::parse(email).unwrap(),
        password: NewPassword::parse("admin-password").unwrap(),
    }
}

fn new_user(email: &str, role: Role) -> service::NewUser {
    service::NewUser {
        name: Name::parse("Rey Regular").unwrap(),
        email: EmailAddress::parse(email).unwrap(),
        password: NewPassword::parse("regular-password").unwrap(),
        role,
        can_manage_chatbot: false,
    }
}

async fn with_admin(db: &DatabaseConnection, p: &Passwords) -> Actor {
    service::setup(db, p, setup_input("ada@example.com"))
        .await
        .unwrap()
        .into()
}

#[tokio::test]
async fn setup_runs_once_even_when_raced() {
    for tdb in TestDatabase::all().await {
        let db = tdb.connect().await;
        let p = Passwords::new(2);
        assert!(!service::is_installed(&db).await.unwrap());
        let (a, b) = tokio::join!(
            service::setup(&db, &p, setup_input("one@example.com")),
            service::setup(&db, &p, setup_input("two@example.com")),
        );
        assert_eq!(
            [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(),
            1,
            "{}: exactly one setup wins",
            tdb.kind()
        );
        assert!(service::is_installed(&db).await.unwrap());
        let again = service::setup(&db, &p, setup_input("three@example.com")).await;
        assert!(
            matches!(again, Err(AppError::Conflict(_))),
            "{}",
            tdb.kind()
        );
    }
}

#[tokio::test]
async fn authenticate_right_wrong_unknown_and_inactive() {
    for tdb in TestDatabase::all().await {
        let db = tdb.connect().await;
        let p = Passwords::new(2);
        let admin = with_admin(&db, &p).await;
        let ok = service::authenticate(&db, &p, " ADA@example.com ", "admin-password").await;
        assert_eq!(ok.unwrap().id, admin.user_id);
        let wrong = service::authenticate(&db, &p, "ada@example.com", "nope-nope").await;
        let unknown = service::authenticate(&db, &p, "who@example.com", "admin-password").await;
        let malformed = service::authenticate(&db, &p, "not an email", "admin-password").await;
        for r in [wrong, unknown, malformed] {
            assert_eq!(r.unwrap_err(), AppError::validation("password", BAD_LOGIN));
        }
        let rey = service::add_user(&db, &p, &admin, new_user("rey@example.com", Role::Regular))
            .await
            .unwrap();
        service::set_active(&db, &admin, &rey.id, false)
            .await
            .unwrap();
        let inactive = service::authenticate(&db, &p, "rey@example.com", "regular-password").await;
        assert_eq!(
            inactive.unwrap_err(),
            AppError::validation("password", BAD_LOGIN)
        );
    }
}

#[tokio::test]
async fn users_admin_rules() {
    for tdb in TestDatabase::all().await {
        let db = tdb.connect().await;
        let p = Passwords::new(2);
        let admin = with_admin(&db, &p).await;
        let rey = service::add_user(&db, &p, &admin, new_user("rey@example.com", Role::Regular))
            .await
            .unwrap();
        assert_eq!(rey.role, Role::Regular);
        // The same email twice is refused on the email field, whatever its case.
        let dup =
            service::add_user(&db, &p, &admin, new_user("REY@example.com", Role::Admin)).await;
        assert_eq!(
            dup.unwrap_err().for_field("email").as_deref(),
            Some("A user with this email already exists.")
        );
        // A regular user is refused everything.
        let rey_actor = Actor {
            user_id: uuid::Uuid::parse_str(&rey.id).unwrap(),
            company_id: admin.company_id,
            name: rey.name.clone(),
            email: rey.email.clone(),
            role: Role::Regular,
            can_manage_chatbot: true,
        };
        assert!(matches!(
            service::list_users(&db, &rey_actor).await,
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(
            service::add_user(&db, &p, &rey_actor, new_user("x@example.com", Role::Admin)).await,
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(
            service::update_user(&db, &rey_actor, &rey.id, Role::Admin, true).await,
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(
            service::set_active(&db, &rey_actor, &admin.user_id.to_string(), false).await,
            Err(AppError::Forbidden(_))
        ));
        // Admins change role and permission, but never remove their own admin role or deactivate themselves.
        let promoted = service::update_user(&db, &admin, &rey.id, Role::Admin, true)
            .await
            .unwrap();
        assert_eq!(
            (promoted.role, promoted.can_manage_chatbot),
            (Role::Admin, true)
        );
        let own =
            service::update_user(&db, &admin, &admin.user_id.to_string(), Role::Regular, true)
                .await;
        assert!(own.unwrap_err().for_field("role").is_some());
        assert!(matches!(
            service::set_active(&db, &admin, &admin.user_id.to_string(), false).await,
            Err(AppError::Forbidden(_))
        ));
        // An unknown or malformed id is "not found", never a crash.
        assert!(matches!(
            service::set_active(&db, &admin, "nonsense", false).await,
            Err(AppError::NotFound(_))
        ));
        let users = service::list_users(&db, &admin).await.unwrap();
        assert_eq!(users.len(), 2);
    }
}

#[tokio::test]
async fn deactivation_deletes_the_users_sessions() {
    for tdb in TestDatabase::all().await {
        let db = tdb.connect().await;
        let p = Passwords::new(2);
        let admin = with_admin(&db, &p).await;
        let rey = service::add_user(&db, &p, &admin, new_user("rey@example.com", Role::Regular))
            .await
            .unwrap();
        let rey_id = uuid::Uuid::parse_str(&rey.id).unwrap();
        for n in 0..2 {
            session::Entity::insert(session::ActiveModel {
                id: Set(format!("s{n}")),
                user_id: Set(Some(rey_id)),
                data: Set("{}".into()),
                expires_at: Set(time::OffsetDateTime::now_utc() + time::Duration::hours(1)),
            })
            .exec(&db)
            .await
            .unwrap();
        }
        service::set_active(&db, &admin, &rey.id, false)
            .await
            .unwrap();
        assert_eq!(
            session::Entity::find().count(&db).await.unwrap(),
            0,
            "{}",
            tdb.kind()
        );
    }
}
