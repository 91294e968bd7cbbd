//! Test helpers: a moto S3 server started per test, and a canned-response HTTP server.

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use blob_store::{BlobStore, S3Config, StoreConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MOTO_INSTALL_HINT: &str = "install moto's server into a venv and point MOTO_SERVER_BIN at it:
  python3 -m venv /root/.cache/helper-blob-venv
  /root/.cache/helper-blob-venv/bin/pip install 'moto[server]'
  export MOTO_SERVER_BIN=/root/.cache/helper-blob-venv/bin/moto_server";

/// Most time moto may take to accept connections.
const MOTO_STARTUP_MAX: Duration = Duration::from_secs(20);

/// A running `moto_server`, killed on drop.
pub(crate) struct Moto {
    child: Child,
    pub(crate) addr: SocketAddr,
    _log_dir: tempfile::TempDir,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    /// Starts `moto_server` from `MOTO_SERVER_BIN`, else from `PATH`; panics with install
    /// instructions when it cannot. This test does not skip: S3 compatibility is part of the
    /// contract.
    pub(crate) fn start() -> Moto {
        let bin =
            std::env::var_os("MOTO_SERVER_BIN").map_or(PathBuf::from("moto_server"), PathBuf::from);
        let addr = free_local_addr();
        let log_dir = tempfile::tempdir().unwrap();
        let log_path = log_dir.path().join("moto.log");
        let log = std::fs::File::create(&log_path).unwrap();
        let child = Command::new(&bin)
            .args(["-p", &addr.port().to_string(), "-H", "127.0.0.1"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|err| {
                panic!("cannot start `{}`: {err}\n{MOTO_INSTALL_HINT}", bin.display())
            });
        let mut moto = Moto { child, addr, _log_dir: log_dir };
        let start = Instant::now();
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return moto;
            }
            let exited = moto.child.try_wait().unwrap();
            if exited.is_some() || start.elapsed() > MOTO_STARTUP_MAX {
                let mut log = String::new();
                let _ = std::fs::File::open(&log_path)
                    .and_then(|mut file| file.read_to_string(&mut log));
                panic!(
                    "`{}` did not start ({exited:?}); its log:\n{log}\n{MOTO_INSTALL_HINT}",
                    bin.display()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub(crate) fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Creates a bucket with a plain `PUT /<bucket>`: object_store cannot create buckets and
    /// moto does not check signatures.
    pub(crate) async fn create_bucket(&self, bucket: &str) {
        let response = http_request(self.addr, &format!("PUT /{bucket} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", self.addr)).await;
        assert!(response.starts_with("HTTP/1.1 200"), "create bucket `{bucket}`: {response}");
    }

    pub(crate) fn store(&self) -> BlobStore {
        s3_store(&self.endpoint())
    }
}

pub(crate) fn s3_store(endpoint: &str) -> BlobStore {
    BlobStore::new(StoreConfig::S3(S3Config {
        endpoint: Some(endpoint.to_owned()),
        region: "us-east-1".to_owned(),
        access_key_id: "testing".to_owned(),
        secret_access_key: "testing".to_owned(),
        session_token: None,
        virtual_hosted_style: false,
        allow_http: true,
    }))
    .unwrap()
}

pub(crate) fn free_local_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

async fn http_request(addr: SocketAddr, request: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    String::from_utf8_lossy(&response).into_owned()
}

/// A canned S3 response: status line and XML body (empty for none).
pub(crate) struct Canned {
    pub(crate) status: &'static str,
    pub(crate) body: &'static str,
}

/// Serves every request with `respond(method, path_and_query)` until the test ends. Returns
/// the endpoint URL.
pub(crate) async fn fake_s3(respond: fn(&str, &str) -> Canned) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|window| window == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let request = String::from_utf8_lossy(&request).into_owned();
                let mut request_line = request.lines().next().unwrap_or_default().split(' ');
                let method = request_line.next().unwrap_or_default().to_owned();
                let target = request_line.next().unwrap_or_default().to_owned();
                let canned = respond(&method, &target);
                let body = if method == "HEAD" { "" } else { canned.body };
                let response = format!(
                    "HTTP/1.1 {}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    canned.status,
                    canned.body.len(),
                );
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}
