//! Server-sent events: an incremental decoder that accepts bytes exactly as they arrive
//! (events split across chunks, multi-line `data:`, comments, `event:` names, CRLF),
//! and a byte-stream adapter that yields events as soon as each is complete.

use bytes::{Buf, BytesMut};

/// One decoded event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `event:` field; empty when absent (the default "message" type).
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The `id:` field, if any.
    pub id: Option<String>,
}

/// Most bytes one event may hold before the stream is declared malformed.
pub const MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// Incremental SSE decoder; feed it chunks, take complete events out.
#[derive(Debug, Default)]
pub struct SseDecoder {
    buf: BytesMut,
    current: SseEvent,
    has_field: bool,
    current_has_data: bool,
    skip_lf: bool,
}

/// The input broke the protocol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    #[error("an event exceeded {MAX_EVENT_BYTES} bytes")]
    TooLarge,
    #[error("event data is not valid UTF-8")]
    NotUtf8,
}

impl SseDecoder {
    /// A decoder with nothing buffered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a chunk and return every event it completed, in order.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<SseEvent>, SseError> {
        self.buf.extend_from_slice(chunk);
        let mut out = Vec::new();
        loop {
            if self.skip_lf && !self.buf.is_empty() {
                if self.buf[0] == b'\n' {
                    self.buf.advance(1);
                }
                self.skip_lf = false;
            }
            let Some(pos) = self.buf.iter().position(|b| *b == b'\n' || *b == b'\r') else {
                break;
            };
            let line = self.buf.split_to(pos);
            let terminator = self.buf[0];
            self.buf.advance(1);
            if terminator == b'\r' {
                self.skip_lf = true;
            }
            let line = std::str::from_utf8(&line).map_err(|_| SseError::NotUtf8)?;
            if let Some(event) = self.line(line) {
                out.push(event);
            }
        }
        if self.buf.len() + self.current.data.len() > MAX_EVENT_BYTES {
            return Err(SseError::TooLarge);
        }
        Ok(out)
    }

    /// At end of input: the last event if it was complete but lacked its blank line.
    pub fn finish(&mut self) -> Option<SseEvent> {
        if !self.buf.is_empty() {
            let rest = self.buf.split();
            if let Ok(line) = std::str::from_utf8(&rest) {
                let line = line.to_string();
                if let Some(event) = self.line(&line) {
                    return Some(event);
                }
            }
        }
        self.dispatch()
    }

    fn line(&mut self, line: &str) -> Option<SseEvent> {
        if line.is_empty() {
            return self.dispatch();
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => {
                if self.current_has_data {
                    self.current.data.push('\n');
                }
                self.current.data.push_str(value);
                self.has_field = true;
                self.current_has_data = true;
            }
            "event" => {
                self.current.event = value.to_string();
                self.has_field = true;
            }
            "id" => {
                self.current.id = Some(value.to_string());
                self.has_field = true;
            }
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        if !self.has_field {
            return None;
        }
        self.has_field = false;
        self.current_has_data = false;
        Some(std::mem::take(&mut self.current))
    }
}

/// Turn a byte stream into a stream of SSE events, each yielded as soon as it is complete.
pub fn events<S, E>(bytes: S) -> impl futures::Stream<Item = Result<SseEvent, SseStreamError<E>>>
where
    S: futures::Stream<Item = Result<bytes::Bytes, E>> + Unpin,
{
    futures::stream::unfold(
        (
            bytes,
            SseDecoder::new(),
            std::collections::VecDeque::new(),
            false,
        ),
        |(mut bytes, mut decoder, mut ready, mut ended)| async move {
            use futures::StreamExt;
            loop {
                if let Some(event) = ready.pop_front() {
                    return Some((Ok(event), (bytes, decoder, ready, ended)));
                }
                if ended {
                    return None;
                }
                match bytes.next().await {
                    Some(Ok(chunk)) => match decoder.feed(&chunk) {
                        Ok(events) => ready.extend(events),
                        Err(e) => {
                            ended = true;
                            return Some((
                                Err(SseStreamError::Protocol(e)),
                                (bytes, decoder, ready, ended),
                            ));
                        }
                    },
                    Some(Err(e)) => {
                        ended = true;
                        return Some((
                            Err(SseStreamError::Transport(e)),
                            (bytes, decoder, ready, ended),
                        ));
                    }
                    None => {
                        ended = true;
                        ready.extend(decoder.finish());
                    }
                }
            }
        },
    )
}

/// Why an event stream stopped early.
#[derive(Debug, thiserror::Error)]
pub enum SseStreamError<E> {
    #[error("malformed event stream: {0}")]
    Protocol(SseError),
    #[error("connection failed mid-stream: {0}")]
    Transport(E),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut d = SseDecoder::new();
        let mut out = Vec::new();
        for c in chunks {
            out.extend(d.feed(c).unwrap());
        }
        out.extend(d.finish());
        out
    }

    #[test]
    fn events_split_anywhere_decode_the_same() {
        let text = b"event: message_start\ndata: {\"a\":1}\n\n: keep-alive\n\ndata: x\ndata: y\n\ndata: [DONE]\n\n";
        let whole = all(&[text]);
        assert_eq!(whole.len(), 3);
        assert_eq!(whole[0].event, "message_start");
        assert_eq!(whole[0].data, "{\"a\":1}");
        assert_eq!(whole[1].data, "x\ny");
        assert_eq!(whole[2].data, "[DONE]");
        for split in 1..text.len() {
            let (a, b) = text.split_at(split);
            assert_eq!(all(&[a, b]), whole, "split at {split}");
        }
        let bytes: Vec<&[u8]> = text.chunks(1).collect();
        assert_eq!(all(&bytes), whole);
    }

    #[test]
    fn crlf_and_cr_line_endings_work_even_split_between_cr_and_lf() {
        let crlf = all(&[b"data: a\r", b"\n\r\ndata: b\r\n\r\n"]);
        assert_eq!(
            crlf.iter().map(|e| e.data.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        let cr = all(&[b"data: a\r\rdata: b\r\r"]);
        assert_eq!(cr.len(), 2);
    }

    #[test]
    fn no_space_after_colon_and_final_event_without_blank_line() {
        let e = all(&[b"data:tight\n\ndata: last"]);
        assert_eq!(e[0].data, "tight");
        assert_eq!(e[1].data, "last");
    }

    #[tokio::test]
    async fn stream_yields_each_event_as_its_chunk_arrives() {
        use futures::StreamExt;
        let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = vec![
            Ok(bytes::Bytes::from_static(b"data: 1\n")),
            Ok(bytes::Bytes::from_static(b"\ndata: 2\n\n")),
            Err(std::io::Error::other("reset")),
        ];
        let mut s = std::pin::pin!(events(futures::stream::iter(chunks)));
        assert_eq!(s.next().await.unwrap().unwrap().data, "1");
        assert_eq!(s.next().await.unwrap().unwrap().data, "2");
        assert!(matches!(
            s.next().await,
            Some(Err(SseStreamError::Transport(_)))
        ));
        assert!(s.next().await.is_none());
    }
}
