//! The floor under the network figures, measured in the same run: bare iroh
//! endpoints on loopback (the same transport settings as the phones' nodes
//! in the tests: relays and lookups off, 127.0.0.1) echoing bytes, and one
//! small durable file write.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Instant;

use anyhow::{Context, Result};
use iroh::endpoint::{Connection, PortmapperConfig, presets};
use iroh::protocol::{AcceptError, ProtocolHandler, Router};
use iroh::{Endpoint, RelayMode};

use super::report::Samples;

const ECHO_ALPN: &[u8] = b"kintsugi-bench/echo/0";
/// About the size of a sync message that carries one check-in.
const MESSAGE: usize = 512;

#[derive(Debug, Clone)]
struct Echo;

impl ProtocolHandler for Echo {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        while let Ok((mut send, mut recv)) = conn.accept_bi().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; MESSAGE];
                while recv.read_exact(&mut buf).await.is_ok() {
                    if send.write_all(&buf).await.is_err() {
                        break;
                    }
                }
                let _ = send.finish();
            });
        }
        Ok(())
    }
}

async fn endpoint() -> Result<Endpoint> {
    Ok(Endpoint::builder(presets::Minimal)
        .relay_mode(RelayMode::Disabled)
        .clear_relay_transports()
        .portmapper_config(PortmapperConfig::Disabled)
        .clear_ip_transports()
        .bind_addr(SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0))?
        .bind()
        .await?)
}

/// The network floor: a new connection with one message echoed, and one
/// message echoed on an open stream.
pub struct Floor {
    pub connect_and_echo: Samples,
    pub echo: Samples,
}

pub async fn floor(runs: usize) -> Result<Floor> {
    let server = Router::builder(endpoint().await?)
        .accept(ECHO_ALPN, Echo)
        .spawn();
    let client = endpoint().await?;
    let addr = server.endpoint().addr();
    let message = vec![7u8; MESSAGE];
    let mut back = vec![0u8; MESSAGE];

    let mut connect_and_echo = Samples::new();
    for _ in 0..runs.min(30) {
        let t = Instant::now();
        let conn = client.connect(addr.clone(), ECHO_ALPN).await?;
        let (mut send, mut recv) = conn.open_bi().await?;
        send.write_all(&message).await?;
        recv.read_exact(&mut back).await?;
        connect_and_echo.push(t.elapsed());
        conn.close(0u32.into(), b"done");
    }

    let conn = client.connect(addr, ECHO_ALPN).await?;
    let (mut send, mut recv) = conn.open_bi().await?;
    let mut echo = Samples::new();
    for _ in 0..runs {
        let t = Instant::now();
        send.write_all(&message).await?;
        recv.read_exact(&mut back).await?;
        echo.push(t.elapsed());
    }
    conn.close(0u32.into(), b"done");
    client.close().await;
    server.shutdown().await.context("echo server shutdown")?;
    Ok(Floor {
        connect_and_echo,
        echo,
    })
}

/// A new 1 KiB file written and fsynced, then renamed into place with the
/// directory fsynced: one atomic durable write, as a chunk append makes.
pub fn durable_write(dir: &std::path::Path, runs: usize) -> Result<Samples> {
    use std::io::Write;
    let data = vec![1u8; 1024];
    let mut out = Samples::new();
    for i in 0..runs {
        let tmp = dir.join(format!(".w{i}.tmp"));
        let dst = dir.join(format!("w{i}"));
        let t = Instant::now();
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&data)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &dst)?;
        std::fs::File::open(dir)?.sync_all()?;
        out.push(t.elapsed());
        std::fs::remove_file(&dst)?;
    }
    Ok(out)
}
