//! The abilities a request needs from a model, derived from the request itself: tools
//! when it offers tools, vision when it carries images, JSON mode when it asks for a
//! JSON response, streaming when it streams. A small bit set, cheap to compare.

use switchyard_types::Capability;
use switchyard_types::chat::{ChatRequest, ContentPart, ResponseFormat, ToolChoice};

/// A set of [`Capability`] values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs(u8);

fn bit(c: Capability) -> u8 {
    match c {
        Capability::Stream => 1,
        Capability::Tools => 2,
        Capability::Vision => 4,
        Capability::JsonMode => 8,
        Capability::Reasoning => 16,
    }
}

impl Needs {
    /// Nothing needed.
    pub const NONE: Needs = Needs(0);

    /// What a chat request needs (streaming is added by the streaming entry points).
    pub fn of_chat(request: &ChatRequest) -> Self {
        let mut needs = Self::NONE;
        if request.stream {
            needs = needs.with(Capability::Stream);
        }
        if !request.tools.is_empty() && !matches!(request.tool_choice, Some(ToolChoice::None)) {
            needs = needs.with(Capability::Tools);
        }
        let images = request.messages.iter().flat_map(|m| &m.content).any(|p| {
            matches!(
                p,
                ContentPart::ImageUrl { .. } | ContentPart::ImageBase64 { .. }
            )
        });
        if images {
            needs = needs.with(Capability::Vision);
        }
        if matches!(
            request.response_format,
            Some(ResponseFormat::JsonObject | ResponseFormat::JsonSchema { .. })
        ) {
            needs = needs.with(Capability::JsonMode);
        }
        needs
    }

    /// This set plus `c`.
    pub fn with(self, c: Capability) -> Self {
        Self(self.0 | bit(c))
    }

    /// Whether `c` is in the set.
    pub fn contains(self, c: Capability) -> bool {
        self.0 & bit(c) != 0
    }

    /// True when nothing is needed.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Union of two sets.
    pub fn union(self, other: Needs) -> Self {
        Self(self.0 | other.0)
    }

    /// What both sets hold.
    pub fn intersection(self, other: Needs) -> Self {
        Self(self.0 & other.0)
    }

    /// What of this set `offered` lacks.
    pub fn without(self, offered: Needs) -> Needs {
        Self(self.0 & !offered.0)
    }

    /// What of this set a model declaring `capabilities` lacks.
    pub fn missing(self, capabilities: &[Capability]) -> Needs {
        let offered = capabilities.iter().fold(0, |acc, c| acc | bit(*c));
        Self(self.0 & !offered)
    }

    /// The capabilities in the set, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = Capability> {
        Capability::ALL
            .iter()
            .copied()
            .filter(move |c| self.contains(*c))
    }
}

impl std::fmt::Display for Needs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_empty() {
            return f.write_str("nothing");
        }
        for (i, c) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(c.as_str())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_types::chat::{Message, MessageRole, Tool};

    #[test]
    fn needs_come_from_the_request() {
        let mut r = ChatRequest {
            messages: vec![Message::text(MessageRole::User, "hi")],
            ..ChatRequest::default()
        };
        assert_eq!(Needs::of_chat(&r), Needs::NONE);
        r.stream = true;
        r.tools = vec![Tool {
            name: "f".into(),
            description: None,
            parameters: serde_json::json!({}),
        }];
        r.response_format = Some(ResponseFormat::JsonObject);
        r.messages[0].content.push(ContentPart::ImageUrl {
            url: "https://x/y.png".into(),
            detail: None,
        });
        let n = Needs::of_chat(&r);
        assert_eq!(n.to_string(), "stream, tools, vision, json_mode");
        r.tool_choice = Some(ToolChoice::None);
        assert!(!Needs::of_chat(&r).contains(Capability::Tools));
        let missing = n.missing(&[Capability::Stream, Capability::Vision]);
        assert_eq!(missing.to_string(), "tools, json_mode");
        assert!(n.missing(Capability::ALL).is_empty());
    }
}
