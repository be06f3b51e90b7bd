import Foundation

/// Where a received image is saved: the sender's file name is untrusted, so it is reduced to a plain base name that
/// stays inside the downloads directory, and an existing file is never overwritten.
public enum DownloadName {
    /// Longest base name, in characters, extension included.
    public static let maxCharacters = 100
    /// Also at most this many UTF-8 bytes, so a name of wide or combining characters stays far below the 255-byte
    /// limit of file systems, with room for a "-N" suffix.
    static let maxUTF8Bytes = 200
    static let fallbackStem = "image"

    /// A safe file name for an image the sender called `untrusted`: only the last path component (split on "/" and
    /// "\"), without control or invisible formatting characters (NUL, newlines, bidirectional overrides), without
    /// leading dots (no hidden files) or runs of dots (no ".."), trimmed of whitespace, at most 100 characters, and
    /// ending in an extension of `format` (a wrong image extension is replaced, any other kept and the right one
    /// appended). What remains empty becomes "image".
    public static func safeBaseName(_ untrusted: String, format: ImageFile.Format) -> String {
        let component = untrusted.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var name = String(String.UnicodeScalarView(component.unicodeScalars.filter { scalar in
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned: return false
            default: return true
            }
        }))
        while name.contains("..") {
            name = name.replacingOccurrences(of: "..", with: ".")
        }
        var stem = trimmed(name)

        let lowercased = stem.lowercased()
        if format.fileExtensions.contains(where: { lowercased.hasSuffix("." + $0) }), let dot = stem.lastIndex(of: ".") {
            stem = String(stem[..<dot])
        } else if let dot = stem.lastIndex(of: "."),
                  ImageFile.Format.allCases.flatMap(\.fileExtensions).contains(String(lowercased[lowercased.index(after: dot)...])) {
            stem = String(stem[..<dot])
        }
        let suffix = "." + format.fileExtension

        stem = trimmed(stem)
        while !stem.isEmpty,
              stem.count + suffix.count > maxCharacters || stem.utf8.count + suffix.utf8.count > maxUTF8Bytes {
            stem.removeLast()
        }
        stem = trimmed(stem)
        return (stem.isEmpty ? fallbackStem : stem) + suffix
    }

    /// Whitespace and dots off both ends, repeatedly (" . .x. " → "x"): no hidden files, no names ending in a dot.
    private static func trimmed(_ text: String) -> String {
        var text = text
        while let first = text.first, first == "." || first.isWhitespace { text.removeFirst() }
        while let last = text.last, last == "." || last.isWhitespace { text.removeLast() }
        return text
    }

    /// `directory/name` if nothing is there (not even a dangling symbolic link), else the first free of
    /// "stem-1.ext", "stem-2.ext", …. Only a suggestion: `save` is what guarantees nothing is overwritten.
    public static func uniqueURL(in directory: URL, for name: String) -> URL {
        let (stem, suffix) = split(name)
        var candidate = directory.appendingPathComponent(name, isDirectory: false)
        var counter = 0
        while exists(candidate) {
            counter += 1
            let numbered = counter <= 100_000 ? "\(stem)-\(counter)" : "\(stem)-\(UUID().uuidString.lowercased())"
            candidate = directory.appendingPathComponent(numbered + suffix, isDirectory: false)
        }
        return candidate
    }

    /// Writes `data` under `directory` (created with mode 0700 if missing) as `name`, or the first free numbered
    /// variant of it, and returns where it went. The file is created exclusively (`.withoutOverwriting`), so even a
    /// file that appears between the check and the write is never replaced: the next number is tried instead.
    /// `name` must be a plain base name such as `safeBaseName` returns; anything with a path separator is refused.
    public static func save(_ data: Data, as name: String, in directory: URL) throws -> URL {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), !name.contains("\0") else {
            throw CocoaError(.fileWriteInvalidFileName)
        }
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for _ in 0..<1_000 {
            let url = uniqueURL(in: directory, for: name)
            do {
                try data.write(to: url, options: [.withoutOverwriting])
            } catch let error as CocoaError where error.code == .fileWriteFileExists {
                continue  // Someone else took the name between the check and the write.
            }
            try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
            return url
        }
        throw CocoaError(.fileWriteFileExists)
    }

    /// "photo.png" → ("photo", ".png"); "photo" → ("photo", ""); the dot of a leading-dot name is not an extension.
    private static func split(_ name: String) -> (stem: String, suffix: String) {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return (name, "") }
        return (String(name[..<dot]), String(name[dot...]))
    }

    /// Whether anything occupies `url`, without following a final symbolic link.
    private static func exists(_ url: URL) -> Bool {
        (try? FileManager.default.attributesOfItem(atPath: url.path)) != nil
    }
}
