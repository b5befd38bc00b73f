//! Context window, fourth in the chain: drops candidates whose window cannot hold the
//! prompt plus the requested output. A cheap upper bound of the prompt is computed once;
//! the real count runs only for windows that bound does not clear
//! (`estimate::prompt_tokens_if_tight`).

use switchyard_providers::tokens;

use super::{Candidates, Context, LlmError, Reason, Route, Strategy};
use crate::estimate;

/// See the module documentation.
pub struct ContextWindow;

const NAME: &str = "context_window";

impl Strategy for ContextWindow {
    fn name(&self) -> &'static str {
        NAME
    }

    fn priority(&self) -> u8 {
        40
    }

    fn apply(&self, ctx: &Context<'_>, set: &mut Candidates) -> Result<(), LlmError> {
        let Some(chat) = ctx.request.chat else {
            return Ok(());
        };
        let wanted_output = u64::from(chat.max_output_tokens.unwrap_or(0));
        let bound = tokens::quick_upper_bound(chat);
        let floor = u64::from(ctx.snapshot.floor().context_window);
        if bound <= floor.saturating_sub(wanted_output) {
            // Fits the smallest window in the catalog: fits every candidate.
            return Ok(());
        }
        let mut largest = 0;
        let mut counted = 0;
        let snapshot = ctx.snapshot;
        set.remove_if(snapshot, NAME, |c, card| {
            let window = card.context_window;
            largest = largest.max(window);
            let room = u64::from(window).saturating_sub(wanted_output);
            if bound <= room {
                return None;
            }
            let upstream = &snapshot.at(c.index).model.upstream_name;
            match estimate::prompt_tokens_if_tight(upstream, chat, room) {
                Some(tokens) if tokens > room => {
                    counted = counted.max(tokens);
                    Some(Reason::ContextTooSmall { tokens, room })
                }
                _ => None,
            }
        });
        if set.list.is_empty() {
            return Err(LlmError::ContextTooLong {
                tokens: counted,
                window: largest,
            });
        }
        Ok(())
    }

    fn note(&self, route: &Route) -> Option<String> {
        (route.kind != switchyard_types::ModelKind::Chat)
            .then(|| "not a chat request: no prompt to fit".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::RouteRequest;
    use crate::routing::testing::{Fixture, apply, names};
    use switchyard_types::GroupStrategy;
    use switchyard_types::chat::{ChatRequest, Message, MessageRole};

    #[test]
    fn windows_too_small_for_prompt_and_output_are_dropped() {
        let s = Fixture::new()
            .with_model("a", "tiny", |m| {
                m.context_window = 40;
                m.max_output_tokens = 10
            })
            .model("b", "big")
            .group(
                "g",
                GroupStrategy::Priority,
                &[("tiny", 1, 0), ("big", 1, 1)],
            )
            .build();
        let id = Fixture::identity();
        let long = ChatRequest {
            messages: vec![Message::text(MessageRole::User, "word ".repeat(200))],
            ..ChatRequest::default()
        };
        let request = RouteRequest {
            chat: Some(&long),
            ..Fixture::chat_request("g", &id)
        };
        let (set, ok) = apply(&ContextWindow, &s, &request, true);
        assert!(ok.is_ok());
        assert_eq!(names(&s, &set), ["b/big"]);
        assert!(matches!(
            set.removed[0].reason,
            Reason::ContextTooSmall { room: 40, .. }
        ));

        let short = ChatRequest {
            messages: vec![Message::text(MessageRole::User, "hi")],
            ..ChatRequest::default()
        };
        let request = RouteRequest {
            chat: Some(&short),
            ..request
        };
        let (set, _) = apply(&ContextWindow, &s, &request, true);
        assert_eq!(names(&s, &set), ["a/tiny", "b/big"]);

        // Asking for more output than the window leaves no room at all.
        let greedy = ChatRequest {
            max_output_tokens: Some(8192),
            ..short
        };
        let request = RouteRequest {
            chat: Some(&greedy),
            ..Fixture::chat_request("tiny", &id)
        };
        let (_, err) = apply(&ContextWindow, &s, &request, true);
        assert!(matches!(
            err,
            Err(LlmError::ContextTooLong { window: 40, .. })
        ));
    }
}
