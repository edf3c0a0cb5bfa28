//! JSON replies read as they arrive: the framing of one value in a buffer that grows piece by
//! piece ([`ValueScan`]), and a reader of a top-level array that hands over each element as
//! soon as its last byte is in ([`ArrayReader`]).
//!
//! Only the framing is followed here (strings with their escapes, nesting, scalars); each
//! framed value is then parsed by serde_json, which checks the rest. Used for the lists that
//! grow with a user's library: qBittorrent's `sync/maindata` and the Arrs' `queue/details`.

/// A value being framed: where it starts and what is open.
#[derive(Debug, Clone, Copy)]
struct ValueScan {
    start: usize,
    depth: usize,
    in_string: bool,
    escaped: bool,
    scalar: bool,
}

impl ValueScan {
    /// Where the value starts in the buffer.
    fn start(&self) -> usize {
        self.start
    }

    /// Moves the start after `n` bytes were dropped from the front of the buffer.
    fn shift(&mut self, n: usize) {
        self.start -= n;
    }
}

/// A closing `}` or `]` where a value should start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StrayCloser;

/// Frames the value that starts at (or is resumed from) `*pos` in `buf`: its byte range once
/// complete, `None` when more bytes are needed (`value` then keeps where it was).
///
/// A scalar (number, `true`, `null`) ends at the first `,`, `}`, `]` or space after it, so a
/// scalar at the very end of the input stays open until the caller knows no more will come.
fn frame(
    buf: &[u8],
    pos: &mut usize,
    value: &mut Option<ValueScan>,
) -> Result<Option<(usize, usize)>, StrayCloser> {
    let v = value.get_or_insert(ValueScan {
        start: *pos,
        depth: 0,
        in_string: false,
        escaped: false,
        scalar: false,
    });
    while let Some(&b) = buf.get(*pos) {
        if v.in_string {
            if v.escaped {
                v.escaped = false;
            } else if b == b'\\' {
                v.escaped = true;
            } else if b == b'"' {
                v.in_string = false;
                if v.depth == 0 {
                    *pos += 1;
                    return Ok(value.take().map(|v| (v.start, *pos)));
                }
            }
        } else if v.scalar {
            if matches!(b, b',' | b'}' | b']') || is_space(b) {
                return Ok(value.take().map(|v| (v.start, *pos)));
            }
        } else {
            match b {
                b'"' => v.in_string = true,
                b'{' | b'[' => v.depth += 1,
                b'}' | b']' => {
                    if v.depth == 0 {
                        *value = None;
                        return Err(StrayCloser);
                    }
                    v.depth -= 1;
                    if v.depth == 0 {
                        *pos += 1;
                        return Ok(value.take().map(|v| (v.start, *pos)));
                    }
                }
                _ if v.depth == 0 => v.scalar = true,
                _ => {}
            }
        }
        *pos += 1;
    }
    Ok(None)
}

/// JSON whitespace.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// The unread bytes of a reply fed piece by piece, and the value being framed in them: the
/// bookkeeping every reader here shares. After each piece only the value being framed (or
/// nothing) is kept.
#[derive(Debug, Default)]
pub(crate) struct Cursor {
    /// Unread bytes: the value being framed and what follows it.
    buf: Vec<u8>,
    /// Next byte of `buf` to look at.
    pos: usize,
    value: Option<ValueScan>,
}

impl Cursor {
    /// Appends the next piece of the reply.
    pub(crate) fn push(&mut self, piece: &[u8]) {
        self.buf.extend_from_slice(piece);
    }

    /// Drops what was read, keeping only the value being framed.
    pub(crate) fn compact(&mut self) {
        let keep = self.value.map_or(self.pos, |v| v.start());
        self.buf.drain(..keep);
        self.pos -= keep;
        if let Some(v) = &mut self.value {
            v.shift(keep);
        }
    }

    /// True while a value is framed but not complete.
    pub(crate) fn framing(&self) -> bool {
        self.value.is_some()
    }

    /// The next byte to look at (whitespace skipped between values), `None` when more bytes
    /// are needed.
    pub(crate) fn peek(&mut self) -> Option<u8> {
        if self.value.is_none() {
            while self.buf.get(self.pos).copied().is_some_and(is_space) {
                self.pos += 1;
            }
        }
        self.buf.get(self.pos).copied()
    }

    /// Steps over the byte [`Cursor::peek`] gave.
    pub(crate) fn advance(&mut self) {
        self.pos += 1;
    }

    /// Consumes `want` (the byte [`Cursor::peek`] gave is `b`) or fails naming `what`.
    pub(crate) fn expect(&mut self, b: u8, want: u8, what: &str) -> Result<(), String> {
        if b != want {
            return Err(self.unexpected(what));
        }
        self.advance();
        Ok(())
    }

    /// Frames the value at (or resumed from) the cursor: its byte range once complete,
    /// `None` when more bytes are needed; `what` names it in the error of a stray closer.
    pub(crate) fn frame(&mut self, what: &str) -> Result<Option<(usize, usize)>, String> {
        let at = self.pos;
        frame(&self.buf, &mut self.pos, &mut self.value).map_err(|_| {
            self.pos = at;
            self.unexpected(what)
        })
    }

    /// The bytes of a framed value.
    pub(crate) fn bytes(&self, (start, end): (usize, usize)) -> &[u8] {
        &self.buf[start..end]
    }

    /// "expected `what`, found ..." with the start of what is there.
    pub(crate) fn unexpected(&self, what: &str) -> String {
        format!(
            "expected {what}, found {}",
            crate::net::snippet(self.rest())
        )
    }

    /// What is left after the cursor.
    pub(crate) fn rest(&self) -> &[u8] {
        &self.buf[self.pos..]
    }
}

/// Where an [`ArrayReader`] is.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Before the opening `[`.
    #[default]
    Open,
    /// An element, or `]` when `first`.
    Element { first: bool },
    /// `,` or `]` after an element.
    After,
    /// After the closing `]`: only whitespace.
    Done,
}

/// Reads a reply that is one JSON array, element by element ([`ArrayReader::feed`], then
/// [`ArrayReader::finish`]). Only the element being framed is held.
#[derive(Debug, Default)]
pub(crate) struct ArrayReader {
    cursor: Cursor,
    step: Step,
    elements: usize,
}

impl ArrayReader {
    /// Takes the next piece of the reply and hands each element completed by it to `each`
    /// (its bytes and its 0-based index). An error, the reader's or `each`'s, is final.
    pub(crate) fn feed(
        &mut self,
        piece: &[u8],
        mut each: impl FnMut(&[u8], usize) -> Result<(), String>,
    ) -> Result<(), String> {
        self.cursor.push(piece);
        let result = self.run(&mut each);
        self.cursor.compact();
        result
    }

    /// The number of elements, once the whole reply has been fed.
    pub(crate) fn finish(
        mut self,
        each: impl FnMut(&[u8], usize) -> Result<(), String>,
    ) -> Result<usize, String> {
        // A scalar element right before the end stays open until now: close it with a space.
        if self.cursor.framing() {
            self.feed(b" ", each)?;
        }
        match self.step {
            Step::Done => Ok(self.elements),
            Step::Open => Err("an empty reply".to_string()),
            _ => Err(format!(
                "the reply ended inside the array, after {} elements (truncated)",
                self.elements
            )),
        }
    }

    fn run(
        &mut self,
        each: &mut impl FnMut(&[u8], usize) -> Result<(), String>,
    ) -> Result<(), String> {
        let c = &mut self.cursor;
        while let Some(b) = c.peek() {
            match self.step {
                Step::Open => {
                    c.expect(b, b'[', "a JSON array")?;
                    self.step = Step::Element { first: true };
                }
                Step::Element { first } => {
                    if first && b == b']' && !c.framing() {
                        c.advance();
                        self.step = Step::Done;
                        continue;
                    }
                    let Some(range) = c.frame("an element")? else {
                        return Ok(());
                    };
                    each(c.bytes(range), self.elements)?;
                    self.elements += 1;
                    self.step = Step::After;
                }
                Step::After => {
                    self.step = match b {
                        b',' => Step::Element { first: false },
                        b']' => Step::Done,
                        _ => return Err(c.unexpected("',' or ']' after an element")),
                    };
                    c.advance();
                }
                Step::Done => {
                    return Err(format!(
                        "trailing characters after the array: {}",
                        crate::net::snippet(c.rest())
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every element of `body` fed in pieces of `size`, as text.
    fn elements(body: &[u8], size: usize) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        let mut r = ArrayReader::default();
        for piece in body.chunks(size.max(1)) {
            r.feed(piece, |e, i| {
                assert_eq!(i, out.len());
                out.push(String::from_utf8_lossy(e).into_owned());
                Ok(())
            })?;
        }
        let n = r.finish(|e, _| {
            out.push(String::from_utf8_lossy(e).into_owned());
            Ok(())
        })?;
        assert_eq!(n, out.len());
        Ok(out)
    }

    #[test]
    fn elements_come_whole_however_the_reply_is_cut() {
        let body = br#" [ {"a":"x, ]\"}","b":[1,{"c":2}]}, "s\\", 12 ,null,[] ,true] "#;
        let want = [
            r#"{"a":"x, ]\"}","b":[1,{"c":2}]}"#,
            r#""s\\""#,
            "12",
            "null",
            "[]",
            "true",
        ];
        for size in [1, 2, 3, 5, 8, 64, 1000] {
            assert_eq!(elements(body, size).unwrap(), want, "pieces of {size}");
        }
        assert_eq!(elements(b"[]", 1).unwrap(), Vec::<String>::new());
        assert_eq!(elements(b"[7]", 1).unwrap(), ["7"]);
    }

    #[test]
    fn broken_arrays_are_errors_that_say_where() {
        for (body, want) in [
            (&b""[..], "empty"),
            (b"{}", "JSON array"),
            (b"[{\"a\":1}", "truncated"),
            (b"[1,", "truncated"),
            (b"[1] x", "trailing"),
            (b"[1 2]", "',' or ']'"),
            (b"[1,]", "an element"),
        ] {
            let err = elements(body, 1).unwrap_err();
            assert!(
                err.contains(want),
                "{:?}: {err}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn an_error_of_the_caller_stops_the_read() {
        let mut r = ArrayReader::default();
        let err = r
            .feed(b"[1,2,3]", |e, _| match e {
                b"2" => Err("two is refused".into()),
                _ => Ok(()),
            })
            .unwrap_err();
        assert_eq!(err, "two is refused");
    }
}
