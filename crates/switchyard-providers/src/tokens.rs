//! Token counting when a provider reports none: OpenAI's real BPE for OpenAI-family
//! models (o200k for gpt-4o and later, cl100k for older ones), a character estimate
//! for everything else. Used for the context-window check and for usage and cost.

use std::sync::OnceLock;

use switchyard_types::chat::{ChatRequest, ContentPart, Message};
use tiktoken_rs::CoreBPE;

/// Which counter fits a model name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tokenizer {
    /// `o200k_base`: gpt-4o, gpt-4.1, gpt-5, o-series.
    O200k,
    /// `cl100k_base`: gpt-4, gpt-3.5, text-embedding-3.
    Cl100k,
    /// About four characters a token.
    Estimate,
}

impl Tokenizer {
    /// The counter for an upstream model name.
    pub fn for_model(upstream_model: &str) -> Self {
        let m = upstream_model.rsplit('/').next().unwrap_or(upstream_model);
        let starts = |p: &[&str]| p.iter().any(|x| m.starts_with(x));
        if starts(&[
            "gpt-4o",
            "gpt-4.1",
            "gpt-4.5",
            "gpt-5",
            "o1",
            "o3",
            "o4",
            "chatgpt-4o",
            "gpt-oss",
        ]) {
            Self::O200k
        } else if starts(&["gpt-4", "gpt-3.5", "text-embedding-3", "text-embedding-ada"]) {
            Self::Cl100k
        } else {
            Self::Estimate
        }
    }

    fn bpe(self) -> Option<&'static CoreBPE> {
        static O200K: OnceLock<Option<CoreBPE>> = OnceLock::new();
        static CL100K: OnceLock<Option<CoreBPE>> = OnceLock::new();
        match self {
            Self::O200k => O200K
                .get_or_init(|| tiktoken_rs::o200k_base().ok())
                .as_ref(),
            Self::Cl100k => CL100K
                .get_or_init(|| tiktoken_rs::cl100k_base().ok())
                .as_ref(),
            Self::Estimate => None,
        }
    }

    /// Tokens in a text.
    pub fn count(self, text: &str) -> u64 {
        match self.bpe() {
            Some(bpe) => bpe.encode_ordinary(text).len() as u64,
            None => estimate(text),
        }
    }
}

/// About four characters a token; at least one for non-empty text.
pub fn estimate(text: &str) -> u64 {
    if text.is_empty() {
        0
    } else {
        (text.chars().count() as u64).div_ceil(4)
    }
}

/// [`estimate`], but at least one token even for empty text.
pub fn estimate_tokens(text: &str) -> u64 {
    estimate(text).max(1)
}

/// Tokens an image part costs when a provider does not say (OpenAI's low-detail tile).
const IMAGE_TOKENS: u64 = 85;
/// Per-message framing tokens in OpenAI's chat format, and the reply's priming.
const PER_MESSAGE: u64 = 3;
const REPLY_PRIMING: u64 = 3;

fn message_tokens(tokenizer: Tokenizer, m: &Message) -> u64 {
    let mut n = PER_MESSAGE;
    for part in &m.content {
        n += match part {
            ContentPart::Text { text } | ContentPart::Reasoning { text, .. } => {
                tokenizer.count(text)
            }
            ContentPart::ImageUrl { .. } | ContentPart::ImageBase64 { .. } => IMAGE_TOKENS,
        };
    }
    for call in &m.tool_calls {
        n += tokenizer.count(&call.name) + tokenizer.count(&call.arguments);
    }
    n
}

/// Prompt tokens of a chat request (messages, tool definitions) for `upstream_model`.
pub fn prompt_tokens(upstream_model: &str, request: &ChatRequest) -> u64 {
    let tokenizer = Tokenizer::for_model(upstream_model);
    let messages: u64 = request
        .messages
        .iter()
        .map(|m| message_tokens(tokenizer, m))
        .sum();
    let tools: u64 = request
        .tools
        .iter()
        .map(|t| {
            tokenizer.count(&t.name)
                + t.description.as_deref().map_or(0, |d| tokenizer.count(d))
                + tokenizer.count(&t.parameters.to_string())
        })
        .sum();
    messages + tools + REPLY_PRIMING
}

/// A cheap upper-bound guess of prompt tokens (no BPE): characters ÷ 3 plus framing.
/// When this fits a context window, the exact count surely does.
pub fn quick_upper_bound(request: &ChatRequest) -> u64 {
    let chars: usize = request
        .messages
        .iter()
        .flat_map(|m| m.content.iter())
        .map(|p| match p {
            ContentPart::Text { text } | ContentPart::Reasoning { text, .. } => text.len(),
            ContentPart::ImageUrl { .. } | ContentPart::ImageBase64 { .. } => {
                4 * IMAGE_TOKENS as usize
            }
        })
        .sum::<usize>()
        + request
            .messages
            .iter()
            .flat_map(|m| m.tool_calls.iter())
            .map(|c| c.arguments.len() + c.name.len())
            .sum::<usize>()
        + request
            .tools
            .iter()
            .map(|t| t.parameters.to_string().len() + t.name.len())
            .sum::<usize>();
    // Bytes ≥ characters, and every BPE token covers at least one byte… but rarely fewer
    // than three; framing adds a few per message.
    chars as u64 / 3 + PER_MESSAGE * request.messages.len() as u64 + REPLY_PRIMING + 16
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_types::chat::MessageRole;

    #[test]
    fn openai_models_use_the_real_bpe() {
        assert_eq!(Tokenizer::for_model("gpt-4o-mini"), Tokenizer::O200k);
        assert_eq!(Tokenizer::for_model("openai/gpt-4o"), Tokenizer::O200k);
        assert_eq!(Tokenizer::for_model("gpt-4-turbo"), Tokenizer::Cl100k);
        assert_eq!(
            Tokenizer::for_model("claude-3-5-haiku"),
            Tokenizer::Estimate
        );
        // Known counts: "hello world" is two tokens in both encodings.
        assert_eq!(Tokenizer::O200k.count("hello world"), 2);
        assert_eq!(Tokenizer::Cl100k.count("hello world"), 2);
        assert_eq!(Tokenizer::Estimate.count("hello world"), 3);
    }

    #[test]
    fn chat_prompt_counts_follow_openais_framing() {
        let req = ChatRequest {
            model: "m".into(),
            messages: vec![
                Message::text(MessageRole::System, "You are a helpful assistant."),
                Message::text(MessageRole::User, "hello world"),
            ],
            ..ChatRequest::default()
        };
        let system = Tokenizer::O200k.count("You are a helpful assistant.");
        assert_eq!(
            prompt_tokens("gpt-4o", &req),
            system + 2 + 2 * PER_MESSAGE + REPLY_PRIMING
        );
        assert!(quick_upper_bound(&req) >= prompt_tokens("gpt-4o", &req));
    }
}
