/// Reads the source windows a set of diagnostics needs from a file, without
/// holding the file: it streams the file in chunks, keeps only the
/// characters within `SourceWindow.reach` of each marked column, and stops
/// after the last one. Nothing is shown for a file that is not a regular
/// file of at most `limit` bytes, nor for a line that is not text (a NUL
/// byte, bad UTF-8: a binary file's "line" would only garble the terminal).
public enum SourceExcerpts {
    /// The window for each of `marks` that `path` holds.
    public static func read(_ path: String, marks: Set<Mark>, limit: Int) -> [Mark: SourceWindow] {
        guard !marks.isEmpty, let file = try? BoundedFile(path, limit: limit, noun: "sources") else { return [:] }
        var collector = Collector(marks: marks)
        while !collector.isDone, let chunk = try? file.read(count: 1 << 16), !chunk.isEmpty {
            for byte in chunk {
                collector.take(byte)
                if collector.isDone { break }
            }
        }
        return collector.windows()
    }

    /// One window being filled: the mark, the first column kept, the bytes kept.
    private struct Entry {
        var mark: Mark
        var first: Int
        var bytes: [UInt8] = []
        /// Whether the line ended within the window's reach.
        var complete = false
        var end: Int { mark.column + SourceWindow.reach }
    }

    /// Pulls the needed bytes out of a file read byte by byte.
    private struct Collector {
        var pending: [Int: [Entry]] = [:]
        var finished: [Entry] = []
        var current: [Entry] = []
        let lastLine: Int
        var line = 1
        var column = 0   // the column of the last lead byte seen on this line

        init(marks: Set<Mark>) {
            for mark in marks {
                pending[mark.line, default: []].append(Entry(mark: mark, first: max(1, mark.column - SourceWindow.reach)))
            }
            lastLine = marks.map(\.line).max() ?? 0
            current = pending.removeValue(forKey: 1) ?? []
        }

        var isDone: Bool { line > lastLine || (line == lastLine && current.allSatisfy { column >= $0.end }) }

        mutating func take(_ byte: UInt8) {
            if byte == UInt8(ascii: "\n") {
                for index in current.indices where column < current[index].end { current[index].complete = true }
                finished += current
                line += 1
                column = 0
                current = pending.removeValue(forKey: line) ?? []
                return
            }
            if byte & 0xC0 != 0x80 { column += 1 }
            for index in current.indices where column >= current[index].first && column < current[index].end {
                current[index].bytes.append(byte)
            }
        }

        /// The windows, once the reading stopped (at the end of the file, or past the last one).
        func windows() -> [Mark: SourceWindow] {
            var result: [Mark: SourceWindow] = [:]
            for var entry in finished + current.map({ entry in
                var entry = entry
                entry.complete = column < entry.end   // the file ended within the reach, or reading stopped past it
                return entry
            }) {
                if entry.complete, entry.bytes.last == UInt8(ascii: "\r") { entry.bytes.removeLast() }
                guard !entry.bytes.contains(0), let text = String(validating: entry.bytes, as: UTF8.self) else { continue }
                result[entry.mark] = SourceWindow(Array(text.unicodeScalars), firstColumn: entry.first,
                                                  reachesLineEnd: entry.complete, column: entry.mark.column)
            }
            return result
        }
    }
}
