//! The one place where errors become GraphQL errors: `extensions.code`, a French `message`.
//!
//! Every error a resolver returns is an [`ApiError`]; `impl From<ApiError> for
//! async_graphql::Error` gives it the shape api.graphql promises:
//!
//! | variant | `extensions` |
//! |---|---|
//! | [`ApiError::Unauthenticated`] | `code: UNAUTHENTICATED` |
//! | [`ApiError::Forbidden`] | `code: FORBIDDEN` |
//! | [`ApiError::NotFound`] | `code: NOT_FOUND` |
//! | [`ApiError::Validation`] | `code: VALIDATION` |
//! | [`ApiError::RuleViolation`] | `code: RULE_VIOLATION`, `rule` |
//! | [`ApiError::Conflict`] | `code: CONFLICT`, `currentVersion` |
//! | [`ApiError::Limit`] | `code: LIMIT` |
//! | [`ApiError::Failures`] | the most pressing code, `rule`, `failures: [{actionId, code, rule, message, currentVersion}]` |
//! | [`ApiError::Internal`] | `code: INTERNAL`, `reference` |
//!
//! An internal error never shows its cause to the client: the message is an opaque French
//! sentence with a short reference, and the whole source chain goes to the log under that
//! reference (zero2prod's `error_chain_fmt`), so that an operator can find it.
//!
//! The errors async-graphql produces itself (syntax, unknown fields, depth and complexity
//! limits, badly typed arguments) carry no code; [`crate::schema`]'s [`ChroniqueSchema`](crate::schema::ChroniqueSchema) gives
//! them one with [`code_for_engine_error`].
//!
//! `async-graphql` is built with its `custom-error-conversion` feature, so that no error
//! becomes a GraphQL error by accident through `?`: only `ApiError` (and plain strings)
//! convert.

use crate::commands::{CommandError, DecisionFailure, FailureReason};
use async_graphql::ErrorExtensions;
use domain::error::{ApiCode, DomainError};
use domain::values::InvalidValue;
use std::fmt::{self, Write as _};

/// The codes of api.graphql's header comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    Unauthenticated,
    Forbidden,
    NotFound,
    Validation,
    RuleViolation,
    Conflict,
    Limit,
    Internal,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Unauthenticated => "UNAUTHENTICATED",
            Code::Forbidden => "FORBIDDEN",
            Code::NotFound => "NOT_FOUND",
            Code::Validation => "VALIDATION",
            Code::RuleViolation => "RULE_VIOLATION",
            Code::Conflict => "CONFLICT",
            Code::Limit => "LIMIT",
            Code::Internal => "INTERNAL",
        }
    }

    fn from_domain(code: ApiCode) -> Code {
        match code {
            ApiCode::RuleViolation => Code::RuleViolation,
            ApiCode::Forbidden => Code::Forbidden,
            ApiCode::Validation => Code::Validation,
            ApiCode::NotFound => Code::NotFound,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The opaque message of every internal error; the reference is appended.
const INTERNAL_MESSAGE: &str = "Une erreur interne est survenue ; rien n'a été enregistré par cette demande. Si elle se reproduit, transmettez cette référence à l'administrateur";

/// Why a request failed, in the terms of api.graphql. Messages are French sentences for a
/// person.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No token, an unknown token or a revoked token.
    #[error(
        "Jeton absent, inconnu ou révoqué : authentifiez-vous avec « Authorization: Bearer <jeton> »."
    )]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Validation(String),
    /// A rule of DOMAIN.md; `rule` is its stable code (`grant_exceeds_envelope`).
    #[error("{message}")]
    RuleViolation { rule: String, message: String },
    /// The stream is not at the version the client expected.
    #[error("{message}")]
    Conflict {
        current_version: u64,
        message: String,
    },
    /// Too deep, too complex, a page too large, a body too big, too slow.
    #[error("{0}")]
    Limit(String),
    /// Several items failed at once (recordCopilDecisions): `code` and `rule` are the most
    /// pressing of the failures', each failure is listed in `extensions.failures`.
    #[error("{message}")]
    Failures {
        code: Code,
        rule: Option<String>,
        message: String,
        failures: Vec<Failure>,
    },
    /// Anything the client cannot act on: the source is logged, never shown.
    #[error("erreur interne")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl ApiError {
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::Forbidden(message.into())
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::NotFound(message.into())
    }

    pub fn validation(message: impl Into<String>) -> ApiError {
        ApiError::Validation(message.into())
    }

    pub fn limit(message: impl Into<String>) -> ApiError {
        ApiError::Limit(message.into())
    }

    /// A CONFLICT with a French message naming both versions.
    pub fn conflict(expected: u64, current_version: u64) -> ApiError {
        ApiError::Conflict {
            current_version,
            message: format!(
                "Quelqu'un a modifié ce dossier entre-temps : vous pensiez modifier la version {expected}, il en est à la version {current_version}. Rechargez-le puis recommencez."
            ),
        }
    }

    /// An unexpected failure of the server: logged in full, shown as an opaque message.
    pub fn internal(error: impl std::error::Error + Send + Sync + 'static) -> ApiError {
        ApiError::Internal(Box::new(error))
    }

    /// An unexpected failure described in words (an invariant that did not hold).
    pub fn bug(what: impl Into<String>) -> ApiError {
        ApiError::Internal(what.into().into())
    }

    /// The code this error is answered with.
    pub fn code(&self) -> Code {
        match self {
            ApiError::Unauthenticated => Code::Unauthenticated,
            ApiError::Forbidden(_) => Code::Forbidden,
            ApiError::NotFound(_) => Code::NotFound,
            ApiError::Validation(_) => Code::Validation,
            ApiError::RuleViolation { .. } => Code::RuleViolation,
            ApiError::Conflict { .. } => Code::Conflict,
            ApiError::Limit(_) => Code::Limit,
            ApiError::Failures { code, .. } => *code,
            ApiError::Internal(_) => Code::Internal,
        }
    }

    /// Builds the GraphQL error. For an internal error, this is where its chain is logged.
    pub fn to_graphql(&self) -> async_graphql::Error {
        let code = self.code().as_str();
        match self {
            ApiError::Internal(source) => {
                let reference = new_reference();
                tracing::error!(
                    reference = %reference,
                    error = %error_chain(source.as_ref()),
                    "internal error answered with INTERNAL"
                );
                async_graphql::Error::new(format!("{INTERNAL_MESSAGE} : {reference}.")).extend_with(
                    |_, e| {
                        e.set("code", code);
                        e.set("reference", reference.as_str());
                    },
                )
            }
            ApiError::RuleViolation { rule, message } => async_graphql::Error::new(message)
                .extend_with(|_, e| {
                    e.set("code", code);
                    e.set("rule", rule.as_str());
                }),
            ApiError::Conflict {
                current_version,
                message,
            } => async_graphql::Error::new(message).extend_with(|_, e| {
                e.set("code", code);
                e.set("currentVersion", *current_version);
            }),
            ApiError::Failures {
                rule,
                message,
                failures,
                ..
            } => {
                let list: Vec<async_graphql::Value> =
                    failures.iter().map(Failure::to_value).collect();
                async_graphql::Error::new(message).extend_with(|_, e| {
                    e.set("code", code);
                    if let Some(rule) = rule {
                        e.set("rule", rule.as_str());
                    }
                    e.set("failures", async_graphql::Value::List(list.clone()));
                })
            }
            other => async_graphql::Error::new(other.to_string()).extend_with(|_, e| {
                e.set("code", code);
            }),
        }
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(error: ApiError) -> Self {
        error.to_graphql()
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        self.to_graphql()
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        let code = Code::from_domain(error.api_code());
        if let DomainError::Decisions(list) = &error {
            let failures = list
                .iter()
                .map(|f| Failure::from_domain(f.action.as_str(), &f.error))
                .collect();
            return ApiError::Failures {
                code,
                rule: (code == Code::RuleViolation).then(|| error.rule_code().to_owned()),
                message: error.to_string(),
                failures,
            };
        }
        let message = error.to_string();
        match code {
            Code::Forbidden => ApiError::Forbidden(message),
            Code::NotFound => ApiError::NotFound(message),
            Code::Validation => ApiError::Validation(message),
            _ => ApiError::RuleViolation {
                rule: error.rule_code().to_owned(),
                message,
            },
        }
    }
}

impl From<InvalidValue> for ApiError {
    fn from(error: InvalidValue) -> Self {
        ApiError::Validation(format!("Valeur invalide : {error}."))
    }
}

impl From<eventlog::Error> for ApiError {
    /// A version conflict is the client's to resolve; every other failure of the log is not.
    fn from(error: eventlog::Error) -> Self {
        match error {
            eventlog::Error::Conflict {
                expected, actual, ..
            } => {
                let current = match actual {
                    eventlog::StreamState::NoStream => 0,
                    eventlog::StreamState::At(version) => version,
                };
                let expected = match expected {
                    eventlog::ExpectedVersion::Exact(version) => version,
                    _ => 0,
                };
                ApiError::conflict(expected, current)
            }
            other => ApiError::internal(other),
        }
    }
}

/// One failing item of a many-at-once command (`extensions.failures` of
/// recordCopilDecisions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub action_id: String,
    pub code: Code,
    pub rule: Option<String>,
    pub message: String,
    pub current_version: Option<u64>,
}

impl Failure {
    /// A failure for a business reason of the domain.
    pub fn from_domain(action_id: &str, error: &DomainError) -> Failure {
        let code = Code::from_domain(error.api_code());
        Failure {
            action_id: action_id.to_owned(),
            code,
            rule: (code == Code::RuleViolation).then(|| error.rule_code().to_owned()),
            message: error.to_string(),
            current_version: None,
        }
    }

    /// A failure because the action's stream is not at the version the client gave.
    pub fn conflict(action_id: &str, expected: u64, current_version: u64) -> Failure {
        let ApiError::Conflict { message, .. } = ApiError::conflict(expected, current_version)
        else {
            unreachable!("ApiError::conflict builds a Conflict")
        };
        Failure {
            action_id: action_id.to_owned(),
            code: Code::Conflict,
            rule: None,
            message,
            current_version: Some(current_version),
        }
    }

    fn to_value(&self) -> async_graphql::Value {
        use async_graphql::{Name, Value};
        let text = |s: &str| Value::String(s.to_owned());
        let mut map = async_graphql::indexmap::IndexMap::new();
        map.insert(Name::new("actionId"), text(&self.action_id));
        map.insert(Name::new("code"), text(self.code.as_str()));
        map.insert(
            Name::new("rule"),
            self.rule.as_deref().map_or(Value::Null, text),
        );
        map.insert(Name::new("message"), text(&self.message));
        map.insert(
            Name::new("currentVersion"),
            self.current_version
                .map_or(Value::Null, |v| Value::Number(v.into())),
        );
        Value::Object(map)
    }
}

impl ApiError {
    /// The error of a many-at-once command from its failures: the most pressing code wins
    /// (FORBIDDEN, then VALIDATION, NOT_FOUND, CONFLICT, RULE_VIOLATION), as in
    /// `DomainError::api_code`.
    pub fn from_failures(message: impl Into<String>, failures: Vec<Failure>) -> ApiError {
        let order = [
            Code::Forbidden,
            Code::Validation,
            Code::NotFound,
            Code::Conflict,
            Code::RuleViolation,
        ];
        let code = order
            .into_iter()
            .find(|c| failures.iter().any(|f| f.code == *c))
            .unwrap_or(Code::RuleViolation);
        let rule = failures
            .iter()
            .find(|f| f.code == code)
            .and_then(|f| f.rule.clone());
        ApiError::Failures {
            code,
            rule,
            message: message.into(),
            failures,
        }
    }
}

/// Why the command service refused a command, as the API answers it.
impl From<CommandError> for ApiError {
    fn from(error: CommandError) -> ApiError {
        match error {
            CommandError::Domain(e) => ApiError::from(e),
            CommandError::Conflict {
                expected, current, ..
            } => ApiError::conflict(expected, current),
            CommandError::CommandIdReused(_) | CommandError::ExpectedVersionOnBatch => {
                ApiError::validation(error.to_string())
            }
            CommandError::Decisions(ref failures) => {
                ApiError::from_failures(error.to_string(), failures.iter().map(failure).collect())
            }
            CommandError::Log(e) => ApiError::from(e),
            CommandError::Read(e) => ApiError::internal(e),
            CommandError::NotVisible(e) => ApiError::internal(e),
        }
    }
}

/// One failing action of a COPIL call, as `extensions.failures` lists it.
fn failure(f: &DecisionFailure) -> Failure {
    match &f.error {
        FailureReason::Domain(e) => Failure::from_domain(f.action.as_str(), e),
        FailureReason::Conflict { expected, current } => {
            Failure::conflict(f.action.as_str(), *expected, *current)
        }
    }
}

/// Every error of a chain, outermost first: « a : b : c ».
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut current = error.source();
    while let Some(cause) = current {
        let _ = write!(out, ": {cause}");
        current = cause.source();
    }
    out
}

/// A short random reference tying an answer to its log line.
fn new_reference() -> String {
    use rand::Rng;
    let bytes: [u8; 4] = rand::thread_rng().r#gen();
    hex::encode(bytes)
}

/// What async-graphql's own messages mean for a client, in French with their code: the
/// limits are LIMIT, everything else about the query itself is VALIDATION.
pub fn code_for_engine_error(message: &str) -> (Code, String) {
    match message {
        "Query is nested too deep." => (
            Code::Limit,
            format!(
                "La requête est trop profonde (au plus {} niveaux d'imbrication) : simplifiez-la.",
                crate::schema::MAX_DEPTH
            ),
        ),
        "Query is too complex." => (
            Code::Limit,
            format!(
                "La requête est trop complexe (complexité au plus {}) : demandez moins de champs ou des pages plus petites.",
                crate::schema::MAX_COMPLEXITY
            ),
        ),
        other => match other.strip_prefix("Invalid value for argument ") {
            Some(rest) => (Code::Validation, invalid_argument(rest)),
            None => (
                Code::Validation,
                format!(
                    "La requête GraphQL n'est pas valide : {}",
                    french_validation(other)
                ),
            ),
        },
    }
}

/// The strings between double quotes in an engine message, in order.
fn quoted(message: &str) -> Vec<&str> {
    message.split('"').skip(1).step_by(2).collect()
}

/// async-graphql's validation and syntax messages in French. A message it does not know is
/// said to be the engine's, kept for the developer who reads it.
fn french_validation(message: &str) -> String {
    let q = quoted(message);
    let did_you_mean = |rest: &str| {
        rest.split_once("Did you mean")
            .map(|(_, hint)| format!(" Vouliez-vous dire {} ?", hint.trim().trim_end_matches('?')))
            .unwrap_or_default()
    };
    if message.starts_with("Unknown field") && q.len() >= 2 {
        return format!(
            "le type {} n'a pas de champ « {} ».{}",
            q[1],
            q[0],
            did_you_mean(message)
        );
    }
    if message.starts_with("Unknown argument") && q.len() >= 3 {
        return format!(
            "le champ « {} » de {} n'a pas d'argument « {} ».{}",
            q[1],
            q[2],
            q[0],
            did_you_mean(message)
        );
    }
    if message.ends_with("must have a selection of subfields") && q.len() >= 2 {
        return format!(
            "le champ « {} » (de type {}) demande une sélection de sous-champs entre accolades.",
            q[0], q[1]
        );
    }
    if message.contains("must not have a selection") && q.len() >= 2 {
        return format!(
            "le champ « {} » (de type {}) n'a pas de sous-champs : retirez ses accolades.",
            q[0], q[1]
        );
    }
    if message.ends_with("is required but not provided") && q.len() >= 3 {
        return format!(
            "l'argument « {} » ({}) du champ « {} » est obligatoire.",
            q[1], q[2], q[0]
        );
    }
    if message.starts_with("Variable") && message.contains("is not defined") && !q.is_empty() {
        return format!("la variable « {} » n'est pas déclarée.", q[0]);
    }
    if message.starts_with("Variable")
        && (message.contains("is never used") || message.contains("is not used"))
        && !q.is_empty()
    {
        return format!(
            "la variable « {} » est déclarée mais jamais utilisée.",
            q[0]
        );
    }
    if message.starts_with("Variable")
        && message.contains("used in position expecting")
        && q.len() >= 3
    {
        return format!(
            "la variable « {} » est de type {} là où {} est attendu.",
            q[0], q[1], q[2]
        );
    }
    if message.starts_with("Fields") && message.contains("conflict") && !q.is_empty() {
        return format!(
            "les champs « {} » se contredisent : donnez-leur des alias différents pour les demander tous les deux.",
            q[0]
        );
    }
    if message.starts_with("Unknown fragment") || message.starts_with("Unknown type") {
        return format!(
            "fragment ou type inconnu ({}).",
            message
                .split_once(['"', ':'])
                .map_or("", |(_, r)| r.trim_matches(['"', ' ', '.']))
        );
    }
    if message.starts_with("Fragment")
        && (message.contains("never used") || message.contains("is not used"))
        && !q.is_empty()
    {
        return format!("le fragment « {} » n'est jamais utilisé.", q[0]);
    }
    if message.starts_with("Schema is not configured for") {
        return "ce serveur ne sert pas ce type d'opération.".to_owned();
    }
    if message.contains("-->") || message.starts_with(" -->") {
        // A syntax error from the parser: « --> 1:5 … = expected name ».
        let at = message
            .split("-->")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or("?");
        let (line, column) = at.split_once(':').unwrap_or((at, "?"));
        return format!("erreur de syntaxe ligne {line}, colonne {column}.");
    }
    format!("{message} (message du moteur GraphQL)")
}

/// async-graphql's reasons for refusing a value (`Failed to parse "Int": …`), in French.
pub fn french_input_reason(reason: &str) -> String {
    let mut reason = reason.trim().to_owned();
    let mut within = Vec::new();
    // `… (occurred while parsing "ActionFilter")`, possibly several times.
    while let Some(start) = reason.rfind(" (occurred while parsing \"") {
        let what = reason[start..].split('"').nth(1).unwrap_or("").to_owned();
        within.push(what);
        reason.truncate(start);
    }
    let q = quoted(&reason);
    let mut french = if let Some(rest) = reason.strip_prefix("Only integers from ") {
        let bounds: Vec<&str> = rest.split_whitespace().collect();
        match bounds.as_slice() {
            [min, "to", max, ..] => format!(
                "seuls les nombres entiers de {min} à {} sont acceptés",
                max.trim_end_matches('.')
            ),
            _ => "ce nombre est hors des bornes acceptées".to_owned(),
        }
    } else if reason.starts_with("Expected input type") && !q.is_empty() {
        let found = reason
            .split("found ")
            .nth(1)
            .unwrap_or("")
            .trim_end_matches('.');
        format!("une valeur de type {} est attendue, reçu {found}", q[0])
    } else if reason.starts_with("Invalid number") {
        "ce nombre n'est pas valide".to_owned()
    } else {
        reason.trim_end_matches('.').to_owned()
    };
    for what in within {
        french.push_str(&format!(" (dans {what})"));
    }
    french
}

/// serde_json's reason for refusing a body, in French with its place.
pub fn french_json_error(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let place = format!("ligne {}, colonne {}", error.line(), error.column());
    match error.classify() {
        Category::Eof => format!("le JSON s'arrête avant la fin ({place})"),
        Category::Syntax if error.to_string().starts_with("recursion limit") => {
            format!("le JSON est imbriqué trop profondément ({place})")
        }
        Category::Syntax => format!("le JSON est mal formé ({place})"),
        Category::Data => format!("le JSON n'a pas la forme attendue ({place})"),
        Category::Io => "le corps n'a pas pu être lu".to_owned(),
    }
}

/// async-graphql's reasons for refusing a value written in the query, in French:
/// `"kind", enumeration type "PaymentKind" does not contain the value "MAYBE"` becomes
/// « Valeur invalide pour l'argument « kind » : « MAYBE » n'est pas une valeur de PaymentKind. »
/// A reason it does not know is kept as it is.
fn invalid_argument(rest: &str) -> String {
    // The argument's path is quoted first, then the reason.
    let (path, reason) = rest
        .strip_prefix('"')
        .and_then(|r| r.split_once("\", "))
        .unwrap_or(("", rest));
    let quoted: Vec<&str> = reason.split('"').skip(1).step_by(2).collect();
    let reason = match quoted.as_slice() {
        [ty] if reason.starts_with("expected type") => {
            format!("une valeur de type {ty} est attendue")
        }
        [ty, value] if reason.starts_with("enumeration type") => {
            format!("« {value} » n'est pas une valeur de {ty}")
        }
        [field, ty] if reason.ends_with("is required but not provided") => {
            format!("le champ « {field} » ({ty}) est obligatoire")
        }
        [field, ty] if reason.starts_with("unknown field") => {
            format!("{ty} n'a pas de champ « {field} »")
        }
        _ if reason.starts_with("Oneof") => {
            "exactement un de ses champs doit être renseigné, et non nul".to_owned()
        }
        _ => reason.to_owned(),
    };
    format!("Valeur invalide pour l'argument « {path} » : {reason}.")
}

/// A French sentence's first letter in upper case (an error's `to_string` starts in lower case,
/// as Rust's do, and becomes a message shown to people).
pub(crate) fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::values::{FunderId, Money, ProgrammeId};

    fn extensions(error: &async_graphql::Error) -> serde_json::Value {
        serde_json::to_value(&error.extensions).unwrap()
    }

    #[test]
    fn a_rule_violation_carries_its_rule_code() {
        let domain = DomainError::PaymentExceedsGranted {
            funder: FunderId::parse("etat").unwrap(),
            granted: Money::from_cents(100).unwrap(),
            already_paid: Money::ZERO,
            requested: Money::from_cents(200).unwrap(),
        };
        let error = async_graphql::Error::from(ApiError::from(domain));
        let ext = extensions(&error);
        assert_eq!(ext["code"], "RULE_VIOLATION");
        assert_eq!(ext["rule"], "payment_exceeds_granted");
        assert!(error.message.starts_with("Le versement"));
    }

    #[test]
    fn a_programme_mismatch_is_validation_and_forbidden_stays_forbidden() {
        let p = ProgrammeId::parse("nord").unwrap();
        let q = ProgrammeId::parse("sud").unwrap();
        let mismatch = ApiError::from(DomainError::ProgrammeMismatch {
            command: p.clone(),
            stream: q.clone(),
        });
        assert_eq!(mismatch.code(), Code::Validation);
        let forbidden = ApiError::from(DomainError::ForbiddenProgramme {
            bound_to: Some(p),
            target: q,
        });
        assert_eq!(forbidden.code(), Code::Forbidden);
    }

    #[test]
    fn a_log_conflict_gives_the_current_version() {
        let error = ApiError::from(eventlog::Error::Conflict {
            stream: "action-nord.a1".to_owned(),
            expected: eventlog::ExpectedVersion::Exact(3),
            actual: eventlog::StreamState::At(5),
        });
        let ext = extensions(&error.to_graphql());
        assert_eq!(ext["code"], "CONFLICT");
        assert_eq!(ext["currentVersion"], 5);
    }

    #[test]
    fn an_internal_error_hides_its_cause() {
        let error = ApiError::from(eventlog::Error::Io(std::io::Error::other(
            "disque plein sur /var/secret",
        )));
        let graphql = error.to_graphql();
        assert_eq!(extensions(&graphql)["code"], "INTERNAL");
        assert!(!graphql.message.contains("secret"), "{}", graphql.message);
        assert!(graphql.message.contains("référence"));
    }

    #[test]
    fn failures_are_listed_with_the_most_pressing_code() {
        let domain = DomainError::RetainedNothing;
        let error = ApiError::from_failures(
            "Aucune décision n'a été enregistrée.",
            vec![
                Failure::from_domain("a1", &domain),
                Failure::conflict("a2", 1, 2),
            ],
        );
        assert_eq!(error.code(), Code::Conflict);
        let ext = extensions(&error.to_graphql());
        assert_eq!(ext["failures"][0]["actionId"], "a1");
        assert_eq!(ext["failures"][0]["rule"], "retained_exceeds_requested");
        assert_eq!(ext["failures"][1]["currentVersion"], 2);
        assert_eq!(ext["failures"][1]["rule"], serde_json::Value::Null);
    }

    #[test]
    fn engine_limits_are_limit_and_other_engine_errors_validation() {
        assert_eq!(
            code_for_engine_error("Query is nested too deep.").0,
            Code::Limit
        );
        assert_eq!(
            code_for_engine_error("Query is too complex.").0,
            Code::Limit
        );
        assert_eq!(
            code_for_engine_error("Unknown field \"x\" on type \"Query\".").0,
            Code::Validation
        );
    }

    #[test]
    fn a_value_refused_in_the_query_is_explained_in_french() {
        let (code, message) = code_for_engine_error(
            "Invalid value for argument \"kind\", enumeration type \"PaymentKind\" does not contain the value \"MAYBE\"",
        );
        assert_eq!(code, Code::Validation);
        assert_eq!(
            message,
            "Valeur invalide pour l'argument « kind » : « MAYBE » n'est pas une valeur de PaymentKind."
        );
        let (_, message) = code_for_engine_error(
            "Invalid value for argument \"input\", field \"name\" of type \"String!\" is required but not provided",
        );
        assert_eq!(
            message,
            "Valeur invalide pour l'argument « input » : le champ « name » (String!) est obligatoire."
        );
        let (_, message) =
            code_for_engine_error("Invalid value for argument \"first\", expected type \"Int\"");
        assert_eq!(
            message,
            "Valeur invalide pour l'argument « first » : une valeur de type Int est attendue."
        );
    }
}
