//! `confide-server`: the reference storage server.
//!
//! ```text
//! confide-server [--addr 127.0.0.1:8080] [--data ./data] [--database postgres://…]
//!                [--keys postgres://…] [--blobs s3://bucket/prefix] [--www www] [--pkg js] [...]
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use confide_server::{Config, app, serve};

const USAGE: &str = "usage: confide-server [options]

  --addr HOST:PORT          where to listen (default 127.0.0.1:8080)
  --data DIR                SQLite database, local blobs, reserve file (default ./data)
  --database URL            postgres://user:pass@host/db for PostgreSQL (default: SQLite in DIR)
                            [env CONFIDE_DATABASE]
  --keys URL                the key store, where case grants live apart from the bulk data:
                            postgres://… or a SQLite file (default DIR/keys.sqlite3; with
                            --database postgres://…, that database) [env CONFIDE_KEYS]
  --blobs URL               a folder, s3://bucket/prefix, gs://bucket/prefix or
                            az://container/prefix (default DIR/blobs); credentials from the
                            usual AWS_*, GOOGLE_*, AZURE_* variables [env CONFIDE_BLOBS]
  --db-connections N        pool size (PostgreSQL) or readers (SQLite) (default 8)
  --max-connections N       open HTTP connections at most (default 512)
  --max-connections-per-ip N  from one address (default 64; 0: no limit)
  --log-cache-mb N          verified logs kept in memory, and as much again of case logs
                            (default 256)
  --shutdown-seconds N      how long a stop lets requests finish (default 10)
  --rate-limit-scale N      multiply every rate limit and burst by N (default 1); for load
                            tests: it only raises the limits, and authentication is unchanged
  --www DIR                 the demo page, served at / (default www)
  --pkg DIR                 the npm package folder; its dist/ and wasm/ under /pkg/ (default js)

Logs go to stderr, one line per request; RUST_LOG is not read (level: info).";

struct Args {
    addr: SocketAddr,
    config: Config,
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag}: not a number: {value}"))
}

fn parse_args() -> Result<Args, String> {
    let mut addr = SocketAddr::from(([127, 0, 0, 1], 8080));
    let mut config = Config::new("data");
    config.database = std::env::var("CONFIDE_DATABASE")
        .ok()
        .filter(|v| !v.is_empty());
    config.keys = std::env::var("CONFIDE_KEYS").ok().filter(|v| !v.is_empty());
    config.blobs = std::env::var("CONFIDE_BLOBS")
        .ok()
        .filter(|v| !v.is_empty());
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
            "--database" => config.database = Some(value),
            "--keys" => config.keys = Some(value),
            "--blobs" => config.blobs = Some(value),
            "--db-connections" => config.db_connections = number(&flag, &value)?,
            "--max-connections" => config.http.max_connections = number(&flag, &value)?,
            "--max-connections-per-ip" => {
                config.http.max_connections_per_ip = number(&flag, &value)?;
            }
            "--log-cache-mb" => {
                config.log_cache_bytes = number::<usize>(&flag, &value)?.saturating_mul(1 << 20);
            }
            "--shutdown-seconds" => {
                config.http.shutdown_deadline = Duration::from_secs(number(&flag, &value)?);
            }
            "--rate-limit-scale" => {
                let factor: u32 = number(&flag, &value)?;
                if factor == 0 {
                    return Err("--rate-limit-scale: at least 1".to_owned());
                }
                config.rates = config.rates.scaled(factor);
            }
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
    let http = args.config.http.clone();
    let app = match app(args.config).await {
        Ok(app) => app,
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
    if let Err(e) = serve(listener, app.router.clone(), http, shutdown_signal()).await {
        eprintln!("confide-server: {e}");
        return ExitCode::FAILURE;
    }
    // Connections past the deadline are dropped with the runtime; the pools close first.
    let _ = tokio::time::timeout(Duration::from_secs(2), app.close()).await;
    println!("Confide server: stopped");
    ExitCode::SUCCESS
}

/// Ctrl-C or SIGTERM: stop accepting, finish the requests in flight (up to the deadline),
/// exit.
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
