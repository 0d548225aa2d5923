//! Tests of the `paydesk` binary as operators run it: a crash under load loses nothing
//! that was acknowledged.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod privacy;
mod two_nodes;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_paydesk");

/// One HTTP/1.1 request with `Connection: close`; returns status and body.
fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    key: Option<&str>,
    body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    if let Some(k) = key {
        req.push_str(&format!("Idempotency-Key: {k}\r\n"));
    }
    let body = body.unwrap_or("");
    if !body.is_empty() {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes())?;
    let mut raw = String::new();
    s.read_to_string(&mut raw)?;
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))?;
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn paydesk(args: &[&str], db: &str) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env("DATABASE_URL", db)
        // Cheap hashing: the test is about durability, not password cost.
        .env("PAYDESK__AUTH__ARGON2_MEMORY_KIB", "64")
        .env("PAYDESK__AUTH__ARGON2_ITERATIONS", "1")
        .env("PAYDESK__LOG__LEVEL", "warn")
        .env("PAYDESK__ENCRYPTION__DEVELOPMENT_KEY", "true");
    c
}

fn start(db: &str, port: u16) -> Child {
    let mut child = paydesk(&["serve", "--bind", &format!("127.0.0.1:{port}")], db)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok((200, _)) = http(port, "GET", "/readyz", None, None, None) {
            return child;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("paydesk did not become ready on port {port}");
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

#[test]
fn kill_9_under_a_load_of_payments_loses_no_acknowledged_payment() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(store::testing::fresh_database_url()).unwrap();
    let seeded = paydesk(&["demo", "--customers", "4"], &db)
        .output()
        .unwrap();
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let port = free_port();
    let mut server = start(&db, port);
    let login = r#"{"audience":"staff","login":"admin@demo.paydesk.id","password":"paydesk-demo"}"#;
    let (status, body) =
        http(port, "POST", "/api/v1/auth/tokens", None, None, Some(login)).unwrap();
    assert_eq!(status, 201, "{body}");
    let admin = json(&body)["token"].as_str().unwrap().to_owned();
    let (_, body) = http(
        port,
        "GET",
        "/api/v1/customers?limit=4",
        Some(&admin),
        None,
        None,
    )
    .unwrap();
    let customers: Vec<String> = json(&body)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    let (_, body) = http(
        port,
        "GET",
        "/api/v1/merchants?limit=1",
        Some(&admin),
        None,
        None,
    )
    .unwrap();
    let merchant = json(&body)["items"][0]["id"].as_str().unwrap().to_owned();
    for (i, c) in customers.iter().enumerate() {
        let top = format!(r#"{{"type":"top_up","customer_id":"{c}","amount_minor":100000000}}"#);
        assert_eq!(
            http(
                port,
                "POST",
                "/api/v1/wallet/operations",
                Some(&admin),
                Some(&format!("crash-top-{i}")),
                Some(&top)
            )
            .unwrap()
            .0,
            201
        );
    }

    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let (ack, stop, admin, merchant, customer) = (acknowledged.clone(), stop.clone(), admin.clone(), merchant.clone(), customers[w % customers.len()].clone());
            std::thread::spawn(move || {
                for n in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let pay = format!(r#"{{"type":"payment","customer_id":"{customer}","merchant_id":"{merchant}","amount_minor":{}}}"#, 1_000_00 + n);
                    match http(port, "POST", "/api/v1/wallet/operations", Some(&admin), Some(&format!("crash-{w}-{n}")), Some(&pay)) {
                        Ok((201, body)) => ack.lock().unwrap().push(json(&body)["id"].as_str().unwrap().to_owned()),
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    // SIGKILL: no shutdown handler runs, in-flight transactions are cut off.
    server.kill().unwrap();
    server.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 20,
        "the load produced too few payments to mean anything: {}",
        acknowledged.len()
    );

    let mut server = start(&db, port);
    let (_, body) = http(port, "POST", "/api/v1/auth/tokens", None, None, Some(login)).unwrap();
    let admin = json(&body)["token"].as_str().unwrap().to_owned();
    for id in &acknowledged {
        let (status, body) = http(
            port,
            "GET",
            &format!("/api/v1/transactions/{id}"),
            Some(&admin),
            None,
            None,
        )
        .unwrap();
        assert_eq!(status, 200, "acknowledged payment {id} lost: {body}");
        assert_eq!(json(&body)["transaction"]["status"], "succeeded");
    }
    server.kill().unwrap();
    server.wait().unwrap();
    rt.block_on(async {
        use domain::repo::WalletRepo;
        let store = store::Store::open(&store::StoreOptions::new(db.clone(), 2))
            .await
            .unwrap();
        let accounts = store.ledger_accounts().await.unwrap();
        domain::ledger::check_invariants(accounts.iter()).unwrap();
    });
}
