//! Canonical ⇄ `hf-inference` task bodies. Summarization takes the last user message
//! as its text; feature-extraction answers of every nesting are read into one vector
//! per input (token-level answers are mean-pooled); text-to-image bytes come back as
//! base64 with their media type, or as a `data:` URL when a URL was asked for.

use serde_json::Value;
use switchyard_types::ErrorKind;
use switchyard_types::chat::{
    ChatRequest, ChatResponse, ContentPart, FinishReason, Message, MessageRole, StreamEvent,
};
use switchyard_types::media::{GeneratedImage, ImageFormat};

use super::wire;
use crate::openai::convert::estimated_usage;
use crate::{EventStream, ProviderError};

/// The summarization request for a chat request: the last user message is the text.
pub fn summarization_request(
    request: &ChatRequest,
) -> Result<wire::TaskRequest<String, wire::SummarizationParameters>, ProviderError> {
    let text = request
        .messages
        .iter()
        .rev()
        .find(|m| m.role == MessageRole::User)
        .map(Message::joined_text)
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::BadRequest,
                "a summarization model needs a user message with the text to summarize",
            )
        })?;
    // `transformers` ignores temperature/top_p unless sampling, and refuses temperature 0.
    let sampling = request
        .temperature
        .map_or(request.top_p.is_some(), |t| t > 0.0);
    let generate = wire::GenerateParameters {
        max_new_tokens: request.max_output_tokens,
        do_sample: (request.temperature.is_some() || request.top_p.is_some()).then_some(sampling),
        temperature: request.temperature.filter(|t| *t > 0.0),
        top_p: request.top_p.filter(|_| sampling),
    };
    let parameters = (!generate.is_empty()).then_some(wire::SummarizationParameters {
        generate_parameters: Some(generate),
    });
    Ok(wire::TaskRequest {
        inputs: text,
        parameters,
    })
}

/// The chat response for a summary (usage estimated: the endpoint reports none).
pub fn summary_response(
    answer: wire::SummarizationResponse,
    model: &str,
    request: &ChatRequest,
) -> Result<ChatResponse, ProviderError> {
    let summary = match answer {
        wire::SummarizationResponse::Many(list) => list.into_iter().next(),
        wire::SummarizationResponse::One(one) => Some(one),
    }
    .ok_or_else(|| ProviderError::new(ErrorKind::UpstreamError, "upstream sent no summary"))?;
    let message = Message::text(MessageRole::Assistant, summary.summary_text);
    Ok(ChatResponse {
        id: format!("chatcmpl-{:024x}", rand::random::<u128>() >> 32),
        model: model.to_string(),
        usage: estimated_usage(request, &message),
        message,
        finish_reason: FinishReason::Stop,
        created_at: switchyard_types::now_millis(),
    })
}

/// A whole response replayed as stream events (no usage: the provider reported none).
pub fn whole_events(response: ChatResponse) -> EventStream {
    let mut events = Vec::new();
    for part in response.message.content {
        if let ContentPart::Text { text } = part
            && !text.is_empty()
        {
            events.push(StreamEvent::TextDelta { text });
        }
    }
    events.push(StreamEvent::Finish {
        reason: response.finish_reason,
    });
    Box::pin(futures::stream::iter(events.into_iter().map(Ok)))
}

fn shape_error(what: &str) -> ProviderError {
    ProviderError::new(
        ErrorKind::UpstreamError,
        format!("upstream sent embeddings of an unexpected shape: {what}"),
    )
}

fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.first().map_or(0, depth),
        _ => 0,
    }
}

fn vector(value: &Value) -> Result<Vec<f32>, ProviderError> {
    let items = value
        .as_array()
        .ok_or_else(|| shape_error("a vector is not a list"))?;
    let out: Vec<f32> = items
        .iter()
        .map(|n| n.as_f64().map(|f| f as f32))
        .collect::<Option<_>>()
        .ok_or_else(|| shape_error("a vector holds something other than numbers"))?;
    if out.is_empty() {
        return Err(shape_error("an empty vector"));
    }
    Ok(out)
}

/// The element-wise mean of token vectors (all tokens weighted equally).
fn mean_pool(rows: &Value) -> Result<Vec<f32>, ProviderError> {
    let rows = rows
        .as_array()
        .filter(|r| !r.is_empty())
        .ok_or_else(|| shape_error("no token vectors"))?;
    let mut sum: Vec<f64> = Vec::new();
    for row in rows {
        let v = vector(row)?;
        if sum.is_empty() {
            sum = vec![0.0; v.len()];
        }
        if v.len() != sum.len() {
            return Err(shape_error("token vectors of different lengths"));
        }
        for (s, x) in sum.iter_mut().zip(v) {
            *s += f64::from(x);
        }
    }
    let n = rows.len() as f64;
    Ok(sum.into_iter().map(|s| (s / n) as f32).collect())
}

/// One vector per input from a feature-extraction answer: `[[…],[…]]` (pooled, one per
/// input), `[…]` (one input), or token-level `[[[…]…]…]` (one matrix per input; a
/// single input may also come back as its bare `[[…]…]` matrix), mean-pooled.
pub fn embeddings(value: &Value, inputs: usize) -> Result<Vec<Vec<f32>>, ProviderError> {
    let outer = value.as_array().ok_or_else(|| shape_error("not a list"))?;
    let vectors: Vec<Vec<f32>> = match depth(value) {
        1 if inputs == 1 => vec![vector(value)?],
        2 if outer.len() == inputs => outer.iter().map(vector).collect::<Result<_, _>>()?,
        2 if inputs == 1 => vec![mean_pool(value)?],
        3 if outer.len() == inputs => outer.iter().map(mean_pool).collect::<Result<_, _>>()?,
        _ => {
            return Err(shape_error(&format!(
                "{} levels of nesting and {} entries for {inputs} inputs",
                depth(value),
                outer.len()
            )));
        }
    };
    Ok(vectors)
}

/// `WIDTHxHEIGHT` → width and height; `auto` or nothing → neither.
pub fn image_size(size: Option<&str>) -> Result<wire::TextToImageParameters, ProviderError> {
    let Some(size) = size
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "auto")
    else {
        return Ok(wire::TextToImageParameters::default());
    };
    let parsed = size
        .split_once(['x', 'X'])
        .and_then(|(w, h)| Some((w.trim().parse().ok()?, h.trim().parse().ok()?)));
    match parsed {
        Some((w, h)) => Ok(wire::TextToImageParameters {
            width: Some(w),
            height: Some(h),
        }),
        None => Err(ProviderError::new(
            ErrorKind::BadRequest,
            format!("image size `{size}` is not WIDTHxHEIGHT"),
        )),
    }
}

/// One generated image from the raw bytes a text-to-image call answered with.
pub fn generated_image(
    content_type: &str,
    bytes: &[u8],
    wanted: ImageFormat,
) -> Result<GeneratedImage, ProviderError> {
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if !media_type.starts_with("image/") || bytes.is_empty() {
        return Err(ProviderError::new(
            ErrorKind::UpstreamError,
            format!(
                "upstream answered a text-to-image call with {} bytes of `{content_type}`, not an image",
                bytes.len()
            ),
        ));
    }
    let data = base64(bytes);
    Ok(match wanted {
        ImageFormat::Url => GeneratedImage {
            url: Some(format!("data:{media_type};base64,{data}")),
            ..GeneratedImage::default()
        },
        ImageFormat::B64Json => GeneratedImage {
            b64_json: Some(data),
            media_type: Some(media_type),
            ..GeneratedImage::default()
        },
    })
}

/// Standard base64 with padding (RFC 4648 §4).
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (raw, encoded) in cases {
            assert_eq!(base64(raw.as_bytes()), encoded);
        }
        assert_eq!(base64(&[0xff, 0xfe, 0x00]), "//4A");
    }

    #[test]
    fn every_embedding_shape_gives_one_vector_per_input() {
        let pooled = json!([[0.1, 0.2], [0.3, 0.4]]);
        assert_eq!(
            embeddings(&pooled, 2).unwrap(),
            vec![vec![0.1, 0.2], vec![0.3, 0.4]]
        );
        assert_eq!(
            embeddings(&json!([0.5, 0.25]), 1).unwrap(),
            vec![vec![0.5, 0.25]]
        );
        let tokens = json!([
            [[1.0, 2.0], [3.0, 4.0]],
            [[0.0, 0.0], [2.0, 2.0], [4.0, 4.0]]
        ]);
        assert_eq!(
            embeddings(&tokens, 2).unwrap(),
            vec![vec![2.0, 3.0], vec![2.0, 2.0]]
        );
        let one_matrix = json!([[1.0, 1.0], [3.0, 5.0], [5.0, 0.0]]);
        assert_eq!(embeddings(&one_matrix, 1).unwrap(), vec![vec![3.0, 2.0]]);
        for bad in [
            json!({"error": "x"}),
            json!([["a"]]),
            json!([[[1.0], [1.0, 2.0]]]),
            json!([[[[1.0]]]]),
            json!([]),
        ] {
            let e = embeddings(&bad, if bad.is_array() { 1 } else { 2 }).unwrap_err();
            assert_eq!(e.kind, ErrorKind::UpstreamError, "{bad}");
        }
        assert!(embeddings(&json!([[0.1], [0.2]]), 3).is_err());
    }

    #[test]
    fn sizes_parse_or_are_refused() {
        let p = image_size(Some("768x512")).unwrap();
        assert_eq!((p.width, p.height), (Some(768), Some(512)));
        assert_eq!(image_size(Some("auto")).unwrap().width, None);
        assert_eq!(image_size(None).unwrap().height, None);
        assert_eq!(
            image_size(Some("big")).unwrap_err().kind,
            ErrorKind::BadRequest
        );
    }
}
