/// Short names for the generated protocol types, and the constants both ends agree on.
public typealias Frame = Fastchat_V1_Frame
public typealias ErrorCode = Fastchat_V1_ErrorCode
public typealias Envelope = Fastchat_V1_Envelope
public typealias MessageContent = Fastchat_V1_Content
public typealias WireKDFParams = Fastchat_V1_KdfParams
public typealias WirePublicIdentity = Fastchat_V1_PublicIdentity

public enum Wire {
    /// The highest client protocol version this build speaks: a client says it in `Hello`, a node answers with it
    /// or the client's lower one.
    public static let protocolVersion: UInt32 = 5
    /// The client protocol versions a node and a balancer accept in `Hello`.
    public static let supportedVersions: ClosedRange<UInt32> = 1...protocolVersion
    /// From this version on, a node pushes mailbox entries in `Deliveries` frames instead of one `Deliver` each.
    public static let deliveriesVersion: UInt32 = 2
    /// From this version on, an `Ack` sent with request id 0 is not answered when its entries are deleted (only a
    /// failure is, with an `Error` of request id 0): a busy recipient's acks cost the node no frame.
    public static let quietAcksVersion: UInt32 = 3
    /// From this version on, a node pushes the receipts for one sender that one commit (or one forward) brings in
    /// `Receipts` frames instead of one `Receipt` each: a group message's members acknowledge it together.
    public static let receiptBatchesVersion: UInt32 = 4
    /// From this version on, a node answers the sends of one connection that one commit accepted in `AcceptedSends`
    /// frames (request id 0) instead of one `Accepted` each under its request id: a client that resends its backlog
    /// after a reconnect, or pastes many lines, gets one frame for them.
    public static let acceptedSendsVersion: UInt32 = 5
    /// The version nodes say in `NodeHello` on their links (unchanged by the client protocol's version 2).
    public static let nodeLinkVersion: UInt32 = 1
    /// Largest frame (the protobuf bytes, without the 4-byte length) a peer accepts unless it announces otherwise.
    public static let defaultMaxFrameBytes = 1 << 20
    /// Room a node keeps around a stored item in every frame it builds from it (`Deliver`, a `Forward` entry with
    /// its names, ids and times), so that what it accepted always fits what it sends: a node stores an item only if
    /// it is at most `maxFrameBytes - pushOverhead` bytes.
    public static let pushOverhead = 1024
}

extension Frame {
    public init(requestID: UInt64 = 0, _ body: Frame.OneOf_Body) {
        self.init()
        self.requestID = requestID
        self.body = body
    }

    public static func error(_ code: ErrorCode, _ message: String, requestID: UInt64 = 0) -> Frame {
        var error = Fastchat_V1_Error()
        error.code = code
        error.message = message
        return Frame(requestID: requestID, .error(error))
    }
}
