//! `GET /export`: the NDJSON export of the running server's log, for ADMIN tokens, so that a
//! backup needs no downtime (`chronique export` refuses a store held by a running server).
//!
//! The answer is the same text as `chronique export`: one line per event, then the trailer
//! with the event count and the head (see `eventlog`'s `ndjson` module). It is a consistent
//! prefix of the log: the events up to the head as it was when the request arrived; appends
//! made meanwhile are not part of it and are not held up by it. It is streamed as it is read,
//! on a blocking thread, never built in memory. If reading fails halfway the body is cut off
//! before the trailer, so that `chronique import` refuses what was received.
//!
//! Authentication as for GraphQL: `Authorization: Bearer <token>`; no valid token is 401
//! UNAUTHENTICATED, a token that is not an ADMIN's is 403 FORBIDDEN, both with a French JSON
//! error of the GraphQL shape.

use crate::auth;
use crate::error::ApiError;
use crate::server::Server;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Bytes gathered before a piece of the body is sent.
const PIECE_BYTES: usize = 64 * 1024;
/// Pieces waiting to be sent before the reader waits for a slow client.
const PIECES_IN_FLIGHT: usize = 8;

pub(crate) async fn export(State(server): State<Server>, headers: HeaderMap) -> Response {
    let state = &server.state;
    let viewer = match auth::authenticate_with_header(state, &headers) {
        Ok(viewer) => viewer,
        Err(error) => {
            return crate::server::error_response(auth::status_of(&error), ApiError::from(error));
        }
    };
    if viewer.require_admin().is_err() {
        return crate::server::error_response(
            StatusCode::FORBIDDEN,
            ApiError::forbidden(format!(
                "L'export du registre est réservé aux administrateurs ; ce jeton a le rôle « {} ».",
                viewer.role().label()
            )),
        );
    }
    // The head is taken here, before the response starts: the export is the log up to it.
    let lines = state.log.export_lines();
    tracing::info!(
        head = lines.head().position,
        token = %viewer.token_id,
        "export over HTTP"
    );
    let (sender, receiver) =
        tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(PIECES_IN_FLIGHT);
    tokio::task::spawn_blocking(move || {
        let mut piece = Vec::with_capacity(PIECE_BYTES);
        for line in lines {
            match line {
                Ok(line) => piece.extend_from_slice(line.as_bytes()),
                Err(error) => {
                    tracing::error!(error = %error, "export over HTTP stopped: the log does not read back");
                    let _ = sender.blocking_send(Err(std::io::Error::other(error.to_string())));
                    return;
                }
            }
            if piece.len() >= PIECE_BYTES {
                let full = std::mem::replace(&mut piece, Vec::with_capacity(PIECE_BYTES));
                if sender.blocking_send(Ok(Bytes::from(full))).is_err() {
                    // The client went away.
                    return;
                }
            }
        }
        if !piece.is_empty() {
            let _ = sender.blocking_send(Ok(Bytes::from(piece)));
        }
    });
    let body = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(receiver));
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"chronique-export.ndjson\""),
    );
    response
}
