//! The bounds every input is held to beyond its value's own syntax: dates within the
//! programme's plausible years (DOMAIN.md rule 19, `dates_out_of_range`; the exercice of an
//! action, a grant or an envelope among those years too), lists of a sensible
//! length, and no item twice in a list.
//!
//! The list bounds are far above what a real Cité éducative needs (one to a few communes and
//! QPV, five or six axes, a COPIL of a dozen organisations, a few dozen actions decided at one
//! session, the generator's programmes of 320 actions included) and far below what would let one
//! request fill the log. Each refusal is `VALIDATION` with a French sentence naming the bound
//! and what was given.

use crate::error::DomainError;
use crate::values::{Year, comparison_key};
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeSet;

/// The earliest labelling date: the first Cités éducatives were labelled in 2019.
pub const EARLIEST_LABELLING: NaiveDate = match NaiveDate::from_ymd_opt(2019, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// How many years after the current one a date may lie (a period, a session planned ahead).
pub const YEARS_AHEAD: i32 = 5;

/// Communes of a programme's territory.
pub const MAX_COMMUNES: usize = 200;
/// QPV of a programme or of an action.
pub const MAX_QPV: usize = 50;
/// Secondary axes of an action.
pub const MAX_SECONDARY_AXES: usize = 20;
/// Organisations of a body, or present at a session.
pub const MAX_ORGANISATIONS: usize = 100;
/// Complements asked for at once.
pub const MAX_COMPLEMENT_ITEMS: usize = 50;
/// Indicators planned by an action.
pub const MAX_INDICATORS: usize = 50;
/// External file numbers of an action (Dauphin…).
pub const MAX_EXTERNAL_REFS: usize = 20;
/// Money lines (one per funder) of a request, an opinion or a decision.
pub const MAX_MONEY_LINES: usize = 50;
/// Decisions recorded by one `recordCopilDecisions`.
pub const MAX_DECISIONS: usize = 500;

/// Rule 19: the days a date of a programme may fall on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub earliest: NaiveDate,
    pub latest: NaiveDate,
}

impl DateRange {
    /// An action's period, a session's date, an act's date and every effective date: from
    /// 1 January of the year before the programme's labelling (1 January 2019 when it has none)
    /// to 31 December of the current year + [`YEARS_AHEAD`].
    pub fn of_programme(labelled_on: Option<NaiveDate>, today: NaiveDate) -> DateRange {
        let earliest = labelled_on
            .and_then(|l| NaiveDate::from_ymd_opt(l.year() - 1, 1, 1))
            .unwrap_or(EARLIEST_LABELLING);
        let latest =
            NaiveDate::from_ymd_opt(today.year() + YEARS_AHEAD, 12, 31).unwrap_or(NaiveDate::MAX);
        DateRange { earliest, latest }
    }

    /// A labelling date: from 1 January 2019 to today.
    pub fn of_labelling(today: NaiveDate) -> DateRange {
        DateRange {
            earliest: EARLIEST_LABELLING,
            latest: today,
        }
    }

    /// `year` (an exercice) among the range's years, or `dates_out_of_range` naming `field`.
    pub fn check_year(&self, field: &'static str, year: Year) -> Result<(), DomainError> {
        let (earliest, latest) = (self.earliest.year(), self.latest.year());
        if (earliest..=latest).contains(&year.get()) {
            Ok(())
        } else {
            Err(DomainError::YearOutOfRange {
                field,
                year,
                earliest,
                latest,
            })
        }
    }

    /// `date` within the range, or `dates_out_of_range` naming `field`.
    pub fn check(&self, field: &'static str, date: NaiveDate) -> Result<(), DomainError> {
        if (self.earliest..=self.latest).contains(&date) {
            Ok(())
        } else {
            Err(DomainError::DateOutOfRange {
                field,
                date,
                earliest: self.earliest,
                latest: self.latest,
            })
        }
    }
}

/// At most `max` items, none twice: two texts are the same when they differ only by case,
/// spaces or invisible characters ([`comparison_key`]). `show` writes an item for the message.
pub fn check_list<T>(
    field: &'static str,
    items: &[T],
    max: usize,
    show: impl Fn(&T) -> String,
) -> Result<(), DomainError> {
    if items.len() > max {
        return Err(DomainError::TooManyItems {
            field,
            max,
            given: items.len(),
        });
    }
    let mut seen = BTreeSet::new();
    for item in items {
        let shown = show(item);
        if !seen.insert(comparison_key(&shown)) {
            return Err(DomainError::DuplicateItem { field, item: shown });
        }
    }
    Ok(())
}

/// At most `max` items, duplicates being another rule's business (funders, axes, cells…).
pub fn check_length<T>(field: &'static str, items: &[T], max: usize) -> Result<(), DomainError> {
    if items.len() > max {
        Err(DomainError::TooManyItems {
            field,
            max,
            given: items.len(),
        })
    } else {
        Ok(())
    }
}
