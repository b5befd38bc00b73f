//! `POST /api/v1/ai/process`: a task-type request. The task decides the instructions,
//! the router picks the model (cheapest adequate), the answer is plain output.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{Value, json};
use switchyard_core::gateway::Answer;
use switchyard_core::llm::Want;
use switchyard_types::chat::{ChatRequest, EmbeddingRequest, Message, MessageRole};
use switchyard_types::{Identity, TaskType};

use super::wire::{ProcessBody, ProcessOptions};
use super::{Result, routing, usage};
use crate::app::AppState;
use crate::http::call;
use crate::http::error::ApiError;
use crate::http::extract::JsonBody;
use crate::http::openai::served_headers;

/// The text of `input` for text tasks; errors name `input`.
fn input_text(input: &Value) -> std::result::Result<String, ApiError> {
    match input {
        Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
        Value::Object(o) => o
            .get("text")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| ApiError::field("input", "an object input needs a `text` string")),
        _ => Err(ApiError::field(
            "input",
            "must be a non-empty string or {\"text\": …}",
        )),
    }
}

/// The conversation a task type turns its input into.
fn messages(
    task: TaskType,
    input: &Value,
    options: &ProcessOptions,
) -> std::result::Result<Vec<Message>, ApiError> {
    let system = |text: String| Message::text(MessageRole::System, text);
    let user = |text: String| Message::text(MessageRole::User, text);
    Ok(match task {
        TaskType::QuestionAnswering => {
            let question = input.get("question").and_then(Value::as_str);
            match (question, input.get("context").and_then(Value::as_str)) {
                (Some(q), Some(c)) => vec![
                    system("Answer the question using only the context. Be concise.".into()),
                    user(format!("Context:\n{c}\n\nQuestion: {q}")),
                ],
                (Some(q), None) => vec![user(q.to_string())],
                _ => vec![user(input_text(input)?)],
            }
        }
        TaskType::Chat => vec![user(input_text(input)?)],
        TaskType::Summarization => vec![system("Summarize the user's text concisely.".into()), user(input_text(input)?)],
        TaskType::Translation => {
            let to = options.target_language.as_deref().unwrap_or("English");
            vec![system(format!("Translate the user's text into {to}. Reply with the translation only.")), user(input_text(input)?)]
        }
        TaskType::Classification => {
            let labels = options
                .labels
                .as_ref()
                .filter(|l| !l.is_empty())
                .ok_or_else(|| ApiError::field("options.labels", "classification needs the labels to choose from"))?;
            vec![
                system(format!("Classify the user's text as one of: {}. Reply with the label only.", labels.join(", "))),
                user(input_text(input)?),
            ]
        }
        TaskType::SentimentAnalysis => vec![
            system("Classify the sentiment of the user's text as positive, negative or neutral. Reply with one word.".into()),
            user(input_text(input)?),
        ],
        TaskType::Extraction => vec![
            system("Extract the key facts from the user's text as a JSON object.".into()),
            user(input_text(input)?),
        ],
        TaskType::CodeGeneration => vec![system("Write code for the user's request. Reply with code only.".into()), user(input_text(input)?)],
        TaskType::CodeCompletion => vec![system("Continue the user's code. Reply with the continuation only.".into()), user(input_text(input)?)],
        TaskType::Embedding | TaskType::ImageGeneration | TaskType::VideoGeneration => {
            return Err(ApiError::field("task_type", "not a text task"));
        }
    })
}

/// The canonical request a task type turns into.
enum Work {
    Embed(EmbeddingRequest),
    Chat(Box<ChatRequest>),
}

/// Check the input and options and build the request; errors name the field.
fn prepare(task: TaskType, body: &ProcessBody) -> std::result::Result<Work, ApiError> {
    let label = body
        .options
        .model
        .clone()
        .unwrap_or_else(|| task.to_string());
    match task {
        TaskType::Embedding => Ok(Work::Embed(EmbeddingRequest {
            model: label,
            input: vec![input_text(&body.input)?],
            dimensions: None,
        })),
        TaskType::ImageGeneration | TaskType::VideoGeneration => Err(ApiError::field(
            "task_type",
            "use POST /api/v1/ai/images or /api/v1/ai/videos for media",
        )),
        _ => {
            if let Some(t) = body
                .options
                .temperature
                .filter(|t| !(0.0..=2.0).contains(t))
            {
                return Err(ApiError::field(
                    "options.temperature",
                    format!("{t} is not between 0 and 2"),
                ));
            }
            Ok(Work::Chat(Box::new(ChatRequest {
                model: label,
                messages: messages(task, &body.input, &body.options)?,
                temperature: body.options.temperature,
                max_output_tokens: body.options.max_tokens,
                ..ChatRequest::default()
            })))
        }
    }
}

/// POST /api/v1/ai/process (also /ai/process)
pub async fn process(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    headers: HeaderMap,
    JsonBody(body, _): JsonBody<ProcessBody>,
) -> Result<Response> {
    let task = body.task_type;
    let want = match &body.options.model {
        Some(m) => Want::Model(m),
        None => Want::Task(task),
    };
    let call = call(&identity, &headers, "ai.process");
    // Everything the client sent is checked before anything is reserved: a refused
    // request costs nothing and is recorded with its own status.
    let work = match prepare(task, &body) {
        Ok(work) => work,
        Err(error) => {
            state.gateway.refused(&call, want, error.code.status());
            return Err(error.into());
        }
    };
    let (output, served, used) = match work {
        Work::Embed(request) => {
            let Answer { value, served } = state.gateway.embed(call, want, &request).await?;
            let vector = value.embeddings.into_iter().next().unwrap_or_default();
            (json!(vector), served, value.usage)
        }
        Work::Chat(request) => {
            let Answer { value, served } = state.gateway.chat(call, want, &request).await?;
            (json!(value.message.joined_text()), served, value.usage)
        }
    };
    let mut http = Json(json!({
        "task_type": task,
        "output": output,
        "model": served.model,
        "provider": served.provider,
        "usage": usage(&served, &used),
        "routing": routing(&served, want),
    }))
    .into_response();
    served_headers(http.headers_mut(), &served);
    Ok(http)
}
