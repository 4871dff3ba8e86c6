//! The `leadline` command line: setup once, refused the second time and on bad input; migrate.
use app::backend::testing::TestDatabase;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn leadline(db: &TestDatabase, args: &[&str], stdin: &str) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_leadline"));
    cmd.args(args)
        .env("LEADLINE_DATABASE_URL", &db.url)
        .env("LEADLINE_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match &db.schema {
        Some(s) => cmd.env("LEADLINE_DATABASE_SCHEMA", s),
        None => cmd.env_remove("LEADLINE_DATABASE_SCHEMA"),
    };
    let mut child = cmd.spawn().expect("leadline runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn setup_args<'a>(company: &'a str, email: &'a str) -> Vec<&'a str> {
    vec![
        "setup",
        "--company",
        company,
        "--email",
        email,
        "--name",
        "Ada Admin",
    ]
}

#[tokio::test]
async fn setup_works_once_and_refuses_the_second_time() {
    for db in TestDatabase::all().await {
        let bad_email = leadline(&db, &setup_args("Acme", "not-an-email"), "admin-password\n");
        assert_eq!(bad_email.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&bad_email.stderr).contains("--email"));

        let short = leadline(&db, &setup_args("Acme", "ada@example.com"), "short\n");
        assert_eq!(short.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&short.stderr).contains("at least 8"));

        let ok = leadline(
            &db,
            &setup_args("Acme", "ada@example.com"),
            "admin-password\n",
        );
        assert!(
            ok.status.success(),
            "{}: {}",
            db.kind(),
            String::from_utf8_lossy(&ok.stderr)
        );
        assert!(String::from_utf8_lossy(&ok.stdout).contains("ada@example.com"));

        let again = leadline(
            &db,
            &setup_args("Other", "eve@example.com"),
            "eve-password\n",
        );
        assert_eq!(again.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&again.stderr).contains("already set up"));

        // The admin made on the command line can log in with that password.
        let conn = db.connect().await;
        let p = app::backend::passwords::Passwords::new(1);
        let user =
            app::account::service::authenticate(&conn, &p, "ada@example.com", "admin-password")
                .await
                .expect("the CLI admin logs in");
        assert_eq!(user.role, "admin");
    }
}

#[tokio::test]
async fn migrate_runs_and_exits() {
    for db in TestDatabase::all().await {
        let out = leadline(&db, &["migrate"], "");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Idempotent.
        assert!(leadline(&db, &["migrate"], "").status.success());
    }
}

/// `LEADLINE_LOG_FORMAT=json`: one JSON object per log line, for a log collector.
#[test]
fn logs_can_be_json_lines() {
    let db = TestDatabase::sqlite();
    let out = Command::new(env!("CARGO_BIN_EXE_leadline"))
        .arg("migrate")
        .env("LEADLINE_DATABASE_URL", &db.url)
        .env("LEADLINE_LOG", "info")
        .env("LEADLINE_LOG_FORMAT", "json")
        .output()
        .expect("leadline runs");
    assert!(out.status.success());
    let logs = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    assert!(
        lines.iter().any(|l| l["level"] == "INFO"
            && l["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("migration"))),
        "{logs}"
    );
}

#[tokio::test]
async fn serve_stops_cleanly_on_sigterm() {
    use std::io::{BufRead, BufReader};
    let db = TestDatabase::sqlite();
    let mut child = Command::new(env!("CARGO_BIN_EXE_leadline"))
        .arg("serve")
        .env("LEADLINE_DATABASE_URL", &db.url)
        .env("LEADLINE_ADDR", "127.0.0.1:0")
        .env("LEADLINE_LOG", "info")
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .spawn()
        .expect("leadline runs");
    // Wait until it listens, and read the port it got.
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("server logs before exiting").unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.trim().to_string();
        }
    };
    let health = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .unwrap();
    assert_eq!(health.status(), reqwest::StatusCode::OK);
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "exit after SIGTERM: {status:?}");
}

/// `leadline backup` only reads: a database one migration behind (a newer binary backing up
/// an older database) is copied as it is and stays as it was; a database that does not exist
/// is not created.
#[tokio::test]
async fn backup_only_reads_the_database_it_copies() {
    use migrations::{Migrator, MigratorTrait};
    let db = TestDatabase::sqlite();
    let all = Migrator::migrations().len();
    let conn = app::backend::db::connect(&db.url, None).await.unwrap();
    Migrator::up(&conn, Some(all as u32 - 1)).await.unwrap();
    conn.close().await.unwrap();
    let dir = std::env::temp_dir().join(format!("leadline-backup-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("copy.db");
    let out = leadline(&db, &["backup", copy.to_str().unwrap()], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(copy.is_file(), "the copy is written");
    let conn = app::backend::db::connect(&db.url, None).await.unwrap();
    let applied = Migrator::get_applied_migrations(&conn).await.unwrap().len();
    assert_eq!(applied, all - 1, "the database backed up is not migrated");
    conn.close().await.unwrap();

    let missing = dir.join("missing.db");
    let out = leadline(
        &TestDatabase::sqlite_file(&missing),
        &["backup", dir.join("copy2.db").to_str().unwrap()],
        "",
    );
    assert!(!out.status.success(), "no database, no backup");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("there is no database"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!missing.exists(), "the missing database is not created");
    let _ = std::fs::remove_dir_all(&dir);
}
