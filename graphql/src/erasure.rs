//! Erasing a free text of a recorded event (RGPD): the event, its date, its actor's role, its
//! figures and the hash chain stay; the words go.
//!
//! An erasure is, in this order:
//! 1. a `TextErased` event in the programme's stream, decided like every command (a PILOT of
//!    the programme, or an ADMIN), saying which field of which event and why;
//! 2. the text's file rewritten with a tombstone in place of the words (`eventlog::texts`);
//! 3. the read models rebuilt from the log, their snapshot file rewritten, and the answers kept
//!    for earlier moments dropped: every read, time travel, export and print shows « texte
//!    effacé le 5 décembre 2026 : motif » from then on.
//!
//! A crash between 1 and 2 leaves an erasure recorded but not applied: [`apply_recorded`] runs
//! at every start (and after an import) and finishes it.

use std::sync::atomic::Ordering;

use domain::events::{DomainEvent, ProgrammeEvent};
use domain::streams::StreamRef;
use domain::values::ProgrammeId;
use eventlog::texts::{StoredText, Tombstone};
use eventlog::{Envelope, EventLog};
use projections::model::EventKind;
use projections::recorded::RecordedEvent;
use projections::registry;

use crate::error::ApiError;
use crate::state::AppState;

/// The erasable text `field` of the event at `position` of `programme`: its slot, or a
/// French error (NOT_FOUND for an event that is not the programme's, VALIDATION otherwise).
pub fn locate(
    log: &EventLog,
    programme: &ProgrammeId,
    position: u64,
    field: &str,
) -> Result<(Envelope, u32), ApiError> {
    let not_found = || {
        ApiError::not_found(format!(
            "Aucun événement de la cité éducative « {programme} » n'est enregistré à la position {position}."
        ))
    };
    let envelope = log
        .get(position)
        .map_err(ApiError::internal)?
        .ok_or_else(not_found)?;
    let stream = StreamRef::parse(&envelope.stream_id).ok_or_else(not_found)?;
    if stream.programme() != programme {
        return Err(not_found());
    }
    if envelope.actor_role.is_none() {
        return Err(ApiError::validation(format!(
            "L'événement de la position {position} a été enregistré avant que les textes deviennent effaçables : ses textes font partie des octets chaînés du registre et ne peuvent pas être effacés (voir le README)."
        )));
    }
    let recorded = RecordedEvent::from_envelope(&envelope).map_err(ApiError::internal)?;
    let fields = registry::erasable_fields(&recorded.event);
    let slot = fields.iter().position(|f| f == field).ok_or_else(|| {
        ApiError::validation(if fields.is_empty() {
            format!("L'événement de la position {position} n'a aucun texte libre à effacer.")
        } else {
            format!(
                "L'événement de la position {position} n'a pas de texte « {field} » ; ses textes libres sont : {}.",
                fields
                    .iter()
                    .map(|f| format!("« {f} »"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
    })?;
    if slot >= envelope.text_commitments.len() {
        // A format-2 event written without erasable texts (by a tool, not the command service).
        return Err(ApiError::validation(format!(
            "Le texte « {field} » de l'événement de la position {position} est dans ses octets chaînés : il ne peut pas être effacé."
        )));
    }
    Ok((envelope, slot as u32))
}

/// The programmes where `actor` (an actor id of envelope format 2) recorded events or holds a
/// role. Reads the whole log: an erasure is rare.
pub fn programmes_of_actor(
    state: &AppState,
    actor: &str,
) -> Result<std::collections::BTreeSet<ProgrammeId>, ApiError> {
    let mut found = std::collections::BTreeSet::new();
    for envelope in state.log.read_all(1) {
        let envelope = envelope.map_err(ApiError::internal)?;
        if envelope.actor_role.is_some()
            && envelope.actor == actor
            && let Some(stream) = StreamRef::parse(&envelope.stream_id)
        {
            found.insert(stream.programme().clone());
        }
    }
    if let Some(person) = actor.strip_prefix("person:")
        && let Some(person) = state.people.get(person).map_err(ApiError::internal)?
    {
        found.extend(person.roles.into_iter().filter_map(|r| r.programme));
    }
    Ok(found)
}

/// The places of the texts of the event at `position` that can still be erased (format 2,
/// committed, not erased yet).
pub fn erasable_fields_at(log: &EventLog, position: u64) -> Result<Vec<String>, ApiError> {
    let Some(envelope) = log.get(position).map_err(ApiError::internal)? else {
        return Ok(Vec::new());
    };
    if envelope.actor_role.is_none() {
        return Ok(Vec::new());
    }
    let recorded = RecordedEvent::from_envelope(&envelope).map_err(ApiError::internal)?;
    Ok(registry::erasable_fields(&recorded.event)
        .into_iter()
        .enumerate()
        .filter(|(slot, _)| matches!(envelope.texts.get(*slot), Some(StoredText::Kept { .. })))
        .map(|(_, field)| field)
        .collect())
}

/// Whether text `slot` of `envelope` is erased already.
pub fn is_erased(envelope: &Envelope, slot: u32) -> bool {
    matches!(
        envelope.texts.get(slot as usize),
        Some(StoredText::Erased(_))
    )
}

/// Answers kept from before an agent's name was erased are never served again (the read
/// models hold actor ids, not names).
pub fn names_changed(state: &AppState) {
    state.erasures.fetch_add(1, Ordering::AcqRel);
}

/// Step 2 and 3: rewrites the text's file, rebuilds the read models, drops kept answers.
/// Blocking. Returns how many texts were erased now (0 when it was already).
pub fn apply(
    state: &AppState,
    position: u64,
    slot: u32,
    tombstone: Tombstone,
) -> Result<u64, ApiError> {
    let erased = state
        .log
        .erase_text(position, slot, tombstone)
        .map_err(ApiError::internal)?;
    refresh(state)?;
    Ok(u64::from(erased))
}

/// The read models rebuilt from the log (their memory and snapshot held the words), and the
/// answers kept for earlier moments dropped.
fn refresh(state: &AppState) -> Result<(), ApiError> {
    if let Some(projector) = &state.projector {
        let model = projections::runner::rebuild(&state.log).map_err(ApiError::internal)?;
        projector.replace(model).map_err(ApiError::internal)?;
    }
    state.erasures.fetch_add(1, Ordering::AcqRel);
    Ok(())
}

/// Applies every recorded erasure whose text is still there (a crash between the event and
/// the rewrite, or an import of an export made before the erasure with the erasure after it).
/// Returns how many texts it erased.
pub fn apply_recorded(state: &AppState) -> Result<u64, ApiError> {
    let Some(projector) = &state.projector else {
        return Ok(0);
    };
    let erasures: Vec<u64> = projector.read(|model| {
        model
            .programmes()
            .flat_map(|view| view.events().iter())
            .filter(|e| matches!(e.kind, EventKind::TextErased | EventKind::ActorNameErased))
            .map(|e| e.position)
            .collect()
    });
    let mut erased = 0;
    for by in erasures {
        let Some(envelope) = state.log.get(by).map_err(ApiError::internal)? else {
            continue;
        };
        let recorded = RecordedEvent::from_envelope(&envelope).map_err(ApiError::internal)?;
        let e = match &recorded.event {
            DomainEvent::Programme(ProgrammeEvent::TextErased(e)) => e,
            DomainEvent::Programme(ProgrammeEvent::ActorNameErased(e)) => {
                if !state.actors.is_erased(e.actor.as_str()) {
                    state
                        .actors
                        .erase(e.actor.as_str())
                        .map_err(ApiError::internal)?;
                    erased += 1;
                }
                continue;
            }
            _ => continue,
        };
        let programme = recorded.stream.programme().clone();
        let Ok((target, slot)) = locate(&state.log, &programme, e.position, e.field.as_str())
        else {
            tracing::warn!(by, position = e.position, field = %e.field, "a recorded erasure names no erasable text");
            continue;
        };
        if is_erased(&target, slot) {
            continue;
        }
        let tombstone = Tombstone {
            by,
            on: envelope.effective_on,
            reason: e.reason.as_str().to_owned(),
        };
        if state
            .log
            .erase_text(e.position, slot, tombstone)
            .map_err(ApiError::internal)?
        {
            erased += 1;
        }
    }
    if erased > 0 {
        tracing::info!(erased, "recorded erasures applied");
        refresh(state)?;
    }
    Ok(erased)
}
