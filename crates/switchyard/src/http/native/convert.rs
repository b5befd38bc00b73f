//! Native request bodies → canonical requests. Messages, tools and formats have the
//! OpenAI shapes, so their pieces are translated by the OpenAI surface's helpers; the
//! native parts (`provider`, `task_type`, what a missing `model` means) are here.

use switchyard_types::TaskType;
use switchyard_types::chat::{ChatRequest, EmbeddingRequest};

use super::wire::{ChatBody, EmbeddingsBody};
use crate::http::error::ApiError;
use crate::http::openai::convert as oai;

/// A chat body as a canonical request, with the model asked for (`provider/model` when
/// a provider is named; `None` when the task type decides) and the task type.
/// Errors name the field, in the same order and words as the OpenAI surface.
pub fn chat_request(
    body: ChatBody,
) -> Result<(ChatRequest, Option<String>, Option<TaskType>), ApiError> {
    let model = match (&body.model, &body.provider) {
        (Some(m), Some(p)) => Some(format!("{p}/{m}")),
        (Some(m), None) => Some(m.clone()),
        (None, Some(_)) => return Err(ApiError::field("provider", "needs `model` too")),
        (None, None) if body.task_type.is_none() => {
            return Err(ApiError::field("model", "give a `model` or a `task_type`"));
        }
        (None, None) => None,
    };
    if model.as_deref().is_some_and(|m| m.trim().is_empty()) {
        return Err(ApiError::field("model", "must not be empty"));
    }
    if body.messages.is_empty() {
        return Err(ApiError::field(
            "messages",
            "must contain at least one message",
        ));
    }
    oai::sampling(body.temperature, body.top_p)?;
    let messages = oai::messages(body.messages)?;
    let tools = oai::tools(body.tools)?;
    let stop = oai::stop(body.stop)?;
    let request = ChatRequest {
        // A task-type request is routed by its task; the name is only a placeholder.
        model: model.clone().unwrap_or_else(|| "task".into()),
        messages,
        tools,
        tool_choice: body.tool_choice.map(oai::tool_choice),
        response_format: body.response_format.map(oai::response_format),
        temperature: body.temperature,
        top_p: body.top_p,
        max_output_tokens: body.max_tokens,
        stop,
        seed: body.seed,
        stream: false,
        user: body.user,
        reasoning: None,
        cache_breakpoints: Vec::new(),
    };
    Ok((request, model, body.task_type))
}

/// An embeddings body as a canonical request (no `model`: an empty name, routed by the
/// embedding task type).
pub fn embedding_request(body: EmbeddingsBody) -> Result<EmbeddingRequest, ApiError> {
    oai::embedding(body.model.unwrap_or_default(), body.input, body.dimensions)
}

#[cfg(test)]
mod tests {

    use serde_json::{Value, json};
    use switchyard_types::chat::{Message, MessageRole};

    use super::*;

    fn refused(body: Value) -> String {
        let body: ChatBody = serde_json::from_value(body).unwrap();
        chat_request(body).unwrap_err().message
    }

    #[test]
    fn chat_bodies_become_canonical_requests() {
        let hi = json!([{"role": "user", "content": "hi"}]);
        let body = json!({"model": "m", "provider": "p", "messages": hi, "max_tokens": 9,
            "stop": "END", "tool_choice": "required", "temperature": 0.5});
        let (request, model, task) = chat_request(serde_json::from_value(body).unwrap()).unwrap();
        assert_eq!((model.as_deref(), task), (Some("p/m"), None));
        assert_eq!(request.model, "p/m");
        assert_eq!(
            request.messages,
            vec![Message::text(MessageRole::User, "hi")]
        );
        assert_eq!(request.max_output_tokens, Some(9));
        assert_eq!(request.stop, vec!["END".to_string()]);
        assert_eq!(request.temperature, Some(0.5));
        let body = json!({"task_type": "summarization", "messages": hi});
        let (request, model, task) = chat_request(serde_json::from_value(body).unwrap()).unwrap();
        assert_eq!((model, task), (None, Some(TaskType::Summarization)));
        assert_eq!(request.model, "task");
    }

    #[test]
    fn bad_chat_bodies_name_the_field() {
        let hi = json!([{"role": "user", "content": "hi"}]);
        for (body, message) in [
            (
                json!({"messages": hi}),
                "model: give a `model` or a `task_type`",
            ),
            (
                json!({"provider": "p", "messages": hi}),
                "provider: needs `model` too",
            ),
            (
                json!({"model": " ", "messages": hi}),
                "model: must not be empty",
            ),
            (
                json!({"model": "m", "messages": []}),
                "messages: must contain at least one message",
            ),
            (
                json!({"model": "m", "messages": hi, "top_p": 2.0}),
                "top_p: must be between 0 and 1",
            ),
            (
                json!({"model": "m", "messages": hi, "stop": ["a", "b", "c", "d", "e"]}),
                "stop: at most 4 stop sequences",
            ),
        ] {
            assert_eq!(refused(body), message);
        }
    }

    #[test]
    fn embeddings_bodies_become_canonical_requests() {
        let body = json!({"input": "text", "dimensions": 8});
        let request = embedding_request(serde_json::from_value(body).unwrap()).unwrap();
        assert_eq!(
            (request.model.as_str(), request.input, request.dimensions),
            ("", vec!["text".to_string()], Some(8))
        );
        let body = json!({"model": "e", "input": []});
        let e = embedding_request(serde_json::from_value(body).unwrap()).unwrap_err();
        assert_eq!(e.message, "input: must not be empty");
    }
}
