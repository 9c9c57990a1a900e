//! `confide-server`: the reference storage server.
//!
//! ```text
//! confide-server [--addr 127.0.0.1:8080] [--data ./data] [--www www] [--pkg js]
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use confide_server::{Config, app};

const USAGE: &str = "usage: confide-server [--addr HOST:PORT] [--data DIR] [--www DIR] [--pkg DIR]

  --addr HOST:PORT  where to listen (default 127.0.0.1:8080)
  --data DIR        database and blobs, created if missing (default ./data)
  --www DIR         the demo page, served at / (default www)
  --pkg DIR         the npm package folder; its dist/ and wasm/ under /pkg/ (default js)

Logs go to stderr, one line per request; RUST_LOG is not read (level: info).";

struct Args {
    addr: SocketAddr,
    config: Config,
}

fn parse_args() -> Result<Args, String> {
    let mut addr = SocketAddr::from(([127, 0, 0, 1], 8080));
    let mut config = Config::new("data");
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--addr" => {
                addr = value
                    .parse()
                    .map_err(|_| format!("--addr: not a HOST:PORT address: {value}"))?;
            }
            "--data" => config.data_dir = PathBuf::from(value),
            "--www" => config.www_dir = PathBuf::from(value),
            "--pkg" => config.pkg_dir = PathBuf::from(value),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(Args { addr, config })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("confide-server: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let router = match app(args.config) {
        Ok(router) => router,
        Err(e) => {
            eprintln!("confide-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(args.addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("confide-server: cannot listen on {}: {e}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    let shown = listener.local_addr().unwrap_or(args.addr);
    println!("Confide server: http://{shown}");
    if let Err(e) = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await
    {
        eprintln!("confide-server: {e}");
        return ExitCode::FAILURE;
    }
    println!("Confide server: stopped");
    ExitCode::SUCCESS
}

/// Ctrl-C or SIGTERM: stop accepting, finish the requests in flight, exit.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
