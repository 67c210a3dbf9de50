//! A small Wadler-style layout engine: a statement is a tree of groups, and a
//! group is printed on one line when it fits, else each of its line breaks
//! becomes a newline. Comments force the groups around them to break.

/// A layout document.
#[derive(Debug, Clone)]
pub(super) enum Doc {
    /// Text printed as is (a space-only text is dropped at a line start).
    Text(String),
    /// A space, or a newline when the enclosing group breaks.
    Line,
    /// Nothing, or a newline when the enclosing group breaks.
    SoftLine,
    /// Text printed only when the enclosing group breaks (a trailing comma).
    IfBreak(&'static str),
    /// A comment; `trailing` ones stay at the end of the current line. A
    /// newline always follows.
    Comment {
        /// The comment from `#` on.
        text: String,
        /// Whether it follows code on its line.
        trailing: bool,
    },
    /// Printed flat if it fits, else broken.
    Group(Vec<Doc>),
    /// Its contents' newlines indent by this much more.
    Nest(usize, Vec<Doc>),
}

/// Writes docs into a string, keeping track of the column.
pub(super) struct Renderer<'o> {
    out: &'o mut String,
    width: usize,
    col: usize,
    /// Nothing but (not yet written) indentation on the current line.
    line_start: bool,
    /// The indentation to write before the next text.
    indent: usize,
    /// A comment ended the line: the next output starts a new one.
    pending_newline: bool,
}

type Frame<'d> = (usize, bool, &'d Doc);

impl<'o> Renderer<'o> {
    /// A renderer appending to `out`, which must be at a line start.
    pub(super) fn new(out: &'o mut String, width: usize) -> Self {
        Self {
            out,
            width,
            col: 0,
            line_start: true,
            indent: 0,
            pending_newline: false,
        }
    }

    /// Whether the last thing written was a comment (its line is finished).
    pub(super) fn pending_newline(&self) -> bool {
        self.pending_newline
    }

    /// Renders `doc` with `indent` as its base indentation.
    pub(super) fn render(&mut self, doc: &Doc, indent: usize) {
        self.indent = indent;
        let mut stack: Vec<Frame<'_>> = vec![(indent, false, doc)];
        while let Some((ind, flat, d)) = stack.pop() {
            match d {
                Doc::Text(s) => {
                    let blank = s.chars().all(|c| c == ' ');
                    if blank && (self.line_start || self.pending_newline) {
                        continue;
                    }
                    self.text(s, ind);
                }
                Doc::Line | Doc::SoftLine => {
                    if flat && !self.pending_newline {
                        if matches!(d, Doc::Line) && !self.line_start {
                            self.text(" ", ind);
                        }
                    } else {
                        self.newline(ind);
                    }
                }
                Doc::IfBreak(s) => {
                    if !flat {
                        self.text(s, ind);
                    }
                }
                Doc::Comment { text, trailing } => {
                    if *trailing && !self.line_start && !self.pending_newline {
                        while self.out.ends_with(' ') {
                            self.out.pop();
                        }
                        self.out.push(' ');
                    } else if !self.line_start {
                        self.newline(ind);
                    }
                    self.text(text, ind);
                    self.pending_newline = true;
                }
                Doc::Group(children) => {
                    let flat = flat || self.fits(ind, children, &stack);
                    stack.extend(children.iter().rev().map(|c| (ind, flat, c)));
                }
                Doc::Nest(n, children) => {
                    stack.extend(children.iter().rev().map(|c| (ind + n, flat, c)));
                }
            }
        }
    }

    fn newline(&mut self, indent: usize) {
        while self.out.ends_with(' ') {
            self.out.pop();
        }
        self.out.push('\n');
        self.line_start = true;
        self.pending_newline = false;
        self.indent = indent;
        self.col = indent;
    }

    fn text(&mut self, s: &str, indent: usize) {
        if self.pending_newline {
            self.newline(indent);
        }
        if self.line_start {
            self.out.push_str(&" ".repeat(self.indent));
            self.col = self.indent;
            self.line_start = false;
        }
        self.out.push_str(s);
        match s.rfind('\n') {
            Some(i) => self.col = s.get(i + 1..).map_or(0, |t| t.chars().count()),
            None => self.col += s.chars().count(),
        }
    }

    /// Whether `children`, printed flat, and whatever follows up to the next
    /// possible line break fit in the remaining width.
    fn fits(&self, indent: usize, children: &[Doc], rest: &[Frame<'_>]) -> bool {
        let start = if self.line_start || self.pending_newline {
            indent
        } else {
            self.col
        };
        let mut room = self.width as isize - start as isize;
        // (flat, inside the group being measured, doc)
        let mut todo: Vec<(bool, bool, &Doc)> =
            children.iter().rev().map(|c| (true, true, c)).collect();
        let mut rest = rest.iter().rev();
        loop {
            let Some((flat, inside, d)) = todo
                .pop()
                .or_else(|| rest.next().map(|&(_, flat, d)| (flat, false, d)))
            else {
                return true;
            };
            match d {
                Doc::Text(s) => {
                    let first_line = s.split('\n').next().unwrap_or("");
                    room -= first_line.chars().count() as isize;
                    if s.contains('\n') {
                        return room >= 0;
                    }
                }
                Doc::Line | Doc::SoftLine => {
                    if !flat {
                        return room >= 0;
                    }
                    if matches!(d, Doc::Line) {
                        room -= 1;
                    }
                }
                Doc::IfBreak(s) => {
                    if !flat {
                        room -= s.len() as isize;
                    }
                }
                Doc::Comment { .. } => return !inside && room >= 0,
                Doc::Group(cs) | Doc::Nest(_, cs) => {
                    todo.extend(cs.iter().rev().map(|c| (flat, inside, c)));
                }
            }
            if room < 0 {
                return false;
            }
        }
    }
}
