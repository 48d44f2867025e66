/// A check of a zip archive's directory before ZIPFoundation reads it from
/// memory: every record it will seek to (end of central directory, each
/// central directory entry, each local header and its data) must lie inside
/// the bytes. ZIPFoundation's in-memory reader traps on a read past the end
/// (`Archive.MemoryFile.readData`), so an archive that points outside itself
/// must be refused here. ZIP64 archives are refused too (Keras writes them
/// only past 4 GiB, far over the size limits).
enum ZipBounds {
    /// Throws unless the directory of the archive `bytes` (the file `name`) stays within it.
    static func check(_ bytes: [UInt8], name: String) throws(ModelError) {
        let damaged = ModelError("\(name) is not a readable zip archive (truncated or damaged)")
        let count = bytes.count
        func u16(_ at: Int) -> Int? { at >= 0 && at + 2 <= count ? Int(bytes[at]) | Int(bytes[at + 1]) << 8 : nil }
        func u32(_ at: Int) -> Int? {
            guard let low = u16(at), let high = u16(at + 2) else { return nil }
            return low | high << 16
        }
        // As ZIPFoundation scans: the signature nearest the end, at least 22 bytes before it.
        guard count >= 22, let end = stride(from: count - 22, through: 0, by: -1).first(where: { u32($0) == 0x0605_4B50 }) else {
            throw damaged
        }
        if end >= 20, u32(end - 20) == 0x0706_4B50 {
            throw ModelError("\(name) is a ZIP64 archive; Keras models under the size limits are plain zip archives")
        }
        guard let entries = u16(end + 10), let directorySize = u32(end + 12), let directoryOffset = u32(end + 16) else { throw damaged }
        guard entries != 0xFFFF, directorySize != 0xFFFF_FFFF, directoryOffset != 0xFFFF_FFFF else {
            throw ModelError("\(name) is a ZIP64 archive; Keras models under the size limits are plain zip archives")
        }
        guard directoryOffset + directorySize <= end, entries <= ModelLimits.maxArchiveEntries else { throw damaged }
        var position = directoryOffset
        for _ in 0..<entries {
            guard u32(position) == 0x0201_4B50, let compressed = u32(position + 20), let uncompressed = u32(position + 24),
                  let nameLength = u16(position + 28), let extraLength = u16(position + 30), let commentLength = u16(position + 32),
                  let local = u32(position + 42) else { throw damaged }
            guard compressed != 0xFFFF_FFFF, uncompressed != 0xFFFF_FFFF, local != 0xFFFF_FFFF else {
                throw ModelError("\(name) is a ZIP64 archive; Keras models under the size limits are plain zip archives")
            }
            position += 46 + nameLength + extraLength + commentLength
            guard position <= end, u32(local) == 0x0403_4B50, let flags = u16(local + 6),
                  let localName = u16(local + 26), let localExtra = u16(local + 28) else { throw damaged }
            let dataEnd = local + 30 + localName + localExtra + compressed + (flags & 0x8 != 0 ? 16 : 0)
            guard dataEnd <= count else { throw damaged }
        }
    }
}
