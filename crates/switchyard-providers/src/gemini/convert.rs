//! Canonical chat request → Gemini `generateContent` body. Rules: system messages become
//! `systemInstruction`; assistant turns are role `model`; tool results become
//! `functionResponse` parts in a `user` turn, named after the call they answer (Gemini
//! matches by name — the canonical `tool_call_id` is resolved through the earlier
//! assistant tool call); a call's thought signature is recovered from its id (see
//! [`super::response::tool_call_id`]). The answer's way back is in `response.rs`.

use serde_json::{Value, json};
use switchyard_types::ErrorKind;
use switchyard_types::chat::{
    ChatRequest, ContentPart, Message, MessageRole, ResponseFormat, ToolChoice,
};

use super::GeminiOptions;
use super::response::split_tool_call_id;
use super::schema;
use super::wire::{
    Blob, Content, FileData, FunctionCall, FunctionCallingConfig, FunctionDeclaration,
    FunctionResponse, GenerateContentRequest, GenerationConfig, Part, ThinkingConfig, ToolConfig,
    ToolDecl,
};
use crate::ProviderError;

/// Translate a canonical request to Gemini's body.
pub fn to_wire(
    request: &ChatRequest,
    options: &GeminiOptions,
) -> Result<GenerateContentRequest, ProviderError> {
    let mut system = Vec::new();
    let mut contents: Vec<Content> = Vec::new();
    for (i, message) in request.messages.iter().enumerate() {
        match message.role {
            MessageRole::System => system.extend(message.content.iter().filter_map(|p| match p {
                ContentPart::Text { text } => Some(text_part(text.clone())),
                _ => None,
            })),
            MessageRole::User => push(&mut contents, "user", user_parts(message)?, false),
            MessageRole::Assistant => push(&mut contents, "model", model_parts(message)?, false),
            MessageRole::Tool => {
                let part = tool_result(&request.messages[..i], message)?;
                push(&mut contents, "user", vec![part], true);
            }
        }
    }
    let declarations: Vec<FunctionDeclaration> = request
        .tools
        .iter()
        .map(|t| {
            let parameters = schema::to_gemini(&t.parameters);
            FunctionDeclaration {
                name: t.name.clone(),
                description: t.description.clone(),
                parameters: (!schema::is_empty_object(&parameters) && parameters != json!({}))
                    .then_some(parameters),
            }
        })
        .collect();
    let tool_config = match (&request.tool_choice, declarations.is_empty()) {
        (_, true) | (None, _) => None,
        (Some(choice), false) => Some(ToolConfig {
            function_calling_config: match choice {
                ToolChoice::Auto => calling("AUTO", Vec::new()),
                ToolChoice::None => calling("NONE", Vec::new()),
                ToolChoice::Required => calling("ANY", Vec::new()),
                ToolChoice::Function { name } => calling("ANY", vec![name.clone()]),
            },
        }),
    };
    let tools = if declarations.is_empty() {
        Vec::new()
    } else {
        vec![ToolDecl {
            function_declarations: declarations,
        }]
    };
    let (response_mime_type, response_schema) = match &request.response_format {
        Some(ResponseFormat::JsonObject) => (Some("application/json"), None),
        Some(ResponseFormat::JsonSchema { schema: s, .. }) => {
            (Some("application/json"), Some(schema::to_gemini(s)))
        }
        Some(ResponseFormat::Text) | None => (None, None),
    };
    // The request's reasoning wins over the provider's configured budget; -1 is Gemini's
    // "dynamic" budget. Cache breakpoints are ignored: Gemini caches prefixes implicitly.
    let thinking_budget = match &request.reasoning {
        Some(r) => Some(
            r.budget_tokens
                .or(r.effort.map(|e| e.budget_tokens()))
                .map_or(-1, i64::from),
        ),
        None => options.thinking_budget,
    };
    let thinking_config =
        (options.include_thoughts || thinking_budget.is_some()).then(|| ThinkingConfig {
            include_thoughts: options.include_thoughts.then_some(true),
            thinking_budget,
        });
    let generation_config = GenerationConfig {
        temperature: request.temperature,
        top_p: request.top_p,
        max_output_tokens: request.max_output_tokens,
        stop_sequences: request.stop.clone(),
        seed: request.seed,
        response_mime_type,
        response_schema,
        thinking_config,
    };
    Ok(GenerateContentRequest {
        contents,
        system_instruction: (!system.is_empty()).then_some(Content {
            role: None,
            parts: system,
        }),
        tools,
        tool_config,
        safety_settings: options.safety_settings.clone(),
        generation_config: (generation_config != GenerationConfig::default())
            .then_some(generation_config),
    })
}

fn calling(mode: &'static str, allowed_function_names: Vec<String>) -> FunctionCallingConfig {
    FunctionCallingConfig {
        mode,
        allowed_function_names,
    }
}

fn text_part(text: String) -> Part {
    Part {
        text: Some(text),
        ..Part::default()
    }
}

fn bad_request(message: impl Into<String>) -> ProviderError {
    ProviderError::new(ErrorKind::BadRequest, message)
}

/// Append a turn; consecutive tool results share one `user` turn (as Gemini expects
/// the answers to parallel calls). Turns without parts are dropped.
fn push(contents: &mut Vec<Content>, role: &str, parts: Vec<Part>, tool_result: bool) {
    if parts.is_empty() {
        return;
    }
    if tool_result && let Some(last) = contents.last_mut() {
        let last_is_results = last.role.as_deref() == Some(role)
            && last.parts.iter().all(|p| p.function_response.is_some());
        if last_is_results {
            last.parts.extend(parts);
            return;
        }
    }
    contents.push(Content {
        role: Some(role.to_string()),
        parts,
    });
}

fn user_parts(message: &Message) -> Result<Vec<Part>, ProviderError> {
    let mut parts = Vec::new();
    for part in &message.content {
        match part {
            ContentPart::Text { text } => parts.push(text_part(text.clone())),
            ContentPart::ImageBase64 { media_type, data } => parts.push(Part {
                inline_data: Some(Blob {
                    mime_type: media_type.clone(),
                    data: data.clone(),
                }),
                ..Part::default()
            }),
            ContentPart::ImageUrl { url, .. } => parts.push(image_url(url)?),
            ContentPart::Reasoning { .. } => {}
        }
    }
    Ok(parts)
}

/// A `data:` URI becomes inline bytes; any other URL a `fileData` reference.
fn image_url(url: &str) -> Result<Part, ProviderError> {
    if let Some(rest) = url.strip_prefix("data:") {
        let (meta, data) = rest
            .split_once(',')
            .ok_or_else(|| bad_request("image data URI has no `,`"))?;
        let mime = meta
            .strip_suffix(";base64")
            .ok_or_else(|| bad_request("image data URIs must be base64-encoded"))?;
        return Ok(Part {
            inline_data: Some(Blob {
                mime_type: if mime.is_empty() { "image/png" } else { mime }.to_string(),
                data: data.to_string(),
            }),
            ..Part::default()
        });
    }
    Ok(Part {
        file_data: Some(FileData {
            mime_type: Some(guess_image_type(url).to_string()),
            file_uri: url.to_string(),
        }),
        ..Part::default()
    })
}

fn guess_image_type(url: &str) -> &'static str {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .to_ascii_lowercase();
    let ext = path.rsplit('.').next().unwrap_or("");
    match ext {
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "heic" => "image/heic",
        "heif" => "image/heif",
        _ => "image/jpeg",
    }
}

fn model_parts(message: &Message) -> Result<Vec<Part>, ProviderError> {
    let mut parts = Vec::new();
    for part in &message.content {
        match part {
            ContentPart::Text { text } if !text.is_empty() => parts.push(text_part(text.clone())),
            // Gemini reads nothing from unsigned thought text; signed thoughts go back as sent.
            ContentPart::Reasoning {
                text,
                signature: Some(signature),
            } => parts.push(Part {
                text: Some(text.clone()),
                thought: Some(true),
                thought_signature: Some(signature.clone()),
                ..Part::default()
            }),
            _ => {}
        }
    }
    for call in &message.tool_calls {
        let args: Value = if call.arguments.trim().is_empty() {
            json!({})
        } else {
            serde_json::from_str(&call.arguments).map_err(|e| {
                bad_request(format!(
                    "tool call `{}` has arguments that are not JSON: {e}",
                    call.id
                ))
            })?
        };
        let args = if args.is_object() {
            args
        } else {
            json!({ "value": args })
        };
        parts.push(Part {
            function_call: Some(FunctionCall {
                id: None,
                name: call.name.clone(),
                args: Some(args),
            }),
            thought_signature: split_tool_call_id(&call.id).1,
            ..Part::default()
        });
    }
    Ok(parts)
}

/// A tool result, named after the earlier assistant call with the same id.
fn tool_result(earlier: &[Message], message: &Message) -> Result<Part, ProviderError> {
    let id = message
        .tool_call_id
        .as_deref()
        .ok_or_else(|| bad_request("a tool message needs a tool_call_id"))?;
    let name = earlier
        .iter()
        .rev()
        .flat_map(|m| m.tool_calls.iter())
        .find(|c| c.id == id)
        .map(|c| c.name.clone())
        .ok_or_else(|| bad_request(format!("tool result `{id}` answers no earlier tool call")))?;
    let text = message.joined_text();
    let response = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => Value::Object(map),
        Ok(other) => json!({ "output": other }),
        Err(_) => json!({ "output": text }),
    };
    Ok(Part {
        function_response: Some(FunctionResponse { name, response }),
        ..Part::default()
    })
}
