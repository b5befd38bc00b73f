//! The built-in catalog used when the file defines no providers, models or groups:
//! the offline `mock` provider and one model of each kind.

use switchyard_types::{Capability, ModelKind, ProviderKind, TaskType};

use super::{ModelConfig, ProviderConfig};

/// Name of the built-in mock provider.
pub const MOCK_PROVIDER: &str = "mock";

/// The built-in `mock` provider and its models `mock-chat`, `mock-embed`, `mock-image`, `mock-video`.
pub fn builtin_mock() -> (ProviderConfig, Vec<ModelConfig>) {
    let mut provider = ProviderConfig::new(MOCK_PROVIDER, ProviderKind::Mock);
    provider.free_tier = true;

    let model = |name: &str, kind: ModelKind, task_types: Vec<TaskType>| {
        let mut m = ModelConfig::new(name, MOCK_PROVIDER);
        m.kinds = vec![kind];
        m.task_types = task_types;
        m.quality_tier = 5;
        m
    };

    let mut chat = model("mock-chat", ModelKind::Chat, text_task_types());
    chat.capabilities = vec![
        Capability::Stream,
        Capability::Tools,
        Capability::Vision,
        Capability::JsonMode,
    ];
    chat.context_window = 128_000;
    chat.max_output_tokens = 4096;

    let models = vec![
        chat,
        model(
            "mock-embed",
            ModelKind::Embedding,
            vec![TaskType::Embedding],
        ),
        model(
            "mock-image",
            ModelKind::Image,
            vec![TaskType::ImageGeneration],
        ),
        model(
            "mock-video",
            ModelKind::Video,
            vec![TaskType::VideoGeneration],
        ),
    ];
    (provider, models)
}

/// Every task type a chat model can serve: all but embedding, image and video generation.
pub fn text_task_types() -> Vec<TaskType> {
    TaskType::ALL
        .iter()
        .copied()
        .filter(|t| task_type_kind(*t) == ModelKind::Chat)
        .collect()
}

/// The model kind a task type needs.
pub fn task_type_kind(task_type: TaskType) -> ModelKind {
    match task_type {
        TaskType::Embedding => ModelKind::Embedding,
        TaskType::ImageGeneration => ModelKind::Image,
        TaskType::VideoGeneration => ModelKind::Video,
        TaskType::Chat
        | TaskType::CodeGeneration
        | TaskType::CodeCompletion
        | TaskType::Summarization
        | TaskType::Translation
        | TaskType::Classification
        | TaskType::SentimentAnalysis
        | TaskType::QuestionAnswering
        | TaskType::Extraction => ModelKind::Chat,
    }
}
