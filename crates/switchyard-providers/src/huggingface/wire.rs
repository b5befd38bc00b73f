//! JSON bodies of the classic `hf-inference` task endpoints (`POST {base}/{model}`):
//! `{"inputs": …, "parameters": {…}}` requests and the summarization / error answers.
//! Feature-extraction answers are nested float arrays, read as raw JSON in `convert`;
//! text-to-image answers are raw image bytes, not JSON.

use serde::{Deserialize, Serialize};

/// A task request: the inputs and optional task parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskRequest<I, P> {
    pub inputs: I,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<P>,
}

/// `summarization` parameters.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct SummarizationParameters {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generate_parameters: Option<GenerateParameters>,
}

/// The generation settings passed to `transformers`' `generate`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct GenerateParameters {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_new_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub do_sample: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
}

impl GenerateParameters {
    /// Whether no setting is present (then the member is left out).
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// `text-to-image` parameters.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct TextToImageParameters {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

/// One summary (`[{"summary_text": …}]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Summary {
    pub summary_text: String,
}

/// A summarization answer: a list (the documented shape) or a bare object.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum SummarizationResponse {
    Many(Vec<Summary>),
    One(Summary),
}

/// An error answer: `{"error": "…", "estimated_time": 20.0}` while a model loads.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub error: Option<serde_json::Value>,
    #[serde(default)]
    pub estimated_time: Option<f64>,
}
