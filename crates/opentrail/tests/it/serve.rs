//! `opentrail serve`: starts, bootstraps the admin credentials, answers `/health` and
//! `/ready`, stops cleanly on SIGTERM, and keeps its account across restarts.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;

use crate::client::Server;
use crate::scratch_dir;

fn get(address: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn serves_health_and_stops_on_sigterm() {
    let dir = scratch_dir("serve-health");
    let server = Server::start(&dir);
    let response = get(&server.admin.address, "/health");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"status\":\"ok\""), "{response}");
    let response = get(&server.admin.address, "/ready");
    assert!(response.contains("\"status\":\"ready\""), "{response}");
    assert!(response.to_ascii_lowercase().contains("x-amzn-requestid"), "{response}");

    let mode = std::fs::metadata(dir.join("admin.env")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "admin.env holds a secret");
    // The catalog holds access keys: the database and SQLite's journal files beside it too.
    for suffix in ["", "-wal", "-shm"] {
        let path = dir.join(format!("catalog.sqlite{suffix}"));
        if let Ok(meta) = std::fs::metadata(&path) {
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{}", path.display());
        }
    }
    let env = std::fs::read_to_string(dir.join("admin.env")).unwrap();
    for name in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_REGION",
        "AWS_ENDPOINT_URL",
        "OPENTRAIL_DEFAULT_CHANNEL_ARN",
    ] {
        assert!(env.contains(&format!("{name}=")), "{name} missing:\n{env}");
    }
    let first_admin = server.admin.clone();
    server.terminate();

    // A restart keeps the account, key and channel (and points admin.env at the new port).
    let server = Server::start(&dir);
    assert_eq!(server.admin.access_key_id, first_admin.access_key_id);
    assert_eq!(server.admin.channel_arn, first_admin.channel_arn);
    server.terminate();
}
