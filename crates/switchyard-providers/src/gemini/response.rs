//! Gemini `generateContent` answers → canonical: content parts, tool calls, finish
//! reasons and usage. Gemini calls carry no ids, so the adapter makes stable ones
//! (`call_<tag>_<index>`) and appends the call's `thoughtSignature` to the id, so that it
//! comes back with the conversation as Gemini 3 requires (see [`tool_call_id`]).

use serde_json::json;
use switchyard_types::ErrorKind;
use switchyard_types::chat::{
    ChatResponse, ContentPart, FinishReason, Message, MessageRole, ToolCall, Usage, UsageSource,
};

use super::wire::{GenerateContentResponse, UsageMetadata};
use crate::{ProviderError, Target};

/// Separates a tool call's id from the thought signature carried in it.
const SIGNATURE_MARK: &str = "__ts_";

/// The canonical id of a Gemini call: the upstream's id when it sent one, else
/// `call_<tag>_<index>` (`tag` from the response id keeps ids unique across turns), plus
/// the call's thought signature in URL-safe base64 after [`SIGNATURE_MARK`].
pub fn tool_call_id(
    upstream: Option<&str>,
    tag: &str,
    index: u32,
    signature: Option<&str>,
) -> String {
    let mut id = match upstream {
        Some(id) if !id.is_empty() => id.to_string(),
        _ if tag.is_empty() => format!("call_{index}"),
        _ => format!("call_{tag}_{index}"),
    };
    if let Some(sig) = signature.filter(|s| !s.is_empty()) {
        id.push_str(SIGNATURE_MARK);
        id.extend(sig.chars().filter(|c| *c != '=').map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        }));
    }
    id
}

/// Split a canonical id into its base and the thought signature (standard base64).
pub fn split_tool_call_id(id: &str) -> (&str, Option<String>) {
    let Some((base, sig)) = id.split_once(SIGNATURE_MARK) else {
        return (id, None);
    };
    let mut standard: String = sig
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while !standard.len().is_multiple_of(4) {
        standard.push('=');
    }
    (base, Some(standard))
}

/// A short tag from Gemini's response id (FNV-1a, 8 hex digits); empty without one.
pub fn id_tag(response_id: Option<&str>) -> String {
    response_id.map_or_else(String::new, |id| {
        format!("{:08x}", crate::mock::fnv1a(id.as_bytes()) & 0xffff_ffff)
    })
}

/// Canonical usage: input includes server-side tool prompts (Gemini counts them apart
/// from `promptTokenCount` but in `totalTokenCount`), output includes thinking tokens
/// (billed as output; `candidatesTokenCount` excludes them).
pub fn usage(meta: &UsageMetadata) -> Usage {
    Usage {
        input_tokens: meta.prompt_token_count + meta.tool_use_prompt_token_count,
        output_tokens: meta.candidates_token_count + meta.thoughts_token_count,
        cached_input_tokens: meta.cached_content_token_count,
        cache_creation_input_tokens: 0,
        reasoning_tokens: meta.thoughts_token_count,
        source: UsageSource::Provider,
    }
}

/// Gemini's `finishReason` → canonical; a `STOP` after function calls is `tool_calls`.
pub fn finish_reason(reason: &str, made_tool_calls: bool) -> FinishReason {
    match reason {
        "MAX_TOKENS" => FinishReason::Length,
        "SAFETY"
        | "RECITATION"
        | "BLOCKLIST"
        | "PROHIBITED_CONTENT"
        | "SPII"
        | "IMAGE_SAFETY"
        | "IMAGE_PROHIBITED_CONTENT"
        | "IMAGE_RECITATION" => FinishReason::ContentFilter,
        _ if made_tool_calls => FinishReason::ToolCalls,
        _ => FinishReason::Stop,
    }
}

/// The error for a response without candidates: a blocked prompt is `content_filtered`.
pub fn no_candidates(response: &GenerateContentResponse) -> ProviderError {
    match response
        .prompt_feedback
        .as_ref()
        .and_then(|f| f.block_reason.as_deref())
    {
        Some(reason) => ProviderError::new(
            ErrorKind::ContentFiltered,
            format!("Gemini blocked the prompt (blockReason {reason})"),
        ),
        None => ProviderError::new(ErrorKind::UpstreamError, "Gemini returned no candidates"),
    }
}

/// Translate a whole response.
pub fn from_wire(
    target: Target<'_>,
    response: GenerateContentResponse,
) -> Result<ChatResponse, ProviderError> {
    let Some(candidate) = response.candidates.first() else {
        return Err(no_candidates(&response));
    };
    let tag = id_tag(response.response_id.as_deref());
    let mut content: Vec<ContentPart> = Vec::new();
    let mut tool_calls = Vec::new();
    let parts = candidate
        .content
        .as_ref()
        .map(|c| c.parts.as_slice())
        .unwrap_or_default();
    for part in parts {
        if let Some(call) = &part.function_call {
            let index = u32::try_from(tool_calls.len()).unwrap_or(u32::MAX);
            tool_calls.push(ToolCall {
                id: tool_call_id(
                    call.id.as_deref(),
                    &tag,
                    index,
                    part.thought_signature.as_deref(),
                ),
                name: call.name.clone(),
                arguments: call.args.clone().unwrap_or_else(|| json!({})).to_string(),
            });
            continue;
        }
        let text = part.text.as_deref().unwrap_or_default();
        if part.thought == Some(true) {
            if text.is_empty() && part.thought_signature.is_none() {
                continue;
            }
            match content.last_mut() {
                Some(ContentPart::Reasoning {
                    text: t,
                    signature: None,
                }) => t.push_str(text),
                _ => content.push(ContentPart::Reasoning {
                    text: text.to_string(),
                    signature: None,
                }),
            }
            if let Some(ContentPart::Reasoning { signature, .. }) = content.last_mut() {
                signature.clone_from(&part.thought_signature);
            }
            continue;
        }
        // A signature on an answer part belongs to the reasoning before it.
        if let (
            Some(sig),
            Some(ContentPart::Reasoning {
                signature: s @ None,
                ..
            }),
        ) = (&part.thought_signature, content.last_mut())
        {
            *s = Some(sig.clone());
        }
        if text.is_empty() {
            continue;
        }
        match content.last_mut() {
            Some(ContentPart::Text { text: t }) => t.push_str(text),
            _ => content.push(ContentPart::Text {
                text: text.to_string(),
            }),
        }
    }
    let reason = candidate.finish_reason.as_deref().unwrap_or("STOP");
    Ok(ChatResponse {
        id: response
            .response_id
            .clone()
            .unwrap_or_else(|| format!("gemini-{:016x}", rand::random::<u64>())),
        model: target.model.to_string(),
        finish_reason: finish_reason(reason, !tool_calls.is_empty()),
        message: Message {
            role: MessageRole::Assistant,
            content,
            tool_calls,
            tool_call_id: None,
        },
        usage: response
            .usage_metadata
            .as_ref()
            .map(usage)
            .unwrap_or_default(),
        created_at: switchyard_types::now_millis(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_survive_the_trip_through_tool_call_ids() {
        let sig = "CiQB0e2Kb+Wd/3xq9ZUe1kB3sQ==";
        let id = tool_call_id(None, &id_tag(Some("resp-1")), 2, Some(sig));
        assert!(id.starts_with("call_") && id.contains("_2__ts_"), "{id}");
        assert!(
            id.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        );
        assert_eq!(split_tool_call_id(&id).1.as_deref(), Some(sig));
        assert_eq!(split_tool_call_id("call_abc"), ("call_abc", None));
        assert_eq!(tool_call_id(Some("fc-9"), "t", 0, None), "fc-9");
    }

    #[test]
    fn thoughts_become_signed_reasoning_before_the_answer() {
        let body = r#"{"candidates": [{"content": {"parts": [
            {"text": "Thinking it over.", "thought": true},
            {"text": "The answer", "thoughtSignature": "c2ln"},
            {"text": " is 42."},
            {"text": ""}
        ], "role": "model"}, "finishReason": "STOP"}], "responseId": "r1"}"#;
        let wire: GenerateContentResponse = serde_json::from_str(body).unwrap();
        let target = Target {
            model: "m",
            upstream_model: "gemini-2.5-flash",
        };
        let r = from_wire(target, wire).unwrap();
        assert_eq!(
            r.message.content,
            vec![
                ContentPart::Reasoning {
                    text: "Thinking it over.".into(),
                    signature: Some("c2ln".into())
                },
                ContentPart::Text {
                    text: "The answer is 42.".into()
                },
            ]
        );
        assert_eq!(r.id, "r1");
    }
}
