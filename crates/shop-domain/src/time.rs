//! RFC 3339 timestamps without a date-time dependency (components keep small).

/// Formats seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn rfc3339_utc(unix_seconds: u64) -> String {
    let days = (unix_seconds / 86_400) as i64;
    let secs_of_day = unix_seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", secs_of_day / 3600, secs_of_day / 60 % 60, secs_of_day % 60)
}

/// The current time as RFC 3339 (UTC) with microseconds, `YYYY-MM-DDTHH:MM:SS.ffffffZ`: fixed
/// width, so the text sorts in time order (documents sort "newest first" on it).
pub fn now_rfc3339() -> String {
    rfc3339_micros(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default())
}

/// An instant `ago` before now, written as [`now_rfc3339`] writes (so the two compare as text).
pub fn rfc3339_before_now(ago: std::time::Duration) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    rfc3339_micros(now.saturating_sub(ago))
}

/// An instant `later` after now, written as [`now_rfc3339`] writes.
pub fn rfc3339_after_now(later: std::time::Duration) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    rfc3339_micros(now.saturating_add(later))
}

/// A time since the Unix epoch as `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
fn rfc3339_micros(since_epoch: std::time::Duration) -> String {
    let seconds = rfc3339_utc(since_epoch.as_secs());
    format!("{}.{:06}Z", seconds.trim_end_matches('Z'), since_epoch.subsec_micros())
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_795_609_845), "2026-11-25T12:30:45Z");
    }

    #[test]
    fn an_instant_before_now_sorts_before_now_to_the_microsecond() {
        let before = rfc3339_before_now(std::time::Duration::from_millis(1500));
        let now = now_rfc3339();
        let after = rfc3339_after_now(std::time::Duration::from_millis(1500));
        assert!(before < now && now < after, "{before} {now} {after}");
        assert_eq!(after.len(), now.len());
        assert_eq!(before.len(), now.len());
        // Not rounded to the second.
        assert_eq!(rfc3339_micros(std::time::Duration::new(1_795_609_845, 123_456_789)), "2026-11-25T12:30:45.123456Z");
    }

    #[test]
    fn now_has_fixed_width_microseconds() {
        let now = now_rfc3339();
        assert_eq!(now.len(), "2026-11-25T12:30:45.123456Z".len(), "{now}");
        assert!(now.ends_with('Z') && now.as_bytes()[19] == b'.');
    }
}
