import FastChatClient
import FastChatProtocol
import Foundation
import Testing

/// Image detection, loading limits and safe download names (issue 4, items 3 and 4): no server needed.
@Suite struct ImageFileTests {
    // Tiny hand-made headers: just the magic bytes and a little after them.
    static let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D])
    static let jpeg = Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10])
    static let gif87 = Data("GIF87a".utf8) + Data([0x01, 0x00, 0x01, 0x00])
    static let gif89 = Data("GIF89a".utf8) + Data([0x01, 0x00, 0x01, 0x00])
    static let webp = Data("RIFF".utf8) + Data([0x24, 0x00, 0x00, 0x00]) + Data("WEBPVP8 ".utf8)

    /// A fresh directory removed at the end of the test.
    private func withScratch(_ body: (URL) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("fastchat-image-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try body(directory)
    }

    private func write(_ data: Data, _ name: String, in directory: URL) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    /// Runs `load` and returns the error it must throw.
    private func loadError(_ path: String, maxBytes: Int = 1024 * 1024) -> ProtocolError? {
        do {
            _ = try ImageFile.load(path: path, maxBytes: maxBytes)
            return nil
        } catch {
            return error as? ProtocolError
        }
    }

    private func expectOneSentence(_ message: String, naming path: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(message.contains(path), "\(message)", sourceLocation: sourceLocation)
        #expect(message.first?.isUppercase ?? false, "\(message)", sourceLocation: sourceLocation)
        #expect(message.hasSuffix("."), "\(message)", sourceLocation: sourceLocation)
        #expect(!message.contains("\n"), "\(message)", sourceLocation: sourceLocation)
    }

    // MARK: Detection

    @Test func detectsEachFormatByMagicBytes() {
        #expect(ImageFile.detectFormat(Self.png) == .png)
        #expect(ImageFile.detectFormat(Self.jpeg) == .jpeg)
        #expect(ImageFile.detectFormat(Self.gif87) == .gif)
        #expect(ImageFile.detectFormat(Self.gif89) == .gif)
        #expect(ImageFile.detectFormat(Self.webp) == .webp)
        #expect(ImageFile.detectFormat(Data([0xFF, 0xD8, 0xFF])) == .jpeg)
        #expect(ImageFile.detectFormat(Data("RIFF\0\0\0\0WEBP".utf8)) == .webp)
        // A slice that does not start at index 0 is read from its own start.
        let padded = Data([0, 0, 0]) + Self.png
        #expect(ImageFile.detectFormat(padded[3...]) == .png)
    }

    @Test func rejectsWhatIsNotASupportedImage() {
        #expect(ImageFile.detectFormat(Data()) == nil)
        #expect(ImageFile.detectFormat(Data("just some text, not a picture".utf8)) == nil)
        #expect(ImageFile.detectFormat(Self.png.prefix(7)) == nil)
        #expect(ImageFile.detectFormat(Data([0xFF, 0xD8])) == nil)
        #expect(ImageFile.detectFormat(Data("GIF88a".utf8)) == nil)
        #expect(ImageFile.detectFormat(Data("RIFF\0\0\0\0WAVEfmt ".utf8)) == nil)
        #expect(ImageFile.detectFormat(Data("%PDF-1.7".utf8)) == nil)
        #expect(ImageFile.detectFormat(Data("BM".utf8) + Data(count: 20)) == nil)
    }

    @Test func mediaTypesAndExtensions() {
        #expect(ImageFile.Format.png.mediaType == "image/png")
        #expect(ImageFile.Format.jpeg.mediaType == "image/jpeg")
        #expect(ImageFile.Format.gif.mediaType == "image/gif")
        #expect(ImageFile.Format.webp.mediaType == "image/webp")
        #expect(ImageFile.Format(rawValue: "webp") == .webp)
        #expect(ImageFile.Format.allCases.map(\.fileExtension) == ["png", "jpg", "gif", "webp"])
    }

    // MARK: Loading

    @Test func loadsEachFormatWhateverTheName() throws {
        try withScratch { directory in
            for (data, format, name) in [(Self.png, ImageFile.Format.png, "a.png"), (Self.jpeg, .jpeg, "b.gif"),
                                         (Self.gif89, .gif, "c"), (Self.webp, .webp, "d.txt")] {
                let loaded = try ImageFile.load(path: try write(data, name, in: directory).path, maxBytes: 1024)
                #expect(loaded.data == data)
                #expect(loaded.format == format)
            }
            // Exactly at the limit is allowed.
            let exact = try write(Self.png, "exact.png", in: directory)
            #expect(try ImageFile.load(path: exact.path, maxBytes: Self.png.count).format == .png)
        }
    }

    @Test func textFileNamedPNGIsNotAnImage() throws {
        try withScratch { directory in
            let path = try write(Data("hello, I am text".utf8), "photo.png", in: directory).path
            let error = try #require(loadError(path))
            #expect(error.code == .badImage)
            expectOneSentence(error.message, naming: path)
            #expect(error.message.contains("PNG, JPEG, GIF or WebP"), "\(error.message)")
        }
    }

    @Test func missingFileIsBadImage() throws {
        try withScratch { directory in
            let path = directory.appendingPathComponent("nowhere.png").path
            let error = try #require(loadError(path))
            #expect(error.code == .badImage)
            expectOneSentence(error.message, naming: path)
            #expect(error.message.contains("does not exist"), "\(error.message)")
        }
    }

    @Test func directoryIsBadImage() throws {
        try withScratch { directory in
            let folder = directory.appendingPathComponent("album.png", isDirectory: true)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let error = try #require(loadError(folder.path))
            #expect(error.code == .badImage)
            expectOneSentence(error.message, naming: folder.path)
            #expect(error.message.contains("directory"), "\(error.message)")
        }
    }

    @Test func emptyFileIsBadImage() throws {
        try withScratch { directory in
            let path = try write(Data(), "empty.png", in: directory).path
            let error = try #require(loadError(path))
            #expect(error.code == .badImage)
            expectOneSentence(error.message, naming: path)
        }
    }

    @Test func oversizeFileIsRejectedBeforeReading() throws {
        try withScratch { directory in
            let big = try write(Self.png + Data(count: 3 * 1024 * 1024), "big.png", in: directory).path
            let error = try #require(loadError(big, maxBytes: 2 * 1024 * 1024))
            #expect(error.code == .badImage)
            expectOneSentence(error.message, naming: big)
            #expect(error.message.contains("2 MiB"), "\(error.message)")

            // One byte over a fractional limit still names the limit in MiB.
            let small = try write(Self.png + Data(count: 512 * 1024), "small.png", in: directory).path
            let fractional = try #require(loadError(small, maxBytes: 512 * 1024))
            #expect(fractional.code == .badImage)
            expectOneSentence(fractional.message, naming: small)
            #expect(fractional.message.contains("0.5 MiB"), "\(fractional.message)")

            // A non-image over the limit: the size is checked first, before anything is read.
            let text = try write(Data(count: 100), "notes.txt", in: directory).path
            let sizeFirst = try #require(loadError(text, maxBytes: 10))
            #expect(sizeFirst.message.contains("limit"), "\(sizeFirst.message)")
        }
    }

    @Test func symbolicLinkToAnImageLoads() throws {
        try withScratch { directory in
            let target = try write(Self.gif87, "real.gif", in: directory)
            let link = directory.appendingPathComponent("link.gif")
            try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
            #expect(try ImageFile.load(path: link.path, maxBytes: 1024).format == .gif)
        }
    }

    // MARK: Safe names

    @Test(arguments: [
        ("../../etc/passwd", ImageFile.Format.png, "passwd.png"),
        ("/abs/path/x.png", .png, "x.png"),
        ("..\\\\win\\\\evil.gif", .gif, "evil.gif"),
        ("..\\win\\evil.gif", .gif, "evil.gif"),
        (".hidden.png", .png, "hidden.png"),
        ("a\u{0}b\n.png", .png, "ab.png"),
        ("", .png, "image.png"),
        ("..", .jpeg, "image.jpg"),
        ("../", .webp, "image.webp"),
        ("...", .gif, "image.gif"),
        ("   ", .png, "image.png"),
        (" . .sneaky. .png", .png, "sneaky.png"),
        ("a..b.png", .png, "a.b.png"),
        ("photo", .jpeg, "photo.jpg"),
        ("photo.JPEG", .jpeg, "photo.jpg"),
        ("photo.jpg", .jpeg, "photo.jpg"),
        ("photo.png", .jpeg, "photo.jpg"),
        ("report.pdf", .png, "report.pdf.png"),
        ("evil\u{202E}gnp.exe", .png, "evilgnp.exe.png"),
        ("dir/", .png, "dir.png"),
        ("Ferien 🏖️ 2024.webp", .webp, "Ferien 🏖️ 2024.webp"),
    ])
    func hostileNamesAreSanitised(untrusted: String, format: ImageFile.Format, expected: String) {
        let name = DownloadName.safeBaseName(untrusted, format: format)
        #expect(name == expected)
        expectSafe(name, format: format)
    }

    @Test func longNamesAreCutToOneHundredCharacters() {
        let long = DownloadName.safeBaseName(String(repeating: "x", count: 500) + ".png", format: .png)
        #expect(long == String(repeating: "x", count: 96) + ".png")
        expectSafe(long, format: .png)

        let noExtension = DownloadName.safeBaseName(String(repeating: "é", count: 500), format: .gif)
        expectSafe(noExtension, format: .gif)

        // One character with hundreds of combining marks must not blow up the byte length.
        let zalgo = DownloadName.safeBaseName("a" + String(repeating: "\u{301}", count: 500) + "b", format: .png)
        expectSafe(zalgo, format: .png)
        #expect(zalgo.utf8.count <= 200)
    }

    private func expectSafe(_ name: String, format: ImageFile.Format, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!name.isEmpty, sourceLocation: sourceLocation)
        #expect(name.count <= 100, "\(name.count) characters", sourceLocation: sourceLocation)
        #expect(name.utf8.count <= 200, "\(name.utf8.count) bytes", sourceLocation: sourceLocation)
        #expect(!name.contains("/") && !name.contains("\\"), "\(name)", sourceLocation: sourceLocation)
        #expect(!name.contains(".."), "\(name)", sourceLocation: sourceLocation)
        #expect(!name.hasPrefix("."), "\(name)", sourceLocation: sourceLocation)
        #expect(name == name.trimmingCharacters(in: .whitespacesAndNewlines), "\(name)", sourceLocation: sourceLocation)
        #expect(!name.unicodeScalars.contains { $0.properties.generalCategory == .control }, "\(name)",
                sourceLocation: sourceLocation)
        #expect(format.fileExtensions.contains { name.lowercased().hasSuffix("." + $0) }, "\(name)",
                sourceLocation: sourceLocation)
    }

    // MARK: Unique names and saving

    @Test func existingNamesGetANumber() throws {
        try withScratch { directory in
            #expect(DownloadName.uniqueURL(in: directory, for: "cat.png").lastPathComponent == "cat.png")
            _ = try write(Data("1".utf8), "cat.png", in: directory)
            #expect(DownloadName.uniqueURL(in: directory, for: "cat.png").lastPathComponent == "cat-1.png")
            _ = try write(Data("2".utf8), "cat-1.png", in: directory)
            _ = try write(Data("3".utf8), "cat-2.png", in: directory)
            #expect(DownloadName.uniqueURL(in: directory, for: "cat.png").lastPathComponent == "cat-3.png")
            #expect(DownloadName.uniqueURL(in: directory, for: "dog.png").lastPathComponent == "dog.png")
            // Only the last extension moves: "a.b.png" → "a.b-1.png".
            _ = try write(Data(), "a.b.png", in: directory)
            #expect(DownloadName.uniqueURL(in: directory, for: "a.b.png").lastPathComponent == "a.b-1.png")
            // A dangling symbolic link occupies the name too.
            try FileManager.default.createSymbolicLink(
                at: directory.appendingPathComponent("ghost.gif"),
                withDestinationURL: directory.appendingPathComponent("nothing-here"))
            #expect(DownloadName.uniqueURL(in: directory, for: "ghost.gif").lastPathComponent == "ghost-1.gif")
        }
    }

    @Test func saveCreatesThePrivateDirectoryAndNeverOverwrites() throws {
        try withScratch { scratch in
            let downloads = scratch.appendingPathComponent("alice/downloads", isDirectory: true)
            let first = try DownloadName.save(Self.png, as: "cat.png", in: downloads)
            let second = try DownloadName.save(Self.jpeg, as: "cat.png", in: downloads)
            let third = try DownloadName.save(Self.gif89, as: "cat.png", in: downloads)
            #expect(first.lastPathComponent == "cat.png")
            #expect(second.lastPathComponent == "cat-1.png")
            #expect(third.lastPathComponent == "cat-2.png")
            #expect(try Data(contentsOf: first) == Self.png)
            #expect(try Data(contentsOf: second) == Self.jpeg)
            #expect(try Data(contentsOf: third) == Self.gif89)
            #expect(first.deletingLastPathComponent().standardizedFileURL.path == downloads.standardizedFileURL.path)

            let attributes = try FileManager.default.attributesOfItem(atPath: downloads.path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)

            // A dangling symbolic link is not followed or replaced.
            let outside = scratch.appendingPathComponent("outside.png")
            try FileManager.default.createSymbolicLink(
                at: downloads.appendingPathComponent("trap.png"), withDestinationURL: outside)
            let saved = try DownloadName.save(Self.png, as: "trap.png", in: downloads)
            #expect(saved.lastPathComponent == "trap-1.png")
            #expect(!FileManager.default.fileExists(atPath: outside.path))
        }
    }

    @Test func saveRefusesPathsAsNames() throws {
        try withScratch { directory in
            for name in ["", ".", "..", "../escape.png", "a/b.png"] {
                #expect(throws: (any Error).self) { try DownloadName.save(Self.png, as: name, in: directory) }
            }
            #expect(!FileManager.default.fileExists(atPath: directory.deletingLastPathComponent()
                .appendingPathComponent("escape.png").path))
        }
    }

    @Test func concurrentSavesOfOneNameAllSurvive() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("fastchat-image-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let urls = try await withThrowingTaskGroup(of: URL.self) { group in
            for index in 0..<20 {
                group.addTask {
                    try DownloadName.save(Data("copy \(index)".utf8), as: "same.png", in: directory)
                }
            }
            return try await group.reduce(into: [URL]()) { $0.append($1) }
        }
        #expect(Set(urls.map(\.path)).count == 20)
        var contents = Set<String>()
        for url in urls {
            contents.insert(String(decoding: try Data(contentsOf: url), as: UTF8.self))
        }
        #expect(contents == Set((0..<20).map { "copy \($0)" }))
    }
}
