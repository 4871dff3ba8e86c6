//! A small server-sent events parser, fed the raw byte chunks of a response body.
//!
//! It understands what Leadline sends (`id:`, `event:`, `data:`, `retry:`, comments, a blank
//! line ending an event) and keeps its buffers between events, so a steady stream costs no
//! allocation per event.

/// One complete event, borrowed from the parser's buffers until the callback returns.
pub struct Event<'a> {
    /// `event:` (empty when the event had none, which means "message").
    pub name: &'a [u8],
    /// The `data:` lines, joined by `\n`.
    pub data: &'a [u8],
}

#[derive(Default)]
pub struct Parser {
    buf: Vec<u8>,
    name: Vec<u8>,
    data: Vec<u8>,
    has_data: bool,
    /// The last `id:` seen: a reconnect sends it as `Last-Event-ID`.
    pub last_id: Option<i64>,
}

impl Parser {
    /// Forgets a half-received event (the stream broke; a new one starts clean).
    pub fn drop_partial(&mut self) {
        self.buf.clear();
        self.name.clear();
        self.data.clear();
        self.has_data = false;
    }

    /// Feeds one chunk; `on_event` is called for every event it completes.
    pub fn feed(&mut self, chunk: &[u8], mut on_event: impl FnMut(Event<'_>)) {
        self.buf.extend_from_slice(chunk);
        let mut start = 0;
        while let Some(len) = self.buf[start..].iter().position(|&b| b == b'\n') {
            let mut line = &self.buf[start..start + len];
            start += len + 1;
            if let [rest @ .., b'\r'] = line {
                line = rest;
            }
            if line.is_empty() {
                if self.has_data {
                    on_event(Event {
                        name: &self.name,
                        data: &self.data,
                    });
                }
                self.name.clear();
                self.data.clear();
                self.has_data = false;
                continue;
            }
            if line[0] == b':' {
                continue; // a comment (heartbeat)
            }
            let (field, value) = match line.iter().position(|&b| b == b':') {
                Some(i) => {
                    let v = &line[i + 1..];
                    (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
                }
                None => (line, &[][..]),
            };
            match field {
                b"event" => {
                    self.name.clear();
                    self.name.extend_from_slice(value);
                }
                b"data" => {
                    if self.has_data {
                        self.data.push(b'\n');
                    }
                    self.data.extend_from_slice(value);
                    self.has_data = true;
                }
                b"id" => {
                    if let Some(id) = std::str::from_utf8(value)
                        .ok()
                        .and_then(|v| v.trim().parse().ok())
                    {
                        self.last_id = Some(id);
                    }
                }
                _ => {} // retry: and anything unknown
            }
        }
        self.buf.drain(..start);
    }
}

/// The string value of `"field":"…"` in a flat JSON object, without parsing the rest
/// (the load generator's own ids hold no escapes).
pub fn json_str<'a>(json: &'a [u8], field: &str) -> Option<&'a [u8]> {
    let key = field.as_bytes();
    let mut from = 0;
    while from + key.len() + 2 <= json.len() {
        let at = json[from..]
            .windows(key.len() + 2)
            .position(|w| w[0] == b'"' && w[key.len() + 1] == b'"' && &w[1..=key.len()] == key)?;
        let mut i = from + at + key.len() + 2;
        while json.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
            i += 1;
        }
        if json.get(i) == Some(&b':') {
            i += 1;
            while json.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
                i += 1;
            }
            if json.get(i) != Some(&b'"') {
                return None; // null
            }
            let rest = &json[i + 1..];
            let end = rest.iter().position(|&b| b == b'"')?;
            return Some(&rest[..end]);
        }
        from = from + at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(chunks: &[&[u8]]) -> (Vec<(String, String)>, Option<i64>) {
        let mut p = Parser::default();
        let mut out = Vec::new();
        for c in chunks {
            p.feed(c, |e| {
                out.push((
                    String::from_utf8_lossy(e.name).into_owned(),
                    String::from_utf8_lossy(e.data).into_owned(),
                ))
            });
        }
        (out, p.last_id)
    }

    #[test]
    fn parses_events_split_anywhere() {
        let stream = b": leadline\nretry: 1500\n\nid: 7\nevent: message\ndata: {\"a\":1}\n\n:\n\nid: 8\nevent: counts\r\ndata: x\ndata: y\n\n";
        let whole = events(&[stream]);
        assert_eq!(
            whole.0,
            vec![
                ("message".into(), "{\"a\":1}".into()),
                ("counts".into(), "x\ny".into())
            ]
        );
        assert_eq!(whole.1, Some(8));
        for cut in 1..stream.len() {
            assert_eq!(
                events(&[&stream[..cut], &stream[cut..]]),
                whole,
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn finds_a_string_field() {
        let j = br#"{"id":"m1","body":"client_id","client_id":"lg42","seq":3}"#;
        assert_eq!(json_str(j, "client_id"), Some(&b"lg42"[..]));
        assert_eq!(
            json_str(br#"{"client_id" : "x"}"#, "client_id"),
            Some(&b"x"[..])
        );
        assert_eq!(json_str(br#"{"client_id":null}"#, "client_id"), None);
        assert_eq!(json_str(br#"{"id":"1"}"#, "client_id"), None);
    }
}
