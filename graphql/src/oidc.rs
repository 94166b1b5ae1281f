//! Signing in through an OpenID Connect provider (ProConnect, or a collectivité's own): the
//! authorization-code flow with PKCE, with the `openidconnect` crate doing every check of the ID
//! token (signature by the provider's JWKS, issuer, audience, expiry, nonce).
//!
//! [`Oidc::discover`] reads the provider's `/.well-known/openid-configuration` once.
//! [`Oidc::start`] gives the URL a person's browser goes to, and remembers the login's `state`,
//! nonce and PKCE verifier for [`LOGIN_TIMEOUT`]. [`Oidc::finish`] takes the provider's answer
//! at `/auth/callback` (`code` and `state`): a `state` is used once (a replayed one is refused),
//! the code is exchanged with the PKCE verifier, and the ID token's claims come back only when
//! every check passed.

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken,
    EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields, IssuerUrl,
    Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, StandardErrorResponse,
    StandardTokenResponse, TokenResponse, reqwest,
};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long a person has between « Se connecter » and the provider's answer.
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// The path the provider sends people back to, under the public URL.
pub const CALLBACK_PATH: &str = "/auth/callback";

/// ProConnect's scopes; other providers ignore the ones they do not know.
const SCOPES: [&str; 3] = ["email", "given_name", "usual_name"];

/// The claim ProConnect adds to the standard ones: the usual last name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProConnectClaims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usual_name: Option<String>,
}

impl AdditionalClaims for ProConnectClaims {}

type IdFields = IdTokenFields<
    ProConnectClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type Tokens = StandardTokenResponse<IdFields, CoreTokenType>;
type OidcClient = Client<
    ProConnectClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Tokens,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// How Chronique is registered with the provider.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// The provider's issuer URL (discovery at `<issuer>/.well-known/openid-configuration`).
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Chronique's public URL, as people's browsers reach it: the provider redirects them to
    /// `<public_url>/auth/callback`.
    pub public_url: String,
    /// The provider vouches for every address it gives (ProConnect does): `email_verified` is
    /// then not required.
    pub emails_verified_by_provider: bool,
}

/// Who the provider says signed in, once every check passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The provider's stable subject.
    pub subject: String,
    /// Lower-cased.
    pub email: String,
    pub email_verified: bool,
    pub given_name: Option<String>,
    pub usual_name: Option<String>,
}

/// Why a sign-in failed: each message is French and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("le fournisseur d'identité « {issuer} » est injoignable ou mal configuré : {detail}")]
    Discovery { issuer: String, detail: String },
    #[error("la configuration de la connexion est invalide : {0}")]
    Config(String),
    #[error(
        "cette demande de connexion est inconnue, expirée ou déjà utilisée : recommencez depuis « Se connecter »"
    )]
    UnknownState,
    #[error("le fournisseur d'identité a refusé la connexion : {0}")]
    Provider(String),
    #[error("la réponse du fournisseur d'identité n'a pas pu être vérifiée : {0}")]
    Invalid(String),
    #[error("le fournisseur d'identité n'a pas donné d'adresse électronique vérifiée")]
    NoVerifiedEmail,
}

struct Pending {
    nonce: Nonce,
    verifier: PkceCodeVerifier,
    started: Instant,
}

/// The relying party: the provider's metadata, the client, and the logins under way.
pub struct Oidc {
    client: OidcClient,
    http: reqwest::Client,
    config: OidcConfig,
    pending: Mutex<HashMap<String, Pending>>,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("issuer", &self.config.issuer)
            .field("client_id", &self.config.client_id)
            .finish_non_exhaustive()
    }
}

impl Oidc {
    /// Reads the provider's discovery document and keys.
    pub async fn discover(config: OidcConfig) -> Result<Oidc, OidcError> {
        // Following redirects would open the server to SSRF (the crate's own warning).
        let http = reqwest::ClientBuilder::new()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| OidcError::Config(e.to_string()))?;
        let issuer =
            IssuerUrl::new(config.issuer.clone()).map_err(|e| OidcError::Config(e.to_string()))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &http)
            .await
            .map_err(|e| OidcError::Discovery {
                issuer: config.issuer.clone(),
                detail: e.to_string(),
            })?;
        let redirect = RedirectUrl::new(format!(
            "{}{CALLBACK_PATH}",
            config.public_url.trim_end_matches('/')
        ))
        .map_err(|e| OidcError::Config(e.to_string()))?;
        let client = OidcClient::from_provider_metadata(
            metadata,
            ClientId::new(config.client_id.clone()),
            Some(ClientSecret::new(config.client_secret.clone())),
        )
        .set_redirect_uri(redirect);
        Ok(Oidc {
            client,
            http,
            config,
            pending: Mutex::new(HashMap::new()),
        })
    }

    /// A new login: the provider's URL to send the browser to. Its `state` is remembered for
    /// [`LOGIN_TIMEOUT`].
    pub fn start(&self) -> String {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = self.client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in SCOPES {
            request = request.add_scope(Scope::new(scope.to_owned()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        let mut pending = self.pending.lock();
        pending.retain(|_, p| p.started.elapsed() < LOGIN_TIMEOUT);
        pending.insert(
            state.secret().clone(),
            Pending {
                nonce,
                verifier,
                started: Instant::now(),
            },
        );
        url.to_string()
    }

    /// The provider's answer: `state` must be one this server gave and not used yet; the code
    /// is exchanged, and the ID token checked, before anything is said about the person.
    pub async fn finish(&self, code: &str, state: &str) -> Result<SignedIn, OidcError> {
        let (id_token, nonce) = self.exchange(code, state).await?;
        self.check(&id_token, &nonce)
    }

    /// The first half of [`Oidc::finish`]: the login of `state` (forgotten at once, so that it
    /// serves once), and its code exchanged for the raw ID token, not checked yet.
    pub async fn exchange(&self, code: &str, state: &str) -> Result<(String, Nonce), OidcError> {
        let pending = {
            let mut all = self.pending.lock();
            all.remove(state)
                .filter(|p| p.started.elapsed() < LOGIN_TIMEOUT)
                .ok_or(OidcError::UnknownState)?
        };
        let tokens = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OidcError::Config(e.to_string()))?
            .set_pkce_verifier(pending.verifier)
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::Provider(e.to_string()))?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| OidcError::Invalid("aucun jeton d'identité".to_owned()))?;
        Ok((id_token.to_string(), pending.nonce))
    }

    /// Checks an ID token (signature, issuer, audience, expiry, `nonce`) and reads its claims.
    pub fn check(&self, id_token: &str, nonce: &Nonce) -> Result<SignedIn, OidcError> {
        self.check_at(id_token, nonce, chrono::Utc::now())
    }

    /// [`Oidc::check`] as if it were `now` (for the tests of expiry).
    pub fn check_at(
        &self,
        id_token: &str,
        nonce: &Nonce,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<SignedIn, OidcError> {
        let token: openidconnect::IdToken<
            ProConnectClaims,
            CoreGenderClaim,
            CoreJweContentEncryptionAlgorithm,
            CoreJwsSigningAlgorithm,
        > = id_token
            .parse()
            .map_err(|e: serde_json::Error| OidcError::Invalid(e.to_string()))?;
        let verifier = self.client.id_token_verifier().set_time_fn(move || now);
        let claims = token
            .claims(&verifier, nonce)
            .map_err(|e| OidcError::Invalid(e.to_string()))?;
        let email = claims
            .email()
            .map(|e| e.as_str().trim().to_lowercase())
            .filter(|e| !e.is_empty())
            .ok_or(OidcError::NoVerifiedEmail)?;
        let email_verified =
            claims.email_verified().unwrap_or(false) || self.config.emails_verified_by_provider;
        if !email_verified {
            return Err(OidcError::NoVerifiedEmail);
        }
        Ok(SignedIn {
            subject: claims.subject().as_str().to_owned(),
            email,
            email_verified,
            given_name: claims
                .given_name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_owned()),
            usual_name: claims.additional_claims().usual_name.clone(),
        })
    }

    /// Chronique's public URL, as configured.
    pub fn public_url(&self) -> &str {
        &self.config.public_url
    }

    /// How many logins are under way (started, not finished, not expired).
    pub fn pending(&self) -> usize {
        let mut pending = self.pending.lock();
        pending.retain(|_, p| p.started.elapsed() < LOGIN_TIMEOUT);
        pending.len()
    }
}
