//! The `candump -l` log format (`(1436509052.249713) can0 1307C080#0011223344556677`): a
//! logger that wraps any bus and a replayer that plays a log back as a bus.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use super::{CanBus, CanFrame};
use crate::clock::Clock;
use crate::error::{PowerError, Result};

/// One line of a candump log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoggedFrame {
    /// Timestamp of the line (seconds since the Unix epoch in a live capture).
    pub ts: Duration,
    /// The frame.
    pub frame: CanFrame,
}

/// One candump log line for `frame` at `ts` on `iface`, without the newline.
pub fn format_candump_line(ts: Duration, iface: &str, frame: &CanFrame) -> String {
    format!(
        "({}.{:06}) {iface} {frame}",
        ts.as_secs(),
        ts.subsec_micros()
    )
}

fn parse_line(line: &str, n: usize) -> Result<LoggedFrame> {
    let bad = |reason: &str| PowerError::Candump {
        line: n,
        reason: reason.to_owned(),
    };
    let mut parts = line.split_whitespace();
    let ts = parts.next().ok_or_else(|| bad("empty line"))?;
    let ts = ts
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .ok_or_else(|| bad("timestamp not in parentheses"))?;
    let (secs, micros) = ts
        .split_once('.')
        .ok_or_else(|| bad("timestamp without fraction"))?;
    let secs: u64 = secs.parse().map_err(|_| bad("timestamp seconds"))?;
    let micros: u32 = micros.parse().map_err(|_| bad("timestamp fraction"))?;
    let _iface = parts.next().ok_or_else(|| bad("no interface"))?;
    let body = parts.next().ok_or_else(|| bad("no frame"))?;
    let (id, data) = body
        .split_once('#')
        .ok_or_else(|| bad("frame without '#'"))?;
    if id.len() != 8 {
        return Err(bad("not an extended (8 hex digit) id"));
    }
    let id = u32::from_str_radix(id, 16).map_err(|_| bad("id not hex"))?;
    if data.len() % 2 != 0 || data.len() > 16 {
        return Err(bad("data not 0-8 hex bytes"));
    }
    let bytes = (0..data.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&data[i..i + 2], 16))
        .collect::<std::result::Result<Vec<u8>, _>>()
        .map_err(|_| bad("data not hex"))?;
    let frame = CanFrame::new(id, &bytes).map_err(|e| bad(&e.to_string()))?;
    Ok(LoggedFrame {
        ts: Duration::new(secs, micros.saturating_mul(1000)),
        frame,
    })
}

/// Parses a whole log; blank lines are skipped.
pub fn parse_candump(text: &str) -> Result<Vec<LoggedFrame>> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| parse_line(l, i + 1))
        .collect()
}

/// Wraps a bus and writes every frame sent or received to a candump log.
pub struct CandumpLogger<B, W> {
    inner: B,
    out: W,
    iface: String,
    clock: Arc<dyn Clock>,
}

impl<B: CanBus, W: Write + Send> CandumpLogger<B, W> {
    /// Logs traffic of `inner` to `out` as interface `iface`, timestamped by `clock`'s wall time.
    pub fn new(inner: B, out: W, iface: &str, clock: Arc<dyn Clock>) -> Self {
        Self {
            inner,
            out,
            iface: iface.to_owned(),
            clock,
        }
    }

    /// Gives back the writer (to read a buffer in tests).
    pub fn into_writer(self) -> W {
        self.out
    }

    fn log(&mut self, frame: &CanFrame) -> Result<()> {
        let ms = u64::try_from(self.clock.unix_ms()).unwrap_or(0);
        let ts = Duration::from_millis(ms);
        writeln!(self.out, "{}", format_candump_line(ts, &self.iface, frame))?;
        Ok(())
    }
}

impl<B: CanBus, W: Write + Send> CanBus for CandumpLogger<B, W> {
    fn send(&mut self, frame: &CanFrame) -> Result<()> {
        self.inner.send(frame)?;
        self.log(frame)
    }

    fn recv(&mut self, timeout: Duration) -> Result<Option<CanFrame>> {
        let got = self.inner.recv(timeout)?;
        if let Some(f) = &got {
            self.log(f)?;
        }
        Ok(got)
    }
}

/// Plays a log back as a bus: each frame is received once the clock has run as far past the
/// start as the frame was past the log's first line. Sent frames are kept for inspection.
pub struct CandumpReplay {
    frames: Vec<LoggedFrame>,
    next: usize,
    clock: Arc<dyn Clock>,
    start: Duration,
    sent: Vec<CanFrame>,
}

impl CandumpReplay {
    /// Replays `frames`, paced by `clock` from its present reading.
    pub fn new(frames: Vec<LoggedFrame>, clock: Arc<dyn Clock>) -> Self {
        let start = clock.now();
        Self {
            frames,
            next: 0,
            clock,
            start,
            sent: Vec::new(),
        }
    }

    /// Frames the user sent to this replay bus.
    pub fn sent(&self) -> &[CanFrame] {
        &self.sent
    }

    fn due(&self) -> Option<Duration> {
        let first = self.frames.first()?.ts;
        let f = self.frames.get(self.next)?;
        Some(self.start + f.ts.saturating_sub(first))
    }
}

impl CanBus for CandumpReplay {
    fn send(&mut self, frame: &CanFrame) -> Result<()> {
        self.sent.push(*frame);
        Ok(())
    }

    fn recv(&mut self, timeout: Duration) -> Result<Option<CanFrame>> {
        let Some(due) = self.due() else {
            return Ok(None);
        };
        let now = self.clock.now();
        if due > now {
            if !self.clock.is_real() || due > now + timeout {
                return Ok(None);
            }
            std::thread::sleep(due - now);
        }
        self.next += 1;
        Ok(Some(self.frames[self.next - 1].frame))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::can::VirtualBus;
    use crate::clock::ManualClock;

    #[test]
    fn parses_and_formats_candump_lines() {
        let text = "(1436509052.249713) can0 0289F000#00030D4000001388\n\n(1436509052.250000) can0 029A3FF0#01\n";
        let frames = parse_candump(text).unwrap();
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0].frame.id(), 0x0289_F000);
        assert_eq!(
            frames[0].frame.data(),
            &[0, 3, 0x0D, 0x40, 0, 0, 0x13, 0x88]
        );
        assert_eq!(frames[1].frame.data(), &[1]);
        let line = format_candump_line(frames[0].ts, "can0", &frames[0].frame);
        assert_eq!(line, "(1436509052.249713) can0 0289F000#00030D4000001388");
    }

    #[test]
    fn rejects_malformed_lines_with_their_number() {
        let err =
            parse_candump("(1.000000) can0 0289F000#00030D4000001388\n(x) can0 1#00").unwrap_err();
        assert!(matches!(err, PowerError::Candump { line: 2, .. }), "{err}");
        assert!(
            parse_candump("(1.0) can0 123#00").is_err(),
            "standard ids are refused"
        );
        assert!(parse_candump("(1.0) can0 0289F000#0").is_err());
    }

    #[test]
    fn logger_records_both_directions_and_replay_paces_by_clock() {
        let clock = Arc::new(ManualClock::new(1_700_000_000_000));
        let bus = VirtualBus::new(clock.clone(), 125_000);
        let mut peer = bus.node();
        let mut logged = CandumpLogger::new(bus.node(), Vec::new(), "can0", clock.clone());
        logged
            .send(&CanFrame::with_payload(0x0283_01F0, [0; 8]))
            .unwrap();
        clock.advance(Duration::from_millis(5));
        assert!(peer.try_recv().unwrap().is_some());
        peer.send(&CanFrame::with_payload(0x0283_F001, [1; 8]))
            .unwrap();
        clock.advance(Duration::from_millis(5));
        assert!(logged.try_recv().unwrap().is_some());
        let text = String::from_utf8(logged.into_writer()).unwrap();
        let frames = parse_candump(&text).unwrap();
        assert_eq!(frames.len(), 2);

        let replay_clock = Arc::new(ManualClock::new(0));
        let mut replay = CandumpReplay::new(frames, replay_clock.clone());
        assert_eq!(
            replay.try_recv().unwrap().map(|f| f.id()),
            Some(0x0283_01F0)
        );
        assert_eq!(
            replay.try_recv().unwrap(),
            None,
            "second frame is 10 ms later"
        );
        replay_clock.advance(Duration::from_millis(9));
        assert_eq!(replay.try_recv().unwrap(), None);
        replay_clock.advance(Duration::from_millis(1));
        assert_eq!(
            replay.try_recv().unwrap().map(|f| f.id()),
            Some(0x0283_F001)
        );
        replay.send(&CanFrame::with_payload(1, [0; 8])).unwrap();
        assert_eq!(replay.sent().len(), 1);
    }
}
