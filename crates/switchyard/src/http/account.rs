//! The governance step every AI handler takes before calling upstream: reserve the
//! request's estimated usage against the caller's quotas (held by the request's meter,
//! settled when it records), and log the prompt (redacted) when configured to.

use switchyard_core::meter::Meter;
use switchyard_providers::tokens;
use switchyard_types::chat::ChatRequest;
use switchyard_types::{ErrorKind, Identity};

use switchyard_core::llm::LlmError;

use super::error::{ApiError, Failure, Surface};
use crate::app::AppState;

/// Reserve `input_tokens` (plus the requested output) of `model` for this request.
/// A refusal is recorded by the meter (429) and returned.
pub async fn admit(
    state: &AppState,
    mut meter: Meter,
    identity: &Identity,
    model: &str,
    input_tokens: u64,
    max_output: Option<u32>,
) -> Result<Meter, ApiError> {
    meter.reserve_slot().await;
    match state
        .governor
        .admit(identity, model, input_tokens, max_output)
        .await
    {
        Ok(admission) => {
            meter.hold(admission);
            Ok(meter)
        }
        Err(refusal) => {
            let error = ApiError::from(refusal);
            meter.finish(error.status.as_u16(), Some(ErrorKind::RateLimited));
            Err(error)
        }
    }
}

/// [`admit`] for a chat request, logging its prompt first when `log.log_prompts` is on.
pub async fn admit_chat(
    state: &AppState,
    meter: Meter,
    identity: &Identity,
    request: &ChatRequest,
) -> Result<Meter, ApiError> {
    if state.config.log.log_prompts {
        let prompt: Vec<String> = request
            .messages
            .iter()
            .map(|m| format!("{:?}: {}", m.role, m.joined_text()))
            .collect();
        tracing::debug!(prompt = %state.redactor.redact(&prompt.join("\n")), model = %request.model, "prompt");
    }
    let input = tokens::quick_upper_bound(request);
    admit(
        state,
        meter,
        identity,
        &request.model,
        input,
        request.max_output_tokens,
    )
    .await
}

/// Record a request that failed in the LLM service on its meter, and turn the error into
/// surface `S`'s response.
pub fn failed<S: Surface>(meter: Meter, error: LlmError) -> Failure<S> {
    let kind = match &error {
        LlmError::Provider(p) => Some(p.kind),
        _ => None,
    };
    let error = ApiError::from(error);
    meter.finish(error.status.as_u16(), kind);
    error.into()
}
