//! The demo page (`--www`) and the built npm package (`--pkg`, under `/pkg/`), served the
//! way `www/serve.mjs` serves them: a fixed MIME table, nothing outside the mounts, and
//! under `/pkg/` only the files the package's `package.json` ships.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

/// Where static files come from.
#[derive(Clone, Debug)]
pub struct StaticFiles {
    www: PathBuf,
    pkg: PathBuf,
    /// Paths relative to `pkg` listed in its package.json `files`.
    pkg_files: HashSet<String>,
}

/// A small built-in icon, so the browser's favicon request is not a 404.
const FAVICON: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 32 32\">\
<rect x=\"6\" y=\"14\" width=\"20\" height=\"15\" rx=\"3\" fill=\"#2f5d50\"/>\
<path d=\"M11 14v-4a5 5 0 0 1 10 0v4\" fill=\"none\" stroke=\"#2f5d50\" stroke-width=\"3\"/></svg>";

/// Files in the page directory that are not part of the page.
const HIDDEN: &[&str] = &["serve.mjs"];

impl StaticFiles {
    /// Mounts `www` at `/` and `pkg`'s shipped files at `/pkg/` (and at `/confide/`, the
    /// prefix the current page imports from). A missing `pkg/package.json` serves nothing
    /// under those prefixes.
    pub fn new(www: PathBuf, pkg: PathBuf) -> Self {
        let pkg_files = std::fs::read(pkg.join("package.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| {
                v.get("files")?.as_array().map(|files| {
                    files
                        .iter()
                        .filter_map(|f| f.as_str().map(str::to_owned))
                        .collect()
                })
            })
            .unwrap_or_default();
        Self {
            www,
            pkg,
            pkg_files,
        }
    }

    /// The file a URL path names, if it is one we serve.
    fn locate(&self, path: &str) -> Option<PathBuf> {
        // Only plain names: no percent-escapes, no dot segments, no hidden files.
        let plain = path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'_' | b'-'));
        if !plain {
            return None;
        }
        let path = if path == "/" { "/index.html" } else { path };
        let rest = path.strip_prefix('/')?;
        if rest
            .split('/')
            .any(|seg| seg.is_empty() || seg.starts_with('.'))
        {
            return None;
        }
        for prefix in ["pkg/", "confide/"] {
            if let Some(file) = rest.strip_prefix(prefix) {
                return self.pkg_files.contains(file).then(|| self.pkg.join(file));
            }
        }
        if HIDDEN.contains(&rest) {
            return None;
        }
        Some(self.www.join(rest))
    }

    /// Serves `uri` for GET and HEAD.
    pub async fn serve(&self, method: &Method, uri: &Uri) -> Response {
        if method != Method::GET && method != Method::HEAD {
            return (
                StatusCode::METHOD_NOT_ALLOWED,
                [(header::ALLOW, "GET, HEAD")],
                "method not allowed\n",
            )
                .into_response();
        }
        let path = uri.path();
        if path == "/favicon.svg" || path == "/favicon.ico" {
            return ([(header::CONTENT_TYPE, "image/svg+xml")], FAVICON).into_response();
        }
        let Some(file) = self.locate(path) else {
            return not_found();
        };
        let Some(mime) = mime(&file) else {
            return not_found();
        };
        match tokio::fs::read(&file).await {
            Ok(body) => ([(header::CONTENT_TYPE, mime)], body).into_response(),
            Err(_) => not_found(),
        }
    }
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "not found\n",
    )
        .into_response()
}

fn mime(file: &Path) -> Option<&'static str> {
    let ext = file.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "json" => "application/json; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        _ => return None,
    })
}
