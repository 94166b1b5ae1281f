//! Validated values: typed ids, money, bounded texts, SIRET, years, and the closed lists of
//! DOMAIN.md.
//!
//! Every type here has a private field and a `parse` constructor; once built, a value is valid.
//! Serde is derived with `transparent` so that the stored form is the bare value: the encoding
//! of events (bincode, in `eventlog`) depends on it, so never change a field's type here without
//! adding a schema version to the events that carry it.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A value given by a person is malformed or out of range. Carries the field and what is wrong,
/// so that the API can answer `VALIDATION` with a French sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} : {problem}")]
pub struct InvalidValue {
    pub field: &'static str,
    /// French, for a person: « doit contenir 14 chiffres ».
    pub problem: String,
}

impl InvalidValue {
    pub fn new(field: &'static str, problem: impl Into<String>) -> Self {
        Self {
            field,
            problem: problem.into(),
        }
    }
}

fn is_local_id(s: &str) -> bool {
    let bytes = s.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 64
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

macro_rules! local_id {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        ///
        /// Matches `[a-z0-9][a-z0-9-]{0,63}`.
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: &str) -> Result<Self, InvalidValue> {
                if is_local_id(s) {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(InvalidValue::new(
                        $field,
                        format!(
                            "« {} » n'est pas un identifiant valide (1 à 64 caractères parmi a-z, 0-9 et -, sans tiret au début)",
                            truncate_for_message(s)
                        ),
                    ))
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = InvalidValue;
            fn try_from(s: &str) -> Result<Self, InvalidValue> {
                Self::parse(s)
            }
        }
    };
}

local_id!(
    /// A Cité éducative: `programme-{id}`.
    ProgrammeId,
    "programme"
);
local_id!(
    /// A fiche action, local to its programme: `action-{programme}.{id}`.
    ActionId,
    "action"
);
local_id!(
    /// A member of the alliance, local to its programme: `partner-{programme}.{id}`.
    PartnerId,
    "partenaire"
);
local_id!(
    /// A dated meeting of a body, local to its programme: `session-{programme}.{id}`.
    SessionId,
    "séance"
);
local_id!(
    /// A funder registered in a programme (`etat-p147`, `ville`, `caf`…).
    FunderId,
    "financeur"
);
local_id!(
    /// A grant (attribution) of an action; given by the command service when it is awarded.
    GrantId,
    "attribution"
);
local_id!(
    /// A payment (versement) of an action; given by the command service when it is recorded.
    PaymentId,
    "versement"
);

/// The code of a local axis (`A1`, `axe-2`, `1.3`): 1 to 32 characters among letters, digits,
/// `.`, `_` and `-`, starting with a letter or digit. Case is kept as written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AxisCode(String);

impl AxisCode {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let bytes = s.as_bytes();
        let ok = !bytes.is_empty()
            && bytes.len() <= 32
            && bytes[0].is_ascii_alphanumeric()
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidValue::new(
                "axe",
                format!(
                    "« {} » n'est pas un code d'axe valide (1 à 32 caractères parmi lettres, chiffres, . _ -)",
                    truncate_for_message(s)
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AxisCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The code of an indicator of an action (`eleves-accompagnes`): same syntax as an axis code,
/// up to 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IndicatorCode(String);

impl IndicatorCode {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let bytes = s.as_bytes();
        let ok = !bytes.is_empty()
            && bytes.len() <= 64
            && bytes[0].is_ascii_alphanumeric()
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidValue::new(
                "indicateur",
                format!(
                    "« {} » n'est pas un code d'indicateur valide (1 à 64 caractères parmi lettres, chiffres, . _ -)",
                    truncate_for_message(s)
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IndicatorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn truncate_for_message(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(MAX).collect();
        t.push('…');
        t
    }
}

/// Money: a whole number of euro cents, 0 ≤ x ≤ 10¹³ (rule 1, `money_invalid`).
///
/// Arithmetic is checked: a sum that would leave the range is `None`, never a wrap.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(i64);

impl Money {
    /// 10¹³ cents, i.e. 100 milliards d'euros.
    pub const MAX_CENTS: i64 = 10_000_000_000_000;
    pub const ZERO: Money = Money(0);

    /// Accepts 0 ≤ cents ≤ 10¹³.
    pub const fn from_cents(cents: i64) -> Option<Money> {
        if cents >= 0 && cents <= Self::MAX_CENTS {
            Some(Money(cents))
        } else {
            None
        }
    }

    pub const fn cents(self) -> i64 {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).and_then(Money::from_cents)
    }

    /// `None` when `other` is larger than `self`.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).and_then(Money::from_cents)
    }

    /// `self - other`, or zero when `other` is larger.
    pub fn saturating_sub(self, other: Money) -> Money {
        Money((self.0 - other.0).max(0))
    }

    /// `self + other`, held at [`Money::MAX_CENTS`]: for folds, which never fail (a recorded
    /// event is a fact, even when an amount no longer fits).
    pub fn saturating_add(self, other: Money) -> Money {
        Money(self.0.saturating_add(other.0).clamp(0, Self::MAX_CENTS))
    }

    /// The smaller of two amounts.
    pub fn min(self, other: Money) -> Money {
        if self.0 <= other.0 { self } else { other }
    }

    /// The sum of many amounts, `None` if it leaves the range.
    pub fn checked_sum<I: IntoIterator<Item = Money>>(amounts: I) -> Option<Money> {
        amounts
            .into_iter()
            .try_fold(Money::ZERO, |acc, m| acc.checked_add(m))
    }
}

/// A money amount for one funder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoneyLine {
    pub funder: FunderId,
    pub amount: Money,
}

impl MoneyLine {
    pub fn new(funder: FunderId, amount: Money) -> MoneyLine {
        MoneyLine { funder, amount }
    }
}

/// The amount for `funder` in `lines` (the first line naming it), zero when none does.
pub fn amount_for(lines: &[MoneyLine], funder: &FunderId) -> Money {
    lines
        .iter()
        .find(|l| &l.funder == funder)
        .map_or(Money::ZERO, |l| l.amount)
}

/// A budget year (exercice): a calendar year between 2000 and 2100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Year(i32);

impl Year {
    pub const MIN: i32 = 2000;
    pub const MAX: i32 = 2100;

    pub fn parse(year: i32) -> Result<Year, InvalidValue> {
        if (Self::MIN..=Self::MAX).contains(&year) {
            Ok(Year(year))
        } else {
            Err(InvalidValue::new(
                "exercice",
                format!(
                    "l'année {year} est hors de la plage acceptée ({} à {})",
                    Self::MIN,
                    Self::MAX
                ),
            ))
        }
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

impl fmt::Display for Year {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A text given by a person, trimmed, not empty, at most `MAX` characters.
///
/// Titles, notes and narratives (`MAX` of 300 and more) are **erasable**: when an event is
/// encoded inside [`erasable::taking`], each of them is encoded as an empty string and handed
/// out, in order, so that the words can be stored outside the chained payload; decoding inside
/// [`erasable::giving`] puts them back. Names (of organisations, communes…) stay in the payload.
/// Outside those two, a text encodes as its string, as it always did.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text<const MAX: usize>(String);

impl<const MAX: usize> Serialize for Text<MAX> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if MAX >= erasable::MIN_MAX && erasable::take(&self.0) {
            return serializer.serialize_str("");
        }
        serializer.serialize_str(&self.0)
    }
}

impl<'de, const MAX: usize> Deserialize<'de> for Text<MAX> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        // A stored text is never empty: an empty one is the place of an erasable text.
        if MAX >= erasable::MIN_MAX
            && text.is_empty()
            && let Some(given) = erasable::give()
        {
            return Ok(Text(given));
        }
        Ok(Text(text))
    }
}

/// Taking erasable texts out of an encoded event, and giving them back when it is decoded.
pub mod erasable {
    use std::cell::RefCell;

    /// Texts whose `MAX` is at least this are erasable (titles, notes, narratives).
    pub const MIN_MAX: usize = 300;

    enum Hook {
        Take(Vec<String>),
        Give(std::vec::IntoIter<String>),
    }

    thread_local! {
        static HOOK: RefCell<Option<Hook>> = const { RefCell::new(None) };
    }

    /// Runs `encode`, every erasable text it serializes taken out (encoded as an empty string)
    /// and returned, in the order met.
    pub fn taking<R>(encode: impl FnOnce() -> R) -> (R, Vec<String>) {
        let previous = HOOK.with(|h| h.replace(Some(Hook::Take(Vec::new()))));
        let result = encode();
        let hook = HOOK.with(|h| h.replace(previous));
        match hook {
            Some(Hook::Take(texts)) => (result, texts),
            _ => (result, Vec::new()),
        }
    }

    /// Runs `decode`, giving `texts`, in order, to the empty erasable texts it deserializes.
    pub fn giving<R>(texts: Vec<String>, decode: impl FnOnce() -> R) -> R {
        let previous = HOOK.with(|h| h.replace(Some(Hook::Give(texts.into_iter()))));
        let result = decode();
        HOOK.with(|h| h.replace(previous));
        result
    }

    pub(super) fn take(text: &str) -> bool {
        HOOK.with(|h| match &mut *h.borrow_mut() {
            Some(Hook::Take(texts)) => {
                texts.push(text.to_owned());
                true
            }
            _ => false,
        })
    }

    pub(super) fn give() -> Option<String> {
        HOOK.with(|h| match &mut *h.borrow_mut() {
            Some(Hook::Give(texts)) => texts.next(),
            _ => None,
        })
    }
}

impl<const MAX: usize> Text<MAX> {
    pub fn parse(field: &'static str, s: &str) -> Result<Self, InvalidValue> {
        let trimmed = s.trim();
        if trimmed.is_empty() {
            return Err(InvalidValue::new(field, "ne peut pas être vide"));
        }
        if trimmed.chars().all(is_invisible) {
            return Err(InvalidValue::new(
                field,
                "ne peut pas être vide : il ne contient que des espaces ou des caractères invisibles",
            ));
        }
        let n_chars = trimmed.chars().count();
        if n_chars > MAX {
            return Err(InvalidValue::new(
                field,
                format!("trop long : {n_chars} caractères pour {MAX} au plus"),
            ));
        }
        if trimmed
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
        {
            return Err(InvalidValue::new(
                field,
                "contient des caractères de contrôle",
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<const MAX: usize> fmt::Display for Text<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A character that shows nothing on its own: white space (Unicode `White_Space`), a control
/// character (`Cc`), a format character (`Cf`: zero-width spaces and joiners U+200B–U+200D, word
/// joiner U+2060, byte order mark U+FEFF, bidirectional marks…) or another default-ignorable
/// code point (variation selectors, Hangul fillers, tags), and the blank Braille pattern. A
/// text made only of these looks empty to a person, so it is refused as empty.
///
/// The table follows Unicode 16's `DerivedCoreProperties.txt` (`Default_Ignorable_Code_Point`)
/// and the `Cf` category of `UnicodeData.txt`; `domain` keeps its dependencies to serde,
/// thiserror and chrono, hence a table here rather than a crate.
pub fn is_invisible(c: char) -> bool {
    const RANGES: &[(u32, u32)] = &[
        (0x00AD, 0x00AD),
        (0x034F, 0x034F),
        (0x0600, 0x0605),
        (0x061C, 0x061C),
        (0x06DD, 0x06DD),
        (0x070F, 0x070F),
        (0x0890, 0x0891),
        (0x08E2, 0x08E2),
        (0x115F, 0x1160),
        (0x17B4, 0x17B5),
        (0x180B, 0x180F),
        (0x200B, 0x200F),
        (0x202A, 0x202E),
        (0x2060, 0x206F),
        (0x2800, 0x2800),
        (0x3164, 0x3164),
        (0xFE00, 0xFE0F),
        (0xFEFF, 0xFEFF),
        (0xFFA0, 0xFFA0),
        (0xFFF0, 0xFFFB),
        (0x110BD, 0x110BD),
        (0x110CD, 0x110CD),
        (0x13430, 0x1343F),
        (0x1BCA0, 0x1BCA3),
        (0x1D173, 0x1D17A),
        (0xE0000, 0xE0FFF),
    ];
    if c.is_whitespace() || c.is_control() {
        return true;
    }
    let code = u32::from(c);
    RANGES
        .iter()
        .any(|&(first, last)| (first..=last).contains(&code))
}

/// The form under which two texts are the same to a person: lower case, invisible characters
/// dropped, runs of white space made one space. « Grande  Borne » and « grande borne » (or with
/// a zero-width space inside) name the same QPV; two references that differ only so are one.
pub fn comparison_key(s: &str) -> String {
    let mut key = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            space = !key.is_empty();
        } else if !is_invisible(c) {
            if space {
                key.push(' ');
                space = false;
            }
            key.extend(c.to_lowercase());
        }
    }
    key
}

/// A name: of a programme, a funder, a partner, an organisation, a commune, a QPV.
pub type Name = Text<200>;
/// A title: of an axis, an action, a session; an act's reference; a reason given in one line.
pub type Title = Text<300>;
/// A note, a reason, a comment, a finding: a paragraph or a few.
pub type Note = Text<5_000>;
/// The narrative of a report or an action's summary.
pub type Narrative = Text<20_000>;

/// A SIRET: 14 digits whose Luhn checksum holds (La Poste's establishments, SIREN 356 000 000,
/// use the sum of their digits modulo 5 instead).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Siret(String);

impl Siret {
    /// Accepts spaces between digit groups (« 123 456 789 00012 »).
    pub fn parse(s: &str) -> Result<Siret, InvalidValue> {
        let digits: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidValue::new(
                "SIRET",
                format!(
                    "« {} » doit contenir exactement 14 chiffres",
                    truncate_for_message(s)
                ),
            ));
        }
        let values: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
        let valid = if digits.starts_with("356000000") {
            values.iter().sum::<u32>().is_multiple_of(5)
        } else {
            luhn_valid(&values)
        };
        if valid {
            Ok(Siret(digits))
        } else {
            Err(InvalidValue::new(
                "SIRET",
                format!("« {digits} » : la clé de contrôle est fausse"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A school's UAI (unité administrative immatriculée): seven digits and a check letter, the
/// letter of rank (the seven digits mod 23) in `ABCDEFGHJKLMNPRSTUVWXYZ` (0750654D).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Uai(String);

impl Uai {
    const LETTERS: &'static [u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ";

    /// `None` when `s` is not a UAI whose check letter holds (a lower-case letter is accepted).
    pub fn parse(s: &str) -> Option<Uai> {
        let s = s.trim().to_uppercase();
        let bytes = s.as_bytes();
        if bytes.len() != 8 || !bytes[..7].iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n: u32 = s[..7].parse().ok()?;
        (Self::LETTERS[(n % 23) as usize] == bytes[7]).then_some(Uai(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A QPV code as the ANCT publishes them: upper-case letters and digits (QN07501M).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct QpvCode(String);

impl QpvCode {
    /// `None` when `s` is not made of 2 to 16 upper-case letters and digits.
    pub fn parse(s: &str) -> Option<QpvCode> {
        let s = s.trim();
        let valid = (2..=16).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        valid.then(|| QpvCode(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An RNA number (répertoire national des associations): `W` and nine digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Rna(String);

impl Rna {
    /// Accepts a lower-case `w` and spaces (« w 913 001 234 »).
    pub fn parse(s: &str) -> Result<Rna, InvalidValue> {
        let compact: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        let valid = compact.len() == 10
            && compact.starts_with('W')
            && compact[1..].bytes().all(|b| b.is_ascii_digit());
        if valid {
            Ok(Rna(compact))
        } else {
            Err(InvalidValue::new(
                "numéro RNA",
                format!(
                    "« {} » doit être la lettre W suivie de 9 chiffres (par exemple W913001234)",
                    truncate_for_message(s)
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn luhn_valid(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Declares a closed list: a plain enum with serde, `ALL`, and its French label.
macro_rules! closed_list {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $label:literal),+ $(,)? }) => {
        $(#[$doc])*
        ///
        /// Never reorder, rename or remove a variant: stored events encode its index.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The French label shown to people.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
        }
    };
}

closed_list!(
    /// The three national objectives of the Cités éducatives.
    NationalObjective {
        SchoolRole => "Conforter le rôle de l'école",
        EducationalContinuity => "Promouvoir la continuité éducative",
        WiderHorizons => "Ouvrir le champ des possibles",
    }
);

closed_list!(
    /// What kind of funder.
    FunderKind {
        State => "État",
        FondsDeLaCite => "Fonds de la cité",
        Municipality => "Commune",
        Epci => "EPCI",
        Department => "Département",
        Region => "Région",
        Caf => "CAF",
        Housing => "Bailleur",
        Foundation => "Fondation",
        OwnFunds => "Fonds propres",
        Other => "Autre",
    }
);

closed_list!(
    /// What kind of organisation a partner is.
    PartnerKind {
        School => "École",
        College => "Collège",
        Lycee => "Lycée",
        Association => "Association",
        MunicipalService => "Service municipal",
        Epci => "EPCI",
        StateService => "Service de l'État",
        Caf => "CAF",
        Culture => "Culture",
        Sport => "Sport",
        Social => "Social",
        Health => "Santé",
        Housing => "Bailleur",
        Other => "Autre",
    }
);

closed_list!(
    /// Whether a partner is a body of private or public law, which the convention rule needs
    /// (its [`PartnerKind`] says its sector, not its law). DOMAIN.md, "Legal form".
    LegalForm {
        Association => "association",
        Foundation => "fondation",
        Company => "entreprise",
        OtherPrivate => "autre personne morale de droit privé",
        LocalAuthority => "collectivité territoriale",
        Eple => "établissement public local d'enseignement",
        StateService => "service de l'État",
        OtherPublic => "autre personne morale de droit public",
        Unknown => "forme juridique non renseignée",
    }
);

impl LegalForm {
    /// Private law, or UNKNOWN (which the rules treat as private law).
    pub fn private_law(self) -> bool {
        !matches!(
            self,
            LegalForm::LocalAuthority
                | LegalForm::Eple
                | LegalForm::StateService
                | LegalForm::OtherPublic
        )
    }

    /// How a partner registered before legal forms existed reads (DOMAIN.md): an école has no
    /// legal personality, so `SCHOOL` reads as UNKNOWN like every kind not listed.
    pub fn of_kind(kind: PartnerKind) -> LegalForm {
        match kind {
            PartnerKind::Association => LegalForm::Association,
            PartnerKind::College | PartnerKind::Lycee => LegalForm::Eple,
            PartnerKind::MunicipalService | PartnerKind::Epci => LegalForm::LocalAuthority,
            PartnerKind::StateService => LegalForm::StateService,
            _ => LegalForm::Unknown,
        }
    }
}

closed_list!(
    /// The public body that finally pays a funder's money: the fonds de la cité, run by the lead
    /// collège, is State money (DOMAIN.md, "Payer").
    Payer {
        State => "État",
        Commune => "commune",
        Epci => "EPCI",
        Department => "département",
        Region => "région",
        Caf => "CAF",
        Other => "autre",
    }
);

impl Payer {
    /// How a funder registered before payers existed reads (DOMAIN.md), and the payer a new
    /// funder gets when none is given.
    pub fn of_kind(kind: FunderKind) -> Payer {
        match kind {
            FunderKind::State | FunderKind::FondsDeLaCite => Payer::State,
            FunderKind::Municipality => Payer::Commune,
            FunderKind::Epci => Payer::Epci,
            FunderKind::Department => Payer::Department,
            FunderKind::Region => Payer::Region,
            FunderKind::Caf => Payer::Caf,
            _ => Payer::Other,
        }
    }
}

closed_list!(
    /// The free-text parts of the revue de projet.
    ReviewSection {
        Governance => "gouvernance",
        Deployment => "déploiement",
        Communication => "communication",
        Network => "réseau",
        Finance => "finances",
        Evaluation => "évaluation",
        Difficulties => "difficultés",
        Outlook => "perspectives",
    }
);

closed_list!(
    /// The programme's verdict on a compte rendu financier.
    ReportVerdict {
        Accepted => "accepté",
        Rejected => "refusé",
    }
);

closed_list!(
    /// A governance body of the programme.
    BodyKind {
        Copil => "COPIL",
        Cotech => "COTECH",
        SelectionCommittee => "Comité de sélection",
        Other => "Autre instance",
    }
);

closed_list!(
    /// Where an action stands in its life cycle (DOMAIN.md, "Life cycle of an action").
    ActionStatus {
        Proposed => "proposée",
        ComplementsRequested => "compléments demandés",
        UnderReview => "en instruction",
        Retained => "retenue",
        Deferred => "ajournée",
        Rejected => "rejetée",
        Withdrawn => "retirée",
        Funded => "financée",
        InProgress => "en cours",
        Completed => "achevée",
        NotRealised => "non réalisée",
        Reported => "bilan rendu",
        Evaluated => "évaluée",
        Closed => "clôturée",
    }
);

closed_list!(
    /// The technical opinion of a COTECH or selection committee.
    Opinion {
        Favourable => "favorable",
        Reserved => "réservé",
        Unfavourable => "défavorable",
    }
);

closed_list!(
    /// What the COPIL decided.
    DecisionOutcome {
        Retained => "retenue",
        Deferred => "ajournée",
        Rejected => "rejetée",
    }
);

closed_list!(
    /// The formal act by which a funder grants money.
    ActKind {
        Convention => "convention",
        Arrete => "arrêté",
        Deliberation => "délibération",
        EpleDecision => "décision d'EPLE",
        Other => "autre acte",
    }
);

closed_list!(
    /// What a payment is.
    PaymentKind {
        Advance => "avance",
        Instalment => "acompte",
        Balance => "solde",
    }
);

closed_list!(
    /// Interim or final report.
    ReportKind {
        Interim => "bilan intermédiaire",
        Final => "bilan final",
    }
);

closed_list!(
    /// Who an action is for.
    PublicKind {
        Children => "enfants et jeunes",
        Parents => "parents",
        Professionals => "professionnels",
    }
);

closed_list!(
    /// Age band of beneficiaries; `Adult` is 26 and over.
    AgeBand {
        Age0To2 => "0-2 ans",
        Age3To5 => "3-5 ans",
        Age6To10 => "6-10 ans",
        Age11To14 => "11-14 ans",
        Age15To17 => "15-17 ans",
        Age18To25 => "18-25 ans",
        Adult => "26 ans et plus",
    }
);

closed_list!(
    /// Sex of beneficiaries, as counted.
    Sex {
        Female => "filles / femmes",
        Male => "garçons / hommes",
        Undisclosed => "non renseigné",
    }
);

closed_list!(
    /// How far an action reached its objectives.
    Rating {
        Achieved => "atteints",
        PartlyAchieved => "partiellement atteints",
        NotAchieved => "non atteints",
    }
);

closed_list!(
    /// What the evaluator recommends.
    Recommendation {
        Renew => "reconduire",
        Adjust => "ajuster",
        Stop => "arrêter",
    }
);

closed_list!(
    /// The role a token gives (DOMAIN.md, "Who uses it").
    Role {
        Admin => "administrateur",
        Pilot => "pilote",
        Coordinator => "coordination",
        Porteur => "porteur de projet",
        Evaluator => "évaluateur",
        Observer => "observateur",
    }
);

impl Role {
    /// The role's code, as the API names it and envelopes record it (`COORDINATOR`).
    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "ADMIN",
            Role::Pilot => "PILOT",
            Role::Coordinator => "COORDINATOR",
            Role::Porteur => "PORTEUR",
            Role::Evaluator => "EVALUATOR",
            Role::Observer => "OBSERVER",
        }
    }

    /// The role of a code written by [`Role::code`].
    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|role| role.code() == code)
    }
}

/// One cell of a report's beneficiary counts (rule 9: counts only, never a person).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BeneficiaryCount {
    pub public: PublicKind,
    pub age_band: AgeBand,
    pub sex: Sex,
    pub qpv_resident: bool,
    pub count: u32,
}

/// An indicator planned in a proposal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorDef {
    pub code: IndicatorCode,
    pub label: Title,
    pub target: Option<f64>,
}

/// The formal act of a grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Act {
    pub kind: ActKind,
    pub reference: Title,
    pub signed_on: chrono::NaiveDate,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_ids_follow_the_documented_syntax() {
        assert!(ActionId::parse("soutien-scolaire-2026").is_ok());
        assert!(ActionId::parse("0a").is_ok());
        assert!(ActionId::parse("").is_err());
        assert!(ActionId::parse("-a").is_err());
        assert!(ActionId::parse("Aa").is_err());
        assert!(ActionId::parse("a.b").is_err());
        assert!(ActionId::parse(&"a".repeat(64)).is_ok());
        assert!(ActionId::parse(&"a".repeat(65)).is_err());
    }

    #[test]
    fn money_stays_within_its_range() {
        assert_eq!(Money::from_cents(-1), None);
        assert!(Money::from_cents(Money::MAX_CENTS).is_some());
        assert_eq!(Money::from_cents(Money::MAX_CENTS + 1), None);
        let max = Money::from_cents(Money::MAX_CENTS).unwrap();
        let one = Money::from_cents(1).unwrap();
        assert_eq!(max.checked_add(one), None);
        assert_eq!(Money::ZERO.checked_sub(one), None);
        assert_eq!(Money::ZERO.saturating_sub(one), Money::ZERO);
        assert_eq!(Money::checked_sum([one, one, one]), Money::from_cents(3));
    }

    #[test]
    fn siret_checksum_is_checked() {
        // A valid SIRET (Luhn) and the same with one digit changed.
        assert!(Siret::parse("732 829 320 00074").is_ok());
        assert!(Siret::parse("73282932000075").is_err());
        assert!(Siret::parse("7328293200007").is_err());
        assert!(Siret::parse("7328293200007a").is_err());
        // La Poste: sum of digits divisible by 5.
        assert!(Siret::parse("35600000000001").is_ok());
        assert!(Siret::parse("35600000000002").is_err());
    }

    #[test]
    fn texts_are_trimmed_and_bounded() {
        assert_eq!(Name::parse("nom", "  Ville  ").unwrap().as_str(), "Ville");
        assert!(Name::parse("nom", "   ").is_err());
        assert!(Name::parse("nom", &"é".repeat(200)).is_ok());
        assert!(Name::parse("nom", &"é".repeat(201)).is_err());
        assert!(Name::parse("nom", "a\u{0}b").is_err());
    }

    #[test]
    fn texts_that_differ_only_by_case_spaces_or_invisibles_compare_equal() {
        assert_eq!(
            comparison_key("Grande  Borne"),
            comparison_key("grande borne")
        );
        assert_eq!(
            comparison_key("Grande\u{200B}Borne"),
            comparison_key("grandeborne")
        );
        assert_ne!(
            comparison_key("Grande Borne"),
            comparison_key("Grande-Borne")
        );
    }

    #[test]
    fn a_text_of_invisible_characters_only_is_empty() {
        for invisible in [
            "\u{200B}",
            "\u{200B}\u{200C}\u{200D}",
            "\u{2060}",
            "\u{FEFF}",
            " \u{00A0}\u{3000}\u{202F} ",
            "\u{200E}\u{202E}",
            "\u{3164}\u{2800}",
            "\u{E0041}\u{FE0F}",
        ] {
            let error = Title::parse("titre", invisible).unwrap_err();
            assert!(error.problem.contains("vide"), "{invisible:?}: {error}");
        }
        // One visible character is enough, and the invisible ones around it are kept.
        assert!(Title::parse("titre", "\u{200B}a\u{200B}").is_ok());
        assert!(Title::parse("titre", "❤\u{FE0F}").is_ok());
    }

    #[test]
    fn years_are_in_a_sane_range() {
        assert!(Year::parse(2026).is_ok());
        assert!(Year::parse(1999).is_err());
        assert!(Year::parse(2101).is_err());
    }
}
