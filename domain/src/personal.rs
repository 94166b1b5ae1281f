//! Rule 20, `personal_data_suspected`: a free text that looks like it holds an e-mail address, a
//! phone number or a date of birth is accepted with a warning, never refused. The register holds
//! counts, never people (rule 9); the warning tells the person typing before the text is kept
//! forever.
//!
//! What « looks like » means, written so that two readers find the same:
//! - an **e-mail address**: a word with letters or digits, an `@`, then a domain holding a dot
//!   followed by at least two letters (`prenom.nom@exemple.fr`);
//! - a **phone number**: ten digits starting with `0` and a digit from 1 to 9, or `+33` and nine
//!   digits, with or without spaces, dots or dashes between the groups (`06 12 34 56 78`,
//!   `+33 6 12 34 56 78`);
//! - a **date of birth**: « né le », « née le », « né(e) le », « date de naissance » or
//!   « DDN » followed by a date (digits within the next twenty characters).

/// Which kind of personal data a text seems to hold, for the warning's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Suspicion {
    Email,
    Phone,
    BirthDate,
}

impl Suspicion {
    /// « une adresse électronique »…
    pub fn label(self) -> &'static str {
        match self {
            Suspicion::Email => "une adresse électronique",
            Suspicion::Phone => "un numéro de téléphone",
            Suspicion::BirthDate => "une date de naissance",
        }
    }
}

/// What `text` seems to hold, first found in the order e-mail, phone, date of birth.
pub fn suspect(text: &str) -> Option<Suspicion> {
    if has_email(text) {
        Some(Suspicion::Email)
    } else if has_phone(text) {
        Some(Suspicion::Phone)
    } else if has_birth_date(text) {
        Some(Suspicion::BirthDate)
    } else {
        None
    }
}

fn has_email(text: &str) -> bool {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '<' | '>' | '(' | ')'))
        .any(|word| {
            let Some((local, domain)) = word.split_once('@') else {
                return false;
            };
            let domain = domain.trim_end_matches(['.', ':', '!', '?']);
            let local_ok = !local.is_empty()
                && local
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '+'));
            let Some((name, tld)) = domain.rsplit_once('.') else {
                return false;
            };
            local_ok
                && !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-'))
                && tld.chars().count() >= 2
                && tld.chars().all(char::is_alphabetic)
        })
}

fn has_phone(text: &str) -> bool {
    // Runs of digits joined by at most one separator, with a leading `+`.
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let plus = chars[i] == '+';
        if !(plus || chars[i].is_ascii_digit()) {
            i += 1;
            continue;
        }
        // A run must start a word: « 06 12… », not the tail of a longer number.
        if i > 0 && (chars[i - 1].is_alphanumeric()) {
            i += 1;
            continue;
        }
        let mut digits = String::new();
        let mut j = if plus { i + 1 } else { i };
        while j < chars.len() {
            if chars[j].is_ascii_digit() {
                digits.push(chars[j]);
                j += 1;
            } else if matches!(chars[j], ' ' | '.' | '-' | '\u{a0}' | '\u{202f}')
                && chars.get(j + 1).is_some_and(char::is_ascii_digit)
            {
                j += 1;
            } else {
                break;
            }
        }
        let ends_word = chars.get(j).is_none_or(|c| !c.is_alphanumeric());
        let national =
            !plus && digits.len() == 10 && digits.starts_with('0') && digits.as_bytes()[1] != b'0';
        let international = plus && digits.len() == 11 && digits.starts_with("33");
        if ends_word && (national || international) {
            return true;
        }
        i = j.max(i + 1);
    }
    false
}

fn has_birth_date(text: &str) -> bool {
    let lower = text.to_lowercase();
    ["né le", "née le", "né(e) le", "date de naissance", "ddn"]
        .iter()
        .any(|marker| {
            lower.match_indices(marker).any(|(at, m)| {
                // « ddn » only as a word.
                let before_ok = at == 0
                    || !lower[..at]
                        .chars()
                        .next_back()
                        .is_some_and(char::is_alphanumeric);
                let after = &lower[at + m.len()..];
                before_ok && after.chars().take(20).filter(char::is_ascii_digit).count() >= 2
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e_mail_addresses_are_suspected() {
        for text in [
            "Contact : marie.dupont@exemple.fr",
            "écrire à <jean-paul_2@mairie-grigny.gouv.fr>.",
            "m@x.io",
        ] {
            assert_eq!(suspect(text), Some(Suspicion::Email), "{text}");
        }
        for text in [
            "Rendez-vous @ la médiathèque",
            "a@b",
            "@exemple.fr",
            "x@y.12",
        ] {
            assert_eq!(suspect(text), None, "{text}");
        }
    }

    #[test]
    fn phone_numbers_are_suspected() {
        for text in [
            "Joindre la mère au 06 12 34 56 78.",
            "tél. 0612345678",
            "tel: 01.23.45.67.89",
            "+33 6 12 34 56 78",
            "+33612345678",
            "06-12-34-56-78",
        ] {
            assert_eq!(suspect(text), Some(Suspicion::Phone), "{text}");
        }
        for text in [
            "Budget de 1 234 567 €",
            "SIRET 732 829 320 00074",
            "Convention n° 2025-CE-0042",
            "Dossier Dauphin 0012345678",
            "41 élèves sur 26 suivis",
            "2025-2026",
        ] {
            assert_eq!(suspect(text), None, "{text}");
        }
    }

    #[test]
    fn dates_of_birth_are_suspected() {
        for text in [
            "Lucas, né le 12/03/2015",
            "Inès née le 3 mars 2014",
            "date de naissance : 2014-05-01",
            "DDN 01/02/2013",
        ] {
            assert_eq!(suspect(text), Some(Suspicion::BirthDate), "{text}");
        }
        for text in [
            "Le projet est né le printemps dernier d'une idée des parents",
            "Séance du 12/03/2025",
            "addn 12",
        ] {
            assert_eq!(suspect(text), None, "{text}");
        }
    }
}
