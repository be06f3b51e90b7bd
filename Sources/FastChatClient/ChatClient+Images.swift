import FastChatCrypto
import FastChatProtocol
import Foundation

extension ChatClient {
    /// Encrypts the image at `path` in chunks, uploads the ciphertext, and sends `caption` with a sealed reference
    /// to it. Checks (exists, readable, PNG/JPEG/GIF/WebP by content, within the node's limit) come before any upload.
    @discardableResult
    public func sendImage(
        at path: String, caption: String = "", to peer: String, progress: (@Sendable (Double) async -> Void)? = nil
    ) async throws -> UUID {
        let (content, blobID) = try await imageContent(at: path, caption: caption, progress: progress) {
            _ = try await self.trustedKey(of: peer)
        }
        return try await send(content, to: peer, blobIDs: [blobID])
    }

    @discardableResult
    public func sendImage(
        at path: String, caption: String = "", toGroup group: String, progress: (@Sendable (Double) async -> Void)? = nil
    ) async throws -> UUID {
        let (content, blobID) = try await imageContent(at: path, caption: caption, progress: progress) {
            try await self.requireTrustedMembers(of: group)
        }
        return try await send(content, toGroup: group, blobIDs: [blobID])
    }

    /// `checkRecipients` runs after the file's checks and before the upload: a send that will be refused uploads
    /// nothing.
    private func imageContent(
        at path: String, caption: String, progress: (@Sendable (Double) async -> Void)?,
        checkRecipients: () async throws -> Void
    ) async throws -> (MessageContent, Data) {
        _ = try signedIn()
        try await connect()
        guard maxImageBytes > 0 else {
            throw ProtocolError(.badImage, "This server does not accept images.")
        }
        let (data, format) = try ImageFile.load(path: path, maxBytes: maxImageBytes)
        try await checkRecipients()
        let sealed = try AttachmentCrypto.seal(data)
        let blobID = UUID().bytes
        for (index, chunk) in sealed.chunks.enumerated() {
            var upload = Fastchat_V1_UploadBlob()
            upload.blobID = blobID
            upload.index = UInt32(index)
            upload.chunk = chunk
            upload.last = index == sealed.chunks.count - 1
            upload.size = UInt64(sealed.size)
            _ = try await request(.uploadBlob(upload))
            await progress?(Double(index + 1) / Double(sealed.chunks.count))
        }
        var content = try content(text: caption, id: UUID())
        content.image = .with {
            $0.blobID = blobID
            $0.key = sealed.key
            $0.size = UInt64(sealed.size)
            $0.sha256 = sealed.sha256
            $0.fileName = URL(fileURLWithPath: path).lastPathComponent
            $0.chunkCount = UInt32(sealed.chunks.count)
            $0.mediaType = format.mediaType
        }
        return (content, blobID)
    }

    /// Fetches, checks (every chunk in place, size, SHA-256, really an image) and saves an attached image under
    /// `<home>/<user>/downloads/` with a safe, never-overwriting name. A save that fails (no space, no directory)
    /// throws `ImageNotSaved`: the message is fine, this machine is not, so it must stay on the server.
    func download(_ image: Fastchat_V1_ImageRef, from sender: String) async throws -> URL {
        let account = try signedIn()
        // The announced size bounds how many chunks are fetched (the node refused uploads over its limit).
        guard image.chunkCount > 0, UInt64(image.chunkCount) <= image.size / UInt64(AttachmentCrypto.chunkSize) + 1
        else {
            throw CryptoError.attachmentMismatch
        }
        var chunks: [Data] = []
        for index in 0..<image.chunkCount {
            var fetch = Fastchat_V1_FetchBlob()
            fetch.blobID = image.blobID
            fetch.index = index
            guard case .blobChunk(let chunk) = try await request(.fetchBlob(fetch)), chunk.index == index,
                chunk.last == (index == image.chunkCount - 1)
            else {
                throw CryptoError.truncated
            }
            chunks.append(chunk.chunk)
            if image.size > 1 << 20 {
                let fraction = Double(index + 1) / Double(image.chunkCount)
                eventContinuation.yield(.downloading(fileName: image.fileName, fraction: fraction))
            }
        }
        // The size comes from the sender: checked, never trapped on.
        guard let size = Int(exactly: image.size) else { throw CryptoError.attachmentMismatch }
        let data = try AttachmentCrypto.open(chunks, key: image.key, size: size, sha256: image.sha256)
        guard let format = ImageFile.detectFormat(data) else {
            throw ProtocolError(.badImage, "the attachment is not a supported image")
        }
        let directory = account.keystore.directory.appendingPathComponent("downloads", isDirectory: true)
        let name = DownloadName.safeBaseName(image.fileName, format: format)
        do {
            return try DownloadName.save(data, as: name, in: directory)
        } catch {
            throw ImageNotSaved(sender: sender, fileName: name, directory: directory.path, reason: Self.reason(error))
        }
    }

    /// The cause of a failed save, in a few words: the POSIX one where there is one ("No space left on device"),
    /// else Foundation's last sentence without its full stop (its first is only "The operation could not be
    /// completed"), so the whole message stays one sentence.
    private static func reason(_ error: any Error) -> String {
        if let posix = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(posix.code)))
        }
        var text = error.localizedDescription
        while text.hasSuffix(".") { text.removeLast() }
        if let lastStop = text.range(of: ". ", options: .backwards) {
            text = String(text[lastStop.upperBound...])
        }
        return text
    }
}

/// A received image that checked out but could not be written to this machine's disk. The message is not
/// acknowledged: it stays in the mailbox, and the next sign-in (once there is space) saves it.
public struct ImageNotSaved: Error, Sendable, Hashable, CustomStringConvertible {
    public var sender: String
    public var fileName: String
    public var directory: String
    public var reason: String

    /// One sentence, for a terminal once made safe.
    public var description: String {
        "The image \(fileName) from \(sender) could not be saved in \(directory) (\(reason)), so the message stays "
            + "on the server for the next receive"
    }
}
