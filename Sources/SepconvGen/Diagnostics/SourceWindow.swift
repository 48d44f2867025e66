/// The part of a source line printed under a diagnostic: the whole line when
/// it is short, else a window of about `width` characters around the column
/// with `...` where the line goes on, the caret under the column either way.
public struct SourceWindow: Hashable, Sendable {
    /// The characters shown (tabs as spaces, control characters as `?`).
    public var text: String
    /// How many characters of `text` come before the caret.
    public var caretOffset: Int

    /// Lines up to this many characters are shown whole.
    public static let width = 100
    /// How many characters a window shows before the column.
    static let before = 40
    /// How many characters around the column a reader must keep on each side.
    public static let reach = 100

    /// The window for `column` of a line of which `scalars` are known, from
    /// column `firstColumn` on; `reachesLineEnd` tells whether they go to its end.
    public init(_ scalars: [Unicode.Scalar], firstColumn: Int, reachesLineEnd: Bool, column: Int) {
        let column = max(column, firstColumn)
        let lastColumn = firstColumn + scalars.count   // one past the last character known
        let start: Int, end: Int
        if firstColumn == 1, reachesLineEnd, scalars.count <= Self.width {
            (start, end) = (1, lastColumn)
        } else {
            start = max(firstColumn, min(column, lastColumn) - Self.before)
            end = min(lastColumn, start + Self.width)
        }
        let shown = scalars[(start - firstColumn) ..< max(start, end) - firstColumn].map { scalar -> Character in
            scalar == "\t" ? " " : (scalar.value < 0x20 || scalar.value == 0x7F ? "?" : Character(scalar))
        }
        let opening = start > 1 ? "..." : ""
        let closing = end < lastColumn || !reachesLineEnd ? "..." : ""
        text = opening + String(shown) + closing
        caretOffset = opening.count + min(column - start, shown.count)
    }
}
