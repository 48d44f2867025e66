extension NPY {
    /// The three fields of an `.npy` header, a Python dict literal such as
    /// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
    struct HeaderFields {
        var descr: String?
        var fortranOrder: Bool?
        var shape: [Int]?
    }

    /// A strict parser for the header dict: string keys, and values that are a
    /// string, `True`/`False`, or a tuple of non-negative integers.
    struct HeaderParser {
        private var characters: [Character]
        private var index = 0

        static func parse(_ text: String) throws(FormatError) -> HeaderFields {
            var parser = HeaderParser(characters: Array(text))
            return try parser.dict()
        }

        private init(characters: [Character]) {
            self.characters = characters
        }

        private static func failure(_ detail: String) -> FormatError {
            FormatError(message: "the .npy header is malformed: \(detail)")
        }

        private mutating func skipSpace() {
            while index < characters.count, characters[index].isWhitespace { index += 1 }
        }

        private mutating func expect(_ character: Character) throws(FormatError) {
            skipSpace()
            guard index < characters.count, characters[index] == character else {
                throw Self.failure("expected '\(character)'")
            }
            index += 1
        }

        private mutating func peek() -> Character? {
            skipSpace()
            return index < characters.count ? characters[index] : nil
        }

        private mutating func string() throws(FormatError) -> String {
            skipSpace()
            guard index < characters.count, characters[index] == "'" || characters[index] == "\"" else {
                throw Self.failure("expected a quoted string")
            }
            let quote = characters[index]
            index += 1
            let start = index
            while index < characters.count, characters[index] != quote { index += 1 }
            guard index < characters.count else { throw Self.failure("unterminated string") }
            defer { index += 1 }
            return String(characters[start..<index])
        }

        private mutating func integer() throws(FormatError) -> Int {
            skipSpace()
            let start = index
            while index < characters.count, characters[index].isASCII, characters[index].isNumber { index += 1 }
            guard index > start, index - start <= 12, let value = Int(String(characters[start..<index])) else {
                throw Self.failure("expected a shape dimension")
            }
            if index < characters.count, characters[index] == "L" { index += 1 }
            return value
        }

        private mutating func word() -> String {
            skipSpace()
            let start = index
            while index < characters.count, characters[index].isLetter { index += 1 }
            return String(characters[start..<index])
        }

        private mutating func tuple() throws(FormatError) -> [Int] {
            try expect("(")
            var values: [Int] = []
            while peek() != ")" {
                guard values.count < 32 else { throw Self.failure("too many dimensions") }
                values.append(try integer())
                if peek() == "," { index += 1 } else { break }
            }
            try expect(")")
            return values
        }

        private mutating func dict() throws(FormatError) -> HeaderFields {
            var fields = HeaderFields()
            try expect("{")
            var seen = Set<String>()
            while peek() != "}" {
                let key = try string()
                guard seen.insert(key).inserted else { throw Self.failure("duplicate key '\(Identifier.printable(key))'") }
                try expect(":")
                switch key {
                case "descr":
                    fields.descr = try string()
                case "fortran_order":
                    switch word() {
                    case "True": fields.fortranOrder = true
                    case "False": fields.fortranOrder = false
                    default: throw Self.failure("fortran_order must be True or False")
                    }
                case "shape":
                    fields.shape = try tuple()
                default:
                    throw Self.failure("unexpected key '\(Identifier.printable(key))'")
                }
                if peek() == "," { index += 1 } else { break }
            }
            try expect("}")
            return fields
        }
    }
}
