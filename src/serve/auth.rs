//! Who is calling and what they may do: bearer API tokens (kept as SHA-256 hashes) and TLS
//! client certificates, each mapped to an operator with roles.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::config::OperatorConfig;
use super::error::ApiError;
use crate::{Error, Result};

/// What an operator may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Role {
    /// Verify documents and licences.
    Verify,
    /// Issue licences and read the registry's records.
    Issue,
    /// Revoke, suspend and reinstate licences and read the registry's records.
    Revoke,
    /// Everything.
    Admin,
}

impl Role {
    const ALL: [Role; 4] = [Role::Verify, Role::Issue, Role::Revoke, Role::Admin];

    /// The role's name: `verify`, `issue`, `revoke` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Verify => "verify",
            Role::Issue => "issue",
            Role::Revoke => "revoke",
            Role::Admin => "admin",
        }
    }

    /// The role named `text`.
    pub fn parse(text: &str) -> Result<Role> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "role {text:?} is not verify, issue, revoke or admin"
                ))
            })
    }
}

/// An operator as the service knows it.
#[derive(Debug)]
pub(crate) struct Operator {
    pub name: String,
    pub roles: Vec<Role>,
}

impl Operator {
    fn may(&self, role: Role) -> bool {
        self.roles.contains(&Role::Admin) || self.roles.contains(&role)
    }
}

/// The SHA-256 of the TLS client certificate a connection presented, put into each of
/// its requests' extensions.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClientCertificate(pub [u8; 32]);

/// The operators by token hash and by certificate hash.
#[derive(Debug, Default)]
pub(crate) struct Operators {
    by_token: HashMap<[u8; 32], Arc<Operator>>,
    by_certificate: HashMap<[u8; 32], Arc<Operator>>,
    anonymous: bool,
}

impl Operators {
    pub fn new(configs: &[OperatorConfig], anonymous: bool) -> Result<Operators> {
        let mut operators = Operators {
            anonymous,
            ..Operators::default()
        };
        for config in configs {
            let operator = Arc::new(Operator {
                name: config.name.clone(),
                roles: config.roles.clone(),
            });
            let hash = |hex_text: &Option<String>, what: &str| -> Result<Option<[u8; 32]>> {
                let Some(text) = hex_text else {
                    return Ok(None);
                };
                let bytes = hex::decode(text.trim()).ok().filter(|b| b.len() == 32);
                bytes
                    .map(|b| Some(b.try_into().expect("32 bytes")))
                    .ok_or_else(|| {
                        Error::Invalid(format!(
                            "operator {}: {what} is not a SHA-256 in hex (64 digits)",
                            config.name
                        ))
                    })
            };
            if let Some(h) = hash(&config.token_sha256, "token_sha256")? {
                operators.by_token.insert(h, operator.clone());
            }
            if let Some(h) = hash(&config.client_cert_sha256, "client_cert_sha256")? {
                operators.by_certificate.insert(h, operator);
            }
        }
        Ok(operators)
    }

    /// The caller of a request: its bearer token's operator (a token that names none is
    /// refused), else its client certificate's, else anonymous.
    fn caller(&self, parts: &Parts) -> std::result::Result<Caller, ApiError> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| unauthorized("the Authorization header is not `Bearer TOKEN`"))?;
            let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
            return self
                .by_token
                .get(&hash)
                .map(|o| Caller::Operator(o.clone()))
                .ok_or_else(|| unauthorized("the token is not known"));
        }
        let by_certificate = parts
            .extensions
            .get::<ClientCertificate>()
            .and_then(|c| self.by_certificate.get(&c.0));
        Ok(match by_certificate {
            Some(operator) => Caller::Operator(operator.clone()),
            None => Caller::Anonymous,
        })
    }
}

/// Who sent a request.
#[derive(Clone, Debug)]
pub(crate) enum Caller {
    Anonymous,
    Operator(Arc<Operator>),
}

impl Caller {
    /// The operator's name for logs; `anonymous` for anonymous callers.
    pub fn name(&self) -> &str {
        match self {
            Caller::Anonymous => "anonymous",
            Caller::Operator(o) => &o.name,
        }
    }

    /// The caller's roles.
    pub fn roles(&self) -> &[Role] {
        match self {
            Caller::Anonymous => &[],
            Caller::Operator(o) => &o.roles,
        }
    }

    /// Refuses a caller who may not act as `role`: 401 for an anonymous caller, 403 for
    /// an operator without the role.
    pub fn require(&self, role: Role) -> std::result::Result<&Operator, ApiError> {
        match self {
            Caller::Anonymous => Err(unauthorized(
                "this needs an API token or client certificate",
            )),
            Caller::Operator(o) if o.may(role) => Ok(o),
            Caller::Operator(o) => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!(
                    "operator {} does not have the role {}",
                    o.name,
                    role.as_str()
                ),
            )),
        }
    }

    /// Refuses a caller who may not use a public endpoint: anonymous callers when the
    /// service does not allow them.
    pub fn require_public(&self, operators: &Operators) -> std::result::Result<(), ApiError> {
        match self {
            Caller::Anonymous if !operators.anonymous => Err(unauthorized(
                "this service does not answer anonymous callers",
            )),
            _ => Ok(()),
        }
    }

    /// [`Caller::require_public`] for anonymous callers, [`Role::Verify`] for operators.
    pub fn require_verify(&self, operators: &Operators) -> std::result::Result<(), ApiError> {
        match self {
            Caller::Anonymous => self.require_public(operators),
            Caller::Operator(_) => self.require(Role::Verify).map(drop),
        }
    }
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message.to_owned())
}

impl<S: Send + Sync> FromRequestParts<S> for Caller
where
    Arc<super::State>: axum::extract::FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> std::result::Result<Self, ApiError> {
        let state: Arc<super::State> = axum::extract::FromRef::from_ref(state);
        state.operators.caller(parts)
    }
}
