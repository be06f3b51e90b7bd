import NIOCore

/// How much a connection reads at once. NIO keeps a connection's last receive buffer for its next read, so the
/// first size is what every idle connection holds for as long as it stays open; NIO's default starts at 2 KiB.
/// Sign-in traffic (a TLS 1.3 ClientHello, a Hello, a SignIn frame) reads in well under 1 KiB, so idle connections
/// keep 1 KiB; a connection that reads more grows its buffer as NIO's adaptive allocator does, up to 64 KiB.
public enum ReceiveBuffers {
    public static let initialBytes = 1024

    public static var allocator: AdaptiveRecvByteBufferAllocator {
        AdaptiveRecvByteBufferAllocator(minimum: 64, initial: initialBytes, maximum: 65_536)
    }
}
