//! `/graphql/ws`: subscriptions over graphql-transport-ws (and the older graphql-ws), with the
//! limits async-graphql-axum's own loop does not have:
//!
//! - a client that does not send `connection_init` within [`Config::ws_init_timeout`] is
//!   closed with 4408, as the protocol says;
//! - when the token that opened the socket is revoked, the socket is closed with 4403 at once:
//!   its subscriptions stop and no new one can start;
//! - every document goes through the schema's limits ([`crate::limits`]) like over HTTP.

use crate::auth;
use crate::error::ApiError;
use crate::schema::ChroniqueSchema;
use crate::state::AppState;
use async_graphql::Data;
use async_graphql::http::{ClientMessage, WebSocketProtocols, WsMessage};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::http::HeaderMap;
use futures::{SinkExt, StreamExt};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The sub-protocol the client asked for, as `Sec-WebSocket-Protocol` names it.
pub fn protocol(headers: &HeaderMap) -> Option<WebSocketProtocols> {
    headers
        .get(axum::http::header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .split(',')
                .find_map(|name| WebSocketProtocols::from_str(name.trim()).ok())
        })
}

/// A close frame. Its reason is cut to 123 bytes (at a character's boundary): a control frame
/// carries at most 125, two of which are the code (RFC 6455), and a longer one breaks clients.
fn close(code: u16, reason: &str) -> Message {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    Message::Close(Some(CloseFrame {
        code,
        reason: reason[..end].to_owned().into(),
    }))
}

/// Serves one upgraded socket until the client leaves, the protocol ends it, or one of the
/// limits above closes it.
pub async fn serve(
    state: AppState,
    schema: ChroniqueSchema,
    protocol: WebSocketProtocols,
    socket: WebSocket,
    headers: axum::http::HeaderMap,
) {
    let (mut sink, stream) = socket.split();
    let initialised = Arc::new(AtomicBool::new(false));
    let token_id = Arc::new(parking_lot::Mutex::new(None::<String>));
    // A refused `connection_init` is closed with 4403, as graphql-transport-ws says (the
    // engine says 1002, its code for any protocol error).
    let refused = Arc::new(AtomicBool::new(false));
    let input = stream
        .take_while(|message| futures::future::ready(message.is_ok()))
        .filter_map(|message| {
            futures::future::ready(match message {
                Ok(Message::Text(text)) => Some(text.as_bytes().to_vec()),
                Ok(Message::Binary(bytes)) => Some(bytes.to_vec()),
                _ => None,
            })
        })
        .map(|bytes| serde_json::from_slice::<ClientMessage>(&bytes));
    let on_init = {
        let state = state.clone();
        let initialised = initialised.clone();
        let token_id = token_id.clone();
        let refused = refused.clone();
        move |payload: serde_json::Value| async move {
            initialised.store(true, Ordering::SeqCst);
            let secret = auth::payload_token(&payload);
            // A token in the payload; else the session of the upgrade's cookie, whose page
            // proves itself with the session's header value in the payload (`{"csrf": …}`).
            let viewer = match secret {
                Some(_) => auth::authenticate(&state.tokens, secret.as_deref()),
                None => auth::authenticate_request(&state, &headers).and_then(|a| {
                    let sent = payload.get("csrf").and_then(|c| c.as_str());
                    match &a.csrf {
                        Some(csrf) if sent == Some(csrf.as_str()) => Ok(a.viewer),
                        _ => Err(auth::AuthError::CrossSite),
                    }
                }),
            };
            match viewer {
                Ok(viewer) => {
                    *token_id.lock() = Some(viewer.token_id.clone());
                    let mut data = Data::default();
                    data.insert(viewer);
                    Ok(data)
                }
                Err(error) => {
                    refused.store(true, Ordering::SeqCst);
                    Err(ApiError::from(error).to_graphql())
                }
            }
        }
    };
    let messages = async_graphql::http::WebSocket::from_message_stream(schema, input, protocol)
        .on_connection_init(on_init)
        .map(|message| match message {
            WsMessage::Text(text) => Message::Text(text.into()),
            WsMessage::Close(1002, reason) if refused.load(Ordering::SeqCst) => {
                close(4403, &reason)
            }
            WsMessage::Close(code, reason) => close(code, &reason),
        });
    futures::pin_mut!(messages);
    let mut revocations = state.tokens.revocations();
    let mut people_revoked = state.people.revocations();
    let mut sessions_ended = state.sessions.endings();
    let init_deadline = tokio::time::sleep(state.config.ws_init_timeout);
    tokio::pin!(init_deadline);
    loop {
        tokio::select! {
            message = messages.next() => match message {
                Some(message) => {
                    if sink.send(message).await.is_err() {
                        break;
                    }
                }
                None => break,
            },
            () = &mut init_deadline, if !initialised.load(Ordering::SeqCst) => {
                let _ = sink.send(close(4408, "Connection initialisation timeout")).await;
                break;
            }
            changed = revocations.changed() => {
                if changed.is_err() {
                    break;
                }
                if !still_allowed(&state, token_id.lock().clone()) {
                    let _ = sink.send(close(4403, "Forbidden")).await;
                    break;
                }
            }
            changed = people_revoked.changed() => {
                if changed.is_err() {
                    break;
                }
                if !still_allowed(&state, token_id.lock().clone()) {
                    let _ = sink.send(close(4403, "Forbidden")).await;
                    break;
                }
            }
            changed = sessions_ended.changed() => {
                if changed.is_err() {
                    break;
                }
                if !still_allowed(&state, token_id.lock().clone()) {
                    let _ = sink.send(close(4403, "Forbidden")).await;
                    break;
                }
            }
        }
    }
    let _ = sink.close().await;
}

/// Whether the token or session a socket was opened with still gives access: a token not
/// revoked; a session alive whose person is not revoked.
fn still_allowed(state: &AppState, id: Option<String>) -> bool {
    let Some(id) = id else { return true };
    match id.strip_prefix("session:") {
        Some(session) => {
            let Some(s) = state.sessions.get(session) else {
                return false;
            };
            state
                .people
                .get(&s.person)
                .is_ok_and(|p| p.is_some_and(|p| !p.revoked))
        }
        None => state
            .tokens
            .get(&id)
            .is_ok_and(|token| token.is_some_and(|t| !t.revoked)),
    }
}
