//! Calendar-aligned quota periods in UTC: a minute, hour or day starts on its boundary;
//! a month starts on the 1st at 00:00.

use switchyard_types::{Millis, QuotaPeriod};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// `(start, end)` in Unix ms of the period that contains `now`.
pub fn bounds(period: QuotaPeriod, now: Millis) -> (Millis, Millis) {
    let floor = |unit: i64| now.div_euclid(unit) * unit;
    match period {
        QuotaPeriod::Minute => (floor(MINUTE), floor(MINUTE) + MINUTE),
        QuotaPeriod::Hour => (floor(HOUR), floor(HOUR) + HOUR),
        QuotaPeriod::Day => (floor(DAY), floor(DAY) + DAY),
        QuotaPeriod::Month => {
            let (y, m, _) = civil_from_days(now.div_euclid(DAY));
            let start = days_from_civil(y, m, 1) * DAY;
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            (start, days_from_civil(ny, nm, 1) * DAY)
        }
    }
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// (year, month, day) → days since 1970-01-01.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-11-22T01:45:30.500Z
    const NOW: i64 = 1_795_311_930_500;

    #[test]
    fn periods_align_to_the_calendar() {
        assert_eq!(
            bounds(QuotaPeriod::Minute, NOW),
            (1_795_311_900_000, 1_795_311_960_000)
        );
        assert_eq!(
            bounds(QuotaPeriod::Hour, NOW),
            (1_795_309_200_000, 1_795_312_800_000)
        );
        // 2026-11-22T00:00Z .. 2026-11-23T00:00Z
        assert_eq!(
            bounds(QuotaPeriod::Day, NOW),
            (1_795_305_600_000, 1_795_392_000_000)
        );
        // 2026-11-01T00:00Z .. 2026-12-01T00:00Z
        assert_eq!(
            bounds(QuotaPeriod::Month, NOW),
            (1_793_491_200_000, 1_796_083_200_000)
        );
    }

    #[test]
    fn months_roll_over_years_and_leap_februaries() {
        // 2024-02-15 → February 2024 has 29 days.
        let feb = days_from_civil(2024, 2, 15) * DAY;
        let (s, e) = bounds(QuotaPeriod::Month, feb);
        assert_eq!((e - s) / DAY, 29);
        // December rolls into January of the next year.
        let dec = days_from_civil(2025, 12, 31) * DAY + 5;
        let (s, e) = bounds(QuotaPeriod::Month, dec);
        assert_eq!(s, days_from_civil(2025, 12, 1) * DAY);
        assert_eq!(e, days_from_civil(2026, 1, 1) * DAY);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
    }
}
