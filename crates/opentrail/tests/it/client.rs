//! A small blocking HTTP client for tests: SigV4-signed requests over a fresh connection,
//! and a handle on a running `opentrail serve`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, SystemTime};

use crate::opentrail;

/// Credentials and endpoint from the server's `admin.env`.
#[derive(Clone, Debug)]
pub(crate) struct Admin {
    pub(crate) address: String,
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
    pub(crate) region: String,
    pub(crate) channel_arn: String,
}

impl Admin {
    pub(crate) fn account_id(&self) -> &str {
        self.channel_arn.split(':').nth(4).unwrap_or_default()
    }
}

/// A running server.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) admin: Admin,
}

impl Server {
    pub(crate) fn start(data_dir: &Path) -> Server {
        Server::start_with(data_dir, &[], Stdio::null())
    }

    /// Starts with extra `serve` arguments, its log (RUST_LOG=warn) going to `stderr`.
    pub(crate) fn start_with(data_dir: &Path, args: &[&str], stderr: Stdio) -> Server {
        let mut child = opentrail()
            .args(["serve", "--listen", "127.0.0.1:0", "--disk-free-bytes-min", "0", "--data-dir"])
            .arg(data_dir)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start opentrail serve");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first_line = String::new();
        stdout.read_line(&mut first_line).unwrap();
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let address = first_line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no address in {first_line:?}"))
            .to_owned();
        let env = std::fs::read_to_string(data_dir.join("admin.env")).unwrap();
        let var = |name: &str| {
            env.lines()
                .find_map(|l| l.strip_prefix(&format!("{name}=")))
                .unwrap_or_else(|| panic!("{name} missing from admin.env"))
                .to_owned()
        };
        let admin = Admin {
            address,
            access_key_id: var("AWS_ACCESS_KEY_ID"),
            secret_access_key: var("AWS_SECRET_ACCESS_KEY"),
            region: var("AWS_REGION"),
            channel_arn: var("OPENTRAIL_DEFAULT_CHANNEL_ARN"),
        };
        Server { child, admin }
    }

    pub(crate) fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub(crate) fn terminate(mut self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        assert!(exit.success(), "exit after SIGTERM: {exit:?}");
    }
}

/// Sends one signed request; returns the status and body, or the IO error.
pub(crate) fn signed_request(
    admin: &Admin,
    service: &str,
    path: &str,
    query: &str,
    body: &[u8],
) -> std::io::Result<(u16, Vec<u8>)> {
    let credentials = sigv4::Credentials {
        access_key_id: admin.access_key_id.clone(),
        secret_access_key: admin.secret_access_key.clone(),
        session_token: None,
    };
    let mut headers = vec![
        ("host".to_owned(), admin.address.clone()),
        ("content-type".to_owned(), "application/json".to_owned()),
    ];
    let params = sigv4::SigningParams {
        credentials: &credentials,
        region: &admin.region,
        service,
        now: SystemTime::now(),
        uri_encoding: sigv4::UriEncoding::Normal,
    };
    sigv4::sign(&mut headers, "POST", path, query, body, &params);
    let mut stream = TcpStream::connect(&admin.address)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let target = if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") };
    let mut request = format!(
        "POST {target} HTTP/1.1\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in &headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    stream.write_all(body)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let header_end = response.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "incomplete response")
    })?;
    let status_line = String::from_utf8_lossy(&response[..header_end]);
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "no status"))?;
    Ok((status, response[header_end + 4..].to_vec()))
}

/// `opentrail wal dump` of `data_dir`, one record per line.
pub(crate) fn wal_dump(data_dir: &PathBuf) -> Vec<String> {
    let out = crate::run_ok(opentrail().args(["wal", "dump", "--data-dir"]).arg(data_dir));
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_owned).collect()
}
