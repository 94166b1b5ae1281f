//! The custom scalars of api.graphql: `Date`, `DateTime`, `Cents`, `SignedCents`.
//!
//! A value that does not parse is refused before any resolver runs, with `extensions.code =
//! VALIDATION` and a French message.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{NaiveDate, SecondsFormat, Utc};
use domain::values::Money;

fn invalid<T: async_graphql::InputType>(message: String) -> InputValueError<T> {
    InputValueError::custom(message).with_extension("code", "VALIDATION")
}

/// A calendar day, `"2026-03-14"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub NaiveDate);

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(Date)
                .map_err(|_| {
                    invalid(format!(
                        "« {text} » n'est pas une date au format AAAA-MM-JJ (par exemple 2026-03-14)"
                    ))
                }),
            _ => Err(invalid(
                "une date s'écrit comme un texte AAAA-MM-JJ (par exemple \"2026-03-14\")".to_owned(),
            )),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

impl From<NaiveDate> for Date {
    fn from(date: NaiveDate) -> Self {
        Date(date)
    }
}

/// An instant, RFC 3339 in UTC: `"2026-03-14T09:30:00Z"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime(pub chrono::DateTime<Utc>);

#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => chrono::DateTime::parse_from_rfc3339(text)
                .map(|t| DateTime(t.with_timezone(&Utc)))
                .map_err(|_| {
                    invalid(format!(
                        "« {text} » n'est pas un instant RFC 3339 (par exemple 2026-03-14T09:30:00Z)"
                    ))
                }),
            _ => Err(invalid(
                "un instant s'écrit comme un texte RFC 3339 (par exemple \"2026-03-14T09:30:00Z\")"
                    .to_owned(),
            )),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(at: chrono::DateTime<Utc>) -> Self {
        DateTime(at)
    }
}

fn whole_number(value: &Value, what: &str) -> Result<i64, String> {
    match value {
        Value::Number(n) => n.as_i64().ok_or_else(|| {
            format!("{what} est un nombre entier de centimes d'euro, sans décimale ({n} donné)")
        }),
        _ => Err(format!(
            "{what} est un nombre entier de centimes d'euro (par exemple 1200000 pour 12 000,00 €)"
        )),
    }
}

/// A whole number of euro cents, 0 ≤ x ≤ 10¹³ (DOMAIN.md rule 1). Checked by `parse` alone,
/// written in the query or in a variable, so that the refusal says why in French.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cents(pub Money);

#[Scalar(name = "Cents")]
impl ScalarType for Cents {
    fn parse(value: Value) -> InputValueResult<Self> {
        let cents = whole_number(&value, "Un montant").map_err(invalid)?;
        Money::from_cents(cents).map(Cents).ok_or_else(|| {
            invalid(format!(
                "un montant est compris entre 0 et {} centimes ({cents} donné)",
                Money::MAX_CENTS
            ))
        })
    }

    fn to_value(&self) -> Value {
        Value::Number(self.0.cents().into())
    }
}

impl From<Money> for Cents {
    fn from(money: Money) -> Self {
        Cents(money)
    }
}

/// A whole number of euro cents that may be negative (a difference), |x| ≤ 10¹³.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SignedCents(pub i64);

#[Scalar(name = "SignedCents")]
impl ScalarType for SignedCents {
    fn parse(value: Value) -> InputValueResult<Self> {
        let cents = whole_number(&value, "Un écart").map_err(invalid)?;
        if cents.unsigned_abs() > Money::MAX_CENTS.unsigned_abs() {
            return Err(invalid(format!(
                "un écart est compris entre -{0} et {0} centimes ({cents} donné)",
                Money::MAX_CENTS
            )));
        }
        Ok(SignedCents(cents))
    }

    fn to_value(&self) -> Value {
        Value::Number(self.0.into())
    }
}
