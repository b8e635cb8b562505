//! Field-level validation errors, gathered so one answer lists every problem at once.

use serde::{Deserialize, Serialize};

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The dotted path of the field, e.g. `name.ar`.
    pub field: String,
    /// What is wrong, in words a user understands.
    pub message: String,
}

/// The invalid fields of one request, in the order they were found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `field` is invalid.
    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError { field: field.into(), message: message.into() });
    }

    /// Keeps the value of a parse, or records its error under `field`.
    pub fn check<T, E: std::fmt::Display>(&mut self, field: &str, parsed: Result<T, E>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(error) => {
                self.push(field, error.to_string());
                None
            }
        }
    }

    /// Whether `field`, or a field inside it (`field.…`), is already recorded as invalid.
    pub fn mentions(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field || e.field.strip_prefix(field).is_some_and(|rest| rest.starts_with('.')))
    }

    /// Whether no field is invalid.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The errors found.
    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }

    /// `Ok(value)` when no field was invalid, else these errors.
    pub fn finish<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, FieldErrors> {
        if self.is_empty()
            && let Some(value) = value()
        {
            return Ok(value);
        }
        Err(self)
    }
}
