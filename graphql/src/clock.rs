//! The source of "now" and "today", injectable so that tests and the demo control time.
//!
//! "Today" is the calendar date in Europe/Paris (DOMAIN.md rule 12), whatever the machine's
//! time zone: a COPIL held at 23:30 in Paris on 14 March is on 14 March, not the 15th of UTC
//! or the 13th of a server set to another zone.

use chrono::{DateTime, NaiveDate, Utc};
use std::fmt;
use std::sync::Arc;

/// A cloneable clock. [`Clock::system`] reads the machine's clock; [`Clock::fixed`] and
/// [`Clock::from_fn`] are for tests and demonstrations.
#[derive(Clone)]
pub struct Clock {
    now: Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>,
}

impl Clock {
    /// The machine's clock.
    pub fn system() -> Clock {
        Clock::from_fn(Utc::now)
    }

    /// A clock that always says `at`.
    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock::from_fn(move || at)
    }

    /// A clock that asks `now` each time.
    pub fn from_fn(now: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Clock {
        Clock { now: Arc::new(now) }
    }

    /// The current instant, in UTC.
    pub fn now(&self) -> DateTime<Utc> {
        (self.now)()
    }

    /// Today's calendar date in Europe/Paris.
    pub fn today(&self) -> NaiveDate {
        self.now()
            .with_timezone(&chrono_tz::Europe::Paris)
            .date_naive()
    }

    /// The same clock in the form `eventlog` takes for `recorded_at`.
    pub fn for_eventlog(&self) -> eventlog::Clock {
        self.now.clone()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clock").field("now", &self.now()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn today_is_the_date_in_paris_not_in_utc() {
        // 23:30 UTC on 14 March 2026 is already 00:30 on the 15th in Paris (UTC+1 in winter).
        let clock = Clock::fixed(Utc.with_ymd_and_hms(2026, 3, 14, 23, 30, 0).unwrap());
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2026, 3, 15).unwrap());
        // 21:30 UTC on 14 July is 23:30 in Paris (UTC+2 in summer): still the 14th.
        let clock = Clock::fixed(Utc.with_ymd_and_hms(2026, 7, 14, 21, 30, 0).unwrap());
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2026, 7, 14).unwrap());
    }
}
