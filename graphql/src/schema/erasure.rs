//! `eraseText` and `eraseActorName` (api-next, « erasure »): a PILOT of the programme, or an
//! ADMIN, erases a free text of a recorded event, or an agent's name; see [`crate::erasure`].

use super::domain_mutations::{CommandOptions, command, context, meta, programme_id, text};
use crate::error::ApiError;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use domain::permissions::{CommandKind, authorize};
use domain::programme::{ProgrammeCommand, ProgrammeDecider};
use domain::values::{Name, Role};
use eventlog::texts::{StoredText, Tombstone};

#[derive(SimpleObject)]
pub struct ErasurePayload {
    /// La position de l'événement d'effacement.
    position: i64,
    /// Combien de textes enregistrés ont été effacés (0 quand il l'était déjà).
    erased: i64,
}

#[derive(Default)]
pub struct ErasureMutation;

/// What both erasures start with: who asks, checked before anything about the register is
/// said, and the reason as a text.
struct Begun<'a> {
    meta: crate::commands::CommandMeta,
    viewer: &'a crate::auth::Viewer,
    issuer: crate::commands::Issuer,
    state: &'a crate::state::AppState,
    service: crate::commands::CommandService,
    programme: domain::values::ProgrammeId,
    reason: domain::values::Note,
}

fn begin<'a>(
    ctx: &Context<'a>,
    programme_id: &ID,
    options: &Option<CommandOptions>,
    kind: CommandKind,
    reason: &str,
) -> Result<Begun<'a>, ApiError> {
    let meta = meta(ctx, options)?;
    let (viewer, issuer, state, service) = context(ctx)?;
    let programme = self::programme_id(programme_id)?;
    authorize(&viewer.actor, kind, &programme, None).map_err(ApiError::from)?;
    Ok(Begun {
        meta,
        viewer,
        issuer,
        state,
        service,
        programme,
        reason: text::<5_000>("motif de l'effacement", reason)?,
    })
}

#[Object]
impl ErasureMutation {
    /// Efface un texte libre (titre, résumé, motif, bilan, commentaire, constats, note,
    /// complément…) de l'événement à `position` : l'événement, ses montants et la chaîne
    /// restent, les mots disparaissent de toute lecture, de tout export et de tout retour dans
    /// le temps. `field` est la place du texte dans les données de l'événement (`summary`,
    /// `items[1]`, comme dans `events { data }`). Pilote du programme, ou administrateur.
    async fn erase_text(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        position: i64,
        field: String,
        reason: String,
        options: Option<CommandOptions>,
    ) -> Result<ErasurePayload> {
        let Begun {
            meta,
            issuer,
            state,
            service,
            programme,
            reason,
            ..
        } = begin(
            ctx,
            &programme_id,
            &options,
            CommandKind::EraseText,
            &reason,
        )?;
        let position = u64::try_from(position)
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| {
                ApiError::validation(format!(
                    "La position {position} n'est pas celle d'un événement : les positions commencent à 1."
                ))
            })?;
        let field_name = Name::parse("champ", &field).map_err(ApiError::from)?;
        let found = {
            let (log, programme, field) = (state.log.clone(), programme.clone(), field.clone());
            tokio::task::spawn_blocking(move || {
                crate::erasure::locate(&log, &programme, position, &field)
            })
            .await
            .map_err(ApiError::internal)??
        };
        let (envelope, slot) = found;
        if let Some(StoredText::Erased(tombstone)) = envelope.texts.get(slot as usize) {
            return Ok(ErasurePayload {
                position: i64::try_from(tombstone.by).unwrap_or(i64::MAX),
                erased: 0,
            });
        }
        let cmd = ProgrammeCommand::EraseText {
            position,
            field: field_name,
            reason: reason.clone(),
        };
        let outcome = service
            .run::<ProgrammeDecider>(&issuer, &programme, &(), command(cmd, &options), &meta)
            .await
            .map_err(ApiError::from)?;
        let by = outcome.position;
        let state = state.clone();
        let erased = tokio::task::spawn_blocking(move || {
            let on = state
                .log
                .get(by)
                .map_err(ApiError::internal)?
                .map(|e| e.effective_on)
                .ok_or_else(|| {
                    ApiError::internal(std::io::Error::other("the erasure event is not in the log"))
                })?;
            let tombstone = Tombstone {
                by,
                on,
                reason: reason.as_str().to_owned(),
            };
            crate::erasure::apply(&state, position, slot, tombstone)
        })
        .await
        .map_err(ApiError::internal)??;
        tracing::info!(position, field = %field, by, "text erased");
        Ok(ErasurePayload {
            position: i64::try_from(by).unwrap_or(i64::MAX),
            erased: i64::try_from(erased).unwrap_or(i64::MAX),
        })
    }

    /// Efface le nom d'un agent partout où il apparaît comme auteur : les historiques disent
    /// « agent effacé (rôle) », le rôle reste. Sa personne (nom, adresse) ou son jeton (nom)
    /// sont effacés et révoqués. Pilote du programme pour un agent connu de ce seul programme ;
    /// administrateur sinon. `actorId` est celui que donnent `events { actorId }` et les
    /// historiques (`actorId`).
    async fn erase_actor_name(
        &self,
        ctx: &Context<'_>,
        programme_id: ID,
        actor_id: ID,
        reason: String,
        options: Option<CommandOptions>,
    ) -> Result<ErasurePayload> {
        let Begun {
            meta,
            viewer,
            issuer,
            state,
            service,
            programme,
            reason,
        } = begin(
            ctx,
            &programme_id,
            &options,
            CommandKind::EraseActorName,
            &reason,
        )?;
        let actor = Name::parse("agent", &actor_id).map_err(ApiError::from)?;
        let known = {
            let (state, actor) = (state.clone(), actor_id.0.clone());
            tokio::task::spawn_blocking(move || crate::erasure::programmes_of_actor(&state, &actor))
                .await
                .map_err(ApiError::internal)??
        };
        if !known.contains(&programme) {
            return Err(ApiError::not_found(format!(
                "Aucun agent « {} » n'a agi ni n'a de rôle dans la cité éducative « {programme} ».",
                actor_id.0
            ))
            .into());
        }
        if known.len() > 1 && viewer.role() != Role::Admin {
            return Err(ApiError::forbidden(format!(
                "Cet agent est connu de {} cités éducatives : seul l'administrateur efface son nom.",
                known.len()
            ))
            .into());
        }
        if state.actors.is_erased(&actor_id.0) {
            return Ok(ErasurePayload {
                position: i64::try_from(state.log.head().position).unwrap_or(i64::MAX),
                erased: 0,
            });
        }
        let cmd = ProgrammeCommand::EraseActorName {
            actor,
            reason: reason.clone(),
        };
        let outcome = service
            .run::<ProgrammeDecider>(&issuer, &programme, &(), command(cmd, &options), &meta)
            .await
            .map_err(ApiError::from)?;
        let erased = {
            let (state, actor) = (state.clone(), actor_id.0.clone());
            tokio::task::spawn_blocking(move || -> Result<bool, ApiError> {
                let erased = state.actors.erase(&actor).map_err(ApiError::internal)?;
                if let Some(person) = actor.strip_prefix("person:") {
                    state.sessions.end_person(person);
                }
                crate::erasure::names_changed(&state);
                Ok(erased)
            })
            .await
            .map_err(ApiError::internal)??
        };
        tracing::info!(actor = %actor_id.0, by = outcome.position, "actor name erased");
        Ok(ErasurePayload {
            position: i64::try_from(outcome.position).unwrap_or(i64::MAX),
            erased: i64::from(erased),
        })
    }
}
