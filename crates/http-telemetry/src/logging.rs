//! Logs: `tracing` to stderr, filtered by `RUST_LOG`, as text or, with `LOG_FORMAT=json`,
//! one JSON object per line (what a log shipper reads). A span the filter lets through adds a
//! line when it closes, with the time it was busy and idle: so a slow request can be traced
//! to the call that made it slow (the host's capability calls are `debug` spans).

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

/// Installs the global subscriber; `default_filter` applies when `RUST_LOG` is unset.
/// Later calls do nothing.
pub fn init(default_filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_span_events(FmtSpan::CLOSE).with_writer(std::io::stderr);
    let _ = if json_requested(std::env::var("LOG_FORMAT").ok().as_deref()) {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}

fn json_requested(format: Option<&str>) -> bool {
    format.is_some_and(|f| f.trim().eq_ignore_ascii_case("json"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_json_asks_for_json() {
        assert!(super::json_requested(Some("json")));
        assert!(super::json_requested(Some(" JSON")));
        assert!(!super::json_requested(Some("text")));
        assert!(!super::json_requested(None));
    }
}
