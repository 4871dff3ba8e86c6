//! The one error type that crosses the wire between server functions and pages.
use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please log in to continue.")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// Bad input: `field` is the form field's name, so the page can show the message beside it.
    #[error("{message}")]
    Validation { field: String, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// The request itself could not be read (not JSON, a field missing or of the wrong
    /// kind): said in words, never with the server's own type names.
    #[error("{0}")]
    Unreadable(String),
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The request never got a proper answer (network, bad encoding).
    #[error("Could not reach Leadline: {0}")]
    Transport(String),
}

impl AppError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::Validation {
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// Bad input that could not even be read, from the decoder's `detail` (which may name
    /// Rust types: only the field or value it is about is kept).
    pub fn unreadable(detail: &str) -> Self {
        let quoted = |after: &str| {
            detail
                .split_once(after)
                .and_then(|(_, rest)| rest.split('`').nth(1))
                .filter(|q| q.len() <= 64)
                .map(str::to_string)
        };
        let what = if let Some(f) = quoted("missing field") {
            format!("the field \"{f}\" is missing")
        } else if let Some(f) = quoted("unknown field") {
            format!("there is no field \"{f}\"")
        } else if let Some(v) = quoted("unknown variant") {
            format!("\"{v}\" is not one of the accepted values")
        } else if detail.contains("invalid type") || detail.contains("invalid value") {
            "a field has a value of the wrong kind".to_string()
        } else if detail.contains("EOF")
            || detail.contains("expected value")
            || detail.contains("key must be")
        {
            "it is not well-formed".to_string()
        } else {
            "a field is missing or has the wrong kind of value".to_string()
        };
        Self::Unreadable(format!("The request could not be read: {what}."))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }

    /// The message to show beside `field`, if this error is about it.
    pub fn for_field(&self, field: &str) -> Option<String> {
        match self {
            Self::Validation { field: f, message } if f == field => Some(message.clone()),
            _ => None,
        }
    }

    /// The HTTP status this error is sent with.
    pub fn status(&self) -> u16 {
        match self {
            Self::Unauthenticated => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound(_) => 404,
            Self::Validation { .. } => 422,
            Self::Conflict(_) => 409,
            Self::TooManyRequests(_) => 429,
            Self::Unreadable(_) => 400,
            Self::Internal | Self::Transport(_) => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::Deserialization(m) => {
                Self::unreadable(&m)
            }
            other => Self::Transport(other.to_string()),
        }
    }
}

/// Parses one form field, turning a refusal into a message on that field.
pub fn field<T>(name: &str, parsed: Result<T, String>) -> Result<T, AppError> {
    parsed.map_err(|message| AppError::validation(name, message))
}
