//! A programme built from events chosen by hand, folded the way the runner folds them, and the
//! same events as an in-memory [`EventSource`].

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use domain::actor::Actor;
use domain::events::*;
use domain::streams::StreamRef;
use domain::values::*;
use projections::model::ProgrammeView;
use projections::recorded::RecordedEvent;

pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}
pub fn name(s: &str) -> Name {
    Name::parse("nom", s).unwrap()
}
pub fn title(s: &str) -> Title {
    Title::parse("titre", s).unwrap()
}
pub fn note(s: &str) -> Note {
    Note::parse("note", s).unwrap()
}
pub fn narrative(s: &str) -> Narrative {
    Narrative::parse("texte", s).unwrap()
}
pub fn money(cents: i64) -> Money {
    Money::from_cents(cents).unwrap()
}
pub fn euros(e: i64) -> Money {
    money(e * 100)
}
pub fn funder(s: &str) -> FunderId {
    FunderId::parse(s).unwrap()
}
pub fn line(f: &str, euros_: i64) -> MoneyLine {
    MoneyLine::new(funder(f), euros(euros_))
}
pub fn sid(s: &str) -> SessionId {
    SessionId::parse(s).unwrap()
}
pub fn aid(s: &str) -> ActionId {
    ActionId::parse(s).unwrap()
}
pub fn pid(s: &str) -> PartnerId {
    PartnerId::parse(s).unwrap()
}
pub fn axis(s: &str) -> AxisCode {
    AxisCode::parse(s).unwrap()
}
pub fn year(y: i32) -> Year {
    Year::parse(y).unwrap()
}
pub fn programme_id() -> ProgrammeId {
    ProgrammeId::parse("grigny").unwrap()
}

pub fn pilot() -> Actor {
    Actor::of(Role::Pilot, programme_id())
}
pub fn observer() -> Actor {
    Actor::of(Role::Observer, programme_id())
}
pub fn porteur(partner: &str) -> Actor {
    Actor::porteur(programme_id(), pid(partner))
}

pub const ETAT: &str = "etat";
pub const VILLE: &str = "ville";
pub const CAF: &str = "caf";

/// Events in log order and the view folded from them.
pub struct Fixture {
    pub events: Vec<RecordedEvent>,
    pub view: ProgrammeView,
    clock: DateTime<Utc>,
}

impl Fixture {
    pub fn empty() -> Fixture {
        Fixture {
            events: Vec::new(),
            view: ProgrammeView::new(programme_id()),
            clock: Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap(),
        }
    }

    /// Programme « grigny » with axes A1 and A2, funders État, Ville and CAF, an État envelope
    /// of 100 000 € for 2026, partners « asso » and « college », a COTECH on 2 February 2026 and
    /// a COPIL on 14 March 2026 (both scheduled, not yet held).
    pub fn base() -> Fixture {
        let mut f = Fixture::empty();
        f.programme(
            "2026-01-05",
            ProgrammeEstablished {
                programme: programme_id(),
                name: name("Cité éducative de Grigny"),
                territory: vec![name("Grigny")],
                qpv: vec![name("Grande Borne")],
                labelled_on: Some(date("2019-09-05")),
                request_cap_permille: 800,
            },
        );
        for (code, t, o) in [
            ("A1", "Réussite éducative", NationalObjective::SchoolRole),
            (
                "A2",
                "Parentalité",
                NationalObjective::EducationalContinuity,
            ),
        ] {
            f.programme(
                "2026-01-05",
                AxisDefined {
                    code: axis(code),
                    title: title(t),
                    objective: o,
                },
            );
        }
        for (id, n, k) in [
            (ETAT, "État – crédits Cité éducative", FunderKind::State),
            (VILLE, "Ville", FunderKind::Municipality),
            (CAF, "CAF de l'Essonne", FunderKind::Caf),
        ] {
            f.programme(
                "2026-01-05",
                FunderRegistered {
                    funder: funder(id),
                    name: name(n),
                    kind: k,
                    payer: Payer::of_kind(k),
                },
            );
        }
        f.envelope(ETAT, 2026, 100_000, "2026-01-10");
        f.partner("asso", "Association Réussite", "2026-01-06");
        f.partner("college", "Collège Jean Moulin", "2026-01-06");
        f.schedule("cotech-1", BodyKind::Cotech, "2026-02-02", "2026-01-07");
        f.schedule("copil-1", BodyKind::Copil, "2026-03-14", "2026-01-07");
        f
    }

    /// Appends one event at the next position, recorded one minute after the previous one.
    pub fn push(&mut self, stream: StreamRef, on: &str, event: DomainEvent) -> u64 {
        let position = self.events.len() as u64 + 1;
        self.clock += Duration::minutes(1);
        let recorded = RecordedEvent {
            position,
            event_id: uuid::Uuid::now_v7(),
            stream,
            stream_version: 0,
            recorded_at: self.clock,
            effective_on: date(on),
            actor: projections::recorded::Recorder::Agent {
                id: "person:claire".to_owned(),
                role: "PILOT".to_owned(),
            },
            command_id: None,
            event,
        };
        self.view.apply(&recorded);
        self.events.push(recorded);
        position
    }

    pub fn programme(&mut self, on: &str, e: impl Into<ProgrammeEvent>) -> u64 {
        self.push(
            StreamRef::Programme(programme_id()),
            on,
            DomainEvent::Programme(e.into()),
        )
    }

    pub fn action(&mut self, id: &str, on: &str, e: impl Into<ActionEvent>) -> u64 {
        self.push(
            StreamRef::Action(programme_id(), aid(id)),
            on,
            DomainEvent::Action(e.into()),
        )
    }

    pub fn session_event(&mut self, id: &str, on: &str, e: impl Into<SessionEvent>) -> u64 {
        self.push(
            StreamRef::Session(programme_id(), sid(id)),
            on,
            DomainEvent::Session(e.into()),
        )
    }

    pub fn partner(&mut self, id: &str, n: &str, on: &str) -> u64 {
        self.push(
            StreamRef::Partner(programme_id(), pid(id)),
            on,
            DomainEvent::Partner(
                PartnerRegistered {
                    partner: pid(id),
                    name: name(n),
                    kind: PartnerKind::Association,
                    siret: None,
                    legal_form: LegalForm::Association,
                    rna: None,
                }
                .into(),
            ),
        )
    }

    pub fn envelope(&mut self, f: &str, y: i32, amount_euros: i64, on: &str) -> u64 {
        self.programme(
            on,
            EnvelopeNotified {
                funder: funder(f),
                year: year(y),
                amount: euros(amount_euros),
                reference: None,
            },
        )
    }

    pub fn schedule(&mut self, id: &str, body: BodyKind, on_date: &str, recorded_on: &str) -> u64 {
        self.session_event(
            id,
            recorded_on,
            SessionScheduled {
                session: sid(id),
                body,
                date: date(on_date),
                title: title(&format!("{} {on_date}", body.label())),
            },
        )
    }

    pub fn hold(&mut self, id: &str, on: &str, present: &[&str]) -> u64 {
        self.session_event(
            id,
            on,
            SessionHeld {
                present: present.iter().map(|p| name(p)).collect(),
            },
        )
    }

    /// Proposes an action of `y` held by `holder` on axis A1 (secondary A2 when `secondary`).
    pub fn propose(
        &mut self,
        id: &str,
        reference: &str,
        t: &str,
        holder: &str,
        y: i32,
        requested: &[(&str, i64)],
    ) -> u64 {
        let total: i64 = requested.iter().map(|(_, e)| e).sum();
        self.action(
            id,
            &format!("{y}-01-15"),
            ActionProposed {
                action: aid(id),
                reference: title(reference),
                title: title(t),
                summary: narrative("Une action du plan."),
                holder: pid(holder),
                axis: axis("A1"),
                secondary_axes: vec![],
                publics: vec![PublicKind::Children],
                qpv: vec![],
                period_start: date(&format!("{y}-09-01")),
                period_end: date(&format!("{}-06-30", y + 1)),
                year: year(y),
                total_cost: euros(total * 2),
                requested: requested.iter().map(|(f, e)| line(f, *e)).collect(),
                indicators: vec![IndicatorDef {
                    code: IndicatorCode::parse("eleves").unwrap(),
                    label: title("Élèves accompagnés"),
                    target: Some(100.0),
                }],
                external_refs: vec![],
                renews: None,
            },
        )
    }

    pub fn opinion(
        &mut self,
        id: &str,
        session: &str,
        on: &str,
        o: Opinion,
        proposed: &[(&str, i64)],
    ) -> u64 {
        self.action(
            id,
            on,
            OpinionGiven {
                session: sid(session),
                opinion: o,
                proposed: proposed.iter().map(|(f, e)| line(f, *e)).collect(),
                comment: Some(note("Projet solide")),
            },
        )
    }

    pub fn decide(
        &mut self,
        id: &str,
        session: &str,
        on: &str,
        number: u32,
        outcome: DecisionOutcome,
        retained: &[(&str, i64)],
    ) -> u64 {
        self.action(
            id,
            on,
            CopilDecisionTaken {
                session: sid(session),
                decision_no: number,
                outcome,
                retained: retained.iter().map(|(f, e)| line(f, *e)).collect(),
                reason: None,
            },
        )
    }

    pub fn grant(&mut self, id: &str, f: &str, y: i32, amount_euros: i64, on: &str) -> u64 {
        self.action(
            id,
            on,
            GrantAwarded {
                grant: GrantId::parse(&format!("g-{id}-{f}")).unwrap(),
                funder: funder(f),
                year: year(y),
                amount: euros(amount_euros),
                act: Act {
                    kind: ActKind::Arrete,
                    reference: title("Arrêté 2026-77"),
                    signed_on: date(on),
                },
            },
        )
    }

    pub fn pay(&mut self, id: &str, payment: &str, f: &str, amount_euros: i64, on: &str) -> u64 {
        self.action(
            id,
            on,
            PaymentRecorded {
                payment: PaymentId::parse(payment).unwrap(),
                funder: funder(f),
                amount: euros(amount_euros),
                kind: PaymentKind::Advance,
            },
        )
    }

    /// Proposed, favourable opinion, retained at copil-1 with `retained`.
    pub fn retained_action(
        &mut self,
        id: &str,
        reference: &str,
        holder: &str,
        y: i32,
        retained: &[(&str, i64)],
    ) {
        self.propose(
            id,
            reference,
            &format!("Action {reference}"),
            holder,
            y,
            retained,
        );
        self.decide(
            id,
            "copil-1",
            "2026-03-14",
            1,
            DecisionOutcome::Retained,
            retained,
        );
    }

    /// A fresh fold of the events `keep` selects, in log order: what time travel builds.
    pub fn fold_where(&self, keep: impl Fn(&RecordedEvent) -> bool) -> ProgrammeView {
        let mut view = ProgrammeView::new(programme_id());
        for e in self.events.iter().filter(|e| keep(e)) {
            view.apply(e);
        }
        view
    }
}
