/// A bounded reader of FlatBuffers binaries (the format of `.tflite` files):
/// tables through their vtables, offsets, vectors, strings, unions and
/// inline structs. No FlatBuffers package is available to the build, and a
/// reader of our own can check what a generated one trusts: every offset and
/// length is checked against the buffer before it is used, so a damaged or
/// hostile file gives a `FlatBufferError`, never a trap.
///
/// Forward offsets (`uoffset`) must be positive, so a chain of them always
/// moves towards the end of the buffer and cannot loop; the schema decoded on
/// top is of fixed depth, and `maxDepth` bounds any nesting regardless.
struct FlatBuffer {
    /// The whole file.
    let bytes: [UInt8]

    /// Deepest table nesting followed from the root (the TFLite subset needs 4).
    static let maxDepth = 16

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The root table, whose offset is the buffer's first four bytes.
    func root() throws(FlatBufferError) -> FlatTable {
        try table(at: indirect(0), depth: 0)
    }

    /// The four bytes after the root offset (`TFL3` for TFLite), or nil when the buffer is shorter.
    var identifier: String? {
        guard bytes.count >= 8 else { return nil }
        return String(decoding: bytes[4..<8], as: UTF8.self)
    }

    // MARK: - Scalars

    /// Checks that `count` bytes at `position` lie inside the buffer.
    func check(_ position: Int, _ count: Int, _ what: @autoclosure () -> String) throws(FlatBufferError) {
        guard position >= 0, count >= 0, position <= bytes.count, count <= bytes.count - position else {
            throw FlatBufferError("\(what()) (\(count) bytes at byte \(position)) lies past the end of the \(bytes.count)-byte file")
        }
    }

    /// A little-endian unsigned integer of `size` bytes at `position`.
    func unsigned(_ position: Int, size: Int) throws(FlatBufferError) -> UInt64 {
        try check(position, size, "a \(size)-byte value")
        var value: UInt64 = 0
        for index in stride(from: size - 1, through: 0, by: -1) {
            value = value << 8 | UInt64(bytes[position + index])
        }
        return value
    }

    func uint8(_ position: Int) throws(FlatBufferError) -> UInt8 { UInt8(truncatingIfNeeded: try unsigned(position, size: 1)) }
    func uint16(_ position: Int) throws(FlatBufferError) -> UInt16 { UInt16(truncatingIfNeeded: try unsigned(position, size: 2)) }
    func uint32(_ position: Int) throws(FlatBufferError) -> UInt32 { UInt32(truncatingIfNeeded: try unsigned(position, size: 4)) }
    func int32(_ position: Int) throws(FlatBufferError) -> Int32 { Int32(bitPattern: try uint32(position)) }
    func int64(_ position: Int) throws(FlatBufferError) -> Int64 { Int64(bitPattern: try unsigned(position, size: 8)) }
    func float32(_ position: Int) throws(FlatBufferError) -> Float { Float(bitPattern: try uint32(position)) }

    /// The position a forward offset at `position` points to.
    func indirect(_ position: Int) throws(FlatBufferError) -> Int {
        let offset = Int(try uint32(position))
        // A zero offset would point at itself: no writer makes one, and refusing it keeps every chain of offsets moving forward.
        guard offset > 0 else { throw FlatBufferError("a zero offset at byte \(position)") }
        let target = position + offset
        try check(target, 4, "the target of the offset at byte \(position)")
        return target
    }

    /// The table at `position`, with its vtable checked.
    func table(at position: Int, depth: Int) throws(FlatBufferError) -> FlatTable {
        guard depth <= Self.maxDepth else { throw FlatBufferError("tables nest deeper than \(Self.maxDepth) at byte \(position)") }
        let vtable = position - Int(try int32(position))
        try check(vtable, 4, "the vtable of the table at byte \(position)")
        let vtableSize = Int(try uint16(vtable))
        let tableSize = Int(try uint16(vtable + 2))
        guard vtableSize >= 4, vtableSize % 2 == 0 else {
            throw FlatBufferError("the vtable at byte \(vtable) has an impossible size \(vtableSize)")
        }
        try check(vtable, vtableSize, "the vtable of the table at byte \(position)")
        guard tableSize >= 4 else { throw FlatBufferError("the table at byte \(position) has an impossible size \(tableSize)") }
        try check(position, tableSize, "the table at byte \(position)")
        return FlatTable(buffer: self, position: position, vtable: vtable, fieldCount: (vtableSize - 4) / 2,
                         size: tableSize, depth: depth)
    }
}

/// One table: its fields, found through its vtable.
struct FlatTable {
    let buffer: FlatBuffer
    let position: Int
    let vtable: Int
    let fieldCount: Int
    /// The table's inline size, from its vtable: every field lies inside it.
    let size: Int
    let depth: Int

    /// The position of field `index` (0-based, in schema order), or nil when absent.
    /// Only the vtable's own slots are read (a field past them is absent, as for an older writer).
    func field(_ index: Int, width: Int) throws(FlatBufferError) -> Int? {
        guard index < fieldCount else { return nil }
        let offset = Int(try buffer.uint16(vtable + 4 + 2 * index))
        guard offset != 0 else { return nil }
        guard offset >= 4, offset + width <= size else {
            throw FlatBufferError("field \(index) of the table at byte \(position) lies outside the table's \(size) bytes")
        }
        return position + offset
    }

    func uint8(_ index: Int, default value: UInt8) throws(FlatBufferError) -> UInt8 {
        try field(index, width: 1).map { (position) throws(FlatBufferError) in try buffer.uint8(position) } ?? value
    }

    func int32(_ index: Int, default value: Int32) throws(FlatBufferError) -> Int32 {
        try field(index, width: 4).map { (position) throws(FlatBufferError) in try buffer.int32(position) } ?? value
    }

    func uint32(_ index: Int, default value: UInt32) throws(FlatBufferError) -> UInt32 {
        try field(index, width: 4).map { (position) throws(FlatBufferError) in try buffer.uint32(position) } ?? value
    }

    func uint64(_ index: Int, default value: UInt64) throws(FlatBufferError) -> UInt64 {
        try field(index, width: 8).map { (position) throws(FlatBufferError) in try buffer.unsigned(position, size: 8) } ?? value
    }

    /// The table field `index` points to, or nil when absent.
    func table(_ index: Int) throws(FlatBufferError) -> FlatTable? {
        guard let position = try field(index, width: 4) else { return nil }
        return try buffer.table(at: buffer.indirect(position), depth: depth + 1)
    }

    /// The vector field `index` points to, of elements `elementSize` bytes wide, or nil when absent.
    func vector(_ index: Int, elementSize: Int, limit: Int) throws(FlatBufferError) -> FlatVector? {
        guard let position = try field(index, width: 4) else { return nil }
        let start = try buffer.indirect(position)
        let count = Int(try buffer.uint32(start))
        guard count <= limit else {
            throw FlatBufferError("the vector at byte \(start) has \(count) elements; at most \(limit) are read")
        }
        // count ≤ 2^32 and elementSize ≤ 8, so the product cannot overflow Int.
        try buffer.check(start + 4, count * elementSize, "the \(count)-element vector")
        return FlatVector(buffer: buffer, start: start + 4, count: count, elementSize: elementSize, depth: depth)
    }

    /// The string field `index` points to, or nil when absent. Invalid UTF-8 is repaired (names are for messages).
    func string(_ index: Int, limit: Int = 1 << 16) throws(FlatBufferError) -> String? {
        guard let vector = try vector(index, elementSize: 1, limit: limit) else { return nil }
        return String(decoding: buffer.bytes[vector.start..<vector.start + vector.count], as: UTF8.self)
    }

    /// The union at fields `index` (its type) and `index + 1` (its table): the type and the table, or nil when NONE.
    func union(_ index: Int) throws(FlatBufferError) -> (type: UInt8, table: FlatTable)? {
        let type = try uint8(index, default: 0)
        guard type != 0, let table = try table(index + 1) else { return nil }
        return (type, table)
    }
}

/// A vector: `count` elements of `elementSize` bytes from `start`, all inside the buffer.
struct FlatVector {
    let buffer: FlatBuffer
    let start: Int
    let count: Int
    let elementSize: Int
    let depth: Int

    func int32s() throws(FlatBufferError) -> [Int] {
        try (0..<count).map { (index) throws(FlatBufferError) in Int(try buffer.int32(start + 4 * index)) }
    }

    func int64s() throws(FlatBufferError) -> [Int64] {
        try (0..<count).map { (index) throws(FlatBufferError) in try buffer.int64(start + 8 * index) }
    }

    func float32s() throws(FlatBufferError) -> [Float] {
        try (0..<count).map { (index) throws(FlatBufferError) in try buffer.float32(start + 4 * index) }
    }

    /// The elements as byte positions in the file.
    var range: Range<Int> { start..<start + count * elementSize }

    /// The tables of a vector of offsets.
    func tables() throws(FlatBufferError) -> [FlatTable] {
        try (0..<count).map { (index) throws(FlatBufferError) in
            try buffer.table(at: buffer.indirect(start + 4 * index), depth: depth + 1)
        }
    }
}

/// Why bytes are not a readable FlatBuffers binary.
struct FlatBufferError: Error, Hashable, Sendable {
    var message: String

    init(_ message: String) {
        self.message = message
    }
}
