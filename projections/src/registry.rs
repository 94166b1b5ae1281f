//! The registry of stored payload versions: `(event_type, schema_version, bytes)` → the current
//! domain event, decoding with the log's codec and upcasting old versions.
//!
//! Every `(event_type, schema_version)` ever written is listed here, with the frozen type it
//! decodes into and its upcast. An unknown pair is an error that names it, never a silent skip.
//! The golden files under `projections/tests/golden/<type>/v<N>.bin` pin every version's bytes.

use domain::events::legacy::{
    ActionProposedV1, FunderRegisteredV1, PartnerRegisteredV1, ProgrammeEstablishedV1,
};
use domain::events::*;

/// An event ready for the log: its routing keys outside the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedEvent {
    pub event_type: &'static str,
    pub schema_version: u16,
    pub payload: Vec<u8>,
    /// The erasable texts taken out of the payload ([`encode_erasable`]), in order; empty for
    /// [`encode`].
    pub texts: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown event type or version: {event_type} v{schema_version}")]
    Unknown {
        event_type: String,
        schema_version: u16,
    },
    #[error("payload of {event_type} v{schema_version} does not decode: {source}")]
    Malformed {
        event_type: String,
        schema_version: u16,
        source: eventlog::Error,
    },
}

/// Encodes the payload of the current version of an event: the bare struct of its variant
/// (`DomainEvent` serializes untagged).
pub fn encode(event: &DomainEvent) -> EncodedEvent {
    EncodedEvent {
        event_type: event.event_type(),
        schema_version: event.schema_version(),
        // A plain struct of strings, integers and enums always encodes into a Vec.
        payload: eventlog::codec::encode(event).expect("domain events always encode"),
        texts: Vec::new(),
    }
}

/// Encodes an event with its erasable texts (titles, notes, narratives) taken out of the
/// payload, each an empty string there, for the log's erasable texts: what the command
/// service writes (envelope format 2). [`decode_with_texts`] puts them back.
pub fn encode_erasable(event: &DomainEvent) -> EncodedEvent {
    let (payload, texts) = domain::values::erasable::taking(|| {
        eventlog::codec::encode(event).expect("domain events always encode")
    });
    EncodedEvent {
        event_type: event.event_type(),
        schema_version: event.schema_version(),
        payload,
        texts,
    }
}

/// [`decode`] giving `texts`, in order, to the erasable texts the payload holds as empty
/// strings (a payload written by [`encode`] holds none, and decodes the same).
pub fn decode_with_texts(
    event_type: &str,
    schema_version: u16,
    payload: &[u8],
    texts: Vec<String>,
) -> Result<DomainEvent, DecodeError> {
    domain::values::erasable::giving(texts, || decode(event_type, schema_version, payload))
}

/// The place of each erasable text of `event` in its JSON data (`summary`, `items[1]`,
/// `requested[0].note`), in the order [`encode_erasable`] takes them out.
pub fn erasable_fields(event: &DomainEvent) -> Vec<String> {
    const MARK: &str = "\u{1}chronique-erasable\u{1}";
    // The payload without its texts, decoded with a numbered mark in place of each: the JSON
    // of that event says where each mark, hence each text, sits.
    let (bytes, texts) = domain::values::erasable::taking(|| eventlog::codec::encode(event));
    let Ok(bytes) = bytes else {
        return Vec::new();
    };
    let marks: Vec<String> = (0..texts.len()).map(|i| format!("{MARK}{i}")).collect();
    let marked = domain::values::erasable::giving(marks, || {
        decode(event.event_type(), event.schema_version(), &bytes)
    });
    let Ok(marked) = marked else {
        return Vec::new();
    };
    let mut places = vec![String::new(); texts.len()];
    if let Ok(json) = serde_json::to_value(&marked) {
        walk(&json, String::new(), &mut |path, text| {
            if let Some(place) = text
                .strip_prefix(MARK)
                .and_then(|n| n.parse::<usize>().ok())
                .and_then(|i| places.get_mut(i))
            {
                *place = path;
            }
        });
    }
    places
}

fn walk(value: &serde_json::Value, path: String, found: &mut impl FnMut(String, &str)) {
    match value {
        serde_json::Value::String(text) => found(path, text),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, format!("{path}[{i}]"), found);
            }
        }
        serde_json::Value::Object(fields) => {
            for (key, item) in fields {
                let path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                walk(item, path, found);
            }
        }
        _ => {}
    }
}

/// Every `(event_type, schema_version)` the registry decodes, old versions included.
pub fn known_versions() -> Vec<(&'static str, u16)> {
    let mut all: Vec<(&'static str, u16)> = Vec::new();
    all.extend(ProgrammeEvent::TYPES);
    all.extend(PartnerEvent::TYPES);
    all.extend(SessionEvent::TYPES);
    all.extend(ActionEvent::TYPES);
    all.extend(LEGACY_VERSIONS);
    all.sort();
    all
}

/// Versions no longer written, still read.
const LEGACY_VERSIONS: &[(&str, u16)] = &[
    ("ProgrammeEstablished", 1),
    ("FunderRegistered", 1),
    ("PartnerRegistered", 1),
    ("ActionProposed", 1),
];

/// Decodes a stored payload into the current domain event, upcasting old versions.
pub fn decode(
    event_type: &str,
    schema_version: u16,
    payload: &[u8],
) -> Result<DomainEvent, DecodeError> {
    fn typed<T: serde::de::DeserializeOwned>(
        event_type: &str,
        schema_version: u16,
        payload: &[u8],
    ) -> Result<T, DecodeError> {
        eventlog::codec::decode(payload).map_err(|source| DecodeError::Malformed {
            event_type: event_type.to_owned(),
            schema_version,
            source,
        })
    }
    macro_rules! route {
        ($(($name:literal, $version:literal) => $wrap:expr, $ty:ty;)+) => {
            match (event_type, schema_version) {
                $(($name, $version) => {
                    let value: $ty = typed(event_type, schema_version, payload)?;
                    Ok($wrap(value))
                })+
                _ => Err(DecodeError::Unknown {
                    event_type: event_type.to_owned(),
                    schema_version,
                }),
            }
        };
    }
    let p = |e: ProgrammeEvent| DomainEvent::Programme(e);
    let pa = |e: PartnerEvent| DomainEvent::Partner(e);
    let s = |e: SessionEvent| DomainEvent::Session(e);
    let a = |e: ActionEvent| DomainEvent::Action(e);
    route! {
        ("ProgrammeEstablished", 1) => |v: ProgrammeEstablishedV1| p(ProgrammeEstablished::from(v).into()), ProgrammeEstablishedV1;
        ("ProgrammeEstablished", 2) => |v: ProgrammeEstablished| p(v.into()), ProgrammeEstablished;
        ("AxisDefined", 1) => |v: AxisDefined| p(v.into()), AxisDefined;
        ("AxisRetired", 1) => |v: AxisRetired| p(v.into()), AxisRetired;
        ("FunderRegistered", 1) => |v: FunderRegisteredV1| p(FunderRegistered::from(v).into()), FunderRegisteredV1;
        ("FunderRegistered", 2) => |v: FunderRegistered| p(v.into()), FunderRegistered;
        ("EnvelopeNotified", 1) => |v: EnvelopeNotified| p(v.into()), EnvelopeNotified;
        ("EnvelopeRevised", 1) => |v: EnvelopeRevised| p(v.into()), EnvelopeRevised;
        ("BodyMembershipChanged", 1) => |v: BodyMembershipChanged| p(v.into()), BodyMembershipChanged;
        ("TerritoryChanged", 1) => |v: TerritoryChanged| p(v.into()), TerritoryChanged;
        ("ReviewSectionWritten", 1) => |v: ReviewSectionWritten| p(v.into()), ReviewSectionWritten;
        ("AnnualReviewValidated", 1) => |v: AnnualReviewValidated| p(v.into()), AnnualReviewValidated;
        ("TextErased", 1) => |v: TextErased| p(v.into()), TextErased;
        ("ActorNameErased", 1) => |v: ActorNameErased| p(v.into()), ActorNameErased;
        ("PartnerRegistered", 1) => |v: PartnerRegisteredV1| pa(PartnerRegistered::from(v).into()), PartnerRegisteredV1;
        ("PartnerRegistered", 2) => |v: PartnerRegistered| pa(v.into()), PartnerRegistered;
        ("PartnerLeftAlliance", 1) => |v: PartnerLeftAlliance| pa(v.into()), PartnerLeftAlliance;
        ("PartnerLegalFormSet", 1) => |v: PartnerLegalFormSet| pa(v.into()), PartnerLegalFormSet;
        ("SessionScheduled", 1) => |v: SessionScheduled| s(v.into()), SessionScheduled;
        ("SessionHeld", 1) => |v: SessionHeld| s(v.into()), SessionHeld;
        ("SessionCancelled", 1) => |v: SessionCancelled| s(v.into()), SessionCancelled;
        ("ActionProposed", 1) => |v: ActionProposedV1| a(ActionProposed::from(v).into()), ActionProposedV1;
        ("ActionProposed", 2) => |v: ActionProposed| a(v.into()), ActionProposed;
        ("ActionAmended", 1) => |v: ActionAmended| a(v.into()), ActionAmended;
        ("ComplementsRequested", 1) => |v: ComplementsRequested| a(v.into()), ComplementsRequested;
        ("ComplementsProvided", 1) => |v: ComplementsProvided| a(v.into()), ComplementsProvided;
        ("OpinionGiven", 1) => |v: OpinionGiven| a(v.into()), OpinionGiven;
        ("CopilDecisionTaken", 1) => |v: CopilDecisionTaken| a(v.into()), CopilDecisionTaken;
        ("DecisionRevised", 1) => |v: DecisionRevised| a(v.into()), DecisionRevised;
        ("ActionWithdrawn", 1) => |v: ActionWithdrawn| a(v.into()), ActionWithdrawn;
        ("GrantAwarded", 1) => |v: GrantAwarded| a(v.into()), GrantAwarded;
        ("GrantRefused", 1) => |v: GrantRefused| a(v.into()), GrantRefused;
        ("PaymentRecorded", 1) => |v: PaymentRecorded| a(v.into()), PaymentRecorded;
        ("PaymentCancelled", 1) => |v: PaymentCancelled| a(v.into()), PaymentCancelled;
        ("ActionStarted", 1) => |v: ActionStarted| a(v.into()), ActionStarted;
        ("PeriodChanged", 1) => |v: PeriodChanged| a(v.into()), PeriodChanged;
        ("ActionCompleted", 1) => |v: ActionCompleted| a(v.into()), ActionCompleted;
        ("NonRealisationAttested", 1) => |v: NonRealisationAttested| a(v.into()), NonRealisationAttested;
        ("RepaymentRequested", 1) => |v: RepaymentRequested| a(v.into()), RepaymentRequested;
        ("RepaymentReceived", 1) => |v: RepaymentReceived| a(v.into()), RepaymentReceived;
        ("ReportSubmitted", 1) => |v: ReportSubmitted| a(v.into()), ReportSubmitted;
        ("IndicatorMeasured", 1) => |v: IndicatorMeasured| a(v.into()), IndicatorMeasured;
        ("ActionEvaluated", 1) => |v: ActionEvaluated| a(v.into()), ActionEvaluated;
        ("ActionClosed", 1) => |v: ActionClosed| a(v.into()), ActionClosed;
        ("ReportDeadlineExtended", 1) => |v: ReportDeadlineExtended| a(v.into()), ReportDeadlineExtended;
        ("FinalReportReviewed", 1) => |v: FinalReportReviewed| a(v.into()), FinalReportReviewed;
        ("GrantAmended", 1) => |v: GrantAmended| a(v.into()), GrantAmended;
        ("RepaymentRequestCancelled", 1) => |v: RepaymentRequestCancelled| a(v.into()), RepaymentRequestCancelled;
        ("ReportCorrected", 1) => |v: ReportCorrected| a(v.into()), ReportCorrected;
        ("AttendanceCorrected", 1) => |v: AttendanceCorrected| s(v.into()), AttendanceCorrected;
    }
}
