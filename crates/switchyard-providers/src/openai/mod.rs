//! The `openai` adapter (being written; until then the kind is reported unsupported).

use crate::{Adapters, BuildError, ProviderContext};
use switchyard_types::ProviderKind;

/// Build this kind's adapters.
pub fn adapters(_ctx: ProviderContext) -> Result<Adapters, BuildError> {
    Err(BuildError::Unsupported(ProviderKind::OpenAi))
}

/// Build the adapters for any OpenAI-compatible server.
pub fn compatible_adapters(_ctx: ProviderContext) -> Result<Adapters, BuildError> {
    Err(BuildError::Unsupported(ProviderKind::OpenAiCompatible))
}
