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
            Self::Internal | Self::Transport(_) => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::Deserialization(m) => {
                Self::validation("", format!("The form could not be read: {m}"))
            }
            other => Self::Transport(other.to_string()),
        }
    }
}

/// Parses one form field, turning a refusal into a message on that field.
pub fn field<T>(name: &str, parsed: Result<T, String>) -> Result<T, AppError> {
    parsed.map_err(|message| AppError::validation(name, message))
}
