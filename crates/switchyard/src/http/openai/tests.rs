//! The surface against the `openai` adapter: what the adapter sends OpenAI, read by
//! this surface as a client's request, is the canonical request it started from; what
//! this surface answers, read by the adapter as an upstream's completion, is the
//! canonical response it started from.

use serde_json::json;
use switchyard_providers::openai::{convert as adapter, wire as upstream};
use switchyard_types::chat::{
    ChatRequest, ChatResponse, ContentPart, FinishReason, Message, MessageRole, Reasoning,
    ResponseFormat, Tool, ToolCall, ToolChoice, Usage,
};

use super::{convert, wire};

/// A request using every field the canonical model carries through OpenAI's format.
fn full_request() -> ChatRequest {
    ChatRequest {
        model: "gpt-4o".into(),
        messages: vec![
            Message::text(MessageRole::System, "You are terse."),
            Message {
                role: MessageRole::User,
                content: vec![
                    ContentPart::Text {
                        text: "What is in this image?".into(),
                    },
                    ContentPart::ImageUrl {
                        url: "https://example.com/a.jpg".into(),
                        detail: Some("auto".into()),
                    },
                    ContentPart::ImageBase64 {
                        media_type: "image/png".into(),
                        data: "iVBORw0KGgo=".into(),
                    },
                ],
                tool_calls: vec![],
                tool_call_id: None,
            },
            Message {
                role: MessageRole::Assistant,
                content: vec![],
                tool_calls: vec![ToolCall {
                    id: "call_abc".into(),
                    name: "get_weather".into(),
                    arguments: r#"{"location":"Boston"}"#.into(),
                }],
                tool_call_id: None,
            },
            Message {
                role: MessageRole::Tool,
                content: vec![ContentPart::Text {
                    text: r#"{"temp_c":18}"#.into(),
                }],
                tool_calls: vec![],
                tool_call_id: Some("call_abc".into()),
            },
        ],
        tools: vec![Tool {
            name: "get_weather".into(),
            description: Some("Get weather".into()),
            parameters: json!({"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}),
        }],
        tool_choice: Some(ToolChoice::Function {
            name: "get_weather".into(),
        }),
        response_format: Some(ResponseFormat::JsonSchema {
            name: "answer".into(),
            schema: json!({"type":"object","properties":{"a":{"type":"string"}},"required":["a"],"additionalProperties":false}),
            strict: true,
        }),
        temperature: Some(0.7),
        top_p: Some(1.0),
        max_output_tokens: Some(512),
        stop: vec!["\n\n".into()],
        seed: Some(42),
        stream: false,
        user: Some("u-123".into()),
        reasoning: Reasoning::from_effort_name("low"),
        cache_breakpoints: Vec::new(),
    }
}

/// What the adapter would send OpenAI for `req`, received by this surface.
fn through_the_adapter(req: &ChatRequest, stream: bool) -> ChatRequest {
    let sent = adapter::chat_request(&req.model, req, &adapter::Flavor::openai(), stream);
    let body: wire::ChatCompletionRequest =
        serde_json::from_value(serde_json::to_value(&sent).unwrap()).unwrap();
    convert::chat_request(body).unwrap()
}

#[test]
fn canonical_request_survives_the_adapter_and_the_surface() {
    let original = full_request();
    assert_eq!(through_the_adapter(&original, false), original);
    let streamed = ChatRequest {
        stream: true,
        ..full_request()
    };
    assert_eq!(through_the_adapter(&streamed, true), streamed);
    for choice in [ToolChoice::Auto, ToolChoice::Required, ToolChoice::None] {
        let mut r = full_request();
        r.tool_choice = Some(choice.clone());
        assert_eq!(through_the_adapter(&r, false).tool_choice, Some(choice));
    }
    for format in [ResponseFormat::Text, ResponseFormat::JsonObject] {
        let mut r = full_request();
        r.response_format = Some(format.clone());
        assert_eq!(through_the_adapter(&r, false).response_format, Some(format));
    }
}

#[test]
fn canonical_response_survives_the_surface_and_the_adapter() {
    let original = ChatResponse {
        id: "chatcmpl-rt".into(),
        model: "gpt-4o".into(),
        message: Message {
            role: MessageRole::Assistant,
            content: vec![ContentPart::Text {
                text: "Calling the tool.".into(),
            }],
            tool_calls: vec![ToolCall {
                id: "call_1".into(),
                name: "get_weather".into(),
                arguments: r#"{"location":"Oslo"}"#.into(),
            }],
            tool_call_id: None,
        },
        finish_reason: FinishReason::ToolCalls,
        usage: Usage {
            input_tokens: 100,
            output_tokens: 40,
            cached_input_tokens: 64,
            reasoning_tokens: 12,
            ..Usage::default()
        },
        created_at: 1_754_999_000_000,
    };
    let ask = ChatRequest {
        model: "gpt-4o".into(),
        ..ChatRequest::default()
    };
    let read = |r: &ChatResponse| {
        let answered: upstream::ChatCompletion =
            serde_json::from_value(convert::chat_response(r)).unwrap();
        adapter::chat_response(answered, "gpt-4o", &ask).unwrap()
    };
    assert_eq!(read(&original), original);
    // A tool call without text answers `content: null`, read back as no text.
    let mut silent = original.clone();
    silent.message.content.clear();
    assert_eq!(read(&silent), silent);
}
