//! The HTTP server: hyper's HTTP/1.1 connections with a header read
//! timeout and a header size limit, under a connection cap kept below the
//! file descriptor limit, with graceful shutdown. The body deadline and size
//! limit are tower layers on the router (`api::router`).

mod conns;

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

use conns::{Conns, Slot};

/// Largest request head (request line and headers). Decisions carry their
/// URLs in the JSON body, so real heads are a few hundred bytes.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

/// File descriptors kept free of connections: stdio, the listener, the
/// runtime's epoll and wakers, inotify, the decision log, policy file reads.
pub const RESERVED_FDS: u64 = 32;

/// How long a connection asked to close with no request in progress may
/// take (to finish writing a response) before it is cut.
const CUT_IDLE_AFTER: Duration = Duration::from_millis(100);

/// Connection settings (flags).
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// hyper's header read timeout: from opening, or from the previous
    /// response, to a complete request head. Also the keep-alive idle timeout.
    pub header_read_timeout: Duration,
    /// Open connections before the least recently used is closed.
    pub max_connections: usize,
    /// After the stop signal, how long open requests get to finish.
    pub grace: Duration,
}

/// The cap to use: `asked`, or a default, lowered to what RLIMIT_NOFILE
/// leaves after the reserved descriptors and the closing headroom.
pub fn connection_cap(asked: Option<usize>) -> usize {
    const DEFAULT: usize = 1024;
    // `None` is unlimited.
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX);
    let fits = limit.saturating_sub(RESERVED_FDS + conns::CLOSING_HEADROOM as u64);
    let fits = usize::try_from(fits).unwrap_or(usize::MAX).max(1);
    let wanted = asked.unwrap_or(DEFAULT);
    if wanted > fits {
        let msg = "lowering the connection cap to fit the file descriptor limit (RLIMIT_NOFILE; raise it with `ulimit -n`)";
        if asked.is_some() {
            tracing::warn!(asked = wanted, cap = fits, nofile = limit, "{msg}");
        } else {
            tracing::info!(default = wanted, cap = fits, nofile = limit, "{msg}");
        }
    }
    wanted.min(fits)
}

/// Serves `app` on `listener` until `stop` resolves, then lets open
/// requests finish for at most `config.grace`. Returns whether every
/// connection closed in time.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    config: Config,
    stop: impl Future<Output = ()>,
) -> bool {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout)
        .max_header_size(MAX_HEAD_BYTES);
    let conns = Conns::new(config.max_connections);
    let (stopping, stopped) = watch::channel(false);
    let mut stop = pin!(stop);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = &mut stop => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // EMFILE and the like: the cap should prevent it; back off
                // rather than spin.
                tracing::warn!(error = %e, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let slot = tokio::select! {
            slot = conns.admit() => slot,
            () = &mut stop => break,
        };
        tokio::spawn(connection(
            stream,
            app.clone(),
            http.clone(),
            slot,
            stopped.clone(),
        ));
    }
    drop(listener);
    let _ = stopping.send(true);
    tokio::time::timeout(config.grace, conns.wait_empty())
        .await
        .is_ok()
}

/// Serves one connection until it ends, closing it gracefully (after the
/// request in progress, if any) when the cap or shutdown asks.
async fn connection(
    stream: TcpStream,
    app: Router,
    http: http1::Builder,
    slot: Slot,
    mut stopped: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(|req: hyper::Request<Incoming>| {
        let busy = slot.busy();
        let app = app.clone();
        async move {
            let response = app.oneshot(req).await;
            drop(busy);
            response
        }
    });
    let mut conn = pin!(http.serve_connection(TokioIo::new(stream), service));
    let close_asked = async {
        tokio::select! {
            () = slot.asked_to_close() => {}
            () = until_true(&mut stopped) => {}
        }
    };
    tokio::select! {
        result = conn.as_mut() => return log_end(result),
        () = close_asked => {}
    }
    conn.as_mut().graceful_shutdown();
    // hyper closes an idle connection at once, but one with a partial
    // request head only at its header timeout: with no request in progress
    // (still none a moment later), nothing is lost by cutting it.
    if !slot.is_busy() {
        match tokio::time::timeout(CUT_IDLE_AFTER, conn.as_mut()).await {
            Ok(result) => return log_end(result),
            Err(_) if !slot.is_busy() => return,
            Err(_) => {}
        }
    }
    log_end(conn.await);
}

fn log_end(result: hyper::Result<()>) {
    if let Err(e) = result {
        // Timeouts, resets and malformed requests: the client's doing.
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

/// Resolves once the flag is (or was) set, or its sender is gone.
async fn until_true(flag: &mut watch::Receiver<bool>) {
    let _ = flag.wait_for(|set| *set).await;
}
