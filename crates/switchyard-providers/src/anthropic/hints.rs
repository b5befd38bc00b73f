//! Canonical prompt-cache breakpoints and reasoning settings in Anthropic's terms:
//! `cache_control` on blocks and tools, and the `thinking` configuration.

use serde_json::{Value, json};
use switchyard_types::chat::{CacheBreakpoint, Reasoning};

use super::wire::{self, ContentBlock};

/// Anthropic's minimum thinking budget.
pub const MIN_THINKING_BUDGET: u32 = 1024;

/// `thinking` for a canonical reasoning setting: a budget (from `budget_tokens`, else from
/// the effort level; at least 1024) turns it on, 0 off, neither means adaptive.
pub fn thinking(r: &Reasoning) -> wire::ThinkingConfig {
    match r.budget_tokens.or(r.effort.map(|e| e.budget_tokens())) {
        Some(0) => wire::ThinkingConfig::Disabled,
        Some(budget) => wire::ThinkingConfig::Enabled {
            budget_tokens: budget.max(MIN_THINKING_BUDGET),
        },
        None => wire::ThinkingConfig::Adaptive,
    }
}

/// `cache_control` for a breakpoint: `{"type": "ephemeral"}`, with its `ttl` if given.
pub fn cache_control(bp: &CacheBreakpoint) -> Value {
    match &bp.ttl {
        Some(ttl) => json!({"type": "ephemeral", "ttl": ttl}),
        None => json!({"type": "ephemeral"}),
    }
}

/// Put a breakpoint's `cache_control` on a block (thinking blocks cannot carry one).
pub fn set_cache_control(block: Option<&mut ContentBlock>, bp: &CacheBreakpoint) {
    if let Some(
        ContentBlock::Text { cache_control, .. }
        | ContentBlock::Image { cache_control, .. }
        | ContentBlock::ToolUse { cache_control, .. }
        | ContentBlock::ToolResult { cache_control, .. },
    ) = block
    {
        *cache_control = Some(self::cache_control(bp));
    }
}
