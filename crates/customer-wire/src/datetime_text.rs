//! Dates and times written digit by digit, for the encoders that print many of them (a
//! list of 100 customers prints hundreds). `strftime` and `format!` go through
//! formatting machinery that was a tenth of such a list's encoding; these write the same
//! text directly and leave the rare cases they do not cover to the caller's pattern.

use jiff::civil::DateTime;
use jiff::tz::Offset;

/// `YYYY-MM-DDTHH:MM:SS`, as `strftime("%Y-%m-%dT%H:%M:%S")` writes it; `None` for a
/// year outside four digits.
pub(crate) fn iso_seconds(at: DateTime) -> Option<[u8; 19]> {
    let year = u16::try_from(at.year()).ok().filter(|year| *year <= 9999)?;
    let [y1, y2] = two_digits(year / 100);
    let [y3, y4] = two_digits(year % 100);
    let [mo1, mo2] = two_digits(at.month().unsigned_abs().into());
    let [d1, d2] = two_digits(at.day().unsigned_abs().into());
    let [h1, h2] = two_digits(at.hour().unsigned_abs().into());
    let [mi1, mi2] = two_digits(at.minute().unsigned_abs().into());
    let [s1, s2] = two_digits(at.second().unsigned_abs().into());
    Some([
        y1, y2, y3, y4, b'-', mo1, mo2, b'-', d1, d2, b'T', h1, h2, b':', mi1, mi2, b':', s1, s2,
    ])
}

/// `+HH:MM`, as `strftime("%:z")` writes `offset`; `None` when it has seconds.
pub(crate) fn offset_minutes(offset: Offset) -> Option<[u8; 6]> {
    let seconds = offset.seconds();
    if seconds % 60 != 0 {
        return None;
    }
    let sign = if seconds < 0 { b'-' } else { b'+' };
    let minutes = u16::try_from(seconds.unsigned_abs() / 60).ok()?;
    let [h1, h2] = two_digits(minutes / 60);
    let [m1, m2] = two_digits(minutes % 60);
    Some([sign, h1, h2, b':', m1, m2])
}

/// The last two decimal digits of `value`.
fn two_digits(value: u16) -> [u8; 2] {
    let value = value % 100;
    // Both digits are below ten: the casts cannot truncate.
    [b'0' + (value / 10) as u8, b'0' + (value % 10) as u8]
}

/// ASCII bytes as text.
pub(crate) fn ascii(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}
