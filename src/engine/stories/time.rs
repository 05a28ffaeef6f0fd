//! ISO 8601 date-times to Unix seconds and back, without a clock (the engine has none).

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// `YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|±HH:MM]` → Unix seconds; a zone-less time is UTC.
pub fn parse_iso(s: &str) -> Option<i64> {
    let s = s.trim();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if s.get(4..5)? != "-"
        || s.get(7..8)? != "-"
        || !(1..=12).contains(&mo)
        || !(1..=31).contains(&d)
    {
        return None;
    }
    let mut secs = days_from_civil(y, mo, d) * 86_400;
    let rest = &s[10..];
    if rest.is_empty() {
        return Some(secs);
    }
    let rest = rest.strip_prefix(['T', ' '])?;
    let h: i64 = rest.get(0..2)?.parse().ok()?;
    let mi: i64 = rest.get(3..5)?.parse().ok()?;
    secs += h * 3600 + mi * 60;
    let mut tail = &rest[5..];
    if let Some(t) = tail.strip_prefix(':') {
        let sec: i64 = t.get(0..2)?.parse().ok()?;
        secs += sec;
        tail = &t[2..];
        if let Some(t) = tail.strip_prefix('.') {
            tail = t.trim_start_matches(|c: char| c.is_ascii_digit());
        }
    }
    match tail.chars().next() {
        None | Some('Z') => Some(secs),
        Some(sign @ ('+' | '-')) => {
            let oh: i64 = tail.get(1..3)?.parse().ok()?;
            let om: i64 = tail
                .get(3..)
                .map(|t| t.trim_start_matches(':'))
                .filter(|t| !t.is_empty())
                .map_or(Some(0), |t| t.get(0..2)?.parse().ok())?;
            let off = oh * 3600 + om * 60;
            Some(if sign == '+' { secs - off } else { secs + off })
        }
        _ => None,
    }
}

/// Unix seconds → `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_iso(ts: i64) -> String {
    let (y, m, d) = civil_from_days(ts.div_euclid(86_400));
    let s = ts.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_zones() {
        let t = parse_iso("2022-01-05T10:30:00Z").unwrap();
        assert_eq!(format_iso(t), "2022-01-05T10:30:00Z");
        assert_eq!(parse_iso("2022-01-05T13:30:00+03:00"), Some(t));
        assert_eq!(parse_iso("2022-01-05T10:30"), Some(t));
        assert_eq!(parse_iso("2022-01-05T10:30:00.250Z"), Some(t));
        assert_eq!(parse_iso("2022-01-05"), Some(t - 10 * 3600 - 30 * 60));
        assert_eq!(parse_iso("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_iso("2024-02-29T00:00:00Z").map(format_iso).unwrap(),
            "2024-02-29T00:00:00Z"
        );
        assert_eq!(parse_iso("yesterday"), None);
        assert_eq!(parse_iso("2022-13-01"), None);
    }
}
