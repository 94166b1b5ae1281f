//! French formatting for people: money « 12 000,00 € » and dates « 14 mars 2026 ».
//!
//! Error messages of this crate use it, and so do the history sentences of `projections`, so
//! that a figure reads the same everywhere (DOMAIN.md, "Precise meanings").

use crate::values::Money;
use chrono::{Datelike, NaiveDate};

/// Narrow no-break space (U+202F), between groups of thousands.
pub const THOUSANDS_SEPARATOR: char = '\u{202F}';
/// No-break space (U+00A0), before the euro sign.
pub const SPACE_BEFORE_UNIT: char = '\u{A0}';

/// The months, as dates write them (« 14 mars 2026 »).
pub const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// « 12 000,00 € »: euros grouped by thousands with U+202F, a decimal comma, two decimals,
/// U+00A0 before €.
pub fn money(amount: Money) -> String {
    let cents = amount.cents();
    let euros = cents / 100;
    let rest = cents % 100;
    format!(
        "{},{rest:02}{SPACE_BEFORE_UNIT}€",
        group_thousands(euros.unsigned_abs())
    )
}

/// « 14 mars 2026 », « 1er mai 2026 » (the first day of a month is written 1er in French).
pub fn date(day: NaiveDate) -> String {
    let month = MONTHS[day.month0() as usize];
    if day.day() == 1 {
        format!("1er {month} {}", day.year())
    } else {
        format!("{} {month} {}", day.day(), day.year())
    }
}

/// « mars » from 3: the month's name (1 to 12), lower-case; « ? » out of range.
pub fn month(month: u32) -> &'static str {
    month
        .checked_sub(1)
        .and_then(|m| MONTHS.get(m as usize))
        .copied()
        .unwrap_or("?")
}

/// « 10 000 » from 10000: a count with its thousands separated.
pub fn count(n: usize) -> String {
    group_thousands(u64::try_from(n).unwrap_or(u64::MAX))
}

/// « 80 % » from 800 ‰, or « 82,5 % » from 825 ‰.
pub fn permille(permille: u16) -> String {
    let whole = permille / 10;
    let tenth = permille % 10;
    if tenth == 0 {
        format!("{whole}{SPACE_BEFORE_UNIT}%")
    } else {
        format!("{whole},{tenth}{SPACE_BEFORE_UNIT}%")
    }
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(THOUSANDS_SEPARATOR);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cents(c: i64) -> Money {
        Money::from_cents(c).unwrap()
    }

    #[test]
    fn money_is_grouped_by_thousands_with_narrow_spaces() {
        assert_eq!(money(cents(1_200_000)), "12\u{202F}000,00\u{A0}€");
        assert_eq!(money(cents(0)), "0,00\u{A0}€");
        assert_eq!(money(cents(5)), "0,05\u{A0}€");
        assert_eq!(money(cents(99_999)), "999,99\u{A0}€");
        assert_eq!(money(cents(100_000)), "1\u{202F}000,00\u{A0}€");
        assert_eq!(
            money(cents(Money::MAX_CENTS)),
            "100\u{202F}000\u{202F}000\u{202F}000,00\u{A0}€"
        );
    }

    #[test]
    fn dates_are_written_in_words() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(date(d(2026, 3, 14)), "14 mars 2026");
        assert_eq!(date(d(2026, 8, 31)), "31 août 2026");
        assert_eq!(date(d(2026, 5, 1)), "1er mai 2026");
    }

    #[test]
    fn per_mille_reads_as_a_percentage() {
        assert_eq!(permille(800), "80\u{A0}%");
        assert_eq!(permille(825), "82,5\u{A0}%");
    }
}
