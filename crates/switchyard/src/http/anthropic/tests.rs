//! The surface against the `anthropic` adapter: what the adapter sends Anthropic, read
//! by this surface as a client's request, is the canonical request it started from; a
//! response Anthropic sends, through the adapter and back out of this surface, is the
//! response Anthropic sent.

use serde_json::{Value, json};
use switchyard_providers::Target;
use switchyard_providers::anthropic::{AnthropicOptions, convert as adapter, wire as upstream};
use switchyard_types::chat::{
    ChatRequest, ContentPart, Message, MessageRole, Reasoning, Tool, ToolCall, ToolChoice, Usage,
    UsageSource,
};

use super::{convert, wire};

const T: Target<'static> = Target {
    model: "claude-sonnet",
    upstream_model: "claude-sonnet-4-5",
};

/// A conversation using every feature the adapter translates.
fn full_request() -> ChatRequest {
    ChatRequest {
        model: "claude-sonnet".into(),
        messages: vec![
            Message::text(MessageRole::System, "You are terse."),
            Message {
                role: MessageRole::User,
                content: vec![
                    ContentPart::Text {
                        text: "What's in this image?".into(),
                    },
                    ContentPart::ImageBase64 {
                        media_type: "image/png".into(),
                        data: "iVBORw0KGgo=".into(),
                    },
                    ContentPart::ImageUrl {
                        url: "https://example.com/a.jpg".into(),
                        detail: None,
                    },
                ],
                tool_calls: vec![],
                tool_call_id: None,
            },
            Message {
                role: MessageRole::Assistant,
                content: vec![
                    ContentPart::Reasoning {
                        text: "Check the weather.".into(),
                        signature: Some("EqQBCgIYAhIM".into()),
                    },
                    ContentPart::Text {
                        text: "Let me check.".into(),
                    },
                ],
                tool_calls: vec![ToolCall {
                    id: "toolu_01".into(),
                    name: "get_weather".into(),
                    arguments: r#"{"location":"Paris"}"#.into(),
                }],
                tool_call_id: None,
            },
            Message {
                role: MessageRole::Tool,
                content: vec![ContentPart::Text {
                    text: "18C sunny".into(),
                }],
                tool_calls: vec![],
                tool_call_id: Some("toolu_01".into()),
            },
            Message::text(MessageRole::User, "And tomorrow?"),
        ],
        tools: vec![Tool {
            name: "get_weather".into(),
            description: Some("Get weather".into()),
            parameters: json!({"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}),
        }],
        tool_choice: Some(ToolChoice::Function {
            name: "get_weather".into(),
        }),
        temperature: Some(0.7),
        max_output_tokens: Some(1024),
        stop: vec!["END".into()],
        user: Some("u-123".into()),
        ..ChatRequest::default()
    }
}

/// What the adapter would send Anthropic for `req`, received by this surface.
fn through_the_adapter(req: &ChatRequest, stream: bool) -> ChatRequest {
    let sent = adapter::request(T, req, &AnthropicOptions::default(), stream).unwrap();
    let body: wire::MessagesRequest =
        serde_json::from_value(serde_json::to_value(&sent).unwrap()).unwrap();
    convert::chat_request(body).unwrap()
}

#[test]
fn canonical_request_survives_the_adapter_and_the_surface() {
    let req = full_request();
    let mut expected = req.clone();
    expected.model = "claude-sonnet-4-5".into();
    expected.stream = true;
    assert_eq!(through_the_adapter(&req, true), expected);
    for choice in [ToolChoice::Auto, ToolChoice::Required, ToolChoice::None] {
        let mut r = full_request();
        r.tool_choice = Some(choice.clone());
        assert_eq!(through_the_adapter(&r, false).tool_choice, Some(choice));
    }
}

/// Two responses as Anthropic sends them: text and a tool call; thinking, redacted
/// thinking and text.
const RESPONSES: [&str; 2] = [
    r#"{"id":"msg_013Zva2CMHLNnXjNJJKqJ2EF","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"Hi! I'm Claude."},{"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"get_weather","input":{"location":"Paris"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":2095,"output_tokens":503,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"service_tier":"standard"}}"#,
    r#"{"id":"msg_01Thinking7Yq2wVQbUu3bQ","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"thinking","thinking":"The user wants the GCD of 1071 and 462. 1071 = 2 x 462 + 147; 462 = 3 x 147 + 21; 147 = 7 x 21.","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"},{"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"},{"type":"text","text":"The greatest common divisor of 1071 and 462 is **21**."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":57,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":312,"service_tier":"standard"}}"#,
];

#[test]
fn anthropic_response_survives_the_adapter_and_the_surface() {
    for text in RESPONSES {
        let original: Value = serde_json::from_str(text).unwrap();
        let parsed: upstream::MessagesResponse = serde_json::from_str(text).unwrap();
        let target = Target {
            model: &parsed.model,
            upstream_model: &parsed.model,
        };
        let canonical = adapter::response(target, parsed.clone());
        let back = serde_json::to_value(convert::chat_response(&canonical)).unwrap();
        for field in ["id", "type", "role", "model", "content", "stop_reason"] {
            assert_eq!(
                back[field], original[field],
                "{field} of {}",
                original["id"]
            );
        }
        for field in ["input_tokens", "output_tokens"] {
            assert_eq!(back["usage"][field], original["usage"][field]);
        }
    }
}

#[test]
fn usage_reads_back_as_the_same_canonical_usage() {
    let usage = Usage {
        input_tokens: 2062,
        output_tokens: 87,
        cached_input_tokens: 2048,
        cache_creation_input_tokens: 10,
        reasoning_tokens: 0,
        source: UsageSource::Provider,
    };
    let w = convert::usage(&usage);
    assert_eq!(
        (
            w.input_tokens,
            w.cache_read_input_tokens,
            w.cache_creation_input_tokens
        ),
        (4, Some(2048), Some(10))
    );
    let read: upstream::Usage = serde_json::from_value(serde_json::to_value(&w).unwrap()).unwrap();
    assert_eq!(adapter::usage(&read), usage);
}

#[test]
fn cache_control_and_thinking_survive_the_canonical_model() {
    let schema = json!({"type":"object","properties":{"city":{"type":"string"}}});
    let sent = json!({
        "model": "claude-sonnet-4-5",
        "max_tokens": 8192,
        "system": [
            {"type": "text", "text": "You are terse."},
            {"type": "text", "text": "Reference text.", "cache_control": {"type": "ephemeral", "ttl": "1h"}}
        ],
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "Document A", "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": "Summarise it."}
            ]},
            {"role": "assistant", "content": [{"type": "text", "text": "Done."}]},
            {"role": "user", "content": [
                {"type": "text", "text": "Shorter.", "cache_control": {"type": "ephemeral"}}
            ]}
        ],
        "tools": [
            {"name": "get_weather", "description": "Weather", "input_schema": schema},
            {"name": "get_time", "input_schema": schema, "cache_control": {"type": "ephemeral"}}
        ],
        "thinking": {"type": "enabled", "budget_tokens": 4096}
    });
    let canonical = convert::chat_request(serde_json::from_value(sent.clone()).unwrap()).unwrap();
    // The marked block that did not end its turn now ends a canonical message.
    assert_eq!(canonical.messages.len(), 6);
    assert_eq!(
        serde_json::to_value(&canonical.cache_breakpoints).unwrap(),
        json!([
            {"at": {"kind": "message", "index": 1}, "ttl": "1h"},
            {"at": {"kind": "message", "index": 2}},
            {"at": {"kind": "message", "index": 5}},
            {"at": {"kind": "tool", "index": 1}}
        ])
    );
    assert_eq!(
        canonical.reasoning,
        Some(Reasoning {
            effort: None,
            budget_tokens: Some(4096)
        })
    );
    let back = adapter::request(T, &canonical, &AnthropicOptions::default(), false).unwrap();
    assert_eq!(serde_json::to_value(&back).unwrap(), sent);
}

#[test]
fn invalid_requests_name_the_field() {
    let refused = |body: Value| {
        let e = convert::chat_request(serde_json::from_value(body).unwrap()).unwrap_err();
        (e.param.unwrap_or_default(), e.message)
    };
    let hi = json!([{"role": "user", "content": "hi"}]);
    assert_eq!(
        refused(json!({"model": "m", "max_tokens": 0, "messages": hi})),
        ("max_tokens".into(), "max_tokens: must be at least 1".into())
    );
    assert_eq!(
        refused(json!({"model": "m", "max_tokens": 5, "messages": []})),
        (
            "messages".into(),
            "messages: must contain at least one message".into()
        )
    );
    assert_eq!(
        refused(json!({"model": "m", "max_tokens": 5, "messages": hi,
            "tools": [{"type": "web_search_20250305", "name": "web_search"}]})),
        (
            "tools[0]".into(),
            "tools[0]: server tool `web_search_20250305` is not supported by this gateway".into()
        )
    );
}
