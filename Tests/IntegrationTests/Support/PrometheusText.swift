/// A scrape in the Prometheus text exposition format (0.0.4), parsed strictly: anything that is not a comment, a
/// `# HELP`/`# TYPE` line or a well-formed sample of a family typed before it is an error.
struct PrometheusText {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct Malformed: Error, CustomStringConvertible {
        var line: String
        var why: String
        var description: String { "\(why): \(line)" }
    }

    private(set) var types: [String: String] = [:]
    private(set) var samples: [Sample] = []

    init(_ text: String) throws {
        for line in text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) {
            if line.hasPrefix("#") {
                try comment(line)
            } else {
                let sample = try Self.sample(line)
                guard types[Self.family(of: sample.name, types: types)] != nil else {
                    throw Malformed(line: line, why: "a sample of a family with no TYPE line before it")
                }
                samples.append(sample)
            }
        }
    }

    /// The value of the sample `name` whose labels include `labels`; nil if there is none.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { sample in
            sample.name == name && labels.allSatisfy { key, value in sample.labels[key] == value }
        }?.value
    }

    private mutating func comment(_ line: String) throws {
        let parts = line.split(separator: " ", maxSplits: 3).map(String.init)
        guard parts.count >= 3, parts[1] == "TYPE" || parts[1] == "HELP" else { return }
        guard Self.isMetricName(parts[2]) else { throw Malformed(line: line, why: "an invalid metric name") }
        if parts[1] == "TYPE" {
            guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else {
                throw Malformed(line: line, why: "an unknown type")
            }
            guard types[parts[2]] == nil else { throw Malformed(line: line, why: "a second TYPE line") }
            types[parts[2]] = parts[3]
        }
    }

    /// A histogram's `_bucket`, `_sum` and `_count` samples belong to the family without the suffix.
    private static func family(of name: String, types: [String: String]) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if types[base] == "histogram" || types[base] == "summary" { return base }
        }
        return name
    }

    private static func sample(_ line: String) throws -> Sample {
        var rest = Substring(line)
        let name = String(rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" })
        guard isMetricName(name) else { throw Malformed(line: line, why: "an invalid metric name") }
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let label = String(rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
                guard !label.isEmpty, !(label.first?.isNumber ?? true) else {
                    throw Malformed(line: line, why: "an invalid label name")
                }
                rest = rest.dropFirst(label.count)
                guard rest.hasPrefix("=\"") else { throw Malformed(line: line, why: "a label without a quoted value") }
                rest = rest.dropFirst(2)
                var value = ""
                while let character = rest.first, character != "\"" {
                    rest = rest.dropFirst()
                    if character == "\\" {
                        guard let escaped = rest.first else { break }
                        rest = rest.dropFirst()
                        switch escaped {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw Malformed(line: line, why: "an invalid escape in a label value")
                        }
                    } else {
                        value.append(character)
                    }
                }
                guard rest.first == "\"" else { throw Malformed(line: line, why: "an unterminated label value") }
                rest = rest.dropFirst()
                guard labels.updateValue(value, forKey: label) == nil else {
                    throw Malformed(line: line, why: "a label given twice")
                }
                if rest.first == "," { rest = rest.dropFirst() }
                guard rest.first != nil else { throw Malformed(line: line, why: "unterminated labels") }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw Malformed(line: line, why: "no space before the value") }
        let fields = rest.dropFirst().split(separator: " ")
        // A value, and optionally a timestamp in milliseconds.
        guard (1...2).contains(fields.count), let value = parseValue(fields[0]),
            fields.count == 1 || Int64(fields[1]) != nil
        else { throw Malformed(line: line, why: "an invalid value") }
        return Sample(name: name, labels: labels, value: value)
    }

    private static func parseValue(_ text: Substring) -> Double? {
        switch text {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: Double(text)
        }
    }

    private static func isMetricName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first == "_" || first == ":" else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }
    }
}
