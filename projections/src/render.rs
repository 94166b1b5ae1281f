//! French sentences: one past-tense sentence per event type, for histories and timelines.
//!
//! Sentences are never stored: a query reads its few events back from the log and words them
//! here, with the current [`ProgrammeView`] as lookup (funder names, session dates, an action's
//! reference and title, the amount of a cancelled payment). Money and dates go through
//! `domain::fr`, so a figure reads the same everywhere (« 12 000,00 € », « 14 mars 2026 »).

use crate::model::ProgrammeView;
use crate::recorded::RecordedEvent;
use chrono::NaiveDate;
use domain::events::*;
use domain::fr;
use domain::values::{
    ActKind, ActionId, BodyKind, FunderId, Money, MoneyLine, PartnerId, ReportKind, SessionId,
};

/// What a sentence says in place of a beneficiary total withheld from the reader.
pub const HIDDEN_TOTAL: &str = "total des bénéficiaires non communiqué (effectif < 10)";

/// What the reader may not see in a sentence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Redaction {
    /// Leave out requested amounts (proposals and amendments).
    pub hide_requested: bool,
    /// Withhold the beneficiary total of a report with a cell below the threshold.
    pub hide_small_counts: bool,
    /// Withhold free texts that may name people: reasons, comments, complement items and
    /// notes (DOMAIN.md, « Reading »: they read « — »).
    pub hide_texts: bool,
}

impl Redaction {
    pub const NONE: Redaction = Redaction {
        hide_requested: false,
        hide_small_counts: false,
        hide_texts: false,
    };
    pub const OBSERVER: Redaction = Redaction {
        hide_requested: true,
        hide_small_counts: true,
        hide_texts: true,
    };

    /// `text` as this reader may see it: « — » when free texts are withheld.
    pub fn text(self, text: &str) -> &str {
        if self.hide_texts { WITHHELD } else { text }
    }
}

/// What a withheld free text reads (DOMAIN.md, « Reading »).
pub const WITHHELD: &str = "—";

/// The sentence of a history: the event on its own.
pub fn sentence(view: &ProgrammeView, event: &RecordedEvent, redaction: Redaction) -> String {
    match &event.event {
        DomainEvent::Programme(e) => programme_sentence(view, e),
        DomainEvent::Partner(e) => partner_sentence(view, event, e),
        DomainEvent::Session(e) => session_sentence(view, event, e),
        DomainEvent::Action(e) => capitalize(&action_clause(view, event, e, redaction)),
    }
}

/// The sentence of a timeline: an action's event is prefixed with the action's reference and
/// title, « Action 2026-003 « Soutien scolaire » : versement de 4 000,00 € (avance) par … ».
pub fn timeline_sentence(
    view: &ProgrammeView,
    event: &RecordedEvent,
    redaction: Redaction,
) -> String {
    match &event.event {
        DomainEvent::Action(e) => {
            let clause = action_clause(view, event, e, redaction);
            match action_id(event) {
                Some(id) => format!("{} : {clause}", action_label(view, id)),
                None => capitalize(&clause),
            }
        }
        _ => sentence(view, event, redaction),
    }
}

/// « Action 2026-003 « Soutien scolaire » », or « Action {id} » when it is unknown.
pub fn action_label(view: &ProgrammeView, id: &ActionId) -> String {
    match view.action(id) {
        Some(a) => format!("Action {} « {} »", a.reference(), a.title()),
        None => format!("Action {id}"),
    }
}

fn action_id(event: &RecordedEvent) -> Option<&ActionId> {
    match &event.stream {
        domain::streams::StreamRef::Action(_, id) => Some(id),
        _ => None,
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The funder's name, or its id when it was never registered.
pub fn funder_name(view: &ProgrammeView, id: &FunderId) -> String {
    view.programme
        .programme
        .as_ref()
        .and_then(|p| p.funder(id))
        .map_or_else(|| id.to_string(), |f| f.name.to_string())
}

fn partner_name(view: &ProgrammeView, id: &PartnerId) -> String {
    view.partner(id)
        .map_or_else(|| id.to_string(), |p| p.name.to_string())
}

fn body_label(body: BodyKind) -> &'static str {
    body.label()
}

/// « du COPIL du 14 mars 2026 », « de la séance s1 » when the session is unknown.
fn of_session(view: &ProgrammeView, id: &SessionId) -> String {
    match view.session(id) {
        Some(s) => {
            let body = match s.body {
                BodyKind::Copil => "du COPIL",
                BodyKind::Cotech => "du COTECH",
                BodyKind::SelectionCommittee => "du comité de sélection",
                BodyKind::Other => "de l'instance",
            };
            format!("{body} du {}", fr::date(s.date))
        }
        None => format!("de la séance {id}"),
    }
}

/// « 12 000,00 € (État) » or « 12 000,00 € (État) et 3 000,00 € (Ville) ».
fn amounts(view: &ProgrammeView, lines: &[MoneyLine]) -> String {
    let parts: Vec<String> = lines
        .iter()
        .map(|l| format!("{} ({})", fr::money(l.amount), funder_name(view, &l.funder)))
        .collect();
    join_and(&parts)
}

fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} et {last}", init.join(", ")),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn programme_sentence(view: &ProgrammeView, e: &ProgrammeEvent) -> String {
    match e {
        ProgrammeEvent::ProgrammeEstablished(x) => {
            let mut s = format!("Cité éducative « {} » créée", x.name);
            if let Some(on) = x.labelled_on {
                s.push_str(&format!(" (labellisée le {})", fr::date(on)));
            }
            s
        }
        ProgrammeEvent::AxisDefined(x) => format!(
            "Axe {} « {} » défini (objectif national : {})",
            x.code,
            x.title,
            x.objective.label()
        ),
        ProgrammeEvent::AxisRetired(x) => {
            let title = view
                .programme
                .programme
                .as_ref()
                .and_then(|p| p.axis(&x.code))
                .map(|a| format!(" « {} »", a.title))
                .unwrap_or_default();
            format!("Axe {}{title} retiré", x.code)
        }
        ProgrammeEvent::FunderRegistered(x) => {
            format!("Financeur « {} » enregistré ({})", x.name, x.kind.label())
        }
        ProgrammeEvent::EnvelopeNotified(x) => {
            let mut s = format!(
                "Enveloppe {} ({}) notifiée : {}",
                x.year,
                funder_name(view, &x.funder),
                fr::money(x.amount)
            );
            if let Some(r) = &x.reference {
                s.push_str(&format!(" (réf. {r})"));
            }
            s
        }
        ProgrammeEvent::EnvelopeRevised(x) => format!(
            "Enveloppe {} ({}) révisée à {} : {}",
            x.year,
            funder_name(view, &x.funder),
            fr::money(x.amount),
            x.reason
        ),
        ProgrammeEvent::ReviewSectionWritten(x) => format!(
            "Revue de projet {} : section « {} » rédigée",
            x.year,
            x.section.label()
        ),
        ProgrammeEvent::AnnualReviewValidated(x) => match view.session(&x.session) {
            Some(s) => format!(
                "Revue de projet {} validée par le {} du {}",
                x.year,
                body_label(s.body),
                fr::date(s.date)
            ),
            None => format!(
                "Revue de projet {} validée en séance « {} »",
                x.year, x.session
            ),
        },
        ProgrammeEvent::ActorNameErased(x) => {
            format!("Nom d'un agent effacé ({}), motif : {}", x.actor, x.reason)
        }
        ProgrammeEvent::TextErased(x) => format!(
            "Texte effacé : « {} » de l'événement n° {}, motif : {}",
            x.field, x.position, x.reason
        ),
        ProgrammeEvent::TerritoryChanged(x) => {
            let communes: Vec<&str> = x.communes.iter().map(|c| c.as_str()).collect();
            format!(
                "Territoire modifié : {} ({}), {}, {} : {}",
                plural(communes.len(), "commune", "communes"),
                communes.join(", "),
                plural(x.qpv.len(), "QPV", "QPV"),
                plural(x.schools.len(), "école", "écoles"),
                x.reason
            )
        }
        ProgrammeEvent::BodyMembershipChanged(x) => {
            let names: Vec<String> = x.organisations.iter().map(|n| n.to_string()).collect();
            let body = match x.body {
                BodyKind::Copil => "du COPIL".to_owned(),
                BodyKind::Cotech => "du COTECH".to_owned(),
                BodyKind::SelectionCommittee => "du comité de sélection".to_owned(),
                BodyKind::Other => "de l'autre instance".to_owned(),
            };
            if names.is_empty() {
                format!("Composition {body} modifiée : aucune organisation")
            } else {
                format!(
                    "Composition {body} modifiée : {} ({})",
                    plural(names.len(), "organisation", "organisations"),
                    names.join(", ")
                )
            }
        }
    }
}

fn partner_sentence(view: &ProgrammeView, event: &RecordedEvent, e: &PartnerEvent) -> String {
    match e {
        PartnerEvent::PartnerRegistered(x) => {
            format!("Partenaire « {} » enregistré ({})", x.name, x.kind.label())
        }
        PartnerEvent::PartnerLeftAlliance(x) => {
            let name = match &event.stream {
                domain::streams::StreamRef::Partner(_, id) => partner_name(view, id),
                _ => String::from("?"),
            };
            format!("Partenaire « {name} » sorti de l'alliance : {}", x.reason)
        }
        PartnerEvent::PartnerLegalFormSet(x) => {
            let name = match &event.stream {
                domain::streams::StreamRef::Partner(_, id) => partner_name(view, id),
                _ => String::from("?"),
            };
            format!(
                "Forme juridique du partenaire « {name} » : {} ({})",
                x.legal_form.label(),
                x.reason
            )
        }
    }
}

fn session_sentence(view: &ProgrammeView, event: &RecordedEvent, e: &SessionEvent) -> String {
    let session = match &event.stream {
        domain::streams::StreamRef::Session(_, id) => view.session(id),
        _ => None,
    };
    let named = |fallback_body: BodyKind, fallback_date: NaiveDate| match session {
        Some(s) => format!("{} du {}", body_label(s.body), fr::date(s.date)),
        None => format!(
            "{} du {}",
            body_label(fallback_body),
            fr::date(fallback_date)
        ),
    };
    match e {
        SessionEvent::SessionScheduled(x) => format!(
            "{} « {} » programmé le {}",
            body_label(x.body),
            x.title,
            fr::date(x.date)
        ),
        SessionEvent::SessionHeld(x) => format!(
            "{} tenu ({} présente{})",
            named(BodyKind::Other, event.effective_on),
            plural(x.present.len(), "organisation", "organisations"),
            if x.present.len() == 1 { "" } else { "s" }
        ),
        SessionEvent::SessionCancelled(x) => format!(
            "{} annulé : {}",
            named(BodyKind::Other, event.effective_on),
            x.reason
        ),
        SessionEvent::AttendanceCorrected(x) => format!(
            "{} : liste des présents corrigée ({} présente{}) : {}",
            named(BodyKind::Other, event.effective_on),
            plural(x.present.len(), "organisation", "organisations"),
            if x.present.len() == 1 { "" } else { "s" },
            x.reason
        ),
    }
}

/// An action's event as a clause starting with a lower-case word, so that it can follow the
/// action's label in a timeline.
fn action_clause(
    view: &ProgrammeView,
    event: &RecordedEvent,
    e: &ActionEvent,
    redaction: Redaction,
) -> String {
    let action = action_id(event).and_then(|id| view.action(id));
    match e {
        ActionEvent::ActionProposed(x) => {
            let mut s = format!(
                "proposition « {} » déposée par {} pour un coût total de {}",
                x.title,
                partner_name(view, &x.holder),
                fr::money(x.total_cost)
            );
            if !redaction.hide_requested && !x.requested.is_empty() {
                s.push_str(&format!(", demande : {}", amounts(view, &x.requested)));
            }
            if let Some(renewed) = &x.renews {
                let reference = view
                    .action(renewed)
                    .map_or_else(|| renewed.to_string(), |a| a.reference().to_owned());
                s.push_str(&format!(", renouvelant l'action {reference}"));
            }
            s
        }
        ActionEvent::ActionAmended(x) => {
            let mut fields: Vec<&str> = Vec::new();
            if x.title.is_some() {
                fields.push("titre");
            }
            if x.summary.is_some() {
                fields.push("résumé");
            }
            if x.axis.is_some() {
                fields.push("axe");
            }
            if x.secondary_axes.is_some() {
                fields.push("axes secondaires");
            }
            if x.publics.is_some() {
                fields.push("publics");
            }
            if x.qpv.is_some() {
                fields.push("QPV");
            }
            if x.period_start.is_some() || x.period_end.is_some() {
                fields.push("période");
            }
            if x.total_cost.is_some() {
                fields.push("coût total");
            }
            if x.requested.is_some() {
                fields.push("montants demandés");
            }
            if x.indicators.is_some() {
                fields.push("indicateurs");
            }
            if fields.is_empty() {
                "fiche modifiée".to_owned()
            } else {
                format!("fiche modifiée : {}", fields.join(", "))
            }
        }
        ActionEvent::ComplementsRequested(x) => {
            let items: Vec<&str> = x.items.iter().map(|i| redaction.text(i.as_str())).collect();
            format!("compléments demandés : {}", items.join(" ; "))
        }
        ActionEvent::ComplementsProvided(x) => {
            format!("compléments fournis : {}", redaction.text(x.note.as_str()))
        }
        ActionEvent::OpinionGiven(x) => {
            let mut s = format!(
                "avis {} {}",
                x.opinion.label(),
                of_session(view, &x.session)
            );
            if !x.proposed.is_empty() {
                s.push_str(&format!(" (proposé : {})", amounts(view, &x.proposed)));
            }
            s
        }
        ActionEvent::CopilDecisionTaken(x) => {
            let mut s = format!(
                "décision {} : {}",
                of_session(view, &x.session),
                outcome_clause(view, x.outcome, &x.retained)
            );
            if let Some(reason) = &x.reason {
                s.push_str(&format!(" ; motif : {}", redaction.text(reason.as_str())));
            }
            s
        }
        ActionEvent::DecisionRevised(x) => format!(
            "décision révisée {} : {} ; motif : {}",
            of_session(view, &x.session),
            outcome_clause(view, x.outcome, &x.retained),
            redaction.text(x.reason.as_str())
        ),
        ActionEvent::ActionWithdrawn(x) => format!(
            "action retirée par son porteur : {}",
            redaction.text(x.reason.as_str())
        ),
        ActionEvent::GrantAwarded(x) => format!(
            "attribution de {} par {} au titre de {} ({} {} {} le {})",
            fr::money(x.amount),
            funder_name(view, &x.funder),
            x.year,
            x.act.kind.label(),
            x.act.reference,
            signed(x.act.kind),
            fr::date(x.act.signed_on)
        ),
        ActionEvent::GrantRefused(x) => format!(
            "financement refusé par {} : {}",
            funder_name(view, &x.funder),
            redaction.text(x.reason.as_str())
        ),
        ActionEvent::PaymentRecorded(x) => format!(
            "versement de {} ({}) par {}",
            fr::money(x.amount),
            x.kind.label(),
            funder_name(view, &x.funder)
        ),
        ActionEvent::PaymentCancelled(x) => {
            match action.and_then(|a| a.payment(x.payment.as_str())) {
                Some(p) => format!(
                    "versement de {} annulé : {}",
                    fr::money(p.amount),
                    redaction.text(x.reason.as_str())
                ),
                None => format!(
                    "versement {} annulé : {}",
                    x.payment,
                    redaction.text(x.reason.as_str())
                ),
            }
        }
        ActionEvent::ActionStarted(_) => {
            format!("action démarrée le {}", fr::date(event.effective_on))
        }
        ActionEvent::PeriodChanged(x) => format!(
            "période modifiée : du {} au {} ; motif : {}",
            fr::date(x.period_start),
            fr::date(x.period_end),
            redaction.text(x.reason.as_str())
        ),
        ActionEvent::ActionCompleted(_) => {
            format!("action achevée le {}", fr::date(event.effective_on))
        }
        ActionEvent::NonRealisationAttested(x) => {
            format!(
                "non-réalisation attestée : {}",
                redaction.text(x.reason.as_str())
            )
        }
        ActionEvent::RepaymentRequested(x) => format!(
            "reversement de {} demandé par {} : {}",
            fr::money(x.amount),
            funder_name(view, &x.funder),
            redaction.text(x.reason.as_str())
        ),
        ActionEvent::RepaymentReceived(x) => format!(
            "reversement de {} reçu par {}",
            fr::money(x.amount),
            funder_name(view, &x.funder)
        ),
        ActionEvent::ReportSubmitted(x) => {
            let kind = match x.kind {
                ReportKind::Interim => "bilan intermédiaire",
                ReportKind::Final => "bilan final",
            };
            let total: u64 = x.beneficiaries.iter().map(|b| u64::from(b.count)).sum();
            let mut s = format!("{kind} déposé : {} dépensés", fr::money(x.spent));
            // DOMAIN.md: the total is withheld whenever any cell is hidden, since the total
            // minus the visible cells would give the hidden one back.
            let hidden = redaction.hide_small_counts
                && x.beneficiaries
                    .iter()
                    .any(|b| b.count < crate::visibility::BENEFICIARY_THRESHOLD);
            if hidden {
                s.push_str(&format!(", {HIDDEN_TOTAL}"));
            } else if !x.beneficiaries.is_empty() {
                s.push_str(&format!(
                    ", {}",
                    if total == 1 {
                        "1 bénéficiaire".to_owned()
                    } else {
                        format!("{total} bénéficiaires")
                    }
                ));
            }
            s
        }
        ActionEvent::IndicatorMeasured(x) => {
            let label = action
                .and_then(|a| {
                    let i = a
                        .indicators()
                        .iter()
                        .find(|i| a.str(i.code) == x.code.as_str())?;
                    Some(a.str(i.label).to_owned())
                })
                .unwrap_or_else(|| x.code.to_string());
            format!("indicateur « {label} » mesuré : {}", number(x.value))
        }
        ActionEvent::ActionEvaluated(x) => format!(
            "action évaluée : objectifs {}, recommandation : {}",
            x.rating.label(),
            x.recommendation.label()
        ),
        ActionEvent::ActionClosed(_) => "action clôturée".to_owned(),
        ActionEvent::GrantAmended(x) => format!(
            "avenant {} : attribution « {} » portée à {} ({})",
            x.reference,
            x.grant,
            fr::money(x.amount),
            redaction.text(x.reason.as_str())
        ),
        ActionEvent::RepaymentRequestCancelled(x) => format!(
            "demande de reversement de {} annulée : {}",
            funder_name(view, &x.funder),
            redaction.text(x.reason.as_str())
        ),
        ActionEvent::ReportCorrected(x) => format!(
            "bilan n° {} corrigé : {} dépensés ({})",
            x.report + 1,
            fr::money(x.spent),
            redaction.text(x.reason.as_str())
        ),
        ActionEvent::ReportDeadlineExtended(x) => format!(
            "échéance du compte rendu financier reportée au {} : {}",
            fr::date(x.due_on),
            redaction.text(x.reason.as_str())
        ),
        ActionEvent::FinalReportReviewed(x) => match &x.comment {
            Some(comment) => format!(
                "compte rendu financier examiné : {} ({})",
                x.verdict.label(),
                redaction.text(comment.as_str())
            ),
            None => format!("compte rendu financier examiné : {}", x.verdict.label()),
        },
    }
}

/// « signé » or « signée », agreeing with the act: un arrêté, une convention.
fn signed(kind: ActKind) -> &'static str {
    match kind {
        ActKind::Convention | ActKind::Deliberation | ActKind::EpleDecision => "signée",
        ActKind::Arrete | ActKind::Other => "signé",
    }
}

fn outcome_clause(
    view: &ProgrammeView,
    outcome: domain::values::DecisionOutcome,
    retained: &[MoneyLine],
) -> String {
    use domain::values::DecisionOutcome::*;
    match outcome {
        Retained => {
            let positive: Vec<MoneyLine> = retained
                .iter()
                .filter(|l| l.amount > Money::ZERO)
                .cloned()
                .collect();
            if positive.is_empty() {
                "action retenue".to_owned()
            } else {
                format!("action retenue pour {}", amounts(view, &positive))
            }
        }
        Deferred => "action ajournée".to_owned(),
        Rejected => "action rejetée".to_owned(),
    }
}

/// A measured value in French: « 42 », « 12,5 ».
pub fn number(value: f64) -> String {
    if value.is_finite() && value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        value.to_string().replace('.', ",")
    }
}
