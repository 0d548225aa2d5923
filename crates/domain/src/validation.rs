//! Validation failures shared by every `parse` constructor.

use serde::Serialize;

/// One field that failed validation, with a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The input field's name as the client sent it (`email`, `limit`, ...).
    pub field: String,
    /// Stable machine-readable reason (`too_short`, `invalid_format`, ...).
    pub code: &'static str,
    /// English explanation; pages translate by `code`.
    pub message: String,
}

/// Input that cannot become a domain value. Carries every failing field at once so a
/// form can show all problems in one round trip.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid input: {}", .errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
pub struct ValidationError {
    /// The failing fields, in input order.
    pub errors: Vec<FieldError>,
}

impl ValidationError {
    /// A failure of a single field.
    pub fn field(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            errors: vec![FieldError {
                field: field.to_owned(),
                code,
                message: message.into(),
            }],
        }
    }

    /// Collects the errors of several independent parses; `Ok(())` when there are none.
    pub fn collect(results: impl IntoIterator<Item = Option<ValidationError>>) -> Result<(), Self> {
        let errors: Vec<FieldError> = results
            .into_iter()
            .flatten()
            .flat_map(|e| e.errors)
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Self { errors })
        }
    }
}
